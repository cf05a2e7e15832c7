/*
 * The handlers every primary registers: reef.ping, reef.poller.pause /
 * resume / timing (on the poller's own thread) and reef.thread.list with its
 * paging, each driven through a client as reef-post and reef-top use them.
 */
#include "ut_main.h"
#include "ut_multithread.c"
#include "ut_client.c"

#include <errno.h>

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

/* Post text to handler on thread idx (-1: REEF_CLIENT_APP_THREAD), run it, take the reply. */
static int
call(int idx, const char *handler, const char *text, struct reef_client_reply *reply)
{
	uint64_t tid = idx < 0 ? REEF_CLIENT_APP_THREAD : reef_thread_get_id(ut_thread(idx));
	uint64_t id;

	CU_ASSERT_FATAL(
		reef_client_post(g_c, tid, handler, text, text ? strlen(text) : 0, true, &id) == 0);
	ut_poll_threads();
	CU_ASSERT_FATAL(reef_client_poll_reply(g_c, reply) == 0);
	CU_ASSERT(reply->request_id == id);
	CU_ASSERT_FATAL(reply->len < sizeof(reply->data));
	/* Replies are text: terminate them for the checks. */
	reply->data[reply->len] = '\0';
	return reply->status;
}

static const char *
text_of(struct reef_client_reply *reply)
{
	return (const char *)reply->data;
}

struct counter {
	int runs;
};

static int
count_fn(void *arg)
{
	((struct counter *)arg)->runs++;
	/* Idle, so that ut_poll_threads() comes to an end. */
	return REEF_POLLER_IDLE;
}

/* A poller named "ut_p" on thread idx. */
static struct reef_poller *
poller_on(int idx, struct counter *counter)
{
	struct reef_poller *p;

	ut_set_thread(idx);
	p = reef_poller_register_named(count_fn, counter, 0, "ut_p");
	ut_set_thread(-1);
	CU_ASSERT_FATAL(p != NULL);
	return p;
}

/* Copy a poller's shared slot, found by id. */
static bool
read_poller_slot(uint64_t id, struct reef_shm_poller *out)
{
	uint32_t n = reef_shm_table_count(g_ut_region, REEF_SHM_POLLERS), i;

	for (i = 0; i < n; i++) {
		if (reef_shm_read(g_ut_region, REEF_SHM_POLLERS, i, out) == 0 && out->id == id) {
			return true;
		}
	}
	return false;
}

static void
poller_off(int idx, struct reef_poller **p)
{
	ut_set_thread(idx);
	reef_poller_unregister(p);
	ut_set_thread(-1);
	ut_poll_threads();
}

static void
builtins_are_registered(void)
{
	static const char *const names[] = {
		"reef.ping",          "reef.poller.pause", "reef.poller.resume",
		"reef.poller.timing", "reef.thread.list",
	};
	size_t i;

	setup(1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CU_ASSERT(reef_client_has_handler(g_c, names[i]));
		CU_ASSERT(ut_handler_id(names[i]) != UINT32_MAX);
	}
	teardown();
}

static void
ping_without_payload_says_pong(void)
{
	struct reef_client_reply reply;

	setup(2);
	CU_ASSERT(call(-1, "reef.ping", NULL, &reply) == 0);
	CU_ASSERT_STRING_EQUAL(text_of(&reply), "pong");
	CU_ASSERT(reply.len == 4);
	CU_ASSERT(call(1, "reef.ping", NULL, &reply) == 0);
	CU_ASSERT_STRING_EQUAL(text_of(&reply), "pong");
	teardown();
}

static void
ping_with_payload_echoes_it(void)
{
	static char big[REEF_MSG_PAYLOAD_MAX + 1];
	struct reef_client_reply reply;

	setup(1);
	CU_ASSERT(call(-1, "reef.ping", "hello there", &reply) == 0);
	CU_ASSERT_STRING_EQUAL(text_of(&reply), "pong hello there");
	/* The largest payload still gets a reply that fits, starting with its text. */
	memset(big, 'p', REEF_MSG_PAYLOAD_MAX);
	CU_ASSERT_FATAL(
		reef_client_post(g_c, 0, "reef.ping", big, REEF_MSG_PAYLOAD_MAX, true, NULL) == 0);
	ut_poll_threads();
	CU_ASSERT_FATAL(reef_client_poll_reply(g_c, &reply) == 0);
	CU_ASSERT(reply.status == 0);
	CU_ASSERT(reply.len > 5 && reply.len < REEF_MSG_PAYLOAD_MAX);
	CU_ASSERT(memcmp(reply.data, "pong ppp", 8) == 0);
	teardown();
}

static void
poller_pause_and_resume_on_own_thread(void)
{
	struct reef_client_reply reply;
	struct counter counter = {0};
	struct reef_poller *p;
	char text[64], expect[96];
	uint64_t id;
	int runs;

	setup(2);
	p = poller_on(1, &counter);
	id = reef_poller_get_id(p);
	ut_poll_thread(1);
	CU_ASSERT(counter.runs == 1);

	snprintf(text, sizeof(text), "%llu", (unsigned long long)id);
	CU_ASSERT(call(1, "reef.poller.pause", text, &reply) == 0);
	snprintf(expect, sizeof(expect), "poller %llu (ut_p) paused", (unsigned long long)id);
	CU_ASSERT_STRING_EQUAL(text_of(&reply), expect);
	CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_PAUSED);
	runs = counter.runs;
	ut_poll_thread(1);
	ut_poll_thread(1);
	CU_ASSERT(counter.runs == runs);

	CU_ASSERT(call(1, "reef.poller.resume", text, &reply) == 0);
	snprintf(expect, sizeof(expect), "poller %llu (ut_p) resumed", (unsigned long long)id);
	CU_ASSERT_STRING_EQUAL(text_of(&reply), expect);
	CU_ASSERT(reef_poller_get_state(p) != REEF_POLLER_STATE_PAUSED);
	CU_ASSERT(reef_poller_get_state(p) != REEF_POLLER_STATE_PAUSING);
	runs = counter.runs;
	ut_poll_thread(1);
	CU_ASSERT(counter.runs == runs + 1);
	poller_off(1, &p);
	teardown();
}

static void
poller_pause_on_other_thread_is_refused(void)
{
	struct reef_client_reply reply;
	struct counter counter = {0};
	struct reef_poller *p;
	char text[64], expect[160];
	uint64_t id;

	setup(2);
	p = poller_on(1, &counter);
	id = reef_poller_get_id(p);
	snprintf(text, sizeof(text), "%llu", (unsigned long long)id);
	CU_ASSERT(call(0, "reef.poller.pause", text, &reply) == -ENOENT);
	snprintf(expect, sizeof(expect),
		 "no poller %llu on thread ut_thread0 (%llu): post to the poller's own thread",
		 (unsigned long long)id, (unsigned long long)reef_thread_get_id(ut_thread(0)));
	CU_ASSERT_STRING_EQUAL(text_of(&reply), expect);
	CU_ASSERT(call(-1, "reef.poller.resume", text, &reply) == -ENOENT);
	snprintf(text, sizeof(text), "%llu on", (unsigned long long)id);
	CU_ASSERT(call(0, "reef.poller.timing", text, &reply) == -ENOENT);
	/* Nothing changed on the poller's own thread. */
	CU_ASSERT(reef_poller_get_state(p) != REEF_POLLER_STATE_PAUSED);
	CU_ASSERT(reef_poller_get_state(p) != REEF_POLLER_STATE_PAUSING);
	CU_ASSERT(!reef_poller_get_timing(p));
	poller_off(1, &p);
	teardown();
}

static void
poller_pause_bad_id_is_refused(void)
{
	static const char *const bad[] = {"", "abc", "0", "-", " ", "x12"};
	struct reef_client_reply reply;
	struct counter counter = {0};
	struct reef_poller *p;
	size_t i;

	setup(2);
	p = poller_on(1, &counter);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT(call(1, "reef.poller.pause", bad[i], &reply) == -EINVAL);
		CU_ASSERT(strstr(text_of(&reply), "reef.poller.pause wants a poller id") != NULL);
	}
	/* A well-formed id that names no poller. */
	CU_ASSERT(call(1, "reef.poller.pause", "999999", &reply) == -ENOENT);
	CU_ASSERT(strstr(text_of(&reply), "no poller 999999") != NULL);
	CU_ASSERT(reef_poller_get_state(p) != REEF_POLLER_STATE_PAUSED);
	poller_off(1, &p);
	teardown();
}

/* The id of the poller named name on any thread, from the shared table. */
static uint64_t
poller_id_by_name(const char *name)
{
	uint32_t n = reef_shm_table_count(g_ut_region, REEF_SHM_POLLERS), i;
	struct reef_shm_poller shm;

	for (i = 0; i < n; i++) {
		if (reef_shm_read(g_ut_region, REEF_SHM_POLLERS, i, &shm) == 0 &&
		    strcmp(shm.name, name) == 0) {
			return shm.id;
		}
	}
	return 0;
}

static void
poller_pause_refuses_client_pollers(void)
{
	static const char *const names[] = {"client_rx", "client_reaper"};
	struct reef_client_reply reply;
	struct reef_shm_poller shm;
	char text[64];
	uint64_t id;
	size_t i;

	setup(1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		id = poller_id_by_name(names[i]);
		CU_ASSERT_FATAL(id != 0);
		snprintf(text, sizeof(text), "%llu", (unsigned long long)id);
		/* Paused, it would cut every client off, including the one that could resume it. */
		CU_ASSERT(call(-1, "reef.poller.pause", text, &reply) == -EPERM);
		CU_ASSERT(strstr(text_of(&reply), "serves the clients") != NULL);
		CU_ASSERT_FATAL(read_poller_slot(id, &shm));
		CU_ASSERT(shm.state != REEF_POLLER_STATE_PAUSED);
		CU_ASSERT(shm.state != REEF_POLLER_STATE_PAUSING);
	}
	/* Clients are still served. */
	CU_ASSERT(call(-1, "reef.ping", NULL, &reply) == 0);
	CU_ASSERT_STRING_EQUAL(text_of(&reply), "pong");
	teardown();
}

static void
poller_timing_switches_on_and_off(void)
{
	struct reef_client_reply reply;
	struct counter counter = {0};
	struct reef_shm_poller shm;
	struct reef_poller *p;
	char text[64], expect[96];
	uint64_t id;

	setup(2);
	p = poller_on(1, &counter);
	id = reef_poller_get_id(p);
	CU_ASSERT(!reef_poller_get_timing(p));

	snprintf(text, sizeof(text), "%llu on", (unsigned long long)id);
	CU_ASSERT(call(1, "reef.poller.timing", text, &reply) == 0);
	snprintf(expect, sizeof(expect), "poller %llu (ut_p) timing on", (unsigned long long)id);
	CU_ASSERT_STRING_EQUAL(text_of(&reply), expect);
	CU_ASSERT(reef_poller_get_timing(p));
	CU_ASSERT_FATAL(read_poller_slot(id, &shm));
	CU_ASSERT(shm.timing == 1);

	snprintf(text, sizeof(text), "%llu   off", (unsigned long long)id);
	CU_ASSERT(call(1, "reef.poller.timing", text, &reply) == 0);
	snprintf(expect, sizeof(expect), "poller %llu (ut_p) timing off", (unsigned long long)id);
	CU_ASSERT_STRING_EQUAL(text_of(&reply), expect);
	CU_ASSERT(!reef_poller_get_timing(p));
	CU_ASSERT_FATAL(read_poller_slot(id, &shm));
	CU_ASSERT(shm.timing == 0);
	poller_off(1, &p);
	teardown();
}

static void
poller_timing_garbage_is_refused(void)
{
	static const char *const bad[] = {"%llu", "%llu maybe", "%llu ON", "%llu on please"};
	struct reef_client_reply reply;
	struct counter counter = {0};
	struct reef_poller *p;
	char text[64];
	uint64_t id;
	size_t i;

	setup(2);
	p = poller_on(1, &counter);
	id = reef_poller_get_id(p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(text, sizeof(text), bad[i], (unsigned long long)id);
#pragma GCC diagnostic pop
		CU_ASSERT(call(1, "reef.poller.timing", text, &reply) == -EINVAL);
		CU_ASSERT_STRING_EQUAL(text_of(&reply),
				       "reef.poller.timing wants 'ID on' or 'ID off'");
	}
	CU_ASSERT(call(1, "reef.poller.timing", "on", &reply) == -EINVAL);
	CU_ASSERT(!reef_poller_get_timing(p));
	poller_off(1, &p);
	teardown();
}

/* Parse a thread.list reply into ids; returns the line count; *more gets "more after" or 0. */
static int
parse_list(const char *text, uint64_t *ids, int max, uint64_t *more)
{
	const char *line = text;
	int n = 0;

	*more = 0;
	while (*line != '\0') {
		unsigned long long id;
		char name[64], state[32];
		int lcore;

		if (sscanf(line, "more after %llu", &id) == 1) {
			*more = id;
		} else {
			CU_ASSERT_FATAL(
				sscanf(line, "%llu %63s %d %31s", &id, name, &lcore, state) == 4);
			CU_ASSERT_FATAL(n < max);
			ids[n++] = id;
		}
		line = strchr(line, '\n');
		CU_ASSERT_FATAL(line != NULL);
		line++;
	}
	return n;
}

static void
thread_list_lists_every_thread(void)
{
	struct reef_client_reply reply;
	char line[128];
	uint64_t ids[8], more;
	int i;

	setup(3);
	CU_ASSERT(call(-1, "reef.thread.list", NULL, &reply) == 0);
	CU_ASSERT(parse_list(text_of(&reply), ids, 8, &more) == 3);
	CU_ASSERT(more == 0);
	for (i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "%llu ut_thread%d ",
			 (unsigned long long)reef_thread_get_id(ut_thread(i)), i);
		CU_ASSERT(strstr(text_of(&reply), line) != NULL);
		CU_ASSERT(ids[i] == reef_thread_get_id(ut_thread(i)));
	}
	CU_ASSERT(strstr(text_of(&reply), " running\n") != NULL);
	teardown();
}

static void
thread_list_after_id_pages(void)
{
	struct reef_client_reply reply;
	char text[32];
	uint64_t ids[8], more;

	setup(4);
	snprintf(text, sizeof(text), "after %llu",
		 (unsigned long long)reef_thread_get_id(ut_thread(1)));
	CU_ASSERT(call(-1, "reef.thread.list", text, &reply) == 0);
	CU_ASSERT_FATAL(parse_list(text_of(&reply), ids, 8, &more) == 2);
	CU_ASSERT(ids[0] == reef_thread_get_id(ut_thread(2)));
	CU_ASSERT(ids[1] == reef_thread_get_id(ut_thread(3)));
	CU_ASSERT(more == 0);
	/* After the last thread: an empty list, not an error. */
	snprintf(text, sizeof(text), "after %llu",
		 (unsigned long long)reef_thread_get_id(ut_thread(3)));
	CU_ASSERT(call(-1, "reef.thread.list", text, &reply) == 0);
	CU_ASSERT(reply.len == 0);
	teardown();
}

static void
thread_list_bad_payload_is_refused(void)
{
	struct reef_client_reply reply;

	setup(1);
	CU_ASSERT(call(-1, "reef.thread.list", "before 3", &reply) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(text_of(&reply), "reef.thread.list wants no payload or 'after ID'");
	CU_ASSERT(call(-1, "reef.thread.list", "after", &reply) == -EINVAL);
	CU_ASSERT(call(-1, "reef.thread.list", "after x", &reply) == -EINVAL);
	teardown();
}

static void
thread_list_full_reply_ends_with_more_after(void)
{
	struct reef_shm_limits limits;
	struct reef_thread *extra[32];
	struct reef_client_reply reply;
	uint64_t ids[64], more, seen[64];
	char name[64], text[32];
	int nextra, n, total = 0, pages = 0, i, j, pass;

	ut_limits(&limits);
	setup(2);
	nextra = (int)limits.max_threads - 2;
	CU_ASSERT_FATAL(nextra > 0 && nextra <= 32);
	/* Long names fill the 1024-byte reply well before the thread table is listed. */
	for (i = 0; i < nextra; i++) {
		snprintf(name, sizeof(name), "ut_list_%02d_%.*s", i, 28,
			 "abcdefghijklmnopqrstuvwxyz0123456789");
		CU_ASSERT_FATAL(strlen(name) == REEF_SHM_NAME_LEN - 1);
		extra[i] = reef_thread_create(name, NULL);
		CU_ASSERT_FATAL(extra[i] != NULL);
	}
	CU_ASSERT(reef_thread_get_count() == limits.max_threads);

	text[0] = '\0';
	do {
		CU_ASSERT(call(-1, "reef.thread.list", text[0] ? text : NULL, &reply) == 0);
		CU_ASSERT(reply.len <= REEF_MSG_PAYLOAD_MAX);
		n = parse_list(text_of(&reply), ids, 64, &more);
		CU_ASSERT_FATAL(n > 0);
		if (more != 0) {
			/* The page ends with the line that says where to go on. */
			CU_ASSERT(ids[n - 1] == more);
			snprintf(name, sizeof(name), "more after %llu\n", (unsigned long long)more);
			CU_ASSERT(strcmp(text_of(&reply) + reply.len - strlen(name), name) == 0);
		}
		for (i = 0; i < n; i++) {
			CU_ASSERT_FATAL(total < 64);
			seen[total++] = ids[i];
		}
		snprintf(text, sizeof(text), "after %llu", (unsigned long long)more);
		pages++;
	} while (more != 0 && pages < 10);
	CU_ASSERT(pages >= 2);
	/* Every thread exactly once, in id order, across the pages. */
	CU_ASSERT(total == (int)limits.max_threads);
	for (i = 1; i < total; i++) {
		CU_ASSERT(seen[i] > seen[i - 1]);
	}
	for (i = 0; i < nextra; i++) {
		bool found = false;

		for (j = 0; j < total; j++) {
			found |= seen[j] == reef_thread_get_id(extra[i]);
		}
		CU_ASSERT(found);
	}

	for (i = 0; i < nextra; i++) {
		reef_set_thread(extra[i]);
		reef_thread_exit(extra[i]);
		for (pass = 0; pass < 100 && !reef_thread_is_exited(extra[i]); pass++) {
			reef_thread_poll(extra[i], 0, 0);
		}
		CU_ASSERT(reef_thread_is_exited(extra[i]));
		reef_thread_destroy(extra[i]);
	}
	reef_set_thread(NULL);
	teardown();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, builtins_are_registered);
	UT_ADD(suite, ping_without_payload_says_pong);
	UT_ADD(suite, ping_with_payload_echoes_it);
	UT_ADD(suite, poller_pause_and_resume_on_own_thread);
	UT_ADD(suite, poller_pause_on_other_thread_is_refused);
	UT_ADD(suite, poller_pause_bad_id_is_refused);
	UT_ADD(suite, poller_pause_refuses_client_pollers);
	UT_ADD(suite, poller_timing_switches_on_and_off);
	UT_ADD(suite, poller_timing_garbage_is_refused);
	UT_ADD(suite, thread_list_lists_every_thread);
	UT_ADD(suite, thread_list_after_id_pages);
	UT_ADD(suite, thread_list_bad_payload_is_refused);
	UT_ADD(suite, thread_list_full_reply_ends_with_more_after);
	return 0;
}

UT_MAIN("client_builtin", add_tests)
