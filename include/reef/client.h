/*
 * Messages from other processes.
 *
 * Function pointers mean nothing in another process, so secondaries send
 * *named* messages: the primary registers handlers by name
 * (reef_msg_handler_register), and a client (any program linking lib/client,
 * e.g. reef-post or reef-top) attaches to the primary by app name, then posts
 * (thread id, handler, payload) to one of its threads and may wait for the
 * reply. Only registered handlers can be reached: a client can never make the
 * primary call an address it chose.
 *
 * Payloads travel by value through the client's own rings in the shared
 * region; the client writes nothing else, so killing it at any instant cannot
 * wedge or corrupt the primary or other clients. The primary notices dead
 * clients, drops their replies and reclaims their slot.
 */
#ifndef REEF_CLIENT_H
#define REEF_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reef/shm.h"

/* Largest payload of a request or a reply, in bytes. */
#define REEF_MSG_PAYLOAD_MAX 1024
/* Longest handler name (letters, digits, '.', '_', '-'). */
#define REEF_MSG_HANDLER_NAME_MAX (REEF_SHM_NAME_LEN - 1)
/* Thread id meaning "the app thread" in a post. */
#define REEF_CLIENT_APP_THREAD 0

/* ---- primary side ---- */

struct reef_msg_request;

/*
 * Runs on the target thread with the request. The handler must answer every
 * request exactly once with reef_msg_reply(), now or later, from any Reef
 * thread of the primary (the reply is discarded if the client did not ask
 * for one or has gone).
 */
typedef void (*reef_msg_handler_fn)(struct reef_msg_request *req, void *ctx);

/*
 * Make fn reachable by clients under name (copied). Any thread of the primary,
 * after reef_app_start has created the region. Returns 0, -EINVAL (bad name:
 * 1-39 letters, digits, '.', '_' or '-'), -EEXIST (name taken), -ENOSPC
 * (handler table full: --max-handlers).
 */
int reef_msg_handler_register(const char *name, reef_msg_handler_fn fn, void *ctx);

/* The payload of a request (valid until it is replied to) and its length. */
const void *reef_msg_request_get_payload(const struct reef_msg_request *req, size_t *len);
/* The handler name the request was sent to. */
const char *reef_msg_request_get_handler(const struct reef_msg_request *req);
/* pid of the client that posted it. */
int reef_msg_request_get_client_pid(const struct reef_msg_request *req);

/*
 * Answer req with status (0 or a negative errno) and up to
 * REEF_MSG_PAYLOAD_MAX bytes of data (copied), then free req. Any Reef thread
 * of the primary. Returns 0, -EMSGSIZE (data too long: nothing sent, req
 * still freed), -ENOBUFS (the client's reply ring is full: reply dropped),
 * -ESRCH (the client has gone: reply dropped).
 */
int reef_msg_reply(struct reef_msg_request *req, int status, const void *data, size_t len);

/* reef_msg_reply with a printf-formatted text reply. */
int reef_msg_replyf(struct reef_msg_request *req, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- client side (secondaries) ---- */

struct reef_client;

struct reef_client_reply {
	uint64_t request_id;
	int32_t status;
	uint32_t len;
	uint8_t data[REEF_MSG_PAYLOAD_MAX];
};

/*
 * Attach to the running primary `name` and claim a client slot. Initialises
 * the env as a secondary if this process has not done so (a process attaches
 * to one primary). Returns 0, or after one clear log line: -ENOENT (no such
 * primary), -EPROTO (ABI mismatch), -ENOSPC (client table full: the primary's
 * --max-clients), -ESHUTDOWN (the primary is stopping), the errors of
 * reef_shm_attach().
 */
int reef_client_attach(const char *name, struct reef_client **client);

/* Give the slot back. Any reply still on its way is dropped. */
void reef_client_detach(struct reef_client *client);

/* The region the client is attached to (to read snapshots through lib/shm). */
struct reef_shm_region *reef_client_get_region(struct reef_client *client);

/*
 * Post payload to handler on thread thread_id (REEF_CLIENT_APP_THREAD: the app
 * thread) without waiting. With want_reply the reply can be collected with
 * reef_client_poll_reply(); *request_id (may be NULL) identifies it. Returns
 * 0, -EINVAL (len > REEF_MSG_PAYLOAD_MAX or NULL payload with len),
 * -ENOENT (no such handler; checked here), -ENOBUFS (the request ring is
 * full: poll replies and retry), -ESHUTDOWN (primary gone or stopping).
 * Unknown or exited threads are reported in the reply (-ESRCH).
 */
int reef_client_post(struct reef_client *client, uint64_t thread_id, const char *handler,
		     const void *payload, size_t len, bool want_reply, uint64_t *request_id);

/*
 * Take the next reply if one is there. Returns 0 (reply filled), -EAGAIN
 * (none yet), -ESHUTDOWN (primary gone).
 */
int reef_client_poll_reply(struct reef_client *client, struct reef_client_reply *reply);

/*
 * Post and wait up to timeout_ms for the reply. Returns 0 with the reply
 * (whose status is the handler's), -ETIMEDOUT, -ESHUTDOWN (within 2 s of the
 * primary dying), or the errors of reef_client_post().
 */
int reef_client_call(struct reef_client *client, uint64_t thread_id, const char *handler,
		     const void *payload, size_t len, struct reef_client_reply *reply,
		     uint32_t timeout_ms);

/* The id of the live thread named name. Returns 0, -ENOENT, -EAGAIN (keeps changing). */
int reef_client_find_thread(struct reef_client *client, const char *name, uint64_t *thread_id);

/* Whether a handler of this name is registered. */
bool reef_client_has_handler(struct reef_client *client, const char *name);

#endif /* REEF_CLIENT_H */
