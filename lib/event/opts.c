/*
 * The options every Reef program shares, and their help text.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reef/env.h"
#include "reef/event.h"
#include "reef/log.h"
#include "reef/string.h"
#include "reef_internal/shm.h"

/* Long-only options; apps use values >= 1024 for their own. */
enum {
	OPT_MAIN_CORE = 256,
	OPT_MAX_THREADS,
	OPT_MAX_POLLERS,
	OPT_MAX_DEVICES,
	OPT_MAX_CHANNELS,
	OPT_MAX_CLIENTS,
	OPT_MAX_HANDLERS,
	OPT_MSG_RING_SIZE,
	OPT_INTERRUPT,
	OPT_MEM_SIZE,
	OPT_STALL_US,
	OPT_DPDK_VERBOSE,
};

#define STD_SHORT "m:n:L:hv"
#define MAX_LONG  64

static const struct option g_std_long[] = {
	{"cpumask", required_argument, NULL, 'm'},
	{"name", required_argument, NULL, 'n'},
	{"log-flag", required_argument, NULL, 'L'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'v'},
	{"main-core", required_argument, NULL, OPT_MAIN_CORE},
	{"max-threads", required_argument, NULL, OPT_MAX_THREADS},
	{"max-pollers", required_argument, NULL, OPT_MAX_POLLERS},
	{"max-devices", required_argument, NULL, OPT_MAX_DEVICES},
	{"max-channels", required_argument, NULL, OPT_MAX_CHANNELS},
	{"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
	{"max-handlers", required_argument, NULL, OPT_MAX_HANDLERS},
	{"msg-ring-size", required_argument, NULL, OPT_MSG_RING_SIZE},
	{"interrupt", no_argument, NULL, OPT_INTERRUPT},
	{"mem-size", required_argument, NULL, OPT_MEM_SIZE},
	{"stall-us", required_argument, NULL, OPT_STALL_US},
	{"dpdk-verbose", no_argument, NULL, OPT_DPDK_VERBOSE},
};

static const char *g_prog = "reef";

void
reef_app_opts_init(struct reef_app_opts *opts, size_t opts_size)
{
	struct reef_app_opts defaults;

	memset(&defaults, 0, sizeof(defaults));
	defaults.opts_size = opts_size;
	defaults.name = NULL;
	defaults.cpumask = NULL;
	defaults.main_core = -1;
	reef_shm_limits_init(&defaults.limits);
	defaults.stall_us = REEF_APP_DEFAULT_STALL_US;
	memcpy(opts, &defaults, opts_size < sizeof(defaults) ? opts_size : sizeof(defaults));
}

void
reef_app_usage(void)
{
	printf("Reef options:\n"
	       "  -n, --name NAME        app name: region and DPDK prefix (default %s)\n"
	       "  -m, --cpumask MASK     cores to run reactors on: hex (0x3) or list ([0-1]);\n"
	       "                         default: every core this process may use\n"
	       "      --main-core N      core of the app thread (default: first of the mask)\n"
	       "      --max-threads N    thread table size (default %u)\n"
	       "      --max-pollers N    poller table size (default %u)\n"
	       "      --max-devices N    io_device table size (default %u)\n"
	       "      --max-channels N   io_channel table size (default %u)\n"
	       "      --max-clients N    client table size (default %u)\n"
	       "      --max-handlers N   message handler table size (default %u)\n"
	       "      --msg-ring-size N  message ring entries per thread, a power of two\n"
	       "                         (default %u)\n"
	       "      --interrupt        idle reactors sleep in epoll instead of spinning\n"
	       "      --mem-size MB      reserve this much hugepage memory up front\n"
	       "      --stall-us US      report iterations longer than this (default %u; 0: off)\n"
	       "  -L, --log-flag NAME    debug log of a component (thread, reactor, client, all)\n"
	       "      --dpdk-verbose     show DPDK's own start-up log\n"
	       "  -h, --help             this help\n"
	       "  -v, --version          print the version\n",
	       REEF_APP_NAME_DEFAULT, REEF_SHM_DEFAULT_MAX_THREADS, REEF_SHM_DEFAULT_MAX_POLLERS,
	       REEF_SHM_DEFAULT_MAX_DEVICES, REEF_SHM_DEFAULT_MAX_CHANNELS,
	       REEF_SHM_DEFAULT_MAX_CLIENTS, REEF_SHM_DEFAULT_MAX_HANDLERS,
	       REEF_SHM_DEFAULT_MSG_RING, REEF_APP_DEFAULT_STALL_US);
}

static int
parse_number(const char *opt, const char *arg, unsigned long long min, unsigned long long max,
	     unsigned long long *out)
{
	if (reef_parse_u64(arg, max, out) != 0 || *out < min) {
		fprintf(stderr, "%s: %s wants a number from %llu to %llu, not '%s'\n", g_prog, opt,
			min, max, arg);
		return -EINVAL;
	}
	return 0;
}

/* --max-threads and friends: a table size each, all parsed alike. */
static int
parse_table_size(int ch, const char *arg, struct reef_app_opts *opts)
{
	static const struct {
		int ch;
		const char *opt;
		size_t offset;
	} sizes[] = {
		{OPT_MAX_THREADS, "--max-threads", offsetof(struct reef_shm_limits, max_threads)},
		{OPT_MAX_POLLERS, "--max-pollers", offsetof(struct reef_shm_limits, max_pollers)},
		{OPT_MAX_DEVICES, "--max-devices", offsetof(struct reef_shm_limits, max_devices)},
		{OPT_MAX_CHANNELS, "--max-channels",
		 offsetof(struct reef_shm_limits, max_channels)},
		{OPT_MAX_CLIENTS, "--max-clients", offsetof(struct reef_shm_limits, max_clients)},
		{OPT_MAX_HANDLERS, "--max-handlers",
		 offsetof(struct reef_shm_limits, max_handlers)},
	};
	unsigned long long v;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i].ch == ch) {
			if (parse_number(sizes[i].opt, arg, 1, REEF_SHM_MAX_SLOTS, &v) != 0) {
				return -EINVAL;
			}
			*(uint32_t *)((uint8_t *)&opts->limits + sizes[i].offset) = (uint32_t)v;
			return 0;
		}
	}
	return -EINVAL;
}

static int
parse_std(int ch, const char *arg, struct reef_app_opts *opts)
{
	struct reef_cpuset mask;
	unsigned long long v;
	int rc = 0;

	switch (ch) {
	case 'm':
		if (reef_cpuset_parse(&mask, arg) != 0) {
			fprintf(stderr,
				"%s: bad core mask '%s': use hex (0x3) or a list ([0-1]) of "
				"cores below %d\n",
				g_prog, arg, REEF_MAX_LCORE);
			return -EINVAL;
		}
		if (reef_cpuset_count(&mask) == 0) {
			fprintf(stderr, "%s: core mask '%s' is empty: give at least one core\n",
				g_prog, arg);
			return -EINVAL;
		}
		opts->cpumask = arg;
		return 0;
	case 'n':
		if (!reef_name_is_valid(arg, REEF_APP_NAME_MAX, "_-")) {
			fprintf(stderr, "%s: bad name '%s': use 1-%d letters, digits, '_' or '-'\n",
				g_prog, arg, REEF_APP_NAME_MAX);
			return -EINVAL;
		}
		opts->name = arg;
		return 0;
	case 'L':
		if (reef_log_set_flag(arg) != 0) {
			fprintf(stderr, "%s: too many -L flags\n", g_prog);
			return -EINVAL;
		}
		return 0;
	case OPT_MAIN_CORE:
		rc = parse_number("--main-core", arg, 0, REEF_MAX_LCORE - 1, &v);
		opts->main_core = (int)v;
		return rc;
	case OPT_MAX_THREADS:
	case OPT_MAX_POLLERS:
	case OPT_MAX_DEVICES:
	case OPT_MAX_CHANNELS:
	case OPT_MAX_CLIENTS:
	case OPT_MAX_HANDLERS:
		return parse_table_size(ch, arg, opts);
	case OPT_MSG_RING_SIZE:
		rc = parse_number("--msg-ring-size", arg, 64, 1u << 20, &v);
		if (rc == 0 && (v & (v - 1)) != 0) {
			fprintf(stderr, "%s: --msg-ring-size must be a power of two, not %llu\n",
				g_prog, v);
			rc = -EINVAL;
		}
		opts->limits.msg_ring_size = (uint32_t)v;
		return rc;
	case OPT_INTERRUPT:
		opts->interrupt_mode = true;
		return 0;
	case OPT_MEM_SIZE:
		rc = parse_number("--mem-size", arg, 1, 1u << 20, &v);
		opts->mem_size_mb = (uint32_t)v;
		return rc;
	case OPT_STALL_US:
		rc = parse_number("--stall-us", arg, 0, 3600ULL * 1000000, &v);
		opts->stall_us = v;
		return rc;
	case OPT_DPDK_VERBOSE:
		opts->dpdk_verbose = true;
		return 0;
	default:
		return 1;
	}
}

static size_t
merge_long(struct option *out, const struct option *app_long)
{
	size_t n = 0, i;

	for (i = 0; i < sizeof(g_std_long) / sizeof(g_std_long[0]); i++) {
		out[n++] = g_std_long[i];
	}
	for (i = 0; app_long != NULL && app_long[i].name != NULL && n < MAX_LONG - 1; i++) {
		out[n++] = app_long[i];
	}
	memset(&out[n], 0, sizeof(out[n]));
	return n;
}

enum reef_app_parse_result
reef_app_parse_args(int argc, char **argv, struct reef_app_opts *opts, const char *app_short,
		    const struct option *app_long, int (*app_parse)(int ch, char *arg),
		    void (*app_usage)(void))
{
	struct option longopts[MAX_LONG];
	char shortopts[128];
	int ch;

	g_prog = basename(argv[0]);
	reef_log_set_ident(g_prog);
	snprintf(shortopts, sizeof(shortopts), ":%s%s", STD_SHORT, app_short ? app_short : "");
	merge_long(longopts, app_long);
	opterr = 0;
	optind = 1;

	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int rc;

		switch (ch) {
		case 'h':
			printf("Usage: %s [options]\n\n", g_prog);
			if (app_usage != NULL) {
				app_usage();
				printf("\n");
			}
			reef_app_usage();
			return REEF_APP_PARSE_EXIT;
		case 'v':
			printf("%s (Reef) %s\n", g_prog, REEF_VERSION_STRING);
			return REEF_APP_PARSE_EXIT;
		case '?':
			if (optopt != 0) {
				fprintf(stderr, "%s: unknown option '-%c': see %s --help\n", g_prog,
					optopt, g_prog);
			} else {
				fprintf(stderr, "%s: unknown option '%s': see %s --help\n", g_prog,
					argv[optind - 1], g_prog);
			}
			return REEF_APP_PARSE_FAIL;
		case ':':
			fprintf(stderr, "%s: option '%s' needs a value: see %s --help\n", g_prog,
				argv[optind - 1], g_prog);
			return REEF_APP_PARSE_FAIL;
		default:
			break;
		}
		rc = parse_std(ch, optarg, opts);
		if (rc > 0) {
			rc = app_parse != NULL ? app_parse(ch, optarg) : -EINVAL;
		}
		if (rc != 0) {
			return REEF_APP_PARSE_FAIL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s': see %s --help\n", g_prog,
			argv[optind], g_prog);
		return REEF_APP_PARSE_FAIL;
	}
	return REEF_APP_PARSE_OK;
}
