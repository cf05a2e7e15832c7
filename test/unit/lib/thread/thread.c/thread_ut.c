/*
 * Thread lifecycle: creation and its shared record, ids and names, exit
 * conditions and timeout, busy/idle accounting, context, lookup, cpumask and
 * the framework's thread operations.
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include <errno.h>

#include "reef/shm.h"

static bool
read_thread_slot(const struct reef_thread *thread, struct reef_shm_thread *out)
{
	return reef_shm_read(g_ut_region, REEF_SHM_THREADS, reef_thread_get_slot(thread), out) == 0;
}

static int
busy_fn(void *arg)
{
	reef_env_fake_advance_ticks((uint64_t)(uintptr_t)arg);
	return REEF_POLLER_BUSY;
}

static int
idle_fn(void *arg)
{
	reef_env_fake_advance_ticks((uint64_t)(uintptr_t)arg);
	return REEF_POLLER_IDLE;
}

static int
failing_fn(void *arg)
{
	reef_env_fake_advance_ticks((uint64_t)(uintptr_t)arg);
	return -1;
}

static void
thread_create_publishes_its_record(void)
{
	struct reef_shm_thread slot;
	struct reef_cpuset mask;
	struct reef_thread *t;

	ut_allocate_threads(1);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT_STRING_EQUAL(slot.name, "ut_thread0");
	CU_ASSERT(slot.id == reef_thread_get_id(ut_thread(0)));
	CU_ASSERT(slot.state == REEF_SHM_THREAD_RUNNING);
	CU_ASSERT(slot.lcore == UINT32_MAX);
	CU_ASSERT(slot.flags & REEF_SHM_THREAD_F_APP);
	CU_ASSERT(slot.cpumask[0] == UINT64_MAX && slot.cpumask[1] == UINT64_MAX);
	CU_ASSERT(reef_thread_get_app_thread() == ut_thread(0));
	CU_ASSERT(reef_shm_get_header(g_ut_region)->thread_count == 1);

	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, 1, true);
	t = reef_thread_create("masked", &mask);
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT(reef_cpuset_equal(reef_thread_get_cpumask(t), &mask));
	CU_ASSERT_FATAL(read_thread_slot(t, &slot));
	CU_ASSERT(slot.cpumask[0] == 2 && slot.cpumask[1] == 0);
	CU_ASSERT(!(slot.flags & REEF_SHM_THREAD_F_APP));
	CU_ASSERT(reef_thread_get_count() == 2);

	reef_set_thread(t);
	reef_thread_exit(t);
	reef_thread_poll(t, 0, 0);
	reef_thread_destroy(t);
	CU_ASSERT(reef_thread_get_count() == 1);
	ut_free_threads();
}

static void
thread_ids_are_never_reused(void)
{
	uint64_t last;
	int i;

	ut_allocate_threads(1);
	last = reef_thread_get_id(ut_thread(0));
	for (i = 0; i < 40; i++) {
		struct reef_thread *t = reef_thread_create(NULL, NULL);
		uint64_t id;

		CU_ASSERT_FATAL(t != NULL);
		id = reef_thread_get_id(t);
		CU_ASSERT(id > last);
		last = id;
		CU_ASSERT(reef_thread_get_by_id(id) == t);
		reef_set_thread(t);
		reef_thread_exit(t);
		reef_thread_poll(t, 0, 0);
		reef_thread_destroy(t);
		CU_ASSERT(reef_thread_get_by_id(id) == NULL);
	}
	ut_free_threads();
}

static void
thread_names_truncated_and_defaulted(void)
{
	const char *long_name = "a-thread-name-that-goes-on-well-past-the-slot-size";
	struct reef_thread *named, *anon;
	char expect[32];

	ut_allocate_threads(1);
	named = reef_thread_create(long_name, NULL);
	anon = reef_thread_create(NULL, NULL);
	CU_ASSERT(strlen(reef_thread_get_name(named)) == REEF_SHM_NAME_LEN - 1);
	CU_ASSERT(strncmp(reef_thread_get_name(named), long_name, REEF_SHM_NAME_LEN - 1) == 0);
	snprintf(expect, sizeof(expect), "thread%llu",
		 (unsigned long long)reef_thread_get_id(anon));
	CU_ASSERT_STRING_EQUAL(reef_thread_get_name(anon), expect);
	reef_set_thread(named);
	reef_thread_exit(named);
	reef_thread_poll(named, 0, 0);
	reef_thread_destroy(named);
	reef_set_thread(anon);
	reef_thread_exit(anon);
	reef_thread_poll(anon, 0, 0);
	reef_thread_destroy(anon);
	ut_free_threads();
}

static void
thread_table_full_names_the_option(void)
{
	struct reef_thread *extra[64];
	int n = 0, i;

	ut_allocate_threads(1);
	ut_log_capture();
	for (i = 0; i < 64; i++) {
		extra[i] = reef_thread_create("filler", NULL);
		if (extra[i] == NULL) {
			break;
		}
		n++;
	}
	ut_log_release();
	/* ut limits allow 32 threads, one is ut_thread0. */
	CU_ASSERT(n == 31);
	CU_ASSERT(strstr(g_ut_last_log, "--max-threads") != NULL);
	for (i = 0; i < n; i++) {
		reef_set_thread(extra[i]);
		reef_thread_exit(extra[i]);
		reef_thread_poll(extra[i], 0, 0);
		reef_thread_destroy(extra[i]);
	}
	CU_ASSERT(reef_shm_get_header(g_ut_region)->thread_count == 1);
	ut_free_threads();
}

static void
thread_exit_waits_for_pollers(void)
{
	struct reef_poller *active, *timed;
	struct reef_shm_thread slot;

	ut_allocate_threads(1);
	ut_set_thread(0);
	active = reef_poller_register(idle_fn, NULL, 0);
	timed = reef_poller_register(idle_fn, NULL, 1000);
	CU_ASSERT(reef_thread_exit(ut_thread(0)) == 0);
	/* Exiting twice is fine. */
	CU_ASSERT(reef_thread_exit(ut_thread(0)) == 0);
	CU_ASSERT(!reef_thread_is_running(ut_thread(0)));
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.state == REEF_SHM_THREAD_EXITING);
	ut_poll_thread(0);
	CU_ASSERT(!reef_thread_is_exited(ut_thread(0)));
	ut_set_thread(0);
	reef_poller_unregister(&active);
	ut_poll_thread(0);
	CU_ASSERT(!reef_thread_is_exited(ut_thread(0)));
	ut_set_thread(0);
	reef_poller_unregister(&timed);
	ut_poll_thread(0);
	CU_ASSERT(reef_thread_is_exited(ut_thread(0)));
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.state == REEF_SHM_THREAD_EXITED);
	ut_free_threads();
}

static void
thread_exit_waits_for_paused_poller(void)
{
	struct reef_poller *p;

	ut_allocate_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(idle_fn, NULL, 0);
	reef_poller_pause(p);
	ut_poll_thread(0);
	ut_set_thread(0);
	reef_thread_exit(ut_thread(0));
	ut_poll_thread(0);
	CU_ASSERT(!reef_thread_is_exited(ut_thread(0)));
	ut_set_thread(0);
	reef_poller_unregister(&p);
	ut_poll_thread(0);
	CU_ASSERT(reef_thread_is_exited(ut_thread(0)));
	ut_free_threads();
}

static void
thread_exit_times_out_after_five_seconds(void)
{
	struct reef_poller *p;

	ut_allocate_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(idle_fn, NULL, 0);
	reef_thread_exit(ut_thread(0));
	reef_env_fake_advance_ticks(REEF_THREAD_EXIT_TIMEOUT_SEC * 1000000ULL - 1);
	ut_poll_thread(0);
	CU_ASSERT(!reef_thread_is_exited(ut_thread(0)));
	ut_log_capture();
	reef_env_fake_advance_ticks(1);
	ut_poll_thread(0);
	ut_log_release();
	CU_ASSERT(reef_thread_is_exited(ut_thread(0)));
	CU_ASSERT(strstr(g_ut_last_log, "forcing") != NULL);
	ut_log_capture();
	/* An exited thread takes no more messages. */
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), NULL, NULL) == -EIO);
	(void)p;
	ut_free_threads();
	ut_log_release();
}

static void
thread_exit_only_on_itself(void)
{
	ut_allocate_threads(2);
	ut_set_thread(1);
	ut_log_capture();
	CU_ASSERT(reef_thread_exit(ut_thread(0)) == -EINVAL);
	ut_log_release();
	CU_ASSERT(reef_thread_is_running(ut_thread(0)));
	ut_free_threads();
}

static void
thread_destroy_refuses_a_running_thread(void)
{
	ut_allocate_threads(1);
	ut_log_capture();
	reef_thread_destroy(ut_thread(0));
	ut_log_release();
	CU_ASSERT(strstr(g_ut_last_log, "exited before") != NULL);
	CU_ASSERT(reef_thread_get_count() == 1);
	ut_free_threads();
}

static void
thread_busy_and_idle_ticks_follow_return_codes(void)
{
	struct reef_thread_stats stats;
	struct reef_poller *p;
	struct reef_shm_thread slot;

	ut_allocate_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(busy_fn, (void *)(uintptr_t)30, 0);
	ut_poll_thread(0);
	ut_set_thread(0);
	CU_ASSERT(reef_thread_get_stats(&stats) == 0);
	CU_ASSERT(stats.busy_tsc == 30 && stats.idle_tsc == 0);
	reef_poller_unregister(&p);
	ut_poll_thread(0);

	ut_set_thread(0);
	p = reef_poller_register(idle_fn, (void *)(uintptr_t)7, 0);
	ut_poll_thread(0);
	ut_set_thread(0);
	reef_thread_get_stats(&stats);
	CU_ASSERT(stats.busy_tsc == 30 && stats.idle_tsc == 7);
	reef_poller_unregister(&p);
	ut_poll_thread(0);

	/* A poller that fails did no useful work: the poll counts as idle. */
	ut_set_thread(0);
	p = reef_poller_register(failing_fn, (void *)(uintptr_t)5, 0);
	ut_poll_thread(0);
	ut_set_thread(0);
	reef_thread_get_stats(&stats);
	CU_ASSERT(stats.busy_tsc == 30 && stats.idle_tsc == 12);
	reef_poller_unregister(&p);

	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.busy_tsc == 30 && slot.idle_tsc == 12);
	CU_ASSERT(slot.polls == 5);
	CU_ASSERT(slot.last_tsc == reef_thread_get_last_tsc(ut_thread(0)));
	CU_ASSERT(reef_thread_get_last_tsc(ut_thread(0)) == reef_get_ticks());
	ut_free_threads();
}

static void
thread_get_stats_needs_a_thread(void)
{
	struct reef_thread_stats stats;

	ut_allocate_threads(1);
	reef_set_thread(NULL);
	CU_ASSERT(reef_thread_get_stats(&stats) == -EINVAL);
	ut_set_thread(0);
	CU_ASSERT(reef_thread_get_stats(NULL) == -EINVAL);
	ut_free_threads();
}

static void
thread_ctx_round_trip(void)
{
	struct reef_thread *t;
	uint64_t *ctx;

	ut_allocate_threads_ext(2, 48);
	ctx = reef_thread_get_ctx(ut_thread(1));
	CU_ASSERT_FATAL(ctx != NULL);
	CU_ASSERT(((uintptr_t)ctx % 64) == 0);
	ctx[5] = 0xfeed;
	t = reef_thread_get_from_ctx(ctx);
	CU_ASSERT(t == ut_thread(1));
	CU_ASSERT(((uint64_t *)reef_thread_get_ctx(t))[5] == 0xfeed);
	CU_ASSERT(reef_thread_get_from_ctx(NULL) == NULL);
	ut_free_threads();

	ut_allocate_threads(1);
	CU_ASSERT(reef_thread_get_ctx(ut_thread(0)) == NULL);
	ut_free_threads();
}

static int g_by_id_runs;

static void
count_by_id_fn(void *ctx)
{
	CU_ASSERT(reef_get_thread() == ctx);
	g_by_id_runs++;
}

/* Sending by id (what messages from other processes do): found, unknown, exited. */
static void
thread_send_msg_by_id_finds_only_running_threads(void)
{
	uint64_t id1, gone;
	int i;

	ut_allocate_threads(3);
	id1 = reef_thread_get_id(ut_thread(1));
	g_by_id_runs = 0;
	CU_ASSERT(reef_thread_send_msg_by_id(id1, count_by_id_fn, ut_thread(1)) == 0);
	CU_ASSERT(reef_thread_send_msg_by_id(0, count_by_id_fn, NULL) == -ESRCH);
	CU_ASSERT(reef_thread_send_msg_by_id(999999, count_by_id_fn, NULL) == -ESRCH);
	ut_poll_threads();
	CU_ASSERT(g_by_id_runs == 1);
	/* Many threads come and go: the live ones stay findable, the gone ones do not. */
	for (i = 0; i < 50; i++) {
		struct reef_thread *t = reef_thread_create(NULL, NULL);

		CU_ASSERT_FATAL(t != NULL);
		gone = reef_thread_get_id(t);
		reef_set_thread(t);
		reef_thread_exit(t);
		/* Exiting: no longer running, so nothing new is accepted. */
		CU_ASSERT(reef_thread_send_msg_by_id(gone, count_by_id_fn, t) == -ESRCH);
		reef_thread_poll(t, 0, 0);
		reef_thread_destroy(t);
		CU_ASSERT(reef_thread_send_msg_by_id(gone, count_by_id_fn, NULL) == -ESRCH);
	}
	reef_set_thread(NULL);
	CU_ASSERT(reef_thread_send_msg_by_id(id1, count_by_id_fn, ut_thread(1)) == 0);
	ut_poll_threads();
	CU_ASSERT(g_by_id_runs == 2);
	ut_free_threads();
}

static void
thread_lookup_and_iteration(void)
{
	struct reef_thread *t;
	int n = 0;

	ut_allocate_threads(3);
	CU_ASSERT(reef_thread_get_by_id(0) == NULL);
	CU_ASSERT(reef_thread_get_by_id(999999) == NULL);
	CU_ASSERT(reef_thread_get_by_id(reef_thread_get_id(ut_thread(2))) == ut_thread(2));
	for (t = reef_thread_get_first(); t != NULL; t = reef_thread_get_next(t)) {
		CU_ASSERT(t == ut_thread(n));
		n++;
	}
	CU_ASSERT(n == 3);
	CU_ASSERT(reef_thread_get_count() == 3);
	ut_free_threads();
}

static void
thread_idle_and_poller_predicates(void)
{
	struct reef_poller *active, *timed;
	struct reef_thread *t;

	ut_allocate_threads(1);
	t = ut_thread(0);
	CU_ASSERT(reef_thread_is_idle(t));
	CU_ASSERT(!reef_thread_has_pollers(t));
	ut_set_thread(0);
	timed = reef_poller_register(idle_fn, NULL, 100);
	CU_ASSERT(!reef_thread_is_idle(t));
	CU_ASSERT(reef_thread_has_pollers(t));
	CU_ASSERT(!reef_thread_has_active_pollers(t));
	active = reef_poller_register(idle_fn, NULL, 0);
	CU_ASSERT(reef_thread_has_active_pollers(t));
	reef_poller_unregister(&active);
	reef_poller_pause(timed);
	ut_poll_thread(0);
	/* Paused pollers don't make a thread busy, but they are still its pollers. */
	CU_ASSERT(reef_thread_is_idle(t));
	CU_ASSERT(reef_thread_has_pollers(t));
	CU_ASSERT(reef_thread_send_msg(t, (reef_msg_fn)(uintptr_t)idle_fn, NULL) == 0);
	CU_ASSERT(!reef_thread_is_idle(t));
	ut_poll_thread(0);
	CU_ASSERT(reef_thread_is_idle(t));
	ut_set_thread(0);
	reef_poller_unregister(&timed);
	ut_free_threads();
}

static int g_resched_calls;
static struct reef_thread *g_resched_thread;

static int
thread_op(struct reef_thread *thread, enum reef_thread_op op)
{
	if (op == REEF_THREAD_OP_RESCHED) {
		g_resched_calls++;
		g_resched_thread = thread;
	}
	return 0;
}

static bool
thread_op_supported(enum reef_thread_op op)
{
	return op == REEF_THREAD_OP_RESCHED;
}

static void
thread_set_cpumask_reschedules(void)
{
	struct reef_cpuset mask;
	struct reef_shm_thread slot;
	struct reef_thread *t;

	ut_env_init(NULL);
	CU_ASSERT_FATAL(reef_thread_lib_init_ext(thread_op, thread_op_supported, 0) == 0);
	t = reef_thread_create("movable", NULL);
	CU_ASSERT_FATAL(t != NULL);
	reef_set_thread(t);
	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, 3, true);
	g_resched_calls = 0;
	CU_ASSERT(reef_thread_set_cpumask(&mask) == 0);
	CU_ASSERT(g_resched_calls == 1 && g_resched_thread == t);
	CU_ASSERT(reef_cpuset_equal(reef_thread_get_cpumask(t), &mask));
	CU_ASSERT_FATAL(
		reef_shm_read(g_ut_region, REEF_SHM_THREADS, reef_thread_get_slot(t), &slot) == 0);
	CU_ASSERT(slot.cpumask[0] == 8);
	/* An empty mask is refused and changes nothing. */
	reef_cpuset_zero(&mask);
	ut_log_capture();
	CU_ASSERT(reef_thread_set_cpumask(&mask) == -EINVAL);
	reef_set_thread(NULL);
	CU_ASSERT(reef_thread_set_cpumask(&mask) == -EINVAL);
	ut_log_release();
	CU_ASSERT(g_resched_calls == 1);
	reef_set_thread(t);
	reef_thread_exit(t);
	reef_thread_poll(t, 0, 0);
	reef_thread_destroy(t);
	reef_thread_lib_fini();
	ut_env_fini();
}

static void
thread_set_cpumask_unsupported_without_resched(void)
{
	struct reef_cpuset mask;

	ut_allocate_threads(1);
	ut_set_thread(0);
	reef_cpuset_fill(&mask);
	ut_log_capture();
	CU_ASSERT(reef_thread_set_cpumask(&mask) == -ENOTSUP);
	ut_log_release();
	ut_free_threads();
}

static void
thread_lib_init_checks(void)
{
	ut_log_capture();
	/* No region yet. */
	CU_ASSERT(reef_thread_lib_init(NULL, 0) == -ENODEV);
	ut_env_init(NULL);
	CU_ASSERT(reef_thread_lib_init_ext(thread_op, NULL, 0) == -EINVAL);
	CU_ASSERT(reef_thread_lib_init(NULL, 0) == 0);
	CU_ASSERT(reef_thread_lib_init(NULL, 0) == -EALREADY);
	ut_log_release();
	reef_thread_lib_fini();
	ut_env_fini();
}

static int
refuse_thread(struct reef_thread *thread)
{
	(void)thread;
	return -EPERM;
}

static void
thread_refused_by_framework_leaves_nothing(void)
{
	ut_env_init(NULL);
	CU_ASSERT_FATAL(reef_thread_lib_init(refuse_thread, 0) == 0);
	ut_log_capture();
	CU_ASSERT(reef_thread_create("refused", NULL) == NULL);
	ut_log_release();
	CU_ASSERT(reef_thread_get_count() == 0);
	CU_ASSERT(reef_shm_get_header(g_ut_region)->thread_count == 0);
	reef_thread_lib_fini();
	ut_env_fini();
}

static void
thread_bind_is_published(void)
{
	struct reef_shm_thread slot;

	ut_allocate_threads(1);
	CU_ASSERT(!reef_thread_is_bound(ut_thread(0)));
	reef_thread_bind(ut_thread(0), true);
	CU_ASSERT(reef_thread_is_bound(ut_thread(0)));
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.flags & REEF_SHM_THREAD_F_BOUND);
	reef_thread_bind(ut_thread(0), false);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(!(slot.flags & REEF_SHM_THREAD_F_BOUND));
	ut_free_threads();
}

static uint64_t g_seen_running;
static struct reef_poller *g_watched;

static int
watch_running_fn(void *arg)
{
	struct reef_shm_thread slot;

	(void)arg;
	/* A reader in another process would see this poller as the one running. */
	if (read_thread_slot(reef_get_thread(), &slot)) {
		g_seen_running = slot.running_poller_id;
	}
	return REEF_POLLER_IDLE;
}

static void
thread_publishes_the_running_poller(void)
{
	struct reef_shm_thread slot;

	ut_allocate_threads(1);
	ut_set_thread(0);
	g_watched = reef_poller_register(watch_running_fn, NULL, 0);
	g_seen_running = 0;
	ut_poll_thread(0);
	CU_ASSERT(g_seen_running == reef_poller_get_id(g_watched));
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.running_poller_id == 0);
	ut_set_thread(0);
	reef_poller_unregister(&g_watched);
	ut_free_threads();
}

static struct reef_thread *g_seen_current;

static int
record_current_fn(void *arg)
{
	(void)arg;
	g_seen_current = reef_get_thread();
	return REEF_POLLER_IDLE;
}

static void
thread_poll_sets_and_restores_current(void)
{
	struct reef_poller *p;

	ut_allocate_threads(2);
	ut_set_thread(0);
	p = reef_poller_register(record_current_fn, NULL, 0);
	ut_set_thread(1);
	ut_poll_thread(0);
	CU_ASSERT(g_seen_current == ut_thread(0));
	CU_ASSERT(reef_get_thread() == ut_thread(1));
	ut_set_thread(0);
	reef_poller_unregister(&p);
	ut_free_threads();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, thread_create_publishes_its_record);
	UT_ADD(suite, thread_ids_are_never_reused);
	UT_ADD(suite, thread_send_msg_by_id_finds_only_running_threads);
	UT_ADD(suite, thread_names_truncated_and_defaulted);
	UT_ADD(suite, thread_table_full_names_the_option);
	UT_ADD(suite, thread_exit_waits_for_pollers);
	UT_ADD(suite, thread_exit_waits_for_paused_poller);
	UT_ADD(suite, thread_exit_times_out_after_five_seconds);
	UT_ADD(suite, thread_exit_only_on_itself);
	UT_ADD(suite, thread_destroy_refuses_a_running_thread);
	UT_ADD(suite, thread_busy_and_idle_ticks_follow_return_codes);
	UT_ADD(suite, thread_get_stats_needs_a_thread);
	UT_ADD(suite, thread_ctx_round_trip);
	UT_ADD(suite, thread_lookup_and_iteration);
	UT_ADD(suite, thread_idle_and_poller_predicates);
	UT_ADD(suite, thread_set_cpumask_reschedules);
	UT_ADD(suite, thread_set_cpumask_unsupported_without_resched);
	UT_ADD(suite, thread_lib_init_checks);
	UT_ADD(suite, thread_refused_by_framework_leaves_nothing);
	UT_ADD(suite, thread_bind_is_published);
	UT_ADD(suite, thread_publishes_the_running_poller);
	UT_ADD(suite, thread_poll_sets_and_restores_current);
	return 0;
}

UT_MAIN("thread", add_tests)
