/*
 * reefd: the demo Reef primary. A realistic synthetic service on every core
 * of its mask, until SIGINT/SIGTERM. See service.c for what it runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "reef/event.h"
#include "reef/log.h"
#include "reef/string.h"
#include "service.h"

enum {
	OPT_THREADS_PER_CORE = 1024,
	OPT_LOAD,
	OPT_WORK_NS,
	OPT_STALL_EVERY,
	OPT_STALL_MS,
	OPT_MOVE_EVERY,
};

static struct service_opts g_service = {
	.threads_per_core = 3,
	.load_pct = 30,
	.work_ns = 2000,
	.stall_every_s = 0,
	.stall_ms = 25,
	.move_every_s = 5,
};

static const struct option g_long[] = {
	{"threads-per-core", required_argument, NULL, OPT_THREADS_PER_CORE},
	{"load", required_argument, NULL, OPT_LOAD},
	{"work-ns", required_argument, NULL, OPT_WORK_NS},
	{"stall-every", required_argument, NULL, OPT_STALL_EVERY},
	{"stall-ms", required_argument, NULL, OPT_STALL_MS},
	{"move-every", required_argument, NULL, OPT_MOVE_EVERY},
	{NULL, 0, NULL, 0},
};

static void
usage(void)
{
	printf("reefd options:\n"
	       "      --threads-per-core N  worker threads on each core (default 3)\n"
	       "      --load PCT            share of I/O polls that find work (default 30)\n"
	       "      --work-ns NS          time one unit of work takes (default 2000)\n"
	       "      --stall-every SEC     stall a reactor on purpose every SEC seconds\n"
	       "                            (default 0: never)\n"
	       "      --stall-ms MS         length of a deliberate stall (default 25)\n"
	       "      --move-every SEC      move the roaming thread to the next core every SEC\n"
	       "                            seconds (default 5; 0: never)\n");
}

static int
number(const char *opt, const char *arg, unsigned long long min, unsigned long long max,
       uint32_t *out)
{
	unsigned long long v;

	if (reef_parse_u64(arg, max, &v) != 0 || v < min) {
		fprintf(stderr, "reefd: %s wants a number from %llu to %llu, not '%s'\n", opt, min,
			max, arg);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int
parse(int ch, char *arg)
{
	switch (ch) {
	case OPT_THREADS_PER_CORE:
		return number("--threads-per-core", arg, 1, 64, &g_service.threads_per_core);
	case OPT_LOAD:
		return number("--load", arg, 0, 100, &g_service.load_pct);
	case OPT_WORK_NS:
		return number("--work-ns", arg, 0, 1000000, &g_service.work_ns);
	case OPT_STALL_EVERY:
		return number("--stall-every", arg, 0, 3600, &g_service.stall_every_s);
	case OPT_STALL_MS:
		return number("--stall-ms", arg, 1, 10000, &g_service.stall_ms);
	case OPT_MOVE_EVERY:
		return number("--move-every", arg, 0, 3600, &g_service.move_every_s);
	default:
		return -EINVAL;
	}
}

static void
start(void *ctx)
{
	(void)ctx;
	service_start(&g_service);
}

int
main(int argc, char **argv)
{
	struct reef_app_opts opts;
	int rc;

	reef_app_opts_init(&opts, sizeof(opts));
	switch (reef_app_parse_args(argc, argv, &opts, "", g_long, parse, usage)) {
	case REEF_APP_PARSE_EXIT:
		return 0;
	case REEF_APP_PARSE_FAIL:
		return 2;
	default:
		break;
	}
	reef_log_set_timestamps(true);
	opts.shutdown_cb = service_stop;
	rc = reef_app_start(&opts, start, NULL);
	if (rc == -EINVAL) {
		return 2;
	}
	return rc == 0 ? 0 : 1;
}
