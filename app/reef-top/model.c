/*
 * The model: snapshots in, rows with deltas out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "model.h"

static void **
snap_array(struct reef_shm_snapshot *s, enum reef_shm_table t)
{
	switch (t) {
	case REEF_SHM_REACTORS:
		return (void **)&s->reactors;
	case REEF_SHM_THREADS:
		return (void **)&s->threads;
	case REEF_SHM_POLLERS:
		return (void **)&s->pollers;
	case REEF_SHM_DEVICES:
		return (void **)&s->devices;
	case REEF_SHM_CHANNELS:
		return (void **)&s->channels;
	case REEF_SHM_CLIENTS:
		return (void **)&s->clients;
	default:
		return (void **)&s->handlers;
	}
}

static void *
zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

int
top_model_init(struct top_model *m, const struct reef_shm_header *hdr)
{
	enum reef_shm_table t;
	uint32_t most = 1;
	int i;

	memset(m, 0, sizeof(*m));
	m->tsc_hz = hdr->tsc_hz ? hdr->tsc_hz : 1;
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		m->cap[t] = hdr->tables[t].count;
		most = m->cap[t] > most ? m->cap[t] : most;
		for (i = 0; i < 2; i++) {
			/* Sized as the primary sees slots: snapshot_take copies whole slots. */
			size_t size = hdr->tables[t].slot_size > reef_shm_slot_size(t)
					      ? hdr->tables[t].slot_size
					      : reef_shm_slot_size(t);

			*snap_array(&m->snaps[i], t) = zalloc(m->cap[t], size);
			if (*snap_array(&m->snaps[i], t) == NULL) {
				goto nomem;
			}
		}
		if (t == REEF_SHM_CLIENTS || t == REEF_SHM_HANDLERS || t == REEF_SHM_CHANNELS) {
			continue;
		}
		m->prev_by_slot[t] = zalloc(m->cap[t], sizeof(int32_t));
		m->row_by_slot[t] = zalloc(m->cap[t], sizeof(int32_t));
		if (m->prev_by_slot[t] == NULL || m->row_by_slot[t] == NULL) {
			goto nomem;
		}
		/* No previous snapshot yet: no slot has an earlier copy. */
		memset(m->prev_by_slot[t], 0xff, (size_t)m->cap[t] * sizeof(int32_t));
	}
	m->threads = zalloc(m->cap[REEF_SHM_THREADS], sizeof(*m->threads));
	m->pollers = zalloc(m->cap[REEF_SHM_POLLERS], sizeof(*m->pollers));
	m->reactors = zalloc(m->cap[REEF_SHM_REACTORS], sizeof(*m->reactors));
	m->channels = zalloc(m->cap[REEF_SHM_CHANNELS], sizeof(*m->channels));
	m->devices = zalloc(m->cap[REEF_SHM_DEVICES], sizeof(*m->devices));
	m->order[TOP_TAB_THREADS] = zalloc(m->cap[REEF_SHM_THREADS], sizeof(uint32_t));
	m->order[TOP_TAB_POLLERS] = zalloc(m->cap[REEF_SHM_POLLERS], sizeof(uint32_t));
	m->order[TOP_TAB_REACTORS] = zalloc(m->cap[REEF_SHM_REACTORS], sizeof(uint32_t));
	m->order[TOP_TAB_CHANNELS] = zalloc(m->cap[REEF_SHM_CHANNELS], sizeof(uint32_t));
	m->reactor_match = zalloc(m->cap[REEF_SHM_REACTORS], 1);
	/* Room for the sort entries of the largest table (see columns.c). */
	m->sort_scratch = zalloc(most, 48);
	m->history[0] = zalloc(m->cap[REEF_SHM_THREADS], sizeof(struct top_history));
	m->history[1] = zalloc(m->cap[REEF_SHM_POLLERS], sizeof(struct top_history));
	m->history[2] = zalloc(m->cap[REEF_SHM_REACTORS], sizeof(struct top_history));
	if (m->threads == NULL || m->pollers == NULL || m->reactors == NULL ||
	    m->channels == NULL || m->devices == NULL || m->order[0] == NULL ||
	    m->order[1] == NULL || m->order[2] == NULL || m->order[3] == NULL ||
	    m->reactor_match == NULL || m->sort_scratch == NULL || m->history[0] == NULL ||
	    m->history[1] == NULL || m->history[2] == NULL) {
		goto nomem;
	}
	/* What a first look asks: who is busy, which pollers run most, cores in order. */
	m->sort_col[TOP_TAB_THREADS] = top_column_find(TOP_TAB_THREADS, "busy_pct");
	m->sort_col[TOP_TAB_POLLERS] = top_column_find(TOP_TAB_POLLERS, "runs_per_s");
	m->sort_col[TOP_TAB_REACTORS] = top_column_find(TOP_TAB_REACTORS, "core");
	m->sort_col[TOP_TAB_CHANNELS] = top_column_find(TOP_TAB_CHANNELS, "device");
	return 0;
nomem:
	top_model_fini(m);
	return -ENOMEM;
}

void
top_model_fini(struct top_model *m)
{
	enum reef_shm_table t;
	int i;

	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		for (i = 0; i < 2; i++) {
			free(*snap_array(&m->snaps[i], t));
			*snap_array(&m->snaps[i], t) = NULL;
		}
		free(m->prev_by_slot[t]);
		free(m->row_by_slot[t]);
		m->prev_by_slot[t] = m->row_by_slot[t] = NULL;
	}
	for (i = 0; i < TOP_TAB_COUNT; i++) {
		free(m->order[i]);
		m->order[i] = NULL;
	}
	for (i = 0; i < 3; i++) {
		free(m->history[i]);
		m->history[i] = NULL;
	}
	free(m->threads);
	free(m->pollers);
	free(m->reactors);
	free(m->channels);
	free(m->devices);
	free(m->reactor_match);
	free(m->sort_scratch);
	m->threads = NULL;
	m->pollers = NULL;
	m->reactors = NULL;
	m->channels = NULL;
	m->devices = NULL;
	m->reactor_match = NULL;
	m->sort_scratch = NULL;
}

struct reef_shm_snapshot *
top_model_spare(struct top_model *m)
{
	return &m->snaps[m->cur ^ 1];
}

const struct reef_shm_snapshot *
top_model_snapshot(const struct top_model *m)
{
	return &m->snaps[m->cur];
}

double
top_model_seconds(const struct top_model *m, uint64_t ticks)
{
	return (double)ticks / (double)m->tsc_hz;
}

/*
 * Counters only grow, so the modular difference is the growth even across a
 * 64-bit wrap. A "growth" above 2^63 is a counter that went back (an object
 * the generation check missed): no delta rather than a nonsense rate.
 */
static void
count(struct top_counter *c, uint64_t now, const uint64_t *before, bool born)
{
	c->total = now;
	c->delta = 0;
	c->valid = false;
	if (before != NULL) {
		uint64_t d = now - *before;

		if (d <= (uint64_t)INT64_MAX) {
			c->delta = d;
			c->valid = true;
		}
	} else if (born) {
		c->delta = now;
		c->valid = true;
	}
}

/* Whether t is at or after since on a clock that may wrap. */
static bool
tsc_after(uint64_t t, uint64_t since)
{
	return (int64_t)(t - since) >= 0;
}

struct span_ctx {
	const struct reef_shm_snapshot *snap;
	const struct reef_shm_snapshot *prev; /* NULL on the first update */
};

/* Index of the previous copy of a slot if it held the same object, else -1. */
static int32_t
prev_index(const struct top_model *m, enum reef_shm_table t, uint32_t slot)
{
	return slot < m->cap[t] ? m->prev_by_slot[t][slot] : -1;
}

/*
 * Born during the interval: created after the previous snapshot, so its
 * counters started from zero inside it and span only its lifetime.
 */
static bool
born(const struct span_ctx *c, uint64_t created_tsc)
{
	return c->prev != NULL && tsc_after(created_tsc, c->prev->tsc);
}

static uint64_t
span(const struct span_ctx *c, bool matched, uint64_t created_tsc)
{
	if (matched) {
		return c->snap->tsc - c->prev->tsc;
	}
	if (born(c, created_tsc) && tsc_after(c->snap->tsc, created_tsc)) {
		return c->snap->tsc - created_tsc;
	}
	return 0;
}

static void
build_threads(struct top_model *m, const struct span_ctx *c)
{
	const struct reef_shm_snapshot *s = c->snap;
	uint32_t i;

	m->nr_threads = 0;
	for (i = 0; i < s->nr[REEF_SHM_THREADS] && i < m->cap[REEF_SHM_THREADS]; i++) {
		const struct reef_shm_thread *src = &s->threads[i];
		const struct reef_shm_thread *old = NULL;
		struct top_thread *t = &m->threads[m->nr_threads];
		int32_t p = prev_index(m, REEF_SHM_THREADS, src->hdr.index);
		bool b;

		if (src->hdr.index >= m->cap[REEF_SHM_THREADS]) {
			continue;
		}
		if (p >= 0 && c->prev->threads[p].hdr.gen == src->hdr.gen &&
		    c->prev->threads[p].id == src->id) {
			old = &c->prev->threads[p];
		}
		memset(t, 0, sizeof(*t));
		t->key = src->id;
		t->slot = src->hdr.index;
		t->gen = src->hdr.gen;
		memcpy(t->name, src->name, sizeof(t->name));
		t->name[sizeof(t->name) - 1] = '\0';
		t->lcore = src->lcore;
		t->state = src->state;
		t->flags = src->flags;
		t->in_interrupt = src->in_interrupt;
		t->active_pollers = src->active_pollers;
		t->timed_pollers = src->timed_pollers;
		t->paused_pollers = src->paused_pollers;
		t->io_channels = src->io_channels;
		t->cpumask0 = src->cpumask[0];
		t->created_tsc = src->created_tsc;
		t->polls = src->polls;
		t->moves = src->moves;
		t->critical_msgs = src->critical_msgs;
		t->remote_msgs = src->remote_msgs;
		t->running_poller_id = src->running_poller_id;
		b = old == NULL && born(c, src->created_tsc);
		t->span_tsc = span(c, old != NULL, src->created_tsc);
		count(&t->busy_tsc, src->busy_tsc, old ? &old->busy_tsc : NULL, b);
		count(&t->idle_tsc, src->idle_tsc, old ? &old->idle_tsc : NULL, b);
		count(&t->msgs, src->msgs_executed, old ? &old->msgs_executed : NULL, b);
		if (src->state == REEF_SHM_THREAD_EXITING) {
			t->activity = "exiting";
		} else if (src->state == REEF_SHM_THREAD_EXITED) {
			t->activity = "exited";
		} else if (src->in_interrupt) {
			t->activity = "sleep";
		} else if (!t->busy_tsc.valid) {
			t->activity = "running";
		} else {
			t->activity = t->busy_tsc.delta > 0 ? "busy" : "idle";
		}
		m->row_by_slot[REEF_SHM_THREADS][t->slot] = (int32_t)m->nr_threads;
		m->nr_threads++;
	}
}

/* The thread row a record names by slot and id, or -1 if that thread is gone. */
static int32_t
thread_row(const struct top_model *m, uint32_t slot, uint64_t id)
{
	int32_t r;

	if (slot >= m->cap[REEF_SHM_THREADS]) {
		return -1;
	}
	r = m->row_by_slot[REEF_SHM_THREADS][slot];
	return r >= 0 && m->threads[r].key == id ? r : -1;
}

static void
build_pollers(struct top_model *m, const struct span_ctx *c)
{
	const struct reef_shm_snapshot *s = c->snap;
	uint32_t i;

	m->nr_pollers = 0;
	for (i = 0; i < s->nr[REEF_SHM_POLLERS] && i < m->cap[REEF_SHM_POLLERS]; i++) {
		const struct reef_shm_poller *src = &s->pollers[i];
		const struct reef_shm_poller *old = NULL;
		struct top_poller *p = &m->pollers[m->nr_pollers];
		int32_t pi = prev_index(m, REEF_SHM_POLLERS, src->hdr.index);
		bool b;

		if (src->hdr.index >= m->cap[REEF_SHM_POLLERS]) {
			continue;
		}
		if (pi >= 0 && c->prev->pollers[pi].hdr.gen == src->hdr.gen &&
		    c->prev->pollers[pi].id == src->id) {
			old = &c->prev->pollers[pi];
		}
		memset(p, 0, sizeof(*p));
		p->key = src->id;
		p->slot = src->hdr.index;
		p->gen = src->hdr.gen;
		memcpy(p->name, src->name, sizeof(p->name));
		p->name[sizeof(p->name) - 1] = '\0';
		p->thread_id = src->thread_id;
		p->thread_row = thread_row(m, src->thread_slot, src->thread_id);
		p->kind = src->kind;
		p->state = src->state;
		p->timing = src->timing;
		p->period_ticks = src->period_ticks;
		p->registered_tsc = src->registered_tsc;
		p->max_run_tsc = src->max_run_tsc;
		b = old == NULL && born(c, src->registered_tsc);
		p->span_tsc = span(c, old != NULL, src->registered_tsc);
		count(&p->runs, src->run_count, old ? &old->run_count : NULL, b);
		count(&p->busy_runs, src->busy_count, old ? &old->busy_count : NULL, b);
		count(&p->busy_tsc, src->busy_tsc, old ? &old->busy_tsc : NULL, b);
		count(&p->timed_runs, src->timed_runs, old ? &old->timed_runs : NULL, b);
		switch (src->state) {
		case REEF_SHM_POLLER_PAUSED:
			p->activity = "paused";
			break;
		case REEF_SHM_POLLER_PAUSING:
			p->activity = "pausing";
			break;
		case REEF_SHM_POLLER_UNREGISTERED:
			p->activity = "gone";
			break;
		default:
			if (!p->runs.valid) {
				p->activity = reef_shm_poller_state_str(src->state);
			} else if (p->busy_runs.delta > 0) {
				p->activity = "busy";
			} else {
				p->activity = p->runs.delta > 0 ? "idle" : "waiting";
			}
			break;
		}
		if (p->thread_row >= 0) {
			m->threads[p->thread_row].pollers++;
		}
		m->row_by_slot[REEF_SHM_POLLERS][p->slot] = (int32_t)m->nr_pollers;
		m->nr_pollers++;
	}
}

static void
build_reactors(struct top_model *m, const struct span_ctx *c)
{
	const struct reef_shm_snapshot *s = c->snap;
	uint32_t i;

	m->nr_reactors = 0;
	for (i = 0; i < s->nr[REEF_SHM_REACTORS] && i < m->cap[REEF_SHM_REACTORS]; i++) {
		const struct reef_shm_reactor *src = &s->reactors[i];
		const struct reef_shm_reactor *old = NULL;
		struct top_reactor *r = &m->reactors[m->nr_reactors];
		int32_t pi = prev_index(m, REEF_SHM_REACTORS, src->hdr.index);

		if (src->hdr.index >= m->cap[REEF_SHM_REACTORS]) {
			continue;
		}
		if (pi >= 0 && c->prev->reactors[pi].hdr.gen == src->hdr.gen) {
			old = &c->prev->reactors[pi];
		}
		memset(r, 0, sizeof(*r));
		r->key = src->lcore;
		r->gen = src->hdr.gen;
		r->lcore = src->lcore;
		r->state = src->state;
		r->thread_count = src->thread_count;
		r->in_interrupt = src->in_interrupt;
		r->longest_iter_tsc = src->longest_iter_tsc;
		r->longest_poller_id = src->longest_poller_id;
		r->longest_thread_id = src->longest_thread_id;
		memcpy(r->longest_name, src->longest_name, sizeof(r->longest_name));
		r->longest_name[sizeof(r->longest_name) - 1] = '\0';
		r->cur_thread_id = src->cur_thread_id;
		/* The snapshot's clock was read before this copy: the iteration may look newer. */
		if (src->cur_thread_id != 0 && tsc_after(s->tsc, src->iter_start_tsc)) {
			r->cur_iter_tsc = s->tsc - src->iter_start_tsc;
		}
		r->stall_threshold_tsc = src->stall_threshold_tsc;
		r->last_stall_tsc = src->last_stall_tsc;
		r->threads_in = src->threads_in;
		r->threads_out = src->threads_out;
		/* Reactors are set up before anyone can watch: no "born" case. */
		r->span_tsc = span(c, old != NULL, UINT64_MAX);
		count(&r->busy_tsc, src->busy_tsc, old ? &old->busy_tsc : NULL, false);
		count(&r->idle_tsc, src->idle_tsc, old ? &old->idle_tsc : NULL, false);
		count(&r->iterations, src->iterations, old ? &old->iterations : NULL, false);
		count(&r->sleeps, src->sleeps, old ? &old->sleeps : NULL, false);
		count(&r->sleep_tsc, src->sleep_tsc, old ? &old->sleep_tsc : NULL, false);
		count(&r->stalls, src->stalls, old ? &old->stalls : NULL, false);
		if (src->state != REEF_SHM_REACTOR_RUNNING) {
			r->activity = reef_shm_reactor_state_str(src->state);
		} else if (r->stall_threshold_tsc != 0 &&
			   r->cur_iter_tsc >= r->stall_threshold_tsc) {
			r->activity = "stalled";
		} else if (src->in_interrupt) {
			r->activity = "sleep";
		} else if (!r->busy_tsc.valid) {
			r->activity = "running";
		} else {
			r->activity = r->busy_tsc.delta > 0 ? "busy" : "idle";
		}
		m->row_by_slot[REEF_SHM_REACTORS][src->hdr.index] = (int32_t)m->nr_reactors;
		m->nr_reactors++;
	}
}

static void
count_reactor_pollers(struct top_model *m)
{
	uint32_t i;

	for (i = 0; i < m->nr_pollers; i++) {
		const struct top_poller *p = &m->pollers[i];
		uint32_t lcore;
		int32_t r;

		if (p->thread_row < 0) {
			continue;
		}
		lcore = m->threads[p->thread_row].lcore;
		if (lcore >= m->cap[REEF_SHM_REACTORS]) {
			continue;
		}
		r = m->row_by_slot[REEF_SHM_REACTORS][lcore];
		if (r >= 0) {
			m->reactors[r].pollers++;
		}
	}
}

static void
build_devices(struct top_model *m, const struct reef_shm_snapshot *s)
{
	uint32_t i;

	m->nr_devices = 0;
	for (i = 0; i < s->nr[REEF_SHM_DEVICES] && i < m->cap[REEF_SHM_DEVICES]; i++) {
		const struct reef_shm_device *src = &s->devices[i];
		struct top_device *d = &m->devices[m->nr_devices];

		if (src->hdr.index >= m->cap[REEF_SHM_DEVICES]) {
			continue;
		}
		memset(d, 0, sizeof(*d));
		d->id = src->id;
		d->slot = src->hdr.index;
		memcpy(d->name, src->name, sizeof(d->name));
		d->name[sizeof(d->name) - 1] = '\0';
		d->refcnt = src->refcnt;
		d->unregistered = src->unregistered;
		d->owner_thread_id = src->owner_thread_id;
		d->channels_created = src->channels_created;
		d->created_tsc = src->created_tsc;
		m->row_by_slot[REEF_SHM_DEVICES][d->slot] = (int32_t)m->nr_devices;
		m->nr_devices++;
	}
}

static void
build_channels(struct top_model *m, const struct reef_shm_snapshot *s)
{
	uint32_t i;

	m->nr_channels = 0;
	for (i = 0; i < s->nr[REEF_SHM_CHANNELS] && i < m->cap[REEF_SHM_CHANNELS]; i++) {
		const struct reef_shm_channel *src = &s->channels[i];
		struct top_channel *ch = &m->channels[m->nr_channels];
		int32_t d = -1;

		memset(ch, 0, sizeof(*ch));
		ch->slot = src->hdr.index;
		ch->gen = src->hdr.gen;
		ch->key = (uint64_t)src->hdr.gen << 32 | src->hdr.index;
		ch->device_id = src->device_id;
		if (src->device_slot < m->cap[REEF_SHM_DEVICES]) {
			d = m->row_by_slot[REEF_SHM_DEVICES][src->device_slot];
			if (d >= 0 && m->devices[d].id != src->device_id) {
				d = -1;
			}
		}
		ch->device_row = d;
		if (d >= 0) {
			m->devices[d].channels++;
		}
		ch->thread_id = src->thread_id;
		ch->thread_row = thread_row(m, src->thread_slot, src->thread_id);
		ch->ref = src->ref;
		ch->destroy_ref = src->destroy_ref;
		ch->created_tsc = src->created_tsc;
		m->nr_channels++;
	}
}

static void
record_history(struct top_model *m)
{
	uint64_t sec = top_model_snapshot(m)->tsc / m->tsc_hz;
	bool totals = m->totals, ok;
	uint32_t i;
	double v;

	/* Histories are of interval values, whatever the screen shows. */
	m->totals = false;
	for (i = 0; i < m->nr_threads; i++) {
		v = top_thread_busy_pct(m, &m->threads[i], &ok);
		if (ok) {
			top_history_record(&m->history[0][m->threads[i].slot], m->threads[i].key,
					   sec, v);
		}
	}
	for (i = 0; i < m->nr_pollers; i++) {
		v = top_poller_busy_pct(m, &m->pollers[i], &ok);
		if (ok) {
			top_history_record(&m->history[1][m->pollers[i].slot], m->pollers[i].key,
					   sec, v);
		}
	}
	for (i = 0; i < m->nr_reactors; i++) {
		const struct top_reactor *r = &m->reactors[i];

		v = top_reactor_busy_pct(m, r, &ok);
		if (ok && r->lcore < m->cap[REEF_SHM_REACTORS]) {
			top_history_record(&m->history[2][r->lcore], r->key, sec, v);
		}
	}
	m->totals = totals;
}

static void
index_previous(struct top_model *m, const struct reef_shm_snapshot *prev)
{
	static const enum reef_shm_table tables[] = {REEF_SHM_THREADS, REEF_SHM_POLLERS,
						     REEF_SHM_REACTORS};
	uint32_t i, k;

	for (k = 0; k < 3; k++) {
		enum reef_shm_table t = tables[k];
		const uint8_t *base = *snap_array((struct reef_shm_snapshot *)prev, t);

		memset(m->prev_by_slot[t], 0xff, (size_t)m->cap[t] * sizeof(int32_t));
		for (i = 0; i < prev->nr[t] && i < m->cap[t]; i++) {
			const struct reef_shm_slot_hdr *h =
				(const void *)(base + (size_t)i * reef_shm_slot_size(t));

			if (h->index < m->cap[t]) {
				m->prev_by_slot[t][h->index] = (int32_t)i;
			}
		}
	}
}

void
top_model_update(struct top_model *m)
{
	struct span_ctx c;
	enum reef_shm_table t;
	uint32_t i;

	c.prev = m->updates > 0 ? &m->snaps[m->cur] : NULL;
	m->cur ^= 1;
	c.snap = &m->snaps[m->cur];
	m->updates++;
	if (c.snap->header.tsc_hz != 0) {
		m->tsc_hz = c.snap->header.tsc_hz;
	}
	m->interval_tsc = c.prev ? c.snap->tsc - c.prev->tsc : 0;
	if (c.prev != NULL) {
		index_previous(m, c.prev);
	}
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		if (m->row_by_slot[t] != NULL) {
			memset(m->row_by_slot[t], 0xff, (size_t)m->cap[t] * sizeof(int32_t));
		}
	}
	build_threads(m, &c);
	build_pollers(m, &c);
	build_reactors(m, &c);
	count_reactor_pollers(m);
	build_devices(m, c.snap);
	build_channels(m, c.snap);
	m->nr_clients = 0;
	for (i = 0; i < c.snap->nr[REEF_SHM_CLIENTS] && i < m->cap[REEF_SHM_CLIENTS]; i++) {
		m->nr_clients += c.snap->clients[i].state == REEF_SHM_CLIENT_ATTACHED;
	}
	record_history(m);
	for (i = 0; i < TOP_TAB_COUNT; i++) {
		m->nr_order[i] = 0;
	}
}

const void *
top_model_row(const struct top_model *m, enum top_tab tab, uint32_t index)
{
	switch (tab) {
	case TOP_TAB_THREADS:
		return index < m->nr_threads ? &m->threads[index] : NULL;
	case TOP_TAB_POLLERS:
		return index < m->nr_pollers ? &m->pollers[index] : NULL;
	case TOP_TAB_REACTORS:
		return index < m->nr_reactors ? &m->reactors[index] : NULL;
	case TOP_TAB_CHANNELS:
		return index < m->nr_channels ? &m->channels[index] : NULL;
	default:
		return NULL;
	}
}

uint64_t
top_model_row_key(const struct top_model *m, enum top_tab tab, uint32_t index)
{
	switch (tab) {
	case TOP_TAB_THREADS:
		return m->threads[index].key;
	case TOP_TAB_POLLERS:
		return m->pollers[index].key;
	case TOP_TAB_REACTORS:
		return m->reactors[index].key;
	default:
		return m->channels[index].key;
	}
}

int64_t
top_model_find_key(const struct top_model *m, enum top_tab tab, uint64_t key)
{
	uint32_t i;

	for (i = 0; i < m->nr_order[tab]; i++) {
		if (top_model_row_key(m, tab, m->order[tab][i]) == key) {
			return i;
		}
	}
	return -1;
}

const struct top_thread *
top_model_thread_by_id(const struct top_model *m, uint64_t id)
{
	uint32_t i;

	for (i = 0; i < m->nr_threads; i++) {
		if (m->threads[i].key == id) {
			return &m->threads[i];
		}
	}
	return NULL;
}

const struct top_poller *
top_model_poller_by_id(const struct top_model *m, uint64_t id)
{
	uint32_t i;

	for (i = 0; i < m->nr_pollers; i++) {
		if (m->pollers[i].key == id) {
			return &m->pollers[i];
		}
	}
	return NULL;
}

const struct top_reactor *
top_model_reactor_by_lcore(const struct top_model *m, uint32_t lcore)
{
	int32_t r;

	if (lcore >= m->cap[REEF_SHM_REACTORS]) {
		return NULL;
	}
	r = m->row_by_slot[REEF_SHM_REACTORS][lcore];
	return r >= 0 ? &m->reactors[r] : NULL;
}

void
top_model_history(const struct top_model *m, enum top_tab tab, uint32_t index,
		  uint8_t out[TOP_HISTORY_LEN])
{
	uint64_t sec = top_model_snapshot(m)->tsc / m->tsc_hz;

	memset(out, TOP_HISTORY_NONE, TOP_HISTORY_LEN);
	switch (tab) {
	case TOP_TAB_THREADS:
		if (index < m->nr_threads) {
			top_history_get(&m->history[0][m->threads[index].slot],
					m->threads[index].key, sec, out);
		}
		break;
	case TOP_TAB_POLLERS:
		if (index < m->nr_pollers) {
			top_history_get(&m->history[1][m->pollers[index].slot],
					m->pollers[index].key, sec, out);
		}
		break;
	case TOP_TAB_REACTORS:
		if (index < m->nr_reactors &&
		    m->reactors[index].lcore < m->cap[REEF_SHM_REACTORS]) {
			top_history_get(&m->history[2][m->reactors[index].lcore],
					m->reactors[index].key, sec, out);
		}
		break;
	default:
		break;
	}
}
