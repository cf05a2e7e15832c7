/*
 * The primary's handler registry (names, duplicates, a full table, ids and
 * the shared slots) and replies: size bounds, from another thread, to a
 * client that has gone, into a full or corrupt reply ring, formatted text.
 */
#include "ut_main.h"
#include "ut_multithread.c"
#include "ut_client.c"

#include <errno.h>

static void
noop_fn(struct reef_msg_request *req, void *ctx)
{
	(void)ctx;
	reef_msg_reply(req, 0, NULL, 0);
}

/* Read a handler's shared slot by id. */
static bool
read_handler_slot(uint32_t id, struct reef_shm_handler *out)
{
	return reef_shm_read(g_ut_region, REEF_SHM_HANDLERS, id, out) == 0;
}

/* Post payload to handler on thread 0, run everything, and take the reply. */
static void
round_trip(struct reef_client *c, const char *handler, const void *payload, size_t len,
	   struct reef_client_reply *reply)
{
	uint64_t id;

	CU_ASSERT_FATAL(reef_client_post(c, 0, handler, payload, len, true, &id) == 0);
	ut_poll_threads();
	CU_ASSERT_FATAL(reef_client_poll_reply(c, reply) == 0);
	CU_ASSERT(reply->request_id == id);
}

static void
handler_register_accepts_valid_names(void)
{
	static const char *const names[] = {
		"a",
		"Z9",
		"x.y_z-9",
		"app.Thing_1-2",
		/* REEF_MSG_HANDLER_NAME_MAX characters exactly. */
		"abcdefghijklmnopqrstuvwxyz0123456789.-_",
	};
	struct reef_shm_handler h;
	uint32_t count, id;
	size_t i;

	CU_ASSERT_FATAL(strlen(names[4]) == REEF_MSG_HANDLER_NAME_MAX);
	ut_client_server_start(1);
	count = ut_handler_count();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CU_ASSERT(reef_msg_handler_register(names[i], noop_fn, NULL) == 0);
		id = ut_handler_id(names[i]);
		CU_ASSERT_FATAL(id != UINT32_MAX);
		CU_ASSERT(read_handler_slot(id, &h));
		CU_ASSERT_STRING_EQUAL(h.name, names[i]);
	}
	CU_ASSERT(ut_handler_count() == count + 5);
	CU_ASSERT(g_ut_log_count == 0);
	ut_client_server_stop();
}

static void
handler_register_rejects_bad_names(void)
{
	static const char *const names[] = {
		"",
		/* One character over REEF_MSG_HANDLER_NAME_MAX. */
		"abcdefghijklmnopqrstuvwxyz0123456789.-_x",
		"a b",
		"a/b",
		"a:b",
		"a\tb",
		"a\nb",
		"caf\xc3\xa9",
		"*",
		"a,b",
	};
	uint32_t count;
	size_t i;

	ut_client_server_start(1);
	count = ut_handler_count();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		g_ut_last_log[0] = '\0';
		CU_ASSERT(reef_msg_handler_register(names[i], noop_fn, NULL) == -EINVAL);
		CU_ASSERT(strstr(g_ut_last_log, "bad handler name") != NULL);
		CU_ASSERT(strstr(g_ut_last_log, "1-39 letters, digits") != NULL);
	}
	CU_ASSERT(reef_msg_handler_register(NULL, noop_fn, NULL) == -EINVAL);
	/* Nothing of a refused name reaches the table. */
	CU_ASSERT(ut_handler_count() == count);
	CU_ASSERT(ut_handler_id("a b") == UINT32_MAX);
	ut_client_server_stop();
}

static void
handler_register_rejects_null_fn(void)
{
	uint32_t count;

	ut_client_server_start(1);
	count = ut_handler_count();
	CU_ASSERT(reef_msg_handler_register("ut.nofn", NULL, NULL) == -EINVAL);
	CU_ASSERT(ut_handler_count() == count);
	CU_ASSERT(ut_handler_id("ut.nofn") == UINT32_MAX);
	ut_client_server_stop();
}

static void
handler_register_rejects_duplicates(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	uint32_t count, id;

	ut_client_server_start(1);
	CU_ASSERT(reef_msg_handler_register("ut.dup", noop_fn, NULL) == 0);
	id = ut_handler_id("ut.dup");
	count = ut_handler_count();
	CU_ASSERT(reef_msg_handler_register("ut.dup", ut_echo_fn, NULL) == -EEXIST);
	CU_ASSERT(strstr(g_ut_last_log, "handler ut.dup is already registered") != NULL);
	/* The built-ins and the helper's own handlers are taken too. */
	CU_ASSERT(reef_msg_handler_register("reef.ping", noop_fn, NULL) == -EEXIST);
	CU_ASSERT(reef_msg_handler_register("ut.echo", noop_fn, NULL) == -EEXIST);
	CU_ASSERT(ut_handler_count() == count);
	CU_ASSERT(ut_handler_id("ut.dup") == id);

	/* The first registration still answers: noop replies empty, echo would not. */
	ut_client_attach(&c);
	round_trip(c, "ut.dup", "x", 1, &reply);
	CU_ASSERT(reply.status == 0);
	CU_ASSERT(reply.len == 0);
	CU_ASSERT(g_seen.calls == 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
handler_register_table_full_names_option(void)
{
	struct reef_shm_limits limits;
	char name[32];
	uint32_t count;
	int i, free_slots;

	ut_limits(&limits);
	ut_client_server_start(1);
	count = ut_handler_count();
	free_slots = (int)limits.max_handlers - (int)count;
	CU_ASSERT_FATAL(free_slots > 0);
	for (i = 0; i < free_slots; i++) {
		snprintf(name, sizeof(name), "ut.fill%d", i);
		CU_ASSERT(reef_msg_handler_register(name, noop_fn, NULL) == 0);
	}
	CU_ASSERT(ut_handler_count() == limits.max_handlers);
	g_ut_last_log[0] = '\0';
	CU_ASSERT(reef_msg_handler_register("ut.onetoomany", noop_fn, NULL) == -ENOSPC);
	CU_ASSERT(strstr(g_ut_last_log, "message handler table full") != NULL);
	CU_ASSERT(strstr(g_ut_last_log, "--max-handlers") != NULL);
	CU_ASSERT(ut_handler_count() == limits.max_handlers);
	CU_ASSERT(ut_handler_id("ut.onetoomany") == UINT32_MAX);
	/* A full table refuses duplicates as duplicates, not as "full". */
	CU_ASSERT(reef_msg_handler_register("ut.fill0", noop_fn, NULL) == -EEXIST);
	ut_client_server_stop();
}

static void
handler_register_without_server_is_refused(void)
{
	ut_allocate_threads(1);
	ut_log_capture();
	CU_ASSERT(reef_msg_handler_register("ut.early", noop_fn, NULL) == -ENODEV);
	CU_ASSERT(strstr(g_ut_last_log, "no app is running") != NULL);
	ut_log_release();
	ut_free_threads();
}

static void
handler_ids_are_stable(void)
{
	struct reef_client_reply reply;
	struct reef_shm_handler h;
	struct reef_client *c;
	uint32_t a, b, gen_a;

	ut_client_server_start(1);
	ut_client_attach(&c);
	CU_ASSERT(reef_msg_handler_register("ut.a", noop_fn, NULL) == 0);
	a = ut_handler_id("ut.a");
	CU_ASSERT_FATAL(read_handler_slot(a, &h));
	CU_ASSERT(h.id == a);
	gen_a = h.hdr.gen;
	/* The client looks ut.a up (and caches it) before the table changes. */
	CU_ASSERT(reef_client_has_handler(c, "ut.a"));

	CU_ASSERT(reef_msg_handler_register("ut.b", ut_echo_fn, NULL) == 0);
	CU_ASSERT(reef_msg_handler_register("ut.a", ut_echo_fn, NULL) == -EEXIST);
	CU_ASSERT(reef_msg_handler_register("ut.c", noop_fn, NULL) == 0);
	b = ut_handler_id("ut.b");
	CU_ASSERT(b != a);
	CU_ASSERT(ut_handler_id("ut.a") == a);
	CU_ASSERT_FATAL(read_handler_slot(a, &h));
	CU_ASSERT(h.id == a);
	CU_ASSERT(h.hdr.gen == gen_a);
	CU_ASSERT_STRING_EQUAL(h.name, "ut.a");

	/* Both names still reach their own function. */
	round_trip(c, "ut.a", "1", 1, &reply);
	CU_ASSERT(reply.len == 0);
	CU_ASSERT(g_seen.calls == 0);
	round_trip(c, "ut.b", "2", 1, &reply);
	CU_ASSERT(reply.len == 1 && reply.data[0] == '2');
	CU_ASSERT(g_seen.calls == 1);
	CU_ASSERT_STRING_EQUAL(g_seen.handler, "ut.b");
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
handler_slot_shows_name_and_counts_calls(void)
{
	struct reef_shm_thread t;
	struct reef_shm_handler h;
	struct reef_client *c;
	uint32_t id;
	int i;

	ut_client_server_start(2);
	ut_client_attach(&c);
	id = ut_handler_id("ut.echo");
	CU_ASSERT_FATAL(id != UINT32_MAX);
	CU_ASSERT_FATAL(read_handler_slot(id, &h));
	CU_ASSERT_STRING_EQUAL(h.name, "ut.echo");
	CU_ASSERT(h.calls == 0);
	for (i = 1; i <= 3; i++) {
		CU_ASSERT(reef_client_post(c, reef_thread_get_id(ut_thread(1)), "ut.echo", "x", 1,
					   false, NULL) == 0);
		ut_poll_threads();
		CU_ASSERT_FATAL(read_handler_slot(id, &h));
		CU_ASSERT(h.calls == (uint64_t)i);
	}
	/* Counted on the thread that ran them. */
	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_THREADS,
				      reef_thread_get_slot(ut_thread(1)), &t) == 0);
	CU_ASSERT(t.remote_msgs == 3);
	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_THREADS,
				      reef_thread_get_slot(ut_thread(0)), &t) == 0);
	CU_ASSERT(t.remote_msgs == 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
request_accessors_show_copied_payload(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	char payload[] = "hello";

	ut_client_server_start(1);
	ut_client_attach(&c);
	CU_ASSERT(reef_client_post(c, 0, "ut.echo", payload, 5, true, NULL) == 0);
	/* The payload was copied at post: changing the buffer now changes nothing. */
	memcpy(payload, "XXXXX", 5);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 1);
	CU_ASSERT(g_seen.len == 5);
	CU_ASSERT(memcmp(g_seen.payload, "hello", 5) == 0);
	CU_ASSERT_STRING_EQUAL(g_seen.handler, "ut.echo");
	CU_ASSERT(g_seen.pid == getpid());
	CU_ASSERT(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.len == 5 && memcmp(reply.data, "hello", 5) == 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
reply_of_max_bytes_arrives_intact(void)
{
	static uint8_t data[REEF_MSG_PAYLOAD_MAX];
	struct reef_client_reply reply;
	struct reef_client *c;
	size_t i;

	for (i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i * 7 + 3);
	}
	ut_client_server_start(1);
	ut_client_attach(&c);
	CU_ASSERT(reef_client_post(c, 0, "ut.defer", NULL, 0, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(ut_reply_deferred(0, 0, data, sizeof(data)) == 0);
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.status == 0);
	CU_ASSERT(reply.len == REEF_MSG_PAYLOAD_MAX);
	CU_ASSERT(memcmp(reply.data, data, sizeof(data)) == 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
reply_over_max_gives_client_emsgsize(void)
{
	static uint8_t data[REEF_MSG_PAYLOAD_MAX + 1];
	struct reef_client_reply reply;
	struct reef_client *c;
	uint32_t slot;

	ut_client_server_start(1);
	slot = ut_client_attach(&c);
	CU_ASSERT(reef_client_post(c, 0, "ut.defer", NULL, 0, true, NULL) == 0);
	ut_poll_threads();
	g_ut_last_log[0] = '\0';
	CU_ASSERT(ut_reply_deferred(0, 0, data, sizeof(data)) == -EMSGSIZE);
	CU_ASSERT(strstr(g_ut_last_log, "handler ut.defer replied 1025 bytes") != NULL);
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.status == -EMSGSIZE);
	CU_ASSERT(reply.len == 0);
	CU_ASSERT(ut_client_shm(slot)->replied == 1);
	CU_ASSERT(ut_client_shm(slot)->dropped == 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
reply_from_another_thread_arrives(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	uint64_t id;

	ut_client_server_start(3);
	ut_client_attach(&c);
	CU_ASSERT(reef_client_post(c, reef_thread_get_id(ut_thread(1)), "ut.defer", "q", 1, true,
				   &id) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.thread == ut_thread(1));
	CU_ASSERT(reef_client_poll_reply(c, &reply) == -EAGAIN);
	/* Answered later, from a thread the request never ran on. */
	ut_set_thread(2);
	CU_ASSERT(ut_reply_deferred(0, -EIO, "later", 5) == 0);
	ut_set_thread(-1);
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.request_id == id);
	CU_ASSERT(reply.status == -EIO);
	CU_ASSERT(reply.len == 5 && memcmp(reply.data, "later", 5) == 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
reply_after_detach_is_dropped(void)
{
	struct reef_shm_client *shm;
	struct reef_client *c;
	uint32_t slot;

	ut_client_server_start(1);
	slot = ut_client_attach(&c);
	shm = ut_client_shm(slot);
	CU_ASSERT(reef_client_post(c, 0, "ut.defer", "q", 1, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_ndeferred == 1);
	reef_client_detach(c);
	ut_poll_threads();
	CU_ASSERT(!ut_client_slot_in_use(slot));
	CU_ASSERT(ut_reply_deferred(0, 0, "late", 4) == -ESRCH);
	/* Nothing reached the freed slot: neither its counters nor its reply ring. */
	CU_ASSERT(shm->replied == 0);
	CU_ASSERT(reef_recring_fill(ut_client_ring(slot, true)) == 0);
	ut_client_server_stop();
}

static void
reply_ring_full_drops_and_counts(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	uint32_t slot, i;
	char p;

	ut_client_server_start(1);
	slot = ut_client_attach(&c);
	for (i = 0; i < REEF_CLIENT_RING_RECORDS; i++) {
		p = (char)('0' + i % 10);
		CU_ASSERT_FATAL(reef_client_post(c, 0, "ut.echo", &p, 1, true, NULL) == 0);
	}
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == REEF_CLIENT_RING_RECORDS);
	CU_ASSERT(g_seen.reply_rc == 0);
	CU_ASSERT(reef_recring_fill(ut_client_ring(slot, true)) == REEF_CLIENT_RING_RECORDS);

	/* The client reads none of them: the next reply has nowhere to go. */
	CU_ASSERT(reef_client_post(c, 0, "ut.echo", "z", 1, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == REEF_CLIENT_RING_RECORDS + 1);
	CU_ASSERT(g_seen.reply_rc == -ENOBUFS);
	CU_ASSERT(ut_client_shm(slot)->dropped == 1);
	CU_ASSERT(ut_client_shm(slot)->replied == REEF_CLIENT_RING_RECORDS);

	/* The replies that fit are intact and in order; the dropped one is not among them. */
	for (i = 0; i < REEF_CLIENT_RING_RECORDS; i++) {
		CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
		CU_ASSERT(reply.request_id == i + 1);
		CU_ASSERT(reply.len == 1 && reply.data[0] == (uint8_t)('0' + i % 10));
	}
	CU_ASSERT(reef_client_poll_reply(c, &reply) == -EAGAIN);
	/* With room again, replies flow. */
	round_trip(c, "ut.echo", "y", 1, &reply);
	CU_ASSERT(reply.data[0] == 'y');
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
reply_ring_with_corrupt_consumer_index_is_not_written(void)
{
	struct reef_recring *ring;
	struct reef_client *c;
	uint32_t slot;
	int i;

	ut_client_server_start(1);
	slot = ut_client_attach(&c);
	ring = ut_client_ring(slot, true);
	/*
	 * The client owns head: a head ahead of tail makes no sense. The primary
	 * reads head only when its own copy says the ring is full, so it fills
	 * the ring once (inside it, harming no one but the client), then sees
	 * the nonsense and writes no more.
	 */
	__atomic_store_n(&ring->head, 1000, __ATOMIC_RELEASE);
	for (i = 0; i <= REEF_CLIENT_RING_RECORDS; i++) {
		CU_ASSERT(reef_client_post(c, 0, "ut.echo", "a", 1, true, NULL) == 0);
		ut_poll_threads();
	}
	CU_ASSERT(g_seen.calls == REEF_CLIENT_RING_RECORDS + 1);
	CU_ASSERT(g_seen.reply_rc == -ENOBUFS);
	CU_ASSERT(__atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) == REEF_CLIENT_RING_RECORDS);
	CU_ASSERT(ut_client_shm(slot)->dropped == 1);
	/* And keeps refusing. */
	CU_ASSERT(reef_client_post(c, 0, "ut.echo", "a", 1, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(__atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) == REEF_CLIENT_RING_RECORDS);
	CU_ASSERT(ut_client_shm(slot)->dropped == 2);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
replyf_formats_text(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;

	ut_client_server_start(1);
	ut_client_attach(&c);
	CU_ASSERT(reef_client_post(c, 0, "ut.defer", NULL, 0, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(reef_msg_replyf(g_deferred[0], -EBUSY, "n=%d s=%s x=%04x", 42, "ok", 0xbe) == 0);
	g_deferred[0] = NULL;
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.status == -EBUSY);
	CU_ASSERT(reply.len == strlen("n=42 s=ok x=00be"));
	CU_ASSERT(memcmp(reply.data, "n=42 s=ok x=00be", reply.len) == 0);
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
replyf_truncates_to_payload_max(void)
{
	static char big[2 * REEF_MSG_PAYLOAD_MAX];
	struct reef_client_reply reply;
	struct reef_client *c;

	memset(big, 'b', sizeof(big) - 1);
	ut_client_server_start(1);
	ut_client_attach(&c);
	CU_ASSERT(reef_client_post(c, 0, "ut.defer", NULL, 0, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(reef_msg_replyf(g_deferred[0], 0, "<%s>", big) == 0);
	g_deferred[0] = NULL;
	CU_ASSERT_FATAL(reef_client_poll_reply(c, &reply) == 0);
	CU_ASSERT(reply.status == 0);
	/* Cut to fit (room for vsnprintf's terminator), never refused. */
	CU_ASSERT(reply.len == REEF_MSG_PAYLOAD_MAX - 1);
	CU_ASSERT(reply.data[0] == '<');
	CU_ASSERT(reply.data[reply.len - 1] == 'b');
	reef_client_detach(c);
	ut_client_server_stop();
}

static void
reply_without_want_reply_sends_nothing(void)
{
	struct reef_client_reply reply;
	struct reef_client *c;
	uint32_t slot;

	ut_client_server_start(1);
	slot = ut_client_attach(&c);
	CU_ASSERT(reef_client_post(c, 0, "ut.echo", "a", 1, false, NULL) == 0);
	CU_ASSERT(reef_client_post(c, 0, "ut.defer", "b", 1, false, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 2);
	CU_ASSERT(g_seen.reply_rc == 0);
	/* A later answer is freed as quietly when nobody waits for it. */
	CU_ASSERT(ut_reply_deferred(0, 0, "x", 1) == 0);
	CU_ASSERT(reef_client_poll_reply(c, &reply) == -EAGAIN);
	CU_ASSERT(ut_client_shm(slot)->replied == 0);
	CU_ASSERT(ut_client_shm(slot)->dropped == 0);
	CU_ASSERT(ut_client_shm(slot)->received == 2);
	reef_client_detach(c);
	ut_client_server_stop();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, handler_register_accepts_valid_names);
	UT_ADD(suite, handler_register_rejects_bad_names);
	UT_ADD(suite, handler_register_rejects_null_fn);
	UT_ADD(suite, handler_register_rejects_duplicates);
	UT_ADD(suite, handler_register_table_full_names_option);
	UT_ADD(suite, handler_register_without_server_is_refused);
	UT_ADD(suite, handler_ids_are_stable);
	UT_ADD(suite, handler_slot_shows_name_and_counts_calls);
	UT_ADD(suite, request_accessors_show_copied_payload);
	UT_ADD(suite, reply_of_max_bytes_arrives_intact);
	UT_ADD(suite, reply_over_max_gives_client_emsgsize);
	UT_ADD(suite, reply_from_another_thread_arrives);
	UT_ADD(suite, reply_after_detach_is_dropped);
	UT_ADD(suite, reply_ring_full_drops_and_counts);
	UT_ADD(suite, reply_ring_with_corrupt_consumer_index_is_not_written);
	UT_ADD(suite, replyf_formats_text);
	UT_ADD(suite, replyf_truncates_to_payload_max);
	UT_ADD(suite, reply_without_want_reply_sends_nothing);
	return 0;
}

UT_MAIN("client_handler", add_tests)
