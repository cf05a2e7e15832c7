/*
 * What the benchmark primaries (b_msg, b_post) share on top of bench.h: small
 * tables, no stall reports, and the measurement-window options.
 */
#ifndef REEF_BENCH_APP_H
#define REEF_BENCH_APP_H

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "reef/event.h"

/* Option codes of the window options; a program numbers its own from BENCH_OPT_FIRST. */
enum {
	BENCH_OPT_WINDOW_MS = 1024,
	BENCH_OPT_WINDOWS,
	BENCH_OPT_FIRST,
};

#define BENCH_WINDOW_LONGOPTS                                         \
	{"window-ms", required_argument, NULL, BENCH_OPT_WINDOW_MS},  \
	{                                                             \
		"windows", required_argument, NULL, BENCH_OPT_WINDOWS \
	}

/* The length and number of measurement windows, shared by a program's files. */
struct bench_windows {
	double ms;
	int count;
};

/*
 * Parse a window option into w: 0, or -EINVAL after one line saying what is
 * wrong (a bad value, or an option that is not a window option).
 */
static inline int
bench_parse_window_opt(int ch, const char *arg, struct bench_windows *w)
{
	switch (ch) {
	case BENCH_OPT_WINDOW_MS:
		w->ms = atof(arg);
		if (w->ms > 0) {
			return 0;
		}
		fprintf(stderr,
			"%s: --window-ms wants a positive number of milliseconds, not '%s'\n",
			program_invocation_short_name, arg);
		return -EINVAL;
	case BENCH_OPT_WINDOWS:
		w->count = atoi(arg);
		if (w->count > 0) {
			return 0;
		}
		fprintf(stderr, "%s: --windows wants a positive count, not '%s'\n",
			program_invocation_short_name, arg);
		return -EINVAL;
	default:
		fprintf(stderr, "%s: unexpected option %d\n", program_invocation_short_name, ch);
		return -EINVAL;
	}
}

/*
 * Defaults for a benchmark primary called name: tables just big enough, and
 * no stall reports, because raw baselines hold a reactor for a whole window
 * on purpose.
 */
static inline void
bench_app_opts_init(struct reef_app_opts *opts, const char *name)
{
	reef_app_opts_init(opts, sizeof(*opts));
	opts->name = name;
	opts->stall_us = 0;
	opts->limits.max_threads = 8;
	opts->limits.max_pollers = 64;
	opts->limits.max_devices = 8;
	opts->limits.max_channels = 8;
	opts->limits.max_clients = 4;
	opts->limits.max_handlers = 32;
}

/* reef_app_parse_args' verdict as main's early exit code, or -1 to go on. */
static inline int
bench_parse_exit_code(int parse_rc)
{
	switch (parse_rc) {
	case REEF_APP_PARSE_EXIT:
		return 0;
	case REEF_APP_PARSE_FAIL:
		return 2;
	default:
		return -1;
	}
}

#endif /* REEF_BENCH_APP_H */
