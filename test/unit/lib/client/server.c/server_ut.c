/*
 * The primary serving clients: forwarding requests to their target threads
 * (and refusing bad ones without harm), order and fairness, backpressure,
 * and taking slots back from clients that detach, die or corrupt their ring.
 * Misbehaving clients are played by writing records straight into a slot's
 * request ring, as the wire format allows.
 */
#include "ut_main.h"
#include "ut_multithread.c"
#include "ut_client.c"

#include <errno.h>

#include "client/client_internal.h"

static uint64_t
thread_id(int idx)
{
	return reef_thread_get_id(ut_thread(idx));
}

static void
noop_msg(void *ctx)
{
	(void)ctx;
}

static void
forward_app_thread_id_runs_on_app_thread(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	uint32_t slot;

	ut_client_server_start(3);
	slot = ut_client_attach(&c);
	CU_ASSERT(reef_client_post(c, REEF_CLIENT_APP_THREAD, "ut.echo", "a", 1, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 1);
	CU_ASSERT(g_seen.thread == ut_thread(0));
	CU_ASSERT(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.status == 0);
	CU_ASSERT(ut_client_shm(slot)->received == 1);
	CU_ASSERT(ut_client_shm(slot)->replied == 1);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
forward_runs_on_target_thread(void)
{
	struct reef_client *c;
	uint64_t id2;

	ut_client_server_start(3);
	ut_client_attach(&c);
	CU_ASSERT(reef_client_find_thread(c, "ut_thread2", &id2) == 0);
	CU_ASSERT(id2 == thread_id(2));
	CU_ASSERT(reef_client_post(c, id2, "ut.echo", "a", 1, false, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 1);
	CU_ASSERT(g_seen.thread == ut_thread(2));
	CU_ASSERT(reef_client_post(c, thread_id(1), "ut.echo", "b", 1, false, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 2);
	CU_ASSERT(g_seen.thread == ut_thread(1));
	/* The app thread's own id works like REEF_CLIENT_APP_THREAD. */
	CU_ASSERT(reef_client_post(c, thread_id(0), "ut.echo", "c", 1, false, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.thread == ut_thread(0));
	CU_ASSERT_STRING_EQUAL(g_seen.order, "abc");
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
forward_unknown_thread_replies_esrch(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	uint32_t slot;

	ut_client_server_start(2);
	slot = ut_client_attach(&c);
	CU_ASSERT(reef_client_post(c, 999, "ut.echo", "a", 1, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 0);
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.status == -ESRCH);
	reply.data[reply.len] = '\0';
	CU_ASSERT_STRING_EQUAL((char *)reply.data, "no running thread with id 999");
	CU_ASSERT(ut_client_shm(slot)->rejected == 1);
	CU_ASSERT(ut_client_shm(slot)->received == 0);
	/* The client and the server go on as before. */
	CU_ASSERT(reef_client_post(c, 0, "ut.echo", "b", 1, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.status == 0 && reply.data[0] == 'b');
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
forward_exited_thread_replies_esrch(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	uint64_t gone = 0;

	ut_client_server_start(3);
	ut_client_attach(&c);
	gone = thread_id(2);
	ut_set_thread(2);
	reef_thread_exit(ut_thread(2));
	ut_set_thread(-1);
	ut_poll_threads();
	CU_ASSERT_FATAL(reef_thread_is_exited(ut_thread(2)));
	CU_ASSERT(reef_client_post(c, gone, "ut.echo", "a", 1, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 0);
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.status == -ESRCH);
	CU_ASSERT(reply.len > 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
forward_unregistered_handler_id_replies_enoent(void)
{
	struct reef_client_reply reply;
	struct reef_shm_handler h;
	struct reef_client *c;
	uint32_t slot, unused, n;

	ut_client_server_start(1);
	slot = ut_client_attach(&c);
	n = reef_shm_table_count(g_ut_region, REEF_SHM_HANDLERS);
	for (unused = 0; unused < n; unused++) {
		if (reef_shm_read(g_ut_region, REEF_SHM_HANDLERS, unused, &h) == -ENOENT) {
			break;
		}
	}
	CU_ASSERT_FATAL(unused < n);
	/* A free slot in range, then an id past the table. */
	CU_ASSERT(ut_raw_post(slot, 501, 0, unused, REEF_WIRE_WANT_REPLY, "a", 1));
	CU_ASSERT(ut_raw_post(slot, 502, 0, n + 1000, REEF_WIRE_WANT_REPLY, "a", 1));
	CU_ASSERT(ut_raw_post(slot, 503, 0, UINT32_MAX, REEF_WIRE_WANT_REPLY, "a", 1));
	ut_poll_threads();
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.request_id == 501);
	CU_ASSERT(reply.status == -ENOENT);
	reply.data[reply.len] = '\0';
	CU_ASSERT(strstr((char *)reply.data, "no handler with id") != NULL);
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.request_id == 502 && reply.status == -ENOENT);
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.request_id == 503 && reply.status == -ENOENT);
	CU_ASSERT(ut_client_shm(slot)->rejected == 3);
	CU_ASSERT(g_seen.calls == 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
forward_oversized_record_replies_emsgsize(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	uint32_t slot, echo;

	ut_client_server_start(1);
	slot = ut_client_attach(&c);
	echo = ut_handler_id("ut.echo");
	/* A record whose len lies: the primary must not copy past the payload. */
	CU_ASSERT(ut_raw_post(slot, 601, 0, echo, REEF_WIRE_WANT_REPLY, NULL,
			      REEF_MSG_PAYLOAD_MAX + 1));
	CU_ASSERT(ut_raw_post(slot, 602, 0, echo, REEF_WIRE_WANT_REPLY, NULL, UINT32_MAX));
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 0);
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.request_id == 601);
	CU_ASSERT(reply.status == -EMSGSIZE);
	reply.data[reply.len] = '\0';
	CU_ASSERT_STRING_EQUAL((char *)reply.data,
			       "payload of 1025 bytes is over the 1024-byte limit");
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.request_id == 602 && reply.status == -EMSGSIZE);
	CU_ASSERT(ut_client_shm(slot)->rejected == 2);
	/* The primary keeps serving the same client. */
	CU_ASSERT(reef_client_post(c, 0, "ut.echo", "ok", 2, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.status == 0 && reply.len == 2);
	CU_ASSERT(g_seen.calls == 1);
	reef_client_detach(c);
	ut_client_server_stop();
}

/* Clients a and b; a's producer index is set to tail; b must not notice. */
static void
corrupt_tail_reclaims_only_that_slot(uint64_t tail_delta)
{
	struct reef_client_reply reply;
	struct reef_client *a, *b;
	struct reef_recring *ring;
	uint32_t sa, sb;

	ut_client_server_start(2);
	sa = ut_client_attach(&a);
	sb = ut_client_attach(&b);
	CU_ASSERT(reef_client_post(a, 0, "ut.echo", "a", 1, true, NULL) == 0);
	ut_poll_threads();
	ring = ut_client_ring(sa, false);
	__atomic_store_n(&ring->tail, __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE) + tail_delta,
			 __ATOMIC_RELEASE);
	ut_poll_thread(0);
	CU_ASSERT(!ut_client_slot_in_use(sa));
	CU_ASSERT(ut_client_shm(sa)->state == REEF_SHM_CLIENT_DEAD);
	CU_ASSERT(ut_client_slot_in_use(sb));
	CU_ASSERT(ut_client_count() == 1);
	CU_ASSERT(g_seen.calls == 1);

	CU_ASSERT(reef_client_post(b, thread_id(1), "ut.echo", "b", 1, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT_FATAL(reef_client_poll_reply(b, &reply) == 0);
	CU_ASSERT(reply.status == 0 && reply.data[0] == 'b');
	CU_ASSERT(g_seen.calls == 2);
	/* The slot is free for the next client; a's own detach finds it gone and changes nothing. */
	reef_client_detach(a);
	CU_ASSERT(ut_client_slots_in_use() == 1u << sb);
	CU_ASSERT(ut_client_attach(&a) == sa);
	reef_client_detach(a);
	reef_client_detach(b);
	ut_poll_threads();
	CU_ASSERT(ut_client_count() == 0);
	ut_client_server_stop();
}

/* A client that scribbles its rings' geometry changes nothing: the primary never reads it. */
static void
forward_ignores_ring_geometry_a_client_writes(void)
{
	struct reef_client_reply reply;
	struct reef_recring *req, *rep;
	struct reef_client *c;
	uint32_t slot;
	int i;

	ut_client_server_start(1);
	slot = ut_client_attach(&c);
	req = ut_client_ring(slot, false);
	rep = ut_client_ring(slot, true);
	req->count = UINT32_MAX;
	req->rec_size = UINT32_MAX;
	rep->count = 1u << 31;
	rep->rec_size = 1u << 30;
	/* More than a ring's worth each way, so that every index wraps. */
	for (i = 0; i < 3 * REEF_CLIENT_RING_RECORDS; i++) {
		char byte = (char)('a' + i % 26);

		CU_ASSERT_FATAL(reef_client_post(c, 0, "ut.echo", &byte, 1, true, NULL) == 0);
		ut_poll_threads();
		CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
		CU_ASSERT(reply.status == 0 && reply.len == 1 && reply.data[0] == byte);
	}
	CU_ASSERT(g_seen.calls == 3 * REEF_CLIENT_RING_RECORDS);
	CU_ASSERT(ut_client_slot_in_use(slot));
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
forward_corrupt_tail_ahead_reclaims_slot(void)
{
	corrupt_tail_reclaims_only_that_slot(1000);
}

static void
forward_corrupt_tail_behind_reclaims_slot(void)
{
	corrupt_tail_reclaims_only_that_slot((uint64_t)-1);
}

static void
forward_without_want_reply_sends_nothing(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	uint32_t slot;

	ut_client_server_start(2);
	slot = ut_client_attach(&c);
	CU_ASSERT(reef_client_post(c, 0, "ut.echo", "a", 1, false, NULL) == 0);
	/* Refused requests answer nobody either. */
	CU_ASSERT(reef_client_post(c, 999, "ut.echo", "b", 1, false, NULL) == 0);
	CU_ASSERT(ut_raw_post(slot, 77, 0, ut_handler_id("ut.echo"), 0, NULL,
			      REEF_MSG_PAYLOAD_MAX + 1));
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 1);
	CU_ASSERT(g_seen.reply_rc == 0);
	CU_ASSERT(reef_client_poll_reply(c, &reply) == -EAGAIN);
	CU_ASSERT(reef_recring_fill(ut_client_ring(slot, true)) == 0);
	CU_ASSERT(ut_client_shm(slot)->received == 1);
	CU_ASSERT(ut_client_shm(slot)->rejected == 2);
	CU_ASSERT(ut_client_shm(slot)->replied == 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
forward_keeps_fifo_order_per_client(void)
{
	struct reef_client_reply reply;
	struct reef_client *a, *b;
	char expect_a[64], got_a[64];
	int i, na = 0;
	char p;

	ut_client_server_start(2);
	ut_client_attach(&a);
	ut_client_attach(&b);
	/* Interleaved posts of two clients to one thread; each client's stay in order. */
	for (i = 0; i < 40; i++) {
		p = (char)('A' + i % 26);
		CU_ASSERT_FATAL(reef_client_post(a, thread_id(1), "ut.echo", &p, 1, true, NULL) ==
				0);
		expect_a[i] = p;
		p = (char)('a' + i % 26);
		CU_ASSERT_FATAL(reef_client_post(b, thread_id(1), "ut.echo", &p, 1, false, NULL) ==
				0);
		if (i % 7 == 0) {
			ut_poll_thread(0);
		}
	}
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 80);
	{
		char seen_a[64], seen_b[64];
		int ia = 0, ib = 0;

		for (i = 0; i < g_seen.norder; i++) {
			char ch = g_seen.order[i];

			if (ch >= 'A' && ch <= 'Z') {
				seen_a[ia++] = ch;
			} else {
				seen_b[ib++] = ch;
			}
		}
		CU_ASSERT(ia == 40 && ib == 40);
		CU_ASSERT(memcmp(seen_a, expect_a, 40) == 0);
		for (i = 0; i < 40; i++) {
			CU_ASSERT(seen_b[i] == (char)('a' + i % 26));
		}
	}
	/* The replies come back in the same order, with their request ids. */
	while (reef_client_poll_reply(a, &reply) == 0) {
		CU_ASSERT(reply.request_id == (uint64_t)na + 1);
		got_a[na++] = (char)reply.data[0];
	}
	CU_ASSERT(na == 40);
	CU_ASSERT(memcmp(got_a, expect_a, 40) == 0);
	reef_client_detach(a);
	reef_client_detach(b);
	ut_client_server_stop();
}

static void
forward_waits_while_target_ring_is_full(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	uint32_t slot;
	int sent = 0;

	ut_client_server_start(2);
	slot = ut_client_attach(&c);
	while (reef_thread_send_msg(ut_thread(1), noop_msg, NULL) == 0) {
		CU_ASSERT_FATAL(++sent < 100000);
	}
	CU_ASSERT(sent > 0);
	CU_ASSERT(reef_client_post(c, thread_id(1), "ut.echo", "a", 1, true, NULL) == 0);
	CU_ASSERT(reef_client_post(c, thread_id(1), "ut.echo", "b", 1, true, NULL) == 0);
	ut_poll_thread(0);
	ut_poll_thread(0);
	/* Not lost and not refused: still in the client's ring. */
	CU_ASSERT(ut_client_shm(slot)->received == 0);
	CU_ASSERT(ut_client_shm(slot)->rejected == 0);
	CU_ASSERT(reef_recring_fill(ut_client_ring(slot, false)) == 2);
	CU_ASSERT(reef_client_poll_reply(c, &reply) == -EAGAIN);
	/* Once the target drains its ring, both go through, in order. */
	ut_poll_threads();
	CU_ASSERT(ut_client_shm(slot)->received == 2);
	CU_ASSERT_STRING_EQUAL(g_seen.order, "ab");
	CU_ASSERT(reef_client_poll_reply(c, &reply) == 0 && reply.data[0] == 'a');
	CU_ASSERT(reef_client_poll_reply(c, &reply) == 0 && reply.data[0] == 'b');
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
rx_batch_lets_other_clients_through(void)
{
	struct reef_client *a, *b;
	uint32_t sa, sb, i;

	ut_client_server_start(2);
	sa = ut_client_attach(&a);
	sb = ut_client_attach(&b);
	for (i = 0; i < REEF_CLIENT_RING_RECORDS; i++) {
		CU_ASSERT_FATAL(reef_client_post(a, thread_id(1), "ut.echo", "a", 1, false, NULL) ==
				0);
	}
	CU_ASSERT(reef_client_post(b, thread_id(1), "ut.echo", "b", 1, false, NULL) == 0);
	/* One pass of the forwarder takes a bounded batch from a and still serves b. */
	ut_poll_thread(0);
	CU_ASSERT(ut_client_shm(sa)->received > 0);
	CU_ASSERT(ut_client_shm(sa)->received < REEF_CLIENT_RING_RECORDS);
	CU_ASSERT(ut_client_shm(sb)->received == 1);
	ut_poll_threads();
	CU_ASSERT(ut_client_shm(sa)->received == REEF_CLIENT_RING_RECORDS);
	CU_ASSERT(g_seen.calls == REEF_CLIENT_RING_RECORDS + 1);
	reef_client_detach(a);
	reef_client_detach(b);
	ut_client_server_stop();
}

static void
detach_frees_slot_at_next_rx_poll(void)
{
	struct reef_shm_client shm;
	struct reef_client *c;
	uint32_t slot;

	ut_client_server_start(1);
	CU_ASSERT(ut_client_count() == 0);
	slot = ut_client_attach(&c);
	CU_ASSERT(ut_client_count() == 1);
	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_CLIENTS, slot, &shm) == 0);
	CU_ASSERT(shm.pid == getpid());
	CU_ASSERT(shm.state == REEF_SHM_CLIENT_ATTACHED);
	reef_client_detach(c);
	/* The IPC thread only marks it; the app thread takes it back. */
	CU_ASSERT(ut_client_slot_in_use(slot));
	ut_poll_thread(0);
	CU_ASSERT(!ut_client_slot_in_use(slot));
	CU_ASSERT(ut_client_count() == 0);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_CLIENTS, slot, &shm) == -ENOENT);
	ut_client_server_stop();
}

static void
detach_delivers_what_was_posted_first(void)
{
	struct reef_client *c;
	uint32_t slot, i;

	ut_client_server_start(2);
	slot = ut_client_attach(&c);
	/* More than one pass of the forwarder takes from a client. */
	for (i = 0; i < REEF_CLIENT_RING_RECORDS; i++) {
		CU_ASSERT_FATAL(reef_client_post(c, thread_id(1), "ut.echo", "d", 1, false, NULL) ==
				0);
	}
	reef_client_detach(c);
	ut_poll_thread(0);
	/* Part forwarded, the rest still to go: the slot stays until its ring is empty. */
	CU_ASSERT(ut_client_slot_in_use(slot));
	CU_ASSERT(ut_client_shm(slot)->received > 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == REEF_CLIENT_RING_RECORDS);
	CU_ASSERT(!ut_client_slot_in_use(slot));
	CU_ASSERT(ut_client_count() == 0);
	ut_client_server_stop();
}

static void
detach_waits_for_a_full_target_ring(void)
{
	struct reef_client *c;
	uint32_t slot;
	int sent = 0;

	ut_client_server_start(2);
	slot = ut_client_attach(&c);
	while (reef_thread_send_msg(ut_thread(1), noop_msg, NULL) == 0) {
		CU_ASSERT_FATAL(++sent < 100000);
	}
	CU_ASSERT(reef_client_post(c, thread_id(1), "ut.echo", "w", 1, false, NULL) == 0);
	reef_client_detach(c);
	ut_poll_thread(0);
	ut_poll_thread(0);
	CU_ASSERT(ut_client_slot_in_use(slot));
	CU_ASSERT(reef_recring_fill(ut_client_ring(slot, false)) == 1);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 1);
	CU_ASSERT(!ut_client_slot_in_use(slot));
	ut_client_server_stop();
}

static void
detach_of_unknown_slot_is_refused(void)
{
	struct reef_ipc_attach_reply out;
	struct reef_ipc_msg req, reply;
	int32_t rc;

	ut_client_server_start(1);
	CU_ASSERT(ut_ipc_detach(0, 1) == -ENOENT);
	CU_ASSERT(ut_ipc_detach(1000, 1) == -ENOENT);
	CU_ASSERT(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &out) == 0);
	/* A request of the wrong size is refused, and changes nothing. */
	memset(&req, 0, sizeof(req));
	req.len = 3;
	CU_ASSERT(reef_env_ipc_request(REEF_IPC_DETACH, &req, &reply, 1000) == 0);
	memcpy(&rc, reply.param, sizeof(rc));
	CU_ASSERT(rc == -EPROTO);
	ut_poll_thread(0);
	CU_ASSERT(ut_client_slot_in_use(out.slot));
	CU_ASSERT(ut_ipc_detach(out.slot, out.gen) == 0);
	ut_poll_thread(0);
	CU_ASSERT(!ut_client_slot_in_use(out.slot));
	ut_client_server_stop();
}

static void
attach_beyond_max_clients_is_refused(void)
{
	struct reef_shm_limits limits;
	struct reef_client *c[8], *extra = NULL;
	uint32_t i;

	ut_limits(&limits);
	CU_ASSERT_FATAL(limits.max_clients <= 8);
	ut_client_server_start(1);
	for (i = 0; i < limits.max_clients; i++) {
		ut_client_attach(&c[i]);
	}
	CU_ASSERT(ut_client_count() == limits.max_clients);
	g_ut_last_log[0] = '\0';
	CU_ASSERT(reef_client_attach("ut", &extra) == -ENOSPC);
	CU_ASSERT(extra == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "primary 'ut' has no free client slot (4 in use)") != NULL);
	CU_ASSERT(strstr(g_ut_last_log, "--max-clients") != NULL);
	CU_ASSERT(ut_client_count() == limits.max_clients);
	/* One leaves: the next one gets in. */
	reef_client_detach(c[0]);
	ut_poll_thread(0);
	ut_client_attach(&c[0]);
	for (i = 0; i < limits.max_clients; i++) {
		reef_client_detach(c[i]);
	}
	ut_poll_thread(0);
	CU_ASSERT(ut_client_count() == 0);
	ut_client_server_stop();
}

static void
attach_with_other_abi_is_refused(void)
{
	struct reef_ipc_attach_reply out;
	struct reef_ipc_msg req, reply;
	struct reef_client *c;

	ut_client_server_start(1);
	CU_ASSERT(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION + 1, &out) == -EPROTO);
	memset(&req, 0, sizeof(req));
	req.len = 5;
	CU_ASSERT(reef_env_ipc_request(REEF_IPC_ATTACH, &req, &reply, 1000) == 0);
	CU_ASSERT_FATAL(reply.len == sizeof(out));
	memcpy(&out, reply.param, sizeof(out));
	CU_ASSERT(out.rc == -EPROTO);
	CU_ASSERT(ut_client_count() == 0);
	CU_ASSERT(ut_client_slots_in_use() == 0);
	/* A good client after them gets the first slot. */
	CU_ASSERT(ut_client_attach(&c) == 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
attach_with_dead_pid_is_refused(void)
{
	struct reef_ipc_attach_reply out;
	pid_t pid;
	int wr;

	ut_client_server_start(1);
	pid = ut_child_start(&wr);
	ut_child_kill(pid, wr);
	CU_ASSERT(ut_ipc_attach(pid, REEF_SHM_ABI_VERSION, &out) == -ESRCH);
	CU_ASSERT(ut_ipc_attach(0, REEF_SHM_ABI_VERSION, &out) == -ESRCH);
	CU_ASSERT(ut_ipc_attach(-5, REEF_SHM_ABI_VERSION, &out) == -ESRCH);
	CU_ASSERT(ut_client_slots_in_use() == 0);
	ut_client_server_stop();
}

static void
reaper_reclaims_dead_client_and_drops_its_reply(void)
{
	struct reef_wire_reply rec;
	struct reef_ipc_attach_reply out;
	struct reef_client_reply reply;
	struct reef_client *other;
	uint32_t slot;
	pid_t pid;
	int wr;

	ut_client_server_start(2);
	pid = ut_child_start(&wr);
	CU_ASSERT_FATAL(ut_ipc_attach(pid, REEF_SHM_ABI_VERSION, &out) == 0);
	slot = out.slot;
	CU_ASSERT(ut_client_shm(slot)->pid == pid);
	ut_client_attach(&other);
	/* The child posted a request that waits for a reply when it dies. */
	CU_ASSERT(
		ut_raw_post(slot, 11, 0, ut_handler_id("ut.defer"), REEF_WIRE_WANT_REPLY, "d", 1));
	ut_poll_threads();
	CU_ASSERT_FATAL(g_ndeferred == 1);
	CU_ASSERT(g_seen.pid == pid);
	ut_child_kill(pid, wr);

	/* Noticed by the reaper, which runs every UT_REAPER_TICKS, not before. */
	ut_poll_threads();
	CU_ASSERT(ut_client_slot_in_use(slot));
	reef_env_fake_advance_ticks(UT_REAPER_TICKS);
	ut_poll_thread(0);
	CU_ASSERT(!ut_client_slot_in_use(slot));
	CU_ASSERT(ut_client_shm(slot)->state == REEF_SHM_CLIENT_DEAD);
	CU_ASSERT(ut_client_count() == 1);

	/* The reply in flight finds the session gone and lands nowhere. */
	CU_ASSERT(ut_reply_deferred(0, 0, "late", 4) == -ESRCH);
	CU_ASSERT(ut_raw_reply(slot, &rec) == -EAGAIN);
	CU_ASSERT(ut_client_shm(slot)->replied == 0);

	/* The live client never noticed. */
	CU_ASSERT(reef_client_post(other, 0, "ut.echo", "o", 1, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(reef_client_poll_reply(other, &reply) == 0 && reply.data[0] == 'o');
	reef_client_detach(other);
	ut_client_server_stop();
}

static void
reaper_reclaims_unreaped_child(void)
{
	struct reef_ipc_attach_reply out;
	siginfo_t info;
	pid_t pid;
	int wr;

	ut_client_server_start(1);
	pid = ut_child_start(&wr);
	CU_ASSERT_FATAL(ut_ipc_attach(pid, REEF_SHM_ABI_VERSION, &out) == 0);
	/* Killed but not waited for: a zombie is dead too. */
	CU_ASSERT(kill(pid, SIGKILL) == 0);
	CU_ASSERT(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == 0);
	reef_env_fake_advance_ticks(UT_REAPER_TICKS);
	ut_poll_thread(0);
	CU_ASSERT(!ut_client_slot_in_use(out.slot));
	CU_ASSERT(waitpid(pid, NULL, 0) == pid);
	close(wr);
	ut_client_server_stop();
}

static void
reaper_without_pidfd_checks_start_time(void)
{
	struct reef_ipc_attach_reply out, self;
	struct client_conn *conn;
	pid_t pid;
	int wr;

	ut_client_server_start(1);
	pid = ut_child_start(&wr);
	CU_ASSERT_FATAL(ut_ipc_attach(pid, REEF_SHM_ABI_VERSION, &out) == 0);
	CU_ASSERT_FATAL(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &self) == 0);
	/* As on a kernel without pidfd_open: only pid and start time tell. */
	conn = &reef__server.conns[out.slot];
	if (conn->pidfd >= 0) {
		close(conn->pidfd);
		conn->pidfd = -1;
	}
	conn = &reef__server.conns[self.slot];
	if (conn->pidfd >= 0) {
		close(conn->pidfd);
		conn->pidfd = -1;
	}
	reef_env_fake_advance_ticks(UT_REAPER_TICKS);
	ut_poll_thread(0);
	CU_ASSERT(ut_client_slot_in_use(out.slot));
	CU_ASSERT(ut_client_slot_in_use(self.slot));
	ut_child_kill(pid, wr);
	reef_env_fake_advance_ticks(UT_REAPER_TICKS);
	ut_poll_thread(0);
	CU_ASSERT(!ut_client_slot_in_use(out.slot));
	CU_ASSERT(ut_client_slot_in_use(self.slot));
	CU_ASSERT(ut_ipc_detach(self.slot, self.gen) == 0);
	ut_poll_thread(0);
	CU_ASSERT(ut_client_count() == 0);
	ut_client_server_stop();
}

static void
attach_when_full_with_dead_holder_retries(void)
{
	struct reef_ipc_attach_reply out, dead, held[3];
	struct reef_shm_limits limits;
	pid_t pid;
	int wr, i;

	ut_limits(&limits);
	CU_ASSERT_FATAL(limits.max_clients == 4);
	ut_client_server_start(1);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_FATAL(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &held[i]) == 0);
	}
	pid = ut_child_start(&wr);
	CU_ASSERT_FATAL(ut_ipc_attach(pid, REEF_SHM_ABI_VERSION, &dead) == 0);
	CU_ASSERT(ut_client_count() == 4);
	/* All alive: the table is plainly full. */
	CU_ASSERT(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &out) == -ENOSPC);

	ut_child_kill(pid, wr);
	/* Before the reaper's period: the claimer is told to retry, and a reap is queued. */
	CU_ASSERT(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &out) == -EAGAIN);
	CU_ASSERT(ut_client_slot_in_use(dead.slot));
	ut_poll_thread(0);
	CU_ASSERT(!ut_client_slot_in_use(dead.slot));
	CU_ASSERT(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &out) == 0);
	CU_ASSERT(out.slot == dead.slot);
	CU_ASSERT(out.gen != dead.gen);
	CU_ASSERT(ut_client_count() == 4);

	for (i = 0; i < 3; i++) {
		CU_ASSERT(ut_ipc_detach(held[i].slot, held[i].gen) == 0);
	}
	CU_ASSERT(ut_ipc_detach(out.slot, out.gen) == 0);
	ut_poll_thread(0);
	CU_ASSERT(ut_client_count() == 0);
	ut_client_server_stop();
}

static void
slot_reuse_keeps_old_replies_out(void)
{
	struct reef_ipc_attach_reply first, second;
	struct reef_wire_reply rec;
	uint32_t defer, echo;

	ut_client_server_start(1);
	defer = ut_handler_id("ut.defer");
	echo = ut_handler_id("ut.echo");
	CU_ASSERT_FATAL(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &first) == 0);
	CU_ASSERT(ut_raw_post(first.slot, 1, 0, defer, REEF_WIRE_WANT_REPLY, "x", 1));
	ut_poll_threads();
	CU_ASSERT_FATAL(g_ndeferred == 1);
	CU_ASSERT(ut_ipc_detach(first.slot, first.gen) == 0);
	ut_poll_thread(0);
	CU_ASSERT(!ut_client_slot_in_use(first.slot));

	/* The next client gets the same slot in a new generation. */
	CU_ASSERT_FATAL(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &second) == 0);
	CU_ASSERT_FATAL(second.slot == first.slot);
	CU_ASSERT(second.gen == first.gen + 1);
	CU_ASSERT(ut_client_shm(second.slot)->hdr.gen == second.gen);

	/* The first session's late reply must not land in the second's ring. */
	CU_ASSERT(ut_reply_deferred(0, 0, "old", 3) == -ESRCH);
	CU_ASSERT(ut_raw_reply(second.slot, &rec) == -EAGAIN);
	CU_ASSERT(ut_client_shm(second.slot)->replied == 0);
	CU_ASSERT(ut_client_shm(second.slot)->dropped == 0);

	/* While the second session's own replies do. */
	CU_ASSERT(ut_raw_post(second.slot, 1, 0, echo, REEF_WIRE_WANT_REPLY, "new", 3));
	ut_poll_threads();
	CU_ASSERT_FATAL(ut_raw_reply(second.slot, &rec) == 0);
	CU_ASSERT(rec.request_id == 1 && rec.len == 3 && memcmp(rec.data, "new", 3) == 0);
	CU_ASSERT(ut_ipc_detach(second.slot, second.gen) == 0);
	ut_poll_thread(0);
	ut_client_server_stop();
}

static void
detach_of_old_session_leaves_new_one(void)
{
	struct reef_ipc_attach_reply first, second;

	ut_client_server_start(1);
	CU_ASSERT_FATAL(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &first) == 0);
	CU_ASSERT(ut_ipc_detach(first.slot, first.gen) == 0);
	ut_poll_thread(0);
	CU_ASSERT_FATAL(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &second) == 0);
	CU_ASSERT_FATAL(second.slot == first.slot);
	/* A repeated detach of the first session names a slot that is attached again. */
	CU_ASSERT(ut_ipc_detach(first.slot, first.gen) == 0);
	ut_poll_threads();
	CU_ASSERT(ut_client_slot_in_use(second.slot));
	CU_ASSERT(ut_client_shm(second.slot)->hdr.gen == second.gen);
	CU_ASSERT(ut_ipc_detach(second.slot, second.gen) == 0);
	ut_poll_thread(0);
	CU_ASSERT(!ut_client_slot_in_use(second.slot));
	ut_client_server_stop();
}

static void
stopped_server_refuses_attach(void)
{
	struct reef_ipc_attach_reply out;
	struct reef_client *c = NULL;

	ut_client_server_start(1);
	ut_set_thread(0);
	reef__client_server_stop();
	ut_set_thread(-1);
	CU_ASSERT(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &out) == -ESHUTDOWN);
	reef_shm_set_state(g_ut_region, REEF_REGION_STOPPING);
	g_ut_last_log[0] = '\0';
	CU_ASSERT(reef_client_attach("ut", &c) == -ESHUTDOWN);
	CU_ASSERT(c == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "primary 'ut' is stopping") != NULL);
	CU_ASSERT(ut_client_slots_in_use() == 0);
	ut_client_server_stop();
}

static void
server_not_running_refuses_attach(void)
{
	struct reef_ipc_attach_reply out;

	ut_client_server_start(1);
	/* The region is not (or no longer) RUNNING: attaching is refused at the server too. */
	reef_shm_set_state(g_ut_region, REEF_REGION_STARTING);
	CU_ASSERT(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &out) == -ESHUTDOWN);
	reef_shm_set_state(g_ut_region, REEF_REGION_STOPPING);
	CU_ASSERT(ut_ipc_attach(getpid(), REEF_SHM_ABI_VERSION, &out) == -ESHUTDOWN);
	CU_ASSERT(ut_client_slots_in_use() == 0);
	ut_client_server_stop();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, forward_app_thread_id_runs_on_app_thread);
	UT_ADD(suite, forward_runs_on_target_thread);
	UT_ADD(suite, forward_unknown_thread_replies_esrch);
	UT_ADD(suite, forward_exited_thread_replies_esrch);
	UT_ADD(suite, forward_unregistered_handler_id_replies_enoent);
	UT_ADD(suite, forward_oversized_record_replies_emsgsize);
	UT_ADD(suite, forward_ignores_ring_geometry_a_client_writes);
	UT_ADD(suite, forward_corrupt_tail_ahead_reclaims_slot);
	UT_ADD(suite, forward_corrupt_tail_behind_reclaims_slot);
	UT_ADD(suite, forward_without_want_reply_sends_nothing);
	UT_ADD(suite, forward_keeps_fifo_order_per_client);
	UT_ADD(suite, forward_waits_while_target_ring_is_full);
	UT_ADD(suite, rx_batch_lets_other_clients_through);
	UT_ADD(suite, detach_frees_slot_at_next_rx_poll);
	UT_ADD(suite, detach_delivers_what_was_posted_first);
	UT_ADD(suite, detach_waits_for_a_full_target_ring);
	UT_ADD(suite, detach_of_unknown_slot_is_refused);
	UT_ADD(suite, attach_beyond_max_clients_is_refused);
	UT_ADD(suite, attach_with_other_abi_is_refused);
	UT_ADD(suite, attach_with_dead_pid_is_refused);
	UT_ADD(suite, reaper_reclaims_dead_client_and_drops_its_reply);
	UT_ADD(suite, reaper_reclaims_unreaped_child);
	UT_ADD(suite, reaper_without_pidfd_checks_start_time);
	UT_ADD(suite, attach_when_full_with_dead_holder_retries);
	UT_ADD(suite, slot_reuse_keeps_old_replies_out);
	UT_ADD(suite, detach_of_old_session_leaves_new_one);
	UT_ADD(suite, stopped_server_refuses_attach);
	UT_ADD(suite, server_not_running_refuses_attach);
	return 0;
}

UT_MAIN("client_server", add_tests)
