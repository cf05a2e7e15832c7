/*
 * The client side: attach to a primary, post named messages through our own
 * request ring, collect replies from our reply ring. Everything we write lives
 * in our slot's area; the primary takes it from there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reef/env.h"
#include "reef/log.h"
#include "reef/proc.h"
#include "reef/seqlock.h"
#include "reef/string.h"
#include "reef/util.h"
#include "reef_internal/client_wire.h"

#define ATTACH_TIMEOUT_MS 2000
#define ATTACH_RETRIES    20
/* How often a waiting client checks that the primary is still there. */
#define ALIVE_CHECK_NS (10 * 1000000ULL)
/* Spin this long for a reply before sleeping between looks. */
#define SPIN_NS (100 * 1000ULL)
/*
 * While spinning, look at the clock (and whether the primary still serves)
 * once every this many polls of the reply ring: clock_gettime costs several
 * times a poll, and every cycle between the reply landing and the client
 * seeing it is round-trip latency.
 */
#define SPIN_POLLS_PER_CLOCK 16
#define HANDLER_CACHE_SIZE   16
/* A slot header rewritten for longer than this many reads is looked up afresh. */
#define HANDLER_READ_RETRIES 256

struct handler_cache {
	char name[REEF_SHM_NAME_LEN];
	uint32_t id;
	uint32_t gen;
};

struct reef_client {
	struct reef_shm_region *region;
	const struct reef_shm_header *hdr;
	uint32_t slot;
	uint32_t gen;
	struct reef_recring *req;
	struct reef_recring *reply;
	int wake_fd;
	uint64_t next_request_id;
	/* When the primary's process was last seen alive, and how often to look (ticks). */
	uint64_t last_alive_tick;
	uint64_t alive_check_ticks;
	bool primary_gone;
	struct handler_cache cache[HANDLER_CACHE_SIZE];
	uint32_t cache_next;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * REEF_SEC_TO_NSEC + (uint64_t)ts.tv_nsec;
}

/*
 * Whether the primary is still serving at tick now; checks its process at
 * most every ALIVE_CHECK_NS. Timed in ticks, not clock_gettime: a post reads
 * the tick counter anyway (its post_tsc), and the system clock would cost
 * more than the post.
 */
static bool
primary_serving(struct reef_client *c, bool force, uint64_t now)
{
	if (c->primary_gone) {
		return false;
	}
	if (reef_shm_get_state(c->region) != REEF_REGION_RUNNING) {
		c->primary_gone = true;
		return false;
	}
	if (force || now - c->last_alive_tick >= c->alive_check_ticks) {
		c->last_alive_tick = now;
		if (!reef_shm_primary_alive(c->region)) {
			c->primary_gone = true;
			return false;
		}
	}
	return true;
}

static void
report_gone(struct reef_client *c)
{
	uint32_t state = reef_shm_get_state(c->region);

	if (state == REEF_REGION_STOPPING || state == REEF_REGION_STOPPED) {
		REEF_ERRLOG("primary '%s' is shutting down\n", c->hdr->app_name);
	} else {
		REEF_ERRLOG("primary '%s' (pid %d) has died\n", c->hdr->app_name,
			    c->hdr->primary_pid);
	}
}

static void
read_comm(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/comm", "r");

	buf[0] = '\0';
	if (f != NULL) {
		if (fgets(buf, (int)len, f) != NULL) {
			buf[strcspn(buf, "\n")] = '\0';
		}
		fclose(f);
	}
}

static int
ipc_attach(struct reef_client *c, const char *name)
{
	struct reef_ipc_attach_reply out;
	struct reef_ipc_attach_req in;
	struct reef_ipc_msg req, reply;
	int attempt, rc;

	memset(&in, 0, sizeof(in));
	in.pid = getpid();
	in.abi_version = REEF_SHM_ABI_VERSION;
	read_comm(in.comm, sizeof(in.comm));
	memset(&req, 0, sizeof(req));
	memcpy(req.param, &in, sizeof(in));
	req.len = sizeof(in);

	for (attempt = 0; attempt < ATTACH_RETRIES; attempt++) {
		rc = reef_env_ipc_request(REEF_IPC_ATTACH, &req, &reply, ATTACH_TIMEOUT_MS);
		if (rc != 0) {
			REEF_ERRLOG("primary '%s' did not answer the attach request (%s)\n", name,
				    strerror(-rc));
			return rc == -ETIMEDOUT ? -ETIMEDOUT : -ESHUTDOWN;
		}
		if (reply.len != sizeof(out)) {
			REEF_ERRLOG(
				"primary '%s' answered the attach request in an unknown format: "
				"use tools and primary from the same Reef build\n",
				name);
			return -EPROTO;
		}
		memcpy(&out, reply.param, sizeof(out));
		if (out.rc != -EAGAIN) {
			break;
		}
		/* A dead client held the last slot; the primary is reclaiming it. */
		usleep(50000);
	}
	switch (out.rc) {
	case 0:
		break;
	case -ENOSPC:
	case -EAGAIN:
		REEF_ERRLOG("primary '%s' has no free client slot (%u in use): raise its "
			    "--max-clients or detach other clients\n",
			    name, c->hdr->limits.max_clients);
		return -ENOSPC;
	case -ESHUTDOWN:
		REEF_ERRLOG("primary '%s' is shutting down\n", name);
		return -ESHUTDOWN;
	case -EPROTO:
		REEF_ERRLOG("primary '%s' speaks another client ABI: use tools and primary from "
			    "the same Reef build\n",
			    name);
		return -EPROTO;
	default:
		REEF_ERRLOG("primary '%s' refused the attach request: %s\n", name,
			    strerror(-out.rc));
		return out.rc < 0 ? out.rc : -EIO;
	}
	c->slot = out.slot;
	c->gen = out.gen;
	c->wake_fd = out.has_wake_fd && reply.nfds > 0 ? reply.fds[0] : -1;
	return 0;
}

int
reef_client_attach(const char *name, struct reef_client **out)
{
	struct reef_client *c;
	uint8_t *area;
	int rc;

	if (name == NULL) {
		name = REEF_APP_NAME_DEFAULT;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	c->wake_fd = -1;
	rc = reef_shm_attach(name, &c->region);
	if (rc != 0) {
		free(c);
		return rc;
	}
	c->hdr = reef_shm_get_header(c->region);
	if (reef_shm_get_state(c->region) != REEF_REGION_RUNNING) {
		REEF_ERRLOG("primary '%s' is %s: try again once it runs\n", name,
			    reef_shm_region_state_str(reef_shm_get_state(c->region)));
		reef_shm_detach(c->region);
		free(c);
		return -ESHUTDOWN;
	}
	rc = ipc_attach(c, name);
	if (rc != 0) {
		reef_shm_detach(c->region);
		free(c);
		return rc;
	}
	area = (uint8_t *)c->hdr + c->hdr->client_areas_offset +
	       (size_t)c->slot * c->hdr->client_area_size;
	c->req = (struct reef_recring *)area;
	c->reply = (struct reef_recring *)(area + reef_client_req_ring_size());
	c->alive_check_ticks = reef_get_ticks_hz() / (REEF_SEC_TO_NSEC / ALIVE_CHECK_NS);
	c->last_alive_tick = reef_get_ticks();
	*out = c;
	return 0;
}

void
reef_client_detach(struct reef_client *c)
{
	struct reef_ipc_detach_req in;
	struct reef_ipc_msg req, reply;

	if (c == NULL) {
		return;
	}
	in.slot = c->slot;
	in.gen = c->gen;
	if (primary_serving(c, true, reef_get_ticks())) {
		memset(&req, 0, sizeof(req));
		memcpy(req.param, &in, sizeof(in));
		req.len = sizeof(in);
		reef_env_ipc_request(REEF_IPC_DETACH, &req, &reply, ATTACH_TIMEOUT_MS);
	}
	if (c->wake_fd >= 0) {
		close(c->wake_fd);
	}
	reef_shm_detach(c->region);
	free(c);
}

struct reef_shm_region *
reef_client_get_region(struct reef_client *c)
{
	return c->region;
}

/*
 * Whether the handler slot a cache entry names still holds the registration
 * it was found in: same generation, still in use. Only the slot header is
 * read (consistently, through its sequence counter): the rest of the slot
 * holds the call counter the primary bumps on every request, and reading it
 * on every post would bounce that line between the two processes.
 */
static bool
cached_handler_valid(struct reef_client *c, const struct handler_cache *e)
{
	const struct reef_shm_slot_hdr *hdr = reef_shm_slot(c->region, REEF_SHM_HANDLERS, e->id);
	int attempt;

	for (attempt = 0; hdr != NULL && attempt < HANDLER_READ_RETRIES; attempt++) {
		uint32_t seq = reef_seqlock_read_begin(&hdr->seq);
		uint32_t gen = __atomic_load_n(&hdr->gen, __ATOMIC_RELAXED);
		uint32_t in_use = __atomic_load_n(&hdr->in_use, __ATOMIC_RELAXED);

		if (!reef_seqlock_read_retry(&hdr->seq, seq)) {
			return in_use && gen == e->gen;
		}
		reef_pause();
	}
	return false;
}

/* The slot index of the handler called name, or -ENOENT; cached, re-checked by generation. */
static int
handler_id(struct reef_client *c, const char *name, uint32_t *id)
{
	uint32_t n = reef_shm_table_count(c->region, REEF_SHM_HANDLERS), i;
	struct reef_shm_handler h;

	for (i = 0; i < HANDLER_CACHE_SIZE; i++) {
		struct handler_cache *e = &c->cache[i];

		if (e->name[0] != '\0' && strcmp(e->name, name) == 0 &&
		    cached_handler_valid(c, e)) {
			*id = e->id;
			return 0;
		}
	}
	for (i = 0; i < n; i++) {
		if (reef_shm_read(c->region, REEF_SHM_HANDLERS, i, &h) == 0 &&
		    strcmp(h.name, name) == 0) {
			struct handler_cache *e = &c->cache[c->cache_next++ % HANDLER_CACHE_SIZE];

			reef_strcpy_trunc(e->name, sizeof(e->name), name);
			e->id = i;
			e->gen = h.hdr.gen;
			*id = i;
			return 0;
		}
	}
	return -ENOENT;
}

bool
reef_client_has_handler(struct reef_client *c, const char *name)
{
	uint32_t id;

	return handler_id(c, name, &id) == 0;
}

int
reef_client_post(struct reef_client *c, uint64_t thread_id, const char *handler,
		 const void *payload, size_t len, bool want_reply, uint64_t *request_id)
{
	struct reef_wire_req *rec;
	uint64_t one = 1, now;
	uint32_t id;

	if (len > REEF_MSG_PAYLOAD_MAX) {
		REEF_ERRLOG("payload of %zu bytes is over the %d-byte limit\n", len,
			    REEF_MSG_PAYLOAD_MAX);
		return -EINVAL;
	}
	if (payload == NULL && len > 0) {
		REEF_ERRLOG("no payload given for a length of %zu bytes\n", len);
		return -EINVAL;
	}
	now = reef_get_ticks();
	if (!primary_serving(c, false, now)) {
		report_gone(c);
		return -ESHUTDOWN;
	}
	if (handler == NULL || handler_id(c, handler, &id) != 0) {
		REEF_ERRLOG("primary '%s' has no handler named '%s' (see reef-post -n %s --list)\n",
			    c->hdr->app_name, handler ? handler : "", c->hdr->app_name);
		return -ENOENT;
	}
	rec = reef_recring_produce_begin(c->req);
	if (rec == NULL) {
		return -ENOBUFS;
	}
	rec->request_id = ++c->next_request_id;
	rec->thread_id = thread_id;
	rec->handler_id = id;
	rec->flags = want_reply ? REEF_WIRE_WANT_REPLY : 0;
	rec->len = (uint32_t)len;
	rec->post_tsc = now;
	if (len > 0) {
		memcpy(rec->payload, payload, len);
	}
	reef_recring_produce(c->req);
	if (c->wake_fd >= 0 && write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* The primary's timer picks the request up anyway. */
	}
	if (request_id != NULL) {
		*request_id = c->next_request_id;
	}
	return 0;
}

/* Take the next reply if one is there: 0 or -EAGAIN. */
static int
take_reply(struct reef_client *c, struct reef_client_reply *reply)
{
	struct reef_wire_reply *rec;
	bool corrupt;

	rec = reef_recring_peek(c->reply, &corrupt);
	if (rec == NULL) {
		return -EAGAIN;
	}
	reply->request_id = rec->request_id;
	reply->status = rec->status;
	reply->len = rec->len > REEF_MSG_PAYLOAD_MAX ? REEF_MSG_PAYLOAD_MAX : rec->len;
	memcpy(reply->data, rec->data, reply->len);
	reef_recring_consume(c->reply);
	return 0;
}

int
reef_client_poll_reply(struct reef_client *c, struct reef_client_reply *reply)
{
	int rc = take_reply(c, reply);

	if (rc == -EAGAIN && !primary_serving(c, false, reef_get_ticks())) {
		return -ESHUTDOWN;
	}
	return rc;
}

int
reef_client_call(struct reef_client *c, uint64_t thread_id, const char *handler,
		 const void *payload, size_t len, struct reef_client_reply *reply,
		 uint32_t timeout_ms)
{
	uint64_t start = mono_ns(), deadline = start + (uint64_t)timeout_ms * 1000000ULL, id, polls;
	bool spinning = true;
	int rc;

	/* A full request ring drains as the primary works: retry until the deadline. */
	while ((rc = reef_client_post(c, thread_id, handler, payload, len, true, &id)) ==
	       -ENOBUFS) {
		if (mono_ns() >= deadline) {
			return -ETIMEDOUT;
		}
		usleep(100);
	}
	if (rc != 0) {
		return rc;
	}
	for (polls = 1;; polls++) {
		uint64_t now;

		rc = take_reply(c, reply);
		if (rc == 0 && reply->request_id == id) {
			return 0;
		}
		if (rc == 0) {
			/* A reply to an earlier post: not what we wait for. */
			continue;
		}
		if (spinning && polls % SPIN_POLLS_PER_CLOCK != 0) {
			continue;
		}
		if (!primary_serving(c, false, reef_get_ticks())) {
			report_gone(c);
			return -ESHUTDOWN;
		}
		now = mono_ns();
		if (now >= deadline) {
			return -ETIMEDOUT;
		}
		if (now - start > SPIN_NS) {
			spinning = false;
			usleep(50);
		}
	}
}

int
reef_client_find_thread(struct reef_client *c, const char *name, uint64_t *thread_id)
{
	uint32_t n = reef_shm_table_count(c->region, REEF_SHM_THREADS), i;
	struct reef_shm_thread t;
	int busy = 0;

	for (i = 0; i < n; i++) {
		int rc = reef_shm_read(c->region, REEF_SHM_THREADS, i, &t);

		if (rc == -EAGAIN) {
			busy++;
		} else if (rc == 0 && t.state == REEF_SHM_THREAD_RUNNING &&
			   strcmp(t.name, name) == 0) {
			*thread_id = t.id;
			return 0;
		}
	}
	return busy ? -EAGAIN : -ENOENT;
}
