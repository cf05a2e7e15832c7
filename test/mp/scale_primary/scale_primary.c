/*
 * A primary with many threads and pollers, for scale tests and benchmarks:
 *   mp_scale_primary [Reef options] --threads T --pollers P [--active A]
 * creates T threads spread over the cores and P pollers spread over them:
 * A of them active (busy), the rest timed at 1 s (mostly idle). Prints
 * "READY" once every poller is registered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "reef/event.h"
#include "reef/log.h"
#include "reef/string.h"

enum {
	OPT_THREADS = 1024,
	OPT_POLLERS,
	OPT_ACTIVE,
};

struct scale_thread {
	struct reef_thread *thread;
	struct reef_poller **pollers;
	uint32_t nr;
	uint32_t active;
};

static unsigned long long g_threads = 4, g_pollers = 64, g_active;
static struct scale_thread *g_st;
static uint32_t g_ready;

static int
busy_fn(void *arg)
{
	(void)arg;
	return REEF_POLLER_BUSY;
}

static int
idle_fn(void *arg)
{
	(void)arg;
	return REEF_POLLER_IDLE;
}

static void
ready_msg(void *arg)
{
	(void)arg;
	if (++g_ready == g_threads) {
		printf("READY\n");
		fflush(stdout);
	}
}

static void
thread_start(void *arg)
{
	struct scale_thread *st = arg;
	char name[32];
	uint32_t i;

	for (i = 0; i < st->nr; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		st->pollers[i] =
			reef_poller_register_named(i < st->active ? busy_fn : idle_fn, NULL,
						   i < st->active ? 0 : 1000000, name);
	}
	reef_thread_send_msg(reef_thread_get_app_thread(), ready_msg, NULL);
}

static void
thread_stop(void *arg)
{
	struct scale_thread *st = arg;
	uint32_t i;

	for (i = 0; i < st->nr; i++) {
		reef_poller_unregister(&st->pollers[i]);
	}
}

static void
start(void *ctx)
{
	char name[32];
	uint64_t i;

	(void)ctx;
	g_st = calloc(g_threads, sizeof(*g_st));
	for (i = 0; g_st != NULL && i < g_threads; i++) {
		struct scale_thread *st = &g_st[i];

		st->nr = (uint32_t)(g_pollers / g_threads + (i < g_pollers % g_threads ? 1 : 0));
		st->active = (uint32_t)(g_active / g_threads + (i < g_active % g_threads ? 1 : 0));
		st->pollers = calloc(st->nr ? st->nr : 1, sizeof(*st->pollers));
		snprintf(name, sizeof(name), "scale_%llu", (unsigned long long)i);
		st->thread = reef_thread_create(name, NULL);
		if (st->thread == NULL || st->pollers == NULL) {
			reef_app_stop(1);
			return;
		}
		reef_thread_send_msg(st->thread, thread_start, st);
	}
}

static void
stop(void *ctx)
{
	uint64_t i;

	(void)ctx;
	for (i = 0; g_st != NULL && i < g_threads; i++) {
		if (g_st[i].thread != NULL) {
			reef_thread_send_msg(g_st[i].thread, thread_stop, &g_st[i]);
		}
	}
}

static int
parse(int ch, char *arg)
{
	unsigned long long *target = ch == OPT_THREADS   ? &g_threads
				     : ch == OPT_POLLERS ? &g_pollers
							 : &g_active;

	if (reef_parse_u64(arg, 1u << 24, target) != 0) {
		fprintf(stderr, "mp_scale_primary: bad number '%s'\n", arg);
		return -EINVAL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"threads", required_argument, NULL, OPT_THREADS},
		{"pollers", required_argument, NULL, OPT_POLLERS},
		{"active", required_argument, NULL, OPT_ACTIVE},
		{NULL, 0, NULL, 0},
	};
	struct reef_app_opts opts;

	reef_app_opts_init(&opts, sizeof(opts));
	switch (reef_app_parse_args(argc, argv, &opts, NULL, longopts, parse, NULL)) {
	case REEF_APP_PARSE_EXIT:
		return 0;
	case REEF_APP_PARSE_FAIL:
		return 2;
	default:
		break;
	}
	if (g_threads == 0 || g_active > g_pollers) {
		fprintf(stderr,
			"mp_scale_primary: need --threads >= 1 and --active <= --pollers\n");
		return 2;
	}
	opts.shutdown_cb = stop;
	return reef_app_start(&opts, start, NULL) == 0 ? 0 : 1;
}
