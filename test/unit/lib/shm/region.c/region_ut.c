/*
 * The shared region: limits, layout, the header a primary publishes, and
 * everything an attaching reader checks before trusting it (magic, ABI
 * version, slot sizes, bounds, a live primary).
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "reef/proc.h"
#include "reef/util.h"
#include "reef_internal/shm.h"

static struct reef_shm_header *
live_header(void)
{
	/* The primary's own, writable view: tests corrupt it on purpose. */
	return (struct reef_shm_header *)reef_shm_get_header(g_ut_region);
}

/* Attach to "ut" from this process; the log line of a refusal lands in g_ut_last_log. */
static int
attach_ut(struct reef_shm_region **out)
{
	int rc;

	ut_log_capture();
	rc = reef_shm_attach("ut", out);
	ut_log_release();
	return rc;
}

static void
region_limits_defaults(void)
{
	struct reef_shm_limits limits;

	memset(&limits, 0xff, sizeof(limits));
	reef_shm_limits_init(&limits);
	CU_ASSERT(limits.max_threads == REEF_SHM_DEFAULT_MAX_THREADS);
	CU_ASSERT(limits.max_pollers == REEF_SHM_DEFAULT_MAX_POLLERS);
	CU_ASSERT(limits.max_devices == REEF_SHM_DEFAULT_MAX_DEVICES);
	CU_ASSERT(limits.max_channels == REEF_SHM_DEFAULT_MAX_CHANNELS);
	CU_ASSERT(limits.max_clients == REEF_SHM_DEFAULT_MAX_CLIENTS);
	CU_ASSERT(limits.max_handlers == REEF_SHM_DEFAULT_MAX_HANDLERS);
	CU_ASSERT(limits.msg_ring_size == REEF_SHM_DEFAULT_MSG_RING);
	CU_ASSERT(limits.reserved == 0);
	CU_ASSERT(reef_shm_limits_validate(&limits) == 0);
}

static void
region_limits_zero_is_einval_naming_option(void)
{
	static const struct {
		size_t offset;
		const char *option;
	} fields[] = {
		{offsetof(struct reef_shm_limits, max_threads), "--max-threads"},
		{offsetof(struct reef_shm_limits, max_pollers), "--max-pollers"},
		{offsetof(struct reef_shm_limits, max_devices), "--max-devices"},
		{offsetof(struct reef_shm_limits, max_channels), "--max-channels"},
		{offsetof(struct reef_shm_limits, max_clients), "--max-clients"},
		{offsetof(struct reef_shm_limits, max_handlers), "--max-handlers"},
	};
	struct reef_shm_limits limits;
	size_t i;

	for (i = 0; i < REEF_COUNTOF(fields); i++) {
		uint32_t *field;

		ut_limits(&limits);
		field = (uint32_t *)((char *)&limits + fields[i].offset);
		*field = 0;
		ut_log_capture();
		CU_ASSERT(reef_shm_limits_validate(&limits) == -EINVAL);
		CU_ASSERT(g_ut_log_count == 1);
		CU_ASSERT(strstr(g_ut_last_log, fields[i].option) != NULL);
		/* Above the most slots a table may have. */
		*field = REEF_SHM_MAX_SLOTS + 1;
		CU_ASSERT(reef_shm_limits_validate(&limits) == -EINVAL);
		CU_ASSERT(strstr(g_ut_last_log, fields[i].option) != NULL);
		*field = REEF_SHM_MAX_SLOTS;
		g_ut_log_count = 0;
		CU_ASSERT(reef_shm_limits_validate(&limits) == 0);
		CU_ASSERT(g_ut_log_count == 0);
		ut_log_release();
	}
}

static void
region_limits_msg_ring_must_be_power_of_two(void)
{
	static const uint32_t bad[] = {0, 1000, 4095, 32, 63, 1u << 21};
	struct reef_shm_limits limits;
	size_t i;

	ut_limits(&limits);
	for (i = 0; i < REEF_COUNTOF(bad); i++) {
		limits.msg_ring_size = bad[i];
		ut_log_capture();
		CU_ASSERT(reef_shm_limits_validate(&limits) == -EINVAL);
		ut_log_release();
		CU_ASSERT(strstr(g_ut_last_log, "--msg-ring-size") != NULL);
		CU_ASSERT(strstr(g_ut_last_log, "power of two") != NULL);
	}
	limits.msg_ring_size = 64;
	CU_ASSERT(reef_shm_limits_validate(&limits) == 0);
	limits.msg_ring_size = 1u << 20;
	CU_ASSERT(reef_shm_limits_validate(&limits) == 0);
}

/* The region is rounded up to whole pages: growth is exact to within one page. */
#define PAGE 4096

static void
region_size_grows_with_limits(void)
{
	struct reef_shm_limits base, more;
	size_t size, thread_bytes;

	ut_limits(&base);
	size = reef_shm_region_size(&base);
	CU_ASSERT(size % PAGE == 0);
	thread_bytes =
		sizeof(struct reef_shm_thread) + (size_t)reef_ring_memsize(base.msg_ring_size, 16);
	/* At least the header page, every table and every ring. */
	CU_ASSERT(size >= PAGE + REEF_MAX_LCORE * sizeof(struct reef_shm_reactor) +
				  base.max_threads * thread_bytes +
				  base.max_pollers * sizeof(struct reef_shm_poller) +
				  base.max_channels * sizeof(struct reef_shm_channel));
	more = base;
	more.max_threads += 8;
	CU_ASSERT(reef_shm_region_size(&more) + PAGE > size + 8 * thread_bytes);
	CU_ASSERT(reef_shm_region_size(&more) > size);
	more = base;
	more.max_pollers *= 2;
	CU_ASSERT(reef_shm_region_size(&more) + PAGE >
		  size + base.max_pollers * sizeof(struct reef_shm_poller));
	more = base;
	more.msg_ring_size *= 2;
	CU_ASSERT(reef_shm_region_size(&more) + PAGE >
		  size + (size_t)base.max_threads * base.msg_ring_size * 16);
	more = base;
	more.max_channels += 2 * PAGE / sizeof(struct reef_shm_channel);
	CU_ASSERT(reef_shm_region_size(&more) > size);
	/* Never smaller for one more slot of anything. */
	more = base;
	more.max_handlers++;
	CU_ASSERT(reef_shm_region_size(&more) >= size);
	/* The same limits always give the same size. */
	CU_ASSERT(reef_shm_region_size(&base) == size);
}

static void
region_create_fills_header(void)
{
	struct reef_shm_limits limits;
	const struct reef_shm_header *hdr;
	uint64_t start_time = 0;

	ut_limits(&limits);
	ut_env_init(&limits);
	hdr = reef_shm_get_header(g_ut_region);
	CU_ASSERT(reef_shm_get_local() == g_ut_region);
	CU_ASSERT(hdr->magic == REEF_SHM_MAGIC);
	CU_ASSERT(hdr->abi_version == REEF_SHM_ABI_VERSION);
	CU_ASSERT(hdr->header_size == sizeof(struct reef_shm_header));
	CU_ASSERT(hdr->region_size == reef_shm_region_size(&limits));
	CU_ASSERT(hdr->state == REEF_REGION_STARTING);
	CU_ASSERT(reef_shm_get_state(g_ut_region) == REEF_REGION_STARTING);
	CU_ASSERT(hdr->primary_pid == getpid());
	CU_ASSERT(reef_proc_start_time(getpid(), &start_time) == 0);
	CU_ASSERT(hdr->primary_start_time == start_time);
	CU_ASSERT(hdr->generation != 0);
	CU_ASSERT(hdr->tsc_hz == REEF_ENV_FAKE_TICKS_HZ);
	CU_ASSERT_STRING_EQUAL(hdr->app_name, "ut");
	CU_ASSERT(memcmp(&hdr->limits, &limits, sizeof(limits)) == 0);
	CU_ASSERT(hdr->next_thread_id == 1);
	CU_ASSERT(hdr->next_poller_id == 1);
	CU_ASSERT(hdr->next_device_id == 1);
	CU_ASSERT(hdr->thread_count == 0 && hdr->poller_count == 0 && hdr->device_count == 0);
	CU_ASSERT(hdr->main_lcore == reef_env_main_lcore());
	CU_ASSERT(reef_shm_primary_alive(g_ut_region));
	ut_env_fini();
	CU_ASSERT(reef_shm_get_local() == NULL);
}

static void
region_create_stamps_fake_clock(void)
{
	struct reef_env_opts opts;
	struct reef_shm_limits limits;
	struct reef_shm_region *r;

	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = "clock";
	CU_ASSERT_FATAL(reef_env_init(&opts) == 0);
	ut_limits(&limits);
	reef_env_fake_set_ticks(123456);
	CU_ASSERT_FATAL(reef_shm_create("clock", &limits, &r) == 0);
	CU_ASSERT(reef_shm_get_header(r)->created_tsc == 123456);
	CU_ASSERT(reef_shm_get_header(r)->state_tsc == 123456);
	reef_shm_destroy(r);
	reef_env_fini();
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
}

static void
region_create_with_defaults(void)
{
	struct reef_shm_limits limits;
	const struct reef_shm_header *hdr;

	reef_shm_limits_init(&limits);
	ut_env_init(&limits);
	hdr = reef_shm_get_header(g_ut_region);
	CU_ASSERT(hdr->region_size == reef_shm_region_size(&limits));
	CU_ASSERT(reef_shm_table_count(g_ut_region, REEF_SHM_REACTORS) == REEF_MAX_LCORE);
	CU_ASSERT(reef_shm_table_count(g_ut_region, REEF_SHM_THREADS) ==
		  REEF_SHM_DEFAULT_MAX_THREADS);
	CU_ASSERT(reef_shm_table_count(g_ut_region, REEF_SHM_POLLERS) ==
		  REEF_SHM_DEFAULT_MAX_POLLERS);
	CU_ASSERT(reef_shm_table_count(g_ut_region, REEF_SHM_DEVICES) ==
		  REEF_SHM_DEFAULT_MAX_DEVICES);
	CU_ASSERT(reef_shm_table_count(g_ut_region, REEF_SHM_CHANNELS) ==
		  REEF_SHM_DEFAULT_MAX_CHANNELS);
	CU_ASSERT(reef_shm_table_count(g_ut_region, REEF_SHM_CLIENTS) ==
		  REEF_SHM_DEFAULT_MAX_CLIENTS);
	CU_ASSERT(reef_shm_table_count(g_ut_region, REEF_SHM_HANDLERS) ==
		  REEF_SHM_DEFAULT_MAX_HANDLERS);
	CU_ASSERT(reef_shm_table_count(g_ut_region, REEF_SHM_TABLE_COUNT) == 0);
	ut_env_fini();
}

static void
region_tables_aligned_disjoint_and_inside(void)
{
	const struct reef_shm_header *hdr;
	uint64_t end = 0;
	enum reef_shm_table t;
	uint32_t i;
	bool indexed = true, free_and_even = true;

	ut_env_init(NULL);
	hdr = reef_shm_get_header(g_ut_region);
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		const struct reef_shm_table_desc *d = &hdr->tables[t];

		CU_ASSERT(d->slot_size == reef_shm_slot_size(t));
		CU_ASSERT(d->offset % REEF_CACHE_LINE == 0);
		/* Tables follow the header page, in order, without overlapping. */
		CU_ASSERT(d->offset >= 4096);
		CU_ASSERT(d->offset >= end);
		end = d->offset + (uint64_t)d->count * d->slot_size;
		CU_ASSERT(end <= hdr->region_size);
		for (i = 0; i < d->count; i++) {
			const struct reef_shm_slot_hdr *s = reef_shm_slot(g_ut_region, t, i);

			indexed = indexed && s->index == i;
			free_and_even =
				free_and_even && s->in_use == 0 && s->gen == 0 && (s->seq & 1) == 0;
		}
		CU_ASSERT(reef_shm_slot(g_ut_region, t, d->count) == NULL);
	}
	CU_ASSERT(indexed);
	CU_ASSERT(free_and_even);
	CU_ASSERT(hdr->msg_rings_offset >= end);
	CU_ASSERT(hdr->msg_rings_offset % REEF_CACHE_LINE == 0);
	CU_ASSERT(hdr->msg_ring_memsize ==
		  (uint64_t)reef_ring_memsize(hdr->limits.msg_ring_size, 16));
	end = hdr->msg_rings_offset + hdr->limits.max_threads * hdr->msg_ring_memsize;
	CU_ASSERT(end <= hdr->region_size);
	/* Client areas last, page-aligned. */
	CU_ASSERT(hdr->client_areas_offset >= end);
	CU_ASSERT(hdr->client_areas_offset % 4096 == 0);
	CU_ASSERT(hdr->client_areas_offset + hdr->limits.max_clients * hdr->client_area_size <=
		  hdr->region_size);
	CU_ASSERT(reef_shm_slot(g_ut_region, REEF_SHM_TABLE_COUNT, 0) == NULL);
	ut_env_fini();
}

static void
region_create_bad_limits_is_einval_and_leaks_nothing(void)
{
	struct reef_env_opts opts;
	struct reef_shm_limits limits;
	struct reef_shm_region *r = NULL;

	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = "ut";
	CU_ASSERT_FATAL(reef_env_init(&opts) == 0);
	ut_limits(&limits);
	limits.max_pollers = 0;
	ut_log_capture();
	CU_ASSERT(reef_shm_create("ut", &limits, &r) == -EINVAL);
	ut_log_release();
	CU_ASSERT(r == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "--max-pollers") != NULL);
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
	CU_ASSERT(reef_shm_get_local() == NULL);
	reef_env_fini();
}

static void
region_create_needs_a_primary(void)
{
	struct reef_env_opts opts;
	struct reef_shm_limits limits;
	struct reef_shm_region *r = NULL;

	ut_limits(&limits);
	ut_log_capture();
	/* No env at all. */
	CU_ASSERT(reef_shm_create("ut", &limits, &r) == -EPERM);
	CU_ASSERT(strstr(g_ut_last_log, "primary") != NULL);
	/* A secondary. */
	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = "ut";
	opts.role = REEF_ENV_SECONDARY;
	CU_ASSERT_FATAL(reef_env_init(&opts) == 0);
	CU_ASSERT(reef_shm_create("ut", &limits, &r) == -EPERM);
	ut_log_release();
	CU_ASSERT(r == NULL);
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
	reef_env_fini();
}

static void
region_create_twice_is_eexist(void)
{
	struct reef_shm_limits limits;
	struct reef_shm_region *again = NULL;

	ut_env_init(NULL);
	ut_limits(&limits);
	ut_log_capture();
	CU_ASSERT(reef_shm_create("ut", &limits, &again) == -EEXIST);
	ut_log_release();
	CU_ASSERT(again == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "already exists") != NULL);
	/* The first one is untouched. */
	CU_ASSERT(reef_shm_get_local() == g_ut_region);
	CU_ASSERT(reef_env_fake_memzone_count() == 1);
	ut_env_fini();
}

static void
region_create_without_memory_says_how_much(void)
{
	struct reef_env_opts opts;
	struct reef_shm_limits limits;
	struct reef_shm_region *r = NULL;

	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = "ut";
	CU_ASSERT_FATAL(reef_env_init(&opts) == 0);
	ut_limits(&limits);
	reef_env_fake_fail_memzone(1);
	ut_log_capture();
	CU_ASSERT(reef_shm_create("ut", &limits, &r) == -ENOMEM);
	ut_log_release();
	CU_ASSERT(r == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "MiB") != NULL);
	CU_ASSERT(strstr(g_ut_last_log, "setup.sh") != NULL);
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
	/* The next attempt works. */
	CU_ASSERT(reef_shm_create("ut", &limits, &r) == 0);
	reef_shm_destroy(r);
	reef_env_fini();
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
}

static void
region_generation_unique_per_instance(void)
{
	uint64_t first;

	ut_env_init(NULL);
	first = reef_shm_get_header(g_ut_region)->generation;
	ut_env_fini();
	ut_env_init(NULL);
	CU_ASSERT(reef_shm_get_header(g_ut_region)->generation != first);
	ut_env_fini();
}

static void
region_set_state_is_visible(void)
{
	static const uint32_t states[] = {REEF_REGION_RUNNING, REEF_REGION_STOPPING,
					  REEF_REGION_STOPPED, REEF_REGION_STARTING};
	size_t i;

	ut_env_init(NULL);
	for (i = 0; i < REEF_COUNTOF(states); i++) {
		reef_env_fake_advance_ticks(10);
		reef_shm_set_state(g_ut_region, states[i]);
		CU_ASSERT(reef_shm_get_state(g_ut_region) == states[i]);
		CU_ASSERT(reef_shm_get_header(g_ut_region)->state == states[i]);
		CU_ASSERT(reef_shm_get_header(g_ut_region)->state_tsc == reef_get_ticks());
	}
	CU_ASSERT_STRING_EQUAL(reef_shm_region_state_str(REEF_REGION_STARTING), "starting");
	CU_ASSERT_STRING_EQUAL(reef_shm_region_state_str(REEF_REGION_RUNNING), "running");
	CU_ASSERT_STRING_EQUAL(reef_shm_region_state_str(REEF_REGION_STOPPING), "stopping");
	CU_ASSERT_STRING_EQUAL(reef_shm_region_state_str(REEF_REGION_STOPPED), "stopped");
	CU_ASSERT_STRING_EQUAL(reef_shm_region_state_str(0), "unknown");
	ut_env_fini();
}

static void
region_primary_alive_until_stopped(void)
{
	struct reef_shm_header *hdr;
	uint64_t st;

	ut_env_init(NULL);
	hdr = live_header();
	CU_ASSERT(reef_shm_primary_alive(g_ut_region));
	/* Another process that happens to have the primary's pid. */
	st = hdr->primary_start_time;
	hdr->primary_start_time = st + 1;
	CU_ASSERT(!reef_shm_primary_alive(g_ut_region));
	hdr->primary_start_time = st;
	reef_shm_set_state(g_ut_region, REEF_REGION_STOPPED);
	CU_ASSERT(!reef_shm_primary_alive(g_ut_region));
	ut_env_fini();
}

static void
region_attach_in_same_process(void)
{
	struct reef_shm_region *r = NULL;

	ut_env_init(NULL);
	reef_shm_set_state(g_ut_region, REEF_REGION_RUNNING);
	CU_ASSERT_FATAL(attach_ut(&r) == 0);
	CU_ASSERT(r != g_ut_region);
	/* The same memory, seen through another handle. */
	CU_ASSERT(reef_shm_get_header(r) == reef_shm_get_header(g_ut_region));
	CU_ASSERT(reef_shm_get_state(r) == REEF_REGION_RUNNING);
	CU_ASSERT(reef_shm_table_count(r, REEF_SHM_THREADS) == 32);
	CU_ASSERT(reef_shm_slot(r, REEF_SHM_POLLERS, 3) ==
		  reef_shm_slot(g_ut_region, REEF_SHM_POLLERS, 3));
	CU_ASSERT(reef_shm_primary_alive(r));
	/* A reader cannot allocate. */
	CU_ASSERT(reef_shm_slot_alloc(r, REEF_SHM_THREADS, NULL) == NULL);
	reef_shm_detach(r);
	/* Detaching the primary's own handle does nothing. */
	reef_shm_detach(g_ut_region);
	CU_ASSERT(reef_shm_get_state(g_ut_region) == REEF_REGION_RUNNING);
	ut_env_fini();
}

static void
region_attach_other_name_is_einval(void)
{
	struct reef_shm_region *r = NULL;

	ut_env_init(NULL);
	ut_log_capture();
	CU_ASSERT(reef_shm_attach("other", &r) == -EINVAL);
	ut_log_release();
	CU_ASSERT(r == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "'other'") != NULL);
	ut_env_fini();
}

static void
region_attach_abi_version_mismatch_is_eproto(void)
{
	struct reef_shm_region *r = NULL;
	struct reef_shm_header *hdr;
	char expect[64];

	ut_env_init(NULL);
	hdr = live_header();
	hdr->abi_version = REEF_SHM_ABI_VERSION + 1;
	CU_ASSERT(attach_ut(&r) == -EPROTO);
	CU_ASSERT(r == NULL);
	CU_ASSERT(g_ut_log_count == 1);
	snprintf(expect, sizeof(expect), "ABI version %u, this program version %u",
		 REEF_SHM_ABI_VERSION + 1, REEF_SHM_ABI_VERSION);
	CU_ASSERT(strstr(g_ut_last_log, expect) != NULL);
	CU_ASSERT(strstr(g_ut_last_log, "same Reef build") != NULL);
	hdr->abi_version = REEF_SHM_ABI_VERSION;
	/* A header of another size is another ABI too. */
	hdr->header_size += 8;
	CU_ASSERT(attach_ut(&r) == -EPROTO);
	hdr->header_size -= 8;
	CU_ASSERT(attach_ut(&r) == 0);
	reef_shm_detach(r);
	ut_env_fini();
}

static void
region_attach_slot_size_mismatch_is_eproto(void)
{
	struct reef_shm_region *r = NULL;
	struct reef_shm_header *hdr;
	enum reef_shm_table t;

	ut_env_init(NULL);
	hdr = live_header();
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		hdr->tables[t].slot_size += 8;
		CU_ASSERT(attach_ut(&r) == -EPROTO);
		CU_ASSERT(strstr(g_ut_last_log, "different region layout") != NULL);
		hdr->tables[t].slot_size -= 8;
	}
	CU_ASSERT(r == NULL);
	CU_ASSERT(attach_ut(&r) == 0);
	reef_shm_detach(r);
	ut_env_fini();
}

static void
region_attach_out_of_bounds_header_is_eproto(void)
{
	struct reef_shm_region *r = NULL;
	struct reef_shm_header *hdr;
	uint64_t size;
	uint32_t count;

	ut_env_init(NULL);
	hdr = live_header();
	/* A table reaching past the end of the region. */
	count = hdr->tables[REEF_SHM_CHANNELS].count;
	hdr->tables[REEF_SHM_CHANNELS].count = UINT32_MAX;
	CU_ASSERT(attach_ut(&r) == -EPROTO);
	CU_ASSERT(strstr(g_ut_last_log, "corrupt") != NULL);
	hdr->tables[REEF_SHM_CHANNELS].count = count;
	/* A region claiming more bytes than its memzone has. */
	size = hdr->region_size;
	hdr->region_size = size + (64ULL << 20);
	CU_ASSERT(attach_ut(&r) == -EPROTO);
	CU_ASSERT(strstr(g_ut_last_log, "corrupt") != NULL);
	hdr->region_size = size;
	CU_ASSERT(r == NULL);
	ut_env_fini();
}

static void
region_attach_stopped_is_eshutdown(void)
{
	struct reef_shm_region *r = NULL;
	struct reef_shm_header *hdr;
	uint64_t st;

	ut_env_init(NULL);
	reef_shm_set_state(g_ut_region, REEF_REGION_STOPPED);
	CU_ASSERT(attach_ut(&r) == -ESHUTDOWN);
	CU_ASSERT(strstr(g_ut_last_log, "has stopped") != NULL);
	/* A primary that died without saying so: its start time no longer matches. */
	reef_shm_set_state(g_ut_region, REEF_REGION_RUNNING);
	hdr = live_header();
	st = hdr->primary_start_time;
	hdr->primary_start_time = st + 1;
	CU_ASSERT(attach_ut(&r) == -ESHUTDOWN);
	hdr->primary_start_time = st;
	CU_ASSERT(r == NULL);
	ut_env_fini();
}

static void
region_attach_without_magic_times_out(void)
{
	struct reef_shm_region *r = NULL;
	struct reef_shm_header *hdr;

	/* The one slow test: attach waits its full 2 s (real time) for the magic. */
	ut_env_init(NULL);
	hdr = live_header();
	__atomic_store_n(&hdr->magic, 0, __ATOMIC_RELAXED);
	CU_ASSERT(attach_ut(&r) == -ETIMEDOUT);
	CU_ASSERT(r == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "did not finish publishing") != NULL);
	__atomic_store_n(&hdr->magic, REEF_SHM_MAGIC, __ATOMIC_RELEASE);
	ut_env_fini();
}

static void
region_destroy_frees_memzone(void)
{
	struct reef_env_opts opts;
	struct reef_shm_limits limits;
	struct reef_shm_region *r;

	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = "ut";
	CU_ASSERT_FATAL(reef_env_init(&opts) == 0);
	ut_limits(&limits);
	CU_ASSERT_FATAL(reef_shm_create("ut", &limits, &r) == 0);
	CU_ASSERT(reef_env_fake_memzone_count() == 1);
	CU_ASSERT(reef_memzone_lookup("reef.ut.region", NULL) == reef_shm_get_header(r));
	reef_shm_destroy(r);
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
	CU_ASSERT(reef_memzone_lookup("reef.ut.region", NULL) == NULL);
	CU_ASSERT(reef_shm_get_local() == NULL);
	reef_shm_destroy(NULL);
	/* The name can be used again. */
	CU_ASSERT_FATAL(reef_shm_create("ut", &limits, &r) == 0);
	reef_shm_destroy(r);
	reef_env_fini();
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
}

static void
region_close_marks_stopped_and_keeps_memory(void)
{
	struct reef_env_opts opts;
	struct reef_shm_limits limits;
	const struct reef_shm_header *hdr;
	struct reef_shm_region *r;

	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = "ut";
	CU_ASSERT_FATAL(reef_env_init(&opts) == 0);
	ut_limits(&limits);
	CU_ASSERT_FATAL(reef_shm_create("ut", &limits, &r) == 0);
	hdr = reef_shm_get_header(r);
	reef_shm_close(r);
	/* Readers elsewhere may still map it: the memory stays, marked stopped. */
	CU_ASSERT(reef_shm_get_local() == NULL);
	CU_ASSERT(reef_env_fake_memzone_count() == 1);
	CU_ASSERT(reef_memzone_lookup("reef.ut.region", NULL) == hdr);
	CU_ASSERT(__atomic_load_n(&hdr->state, __ATOMIC_ACQUIRE) == REEF_REGION_STOPPED);
	reef_shm_close(NULL);
	CU_ASSERT(reef_memzone_free("reef.ut.region") == 0);
	reef_env_fini();
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, region_limits_defaults);
	UT_ADD(suite, region_limits_zero_is_einval_naming_option);
	UT_ADD(suite, region_limits_msg_ring_must_be_power_of_two);
	UT_ADD(suite, region_size_grows_with_limits);
	UT_ADD(suite, region_create_fills_header);
	UT_ADD(suite, region_create_stamps_fake_clock);
	UT_ADD(suite, region_create_with_defaults);
	UT_ADD(suite, region_tables_aligned_disjoint_and_inside);
	UT_ADD(suite, region_create_bad_limits_is_einval_and_leaks_nothing);
	UT_ADD(suite, region_create_needs_a_primary);
	UT_ADD(suite, region_create_twice_is_eexist);
	UT_ADD(suite, region_create_without_memory_says_how_much);
	UT_ADD(suite, region_generation_unique_per_instance);
	UT_ADD(suite, region_set_state_is_visible);
	UT_ADD(suite, region_primary_alive_until_stopped);
	UT_ADD(suite, region_attach_in_same_process);
	UT_ADD(suite, region_attach_other_name_is_einval);
	UT_ADD(suite, region_attach_abi_version_mismatch_is_eproto);
	UT_ADD(suite, region_attach_slot_size_mismatch_is_eproto);
	UT_ADD(suite, region_attach_out_of_bounds_header_is_eproto);
	UT_ADD(suite, region_attach_stopped_is_eshutdown);
	UT_ADD(suite, region_attach_without_magic_times_out);
	UT_ADD(suite, region_destroy_frees_memzone);
	UT_ADD(suite, region_close_marks_stopped_and_keeps_memory);
	return 0;
}

UT_MAIN("region", add_tests)
