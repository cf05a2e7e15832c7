/*
 * Popups over the table: the details of a thread, poller, reactor or
 * channel (live, followed by key), the help, and the sort column menu.
 */
#include <errno.h>
#include <curses.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reef/trace_export.h"
#include "view.h"

#define POPUP_LINES 600
/* Bytes of a line: a sparkline is 60 three-byte UTF-8 blocks. */
#define LINE_BYTES 320

struct lines {
	char text[POPUP_LINES][LINE_BYTES];
	int attr[POPUP_LINES];
	bool table[POPUP_LINES]; /* a table row: cut on the right, never wrapped */
	int hang[POPUP_LINES];   /* where a wrapped line continues (0: under its start) */
	int n;
};

static struct lines g_lines;
/* Columns inside the popup on this screen (for the sparklines' length). */
static int g_inner_cols = 80;

static void
vadd(struct lines *l, int attr, bool table, const char *fmt, va_list ap)
{
	if (l->n >= POPUP_LINES) {
		return;
	}
	vsnprintf(l->text[l->n], sizeof(l->text[0]), fmt, ap);
	l->attr[l->n] = attr;
	l->hang[l->n] = 0;
	l->table[l->n++] = table;
}

/* A line of prose: wrapped when the screen is narrower. */
static void __attribute__((format(printf, 3, 4)))
add(struct lines *l, int attr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(l, attr, false, fmt, ap);
	va_end(ap);
}

/* A row of a table (or a sparkline): its columns stay aligned, the right ones are cut. */
static void __attribute__((format(printf, 3, 4)))
add_row(struct lines *l, int attr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(l, attr, true, fmt, ap);
	va_end(ap);
}

static double
ago_s(const struct top_model *m, uint64_t tsc)
{
	uint64_t now = top_model_snapshot(m)->tsc;

	return (int64_t)(now - tsc) > 0 ? top_model_seconds(m, now - tsc) : 0;
}

static double
us(const struct top_model *m, uint64_t ticks)
{
	return top_model_seconds(m, ticks) * 1e6;
}

/* A duration in the unit that reads best: "850 us", "12.3 ms", "3.44 s". */
static const char *
dur(const struct top_model *m, uint64_t ticks, char *buf, size_t len)
{
	double u = us(m, ticks);

	if (u < 1000) {
		snprintf(buf, len, "%.1f us", u);
	} else if (u < 1e6) {
		snprintf(buf, len, "%.1f ms", u / 1e3);
	} else {
		snprintf(buf, len, "%.2f s", u / 1e6);
	}
	return buf;
}

/* A column of a row as the table shows it. */
static const char *cell(const struct top_model *m, enum top_tab tab, const char *key,
			const void *row, char *buf, size_t len);

/* A percentage column with its sign ("30.0%"), or "-" without a value. */
static const char *
pct_cell(const struct top_model *m, enum top_tab tab, const char *key, const void *row, char *buf,
	 size_t len)
{
	cell(m, tab, key, row, buf, len);
	if (strcmp(buf, "-") != 0 && strlen(buf) + 1 < len) {
		strcat(buf, "%");
	}
	return buf;
}

static const char *
cell(const struct top_model *m, enum top_tab tab, const char *key, const void *row, char *buf,
     size_t len)
{
	const struct top_column *cols;
	int n, c = top_column_find(tab, key);

	cols = top_columns(tab, &n);
	if (c < 0) {
		snprintf(buf, len, "?");
	} else {
		top_format(m, &cols[c], row, true, buf, len);
	}
	return buf;
}

/* The width of the names in a popup's table whose other columns take rest. */
static int
name_width(int rest)
{
	int w = g_inner_cols - 4 - rest;

	return w > 24 ? 24 : w < 10 ? 10 : w;
}

/*
 * The heading of a table in a popup: "Pollers (8)" beside the column titles,
 * or above them with the rows less indented when the popup is narrow.
 * Returns the rows' indentation.
 */
static int __attribute__((format(printf, 4, 5)))
add_table_head(struct lines *l, int cols_wide, const char *title, const char *fmt, ...)
{
	char heads[LINE_BYTES];
	int indent = g_inner_cols >= 14 + cols_wide ? 14 : 4;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(heads, sizeof(heads), fmt, ap);
	va_end(ap);
	if (indent == 14) {
		add_row(l, A_BOLD, "%-13s %s", title, heads);
	} else {
		add_row(l, A_BOLD, "%s", title);
		add_row(l, A_BOLD, "%*s%s", indent, "", heads);
	}
	return indent;
}

static void
add_history(struct view *v, struct lines *l, enum top_tab tab, uint32_t index, const char *what)
{
	uint8_t samples[TOP_HISTORY_LEN];
	char spark[TOP_HISTORY_LEN * 4 + 1];
	/* On a narrow screen the newest seconds: room for "  [" and "] no samples yet". */
	int i, last = -1, n = g_inner_cols - 19;

	if (n > TOP_HISTORY_LEN) {
		n = TOP_HISTORY_LEN;
	}
	if (n < 10) {
		n = 10;
	}
	top_model_history(v->m, tab, index, samples);
	view_sparkline(v, samples + TOP_HISTORY_LEN - n, n, spark, sizeof(spark));
	for (i = TOP_HISTORY_LEN - 1; i >= 0 && last < 0; i--) {
		if (samples[i] != TOP_HISTORY_NONE) {
			last = samples[i];
		}
	}
	add(l, A_NORMAL, "%s, last %d s (one mark a second):", what, n);
	if (last < 0) {
		add_row(l, view_attr(v, STYLE_BUSY), "  [%s] no samples yet", spark);
	} else {
		add_row(l, view_attr(v, STYLE_BUSY), "  [%s] now %d%%", spark, last);
	}
}

static void
thread_details(struct view *v, struct lines *l, const struct top_thread *t)
{
	const struct top_model *m = v->m;
	char a[32], b[32], c[32], d[32], title[32];
	int indent, namew;
	uint32_t i, shown = 0;

	add(l, A_BOLD, "Thread %s (id %" PRIu64 ")", t->name, t->key);
	add(l, A_NORMAL, "  core %s   state %s (%s)   %s%s  cpumask 0x%" PRIx64,
	    t->lcore == UINT32_MAX ? "- (moving)" : cell(m, TOP_TAB_THREADS, "core", t, a, 32),
	    t->activity, reef_shm_thread_state_str(t->state),
	    t->flags & REEF_SHM_THREAD_F_APP ? "app thread  " : "",
	    t->flags & REEF_SHM_THREAD_F_BOUND ? "bound  " : "", t->cpumask0);
	add(l, A_NORMAL,
	    "  created %.1f s ago   moved %" PRIu64 " times   polls %" PRIu64
	    "   messages waiting %u",
	    ago_s(m, t->created_tsc), t->moves, t->polls,
	    reef_shm_thread_msgs_pending(v->src->region, t->slot));
	add(l, A_NORMAL, "  %s %s   busy %s   busy %s us   idle %s us",
	    m->totals ? "messages" : "messages/s", cell(m, TOP_TAB_THREADS, "msgs_per_s", t, a, 32),
	    pct_cell(m, TOP_TAB_THREADS, "busy_pct", t, b, 32),
	    cell(m, TOP_TAB_THREADS, "busy_us", t, c, 32),
	    cell(m, TOP_TAB_THREADS, "idle_us", t, d, 32));
	add(l, A_NORMAL,
	    "  messages executed %" PRIu64 "   critical %" PRIu64
	    "   from other processes %" PRIu64,
	    t->msgs.total, t->critical_msgs, t->remote_msgs);
	if (t->running_poller_id == UINT64_MAX) {
		add(l, A_NORMAL, "  now running: a message");
	} else if (t->running_poller_id != 0) {
		const struct top_poller *p = top_model_poller_by_id(m, t->running_poller_id);

		add(l, A_NORMAL, "  now running: poller %" PRIu64 " (%s)", t->running_poller_id,
		    p ? p->name : "?");
	}
	add_history(v, l, TOP_TAB_THREADS, (uint32_t)(t - m->threads), "Busy %");
	add(l, A_NORMAL, "%s", "");
	snprintf(title, sizeof(title), "Pollers (%u)", t->pollers);
	namew = name_width(40);
	indent = add_table_head(l, namew + 40, title, "%-*s %6s %-7s %-7s %9s %6s", namew, "NAME",
				"ID", "KIND", "STATE", m->totals ? "RUNS" : "RUNS/s", "BUSY%");
	for (i = 0; i < m->nr_pollers; i++) {
		const struct top_poller *p = &m->pollers[i];

		if (p->thread_row < 0 || &m->threads[p->thread_row] != t) {
			continue;
		}
		shown++;
		add_row(l, view_attr(v, view_style_of_activity(p->activity)),
			"%*s%-*.*s %6" PRIu64 " %-7s %-7s %9s %6s", indent, "", namew, namew,
			p->name, p->key, p->kind == REEF_SHM_POLLER_TIMED ? "timed" : "active",
			p->activity, cell(m, TOP_TAB_POLLERS, "runs_per_s", p, a, 32),
			cell(m, TOP_TAB_POLLERS, "busy_pct", p, b, 32));
	}
	if (shown == 0) {
		add(l, A_DIM, "%*snone", indent, "");
	}
	add(l, A_NORMAL, "%s", "");
	add(l, A_BOLD, "io_channels (%u)", t->io_channels);
	shown = 0;
	for (i = 0; i < m->nr_channels; i++) {
		const struct top_channel *ch = &m->channels[i];

		if (ch->thread_row < 0 || &m->threads[ch->thread_row] != t) {
			continue;
		}
		shown++;
		add_row(l, A_NORMAL, "%*s%-24s device %" PRIu64 "   refs %u", indent, "",
			ch->device_row >= 0 ? m->devices[ch->device_row].name : "?", ch->device_id,
			ch->ref);
	}
	if (shown == 0) {
		add(l, A_DIM, "%*snone", indent, "");
	}
}

/*
 * Run-time percentiles measured by `reef-trace --export` through USDT probes
 * (include/reef/trace_export.h), when it runs against this primary.
 */
static void
trace_lines(const struct top_model *m, struct lines *l, const struct top_poller *p)
{
	const struct reef_shm_header *h = &m->snaps[m->cur].header;
	struct reef_trace_poller_stats st;
	char a[32], b[32], c[32], d[32];
	int rc;

	rc = reef_trace_export_lookup(h->app_name, h->primary_pid, p->key, &st);
	if (rc == -ENOENT) {
		add(l, A_DIM,
		    "  run times: start `reef-trace -n %s --export` to see percentiles here",
		    h->app_name);
		return;
	}
	if (rc != 0) {
		add(l, A_DIM, "  run times: reef-trace's export is unusable (%s)", strerror(-rc));
		return;
	}
	add(l, A_NORMAL,
	    "  run times (reef-trace, last interval): %" PRIu64 " runs  p50 %s  p90 %s"
	    "  p99 %s  max %s",
	    st.runs, dur(m, st.p50, a, 32), dur(m, st.p90, b, 32), dur(m, st.p99, c, 32),
	    dur(m, st.max, d, 32));
	add(l, A_NORMAL,
	    "  run times (reef-trace, since attached): %" PRIu64 " runs  p50 %s  p90 %s"
	    "  p99 %s  max %s",
	    st.total_runs, dur(m, st.total_p50, a, 32), dur(m, st.total_p90, b, 32),
	    dur(m, st.total_p99, c, 32), dur(m, st.total_max, d, 32));
}

static void
poller_details(struct view *v, struct lines *l, const struct top_poller *p)
{
	const struct top_model *m = v->m;
	const struct top_thread *t = p->thread_row >= 0 ? &m->threads[p->thread_row] : NULL;
	char a[32], b[32], c[32], d[32], e[32];

	add(l, A_BOLD, "Poller %s (id %" PRIu64 ")", p->name, p->key);
	add(l, A_NORMAL, "  on thread %s (id %" PRIu64 "), core %s", t ? t->name : "?",
	    p->thread_id, cell(m, TOP_TAB_POLLERS, "core", p, a, 32));
	add(l, view_attr(v, view_style_of_activity(p->activity)),
	    "  %s   state %s (%s)   period %s",
	    p->kind == REEF_SHM_POLLER_TIMED ? "timed" : "active", p->activity,
	    reef_shm_poller_state_str(p->state), cell(m, TOP_TAB_POLLERS, "period_us", p, b, 32));
	add(l, A_NORMAL, "  registered %.1f s ago   slot %u (generation %u)",
	    ago_s(m, p->registered_tsc), p->slot, p->gen);
	add(l, A_NORMAL, "  runs %s%s  busy runs %s%s  busy %s",
	    cell(m, TOP_TAB_POLLERS, "runs_per_s", p, a, 32), m->totals ? "" : "/s",
	    cell(m, TOP_TAB_POLLERS, "busy_runs_per_s", p, b, 32), m->totals ? "" : "/s",
	    pct_cell(m, TOP_TAB_POLLERS, "busy_pct", p, c, 32));
	add(l, A_NORMAL, "  totals: %" PRIu64 " runs, %" PRIu64 " busy", p->runs.total,
	    p->busy_runs.total);
	if (p->timing || p->timed_runs.total != 0) {
		char f[32];

		add(l, A_NORMAL,
		    "  timing %s: %s cycles/run   cpu %s   longest run %s   %" PRIu64 " runs timed",
		    p->timing ? "on" : "off (earlier measurements)",
		    cell(m, TOP_TAB_POLLERS, "cycles_per_run", p, d, 32),
		    pct_cell(m, TOP_TAB_POLLERS, "cpu_pct", p, e, 32),
		    dur(m, p->max_run_tsc, f, 32), p->timed_runs.total);
	} else {
		add(l, A_DIM, "  timing off: T measures its cycles per run");
	}
	trace_lines(m, l, p);
	add_history(v, l, TOP_TAB_POLLERS, (uint32_t)(p - m->pollers),
		    "Busy % (runs that found work)");
	add(l, A_NORMAL, "%s", "");
	add(l, A_DIM, "  P %s   T timing %s   Esc close",
	    p->state == REEF_SHM_POLLER_PAUSED || p->state == REEF_SHM_POLLER_PAUSING ? "resume"
										      : "pause",
	    p->timing ? "off" : "on");
}

static void
reactor_details(struct view *v, struct lines *l, const struct top_reactor *r)
{
	const struct top_model *m = v->m;
	const struct top_thread *cul = top_model_thread_by_id(m, r->longest_thread_id);
	const struct top_thread *cur = top_model_thread_by_id(m, r->cur_thread_id);
	char a[32], b[32], c[32], title[32];
	int indent, namew;
	uint32_t i;

	add(l, A_BOLD, "Reactor on core %u", r->lcore);
	add(l, view_attr(v, view_style_of_activity(r->activity)), "  state %s (%s)   interrupt %s",
	    r->activity, reef_shm_reactor_state_str(r->state),
	    cell(m, TOP_TAB_REACTORS, "interrupt", r, a, 32));
	add(l, A_NORMAL, "  busy %s   %s %s   asleep %s",
	    pct_cell(m, TOP_TAB_REACTORS, "busy_pct", r, a, 32),
	    m->totals ? "iterations" : "iterations/s",
	    cell(m, TOP_TAB_REACTORS, "iterations_per_s", r, b, 32),
	    pct_cell(m, TOP_TAB_REACTORS, "sleep_pct", r, c, 32));
	add(l, A_NORMAL, "  longest iteration %s, in %s on thread %s",
	    dur(m, r->longest_iter_tsc, a, sizeof(a)), r->longest_name[0] ? r->longest_name : "-",
	    cul ? cul->name : (r->longest_thread_id ? "(gone)" : "-"));
	if (r->stalls.total != 0) {
		add(l, view_attr(v, STYLE_ALERT),
		    "  stalls %" PRIu64 " (iterations over %.1f ms), the last %.1f s ago",
		    r->stalls.total, us(m, r->stall_threshold_tsc) / 1000,
		    ago_s(m, r->last_stall_tsc));
	} else {
		add(l, A_NORMAL, "  stalls 0 (threshold %.1f ms)",
		    us(m, r->stall_threshold_tsc) / 1000);
	}
	if (r->cur_thread_id != 0) {
		add(l,
		    r->cur_iter_tsc >= r->stall_threshold_tsc && r->stall_threshold_tsc
			    ? view_attr(v, STYLE_ALERT)
			    : (int)A_NORMAL,
		    "  now polling thread %s; this iteration has run %s", cur ? cur->name : "?",
		    dur(m, r->cur_iter_tsc, a, sizeof(a)));
	}
	add(l, A_NORMAL, "  threads moved in %" PRIu64 ", out %" PRIu64, r->threads_in,
	    r->threads_out);
	add_history(v, l, TOP_TAB_REACTORS, (uint32_t)(r - m->reactors), "Busy %");
	add(l, A_NORMAL, "%s", "");
	snprintf(title, sizeof(title), "Threads (%u)", r->thread_count);
	namew = name_width(32);
	indent = add_table_head(l, namew + 32, title, "%-*s %6s %-8s %6s %8s", namew, "NAME", "ID",
				"STATE", "BUSY%", m->totals ? "MSGS" : "MSGS/s");
	for (i = 0; i < m->nr_threads; i++) {
		const struct top_thread *t = &m->threads[i];

		if (t->lcore != r->lcore) {
			continue;
		}
		add_row(l, view_attr(v, view_style_of_activity(t->activity)),
			"%*s%-*.*s %6" PRIu64 " %-8s %6s %8s", indent, "", namew, namew, t->name,
			t->key, t->activity, cell(m, TOP_TAB_THREADS, "busy_pct", t, a, 32),
			cell(m, TOP_TAB_THREADS, "msgs_per_s", t, b, 32));
	}
}

static void
channel_details(struct view *v, struct lines *l, const struct top_channel *ch)
{
	const struct top_model *m = v->m;
	const struct top_device *d = ch->device_row >= 0 ? &m->devices[ch->device_row] : NULL;
	const struct top_thread *t = ch->thread_row >= 0 ? &m->threads[ch->thread_row] : NULL;
	const struct top_thread *owner = d ? top_model_thread_by_id(m, d->owner_thread_id) : NULL;
	uint32_t i;

	add(l, A_BOLD, "io_channel of %s on thread %s", d ? d->name : "?", t ? t->name : "?");
	add(l, A_NORMAL, "  refs %u   created %.1f s ago   slot %u (generation %u)", ch->ref,
	    ago_s(m, ch->created_tsc), ch->slot, ch->gen);
	if (d != NULL) {
		add(l, A_NORMAL, "%s", "");
		add(l, A_BOLD, "io_device %s (id %" PRIu64 ")%s", d->name, d->id,
		    d->unregistered ? "  unregistering" : "");
		add(l, A_NORMAL, "  registered by thread %s, %.1f s ago",
		    owner ? owner->name : "(gone)", ago_s(m, d->created_tsc));
		add(l, A_NORMAL, "  channels open %u (refcnt %u), created in all %" PRIu64,
		    d->channels, d->refcnt, d->channels_created);
		for (i = 0; i < m->nr_channels; i++) {
			const struct top_channel *o = &m->channels[i];
			char core[16];

			if (o->device_row != ch->device_row) {
				continue;
			}
			add_row(l, A_NORMAL, "    thread %-24s core %-4s refs %u",
				o->thread_row >= 0 ? m->threads[o->thread_row].name : "?",
				cell(m, TOP_TAB_CHANNELS, "core", o, core, sizeof(core)), o->ref);
		}
	}
}

static void
help(struct view *v, struct lines *l)
{
	static const char *const keys[][2] = {
		{"1 2 3 4, Tab, S-Tab", "threads, pollers, reactors (cores), channels"},
		{"Up Down j k", "select a row"},
		{"PgUp PgDn Home End", "page, first, last row"},
		{"< > , .", "sort by the column left / right of the current one"},
		{"F6", "choose the sort column from a list"},
		{"r", "reverse the sort order"},
		{"/ F4", "filter by name (pollers: also their thread's; reactors: threads)"},
		{"Esc", "clear the filter, close a popup"},
		{"Enter", "details of the selected row (live; Esc closes)"},
		{"Space", "freeze the display (the data stays still to read)"},
		{"t", "per-interval values / totals since creation"},
		{"d", "change the refresh interval (fractions of seconds allowed)"},
		{"P", "pause or resume the selected poller (through the primary)"},
		{"T", "switch the selected poller's timing (cycles per run) on or off"},
		{"Ctrl-L", "redraw the screen"},
		{"? h F1", "this help"},
		{"q F10", "quit"},
	};
	size_t i;

	add(l, A_BOLD, "reef-top %s: keys", REEF_VERSION_STRING);
	add(l, A_NORMAL, "%s", "");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		add(l, A_NORMAL, "  %-20s %s", keys[i][0], keys[i][1]);
		/* A long description wraps under itself, the keys stay alone on the left. */
		l->hang[l->n - 1] = 23;
	}
	add(l, A_NORMAL, "%s", "");
	add(l, A_NORMAL, "  Rates are per second over the last interval; busy %% of a thread is");
	add(l, A_NORMAL, "  the share of the interval spent in polls that did work, of a poller");
	add(l, A_NORMAL, "  the share of runs that found work, of a reactor its busy time.");
	add(l, A_NORMAL, "  Colours: %s busy, %s idle, %s paused, %s asleep, %s exiting/stalled.",
	    v->color ? "green" : "plain", v->color ? "blue" : "dim",
	    v->color ? "yellow" : "underlined", v->color ? "cyan" : "dim underlined",
	    v->color ? "red" : "bold");
	add(l, A_DIM, "  Up Down PgUp PgDn scroll, any other key closes this help.");
}

static void
sort_menu(struct view *v, struct lines *l)
{
	const struct top_column *cols;
	int n, c;

	cols = top_columns(v->tab, &n);
	add(l, A_BOLD, "Sort by (Enter picks, Esc keeps)");
	for (c = 0; c < n; c++) {
		add_row(l, c == v->sort_sel ? view_attr(v, STYLE_SELECTED) : (int)A_NORMAL,
			"  %-12s %-18s ", top_column_title(v->m, &cols[c]), cols[c].key);
	}
}

/* Row index of a key in the row arrays, or -1 if the object has gone. */
static int64_t
row_of_key(const struct top_model *m, enum top_tab tab, uint64_t key)
{
	uint32_t i, n = tab == TOP_TAB_THREADS    ? m->nr_threads
			: tab == TOP_TAB_POLLERS  ? m->nr_pollers
			: tab == TOP_TAB_REACTORS ? m->nr_reactors
						  : m->nr_channels;

	for (i = 0; i < n; i++) {
		if (top_model_row_key(m, tab, i) == key) {
			return i;
		}
	}
	return -1;
}

void
view_open_details(struct view *v)
{
	if (!v->has_sel[v->tab] || v->m->nr_order[v->tab] == 0) {
		view_set_status(v, true, "nothing selected");
		return;
	}
	v->popup = POPUP_DETAILS;
	v->popup_tab = v->tab;
	v->popup_key = v->sel_key[v->tab];
	v->popup_scroll = 0;
}

const struct top_poller *
view_target_poller(const struct view *v)
{
	int64_t r;

	if (v->popup == POPUP_DETAILS) {
		if (v->popup_tab != TOP_TAB_POLLERS) {
			return NULL;
		}
		r = row_of_key(v->m, TOP_TAB_POLLERS, v->popup_key);
	} else if (v->tab == TOP_TAB_POLLERS && v->has_sel[v->tab]) {
		r = row_of_key(v->m, TOP_TAB_POLLERS, v->sel_key[v->tab]);
	} else {
		return NULL;
	}
	return r >= 0 ? &v->m->pollers[r] : NULL;
}

static void
fill(struct view *v, struct lines *l)
{
	int64_t r;

	l->n = 0;
	switch (v->popup) {
	case POPUP_HELP:
		help(v, l);
		return;
	case POPUP_SORT:
		sort_menu(v, l);
		return;
	default:
		break;
	}
	r = row_of_key(v->m, v->popup_tab, v->popup_key);
	if (r < 0) {
		add(l, view_attr(v, STYLE_ALERT), "It has gone (exited, unregistered or closed).");
		add(l, A_DIM, "Esc closes.");
		return;
	}
	switch (v->popup_tab) {
	case TOP_TAB_THREADS:
		thread_details(v, l, &v->m->threads[r]);
		break;
	case TOP_TAB_POLLERS:
		poller_details(v, l, &v->m->pollers[r]);
		break;
	case TOP_TAB_REACTORS:
		reactor_details(v, l, &v->m->reactors[r]);
		break;
	default:
		channel_details(v, l, &v->m->channels[r]);
		break;
	}
}

/* Columns a UTF-8 string takes (the sparklines' blocks are one column, three bytes). */
static int
columns_of(const char *text)
{
	int n = 0;

	for (; *text != '\0'; text++) {
		n += ((unsigned char)*text & 0xc0) != 0x80;
	}
	return n;
}

/* Bytes of text that fit in cols columns, never splitting a character. */
static int
bytes_for(const char *text, int cols)
{
	int i = 0;

	while (text[i] != '\0') {
		int next = i + 1;

		while (((unsigned char)text[next] & 0xc0) == 0x80) {
			next++;
		}
		if (cols-- <= 0) {
			break;
		}
		i = next;
	}
	return i;
}

/* A line on the screen: a piece of a popup line, indented when it continues one. */
struct shown {
	const char *text;
	int bytes;
	int indent;
	int attr;
};

static struct shown g_shown[POPUP_LINES * 4];

/*
 * Lay the lines out width columns wide: prose wraps at a space with the
 * continuation indented under the line, table rows are cut. Returns how many.
 */
static int
wrap_lines(const struct lines *l, int width)
{
	int i, n = 0;

	for (i = 0; i < l->n; i++) {
		const char *t = l->text[i];
		int lead = (int)strspn(t, " "), indent = 0;

		do {
			int room = width - indent, len = bytes_for(t, room), cut = len;

			if (!l->table[i] && t[len] != '\0') {
				/*
				 * Between two fields ("polls 12   messages waiting 4")
				 * rather than inside one, else at the last space that
				 * fits; past the indentation either way.
				 */
				while (cut > lead && !(t[cut] == ' ' && t[cut - 1] == ' ')) {
					cut--;
				}
				if (cut <= lead || cut < len / 2) {
					cut = len;
					while (cut > lead && t[cut] != ' ') {
						cut--;
					}
				}
				if (cut <= lead) {
					cut = len;
				}
			}
			if (n == (int)(sizeof(g_shown) / sizeof(g_shown[0]))) {
				return n;
			}
			g_shown[n++] = (struct shown){t, cut, indent, l->attr[i]};
			if (l->table[i]) {
				break;
			}
			t += cut;
			t += strspn(t, " ");
			indent = l->hang[i] != 0 ? l->hang[i] : lead + 2;
			if (indent >= width / 2) {
				indent = lead + 2 < width / 2 ? lead + 2 : 0;
			}
		} while (*t != '\0');
	}
	return n;
}

void
view_draw_popup(struct view *v)
{
	struct lines *l = &g_lines;
	int rows, cols, h, w, y, x, i, inner, n;
	WINDOW *win;

	getmaxyx(stdscr, rows, cols);
	g_inner_cols = cols - 6;
	fill(v, l);
	w = 0;
	for (i = 0; i < l->n; i++) {
		int len = columns_of(l->text[i]);

		w = len > w ? len : w;
	}
	w += 4;
	if (w > cols - 2) {
		w = cols - 2;
	}
	if (w < 20) {
		w = cols;
	}
	n = wrap_lines(l, w - 4);
	h = n + 2;
	if (h > rows - 2) {
		h = rows - 2;
	}
	if (h < 3) {
		return;
	}
	inner = h - 2;
	if (v->popup_scroll > n - inner) {
		v->popup_scroll = n - inner;
	}
	if (v->popup_scroll < 0) {
		v->popup_scroll = 0;
	}
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	win = newwin(h, w, y, x);
	if (win == NULL) {
		return;
	}
	werase(win);
	box(win, 0, 0);
	for (i = 0; i < inner && v->popup_scroll + i < n; i++) {
		const struct shown *sh = &g_shown[v->popup_scroll + i];

		wattron(win, sh->attr);
		mvwaddnstr(win, 1 + i, 2 + sh->indent, sh->text, sh->bytes);
		wattroff(win, sh->attr);
	}
	if (n > inner) {
		char more[32];

		/* Where we are, on the bottom border: the arrows scroll. */
		snprintf(more, sizeof(more), " %d/%d ", v->popup_scroll + inner, n);
		mvwaddstr(win, h - 1, w - 2 - (int)strlen(more), more);
	}
	wnoutrefresh(win);
	delwin(win);
}
