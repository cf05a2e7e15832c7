/*
 * lib/event's private structures: reactors, the per-thread scheduling record
 * kept in each thread's context, and the stall watchdog. Unit tests drive
 * reactors one iteration at a time through these functions.
 */
#ifndef REEF_EVENT_INTERNAL_H
#define REEF_EVENT_INTERNAL_H

#include <time.h>

#include "reef/cpuset.h"
#include "reef/event.h"
#include "reef/fd_group.h"
#include "reef/queue.h"
#include "reef/thread.h"
#include "reef_internal/shm.h"

/* What a reactor knows about each thread it runs (lives in the thread's context). */
struct reef_lw_thread {
	TAILQ_ENTRY(reef_lw_thread) link;
	/* The reactor that owns the thread, or the one it is travelling to. */
	uint32_t lcore;
	/* Set by a reschedule request; acted on after the thread's poll. */
	bool resched;
	/* On its way from one reactor to another. */
	bool moving;
	/* The thread's epoll fd while it is in its reactor's fd group (interrupt mode). */
	int intr_fd;
};

/* What the watchdog saw a reactor doing in a long iteration. */
/* What the watchdog saw running: a thread, and the poller or message inside it. */
struct reef_stall_obs {
	uint64_t thread_id;
	uint64_t poller_id;
	uint64_t msg_fn;
};

struct reef_stall_seen {
	uint64_t iteration;
	/* The latest run of equal looks, and the longest run so far: the culprit. */
	struct reef_stall_obs cur;
	uint32_t cur_looks;
	struct reef_stall_obs best;
	uint32_t best_looks;
	/* Wall and CPU time of the reactor's OS thread at the first and last look (ns). */
	uint64_t first_wall_ns;
	uint64_t first_cpu_ns;
	uint64_t last_wall_ns;
	uint64_t last_cpu_ns;
};

struct reef_reactor {
	uint32_t lcore;
	struct reef_shm_reactor *shm;
	TAILQ_HEAD(, reef_lw_thread) threads;
	uint32_t thread_count;
	/* Threads placed here, counting those on their way: the placement load. */
	uint32_t load;
	/* Threads arriving (new or moved): pointers to reef_lw_thread. */
	struct reef_ring *incoming;
	void *incoming_mem;
	/* Interrupt mode: the group the reactor sleeps on and its own wake-up eventfd. */
	struct reef_fd_group *fgrp;
	int wake_fd;
	bool sleeping;
	uint64_t tsc_last;
	uint64_t iterations;
	/* Written by the watchdog, read by the reactor at the end of a long iteration. */
	struct reef_stall_seen seen;
	uint32_t seen_seq;
	/* CPU-time clock of the OS thread running the reactor, for the watchdog. */
	clockid_t cpu_clock;
	bool has_cpu_clock;
	bool stopped;
};

/* ---- reactor.c ---- */

/* Create the reactors of the cores in mask (their shared slots say "running"). */
int reef__reactors_init(struct reef_shm_region *region, const struct reef_cpuset *mask,
			bool interrupt_mode, uint64_t stall_tsc);
void reef__reactors_fini(void);
struct reef_reactor *reef__reactor_get(uint32_t lcore);
/* One iteration: adopt arriving threads, poll each thread once, account. Returns > 0 if busy. */
int reef__reactor_run_once(struct reef_reactor *reactor);
/* Iterate until stopping and out of threads. The lcore entry point. */
int reef__reactor_run(void *arg);
/* Hand a thread to reactor (any OS thread). */
int reef__reactor_adopt(struct reef_reactor *reactor, struct reef_lw_thread *lw);
/* Mark every reactor stopping; each returns from reef__reactor_run once it has no threads. */
void reef__reactors_stop(void);
bool reef__reactors_stopping(void);
uint32_t reef__reactor_current_lcore(void);
/* The cores that have reactors. */
const struct reef_cpuset *reef__reactor_mask(void);
/* Take a thread off reactor's list (it exited or is moving); the reactor's own OS thread only. */
void reef__reactor_release(struct reef_reactor *reactor, struct reef_lw_thread *lw);

/* ---- scheduler.c ---- */

/* The thread-library callbacks: place new threads, move rescheduled ones. */
int reef__scheduler_thread_op(struct reef_thread *thread, enum reef_thread_op op);
bool reef__scheduler_thread_op_supported(enum reef_thread_op op);
/* The least-loaded reactor whose core is in mask, or NULL when none is. */
struct reef_reactor *reef__scheduler_pick(const struct reef_cpuset *mask);
/* After thread's poll on reactor: move it if its cpumask asks. Returns true if it left. */
bool reef__scheduler_maybe_move(struct reef_reactor *reactor, struct reef_lw_thread *lw);

/* ---- stall.c ---- */

/* Set the stall threshold and the watchdog's sampling period (ticks; 0 threshold: off). */
void reef__stall_init(uint64_t threshold_tsc, uint64_t sample_tsc);
/* Start/stop the watchdog pthread that samples reactors every period_us. */
int reef__stall_watchdog_start(uint64_t period_us);
void reef__stall_watchdog_stop(void);
/* One watchdog pass at tick now (tests call it directly). */
void reef__stall_sample(uint64_t now);
/* End of an iteration of duration ticks whose longest thread poll was `thread`. */
void reef__stall_account(struct reef_reactor *reactor, uint64_t duration,
			 struct reef_thread *longest, uint64_t longest_tsc);
uint64_t reef__stall_threshold(void);

static inline struct reef_lw_thread *
reef__lw_thread(struct reef_thread *thread)
{
	return reef_thread_get_ctx(thread);
}

static inline struct reef_thread *
reef__lw_to_thread(struct reef_lw_thread *lw)
{
	return reef_thread_get_from_ctx(lw);
}

/* ---- telemetry.c ---- */

/* Register the /reef/... DPDK telemetry commands (after the region exists). */
void reef__telemetry_register(void);

#endif /* REEF_EVENT_INTERNAL_H */
