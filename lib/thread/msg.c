/*
 * Messages: sending to a thread's ring, running a batch on the thread,
 * critical messages, and iterating over every thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "thread_internal.h"
#include "reef/log.h"
#include "reef/usdt.h"
#include "reef/util.h"

int
reef__msg_notify(const struct reef_thread *thread)
{
	uint64_t one = 1;

	if (reef_likely(!reef_interrupt_mode_is_enabled())) {
		return 0;
	}
	/*
	 * Full fence between our ring enqueue and the read of in_interrupt; the
	 * thread entering interrupt state stores in_interrupt, fences, then reads
	 * the ring count (reef__thread_interrupt_update). One of us sees the
	 * other, so a message never sits unnoticed while the thread sleeps.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&thread->in_interrupt, __ATOMIC_RELAXED) && thread->msg_fd >= 0) {
		if (write(thread->msg_fd, &one, sizeof(one)) < 0) {
			REEF_ERRLOG_RATELIMITED(1000, "cannot wake thread %s: %m\n",
						thread->shm->name);
			return -EIO;
		}
	}
	return 0;
}

int
reef_thread_send_msg(const struct reef_thread *thread, reef_msg_fn fn, void *ctx)
{
	return reef__msg_send(thread, fn, ctx, false);
}

/* Why a message could not be sent, said off the hot path (one line, rate-limited). */
static __attribute__((cold, noinline)) int
send_failed(const struct reef_thread *thread, int rc, bool quiet_when_full)
{
	if (rc == -EIO) {
		REEF_ERRLOG_RATELIMITED(1000, "thread %s has exited: message not sent\n",
					thread->shm->name);
	} else if (!quiet_when_full) {
		REEF_ERRLOG_RATELIMITED(1000,
					"message ring of thread %s is full (%u): raise "
					"--msg-ring-size or send less at once\n",
					thread->shm->name, reef_ring_capacity(thread->messages));
	}
	return rc;
}

int
reef__msg_send(const struct reef_thread *thread, reef_msg_fn fn, void *ctx, bool quiet_when_full)
{
	struct reef_msg msg = {.fn = fn, .ctx = ctx};

	if (reef_unlikely(__atomic_load_n(&thread->state, __ATOMIC_RELAXED) ==
			  REEF_THREAD_STATE_EXITED)) {
		return send_failed(thread, -EIO, quiet_when_full);
	}
	if (reef_unlikely(reef_ring_enqueue16(thread->messages, &msg) != 1)) {
		return send_failed(thread, -ENOBUFS, quiet_when_full);
	}
	/* From the copy: nothing needs keeping in registers across the enqueue. */
	REEF_USDT(msg_send, thread->id, (uintptr_t)msg.fn, (uintptr_t)msg.ctx);
	/* Only a thread with a wake-up fd (interrupt mode) can need waking: skip the call. */
	if (reef_likely(thread->msg_fd < 0)) {
		return 0;
	}
	return reef__msg_notify(thread);
}

int
reef_thread_send_critical_msg(struct reef_thread *thread, reef_msg_fn fn)
{
	reef_msg_fn expected = NULL;

	/* Release: whatever the sender wrote before is visible to fn. */
	if (!__atomic_compare_exchange_n(&thread->critical_msg, &expected, fn, false,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
		return -EIO;
	}
	return reef__msg_notify(thread);
}

int
reef_thread_exec_msg(const struct reef_thread *thread, reef_msg_fn fn, void *ctx)
{
	if (thread == reef_get_thread()) {
		fn(ctx);
		return 0;
	}
	return reef_thread_send_msg(thread, fn, ctx);
}

int
reef__msg_run_critical(struct reef_thread *thread)
{
	/* Acquire: pairs with the release compare-exchange of the sender. */
	reef_msg_fn fn = __atomic_load_n(&thread->critical_msg, __ATOMIC_ACQUIRE);

	if (fn == NULL) {
		return 0;
	}
	REEF_USDT(critical_msg, thread->id, (uintptr_t)fn);
	fn(NULL);
	/* Cleared after running: a second critical message is refused until then. */
	__atomic_store_n(&thread->critical_msg, NULL, __ATOMIC_RELEASE);
	REEF_SHM_ADD(thread->shm->critical_msgs, 1);
	return 1;
}

uint32_t
reef__msg_run_batch(struct reef_thread *thread, uint32_t max_msgs)
{
	struct reef_msg msgs[REEF_MSG_BATCH_SIZE];
	struct reef_shm_thread *shm = thread->shm;
	uint32_t count, i;
	uint64_t one = 1;
	bool traced;

	if (max_msgs == 0 || max_msgs > REEF_MSG_BATCH_SIZE) {
		max_msgs = REEF_MSG_BATCH_SIZE;
	}
	count = reef_ring_dequeue_burst16(thread->messages, msgs, max_msgs);
	/* In interrupt state the eventfd was consumed: re-arm it for what we left behind. */
	if (reef_unlikely(thread->in_interrupt) && reef_ring_count(thread->messages) != 0) {
		if (write(thread->msg_fd, &one, sizeof(one)) < 0) {
			REEF_ERRLOG_RATELIMITED(1000, "cannot re-arm thread %s: %m\n", shm->name);
		}
	}
	if (count == 0) {
		return 0;
	}
	REEF_SHM_STORE(shm->running_poller_id, REEF_RUNNING_MSG);
	/* Read once per batch: a tracer attaching mid-batch is heard from the next one on. */
	traced = REEF_USDT_ENABLED(msg_exec);
	for (i = 0; i < count; i++) {
		REEF_SHM_STORE(shm->running_msg_fn, (uint64_t)(uintptr_t)msgs[i].fn);
		if (reef_unlikely(traced)) {
			uint64_t t0 = reef_get_ticks();

			msgs[i].fn(msgs[i].ctx);
			REEF_USDT(msg_exec, thread->id, (uintptr_t)msgs[i].fn,
				  (uintptr_t)msgs[i].ctx, reef_get_ticks() - t0);
		} else {
			msgs[i].fn(msgs[i].ctx);
		}
	}
	REEF_SHM_STORE(shm->running_poller_id, 0);
	REEF_SHM_STORE(shm->running_msg_fn, 0);
	REEF_SHM_ADD(shm->msgs_executed, count);
	return count;
}

struct for_each_thread {
	struct reef_thread *cur;
	struct reef_thread *orig;
	reef_msg_fn fn;
	reef_msg_fn cpl;
	void *ctx;
};

/*
 * The first thread from `thread` on that has not exited. Exited threads stay
 * listed until destroyed but refuse messages: the iteration passes them by.
 */
static struct reef_thread *
first_live_thread(struct reef_thread *thread)
{
	while (thread != NULL && reef_thread_is_exited(thread)) {
		thread = reef_thread_get_next(thread);
	}
	return thread;
}

static void
on_each_thread(void *arg)
{
	struct for_each_thread *ft = arg;
	struct reef_thread *next;
	int rc;

	ft->fn(ft->ctx);
	next = first_live_thread(reef_thread_get_next(ft->cur));
	if (next == NULL) {
		REEF_DEBUGLOG(thread, "for_each_thread done, completing on %s\n",
			      ft->orig->shm->name);
		rc = reef_thread_send_msg(ft->orig, ft->cpl, ft->ctx);
		free(ft);
	} else {
		ft->cur = next;
		rc = reef_thread_send_msg(next, on_each_thread, ft);
	}
	if (rc != 0) {
		REEF_ERRLOG("for_each_thread lost its way: could not send to the next thread\n");
	}
}

void
reef_for_each_thread(reef_msg_fn fn, void *ctx, reef_msg_fn cpl)
{
	struct for_each_thread *ft;
	struct reef_thread *orig = reef_get_thread();

	if (orig == NULL) {
		REEF_ERRLOG("reef_for_each_thread must be called on a Reef thread\n");
		cpl(ctx);
		return;
	}
	ft = calloc(1, sizeof(*ft));
	if (ft == NULL) {
		REEF_ERRLOG("out of memory starting for_each_thread\n");
		cpl(ctx);
		return;
	}
	ft->fn = fn;
	ft->ctx = ctx;
	ft->cpl = cpl;
	ft->orig = orig;
	ft->cur = first_live_thread(reef_thread_get_first());
	if (ft->cur == NULL || reef_thread_send_msg(ft->cur, on_each_thread, ft) != 0) {
		free(ft);
		cpl(ctx);
	}
}
