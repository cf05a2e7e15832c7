/*
 * A fake primary for reef-top's tests: it writes the shared region directly,
 * the way lib/thread and lib/event do, without running any thread.
 *
 *   mp_top_fake NAME big SECONDS   1024 threads with 64 pollers each on two
 *                                  cores, counters growing, threads exiting and
 *                                  coming back in reused slots, threads moving
 *                                  between cores, as fast as it can
 *   mp_top_fake NAME abi SECONDS   a region that claims another ABI version
 *
 * Prints "READY <pid>" once the region is published, runs until SIGTERM or
 * the deadline, and exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reef/env.h"
#include "reef/log.h"
#include "reef_internal/shm.h"

#define THREADS            1024
#define POLLERS_PER_THREAD 64

static volatile sig_atomic_t g_stop;

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct fake_thread {
	struct reef_shm_thread *shm;
	struct reef_shm_poller *pollers[POLLERS_PER_THREAD];
};

static struct fake_thread g_threads[THREADS];
static struct reef_shm_region *g_region;

static void
thread_make(struct fake_thread *ft, uint32_t n)
{
	struct reef_shm_thread *t = reef_shm_slot_alloc(g_region, REEF_SHM_THREADS, NULL);
	uint32_t j;

	if (t == NULL) {
		exit(1);
	}
	t->id = reef_shm_next_id(g_region, REEF_SHM_THREADS);
	snprintf(t->name, sizeof(t->name), "fake_%u_%llu", n, (unsigned long long)t->id);
	t->lcore = n % 2;
	t->created_tsc = reef_get_ticks();
	reef_shm_slot_publish(t);
	ft->shm = t;
	for (j = 0; j < POLLERS_PER_THREAD; j++) {
		struct reef_shm_poller *p = reef_shm_slot_alloc(g_region, REEF_SHM_POLLERS, NULL);

		if (p == NULL) {
			exit(1);
		}
		p->id = reef_shm_next_id(g_region, REEF_SHM_POLLERS);
		p->thread_id = t->id;
		p->thread_slot = t->hdr.index;
		p->kind = j % 4 ? REEF_SHM_POLLER_TIMED : REEF_SHM_POLLER_ACTIVE;
		p->period_ticks = j % 4 ? reef_get_ticks_hz() / 1000 * j : 0;
		snprintf(p->name, sizeof(p->name), "fake_poller_%u", j);
		p->registered_tsc = reef_get_ticks();
		reef_shm_slot_publish(p);
		ft->pollers[j] = p;
	}
	REEF_SHM_ADD(t->active_pollers, POLLERS_PER_THREAD / 4);
	REEF_SHM_ADD(t->timed_pollers, POLLERS_PER_THREAD - POLLERS_PER_THREAD / 4);
}

static void
thread_drop(struct fake_thread *ft)
{
	uint32_t j;

	for (j = 0; j < POLLERS_PER_THREAD; j++) {
		reef_shm_slot_free(g_region, REEF_SHM_POLLERS, ft->pollers[j]);
	}
	reef_shm_slot_free(g_region, REEF_SHM_THREADS, ft->shm);
}

static void
tick(uint64_t round)
{
	uint32_t i, j, step = (uint32_t)(round % 16);
	struct reef_shm_reactor *r0 = reef_shm_reactor_slot(g_region, 0);
	struct reef_shm_reactor *r1 = reef_shm_reactor_slot(g_region, 1);

	for (i = step; i < THREADS; i += 16) {
		struct reef_shm_thread *t = g_threads[i].shm;

		REEF_SHM_ADD(t->busy_tsc, 1000 + i);
		REEF_SHM_ADD(t->idle_tsc, 9000);
		REEF_SHM_ADD(t->msgs_executed, i % 7);
		REEF_SHM_ADD(t->polls, 10);
		for (j = 0; j < POLLERS_PER_THREAD; j++) {
			REEF_SHM_ADD(g_threads[i].pollers[j]->run_count, 10);
			REEF_SHM_ADD(g_threads[i].pollers[j]->busy_count, j % 3);
		}
	}
	REEF_SHM_ADD(r0->iterations, 100);
	REEF_SHM_ADD(r0->busy_tsc, 5000);
	REEF_SHM_ADD(r0->idle_tsc, 5000);
	REEF_SHM_ADD(r1->iterations, 100);
	REEF_SHM_ADD(r1->busy_tsc, 2000);
	REEF_SHM_ADD(r1->idle_tsc, 8000);
	/* Churn: a thread exits and another takes its slots; one moves (via "no core"). */
	if (round % 8 == 0) {
		uint32_t n = (uint32_t)((round / 8) % THREADS);

		thread_drop(&g_threads[n]);
		thread_make(&g_threads[n], n);
	}
	{
		struct reef_shm_thread *t = g_threads[(round * 7) % THREADS].shm;
		uint32_t lc = t->lcore;

		REEF_SHM_STORE(t->lcore, lc == UINT32_MAX ? (uint32_t)(round % 2) : UINT32_MAX);
		if (lc == UINT32_MAX) {
			REEF_SHM_ADD(t->moves, 1);
		}
	}
}

static void
reactor_init(uint32_t lcore)
{
	struct reef_shm_reactor *r = reef_shm_reactor_slot(g_region, lcore);

	reef_seqlock_write_begin(&r->hdr.seq);
	r->hdr.gen++;
	r->hdr.in_use = 1;
	r->lcore = lcore;
	r->state = REEF_SHM_REACTOR_RUNNING;
	r->thread_count = THREADS / 2;
	r->stall_threshold_tsc = reef_get_ticks_hz() / 100;
	reef_seqlock_write_end(&r->hdr.seq);
	reef_shm_count_add(g_region, REEF_SHM_REACTORS, 1);
}

int
main(int argc, char **argv)
{
	struct reef_shm_limits limits;
	struct reef_env_opts opts;
	struct reef_cpuset mask;
	bool big;
	time_t deadline;
	uint64_t round = 0;
	uint32_t i;

	if (argc < 4 || (strcmp(argv[2], "big") != 0 && strcmp(argv[2], "abi") != 0)) {
		fprintf(stderr, "usage: mp_top_fake NAME big|abi SECONDS\n");
		return 2;
	}
	big = strcmp(argv[2], "big") == 0;
	deadline = time(NULL) + atoi(argv[3]);
	reef_log_set_ident("mp_top_fake");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = argv[1];
	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, 0, true);
	opts.cpumask = &mask;
	if (reef_env_init(&opts) != 0) {
		return 1;
	}
	reef_shm_limits_init(&limits);
	limits.max_threads = big ? THREADS : 8;
	limits.max_pollers = big ? THREADS * POLLERS_PER_THREAD : 8;
	limits.max_channels = 8;
	limits.max_clients = 2;
	limits.max_handlers = 4;
	limits.max_devices = 4;
	limits.msg_ring_size = 64;
	if (reef_shm_create(argv[1], &limits, &g_region) != 0) {
		reef_env_fini();
		return 1;
	}
	if (!big) {
		/* What a primary of another Reef build would look like to this one. */
		((struct reef_shm_header *)reef_shm_get_header(g_region))->abi_version =
			REEF_SHM_ABI_VERSION + 1;
	} else {
		reactor_init(0);
		reactor_init(1);
		for (i = 0; i < THREADS; i++) {
			thread_make(&g_threads[i], i);
		}
	}
	reef_shm_set_state(g_region, REEF_REGION_RUNNING);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);

	while (!g_stop && time(NULL) < deadline) {
		if (big) {
			tick(round++);
		}
		usleep(big ? 500 : 20000);
	}
	reef_shm_set_state(g_region, REEF_REGION_STOPPING);
	reef_shm_close(g_region);
	reef_env_fini();
	return 0;
}
