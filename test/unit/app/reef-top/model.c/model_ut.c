/*
 * reef-top's model on hand-made snapshots: deltas and rates, objects born
 * during an interval, counter wrap, slot reuse, threads moving between
 * cores, totals, sorting by every column of every tab, the name filter,
 * histories, formatting, and the cost of a 65536-poller region.
 *
 * The clock runs at 1 MHz here: one tick is one microsecond.
 */
#include "ut_main.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "history.h"
#include "model.h"

#define HZ 1000000ULL

static struct reef_shm_header g_hdr;

static void
header_init(uint32_t threads, uint32_t pollers, uint32_t channels)
{
	static const uint32_t sizes[REEF_SHM_TABLE_COUNT] = {
		[REEF_SHM_REACTORS] = sizeof(struct reef_shm_reactor),
		[REEF_SHM_THREADS] = sizeof(struct reef_shm_thread),
		[REEF_SHM_POLLERS] = sizeof(struct reef_shm_poller),
		[REEF_SHM_DEVICES] = sizeof(struct reef_shm_device),
		[REEF_SHM_CHANNELS] = sizeof(struct reef_shm_channel),
		[REEF_SHM_CLIENTS] = sizeof(struct reef_shm_client),
		[REEF_SHM_HANDLERS] = sizeof(struct reef_shm_handler),
	};
	const uint32_t counts[REEF_SHM_TABLE_COUNT] = {
		[REEF_SHM_REACTORS] = 8,        [REEF_SHM_THREADS] = threads,
		[REEF_SHM_POLLERS] = pollers,   [REEF_SHM_DEVICES] = 4,
		[REEF_SHM_CHANNELS] = channels, [REEF_SHM_CLIENTS] = 2,
		[REEF_SHM_HANDLERS] = 1,
	};
	int t;

	memset(&g_hdr, 0, sizeof(g_hdr));
	g_hdr.tsc_hz = HZ;
	g_hdr.state = REEF_REGION_RUNNING;
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		g_hdr.tables[t].count = counts[t];
		g_hdr.tables[t].slot_size = sizes[t];
	}
}

static struct reef_shm_snapshot *
begin(struct top_model *m, uint64_t tsc)
{
	struct reef_shm_snapshot *s = top_model_spare(m);

	s->header = g_hdr;
	s->tsc = tsc;
	memset(s->nr, 0, sizeof(s->nr));
	s->skipped = 0;
	return s;
}

static struct reef_shm_thread *
add_thread(struct reef_shm_snapshot *s, uint32_t slot, uint32_t gen, uint64_t id, const char *name,
	   uint32_t lcore)
{
	struct reef_shm_thread *t = &s->threads[s->nr[REEF_SHM_THREADS]++];

	memset(t, 0, sizeof(*t));
	t->hdr.index = slot;
	t->hdr.gen = gen;
	t->hdr.in_use = 1;
	t->id = id;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->lcore = lcore;
	return t;
}

static struct reef_shm_poller *
add_poller(struct reef_shm_snapshot *s, uint32_t slot, uint32_t gen, uint64_t id, const char *name,
	   const struct reef_shm_thread *t, uint64_t period)
{
	struct reef_shm_poller *p = &s->pollers[s->nr[REEF_SHM_POLLERS]++];

	memset(p, 0, sizeof(*p));
	p->hdr.index = slot;
	p->hdr.gen = gen;
	p->hdr.in_use = 1;
	p->id = id;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->thread_id = t->id;
	p->thread_slot = t->hdr.index;
	p->kind = period ? REEF_SHM_POLLER_TIMED : REEF_SHM_POLLER_ACTIVE;
	p->period_ticks = period;
	return p;
}

static struct reef_shm_reactor *
add_reactor(struct reef_shm_snapshot *s, uint32_t lcore)
{
	struct reef_shm_reactor *r = &s->reactors[s->nr[REEF_SHM_REACTORS]++];

	memset(r, 0, sizeof(*r));
	r->hdr.index = lcore;
	r->hdr.gen = 1;
	r->hdr.in_use = 1;
	r->lcore = lcore;
	r->state = REEF_SHM_REACTOR_RUNNING;
	r->stall_threshold_tsc = 10000;
	return r;
}

static struct reef_shm_device *
add_device(struct reef_shm_snapshot *s, uint32_t slot, uint64_t id, const char *name)
{
	struct reef_shm_device *d = &s->devices[s->nr[REEF_SHM_DEVICES]++];

	memset(d, 0, sizeof(*d));
	d->hdr.index = slot;
	d->hdr.gen = 1;
	d->hdr.in_use = 1;
	d->id = id;
	snprintf(d->name, sizeof(d->name), "%s", name);
	return d;
}

static struct reef_shm_channel *
add_channel(struct reef_shm_snapshot *s, uint32_t slot, const struct reef_shm_device *d,
	    const struct reef_shm_thread *t)
{
	struct reef_shm_channel *c = &s->channels[s->nr[REEF_SHM_CHANNELS]++];

	memset(c, 0, sizeof(*c));
	c->hdr.index = slot;
	c->hdr.gen = 1;
	c->hdr.in_use = 1;
	c->device_id = d->id;
	c->device_slot = d->hdr.index;
	c->thread_id = t->id;
	c->thread_slot = t->hdr.index;
	c->ref = 1;
	return c;
}

static double
num(struct top_model *m, enum top_tab tab, const void *row, const char *key, bool *ok)
{
	const struct top_column *cols;
	int n, c = top_column_find(tab, key);
	double v = -1;

	cols = top_columns(tab, &n);
	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT_FATAL(cols[c].num != NULL);
	*ok = cols[c].num(m, row, &v);
	return v;
}

static const char *
text(struct top_model *m, enum top_tab tab, const void *row, const char *key)
{
	static char buf[64];
	const struct top_column *cols;
	int n, c = top_column_find(tab, key);

	cols = top_columns(tab, &n);
	CU_ASSERT_FATAL(c >= 0);
	top_format(m, &cols[c], row, false, buf, sizeof(buf));
	return buf;
}

static void
model_init(struct top_model *m)
{
	CU_ASSERT_FATAL(top_model_init(m, &g_hdr) == 0);
}

/* ---- tests ---- */

static void
thread_deltas_and_rates(void)
{
	struct top_model m;
	struct reef_shm_snapshot *s;
	struct reef_shm_thread *t;
	bool ok;

	header_init(8, 16, 8);
	model_init(&m);
	s = begin(&m, 1000000);
	t = add_thread(s, 3, 1, 7, "w0", 0);
	t->busy_tsc = 100000;
	t->idle_tsc = 400000;
	t->msgs_executed = 1000;
	top_model_update(&m);
	/* First snapshot: nothing to compare with, so no rates, but totals are known. */
	CU_ASSERT(m.nr_threads == 1);
	num(&m, TOP_TAB_THREADS, &m.threads[0], "msgs_per_s", &ok);
	CU_ASSERT(!ok);
	CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_THREADS, &m.threads[0], "busy_pct"), "-");

	s = begin(&m, 1500000);
	t = add_thread(s, 3, 1, 7, "w0", 0);
	t->busy_tsc = 100000 + 125000;
	t->idle_tsc = 400000 + 375000;
	t->msgs_executed = 1000 + 2500;
	top_model_update(&m);
	CU_ASSERT(m.interval_tsc == 500000);
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[0], "msgs_per_s", &ok) == 5000 && ok);
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[0], "busy_pct", &ok) == 25 && ok);
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[0], "busy_us", &ok) == 125000 && ok);
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[0], "idle_us", &ok) == 375000 && ok);
	CU_ASSERT_STRING_EQUAL(m.threads[0].activity, "busy");

	/* Totals: counts since creation and lifetime busy share. */
	m.totals = true;
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[0], "msgs", &ok) == 3500 && ok);
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[0], "busy_pct", &ok) == 22.5 && ok);
	CU_ASSERT_STRING_EQUAL(top_column_title(&m, &top_columns(TOP_TAB_THREADS, &(int){0})[7]),
			       "MSGS");
	m.totals = false;

	/* Idle interval. */
	s = begin(&m, 2500000);
	t = add_thread(s, 3, 1, 7, "w0", 0);
	t->busy_tsc = 225000;
	t->idle_tsc = 775000 + 1000000;
	t->msgs_executed = 3500;
	top_model_update(&m);
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[0], "busy_pct", &ok) == 0 && ok);
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[0], "msgs_per_s", &ok) == 0 && ok);
	CU_ASSERT_STRING_EQUAL(m.threads[0].activity, "idle");
	top_model_fini(&m);
}

static void
poller_rates_and_timing(void)
{
	struct top_model m;
	struct reef_shm_snapshot *s;
	struct reef_shm_thread *t;
	struct reef_shm_poller *p, *q;
	bool ok;

	header_init(8, 16, 8);
	model_init(&m);
	s = begin(&m, 1000000);
	t = add_thread(s, 0, 1, 1, "w0", 0);
	p = add_poller(s, 5, 1, 11, "io", t, 0);
	p->run_count = 1000;
	p->busy_count = 100;
	q = add_poller(s, 6, 1, 12, "tick", t, 1000);
	q->timing = 1;
	q->run_count = 10;
	q->timed_runs = 10;
	q->busy_tsc = 500;
	top_model_update(&m);

	s = begin(&m, 2000000);
	t = add_thread(s, 0, 1, 1, "w0", 0);
	p = add_poller(s, 5, 1, 11, "io", t, 0);
	p->run_count = 1000 + 200000;
	p->busy_count = 100 + 50000;
	q = add_poller(s, 6, 1, 12, "tick", t, 1000);
	q->timing = 1;
	q->run_count = 10 + 1000;
	q->timed_runs = 10 + 1000;
	q->busy_count = 250;
	q->busy_tsc = 500 + 20000;
	top_model_update(&m);
	CU_ASSERT(m.nr_pollers == 2);
	CU_ASSERT(m.threads[0].pollers == 2);
	CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[0], "runs_per_s", &ok) == 200000 && ok);
	CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[0], "busy_runs_per_s", &ok) == 50000 && ok);
	CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[0], "busy_pct", &ok) == 25 && ok);
	/* Timing off: no cycles to show, not zero. */
	num(&m, TOP_TAB_POLLERS, &m.pollers[0], "cycles_per_run", &ok);
	CU_ASSERT(!ok);
	num(&m, TOP_TAB_POLLERS, &m.pollers[0], "cpu_pct", &ok);
	CU_ASSERT(!ok);
	CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_POLLERS, &m.pollers[0], "period_us"), "-");
	CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_POLLERS, &m.pollers[0], "kind"), "active");

	CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[1], "cycles_per_run", &ok) == 20 && ok);
	CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[1], "cpu_pct", &ok) == 2 && ok);
	CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_POLLERS, &m.pollers[1], "period_us"), "1ms");
	CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_POLLERS, &m.pollers[1], "thread"), "w0");
	CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[1], "core", &ok) == 0 && ok);

	/* A poller that did not run in the interval has no busy % (not 0 %). */
	s = begin(&m, 3000000);
	t = add_thread(s, 0, 1, 1, "w0", 0);
	p = add_poller(s, 5, 1, 11, "io", t, 0);
	p->run_count = 201000;
	p->busy_count = 50100;
	p->state = REEF_SHM_POLLER_PAUSED;
	top_model_update(&m);
	num(&m, TOP_TAB_POLLERS, &m.pollers[0], "busy_pct", &ok);
	CU_ASSERT(!ok);
	CU_ASSERT_STRING_EQUAL(m.pollers[0].activity, "paused");
	top_model_fini(&m);
}

static void
born_during_interval(void)
{
	struct top_model m;
	struct reef_shm_snapshot *s;
	struct reef_shm_thread *t;
	struct reef_shm_poller *p;
	bool ok;

	header_init(8, 16, 8);
	model_init(&m);
	s = begin(&m, 1000000);
	add_thread(s, 0, 1, 1, "old", 0);
	top_model_update(&m);

	/* Created 250 ms before the second snapshot: its counters cover 250 ms. */
	s = begin(&m, 2000000);
	add_thread(s, 0, 1, 1, "old", 0);
	t = add_thread(s, 1, 1, 2, "new", 0);
	t->created_tsc = 1750000;
	t->busy_tsc = 125000;
	t->msgs_executed = 100;
	p = add_poller(s, 0, 1, 5, "p", t, 0);
	p->registered_tsc = 1750000;
	p->run_count = 1000;
	top_model_update(&m);
	CU_ASSERT(m.threads[1].span_tsc == 250000);
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[1], "busy_pct", &ok) == 50 && ok);
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[1], "msgs_per_s", &ok) == 400 && ok);
	CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[0], "runs_per_s", &ok) == 4000 && ok);
	top_model_fini(&m);
}

static void
counter_wrap(void)
{
	struct top_model m;
	struct reef_shm_snapshot *s;
	struct reef_shm_thread *t;
	struct reef_shm_poller *p;
	bool ok;

	header_init(8, 16, 8);
	model_init(&m);
	s = begin(&m, 1000000);
	t = add_thread(s, 0, 1, 1, "w", 0);
	p = add_poller(s, 0, 1, 1, "p", t, 0);
	p->run_count = UINT64_MAX - 99;
	top_model_update(&m);

	/* 64-bit wrap: 100 runs to the top, 900 after it. */
	s = begin(&m, 2000000);
	t = add_thread(s, 0, 1, 1, "w", 0);
	p = add_poller(s, 0, 1, 1, "p", t, 0);
	p->run_count = 900;
	top_model_update(&m);
	CU_ASSERT(m.pollers[0].runs.delta == 1000);
	CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[0], "runs_per_s", &ok) == 1000 && ok);

	/* Going back without a new generation is not growth: no rate rather than 1.8e19/s. */
	s = begin(&m, 3000000);
	t = add_thread(s, 0, 1, 1, "w", 0);
	p = add_poller(s, 0, 1, 1, "p", t, 0);
	p->run_count = 100;
	top_model_update(&m);
	num(&m, TOP_TAB_POLLERS, &m.pollers[0], "runs_per_s", &ok);
	CU_ASSERT(!ok);
	CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_POLLERS, &m.pollers[0], "runs_per_s"), "-");

	/* And the next interval is fine again. */
	s = begin(&m, 4000000);
	t = add_thread(s, 0, 1, 1, "w", 0);
	p = add_poller(s, 0, 1, 1, "p", t, 0);
	p->run_count = 600;
	top_model_update(&m);
	CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[0], "runs_per_s", &ok) == 500 && ok);
	top_model_fini(&m);
}

static void
slot_reuse_between_snapshots(void)
{
	struct top_model m;
	struct reef_shm_snapshot *s;
	struct reef_shm_thread *t;
	struct reef_shm_poller *p;
	bool ok;

	header_init(8, 16, 8);
	model_init(&m);
	s = begin(&m, 1000000);
	t = add_thread(s, 2, 1, 10, "gone", 0);
	t->busy_tsc = 900000;
	t->msgs_executed = 5000000;
	p = add_poller(s, 4, 1, 40, "gone_p", t, 0);
	p->run_count = 5000000;
	top_model_update(&m);

	/* The thread and poller exited; a new thread and poller took their slots. */
	s = begin(&m, 2000000);
	t = add_thread(s, 2, 2, 11, "fresh", 1);
	t->created_tsc = 1500000;
	t->busy_tsc = 50000;
	t->msgs_executed = 10;
	p = add_poller(s, 4, 2, 41, "fresh_p", t, 0);
	p->registered_tsc = 1500000;
	p->run_count = 500;
	top_model_update(&m);
	CU_ASSERT(m.nr_threads == 1 && m.threads[0].key == 11);
	/* Counted from zero at creation, never as 10 - 5000000. */
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[0], "msgs_per_s", &ok) == 20 && ok);
	CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[0], "busy_pct", &ok) == 10 && ok);
	CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[0], "runs_per_s", &ok) == 1000 && ok);
	CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_POLLERS, &m.pollers[0], "thread"), "fresh");

	/* Reused after our last look, but created before it (a missed generation): no rate. */
	s = begin(&m, 3000000);
	t = add_thread(s, 2, 3, 12, "other", 1);
	t->created_tsc = 1900000;
	t->msgs_executed = 7;
	top_model_update(&m);
	num(&m, TOP_TAB_THREADS, &m.threads[0], "msgs_per_s", &ok);
	CU_ASSERT(!ok);
	/* A poller whose thread is gone names no thread. */
	top_model_fini(&m);
}

static void
threads_moving_cores(void)
{
	struct top_model m;
	struct reef_shm_snapshot *s;
	struct reef_shm_thread *t, *u;
	struct reef_shm_poller *p;
	uint32_t lc[3] = {0, UINT32_MAX, 1}, step;
	bool ok;

	header_init(8, 16, 8);
	model_init(&m);
	for (step = 0; step < 3; step++) {
		s = begin(&m, 1000000 * (step + 1));
		add_reactor(s, 0);
		add_reactor(s, 1);
		u = add_thread(s, 0, 1, 1, "stay", 0);
		t = add_thread(s, 1, 1, 2, "roamer", lc[step]);
		t->busy_tsc = 100000 * step;
		t->moves = step;
		p = add_poller(s, 0, 1, 1, "roam", t, 0);
		p->run_count = 1000 * step;
		add_poller(s, 1, 1, 2, "stay_p", u, 0);
		s->reactors[0].thread_count = lc[step] == 0 ? 2 : 1;
		s->reactors[1].thread_count = lc[step] == 1 ? 1 : 0;
		top_model_update(&m);
		top_model_arrange(&m, TOP_TAB_THREADS);
		top_model_arrange(&m, TOP_TAB_REACTORS);
		CU_ASSERT(m.nr_threads == 2);
		CU_ASSERT(m.threads[1].lcore == lc[step]);
		if (step > 0) {
			/* Same id, same slot: deltas carry on across the move. */
			CU_ASSERT(num(&m, TOP_TAB_THREADS, &m.threads[1], "busy_pct", &ok) == 10 &&
				  ok);
			CU_ASSERT(num(&m, TOP_TAB_POLLERS, &m.pollers[0], "runs_per_s", &ok) ==
					  1000 &&
				  ok);
		}
		/* Pollers per reactor follow their thread; none while it is between cores. */
		CU_ASSERT(top_model_reactor_by_lcore(&m, 0)->pollers == (lc[step] == 0 ? 2u : 1u));
		CU_ASSERT(top_model_reactor_by_lcore(&m, 1)->pollers == (lc[step] == 1 ? 1u : 0u));
		if (lc[step] == UINT32_MAX) {
			CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_THREADS, &m.threads[1], "core"),
					       "-");
			CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_POLLERS, &m.pollers[0], "core"),
					       "-");
		}
	}
	/* The selection follows the row by key wherever the sort puts it. */
	m.sort_col[TOP_TAB_THREADS] = top_column_find(TOP_TAB_THREADS, "core");
	top_model_arrange(&m, TOP_TAB_THREADS);
	CU_ASSERT(top_model_find_key(&m, TOP_TAB_THREADS, 2) == 1);
	m.sort_reverse[TOP_TAB_THREADS] = true;
	top_model_arrange(&m, TOP_TAB_THREADS);
	CU_ASSERT(top_model_find_key(&m, TOP_TAB_THREADS, 2) == 0);
	CU_ASSERT(top_model_find_key(&m, TOP_TAB_THREADS, 99) == -1);
	top_model_fini(&m);
}

static void
reactor_rates_and_stall(void)
{
	struct top_model m;
	struct reef_shm_snapshot *s;
	struct reef_shm_reactor *r;
	bool ok;

	header_init(8, 16, 8);
	model_init(&m);
	s = begin(&m, 1000000);
	r = add_reactor(s, 0);
	r->iterations = 100;
	top_model_update(&m);

	s = begin(&m, 2000000);
	r = add_reactor(s, 0);
	r->iterations = 100 + 50000;
	r->busy_tsc = 300000;
	r->idle_tsc = 700000;
	r->sleep_tsc = 350000;
	r->sleeps = 10;
	r->stalls = 3;
	r->longest_iter_tsc = 25000;
	snprintf(r->longest_name, sizeof(r->longest_name), "slow_poller");
	top_model_update(&m);
	CU_ASSERT(num(&m, TOP_TAB_REACTORS, &m.reactors[0], "busy_pct", &ok) == 30 && ok);
	CU_ASSERT(num(&m, TOP_TAB_REACTORS, &m.reactors[0], "iterations_per_s", &ok) == 50000 &&
		  ok);
	CU_ASSERT(num(&m, TOP_TAB_REACTORS, &m.reactors[0], "sleep_pct", &ok) == 35 && ok);
	CU_ASSERT(num(&m, TOP_TAB_REACTORS, &m.reactors[0], "longest_us", &ok) == 25000 && ok);
	CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_REACTORS, &m.reactors[0], "culprit"),
			       "slow_poller");
	CU_ASSERT_STRING_EQUAL(text(&m, TOP_TAB_REACTORS, &m.reactors[0], "interrupt"), "on");

	/* Stuck in one iteration for 1.5 s: no iteration ended, so its accounting is still. */
	s = begin(&m, 3000000);
	r = add_reactor(s, 0);
	r->iterations = 50100;
	r->busy_tsc = 300000;
	r->idle_tsc = 700000;
	r->cur_thread_id = 4;
	r->iter_start_tsc = 1500000;
	top_model_update(&m);
	CU_ASSERT_STRING_EQUAL(m.reactors[0].activity, "stalled");
	CU_ASSERT(m.reactors[0].cur_iter_tsc == 1500000);
	CU_ASSERT(num(&m, TOP_TAB_REACTORS, &m.reactors[0], "busy_pct", &ok) == 100 && ok);
	CU_ASSERT(num(&m, TOP_TAB_REACTORS, &m.reactors[0], "iterations_per_s", &ok) == 0 && ok);
	top_model_fini(&m);
}

/* A snapshot with a bit of everything, twice, for the sort and filter tests. */
static void
fill_mixed(struct top_model *m)
{
	static const char *const names[] = {"worker_10", "worker_9",   "Alpha",
					    "beta",      "app_thread", "roamer"};
	struct reef_shm_snapshot *s;
	struct reef_shm_device *d[2];
	uint32_t step, i;

	for (step = 0; step < 2; step++) {
		s = begin(m, 1000000 * (step + 1));
		add_reactor(s, 0)->iterations = 1000 * step;
		add_reactor(s, 1)->iterations = 3000 * step;
		s->reactors[1].busy_tsc = 400000 * step;
		s->reactors[0].idle_tsc = 1000000 * step;
		d[0] = add_device(s, 0, 1, "nic0");
		d[1] = add_device(s, 1, 2, "blk0");
		for (i = 0; i < 6; i++) {
			struct reef_shm_thread *t =
				add_thread(s, i, 1, 100 - i, names[i], i == 5 ? UINT32_MAX : i % 2);
			struct reef_shm_poller *p;

			t->busy_tsc = (uint64_t)step * (i * 37 % 5) * 10000;
			t->idle_tsc = (uint64_t)step * 1000000 - t->busy_tsc;
			t->msgs_executed = (uint64_t)step * (i * 13 % 7) * 100;
			t->active_pollers = i % 3;
			t->timed_pollers = (i * 5) % 4;
			t->paused_pollers = i % 2;
			t->io_channels = i % 3;
			p = add_poller(s, i, 1, 200 + i, names[(i + 3) % 6], t,
				       i % 2 ? 1000 * (i + 1) : 0);
			p->run_count = (uint64_t)step * (i * 7 % 6) * 1000;
			p->busy_count = p->run_count / (i + 1);
			p->timing = i % 3 == 0;
			p->timed_runs = p->timing ? p->run_count : 0;
			p->busy_tsc = p->timing ? p->run_count * (i + 2) : 0;
			p->state = i == 4 ? REEF_SHM_POLLER_PAUSED : REEF_SHM_POLLER_WAITING;
			add_channel(s, i, d[i % 2], t)->ref = (uint32_t)(i % 3 + 1);
			s->channels[i].created_tsc = 1000 * i;
		}
		top_model_update(m);
	}
}

/* Each neighbour pair is in order for column c of tab, ties by key. */
static bool
is_sorted(struct top_model *m, enum top_tab tab, int c)
{
	const struct top_column *cols;
	int n;
	uint32_t i;
	bool desc;

	cols = top_columns(tab, &n);
	desc = top_column_descending(&cols[c]) != m->sort_reverse[tab];
	for (i = 1; i < m->nr_order[tab]; i++) {
		const void *a = top_model_row(m, tab, m->order[tab][i - 1]);
		const void *b = top_model_row(m, tab, m->order[tab][i]);
		uint64_t ka = top_model_row_key(m, tab, m->order[tab][i - 1]);
		uint64_t kb = top_model_row_key(m, tab, m->order[tab][i]);
		int r;

		if (cols[c].str != NULL) {
			r = strverscmp(cols[c].str(m, a), cols[c].str(m, b));
		} else {
			double x, y;
			bool hx = cols[c].num(m, a, &x), hy = cols[c].num(m, b, &y);

			if (hx != hy) {
				/* Rows without a value come last, whichever the direction. */
				if (!hx) {
					return false;
				}
				continue;
			}
			r = !hx ? 0 : x < y ? -1 : x > y;
		}
		if (desc) {
			r = -r;
		}
		if (r > 0 || (r == 0 && ka > kb)) {
			return false;
		}
	}
	return true;
}

static void
sort_by_every_column(void)
{
	struct top_model m;
	enum top_tab tab;
	int c, n, totals;

	header_init(8, 16, 8);
	model_init(&m);
	fill_mixed(&m);
	for (totals = 0; totals < 2; totals++) {
		m.totals = totals;
		for (tab = 0; tab < TOP_TAB_COUNT; tab++) {
			top_columns(tab, &n);
			for (c = 0; c < n; c++) {
				m.sort_col[tab] = c;
				m.sort_reverse[tab] = false;
				top_model_arrange(&m, tab);
				CU_ASSERT(m.nr_order[tab] == (tab == TOP_TAB_REACTORS ? 2u : 6u));
				CU_ASSERT(is_sorted(&m, tab, c));
				m.sort_reverse[tab] = true;
				top_model_arrange(&m, tab);
				CU_ASSERT(is_sorted(&m, tab, c));
			}
		}
	}
	m.totals = false;
	/* Names carry numbers: worker_9 before worker_10. */
	m.sort_col[TOP_TAB_THREADS] = top_column_find(TOP_TAB_THREADS, "name");
	m.sort_reverse[TOP_TAB_THREADS] = false;
	top_model_arrange(&m, TOP_TAB_THREADS);
	CU_ASSERT(top_model_find_key(&m, TOP_TAB_THREADS, 99) <
		  top_model_find_key(&m, TOP_TAB_THREADS, 100));
	/* Columns are found by key, title or totals name, in any case. */
	CU_ASSERT(top_column_find(TOP_TAB_POLLERS, "BUSY%") ==
		  top_column_find(TOP_TAB_POLLERS, "busy_pct"));
	CU_ASSERT(top_column_find(TOP_TAB_POLLERS, "runs/S") ==
		  top_column_find(TOP_TAB_POLLERS, "runs"));
	CU_ASSERT(top_column_find(TOP_TAB_THREADS, "no_such") == -1);
	top_model_fini(&m);
}

static void
filter_by_name(void)
{
	struct top_model m;

	header_init(8, 16, 8);
	model_init(&m);
	fill_mixed(&m);

	snprintf(m.filter, sizeof(m.filter), "WORKER");
	top_model_arrange(&m, TOP_TAB_THREADS);
	CU_ASSERT(m.nr_order[TOP_TAB_THREADS] == 2);
	/* Pollers match by their name or their thread's. */
	snprintf(m.filter, sizeof(m.filter), "alpha");
	top_model_arrange(&m, TOP_TAB_POLLERS);
	CU_ASSERT(m.nr_order[TOP_TAB_POLLERS] == 2);
	/* Reactors match through the threads they run; a moving thread matches none. */
	snprintf(m.filter, sizeof(m.filter), "worker_9");
	top_model_arrange(&m, TOP_TAB_REACTORS);
	CU_ASSERT(m.nr_order[TOP_TAB_REACTORS] == 1);
	CU_ASSERT(m.reactors[m.order[TOP_TAB_REACTORS][0]].lcore == 1);
	snprintf(m.filter, sizeof(m.filter), "roamer");
	top_model_arrange(&m, TOP_TAB_REACTORS);
	CU_ASSERT(m.nr_order[TOP_TAB_REACTORS] == 0);
	/* Channels by device or thread. */
	snprintf(m.filter, sizeof(m.filter), "nic");
	top_model_arrange(&m, TOP_TAB_CHANNELS);
	CU_ASSERT(m.nr_order[TOP_TAB_CHANNELS] == 3);
	snprintf(m.filter, sizeof(m.filter), "beta");
	top_model_arrange(&m, TOP_TAB_CHANNELS);
	CU_ASSERT(m.nr_order[TOP_TAB_CHANNELS] == 1);
	snprintf(m.filter, sizeof(m.filter), "nothing-like-it");
	top_model_arrange(&m, TOP_TAB_THREADS);
	CU_ASSERT(m.nr_order[TOP_TAB_THREADS] == 0);
	m.filter[0] = '\0';
	top_model_arrange(&m, TOP_TAB_THREADS);
	CU_ASSERT(m.nr_order[TOP_TAB_THREADS] == 6);
	/* Devices count their channels. */
	CU_ASSERT(m.devices[0].channels == 3 && m.devices[1].channels == 3);
	top_model_fini(&m);
}

static void
history_per_second(void)
{
	struct top_history h;
	uint8_t out[TOP_HISTORY_LEN];

	memset(&h, 0, sizeof(h));
	top_history_record(&h, 5, 100, 10);
	top_history_record(&h, 5, 100, 20); /* the newest sample of a second wins */
	top_history_record(&h, 5, 103, 40); /* fills the seconds a slow refresh skipped */
	top_history_get(&h, 5, 103, out);
	CU_ASSERT(out[TOP_HISTORY_LEN - 1] == 40);
	CU_ASSERT(out[TOP_HISTORY_LEN - 3] == 40);
	CU_ASSERT(out[TOP_HISTORY_LEN - 4] == 20);
	CU_ASSERT(out[TOP_HISTORY_LEN - 5] == TOP_HISTORY_NONE);
	/* Later seconds not yet seen are empty; a different object starts afresh. */
	top_history_get(&h, 5, 105, out);
	CU_ASSERT(out[TOP_HISTORY_LEN - 1] == TOP_HISTORY_NONE);
	CU_ASSERT(out[TOP_HISTORY_LEN - 3] == 40);
	top_history_get(&h, 6, 103, out);
	CU_ASSERT(out[TOP_HISTORY_LEN - 1] == TOP_HISTORY_NONE);
	top_history_record(&h, 6, 104, 150);
	top_history_get(&h, 6, 104, out);
	CU_ASSERT(out[TOP_HISTORY_LEN - 1] == 100);
	CU_ASSERT(out[TOP_HISTORY_LEN - 2] == TOP_HISTORY_NONE);
	/* A gap longer than the history overwrites all of it. */
	top_history_record(&h, 6, 1000, 7);
	top_history_get(&h, 6, 1000, out);
	CU_ASSERT(out[0] == 7 && out[TOP_HISTORY_LEN - 1] == 7);

	/* Key 0 (reactor 0) in a fresh record is a new object too: one sample, not a minute. */
	memset(&h, 0, sizeof(h));
	top_history_record(&h, 0, 5000, 30);
	top_history_get(&h, 0, 5000, out);
	CU_ASSERT(out[TOP_HISTORY_LEN - 1] == 30);
	CU_ASSERT(out[TOP_HISTORY_LEN - 2] == TOP_HISTORY_NONE);
}

static void
model_keeps_history(void)
{
	struct top_model m;
	struct reef_shm_snapshot *s;
	struct reef_shm_thread *t;
	uint8_t out[TOP_HISTORY_LEN];
	uint64_t i;

	header_init(8, 16, 8);
	model_init(&m);
	for (i = 0; i < 4; i++) {
		s = begin(&m, HZ * (10 + i));
		t = add_thread(s, 0, 1, 1, "w", 0);
		t->busy_tsc = i * i * HZ / 10;
		top_model_update(&m);
	}
	top_model_history(&m, TOP_TAB_THREADS, 0, out);
	CU_ASSERT(out[TOP_HISTORY_LEN - 1] == 50);
	CU_ASSERT(out[TOP_HISTORY_LEN - 2] == 30);
	CU_ASSERT(out[TOP_HISTORY_LEN - 3] == 10);
	CU_ASSERT(out[TOP_HISTORY_LEN - 4] == TOP_HISTORY_NONE);
	top_model_fini(&m);
}

static void
format_compact(void)
{
	struct top_model m;
	struct reef_shm_snapshot *s;
	struct reef_shm_thread *t;
	struct reef_shm_poller *p;
	char buf[32];
	const struct top_column *cols;
	int n;

	header_init(8, 16, 8);
	model_init(&m);
	s = begin(&m, HZ);
	t = add_thread(s, 0, 1, 1, "w", 0);
	add_poller(s, 0, 1, 1, "p", t, 100);
	top_model_update(&m);
	s = begin(&m, 2 * HZ);
	t = add_thread(s, 0, 1, 1, "w", 0);
	p = add_poller(s, 0, 1, 1, "p", t, 100);
	p->run_count = 1234567890;
	top_model_update(&m);
	cols = top_columns(TOP_TAB_POLLERS, &n);
	top_format(&m, &cols[top_column_find(TOP_TAB_POLLERS, "runs")], &m.pollers[0], true, buf,
		   sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1.2G");
	top_format(&m, &cols[top_column_find(TOP_TAB_POLLERS, "runs")], &m.pollers[0], false, buf,
		   sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1234567890");
	top_format(&m, &cols[top_column_find(TOP_TAB_POLLERS, "period_us")], &m.pollers[0], true,
		   buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "100us");
	top_model_fini(&m);
}

/* The sizes issue 5 names: 1024 threads, 65536 pollers. */
static void
big_region_is_fast(void)
{
	struct top_model m;
	struct reef_shm_snapshot *s;
	struct timespec t0, t1;
	uint32_t step, i, j;
	double ms;

	header_init(1024, 65536, 2048);
	model_init(&m);
	for (step = 0; step < 3; step++) {
		s = begin(&m, HZ * (step + 1));
		add_reactor(s, 0);
		add_reactor(s, 1);
		for (i = 0; i < 1024; i++) {
			char name[32];
			struct reef_shm_thread *t;

			snprintf(name, sizeof(name), "thread_%u", i);
			t = add_thread(s, i, 1, i + 1, name, i % 2);
			t->busy_tsc = step * (i % 100) * 1000;
			for (j = 0; j < 64; j++) {
				struct reef_shm_poller *p;

				snprintf(name, sizeof(name), "poller_%u_%u", i, j);
				p = add_poller(s, i * 64 + j, 1, i * 64 + j + 1, name, t, j % 4);
				p->run_count = step * ((i * 64 + j) % 977) * 100;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		top_model_update(&m);
		top_model_arrange(&m, TOP_TAB_POLLERS);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	}
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("\n  65536 pollers: update + sort in %.1f ms\n", ms);
	CU_ASSERT(m.nr_pollers == 65536 && m.nr_order[TOP_TAB_POLLERS] == 65536);
	CU_ASSERT(is_sorted(&m, TOP_TAB_POLLERS, m.sort_col[TOP_TAB_POLLERS]));
	/* Generous for sanitizers and a loaded machine; typically ~20 ms. */
	CU_ASSERT(ms < 1500);
	top_model_fini(&m);
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, thread_deltas_and_rates);
	UT_ADD(suite, poller_rates_and_timing);
	UT_ADD(suite, born_during_interval);
	UT_ADD(suite, counter_wrap);
	UT_ADD(suite, slot_reuse_between_snapshots);
	UT_ADD(suite, threads_moving_cores);
	UT_ADD(suite, reactor_rates_and_stall);
	UT_ADD(suite, sort_by_every_column);
	UT_ADD(suite, filter_by_name);
	UT_ADD(suite, history_per_second);
	UT_ADD(suite, model_keeps_history);
	UT_ADD(suite, format_compact);
	UT_ADD(suite, big_region_is_fast);
	return 0;
}

UT_MAIN("reef_top_model", add_tests)
