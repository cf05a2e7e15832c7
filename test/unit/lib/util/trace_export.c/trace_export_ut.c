/*
 * The snapshot reef-trace --export writes for reef-top: round trips, what a
 * reader refuses (stale or damaged snapshots), and the histogram percentiles
 * the snapshot carries.
 */
#include "ut_main.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "reef/proc.h"
#include "reef/trace_export.h"

#define APP "ut_app"

static char g_dir[64];

static void
remove_dir(void)
{
	reef_trace_export_remove(APP);
	rmdir(g_dir);
}

/* Snapshots go to a directory of our own, removed at exit. */
static void
setup_dir(void)
{
	if (g_dir[0] == '\0') {
		snprintf(g_dir, sizeof(g_dir), "/tmp/reef-trace-ut.XXXXXX");
		CU_ASSERT_FATAL(mkdtemp(g_dir) != NULL);
		setenv("REEF_TRACE_DIR", g_dir, 1);
		atexit(remove_dir);
	}
	reef_trace_export_remove(APP);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
self_start(void)
{
	uint64_t st = 0;

	CU_ASSERT_FATAL(reef_proc_start_time(getpid(), &st) == 0);
	return st;
}

/* A pid no process can have: above the kernel's pid_max. */
static pid_t
unused_pid(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	long max = 4194304;

	if (f != NULL) {
		if (fscanf(f, "%ld", &max) != 1) {
			max = 4194304;
		}
		fclose(f);
	}
	return (pid_t)(max + 1);
}

/* Write the snapshot file by hand: header fields as given, then body. */
static void
write_raw(pid_t primary, uint64_t primary_st, pid_t writer, uint64_t writer_st, uint64_t mono,
	  const char *body)
{
	char path[PATH_MAX];
	FILE *f;

	CU_ASSERT_FATAL(reef_trace_export_path(APP, path, sizeof(path)) == 0);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f,
		"reef-trace-export 1\napp " APP "\nprimary %d %" PRIu64 "\nwriter %d %" PRIu64
		"\ntime 1700000000000 %" PRIu64 "\ninterval_ms 1000\ntsc_hz 2000000000\n%s",
		(int)primary, primary_st, (int)writer, writer_st, mono, body);
	fclose(f);
}

static const char g_one_poller[] = "poller 7 2 100 30 10 20 30 40 1000 11 21 31 41 io poll\n"
				   "end 1\n";

static void
fresh_raw(const char *body)
{
	write_raw(getpid(), self_start(), getpid(), self_start(), mono_ms(), body);
}

static struct reef_trace_poller_stats
stats(uint64_t id, const char *name)
{
	struct reef_trace_poller_stats p = {.poller_id = id, .thread_id = id / 10};

	snprintf(p.name, sizeof(p.name), "%s", name);
	p.runs = id * 100;
	p.busy_runs = id * 10;
	p.p50 = id + 1;
	p.p90 = id + 2;
	p.p99 = id + 3;
	p.max = id + 4;
	p.total_runs = id * 1000;
	p.total_p50 = id + 5;
	p.total_p90 = id + 6;
	p.total_p99 = id + 7;
	p.total_max = id + 8;
	return p;
}

static void
export_round_trip_keeps_every_field(void)
{
	struct reef_trace_poller_stats in[3] = {stats(30, "io_poll"), stats(10, "name with spaces"),
						stats(20, "bad\nname")};
	struct reef_trace_export exp = {
		.interval_ms = 500, .tsc_hz = 2096000000, .poller_count = 3, .pollers = in};
	struct reef_trace_export *out = NULL;
	uint32_t i;

	setup_dir();
	exp.primary_pid = getpid();
	exp.primary_start_time = self_start();
	CU_ASSERT_FATAL(reef_trace_export_write(APP, &exp) == 0);
	CU_ASSERT_FATAL(reef_trace_export_read(APP, getpid(), &out) == 0);
	CU_ASSERT_STRING_EQUAL(out->app, APP);
	CU_ASSERT(out->primary_pid == getpid());
	CU_ASSERT(out->writer_pid == getpid());
	CU_ASSERT(out->interval_ms == 500);
	CU_ASSERT(out->tsc_hz == 2096000000);
	CU_ASSERT(out->time_ms > 1600000000000ULL);
	CU_ASSERT_FATAL(out->poller_count == 3);
	/* Sorted by poller id, whatever order they were written in. */
	for (i = 0; i < 3; i++) {
		struct reef_trace_poller_stats want = stats(10 * (i + 1), "");

		CU_ASSERT(out->pollers[i].poller_id == want.poller_id);
		CU_ASSERT(out->pollers[i].thread_id == want.thread_id);
		CU_ASSERT(out->pollers[i].runs == want.runs);
		CU_ASSERT(out->pollers[i].busy_runs == want.busy_runs);
		CU_ASSERT(out->pollers[i].p50 == want.p50 && out->pollers[i].p90 == want.p90);
		CU_ASSERT(out->pollers[i].p99 == want.p99 && out->pollers[i].max == want.max);
		CU_ASSERT(out->pollers[i].total_runs == want.total_runs);
		CU_ASSERT(out->pollers[i].total_p50 == want.total_p50);
		CU_ASSERT(out->pollers[i].total_p90 == want.total_p90);
		CU_ASSERT(out->pollers[i].total_p99 == want.total_p99);
		CU_ASSERT(out->pollers[i].total_max == want.total_max);
	}
	CU_ASSERT_STRING_EQUAL(out->pollers[0].name, "name with spaces");
	/* A name stops at its first control character: one record stays one line. */
	CU_ASSERT_STRING_EQUAL(out->pollers[1].name, "bad");
	CU_ASSERT_STRING_EQUAL(out->pollers[2].name, "io_poll");
	reef_trace_export_free(&out);
	CU_ASSERT(out == NULL);
	reef_trace_export_free(&out);
}

static void
export_find_and_lookup_by_poller_id(void)
{
	struct reef_trace_poller_stats in[2] = {stats(5, "a"), stats(9, "b")}, got;
	struct reef_trace_export exp = {.interval_ms = 1000, .poller_count = 2, .pollers = in};
	struct reef_trace_export *out = NULL;

	setup_dir();
	exp.primary_pid = getpid();
	exp.primary_start_time = self_start();
	CU_ASSERT_FATAL(reef_trace_export_write(APP, &exp) == 0);
	CU_ASSERT_FATAL(reef_trace_export_read(APP, 0, &out) == 0);
	CU_ASSERT(reef_trace_export_find(out, 9) != NULL);
	CU_ASSERT(reef_trace_export_find(out, 9)->p99 == 12);
	CU_ASSERT(reef_trace_export_find(out, 6) == NULL);
	CU_ASSERT(reef_trace_export_find(NULL, 9) == NULL);
	reef_trace_export_free(&out);

	CU_ASSERT(reef_trace_export_lookup(APP, getpid(), 5, &got) == 0);
	CU_ASSERT_STRING_EQUAL(got.name, "a");
	CU_ASSERT(got.total_runs == 5000);
	CU_ASSERT(reef_trace_export_lookup(APP, getpid(), 6, &got) == -ENOENT);
}

static void
export_without_pollers_reads_empty(void)
{
	struct reef_trace_export exp = {.interval_ms = 1000};
	struct reef_trace_export *out = NULL;

	setup_dir();
	exp.primary_pid = getpid();
	exp.primary_start_time = self_start();
	CU_ASSERT_FATAL(reef_trace_export_write(APP, &exp) == 0);
	CU_ASSERT_FATAL(reef_trace_export_read(APP, getpid(), &out) == 0);
	CU_ASSERT(out->poller_count == 0);
	CU_ASSERT(reef_trace_export_find(out, 1) == NULL);
	reef_trace_export_free(&out);
}

static void
export_missing_file_is_enoent(void)
{
	struct reef_trace_export *out = (void *)1;
	struct reef_trace_poller_stats got;

	setup_dir();
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == -ENOENT);
	CU_ASSERT(out == NULL);
	CU_ASSERT(reef_trace_export_lookup(APP, 0, 1, &got) == -ENOENT);
	CU_ASSERT(reef_trace_export_remove(APP) == -ENOENT);
}

static void
export_bad_app_name_is_einval(void)
{
	struct reef_trace_export exp = {.interval_ms = 1000};
	struct reef_trace_export *out;

	setup_dir();
	CU_ASSERT(reef_trace_export_write("../etc", &exp) == -EINVAL);
	CU_ASSERT(reef_trace_export_write("", &exp) == -EINVAL);
	CU_ASSERT(reef_trace_export_read("a/b", 0, &out) == -EINVAL);
	CU_ASSERT(reef_trace_export_read("this_name_is_far_too_long", 0, &out) == -EINVAL);
	CU_ASSERT(reef_trace_export_remove("..") == -EINVAL);
}

static void
export_of_another_primary_is_stale(void)
{
	struct reef_trace_export *out = NULL;

	setup_dir();
	fresh_raw(g_one_poller);
	CU_ASSERT(reef_trace_export_read(APP, getppid(), &out) == -ESTALE);
	CU_ASSERT(out == NULL);
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == 0);
	reef_trace_export_free(&out);
}

static void
export_of_dead_primary_or_writer_is_stale(void)
{
	struct reef_trace_export *out = NULL;
	uint64_t st = self_start();

	setup_dir();
	/* The primary's pid was reused: its start time gives it away. */
	write_raw(getpid(), st + 1, getpid(), st, mono_ms(), g_one_poller);
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == -ESTALE);
	write_raw(unused_pid(), st, getpid(), st, mono_ms(), g_one_poller);
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == -ESTALE);
	/* reef-trace was killed before it could remove the file. */
	write_raw(getpid(), st, unused_pid(), st, mono_ms(), g_one_poller);
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == -ESTALE);
	write_raw(getpid(), st, getpid(), st + 1, mono_ms(), g_one_poller);
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == -ESTALE);
	CU_ASSERT(out == NULL);
}

static void
export_older_than_two_intervals_is_stale(void)
{
	struct reef_trace_export *out = NULL;
	uint64_t st = self_start(), now = mono_ms();

	setup_dir();
	/* interval_ms 1000: up to 2 * 1000 + REEF_TRACE_EXPORT_SLACK_MS old is fine. */
	write_raw(getpid(), st, getpid(), st, now - 3000, g_one_poller);
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == 0);
	reef_trace_export_free(&out);
	write_raw(getpid(), st, getpid(), st, now - 2 * 1000 - REEF_TRACE_EXPORT_SLACK_MS - 1000,
		  g_one_poller);
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == -ESTALE);
	/* From the future (another boot's clock): just as suspect. */
	write_raw(getpid(), st, getpid(), st, now + 60000, g_one_poller);
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == -ESTALE);
}

static void
export_damaged_file_is_eproto(void)
{
	static const char *const bodies[] = {
		"poller 7 2 100 30 10 20 30 40 1000 11 21 31 41 io\n",        /* no end */
		"poller 7 2 100 30 10 20 30 40 1000 11 21 31 41 io\nend 2\n", /* count */
		"poller 7 2 100 30 10 20 30 40 1000 11 21 31 io\nend 1\n",    /* field */
		"poller 7 2 100 30 10 20 30 40 1000 11 21 31 41\nend 1\n",    /* name */
		"poller 7 2 -1 30 10 20 30 40 1000 11 21 31 41 io\nend 1\n",  /* sign */
		"poller 7 2 100 30 10 20 30 40 1000 11 21 31 41 io\nend 1",   /* cut */
		"garbage\nend 0\n",
	};
	struct reef_trace_export *out = NULL;
	char path[PATH_MAX];
	size_t i;
	FILE *f;

	setup_dir();
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		fresh_raw(bodies[i]);
		CU_ASSERT(reef_trace_export_read(APP, 0, &out) == -EPROTO);
		CU_ASSERT(out == NULL);
	}
	/* Another version of the format. */
	CU_ASSERT_FATAL(reef_trace_export_path(APP, path, sizeof(path)) == 0);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f, "reef-trace-export 2\nend 0\n");
	fclose(f);
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == -EPROTO);
	/* Or nothing at all. */
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fclose(f);
	CU_ASSERT(reef_trace_export_read(APP, 0, &out) == -EPROTO);
}

static void
export_unknown_keys_are_skipped(void)
{
	struct reef_trace_export *out = NULL;

	setup_dir();
	fresh_raw("handler x 1 2 3\npoller 7 2 100 30 10 20 30 40 1000 11 21 31 41 io poll\n"
		  "future_key 1\nend 1\n");
	CU_ASSERT_FATAL(reef_trace_export_read(APP, 0, &out) == 0);
	CU_ASSERT_FATAL(out->poller_count == 1);
	CU_ASSERT_STRING_EQUAL(out->pollers[0].name, "io poll");
	CU_ASSERT(out->pollers[0].p99 == 30 && out->pollers[0].total_max == 41);
	reef_trace_export_free(&out);
}

static void
export_replaces_atomically_and_leaves_no_temp_files(void)
{
	struct reef_trace_poller_stats in = stats(1, "p");
	struct reef_trace_export exp = {.interval_ms = 1000, .poller_count = 1, .pollers = &in};
	struct dirent *de;
	int i, files = 0;
	DIR *d;

	setup_dir();
	exp.primary_pid = getpid();
	exp.primary_start_time = self_start();
	for (i = 0; i < 20; i++) {
		in.runs = (uint64_t)i;
		CU_ASSERT_FATAL(reef_trace_export_write(APP, &exp) == 0);
	}
	d = opendir(g_dir);
	CU_ASSERT_FATAL(d != NULL);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.') {
			CU_ASSERT_STRING_EQUAL(de->d_name, APP ".trace");
			files++;
		}
	}
	closedir(d);
	CU_ASSERT(files == 1);
	CU_ASSERT(reef_trace_export_lookup(APP, 0, 1, &in) == 0 && in.runs == 19);
	CU_ASSERT(reef_trace_export_remove(APP) == 0);
	CU_ASSERT(reef_trace_export_lookup(APP, 0, 1, &in) == -ENOENT);
}

static void
hist_buckets_hold_their_values_within_a_sixteenth(void)
{
	uint64_t v, lo, hi, step;
	uint32_t b, last = 0;

	for (v = 0; v < (1ULL << 20); v += 1 + v / 64) {
		b = rt_bucket(v);
		CU_ASSERT_FATAL(b < RT_BUCKETS);
		CU_ASSERT(b >= last);
		last = b;
		rt_bucket_bounds(b, &lo, &hi);
		CU_ASSERT(lo <= v && v <= hi);
		CU_ASSERT(hi - lo <= lo / RT_SUB);
	}
	for (step = 1; step < 64; step++) {
		v = 1ULL << step;
		b = rt_bucket(v - 1);
		rt_bucket_bounds(b, &lo, &hi);
		CU_ASSERT(lo <= v - 1 && v - 1 <= hi);
	}
	CU_ASSERT(rt_bucket(UINT64_MAX) == RT_BUCKETS - 1);
	CU_ASSERT(rt_bucket(1ULL << RT_MAX_EXP) == RT_BUCKETS - 1);
	CU_ASSERT(rt_bucket((1ULL << RT_MAX_EXP) - 1) == RT_BUCKETS - 2);
}

static void
hist_quantiles_are_within_three_percent(void)
{
	static uint64_t counts[RT_BUCKETS];
	const double qs[] = {0.5, 0.9, 0.99, 1.0};
	uint64_t n = 0, v;
	size_t i;

	/* Values 100 .. 100099, one each: the q-quantile is 100 + q * n - 1. */
	memset(counts, 0, sizeof(counts));
	for (v = 100; v < 100100; v++) {
		counts[rt_bucket(v)]++;
		n++;
	}
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double want = 100.0 + qs[i] * (double)n - 1.0;
		double got = (double)rt_quantile(counts, n, qs[i], UINT64_MAX);

		CU_ASSERT(got >= want * (1 - 1.0 / 32) && got <= want * (1 + 1.0 / 32));
	}
	/* Never above the known maximum, and 0 for nothing. */
	CU_ASSERT(rt_quantile(counts, n, 1.0, 100099) <= 100099);
	CU_ASSERT(rt_quantile(counts, 0, 0.5, 100) == 0);
	/* Small values are exact. */
	memset(counts, 0, sizeof(counts));
	counts[3] = 50;
	counts[9] = 50;
	CU_ASSERT(rt_quantile(counts, 100, 0.5, UINT64_MAX) == 3);
	CU_ASSERT(rt_quantile(counts, 100, 0.51, UINT64_MAX) == 9);
}

static void
hist_summary_of_an_interval_is_the_difference(void)
{
	static struct rt_hist prev, cur;
	struct rt_summary s;
	int i;

	memset(&prev, 0, sizeof(prev));
	for (i = 0; i < 100; i++) {
		prev.buckets[rt_bucket(1000)]++;
	}
	prev.count = prev.busy = 100;
	prev.sum = 100000;
	prev.max_all = 1000;
	cur = prev;
	/* This interval: 10 runs of 50 cycles and one of 5000, 3 busy, in epoch 4. */
	cur.buckets[rt_bucket(50)] += 10;
	cur.buckets[rt_bucket(5000)] += 1;
	cur.count += 11;
	cur.busy += 3;
	cur.sum += 10 * 50 + 5000;
	cur.max_all = 5000;
	cur.max = 5000;
	cur.max_epoch = 4;

	rt_summarize(&cur, &prev, 4, &s);
	CU_ASSERT(s.count == 11);
	CU_ASSERT(s.busy == 3);
	CU_ASSERT(s.sum == 5500);
	CU_ASSERT(s.p50 >= 48 && s.p50 <= 52);
	CU_ASSERT(s.p90 >= 48 && s.p90 <= 52);
	CU_ASSERT(s.p99 >= 5000 - 5000 / 32 && s.p99 <= 5000);
	CU_ASSERT(s.max == 5000);

	/* The maximum belongs to another epoch: the top bucket stands in. */
	rt_summarize(&cur, &prev, 5, &s);
	CU_ASSERT(s.max >= 5000 && s.max <= 5000 + 5000 / 16);

	/* Since creation: everything, with the all-time maximum. */
	rt_summarize(&cur, NULL, 4, &s);
	CU_ASSERT(s.count == 111);
	CU_ASSERT(s.p50 >= 970 && s.p50 <= 1030);
	CU_ASSERT(s.max == 5000);

	/* Nothing ran: all zero. */
	rt_summarize(&prev, &prev, 4, &s);
	CU_ASSERT(s.count == 0 && s.p50 == 0 && s.max == 0);

	/* One run: every quantile is that run, never below its own maximum. */
	cur = prev;
	cur.buckets[rt_bucket(26510)] += 1;
	cur.count += 1;
	cur.busy += 1;
	cur.sum += 26510;
	cur.max_all = 26510;
	cur.max = 26510;
	cur.max_epoch = 6;
	rt_summarize(&cur, &prev, 6, &s);
	CU_ASSERT(s.count == 1 && s.max == 26510);
	CU_ASSERT(s.p50 == 26510 && s.p90 == 26510 && s.p99 == 26510);
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, export_round_trip_keeps_every_field);
	UT_ADD(suite, export_find_and_lookup_by_poller_id);
	UT_ADD(suite, export_without_pollers_reads_empty);
	UT_ADD(suite, export_missing_file_is_enoent);
	UT_ADD(suite, export_bad_app_name_is_einval);
	UT_ADD(suite, export_of_another_primary_is_stale);
	UT_ADD(suite, export_of_dead_primary_or_writer_is_stale);
	UT_ADD(suite, export_older_than_two_intervals_is_stale);
	UT_ADD(suite, export_damaged_file_is_eproto);
	UT_ADD(suite, export_unknown_keys_are_skipped);
	UT_ADD(suite, export_replaces_atomically_and_leaves_no_temp_files);
	UT_ADD(suite, hist_buckets_hold_their_values_within_a_sixteenth);
	UT_ADD(suite, hist_quantiles_are_within_three_percent);
	UT_ADD(suite, hist_summary_of_an_interval_is_the_difference);
	return 0;
}

UT_MAIN("trace_export", add_tests)
