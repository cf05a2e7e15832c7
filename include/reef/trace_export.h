/*
 * Poller latency percentiles published by `reef-trace --export` for other
 * tools (reef-top's poller details). reef-trace measures them with USDT
 * probes; this is only the hand-over.
 *
 * The file is <dir>/<app name>.trace, where <dir> is $REEF_TRACE_DIR or
 * REEF_TRACE_EXPORT_DIR. The writer replaces it atomically (a temporary file
 * in the same directory, then rename()) once per interval and removes it when
 * it stops, so a reader always sees one complete snapshot. Plain text, one
 * record per line, values in TSC cycles (the unit of every cycle count in the
 * region; convert with the region's tsc_hz):
 *
 *   reef-trace-export 1
 *   app demo
 *   primary <pid> <start time>            the traced primary (reef_proc_start_time)
 *   writer <pid> <start time>             the reef-trace process
 *   time <realtime ms> <monotonic ms>     when written
 *   interval_ms 1000
 *   tsc_hz 2096017000                     as reef-trace measured it
 *   poller <id> <thread id> <runs> <busy runs> <p50> <p90> <p99> <max>
 *          <total runs> <total p50> <total p90> <total p99> <total max> <name>
 *   ...
 *   end <number of poller lines>
 *
 * (each poller record is one line). The first group is the last interval, the
 * "total" group everything since reef-trace attached. Readers skip lines with
 * other keys, so later versions may add some.
 *
 * A snapshot is stale, and refused, when it was written for another primary
 * (or a dead one whose pid was reused), when its writer is gone, or when it is
 * older than two intervals plus REEF_TRACE_EXPORT_SLACK_MS.
 */
#ifndef REEF_TRACE_EXPORT_H
#define REEF_TRACE_EXPORT_H

#include <stdint.h>
#include <sys/types.h>

#define REEF_TRACE_EXPORT_DIR      "/var/run/reef"
#define REEF_TRACE_EXPORT_VERSION  1
#define REEF_TRACE_EXPORT_SLACK_MS 2000
/* Longest name kept, with its NUL (REEF_SHM_NAME_LEN); longer ones are truncated. */
#define REEF_TRACE_EXPORT_NAME_LEN 40

/* One poller's run times, in TSC cycles. */
struct reef_trace_poller_stats {
	uint64_t poller_id;
	uint64_t thread_id;
	char name[REEF_TRACE_EXPORT_NAME_LEN];
	/* The last interval: all zero if the poller did not run in it. */
	uint64_t runs;
	uint64_t busy_runs; /* runs that returned > 0 */
	uint64_t p50;
	uint64_t p90;
	uint64_t p99;
	uint64_t max;
	/* Since reef-trace attached. */
	uint64_t total_runs;
	uint64_t total_p50;
	uint64_t total_p90;
	uint64_t total_p99;
	uint64_t total_max;
};

/* One snapshot. */
struct reef_trace_export {
	char app[REEF_TRACE_EXPORT_NAME_LEN];
	pid_t primary_pid;
	uint64_t primary_start_time;
	pid_t writer_pid;
	uint64_t writer_start_time;
	uint64_t time_ms;     /* CLOCK_REALTIME */
	uint64_t mono_ms;     /* CLOCK_MONOTONIC: what staleness is judged by */
	uint32_t interval_ms; /* how often the writer replaces the file */
	uint64_t tsc_hz;      /* the writer's measurement; 0 if unknown */
	uint32_t poller_count;
	struct reef_trace_poller_stats *pollers; /* sorted by poller_id */
};

/*
 * Write the path of app's export file into buf (len bytes). Returns 0, or
 * -ENAMETOOLONG if it does not fit.
 */
int reef_trace_export_path(const char *app, char *buf, size_t len);

/*
 * Replace app's export file by exp (its app field is ignored; the pollers need
 * not be sorted), creating the directory if needed. The writer fills in the
 * identities and times itself. Names are written up to the first control
 * character. Returns 0, -EINVAL for a bad app name, or the -errno of the
 * failed file operation (the old snapshot then stays as it was).
 */
int reef_trace_export_write(const char *app, const struct reef_trace_export *exp);

/* Remove app's export file (the writer, as it stops). Returns 0 or -errno; -ENOENT is fine. */
int reef_trace_export_remove(const char *app);

/*
 * Read app's current snapshot into *out (to be freed with
 * reef_trace_export_free()). primary_pid is the primary the caller watches;
 * 0 accepts a snapshot of any live primary. Any thread; no locks.
 *
 * Possible errno values:
 *  -ENOENT  no snapshot: reef-trace --export is not running for app
 *  -ESTALE  a snapshot of another or a dead primary, by a dead writer, or too old
 *  -EPROTO  not a snapshot of this version, or damaged
 *  -EINVAL  bad app name
 *  -ENOMEM  out of memory
 */
int reef_trace_export_read(const char *app, pid_t primary_pid, struct reef_trace_export **out);

/* The record of poller_id in exp, or NULL. */
const struct reef_trace_poller_stats *reef_trace_export_find(const struct reef_trace_export *exp,
							     uint64_t poller_id);

/* Free a snapshot and clear the caller's pointer. NULL is fine. */
void reef_trace_export_free(struct reef_trace_export **exp);

/*
 * Read app's snapshot and copy poller_id's record into *out: what reef-top's
 * poller details need in one call. Returns 0, -ENOENT if there is no snapshot
 * or the poller is not in it, or an error of reef_trace_export_read().
 */
int reef_trace_export_lookup(const char *app, pid_t primary_pid, uint64_t poller_id,
			     struct reef_trace_poller_stats *out);

#endif /* REEF_TRACE_EXPORT_H */
