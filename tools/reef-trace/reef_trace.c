/*
 * reef-trace: per-poller, per-message-function and per-handler latency of a
 * running Reef primary, from its USDT probes (libbpf; see doc/usdt.md).
 *
 *   reef-trace -p PID | -n NAME [-i SECONDS] [-t SECONDS] [--json] [--export]
 *
 * The BPF side (reef_trace.bpf.c) keeps a histogram per poller, message
 * function and remote handler; every interval this side reads them, takes
 * the difference with the previous reading and prints percentiles.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hist.h"
#include "reef/log.h"
#include "reef/string.h"
#include "reef/trace_export.h"
#include "reef_trace.skel.h"
#include "report.h"
#include "sym.h"
#include "target.h"

#if !defined(__x86_64__)
#error "reef-trace converts TSC cycles with rdtsc: x86-64 only"
#endif
#include <x86intrin.h>

/* Exit codes, documented in --help. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_PERM = 3,
	EXIT_TARGET = 4,
};

struct trace_opts {
	pid_t pid;
	const char *name;
	double interval_s;
	double duration_s; /* 0: until interrupted */
	bool json;
	bool export;
	bool verbose;
};

static volatile sig_atomic_t g_stop;
static bool g_verbose;

static void
usage(void)
{
	printf("Usage: reef-trace -p PID | -n NAME [-i SECONDS] [-t SECONDS] [--json] [--export]\n"
	       "\n"
	       "Attach to the USDT probes of a running Reef primary and print, every interval,\n"
	       "the run-time percentiles of each poller, the execution time of each message\n"
	       "function and the receive-to-reply time of each remote message handler.\n"
	       "Needs root (BPF and uprobes). See doc/usdt.md.\n"
	       "\n"
	       "  -p, --pid PID          the primary's pid\n"
	       "  -n, --name NAME        the primary's app name\n"
	       "  -i, --interval SECONDS report interval, fractions allowed (default 1)\n"
	       "  -t, --time SECONDS     stop after this long (default: until Ctrl-C)\n"
	       "      --json             one JSON object per interval and line\n"
	       "      --export           also publish the poller percentiles for reef-top\n"
	       "                         (%s/NAME.trace, or $REEF_TRACE_DIR)\n"
	       "  -V, --verbose          show libbpf's messages\n"
	       "  -h, --help             this help\n"
	       "  -v, --version          print the version\n"
	       "\n"
	       "Times are measured in TSC cycles and shown converted with the TSC rate\n"
	       "reef-trace measures. Exit status: 0 ok, 1 tracing failed, 2 bad usage,\n"
	       "3 not root or BPF not permitted, 4 no such primary or not a Reef primary.\n",
	       REEF_TRACE_EXPORT_DIR);
}

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int
libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!g_verbose) {
		return 0;
	}
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "reef-trace: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

static int
parse_seconds(const char *opt, const char *arg, double min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(v >= min) || v > 86400.0 * 365) {
		error("%s wants a number of seconds of at least %g, not '%s'", opt, min, arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct trace_opts *o)
{
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},      {"name", required_argument, NULL, 'n'},
		{"interval", required_argument, NULL, 'i'}, {"time", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'J'},           {"export", no_argument, NULL, 'E'},
		{"verbose", no_argument, NULL, 'V'},        {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},        {NULL, 0, NULL, 0},
	};
	unsigned long long pid;
	int ch;

	o->interval_s = 1.0;
	while ((ch = getopt_long(argc, argv, "p:n:i:t:Vhv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (reef_parse_u64(optarg, INT32_MAX, &pid) != 0 || pid == 0) {
				error("-p wants a pid, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o->pid = (pid_t)pid;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'i':
			if (parse_seconds("-i", optarg, 0.01, &o->interval_s) != 0) {
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_seconds("-t", optarg, 0.01, &o->duration_s) != 0) {
				return EXIT_USAGE;
			}
			break;
		case 'J':
			o->json = true;
			break;
		case 'E':
			o->export = true;
			break;
		case 'V':
			o->verbose = true;
			break;
		case 'h':
			usage();
			return -1;
		case 'v':
			printf("reef-trace %s\n", REEF_VERSION_STRING);
			return -1;
		default:
			fprintf(stderr, "Try 'reef-trace --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		error("unexpected argument '%s' (try --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if ((o->pid == 0) == (o->name == NULL)) {
		error("name the primary to trace with either -p PID or -n NAME (try --help)");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Sleep until CLOCK_MONOTONIC reaches ns, or a signal asks us to stop. */
static void
sleep_until(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL),
			      .tv_nsec = (long)(ns % 1000000000ULL)};

	while (!g_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
	}
}

static uint64_t
clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *
attach_hint(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return "uprobes are not permitted here (perf_event_open refused: a container "
		       "without CAP_PERFMON/CAP_SYS_ADMIN, or kernel lockdown)";
	case ENOENT:
	case EOPNOTSUPP:
		return "this kernel cannot place uprobes (no uprobe PMU: CONFIG_UPROBE_EVENTS)";
	default:
		return NULL;
	}
}

/* Attach prog to probe `probe` of the target. Optional probes may be missing. */
static int
attach(struct bpf_program *prog, struct bpf_link **link, const struct rt_target *t,
       const char *probe, bool optional)
{
	int err;

	if (!rt_target_has_probe(t, probe)) {
		if (optional) {
			return 0;
		}
		error("%s has no reef:%s probe: it predates this reef-trace", t->exe, probe);
		return -ENOENT;
	}
	*link = bpf_program__attach_usdt(prog, t->pid, t->attach_path, "reef", probe, NULL);
	err = libbpf_get_error(*link);
	if (err == 0) {
		return 0;
	}
	*link = NULL;
	err = -err;
	if (attach_hint(err) != NULL) {
		error("cannot attach to reef:%s of pid %d: %s", probe, (int)t->pid,
		      attach_hint(err));
	} else {
		error("cannot attach to reef:%s of pid %d: %s (try --verbose)", probe, (int)t->pid,
		      strerror(err));
	}
	return -err;
}

/* Attach every program; the first failure stops. Returns 0 or -errno. */
static int
attach_all(struct reef_trace_bpf *skel, const struct rt_target *t)
{
	/* poller_unregister only tidies up; the remote probes are newer than the rest. */
	const struct {
		struct bpf_program *prog;
		struct bpf_link **link;
		const char *probe;
		bool optional;
	} probes[] = {
		{skel->progs.poller_run, &skel->links.poller_run, "poller_run", false},
		{skel->progs.msg_exec, &skel->links.msg_exec, "msg_exec", false},
		{skel->progs.poller_unregister, &skel->links.poller_unregister, "poller_unregister",
		 true},
		{skel->progs.remote_msg_recv, &skel->links.remote_msg_recv, "remote_msg_recv",
		 true},
		{skel->progs.remote_msg_reply, &skel->links.remote_msg_reply, "remote_msg_reply",
		 true},
	};
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]) && rc == 0; i++) {
		rc = attach(probes[i].prog, probes[i].link, t, probes[i].probe, probes[i].optional);
	}
	return rc;
}

static int
load_and_attach(struct reef_trace_bpf **skelp, const struct rt_target *t)
{
	struct reef_trace_bpf *skel;
	int rc;

	skel = reef_trace_bpf__open();
	if (skel == NULL) {
		error("cannot open the BPF program: %s", strerror(errno));
		return EXIT_FAIL;
	}
	*skelp = skel;
	rc = reef_trace_bpf__load(skel);
	if (rc == -EPERM || rc == -EACCES) {
		error("BPF is not permitted here: the kernel refused to load the program (a "
		      "container without CAP_BPF/CAP_SYS_ADMIN, or kernel lockdown)");
		return EXIT_PERM;
	}
	if (rc != 0) {
		error("cannot load the BPF program: %s (try --verbose)", strerror(-rc));
		return EXIT_FAIL;
	}
	rc = attach_all(skel, t);
	if (rc == -EPERM || rc == -EACCES) {
		return EXIT_PERM;
	}
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

static void
make_tables(struct reef_trace_bpf *skel, struct rt_table *tables)
{
	rt_table_init(&tables[RT_POLLERS], bpf_map__fd(skel->maps.pollers), sizeof(__u64));
	rt_table_init(&tables[RT_MSGS], bpf_map__fd(skel->maps.msgs), sizeof(__u64));
	rt_table_init(&tables[RT_HANDLERS], bpf_map__fd(skel->maps.handlers),
		      sizeof(struct rt_name));
}

/* Read the maps, print the interval that ends now and export it. Returns 0 or -errno. */
static int
report_interval(const struct trace_opts *o, struct rt_report *r, struct reef_trace_bpf *skel,
		bool *export_failed)
{
	int rc;

	r->epoch = skel->bss->epoch;
	rc = rt_tables_read(r->tables, r->epoch);
	if (rc != 0) {
		error("cannot read the BPF maps: %s", strerror(-rc));
		return rc;
	}
	/* Read first, then open the next epoch (see rt_summarize()). */
	skel->bss->epoch = r->epoch + 1;
	r->dropped = skel->bss->dropped;
	if (o->json) {
		rt_print_json(stdout, r);
	} else {
		rt_print_table(stdout, r);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* The reader went away (`| head`): time to stop, quietly. */
		return -EPIPE;
	}
	if (o->export) {
		rc = rt_export(r);
		if (rc != 0 && !*export_failed) {
			error("cannot write the --export snapshot: %s", strerror(-rc));
		}
		*export_failed = rc != 0;
	}
	return 0;
}

/*
 * Remove the --export snapshot as we stop, unless another reef-trace of the
 * same app wrote the current one: its snapshot must stay for reef-top.
 */
static void
export_remove_own(const struct rt_target *t)
{
	struct reef_trace_export *exp = NULL;

	if (reef_trace_export_read(t->app, t->pid, &exp) == 0 && exp->writer_pid != getpid()) {
		reef_trace_export_free(&exp);
		return;
	}
	reef_trace_export_free(&exp);
	reef_trace_export_remove(t->app);
}

static int
run(const struct trace_opts *o, const struct rt_target *t, struct reef_trace_bpf *skel)
{
	struct rt_table tables[RT_TABLE_COUNT];
	struct rt_report report = {0};
	struct rt_symbolizer *sym;
	uint64_t start, last, next, end = 0, tsc0, interval_ns;
	bool export_failed = false;
	int rc = 0;

	sym = rt_sym_open(t->pid);
	if (sym == NULL) {
		error("out of memory");
		return EXIT_FAIL;
	}
	make_tables(skel, tables);
	interval_ns = (uint64_t)(o->interval_s * 1e9);
	tsc0 = __rdtsc();
	start = clock_mono_ns();
	last = start;
	next = start + interval_ns;
	if (o->duration_s > 0) {
		end = start + (uint64_t)(o->duration_s * 1e9);
	}
	fprintf(stderr, "reef-trace: tracing primary %d (app %s, %s); Ctrl-C to stop\n",
		(int)t->pid, t->app, t->exe);
	report.target = t;
	report.nominal_interval_s = o->interval_s;
	report.sym = sym;
	report.tables = tables;
	for (;;) {
		uint64_t now, wake = end != 0 && end < next ? end : next;

		sleep_until(wake);
		now = clock_mono_ns();
		/* Ctrl-C early in an interval: nothing worth a report. */
		if (g_stop && now - last < interval_ns / 10) {
			break;
		}
		/* The TSC rate over everything so far: the longer, the closer. */
		report.tsc_hz = (double)(__rdtsc() - tsc0) * 1e9 / (double)(now - start);
		report.interval_s = (double)(now - last) / 1e9;
		rc = report_interval(o, &report, skel, &export_failed);
		if (rc != 0 || g_stop || (end != 0 && now >= end)) {
			break;
		}
		if (!rt_target_is_alive(t)) {
			error("primary %d (app %s) has exited", (int)t->pid, t->app);
			break;
		}
		last = now;
		while (next <= now) {
			next += interval_ns;
		}
	}
	if (o->export) {
		export_remove_own(t);
	}
	rt_tables_free(tables);
	rt_sym_close(sym);
	return rc == 0 || rc == -EPIPE ? EXIT_OK : EXIT_FAIL;
}

int
main(int argc, char **argv)
{
	struct trace_opts opts = {0};
	struct reef_trace_bpf *skel = NULL;
	struct rt_target target;
	struct sigaction sa;
	char err[512];
	int rc;

	reef_log_set_ident("reef-trace");
	rc = parse_args(argc, argv, &opts);
	if (rc != EXIT_OK) {
		return rc < 0 ? EXIT_OK : rc;
	}
	g_verbose = opts.verbose;
	libbpf_set_print(libbpf_log);
	if (geteuid() != 0) {
		error("must run as root: BPF programs and uprobes need it (try: sudo %s ...)",
		      argv[0]);
		return EXIT_PERM;
	}
	rc = rt_target_find(opts.pid, opts.name, &target, err, sizeof(err));
	if (rc != 0) {
		error("%s", err);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_TARGET;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = load_and_attach(&skel, &target);
	if (rc == EXIT_OK) {
		rc = run(&opts, &target, skel);
	}
	reef_trace_bpf__destroy(skel);
	return rc;
}
