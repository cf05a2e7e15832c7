/*
 * Readers of the shared region: consistent slot copies through the seqlock,
 * free and bad slots, a writer that never finishes, snapshots, and a real
 * concurrent writer that must never hand a reader a torn record.
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include <errno.h>
#include <pthread.h>

#include "reef/seqlock.h"
#include "reef/util.h"
#include "reef_internal/shm.h"

/* Allocate and publish a thread slot with recognisable contents. */
static struct reef_shm_thread *
publish_thread(uint64_t id, const char *name)
{
	struct reef_shm_thread *t = reef_shm_slot_alloc(g_ut_region, REEF_SHM_THREADS, NULL);

	CU_ASSERT_FATAL(t != NULL);
	t->id = id;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->lcore = 3;
	t->busy_tsc = id * 10;
	t->polls = id * 100;
	reef_shm_slot_publish(t);
	return t;
}

static void
read_published_slot_is_exact_copy(void)
{
	struct reef_shm_thread *t, copy;

	ut_env_init(NULL);
	t = publish_thread(42, "reader_one");
	memset(&copy, 0xee, sizeof(copy));
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_THREADS, t->hdr.index, &copy) == 0);
	CU_ASSERT(memcmp(&copy, t, sizeof(copy)) == 0);
	CU_ASSERT(copy.id == 42);
	CU_ASSERT_STRING_EQUAL(copy.name, "reader_one");
	CU_ASSERT(copy.hdr.in_use == 1 && copy.hdr.gen == 1);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t);
	ut_env_fini();
}

static void
read_through_attached_handle(void)
{
	struct reef_shm_region *r = NULL;
	struct reef_shm_thread *t, copy;

	ut_env_init(NULL);
	t = publish_thread(5, "seen_by_reader");
	CU_ASSERT_FATAL(reef_shm_attach("ut", &r) == 0);
	CU_ASSERT(reef_shm_read(r, REEF_SHM_THREADS, t->hdr.index, &copy) == 0);
	CU_ASSERT(memcmp(&copy, t, sizeof(copy)) == 0);
	reef_shm_detach(r);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t);
	ut_env_fini();
}

static void
read_free_slot_is_enoent(void)
{
	struct reef_shm_poller copy;
	struct reef_shm_reactor reactor;
	void *p;

	ut_env_init(NULL);
	memset(&copy, 0xee, sizeof(copy));
	/* Never allocated. */
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_POLLERS, 0, &copy) == -ENOENT);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_POLLERS, 255, &copy) == -ENOENT);
	/* Reactor slots of lcores that run no reactor. */
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_REACTORS, 0, &reactor) == -ENOENT);
	/* Freed. */
	p = reef_shm_slot_alloc(g_ut_region, REEF_SHM_POLLERS, NULL);
	reef_shm_slot_publish(p);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_POLLERS, 0, &copy) == 0);
	reef_shm_slot_free(g_ut_region, REEF_SHM_POLLERS, p);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_POLLERS, 0, &copy) == -ENOENT);
	ut_env_fini();
}

static void
read_bad_index_or_table_is_einval(void)
{
	struct reef_shm_thread copy;
	uint32_t n;

	ut_env_init(NULL);
	n = reef_shm_table_count(g_ut_region, REEF_SHM_THREADS);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_THREADS, n, &copy) == -EINVAL);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_THREADS, UINT32_MAX, &copy) == -EINVAL);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_TABLE_COUNT, 0, &copy) == -EINVAL);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_REACTORS, REEF_MAX_LCORE, &copy) == -EINVAL);
	ut_env_fini();
}

static void
read_slot_held_odd_is_eagain(void)
{
	struct reef_shm_thread *t, copy;

	ut_env_init(NULL);
	t = publish_thread(1, "stuck");
	/* A writer that began and never ended: readers give up after bounded retries. */
	reef_seqlock_write_begin(&t->hdr.seq);
	t->polls = 999;
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_THREADS, t->hdr.index, &copy) == -EAGAIN);
	reef_seqlock_write_end(&t->hdr.seq);
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_THREADS, t->hdr.index, &copy) == 0);
	CU_ASSERT(copy.polls == 999);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t);
	ut_env_fini();
}

static void
read_generation_detects_reuse(void)
{
	struct reef_shm_thread *t, first, second;
	uint32_t index;

	ut_env_init(NULL);
	t = publish_thread(10, "old_owner");
	index = t->hdr.index;
	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_THREADS, index, &first) == 0);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t);
	t = publish_thread(11, "new_owner");
	CU_ASSERT_FATAL(t->hdr.index == index);
	CU_ASSERT_FATAL(reef_shm_read(g_ut_region, REEF_SHM_THREADS, index, &second) == 0);
	/* Same slot, another record: the generation tells a reader so. */
	CU_ASSERT(second.hdr.index == first.hdr.index);
	CU_ASSERT(second.hdr.gen == first.hdr.gen + 1);
	CU_ASSERT(second.id != first.id);
	CU_ASSERT_STRING_EQUAL(second.name, "new_owner");
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t);
	ut_env_fini();
}

static void
snapshot_counts_in_use_slots_and_skips_free(void)
{
	struct reef_shm_snapshot snap;
	struct reef_shm_thread *t[3];
	struct reef_shm_poller *p[5];
	struct reef_shm_handler *h;
	struct reef_shm_reactor *reactor;
	int i;

	ut_env_init(NULL);
	for (i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%d", i);
		t[i] = publish_thread((uint64_t)i + 1, name);
	}
	for (i = 0; i < 5; i++) {
		p[i] = reef_shm_slot_alloc(g_ut_region, REEF_SHM_POLLERS, NULL);
		p[i]->id = (uint64_t)i + 1;
		reef_shm_slot_publish(p[i]);
	}
	h = reef_shm_slot_alloc(g_ut_region, REEF_SHM_HANDLERS, NULL);
	reef_shm_slot_publish(h);
	reef_shm_slot_free(g_ut_region, REEF_SHM_POLLERS, p[1]);
	reef_shm_slot_free(g_ut_region, REEF_SHM_POLLERS, p[3]);
	/* A reactor marks its lcore's slot in use itself. */
	reactor = reef_shm_reactor_slot(g_ut_region, 0);
	reef_seqlock_write_begin(&reactor->hdr.seq);
	reactor->hdr.in_use = 1;
	reactor->lcore = 0;
	reef_seqlock_write_end(&reactor->hdr.seq);

	CU_ASSERT_FATAL(reef_shm_snapshot_init(g_ut_region, &snap) == 0);
	reef_env_fake_set_ticks(5555);
	CU_ASSERT(reef_shm_snapshot_take(g_ut_region, &snap) == 0);
	CU_ASSERT(snap.tsc == 5555);
	CU_ASSERT(snap.skipped == 0);
	CU_ASSERT(snap.nr[REEF_SHM_REACTORS] == 1);
	CU_ASSERT(snap.nr[REEF_SHM_THREADS] == 3);
	CU_ASSERT(snap.nr[REEF_SHM_POLLERS] == 3);
	CU_ASSERT(snap.nr[REEF_SHM_HANDLERS] == 1);
	CU_ASSERT(snap.nr[REEF_SHM_DEVICES] == 0);
	CU_ASSERT(snap.nr[REEF_SHM_CHANNELS] == 0);
	CU_ASSERT(snap.nr[REEF_SHM_CLIENTS] == 0);
	CU_ASSERT(snap.header.thread_count == 3 && snap.header.poller_count == 3);
	CU_ASSERT(snap.header.magic == REEF_SHM_MAGIC);
	/* Records in slot order, the freed ones left out. */
	CU_ASSERT(snap.pollers[0].id == 1 && snap.pollers[1].id == 3 && snap.pollers[2].id == 5);
	CU_ASSERT_STRING_EQUAL(snap.threads[2].name, "t2");
	CU_ASSERT(memcmp(&snap.threads[1], t[1], sizeof(*t[1])) == 0);

	/* Taken again, it reflects changes. */
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t[0]);
	CU_ASSERT(reef_shm_snapshot_take(g_ut_region, &snap) == 0);
	CU_ASSERT(snap.nr[REEF_SHM_THREADS] == 2);
	CU_ASSERT_STRING_EQUAL(snap.threads[0].name, "t1");

	reef_shm_snapshot_fini(&snap);
	CU_ASSERT(snap.threads == NULL && snap.pollers == NULL && snap.reactors == NULL);
	/* Twice is harmless. */
	reef_shm_snapshot_fini(&snap);
	for (i = 1; i < 3; i++) {
		reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, t[i]);
	}
	ut_env_fini();
}

static void
snapshot_counts_held_slot_as_skipped(void)
{
	struct reef_shm_snapshot snap;
	struct reef_shm_thread *a, *b;

	ut_env_init(NULL);
	a = publish_thread(1, "fine");
	b = publish_thread(2, "held");
	reef_seqlock_write_begin(&b->hdr.seq);
	CU_ASSERT_FATAL(reef_shm_snapshot_init(g_ut_region, &snap) == 0);
	CU_ASSERT(reef_shm_snapshot_take(g_ut_region, &snap) == 0);
	/* Shown as skipped, not silently missing. */
	CU_ASSERT(snap.nr[REEF_SHM_THREADS] == 1);
	CU_ASSERT(snap.skipped == 1);
	CU_ASSERT(snap.threads[0].id == 1);
	reef_seqlock_write_end(&b->hdr.seq);
	CU_ASSERT(reef_shm_snapshot_take(g_ut_region, &snap) == 0);
	CU_ASSERT(snap.nr[REEF_SHM_THREADS] == 2);
	CU_ASSERT(snap.skipped == 0);
	reef_shm_snapshot_fini(&snap);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, a);
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, b);
	ut_env_fini();
}

static void
snapshot_of_full_tables(void)
{
	struct reef_shm_snapshot snap;
	void *s[64];
	uint32_t n, i;

	ut_env_init(NULL);
	n = reef_shm_table_count(g_ut_region, REEF_SHM_CHANNELS);
	CU_ASSERT_FATAL(n <= REEF_COUNTOF(s));
	for (i = 0; i < n; i++) {
		s[i] = reef_shm_slot_alloc(g_ut_region, REEF_SHM_CHANNELS, NULL);
		reef_shm_slot_publish(s[i]);
	}
	CU_ASSERT_FATAL(reef_shm_snapshot_init(g_ut_region, &snap) == 0);
	CU_ASSERT(reef_shm_snapshot_take(g_ut_region, &snap) == 0);
	/* Every slot fits in the arrays init sized. */
	CU_ASSERT(snap.nr[REEF_SHM_CHANNELS] == n);
	CU_ASSERT(snap.channels[n - 1].hdr.index == n - 1);
	reef_shm_snapshot_fini(&snap);
	for (i = 0; i < n; i++) {
		reef_shm_slot_free(g_ut_region, REEF_SHM_CHANNELS, s[i]);
	}
	ut_env_fini();
}

static void
state_names_for_display(void)
{
	CU_ASSERT_STRING_EQUAL(reef_shm_thread_state_str(REEF_SHM_THREAD_RUNNING), "running");
	CU_ASSERT_STRING_EQUAL(reef_shm_thread_state_str(REEF_SHM_THREAD_EXITING), "exiting");
	CU_ASSERT_STRING_EQUAL(reef_shm_thread_state_str(REEF_SHM_THREAD_EXITED), "exited");
	CU_ASSERT_STRING_EQUAL(reef_shm_thread_state_str(77), "unknown");
	CU_ASSERT_STRING_EQUAL(reef_shm_poller_state_str(REEF_SHM_POLLER_WAITING), "waiting");
	CU_ASSERT_STRING_EQUAL(reef_shm_poller_state_str(REEF_SHM_POLLER_RUNNING), "running");
	CU_ASSERT_STRING_EQUAL(reef_shm_poller_state_str(REEF_SHM_POLLER_UNREGISTERED),
			       "unregistered");
	CU_ASSERT_STRING_EQUAL(reef_shm_poller_state_str(REEF_SHM_POLLER_PAUSED), "paused");
	CU_ASSERT_STRING_EQUAL(reef_shm_reactor_state_str(REEF_SHM_REACTOR_OFF), "off");
	CU_ASSERT_STRING_EQUAL(reef_shm_reactor_state_str(REEF_SHM_REACTOR_RUNNING), "running");
	CU_ASSERT_STRING_EQUAL(reef_shm_reactor_state_str(REEF_SHM_REACTOR_STOPPING), "stopping");
	CU_ASSERT_STRING_EQUAL(reef_shm_reactor_state_str(REEF_SHM_REACTOR_STOPPED), "stopped");
	CU_ASSERT_STRING_EQUAL(reef_shm_reactor_state_str(9), "unknown");
}

/* ---- a real writer against a real reader ---- */

/*
 * The writer stops once the reader has seen it make progress often enough
 * (so the two really overlapped, however the OS schedules them), after at
 * least MIN and at most MAX iterations. Counts, not time.
 */
#define WRITER_MIN_ITERATIONS 100000
#define WRITER_MAX_ITERATIONS 20000000
#define READER_MIN_PROGRESS   1000

struct hammer {
	struct reef_shm_thread *slot;
	bool started;
	bool done;
	uint64_t progress; /* distinct records the reader has copied */
	uint64_t iterations;
};

/* Every field the writer touches carries the same iteration number. */
static void
fill_record(struct reef_shm_thread *t, uint64_t iter)
{
	memset(t->name, (int)(iter & 0xff), sizeof(t->name));
	t->busy_tsc = iter;
	t->idle_tsc = iter;
	t->polls = iter;
	t->msgs_executed = iter;
	t->last_tsc = iter;
	t->running_poller_id = iter;
}

static bool
record_consistent(const struct reef_shm_thread *t)
{
	uint64_t iter = t->polls;
	size_t i;

	if (t->busy_tsc != iter || t->idle_tsc != iter || t->msgs_executed != iter ||
	    t->last_tsc != iter || t->running_poller_id != iter) {
		return false;
	}
	for (i = 0; i < sizeof(t->name); i++) {
		if ((uint8_t)t->name[i] != (uint8_t)(iter & 0xff)) {
			return false;
		}
	}
	return true;
}

static void *
writer_main(void *ctx)
{
	struct hammer *h = ctx;
	uint64_t iter;

	while (!__atomic_load_n(&h->started, __ATOMIC_ACQUIRE)) {
		reef_pause();
	}
	for (iter = 1; iter <= WRITER_MAX_ITERATIONS; iter++) {
		reef_seqlock_write_begin(&h->slot->hdr.seq);
		fill_record(h->slot, iter);
		reef_seqlock_write_end(&h->slot->hdr.seq);
		if (iter >= WRITER_MIN_ITERATIONS &&
		    __atomic_load_n(&h->progress, __ATOMIC_RELAXED) >= READER_MIN_PROGRESS) {
			break;
		}
	}
	h->iterations = iter > WRITER_MAX_ITERATIONS ? WRITER_MAX_ITERATIONS : iter;
	__atomic_store_n(&h->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void
seqlock_reader_never_sees_torn_record(void)
{
	struct hammer h;
	struct reef_shm_thread copy;
	pthread_t tid;
	uint64_t copies = 0, torn = 0, last = 0, backwards = 0, progress = 0;
	uint32_t index;
	int rc;

	ut_env_init(NULL);
	memset(&h, 0, sizeof(h));
	h.slot = reef_shm_slot_alloc(g_ut_region, REEF_SHM_THREADS, NULL);
	CU_ASSERT_FATAL(h.slot != NULL);
	fill_record(h.slot, 0);
	reef_shm_slot_publish(h.slot);
	index = h.slot->hdr.index;
	CU_ASSERT_FATAL(pthread_create(&tid, NULL, writer_main, &h) == 0);
	__atomic_store_n(&h.started, true, __ATOMIC_RELEASE);
	/* Read for as long as the writer writes. */
	while (!__atomic_load_n(&h.done, __ATOMIC_ACQUIRE)) {
		rc = reef_shm_read(g_ut_region, REEF_SHM_THREADS, index, &copy);
		if (rc == -EAGAIN) {
			continue;
		}
		if (rc != 0) {
			torn++;
			continue;
		}
		copies++;
		if (!record_consistent(&copy)) {
			torn++;
		}
		/* One writer, counting up: a later copy is never older. */
		if (copy.polls < last) {
			backwards++;
		} else if (copy.polls > last) {
			__atomic_store_n(&h.progress, ++progress, __ATOMIC_RELAXED);
		}
		last = copy.polls;
	}
	pthread_join(tid, NULL);
	if (getenv("UT_VERBOSE") != NULL || torn != 0) {
		fprintf(stderr, "  %llu of %llu copies torn; %llu distinct; %llu writes\n",
			(unsigned long long)torn, (unsigned long long)copies,
			(unsigned long long)progress, (unsigned long long)h.iterations);
	}
	CU_ASSERT(torn == 0);
	CU_ASSERT(backwards == 0);
	CU_ASSERT(copies > 0);
	/* Once the writer is done, the last record reads whole. */
	CU_ASSERT(reef_shm_read(g_ut_region, REEF_SHM_THREADS, index, &copy) == 0);
	CU_ASSERT(copy.polls == h.iterations && record_consistent(&copy));
	reef_shm_slot_free(g_ut_region, REEF_SHM_THREADS, h.slot);
	ut_env_fini();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, read_published_slot_is_exact_copy);
	UT_ADD(suite, read_through_attached_handle);
	UT_ADD(suite, read_free_slot_is_enoent);
	UT_ADD(suite, read_bad_index_or_table_is_einval);
	UT_ADD(suite, read_slot_held_odd_is_eagain);
	UT_ADD(suite, read_generation_detects_reuse);
	UT_ADD(suite, snapshot_counts_in_use_slots_and_skips_free);
	UT_ADD(suite, snapshot_counts_held_slot_as_skipped);
	UT_ADD(suite, snapshot_of_full_tables);
	UT_ADD(suite, state_names_for_display);
	UT_ADD(suite, seqlock_reader_never_sees_torn_record);
	return 0;
}

UT_MAIN("reader", add_tests)
