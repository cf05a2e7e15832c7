/*
 * Poller semantics: active and timed runs, ordering, the pause / resume /
 * unregister state machine from every context, accounting in the shared
 * region, and the limits.
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include <errno.h>

#include "reef/shm.h"
#include "reef/util.h"

struct counter {
	int runs;
	int rc;
};

static int
count_fn(void *arg)
{
	struct counter *c = arg;

	c->runs++;
	return c->rc;
}

/* Order of runs across pollers, by tag. */
static char g_order[64];
static int g_order_len;

static int
order_fn(void *arg)
{
	if (g_order_len < (int)sizeof(g_order) - 1) {
		g_order[g_order_len++] = *(const char *)arg;
		g_order[g_order_len] = '\0';
	}
	return REEF_POLLER_BUSY;
}

static void
order_reset(void)
{
	g_order_len = 0;
	g_order[0] = '\0';
}

/* Copy a poller's shared slot, found by id through the reader API. */
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

static bool
read_thread_slot(const struct reef_thread *thread, struct reef_shm_thread *out)
{
	return reef_shm_read(g_ut_region, REEF_SHM_THREADS, reef_thread_get_slot(thread), out) == 0;
}

static void
poller_active_runs_every_poll(void)
{
	struct counter c = {0};
	struct reef_poller *p;
	int i;

	ut_allocate_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &c, 0);
	CU_ASSERT_FATAL(p != NULL);
	for (i = 0; i < 5; i++) {
		ut_poll_thread(0);
	}
	CU_ASSERT(c.runs == 5);
	reef_poller_unregister(&p);
	CU_ASSERT(p == NULL);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 5);
	ut_free_threads();
}

static void
poller_timed_runs_when_due(void)
{
	struct counter c = {0};
	struct reef_poller *p;

	ut_allocate_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &c, 100);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(reef_poller_get_period_ticks(p) == 100);
	CU_ASSERT(reef_thread_next_poller_expiration(ut_thread(0)) == reef_get_ticks() + 100);

	ut_poll_thread(0);
	CU_ASSERT(c.runs == 0);
	reef_env_fake_advance_ticks(99);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 0);
	reef_env_fake_advance_ticks(1);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 1);
	/* Not again until a full period later. */
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 1);
	reef_env_fake_advance_ticks(100);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 2);

	reef_poller_unregister(&p);
	ut_poll_thread(0);
	CU_ASSERT(reef_thread_next_poller_expiration(ut_thread(0)) == 0);
	ut_free_threads();
}

static void
poller_timed_run_in_expiry_order(void)
{
	struct reef_poller *p[3];

	ut_allocate_threads(1);
	ut_set_thread(0);
	order_reset();
	p[0] = reef_poller_register(order_fn, "c", 300);
	p[1] = reef_poller_register(order_fn, "a", 100);
	p[2] = reef_poller_register(order_fn, "b", 200);
	reef_env_fake_advance_ticks(300);
	ut_poll_thread(0);
	CU_ASSERT_STRING_EQUAL(g_order, "abc");
	reef_poller_unregister(&p[0]);
	reef_poller_unregister(&p[1]);
	reef_poller_unregister(&p[2]);
	ut_free_threads();
}

static void
poller_timed_equal_expiry_in_registration_order(void)
{
	struct reef_poller *p[3];
	int i;

	ut_allocate_threads(1);
	ut_set_thread(0);
	order_reset();
	p[0] = reef_poller_register(order_fn, "1", 50);
	p[1] = reef_poller_register(order_fn, "2", 50);
	p[2] = reef_poller_register(order_fn, "3", 50);
	reef_env_fake_advance_ticks(50);
	ut_poll_thread(0);
	CU_ASSERT_STRING_EQUAL(g_order, "123");
	/* They stay in that order as they are rescheduled together. */
	reef_env_fake_advance_ticks(50);
	ut_poll_thread(0);
	CU_ASSERT_STRING_EQUAL(g_order, "123123");
	for (i = 0; i < 3; i++) {
		reef_poller_unregister(&p[i]);
	}
	ut_free_threads();
}

static struct reef_poller *g_late;
static struct counter g_late_counter;

static int
register_another_fn(void *arg)
{
	(void)arg;
	if (g_late == NULL) {
		g_late = reef_poller_register(count_fn, &g_late_counter, 0);
	}
	return REEF_POLLER_BUSY;
}

static void
poller_registered_in_poll_runs_next_poll(void)
{
	struct reef_poller *p;

	ut_allocate_threads(1);
	ut_set_thread(0);
	g_late = NULL;
	memset(&g_late_counter, 0, sizeof(g_late_counter));
	p = reef_poller_register(register_another_fn, NULL, 0);
	ut_poll_thread(0);
	CU_ASSERT(g_late != NULL);
	CU_ASSERT(g_late_counter.runs == 0);
	ut_poll_thread(0);
	CU_ASSERT(g_late_counter.runs == 1);
	ut_set_thread(0);
	reef_poller_unregister(&p);
	reef_poller_unregister(&g_late);
	ut_free_threads();
}

static struct reef_poller *g_self;
static int g_self_runs;

static int
pause_self_fn(void *arg)
{
	(void)arg;
	g_self_runs++;
	reef_poller_pause(g_self);
	/* Inside its own function the poller is parked at once. */
	CU_ASSERT(reef_poller_get_state(g_self) == REEF_POLLER_STATE_PAUSED);
	return REEF_POLLER_BUSY;
}

static void
poller_pause_from_own_fn(void)
{
	int period;

	for (period = 0; period <= 10; period += 10) {
		ut_allocate_threads(1);
		ut_set_thread(0);
		g_self_runs = 0;
		g_self = reef_poller_register(pause_self_fn, NULL, (uint64_t)period);
		reef_env_fake_advance_ticks(10);
		ut_poll_thread(0);
		CU_ASSERT(g_self_runs == 1);
		reef_env_fake_advance_ticks(10);
		ut_poll_thread(0);
		CU_ASSERT(g_self_runs == 1);
		CU_ASSERT(reef_thread_get_first_paused_poller(ut_thread(0)) == g_self);
		ut_set_thread(0);
		reef_poller_resume(g_self);
		CU_ASSERT(reef_poller_get_state(g_self) == REEF_POLLER_STATE_WAITING);
		reef_env_fake_advance_ticks(10);
		ut_poll_thread(0);
		CU_ASSERT(g_self_runs == 2);
		ut_set_thread(0);
		reef_poller_unregister(&g_self);
		ut_free_threads();
	}
}

static struct reef_poller *g_victim;

static int
pause_victim_fn(void *arg)
{
	(void)arg;
	reef_poller_pause(g_victim);
	return REEF_POLLER_BUSY;
}

static void
poller_pause_from_other_poller(void)
{
	struct counter c = {0};
	struct reef_poller *pauser;

	ut_allocate_threads(1);
	ut_set_thread(0);
	g_victim = reef_poller_register(count_fn, &c, 0);
	pauser = reef_poller_register(pause_victim_fn, NULL, 0);
	/* Pollers run from the newest: the pauser runs before the victim in one poll. */
	ut_poll_thread(0);
	CU_ASSERT(reef_poller_get_state(g_victim) == REEF_POLLER_STATE_PAUSED);
	CU_ASSERT(c.runs == 0);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 0);
	ut_set_thread(0);
	reef_poller_unregister(&pauser);
	reef_poller_resume(g_victim);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 1);
	ut_set_thread(0);
	reef_poller_unregister(&g_victim);
	ut_free_threads();
}

static void
pause_msg(void *arg)
{
	reef_poller_pause(arg);
}

static void
resume_msg(void *arg)
{
	reef_poller_resume(arg);
}

static void
poller_pause_and_resume_from_msg(void)
{
	struct counter c = {0};
	struct reef_poller *p;

	ut_allocate_threads(2);
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &c, 0);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 1);

	/* Sent from another thread, run on the poller's own. */
	ut_set_thread(1);
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), pause_msg, p) == 0);
	ut_poll_thread(0);
	CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_PAUSED);
	CU_ASSERT(c.runs == 1);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 1);

	ut_set_thread(1);
	CU_ASSERT(reef_thread_send_msg(ut_thread(0), resume_msg, p) == 0);
	ut_poll_thread(0);
	CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_WAITING);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 3);
	ut_set_thread(0);
	reef_poller_unregister(&p);
	ut_free_threads();
}

static void
poller_pause_resume_repeatedly(void)
{
	struct counter c = {0};
	struct reef_poller *p;
	int i;

	ut_allocate_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &c, 0);
	for (i = 0; i < 10; i++) {
		ut_set_thread(0);
		reef_poller_pause(p);
		CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_PAUSING);
		/* Pausing twice changes nothing. */
		reef_poller_pause(p);
		CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_PAUSING);
		ut_poll_thread(0);
		CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_PAUSED);
		ut_set_thread(0);
		reef_poller_pause(p);
		CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_PAUSED);
		reef_poller_resume(p);
		reef_poller_resume(p);
		CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_WAITING);
		ut_poll_thread(0);
	}
	CU_ASSERT(c.runs == 10);
	ut_set_thread(0);
	reef_poller_unregister(&p);
	ut_free_threads();
}

static void
poller_resume_while_pausing_keeps_running(void)
{
	struct counter c = {0};
	struct reef_poller *p;

	ut_allocate_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &c, 0);
	reef_poller_pause(p);
	reef_poller_resume(p);
	CU_ASSERT(reef_poller_get_state(p) == REEF_POLLER_STATE_WAITING);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 1);
	CU_ASSERT(reef_thread_get_first_paused_poller(ut_thread(0)) == NULL);
	ut_set_thread(0);
	reef_poller_unregister(&p);
	ut_free_threads();
}

static void
poller_timed_resume_runs_one_period_later(void)
{
	struct counter c = {0};
	struct reef_poller *p;

	ut_allocate_threads(1);
	ut_set_thread(0);
	p = reef_poller_register(count_fn, &c, 100);
	reef_poller_pause(p);
	ut_poll_thread(0);
	reef_env_fake_advance_ticks(500);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 0);
	ut_set_thread(0);
	reef_poller_resume(p);
	CU_ASSERT(reef_thread_next_poller_expiration(ut_thread(0)) == reef_get_ticks() + 100);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 0);
	reef_env_fake_advance_ticks(100);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 1);
	ut_set_thread(0);
	reef_poller_unregister(&p);
	ut_free_threads();
}

static int
unregister_self_fn(void *arg)
{
	struct counter *c = arg;

	c->runs++;
	reef_poller_unregister(&g_self);
	return REEF_POLLER_BUSY;
}

static void
poller_unregister_from_own_fn(void)
{
	struct counter c = {0};
	int period;

	for (period = 0; period <= 10; period += 10) {
		ut_allocate_threads(1);
		ut_set_thread(0);
		c.runs = 0;
		g_self = reef_poller_register(unregister_self_fn, &c, (uint64_t)period);
		reef_env_fake_advance_ticks(10);
		ut_poll_thread(0);
		CU_ASSERT(c.runs == 1);
		CU_ASSERT(g_self == NULL);
		CU_ASSERT(!reef_thread_has_pollers(ut_thread(0)));
		reef_env_fake_advance_ticks(10);
		ut_poll_thread(0);
		CU_ASSERT(c.runs == 1);
		ut_free_threads();
	}
}

static int
unregister_victim_fn(void *arg)
{
	(void)arg;
	reef_poller_unregister(&g_victim);
	return REEF_POLLER_BUSY;
}

static void
poller_unregister_from_other_poller(void)
{
	struct counter c = {0};
	struct reef_poller *killer;

	ut_allocate_threads(1);
	ut_set_thread(0);
	g_victim = reef_poller_register(count_fn, &c, 0);
	killer = reef_poller_register(unregister_victim_fn, NULL, 0);
	ut_poll_thread(0);
	CU_ASSERT(g_victim == NULL);
	CU_ASSERT(c.runs == 0);
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 0);
	CU_ASSERT(reef_thread_get_first_active_poller(ut_thread(0)) == killer);
	CU_ASSERT(reef_thread_get_next_active_poller(killer) == NULL);
	ut_set_thread(0);
	reef_poller_unregister(&killer);
	ut_free_threads();
}

static void
poller_unregister_paused_frees_it(void)
{
	struct counter c = {0};
	struct reef_poller *p;
	int period;

	for (period = 0; period <= 10; period += 10) {
		ut_allocate_threads(1);
		ut_set_thread(0);
		p = reef_poller_register(count_fn, &c, (uint64_t)period);
		reef_poller_pause(p);
		ut_poll_thread(0);
		CU_ASSERT(reef_thread_get_first_paused_poller(ut_thread(0)) == p);
		ut_set_thread(0);
		reef_poller_unregister(&p);
		CU_ASSERT(reef_thread_get_first_paused_poller(ut_thread(0)) == NULL);
		ut_poll_thread(0);
		CU_ASSERT(!reef_thread_has_pollers(ut_thread(0)));
		CU_ASSERT(reef_shm_get_header(g_ut_region)->poller_count == 0);
		ut_free_threads();
	}
}

static void
poller_state_str_names_every_state(void)
{
	CU_ASSERT_STRING_EQUAL(reef_poller_state_str(REEF_POLLER_STATE_WAITING), "waiting");
	CU_ASSERT_STRING_EQUAL(reef_poller_state_str(REEF_POLLER_STATE_RUNNING), "running");
	CU_ASSERT_STRING_EQUAL(reef_poller_state_str(REEF_POLLER_STATE_UNREGISTERED),
			       "unregistered");
	CU_ASSERT_STRING_EQUAL(reef_poller_state_str(REEF_POLLER_STATE_PAUSING), "pausing");
	CU_ASSERT_STRING_EQUAL(reef_poller_state_str(REEF_POLLER_STATE_PAUSED), "paused");
	CU_ASSERT(reef_poller_state_str((enum reef_poller_state)42) == NULL);
	/* The shared-memory names agree for readers. */
	CU_ASSERT_STRING_EQUAL(reef_shm_poller_state_str(REEF_SHM_POLLER_PAUSING), "pausing");
	CU_ASSERT_STRING_EQUAL(reef_shm_poller_state_str(99), "unknown");
}

static void
poller_counts_are_published(void)
{
	struct counter busy = {.rc = REEF_POLLER_BUSY}, idle = {.rc = REEF_POLLER_IDLE};
	struct reef_shm_poller slot;
	struct reef_poller *pb, *pi;
	struct reef_poller_stats stats;
	int i;

	ut_allocate_threads(1);
	ut_set_thread(0);
	pb = reef_poller_register_named(count_fn, &busy, 0, "busy_one");
	pi = reef_poller_register_named(count_fn, &idle, 0, "idle_one");
	for (i = 0; i < 7; i++) {
		ut_poll_thread(0);
	}
	CU_ASSERT_FATAL(read_poller_slot(reef_poller_get_id(pb), &slot));
	CU_ASSERT_STRING_EQUAL(slot.name, "busy_one");
	CU_ASSERT(slot.run_count == 7);
	CU_ASSERT(slot.busy_count == 7);
	CU_ASSERT(slot.kind == REEF_SHM_POLLER_ACTIVE);
	CU_ASSERT(slot.state == REEF_SHM_POLLER_WAITING);
	CU_ASSERT(slot.thread_id == reef_thread_get_id(ut_thread(0)));
	CU_ASSERT_FATAL(read_poller_slot(reef_poller_get_id(pi), &slot));
	CU_ASSERT(slot.run_count == 7);
	CU_ASSERT(slot.busy_count == 0);
	reef_poller_get_stats(pi, &stats);
	CU_ASSERT(stats.run_count == 7 && stats.busy_count == 0);
	ut_set_thread(0);
	reef_poller_pause(pi);
	ut_poll_thread(0);
	CU_ASSERT_FATAL(read_poller_slot(reef_poller_get_id(pi), &slot));
	CU_ASSERT(slot.state == REEF_SHM_POLLER_PAUSED);
	ut_set_thread(0);
	reef_poller_unregister(&pb);
	reef_poller_unregister(&pi);
	ut_free_threads();
}

static int
slow_fn(void *arg)
{
	reef_env_fake_advance_ticks((uint64_t)(uintptr_t)arg);
	return REEF_POLLER_BUSY;
}

static void
poller_timing_measures_cycles_inside(void)
{
	struct reef_shm_poller slot;
	struct reef_poller *p;

	ut_allocate_threads(1);
	ut_set_thread(0);
	p = reef_poller_register_named(slow_fn, (void *)(uintptr_t)25, 0, "slow");
	ut_poll_thread(0);
	CU_ASSERT_FATAL(read_poller_slot(reef_poller_get_id(p), &slot));
	CU_ASSERT(slot.busy_tsc == 0);
	CU_ASSERT(slot.timing == 0);
	ut_set_thread(0);
	reef_poller_set_timing(p, true);
	CU_ASSERT(reef_poller_get_timing(p));
	ut_poll_thread(0);
	ut_poll_thread(0);
	CU_ASSERT_FATAL(read_poller_slot(reef_poller_get_id(p), &slot));
	CU_ASSERT(slot.timing == 1);
	CU_ASSERT(slot.busy_tsc == 50);
	CU_ASSERT(slot.timed_runs == 2);
	CU_ASSERT(slot.max_run_tsc == 25);
	CU_ASSERT(slot.run_count == 3);
	ut_set_thread(0);
	reef_poller_set_timing(p, false);
	ut_poll_thread(0);
	CU_ASSERT_FATAL(read_poller_slot(reef_poller_get_id(p), &slot));
	CU_ASSERT(slot.busy_tsc == 50);
	ut_set_thread(0);
	reef_poller_unregister(&p);
	ut_free_threads();
}

static void
poller_thread_counts_by_kind(void)
{
	struct counter c = {0};
	struct reef_shm_thread slot;
	struct reef_poller *a1, *a2, *t1;

	ut_allocate_threads(1);
	ut_set_thread(0);
	a1 = reef_poller_register(count_fn, &c, 0);
	a2 = reef_poller_register(count_fn, &c, 0);
	t1 = reef_poller_register(count_fn, &c, 1000);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.active_pollers == 2 && slot.timed_pollers == 1 && slot.paused_pollers == 0);
	reef_poller_pause(a2);
	reef_poller_pause(t1);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.active_pollers == 1 && slot.timed_pollers == 0 && slot.paused_pollers == 2);
	ut_poll_thread(0);
	ut_set_thread(0);
	reef_poller_resume(t1);
	reef_poller_unregister(&a2);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.active_pollers == 1 && slot.timed_pollers == 1 && slot.paused_pollers == 0);
	reef_poller_unregister(&a1);
	reef_poller_unregister(&t1);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &slot));
	CU_ASSERT(slot.active_pollers == 0 && slot.timed_pollers == 0 && slot.paused_pollers == 0);
	ut_free_threads();
}

static void
poller_table_full_is_enospc_naming_option(void)
{
	struct counter c = {0};
	struct reef_poller *p[256 + 1];
	int i, n = 0;

	ut_allocate_threads(1);
	ut_set_thread(0);
	ut_log_capture();
	for (i = 0; i < 257; i++) {
		p[i] = reef_poller_register(count_fn, &c, 0);
		if (p[i] != NULL) {
			n++;
		}
	}
	ut_log_release();
	CU_ASSERT(n == 256);
	CU_ASSERT(p[256] == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "--max-pollers") != NULL);
	/* Nothing already registered was harmed. */
	ut_poll_thread(0);
	CU_ASSERT(c.runs == 256);
	ut_set_thread(0);
	for (i = 0; i < 256; i++) {
		reef_poller_unregister(&p[i]);
	}
	ut_poll_thread(0);
	/* Freed slots can be used again. */
	ut_set_thread(0);
	p[0] = reef_poller_register(count_fn, &c, 0);
	CU_ASSERT(p[0] != NULL);
	reef_poller_unregister(&p[0]);
	ut_free_threads();
}

static void
poller_names_truncated_and_defaulted(void)
{
	const char *long_name = "a_poller_name_much_longer_than_the_forty_byte_slot_field";
	struct reef_shm_poller slot;
	struct reef_poller *p, *anon;
	char expect[64];

	ut_allocate_threads(1);
	ut_set_thread(0);
	p = reef_poller_register_named(count_fn, NULL, 0, long_name);
	CU_ASSERT(strlen(reef_poller_get_name(p)) == REEF_SHM_NAME_LEN - 1);
	CU_ASSERT(strncmp(reef_poller_get_name(p), long_name, REEF_SHM_NAME_LEN - 1) == 0);
	anon = reef_poller_register(count_fn, NULL, 0);
	snprintf(expect, sizeof(expect), "%p", (void *)(uintptr_t)count_fn);
	CU_ASSERT_FATAL(read_poller_slot(reef_poller_get_id(anon), &slot));
	CU_ASSERT_STRING_EQUAL(slot.name, expect);
	reef_poller_unregister(&p);
	reef_poller_unregister(&anon);
	ut_free_threads();
}

static void
poller_ids_never_reused(void)
{
	struct reef_poller *p;
	uint64_t last = 0;
	int i;

	ut_allocate_threads(1);
	for (i = 0; i < 50; i++) {
		ut_set_thread(0);
		p = reef_poller_register(count_fn, NULL, 0);
		CU_ASSERT(reef_poller_get_id(p) > last);
		last = reef_poller_get_id(p);
		CU_ASSERT(reef_thread_get_poller_by_id(ut_thread(0), last) == p);
		reef_poller_unregister(&p);
		ut_poll_thread(0);
		CU_ASSERT(reef_thread_get_poller_by_id(ut_thread(0), last) == NULL);
	}
	ut_free_threads();
}

static void
poller_register_needs_a_running_thread(void)
{
	struct reef_poller *p;

	ut_allocate_threads(1);
	ut_log_capture();
	reef_set_thread(NULL);
	CU_ASSERT(reef_poller_register(count_fn, NULL, 0) == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "Reef thread") != NULL);
	ut_set_thread(0);
	reef_thread_exit(ut_thread(0));
	ut_poll_thread(0);
	CU_ASSERT(reef_thread_is_exited(ut_thread(0)));
	ut_set_thread(0);
	p = reef_poller_register(count_fn, NULL, 0);
	CU_ASSERT(p == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "exited") != NULL);
	ut_log_release();
	ut_free_threads();
}

static void
poller_sub_tick_period_is_still_timed(void)
{
	struct counter c = {0};
	struct reef_poller *p;

	ut_allocate_threads(1);
	ut_set_thread(0);
	/* 1 us is one fake tick; timed pollers never get a zero period. */
	p = reef_poller_register(count_fn, &c, 1);
	CU_ASSERT(reef_poller_get_period_ticks(p) == 1);
	CU_ASSERT(!reef_thread_has_active_pollers(ut_thread(0)));
	CU_ASSERT(reef_thread_has_pollers(ut_thread(0)));
	reef_poller_unregister(&p);
	ut_free_threads();
}

/* Tags for many pollers; the walk order is checked through order_fn. */
static char g_tags[64];
static struct reef_poller *g_many[64];
static int g_nr_many;

static int
grow_mid_walk_fn(void *arg)
{
	char name[8];
	int i;

	order_fn(arg);
	/* Enough new pollers that the thread's array must grow under the walk. */
	for (i = 0; i < 30 && g_nr_many < (int)REEF_COUNTOF(g_many); i++) {
		snprintf(name, sizeof(name), "n%d", i);
		g_many[g_nr_many] =
			reef_poller_register_named(order_fn, &g_tags[g_nr_many], 0, name);
		g_nr_many++;
	}
	return REEF_POLLER_BUSY;
}

static void
many_reset(void)
{
	int i;

	for (i = 0; i < (int)REEF_COUNTOF(g_tags); i++) {
		g_tags[i] = (char)(i < 26 ? 'a' + i : 'A' + (i - 26) % 26);
	}
	g_nr_many = 0;
	order_reset();
}

static void
many_unregister(void)
{
	int i;

	ut_set_thread(0);
	for (i = 0; i < g_nr_many; i++) {
		reef_poller_unregister(&g_many[i]);
	}
	ut_poll_thread(0);
	CU_ASSERT(!reef_thread_has_pollers(ut_thread(0)));
}

static void
poller_registered_mid_walk_wait_while_storage_grows(void)
{
	int i;

	ut_allocate_threads(1);
	ut_set_thread(0);
	many_reset();
	for (i = 0; i < 20; i++) {
		g_many[g_nr_many] = reef_poller_register(i == 10 ? grow_mid_walk_fn : order_fn,
							 &g_tags[g_nr_many], 0);
		g_nr_many++;
	}
	ut_poll_thread(0);
	/* Newest first; the 30 registered by 'k' wait for the next poll. */
	CU_ASSERT_STRING_EQUAL(g_order, "tsrqponmlkjihgfedcba");
	CU_ASSERT(g_nr_many == 50);
	ut_set_thread(0);
	reef_poller_unregister(&g_many[10]);
	order_reset();
	ut_poll_thread(0);
	CU_ASSERT(g_order_len == 49);
	CU_ASSERT(strncmp(g_order, "XWVUTSRQPONMLKJIHGFEDCBAzyxwvu", 30) == 0);
	CU_ASSERT_STRING_EQUAL(g_order + 30, "tsrqponmljihgfedcba");
	many_unregister();
	ut_free_threads();
}

static int
pause_resume_self_fn(void *arg)
{
	order_fn(arg);
	reef_poller_pause(g_self);
	reef_poller_resume(g_self);
	return REEF_POLLER_BUSY;
}

static int
unregister_ahead_fn(void *arg)
{
	order_fn(arg);
	reef_poller_unregister(&g_victim);
	reef_poller_pause(g_many[2]);
	return REEF_POLLER_BUSY;
}

static void
poller_changes_mid_walk_keep_the_reference_order(void)
{
	int i;

	ut_allocate_threads(1);
	ut_set_thread(0);
	many_reset();
	for (i = 0; i < 8; i++) {
		reef_poller_fn fn = i == 5   ? pause_resume_self_fn
				    : i == 6 ? unregister_ahead_fn
					     : order_fn;

		g_many[g_nr_many] = reef_poller_register(fn, &g_tags[g_nr_many], 0);
		g_nr_many++;
	}
	g_self = g_many[5];
	g_victim = g_many[4];
	ut_poll_thread(0);
	/* 'g' unregisters 'e' and pauses 'c' ahead of the walk: neither runs. */
	CU_ASSERT_STRING_EQUAL(g_order, "hgfdba");
	order_reset();
	ut_poll_thread(0);
	/* 'f' paused and resumed itself: it went to the tail and runs first. */
	CU_ASSERT_STRING_EQUAL(g_order, "fhgdba");
	CU_ASSERT(reef_poller_get_state(g_many[2]) == REEF_POLLER_STATE_PAUSED);
	g_many[4] = NULL;
	order_reset();
	ut_set_thread(0);
	reef_poller_resume(g_many[2]);
	ut_poll_thread(0);
	CU_ASSERT_STRING_EQUAL(g_order, "cfhgdba");
	many_unregister();
	ut_free_threads();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, poller_active_runs_every_poll);
	UT_ADD(suite, poller_timed_runs_when_due);
	UT_ADD(suite, poller_timed_run_in_expiry_order);
	UT_ADD(suite, poller_timed_equal_expiry_in_registration_order);
	UT_ADD(suite, poller_registered_in_poll_runs_next_poll);
	UT_ADD(suite, poller_pause_from_own_fn);
	UT_ADD(suite, poller_pause_from_other_poller);
	UT_ADD(suite, poller_pause_and_resume_from_msg);
	UT_ADD(suite, poller_pause_resume_repeatedly);
	UT_ADD(suite, poller_resume_while_pausing_keeps_running);
	UT_ADD(suite, poller_timed_resume_runs_one_period_later);
	UT_ADD(suite, poller_unregister_from_own_fn);
	UT_ADD(suite, poller_unregister_from_other_poller);
	UT_ADD(suite, poller_unregister_paused_frees_it);
	UT_ADD(suite, poller_state_str_names_every_state);
	UT_ADD(suite, poller_counts_are_published);
	UT_ADD(suite, poller_timing_measures_cycles_inside);
	UT_ADD(suite, poller_thread_counts_by_kind);
	UT_ADD(suite, poller_table_full_is_enospc_naming_option);
	UT_ADD(suite, poller_names_truncated_and_defaulted);
	UT_ADD(suite, poller_ids_never_reused);
	UT_ADD(suite, poller_register_needs_a_running_thread);
	UT_ADD(suite, poller_sub_tick_period_is_still_timed);
	UT_ADD(suite, poller_registered_mid_walk_wait_while_storage_grows);
	UT_ADD(suite, poller_changes_mid_walk_keep_the_reference_order);
	return 0;
}

UT_MAIN("poller", add_tests)
