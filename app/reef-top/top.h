/*
 * reef-top's parts and what they share: options, the attached region with
 * its model (source.c), batch output (batch.c), the screen (view*.c) and the
 * poller actions (actions.c).
 */
#ifndef REEF_TOP_H
#define REEF_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"

/* Exit codes (documented in --help). */
enum {
	TOP_EXIT_OK = 0,    /* quit, batch done, or the primary stopped cleanly */
	TOP_EXIT_FAIL = 1,  /* cannot attach (no such primary, ABI mismatch) or the primary died */
	TOP_EXIT_USAGE = 2, /* bad options */
};

struct top_opts {
	const char *name;
	double delay_s;
	bool batch;
	bool json;
	bool no_color;
	bool totals;
	bool reverse;
	uint64_t iterations; /* batch: 0 = until interrupted or the primary goes */
	const char *sort;    /* -o COLUMN */
	const char *filter;
	unsigned tabs;    /* batch: bit per enum top_tab to print */
	enum top_tab tab; /* interactive: the first tab */
};

/* Where the primary is at, as a watcher can tell. */
enum top_liveness {
	TOP_PRIMARY_RUNNING,
	TOP_PRIMARY_STOPPING, /* shutting down cleanly: still readable */
	TOP_PRIMARY_STOPPED,  /* marked the region stopped, or exited after doing so */
	TOP_PRIMARY_DIED,     /* gone without marking the region stopped */
};

struct top_source {
	char name[32];
	struct reef_shm_region *region;
	struct top_model model;
	pid_t pid;
	uint64_t refresh_ns; /* how long the last refresh took (snapshot, rows, sort) */
};

/* Attach to the primary name and set up the model. Returns 0 or -errno (after one line). */
int top_source_open(struct top_source *s, const char *name);
/* Take a snapshot and update the model (arrange is up to the caller). */
void top_source_refresh(struct top_source *s);
enum top_liveness top_source_liveness(const struct top_source *s);
/* The one line that says the primary is gone ("primary 'x' (pid N) died"). */
void top_source_gone_msg(const struct top_source *s, enum top_liveness l, char *buf, size_t len);
void top_source_close(struct top_source *s);

/* Monotonic nanoseconds. */
uint64_t top_now_ns(void);

/* "3d04h", "1:02:03" or "0:12": how long seconds is, for the header. */
void top_fmt_duration(double seconds, char *buf, size_t len);

/* Set by SIGINT / SIGTERM: finish the current iteration and exit 0. */
extern volatile int g_top_stop;

/*
 * Sleep up to seconds (in short slices) or until the primary stops or dies,
 * or g_top_stop. Returns the liveness seen last.
 */
enum top_liveness top_source_wait(const struct top_source *s, double seconds);

/* Apply -o / --reverse / --totals / --filter to a model. Returns 0 or -EINVAL (after a line). */
int top_apply_opts(struct top_model *m, const struct top_opts *o);

/* Batch mode: plain tables or JSON lines until done. Returns an exit code. */
int top_batch_run(struct top_source *s, const struct top_opts *o);

/* Interactive mode. Returns an exit code. */
int top_view_run(struct top_source *s, const struct top_opts *o);

/* ---- actions on pollers (through lib/client, attached at the first use) ---- */

enum top_action {
	TOP_ACTION_PAUSE,
	TOP_ACTION_RESUME,
	TOP_ACTION_TIMING_ON,
	TOP_ACTION_TIMING_OFF,
};

/*
 * Post an action on poller poller_id to its thread thread_id without waiting.
 * Fills msg with what happened so far ("pausing poller 12 (io_poll)...").
 * Returns 0 (reply pending), or -errno with msg saying why not.
 */
int top_action_post(const char *app, enum top_action action, uint64_t poller_id,
		    const char *poller_name, uint64_t thread_id, char *msg, size_t len);
/*
 * Collect the reply of the pending action, if any. Returns 1 and fills msg
 * when a reply (or a timeout) is there, 0 while waiting or with nothing
 * pending. *failed tells whether the action failed.
 */
int top_action_poll(char *msg, size_t len, bool *failed);
void top_action_fini(void);

#endif /* REEF_TOP_H */
