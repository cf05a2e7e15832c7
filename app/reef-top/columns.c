/*
 * The columns of each tab (what a value means, how it looks, how it sorts),
 * and arranging rows: filter by name, sort by a column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"

/* ---- values shared by columns, views and tests ---- */

static double
pct(double part, double whole)
{
	double v = whole > 0 ? part * 100.0 / whole : 0;

	/* Records of one snapshot are microseconds apart: never show 100.3 %. */
	return v < 0 ? 0 : v > 100 ? 100 : v;
}

bool
top_rate(const struct top_model *m, const struct top_counter *c, uint64_t span_tsc, double *out)
{
	if (m->totals) {
		*out = (double)c->total;
		return true;
	}
	if (!c->valid || span_tsc == 0) {
		return false;
	}
	*out = (double)c->delta * (double)m->tsc_hz / (double)span_tsc;
	return true;
}

/* Threads share their core: busy % is the share of the interval spent in polls that did work. */
double
top_thread_busy_pct(const struct top_model *m, const struct top_thread *t, bool *ok)
{
	if (m->totals) {
		*ok = true;
		return pct((double)t->busy_tsc.total,
			   (double)t->busy_tsc.total + (double)t->idle_tsc.total);
	}
	*ok = t->busy_tsc.valid && t->span_tsc != 0;
	return *ok ? pct((double)t->busy_tsc.delta, (double)t->span_tsc) : 0;
}

/* A poller is busy in the runs that found work (returned > 0), as in SPDK. */
double
top_poller_busy_pct(const struct top_model *m, const struct top_poller *p, bool *ok)
{
	if (m->totals) {
		*ok = p->runs.total != 0;
		return pct((double)p->busy_runs.total, (double)p->runs.total);
	}
	*ok = p->runs.valid && p->busy_runs.valid && p->runs.delta != 0;
	return *ok ? pct((double)p->busy_runs.delta, (double)p->runs.delta) : 0;
}

double
top_reactor_busy_pct(const struct top_model *m, const struct top_reactor *r, bool *ok)
{
	double busy, all;

	if (m->totals) {
		busy = (double)r->busy_tsc.total;
		all = busy + (double)r->idle_tsc.total;
		*ok = all > 0;
		return pct(busy, all);
	}
	*ok = r->busy_tsc.valid && r->idle_tsc.valid;
	if (!*ok) {
		return 0;
	}
	busy = (double)r->busy_tsc.delta;
	all = busy + (double)r->idle_tsc.delta;
	if (all == 0) {
		/* No iteration ended in the interval: stuck in one, if it is running one. */
		*ok = r->cur_thread_id != 0;
		return *ok ? 100 : 0;
	}
	return pct(busy, all);
}

static double
usec(const struct top_model *m, uint64_t ticks)
{
	return (double)ticks * 1e6 / (double)m->tsc_hz;
}

static bool
ctr_usec(const struct top_model *m, const struct top_counter *c, double *out)
{
	if (m->totals) {
		*out = usec(m, c->total);
		return true;
	}
	*out = usec(m, c->delta);
	return c->valid;
}

static const char *
thread_name_of(const struct top_model *m, int32_t row)
{
	return row >= 0 ? m->threads[row].name : "?";
}

/* ---- threads ---- */

#define ROW(type) const type *r = row

static const char *
th_name(const struct top_model *m, const void *row)
{
	ROW(struct top_thread);
	return r->name;
}

static const char *
th_state(const struct top_model *m, const void *row)
{
	ROW(struct top_thread);
	return r->activity;
}

static bool
th_id(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_thread);
	*out = (double)r->key;
	return true;
}

static bool
th_core(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_thread);
	*out = (double)r->lcore;
	return r->lcore != UINT32_MAX;
}

static bool
th_active(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_thread);
	*out = r->active_pollers;
	return true;
}

static bool
th_timed(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_thread);
	*out = r->timed_pollers;
	return true;
}

static bool
th_paused(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_thread);
	*out = r->paused_pollers;
	return true;
}

static bool
th_msgs(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_thread);
	return top_rate(m, &r->msgs, r->span_tsc, out);
}

static bool
th_busy_pct(const struct top_model *m, const void *row, double *out)
{
	bool ok;

	*out = top_thread_busy_pct(m, row, &ok);
	return ok;
}

static bool
th_busy_us(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_thread);
	return ctr_usec(m, &r->busy_tsc, out);
}

static bool
th_idle_us(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_thread);
	return ctr_usec(m, &r->idle_tsc, out);
}

static bool
th_channels(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_thread);
	*out = r->io_channels;
	return true;
}

static const struct top_column g_thread_cols[] = {
	{"name", NULL, "NAME", NULL, TOP_COL_STR, 0, th_name, NULL},
	{"id", NULL, "ID", NULL, TOP_COL_ID, 6, NULL, th_id},
	{"core", NULL, "CORE", NULL, TOP_COL_CORE, 4, NULL, th_core},
	{"state", NULL, "STATE", NULL, TOP_COL_STR, 7, th_state, NULL},
	{"active_pollers", NULL, "ACT", NULL, TOP_COL_COUNT, 4, NULL, th_active},
	{"timed_pollers", NULL, "TIMED", NULL, TOP_COL_COUNT, 5, NULL, th_timed},
	{"paused_pollers", NULL, "PAUSED", NULL, TOP_COL_COUNT, 6, NULL, th_paused},
	{"msgs_per_s", "msgs", "MSGS/s", "MSGS", TOP_COL_RATE, 8, NULL, th_msgs},
	{"busy_pct", NULL, "BUSY%", NULL, TOP_COL_PCT, 6, NULL, th_busy_pct},
	{"busy_us", NULL, "BUSY_us", NULL, TOP_COL_USEC, 9, NULL, th_busy_us},
	{"idle_us", NULL, "IDLE_us", NULL, TOP_COL_USEC, 9, NULL, th_idle_us},
	{"channels", NULL, "CHAN", NULL, TOP_COL_COUNT, 4, NULL, th_channels},
};

/* ---- pollers ---- */

static const char *
po_name(const struct top_model *m, const void *row)
{
	ROW(struct top_poller);
	return r->name;
}

static const char *
po_thread(const struct top_model *m, const void *row)
{
	ROW(struct top_poller);
	return thread_name_of(m, r->thread_row);
}

static const char *
po_kind(const struct top_model *m, const void *row)
{
	ROW(struct top_poller);
	return r->kind == REEF_SHM_POLLER_TIMED ? "timed" : "active";
}

static const char *
po_state(const struct top_model *m, const void *row)
{
	ROW(struct top_poller);
	return r->activity;
}

static bool
po_id(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_poller);
	*out = (double)r->key;
	return true;
}

static bool
po_core(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_poller);
	if (r->thread_row < 0 || m->threads[r->thread_row].lcore == UINT32_MAX) {
		return false;
	}
	*out = m->threads[r->thread_row].lcore;
	return true;
}

static bool
po_period(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_poller);
	*out = (double)r->period_ticks;
	return r->kind == REEF_SHM_POLLER_TIMED;
}

static bool
po_runs(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_poller);
	return top_rate(m, &r->runs, r->span_tsc, out);
}

static bool
po_busy_runs(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_poller);
	return top_rate(m, &r->busy_runs, r->span_tsc, out);
}

static bool
po_busy_pct(const struct top_model *m, const void *row, double *out)
{
	bool ok;

	*out = top_poller_busy_pct(m, row, &ok);
	return ok;
}

/* Share of the time spent inside the poller function: only measured with timing on. */
static bool
po_cpu_pct(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_poller);
	if (m->totals) {
		uint64_t life = top_model_snapshot(m)->tsc - r->registered_tsc;

		*out = pct((double)r->busy_tsc.total, (double)life);
		return r->timed_runs.total != 0 && (int64_t)life > 0;
	}
	*out = pct((double)r->busy_tsc.delta, (double)r->span_tsc);
	return r->busy_tsc.valid && r->timed_runs.valid && r->timed_runs.delta != 0 &&
	       r->span_tsc != 0;
}

static bool
po_cycles(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_poller);
	if (m->totals) {
		*out = r->timed_runs.total ? (double)r->busy_tsc.total / (double)r->timed_runs.total
					   : 0;
		return r->timed_runs.total != 0;
	}
	*out = r->timed_runs.delta ? (double)r->busy_tsc.delta / (double)r->timed_runs.delta : 0;
	return r->timed_runs.valid && r->busy_tsc.valid && r->timed_runs.delta != 0;
}

static const struct top_column g_poller_cols[] = {
	{"name", NULL, "NAME", NULL, TOP_COL_STR, 0, po_name, NULL},
	{"thread", NULL, "THREAD", NULL, TOP_COL_STR, 12, po_thread, NULL},
	{"id", NULL, "ID", NULL, TOP_COL_ID, 6, NULL, po_id},
	{"core", NULL, "CORE", NULL, TOP_COL_CORE, 4, NULL, po_core},
	{"kind", NULL, "KIND", NULL, TOP_COL_STR, 6, po_kind, NULL},
	{"state", NULL, "STATE", NULL, TOP_COL_STR, 7, po_state, NULL},
	{"period_us", NULL, "PERIOD", NULL, TOP_COL_PERIOD, 7, NULL, po_period},
	{"runs_per_s", "runs", "RUNS/s", "RUNS", TOP_COL_RATE, 8, NULL, po_runs},
	{"busy_runs_per_s", "busy_runs", "BUSY/s", "BUSY", TOP_COL_RATE, 8, NULL, po_busy_runs},
	{"busy_pct", NULL, "BUSY%", NULL, TOP_COL_PCT, 6, NULL, po_busy_pct},
	{"cpu_pct", NULL, "CPU%", NULL, TOP_COL_PCT, 6, NULL, po_cpu_pct},
	{"cycles_per_run", NULL, "CYC/RUN", NULL, TOP_COL_CYCLES, 8, NULL, po_cycles},
};

/* ---- reactors ---- */

static bool
re_core(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_reactor);
	*out = r->lcore;
	return true;
}

static const char *
re_state(const struct top_model *m, const void *row)
{
	ROW(struct top_reactor);
	return r->activity;
}

static bool
re_threads(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_reactor);
	*out = r->thread_count;
	return true;
}

static bool
re_pollers(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_reactor);
	*out = r->pollers;
	return true;
}

static bool
re_busy_pct(const struct top_model *m, const void *row, double *out)
{
	bool ok;

	*out = top_reactor_busy_pct(m, row, &ok);
	return ok;
}

static bool
re_iters(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_reactor);
	return top_rate(m, &r->iterations, r->span_tsc, out);
}

static const char *
re_intr(const struct top_model *m, const void *row)
{
	ROW(struct top_reactor);
	/* A reactor that ever slept in epoll runs in interrupt mode. */
	return r->in_interrupt || r->sleeps.total != 0 ? "on" : "off";
}

static bool
re_sleep_pct(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_reactor);
	if (m->totals) {
		*out = pct((double)r->sleep_tsc.total,
			   (double)r->busy_tsc.total + (double)r->idle_tsc.total);
		return true;
	}
	*out = pct((double)r->sleep_tsc.delta,
		   (double)r->busy_tsc.delta + (double)r->idle_tsc.delta);
	return r->sleep_tsc.valid && r->busy_tsc.valid && r->idle_tsc.valid;
}

static bool
re_stalls(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_reactor);
	*out = (double)r->stalls.total;
	return true;
}

static bool
re_longest(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_reactor);
	*out = usec(m, r->longest_iter_tsc);
	return r->longest_iter_tsc != 0;
}

static const char *
re_culprit(const struct top_model *m, const void *row)
{
	ROW(struct top_reactor);
	return r->longest_name[0] ? r->longest_name : "-";
}

static const struct top_column g_reactor_cols[] = {
	{"core", NULL, "CORE", NULL, TOP_COL_CORE, 4, NULL, re_core},
	{"state", NULL, "STATE", NULL, TOP_COL_STR, 8, re_state, NULL},
	{"threads", NULL, "THREADS", NULL, TOP_COL_COUNT, 7, NULL, re_threads},
	{"pollers", NULL, "POLLERS", NULL, TOP_COL_COUNT, 7, NULL, re_pollers},
	{"busy_pct", NULL, "BUSY%", NULL, TOP_COL_PCT, 6, NULL, re_busy_pct},
	{"iterations_per_s", "iterations", "ITER/s", "ITERS", TOP_COL_RATE, 9, NULL, re_iters},
	{"interrupt", NULL, "INTR", NULL, TOP_COL_STR, 4, re_intr, NULL},
	{"sleep_pct", NULL, "SLEEP%", NULL, TOP_COL_PCT, 6, NULL, re_sleep_pct},
	{"stalls", NULL, "STALLS", NULL, TOP_COL_COUNT, 6, NULL, re_stalls},
	{"longest_us", NULL, "LONGEST_us", NULL, TOP_COL_USEC, 10, NULL, re_longest},
	{"culprit", NULL, "CULPRIT", NULL, TOP_COL_STR, 0, re_culprit, NULL},
};

/* ---- channels ---- */

static const char *
ch_device(const struct top_model *m, const void *row)
{
	ROW(struct top_channel);
	return r->device_row >= 0 ? m->devices[r->device_row].name : "?";
}

static bool
ch_device_id(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_channel);
	*out = (double)r->device_id;
	return true;
}

static const char *
ch_thread(const struct top_model *m, const void *row)
{
	ROW(struct top_channel);
	return thread_name_of(m, r->thread_row);
}

static bool
ch_thread_id(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_channel);
	*out = (double)r->thread_id;
	return true;
}

static bool
ch_core(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_channel);
	if (r->thread_row < 0 || m->threads[r->thread_row].lcore == UINT32_MAX) {
		return false;
	}
	*out = m->threads[r->thread_row].lcore;
	return true;
}

static bool
ch_refs(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_channel);
	*out = r->ref;
	return true;
}

static bool
ch_age(const struct top_model *m, const void *row, double *out)
{
	ROW(struct top_channel);
	uint64_t now = top_model_snapshot(m)->tsc;

	*out = (int64_t)(now - r->created_tsc) > 0 ? top_model_seconds(m, now - r->created_tsc) : 0;
	return true;
}

static const struct top_column g_channel_cols[] = {
	{"device", NULL, "DEVICE", NULL, TOP_COL_STR, 0, ch_device, NULL},
	{"device_id", NULL, "DEV_ID", NULL, TOP_COL_ID, 6, NULL, ch_device_id},
	{"thread", NULL, "THREAD", NULL, TOP_COL_STR, 16, ch_thread, NULL},
	{"thread_id", NULL, "TID", NULL, TOP_COL_ID, 6, NULL, ch_thread_id},
	{"core", NULL, "CORE", NULL, TOP_COL_CORE, 4, NULL, ch_core},
	{"refs", NULL, "REFS", NULL, TOP_COL_COUNT, 5, NULL, ch_refs},
	{"age_s", NULL, "AGE_s", NULL, TOP_COL_COUNT, 8, NULL, ch_age},
};

/* ---- column lookup and formatting ---- */

const struct top_column *
top_columns(enum top_tab tab, int *n)
{
	switch (tab) {
	case TOP_TAB_THREADS:
		*n = (int)(sizeof(g_thread_cols) / sizeof(g_thread_cols[0]));
		return g_thread_cols;
	case TOP_TAB_POLLERS:
		*n = (int)(sizeof(g_poller_cols) / sizeof(g_poller_cols[0]));
		return g_poller_cols;
	case TOP_TAB_REACTORS:
		*n = (int)(sizeof(g_reactor_cols) / sizeof(g_reactor_cols[0]));
		return g_reactor_cols;
	default:
		*n = (int)(sizeof(g_channel_cols) / sizeof(g_channel_cols[0]));
		return g_channel_cols;
	}
}

int
top_column_find(enum top_tab tab, const char *name)
{
	const struct top_column *cols;
	int n, i;

	cols = top_columns(tab, &n);
	for (i = 0; i < n; i++) {
		if (strcasecmp(name, cols[i].key) == 0 || strcasecmp(name, cols[i].title) == 0 ||
		    (cols[i].key_total && strcasecmp(name, cols[i].key_total) == 0) ||
		    (cols[i].title_total && strcasecmp(name, cols[i].title_total) == 0)) {
			return i;
		}
	}
	return -1;
}

const char *
top_column_title(const struct top_model *m, const struct top_column *col)
{
	return m->totals && col->title_total ? col->title_total : col->title;
}

bool
top_column_descending(const struct top_column *col)
{
	switch (col->type) {
	case TOP_COL_STR:
	case TOP_COL_ID:
	case TOP_COL_CORE:
	case TOP_COL_PERIOD:
		return false;
	default:
		return true;
	}
}

/* Print v with decimals; on the screen, when that is too wide, as 1.2k, 34.5M, 678G... */
static void
fmt_num(double v, int decimals, int width, char *buf, size_t len)
{
	static const char suffix[] = "kMGTPE";
	int i = -1;

	snprintf(buf, len, "%.*f", decimals, v);
	if (width <= 0 || (int)strlen(buf) <= width) {
		return;
	}
	/* Three significant digits read faster than all of them. */
	while (v >= 999.95 && suffix[i + 1] != '\0') {
		v /= 1000.0;
		i++;
	}
	if (i < 0) {
		snprintf(buf, len, "%.0f", v);
		return;
	}
	snprintf(buf, len, "%.1f%c", v, suffix[i]);
	if ((int)strlen(buf) > width) {
		snprintf(buf, len, "%.0f%c", v, suffix[i]);
	}
}

static void
fmt_period(const struct top_model *m, double ticks, char *buf, size_t len)
{
	double us = ticks * 1e6 / (double)m->tsc_hz;

	if (us < 1000) {
		snprintf(buf, len, "%.3gus", us);
	} else if (us < 1e6) {
		snprintf(buf, len, "%.3gms", us / 1e3);
	} else {
		snprintf(buf, len, "%.3gs", us / 1e6);
	}
}

void
top_format(const struct top_model *m, const struct top_column *col, const void *row, bool compact,
	   char *buf, size_t len)
{
	int width = compact ? col->width : 0;
	double v;

	if (col->str != NULL) {
		snprintf(buf, len, "%s", col->str(m, row));
		return;
	}
	if (!col->num(m, row, &v)) {
		snprintf(buf, len, "-");
		return;
	}
	switch (col->type) {
	case TOP_COL_PCT:
		fmt_num(v, 1, width, buf, len);
		break;
	case TOP_COL_RATE:
		fmt_num(v, !m->totals && v < 10 && v != 0 ? 1 : 0, width, buf, len);
		break;
	case TOP_COL_PERIOD:
		fmt_period(m, v, buf, len);
		break;
	default:
		fmt_num(v, 0, width, buf, len);
		break;
	}
}

/* ---- filter and sort ---- */

struct sort_ent {
	double num;
	const char *str;
	uint64_t key;
	uint32_t idx;
	uint32_t has; /* the row has a value in the sort column */
};

_Static_assert(sizeof(struct sort_ent) <= 48, "top_model_init sizes the sort scratch");

struct sort_ctx {
	bool str;
	int dir; /* 1 ascending, -1 descending */
};

static int
compare(const void *a, const void *b, void *arg)
{
	const struct sort_ent *x = a, *y = b;
	const struct sort_ctx *c = arg;
	int r = 0;

	/* Rows without a value go last whichever way the column sorts. */
	if (x->has != y->has) {
		return x->has ? -1 : 1;
	}
	if (x->has) {
		if (c->str) {
			/* "worker_10" after "worker_9": names carry numbers. */
			r = strverscmp(x->str, y->str) * c->dir;
		} else if (x->num != y->num) {
			r = (x->num < y->num ? -1 : 1) * c->dir;
		}
	}
	if (r == 0) {
		/* A total order: equal rows keep their place between refreshes. */
		r = x->key < y->key ? -1 : x->key > y->key;
	}
	return r;
}

static bool
contains(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

static bool
row_matches(const struct top_model *m, enum top_tab tab, uint32_t i)
{
	const char *f = m->filter;

	switch (tab) {
	case TOP_TAB_THREADS:
		return contains(m->threads[i].name, f);
	case TOP_TAB_POLLERS:
		/* A thread's name shows all its pollers. */
		return contains(m->pollers[i].name, f) ||
		       contains(thread_name_of(m, m->pollers[i].thread_row), f);
	case TOP_TAB_REACTORS:
		return m->reactor_match[i] != 0;
	default:
		return contains(ch_device(m, &m->channels[i]), f) ||
		       contains(thread_name_of(m, m->channels[i].thread_row), f);
	}
}

/* A reactor matches when one of the threads it runs does. */
static void
match_reactors(struct top_model *m)
{
	uint32_t i;

	memset(m->reactor_match, 0, m->nr_reactors);
	for (i = 0; i < m->nr_threads; i++) {
		const struct top_reactor *r;

		if (!contains(m->threads[i].name, m->filter)) {
			continue;
		}
		r = top_model_reactor_by_lcore(m, m->threads[i].lcore);
		if (r != NULL) {
			m->reactor_match[r - m->reactors] = 1;
		}
	}
}

static uint32_t
row_count(const struct top_model *m, enum top_tab tab)
{
	switch (tab) {
	case TOP_TAB_THREADS:
		return m->nr_threads;
	case TOP_TAB_POLLERS:
		return m->nr_pollers;
	case TOP_TAB_REACTORS:
		return m->nr_reactors;
	default:
		return m->nr_channels;
	}
}

void
top_model_arrange(struct top_model *m, enum top_tab tab)
{
	struct sort_ent *ents = m->sort_scratch;
	const struct top_column *cols, *col;
	struct sort_ctx ctx;
	uint32_t n = row_count(m, tab), i, k = 0;
	int ncols, c = m->sort_col[tab];
	bool filter = m->filter[0] != '\0';

	cols = top_columns(tab, &ncols);
	if (c < 0 || c >= ncols) {
		c = 0;
	}
	col = &cols[c];
	if (filter && tab == TOP_TAB_REACTORS) {
		match_reactors(m);
	}
	for (i = 0; i < n; i++) {
		const void *row = top_model_row(m, tab, i);
		struct sort_ent *e;

		if (filter && !row_matches(m, tab, i)) {
			continue;
		}
		e = &ents[k++];
		e->idx = i;
		e->key = top_model_row_key(m, tab, i);
		e->str = NULL;
		e->num = 0;
		if (col->str != NULL) {
			e->str = col->str(m, row);
			e->has = 1;
		} else {
			e->has = col->num(m, row, &e->num);
		}
	}
	ctx.str = col->str != NULL;
	ctx.dir = top_column_descending(col) ? -1 : 1;
	if (m->sort_reverse[tab]) {
		ctx.dir = -ctx.dir;
	}
	qsort_r(ents, k, sizeof(*ents), compare, &ctx);
	for (i = 0; i < k; i++) {
		m->order[tab][i] = ents[i].idx;
	}
	m->nr_order[tab] = k;
}
