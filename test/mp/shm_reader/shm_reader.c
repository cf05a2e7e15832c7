/*
 * A secondary that attaches to mp_shm_primary's region and checks what it
 * sees: names, kinds, states and counters as the primary set them, run counts
 * that grow between two snapshots, and nothing that moved that shouldn't.
 *
 *   mp_shm_reader NAME PRIMARY_PID
 * Exit 0 when everything matched; 1 with a line saying what did not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reef/env.h"
#include "reef/log.h"
#include "reef/shm.h"

#define CHECK(cond, ...)                                                                       \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "mp_shm_reader: FAIL %s:%d: %s: ", __FILE__, __LINE__, \
				#cond);                                                        \
			fprintf(stderr, __VA_ARGS__);                                          \
			fprintf(stderr, "\n");                                                 \
			exit(1);                                                               \
		}                                                                              \
	} while (0)

static const struct reef_shm_poller *
find_poller(const struct reef_shm_snapshot *s, const char *name)
{
	uint32_t i;

	for (i = 0; i < s->nr[REEF_SHM_POLLERS]; i++) {
		if (strcmp(s->pollers[i].name, name) == 0) {
			return &s->pollers[i];
		}
	}
	return NULL;
}

static const struct reef_shm_thread *
find_thread(const struct reef_shm_snapshot *s, uint64_t id)
{
	uint32_t i;

	for (i = 0; i < s->nr[REEF_SHM_THREADS]; i++) {
		if (s->threads[i].id == id) {
			return &s->threads[i];
		}
	}
	return NULL;
}

static void
check_first(const struct reef_shm_snapshot *s, const char *name, int pid)
{
	const struct reef_shm_poller *busy, *idle, *timed, *paused;
	const struct reef_shm_thread *owner;
	uint32_t i;

	CHECK(strcmp(s->header.app_name, name) == 0, "app name '%s'", s->header.app_name);
	CHECK(s->header.primary_pid == pid, "pid %d", s->header.primary_pid);
	CHECK(s->header.state == REEF_REGION_RUNNING, "state %u", s->header.state);
	CHECK(s->nr[REEF_SHM_THREADS] == 3, "%u threads", s->nr[REEF_SHM_THREADS]);
	CHECK(s->nr[REEF_SHM_POLLERS] == 4, "%u pollers", s->nr[REEF_SHM_POLLERS]);
	CHECK(s->skipped == 0, "%u torn slots", s->skipped);
	for (i = 0; i < 3; i++) {
		char expect[16];

		snprintf(expect, sizeof(expect), "mp_t%u", i);
		CHECK(strcmp(s->threads[i].name, expect) == 0, "thread %u is '%s'", i,
		      s->threads[i].name);
		CHECK(s->threads[i].state == REEF_SHM_THREAD_RUNNING, "thread state %u",
		      s->threads[i].state);
	}
	busy = find_poller(s, "mp_busy");
	idle = find_poller(s, "mp_idle");
	timed = find_poller(s, "mp_timed");
	paused = find_poller(s, "mp_paused");
	CHECK(busy && idle && timed && paused, "a poller is missing");
	owner = find_thread(s, busy->thread_id);
	CHECK(owner != NULL && strcmp(owner->name, "mp_t1") == 0, "pollers belong to mp_t1");
	CHECK(owner->active_pollers == 2 && owner->timed_pollers == 1 && owner->paused_pollers == 1,
	      "poller counts %u/%u/%u", owner->active_pollers, owner->timed_pollers,
	      owner->paused_pollers);
	CHECK(busy->kind == REEF_SHM_POLLER_ACTIVE && timed->kind == REEF_SHM_POLLER_TIMED,
	      "kinds");
	CHECK(timed->period_ticks == s->header.tsc_hz / 1000, "period %llu ticks at %llu Hz",
	      (unsigned long long)timed->period_ticks, (unsigned long long)s->header.tsc_hz);
	CHECK(paused->state == REEF_SHM_POLLER_PAUSED, "paused state %u", paused->state);
	CHECK(paused->run_count == 0, "paused poller ran %llu times",
	      (unsigned long long)paused->run_count);
	CHECK(idle->busy_count == 0, "idle poller was busy");
}

int
main(int argc, char **argv)
{
	struct reef_shm_snapshot a, b;
	struct reef_shm_region *region;
	const struct reef_shm_poller *pa, *pb;
	struct timespec deadline, now;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: mp_shm_reader NAME PRIMARY_PID\n");
		return 2;
	}
	reef_log_set_ident("mp_shm_reader");
	rc = reef_shm_attach(argv[1], &region);
	if (rc != 0) {
		return 3;
	}
	CHECK(reef_shm_primary_alive(region), "primary not alive");
	CHECK(reef_shm_snapshot_init(region, &a) == 0 && reef_shm_snapshot_init(region, &b) == 0,
	      "snapshot memory");
	reef_shm_snapshot_take(region, &a);
	check_first(&a, argv[1], atoi(argv[2]));

	/* Wait (with a deadline) until both the active and the timed poller have run more. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 10;
	for (;;) {
		const struct reef_shm_poller *ta, *tb;

		reef_shm_snapshot_take(region, &b);
		pa = find_poller(&a, "mp_busy");
		pb = find_poller(&b, "mp_busy");
		ta = find_poller(&a, "mp_timed");
		tb = find_poller(&b, "mp_timed");
		CHECK(pb && tb, "pollers vanished");
		if (pb->run_count > pa->run_count && tb->run_count > ta->run_count) {
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		CHECK(now.tv_sec < deadline.tv_sec, "run counts did not grow within 10 s");
		usleep(10000);
	}
	pa = find_poller(&a, "mp_paused");
	pb = find_poller(&b, "mp_paused");
	CHECK(pb->run_count == pa->run_count, "a paused poller ran");
	CHECK(pb->hdr.gen == pa->hdr.gen && pb->id == pa->id, "a slot was reused");
	CHECK(b.threads[1].busy_tsc > a.threads[1].busy_tsc, "thread busy time did not grow");
	CHECK(b.threads[1].polls > a.threads[1].polls, "thread polls did not grow");

	reef_shm_snapshot_fini(&a);
	reef_shm_snapshot_fini(&b);
	reef_shm_detach(region);
	reef_env_fini();
	printf("mp_shm_reader: snapshot consistent, counters growing\n");
	return 0;
}
