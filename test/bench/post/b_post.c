/*
 * The primary side of post_perf, in one of two modes:
 *
 *   --mode local   (-m 0x3) the baseline: the same traffic as the client's,
 *                  as local cross-core messages between thread "src" on the
 *                  first core and "dst" on the second, each carrying an
 *                  8-byte payload: messages/s one-way, and the round-trip
 *                  latency p50/p99 of one message back and forth. Prints
 *                  RESULT lines and exits.
 *   --mode serve   (-m 0x1) serves b_post_client from thread "target":
 *                    bench.count      one-way: count it
 *                    bench.count_get  reply the count (8 bytes)
 *                    bench.echo       reply at once, empty
 *                    bench.raw        hold the core and echo raw ring elements
 *                                     (rings "b_post.raw.ab"/".ba" in hugepage
 *                                     memory) until a stop element: the raw
 *                                     two-process ping-pong baseline
 *                  Prints READY and serves until SIGTERM.
 *
 *   b_post [Reef options, default -n b_post] --mode local|serve [--window-ms MS] [--windows N]
 */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "../common/bench.h"
#include "../common/bench_app.h"
#include "../common/bench_stream.h"
#include "reef/client.h"
#include "reef/event.h"
#include "reef/log.h"
#include "reef/shm.h"
#include "reef/thread.h"

#define MAX_SAMPLES   (1u << 20)
#define RAW_RING_SIZE 1024
/* A raw element with this ctx ends the echo loop. */
#define RAW_STOP        ((void *)(uintptr_t)UINT64_MAX)
#define RAW_MAX_SECONDS 5

enum {
	OPT_MODE = BENCH_OPT_FIRST,
};

enum phase {
	PHASE_IDLE,
	PHASE_STREAM,
	PHASE_PINGPONG,
};

static const char *g_mode;
static struct bench_windows g_win = {.ms = 100, .count = 3};
static uint64_t g_hz;

static struct reef_thread *g_src, *g_dst, *g_target;
static struct reef_poller *g_ctl;
static _Atomic int g_phase;
static struct bench_stream g_stream = {.phase = &g_phase, .on = PHASE_STREAM};
static uint64_t *g_samples;
static uint32_t g_nr_samples;
static uint64_t g_count;
static struct rte_ring *g_raw_ab, *g_raw_ba;

static struct {
	int shape;
	int window;
	int step;
	uint64_t t0, c0, t1;
	double best_stream, best_p50, best_p99;
} g_ctl_state;

/* ---- local mode ---- */

static void ping_at_src(void *ctx);

static void
pong_at_dst(void *ctx)
{
	reef_thread_send_msg(g_src, ping_at_src, ctx);
}

/* ctx is the tick count the ping left at. */
static void
ping_at_src(void *ctx)
{
	uint64_t now = rte_rdtsc();

	if (ctx != NULL && g_nr_samples < MAX_SAMPLES) {
		g_samples[g_nr_samples++] = now - (uint64_t)(uintptr_t)ctx;
	}
	if (atomic_load_explicit(&g_phase, memory_order_relaxed) == PHASE_PINGPONG) {
		reef_thread_send_msg(g_dst, pong_at_dst, (void *)(uintptr_t)rte_rdtsc());
	}
}

static int
ctl_poll(void *arg)
{
	uint64_t now = rte_rdtsc();
	int shape = g_ctl_state.shape;

	(void)arg;
	switch (g_ctl_state.step) {
	case 0: /* start the traffic */
		g_nr_samples = 0;
		atomic_store(&g_phase, shape);
		if (shape == PHASE_PINGPONG) {
			reef_thread_send_msg(g_dst, pong_at_dst, NULL);
		}
		g_ctl_state.t0 = now + g_hz / 200;
		g_ctl_state.step = 1;
		break;
	case 1: /* open the window */
		if (now < g_ctl_state.t0) {
			return REEF_POLLER_IDLE;
		}
		g_ctl_state.t0 = now;
		g_ctl_state.c0 = atomic_load(&g_stream.received);
		g_nr_samples = 0;
		g_ctl_state.t1 = now + bench_ms_to_ticks(g_win.ms);
		g_ctl_state.step = 2;
		break;
	case 2: /* close it */
		if (now < g_ctl_state.t1) {
			return REEF_POLLER_IDLE;
		}
		atomic_store(&g_phase, PHASE_IDLE);
		if (shape == PHASE_STREAM) {
			double rate = (double)(atomic_load(&g_stream.received) - g_ctl_state.c0) /
				      ((double)(now - g_ctl_state.t0) / (double)g_hz) / 1e6;

			g_ctl_state.best_stream =
				bench_best(g_ctl_state.best_stream, rate, BENCH_HIGHER);
		} else {
			uint32_t n = g_nr_samples;
			double *v = calloc(n ? n : 1, sizeof(*v)), p50, p99;
			uint32_t i;

			for (i = 0; i < n; i++) {
				v[i] = (double)g_samples[i];
			}
			p50 = bench_quantile(v, n, 0.50);
			p99 = bench_quantile(v, n, 0.99);
			free(v);
			if (isnan(g_ctl_state.best_p50) || p50 < g_ctl_state.best_p50) {
				g_ctl_state.best_p50 = p50;
				g_ctl_state.best_p99 = p99;
			}
		}
		g_ctl_state.step = 3;
		break;
	default: /* drain, then the next window or shape */
		if (!bench_stream_quiet(reef_app_get_region(), &g_stream)) {
			return REEF_POLLER_IDLE;
		}
		g_ctl_state.step = 0;
		if (++g_ctl_state.window == g_win.count) {
			g_ctl_state.window = 0;
			if (++g_ctl_state.shape > PHASE_PINGPONG) {
				reef_poller_unregister(&g_ctl);
				bench_result("post_local_stream", g_ctl_state.best_stream, NAN);
				bench_result("post_local_rtt_p50", g_ctl_state.best_p50, NAN);
				bench_result("post_local_rtt_p99", g_ctl_state.best_p99, NAN);
				reef_thread_send_msg(g_src, bench_stream_stop, &g_stream);
				reef_app_stop(0);
			}
		}
		break;
	}
	return REEF_POLLER_BUSY;
}

static void
start_local(void)
{
	struct reef_cpuset cores, one;
	uint32_t first, last = 0, c;

	reef_env_get_lcores(&cores);
	if (reef_cpuset_count(&cores) < 2) {
		fprintf(stderr, "b_post: --mode local needs two cores (-m 0x3)\n");
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
	g_samples = calloc(MAX_SAMPLES, sizeof(*g_samples));
	if (g_src == NULL || g_dst == NULL || g_samples == NULL) {
		reef_app_stop(1);
		return;
	}
	g_ctl_state.best_stream = NAN;
	g_ctl_state.best_p50 = NAN;
	g_ctl_state.best_p99 = NAN;
	g_ctl_state.shape = PHASE_STREAM;
	g_stream.src = g_src;
	g_stream.dst = g_dst;
	reef_thread_send_msg(g_src, bench_stream_start, &g_stream);
	g_ctl = reef_poller_register_named(ctl_poll, NULL, 100, "b_ctl");
}

/* ---- serve mode ---- */

static void
count_handler(struct reef_msg_request *req, void *ctx)
{
	(void)ctx;
	g_count++;
	reef_msg_reply(req, 0, NULL, 0);
}

static void
count_get_handler(struct reef_msg_request *req, void *ctx)
{
	(void)ctx;
	reef_msg_reply(req, 0, &g_count, sizeof(g_count));
}

static void
echo_handler(struct reef_msg_request *req, void *ctx)
{
	(void)ctx;
	reef_msg_reply(req, 0, NULL, 0);
}

static void
raw_handler(struct reef_msg_request *req, void *ctx)
{
	struct bench_msg buf[8];
	uint64_t deadline = rte_rdtsc() + RAW_MAX_SECONDS * g_hz, echoed = 0;
	uint32_t n, i;

	(void)ctx;
	/* No reset between windows: the client may already be polling ba. */
	while (rte_rdtsc() < deadline) {
		n = rte_ring_dequeue_burst_elem(g_raw_ab, buf, sizeof(buf[0]), 8, NULL);
		for (i = 0; i < n; i++) {
			if (buf[i].ctx == RAW_STOP) {
				reef_msg_reply(req, 0, &echoed, sizeof(echoed));
				return;
			}
			rte_ring_enqueue_burst_elem(g_raw_ba, &buf[i], sizeof(buf[i]), 1, NULL);
			echoed++;
		}
	}
	reef_msg_reply(req, -ETIMEDOUT, &echoed, sizeof(echoed));
}

static struct rte_ring *
raw_ring(const char *name)
{
	ssize_t size = rte_ring_get_memsize_elem(sizeof(struct bench_msg), RAW_RING_SIZE);
	struct rte_ring *r = reef_memzone_reserve(name, (size_t)size, 64, NULL);

	if (r == NULL ||
	    rte_ring_init(r, name, RAW_RING_SIZE, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		return NULL;
	}
	return r;
}

static void
start_serve(void)
{
	g_target = reef_thread_create("target", NULL);
	g_raw_ab = raw_ring("b_post.raw.ab");
	g_raw_ba = raw_ring("b_post.raw.ba");
	if (g_target == NULL || g_raw_ab == NULL || g_raw_ba == NULL ||
	    reef_msg_handler_register("bench.count", count_handler, NULL) != 0 ||
	    reef_msg_handler_register("bench.count_get", count_get_handler, NULL) != 0 ||
	    reef_msg_handler_register("bench.echo", echo_handler, NULL) != 0 ||
	    reef_msg_handler_register("bench.raw", raw_handler, NULL) != 0) {
		reef_app_stop(1);
		return;
	}
	printf("READY\n");
	fflush(stdout);
}

/* ---- app ---- */

static void
start(void *ctx)
{
	(void)ctx;
	g_hz = reef_get_ticks_hz();
	printf("INFO tsc_hz %llu\n", (unsigned long long)g_hz);
	if (strcmp(g_mode, "local") == 0) {
		start_local();
	} else {
		start_serve();
	}
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
	if (ch == OPT_MODE) {
		g_mode = arg;
		if (strcmp(arg, "local") == 0 || strcmp(arg, "serve") == 0) {
			return 0;
		}
		fprintf(stderr, "b_post: --mode is local or serve, not '%s'\n", arg);
		return -EINVAL;
	}
	return bench_parse_window_opt(ch, arg, &g_win);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"mode", required_argument, NULL, OPT_MODE},
		BENCH_WINDOW_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct reef_app_opts opts;
	int rc;

	reef_log_set_ident("b_post");
	bench_app_opts_init(&opts, "b_post");
	rc = bench_parse_exit_code(
		reef_app_parse_args(argc, argv, &opts, NULL, longopts, parse, NULL));
	if (rc >= 0) {
		return rc;
	}
	if (g_mode == NULL) {
		fprintf(stderr, "b_post: give --mode local or --mode serve\n");
		return 2;
	}
	opts.shutdown_cb = shutdown_cb;
	return reef_app_start(&opts, start, NULL) == 0 ? 0 : 1;
}
