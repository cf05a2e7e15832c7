/*
 * One Reef thread streaming messages to another as fast as the receiver takes
 * them, with a bounded number in flight: the traffic of b_msg's stream shape
 * and of b_post's local baseline, written once so that both measure the same
 * thing.
 */
#ifndef REEF_BENCH_STREAM_H
#define REEF_BENCH_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "reef/shm.h"
#include "reef/thread.h"

/* Sends per poll of the sender, and messages allowed in flight. */
#define BENCH_STREAM_BURST    64
#define BENCH_STREAM_INFLIGHT 2048

struct bench_stream {
	struct reef_thread *src;
	struct reef_thread *dst;
	/* Traffic flows while *phase == on. */
	_Atomic int *phase;
	int on;
	struct reef_poller *tx;
	/* Counted by src only. */
	uint64_t sent;
	/* Counted by dst as it runs them, read by src: a line of its own, so no false sharing. */
	_Atomic uint64_t received __attribute__((aligned(64)));
	uint8_t pad[56];
};

/* Runs on dst. ctx (the stream) is the message's 8-byte payload, as a post carries one. */
static inline void
bench_stream_msg(void *ctx)
{
	struct bench_stream *s = ctx;

	atomic_store_explicit(&s->received,
			      atomic_load_explicit(&s->received, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* The sender's poller on src. */
static inline int
bench_stream_tx(void *arg)
{
	struct bench_stream *s = arg;
	uint64_t inflight;
	int n = 0;

	if (atomic_load_explicit(s->phase, memory_order_relaxed) != s->on) {
		return REEF_POLLER_IDLE;
	}
	inflight = s->sent - atomic_load_explicit(&s->received, memory_order_relaxed);
	while (n < BENCH_STREAM_BURST && inflight + (uint64_t)n < BENCH_STREAM_INFLIGHT) {
		if (reef_thread_send_msg(s->dst, bench_stream_msg, s) != 0) {
			break;
		}
		n++;
	}
	s->sent += (uint64_t)n;
	return n > 0 ? REEF_POLLER_BUSY : REEF_POLLER_IDLE;
}

/* Message to src (ctx: the stream): register the sender's poller. */
static inline void
bench_stream_start(void *ctx)
{
	struct bench_stream *s = ctx;

	s->tx = reef_poller_register_named(bench_stream_tx, s, 0, "b_stream_tx");
}

/* Message to src (ctx: the stream): unregister it. */
static inline void
bench_stream_stop(void *ctx)
{
	struct bench_stream *s = ctx;

	reef_poller_unregister(&s->tx);
}

/* Whether neither thread of the stream has messages waiting (a window may end cleanly). */
static inline bool
bench_stream_quiet(const struct reef_shm_region *region, const struct bench_stream *s)
{
	return reef_shm_thread_msgs_pending(region, reef_thread_get_slot(s->src)) == 0 &&
	       reef_shm_thread_msgs_pending(region, reef_thread_get_slot(s->dst)) == 0;
}

#endif /* REEF_BENCH_STREAM_H */
