/*
 * Handlers every primary registers, used by reef-post and reef-top:
 *   reef.ping            reply "pong" (and the payload, if any)
 *   reef.poller.pause    payload "ID": pause poller ID (post to its thread)
 *   reef.poller.resume   payload "ID": resume it
 *   reef.poller.timing   payload "ID on" or "ID off": measure its cycles or stop
 *   reef.thread.list     payload "" or "after ID": lines "ID NAME LCORE STATE",
 *                        then "more after ID" when the reply is full
 * Payloads and replies are text, so a person can use them from reef-post.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "reef/log.h"
#include "reef/string.h"
#include "reef_internal/thread.h"

/* Copy a payload into a NUL-terminated string (payloads are not). */
static void
payload_text(struct reef_msg_request *req, char *buf, size_t size)
{
	size_t len;
	const char *p = reef_msg_request_get_payload(req, &len);

	if (len >= size) {
		len = size - 1;
	}
	memcpy(buf, p, len);
	buf[len] = '\0';
}

static void
ping(struct reef_msg_request *req, void *ctx)
{
	char text[REEF_MSG_PAYLOAD_MAX];
	size_t len;

	(void)ctx;
	reef_msg_request_get_payload(req, &len);
	if (len == 0) {
		reef_msg_replyf(req, 0, "pong");
		return;
	}
	payload_text(req, text, sizeof(text) - 8);
	reef_msg_replyf(req, 0, "pong %s", text);
}

/* The poller named by the payload's leading id, on this thread; or a reply saying why not. */
static struct reef_poller *
poller_of(struct reef_msg_request *req, char *rest, size_t rest_size)
{
	struct reef_thread *thread = reef_get_thread();
	char text[128], *end;
	unsigned long long id;
	struct reef_poller *poller;

	payload_text(req, text, sizeof(text));
	id = strtoull(text, &end, 10);
	if (end == text || id == 0) {
		reef_msg_replyf(req, -EINVAL, "%s wants a poller id, not '%s'",
				reef_msg_request_get_handler(req), text);
		return NULL;
	}
	while (*end == ' ') {
		end++;
	}
	snprintf(rest, rest_size, "%s", end);
	poller = reef_thread_get_poller_by_id(thread, id);
	if (poller == NULL) {
		reef_msg_replyf(req, -ENOENT,
				"no poller %llu on thread %s (%llu): post to the "
				"poller's own thread",
				id, reef_thread_get_name(thread),
				(unsigned long long)reef_thread_get_id(thread));
	}
	return poller;
}

/*
 * Whether poller is one of those serving the clients, refusing the request if
 * so: with client_rx paused no client could reach the primary again (not even
 * to resume it), with client_reaper paused dead clients would keep their slots.
 */
static bool
serves_clients(struct reef_msg_request *req, struct reef_poller *poller)
{
	if (poller != reef__server.rx_poller && poller != reef__server.reaper) {
		return false;
	}
	reef_msg_replyf(req, -EPERM, "poller %llu (%s) serves the clients: it cannot be paused",
			(unsigned long long)reef_poller_get_id(poller),
			reef_poller_get_name(poller));
	return true;
}

static void
poller_pause(struct reef_msg_request *req, void *ctx)
{
	struct reef_poller *poller;
	char rest[64];

	(void)ctx;
	poller = poller_of(req, rest, sizeof(rest));
	if (poller != NULL && !serves_clients(req, poller)) {
		reef_poller_pause(poller);
		reef_msg_replyf(req, 0, "poller %llu (%s) paused",
				(unsigned long long)reef_poller_get_id(poller),
				reef_poller_get_name(poller));
	}
}

static void
poller_resume(struct reef_msg_request *req, void *ctx)
{
	struct reef_poller *poller;
	char rest[64];

	(void)ctx;
	poller = poller_of(req, rest, sizeof(rest));
	if (poller != NULL) {
		reef_poller_resume(poller);
		reef_msg_replyf(req, 0, "poller %llu (%s) resumed",
				(unsigned long long)reef_poller_get_id(poller),
				reef_poller_get_name(poller));
	}
}

static void
poller_timing(struct reef_msg_request *req, void *ctx)
{
	struct reef_poller *poller;
	char rest[64];
	bool on;

	(void)ctx;
	poller = poller_of(req, rest, sizeof(rest));
	if (poller == NULL) {
		return;
	}
	if (strcmp(rest, "on") == 0) {
		on = true;
	} else if (strcmp(rest, "off") == 0) {
		on = false;
	} else {
		reef_msg_replyf(req, -EINVAL, "reef.poller.timing wants 'ID on' or 'ID off'");
		return;
	}
	reef_poller_set_timing(poller, on);
	reef_msg_replyf(req, 0, "poller %llu (%s) timing %s",
			(unsigned long long)reef_poller_get_id(poller),
			reef_poller_get_name(poller), on ? "on" : "off");
}

struct list_ctx {
	char text[REEF_MSG_PAYLOAD_MAX];
	size_t len;
	uint64_t after;
	uint64_t last;
	bool full;
};

static void
list_one(struct reef_thread *thread, void *arg)
{
	struct list_ctx *lc = arg;
	struct reef_shm_thread *shm = reef__thread_get_shm(thread);
	char line[96];
	int n;

	if (lc->full || shm->id <= lc->after) {
		return;
	}
	n = snprintf(line, sizeof(line), "%llu %s %d %s\n", (unsigned long long)shm->id, shm->name,
		     shm->lcore == UINT32_MAX ? -1 : (int)shm->lcore,
		     reef_shm_thread_state_str(shm->state));
	/* Leave room for the "more after" line. */
	if (lc->len + (size_t)n + 32 > sizeof(lc->text)) {
		lc->full = true;
		return;
	}
	memcpy(lc->text + lc->len, line, (size_t)n);
	lc->len += (size_t)n;
	lc->last = shm->id;
}

static void
thread_list(struct reef_msg_request *req, void *ctx)
{
	struct list_ctx lc;
	char text[64];

	(void)ctx;
	memset(&lc, 0, sizeof(lc));
	payload_text(req, text, sizeof(text));
	if (text[0] != '\0' && sscanf(text, "after %llu", (unsigned long long *)&lc.after) != 1) {
		reef_msg_replyf(req, -EINVAL, "reef.thread.list wants no payload or 'after ID'");
		return;
	}
	reef__thread_for_each_locked(list_one, &lc);
	if (lc.full) {
		lc.len += (size_t)snprintf(lc.text + lc.len, sizeof(lc.text) - lc.len,
					   "more after %llu\n", (unsigned long long)lc.last);
	}
	reef_msg_reply(req, 0, lc.text, lc.len);
}

int
reef__builtin_handlers_register(void)
{
	static const struct {
		const char *name;
		reef_msg_handler_fn fn;
	} builtins[] = {
		{"reef.ping", ping},
		{"reef.poller.pause", poller_pause},
		{"reef.poller.resume", poller_resume},
		{"reef.poller.timing", poller_timing},
		{"reef.thread.list", thread_list},
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		rc = reef_msg_handler_register(builtins[i].name, builtins[i].fn, NULL);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}
