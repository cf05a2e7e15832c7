/*
 * The primary serving its clients.
 *
 * A client claims a slot over DPDK IPC (handled on DPDK's IPC thread, which
 * also opens a pidfd on the claimer while it is certainly alive). Everything
 * else happens on the app thread: a poller drains each attached client's
 * request ring and forwards each request to its target thread as an ordinary
 * message; another notices dead or detached clients and reclaims their slot.
 * What a client writes is never trusted: indices are checked, lengths bounded,
 * ids looked up.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "client_internal.h"
#include "reef/env.h"
#include "reef/log.h"
#include "reef/proc.h"
#include "reef/usdt.h"
#include "reef_internal/client_server.h"
#include "reef_internal/thread.h"

/* Requests taken from one client per poll, so that one cannot starve the others. */
#define RX_BATCH     32
#define REAPER_US    100000
#define RX_PERIOD_US 1000

struct reef__client_server reef__server = {.wake_fd = -1};

static struct client_conn *
conn_of(uint32_t slot)
{
	return &reef__server.conns[slot];
}

static bool
is_attached(uint32_t slot)
{
	return (__atomic_load_n(&reef__server.attached[slot / 64], __ATOMIC_ACQUIRE) >>
		(slot % 64)) &
	       1;
}

static void
set_attached(uint32_t slot, bool on)
{
	uint64_t bit = 1ULL << (slot % 64);

	if (on) {
		/* Release: the connection is fully set up before the forwarder sees the bit. */
		__atomic_fetch_or(&reef__server.attached[slot / 64], bit, __ATOMIC_RELEASE);
	} else {
		__atomic_fetch_and(&reef__server.attached[slot / 64], ~bit, __ATOMIC_RELEASE);
	}
}

static int
pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static bool
conn_is_dead(const struct client_conn *conn)
{
	struct pollfd pfd = {.fd = conn->pidfd, .events = POLLIN};

	if (conn->pidfd < 0) {
		return !reef_proc_is_alive(conn->pid, conn->start_time);
	}
	/* A pidfd becomes readable when its process exits. */
	return poll(&pfd, 1, 0) > 0;
}

/* Take a slot back (app thread only): replies in flight find the session gone. */
static void
reclaim(uint32_t slot, const char *why)
{
	struct reef__client_server *srv = &reef__server;
	struct client_conn *conn = conn_of(slot);
	struct reef_shm_client *shm = conn->shm;

	set_attached(slot, false);
	pthread_spin_lock(&conn->reply_lock);
	conn->gen = 0;
	pthread_spin_unlock(&conn->reply_lock);
	REEF_SHM_STORE(shm->state, (uint32_t)REEF_SHM_CLIENT_DEAD);
	REEF_USDT(client_detach, conn->pid, slot, why);
	REEF_INFOLOG("client pid %d (slot %u) %s: slot reclaimed\n", conn->pid, slot, why);
	/* Under the lock: the IPC thread's any_dead() looks at pidfds too. */
	pthread_mutex_lock(&srv->lock);
	if (conn->pidfd >= 0) {
		close(conn->pidfd);
		conn->pidfd = -1;
	}
	conn->shm = NULL;
	pthread_mutex_unlock(&srv->lock);
	/* Last: from here the IPC thread may hand the slot to a new client. */
	reef_shm_slot_free(srv->region, REEF_SHM_CLIENTS, shm);
}

/*
 * Forward one request record. Returns false when the target thread's ring is
 * full: the record stays in the client's ring and is retried at the next poll,
 * so a fast client slows down instead of losing messages.
 */
static bool
forward(struct client_conn *conn, const struct reef_wire_req *rec)
{
	struct reef__client_server *srv = &reef__server;
	uint64_t request_id = rec->request_id, thread_id = rec->thread_id;
	uint32_t handler_id = rec->handler_id, flags = rec->flags, len = rec->len;
	struct reef_msg_request *req;
	struct handler *handler;
	char why[96];
	int rc;

	if (len > REEF_MSG_PAYLOAD_MAX) {
		snprintf(why, sizeof(why), "payload of %u bytes is over the %d-byte limit", len,
			 REEF_MSG_PAYLOAD_MAX);
		reef__reply_direct(conn, conn->gen, request_id, flags, -EMSGSIZE, why);
		return true;
	}
	handler = reef__handler_get(handler_id);
	if (handler == NULL) {
		snprintf(why, sizeof(why), "no handler with id %u", handler_id);
		reef__reply_direct(conn, conn->gen, request_id, flags, -ENOENT, why);
		return true;
	}
	req = malloc(sizeof(*req) + len);
	if (req == NULL) {
		/* Like a full ring: try again later rather than lose the request. */
		return false;
	}
	req->client_slot = (uint32_t)(conn - srv->conns);
	req->client_gen = conn->gen;
	req->client_pid = conn->pid;
	req->flags = flags;
	req->request_id = request_id;
	req->post_tsc = rec->post_tsc;
	req->handler = handler;
	req->len = len;
	memcpy(req->payload, rec->payload, len);

	if (thread_id == REEF_CLIENT_APP_THREAD) {
		thread_id = reef_thread_get_id(srv->app_thread);
	}
	rc = reef__thread_send_msg_by_id(thread_id, reef__request_run, req);
	if (rc == -ENOBUFS) {
		free(req);
		return false;
	}
	if (rc != 0) {
		snprintf(why, sizeof(why), "no running thread with id %llu",
			 (unsigned long long)thread_id);
		free(req);
		reef__reply_direct(conn, conn->gen, request_id, flags, -ESRCH, why);
		return true;
	}
	__atomic_fetch_add(&conn->shm->received, 1, __ATOMIC_RELAXED);
	return true;
}

static int
drain(uint32_t slot)
{
	struct client_conn *conn = conn_of(slot);
	int n;

	for (n = 0; n < RX_BATCH; n++) {
		struct reef_wire_req *rec;
		bool corrupt;

		rec = reef_recring_peek(conn->req, &corrupt);
		if (corrupt) {
			reclaim(slot, "corrupted its request ring");
			return n;
		}
		if (rec == NULL || !forward(conn, rec)) {
			break;
		}
		reef_recring_consume(conn->req);
	}
	return n;
}

static int
rx_poll(void *arg)
{
	struct reef__client_server *srv = &reef__server;
	uint32_t words = (srv->max_clients + 63) / 64, w;
	int work = 0;

	(void)arg;
	for (w = 0; w < words; w++) {
		uint64_t bits = __atomic_load_n(&srv->attached[w], __ATOMIC_ACQUIRE);

		while (bits != 0) {
			uint32_t slot = w * 64 + (uint32_t)__builtin_ctzll(bits);
			struct client_conn *conn = conn_of(slot);

			bits &= bits - 1;
			work += drain(slot);
			/*
			 * What a client posted before detaching is still delivered (reef-post
			 * without --wait posts and detaches at once): the slot goes back
			 * once its ring is empty. drain() may have reclaimed it already (and
			 * the IPC thread handed it to a new session): look at the bit first.
			 */
			if (is_attached(slot) &&
			    __atomic_load_n(&conn->detach_gen, __ATOMIC_ACQUIRE) == conn->gen &&
			    reef_recring_fill(conn->req) == 0) {
				reclaim(slot, "detached");
			}
		}
	}
	return work > 0 ? REEF_POLLER_BUSY : REEF_POLLER_IDLE;
}

static int
wake_fn(void *arg)
{
	uint64_t count;

	if (read(reef__server.wake_fd, &count, sizeof(count)) < 0) {
		return REEF_POLLER_IDLE;
	}
	return rx_poll(arg);
}

static int
reaper_poll(void *arg)
{
	struct reef__client_server *srv = &reef__server;
	uint32_t slot;
	int reaped = 0;

	(void)arg;
	for (slot = 0; slot < srv->max_clients; slot++) {
		if (is_attached(slot) && conn_is_dead(conn_of(slot))) {
			reclaim(slot, "died");
			reaped++;
		}
	}
	return reaped ? REEF_POLLER_BUSY : REEF_POLLER_IDLE;
}

/* Whether some attached client is dead (the IPC thread asks, the app thread reclaims). */
static bool
any_dead(void)
{
	struct reef__client_server *srv = &reef__server;
	bool dead = false;
	uint32_t slot;

	/* The lock keeps reclaim() from closing a pidfd while we poll it. */
	pthread_mutex_lock(&srv->lock);
	for (slot = 0; slot < srv->max_clients && !dead; slot++) {
		dead = is_attached(slot) && conn_of(slot)->shm != NULL &&
		       conn_is_dead(conn_of(slot));
	}
	pthread_mutex_unlock(&srv->lock);
	return dead;
}

static void
reap_msg(void *arg)
{
	reaper_poll(arg);
}

static int
claim(const struct reef_ipc_attach_req *in, struct reef_ipc_attach_reply *out)
{
	struct reef__client_server *srv = &reef__server;
	const struct reef_shm_header *hdr = reef_shm_get_header(srv->region);
	struct reef_shm_client *shm;
	struct client_conn *conn;
	uint64_t start_time;
	uint8_t *area;
	int pidfd, rc;

	if (in->abi_version != REEF_SHM_ABI_VERSION) {
		return -EPROTO;
	}
	if (!srv->running || reef_shm_get_state(srv->region) != REEF_REGION_RUNNING) {
		return -ESHUTDOWN;
	}
	if (in->pid <= 0 || reef_proc_start_time(in->pid, &start_time) != 0) {
		return -ESRCH;
	}
	/* Opened now, while the claimer is certainly alive: it can't be a reused pid later. */
	pidfd = pidfd_open_compat(in->pid);
	pthread_mutex_lock(&srv->lock);
	shm = reef_shm_slot_alloc(srv->region, REEF_SHM_CLIENTS, &rc);
	pthread_mutex_unlock(&srv->lock);
	if (shm == NULL) {
		if (pidfd >= 0) {
			close(pidfd);
		}
		if (any_dead()) {
			/* A dead client holds a slot: reclaim it and let the claimer retry. */
			reef_thread_send_msg(srv->app_thread, reap_msg, NULL);
			return -EAGAIN;
		}
		return -ENOSPC;
	}
	conn = conn_of(shm->hdr.index);
	area = (uint8_t *)hdr + hdr->client_areas_offset +
	       (size_t)shm->hdr.index * hdr->client_area_size;
	conn->req = (struct reef_recring *)area;
	conn->reply = (struct reef_recring *)(area + reef_client_req_ring_size());
	reef_recring_init(conn->req);
	reef_recring_init(conn->reply);
	conn->pid = in->pid;
	conn->start_time = start_time;
	conn->pidfd = pidfd;
	conn->shm = shm;
	conn->detach_gen = 0;
	shm->pid = in->pid;
	shm->start_time = start_time;
	shm->state = REEF_SHM_CLIENT_ATTACHED;
	shm->attach_tsc = reef_get_ticks();
	memcpy(shm->comm, in->comm, sizeof(shm->comm));
	shm->comm[sizeof(shm->comm) - 1] = '\0';
	pthread_spin_lock(&conn->reply_lock);
	conn->gen = shm->hdr.gen;
	pthread_spin_unlock(&conn->reply_lock);
	reef_shm_slot_publish(shm);
	set_attached(shm->hdr.index, true);

	out->slot = shm->hdr.index;
	out->gen = conn->gen;
	REEF_USDT(client_attach, in->pid, out->slot, shm->comm);
	REEF_DEBUGLOG(client, "client pid %d (%s) attached in slot %u\n", in->pid, shm->comm,
		      out->slot);
	return 0;
}

static void
ipc_attach(const struct reef_ipc_msg *req, struct reef_ipc_msg *reply)
{
	struct reef_ipc_attach_reply out;
	struct reef_ipc_attach_req in;

	memset(&out, 0, sizeof(out));
	if (req->len != sizeof(in)) {
		out.rc = -EPROTO;
	} else {
		memcpy(&in, req->param, sizeof(in));
		out.rc = claim(&in, &out);
	}
	if (out.rc == 0 && reef__server.wake_fd >= 0) {
		out.has_wake_fd = 1;
		reply->fds[0] = reef__server.wake_fd;
		reply->nfds = 1;
	}
	memcpy(reply->param, &out, sizeof(out));
	reply->len = sizeof(out);
}

static void
ipc_detach(const struct reef_ipc_msg *req, struct reef_ipc_msg *reply)
{
	struct reef__client_server *srv = &reef__server;
	struct reef_ipc_detach_req in;
	int32_t rc = 0;

	if (req->len != sizeof(in)) {
		rc = -EPROTO;
	} else {
		memcpy(&in, req->param, sizeof(in));
		if (in.slot >= srv->max_clients || !is_attached(in.slot)) {
			rc = -ENOENT;
		} else {
			/* The app thread reclaims it at its next look (if the session still matches). */
			__atomic_store_n(&conn_of(in.slot)->detach_gen, in.gen, __ATOMIC_RELEASE);
		}
	}
	memcpy(reply->param, &rc, sizeof(rc));
	reply->len = sizeof(rc);
}

static void
start_pollers(void *arg)
{
	struct reef__client_server *srv = &reef__server;

	(void)arg;
	if (srv->wake_fd >= 0) {
		/* Interrupt mode: clients write the eventfd; a slow timer catches the rest. */
		srv->wake_intr =
			reef_interrupt_register(srv->wake_fd, wake_fn, NULL, "client_wake");
		srv->rx_poller =
			reef_poller_register_named(rx_poll, NULL, RX_PERIOD_US, "client_rx");
	} else {
		srv->rx_poller = reef_poller_register_named(rx_poll, NULL, 0, "client_rx");
	}
	srv->reaper = reef_poller_register_named(reaper_poll, NULL, REAPER_US, "client_reaper");
}

void
reef__client_server_fini(void)
{
	struct reef__client_server *srv = &reef__server;
	uint32_t i;

	srv->running = false;
	reef_env_ipc_unregister(REEF_IPC_ATTACH);
	reef_env_ipc_unregister(REEF_IPC_DETACH);
	for (i = 0; srv->conns != NULL && i < srv->max_clients; i++) {
		if (srv->conns[i].pidfd >= 0) {
			close(srv->conns[i].pidfd);
		}
		pthread_spin_destroy(&srv->conns[i].reply_lock);
	}
	if (srv->wake_fd >= 0) {
		close(srv->wake_fd);
	}
	free(srv->conns);
	free(srv->handlers);
	free(srv->attached);
	pthread_mutex_destroy(&srv->lock);
	memset(srv, 0, sizeof(*srv));
	srv->wake_fd = -1;
}

int
reef__client_server_start(struct reef_shm_region *region, bool interrupt_mode)
{
	struct reef__client_server *srv = &reef__server;
	const struct reef_shm_header *hdr = reef_shm_get_header(region);
	uint32_t i;
	int rc;

	memset(srv, 0, sizeof(*srv));
	srv->region = region;
	srv->wake_fd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	srv->max_handlers = hdr->limits.max_handlers;
	srv->max_clients = hdr->limits.max_clients;
	srv->handlers = calloc(srv->max_handlers, sizeof(*srv->handlers));
	srv->conns = calloc(srv->max_clients, sizeof(*srv->conns));
	srv->attached = calloc((srv->max_clients + 63) / 64, sizeof(uint64_t));
	if (srv->handlers == NULL || srv->conns == NULL || srv->attached == NULL) {
		reef__client_server_fini();
		return -ENOMEM;
	}
	for (i = 0; i < srv->max_clients; i++) {
		pthread_spin_init(&srv->conns[i].reply_lock, PTHREAD_PROCESS_PRIVATE);
		srv->conns[i].pidfd = -1;
	}
	if (interrupt_mode) {
		srv->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (srv->wake_fd < 0) {
			rc = -errno;
			reef__client_server_fini();
			return rc;
		}
	}
	rc = reef__builtin_handlers_register();
	if (rc == 0) {
		rc = reef_env_ipc_register(REEF_IPC_ATTACH, ipc_attach);
	}
	if (rc == 0) {
		rc = reef_env_ipc_register(REEF_IPC_DETACH, ipc_detach);
	}
	if (rc != 0) {
		REEF_ERRLOG("cannot serve clients: %s\n", strerror(-rc));
		reef__client_server_fini();
		return rc;
	}
	return 0;
}

void
reef__client_server_serve_from(struct reef_thread *app_thread)
{
	struct reef__client_server *srv = &reef__server;

	srv->app_thread = app_thread;
	srv->running = true;
	if (reef_thread_send_msg(app_thread, start_pollers, NULL) != 0) {
		REEF_ERRLOG("cannot start serving clients: they will time out\n");
	}
}

void
reef__client_server_stop(void)
{
	struct reef__client_server *srv = &reef__server;

	srv->running = false;
	reef_poller_unregister(&srv->rx_poller);
	reef_poller_unregister(&srv->reaper);
	reef_interrupt_unregister(&srv->wake_intr);
}
