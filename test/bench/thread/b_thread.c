/*
 * Single-thread benchmarks on the real env. The thread is polled by hand on
 * one core the way a reactor polls it: the end of one poll is the start of the
 * next, so the loop's own cost is counted, as it is in production.
 *
 *   poller   N pollers (1, 100, 1000) that count and return busy, active
 *            (period 0) and timed (period 1 us): SPDK's poller_cost, thread
 *            busy cycles / runs. Baseline: a bare loop calling the same
 *            function through an array of pointers (the limit).
 *   empty    an empty thread poll. Baseline: one rdtsc and an empty dequeue
 *            from a raw MP/SC ring (what a poll cannot do without).
 *   msg      a thread sending to itself: batched (8 sends, then a poll runs
 *            them), one per poll, and 128 in flight (SPDK's reactor_perf
 *            -q 128 shape). Baseline: raw rte_ring enqueue + dequeue of the
 *            same count and shape, plus the indirect call.
 *   top      1000 active pollers, reef-top -b -d 0.1 running vs stopped.
 *   timing   1000 active pollers, poller timing on vs off.
 *   usdt     1000 active pollers only (run from the USDT and CONFIG_USDT=n
 *            builds by the driver).
 *
 *   b_thread [--name NAME] [--core CPU] [--other-core CPU] [--window-ms MS]
 *            [--windows N] [--cases LIST] [--top PATH]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "../common/bench.h"
#include "reef/log.h"
#include "reef/string.h"
#include "reef/thread.h"
#include "reef_internal/shm.h"

#define MAX_POLLERS   1000
#define RAW_RING_SIZE 4096
#define QD            128

static struct {
	const char *name;
	int core;
	int other_core;
	double window_ms;
	int windows;
	const char *cases;
	const char *top;
} g_opt = {
	.name = "b_thread",
	.core = 0,
	.other_core = 1,
	.window_ms = 20,
	.windows = 5,
	.cases = "poller,empty,msg,top,timing",
};

static volatile sig_atomic_t g_stop;
static struct reef_shm_region *g_region;
static struct reef_thread *g_thread;
static struct reef_poller *g_pollers[MAX_POLLERS];
static uint32_t g_nr_pollers;
static struct rte_ring *g_mpsc, *g_spsc;

/* SPDK's poller_perf counts every run in one counter; so do we, and so does the bare loop. */
static uint64_t g_runs;
static uint64_t g_msgs;
static uint64_t g_sink;
static bool g_self_stop;

static reef_poller_fn g_fns[MAX_POLLERS];
static void *g_args[MAX_POLLERS];
static struct reef_shm_poller *g_shadow;

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static bool
want(const char *c)
{
	size_t n = strlen(c);
	const char *p = g_opt.cases;

	while ((p = strstr(p, c)) != NULL) {
		if ((p == g_opt.cases || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) {
			return true;
		}
		p += n;
	}
	return false;
}

static uint64_t
window_ticks(void)
{
	return bench_ms_to_ticks(g_opt.window_ms);
}

static int
count_fn(void *arg)
{
	(void)arg;
	g_runs++;
	return REEF_POLLER_BUSY;
}

static void
msg_fn(void *ctx)
{
	(void)ctx;
	g_msgs++;
}

static void
self_fn(void *ctx)
{
	(void)ctx;
	g_msgs++;
	if (!g_self_stop) {
		reef_thread_send_msg(g_thread, self_fn, NULL);
	}
}

static void
raw_self_fn(void *ctx)
{
	struct bench_msg m = {raw_self_fn, ctx};

	g_msgs++;
	rte_ring_enqueue_burst_elem((struct rte_ring *)ctx, &m, sizeof(m), 1, NULL);
}

/* Start a measurement: one poll that reads the clock itself, so a pause before doesn't count. */
static uint64_t
poll_restart(struct reef_thread *t)
{
	reef_thread_poll(t, 0, 0);
	return reef_thread_get_last_tsc(t);
}

static uint64_t
thread_busy_tsc(struct reef_thread *t)
{
	struct reef_thread_stats st;

	reef_set_thread(t);
	reef_thread_get_stats(&st);
	reef_set_thread(NULL);
	return st.busy_tsc;
}

/* Poll t as a reactor does until end; returns the tsc it stopped at. */
static uint64_t
poll_until(struct reef_thread *t, uint64_t now, uint64_t end, uint64_t *polls)
{
	uint64_t n = 0;

	while (now < end) {
		reef_thread_poll(t, 0, now);
		now = reef_thread_get_last_tsc(t);
		n++;
	}
	if (polls != NULL) {
		*polls = n;
	}
	return now;
}

/* ---- poller_perf ---- */

static void
pollers_register(uint32_t n, uint64_t period_us)
{
	char name[16];
	uint32_t i;

	reef_set_thread(g_thread);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		g_pollers[i] = reef_poller_register_named(count_fn, NULL, period_us, name);
		if (g_pollers[i] == NULL) {
			fprintf(stderr, "b_thread: cannot register poller %u\n", i);
			exit(1);
		}
		g_fns[i] = count_fn;
		g_args[i] = NULL;
	}
	reef_set_thread(NULL);
	g_nr_pollers = n;
}

static void
pollers_unregister(void)
{
	uint32_t i;

	reef_set_thread(g_thread);
	for (i = 0; i < g_nr_pollers; i++) {
		reef_poller_unregister(&g_pollers[i]);
	}
	reef_set_thread(NULL);
	g_nr_pollers = 0;
	/* The next poll frees them. */
	reef_thread_poll(g_thread, 0, 0);
}

static void
pollers_set_timing(bool on)
{
	uint32_t i;

	for (i = 0; i < g_nr_pollers; i++) {
		reef_poller_set_timing(g_pollers[i], on);
	}
}

/* Thread busy cycles per poller run over one window (SPDK's poller_cost). */
static double
poller_window(uint64_t ticks)
{
	uint64_t now = poll_restart(g_thread), busy0 = thread_busy_tsc(g_thread), runs0 = g_runs;

	poll_until(g_thread, now, now + ticks, NULL);
	return (double)(thread_busy_tsc(g_thread) - busy0) / (double)(g_runs - runs0);
}

/*
 * The limit: the same functions called through an array, each run counted in
 * run and busy counters of records laid out like Reef's (a shadow table of
 * struct reef_shm_poller in hugepage memory, not the live one). Cycles per call.
 */
static double
bare_window(uint32_t n, uint64_t ticks)
{
	uint32_t chunk = n >= 256 ? 1 : 256 / n, p, i;
	uint64_t start = rte_rdtsc(), end = start + ticks, now, calls = 0;

	do {
		for (p = 0; p < chunk; p++) {
			for (i = 0; i < n; i++) {
				struct reef_shm_poller *rec = &g_shadow[i];

				rec->run_count++;
				if (g_fns[i](g_args[i]) > 0) {
					rec->busy_count++;
				}
			}
		}
		calls += (uint64_t)chunk * n;
		now = rte_rdtsc();
	} while (now < end);
	return (double)(now - start) / (double)calls;
}

/* Calls only, no counters at all: the floor under any poller loop. */
static double
calls_window(uint32_t n, uint64_t ticks)
{
	uint32_t chunk = n >= 256 ? 1 : 256 / n, p, i;
	uint64_t start = rte_rdtsc(), end = start + ticks, now, calls = 0, busy = 0;

	do {
		for (p = 0; p < chunk; p++) {
			for (i = 0; i < n; i++) {
				busy += g_fns[i](g_args[i]) > 0;
			}
		}
		calls += (uint64_t)chunk * n;
		now = rte_rdtsc();
	} while (now < end);
	g_sink += busy;
	return (double)(now - start) / (double)calls;
}

static void
bench_pollers(uint32_t n, uint64_t period_us, const char *name)
{
	double reef = NAN, base = NAN, calls = NAN;
	char calls_name[64];
	int w;

	pollers_register(n, period_us);
	poll_until(g_thread, poll_restart(g_thread), reef_get_ticks() + bench_ms_to_ticks(5), NULL);
	for (w = 0; w < g_opt.windows && !g_stop; w++) {
		base = bench_best(base, bare_window(n, window_ticks()), BENCH_LOWER);
		if (period_us == 0) {
			calls = bench_best(calls, calls_window(n, window_ticks()), BENCH_LOWER);
		}
		reef = bench_best(reef, poller_window(window_ticks()), BENCH_LOWER);
	}
	pollers_unregister();
	bench_result(name, reef, base);
	if (period_us == 0) {
		snprintf(calls_name, sizeof(calls_name), "%s_vs_calls", name);
		bench_result(calls_name, reef, calls);
	}
}

/* ---- empty poll ---- */

static double
empty_window(struct reef_thread *t, uint64_t ticks)
{
	uint64_t start = poll_restart(t), polls, end;

	end = poll_until(t, start, start + ticks, &polls);
	return (double)(end - start) / (double)polls;
}

static double
empty_raw_window(uint64_t ticks)
{
	struct bench_msg buf[REEF_MSG_BATCH_SIZE];
	uint64_t start = rte_rdtsc(), end = start + ticks, now, iters = 0;
	int k;

	do {
		for (k = 0; k < 64; k++) {
			now = rte_rdtsc();
			g_sink += now;
			g_sink += rte_ring_dequeue_burst_elem(g_mpsc, buf, sizeof(buf[0]),
							      REEF_MSG_BATCH_SIZE, NULL);
		}
		iters += 64;
	} while (now < end);
	return (double)(now - start) / (double)iters;
}

static void
bench_empty(void)
{
	double reef = NAN, base = NAN;
	int w;

	for (w = 0; w < g_opt.windows && !g_stop; w++) {
		base = bench_best(base, empty_raw_window(window_ticks()), BENCH_LOWER);
		reef = bench_best(reef, empty_window(g_thread, window_ticks()), BENCH_LOWER);
	}
	bench_result("thread_poll_empty", reef, base);
}

/* ---- messages to self ---- */

/* Cycles per message: `batch` sends, then one poll, repeated. */
static double
msg_window(uint32_t batch, uint64_t ticks)
{
	uint64_t now = poll_restart(g_thread), start = now, end = now + ticks, sent = 0;
	uint32_t j;

	while (now < end) {
		for (j = 0; j < batch; j++) {
			reef_thread_send_msg(g_thread, msg_fn, NULL);
		}
		reef_thread_poll(g_thread, 0, now);
		now = reef_thread_get_last_tsc(g_thread);
		sent += batch;
	}
	return (double)(now - start) / (double)sent;
}

/* The same shape on a raw ring: `batch` single enqueues, one burst dequeue, the calls. */
static double
msg_raw_window(struct rte_ring *r, uint32_t batch, uint64_t ticks)
{
	struct bench_msg m = {msg_fn, NULL}, buf[REEF_MSG_BATCH_SIZE];
	uint64_t start = rte_rdtsc(), end = start + ticks, now, sent = 0;
	uint32_t j, n, i;
	int k;

	do {
		for (k = 0; k < 32; k++) {
			for (j = 0; j < batch; j++) {
				rte_ring_enqueue_burst_elem(r, &m, sizeof(m), 1, NULL);
			}
			n = rte_ring_dequeue_burst_elem(r, buf, sizeof(buf[0]), REEF_MSG_BATCH_SIZE,
							NULL);
			for (i = 0; i < n; i++) {
				buf[i].fn(buf[i].ctx);
			}
		}
		sent += 32 * batch;
		now = rte_rdtsc();
	} while (now < end);
	return (double)(now - start) / (double)sent;
}

/* Millions of messages per second with QD messages to self in flight. */
static double
qd_window(uint64_t ticks)
{
	uint64_t now, start, m0;
	int i;

	g_self_stop = false;
	for (i = 0; i < QD; i++) {
		reef_thread_send_msg(g_thread, self_fn, NULL);
	}
	now = poll_restart(g_thread);
	start = now;
	m0 = g_msgs;
	now = poll_until(g_thread, now, now + ticks, NULL);
	m0 = g_msgs - m0;
	g_self_stop = true;
	while (!reef_thread_is_idle(g_thread)) {
		reef_thread_poll(g_thread, 0, 0);
	}
	return (double)m0 / ((double)(now - start) / (double)reef_get_ticks_hz()) / 1e6;
}

static double
qd_raw_window(uint64_t ticks)
{
	struct bench_msg m = {raw_self_fn, g_mpsc}, buf[REEF_MSG_BATCH_SIZE];
	uint64_t start, end, now, m0;
	uint32_t n, i;
	int k;

	for (k = 0; k < QD; k++) {
		rte_ring_enqueue_burst_elem(g_mpsc, &m, sizeof(m), 1, NULL);
	}
	m0 = g_msgs;
	start = rte_rdtsc();
	end = start + ticks;
	do {
		for (k = 0; k < 64; k++) {
			n = rte_ring_dequeue_burst_elem(g_mpsc, buf, sizeof(buf[0]),
							REEF_MSG_BATCH_SIZE, NULL);
			for (i = 0; i < n; i++) {
				buf[i].fn(buf[i].ctx);
			}
		}
		now = rte_rdtsc();
	} while (now < end);
	m0 = g_msgs - m0;
	rte_ring_reset(g_mpsc);
	return (double)m0 / ((double)(now - start) / (double)reef_get_ticks_hz()) / 1e6;
}

static void
bench_msgs(void)
{
	double reef_b = NAN, mp_b = NAN, sp_b = NAN, reef_1 = NAN, mp_1 = NAN, reef_q = NAN,
	       mp_q = NAN;
	uint64_t t = window_ticks();
	int w;

	for (w = 0; w < g_opt.windows && !g_stop; w++) {
		mp_b = bench_best(mp_b, msg_raw_window(g_mpsc, REEF_MSG_BATCH_SIZE, t),
				  BENCH_LOWER);
		sp_b = bench_best(sp_b, msg_raw_window(g_spsc, REEF_MSG_BATCH_SIZE, t),
				  BENCH_LOWER);
		reef_b = bench_best(reef_b, msg_window(REEF_MSG_BATCH_SIZE, t), BENCH_LOWER);
		mp_1 = bench_best(mp_1, msg_raw_window(g_mpsc, 1, t), BENCH_LOWER);
		reef_1 = bench_best(reef_1, msg_window(1, t), BENCH_LOWER);
		mp_q = bench_best(mp_q, qd_raw_window(t), BENCH_HIGHER);
		reef_q = bench_best(reef_q, qd_window(t), BENCH_HIGHER);
	}
	bench_result("msg_local_batched", reef_b, mp_b);
	bench_result("msg_local_batched_spsc", reef_b, sp_b);
	bench_result("msg_local_one_per_poll", reef_1, mp_1);
	bench_result("msg_local_qd128", reef_q, mp_q);
}

/* ---- observability ---- */

/* Whether secondary pid has opened its DPDK multi-process socket (it has attached). */
static bool
secondary_attached(pid_t pid)
{
	char dir[256], prefix[64];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/var/run/dpdk/reef_%s", g_opt.name);
	snprintf(prefix, sizeof(prefix), "mp_socket_%d_", (int)pid);
	d = opendir(dir);
	while (d != NULL && !found && (de = readdir(d)) != NULL) {
		found = strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	}
	if (d != NULL) {
		closedir(d);
	}
	return found;
}

static pid_t
top_start(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		bench_pin_cpu(g_opt.other_core);
		dup2(fd, STDOUT_FILENO);
		execl(g_opt.top, g_opt.top, "-n", g_opt.name, "-b", "-d", "0.1", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
bench_top(void)
{
	double plain = NAN, top = NAN;
	uint64_t deadline;
	pid_t pid;
	int w, status;

	if (g_opt.top == NULL || access(g_opt.top, X_OK) != 0) {
		fprintf(stderr, "b_thread: no reef-top to attach (--top PATH): obs_top skipped\n");
		return;
	}
	pollers_register(MAX_POLLERS, 0);
	pid = top_start();
	if (pid < 0) {
		pollers_unregister();
		return;
	}
	/* Keep polling while it attaches, as a live primary would. */
	deadline = reef_get_ticks() + bench_ms_to_ticks(10000);
	while (!g_stop && reef_get_ticks() < deadline && !secondary_attached(pid)) {
		poll_until(g_thread, poll_restart(g_thread),
			   reef_get_ticks() + bench_ms_to_ticks(50), NULL);
	}
	/* Its first snapshots (and its start-up) are behind us after a while. */
	poll_until(g_thread, poll_restart(g_thread), reef_get_ticks() + bench_ms_to_ticks(500),
		   NULL);
	if (waitpid(pid, &status, WNOHANG) != 0) {
		fprintf(stderr, "b_thread: reef-top exited early: obs_top skipped\n");
		pollers_unregister();
		return;
	}
	/*
	 * Attached and running vs attached and stopped: a stopped reader touches
	 * nothing, so the primary sees exactly what it sees with no reader.
	 */
	for (w = 0; w < g_opt.windows && !g_stop; w++) {
		kill(pid, SIGSTOP);
		plain = bench_best(plain, poller_window(bench_ms_to_ticks(200)), BENCH_LOWER);
		kill(pid, SIGCONT);
		top = bench_best(top, poller_window(bench_ms_to_ticks(200)), BENCH_LOWER);
	}
	kill(pid, SIGTERM);
	kill(pid, SIGCONT);
	waitpid(pid, &status, 0);
	pollers_unregister();
	bench_result("obs_top", top, plain);
}

static void
bench_timing(void)
{
	double off = NAN, on = NAN;
	int w;

	pollers_register(MAX_POLLERS, 0);
	for (w = 0; w < g_opt.windows && !g_stop; w++) {
		pollers_set_timing(false);
		off = bench_best(off, poller_window(window_ticks()), BENCH_LOWER);
		pollers_set_timing(true);
		on = bench_best(on, poller_window(window_ticks()), BENCH_LOWER);
	}
	pollers_unregister();
	bench_result("obs_timing", on, off);
}

static void
bench_usdt(void)
{
	double reef = NAN;
	int w;

	pollers_register(MAX_POLLERS, 0);
	poll_until(g_thread, poll_restart(g_thread), reef_get_ticks() + bench_ms_to_ticks(5), NULL);
	for (w = 0; w < g_opt.windows && !g_stop; w++) {
		reef = bench_best(reef, poller_window(window_ticks()), BENCH_LOWER);
	}
	pollers_unregister();
	bench_result("usdt_poller_cost_1000", reef, NAN);
}

/* ---- setup ---- */

static struct rte_ring *
raw_ring(const char *name, unsigned int flags)
{
	ssize_t size = rte_ring_get_memsize_elem(sizeof(struct bench_msg), RAW_RING_SIZE);
	struct rte_ring *r;

	r = reef_memzone_reserve(name, (size_t)size, 64, NULL);
	if (r == NULL || rte_ring_init(r, name, RAW_RING_SIZE, flags) != 0) {
		fprintf(stderr, "b_thread: cannot set up raw ring %s\n", name);
		exit(1);
	}
	return r;
}

static void
usage(void)
{
	fprintf(stderr, "usage: b_thread [--name NAME] [--core CPU] [--other-core CPU] "
			"[--window-ms MS] [--windows N] [--cases LIST] [--top PATH]\n");
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, 'n'},
		{"core", required_argument, NULL, 'c'},
		{"other-core", required_argument, NULL, 'o'},
		{"window-ms", required_argument, NULL, 'w'},
		{"windows", required_argument, NULL, 'W'},
		{"cases", required_argument, NULL, 'C'},
		{"top", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			g_opt.name = optarg;
			break;
		case 'c':
			g_opt.core = atoi(optarg);
			break;
		case 'o':
			g_opt.other_core = atoi(optarg);
			break;
		case 'w':
			g_opt.window_ms = atof(optarg);
			break;
		case 'W':
			g_opt.windows = atoi(optarg);
			break;
		case 'C':
			g_opt.cases = optarg;
			break;
		case 't':
			g_opt.top = optarg;
			break;
		default:
			usage();
			return -EINVAL;
		}
	}
	if (g_opt.window_ms <= 0 || g_opt.windows <= 0) {
		fprintf(stderr, "b_thread: --window-ms and --windows want positive numbers\n");
		return -EINVAL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct reef_shm_limits limits;
	struct reef_env_opts opts;
	struct reef_cpuset mask;

	if (parse_args(argc, argv) != 0) {
		return 2;
	}
	reef_log_set_ident("b_thread");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = g_opt.name;
	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, (uint32_t)g_opt.core, true);
	opts.cpumask = &mask;
	if (reef_env_init(&opts) != 0) {
		return 1;
	}
	reef_shm_limits_init(&limits);
	limits.max_threads = 8;
	limits.max_pollers = 2 * MAX_POLLERS;
	limits.max_devices = 8;
	limits.max_channels = 8;
	limits.max_clients = 4;
	limits.max_handlers = 8;
	if (reef_shm_create(g_opt.name, &limits, &g_region) != 0 ||
	    reef_thread_lib_init(NULL, 0) != 0) {
		reef_env_fini();
		return 1;
	}
	g_thread = reef_thread_create("bench", NULL);
	g_shadow =
		reef_memzone_reserve("b_thread.shadow", MAX_POLLERS * sizeof(*g_shadow), 64, NULL);
	g_mpsc = raw_ring("b_thread.mpsc", RING_F_SC_DEQ);
	g_spsc = raw_ring("b_thread.spsc", RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (g_thread == NULL || g_shadow == NULL) {
		return 1;
	}
	reef_shm_set_state(g_region, REEF_REGION_RUNNING);
	printf("INFO tsc_hz %llu\n", (unsigned long long)reef_get_ticks_hz());

	if (want("poller")) {
		bench_pollers(1000, 0, "poller_cost_1000");
		bench_pollers(100, 0, "poller_cost_100");
		bench_pollers(1, 0, "poller_cost_1");
		bench_pollers(1000, 1, "poller_cost_1000_timed");
		bench_pollers(100, 1, "poller_cost_100_timed");
		bench_pollers(1, 1, "poller_cost_1_timed");
	}
	if (want("empty") && !g_stop) {
		bench_empty();
	}
	if (want("msg") && !g_stop) {
		bench_msgs();
	}
	if (want("usdt") && !g_stop) {
		bench_usdt();
	}
	if (want("timing") && !g_stop) {
		bench_timing();
	}
	if (want("top") && !g_stop) {
		bench_top();
	}

	reef_shm_set_state(g_region, REEF_REGION_STOPPING);
	reef_set_thread(g_thread);
	reef_thread_exit(g_thread);
	reef_set_thread(NULL);
	while (!reef_thread_is_exited(g_thread)) {
		reef_thread_poll(g_thread, 0, 0);
	}
	reef_thread_destroy(g_thread);
	reef_thread_lib_fini();
	reef_shm_destroy(g_region);
	reef_env_fini();
	printf("INFO sink %llu\n", (unsigned long long)(g_sink & 1));
	return 0;
}
