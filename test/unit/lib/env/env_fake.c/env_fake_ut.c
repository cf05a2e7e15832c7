/*
 * The fake env unit tests run on (init, clock, memzones, lcores) and the
 * ring wrapper both envs share: FIFO order, capacity, burst and bulk,
 * reset, size errors and element sizes up to 16 bytes.
 */
#include "ut_main.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env/env_fake.h"
#include "env/env_internal.h"
#include "reef/env.h"
#include "reef/log.h"
#include "reef/util.h"

static char g_last_log[512];
static int g_log_count;

static void
log_hook(enum reef_log_level level, const char *line, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(g_last_log, sizeof(g_last_log), "%s", line);
	g_log_count++;
}

static void
log_capture(void)
{
	g_last_log[0] = '\0';
	g_log_count = 0;
	reef_log_set_hook(log_hook, NULL);
}

static void
log_release(void)
{
	reef_log_set_hook(NULL, NULL);
}

static int
init_primary(const char *name)
{
	struct reef_env_opts opts;

	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = name;
	return reef_env_init(&opts);
}

static void
env_opts_init_fills_defaults(void)
{
	struct reef_env_opts opts;

	memset(&opts, 0xa5, sizeof(opts));
	reef_env_opts_init(&opts, sizeof(opts));
	CU_ASSERT(opts.opts_size == sizeof(opts));
	CU_ASSERT(opts.role == REEF_ENV_PRIMARY);
	CU_ASSERT(opts.name == NULL);
	CU_ASSERT(opts.cpumask == NULL);
	CU_ASSERT(opts.main_core == -1);
	CU_ASSERT(opts.mem_size_mb == 0);
	CU_ASSERT(!opts.dpdk_verbose);
}

static void
env_opts_init_writes_only_known_size(void)
{
	struct reef_env_opts opts;
	size_t known = offsetof(struct reef_env_opts, name);

	/* A caller built against an older, shorter struct: nothing past its end is written. */
	memset(&opts, 0xa5, sizeof(opts));
	reef_env_opts_init(&opts, known);
	CU_ASSERT(opts.opts_size == known);
	CU_ASSERT(opts.role == REEF_ENV_PRIMARY);
	CU_ASSERT(opts.name == (const char *)(uintptr_t)0xa5a5a5a5a5a5a5a5ULL);
	CU_ASSERT(opts.main_core == (int)0xa5a5a5a5);
}

static void
env_init_primary_and_fini(void)
{
	CU_ASSERT(!reef_env_is_initialized());
	CU_ASSERT_STRING_EQUAL(reef_env_get_name(), "");
	CU_ASSERT(init_primary("ut_env") == 0);
	CU_ASSERT(reef_env_is_initialized());
	CU_ASSERT(reef_env_is_primary());
	CU_ASSERT(reef_env_primary_alive());
	CU_ASSERT_STRING_EQUAL(reef_env_get_name(), "ut_env");
	CU_ASSERT(reef_env_find_primary("ut_env") == getpid());
	CU_ASSERT(reef_env_find_primary("other") == 0);
	reef_env_fini();
	CU_ASSERT(!reef_env_is_initialized());
	CU_ASSERT(!reef_env_is_primary());
	CU_ASSERT_STRING_EQUAL(reef_env_get_name(), "");
	CU_ASSERT(reef_env_find_primary("ut_env") == 0);
}

static void
env_init_default_name_and_secondary_role(void)
{
	struct reef_env_opts opts;

	reef_env_opts_init(&opts, sizeof(opts));
	opts.role = REEF_ENV_SECONDARY;
	CU_ASSERT(reef_env_init(&opts) == 0);
	CU_ASSERT_STRING_EQUAL(reef_env_get_name(), REEF_APP_NAME_DEFAULT);
	CU_ASSERT(reef_env_is_initialized());
	CU_ASSERT(!reef_env_is_primary());
	/* A secondary is not the primary anyone would find. */
	CU_ASSERT(reef_env_find_primary(REEF_APP_NAME_DEFAULT) == 0);
	reef_env_fini();
}

static void
env_init_twice_is_ealready(void)
{
	CU_ASSERT_FATAL(init_primary("first") == 0);
	log_capture();
	CU_ASSERT(init_primary("second") == -EALREADY);
	log_release();
	CU_ASSERT(strstr(g_last_log, "already initialised") != NULL);
	CU_ASSERT(strstr(g_last_log, "first") != NULL);
	CU_ASSERT_STRING_EQUAL(reef_env_get_name(), "first");
	reef_env_fini();
}

static void
env_init_rejects_bad_names_saying_why(void)
{
	static const char *const bad[] = {"", "has space", "slash/", "dot.name",
					  "seventeen_chars_x"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		log_capture();
		CU_ASSERT(init_primary(bad[i]) == -EINVAL);
		log_release();
		CU_ASSERT(g_log_count == 1);
		CU_ASSERT(strstr(g_last_log, "invalid app name") != NULL);
		CU_ASSERT(!reef_env_is_initialized());
	}
	/* The longest valid name. */
	CU_ASSERT(reef_env_name_is_valid("sixteen_chars_ok", false));
	CU_ASSERT(init_primary("sixteen_chars_ok") == 0);
	reef_env_fini();
	/* Asked not to print, it doesn't. */
	log_capture();
	CU_ASSERT(!reef_env_name_is_valid("no way", false));
	CU_ASSERT(!reef_env_name_is_valid(NULL, false));
	log_release();
	CU_ASSERT(g_log_count == 0);
}

static void
env_init_rejects_empty_core_mask(void)
{
	struct reef_env_opts opts;
	struct reef_cpuset empty;

	reef_cpuset_zero(&empty);
	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = "ut";
	opts.cpumask = &empty;
	log_capture();
	CU_ASSERT(reef_env_init(&opts) == -EINVAL);
	log_release();
	CU_ASSERT(strstr(g_last_log, "core mask is empty") != NULL);
	CU_ASSERT(!reef_env_is_initialized());
}

static void
env_lcores_follow_core_mask(void)
{
	struct reef_env_opts opts;
	struct reef_cpuset mask, got;

	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, 2, true);
	reef_cpuset_set_cpu(&mask, 5, true);
	reef_env_opts_init(&opts, sizeof(opts));
	opts.name = "ut";
	opts.cpumask = &mask;
	CU_ASSERT_FATAL(reef_env_init(&opts) == 0);
	reef_env_get_lcores(&got);
	CU_ASSERT(reef_cpuset_equal(&got, &mask));
	CU_ASSERT(reef_env_lcore_count() == 2);
	CU_ASSERT(reef_env_main_lcore() == 2);
	CU_ASSERT(reef_env_lcore_id() == 2);
	reef_env_fake_set_current_lcore(5);
	CU_ASSERT(reef_env_lcore_id() == 5);
	reef_env_fake_set_current_lcore(REEF_LCORE_ANY);
	CU_ASSERT(reef_env_lcore_id() == REEF_LCORE_ANY);
	reef_env_fini();

	/* Back to the default: lcore 0 alone. */
	reef_cpuset_zero(&mask);
	reef_cpuset_set_cpu(&mask, 0, true);
	reef_env_fake_set_lcores(&mask);
	reef_env_fake_set_current_lcore(0);
	CU_ASSERT(reef_env_main_lcore() == 0);
	CU_ASSERT(reef_env_lcore_count() == 1);
}

static void
env_fake_clock_moves_only_when_told(void)
{
	reef_env_fake_set_ticks(1000);
	CU_ASSERT(reef_get_ticks_hz() == REEF_ENV_FAKE_TICKS_HZ);
	CU_ASSERT(reef_get_ticks() == 1000);
	CU_ASSERT(reef_get_ticks() == 1000);
	reef_env_fake_advance_ticks(250);
	CU_ASSERT(reef_get_ticks() == 1250);
	/* One tick is one microsecond: a delay is exactly that many ticks. */
	reef_delay_us(750);
	CU_ASSERT(reef_get_ticks() == 2000);
	reef_env_fake_set_ticks(5);
	CU_ASSERT(reef_get_ticks() == 5);
}

static void
env_memzone_reserve_lookup_free(void)
{
	uint8_t *a, *b;
	size_t len = 0, i;
	bool zero = true;
	int rc = 1;

	CU_ASSERT(reef_env_fake_memzone_count() == 0);
	a = reef_memzone_reserve("mz.a", 1000, 4096, &rc);
	CU_ASSERT_FATAL(a != NULL);
	CU_ASSERT(rc == 0);
	CU_ASSERT(((uintptr_t)a & 4095) == 0);
	for (i = 0; i < 1000; i++) {
		zero = zero && a[i] == 0;
	}
	CU_ASSERT(zero);
	memset(a, 0x5a, 1000);
	b = reef_memzone_reserve("mz.b", 10, 0, NULL);
	CU_ASSERT_FATAL(b != NULL);
	CU_ASSERT(reef_env_fake_memzone_count() == 2);

	CU_ASSERT(reef_memzone_lookup("mz.a", &len) == a);
	CU_ASSERT(len >= 1000);
	CU_ASSERT(reef_memzone_lookup("mz.b", NULL) == b);
	CU_ASSERT(reef_memzone_lookup("mz.c", &len) == NULL);

	CU_ASSERT(reef_memzone_free("mz.a") == 0);
	CU_ASSERT(reef_memzone_lookup("mz.a", NULL) == NULL);
	CU_ASSERT(reef_memzone_free("mz.a") == -ENOENT);
	CU_ASSERT(reef_env_fake_memzone_count() == 1);
	CU_ASSERT(reef_memzone_free("mz.b") == 0);
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
}

static void
env_memzone_duplicate_name_is_eexist(void)
{
	void *a;
	int rc = 0;

	a = reef_memzone_reserve("mz.dup", 64, 64, &rc);
	CU_ASSERT_FATAL(a != NULL);
	CU_ASSERT(reef_memzone_reserve("mz.dup", 64, 64, &rc) == NULL);
	CU_ASSERT(rc == -EEXIST);
	CU_ASSERT(reef_env_fake_memzone_count() == 1);
	CU_ASSERT(reef_memzone_lookup("mz.dup", NULL) == a);
	CU_ASSERT(reef_memzone_free("mz.dup") == 0);
}

static void
env_memzone_injected_failures(void)
{
	void *a;
	int rc = 0;

	reef_env_fake_fail_memzone(2);
	CU_ASSERT(reef_memzone_reserve("mz.f", 64, 64, &rc) == NULL);
	CU_ASSERT(rc == -ENOMEM);
	CU_ASSERT(reef_memzone_reserve("mz.f", 64, 64, &rc) == NULL);
	CU_ASSERT(rc == -ENOMEM);
	CU_ASSERT(reef_env_fake_memzone_count() == 0);
	a = reef_memzone_reserve("mz.f", 64, 64, &rc);
	CU_ASSERT(a != NULL);
	CU_ASSERT(rc == 0);
	CU_ASSERT(reef_memzone_free("mz.f") == 0);
}

struct launch_arg {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go;
	uint32_t lcore_seen;
};

static int
launched_fn(void *ctx)
{
	struct launch_arg *arg = ctx;

	arg->lcore_seen = reef_env_lcore_id();
	/* Stay running until the test has checked that a second launch is refused. */
	pthread_mutex_lock(&arg->lock);
	while (!arg->go) {
		pthread_cond_wait(&arg->cond, &arg->lock);
	}
	pthread_mutex_unlock(&arg->lock);
	return 42;
}

static void
env_lcore_launch_runs_on_its_lcore(void)
{
	struct launch_arg arg = {.lock = PTHREAD_MUTEX_INITIALIZER,
				 .cond = PTHREAD_COND_INITIALIZER};

	CU_ASSERT(reef_env_lcore_launch(REEF_MAX_LCORE, launched_fn, &arg) == -EINVAL);
	/* Nothing launched there: nothing to wait for. */
	CU_ASSERT(reef_env_lcore_wait(3) == 0);
	CU_ASSERT_FATAL(reef_env_lcore_launch(3, launched_fn, &arg) == 0);
	CU_ASSERT(reef_env_lcore_launch(3, launched_fn, &arg) == -EBUSY);
	pthread_mutex_lock(&arg.lock);
	arg.go = true;
	pthread_cond_signal(&arg.cond);
	pthread_mutex_unlock(&arg.lock);
	CU_ASSERT(reef_env_lcore_wait(3) == 42);
	CU_ASSERT(arg.lcore_seen == 3);
	/* The lcore is free again. */
	CU_ASSERT_FATAL(reef_env_lcore_launch(3, launched_fn, &arg) == 0);
	CU_ASSERT(reef_env_lcore_wait(3) == 42);
}

static void
env_file_prefix_and_runtime_dir(void)
{
	char buf[256], expect[256];
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	reef__env_file_prefix("app1", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "reef_app1");
	reef__env_runtime_dir("app1", buf, sizeof(buf));
	if (getuid() == 0 || xdg == NULL) {
		CU_ASSERT_STRING_EQUAL(buf, "/var/run/dpdk/reef_app1");
	} else {
		snprintf(expect, sizeof(expect), "%s/dpdk/reef_app1", xdg);
		CU_ASSERT_STRING_EQUAL(buf, expect);
	}
}

/* ---- rings ---- */

struct elem16 {
	uint64_t a;
	uint64_t b;
};

static struct reef_ring *
ring_new(uint32_t count, uint32_t esize, enum reef_ring_type type)
{
	ssize_t sz = reef_ring_memsize(count, esize);
	void *mem;

	CU_ASSERT_FATAL(sz > 0);
	mem = aligned_alloc(REEF_CACHE_LINE, (size_t)sz);
	CU_ASSERT_FATAL(mem != NULL);
	CU_ASSERT_FATAL(reef_ring_init(mem, "ut_ring", count, type) == 0);
	return mem;
}

static void
ring_memsize_rejects_bad_sizes(void)
{
	CU_ASSERT(reef_ring_memsize(8, 16) > 0);
	CU_ASSERT(reef_ring_memsize(1024, 4) > 0);
	/* Not a power of two. */
	CU_ASSERT(reef_ring_memsize(3, 16) == -EINVAL);
	CU_ASSERT(reef_ring_memsize(1000, 16) == -EINVAL);
	/* Zero elements is not a ring (DPDK alone would take it). */
	CU_ASSERT(reef_ring_memsize(0, 16) == -EINVAL);
	/* Element sizes are multiples of 4 bytes, and not 0. */
	CU_ASSERT(reef_ring_memsize(8, 6) == -EINVAL);
	CU_ASSERT(reef_ring_memsize(8, 0) == -EINVAL);
	/* Beyond DPDK's largest ring. */
	CU_ASSERT(reef_ring_memsize(1u << 31, 4) == -EINVAL);
	/* Room grows with count and element size. */
	CU_ASSERT(reef_ring_memsize(16, 16) > reef_ring_memsize(8, 16));
	CU_ASSERT(reef_ring_memsize(8, 16) > reef_ring_memsize(8, 8));
}

static void
ring_init_rejects_bad_count_and_name(void)
{
	void *mem = aligned_alloc(REEF_CACHE_LINE, 4096);

	CU_ASSERT_FATAL(mem != NULL);
	CU_ASSERT(reef_ring_init(mem, "r", 3, REEF_RING_SP_SC) == -EINVAL);
	CU_ASSERT(reef_ring_init(mem, "r", 0, REEF_RING_SP_SC) == -EINVAL);
	CU_ASSERT(reef_ring_init(mem, "a_ring_name_longer_than_dpdk_allows", 8, REEF_RING_SP_SC) ==
		  -EINVAL);
	CU_ASSERT(reef_ring_init(mem, "r", 8, REEF_RING_MP_SC) == 0);
	free(mem);
}

static void
ring_capacity_is_count_minus_one(void)
{
	struct reef_ring *ring = ring_new(8, 4, REEF_RING_SP_SC);
	uint32_t v[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	CU_ASSERT(reef_ring_capacity(ring) == 7);
	CU_ASSERT(reef_ring_count(ring) == 0);
	CU_ASSERT(reef_ring_enqueue_burst(ring, v, 4, 8) == 7);
	CU_ASSERT(reef_ring_count(ring) == 7);
	/* Full: nothing more goes in. */
	CU_ASSERT(reef_ring_enqueue_burst(ring, &v[7], 4, 1) == 0);
	CU_ASSERT(reef_ring_enqueue_bulk(ring, &v[7], 4, 1) == 0);
	CU_ASSERT(reef_ring_count(ring) == 7);
	free(ring);
}

static void
ring_is_fifo_across_wraparound(void)
{
	struct reef_ring *ring = ring_new(8, 4, REEF_RING_SP_SC);
	uint32_t in = 0, out = 0, buf[5], i, n;
	bool ordered = true;
	int round;

	/* Many rounds of 5 in, 5 out on 8 slots: the indices wrap many times. */
	for (round = 0; round < 100; round++) {
		for (i = 0; i < 5; i++) {
			buf[i] = in++;
		}
		CU_ASSERT(reef_ring_enqueue_burst(ring, buf, 4, 5) == 5);
		n = reef_ring_dequeue_burst(ring, buf, 4, 5);
		CU_ASSERT(n == 5);
		for (i = 0; i < n; i++) {
			ordered = ordered && buf[i] == out++;
		}
	}
	CU_ASSERT(ordered);
	CU_ASSERT(reef_ring_count(ring) == 0);
	free(ring);
}

static void
ring_burst_takes_what_fits_bulk_all_or_nothing(void)
{
	struct reef_ring *ring = ring_new(8, 4, REEF_RING_MP_SC);
	uint32_t v[9] = {10, 11, 12, 13, 14, 15, 16, 17, 18}, out[8];

	CU_ASSERT(reef_ring_enqueue_bulk(ring, v, 4, 3) == 3);
	/* 4 slots left: bulk of 6 takes none, burst of 6 takes 4. */
	CU_ASSERT(reef_ring_enqueue_bulk(ring, v, 4, 6) == 0);
	CU_ASSERT(reef_ring_count(ring) == 3);
	CU_ASSERT(reef_ring_enqueue_burst(ring, &v[3], 4, 6) == 4);
	CU_ASSERT(reef_ring_count(ring) == 7);
	/* Dequeue takes up to what is there. */
	CU_ASSERT(reef_ring_dequeue_burst(ring, out, 4, 2) == 2);
	CU_ASSERT(out[0] == 10 && out[1] == 11);
	CU_ASSERT(reef_ring_dequeue_burst(ring, out, 4, 8) == 5);
	CU_ASSERT(out[0] == 12 && out[1] == 13 && out[2] == 14 && out[3] == 15);
	CU_ASSERT(reef_ring_dequeue_burst(ring, out, 4, 8) == 0);
	/* Bulk of exactly the free room works. */
	CU_ASSERT(reef_ring_enqueue_bulk(ring, v, 4, 6) == 6);
	CU_ASSERT(reef_ring_enqueue_bulk(ring, v, 4, 1) == 1);
	CU_ASSERT(reef_ring_count(ring) == 7);
	free(ring);
}

static void
ring_reset_drops_everything(void)
{
	struct reef_ring *ring = ring_new(16, 4, REEF_RING_SP_SC);
	uint32_t v[5] = {1, 2, 3, 4, 5}, out[5];

	CU_ASSERT(reef_ring_enqueue_burst(ring, v, 4, 5) == 5);
	reef_ring_reset(ring);
	CU_ASSERT(reef_ring_count(ring) == 0);
	CU_ASSERT(reef_ring_dequeue_burst(ring, out, 4, 5) == 0);
	/* Usable afresh, full capacity available. */
	CU_ASSERT(reef_ring_capacity(ring) == 15);
	CU_ASSERT(reef_ring_enqueue_burst(ring, &v[3], 4, 2) == 2);
	CU_ASSERT(reef_ring_dequeue_burst(ring, out, 4, 5) == 2);
	CU_ASSERT(out[0] == 4 && out[1] == 5);
	free(ring);
}

static void
ring_16_byte_elements_travel_whole(void)
{
	struct reef_ring *ring = ring_new(64, sizeof(struct elem16), REEF_RING_MP_SC);
	struct elem16 in[40], out[40];
	uint32_t i, got = 0;
	bool same = true;
	int pass;

	for (i = 0; i < 40; i++) {
		in[i].a = 0x1111111100000000ULL | i;
		in[i].b = ~in[i].a;
	}
	/* Two passes so that the second wraps around the 64 slots. */
	for (pass = 0; pass < 2; pass++) {
		CU_ASSERT(reef_ring_enqueue_burst(ring, in, sizeof(in[0]), 40) == 40);
		memset(out, 0, sizeof(out));
		got = reef_ring_dequeue_burst(ring, out, sizeof(out[0]), 40);
		CU_ASSERT(got == 40);
		for (i = 0; i < got; i++) {
			same = same && out[i].a == in[i].a && out[i].b == in[i].b;
		}
	}
	CU_ASSERT(same);
	free(ring);
}

/* The message-sized calls: one element in, bursts out, FIFO across the wrap, full refused. */
static void
ring_message_calls_move_16_byte_elements(void)
{
	struct reef_ring *ring = ring_new(16, sizeof(struct elem16), REEF_RING_MP_SC);
	struct elem16 e, out[16];
	uint32_t i, got, next = 0, sent = 0;
	bool in_order = true;
	int round;

	for (round = 0; round < 5; round++) {
		/* 11 in, 11 out per round: the 16 slots wrap on the second round. */
		for (i = 0; i < 11; i++, sent++) {
			e.a = 0xabcd000000000000ULL | sent;
			e.b = ~e.a;
			CU_ASSERT(reef_ring_enqueue16(ring, &e) == 1);
		}
		got = reef_ring_dequeue_burst16(ring, out, 4);
		CU_ASSERT(got == 4);
		got += reef_ring_dequeue_burst16(ring, &out[4], 16);
		CU_ASSERT(got == 11);
		for (i = 0; i < got; i++, next++) {
			in_order = in_order && out[i].a == (0xabcd000000000000ULL | next) &&
				   out[i].b == ~out[i].a;
		}
	}
	CU_ASSERT(in_order);
	CU_ASSERT(reef_ring_dequeue_burst16(ring, out, 16) == 0);
	/* 15 fit, the 16th is refused and the ring keeps what it had. */
	for (i = 0; i < 15; i++) {
		CU_ASSERT(reef_ring_enqueue16(ring, &e) == 1);
	}
	CU_ASSERT(reef_ring_enqueue16(ring, &e) == 0);
	CU_ASSERT(reef_ring_count(ring) == 15);
	free(ring);
}

static void
ring_12_byte_elements_travel_whole(void)
{
	struct reef_ring *ring = ring_new(8, 12, REEF_RING_SP_SC);
	uint32_t in[6][3], out[6][3];
	uint32_t i;

	for (i = 0; i < 6; i++) {
		in[i][0] = i;
		in[i][1] = i * 100;
		in[i][2] = 0xdead0000 | i;
	}
	CU_ASSERT(reef_ring_enqueue_burst(ring, in, 12, 6) == 6);
	CU_ASSERT(reef_ring_dequeue_burst(ring, out, 12, 6) == 6);
	CU_ASSERT(memcmp(in, out, sizeof(in)) == 0);
	free(ring);
}

#define PRODUCERS    2
#define PER_PRODUCER 20000
#define STRESS_SLOTS 64

struct producer {
	struct reef_ring *ring;
	uint64_t id;
};

static void *
producer_main(void *ctx)
{
	struct producer *p = ctx;
	struct elem16 e;
	uint64_t i = 0;

	while (i < PER_PRODUCER) {
		e.a = p->id;
		e.b = i;
		if (reef_ring_enqueue_burst(p->ring, &e, sizeof(e), 1) == 1) {
			i++;
		}
	}
	return NULL;
}

/* Consecutive empty polls after which the consumer decides elements were lost. */
#define STRESS_MAX_EMPTY_POLLS 200000000ULL

static void
ring_many_producers_lose_nothing_and_keep_order(void)
{
	struct reef_ring *ring = ring_new(STRESS_SLOTS, sizeof(struct elem16), REEF_RING_MP_SC);
	struct producer prod[PRODUCERS];
	pthread_t tid[PRODUCERS];
	uint64_t next[PRODUCERS] = {0}, total = 0, empty = 0;
	struct elem16 buf[16];
	bool ordered = true;
	uint32_t n, i;
	int p;

	for (p = 0; p < PRODUCERS; p++) {
		prod[p].ring = ring;
		prod[p].id = (uint64_t)p;
		CU_ASSERT_FATAL(pthread_create(&tid[p], NULL, producer_main, &prod[p]) == 0);
	}
	/* One consumer: each producer's elements arrive complete and in its order. */
	while (total < (uint64_t)PRODUCERS * PER_PRODUCER && empty < STRESS_MAX_EMPTY_POLLS) {
		n = reef_ring_dequeue_burst(ring, buf, sizeof(buf[0]), 16);
		empty = n == 0 ? empty + 1 : 0;
		for (i = 0; i < n; i++) {
			if (buf[i].a >= PRODUCERS || buf[i].b != next[buf[i].a]) {
				ordered = false;
				continue;
			}
			next[buf[i].a]++;
		}
		total += n;
	}
	for (p = 0; p < PRODUCERS; p++) {
		pthread_join(tid[p], NULL);
	}
	CU_ASSERT(ordered);
	CU_ASSERT(total == (uint64_t)PRODUCERS * PER_PRODUCER);
	CU_ASSERT(next[0] == PER_PRODUCER && next[1] == PER_PRODUCER);
	CU_ASSERT(reef_ring_count(ring) == 0);
	free(ring);
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, env_opts_init_fills_defaults);
	UT_ADD(suite, env_opts_init_writes_only_known_size);
	UT_ADD(suite, env_init_primary_and_fini);
	UT_ADD(suite, env_init_default_name_and_secondary_role);
	UT_ADD(suite, env_init_twice_is_ealready);
	UT_ADD(suite, env_init_rejects_bad_names_saying_why);
	UT_ADD(suite, env_init_rejects_empty_core_mask);
	UT_ADD(suite, env_lcores_follow_core_mask);
	UT_ADD(suite, env_fake_clock_moves_only_when_told);
	UT_ADD(suite, env_memzone_reserve_lookup_free);
	UT_ADD(suite, env_memzone_duplicate_name_is_eexist);
	UT_ADD(suite, env_memzone_injected_failures);
	UT_ADD(suite, env_lcore_launch_runs_on_its_lcore);
	UT_ADD(suite, env_file_prefix_and_runtime_dir);
	UT_ADD(suite, ring_memsize_rejects_bad_sizes);
	UT_ADD(suite, ring_init_rejects_bad_count_and_name);
	UT_ADD(suite, ring_capacity_is_count_minus_one);
	UT_ADD(suite, ring_is_fifo_across_wraparound);
	UT_ADD(suite, ring_burst_takes_what_fits_bulk_all_or_nothing);
	UT_ADD(suite, ring_reset_drops_everything);
	UT_ADD(suite, ring_16_byte_elements_travel_whole);
	UT_ADD(suite, ring_message_calls_move_16_byte_elements);
	UT_ADD(suite, ring_12_byte_elements_travel_whole);
	UT_ADD(suite, ring_many_producers_lose_nothing_and_keep_order);
	return 0;
}

UT_MAIN("env_fake", add_tests)
