/*
 * Unit-test helper: N Reef threads simulated on one OS thread over the fake
 * env (plain memory, a fake clock where one tick is one microsecond). A test
 * includes this file, calls ut_allocate_threads(n), then drives the threads by
 * hand: ut_set_thread(i) to act "on" thread i, ut_poll_thread(i) to run one
 * of its iterations, ut_poll_threads() to run all until nothing is left to do.
 */
#include <CUnit/Basic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "env/env_fake.h"
#include "reef/env.h"
#include "reef/log.h"
#include "reef/thread.h"
#include "reef_internal/shm.h"

#define UT_MAX_THREADS 16
/* Passes of ut_poll_threads() before it gives up on a thread that never goes idle. */
#define UT_MAX_POLL_PASSES 100000

static struct reef_thread *g_ut_threads[UT_MAX_THREADS];
static int g_ut_num_threads;
static struct reef_shm_region *g_ut_region;

/* The last error line logged, and how many there were (ut_log_capture). */
static char g_ut_last_log[1024];
static int g_ut_log_count;

static __attribute__((unused)) void
ut_log_hook(enum reef_log_level level, const char *line, void *ctx)
{
	(void)ctx;
	if (level <= REEF_LOG_WARN) {
		snprintf(g_ut_last_log, sizeof(g_ut_last_log), "%s", line);
		g_ut_log_count++;
	}
}

/* Capture error and warning lines instead of printing them (tests check what they say). */
static __attribute__((unused)) void
ut_log_capture(void)
{
	g_ut_last_log[0] = '\0';
	g_ut_log_count = 0;
	reef_log_set_hook(ut_log_hook, NULL);
}

static __attribute__((unused)) void
ut_log_release(void)
{
	reef_log_set_hook(NULL, NULL);
}

/* Small tables: tests that fill them stay fast. */
static __attribute__((unused)) void
ut_limits(struct reef_shm_limits *limits)
{
	reef_shm_limits_init(limits);
	limits->max_threads = 32;
	limits->max_pollers = 256;
	limits->max_devices = 16;
	limits->max_channels = 64;
	limits->max_clients = 4;
	limits->max_handlers = 16;
	limits->msg_ring_size = 1024;
}

/* Fake env primary "ut" with a region of the given limits (NULL: ut_limits). */
static __attribute__((unused)) void
ut_env_init(const struct reef_shm_limits *limits)
{
	struct reef_env_opts opts;
	struct reef_shm_limits defaults;
	int rc;

	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = "ut";
	rc = reef_env_init(&opts);
	CU_ASSERT_FATAL(rc == 0);
	if (limits == NULL) {
		ut_limits(&defaults);
		limits = &defaults;
	}
	rc = reef_shm_create("ut", limits, &g_ut_region);
	CU_ASSERT_FATAL(rc == 0);
	reef_env_fake_set_ticks(1000);
}

static __attribute__((unused)) void
ut_env_fini(void)
{
	reef_shm_destroy(g_ut_region);
	g_ut_region = NULL;
	reef_env_fini();
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
}

static __attribute__((unused)) struct reef_thread *
ut_thread(int idx)
{
	CU_ASSERT_FATAL(idx >= 0 && idx < g_ut_num_threads);
	return g_ut_threads[idx];
}

static __attribute__((unused)) void
ut_set_thread(int idx)
{
	reef_set_thread(idx < 0 ? NULL : ut_thread(idx));
}

static __attribute__((unused)) void
ut_allocate_threads_ext(int num, size_t ctx_sz)
{
	char name[32];
	int i;

	CU_ASSERT_FATAL(num <= UT_MAX_THREADS);
	ut_env_init(NULL);
	CU_ASSERT_FATAL(reef_thread_lib_init(NULL, ctx_sz) == 0);
	for (i = 0; i < num; i++) {
		snprintf(name, sizeof(name), "ut_thread%d", i);
		g_ut_threads[i] = reef_thread_create(name, NULL);
		CU_ASSERT_FATAL(g_ut_threads[i] != NULL);
	}
	g_ut_num_threads = num;
	reef_set_thread(NULL);
}

static __attribute__((unused)) void
ut_allocate_threads(int num)
{
	ut_allocate_threads_ext(num, 0);
}

static __attribute__((unused)) int
ut_poll_thread(int idx)
{
	return reef_thread_poll(ut_thread(idx), 0, 0);
}

/* Poll every thread round-robin until a whole pass does no work. Returns passes that did. */
static __attribute__((unused)) int
ut_poll_threads(void)
{
	int busy_passes = 0, pass, i;

	for (pass = 0; pass < UT_MAX_POLL_PASSES; pass++) {
		bool busy = false;

		for (i = 0; i < g_ut_num_threads; i++) {
			if (g_ut_threads[i] != NULL &&
			    reef_thread_poll(g_ut_threads[i], 0, 0) > 0) {
				busy = true;
			}
		}
		if (!busy) {
			return busy_passes;
		}
		busy_passes++;
	}
	CU_FAIL("threads never went idle");
	return busy_passes;
}

/* Exit every thread, poll until exited (advancing time), destroy, and tear everything down. */
static __attribute__((unused)) void
ut_free_threads(void)
{
	int i, pass;

	for (i = 0; i < g_ut_num_threads; i++) {
		if (g_ut_threads[i] == NULL) {
			continue;
		}
		reef_set_thread(g_ut_threads[i]);
		reef_thread_exit(g_ut_threads[i]);
	}
	for (pass = 0; pass < 1000; pass++) {
		bool all_exited = true;

		for (i = 0; i < g_ut_num_threads; i++) {
			if (g_ut_threads[i] != NULL && !reef_thread_is_exited(g_ut_threads[i])) {
				reef_thread_poll(g_ut_threads[i], 0, 0);
				all_exited = false;
			}
		}
		if (all_exited) {
			break;
		}
	}
	for (i = 0; i < g_ut_num_threads; i++) {
		if (g_ut_threads[i] != NULL) {
			CU_ASSERT(reef_thread_is_exited(g_ut_threads[i]));
			reef_thread_destroy(g_ut_threads[i]);
			g_ut_threads[i] = NULL;
		}
	}
	g_ut_num_threads = 0;
	reef_set_thread(NULL);
	reef_thread_lib_fini();
	ut_env_fini();
}
