/*
 * reef-top's model: what the screen, the batch tables and the JSON show,
 * computed from snapshots of the shared region. No ncurses and no DPDK here,
 * so the unit tests can feed it hand-made snapshots.
 *
 * Each update turns the newest snapshot into rows, one per thread, poller,
 * reactor, channel and io_device. A row carries its counters' totals and, when
 * the same object (same id and slot generation) was in the previous snapshot,
 * their deltas over the interval; an object born during the interval counts
 * from zero since its creation. Rows are then filtered by name and sorted by
 * any column into a per-tab order; views show order[], never the raw arrays.
 *
 * Single-threaded: one model belongs to one thread of reef-top.
 */
#ifndef REEF_TOP_MODEL_H
#define REEF_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reef/shm.h"

enum top_tab {
	TOP_TAB_THREADS,
	TOP_TAB_POLLERS,
	TOP_TAB_REACTORS,
	TOP_TAB_CHANNELS,
	TOP_TAB_COUNT,
};

/* Seconds of history kept per thread, poller and reactor (one sample a second). */
#define TOP_HISTORY_LEN 60
/* A history second with no sample. */
#define TOP_HISTORY_NONE 0xff

/* A counter: its value now and how much it grew over the row's span. */
struct top_counter {
	uint64_t total;
	uint64_t delta;
	bool valid; /* delta is meaningful (seen before, or born during the interval) */
};

struct top_thread {
	uint64_t key; /* the thread id: never reused */
	uint32_t slot;
	uint32_t gen;
	char name[REEF_SHM_NAME_LEN];
	uint32_t lcore; /* UINT32_MAX while moving between reactors */
	uint32_t state; /* enum reef_shm_thread_state */
	uint32_t flags;
	uint32_t in_interrupt;
	uint32_t active_pollers;
	uint32_t timed_pollers;
	uint32_t paused_pollers;
	uint32_t io_channels;
	uint32_t pollers;  /* poller rows of this thread in the snapshot */
	uint64_t cpumask0; /* first 64 cores of its cpumask */
	uint64_t created_tsc;
	uint64_t polls;
	uint64_t moves;
	uint64_t critical_msgs;
	uint64_t remote_msgs;
	uint64_t running_poller_id;
	uint64_t span_tsc; /* time the deltas cover */
	struct top_counter busy_tsc;
	struct top_counter idle_tsc;
	struct top_counter msgs;
	const char *activity; /* "busy", "idle", "sleep", "exiting", "exited" */
};

struct top_poller {
	uint64_t key; /* the poller id: never reused */
	uint32_t slot;
	uint32_t gen;
	char name[REEF_SHM_NAME_LEN];
	uint64_t thread_id;
	int32_t thread_row; /* index in threads[], or -1 */
	uint32_t kind;      /* enum reef_shm_poller_kind */
	uint32_t state;     /* enum reef_shm_poller_state */
	uint32_t timing;
	uint64_t period_ticks;
	uint64_t registered_tsc;
	uint64_t max_run_tsc;
	uint64_t span_tsc;
	struct top_counter runs;
	struct top_counter busy_runs;
	struct top_counter busy_tsc;
	struct top_counter timed_runs;
	const char *activity; /* "busy", "idle", "paused", "pausing", "gone" */
};

struct top_reactor {
	uint64_t key; /* the lcore */
	uint32_t gen;
	uint32_t lcore;
	uint32_t state; /* enum reef_shm_reactor_state */
	uint32_t thread_count;
	uint32_t pollers; /* poller rows on threads of this reactor */
	uint32_t in_interrupt;
	uint64_t longest_iter_tsc;
	uint64_t longest_poller_id;
	uint64_t longest_thread_id;
	char longest_name[REEF_SHM_NAME_LEN];
	uint64_t cur_thread_id;
	uint64_t cur_iter_tsc; /* how long the iteration running now has taken */
	uint64_t stall_threshold_tsc;
	uint64_t last_stall_tsc;
	uint64_t threads_in;
	uint64_t threads_out;
	uint64_t span_tsc;
	struct top_counter busy_tsc;
	struct top_counter idle_tsc;
	struct top_counter iterations;
	struct top_counter sleeps;
	struct top_counter sleep_tsc;
	struct top_counter stalls;
	const char *activity; /* "busy", "idle", "sleep", "stalled", "stopping", "off" */
};

struct top_device {
	uint64_t id;
	uint32_t slot;
	char name[REEF_SHM_NAME_LEN];
	uint32_t refcnt;
	uint32_t unregistered;
	uint32_t channels; /* channel rows of this device */
	uint64_t owner_thread_id;
	uint64_t channels_created;
	uint64_t created_tsc;
};

struct top_channel {
	uint64_t key; /* gen << 32 | slot: channels have no id */
	uint32_t slot;
	uint32_t gen;
	uint64_t device_id;
	int32_t device_row; /* index in devices[], or -1 */
	uint64_t thread_id;
	int32_t thread_row; /* index in threads[], or -1 */
	uint32_t ref;
	uint32_t destroy_ref;
	uint64_t created_tsc;
};

/* Column kinds: how a value is formatted, and which way it sorts first. */
enum top_col_type {
	TOP_COL_STR,    /* text, sorts ascending */
	TOP_COL_ID,     /* integer id, ascending */
	TOP_COL_CORE,   /* lcore number or "-", ascending */
	TOP_COL_COUNT,  /* integer, descending */
	TOP_COL_RATE,   /* per second (a count in totals mode), descending */
	TOP_COL_PCT,    /* percentage, descending */
	TOP_COL_USEC,   /* microseconds, descending */
	TOP_COL_CYCLES, /* cycles, descending */
	TOP_COL_PERIOD, /* a timed poller's period in ticks, ascending */
};

struct top_model;
struct top_history;

struct top_column {
	const char *key;         /* for -o and JSON: lower case, no spaces */
	const char *key_total;   /* JSON key in totals mode (NULL: the same) */
	const char *title;       /* header in interval mode */
	const char *title_total; /* header in totals mode (NULL: the same) */
	enum top_col_type type;
	int width; /* on screen; the name column grows to fit */
	/* Text columns: */
	const char *(*str)(const struct top_model *m, const void *row);
	/* Numbers: false when there is no value to show ("-"). */
	bool (*num)(const struct top_model *m, const void *row, double *out);
};

struct top_model {
	/* Options. */
	bool totals; /* show totals since creation, not the last interval */
	char filter[64];
	int sort_col[TOP_TAB_COUNT];
	bool sort_reverse[TOP_TAB_COUNT];

	/* The two latest snapshots; snaps[cur] is the newest. */
	struct reef_shm_snapshot snaps[2];
	int cur;
	uint32_t updates; /* snapshots taken in */
	uint64_t tsc_hz;
	uint64_t interval_tsc; /* between the two latest snapshots (0 after the first) */

	/* Rows of the newest snapshot. */
	struct top_thread *threads;
	struct top_poller *pollers;
	struct top_reactor *reactors;
	struct top_channel *channels;
	struct top_device *devices;
	uint32_t nr_threads, nr_pollers, nr_reactors, nr_channels, nr_devices;
	uint32_t nr_clients;

	/* Filtered and sorted row indices per tab (top_model_arrange). */
	uint32_t *order[TOP_TAB_COUNT];
	uint32_t nr_order[TOP_TAB_COUNT];

	/*
	 * Private: slots per table; for threads, pollers, reactors and devices
	 * the index of each slot in the previous snapshot and among the rows
	 * (-1: none); sort scratch space; busy % histories per slot.
	 */
	uint32_t cap[REEF_SHM_TABLE_COUNT];
	int32_t *prev_by_slot[REEF_SHM_TABLE_COUNT];
	int32_t *row_by_slot[REEF_SHM_TABLE_COUNT];
	void *sort_scratch;
	uint8_t *reactor_match;
	struct top_history *history[3]; /* threads, pollers, reactors */
};

/* Allocate a model for a region with this header's table sizes. Returns 0 or -ENOMEM. */
int top_model_init(struct top_model *m, const struct reef_shm_header *hdr);
void top_model_fini(struct top_model *m);

/* The snapshot to fill next (reef_shm_snapshot_take, or by hand in tests). */
struct reef_shm_snapshot *top_model_spare(struct top_model *m);

/* Take in the filled spare snapshot: rebuild every row and its deltas. Then call arrange. */
void top_model_update(struct top_model *m);

/* Filter and sort one tab's rows into order[tab] (after update, or a sort / filter change). */
void top_model_arrange(struct top_model *m, enum top_tab tab);

/* The newest snapshot (its header, its tsc). */
const struct reef_shm_snapshot *top_model_snapshot(const struct top_model *m);

/* Seconds in ticks of the region's clock. */
double top_model_seconds(const struct top_model *m, uint64_t ticks);

/* Columns of a tab; *n receives how many. */
const struct top_column *top_columns(enum top_tab tab, int *n);
/* Column index of a tab by key or title (case-insensitive), or -1. */
int top_column_find(enum top_tab tab, const char *name);
/* A column's header for the current mode. */
const char *top_column_title(const struct top_model *m, const struct top_column *col);
/* Whether a column sorts high values first by default. */
bool top_column_descending(const struct top_column *col);

/* A row of a tab by its index in the row arrays. */
const void *top_model_row(const struct top_model *m, enum top_tab tab, uint32_t index);
/* A row's key (id, lcore, or gen<<32|slot for channels). */
uint64_t top_model_row_key(const struct top_model *m, enum top_tab tab, uint32_t index);
/* Position of the row with key in order[tab], or -1 if not shown. */
int64_t top_model_find_key(const struct top_model *m, enum top_tab tab, uint64_t key);

/* Rows found by id (NULL when gone). */
const struct top_thread *top_model_thread_by_id(const struct top_model *m, uint64_t id);
const struct top_poller *top_model_poller_by_id(const struct top_model *m, uint64_t id);
const struct top_reactor *top_model_reactor_by_lcore(const struct top_model *m, uint32_t lcore);

/*
 * Format a column of a row into buf. compact: fit width with k/M/G suffixes
 * (the screen); otherwise plain numbers (batch tables). "-" when no value.
 */
void top_format(const struct top_model *m, const struct top_column *col, const void *row,
		bool compact, char *buf, size_t len);

/*
 * Busy % of a thread, poller or reactor row per second over the last
 * TOP_HISTORY_LEN seconds, oldest first; TOP_HISTORY_NONE where unknown.
 */
void top_model_history(const struct top_model *m, enum top_tab tab, uint32_t index,
		       uint8_t out[TOP_HISTORY_LEN]);

/* Helpers the columns, views and tests share. */
double top_thread_busy_pct(const struct top_model *m, const struct top_thread *t, bool *ok);
double top_poller_busy_pct(const struct top_model *m, const struct top_poller *p, bool *ok);
double top_reactor_busy_pct(const struct top_model *m, const struct top_reactor *r, bool *ok);
/* Per second in interval mode, the total in totals mode; false when unknown. */
bool top_rate(const struct top_model *m, const struct top_counter *c, uint64_t span_tsc,
	      double *out);

#endif /* REEF_TOP_MODEL_H */
