/*
 * The client side of post_perf: a secondary (run it on a core the primary
 * does not use) posting to thread "target" of b_post --mode serve.
 *
 *   one-way   bench.count posted without a reply for a window, as fast as
 *             the request ring takes them: messages/s, from the count the
 *             primary reports before and after (its reply also proves every
 *             post before it ran: one client's posts run in order).
 *   calls     reef_client_call(bench.echo): round-trip p50/p99 in cycles.
 *   raw       the raw two-process ping-pong: bench.raw makes the primary
 *             echo 16-byte elements between two SP/SC rte_rings in hugepage
 *             memory; same count, p50/p99 in cycles.
 *
 * Calls and raw ping-pongs alternate by window; each keeps its best window
 * (lowest p50).
 *
 *   b_post_client [-n NAME] [--window-ms MS] [--windows N] [--trips N]
 *                 [--only calls,raw,oneway]
 */
#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "../common/bench.h"
#include "reef/client.h"
#include "reef/log.h"

#define RAW_STOP        ((void *)(uintptr_t)UINT64_MAX)
#define CALL_TIMEOUT_MS 5000

static const char *g_name = "b_post";
static double g_window_ms = 100;
static int g_windows = 3;
static uint32_t g_trips = 20000;
static const char *g_only = "calls,raw,oneway";

static struct reef_client *g_client;
static uint64_t g_target;
static double *g_lat;

static void
die(const char *what, int rc)
{
	fprintf(stderr, "b_post_client: %s: %s\n", what, strerror(-rc));
	exit(1);
}

static uint64_t
count_get(void)
{
	struct reef_client_reply reply;
	uint64_t v = 0;
	int rc;

	rc = reef_client_call(g_client, g_target, "bench.count_get", NULL, 0, &reply,
			      CALL_TIMEOUT_MS);
	if (rc != 0 || reply.len != sizeof(v)) {
		die("bench.count_get", rc ? rc : -EPROTO);
	}
	memcpy(&v, reply.data, sizeof(v));
	return v;
}

/* Millions of one-way posts per second that ran on the target thread. */
static double
oneway_window(void)
{
	uint64_t seq = 0, c0, c1, t0, t1, end;
	int rc, k;

	c0 = count_get();
	t0 = rte_rdtsc();
	end = t0 + bench_ms_to_ticks(g_window_ms);
	while (rte_rdtsc() < end) {
		for (k = 0; k < 16; k++) {
			rc = reef_client_post(g_client, g_target, "bench.count", &seq, sizeof(seq),
					      false, NULL);
			if (rc == 0) {
				seq++;
			} else if (rc != -ENOBUFS) {
				die("bench.count", rc);
			} else {
				rte_pause();
			}
		}
	}
	c1 = count_get();
	t1 = rte_rdtsc();
	return (double)(c1 - c0) / ((double)(t1 - t0) / (double)reef_get_ticks_hz()) / 1e6;
}

static void
calls_window(double *p50, double *p99)
{
	struct reef_client_reply reply;
	uint64_t seq;
	uint32_t i;
	int rc;

	for (i = 0; i < g_trips; i++) {
		uint64_t t0 = rte_rdtsc();

		seq = i;
		rc = reef_client_call(g_client, g_target, "bench.echo", &seq, sizeof(seq), &reply,
				      CALL_TIMEOUT_MS);
		if (rc != 0) {
			die("bench.echo", rc);
		}
		g_lat[i] = (double)(rte_rdtsc() - t0);
	}
	*p50 = bench_quantile(g_lat, g_trips, 0.50);
	*p99 = bench_quantile(g_lat, g_trips, 0.99);
}

static void
raw_window(struct rte_ring *ab, struct rte_ring *ba, double *p50, double *p99)
{
	struct reef_client_reply reply;
	struct bench_msg m = {NULL, NULL}, got;
	uint64_t id, deadline;
	uint32_t i;
	int rc;

	rc = reef_client_post(g_client, g_target, "bench.raw", NULL, 0, true, &id);
	if (rc != 0) {
		die("bench.raw", rc);
	}
	for (i = 0; i < g_trips; i++) {
		uint64_t t0 = rte_rdtsc();

		m.ctx = (void *)(uintptr_t)i;
		while (rte_ring_enqueue_burst_elem(ab, &m, sizeof(m), 1, NULL) != 1) {
			rte_pause();
		}
		while (rte_ring_dequeue_burst_elem(ba, &got, sizeof(got), 1, NULL) != 1) {
			rte_pause();
		}
		g_lat[i] = (double)(rte_rdtsc() - t0);
	}
	m.ctx = RAW_STOP;
	while (rte_ring_enqueue_burst_elem(ab, &m, sizeof(m), 1, NULL) != 1) {
		rte_pause();
	}
	deadline = rte_rdtsc() + 5 * reef_get_ticks_hz();
	do {
		rc = reef_client_poll_reply(g_client, &reply);
	} while ((rc == -EAGAIN || (rc == 0 && reply.request_id != id)) && rte_rdtsc() < deadline);
	if (rc != 0 || reply.status != 0) {
		die("bench.raw reply", rc ? rc : reply.status);
	}
	*p50 = bench_quantile(g_lat, g_trips, 0.50);
	*p99 = bench_quantile(g_lat, g_trips, 0.99);
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, 'n'},
		{"window-ms", required_argument, NULL, 'w'},
		{"windows", required_argument, NULL, 'W'},
		{"trips", required_argument, NULL, 't'},
		{"only", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			g_name = optarg;
			break;
		case 'w':
			g_window_ms = atof(optarg);
			break;
		case 'W':
			g_windows = atoi(optarg);
			break;
		case 't':
			g_trips = (uint32_t)atoi(optarg);
			break;
		case 'o':
			g_only = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	return g_window_ms > 0 && g_windows > 0 && g_trips > 0 ? 0 : -EINVAL;
}

int
main(int argc, char **argv)
{
	double oneway = NAN, c50 = NAN, c99 = NAN, r50 = NAN, r99 = NAN, p50, p99;
	struct rte_ring *ab, *ba;
	int rc, w;

	if (parse_args(argc, argv) != 0) {
		fprintf(stderr, "usage: b_post_client [-n NAME] [--window-ms MS] [--windows N] "
				"[--trips N] [--only calls,raw,oneway]\n");
		return 2;
	}
	reef_log_set_ident("b_post_client");
	rc = reef_client_attach(g_name, &g_client);
	if (rc != 0) {
		return 1;
	}
	rc = reef_client_find_thread(g_client, "target", &g_target);
	ab = reef_memzone_lookup("b_post.raw.ab", NULL);
	ba = reef_memzone_lookup("b_post.raw.ba", NULL);
	g_lat = calloc(g_trips, sizeof(*g_lat));
	if (rc != 0 || ab == NULL || ba == NULL || g_lat == NULL) {
		fprintf(stderr, "b_post_client: primary %s is not b_post --mode serve\n", g_name);
		reef_client_detach(g_client);
		return 1;
	}
	/* Warm up both paths. */
	calls_window(&p50, &p99);
	raw_window(ab, ba, &p50, &p99);
	for (w = 0; w < g_windows; w++) {
		if (strstr(g_only, "calls") != NULL) {
			calls_window(&p50, &p99);
			if (isnan(c50) || p50 < c50) {
				c50 = p50;
				c99 = p99;
			}
		}
		if (strstr(g_only, "raw") != NULL) {
			raw_window(ab, ba, &p50, &p99);
			if (isnan(r50) || p50 < r50) {
				r50 = p50;
				r99 = p99;
			}
		}
		if (strstr(g_only, "oneway") != NULL) {
			oneway = bench_best(oneway, oneway_window(), BENCH_HIGHER);
		}
	}
	printf("INFO tsc_hz %llu\n", (unsigned long long)reef_get_ticks_hz());
	bench_result("post_oneway", oneway, NAN);
	bench_result("post_rtt_p50", c50, r50);
	bench_result("post_rtt_p99", c99, r99);
	reef_client_detach(g_client);
	return 0;
}
