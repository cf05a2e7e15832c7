/*
 * What Reef's own frameworks (lib/event, lib/client) need from lib/thread
 * beyond the public API: the thread's shared record, which they also write
 * (which core runs it, how often it moved).
 */
#ifndef REEF_INTERNAL_THREAD_H
#define REEF_INTERNAL_THREAD_H

#include "reef/shm.h"
#include "reef/thread.h"

/* The thread's record in the shared region. Written only by the reactor running the thread. */
struct reef_shm_thread *reef__thread_get_shm(struct reef_thread *thread);

/*
 * Send fn(ctx) to every thread but `except` (may be NULL), holding the thread
 * list still so that no thread is destroyed under the walk. Returns how many
 * messages could not be sent.
 */
uint32_t reef__thread_send_all(reef_msg_fn fn, void *ctx, const struct reef_thread *except);

/*
 * Send fn(ctx) to the thread with this id if it exists and is running,
 * holding the thread list so that it cannot be destroyed meanwhile. Returns
 * 0, -ESRCH (no such running thread), -ENOBUFS (its ring is full: retry later; nothing
 * is logged).
 */
int reef__thread_send_msg_by_id(uint64_t id, reef_msg_fn fn, void *ctx);

/* Call fn for every thread, with the thread list held (fn must not block or create threads). */
void reef__thread_for_each_locked(void (*fn)(struct reef_thread *thread, void *ctx), void *ctx);

#endif /* REEF_INTERNAL_THREAD_H */
