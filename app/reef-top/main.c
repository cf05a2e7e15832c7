/*
 * reef-top: a live view of a running Reef primary's threads, pollers,
 * reactors and io_channels, read from its shared region.
 *
 *   reef-top [-n NAME] [-d SECONDS] [-o COLUMN] [-f TEXT] [options]
 *   reef-top -b [-i ITERATIONS] [--json] ...
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "reef/env.h"
#include "reef/log.h"
#include "reef/string.h"
#include "top.h"

volatile int g_top_stop;

static const char *const g_tab_names[TOP_TAB_COUNT] = {"threads", "pollers", "reactors",
						       "channels"};

enum {
	OPT_JSON = 256,
	OPT_NO_COLOR,
	OPT_TOTALS,
	OPT_TAB,
};

static void
usage(void)
{
	printf("Usage: reef-top [-n NAME] [-d SECONDS] [options]\n"
	       "       reef-top -b [-i ITERATIONS] [--json] [options]\n"
	       "\n"
	       "Watch the threads, pollers, reactors and io_channels of the running Reef\n"
	       "primary NAME, live, from its shared memory (read-only: the primary is never\n"
	       "slowed down or asked anything, except for the P and T actions).\n"
	       "\n"
	       "  -n, --name NAME        the primary's app name (default %s)\n"
	       "  -d, --delay SECONDS    refresh interval, fractions allowed (default 1)\n"
	       "  -o, --sort COLUMN      sort by this column: its header or key, e.g. BUSY%%,\n"
	       "                         runs_per_s, name (in every tab that has it)\n"
	       "  -r, --reverse          reverse the sort order\n"
	       "  -f, --filter TEXT      show only rows whose name contains TEXT\n"
	       "      --totals           totals since creation instead of per-interval values\n"
	       "      --tab LIST         interactive: the tab to start in; batch: the tables to\n"
	       "                         print (threads,pollers,reactors,channels; default all)\n"
	       "      --no-color         no colours (also when the terminal has none)\n"
	       "  -b, --batch            print plain tables instead of the screen\n"
	       "  -i, --iterations N     batch: stop after N iterations (default: until the\n"
	       "                         primary stops or reef-top is interrupted; not -n,\n"
	       "                         which names the primary in every Reef program)\n"
	       "      --json             batch, one JSON object per line and iteration\n"
	       "  -h, --help             this help\n"
	       "  -v, --version          print the version\n"
	       "\n"
	       "Each batch iteration shows rates over the full -d interval before it.\n"
	       "Keys on the screen: ? or F1 (all keys), 1-4 or Tab (tabs), < > or F6 (sort),\n"
	       "/ (filter), Enter (details), Space (freeze), t (totals), d (delay), P (pause or\n"
	       "resume a poller), T (poller timing), q (quit).\n"
	       "\n"
	       "Exit status: 0 quit, batch done or the primary stopped cleanly; 1 cannot\n"
	       "attach (no such primary, incompatible Reef) or the primary died; 2 bad usage.\n",
	       REEF_APP_NAME_DEFAULT);
}

static int __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "reef-top: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": see reef-top --help\n");
	return TOP_EXIT_USAGE;
}

static int
parse_delay(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(v) || v < 0.05 || v > 3600) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int
parse_tabs(const char *arg, struct top_opts *o)
{
	char buf[128], *save = NULL, *tok;
	bool first = true;
	int t;

	snprintf(buf, sizeof(buf), "%s", arg);
	o->tabs = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (t = 0; t < TOP_TAB_COUNT; t++) {
			if (strcasecmp(tok, g_tab_names[t]) == 0 ||
			    (t == TOP_TAB_REACTORS && strcasecmp(tok, "cores") == 0)) {
				break;
			}
		}
		if (t == TOP_TAB_COUNT) {
			return -EINVAL;
		}
		o->tabs |= 1u << t;
		if (first) {
			o->tab = (enum top_tab)t;
			first = false;
		}
	}
	return o->tabs != 0 ? 0 : -EINVAL;
}

static int
parse_args(int argc, char **argv, struct top_opts *o)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, 'n'},
		{"delay", required_argument, NULL, 'd'},
		{"sort", required_argument, NULL, 'o'},
		{"reverse", no_argument, NULL, 'r'},
		{"filter", required_argument, NULL, 'f'},
		{"batch", no_argument, NULL, 'b'},
		{"iterations", required_argument, NULL, 'i'},
		{"json", no_argument, NULL, OPT_JSON},
		{"no-color", no_argument, NULL, OPT_NO_COLOR},
		{"no-colour", no_argument, NULL, OPT_NO_COLOR},
		{"totals", no_argument, NULL, OPT_TOTALS},
		{"tab", required_argument, NULL, OPT_TAB},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	unsigned long long n;
	int ch, t;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:d:o:rf:bi:hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (!reef_env_name_is_valid(optarg, false)) {
				fprintf(stderr,
					"reef-top: bad name '%s': use 1-%d letters, digits, "
					"'_' or '-'\n",
					optarg, REEF_APP_NAME_MAX);
				return TOP_EXIT_USAGE;
			}
			o->name = optarg;
			break;
		case 'd':
			if (parse_delay(optarg, &o->delay_s) != 0) {
				return bad("--delay wants seconds from 0.05 to 3600, not '%s'",
					   optarg);
			}
			break;
		case 'o':
			o->sort = optarg;
			break;
		case 'r':
			o->reverse = true;
			break;
		case 'f':
			if (strlen(optarg) >= sizeof(((struct top_model *)0)->filter)) {
				return bad("--filter '%s' is too long", optarg);
			}
			o->filter = optarg;
			break;
		case 'b':
			o->batch = true;
			break;
		case 'i':
			if (reef_parse_u64(optarg, UINT64_MAX, &n) != 0 || n == 0) {
				return bad("--iterations wants a count from 1, not '%s'", optarg);
			}
			o->iterations = n;
			break;
		case OPT_JSON:
			o->json = true;
			o->batch = true;
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case OPT_TOTALS:
			o->totals = true;
			break;
		case OPT_TAB:
			if (parse_tabs(optarg, o) != 0) {
				return bad("--tab wants threads, pollers, reactors or channels (a "
					   "comma-separated list in batch mode), not '%s'",
					   optarg);
			}
			break;
		case 'h':
			usage();
			exit(TOP_EXIT_OK);
		case 'v':
			printf("reef-top (Reef) %s\n", REEF_VERSION_STRING);
			exit(TOP_EXIT_OK);
		case ':':
			if (optopt != 0 && strncmp(argv[optind - 1], "--", 2) != 0) {
				return bad("option '-%c' needs a value", optopt);
			}
			return bad("option '%s' needs a value", argv[optind - 1]);
		default:
			/* A short option may be one of a cluster ("-bx"): name just it. */
			if (optopt != 0) {
				return bad("unknown option '-%c'", optopt);
			}
			return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		return bad("unexpected argument '%s'", argv[optind]);
	}
	if (o->sort != NULL) {
		for (t = 0; t < TOP_TAB_COUNT; t++) {
			if (top_column_find((enum top_tab)t, o->sort) >= 0) {
				break;
			}
		}
		if (t == TOP_TAB_COUNT) {
			return bad("no column '%s' to sort by (the headers of the tables, or the "
				   "keys of --json)",
				   o->sort);
		}
	}
	if (o->iterations != 0 && !o->batch) {
		return bad("%s is for batch mode (-b)", "--iterations");
	}
	if (!o->batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "reef-top: the screen needs a terminal: use -b (or --json) for "
				"plain output\n");
		return TOP_EXIT_USAGE;
	}
	return TOP_EXIT_OK;
}

int
top_apply_opts(struct top_model *m, const struct top_opts *o)
{
	int t;

	m->totals = o->totals;
	if (o->filter != NULL) {
		snprintf(m->filter, sizeof(m->filter), "%s", o->filter);
	}
	for (t = 0; t < TOP_TAB_COUNT; t++) {
		if (o->sort != NULL) {
			int c = top_column_find((enum top_tab)t, o->sort);

			if (c >= 0) {
				m->sort_col[t] = c;
			}
		}
		m->sort_reverse[t] = o->reverse;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	g_top_stop = 1;
}

int
main(int argc, char **argv)
{
	struct top_opts o = {
		.name = REEF_APP_NAME_DEFAULT,
		.delay_s = 1.0,
		.tabs = (1u << TOP_TAB_COUNT) - 1,
		.tab = TOP_TAB_THREADS,
	};
	static struct top_source s;
	struct sigaction sa;
	int code;

	reef_log_set_ident("reef-top");
	code = parse_args(argc, argv, &o);
	if (code != TOP_EXIT_OK) {
		return code;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed pipe (reef-top -b | head) ends batch mode through ferror(), cleanly. */
	signal(SIGPIPE, SIG_IGN);

	if (top_source_open(&s, o.name) != 0) {
		reef_env_fini();
		return TOP_EXIT_FAIL;
	}
	top_apply_opts(&s.model, &o);
	code = o.batch ? top_batch_run(&s, &o) : top_view_run(&s, &o);
	top_action_fini();
	top_source_close(&s);
	reef_env_fini();
	return code;
}
