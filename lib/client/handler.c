/*
 * The primary's message handlers: registry by name, running a request on its
 * target thread, and sending the reply back through the client's reply ring.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "reef/log.h"
#include "reef/string.h"
#include "reef/usdt.h"
#include "reef_internal/thread.h"

struct handler *
reef__handler_get(uint32_t id)
{
	struct reef__client_server *srv = &reef__server;

	/* Acquire: pairs with the release in reef_msg_handler_register(). */
	if (srv->handlers == NULL || id >= srv->max_handlers ||
	    __atomic_load_n(&srv->handlers[id].fn, __ATOMIC_ACQUIRE) == NULL) {
		return NULL;
	}
	return &srv->handlers[id];
}

int
reef_msg_handler_register(const char *name, reef_msg_handler_fn fn, void *ctx)
{
	struct reef__client_server *srv = &reef__server;
	struct reef_shm_handler *shm;
	uint32_t i;
	int rc;

	if (!reef_name_is_valid(name, REEF_MSG_HANDLER_NAME_MAX, "._-") || fn == NULL) {
		REEF_ERRLOG("bad handler name '%s': use 1-%d letters, digits, '.', '_' or '-'\n",
			    name ? name : "", REEF_MSG_HANDLER_NAME_MAX);
		return -EINVAL;
	}
	if (srv->handlers == NULL) {
		REEF_ERRLOG("handler %s: no app is running to register it with\n", name);
		return -ENODEV;
	}
	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < srv->max_handlers; i++) {
		if (srv->handlers[i].fn != NULL && strcmp(srv->handlers[i].shm->name, name) == 0) {
			pthread_mutex_unlock(&srv->lock);
			REEF_ERRLOG("handler %s is already registered\n", name);
			return -EEXIST;
		}
	}
	shm = reef_shm_slot_alloc(srv->region, REEF_SHM_HANDLERS, &rc);
	if (shm == NULL) {
		pthread_mutex_unlock(&srv->lock);
		return rc;
	}
	shm->id = shm->hdr.index;
	reef_strcpy_trunc(shm->name, sizeof(shm->name), name);
	reef_shm_slot_publish(shm);
	srv->handlers[shm->hdr.index].shm = shm;
	srv->handlers[shm->hdr.index].ctx = ctx;
	/* Release: a forwarder that sees fn sees the rest of the entry. */
	__atomic_store_n(&srv->handlers[shm->hdr.index].fn, fn, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

const void *
reef_msg_request_get_payload(const struct reef_msg_request *req, size_t *len)
{
	if (len != NULL) {
		*len = req->len;
	}
	return req->payload;
}

const char *
reef_msg_request_get_handler(const struct reef_msg_request *req)
{
	return req->handler->shm->name;
}

int
reef_msg_request_get_client_pid(const struct reef_msg_request *req)
{
	return req->client_pid;
}

void
reef__request_run(void *arg)
{
	struct reef_msg_request *req = arg;
	struct reef_thread *thread = reef_get_thread();

	REEF_SHM_ADD(reef__thread_get_shm(thread)->remote_msgs, 1);
	__atomic_fetch_add(&req->handler->shm->calls, 1, __ATOMIC_RELAXED);
	REEF_USDT(remote_msg_recv, req->client_pid, req->request_id, req->handler->shm->name,
		  reef_thread_get_id(thread), reef_get_ticks() - req->post_tsc);
	req->handler->fn(req, req->handler->ctx);
}

/* Write one reply record; the caller holds conn->reply_lock and checked the session. */
static int
put_reply(struct client_conn *conn, uint64_t request_id, uint64_t post_tsc, int status,
	  const void *data, size_t len)
{
	struct reef_wire_reply *rec = reef_recring_produce_begin(conn->reply);

	if (rec == NULL) {
		__atomic_fetch_add(&conn->shm->dropped, 1, __ATOMIC_RELAXED);
		return -ENOBUFS;
	}
	rec->request_id = request_id;
	rec->status = status;
	rec->len = (uint32_t)len;
	rec->post_tsc = post_tsc;
	if (len > 0) {
		memcpy(rec->data, data, len);
	}
	reef_recring_produce(conn->reply);
	__atomic_fetch_add(&conn->shm->replied, 1, __ATOMIC_RELAXED);
	return 0;
}

static int
send_reply(uint32_t slot, uint32_t gen, uint64_t request_id, uint64_t post_tsc, int status,
	   const void *data, size_t len)
{
	struct client_conn *conn = &reef__server.conns[slot];
	int rc;

	pthread_spin_lock(&conn->reply_lock);
	if (conn->gen != gen) {
		/* The client went away (and its slot may already serve another). */
		pthread_spin_unlock(&conn->reply_lock);
		return -ESRCH;
	}
	rc = put_reply(conn, request_id, post_tsc, status, data, len);
	pthread_spin_unlock(&conn->reply_lock);
	return rc;
}

void
reef__reply_direct(struct client_conn *conn, uint32_t gen, uint64_t request_id, uint32_t flags,
		   int status, const char *text)
{
	__atomic_fetch_add(&conn->shm->rejected, 1, __ATOMIC_RELAXED);
	if (flags & REEF_WIRE_WANT_REPLY) {
		send_reply((uint32_t)(conn - reef__server.conns), gen, request_id, 0, status, text,
			   strlen(text));
	}
}

int
reef_msg_reply(struct reef_msg_request *req, int status, const void *data, size_t len)
{
	int rc = 0;

	if (len > REEF_MSG_PAYLOAD_MAX) {
		REEF_ERRLOG_RATELIMITED(1000,
					"handler %s replied %zu bytes (limit %d): the client "
					"gets -EMSGSIZE\n",
					req->handler->shm->name, len, REEF_MSG_PAYLOAD_MAX);
		status = -EMSGSIZE;
		len = 0;
		rc = -EMSGSIZE;
	}
	if (req->flags & REEF_WIRE_WANT_REPLY) {
		int sent = send_reply(req->client_slot, req->client_gen, req->request_id,
				      req->post_tsc, status, data, len);

		rc = rc ? rc : sent;
	}
	/* Fired for one-way requests too, so that every remote_msg_recv has its pair. */
	REEF_USDT(remote_msg_reply, req->client_pid, req->request_id, req->handler->shm->name,
		  status, reef_get_ticks() - req->post_tsc);
	free(req);
	return rc;
}

int
reef_msg_replyf(struct reef_msg_request *req, int status, const char *fmt, ...)
{
	char text[REEF_MSG_PAYLOAD_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0) {
		n = 0;
	}
	return reef_msg_reply(req, status, text,
			      (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}
