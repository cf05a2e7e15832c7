/*
 * Slots of the shared region: allocation (zeroed, generation bumped, odd
 * until published), freeing, full tables, ids, live counts, reactor slots
 * and the per-thread message rings.
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include <errno.h>
#include <pthread.h>

#include "reef/util.h"
#include "reef_internal/shm.h"

static bool
all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		if (b[i] != 0) {
			return false;
		}
	}
	return true;
}

static void
slot_alloc_is_zeroed_in_use_and_odd_until_published(void)
{
	struct reef_shm_thread *t, copy;
	int rc = 1;

	ut_env_init(NULL);
	t = reef_shm_slot_alloc(g_ut_region, REEF_SHM_THREADS, &rc);
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT(rc == 0);
	CU_ASSERT(t->hdr.in_use == 1);
	CU_ASSERT(t->hdr.gen == 1);
	CU_ASSERT(t->hdr.index == 0);
	CU_ASSERT(all_zero((const uint8_t *)t + sizeof(t->hdr), sizeof(*t) - sizeof(t->hdr)));
	/* Being written: readers cannot have it yet. */
	CU_ASSERT(t->hdr.seq & 1);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_THREADS, 0, &copy) == -EAGAIN);
	t->id = 7;
	reef_shm_slot_publish(t);
	CU_ASSERT((t->hdr.seq & 1) == 0);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_THREADS, 0, &copy) == 0);
	CU_ASSERT(copy.id == 7);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t);
	ut_env_fini();
}

static void
slot_alloc_lowest_free_index_first(void)
{
	struct reef_shm_poller *p[3];
	int i;

	ut_env_init(NULL);
	for (i = 0; i < 3; i++) {
		p[i] = reef_shm_slot_alloc(g_ut_region, REEF_SHM_POLLERS, NULL);
		CU_ASSERT_FATAL(p[i] != NULL);
		CU_ASSERT(p[i]->hdr.index == (uint32_t)i);
		CU_ASSERT((void *)p[i] ==
			  reef_shm_slot(g_ut_region, REEF_SHM_POLLERS, (uint32_t)i));
		reef_shm_slot_publish(p[i]);
	}
	/* A freed slot is the next one handed out. */
	reef_shm_slot_free(g_ut_region, REEF_SHM_POLLERS, p[1]);
	CU_ASSERT(reef_shm_slot_alloc(g_ut_region, REEF_SHM_POLLERS, NULL) == (void *)p[1]);
	reef_shm_slot_publish(p[1]);
	for (i = 0; i < 3; i++) {
		reef_shm_slot_free(g_ut_region, REEF_SHM_POLLERS, p[i]);
	}
	ut_env_fini();
}

static void
slot_reuse_bumps_gen_keeps_index_and_zeroes(void)
{
	struct reef_shm_device *d;
	uint32_t gen, index = UINT32_MAX;

	ut_env_init(NULL);
	for (gen = 1; gen <= 5; gen++) {
		d = reef_shm_slot_alloc(g_ut_region, REEF_SHM_DEVICES, NULL);
		CU_ASSERT_FATAL(d != NULL);
		CU_ASSERT(d->hdr.gen == gen);
		if (index == UINT32_MAX) {
			index = d->hdr.index;
		}
		CU_ASSERT(d->hdr.index == index);
		/* What the previous owner wrote is gone. */
		CU_ASSERT(d->id == 0 && d->name[0] == '\0' && d->refcnt == 0);
		d->id = 100 + gen;
		snprintf(d->name, sizeof(d->name), "dev%u", gen);
		d->refcnt = gen;
		reef_shm_slot_publish(d);
		reef_shm_slot_free(g_ut_region, REEF_SHM_DEVICES, d);
		CU_ASSERT(d->hdr.in_use == 0);
		CU_ASSERT((d->hdr.seq & 1) == 0);
		/* The generation survives the free; only the next alloc moves it. */
		CU_ASSERT(d->hdr.gen == gen);
	}
	ut_env_fini();
}

static void
slot_free_makes_slot_read_enoent(void)
{
	struct reef_shm_handler *h, copy;
	uint32_t index;

	ut_env_init(NULL);
	h = reef_shm_slot_alloc(g_ut_region, REEF_SHM_HANDLERS, NULL);
	CU_ASSERT_FATAL(h != NULL);
	index = h->hdr.index;
	reef_shm_slot_publish(h);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_HANDLERS, index, &copy) == 0);
	reef_shm_slot_free(g_ut_region, REEF_SHM_HANDLERS, h);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_HANDLERS, index, &copy) == -ENOENT);
	/* Freeing NULL is nothing. */
	reef_shm_slot_free(g_ut_region, REEF_SHM_HANDLERS, NULL);
	CU_ASSERT(reef_shm_get_header(g_ut_region)->handler_count == 0);
	ut_env_fini();
}

static void
slot_free_before_publish_leaves_it_readable(void)
{
	struct reef_shm_thread *t, copy;
	uint32_t index;

	ut_env_init(NULL);
	/* An error path: allocated, then given back without ever being published. */
	t = reef_shm_slot_alloc(g_ut_region, REEF_SHM_THREADS, NULL);
	CU_ASSERT_FATAL(t != NULL);
	index = t->hdr.index;
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t);
	CU_ASSERT((t->hdr.seq & 1) == 0);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_THREADS, index, &copy) == -ENOENT);
	/* The next owner's slot is odd while written and readable once published. */
	t = reef_shm_slot_alloc(g_ut_region, REEF_SHM_THREADS, NULL);
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT(t->hdr.index == index);
	CU_ASSERT(t->hdr.seq & 1);
	t->id = 9;
	reef_shm_slot_publish(t);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_THREADS, index, &copy) == 0);
	CU_ASSERT(copy.id == 9);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t);
	ut_env_fini();
}

static void
slot_double_free_is_refused(void)
{
	struct reef_shm_channel *c, *a, *b;

	ut_env_init(NULL);
	c = reef_shm_slot_alloc(g_ut_region, REEF_SHM_CHANNELS, NULL);
	CU_ASSERT_FATAL(c != NULL);
	reef_shm_slot_publish(c);
	reef_shm_slot_free(g_ut_region, REEF_SHM_CHANNELS, c);
	ut_log_capture();
	reef_shm_slot_free(g_ut_region, REEF_SHM_CHANNELS, c);
	ut_log_release();
	CU_ASSERT(strstr(g_ut_last_log, "freed twice") != NULL);
	CU_ASSERT(reef_shm_get_header(g_ut_region)->channel_count == 0);
	/* The slot went back once: two allocations get two different slots. */
	a = reef_shm_slot_alloc(g_ut_region, REEF_SHM_CHANNELS, NULL);
	b = reef_shm_slot_alloc(g_ut_region, REEF_SHM_CHANNELS, NULL);
	CU_ASSERT_FATAL(a != NULL && b != NULL);
	CU_ASSERT(a != b);
	reef_shm_slot_publish(a);
	reef_shm_slot_publish(b);
	reef_shm_slot_free(g_ut_region, REEF_SHM_CHANNELS, a);
	reef_shm_slot_free(g_ut_region, REEF_SHM_CHANNELS, b);
	ut_env_fini();
}

/* Fill table t, check the refusal, and give every slot back. */
static void
fill_table_expect_full(enum reef_shm_table t, uint32_t slots, const char *option)
{
	void *got[64];
	uint32_t i;
	int rc = 0;
	char expect[128];

	CU_ASSERT_FATAL(slots < REEF_COUNTOF(got));
	for (i = 0; i < slots; i++) {
		got[i] = reef_shm_slot_alloc(g_ut_region, t, &rc);
		CU_ASSERT_FATAL(got[i] != NULL);
		reef_shm_slot_publish(got[i]);
	}
	ut_log_capture();
	CU_ASSERT(reef_shm_slot_alloc(g_ut_region, t, &rc) == NULL);
	CU_ASSERT(rc == -ENOSPC);
	CU_ASSERT(g_ut_log_count == 1);
	snprintf(expect, sizeof(expect), "(%u slots): raise %s", slots, option);
	CU_ASSERT(strstr(g_ut_last_log, expect) != NULL);
	/* Without rc too. */
	CU_ASSERT(reef_shm_slot_alloc(g_ut_region, t, NULL) == NULL);
	ut_log_release();
	for (i = 0; i < slots; i++) {
		reef_shm_slot_free(g_ut_region, t, got[i]);
	}
	/* Room again. */
	got[0] = reef_shm_slot_alloc(g_ut_region, t, &rc);
	CU_ASSERT(got[0] != NULL && rc == 0);
	reef_shm_slot_publish(got[0]);
	reef_shm_slot_free(g_ut_region, t, got[0]);
}

static void
slot_table_full_is_enospc_naming_option(void)
{
	ut_env_init(NULL);
	fill_table_expect_full(REEF_SHM_HANDLERS, 16, "--max-handlers");
	/* Another table full at once still gets its own line. */
	fill_table_expect_full(REEF_SHM_CLIENTS, 4, "--max-clients");
	fill_table_expect_full(REEF_SHM_DEVICES, 16, "--max-devices");
	ut_env_fini();
}

static void
slot_alloc_bad_table_is_einval(void)
{
	int rc = 0;

	ut_env_init(NULL);
	/* Reactor slots are indexed by lcore, never allocated. */
	CU_ASSERT(reef_shm_slot_alloc(g_ut_region, REEF_SHM_REACTORS, &rc) == NULL);
	CU_ASSERT(rc == -EINVAL);
	rc = 0;
	CU_ASSERT(reef_shm_slot_alloc(g_ut_region, REEF_SHM_TABLE_COUNT, &rc) == NULL);
	CU_ASSERT(rc == -EINVAL);
	CU_ASSERT(reef_shm_get_header(g_ut_region)->reactor_count == 0);
	ut_env_fini();
}

static void
slot_next_id_monotonic_per_table(void)
{
	const struct reef_shm_header *hdr;
	void *s;
	uint64_t i;

	ut_env_init(NULL);
	hdr = reef_shm_get_header(g_ut_region);
	for (i = 1; i <= 5; i++) {
		CU_ASSERT(reef_shm_next_id(g_ut_region, REEF_SHM_THREADS) == i);
		/* Freeing and reallocating slots gives ids back to nobody. */
		s = reef_shm_slot_alloc(g_ut_region, REEF_SHM_THREADS, NULL);
		reef_shm_slot_publish(s);
		reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, s);
	}
	CU_ASSERT(hdr->next_thread_id == 6);
	CU_ASSERT(reef_shm_next_id(g_ut_region, REEF_SHM_POLLERS) == 1);
	CU_ASSERT(reef_shm_next_id(g_ut_region, REEF_SHM_POLLERS) == 2);
	CU_ASSERT(reef_shm_next_id(g_ut_region, REEF_SHM_DEVICES) == 1);
	CU_ASSERT(reef_shm_next_id(g_ut_region, REEF_SHM_THREADS) == 6);
	/* Tables without ids. */
	CU_ASSERT(reef_shm_next_id(g_ut_region, REEF_SHM_CHANNELS) == 0);
	CU_ASSERT(reef_shm_next_id(g_ut_region, REEF_SHM_REACTORS) == 0);
	ut_env_fini();
}

static void
slot_counts_follow_alloc_and_free(void)
{
	const struct reef_shm_header *hdr;
	void *t[3], *p[2], *c;
	int i;

	ut_env_init(NULL);
	hdr = reef_shm_get_header(g_ut_region);
	for (i = 0; i < 3; i++) {
		t[i] = reef_shm_slot_alloc(g_ut_region, REEF_SHM_THREADS, NULL);
		reef_shm_slot_publish(t[i]);
	}
	for (i = 0; i < 2; i++) {
		p[i] = reef_shm_slot_alloc(g_ut_region, REEF_SHM_POLLERS, NULL);
		reef_shm_slot_publish(p[i]);
	}
	c = reef_shm_slot_alloc(g_ut_region, REEF_SHM_CLIENTS, NULL);
	reef_shm_slot_publish(c);
	CU_ASSERT(hdr->thread_count == 3);
	CU_ASSERT(hdr->poller_count == 2);
	CU_ASSERT(hdr->client_count == 1);
	CU_ASSERT(hdr->device_count == 0 && hdr->channel_count == 0 && hdr->handler_count == 0);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t[1]);
	reef_shm_slot_free(g_ut_region, REEF_SHM_POLLERS, p[0]);
	CU_ASSERT(hdr->thread_count == 2);
	CU_ASSERT(hdr->poller_count == 1);
	/* Reactors are counted by hand, as they start. */
	reef_shm_count_add(g_ut_region, REEF_SHM_REACTORS, 2);
	reef_shm_count_add(g_ut_region, REEF_SHM_REACTORS, -1);
	CU_ASSERT(hdr->reactor_count == 1);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t[0]);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t[2]);
	reef_shm_slot_free(g_ut_region, REEF_SHM_POLLERS, p[1]);
	reef_shm_slot_free(g_ut_region, REEF_SHM_CLIENTS, c);
	CU_ASSERT(hdr->thread_count == 0 && hdr->poller_count == 0 && hdr->client_count == 0);
	ut_env_fini();
}

static void
slot_reactor_slots_indexed_by_lcore(void)
{
	struct reef_shm_reactor *r0, *r5, *last;

	ut_env_init(NULL);
	r0 = reef_shm_reactor_slot(g_ut_region, 0);
	r5 = reef_shm_reactor_slot(g_ut_region, 5);
	last = reef_shm_reactor_slot(g_ut_region, REEF_MAX_LCORE - 1);
	CU_ASSERT_FATAL(r0 != NULL && r5 != NULL && last != NULL);
	CU_ASSERT(r5->hdr.index == 5);
	CU_ASSERT(last->hdr.index == REEF_MAX_LCORE - 1);
	CU_ASSERT((uint8_t *)r5 - (uint8_t *)r0 == 5 * (ptrdiff_t)sizeof(struct reef_shm_reactor));
	CU_ASSERT((void *)r5 == reef_shm_slot(g_ut_region, REEF_SHM_REACTORS, 5));
	CU_ASSERT(reef_shm_reactor_slot(g_ut_region, REEF_MAX_LCORE) == NULL);
	ut_env_fini();
}

static void
slot_thread_rings_distinct_inside_region(void)
{
	const struct reef_shm_header *hdr;
	const uint8_t *base, *end, *prev = NULL;
	struct reef_ring *last;
	uint32_t n, i, cap;
	bool inside = true, spaced = true;
	uint64_t msg[2] = {0x1234, 0x5678};

	ut_env_init(NULL);
	hdr = reef_shm_get_header(g_ut_region);
	base = (const uint8_t *)hdr;
	end = base + hdr->region_size;
	n = hdr->limits.max_threads;
	for (i = 0; i < n; i++) {
		const uint8_t *ring = (const uint8_t *)reef_shm_thread_ring(g_ut_region, i);

		inside = inside && ring >= base + hdr->msg_rings_offset &&
			 ring + hdr->msg_ring_memsize <= end;
		spaced = spaced && (prev == NULL || ring == prev + hdr->msg_ring_memsize);
		prev = ring;
	}
	CU_ASSERT(inside);
	CU_ASSERT(spaced);
	CU_ASSERT(hdr->msg_ring_memsize >=
		  (uint64_t)reef_ring_memsize(hdr->limits.msg_ring_size, 16));
	CU_ASSERT(reef_shm_thread_ring(g_ut_region, n) == NULL);
	/* The last ring holds a full ring of 16-byte messages without leaving the region. */
	last = reef_shm_thread_ring(g_ut_region, n - 1);
	CU_ASSERT_FATAL(
		reef_ring_init(last, "ut_last", hdr->limits.msg_ring_size, REEF_RING_MP_SC) == 0);
	cap = reef_ring_capacity(last);
	CU_ASSERT(cap == hdr->limits.msg_ring_size - 1);
	for (i = 0; i < cap; i++) {
		CU_ASSERT_FATAL(reef_ring_enqueue_burst(last, msg, sizeof(msg), 1) == 1);
	}
	CU_ASSERT(reef_shm_thread_msgs_pending(g_ut_region, n - 1) == cap);
	CU_ASSERT(reef_shm_thread_msgs_pending(g_ut_region, n) == 0);
	ut_env_fini();
}

static void
slot_table_options_and_sizes(void)
{
	CU_ASSERT_STRING_EQUAL(reef_shm_table_option(REEF_SHM_THREADS), "--max-threads");
	CU_ASSERT_STRING_EQUAL(reef_shm_table_option(REEF_SHM_POLLERS), "--max-pollers");
	CU_ASSERT_STRING_EQUAL(reef_shm_table_option(REEF_SHM_DEVICES), "--max-devices");
	CU_ASSERT_STRING_EQUAL(reef_shm_table_option(REEF_SHM_CHANNELS), "--max-channels");
	CU_ASSERT_STRING_EQUAL(reef_shm_table_option(REEF_SHM_CLIENTS), "--max-clients");
	CU_ASSERT_STRING_EQUAL(reef_shm_table_option(REEF_SHM_HANDLERS), "--max-handlers");
	CU_ASSERT_STRING_EQUAL(reef_shm_table_option(REEF_SHM_TABLE_COUNT), "?");
	CU_ASSERT(reef_shm_slot_size(REEF_SHM_REACTORS) == sizeof(struct reef_shm_reactor));
	CU_ASSERT(reef_shm_slot_size(REEF_SHM_THREADS) == sizeof(struct reef_shm_thread));
	CU_ASSERT(reef_shm_slot_size(REEF_SHM_POLLERS) == sizeof(struct reef_shm_poller));
	CU_ASSERT(reef_shm_slot_size(REEF_SHM_DEVICES) == sizeof(struct reef_shm_device));
	CU_ASSERT(reef_shm_slot_size(REEF_SHM_CHANNELS) == sizeof(struct reef_shm_channel));
	CU_ASSERT(reef_shm_slot_size(REEF_SHM_CLIENTS) == sizeof(struct reef_shm_client));
	CU_ASSERT(reef_shm_slot_size(REEF_SHM_HANDLERS) == sizeof(struct reef_shm_handler));
	CU_ASSERT(reef_shm_slot_size(REEF_SHM_TABLE_COUNT) == 0);
}

#define ALLOCATORS   2
#define ALLOCS_EACH  100
#define ALLOC_ROUNDS 20

struct allocator {
	uint32_t index[ALLOCS_EACH];
	int failed;
};

static void *
allocator_main(void *ctx)
{
	struct allocator *a = ctx;
	void *slots[ALLOCS_EACH];
	int round, i;

	for (round = 0; round < ALLOC_ROUNDS; round++) {
		for (i = 0; i < ALLOCS_EACH; i++) {
			slots[i] = reef_shm_slot_alloc(g_ut_region, REEF_SHM_POLLERS, NULL);
			if (slots[i] == NULL) {
				a->failed++;
				return NULL;
			}
			a->index[i] = ((struct reef_shm_slot_hdr *)slots[i])->index;
			reef_shm_slot_publish(slots[i]);
		}
		if (round == ALLOC_ROUNDS - 1) {
			/* Keep the last round's slots for the test to inspect. */
			break;
		}
		for (i = 0; i < ALLOCS_EACH; i++) {
			reef_shm_slot_free(g_ut_region, REEF_SHM_POLLERS, slots[i]);
		}
	}
	return NULL;
}

static void
slot_alloc_and_free_are_thread_safe(void)
{
	struct allocator a[ALLOCATORS];
	pthread_t tid[ALLOCATORS];
	uint8_t owner[256];
	bool distinct = true;
	int t, i;

	ut_env_init(NULL);
	memset(a, 0, sizeof(a));
	for (t = 0; t < ALLOCATORS; t++) {
		CU_ASSERT_FATAL(pthread_create(&tid[t], NULL, allocator_main, &a[t]) == 0);
	}
	for (t = 0; t < ALLOCATORS; t++) {
		pthread_join(tid[t], NULL);
		CU_ASSERT(a[t].failed == 0);
	}
	/* Every slot held at the end belongs to exactly one thread. */
	memset(owner, 0, sizeof(owner));
	for (t = 0; t < ALLOCATORS; t++) {
		for (i = 0; i < ALLOCS_EACH; i++) {
			distinct = distinct && a[t].index[i] < 256 && owner[a[t].index[i]] == 0;
			if (a[t].index[i] < 256) {
				owner[a[t].index[i]] = 1;
			}
		}
	}
	CU_ASSERT(distinct);
	CU_ASSERT(reef_shm_get_header(g_ut_region)->poller_count == ALLOCATORS * ALLOCS_EACH);
	for (t = 0; t < ALLOCATORS; t++) {
		for (i = 0; i < ALLOCS_EACH; i++) {
			reef_shm_slot_free(
				g_ut_region, REEF_SHM_POLLERS,
				reef_shm_slot(g_ut_region, REEF_SHM_POLLERS, a[t].index[i]));
		}
	}
	CU_ASSERT(reef_shm_get_header(g_ut_region)->poller_count == 0);
	ut_env_fini();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, slot_alloc_is_zeroed_in_use_and_odd_until_published);
	UT_ADD(suite, slot_alloc_lowest_free_index_first);
	UT_ADD(suite, slot_reuse_bumps_gen_keeps_index_and_zeroes);
	UT_ADD(suite, slot_free_makes_slot_read_enoent);
	UT_ADD(suite, slot_free_before_publish_leaves_it_readable);
	UT_ADD(suite, slot_double_free_is_refused);
	UT_ADD(suite, slot_table_full_is_enospc_naming_option);
	UT_ADD(suite, slot_alloc_bad_table_is_einval);
	UT_ADD(suite, slot_next_id_monotonic_per_table);
	UT_ADD(suite, slot_counts_follow_alloc_and_free);
	UT_ADD(suite, slot_reactor_slots_indexed_by_lcore);
	UT_ADD(suite, slot_thread_rings_distinct_inside_region);
	UT_ADD(suite, slot_table_options_and_sizes);
	UT_ADD(suite, slot_alloc_and_free_are_thread_safe);
	return 0;
}

UT_MAIN("slot", add_tests)
