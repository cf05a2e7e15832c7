/*
 * Reactors and the scheduler on the fake env: three reactors driven one
 * iteration at a time on one OS thread, so placement, moves, accounting and
 * the stall detector are exact.
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include <errno.h>

#include "event/event_internal.h"
#include "reef_internal/thread.h"

#define STALL_TICKS 1000

static void
setup(void)
{
	struct reef_cpuset mask;

	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, 0, true);
	reef_cpuset_set_cpu(&mask, 1, true);
	reef_cpuset_set_cpu(&mask, 2, true);
	reef_env_fake_set_lcores(&mask);
	ut_env_init(NULL);
	reef__stall_init(STALL_TICKS, 100);
	CU_ASSERT_FATAL(reef__reactors_init(g_ut_region, &mask, false, STALL_TICKS) == 0);
	CU_ASSERT_FATAL(reef_thread_lib_init_ext(reef__scheduler_thread_op,
						 reef__scheduler_thread_op_supported,
						 sizeof(struct reef_lw_thread)) == 0);
}

static void
run_all(int iterations)
{
	int i;
	uint32_t lcore;

	for (i = 0; i < iterations; i++) {
		for (lcore = 0; lcore < 3; lcore++) {
			reef__reactor_run_once(reef__reactor_get(lcore));
		}
	}
}

static void
exit_msg(void *arg)
{
	(void)arg;
	reef_thread_exit(reef_get_thread());
}

/* Ask every thread to exit and run the reactors until they have destroyed them all. */
static void
teardown(void)
{
	int i;

	for (i = 0; i < 100 && reef_thread_get_count() > 0; i++) {
		struct reef_thread *t;

		for (t = reef_thread_get_first(); t != NULL; t = reef_thread_get_next(t)) {
			if (reef_thread_is_running(t)) {
				reef_thread_send_msg(t, exit_msg, NULL);
			}
		}
		run_all(1);
	}
	CU_ASSERT(reef_thread_get_count() == 0);
	reef_thread_lib_fini();
	reef__reactors_fini();
	ut_env_fini();
}

static struct reef_thread *
thread_on(const char *name, int core)
{
	struct reef_cpuset mask;

	if (core < 0) {
		return reef_thread_create(name, NULL);
	}
	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, (uint32_t)core, true);
	return reef_thread_create(name, &mask);
}

static void
reactor_places_threads_on_least_loaded_core(void)
{
	struct reef_thread *t[6];
	int i;

	setup();
	for (i = 0; i < 6; i++) {
		t[i] = thread_on(NULL, -1);
		CU_ASSERT_FATAL(t[i] != NULL);
	}
	run_all(1);
	/* Three cores, ties to the lowest: 0 1 2 0 1 2. */
	for (i = 0; i < 6; i++) {
		CU_ASSERT(reef_thread_get_lcore(t[i]) == (uint32_t)(i % 3));
	}
	for (i = 0; i < 3; i++) {
		CU_ASSERT(reef__reactor_get((uint32_t)i)->thread_count == 2);
		CU_ASSERT(reef__reactor_get((uint32_t)i)->shm->thread_count == 2);
	}
	teardown();
}

static void
reactor_placement_respects_cpumask(void)
{
	struct reef_thread *a, *b;
	struct reef_cpuset mask;

	setup();
	a = thread_on("on2", 2);
	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, 1, true);
	reef_cpuset_set_cpu(&mask, 2, true);
	/* Core 2 already has a thread: the least loaded of {1,2} is 1. */
	b = reef_thread_create("on1or2", &mask);
	run_all(1);
	CU_ASSERT(reef_thread_get_lcore(a) == 2);
	CU_ASSERT(reef_thread_get_lcore(b) == 1);
	teardown();
}

static void
reactor_refuses_mask_without_app_cores(void)
{
	setup();
	ut_log_capture();
	CU_ASSERT(thread_on("nowhere", 7) == NULL);
	ut_log_release();
	CU_ASSERT(strstr(g_ut_last_log, "has no core of this app") != NULL);
	CU_ASSERT(reef_thread_get_count() == 0);
	teardown();
}

struct mover {
	struct reef_poller *poller;
	int runs;
	int move_to;
};

static int
move_poll(void *arg)
{
	struct mover *m = arg;
	struct reef_cpuset mask;

	m->runs++;
	if (m->move_to >= 0) {
		reef_cpuset_zero(&mask);
		reef_cpuset_set_cpu(&mask, (uint32_t)m->move_to, true);
		CU_ASSERT(reef_thread_set_cpumask(&mask) == 0);
		m->move_to = -1;
	}
	return REEF_POLLER_BUSY;
}

static void
register_mover(void *arg)
{
	struct mover *m = arg;

	m->poller = reef_poller_register_named(move_poll, m, 0, "mover");
}

static void
unregister_mover(void *arg)
{
	struct mover *m = arg;

	reef_poller_unregister(&m->poller);
}

static void
reactor_reschedule_moves_thread_and_pollers_keep_running(void)
{
	struct mover m = {.move_to = -1};
	struct reef_shm_thread *tshm;
	struct reef_thread *t;
	int runs;

	setup();
	t = thread_on(NULL, -1);
	reef_thread_send_msg(t, register_mover, &m);
	run_all(1);
	CU_ASSERT(reef_thread_get_lcore(t) == 0);
	/* From now on the thread may only run on core 2. */
	m.move_to = 2;
	reef__reactor_run_once(reef__reactor_get(0));
	CU_ASSERT(reef__reactor_get(0)->thread_count == 0);
	CU_ASSERT(reef_thread_get_lcore(t) == UINT32_MAX);
	runs = m.runs;
	reef__reactor_run_once(reef__reactor_get(2));
	CU_ASSERT(reef_thread_get_lcore(t) == 2);
	CU_ASSERT(m.runs == runs + 1);
	run_all(3);
	CU_ASSERT(m.runs == runs + 4);
	tshm = reef__thread_get_shm(t);
	CU_ASSERT(tshm->moves == 1);
	CU_ASSERT(reef__reactor_get(0)->shm->threads_out == 1);
	CU_ASSERT(reef__reactor_get(2)->shm->threads_in == 1);
	reef_thread_send_msg(t, unregister_mover, &m);
	run_all(1);
	teardown();
}

static void
reactor_reschedule_within_mask_stays(void)
{
	struct mover m = {.move_to = 0};
	struct reef_thread *t;

	setup();
	t = thread_on(NULL, -1);
	reef_thread_send_msg(t, register_mover, &m);
	run_all(2);
	/* Already on core 0, which the new mask holds: no move. */
	CU_ASSERT(reef_thread_get_lcore(t) == 0);
	CU_ASSERT(reef__thread_get_shm(t)->moves == 0);
	reef_thread_send_msg(t, unregister_mover, &m);
	run_all(1);
	teardown();
}

static void
reactor_bound_thread_is_not_moved(void)
{
	struct mover m = {.move_to = -1};
	struct reef_thread *t;

	setup();
	t = thread_on(NULL, -1);
	reef_thread_send_msg(t, register_mover, &m);
	run_all(1);
	reef_thread_bind(t, true);
	m.move_to = 1;
	run_all(3);
	CU_ASSERT(reef_thread_get_lcore(t) == 0);
	CU_ASSERT(reef__thread_get_shm(t)->moves == 0);
	/* Unbound, the next reschedule moves it. */
	reef_thread_bind(t, false);
	m.move_to = 1;
	run_all(2);
	CU_ASSERT(reef_thread_get_lcore(t) == 1);
	reef_thread_send_msg(t, unregister_mover, &m);
	run_all(1);
	teardown();
}

static int
spend_fn(void *arg)
{
	intptr_t ticks = (intptr_t)arg;

	reef_env_fake_advance_ticks((uint64_t)(ticks < 0 ? -ticks : ticks));
	return ticks < 0 ? REEF_POLLER_IDLE : REEF_POLLER_BUSY;
}

static struct reef_poller *g_p;

static void
register_spender(void *arg)
{
	g_p = reef_poller_register_named(spend_fn, arg, 0, "spender");
}

static void
unregister_spender(void *arg)
{
	(void)arg;
	reef_poller_unregister(&g_p);
}

static void
reactor_accounts_busy_and_idle(void)
{
	struct reef_reactor *r;
	struct reef_thread *t;
	uint64_t busy, idle, iters;

	setup();
	r = reef__reactor_get(0);
	t = thread_on(NULL, 0);
	reef_thread_send_msg(t, register_spender, (void *)(intptr_t)40);
	reef__reactor_run_once(r);
	busy = r->shm->busy_tsc;
	idle = r->shm->idle_tsc;
	iters = r->shm->iterations;
	reef__reactor_run_once(r);
	CU_ASSERT(r->shm->busy_tsc - busy == 40);
	CU_ASSERT(r->shm->idle_tsc == idle);
	CU_ASSERT(r->shm->iterations == iters + 1);
	reef_thread_send_msg(t, unregister_spender, NULL);
	reef__reactor_run_once(r);
	reef_thread_send_msg(t, register_spender, (void *)(intptr_t)-15);
	reef__reactor_run_once(r);
	busy = r->shm->busy_tsc;
	idle = r->shm->idle_tsc;
	reef__reactor_run_once(r);
	CU_ASSERT(r->shm->busy_tsc == busy);
	CU_ASSERT(r->shm->idle_tsc - idle == 15);
	reef_thread_send_msg(t, unregister_spender, NULL);
	reef__reactor_run_once(r);
	teardown();
}

/* Advances the clock past the stall threshold with the "watchdog" looking mid-run. */
static int
stall_fn(void *arg)
{
	(void)arg;
	reef_env_fake_advance_ticks(STALL_TICKS * 5);
	reef__stall_sample(reef_get_ticks());
	return REEF_POLLER_BUSY;
}

static void
register_staller(void *arg)
{
	(void)arg;
	g_p = reef_poller_register_named(stall_fn, NULL, 0, "the_culprit");
}

static void
reactor_stall_names_the_culprit_poller(void)
{
	struct reef_shm_reactor copy;
	struct reef_reactor *r;
	struct reef_thread *t;

	setup();
	r = reef__reactor_get(1);
	t = thread_on("stuck_thread", 1);
	reef__reactor_run_once(r);
	reef_thread_send_msg(t, register_staller, NULL);
	ut_log_capture();
	reef__reactor_run_once(r);
	ut_log_release();
	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_REACTORS, 1, &copy) == 0);
	CU_ASSERT(copy.stalls == 1);
	CU_ASSERT(copy.longest_iter_tsc >= STALL_TICKS * 5);
	CU_ASSERT_STRING_EQUAL(copy.longest_name, "the_culprit");
	CU_ASSERT(copy.longest_poller_id == reef_poller_get_id(g_p));
	CU_ASSERT(copy.longest_thread_id == reef_thread_get_id(t));
	CU_ASSERT(strstr(g_ut_last_log, "reactor 1 stalled") != NULL);
	CU_ASSERT(strstr(g_ut_last_log, "the_culprit") != NULL);
	CU_ASSERT(strstr(g_ut_last_log, "stuck_thread") != NULL);
	reef_thread_send_msg(t, unregister_spender, NULL);
	reef__reactor_run_once(r);
	teardown();
}

static void
reactor_stall_unsampled_names_the_thread(void)
{
	struct reef_shm_reactor copy;
	struct reef_reactor *r;
	struct reef_thread *t;

	setup();
	r = reef__reactor_get(2);
	t = thread_on("slowpoke", 2);
	reef_thread_send_msg(t, register_spender, (void *)(intptr_t)(STALL_TICKS * 2));
	reef__reactor_run_once(r);
	ut_log_capture();
	reef__reactor_run_once(r);
	ut_log_release();
	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_REACTORS, 2, &copy) == 0);
	CU_ASSERT(copy.stalls == 2);
	CU_ASSERT_STRING_EQUAL(copy.longest_name, "thread slowpoke");
	CU_ASSERT(copy.longest_poller_id == 0);
	CU_ASSERT(copy.longest_thread_id == reef_thread_get_id(t));
	reef_thread_send_msg(t, unregister_spender, NULL);
	reef__reactor_run_once(r);
	teardown();
}

/* Spends STALL_TICKS per look, with the watchdog looking after each: arg looks. */
static int
looked_fn(void *arg)
{
	int looks = (int)(intptr_t)arg, i;

	for (i = 0; i < looks; i++) {
		reef_env_fake_advance_ticks(STALL_TICKS);
		reef__stall_sample(reef_get_ticks());
	}
	return REEF_POLLER_BUSY;
}

static struct reef_poller *g_quick, *g_long;

static void
register_quick_then_long(void *arg)
{
	(void)arg;
	/* Active pollers run newest first: long_one runs, then quick_one gets the last look. */
	g_quick = reef_poller_register_named(looked_fn, (void *)(intptr_t)1, 0, "quick_one");
	g_long = reef_poller_register_named(looked_fn, (void *)(intptr_t)3, 0, "long_one");
}

static void
register_quick(void *arg)
{
	(void)arg;
	g_quick = reef_poller_register_named(looked_fn, (void *)(intptr_t)1, 0, "quick_one");
}

static void
unregister_looked(void *arg)
{
	(void)arg;
	reef_poller_unregister(&g_quick);
	if (g_long != NULL) {
		reef_poller_unregister(&g_long);
	}
}

/* The culprit is what most looks saw, not merely the last look. */
static void
reactor_stall_culprit_is_the_most_seen_poller(void)
{
	struct reef_shm_reactor copy;
	struct reef_reactor *r;
	struct reef_thread *t;

	setup();
	r = reef__reactor_get(1);
	t = thread_on("two_pollers", 1);
	reef_thread_send_msg(t, register_quick_then_long, NULL);
	ut_log_capture();
	reef__reactor_run_once(r);
	reef__reactor_run_once(r);
	ut_log_release();
	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_REACTORS, 1, &copy) == 0);
	CU_ASSERT_STRING_EQUAL(copy.longest_name, "long_one");
	CU_ASSERT(copy.longest_poller_id == reef_poller_get_id(g_long));
	CU_ASSERT(copy.longest_thread_id == reef_thread_get_id(t));
	reef_thread_send_msg(t, unregister_looked, NULL);
	reef__reactor_run_once(r);
	teardown();
}

/* A look inside another thread than the one measured slowest names only the slow thread. */
static void
reactor_stall_ignores_looks_outside_the_slowest_thread(void)
{
	struct reef_shm_reactor copy;
	struct reef_reactor *r;
	struct reef_thread *slow, *peeked;

	setup();
	r = reef__reactor_get(2);
	slow = thread_on("slow_a", 2);
	peeked = thread_on("peeked_b", 2);
	reef_thread_send_msg(slow, register_spender, (void *)(intptr_t)(STALL_TICKS * 3));
	reef_thread_send_msg(peeked, register_quick, NULL);
	g_long = NULL;
	ut_log_capture();
	reef__reactor_run_once(r);
	reef__reactor_run_once(r);
	ut_log_release();
	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_REACTORS, 2, &copy) == 0);
	CU_ASSERT_STRING_EQUAL(copy.longest_name, "thread slow_a");
	CU_ASSERT(copy.longest_poller_id == 0);
	CU_ASSERT(copy.longest_thread_id == reef_thread_get_id(slow));
	reef_thread_send_msg(slow, unregister_spender, NULL);
	reef_thread_send_msg(peeked, unregister_looked, NULL);
	reef__reactor_run_once(r);
	teardown();
}

static void
reactor_destroys_exited_threads(void)
{
	struct reef_thread *t;

	setup();
	t = thread_on("short_lived", 1);
	run_all(1);
	CU_ASSERT(reef__reactor_get(1)->thread_count == 1);
	reef_thread_send_msg(t, exit_msg, NULL);
	run_all(1);
	CU_ASSERT(reef__reactor_get(1)->thread_count == 0);
	CU_ASSERT(reef__reactor_get(1)->load == 0);
	CU_ASSERT(reef_thread_get_count() == 0);
	teardown();
}

static void
reactor_stops_when_out_of_threads(void)
{
	struct reef_thread *t;

	setup();
	t = thread_on("last", 0);
	run_all(1);
	reef__reactors_stop();
	CU_ASSERT(reef__reactors_stopping());
	CU_ASSERT(reef__reactor_get(0)->shm->state == REEF_SHM_REACTOR_STOPPING);
	/* Stopping refuses new threads. */
	ut_log_capture();
	CU_ASSERT(thread_on("late", 0) == NULL);
	ut_log_release();
	CU_ASSERT(strstr(g_ut_last_log, "shutting down") != NULL);
	/* Reactors without threads return at once; the one with a thread waits for it. */
	CU_ASSERT(reef__reactor_run(reef__reactor_get(1)) == 0);
	CU_ASSERT(reef__reactor_get(1)->shm->state == REEF_SHM_REACTOR_STOPPED);
	reef_thread_send_msg(t, exit_msg, NULL);
	CU_ASSERT(reef__reactor_run(reef__reactor_get(0)) == 0);
	CU_ASSERT(reef_thread_get_count() == 0);
	teardown();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, reactor_places_threads_on_least_loaded_core);
	UT_ADD(suite, reactor_placement_respects_cpumask);
	UT_ADD(suite, reactor_refuses_mask_without_app_cores);
	UT_ADD(suite, reactor_reschedule_moves_thread_and_pollers_keep_running);
	UT_ADD(suite, reactor_reschedule_within_mask_stays);
	UT_ADD(suite, reactor_bound_thread_is_not_moved);
	UT_ADD(suite, reactor_accounts_busy_and_idle);
	UT_ADD(suite, reactor_stall_names_the_culprit_poller);
	UT_ADD(suite, reactor_stall_unsampled_names_the_thread);
	UT_ADD(suite, reactor_stall_culprit_is_the_most_seen_poller);
	UT_ADD(suite, reactor_stall_ignores_looks_outside_the_slowest_thread);
	UT_ADD(suite, reactor_destroys_exited_threads);
	UT_ADD(suite, reactor_stops_when_out_of_threads);
	return 0;
}

UT_MAIN("reactor", add_tests)
