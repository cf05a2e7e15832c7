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

#endif /* REEF_INTERNAL_THREAD_H */
