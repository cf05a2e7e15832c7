/*
 * The client side: payload bounds at post, unknown handlers, a full request
 * ring, polling for replies, reef_client_call (timeouts, and waiting while
 * another OS thread runs the primary), thread lookup by name, and a primary
 * that stops or dies under the client.
 */
#include "ut_main.h"
#include "ut_multithread.c"
#include "ut_client.c"

#include <errno.h>
#include <pthread.h>

static struct reef_client *g_c;

static void
setup(int num_threads)
{
	ut_client_server_start(num_threads);
	ut_client_attach(&g_c);
}

static void
teardown(void)
{
	reef_client_detach(g_c);
	g_c = NULL;
	ut_client_server_stop();
}

/* Runs the primary's threads on another OS thread, the way reactors would. */
static pthread_t g_pump;
static bool g_pump_stop;

static void *
pump_fn(void *arg)
{
	int i;

	(void)arg;
	while (!__atomic_load_n(&g_pump_stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < g_ut_num_threads; i++) {
			reef_thread_poll(g_ut_threads[i], 0, 0);
		}
	}
	return NULL;
}

static void
pump_start(void)
{
	__atomic_store_n(&g_pump_stop, false, __ATOMIC_RELEASE);
	CU_ASSERT_FATAL(pthread_create(&g_pump, NULL, pump_fn, NULL) == 0);
}

static void
pump_stop(void)
{
	__atomic_store_n(&g_pump_stop, true, __ATOMIC_RELEASE);
	CU_ASSERT(pthread_join(g_pump, NULL) == 0);
}

static void
post_payload_max_arrives_intact(void)
{
	static uint8_t data[REEF_MSG_PAYLOAD_MAX];
	struct reef_client_reply reply;
	size_t i;

	for (i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i * 13 + 1);
	}
	setup(1);
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", data, sizeof(data), true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.len == REEF_MSG_PAYLOAD_MAX);
	CU_ASSERT(memcmp(g_seen.payload, data, sizeof(data)) == 0);
	CU_ASSERT_FATAL(reef_client_poll_reply(g_c, &reply) == 0);
	CU_ASSERT(reply.status == 0);
	CU_ASSERT(reply.len == REEF_MSG_PAYLOAD_MAX);
	CU_ASSERT(memcmp(reply.data, data, sizeof(data)) == 0);
	teardown();
}

static void
post_payload_over_max_is_refused(void)
{
	static uint8_t data[REEF_MSG_PAYLOAD_MAX + 1];
	uint32_t slot;

	ut_client_server_start(1);
	slot = ut_client_attach(&g_c);
	g_ut_last_log[0] = '\0';
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", data, sizeof(data), true, NULL) == -EINVAL);
	CU_ASSERT(strstr(g_ut_last_log, "payload of 1025 bytes is over the 1024-byte limit") !=
		  NULL);
	/* Nothing was written to the ring. */
	CU_ASSERT(reef_recring_fill(ut_client_ring(slot, false)) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 0);
	teardown();
}

static void
post_null_payload_with_len_is_refused(void)
{
	uint32_t slot;

	ut_client_server_start(1);
	slot = ut_client_attach(&g_c);
	g_ut_last_log[0] = '\0';
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", NULL, 4, true, NULL) == -EINVAL);
	CU_ASSERT(strstr(g_ut_last_log, "no payload") != NULL);
	CU_ASSERT(reef_recring_fill(ut_client_ring(slot, false)) == 0);
	teardown();
}

static void
post_empty_payload_is_delivered(void)
{
	struct reef_client_reply reply;

	setup(1);
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", NULL, 0, true, NULL) == 0);
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", "ignored", 0, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 2);
	CU_ASSERT(g_seen.len == 0);
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == 0 && reply.len == 0);
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == 0 && reply.len == 0);
	teardown();
}

static void
post_unknown_handler_is_refused(void)
{
	uint32_t slot;

	ut_client_server_start(1);
	slot = ut_client_attach(&g_c);
	g_ut_last_log[0] = '\0';
	CU_ASSERT(reef_client_post(g_c, 0, "ut.nope", "a", 1, true, NULL) == -ENOENT);
	CU_ASSERT(strstr(g_ut_last_log, "primary 'ut' has no handler named 'ut.nope'") != NULL);
	CU_ASSERT(reef_client_post(g_c, 0, NULL, "a", 1, true, NULL) == -ENOENT);
	CU_ASSERT(reef_client_post(g_c, 0, "", "a", 1, true, NULL) == -ENOENT);
	/* Longer than any handler name can be: not found, not overrun. */
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo.with.a.name.longer.than.forty.characters", "a",
				   1, true, NULL) == -ENOENT);
	CU_ASSERT(reef_recring_fill(ut_client_ring(slot, false)) == 0);
	teardown();
}

static void
post_request_ids_increase(void)
{
	struct reef_client_reply reply;
	uint64_t a, b, c;

	setup(1);
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", "a", 1, true, &a) == 0);
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", "b", 1, false, &b) == 0);
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", "c", 1, true, &c) == 0);
	CU_ASSERT(a < b && b < c);
	ut_poll_threads();
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == 0 && reply.request_id == a);
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == 0 && reply.request_id == c);
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == -EAGAIN);
	teardown();
}

static void
post_into_full_request_ring_loses_nothing(void)
{
	struct reef_client_reply reply;
	uint32_t i, n = 0;
	char p;

	setup(2);
	for (i = 0; i < REEF_CLIENT_RING_RECORDS; i++) {
		p = (char)('0' + i % 64);
		CU_ASSERT_FATAL(reef_client_post(g_c, reef_thread_get_id(ut_thread(1)), "ut.echo",
						 &p, 1, true, NULL) == 0);
	}
	p = 'X';
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", &p, 1, true, NULL) == -ENOBUFS);
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", &p, 1, true, NULL) == -ENOBUFS);
	ut_poll_threads();
	/* Every accepted post ran once, in order; the refused ones never did. */
	CU_ASSERT(g_seen.calls == REEF_CLIENT_RING_RECORDS);
	for (i = 0; i < REEF_CLIENT_RING_RECORDS; i++) {
		CU_ASSERT(g_seen.order[i] == (char)('0' + i % 64));
	}
	while (reef_client_poll_reply(g_c, &reply) == 0) {
		CU_ASSERT(reply.data[0] == (uint8_t)('0' + n % 64));
		n++;
	}
	CU_ASSERT(n == REEF_CLIENT_RING_RECORDS);
	/* Drained: posting works again. */
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", &p, 1, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == 0 && reply.data[0] == 'X');
	teardown();
}

static void
poll_reply_when_none_is_eagain(void)
{
	struct reef_client_reply reply;

	setup(1);
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == -EAGAIN);
	CU_ASSERT(reef_client_post(g_c, 0, "ut.defer", NULL, 0, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == -EAGAIN);
	CU_ASSERT(ut_reply_deferred(0, 0, NULL, 0) == 0);
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == 0);
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == -EAGAIN);
	teardown();
}

static void
post_after_detach_is_delivered(void)
{
	struct reef_client *c;
	uint32_t slot;

	ut_client_server_start(2);
	slot = ut_client_attach(&c);
	/* reef-post without --wait: post, detach and exit at once. */
	CU_ASSERT(reef_client_post(c, 0, "ut.echo", "1", 1, false, NULL) == 0);
	CU_ASSERT(reef_client_post(c, reef_thread_get_id(ut_thread(1)), "ut.echo", "2", 1, false,
				   NULL) == 0);
	reef_client_detach(c);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 2);
	CU_ASSERT(strchr(g_seen.order, '1') != NULL && strchr(g_seen.order, '2') != NULL);
	CU_ASSERT(!ut_client_slot_in_use(slot));
	CU_ASSERT(ut_client_count() == 0);
	ut_client_server_stop();
}

static void
find_thread_by_name(void)
{
	uint64_t id = 0;

	setup(3);
	CU_ASSERT(reef_client_find_thread(g_c, "ut_thread0", &id) == 0);
	CU_ASSERT(id == reef_thread_get_id(ut_thread(0)));
	CU_ASSERT(reef_client_find_thread(g_c, "ut_thread2", &id) == 0);
	CU_ASSERT(id == reef_thread_get_id(ut_thread(2)));
	teardown();
}

static void
find_thread_missing_or_exited_is_enoent(void)
{
	uint64_t id = 77;

	setup(3);
	CU_ASSERT(reef_client_find_thread(g_c, "no_such_thread", &id) == -ENOENT);
	CU_ASSERT(reef_client_find_thread(g_c, "ut_thread", &id) == -ENOENT);
	CU_ASSERT(reef_client_find_thread(g_c, "", &id) == -ENOENT);
	ut_set_thread(2);
	reef_thread_exit(ut_thread(2));
	ut_set_thread(-1);
	CU_ASSERT(reef_client_find_thread(g_c, "ut_thread2", &id) == -ENOENT);
	CU_ASSERT(id == 77);
	teardown();
}

static void
has_handler_reports_registered_names(void)
{
	setup(1);
	CU_ASSERT(reef_client_has_handler(g_c, "reef.ping"));
	CU_ASSERT(reef_client_has_handler(g_c, "ut.echo"));
	CU_ASSERT(!reef_client_has_handler(g_c, "ut.later"));
	CU_ASSERT(!reef_client_has_handler(g_c, ""));
	CU_ASSERT(!reef_client_has_handler(g_c, "reef.pin"));
	/* Registered after the client looked: found now. */
	CU_ASSERT(reef_msg_handler_register("ut.later", ut_echo_fn, NULL) == 0);
	CU_ASSERT(reef_client_has_handler(g_c, "ut.later"));
	CU_ASSERT(reef_client_post(g_c, 0, "ut.later", "l", 1, false, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT_STRING_EQUAL(g_seen.handler, "ut.later");
	teardown();
}

static void
call_times_out_without_reply(void)
{
	struct reef_client_reply reply;

	setup(1);
	/* Nothing runs the primary during the call: it must give up on its own. */
	CU_ASSERT(reef_client_call(g_c, 0, "ut.defer", "t", 1, &reply, 1) == -ETIMEDOUT);
	ut_poll_threads();
	CU_ASSERT_FATAL(g_ndeferred == 1);
	CU_ASSERT(ut_reply_deferred(0, 0, "late", 4) == 0);
	/* The late reply is there for whoever polls. */
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == 0);
	CU_ASSERT(reply.len == 4 && memcmp(reply.data, "late", 4) == 0);
	teardown();
}

static void
call_returns_its_reply(void)
{
	struct reef_client_reply reply;

	setup(2);
	pump_start();
	CU_ASSERT(reef_client_call(g_c, reef_thread_get_id(ut_thread(1)), "ut.echo", "hey", 3,
				   &reply, 10000) == 0);
	CU_ASSERT(reef_client_call(g_c, 0, "reef.ping", NULL, 0, &reply, 10000) == 0);
	pump_stop();
	CU_ASSERT(reply.status == 0);
	CU_ASSERT(reply.len == 4 && memcmp(reply.data, "pong", 4) == 0);
	CU_ASSERT(g_seen.calls == 1);
	CU_ASSERT(g_seen.thread == ut_thread(1));
	teardown();
}

static void
call_skips_earlier_replies(void)
{
	struct reef_client_reply reply;
	uint64_t first;

	setup(1);
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", "old", 3, true, &first) == 0);
	ut_poll_threads();
	pump_start();
	CU_ASSERT(reef_client_call(g_c, 0, "ut.echo", "new", 3, &reply, 10000) == 0);
	pump_stop();
	CU_ASSERT(reply.request_id > first);
	CU_ASSERT(reply.len == 3 && memcmp(reply.data, "new", 3) == 0);
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == -EAGAIN);
	teardown();
}

static void
call_passes_post_errors_through(void)
{
	static uint8_t data[REEF_MSG_PAYLOAD_MAX + 1];
	struct reef_client_reply reply;

	setup(1);
	CU_ASSERT(reef_client_call(g_c, 0, "ut.nope", NULL, 0, &reply, 1000) == -ENOENT);
	CU_ASSERT(reef_client_call(g_c, 0, "ut.echo", data, sizeof(data), &reply, 1000) == -EINVAL);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 0);
	teardown();
}

static void
post_when_primary_stopping_is_eshutdown(void)
{
	struct reef_client_reply reply;

	setup(1);
	reef_shm_set_state(g_ut_region, REEF_REGION_STOPPING);
	g_ut_last_log[0] = '\0';
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", "a", 1, true, NULL) == -ESHUTDOWN);
	CU_ASSERT(strstr(g_ut_last_log, "primary 'ut' is shutting down") != NULL);
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == -ESHUTDOWN);
	CU_ASSERT(reef_client_call(g_c, 0, "ut.echo", "a", 1, &reply, 1000) == -ESHUTDOWN);
	/* Once gone, gone: the client does not come back if the state does. */
	reef_shm_set_state(g_ut_region, REEF_REGION_RUNNING);
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", "a", 1, true, NULL) == -ESHUTDOWN);
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 0);
	teardown();
}

static void
post_when_primary_died_is_eshutdown(void)
{
	struct reef_client_reply reply;
	struct reef_shm_header *hdr;
	uint64_t start_time;

	setup(1);
	hdr = (struct reef_shm_header *)(uintptr_t)reef_shm_get_header(g_ut_region);
	/* Same pid, other start time: the primary that made the region is gone. */
	start_time = hdr->primary_start_time;
	hdr->primary_start_time = start_time + 1;
	/* The client looks at the primary's process at most every 10 ms (fake ticks are µs). */
	reef_env_fake_advance_ticks(20000);
	g_ut_last_log[0] = '\0';
	CU_ASSERT(reef_client_post(g_c, 0, "ut.echo", "a", 1, true, NULL) == -ESHUTDOWN);
	CU_ASSERT(strstr(g_ut_last_log, "primary 'ut' (pid") != NULL);
	CU_ASSERT(strstr(g_ut_last_log, "has died") != NULL);
	CU_ASSERT(reef_client_poll_reply(g_c, &reply) == -ESHUTDOWN);
	hdr->primary_start_time = start_time;
	ut_poll_threads();
	CU_ASSERT(g_seen.calls == 0);
	teardown();
}

static void
attach_when_primary_not_running_is_eshutdown(void)
{
	struct reef_client *c = NULL;

	ut_client_server_start(1);
	reef_shm_set_state(g_ut_region, REEF_REGION_STARTING);
	CU_ASSERT(reef_client_attach("ut", &c) == -ESHUTDOWN);
	CU_ASSERT(c == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "primary 'ut' is starting: try again once it runs") !=
		  NULL);
	CU_ASSERT(ut_client_slots_in_use() == 0);
	ut_client_server_stop();
}

static void
client_region_is_the_primarys(void)
{
	struct reef_shm_region *r;

	setup(1);
	r = reef_client_get_region(g_c);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT(reef_shm_get_header(r) == reef_shm_get_header(g_ut_region));
	CU_ASSERT(reef_shm_get_state(r) == REEF_REGION_RUNNING);
	teardown();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, post_payload_max_arrives_intact);
	UT_ADD(suite, post_payload_over_max_is_refused);
	UT_ADD(suite, post_null_payload_with_len_is_refused);
	UT_ADD(suite, post_empty_payload_is_delivered);
	UT_ADD(suite, post_unknown_handler_is_refused);
	UT_ADD(suite, post_request_ids_increase);
	UT_ADD(suite, post_into_full_request_ring_loses_nothing);
	UT_ADD(suite, poll_reply_when_none_is_eagain);
	UT_ADD(suite, post_after_detach_is_delivered);
	UT_ADD(suite, find_thread_by_name);
	UT_ADD(suite, find_thread_missing_or_exited_is_enoent);
	UT_ADD(suite, has_handler_reports_registered_names);
	UT_ADD(suite, call_times_out_without_reply);
	UT_ADD(suite, call_returns_its_reply);
	UT_ADD(suite, call_skips_earlier_replies);
	UT_ADD(suite, call_passes_post_errors_through);
	UT_ADD(suite, post_when_primary_stopping_is_eshutdown);
	UT_ADD(suite, post_when_primary_died_is_eshutdown);
	UT_ADD(suite, attach_when_primary_not_running_is_eshutdown);
	UT_ADD(suite, client_region_is_the_primarys);
	return 0;
}

UT_MAIN("client_client", add_tests)
