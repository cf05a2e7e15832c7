/*
 * A minimal primary on the real DPDK env: three threads with known pollers,
 * polled round-robin on the main lcore, until SIGTERM/SIGINT or a deadline.
 * Prints "READY" once the region is running. Used by test/mp/shm_snapshot.sh.
 *
 *   mp_shm_primary NAME [SECONDS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "reef/env.h"
#include "reef/log.h"
#include "reef/thread.h"
#include "reef_internal/shm.h"

static volatile sig_atomic_t g_stop;

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int
busy_fn(void *arg)
{
	(void)arg;
	return REEF_POLLER_BUSY;
}

static int
idle_fn(void *arg)
{
	(void)arg;
	return REEF_POLLER_IDLE;
}

static struct reef_poller *g_pollers[4];

static void
setup_pollers(void *arg)
{
	(void)arg;
	g_pollers[0] = reef_poller_register_named(busy_fn, NULL, 0, "mp_busy");
	g_pollers[1] = reef_poller_register_named(idle_fn, NULL, 0, "mp_idle");
	g_pollers[2] = reef_poller_register_named(busy_fn, NULL, 1000, "mp_timed");
	g_pollers[3] = reef_poller_register_named(busy_fn, NULL, 0, "mp_paused");
	reef_poller_pause(g_pollers[3]);
}

static void
teardown_pollers(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 4; i++) {
		reef_poller_unregister(&g_pollers[i]);
	}
}

int
main(int argc, char **argv)
{
	struct reef_shm_limits limits;
	struct reef_shm_region *region;
	struct reef_env_opts opts;
	struct reef_thread *threads[3];
	struct reef_cpuset mask;
	char name[16];
	time_t deadline;
	int i, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: mp_shm_primary NAME [SECONDS]\n");
		return 2;
	}
	deadline = time(NULL) + (argc > 2 ? atoi(argv[2]) : 60);
	reef_log_set_ident("mp_shm_primary");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = argv[1];
	/* One core is enough: everything is polled on the main lcore. */
	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, 0, true);
	opts.cpumask = &mask;
	if (reef_env_init(&opts) != 0) {
		return 1;
	}
	reef_shm_limits_init(&limits);
	limits.max_threads = 16;
	limits.max_pollers = 64;
	limits.max_channels = 64;
	limits.msg_ring_size = 256;
	rc = reef_shm_create(argv[1], &limits, &region);
	if (rc != 0 || reef_thread_lib_init(NULL, 0) != 0) {
		reef_env_fini();
		return 1;
	}
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "mp_t%d", i);
		threads[i] = reef_thread_create(name, NULL);
		if (threads[i] == NULL) {
			return 1;
		}
	}
	reef_thread_send_msg(threads[1], setup_pollers, NULL);
	reef_thread_poll(threads[1], 0, 0);
	reef_shm_set_state(region, REEF_REGION_RUNNING);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);

	while (!g_stop && time(NULL) < deadline) {
		for (i = 0; i < 3; i++) {
			reef_thread_poll(threads[i], 0, 0);
		}
	}

	reef_shm_set_state(region, REEF_REGION_STOPPING);
	reef_thread_send_msg(threads[1], teardown_pollers, NULL);
	for (i = 0; i < 3; i++) {
		reef_set_thread(threads[i]);
		reef_thread_exit(threads[i]);
	}
	reef_set_thread(NULL);
	for (i = 0; i < 3; i++) {
		while (!reef_thread_is_exited(threads[i])) {
			reef_thread_poll(threads[i], 0, 0);
		}
		reef_thread_destroy(threads[i]);
	}
	reef_thread_lib_fini();
	/* Not destroy: a reader may still map the region; DPDK would unmap it under it. */
	reef_shm_close(region);
	reef_env_fini();
	return 0;
}
