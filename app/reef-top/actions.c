/*
 * P and T: pause/resume a poller and switch its timing, through lib/client.
 *
 * A read-only viewer should not hold one of the primary's client slots, so the
 * client attaches at the first action only. Requests are posted without
 * waiting and their replies collected from the screen's loop: a slow or
 * stuck thread never freezes the display.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "reef/client.h"
#include "top.h"

/* How long an action may take before the status line gives up on it. */
#define ACTION_TIMEOUT_NS 10000000000ULL

static struct reef_client *g_client;

static struct {
	bool pending;
	uint64_t request_id;
	uint64_t deadline_ns;
	char what[96];
} g_pending;

static const char *
handler_of(enum top_action a)
{
	switch (a) {
	case TOP_ACTION_PAUSE:
		return "reef.poller.pause";
	case TOP_ACTION_RESUME:
		return "reef.poller.resume";
	default:
		return "reef.poller.timing";
	}
}

static const char *
verb_of(enum top_action a)
{
	switch (a) {
	case TOP_ACTION_PAUSE:
		return "pause";
	case TOP_ACTION_RESUME:
		return "resume";
	case TOP_ACTION_TIMING_ON:
		return "time";
	default:
		return "stop timing";
	}
}

int
top_action_post(const char *app, enum top_action action, uint64_t poller_id,
		const char *poller_name, uint64_t thread_id, char *msg, size_t len)
{
	char payload[48];
	int rc;

	if (g_pending.pending) {
		snprintf(msg, len, "still waiting for the reply to: %s", g_pending.what);
		return -EBUSY;
	}
	if (g_client == NULL) {
		rc = reef_client_attach(app, &g_client);
		if (rc != 0) {
			g_client = NULL;
			snprintf(msg, len,
				 "cannot act on pollers: attaching as a client failed (%s)",
				 strerror(-rc));
			return rc;
		}
	}
	switch (action) {
	case TOP_ACTION_TIMING_ON:
		snprintf(payload, sizeof(payload), "%" PRIu64 " on", poller_id);
		break;
	case TOP_ACTION_TIMING_OFF:
		snprintf(payload, sizeof(payload), "%" PRIu64 " off", poller_id);
		break;
	default:
		snprintf(payload, sizeof(payload), "%" PRIu64, poller_id);
		break;
	}
	/* Built-in handlers act on the poller's own thread only: post to it. */
	rc = reef_client_post(g_client, thread_id, handler_of(action), payload, strlen(payload),
			      true, &g_pending.request_id);
	snprintf(g_pending.what, sizeof(g_pending.what), "%s poller %" PRIu64 " (%s)",
		 verb_of(action), poller_id, poller_name);
	switch (rc) {
	case 0:
		g_pending.pending = true;
		g_pending.deadline_ns = top_now_ns() + ACTION_TIMEOUT_NS;
		snprintf(msg, len, "%s: sent...", g_pending.what);
		return 0;
	case -ENOENT:
		snprintf(msg, len, "cannot %s: the primary has no %s handler", g_pending.what,
			 handler_of(action));
		return rc;
	case -ENOBUFS:
		snprintf(msg, len, "cannot %s now: the request ring is full, try again",
			 g_pending.what);
		return rc;
	case -ESHUTDOWN:
		snprintf(msg, len, "cannot %s: the primary is stopping", g_pending.what);
		return rc;
	default:
		snprintf(msg, len, "cannot %s: %s", g_pending.what, strerror(-rc));
		return rc;
	}
}

int
top_action_poll(char *msg, size_t len, bool *failed)
{
	struct reef_client_reply reply;
	int rc;

	if (!g_pending.pending || g_client == NULL) {
		return 0;
	}
	for (;;) {
		rc = reef_client_poll_reply(g_client, &reply);
		if (rc == 0 && reply.request_id != g_pending.request_id) {
			continue; /* the late reply of an action that timed out */
		}
		break;
	}
	if (rc == -EAGAIN) {
		if (top_now_ns() < g_pending.deadline_ns) {
			return 0;
		}
		g_pending.pending = false;
		*failed = true;
		snprintf(msg, len, "%s: no reply within %llu s", g_pending.what,
			 ACTION_TIMEOUT_NS / 1000000000ULL);
		return 1;
	}
	g_pending.pending = false;
	if (rc != 0) {
		*failed = true;
		snprintf(msg, len, "%s: the primary has gone", g_pending.what);
		return 1;
	}
	if (reply.len > sizeof(reply.data)) {
		reply.len = sizeof(reply.data);
	}
	*failed = reply.status != 0;
	if (reply.status != 0) {
		snprintf(msg, len, "%s failed (%s): %.*s", g_pending.what, strerror(-reply.status),
			 (int)reply.len, (const char *)reply.data);
	} else {
		/* The handler's own words: "poller 12 (io_poll) paused". */
		snprintf(msg, len, "%.*s", (int)reply.len, (const char *)reply.data);
	}
	return 1;
}

void
top_action_fini(void)
{
	if (g_client != NULL) {
		reef_client_detach(g_client);
		g_client = NULL;
	}
	g_pending.pending = false;
}
