/*
 * An SPDK-style program, written with SPDK's names only, compiled through
 * reef/spdk_compat.h and run on Reef (fake env). Only the set-up of the
 * environment and region, which SPDK does in spdk_env_init, uses Reef names.
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include "reef/spdk_compat.h"

/* ---- from here on: SPDK code ---- */

struct nvme_ctrlr {
	int io_done;
};

struct ctrlr_channel {
	int qpair_id;
	struct spdk_poller *completion_poller;
};

static struct nvme_ctrlr g_ctrlr;
static int g_qpairs;
static int g_channels_seen;
static bool g_for_each_done;
static int g_threads_visited;
static bool g_for_each_thread_done;
static bool g_unregistered;

static int
completion_poll(void *arg)
{
	struct ctrlr_channel *ch = arg;

	(void)ch;
	g_ctrlr.io_done++;
	spdk_delay_us(1);
	return SPDK_POLLER_BUSY;
}

static int
ctrlr_create_channel(void *io_device, void *ctx_buf)
{
	struct ctrlr_channel *ch = ctx_buf;

	(void)io_device;
	ch->qpair_id = ++g_qpairs;
	ch->completion_poller = SPDK_POLLER_REGISTER(completion_poll, ch, 0);
	return ch->completion_poller ? 0 : -ENOMEM;
}

static void
ctrlr_destroy_channel(void *io_device, void *ctx_buf)
{
	struct ctrlr_channel *ch = ctx_buf;

	(void)io_device;
	spdk_poller_unregister(&ch->completion_poller);
}

static void
count_channel(struct spdk_io_channel_iter *i)
{
	struct spdk_io_channel *ch = spdk_io_channel_iter_get_channel(i);
	struct ctrlr_channel *cc = spdk_io_channel_get_ctx(ch);

	CU_ASSERT(cc->qpair_id > 0);
	CU_ASSERT(spdk_io_channel_get_thread(ch) == spdk_get_thread());
	CU_ASSERT(spdk_io_channel_iter_get_io_device(i) == &g_ctrlr);
	g_channels_seen++;
	spdk_for_each_channel_continue(i, 0);
}

static void
count_done(struct spdk_io_channel_iter *i, int status)
{
	CU_ASSERT(status == 0);
	CU_ASSERT(spdk_io_channel_iter_get_ctx(i) == &g_ctrlr);
	g_for_each_done = true;
}

static void
visit_thread(void *ctx)
{
	(void)ctx;
	g_threads_visited++;
}

static void
visit_done(void *ctx)
{
	(void)ctx;
	g_for_each_thread_done = true;
}

static void
ctrlr_unregistered(void *io_device)
{
	CU_ASSERT(io_device == &g_ctrlr);
	g_unregistered = true;
}

static void
get_channel_msg(void *ctx)
{
	struct spdk_io_channel **ch = ctx;

	*ch = spdk_get_io_channel(&g_ctrlr);
}

static void
put_channel_msg(void *ctx)
{
	struct spdk_io_channel **ch = ctx;

	spdk_put_io_channel(*ch);
}

static void
spdk_style_program_runs(void)
{
	struct spdk_thread *threads[3];
	struct spdk_io_channel *channels[3];
	struct spdk_thread_stats stats;
	struct spdk_cpuset mask;
	char name[16];
	int i, pass;

	ut_env_init(NULL);
	CU_ASSERT_FATAL(spdk_thread_lib_init(NULL, 0) == 0);
	spdk_cpuset_zero(&mask);
	spdk_cpuset_set_cpu(&mask, 0, true);
	CU_ASSERT_STRING_EQUAL(spdk_cpuset_fmt(&mask), "1");
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "spdk_%d", i);
		threads[i] = spdk_thread_create(name, &mask);
		CU_ASSERT_FATAL(threads[i] != NULL);
	}
	CU_ASSERT(spdk_thread_get_count() == 3);

	spdk_set_thread(threads[0]);
	spdk_io_device_register(&g_ctrlr, ctrlr_create_channel, ctrlr_destroy_channel,
				sizeof(struct ctrlr_channel), "nvme_ctrlr0");
	for (i = 0; i < 3; i++) {
		spdk_thread_send_msg(threads[i], get_channel_msg, &channels[i]);
	}
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < 3; i++) {
			spdk_thread_poll(threads[i], 0, 0);
		}
	}
	CU_ASSERT(g_qpairs == 3);
	CU_ASSERT(g_ctrlr.io_done > 0);

	spdk_set_thread(threads[1]);
	spdk_for_each_channel(&g_ctrlr, count_channel, &g_ctrlr, count_done);
	spdk_for_each_thread(visit_thread, NULL, visit_done);
	for (pass = 0; pass < 10; pass++) {
		for (i = 0; i < 3; i++) {
			spdk_thread_poll(threads[i], 0, 0);
		}
	}
	CU_ASSERT(g_channels_seen == 3 && g_for_each_done);
	CU_ASSERT(g_threads_visited == 3 && g_for_each_thread_done);

	spdk_set_thread(threads[0]);
	CU_ASSERT(spdk_thread_get_stats(&stats) == 0);
	CU_ASSERT(stats.busy_tsc > 0);
	for (i = 0; i < 3; i++) {
		spdk_thread_send_msg(threads[i], put_channel_msg, &channels[i]);
	}
	spdk_io_device_unregister(&g_ctrlr, ctrlr_unregistered);
	for (i = 0; i < 3; i++) {
		spdk_set_thread(threads[i]);
		spdk_thread_exit(threads[i]);
	}
	for (pass = 0; pass < 10; pass++) {
		for (i = 0; i < 3; i++) {
			spdk_thread_poll(threads[i], 0, 0);
		}
	}
	CU_ASSERT(g_unregistered);
	for (i = 0; i < 3; i++) {
		CU_ASSERT(spdk_thread_is_exited(threads[i]));
		spdk_thread_destroy(threads[i]);
	}
	spdk_thread_lib_fini();
	ut_env_fini();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, spdk_style_program_runs);
	return 0;
}

UT_MAIN("spdk_compat", add_tests)
