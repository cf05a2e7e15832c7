/*
 * Reef's DPDK telemetry commands, so that dpdk-telemetry.py and collectors
 * built on DPDK's telemetry socket read Reef's state with no Reef code:
 *
 *   /reef/info              app, pid, uptime, tick rate, state, counts, limits
 *   /reef/threads[,PAGE]    threads, REEF_TEL_THREADS_PER_PAGE per page
 *   /reef/thread,ID         one thread and its pollers
 *   /reef/pollers[,PAGE]    pollers, REEF_TEL_POLLERS_PER_PAGE per page
 *   /reef/reactors          reactors
 *   /reef/channels[,PAGE]   io_devices and io_channels, paged together
 *
 * DPDK caps a reply at 16 KiB and a dict at 256 entries, hence the pages:
 * every paged reply says "page", "pages", "per_page" and "total"; ask for
 * page 0, then 1, ... up to pages - 1. Records are sorted by id, so pages are
 * stable while nothing is created or destroyed.
 *
 * The callbacks run on DPDK's telemetry threads and read the region through
 * the same consistent readers as reef-top; they take no lock a reactor takes
 * (only their own, which serialises their shared snapshot buffer).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_internal.h"
#include "reef/env.h"
#include "reef/log.h"
#include "reef/string.h"

#define THREADS_PER_PAGE  24
#define POLLERS_PER_PAGE  32
#define CHANNELS_PER_PAGE 48

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct reef_shm_snapshot g_snap;
static bool g_snap_ready;

/* Take a fresh snapshot into the shared buffer; the caller holds g_lock. */
static int
snapshot(void)
{
	struct reef_shm_region *region = reef_app_get_region();

	if (region == NULL) {
		return -ESHUTDOWN;
	}
	if (!g_snap_ready) {
		if (reef_shm_snapshot_init(region, &g_snap) != 0) {
			return -ENOMEM;
		}
		g_snap_ready = true;
	}
	return reef_shm_snapshot_take(region, &g_snap);
}

static int
by_thread_id(const void *a, const void *b)
{
	const struct reef_shm_thread *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int
by_poller_id(const void *a, const void *b)
{
	const struct reef_shm_poller *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int
by_device_id(const void *a, const void *b)
{
	const struct reef_shm_device *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Page number from params (default 0); -EINVAL for anything else. */
static int
page_param(const char *params, uint32_t *page)
{
	unsigned long long v;

	*page = 0;
	if (params == NULL || params[0] == '\0') {
		return 0;
	}
	if (reef_parse_u64(params, UINT32_MAX, &v) != 0) {
		return -EINVAL;
	}
	*page = (uint32_t)v;
	return 0;
}

static void
page_header(struct reef_tel *out, uint32_t page, uint32_t per_page, uint32_t total)
{
	reef_tel_dict_u64(out, "page", page);
	reef_tel_dict_u64(out, "per_page", per_page);
	reef_tel_dict_u64(out, "pages", total == 0 ? 1 : (total + per_page - 1) / per_page);
	reef_tel_dict_u64(out, "total", total);
}

static struct reef_tel *
thread_record(const struct reef_shm_thread *t)
{
	struct reef_tel *c = reef_tel_new();

	if (c == NULL) {
		return NULL;
	}
	reef_tel_start_dict(c);
	reef_tel_dict_u64(c, "id", t->id);
	reef_tel_dict_str(c, "name", t->name);
	reef_tel_dict_int(c, "core", t->lcore == UINT32_MAX ? -1 : (int)t->lcore);
	reef_tel_dict_str(c, "state", reef_shm_thread_state_str(t->state));
	reef_tel_dict_u64(c, "busy_tsc", t->busy_tsc);
	reef_tel_dict_u64(c, "idle_tsc", t->idle_tsc);
	reef_tel_dict_u64(c, "polls", t->polls);
	reef_tel_dict_u64(c, "msgs", t->msgs_executed);
	reef_tel_dict_u64(c, "critical_msgs", t->critical_msgs);
	reef_tel_dict_u64(c, "remote_msgs", t->remote_msgs);
	reef_tel_dict_u64(c, "active_pollers", t->active_pollers);
	reef_tel_dict_u64(c, "timed_pollers", t->timed_pollers);
	reef_tel_dict_u64(c, "paused_pollers", t->paused_pollers);
	reef_tel_dict_u64(c, "io_channels", t->io_channels);
	reef_tel_dict_u64(c, "moves", t->moves);
	reef_tel_dict_u64(c, "in_interrupt", t->in_interrupt);
	return c;
}

static struct reef_tel *
poller_record(const struct reef_shm_poller *p)
{
	struct reef_tel *c = reef_tel_new();

	if (c == NULL) {
		return NULL;
	}
	reef_tel_start_dict(c);
	reef_tel_dict_u64(c, "id", p->id);
	reef_tel_dict_str(c, "name", p->name);
	reef_tel_dict_u64(c, "thread_id", p->thread_id);
	reef_tel_dict_str(c, "kind", p->kind == REEF_SHM_POLLER_TIMED ? "timed" : "active");
	reef_tel_dict_str(c, "state", reef_shm_poller_state_str(p->state));
	reef_tel_dict_u64(c, "period_ticks", p->period_ticks);
	reef_tel_dict_u64(c, "run_count", p->run_count);
	reef_tel_dict_u64(c, "busy_count", p->busy_count);
	reef_tel_dict_u64(c, "timing", p->timing);
	reef_tel_dict_u64(c, "busy_tsc", p->busy_tsc);
	reef_tel_dict_u64(c, "timed_runs", p->timed_runs);
	reef_tel_dict_u64(c, "max_run_tsc", p->max_run_tsc);
	return c;
}

static void
add_keyed(struct reef_tel *out, const char *prefix, uint64_t key, struct reef_tel *child)
{
	char name[48];

	if (child == NULL) {
		return;
	}
	snprintf(name, sizeof(name), "%s%llu", prefix, (unsigned long long)key);
	reef_tel_dict_container(out, name, child);
}

static int
cmd_info(const char *cmd, const char *params, struct reef_tel *out)
{
	struct reef_shm_region *region = reef_app_get_region();
	const struct reef_shm_header *h;
	uint64_t now;

	(void)cmd;
	(void)params;
	if (region == NULL) {
		return -ESHUTDOWN;
	}
	h = reef_shm_get_header(region);
	now = reef_get_ticks();
	reef_tel_start_dict(out);
	reef_tel_dict_str(out, "app", h->app_name);
	reef_tel_dict_str(out, "version", REEF_VERSION_STRING);
	reef_tel_dict_int(out, "pid", h->primary_pid);
	reef_tel_dict_str(out, "state", reef_shm_region_state_str(reef_shm_get_state(region)));
	reef_tel_dict_u64(out, "tsc_hz", h->tsc_hz);
	reef_tel_dict_u64(out, "uptime_ms", (now - h->created_tsc) * 1000 / h->tsc_hz);
	reef_tel_dict_u64(out, "main_core", h->main_lcore);
	reef_tel_dict_u64(out, "reactors", __atomic_load_n(&h->reactor_count, __ATOMIC_RELAXED));
	reef_tel_dict_u64(out, "threads", __atomic_load_n(&h->thread_count, __ATOMIC_RELAXED));
	reef_tel_dict_u64(out, "pollers", __atomic_load_n(&h->poller_count, __ATOMIC_RELAXED));
	reef_tel_dict_u64(out, "io_devices", __atomic_load_n(&h->device_count, __ATOMIC_RELAXED));
	reef_tel_dict_u64(out, "io_channels", __atomic_load_n(&h->channel_count, __ATOMIC_RELAXED));
	reef_tel_dict_u64(out, "clients", __atomic_load_n(&h->client_count, __ATOMIC_RELAXED));
	reef_tel_dict_u64(out, "handlers", __atomic_load_n(&h->handler_count, __ATOMIC_RELAXED));
	reef_tel_dict_u64(out, "max_threads", h->limits.max_threads);
	reef_tel_dict_u64(out, "max_pollers", h->limits.max_pollers);
	reef_tel_dict_u64(out, "max_channels", h->limits.max_channels);
	reef_tel_dict_u64(out, "max_clients", h->limits.max_clients);
	return 0;
}

/* A table served page by page: which snapshot array, how to sort it and describe a record. */
struct paged_table {
	enum reef_shm_table table;
	uint32_t per_page;
	size_t size;
	int (*cmp)(const void *a, const void *b);
	uint64_t (*key)(const void *record);
	struct reef_tel *(*record)(const void *record);
};

static int
cmd_paged(const struct paged_table *pt, const char *params, struct reef_tel *out)
{
	uint32_t page, i, first, n;
	uint8_t *records;
	int rc;

	if (page_param(params, &page) != 0) {
		return -EINVAL;
	}
	pthread_mutex_lock(&g_lock);
	rc = snapshot();
	if (rc == 0) {
		n = g_snap.nr[pt->table];
		records = pt->table == REEF_SHM_THREADS ? (uint8_t *)g_snap.threads
							: (uint8_t *)g_snap.pollers;
		qsort(records, n, pt->size, pt->cmp);
		reef_tel_start_dict(out);
		page_header(out, page, pt->per_page, n);
		first = page * pt->per_page;
		for (i = first; i < n && i < first + pt->per_page; i++) {
			const void *r = records + (size_t)i * pt->size;

			add_keyed(out, "", pt->key(r), pt->record(r));
		}
	}
	pthread_mutex_unlock(&g_lock);
	return rc;
}

static uint64_t
thread_key(const void *r)
{
	return ((const struct reef_shm_thread *)r)->id;
}

static uint64_t
poller_key(const void *r)
{
	return ((const struct reef_shm_poller *)r)->id;
}

static struct reef_tel *
thread_record_any(const void *r)
{
	return thread_record(r);
}

static struct reef_tel *
poller_record_any(const void *r)
{
	return poller_record(r);
}

static int
cmd_threads(const char *cmd, const char *params, struct reef_tel *out)
{
	static const struct paged_table threads = {
		.table = REEF_SHM_THREADS,
		.per_page = THREADS_PER_PAGE,
		.size = sizeof(struct reef_shm_thread),
		.cmp = by_thread_id,
		.key = thread_key,
		.record = thread_record_any,
	};

	(void)cmd;
	return cmd_paged(&threads, params, out);
}

static int
cmd_pollers(const char *cmd, const char *params, struct reef_tel *out)
{
	static const struct paged_table pollers = {
		.table = REEF_SHM_POLLERS,
		.per_page = POLLERS_PER_PAGE,
		.size = sizeof(struct reef_shm_poller),
		.cmp = by_poller_id,
		.key = poller_key,
		.record = poller_record_any,
	};

	(void)cmd;
	return cmd_paged(&pollers, params, out);
}

static int
cmd_thread(const char *cmd, const char *params, struct reef_tel *out)
{
	unsigned long long id;
	uint32_t i, shown = 0;
	int rc;

	(void)cmd;
	if (params == NULL || reef_parse_u64(params, UINT64_MAX, &id) != 0) {
		return -EINVAL;
	}
	pthread_mutex_lock(&g_lock);
	rc = snapshot();
	for (i = 0; rc == 0 && i < g_snap.nr[REEF_SHM_THREADS]; i++) {
		if (g_snap.threads[i].id == id) {
			break;
		}
	}
	if (rc == 0 && i == g_snap.nr[REEF_SHM_THREADS]) {
		rc = -ENOENT;
	}
	if (rc == 0) {
		reef_tel_start_dict(out);
		add_keyed(out, "thread", id, thread_record(&g_snap.threads[i]));
		qsort(g_snap.pollers, g_snap.nr[REEF_SHM_POLLERS], sizeof(g_snap.pollers[0]),
		      by_poller_id);
		for (i = 0; i < g_snap.nr[REEF_SHM_POLLERS]; i++) {
			/* One entry is the thread: the rest of the dict holds its pollers. */
			if (g_snap.pollers[i].thread_id != id ||
			    shown + 2 > REEF_TEL_MAX_DICT_ENTRIES) {
				continue;
			}
			add_keyed(out, "poller", g_snap.pollers[i].id,
				  poller_record(&g_snap.pollers[i]));
			shown++;
		}
	}
	pthread_mutex_unlock(&g_lock);
	return rc;
}

static int
cmd_reactors(const char *cmd, const char *params, struct reef_tel *out)
{
	uint32_t i;
	int rc;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&g_lock);
	rc = snapshot();
	if (rc == 0) {
		reef_tel_start_dict(out);
		for (i = 0; i < g_snap.nr[REEF_SHM_REACTORS]; i++) {
			const struct reef_shm_reactor *r = &g_snap.reactors[i];
			struct reef_tel *c = reef_tel_new();

			if (c == NULL) {
				continue;
			}
			reef_tel_start_dict(c);
			reef_tel_dict_u64(c, "lcore", r->lcore);
			reef_tel_dict_str(c, "state", reef_shm_reactor_state_str(r->state));
			reef_tel_dict_u64(c, "threads", r->thread_count);
			reef_tel_dict_u64(c, "busy_tsc", r->busy_tsc);
			reef_tel_dict_u64(c, "idle_tsc", r->idle_tsc);
			reef_tel_dict_u64(c, "iterations", r->iterations);
			reef_tel_dict_u64(c, "in_interrupt", r->in_interrupt);
			reef_tel_dict_u64(c, "sleeps", r->sleeps);
			reef_tel_dict_u64(c, "sleep_tsc", r->sleep_tsc);
			reef_tel_dict_u64(c, "longest_iter_tsc", r->longest_iter_tsc);
			reef_tel_dict_str(c, "longest_in", r->longest_name);
			reef_tel_dict_u64(c, "longest_poller_id", r->longest_poller_id);
			reef_tel_dict_u64(c, "longest_thread_id", r->longest_thread_id);
			reef_tel_dict_u64(c, "stalls", r->stalls);
			reef_tel_dict_u64(c, "preempted_stalls", r->preempted_stalls);
			reef_tel_dict_u64(c, "threads_in", r->threads_in);
			reef_tel_dict_u64(c, "threads_out", r->threads_out);
			add_keyed(out, "", r->lcore, c);
		}
	}
	pthread_mutex_unlock(&g_lock);
	return rc;
}

static const char *
device_name(uint64_t id)
{
	uint32_t i;

	for (i = 0; i < g_snap.nr[REEF_SHM_DEVICES]; i++) {
		if (g_snap.devices[i].id == id) {
			return g_snap.devices[i].name;
		}
	}
	return "?";
}

static int
cmd_channels(const char *cmd, const char *params, struct reef_tel *out)
{
	uint32_t page, i, first, nd, nc, total;
	int rc;

	(void)cmd;
	if (page_param(params, &page) != 0) {
		return -EINVAL;
	}
	pthread_mutex_lock(&g_lock);
	rc = snapshot();
	if (rc == 0) {
		nd = g_snap.nr[REEF_SHM_DEVICES];
		nc = g_snap.nr[REEF_SHM_CHANNELS];
		total = nd + nc;
		qsort(g_snap.devices, nd, sizeof(g_snap.devices[0]), by_device_id);
		reef_tel_start_dict(out);
		page_header(out, page, CHANNELS_PER_PAGE, total);
		first = page * CHANNELS_PER_PAGE;
		/* Devices first, then channels, as one list cut into pages. */
		for (i = first; i < total && i < first + CHANNELS_PER_PAGE; i++) {
			struct reef_tel *c = reef_tel_new();

			if (c == NULL) {
				continue;
			}
			reef_tel_start_dict(c);
			if (i < nd) {
				const struct reef_shm_device *d = &g_snap.devices[i];

				reef_tel_dict_u64(c, "id", d->id);
				reef_tel_dict_str(c, "name", d->name);
				reef_tel_dict_u64(c, "channels", d->refcnt);
				reef_tel_dict_u64(c, "unregistered", d->unregistered);
				reef_tel_dict_u64(c, "owner_thread_id", d->owner_thread_id);
				add_keyed(out, "device", d->id, c);
			} else {
				const struct reef_shm_channel *ch = &g_snap.channels[i - nd];

				reef_tel_dict_u64(c, "device_id", ch->device_id);
				reef_tel_dict_str(c, "device", device_name(ch->device_id));
				reef_tel_dict_u64(c, "thread_id", ch->thread_id);
				reef_tel_dict_u64(c, "refs", ch->ref);
				add_keyed(out, "channel", ch->hdr.index, c);
			}
		}
	}
	pthread_mutex_unlock(&g_lock);
	return rc;
}

void
reef__telemetry_register(void)
{
	static const struct {
		const char *cmd;
		reef_tel_fn fn;
		const char *help;
	} cmds[] = {
		{"/reef/info", cmd_info, "Reef app: name, pid, uptime, tick rate, state, counts"},
		{"/reef/threads", cmd_threads,
		 "Reef threads. Parameter: page number (see pages in the reply)"},
		{"/reef/thread", cmd_thread,
		 "One Reef thread and its pollers. Parameter: thread id"},
		{"/reef/pollers", cmd_pollers,
		 "Reef pollers. Parameter: page number (see pages in the reply)"},
		{"/reef/reactors", cmd_reactors, "Reef reactors (one per core)"},
		{"/reef/channels", cmd_channels,
		 "Reef io_devices and io_channels. Parameter: page number"},
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (reef_env_telemetry_register(cmds[i].cmd, cmds[i].fn, cmds[i].help) != 0) {
			REEF_WARNLOG("telemetry command %s not registered\n", cmds[i].cmd);
		}
	}
}
