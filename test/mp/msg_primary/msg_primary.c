/*
 * A primary for the client tests: threads t_a (first core) and t_b (last
 * core) and handlers that check what clients send.
 *   test.count   payload: a little-endian u64 sequence number. Counts it for
 *                (client pid, thread) and notes any number not greater than
 *                the previous one (a duplicate or a reordering).
 *   test.report  payload: a decimal pid. Reply "count N violations V" for that
 *                client on this thread.
 *   test.hang    never replies (until shutdown): for primary-dies tests.
 *   test.stuck   registers a poller on its thread that is never unregistered:
 *                that thread cannot exit, so shutdown hangs until the timeout.
 * Standard Reef options (-n NAME, -m MASK, ...). Prints "READY" when serving.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reef/client.h"
#include "reef/env.h"
#include "reef/event.h"
#include "reef/log.h"

#define MAX_CLIENTS 64

struct client_stats {
	int pid;
	uint64_t last_seq;
	uint64_t count;
	uint64_t violations;
};

/* Per target thread: touched only on that thread, so no locking. */
struct thread_stats {
	struct reef_thread *thread;
	struct client_stats clients[MAX_CLIENTS];
};

static struct thread_stats g_stats[2];
static struct reef_msg_request *g_hung[256];
static int g_nr_hung;

static struct thread_stats *
stats_here(void)
{
	struct reef_thread *me = reef_get_thread();

	return me == g_stats[0].thread ? &g_stats[0] : me == g_stats[1].thread ? &g_stats[1] : NULL;
}

static struct client_stats *
client_here(int pid, bool create)
{
	struct thread_stats *ts = stats_here();
	int i;

	if (ts == NULL) {
		return NULL;
	}
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (ts->clients[i].pid == pid) {
			return &ts->clients[i];
		}
	}
	for (i = 0; create && i < MAX_CLIENTS; i++) {
		if (ts->clients[i].pid == 0) {
			ts->clients[i].pid = pid;
			return &ts->clients[i];
		}
	}
	return NULL;
}

static void
count_handler(struct reef_msg_request *req, void *ctx)
{
	struct client_stats *cs = client_here(reef_msg_request_get_client_pid(req), true);
	const void *payload;
	uint64_t seq;
	size_t len;

	(void)ctx;
	payload = reef_msg_request_get_payload(req, &len);
	if (cs == NULL || len != sizeof(seq)) {
		reef_msg_reply(req, -EINVAL, NULL, 0);
		return;
	}
	memcpy(&seq, payload, sizeof(seq));
	if (cs->count > 0 && seq <= cs->last_seq) {
		cs->violations++;
	}
	cs->last_seq = seq;
	cs->count++;
	reef_msg_reply(req, 0, NULL, 0);
}

static void
report_handler(struct reef_msg_request *req, void *ctx)
{
	struct client_stats *cs;
	char text[32];
	size_t len;
	const char *payload = reef_msg_request_get_payload(req, &len);

	(void)ctx;
	if (len == 0 || len >= sizeof(text)) {
		reef_msg_replyf(req, -EINVAL, "test.report wants a pid");
		return;
	}
	memcpy(text, payload, len);
	text[len] = '\0';
	cs = client_here(atoi(text), false);
	reef_msg_replyf(req, 0, "count %llu violations %llu",
			(unsigned long long)(cs ? cs->count : 0),
			(unsigned long long)(cs ? cs->violations : 0));
}

static void
hang_handler(struct reef_msg_request *req, void *ctx)
{
	(void)ctx;
	if (g_nr_hung < (int)(sizeof(g_hung) / sizeof(g_hung[0]))) {
		g_hung[g_nr_hung++] = req;
	} else {
		reef_msg_reply(req, -EBUSY, NULL, 0);
	}
}

static int
stuck_poll(void *arg)
{
	(void)arg;
	return REEF_POLLER_IDLE;
}

static void
stuck_handler(struct reef_msg_request *req, void *ctx)
{
	(void)ctx;
	reef_poller_register_named(stuck_poll, NULL, 1000, "stuck");
	reef_msg_reply(req, 0, "stuck", 5);
}

static void
release_hung(void *ctx)
{
	int i;

	(void)ctx;
	for (i = 0; i < g_nr_hung; i++) {
		reef_msg_reply(g_hung[i], -ECANCELED, NULL, 0);
	}
	g_nr_hung = 0;
}

static void
start(void *ctx)
{
	struct reef_cpuset cores, one;
	uint32_t first, last = 0, c;

	(void)ctx;
	reef_env_get_lcores(&cores);
	first = reef_cpuset_next(&cores, 0);
	REEF_CPUSET_FOREACH(c, &cores)
	{
		last = c;
	}
	reef_cpuset_zero(&one);
	reef_cpuset_set_cpu(&one, first, true);
	g_stats[0].thread = reef_thread_create("t_a", &one);
	reef_cpuset_zero(&one);
	reef_cpuset_set_cpu(&one, last, true);
	g_stats[1].thread = reef_thread_create("t_b", &one);
	if (g_stats[0].thread == NULL || g_stats[1].thread == NULL ||
	    reef_msg_handler_register("test.count", count_handler, NULL) != 0 ||
	    reef_msg_handler_register("test.report", report_handler, NULL) != 0 ||
	    reef_msg_handler_register("test.hang", hang_handler, NULL) != 0 ||
	    reef_msg_handler_register("test.stuck", stuck_handler, NULL) != 0) {
		reef_app_stop(1);
		return;
	}
	printf("READY\n");
	fflush(stdout);
}

static void
shutdown_cb(void *ctx)
{
	(void)ctx;
	release_hung(NULL);
}

int
main(int argc, char **argv)
{
	struct reef_app_opts opts;

	reef_app_opts_init(&opts, sizeof(opts));
	opts.limits.max_threads = 16;
	opts.limits.max_pollers = 256;
	opts.limits.max_channels = 64;
	opts.limits.max_devices = 16;
	switch (reef_app_parse_args(argc, argv, &opts, NULL, NULL, NULL, NULL)) {
	case REEF_APP_PARSE_EXIT:
		return 0;
	case REEF_APP_PARSE_FAIL:
		return 2;
	default:
		break;
	}
	opts.shutdown_cb = shutdown_cb;
	return reef_app_start(&opts, start, NULL) == 0 ? 0 : 1;
}
