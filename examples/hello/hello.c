/*
 * hello: the smallest useful Reef application. One thread per core, each
 * with a poller that counts, and a handler other processes can call:
 *
 *   reef-post -n NAME -t hello_0 -m hello.greet -d world -w
 *
 * It is visible in reef-top like any Reef primary. Build it against an
 * installed Reef with the Makefile beside it (pkg-config --cflags --libs reef).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <reef/client.h>
#include <reef/env.h>
#include <reef/event.h>

struct hello_thread {
	struct reef_poller *poller;
	unsigned long ticks;
};

static struct hello_thread g_threads[REEF_MAX_LCORE];

/* A timed poller: 1000 times a second, count. */
static int
tick(void *ctx)
{
	struct hello_thread *h = ctx;

	h->ticks++;
	return REEF_POLLER_BUSY;
}

static void
thread_start(void *ctx)
{
	struct hello_thread *h = ctx;

	h->poller = reef_poller_register_named(tick, h, 1000, "hello_tick");
}

static void
thread_stop(void *ctx)
{
	struct hello_thread *h = ctx;

	reef_poller_unregister(&h->poller);
}

/* hello.greet: reply with a greeting from the thread it was sent to. */
static void
greet(struct reef_msg_request *req, void *ctx)
{
	struct hello_thread *h = ctx;
	const char *who;
	size_t len;

	(void)h;
	who = reef_msg_request_get_payload(req, &len);
	reef_msg_replyf(req, 0, "hello %.*s, from %s on core %u", (int)len, len ? who : "",
			reef_thread_get_name(reef_get_thread()), reef_reactor_get_current_lcore());
}

static void
start(void *ctx)
{
	struct reef_cpuset cores, one;
	char name[32];
	uint32_t core;

	(void)ctx;
	reef_msg_handler_register("hello.greet", greet, NULL);
	reef_env_get_lcores(&cores);
	REEF_CPUSET_FOREACH(core, &cores)
	{
		struct reef_thread *t;

		reef_cpuset_zero(&one);
		reef_cpuset_set_cpu(&one, core, true);
		snprintf(name, sizeof(name), "hello_%u", core);
		t = reef_thread_create(name, &one);
		if (t == NULL) {
			reef_app_stop(1);
			return;
		}
		reef_thread_send_msg(t, thread_start, &g_threads[core]);
	}
	printf("hello: running '%s'; try: reef-post -n %s -t hello_%u -m hello.greet -d you -w\n",
	       reef_env_get_name(), reef_env_get_name(), reef_cpuset_next(&cores, 0));
	fflush(stdout);
}

static void
stop(void *ctx)
{
	struct reef_thread *t;

	(void)ctx;
	for (t = reef_thread_get_first(); t != NULL; t = reef_thread_get_next(t)) {
		const char *name = reef_thread_get_name(t);

		if (strncmp(name, "hello_", 6) == 0) {
			unsigned int core = (unsigned int)strtoul(name + 6, NULL, 10);

			reef_thread_send_msg(t, thread_stop, &g_threads[core]);
		}
	}
}

int
main(int argc, char **argv)
{
	struct reef_app_opts opts;

	reef_app_opts_init(&opts, sizeof(opts));
	switch (reef_app_parse_args(argc, argv, &opts, NULL, NULL, NULL, NULL)) {
	case REEF_APP_PARSE_EXIT:
		return 0;
	case REEF_APP_PARSE_FAIL:
		return 2;
	default:
		break;
	}
	opts.shutdown_cb = stop;
	return reef_app_start(&opts, start, NULL) == 0 ? 0 : 1;
}
