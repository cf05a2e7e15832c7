/*
 * Interrupt mode: threads sleep on their fd group when they have no active
 * pollers; messages, timed pollers (timerfds) and user fds wake them. The
 * mode is process-global, so these tests have their own program.
 *
 * Timerfds run on real time while the fake clock stands still: every wait
 * here is for a condition, with a deadline, never a bare sleep.
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "reef/shm.h"

#define WAIT_MS 2000

static void
ut_allocate_interrupt_threads(int n)
{
	/* Idempotent while the library is down; the first test checks the refusal after. */
	CU_ASSERT_FATAL(reef_interrupt_mode_enable() == 0);
	ut_allocate_threads(n);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Whether fd becomes readable within timeout_ms (0: is it readable now). */
static bool
wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		uint64_t now = now_ms();
		int left = now >= deadline ? 0 : (int)(deadline - now);
		int rc = poll(&pfd, 1, left);

		if (rc > 0) {
			return (pfd.revents & POLLIN) != 0;
		}
		if (rc == 0 || errno != EINTR) {
			return false;
		}
	}
}

static bool
readable_now(int fd)
{
	return wait_readable(fd, 0);
}

static int
thread_fd(int idx)
{
	return reef_thread_get_interrupt_fd(ut_thread(idx));
}

static bool
shm_in_interrupt(int idx)
{
	struct reef_shm_thread slot;

	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_THREADS,
				      reef_thread_get_slot(ut_thread(idx)), &slot) == 0);
	return slot.in_interrupt == 1;
}

static void
efd_write(int efd)
{
	uint64_t one = 1;

	CU_ASSERT(write(efd, &one, sizeof(one)) == sizeof(one));
}

static int
open_fd_count(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	CU_ASSERT_FATAL(dir != NULL);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] != '.') {
			n++;
		}
	}
	closedir(dir);
	return n;
}

static int g_msgs;
static struct reef_thread *g_msg_thread;

static void
count_msg(void *ctx)
{
	(void)ctx;
	g_msgs++;
	g_msg_thread = reef_get_thread();
}

struct counter {
	int runs;
	int rc;
	struct reef_thread *thread;
};

static int
count_fn(void *arg)
{
	struct counter *c = arg;

	c->runs++;
	c->thread = reef_get_thread();
	return c->rc;
}

static void
interrupt_mode_enable_refused_after_init(void)
{
	CU_ASSERT(reef_interrupt_mode_enable() == 0);
	CU_ASSERT(reef_interrupt_mode_is_enabled());
	ut_allocate_threads(1);
	ut_log_capture();
	CU_ASSERT(reef_interrupt_mode_enable() == -EALREADY);
	ut_log_release();
	CU_ASSERT(strstr(g_ut_last_log, "before") != NULL);
	CU_ASSERT(reef_interrupt_mode_is_enabled());
	ut_free_threads();
	/* Down again, it may be called again. */
	CU_ASSERT(reef_interrupt_mode_enable() == 0);
}

static void
thread_without_active_pollers_is_in_interrupt(void)
{
	ut_allocate_interrupt_threads(2);
	CU_ASSERT(reef_thread_is_in_interrupt(ut_thread(0)));
	CU_ASSERT(reef_thread_is_in_interrupt(ut_thread(1)));
	CU_ASSERT(shm_in_interrupt(0) && shm_in_interrupt(1));
	CU_ASSERT(thread_fd(0) >= 0 && thread_fd(1) >= 0);
	CU_ASSERT(thread_fd(0) != thread_fd(1));
	/* Nothing to do: nothing to wake for, and polling is idle. */
	CU_ASSERT(!readable_now(thread_fd(0)));
	CU_ASSERT(ut_poll_thread(0) == 0);
	CU_ASSERT(reef_thread_is_in_interrupt(ut_thread(0)));
	ut_free_threads();
}

static void
send_msg_makes_interrupt_fd_readable(void)
{
	ut_allocate_interrupt_threads(2);
	g_msgs = 0;
	ut_set_thread(1);
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), count_msg, NULL) == 0);
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	/* Only thread 0's fd: thread 1 was not signalled. */
	CU_ASSERT(!readable_now(thread_fd(1)));
	/* Readable does not mean run: the message waits for the poll. */
	CU_ASSERT(g_msgs == 0);
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(g_msgs == 1);
	CU_ASSERT(g_msg_thread == ut_thread(0));
	CU_ASSERT(!readable_now(thread_fd(0)));
	CU_ASSERT(ut_poll_thread(0) == 0);
	CU_ASSERT(g_msgs == 1);
	ut_free_threads();
}

static void
critical_msg_makes_interrupt_fd_readable(void)
{
	ut_allocate_interrupt_threads(1);
	g_msgs = 0;
	CU_ASSERT(reef_thread_send_critical_msg(ut_thread(0), count_msg) == 0);
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(g_msgs == 1);
	CU_ASSERT(!readable_now(thread_fd(0)));
	ut_free_threads();
}

static void
messages_beyond_a_batch_keep_the_fd_readable(void)
{
	struct reef_shm_thread slot;
	int i;

	ut_allocate_interrupt_threads(1);
	g_msgs = 0;
	for (i = 0; i < 2 * REEF_MSG_BATCH_SIZE + 4; i++) {
		CU_ASSERT(reef_thread_send_msg(ut_thread(0), count_msg, NULL) == 0);
	}
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(g_msgs == REEF_MSG_BATCH_SIZE);
	/* What was left behind signals again. */
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(g_msgs == 2 * REEF_MSG_BATCH_SIZE);
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(g_msgs == 2 * REEF_MSG_BATCH_SIZE + 4);
	CU_ASSERT(!readable_now(thread_fd(0)));
	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_THREADS,
				      reef_thread_get_slot(ut_thread(0)), &slot) == 0);
	CU_ASSERT(slot.msgs_executed == 2 * REEF_MSG_BATCH_SIZE + 4);
	ut_free_threads();
}

static void
active_poller_leaves_interrupt_and_unregister_reenters(void)
{
	struct counter c = {.rc = REEF_POLLER_BUSY};
	struct reef_poller *p;

	ut_allocate_interrupt_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &c, 0);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(!reef_thread_is_in_interrupt(ut_thread(0)));
	CU_ASSERT(!shm_in_interrupt(0));
	/* Polled as usual: the active poller runs every poll. */
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(c.runs == 2);
	ut_set_thread(0);
	reef_poller_unregister(&p);
	CU_ASSERT(reef_thread_is_in_interrupt(ut_thread(0)));
	CU_ASSERT(shm_in_interrupt(0));
	CU_ASSERT(ut_poll_thread(0) == 0);
	CU_ASSERT(c.runs == 2);
	/* The interrupt-state poll tidied the unregistered poller away. */
	CU_ASSERT(!reef_thread_has_pollers(ut_thread(0)));
	CU_ASSERT(reef_shm_get_header(g_ut_region)->poller_count == 0);
	ut_free_threads();
}

static void
paused_active_poller_reenters_interrupt(void)
{
	struct counter c = {0};
	struct reef_poller *p;

	ut_allocate_interrupt_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &c, 0);
	CU_ASSERT(!reef_thread_is_in_interrupt(ut_thread(0)));
	reef_poller_pause(p);
	CU_ASSERT(reef_thread_is_in_interrupt(ut_thread(0)));
	ut_poll_thread(0);
	CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_PAUSED);
	CU_ASSERT(c.runs == 0);
	ut_set_thread(0);
	reef_poller_resume(p);
	CU_ASSERT(!reef_thread_is_in_interrupt(ut_thread(0)));
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 1);
	ut_set_thread(0);
	reef_poller_unregister(&p);
	CU_ASSERT(reef_thread_is_in_interrupt(ut_thread(0)));
	ut_free_threads();
}

static void
message_queued_while_polling_signals_on_entering_interrupt(void)
{
	struct counter c = {0};
	struct reef_poller *p;

	ut_allocate_interrupt_threads(2);
	g_msgs = 0;
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &c, 0);
	/* Thread 0 is being polled: senders do not write its eventfd. */
	ut_set_thread(1);
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), count_msg, NULL) == 0);
	CU_ASSERT(!readable_now(thread_fd(0)));
	/* Going to sleep with a message queued, the thread signals itself. */
	ut_set_thread(0);
	reef_poller_unregister(&p);
	CU_ASSERT(reef_thread_is_in_interrupt(ut_thread(0)));
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	CU_ASSERT(g_msgs == 0);
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(g_msgs == 1);
	ut_free_threads();
}

static struct counter g_late;
static struct reef_poller *g_late_poller;

static void
register_poller_msg(void *ctx)
{
	(void)ctx;
	g_msgs++;
	g_late_poller = reef_poller_register(count_fn, &g_late, 0);
}

static void
poller_registered_by_message_leaves_interrupt(void)
{
	int i;

	ut_allocate_interrupt_threads(1);
	g_msgs = 0;
	memset(&g_late, 0, sizeof(g_late));
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), register_poller_msg, NULL) == 0);
	for (i = 0; i < REEF_MSG_BATCH_SIZE + 2; i++) {
		CU_ASSERT(reef_thread_send_msg(ut_thread(0), count_msg, NULL) == 0);
	}
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(g_msgs == REEF_MSG_BATCH_SIZE);
	CU_ASSERT(g_late_poller != NULL);
	CU_ASSERT(!reef_thread_is_in_interrupt(ut_thread(0)));
	/* The rest run in ordinary polls, with the new poller. */
	ut_poll_thread(0);
	CU_ASSERT(g_msgs == REEF_MSG_BATCH_SIZE + 3);
	CU_ASSERT(g_late.runs == 1);
	ut_set_thread(0);
	reef_poller_unregister(&g_late_poller);
	CU_ASSERT(reef_thread_is_in_interrupt(ut_thread(0)));
	ut_free_threads();
}

static void
timed_poller_timerfd_wakes_the_thread(void)
{
	struct counter c = {.rc = REEF_POLLER_BUSY};
	struct reef_poller_stats stats;
	struct reef_poller *p;

	ut_allocate_interrupt_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &c, 1000);
	CU_ASSERT_FATAL(p != NULL);
	/* A timed poller does not keep the thread awake. */
	CU_ASSERT(reef_thread_is_in_interrupt(ut_thread(0)));
	/* The fake clock stands still: only the timerfd can make it run. */
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	CU_ASSERT(c.runs == 0);
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(c.runs == 1);
	CU_ASSERT(c.thread == ut_thread(0));
	reef_poller_get_stats(p, &stats);
	CU_ASSERT(stats.run_count == 1 && stats.busy_count == 1);
	/* It keeps firing, period after period. */
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 2);
	ut_set_thread(0);
	reef_poller_unregister(&p);
	ut_poll_thread(0);
	CU_ASSERT(!reef_thread_has_pollers(ut_thread(0)));
	ut_free_threads();
}

static void
paused_timed_poller_timerfd_is_disarmed(void)
{
	struct counter paused = {0}, slow = {0};
	struct reef_poller *p, *s;

	ut_allocate_interrupt_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &paused, 1000);
	reef_poller_pause(p);
	s = reef_poller_register(count_fn, &slow, 50000);
	/* By the time the 50 ms poller fires, a 1 ms timer would have fired many times. */
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(slow.runs == 1);
	CU_ASSERT(paused.runs == 0);
	CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_PAUSED);
	/* Resumed, it is armed again. */
	ut_set_thread(0);
	reef_poller_resume(p);
	while (paused.runs == 0 && wait_readable(thread_fd(0), WAIT_MS)) {
		ut_poll_thread(0);
	}
	CU_ASSERT(paused.runs >= 1);
	ut_set_thread(0);
	reef_poller_unregister(&p);
	reef_poller_unregister(&s);
	ut_free_threads();
}

static void
timed_poller_follows_the_clock_while_awake_and_timerfd_when_asleep(void)
{
	struct counter act = {0}, timed = {0};
	struct reef_poller *a, *t;

	ut_allocate_interrupt_threads(1);
	ut_set_thread(0);
	a = reef_poller_register(count_fn, &act, 0);
	t = reef_poller_register(count_fn, &timed, 1000);
	/* Awake: the timed poller is due by the (fake) clock, as without interrupt mode. */
	ut_poll_thread(0);
	CU_ASSERT(timed.runs == 0);
	reef_env_fake_advance_ticks(1000);
	ut_poll_thread(0);
	CU_ASSERT(timed.runs == 1);
	/* Asleep again: its timerfd is armed for the next run. */
	ut_set_thread(0);
	reef_poller_unregister(&a);
	CU_ASSERT(reef_thread_is_in_interrupt(ut_thread(0)));
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(timed.runs == 2);
	ut_set_thread(0);
	reef_poller_unregister(&t);
	ut_free_threads();
}

static struct reef_poller *g_self;

static int
unregister_self_fn(void *arg)
{
	struct counter *c = arg;

	c->runs++;
	reef_poller_unregister(&g_self);
	return REEF_POLLER_BUSY;
}

static void
timed_poller_unregisters_itself_from_timerfd_run(void)
{
	struct counter c = {0};

	ut_allocate_interrupt_threads(1);
	ut_set_thread(0);
	g_self = reef_poller_register(unregister_self_fn, &c, 1000);
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(c.runs == 1);
	CU_ASSERT(g_self == NULL);
	CU_ASSERT(!reef_thread_has_pollers(ut_thread(0)));
	CU_ASSERT(reef_shm_get_header(g_ut_region)->poller_count == 0);
	CU_ASSERT(!readable_now(thread_fd(0)));
	ut_free_threads();
}

struct efd_ctx {
	int efd;
	int calls;
	bool consume;
	struct reef_thread *thread;
};

static int
efd_fn(void *arg)
{
	struct efd_ctx *e = arg;
	uint64_t v;

	e->calls++;
	e->thread = reef_get_thread();
	if (e->consume) {
		CU_ASSERT(read(e->efd, &v, sizeof(v)) == sizeof(v));
	}
	return REEF_POLLER_BUSY;
}

static void
interrupt_register_calls_fn_when_fd_written(void)
{
	struct efd_ctx e = {.consume = true};
	struct reef_interrupt *intr;

	ut_allocate_interrupt_threads(2);
	e.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CU_ASSERT_FATAL(e.efd >= 0);
	ut_set_thread(1);
	intr = reef_interrupt_register(e.efd, efd_fn, &e, "my_efd");
	CU_ASSERT_FATAL(intr != NULL);
	CU_ASSERT(!readable_now(thread_fd(1)));
	efd_write(e.efd);
	CU_ASSERT(wait_readable(thread_fd(1), WAIT_MS));
	CU_ASSERT(!readable_now(thread_fd(0)));
	CU_ASSERT(e.calls == 0);
	CU_ASSERT(ut_poll_thread(1) > 0);
	CU_ASSERT(e.calls == 1);
	CU_ASSERT(e.thread == ut_thread(1));
	CU_ASSERT(!readable_now(thread_fd(1)));
	CU_ASSERT(ut_poll_thread(1) == 0);
	CU_ASSERT(e.calls == 1);
	ut_set_thread(1);
	reef_interrupt_unregister(&intr);
	close(e.efd);
	ut_free_threads();
}

static void
interrupt_unregister_stops_calls(void)
{
	struct efd_ctx e = {.consume = true};
	struct reef_interrupt *intr;

	ut_allocate_interrupt_threads(1);
	e.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ut_set_thread(0);
	intr = reef_interrupt_register(e.efd, efd_fn, &e, NULL);
	CU_ASSERT_FATAL(intr != NULL);
	reef_interrupt_unregister(&intr);
	CU_ASSERT(intr == NULL);
	/* A NULL pointer is fine. */
	reef_interrupt_unregister(&intr);
	efd_write(e.efd);
	CU_ASSERT(!readable_now(thread_fd(0)));
	ut_poll_thread(0);
	CU_ASSERT(e.calls == 0);
	/* The fd is free to be registered again. */
	ut_set_thread(0);
	intr = reef_interrupt_register(e.efd, efd_fn, &e, "again");
	CU_ASSERT_FATAL(intr != NULL);
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(e.calls == 1);
	ut_set_thread(0);
	reef_interrupt_unregister(&intr);
	close(e.efd);
	ut_free_threads();
}

static void
interrupt_register_refusals(void)
{
	struct efd_ctx e = {0};
	struct reef_interrupt *intr, *dup;

	ut_allocate_interrupt_threads(1);
	e.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ut_log_capture();
	reef_set_thread(NULL);
	CU_ASSERT(reef_interrupt_register(e.efd, efd_fn, &e, "x") == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "Reef thread") != NULL);
	ut_set_thread(0);
	CU_ASSERT(reef_interrupt_register(-1, efd_fn, &e, "bad_fd") == NULL);
	intr = reef_interrupt_register(e.efd, efd_fn, &e, "x");
	CU_ASSERT_FATAL(intr != NULL);
	dup = reef_interrupt_register(e.efd, efd_fn, &e, "dup");
	CU_ASSERT(dup == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "dup") != NULL);
	ut_log_release();
	reef_interrupt_unregister(&intr);
	close(e.efd);
	ut_free_threads();
}

static void
interrupt_set_event_types(void)
{
	struct efd_ctx e = {0};
	struct reef_interrupt *intr;

	ut_allocate_interrupt_threads(2);
	e.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ut_set_thread(0);
	intr = reef_interrupt_register(e.efd, efd_fn, &e, "types");
	CU_ASSERT_FATAL(intr != NULL);
	CU_ASSERT(!readable_now(thread_fd(0)));
	/* An eventfd is always writable: watched for output, it is ready at once. */
	CU_ASSERT(reef_interrupt_set_event_types(intr, REEF_INTERRUPT_EVENT_OUT) == 0);
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(e.calls == 1);
	/* Level-triggered: still ready, called again. */
	ut_poll_thread(0);
	CU_ASSERT(e.calls == 2);
	/* Back to input only: not ready until written. */
	ut_set_thread(0);
	CU_ASSERT(reef_interrupt_set_event_types(intr, REEF_INTERRUPT_EVENT_IN) == 0);
	CU_ASSERT(!readable_now(thread_fd(0)));
	ut_poll_thread(0);
	CU_ASSERT(e.calls == 2);
	/* Edge-triggered: one call per write even if nobody reads the eventfd. */
	ut_set_thread(0);
	CU_ASSERT(reef_interrupt_set_event_types(intr, REEF_INTERRUPT_EVENT_IN |
							       REEF_INTERRUPT_EVENT_ET) == 0);
	efd_write(e.efd);
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(e.calls == 3);
	ut_poll_thread(0);
	CU_ASSERT(e.calls == 3);
	efd_write(e.efd);
	CU_ASSERT(wait_readable(thread_fd(0), WAIT_MS));
	ut_poll_thread(0);
	CU_ASSERT(e.calls == 4);
	/* Only on its own thread. */
	ut_set_thread(1);
	ut_log_capture();
	CU_ASSERT(reef_interrupt_set_event_types(intr, REEF_INTERRUPT_EVENT_IN) == -EINVAL);
	ut_log_release();
	ut_set_thread(0);
	reef_interrupt_unregister(&intr);
	close(e.efd);
	ut_free_threads();
}

static void
interrupt_register_refused_when_thread_exiting(void)
{
	struct efd_ctx e = {0};
	struct counter c = {0};
	struct reef_poller *p;

	ut_allocate_interrupt_threads(1);
	e.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ut_set_thread(0);
	/* The poller keeps the thread exiting, not yet exited. */
	p = reef_poller_register(count_fn, &c, 0);
	reef_thread_exit(ut_thread(0));
	ut_poll_thread(0);
	CU_ASSERT_FATAL(!reef_thread_is_exited(ut_thread(0)));
	ut_set_thread(0);
	ut_log_capture();
	CU_ASSERT(reef_interrupt_register(e.efd, efd_fn, &e, "late") == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "exiting") != NULL);
	ut_log_release();
	reef_poller_unregister(&p);
	ut_poll_thread(0);
	CU_ASSERT(reef_thread_is_exited(ut_thread(0)));
	ut_set_thread(0);
	ut_log_capture();
	CU_ASSERT(reef_interrupt_register(e.efd, efd_fn, &e, "later") == NULL);
	ut_log_release();
	close(e.efd);
	ut_free_threads();
}

static void
interrupt_fds_closed_when_threads_destroyed(void)
{
	struct counter c = {0};
	struct reef_poller *p;
	int before = open_fd_count();

	ut_allocate_interrupt_threads(3);
	ut_set_thread(1);
	p = reef_poller_register(count_fn, &c, 1000);
	/* epoll fd + eventfd per thread, and a timerfd for the timed poller. */
	CU_ASSERT(open_fd_count() >= before + 3 * 2 + 1);
	reef_poller_unregister(&p);
	ut_free_threads();
	CU_ASSERT(open_fd_count() == before);
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, interrupt_mode_enable_refused_after_init);
	UT_ADD(suite, thread_without_active_pollers_is_in_interrupt);
	UT_ADD(suite, send_msg_makes_interrupt_fd_readable);
	UT_ADD(suite, critical_msg_makes_interrupt_fd_readable);
	UT_ADD(suite, messages_beyond_a_batch_keep_the_fd_readable);
	UT_ADD(suite, active_poller_leaves_interrupt_and_unregister_reenters);
	UT_ADD(suite, paused_active_poller_reenters_interrupt);
	UT_ADD(suite, message_queued_while_polling_signals_on_entering_interrupt);
	UT_ADD(suite, poller_registered_by_message_leaves_interrupt);
	UT_ADD(suite, timed_poller_timerfd_wakes_the_thread);
	UT_ADD(suite, paused_timed_poller_timerfd_is_disarmed);
	UT_ADD(suite, timed_poller_follows_the_clock_while_awake_and_timerfd_when_asleep);
	UT_ADD(suite, timed_poller_unregisters_itself_from_timerfd_run);
	UT_ADD(suite, interrupt_register_calls_fn_when_fd_written);
	UT_ADD(suite, interrupt_unregister_stops_calls);
	UT_ADD(suite, interrupt_register_refusals);
	UT_ADD(suite, interrupt_set_event_types);
	UT_ADD(suite, interrupt_register_refused_when_thread_exiting);
	UT_ADD(suite, interrupt_fds_closed_when_threads_destroyed);
	return 0;
}

UT_MAIN("interrupt", add_tests)
