/*
 * Unit-test helper for lib/client, included after ut_multithread.c: a fake-env
 * primary that serves clients from ut thread 0, with two test handlers
 * registered ("ut.echo" replies with the payload, "ut.defer" keeps the
 * request for the test to answer later). Clients attach in the same process,
 * because the fake IPC calls the server's actions directly; the helpers here
 * also reach a client slot's rings and records the way the wire sees them,
 * so tests can play a misbehaving client.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reef/client.h"
#include "reef_internal/client_server.h"
#include "reef_internal/client_wire.h"

#define UT_MAX_DEFERRED 8
/* Ticks (microseconds) between two runs of the server's dead-client reaper. */
#define UT_REAPER_TICKS 100000

/* What the test handlers saw. */
struct ut_seen {
	int calls;
	struct reef_thread *thread;
	char handler[REEF_SHM_NAME_LEN];
	int pid;
	size_t len;
	uint8_t payload[REEF_MSG_PAYLOAD_MAX];
	/* What ut.echo's reef_msg_reply returned. */
	int reply_rc;
	/* First byte of each payload, in the order the handlers ran. */
	char order[256];
	int norder;
};

static struct ut_seen g_seen;
static struct reef_msg_request *g_deferred[UT_MAX_DEFERRED];
static int g_ndeferred;

static void
ut_seen_record(struct reef_msg_request *req)
{
	const void *p;
	size_t len;

	p = reef_msg_request_get_payload(req, &len);
	g_seen.calls++;
	g_seen.thread = reef_get_thread();
	snprintf(g_seen.handler, sizeof(g_seen.handler), "%s", reef_msg_request_get_handler(req));
	g_seen.pid = reef_msg_request_get_client_pid(req);
	g_seen.len = len;
	memcpy(g_seen.payload, p, len);
	if (len > 0 && g_seen.norder < (int)sizeof(g_seen.order) - 1) {
		g_seen.order[g_seen.norder++] = *(const char *)p;
		g_seen.order[g_seen.norder] = '\0';
	}
}

static __attribute__((unused)) void
ut_echo_fn(struct reef_msg_request *req, void *ctx)
{
	size_t len;
	const void *p = reef_msg_request_get_payload(req, &len);

	(void)ctx;
	ut_seen_record(req);
	g_seen.reply_rc = reef_msg_reply(req, 0, p, len);
}

static __attribute__((unused)) void
ut_defer_fn(struct reef_msg_request *req, void *ctx)
{
	(void)ctx;
	ut_seen_record(req);
	CU_ASSERT_FATAL(g_ndeferred < UT_MAX_DEFERRED);
	g_deferred[g_ndeferred++] = req;
}

/* Answer the i-th deferred request (each exactly once). */
static __attribute__((unused)) int
ut_reply_deferred(int i, int status, const void *data, size_t len)
{
	struct reef_msg_request *req;

	CU_ASSERT_FATAL(i >= 0 && i < g_ndeferred && g_deferred[i] != NULL);
	req = g_deferred[i];
	g_deferred[i] = NULL;
	return reef_msg_reply(req, status, data, len);
}

/* Fake primary with num_threads ut threads, serving clients from thread 0, region RUNNING. */
static __attribute__((unused)) void
ut_client_server_start(int num_threads)
{
	memset(&g_seen, 0, sizeof(g_seen));
	memset(g_deferred, 0, sizeof(g_deferred));
	g_ndeferred = 0;
	ut_allocate_threads(num_threads);
	/* Tests provoke errors on purpose and check the lines in g_ut_last_log. */
	ut_log_capture();
	CU_ASSERT_FATAL(reef__client_server_start(g_ut_region, false) == 0);
	reef__client_server_serve_from(ut_thread(0));
	reef_shm_set_state(g_ut_region, REEF_REGION_RUNNING);
	CU_ASSERT_FATAL(reef_msg_handler_register("ut.echo", ut_echo_fn, NULL) == 0);
	CU_ASSERT_FATAL(reef_msg_handler_register("ut.defer", ut_defer_fn, NULL) == 0);
	/* Runs the message that registers client_rx and client_reaper. */
	ut_poll_thread(0);
}

/* Stop serving on the app thread, release the server, then the threads and region. */
static __attribute__((unused)) void
ut_client_server_stop(void)
{
	int i;

	for (i = 0; i < g_ndeferred; i++) {
		CU_ASSERT(g_deferred[i] == NULL);
	}
	ut_set_thread(0);
	reef__client_server_stop();
	ut_set_thread(-1);
	ut_poll_threads();
	reef__client_server_fini();
	ut_free_threads();
	ut_log_release();
}

/* Header fields change under the primary: read them atomically. */
static __attribute__((unused)) uint32_t
ut_client_count(void)
{
	return __atomic_load_n(&reef_shm_get_header(g_ut_region)->client_count, __ATOMIC_ACQUIRE);
}

static __attribute__((unused)) uint32_t
ut_handler_count(void)
{
	return __atomic_load_n(&reef_shm_get_header(g_ut_region)->handler_count, __ATOMIC_ACQUIRE);
}

/* A client slot as the primary wrote it (also after it was freed). */
static __attribute__((unused)) struct reef_shm_client *
ut_client_shm(uint32_t slot)
{
	struct reef_shm_client *shm = reef_shm_slot(g_ut_region, REEF_SHM_CLIENTS, slot);

	CU_ASSERT_FATAL(shm != NULL);
	return shm;
}

static __attribute__((unused)) bool
ut_client_slot_in_use(uint32_t slot)
{
	return __atomic_load_n(&ut_client_shm(slot)->hdr.in_use, __ATOMIC_ACQUIRE) != 0;
}

static __attribute__((unused)) uint32_t
ut_client_slots_in_use(void)
{
	uint32_t n = reef_shm_table_count(g_ut_region, REEF_SHM_CLIENTS), slot, mask = 0;

	for (slot = 0; slot < n; slot++) {
		if (ut_client_slot_in_use(slot)) {
			mask |= 1u << slot;
		}
	}
	return mask;
}

/* reef_client_attach, returning the slot it claimed. */
static __attribute__((unused)) uint32_t
ut_client_attach(struct reef_client **c)
{
	uint32_t before = ut_client_slots_in_use(), claimed;

	CU_ASSERT_FATAL(reef_client_attach("ut", c) == 0);
	claimed = ut_client_slots_in_use() & ~before;
	CU_ASSERT_FATAL(claimed != 0 && (claimed & (claimed - 1)) == 0);
	return (uint32_t)__builtin_ctz(claimed);
}

/* A client slot's request ring (reply == false) or reply ring, found through the header. */
static __attribute__((unused)) struct reef_recring *
ut_client_ring(uint32_t slot, bool reply)
{
	const struct reef_shm_header *hdr = reef_shm_get_header(g_ut_region);
	uint8_t *area = (uint8_t *)(uintptr_t)hdr + hdr->client_areas_offset +
			(size_t)slot * hdr->client_area_size;

	return (struct reef_recring *)(reply ? area + reef_client_req_ring_size() : area);
}

/* The slot index of a registered handler, or UINT32_MAX. */
static __attribute__((unused)) uint32_t
ut_handler_id(const char *name)
{
	uint32_t n = reef_shm_table_count(g_ut_region, REEF_SHM_HANDLERS), i;
	struct reef_shm_handler h;

	for (i = 0; i < n; i++) {
		if (reef_shm_read(g_ut_region, REEF_SHM_HANDLERS, i, &h) == 0 &&
		    strcmp(h.name, name) == 0) {
			return i;
		}
	}
	return UINT32_MAX;
}

/* Claim a slot over IPC as process pid would. Returns the attach reply's rc. */
static __attribute__((unused)) int
ut_ipc_attach(int pid, uint32_t abi_version, struct reef_ipc_attach_reply *out)
{
	struct reef_ipc_attach_req in;
	struct reef_ipc_msg req, reply;

	memset(&in, 0, sizeof(in));
	in.pid = pid;
	in.abi_version = abi_version;
	snprintf(in.comm, sizeof(in.comm), "ut_raw");
	memset(&req, 0, sizeof(req));
	memcpy(req.param, &in, sizeof(in));
	req.len = sizeof(in);
	CU_ASSERT_FATAL(reef_env_ipc_request(REEF_IPC_ATTACH, &req, &reply, 1000) == 0);
	CU_ASSERT_FATAL(reply.len == sizeof(*out));
	memcpy(out, reply.param, sizeof(*out));
	return out->rc;
}

/* Give a slot back over IPC. Returns the detach reply's rc. */
static __attribute__((unused)) int
ut_ipc_detach(uint32_t slot, uint32_t gen)
{
	struct reef_ipc_detach_req in = {.slot = slot, .gen = gen};
	struct reef_ipc_msg req, reply;
	int32_t rc;

	memset(&req, 0, sizeof(req));
	memcpy(req.param, &in, sizeof(in));
	req.len = sizeof(in);
	CU_ASSERT_FATAL(reef_env_ipc_request(REEF_IPC_DETACH, &req, &reply, 1000) == 0);
	CU_ASSERT_FATAL(reply.len == sizeof(rc));
	memcpy(&rc, reply.param, sizeof(rc));
	return rc;
}

/*
 * Write a request record into a slot's request ring as a client would, with
 * any len (even a lying one: pass a NULL payload then, since len bytes of it
 * are copied only when they fit). Returns false when the ring is full.
 */
static __attribute__((unused)) bool
ut_raw_post(uint32_t slot, uint64_t request_id, uint64_t thread_id, uint32_t handler_id,
	    uint32_t flags, const void *payload, uint32_t len)
{
	struct reef_recring *ring = ut_client_ring(slot, false);
	struct reef_wire_req *rec = reef_recring_produce_begin(ring);

	if (rec == NULL) {
		return false;
	}
	memset(rec, 0, offsetof(struct reef_wire_req, payload));
	rec->request_id = request_id;
	rec->thread_id = thread_id;
	rec->handler_id = handler_id;
	rec->flags = flags;
	rec->len = len;
	if (payload != NULL && len <= REEF_MSG_PAYLOAD_MAX) {
		memcpy(rec->payload, payload, len);
	}
	reef_recring_produce(ring);
	return true;
}

/* Take the next reply record of a slot as a client would. Returns 0 or -EAGAIN. */
static __attribute__((unused)) int
ut_raw_reply(uint32_t slot, struct reef_wire_reply *out)
{
	struct reef_recring *ring = ut_client_ring(slot, true);
	struct reef_wire_reply *rec;
	bool corrupt;

	rec = reef_recring_peek(ring, &corrupt);
	CU_ASSERT(!corrupt);
	if (rec == NULL) {
		return -EAGAIN;
	}
	memcpy(out, rec, sizeof(*out));
	reef_recring_consume(ring);
	return 0;
}

/*
 * Fork a child that blocks until ut_child_kill() (or until this process
 * exits, which closes the pipe it waits on). Returns its pid.
 */
static __attribute__((unused)) pid_t
ut_child_start(int *wr)
{
	int fds[2];
	pid_t pid;

	CU_ASSERT_FATAL(pipe(fds) == 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		char b;

		close(fds[1]);
		while (read(fds[0], &b, 1) < 0 && errno == EINTR) {
		}
		_exit(0);
	}
	close(fds[0]);
	*wr = fds[1];
	return pid;
}

/* SIGKILL the child and reap it: its pid is dead from here on. */
static __attribute__((unused)) void
ut_child_kill(pid_t pid, int wr)
{
	CU_ASSERT(kill(pid, SIGKILL) == 0);
	CU_ASSERT(waitpid(pid, NULL, 0) == pid);
	close(wr);
}
