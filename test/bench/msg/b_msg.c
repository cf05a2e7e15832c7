/*
 * Cross-core message benchmarks on two reactors (reef_app_start -m 0x3):
 * thread "src" on the first core, "dst" on the second.
 *
 *   stream     src sends to dst as fast as dst takes them (at most a ring's
 *              worth in flight): messages/s executed on dst. Baseline: a raw
 *              MP/SC rte_ring between the same two cores, single enqueues,
 *              burst dequeues of REEF_MSG_BATCH_SIZE and the indirect call.
 *   pingpong   one message back and forth: cycles per round trip. Baseline:
 *              two raw MP/SC rings, one each way, spun on by both cores.
 *   hop        SPDK's event_perf shape: 4 messages per core, each one run
 *              sends itself to the other core: messages/s per core. Baseline:
 *              the same on raw rings.
 *
 * Baselines run inside messages that hold each reactor for one window, so
 * they use exactly the cores, process and hugepage memory Reef uses. Windows
 * alternate (baseline, Reef) and each side keeps its best.
 *
 *   b_msg [Reef options, default -m 0x3 -n b_msg] [--window-ms MS] [--windows N]
 */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>

#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "../common/bench.h"
#include "../common/bench_app.h"
#include "../common/bench_stream.h"
#include "reef/event.h"
#include "reef/log.h"
#include "reef/shm.h"
#include "reef/thread.h"

#define RAW_RING_SIZE 4096
/* Messages in flight per core in the hop benchmark (SPDK's event_perf starts 4). */
#define HOP_DEPTH 4
/* Sends per run of the stream poller, and how full the ring may get. */

enum phase {
	PHASE_IDLE,
	PHASE_STREAM,
	PHASE_PINGPONG,
	PHASE_HOP,
};

enum step {
	STEP_RAW,    /* baseline messages sent, waiting for both to finish */
	STEP_START,  /* Reef traffic started, waiting for the window to open */
	STEP_WINDOW, /* counting */
	STEP_DRAIN,  /* traffic stopped, waiting for in-flight messages */
};

static struct bench_windows g_win = {.ms = 100, .count = 3};

static struct reef_thread *g_src, *g_dst;
static struct reef_poller *g_ctl;
static struct rte_ring *g_ring_a, *g_ring_b;
static uint64_t g_hz;

static _Atomic int g_phase;
static struct bench_stream g_stream = {.phase = &g_phase, .on = PHASE_STREAM};
/* Written by the thread that runs the messages, read by the controller. */
static _Atomic uint64_t g_dst_count, g_src_count, g_round_trips;

/* Raw baselines: start and end ticks shared by both loops, results, and completion. */
static uint64_t g_raw_t0, g_raw_t1;
static uint64_t g_raw_count[2];
static _Atomic int g_raw_done;

static struct {
	int shape;  /* PHASE_* being measured */
	int window; /* 0 .. g_win.count-1 */
	enum step step;
	uint64_t t0, c0, t1;
	double best_raw[4], best_reef[4];
} g_ctl_state;

static uint64_t g_sink;

/* ---- Reef traffic ---- */

static void ping_at_src(void *ctx);

static void
pong_at_dst(void *ctx)
{
	reef_thread_send_msg(g_src, ping_at_src, ctx);
}

static void
ping_at_src(void *ctx)
{
	atomic_store_explicit(&g_round_trips,
			      atomic_load_explicit(&g_round_trips, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (atomic_load_explicit(&g_phase, memory_order_relaxed) == PHASE_PINGPONG) {
		reef_thread_send_msg(g_dst, pong_at_dst, ctx);
	}
}

static void
hop_msg(void *ctx)
{
	bool at_dst = reef_get_thread() == g_dst;
	_Atomic uint64_t *count = at_dst ? &g_dst_count : &g_src_count;

	atomic_store_explicit(count, atomic_load_explicit(count, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (atomic_load_explicit(&g_phase, memory_order_relaxed) == PHASE_HOP) {
		reef_thread_send_msg(at_dst ? g_src : g_dst, hop_msg, ctx);
	}
}

/* ---- raw baselines (each holds its reactor for one window) ---- */

static void
raw_fn(void *ctx)
{
	g_sink += (uintptr_t)ctx;
}

static void
raw_finish(int side, uint64_t count)
{
	g_raw_count[side] = count;
	atomic_fetch_add(&g_raw_done, 1);
}

static void
raw_wait_start(void)
{
	while (rte_rdtsc() < g_raw_t0) {
		rte_pause();
	}
}

static void
raw_stream_tx(void *ctx)
{
	struct bench_msg m = {raw_fn, NULL};
	uint64_t sent = 0;
	int k;

	(void)ctx;
	raw_wait_start();
	while (rte_rdtsc() < g_raw_t1) {
		for (k = 0; k < 32; k++) {
			sent += rte_ring_enqueue_burst_elem(g_ring_a, &m, sizeof(m), 1, NULL);
		}
	}
	raw_finish(0, sent);
}

static void
raw_stream_rx(void *ctx)
{
	struct bench_msg buf[REEF_MSG_BATCH_SIZE];
	uint64_t got = 0;
	uint32_t n, i;

	(void)ctx;
	raw_wait_start();
	while (rte_rdtsc() < g_raw_t1) {
		n = rte_ring_dequeue_burst_elem(g_ring_a, buf, sizeof(buf[0]), REEF_MSG_BATCH_SIZE,
						NULL);
		for (i = 0; i < n; i++) {
			buf[i].fn(buf[i].ctx);
		}
		got += n;
	}
	raw_finish(1, got);
}

/* Ping-pong: side 0 sends on ring a and waits on ring b; side 1 echoes. */
static void
raw_pingpong(void *ctx)
{
	int side = (int)(uintptr_t)ctx;
	struct rte_ring *in = side ? g_ring_a : g_ring_b, *out = side ? g_ring_b : g_ring_a;
	struct bench_msg m = {raw_fn, NULL}, buf[REEF_MSG_BATCH_SIZE];
	uint64_t trips = 0;
	uint32_t n, i;

	raw_wait_start();
	if (side == 0) {
		rte_ring_enqueue_burst_elem(out, &m, sizeof(m), 1, NULL);
	}
	while (rte_rdtsc() < g_raw_t1) {
		n = rte_ring_dequeue_burst_elem(in, buf, sizeof(buf[0]), REEF_MSG_BATCH_SIZE, NULL);
		for (i = 0; i < n; i++) {
			buf[i].fn(buf[i].ctx);
			rte_ring_enqueue_burst_elem(out, &m, sizeof(m), 1, NULL);
		}
		trips += n;
	}
	raw_finish(side, trips);
}

/* Hop: each side runs what arrives on its ring and passes it to the other ring. */
static void
raw_hop(void *ctx)
{
	int side = (int)(uintptr_t)ctx, k;
	struct rte_ring *in = side ? g_ring_a : g_ring_b, *out = side ? g_ring_b : g_ring_a;
	struct bench_msg m = {raw_fn, NULL}, buf[REEF_MSG_BATCH_SIZE];
	uint64_t count = 0;
	uint32_t n, i;

	raw_wait_start();
	for (k = 0; k < HOP_DEPTH; k++) {
		rte_ring_enqueue_burst_elem(out, &m, sizeof(m), 1, NULL);
	}
	while (rte_rdtsc() < g_raw_t1) {
		n = rte_ring_dequeue_burst_elem(in, buf, sizeof(buf[0]), REEF_MSG_BATCH_SIZE, NULL);
		for (i = 0; i < n; i++) {
			buf[i].fn(buf[i].ctx);
			rte_ring_enqueue_burst_elem(out, &m, sizeof(m), 1, NULL);
		}
		count += n;
	}
	raw_finish(side, count);
}

static void
raw_start(int shape)
{
	rte_ring_reset(g_ring_a);
	rte_ring_reset(g_ring_b);
	atomic_store(&g_raw_done, 0);
	g_raw_t0 = rte_rdtsc() + g_hz / 500;
	g_raw_t1 = g_raw_t0 + bench_ms_to_ticks(g_win.ms);
	switch (shape) {
	case PHASE_STREAM:
		reef_thread_send_msg(g_src, raw_stream_tx, NULL);
		reef_thread_send_msg(g_dst, raw_stream_rx, NULL);
		break;
	case PHASE_PINGPONG:
		reef_thread_send_msg(g_src, raw_pingpong, (void *)0);
		reef_thread_send_msg(g_dst, raw_pingpong, (void *)1);
		break;
	default:
		reef_thread_send_msg(g_src, raw_hop, (void *)0);
		reef_thread_send_msg(g_dst, raw_hop, (void *)1);
		break;
	}
}

/* The raw figure of the window that just ended, in the unit of its shape. */
static double
raw_result(int shape)
{
	double secs = (double)(g_raw_t1 - g_raw_t0) / (double)g_hz;

	switch (shape) {
	case PHASE_STREAM:
		return (double)g_raw_count[1] / secs / 1e6;
	case PHASE_PINGPONG:
		return (double)(g_raw_t1 - g_raw_t0) / (double)g_raw_count[0];
	default:
		/* Per core: the mean of the two cores. */
		return (double)(g_raw_count[0] + g_raw_count[1]) / 2.0 / secs / 1e6;
	}
}

/* ---- the controller: a timed poller on the app thread ---- */

static uint64_t
reef_count(int shape)
{
	switch (shape) {
	case PHASE_STREAM:
		return atomic_load(&g_stream.received);
	case PHASE_PINGPONG:
		return atomic_load(&g_round_trips);
	default:
		return atomic_load(&g_dst_count) + atomic_load(&g_src_count);
	}
}

static void
reef_start(int shape)
{
	int k;

	atomic_store(&g_phase, shape);
	switch (shape) {
	case PHASE_STREAM:
		break;
	case PHASE_PINGPONG:
		reef_thread_send_msg(g_dst, pong_at_dst, NULL);
		break;
	default:
		for (k = 0; k < HOP_DEPTH; k++) {
			reef_thread_send_msg(g_src, hop_msg, NULL);
			reef_thread_send_msg(g_dst, hop_msg, NULL);
		}
		break;
	}
}

static double
reef_result(int shape, uint64_t count, uint64_t ticks)
{
	double secs = (double)ticks / (double)g_hz;

	switch (shape) {
	case PHASE_STREAM:
		return (double)count / secs / 1e6;
	case PHASE_PINGPONG:
		return (double)ticks / (double)count;
	default:
		return (double)count / 2.0 / secs / 1e6;
	}
}

static enum bench_better
better(int shape)
{
	return shape == PHASE_PINGPONG ? BENCH_LOWER : BENCH_HIGHER;
}

static void
report(void)
{
	bench_result("msg_cross_stream", g_ctl_state.best_reef[PHASE_STREAM],
		     g_ctl_state.best_raw[PHASE_STREAM]);
	bench_result("msg_cross_pingpong", g_ctl_state.best_reef[PHASE_PINGPONG],
		     g_ctl_state.best_raw[PHASE_PINGPONG]);
	bench_result("msg_cross_hop", g_ctl_state.best_reef[PHASE_HOP],
		     g_ctl_state.best_raw[PHASE_HOP]);
}

static int
ctl_poll(void *arg)
{
	uint64_t now = reef_get_ticks();
	int shape = g_ctl_state.shape;

	(void)arg;
	switch (g_ctl_state.step) {
	case STEP_RAW:
		if (atomic_load(&g_raw_done) < 2) {
			return REEF_POLLER_IDLE;
		}
		if (getenv("B_MSG_DEBUG") != NULL) {
			fprintf(stderr, "raw shape %d window %d: %.4f (counts %llu %llu)\n", shape,
				g_ctl_state.window, raw_result(shape),
				(unsigned long long)g_raw_count[0],
				(unsigned long long)g_raw_count[1]);
		}
		g_ctl_state.best_raw[shape] =
			bench_best(g_ctl_state.best_raw[shape], raw_result(shape), better(shape));
		reef_start(shape);
		g_ctl_state.t0 = now + g_hz / 200;
		g_ctl_state.step = STEP_START;
		break;
	case STEP_START:
		if (now < g_ctl_state.t0) {
			return REEF_POLLER_IDLE;
		}
		g_ctl_state.t0 = now;
		g_ctl_state.c0 = reef_count(shape);
		g_ctl_state.t1 = now + bench_ms_to_ticks(g_win.ms);
		g_ctl_state.step = STEP_WINDOW;
		break;
	case STEP_WINDOW:
		if (now < g_ctl_state.t1) {
			return REEF_POLLER_IDLE;
		}
		if (getenv("B_MSG_DEBUG") != NULL) {
			fprintf(stderr, "reef shape %d window %d: %.4f (count %llu ticks %llu)\n",
				shape, g_ctl_state.window,
				reef_result(shape, reef_count(shape) - g_ctl_state.c0,
					    now - g_ctl_state.t0),
				(unsigned long long)(reef_count(shape) - g_ctl_state.c0),
				(unsigned long long)(now - g_ctl_state.t0));
		}
		g_ctl_state.best_reef[shape] =
			bench_best(g_ctl_state.best_reef[shape],
				   reef_result(shape, reef_count(shape) - g_ctl_state.c0,
					       now - g_ctl_state.t0),
				   better(shape));
		atomic_store(&g_phase, PHASE_IDLE);
		g_ctl_state.step = STEP_DRAIN;
		break;
	case STEP_DRAIN:
		if (!bench_stream_quiet(reef_app_get_region(), &g_stream)) {
			return REEF_POLLER_IDLE;
		}
		if (++g_ctl_state.window == g_win.count) {
			g_ctl_state.window = 0;
			if (++g_ctl_state.shape > PHASE_HOP) {
				reef_poller_unregister(&g_ctl);
				report();
				reef_thread_send_msg(g_src, bench_stream_stop, &g_stream);
				reef_app_stop(0);
				return REEF_POLLER_BUSY;
			}
		}
		raw_start(g_ctl_state.shape);
		g_ctl_state.step = STEP_RAW;
		break;
	}
	return REEF_POLLER_BUSY;
}

/* ---- app ---- */

static struct rte_ring *
raw_ring(const char *name)
{
	ssize_t size = rte_ring_get_memsize_elem(sizeof(struct bench_msg), RAW_RING_SIZE);
	struct rte_ring *r = reef_memzone_reserve(name, (size_t)size, 64, NULL);

	/* Multi-producer like a Reef thread's ring. */
	if (r == NULL || rte_ring_init(r, name, RAW_RING_SIZE, RING_F_SC_DEQ) != 0) {
		return NULL;
	}
	return r;
}

static void
start(void *ctx)
{
	struct reef_cpuset cores, one;
	uint32_t first, last = 0, c;
	int i;

	(void)ctx;
	g_hz = reef_get_ticks_hz();
	reef_env_get_lcores(&cores);
	if (reef_cpuset_count(&cores) < 2) {
		fprintf(stderr, "b_msg: needs two cores (-m 0x3)\n");
		reef_app_stop(2);
		return;
	}
	first = reef_cpuset_next(&cores, 0);
	REEF_CPUSET_FOREACH(c, &cores)
	{
		last = c;
	}
	reef_cpuset_zero(&one);
	reef_cpuset_set_cpu(&one, first, true);
	g_src = reef_thread_create("src", &one);
	reef_cpuset_zero(&one);
	reef_cpuset_set_cpu(&one, last, true);
	g_dst = reef_thread_create("dst", &one);
	g_ring_a = raw_ring("b_msg.a");
	g_ring_b = raw_ring("b_msg.b");
	if (g_src == NULL || g_dst == NULL || g_ring_a == NULL || g_ring_b == NULL) {
		reef_app_stop(1);
		return;
	}
	printf("INFO tsc_hz %llu\n", (unsigned long long)g_hz);
	for (i = 0; i < 4; i++) {
		g_ctl_state.best_raw[i] = NAN;
		g_ctl_state.best_reef[i] = NAN;
	}
	g_stream.src = g_src;
	g_stream.dst = g_dst;
	reef_thread_send_msg(g_src, bench_stream_start, &g_stream);
	g_ctl_state.shape = PHASE_STREAM;
	g_ctl = reef_poller_register_named(ctl_poll, NULL, 100, "b_ctl");
	raw_start(PHASE_STREAM);
	g_ctl_state.step = STEP_RAW;
}

static void
shutdown_cb(void *ctx)
{
	(void)ctx;
	atomic_store(&g_phase, PHASE_IDLE);
	reef_poller_unregister(&g_ctl);
	if (g_src != NULL) {
		reef_thread_send_msg(g_src, bench_stream_stop, &g_stream);
	}
}

static int
parse(int ch, char *arg)
{
	return bench_parse_window_opt(ch, arg, &g_win);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		BENCH_WINDOW_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct reef_app_opts opts;
	int rc;

	reef_log_set_ident("b_msg");
	bench_app_opts_init(&opts, "b_msg");
	opts.cpumask = "0x3";
	rc = bench_parse_exit_code(
		reef_app_parse_args(argc, argv, &opts, NULL, longopts, parse, NULL));
	if (rc >= 0) {
		return rc;
	}
	opts.shutdown_cb = shutdown_cb;
	return reef_app_start(&opts, start, NULL) == 0 ? 0 : 1;
}
