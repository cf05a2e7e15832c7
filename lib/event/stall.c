/*
 * The stall detector. Each reactor records, in its shared slot, its longest
 * iteration and what it spent it in; iterations past the threshold count as
 * stalls and log a rate-limited warning.
 *
 * The thread that took longest in an iteration is measured exactly (the
 * reactor times every thread poll). Timing every poller would cost two clock
 * reads per run, so the poller (or message) inside it is found by sampling: a
 * watchdog pthread looks at what each reactor is running whenever an
 * iteration has lasted longer than its sampling period, and the reactor takes
 * those observations when the long iteration ends. The culprit is what the
 * most consecutive looks saw (the longest run, not merely the last one), and
 * only when it is inside the thread the reactor measured as the slowest.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event_internal.h"
#include "reef/log.h"
#include "reef/string.h"
#include "reef/usdt.h"
#include "reef_internal/thread.h"

#define STALL_LOG_INTERVAL_MS 1000

static uint64_t g_threshold_tsc;
static uint64_t g_sample_tsc;
static pthread_t g_watchdog;
static bool g_watchdog_running;
static bool g_watchdog_stop;

uint64_t
reef__stall_threshold(void)
{
	return g_threshold_tsc;
}

static uint64_t
clock_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) != 0) {
		return 0;
	}
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void
reef__stall_sample(uint64_t now)
{
	struct reef_shm_region *region = reef_shm_get_local();
	uint32_t lcore;

	REEF_CPUSET_FOREACH(lcore, reef__reactor_mask())
	{
		struct reef_reactor *reactor = reef__reactor_get(lcore);
		struct reef_shm_reactor *shm = reactor->shm;
		struct reef_shm_thread *tshm;
		struct reef_stall_seen *seen;
		struct reef_stall_obs obs;
		uint64_t iteration, wall_ns, cpu_ns;
		uint64_t start = __atomic_load_n(&shm->iter_start_tsc, __ATOMIC_RELAXED);
		uint64_t thread_id = __atomic_load_n(&shm->cur_thread_id, __ATOMIC_RELAXED);
		uint32_t slot = __atomic_load_n(&shm->cur_thread_slot, __ATOMIC_RELAXED);

		if (thread_id == 0 || now < start || now - start < g_sample_tsc ||
		    __atomic_load_n(&shm->in_interrupt, __ATOMIC_RELAXED)) {
			continue;
		}
		tshm = reef_shm_slot(region, REEF_SHM_THREADS, slot);
		if (tshm == NULL || __atomic_load_n(&tshm->id, __ATOMIC_RELAXED) != thread_id) {
			continue;
		}
		obs.thread_id = thread_id;
		obs.poller_id = __atomic_load_n(&tshm->running_poller_id, __ATOMIC_RELAXED);
		obs.msg_fn = __atomic_load_n(&tshm->running_msg_fn, __ATOMIC_RELAXED);
		iteration = __atomic_load_n(&shm->iterations, __ATOMIC_RELAXED);
		wall_ns = clock_ns(CLOCK_MONOTONIC);
		cpu_ns = reactor->has_cpu_clock ? clock_ns(reactor->cpu_clock) : 0;
		seen = &reactor->seen;
		/* Private to the primary: a tiny seqlock between watchdog and reactor. */
		reef_seqlock_write_begin(&reactor->seen_seq);
		if (seen->iteration != iteration || seen->first_wall_ns == 0) {
			seen->first_wall_ns = wall_ns;
			seen->first_cpu_ns = cpu_ns;
			seen->cur_looks = 0;
			seen->best_looks = 0;
		}
		seen->iteration = iteration;
		if (seen->cur_looks != 0 && memcmp(&seen->cur, &obs, sizeof(obs)) == 0) {
			seen->cur_looks++;
		} else {
			seen->cur = obs;
			seen->cur_looks = 1;
		}
		if (seen->cur_looks > seen->best_looks) {
			seen->best = seen->cur;
			seen->best_looks = seen->cur_looks;
		}
		seen->last_wall_ns = wall_ns;
		seen->last_cpu_ns = cpu_ns;
		reef_seqlock_write_end(&reactor->seen_seq);
	}
}

static bool
read_seen(struct reef_reactor *reactor, struct reef_stall_seen *out)
{
	int i;

	for (i = 0; i < 64; i++) {
		uint32_t seq = reef_seqlock_read_begin(&reactor->seen_seq);

		*out = reactor->seen;
		if (!reef_seqlock_read_retry(&reactor->seen_seq, seq)) {
			return true;
		}
	}
	return false;
}

static struct reef_thread *
thread_on_reactor(struct reef_reactor *reactor, uint64_t id)
{
	struct reef_lw_thread *lw;

	TAILQ_FOREACH(lw, &reactor->threads, link) {
		struct reef_thread *thread = reef__lw_to_thread(lw);

		if (reef_thread_get_id(thread) == id) {
			return thread;
		}
	}
	return NULL;
}

/*
 * Name what an iteration spent its time in: a poller, a message function, or a
 * thread. *cpu_pct gets the share of the watched stretch the reactor's OS
 * thread actually ran (100 when unknown): far below 100, the kernel preempted it.
 */
static uint64_t
name_culprit(struct reef_reactor *reactor, struct reef_thread *longest, char *name, size_t len,
	     uint64_t *thread_id, unsigned int *cpu_pct)
{
	struct reef_stall_seen seen;
	struct reef_thread *thread;

	*cpu_pct = 100;
	*thread_id = longest ? reef_thread_get_id(longest) : 0;
	snprintf(name, len, "thread %s", longest ? reef_thread_get_name(longest) : "?");
	if (!read_seen(reactor, &seen) || seen.iteration != reactor->iterations) {
		return 0;
	}
	if (reactor->has_cpu_clock && seen.last_wall_ns > seen.first_wall_ns) {
		uint64_t wall = seen.last_wall_ns - seen.first_wall_ns;
		uint64_t cpu = seen.last_cpu_ns - seen.first_cpu_ns;

		*cpu_pct = (unsigned int)(cpu >= wall ? 100 : cpu * 100 / wall);
	}
	/*
	 * The looks name a poller inside one thread; the reactor timed each thread
	 * exactly. When they disagree, the looks caught a moment outside the slow
	 * part: name only the thread measured.
	 */
	if (seen.best_looks == 0 ||
	    (longest != NULL && seen.best.thread_id != reef_thread_get_id(longest))) {
		return 0;
	}
	thread = thread_on_reactor(reactor, seen.best.thread_id);
	if (thread == NULL) {
		return 0;
	}
	*thread_id = seen.best.thread_id;
	snprintf(name, len, "thread %s", reef_thread_get_name(thread));
	if (seen.best.poller_id != 0 && seen.best.poller_id != UINT64_MAX) {
		struct reef_poller *poller =
			reef_thread_get_poller_by_id(thread, seen.best.poller_id);

		reef_strcpy_trunc(name, len, poller ? reef_poller_get_name(poller) : "poller");
		return seen.best.poller_id;
	}
	if (seen.best.msg_fn != 0) {
		Dl_info info;

		if (dladdr((void *)(uintptr_t)seen.best.msg_fn, &info) != 0 &&
		    info.dli_sname != NULL) {
			snprintf(name, len, "msg %s", info.dli_sname);
		} else {
			snprintf(name, len, "msg %#llx", (unsigned long long)seen.best.msg_fn);
		}
	}
	return 0;
}

void
reef__stall_account(struct reef_reactor *reactor, uint64_t duration, struct reef_thread *longest,
		    uint64_t longest_tsc)
{
	struct reef_shm_reactor *shm = reactor->shm;
	char name[REEF_SHM_NAME_LEN];
	uint64_t poller_id, thread_id;
	bool stall = g_threshold_tsc != 0 && duration >= g_threshold_tsc;
	unsigned int cpu_pct;
	char where[REEF_SHM_NAME_LEN + 64];

	(void)longest_tsc;
	poller_id = name_culprit(reactor, longest, name, sizeof(name), &thread_id, &cpu_pct);
	if (duration > shm->longest_iter_tsc) {
		reef_seqlock_write_begin(&shm->hdr.seq);
		shm->longest_iter_tsc = duration;
		shm->longest_poller_id = poller_id;
		shm->longest_thread_id = thread_id;
		memcpy(shm->longest_name, name, sizeof(shm->longest_name));
		reef_seqlock_write_end(&shm->hdr.seq);
	}
	if (!stall) {
		return;
	}
	REEF_SHM_ADD(shm->stalls, 1);
	REEF_SHM_STORE(shm->last_stall_tsc, reef_get_ticks());
	if (cpu_pct < 50) {
		REEF_SHM_ADD(shm->preempted_stalls, 1);
	}
	REEF_USDT(stall, reactor->lcore, duration, thread_id, poller_id, name);
	if (strncmp(name, "thread ", 7) == 0) {
		snprintf(where, sizeof(where), "in %s", name);
	} else {
		struct reef_thread *on = thread_on_reactor(reactor, thread_id);

		snprintf(where, sizeof(where), "in %s on thread %s", name,
			 on ? reef_thread_get_name(on) : "?");
	}
	REEF_WARNLOG_RATELIMITED(
		STALL_LOG_INTERVAL_MS,
		"reactor %u stalled: one iteration took %.1f ms (threshold %.1f ms), "
		"%s%s\n",
		reactor->lcore, (double)duration * 1000.0 / (double)reef_get_ticks_hz(),
		(double)g_threshold_tsc * 1000.0 / (double)reef_get_ticks_hz(), where,
		cpu_pct < 50 ? " (preempted: the kernel ran something else on its core)" : "");
}

static void *
watchdog_main(void *arg)
{
	struct timespec period;
	uint64_t period_us = (uint64_t)(uintptr_t)arg;

	period.tv_sec = (time_t)(period_us / 1000000);
	period.tv_nsec = (long)(period_us % 1000000) * 1000;
	while (!__atomic_load_n(&g_watchdog_stop, __ATOMIC_ACQUIRE)) {
		nanosleep(&period, NULL);
		reef__stall_sample(reef_get_ticks());
	}
	return NULL;
}

int
reef__stall_watchdog_start(uint64_t period_us)
{
	int rc;

	g_watchdog_stop = false;
	rc = pthread_create(&g_watchdog, NULL, watchdog_main, (void *)(uintptr_t)period_us);
	if (rc != 0) {
		REEF_ERRLOG("cannot start the stall watchdog: %s\n", strerror(rc));
		return -rc;
	}
	pthread_setname_np(g_watchdog, "reef-watchdog");
	g_watchdog_running = true;
	return 0;
}

void
reef__stall_watchdog_stop(void)
{
	if (!g_watchdog_running) {
		return;
	}
	__atomic_store_n(&g_watchdog_stop, true, __ATOMIC_RELEASE);
	pthread_join(g_watchdog, NULL);
	g_watchdog_running = false;
}

void
reef__stall_init(uint64_t threshold_tsc, uint64_t sample_tsc)
{
	g_threshold_tsc = threshold_tsc;
	g_sample_tsc = sample_tsc;
}
