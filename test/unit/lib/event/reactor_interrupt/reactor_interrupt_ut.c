/*
 * Interrupt mode with a real reactor: the reactor runs on its own pthread
 * (the fake env's "lcore") and must sleep when its threads have nothing to
 * do, and wake for a message, for a timed poller's timerfd, and for a new
 * thread. Interrupt mode is process-wide, hence this separate program. Every
 * wait is on a condition with a deadline.
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include <time.h>
#include <unistd.h>

#include "event/event_internal.h"

#define DEADLINE_MS 5000

static struct reef_reactor *g_reactor;
static struct reef_thread *g_thread;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait until *value >= want (read atomically), at most DEADLINE_MS. */
static bool
wait_for(const uint64_t *value, uint64_t want)
{
	uint64_t end = now_ms() + DEADLINE_MS;

	while (__atomic_load_n(value, __ATOMIC_ACQUIRE) < want) {
		if (now_ms() > end) {
			return false;
		}
		usleep(200);
	}
	return true;
}

/* Wait until the reactor is asleep in epoll, at most DEADLINE_MS. */
static bool
wait_asleep(void)
{
	uint64_t end = now_ms() + DEADLINE_MS;

	while (__atomic_load_n(&g_reactor->shm->in_interrupt, __ATOMIC_ACQUIRE) == 0) {
		if (now_ms() > end) {
			return false;
		}
		usleep(200);
	}
	return true;
}

static void
start_reactor(void)
{
	struct reef_cpuset mask;

	CU_ASSERT_FATAL(reef_interrupt_mode_enable() == 0 || reef_interrupt_mode_is_enabled());
	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, 0, true);
	reef_env_fake_set_lcores(&mask);
	ut_env_init(NULL);
	reef__stall_init(0, 0);
	CU_ASSERT_FATAL(reef__reactors_init(g_ut_region, &mask, true, 0) == 0);
	CU_ASSERT_FATAL(reef_thread_lib_init_ext(reef__scheduler_thread_op,
						 reef__scheduler_thread_op_supported,
						 sizeof(struct reef_lw_thread)) == 0);
	g_reactor = reef__reactor_get(0);
	g_thread = reef_thread_create("sleeper", NULL);
	CU_ASSERT_FATAL(g_thread != NULL);
	CU_ASSERT_FATAL(reef_env_lcore_launch(0, reef__reactor_run, g_reactor) == 0);
}

static void
exit_msg(void *arg)
{
	(void)arg;
	reef_thread_exit(reef_get_thread());
}

static void
stop_reactor(void)
{
	reef__reactors_stop();
	reef_thread_send_msg(g_thread, exit_msg, NULL);
	CU_ASSERT(reef_env_lcore_wait(0) == 0);
	CU_ASSERT(g_reactor->stopped);
	CU_ASSERT(reef_thread_get_count() == 0);
	reef_thread_lib_fini();
	reef__reactors_fini();
	ut_env_fini();
}

static uint64_t g_msgs;

static void
count_msg(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&g_msgs, 1, __ATOMIC_RELEASE);
}

static uint64_t g_timer_runs;
static uint64_t g_active_runs;
static struct reef_poller *g_timer;
static struct reef_poller *g_active;

static int
timer_fn(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&g_timer_runs, 1, __ATOMIC_RELEASE);
	return REEF_POLLER_BUSY;
}

static int
active_fn(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&g_active_runs, 1, __ATOMIC_RELEASE);
	return REEF_POLLER_IDLE;
}

static void
add_timer(void *arg)
{
	(void)arg;
	g_timer = reef_poller_register_named(timer_fn, NULL, 5000, "ticker");
}

static void
remove_timer(void *arg)
{
	(void)arg;
	reef_poller_unregister(&g_timer);
}

static void
add_active(void *arg)
{
	(void)arg;
	g_active = reef_poller_register_named(active_fn, NULL, 0, "spinner");
}

static void
remove_active(void *arg)
{
	(void)arg;
	reef_poller_unregister(&g_active);
}

static void
reactor_sleeps_and_wakes(void)
{
	uint64_t sleeps;

	start_reactor();
	/* A thread without pollers: the reactor goes to sleep. */
	CU_ASSERT(wait_for(&g_reactor->shm->sleeps, 1));

	/* A message from a non-Reef thread wakes it and runs. */
	g_msgs = 0;
	CU_ASSERT(reef_thread_send_msg(g_thread, count_msg, NULL) == 0);
	CU_ASSERT(wait_for(&g_msgs, 1));
	CU_ASSERT(wait_asleep());
	/* Many messages, none lost. */
	for (int i = 0; i < 500; i++) {
		reef_thread_send_msg(g_thread, count_msg, NULL);
	}
	CU_ASSERT(wait_for(&g_msgs, 501));

	/* A timed poller's timerfd wakes it on time, again and again. */
	reef_thread_send_msg(g_thread, add_timer, NULL);
	CU_ASSERT(wait_for(&g_timer_runs, 3));
	reef_thread_send_msg(g_thread, remove_timer, NULL);

	/* An active poller keeps the thread (and so the reactor) awake. */
	reef_thread_send_msg(g_thread, add_active, NULL);
	CU_ASSERT(wait_for(&g_active_runs, 1));
	sleeps = __atomic_load_n(&g_reactor->shm->sleeps, __ATOMIC_RELAXED);
	CU_ASSERT(wait_for(&g_active_runs, 20000));
	CU_ASSERT(__atomic_load_n(&g_reactor->shm->sleeps, __ATOMIC_RELAXED) <= sleeps + 1);
	CU_ASSERT(!reef_thread_is_in_interrupt(g_thread));
	reef_thread_send_msg(g_thread, remove_active, NULL);
	CU_ASSERT(wait_for(&g_reactor->shm->sleeps, sleeps + 1));
	CU_ASSERT(wait_asleep());
	CU_ASSERT(reef_thread_is_in_interrupt(g_thread));
	stop_reactor();
}

static uint64_t g_new_ran;

static void
new_thread_msg(void *arg)
{
	(void)arg;
	__atomic_store_n(&g_new_ran, 1, __ATOMIC_RELEASE);
	reef_thread_exit(reef_get_thread());
}

static void
reactor_wakes_for_a_new_thread(void)
{
	struct reef_thread *t;

	start_reactor();
	CU_ASSERT(wait_for(&g_reactor->shm->sleeps, 1));
	t = reef_thread_create("newcomer", NULL);
	CU_ASSERT_FATAL(t != NULL);
	g_new_ran = 0;
	reef_thread_send_msg(t, new_thread_msg, NULL);
	CU_ASSERT(wait_for(&g_new_ran, 1));
	stop_reactor();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, reactor_sleeps_and_wakes);
	UT_ADD(suite, reactor_wakes_for_a_new_thread);
	return 0;
}

UT_MAIN("reactor_interrupt", add_tests)
