/*
 * Message semantics: when and in what order messages run, batches and
 * max_msgs, critical messages, exec_msg, refusals (exited thread, full ring),
 * the counters readers see, for_each_thread, and busy/idle accounting.
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include <errno.h>
#include <pthread.h>

#include "reef/shm.h"

/* The ut region's --msg-ring-size; a DPDK ring of 1024 entries holds 1023. */
#define UT_RING_CAPACITY 1023

static bool
read_thread_slot(const struct reef_thread *thread, struct reef_shm_thread *out)
{
	return reef_shm_read(g_ut_region, REEF_SHM_THREADS, reef_thread_get_slot(thread), out) == 0;
}

/* What ran, in order: the ctx of each message (a small integer). */
static uintptr_t g_log[2 * UT_RING_CAPACITY + 16];
static int g_log_len;
/* The thread each logged message ran on. */
static struct reef_thread *g_log_thread[2 * UT_RING_CAPACITY + 16];

static void
log_reset(void)
{
	g_log_len = 0;
}

static void
log_msg(void *ctx)
{
	if (g_log_len < (int)(sizeof(g_log) / sizeof(g_log[0]))) {
		g_log_thread[g_log_len] = reef_get_thread();
		g_log[g_log_len++] = (uintptr_t)ctx;
	}
}

/* Critical messages get no ctx: they log a marker. */
#define CRITICAL_MARK 0xC0FFEEu

static void
log_critical(void *ctx)
{
	CU_ASSERT(ctx == NULL);
	log_msg((void *)(uintptr_t)CRITICAL_MARK);
}

static int g_counter;

static void
count_msg(void *ctx)
{
	(void)ctx;
	g_counter++;
}

static void
msg_runs_only_when_target_polled(void)
{
	ut_allocate_threads(2);
	log_reset();
	ut_set_thread(0);
	CU_ASSERT(reef_thread_send_msg(ut_thread(1), log_msg, (void *)(uintptr_t)42) == 0);
	/* Not run by the sender, nor by polling anything but the target. */
	CU_ASSERT(g_log_len == 0);
	ut_poll_thread(0);
	CU_ASSERT(g_log_len == 0);
	CU_ASSERT(!reef_thread_is_idle(ut_thread(1)));
	CU_ASSERT(ut_poll_thread(1) > 0);
	CU_ASSERT_FATAL(g_log_len == 1);
	CU_ASSERT(g_log[0] == 42);
	CU_ASSERT(g_log_thread[0] == ut_thread(1));
	CU_ASSERT(reef_thread_is_idle(ut_thread(1)));
	/* Once only. */
	CU_ASSERT(ut_poll_thread(1) == 0);
	CU_ASSERT(g_log_len == 1);
	ut_free_threads();
}

static void
msg_fifo_per_producer(void)
{
	int i, j, seen0 = 0, seen1 = 0;

	ut_allocate_threads(3);
	log_reset();
	/* Two producers interleave; producer p tags its messages p * 1000 + sequence. */
	for (i = 0; i < 30; i++) {
		ut_set_thread(0);
		CU_ASSERT(reef_thread_send_msg(ut_thread(2), log_msg, (void *)(uintptr_t)i) == 0);
		ut_set_thread(1);
		CU_ASSERT(reef_thread_send_msg(ut_thread(2), log_msg,
					       (void *)(uintptr_t)(1000 + i)) == 0);
	}
	ut_poll_threads();
	CU_ASSERT_FATAL(g_log_len == 60);
	for (j = 0; j < g_log_len; j++) {
		if (g_log[j] < 1000) {
			CU_ASSERT(g_log[j] == (uintptr_t)seen0);
			seen0++;
		} else {
			CU_ASSERT(g_log[j] == (uintptr_t)(1000 + seen1));
			seen1++;
		}
	}
	CU_ASSERT(seen0 == 30 && seen1 == 30);
	ut_free_threads();
}

static void
msg_runs_in_batches_of_batch_size(void)
{
	int i;

	ut_allocate_threads(1);
	log_reset();
	for (i = 0; i < 2 * REEF_MSG_BATCH_SIZE + 3; i++) {
		CU_ASSERT(reef_thread_send_msg(ut_thread(0), log_msg, (void *)(uintptr_t)i) == 0);
	}
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(g_log_len == REEF_MSG_BATCH_SIZE);
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(g_log_len == 2 * REEF_MSG_BATCH_SIZE);
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(g_log_len == 2 * REEF_MSG_BATCH_SIZE + 3);
	CU_ASSERT(ut_poll_thread(0) == 0);
	for (i = 0; i < g_log_len; i++) {
		CU_ASSERT(g_log[i] == (uintptr_t)i);
	}
	ut_free_threads();
}

static void
msg_max_msgs_limits_the_batch(void)
{
	int i;

	ut_allocate_threads(1);
	log_reset();
	for (i = 0; i < 40; i++) {
		CU_ASSERT(reef_thread_send_msg(ut_thread(0), log_msg, (void *)(uintptr_t)i) == 0);
	}
	reef_thread_poll(ut_thread(0), 1, 0);
	CU_ASSERT(g_log_len == 1);
	reef_thread_poll(ut_thread(0), 3, 0);
	CU_ASSERT(g_log_len == 4);
	/* Above the batch size: still one batch. */
	reef_thread_poll(ut_thread(0), 100, 0);
	CU_ASSERT(g_log_len == 4 + REEF_MSG_BATCH_SIZE);
	/* 0 means a full batch. */
	reef_thread_poll(ut_thread(0), 0, 0);
	CU_ASSERT(g_log_len == 4 + 2 * REEF_MSG_BATCH_SIZE);
	reef_thread_poll(ut_thread(0), REEF_MSG_BATCH_SIZE, 0);
	CU_ASSERT(g_log_len == 4 + 3 * REEF_MSG_BATCH_SIZE);
	ut_poll_threads();
	CU_ASSERT(g_log_len == 40);
	for (i = 0; i < g_log_len; i++) {
		CU_ASSERT(g_log[i] == (uintptr_t)i);
	}
	ut_free_threads();
}

static void
send_self_msg(void *ctx)
{
	log_msg(ctx);
	CU_ASSERT(reef_thread_send_msg(reef_get_thread(), log_msg, (void *)(uintptr_t)2) == 0);
}

static void
msg_sent_from_a_message_waits_for_next_poll(void)
{
	ut_allocate_threads(1);
	log_reset();
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), send_self_msg, (void *)(uintptr_t)1) == 0);
	ut_poll_thread(0);
	CU_ASSERT(g_log_len == 1);
	ut_poll_thread(0);
	CU_ASSERT_FATAL(g_log_len == 2);
	CU_ASSERT(g_log[1] == 2);
	ut_free_threads();
}

static void
msg_critical_runs_before_queued_messages(void)
{
	int i;

	ut_allocate_threads(2);
	log_reset();
	ut_set_thread(1);
	for (i = 0; i < 3; i++) {
		CU_ASSERT(reef_thread_send_msg(ut_thread(0), log_msg, (void *)(uintptr_t)i) == 0);
	}
	CU_ASSERT(reef_thread_send_critical_msg(ut_thread(0), log_critical) == 0);
	CU_ASSERT(!reef_thread_is_idle(ut_thread(0)));
	ut_poll_thread(1);
	CU_ASSERT(g_log_len == 0);
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT_FATAL(g_log_len == 4);
	CU_ASSERT(g_log[0] == CRITICAL_MARK);
	CU_ASSERT(g_log_thread[0] == ut_thread(0));
	CU_ASSERT(g_log[1] == 0 && g_log[2] == 1 && g_log[3] == 2);
	ut_free_threads();
}

static void
msg_critical_alone_makes_the_poll_busy(void)
{
	ut_allocate_threads(1);
	log_reset();
	CU_ASSERT(reef_thread_send_critical_msg(ut_thread(0), log_critical) == 0);
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(g_log_len == 1);
	CU_ASSERT(ut_poll_thread(0) == 0);
	CU_ASSERT(g_log_len == 1);
	ut_free_threads();
}

static void
msg_second_critical_refused_while_pending(void)
{
	ut_allocate_threads(1);
	log_reset();
	CU_ASSERT(reef_thread_send_critical_msg(ut_thread(0), log_critical) == 0);
	CU_ASSERT(reef_thread_send_critical_msg(ut_thread(0), log_critical) == -EIO);
	CU_ASSERT(reef_thread_send_critical_msg(ut_thread(0), count_msg) == -EIO);
	ut_poll_thread(0);
	/* The refused ones never run. */
	CU_ASSERT(g_log_len == 1);
	ut_poll_thread(0);
	CU_ASSERT(g_log_len == 1);
	/* Once it has run, another is accepted. */
	CU_ASSERT(reef_thread_send_critical_msg(ut_thread(0), log_critical) == 0);
	ut_poll_thread(0);
	CU_ASSERT(g_log_len == 2);
	ut_free_threads();
}

static void
resend_critical(void *ctx)
{
	(void)ctx;
	log_msg((void *)(uintptr_t)CRITICAL_MARK);
	/* Still pending while it runs: a second one is refused. */
	CU_ASSERT(reef_thread_send_critical_msg(reef_get_thread(), log_critical) == -EIO);
}

static void
msg_critical_still_pending_while_it_runs(void)
{
	ut_allocate_threads(1);
	log_reset();
	CU_ASSERT(reef_thread_send_critical_msg(ut_thread(0), resend_critical) == 0);
	ut_poll_thread(0);
	ut_poll_thread(0);
	CU_ASSERT(g_log_len == 1);
	ut_free_threads();
}

static void
msg_exec_runs_inline_on_current_thread(void)
{
	ut_allocate_threads(2);
	log_reset();
	ut_set_thread(0);
	CU_ASSERT(reef_thread_exec_msg(ut_thread(0), log_msg, (void *)(uintptr_t)7) == 0);
	/* Already ran, before any poll. */
	CU_ASSERT_FATAL(g_log_len == 1);
	CU_ASSERT(g_log[0] == 7);
	CU_ASSERT(g_log_thread[0] == ut_thread(0));
	CU_ASSERT(reef_thread_is_idle(ut_thread(0)));
	ut_free_threads();
}

static void
msg_exec_on_another_thread_sends(void)
{
	ut_allocate_threads(2);
	log_reset();
	ut_set_thread(0);
	CU_ASSERT(reef_thread_exec_msg(ut_thread(1), log_msg, (void *)(uintptr_t)8) == 0);
	CU_ASSERT(g_log_len == 0);
	ut_poll_thread(0);
	CU_ASSERT(g_log_len == 0);
	ut_poll_thread(1);
	CU_ASSERT_FATAL(g_log_len == 1);
	CU_ASSERT(g_log_thread[0] == ut_thread(1));
	/* With no current thread at all, it is sent too. */
	reef_set_thread(NULL);
	CU_ASSERT(reef_thread_exec_msg(ut_thread(0), log_msg, (void *)(uintptr_t)9) == 0);
	CU_ASSERT(g_log_len == 1);
	ut_poll_thread(0);
	CU_ASSERT_FATAL(g_log_len == 2);
	CU_ASSERT(g_log_thread[1] == ut_thread(0));
	ut_free_threads();
}

static void
msg_send_to_exited_thread_is_eio(void)
{
	ut_allocate_threads(2);
	log_reset();
	ut_set_thread(1);
	reef_thread_exit(ut_thread(1));
	ut_poll_thread(1);
	CU_ASSERT_FATAL(reef_thread_is_exited(ut_thread(1)));
	ut_log_capture();
	ut_set_thread(0);
	CU_ASSERT(reef_thread_send_msg(ut_thread(1), log_msg, NULL) == -EIO);
	CU_ASSERT(strstr(g_ut_last_log, "exited") != NULL);
	CU_ASSERT(reef_thread_exec_msg(ut_thread(1), log_msg, NULL) == -EIO);
	ut_log_release();
	CU_ASSERT(reef_shm_thread_msgs_pending(g_ut_region, reef_thread_get_slot(ut_thread(1))) ==
		  0);
	CU_ASSERT(g_log_len == 0);
	ut_free_threads();
}

static int
keep_alive_fn(void *arg)
{
	(void)arg;
	return REEF_POLLER_IDLE;
}

static void
msg_send_to_exiting_thread_still_runs(void)
{
	struct reef_poller *p;

	ut_allocate_threads(2);
	log_reset();
	ut_set_thread(1);
	p = reef_poller_register(keep_alive_fn, NULL, 0);
	reef_thread_exit(ut_thread(1));
	ut_poll_thread(1);
	CU_ASSERT_FATAL(!reef_thread_is_exited(ut_thread(1)));
	ut_set_thread(0);
	CU_ASSERT(reef_thread_send_msg(ut_thread(1), log_msg, (void *)(uintptr_t)5) == 0);
	ut_poll_thread(1);
	CU_ASSERT(g_log_len == 1);
	ut_set_thread(1);
	reef_poller_unregister(&p);
	ut_free_threads();
}

static void
msg_ring_full_is_enobufs_and_loses_nothing(void)
{
	struct reef_shm_thread slot;
	uintptr_t i, sent = 0;
	int rc = 0;

	ut_allocate_threads(2);
	log_reset();
	ut_set_thread(0);
	ut_log_capture();
	for (i = 0; i < 2 * UT_RING_CAPACITY; i++) {
		rc = reef_thread_send_msg(ut_thread(1), log_msg, (void *)i);
		if (rc != 0) {
			break;
		}
		sent++;
	}
	CU_ASSERT(rc == -ENOBUFS);
	CU_ASSERT(sent == UT_RING_CAPACITY);
	CU_ASSERT(strstr(g_ut_last_log, "--msg-ring-size") != NULL);
	CU_ASSERT(reef_shm_thread_msgs_pending(g_ut_region, reef_thread_get_slot(ut_thread(1))) ==
		  UT_RING_CAPACITY);
	/* Refused again while still full. */
	CU_ASSERT(reef_thread_send_msg(ut_thread(1), log_msg, (void *)(uintptr_t)99999) ==
		  -ENOBUFS);
	ut_log_release();

	ut_poll_threads();
	CU_ASSERT_FATAL(g_log_len == (int)sent);
	for (i = 0; i < sent; i++) {
		CU_ASSERT(g_log[i] == i);
	}
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(1), &slot));
	CU_ASSERT(slot.msgs_executed == sent);
	/* Room again once drained. */
	CU_ASSERT(reef_thread_send_msg(ut_thread(1), log_msg, (void *)sent) == 0);
	ut_poll_thread(1);
	CU_ASSERT(g_log_len == (int)sent + 1);
	ut_free_threads();
}

static void
msg_counters_in_shared_slot(void)
{
	struct reef_shm_thread slot;
	int i;

	ut_allocate_threads(2);
	g_counter = 0;
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(1), &slot));
	CU_ASSERT(slot.msgs_executed == 0 && slot.critical_msgs == 0);
	for (i = 0; i < 11; i++) {
		CU_ASSERT(reef_thread_send_msg(ut_thread(1), count_msg, NULL) == 0);
	}
	ut_poll_thread(1);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(1), &slot));
	CU_ASSERT(slot.msgs_executed == REEF_MSG_BATCH_SIZE);
	CU_ASSERT(reef_thread_send_critical_msg(ut_thread(1), count_msg) == 0);
	ut_poll_thread(1);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(1), &slot));
	/* The critical one is counted apart, not as an executed message. */
	CU_ASSERT(slot.msgs_executed == 11);
	CU_ASSERT(slot.critical_msgs == 1);
	CU_ASSERT(g_counter == 12);
	/* The other thread's counters did not move. */
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.msgs_executed == 0 && slot.critical_msgs == 0);
	ut_free_threads();
}

static struct reef_shm_thread g_slot_inside;
static bool g_slot_inside_ok;

static void
peek_slot_msg(void *ctx)
{
	(void)ctx;
	g_slot_inside_ok = read_thread_slot(reef_get_thread(), &g_slot_inside);
}

static void
msg_running_fn_published_while_it_runs(void)
{
	struct reef_shm_thread slot;

	ut_allocate_threads(1);
	g_slot_inside_ok = false;
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), peek_slot_msg, NULL) == 0);
	ut_poll_thread(0);
	CU_ASSERT_FATAL(g_slot_inside_ok);
	CU_ASSERT(g_slot_inside.running_poller_id == UINT64_MAX);
	CU_ASSERT(g_slot_inside.running_msg_fn == (uint64_t)(uintptr_t)peek_slot_msg);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.running_poller_id == 0);
	CU_ASSERT(slot.running_msg_fn == 0);
	ut_free_threads();
}

struct visit {
	int count;
	struct reef_thread *order[UT_MAX_THREADS];
	int cpl_count;
	struct reef_thread *cpl_thread;
	int visits_at_cpl;
};

static void
visit_fn(void *ctx)
{
	struct visit *v = ctx;

	if (v->count < UT_MAX_THREADS) {
		v->order[v->count] = reef_get_thread();
	}
	v->count++;
}

static void
visit_cpl(void *ctx)
{
	struct visit *v = ctx;

	v->cpl_count++;
	v->cpl_thread = reef_get_thread();
	v->visits_at_cpl = v->count;
}

static void
for_each_thread_visits_every_thread_once_in_order(void)
{
	struct visit v = {0};
	int i;

	ut_allocate_threads(4);
	ut_set_thread(2);
	reef_for_each_thread(visit_fn, &v, visit_cpl);
	CU_ASSERT(v.count == 0 && v.cpl_count == 0);
	ut_poll_threads();
	CU_ASSERT_FATAL(v.count == 4);
	for (i = 0; i < 4; i++) {
		CU_ASSERT(v.order[i] == ut_thread(i));
	}
	CU_ASSERT(v.cpl_count == 1);
	CU_ASSERT(v.cpl_thread == ut_thread(2));
	CU_ASSERT(v.visits_at_cpl == 4);
	ut_free_threads();
}

static void
for_each_thread_moves_one_thread_at_a_time(void)
{
	struct visit v = {0};

	ut_allocate_threads(3);
	ut_set_thread(1);
	reef_for_each_thread(visit_fn, &v, visit_cpl);
	/* Polling out of order does nothing: the iteration is on thread 0. */
	ut_poll_thread(2);
	ut_poll_thread(1);
	CU_ASSERT(v.count == 0);
	ut_poll_thread(0);
	CU_ASSERT(v.count == 1);
	ut_poll_thread(0);
	ut_poll_thread(2);
	CU_ASSERT(v.count == 1);
	ut_poll_thread(1);
	CU_ASSERT(v.count == 2);
	/* The caller was visited but completes only after the last one. */
	CU_ASSERT(v.cpl_count == 0);
	ut_poll_thread(1);
	CU_ASSERT(v.cpl_count == 0);
	ut_poll_thread(2);
	CU_ASSERT(v.count == 3);
	CU_ASSERT(v.cpl_count == 0);
	ut_poll_thread(1);
	CU_ASSERT(v.cpl_count == 1);
	CU_ASSERT(v.cpl_thread == ut_thread(1));
	ut_free_threads();
}

static void
for_each_thread_without_current_thread_completes_at_once(void)
{
	struct visit v = {0};

	ut_allocate_threads(2);
	reef_set_thread(NULL);
	ut_log_capture();
	reef_for_each_thread(visit_fn, &v, visit_cpl);
	ut_log_release();
	CU_ASSERT(v.cpl_count == 1);
	CU_ASSERT(v.cpl_thread == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "Reef thread") != NULL);
	ut_poll_threads();
	CU_ASSERT(v.count == 0);
	CU_ASSERT(v.cpl_count == 1);
	ut_free_threads();
}

static void
for_each_thread_skips_exited_threads(void)
{
	struct visit v = {0};

	ut_allocate_threads(4);
	/* Threads 0 and 2 have exited but are not destroyed yet: they are still listed. */
	ut_set_thread(0);
	reef_thread_exit(ut_thread(0));
	ut_poll_thread(0);
	ut_set_thread(2);
	reef_thread_exit(ut_thread(2));
	ut_poll_thread(2);
	CU_ASSERT_FATAL(reef_thread_is_exited(ut_thread(0)) && reef_thread_is_exited(ut_thread(2)));
	ut_set_thread(3);
	ut_log_capture();
	reef_for_each_thread(visit_fn, &v, visit_cpl);
	ut_poll_threads();
	ut_log_release();
	CU_ASSERT(g_ut_log_count == 0);
	CU_ASSERT_FATAL(v.count == 2);
	CU_ASSERT(v.order[0] == ut_thread(1));
	CU_ASSERT(v.order[1] == ut_thread(3));
	CU_ASSERT(v.cpl_count == 1);
	CU_ASSERT(v.cpl_thread == ut_thread(3));
	ut_free_threads();
}

static void
spend_ticks_msg(void *ctx)
{
	reef_env_fake_advance_ticks((uint64_t)(uintptr_t)ctx);
}

static void
msg_work_counts_as_busy_tsc(void)
{
	struct reef_thread_stats stats;
	struct reef_shm_thread slot;
	uint64_t now;

	ut_allocate_threads(1);
	ut_poll_thread(0);
	ut_set_thread(0);
	CU_ASSERT(reef_thread_get_stats(&stats) == 0);
	CU_ASSERT(stats.busy_tsc == 0 && stats.idle_tsc == 0);

	/* A poll that ran a message is busy for as long as the poll took. */
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), spend_ticks_msg, (void *)(uintptr_t)30) == 0);
	CU_ASSERT(ut_poll_thread(0) > 0);
	ut_set_thread(0);
	CU_ASSERT(reef_thread_get_stats(&stats) == 0);
	CU_ASSERT(stats.busy_tsc == 30);
	CU_ASSERT(stats.idle_tsc == 0);
	CU_ASSERT(reef_thread_get_last_tsc(ut_thread(0)) == reef_get_ticks());

	/* A poll with nothing to do is idle from `now` to its end. */
	now = reef_get_ticks();
	reef_env_fake_advance_ticks(12);
	CU_ASSERT(reef_thread_poll(ut_thread(0), 0, now) == 0);
	CU_ASSERT(reef_thread_get_stats(&stats) == 0);
	CU_ASSERT(stats.busy_tsc == 30);
	CU_ASSERT(stats.idle_tsc == 12);

	/* Several messages in one poll: the whole poll is busy. */
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), spend_ticks_msg, (void *)(uintptr_t)5) == 0);
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), spend_ticks_msg, (void *)(uintptr_t)6) == 0);
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(reef_thread_get_stats(&stats) == 0);
	CU_ASSERT(stats.busy_tsc == 41);
	CU_ASSERT(stats.idle_tsc == 12);

	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.busy_tsc == 41 && slot.idle_tsc == 12);
	CU_ASSERT(slot.last_tsc == reef_get_ticks());
	ut_free_threads();
}

static int
never_fn(void *arg)
{
	(void)arg;
	CU_FAIL("an interrupt fired outside interrupt mode");
	return 0;
}

static void
msg_no_interrupt_machinery_without_interrupt_mode(void)
{
	ut_allocate_threads(2);
	CU_ASSERT(!reef_interrupt_mode_is_enabled());
	CU_ASSERT(reef_thread_get_interrupt_fd(ut_thread(0)) == -1);
	CU_ASSERT(!reef_thread_is_in_interrupt(ut_thread(0)));
	/* Sending writes no eventfd: there is none. */
	ut_set_thread(1);
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), count_msg, NULL) == 0);
	CU_ASSERT(reef_thread_send_critical_msg(ut_thread(0), count_msg) == 0);
	ut_set_thread(0);
	ut_log_capture();
	CU_ASSERT(reef_interrupt_register(0, never_fn, NULL, "stdin") == NULL);
	ut_log_release();
	CU_ASSERT(strstr(g_ut_last_log, "interrupt mode is off") != NULL);
	g_counter = 0;
	ut_poll_threads();
	CU_ASSERT(g_counter == 2);
	ut_free_threads();
}

/* Real OS threads sending at once: the ring is multi-producer. */
#define PRODUCERS          4
#define MSGS_PER_PRODUCER  2000
#define PRODUCER_TAG_SHIFT 24

struct producer {
	pthread_t tid;
	struct reef_thread *target;
	int id;
	int unexpected_rc;
};

static int g_next_seq[PRODUCERS];
static int g_out_of_order;
static int g_received;

static void
seq_msg(void *ctx)
{
	uintptr_t v = (uintptr_t)ctx;
	int p = (int)(v >> PRODUCER_TAG_SHIFT), seq = (int)(v & ((1u << PRODUCER_TAG_SHIFT) - 1));

	if (p >= PRODUCERS || seq != g_next_seq[p]) {
		g_out_of_order++;
	} else {
		g_next_seq[p]++;
	}
	g_received++;
}

static void *
producer_main(void *arg)
{
	struct producer *pr = arg;
	uintptr_t seq;
	int rc;

	for (seq = 0; seq < MSGS_PER_PRODUCER; seq++) {
		void *ctx = (void *)(((uintptr_t)pr->id << PRODUCER_TAG_SHIFT) | seq);

		while ((rc = reef_thread_send_msg(pr->target, seq_msg, ctx)) == -ENOBUFS) {
			sched_yield();
		}
		if (rc != 0) {
			pr->unexpected_rc++;
		}
	}
	return NULL;
}

static void
msg_fifo_per_producer_across_os_threads(void)
{
	struct producer pr[PRODUCERS];
	int i, passes;

	ut_allocate_threads(1);
	memset(g_next_seq, 0, sizeof(g_next_seq));
	g_out_of_order = 0;
	g_received = 0;
	/* The ring fills up here and producers wait for room: ring-full logs are expected. */
	ut_log_capture();
	for (i = 0; i < PRODUCERS; i++) {
		pr[i].target = ut_thread(0);
		pr[i].id = i;
		pr[i].unexpected_rc = 0;
		CU_ASSERT_FATAL(pthread_create(&pr[i].tid, NULL, producer_main, &pr[i]) == 0);
	}
	/* Bounded: 10 s worth of polls with yields is far more than the work needs. */
	for (passes = 0; g_received < PRODUCERS * MSGS_PER_PRODUCER && passes < 10000000;
	     passes++) {
		if (ut_poll_thread(0) == 0) {
			sched_yield();
		}
	}
	for (i = 0; i < PRODUCERS; i++) {
		pthread_join(pr[i].tid, NULL);
		CU_ASSERT(pr[i].unexpected_rc == 0);
	}
	ut_log_release();
	ut_poll_threads();
	CU_ASSERT(g_received == PRODUCERS * MSGS_PER_PRODUCER);
	CU_ASSERT(g_out_of_order == 0);
	for (i = 0; i < PRODUCERS; i++) {
		CU_ASSERT(g_next_seq[i] == MSGS_PER_PRODUCER);
	}
	ut_free_threads();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, msg_runs_only_when_target_polled);
	UT_ADD(suite, msg_fifo_per_producer);
	UT_ADD(suite, msg_runs_in_batches_of_batch_size);
	UT_ADD(suite, msg_max_msgs_limits_the_batch);
	UT_ADD(suite, msg_sent_from_a_message_waits_for_next_poll);
	UT_ADD(suite, msg_critical_runs_before_queued_messages);
	UT_ADD(suite, msg_critical_alone_makes_the_poll_busy);
	UT_ADD(suite, msg_second_critical_refused_while_pending);
	UT_ADD(suite, msg_critical_still_pending_while_it_runs);
	UT_ADD(suite, msg_exec_runs_inline_on_current_thread);
	UT_ADD(suite, msg_exec_on_another_thread_sends);
	UT_ADD(suite, msg_send_to_exited_thread_is_eio);
	UT_ADD(suite, msg_send_to_exiting_thread_still_runs);
	UT_ADD(suite, msg_ring_full_is_enobufs_and_loses_nothing);
	UT_ADD(suite, msg_counters_in_shared_slot);
	UT_ADD(suite, msg_running_fn_published_while_it_runs);
	UT_ADD(suite, for_each_thread_visits_every_thread_once_in_order);
	UT_ADD(suite, for_each_thread_moves_one_thread_at_a_time);
	UT_ADD(suite, for_each_thread_without_current_thread_completes_at_once);
	UT_ADD(suite, for_each_thread_skips_exited_threads);
	UT_ADD(suite, msg_work_counts_as_busy_tsc);
	UT_ADD(suite, msg_no_interrupt_machinery_without_interrupt_mode);
	UT_ADD(suite, msg_fifo_per_producer_across_os_threads);
	return 0;
}

UT_MAIN("msg", add_tests)
