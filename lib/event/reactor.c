/*
 * Reactors: one per core, each polling its lightweight threads round-robin.
 *
 * A reactor owns the threads on its list: only it polls them and writes their
 * records. Threads arrive (new, or moved from another reactor) through its
 * incoming ring; the ring's release/acquire hand-off is what makes the
 * receiving reactor the thread's single writer. In interrupt mode a reactor
 * whose threads are all in interrupt state sleeps in epoll on a group holding
 * their fd groups and its own wake-up eventfd.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "event_internal.h"
#include "reef/log.h"
#include "reef/usdt.h"
#include "reef/util.h"
#include "reef_internal/thread.h"

#define INCOMING_RING_SIZE 4096
/* A sleeping reactor still wakes this often to notice a stop it was not told about. */
#define SLEEP_MAX_MS 1000

static struct reef_reactor *g_reactors[REEF_MAX_LCORE];
static struct reef_cpuset g_reactor_mask;
static bool g_interrupt_mode;
static bool g_stopping;
static __thread struct reef_reactor *tls_reactor;

static int
wake_fd_fn(void *arg)
{
	struct reef_reactor *reactor = arg;
	uint64_t count;

	if (read(reactor->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
		REEF_ERRLOG_RATELIMITED(1000, "reactor %u: reading its wake-up fd failed: %m\n",
					reactor->lcore);
	}
	return 1;
}

static void
reactor_free(struct reef_reactor *reactor)
{
	if (reactor == NULL) {
		return;
	}
	if (reactor->fgrp != NULL) {
		if (reactor->wake_fd >= 0) {
			reef_fd_group_remove(reactor->fgrp, reactor->wake_fd);
		}
		reef_fd_group_destroy(reactor->fgrp);
	}
	if (reactor->wake_fd >= 0) {
		close(reactor->wake_fd);
	}
	free(reactor->incoming_mem);
	free(reactor);
}

static struct reef_reactor *
reactor_create(struct reef_shm_region *region, uint32_t lcore, uint64_t stall_tsc)
{
	struct reef_reactor *reactor;
	ssize_t ring_size = reef_ring_memsize(INCOMING_RING_SIZE, sizeof(void *));
	struct reef_shm_reactor *shm;
	char name[24];

	reactor = calloc(1, sizeof(*reactor));
	if (reactor == NULL || ring_size < 0) {
		free(reactor);
		return NULL;
	}
	reactor->lcore = lcore;
	reactor->wake_fd = -1;
	TAILQ_INIT(&reactor->threads);
	/* Only the primary's own threads use this ring: ordinary memory will do. */
	reactor->incoming_mem =
		aligned_alloc(REEF_CACHE_LINE, REEF_ALIGN_UP((size_t)ring_size, REEF_CACHE_LINE));
	if (reactor->incoming_mem == NULL) {
		reactor_free(reactor);
		return NULL;
	}
	reactor->incoming = reactor->incoming_mem;
	snprintf(name, sizeof(name), "reef.r%u", lcore);
	reef_ring_init(reactor->incoming, name, INCOMING_RING_SIZE, REEF_RING_MP_SC);

	if (g_interrupt_mode) {
		reactor->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (reactor->wake_fd < 0 || reef_fd_group_create(&reactor->fgrp) != 0 ||
		    reef_fd_group_add(reactor->fgrp, reactor->wake_fd, wake_fd_fn, reactor,
				      "wake") != 0) {
			REEF_ERRLOG("reactor %u: cannot set up interrupt mode: %m\n", lcore);
			reactor_free(reactor);
			return NULL;
		}
	}

	shm = reef_shm_reactor_slot(region, lcore);
	reef_seqlock_write_begin(&shm->hdr.seq);
	memset((uint8_t *)shm + sizeof(shm->hdr), 0, sizeof(*shm) - sizeof(shm->hdr));
	shm->hdr.gen++;
	shm->hdr.in_use = 1;
	shm->lcore = lcore;
	shm->state = REEF_SHM_REACTOR_RUNNING;
	shm->stall_threshold_tsc = stall_tsc;
	reef_seqlock_write_end(&shm->hdr.seq);
	reef_shm_count_add(region, REEF_SHM_REACTORS, 1);
	reactor->shm = shm;
	reactor->tsc_last = reef_get_ticks();
	return reactor;
}

int
reef__reactors_init(struct reef_shm_region *region, const struct reef_cpuset *mask,
		    bool interrupt_mode, uint64_t stall_tsc)
{
	uint32_t lcore;

	g_interrupt_mode = interrupt_mode;
	g_stopping = false;
	reef_cpuset_copy(&g_reactor_mask, mask);
	REEF_CPUSET_FOREACH(lcore, mask)
	{
		g_reactors[lcore] = reactor_create(region, lcore, stall_tsc);
		if (g_reactors[lcore] == NULL) {
			reef__reactors_fini();
			return -ENOMEM;
		}
	}
	return 0;
}

void
reef__reactors_fini(void)
{
	uint32_t lcore;

	for (lcore = 0; lcore < REEF_MAX_LCORE; lcore++) {
		reactor_free(g_reactors[lcore]);
		g_reactors[lcore] = NULL;
	}
	reef_cpuset_zero(&g_reactor_mask);
}

struct reef_reactor *
reef__reactor_get(uint32_t lcore)
{
	return lcore < REEF_MAX_LCORE ? g_reactors[lcore] : NULL;
}

const struct reef_cpuset *
reef__reactor_mask(void)
{
	return &g_reactor_mask;
}

uint32_t
reef__reactor_current_lcore(void)
{
	return tls_reactor != NULL ? tls_reactor->lcore : UINT32_MAX;
}

uint32_t
reef_reactor_get_current_lcore(void)
{
	return reef__reactor_current_lcore();
}

uint32_t
reef_thread_get_lcore(const struct reef_thread *thread)
{
	return __atomic_load_n(&reef__thread_get_shm((struct reef_thread *)thread)->lcore,
			       __ATOMIC_RELAXED);
}

int
reef__reactor_adopt(struct reef_reactor *reactor, struct reef_lw_thread *lw)
{
	uint64_t one = 1;

	lw->lcore = reactor->lcore;
	__atomic_fetch_add(&reactor->load, 1, __ATOMIC_RELAXED);
	/* Release (inside the ring): the thread's state is complete before the reactor sees it. */
	if (reef_ring_enqueue_burst(reactor->incoming, &lw, sizeof(lw), 1) != 1) {
		__atomic_fetch_sub(&reactor->load, 1, __ATOMIC_RELAXED);
		REEF_ERRLOG("reactor %u cannot take more arriving threads right now\n",
			    reactor->lcore);
		return -ENOBUFS;
	}
	if (g_interrupt_mode) {
		/* Pairs with the fence in reactor_sleep(): a sleeping reactor is always woken. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&reactor->sleeping, __ATOMIC_RELAXED) &&
		    write(reactor->wake_fd, &one, sizeof(one)) < 0) {
			REEF_ERRLOG_RATELIMITED(1000, "cannot wake reactor %u: %m\n",
						reactor->lcore);
		}
	}
	return 0;
}

static int
thread_fd_fn(void *arg)
{
	/* Waking is all: the next iteration polls the thread. */
	(void)arg;
	return 1;
}

static void
take_arrivals(struct reef_reactor *reactor)
{
	struct reef_lw_thread *arrived[32];
	uint32_t n, i;

	/* Acquire (inside the ring): pairs with the enqueue in reef__reactor_adopt(). */
	n = reef_ring_dequeue_burst(reactor->incoming, arrived, sizeof(arrived[0]),
				    REEF_COUNTOF(arrived));
	for (i = 0; i < n; i++) {
		struct reef_lw_thread *lw = arrived[i];
		struct reef_thread *thread = reef__lw_to_thread(lw);
		struct reef_shm_thread *tshm = reef__thread_get_shm(thread);

		TAILQ_INSERT_TAIL(&reactor->threads, lw, link);
		reactor->thread_count++;
		REEF_SHM_STORE(reactor->shm->thread_count, reactor->thread_count);
		REEF_SHM_STORE(tshm->lcore, reactor->lcore);
		if (lw->moving) {
			lw->moving = false;
			REEF_SHM_ADD(tshm->moves, 1);
			REEF_SHM_ADD(reactor->shm->threads_in, 1);
		}
		lw->intr_fd = -1;
		if (g_interrupt_mode) {
			int fd = reef_thread_get_interrupt_fd(thread);

			if (fd >= 0 && reef_fd_group_add(reactor->fgrp, fd, thread_fd_fn, lw,
							 reef_thread_get_name(thread)) == 0) {
				lw->intr_fd = fd;
			}
		}
	}
}

/* Take a thread off this reactor (it exited, or is moving away). */
void
reef__reactor_release(struct reef_reactor *reactor, struct reef_lw_thread *lw)
{
	TAILQ_REMOVE(&reactor->threads, lw, link);
	reactor->thread_count--;
	__atomic_fetch_sub(&reactor->load, 1, __ATOMIC_RELAXED);
	REEF_SHM_STORE(reactor->shm->thread_count, reactor->thread_count);
	if (lw->intr_fd >= 0) {
		reef_fd_group_remove(reactor->fgrp, lw->intr_fd);
		lw->intr_fd = -1;
	}
}

int
reef__reactor_run_once(struct reef_reactor *reactor)
{
	struct reef_shm_reactor *shm = reactor->shm;
	struct reef_lw_thread *lw, *tmp;
	struct reef_thread *longest = NULL;
	uint64_t now = reactor->tsc_last, start = now, busy = 0, idle = 0, longest_tsc = 0;
	int rc = 0;

	REEF_SHM_STORE(shm->iter_start_tsc, start);
	if (reef_unlikely(reef_ring_count(reactor->incoming) != 0)) {
		take_arrivals(reactor);
	}
	TAILQ_FOREACH_SAFE(lw, &reactor->threads, link, tmp) {
		struct reef_thread *thread = reef__lw_to_thread(lw);
		uint64_t end, dt;
		int thread_rc;

		REEF_SHM_STORE(shm->cur_thread_slot, reef_thread_get_slot(thread));
		REEF_SHM_STORE(shm->cur_thread_id, reef_thread_get_id(thread));
		thread_rc = reef_thread_poll(thread, 0, now);
		end = reef_thread_get_last_tsc(thread);
		dt = end - now;
		if (thread_rc > 0) {
			busy += dt;
			rc = 1;
		} else {
			idle += dt;
		}
		if (dt > longest_tsc) {
			longest_tsc = dt;
			longest = thread;
		}
		now = end;

		if (reef_unlikely(reef_thread_is_exited(thread))) {
			reef__reactor_release(reactor, lw);
			reef_thread_destroy(thread);
			if (longest == thread) {
				longest = NULL;
			}
		} else if (reef_unlikely(lw->resched)) {
			reef__scheduler_maybe_move(reactor, lw);
		}
	}
	REEF_SHM_STORE(shm->cur_thread_id, 0);
	if (reactor->thread_count == 0) {
		/* Nothing to poll: still let time pass so the accounting adds up. */
		now = reef_get_ticks();
		idle += now - start;
	}
	reactor->tsc_last = now;
	REEF_SHM_ADD(shm->busy_tsc, busy);
	REEF_SHM_ADD(shm->idle_tsc, idle);
	if (reef_unlikely(now - start > shm->longest_iter_tsc ||
			  (reef__stall_threshold() && now - start >= reef__stall_threshold()))) {
		reef__stall_account(reactor, now - start, longest, longest_tsc);
	}
	reactor->iterations++;
	REEF_SHM_STORE(shm->iterations, reactor->iterations);
	return rc;
}

static bool
all_threads_sleep(struct reef_reactor *reactor)
{
	struct reef_lw_thread *lw;

	TAILQ_FOREACH(lw, &reactor->threads, link) {
		if (!reef_thread_is_in_interrupt(reef__lw_to_thread(lw))) {
			return false;
		}
	}
	return true;
}

static void
reactor_sleep(struct reef_reactor *reactor)
{
	struct reef_shm_reactor *shm = reactor->shm;
	uint64_t before, after;

	__atomic_store_n(&reactor->sleeping, true, __ATOMIC_RELAXED);
	/*
	 * Pairs with the fence in reef__reactor_adopt(): either the adopter sees
	 * us sleeping and writes the wake-up fd, or we see its thread here.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (reef_ring_count(reactor->incoming) != 0 ||
	    (__atomic_load_n(&g_stopping, __ATOMIC_RELAXED) && reactor->thread_count == 0)) {
		__atomic_store_n(&reactor->sleeping, false, __ATOMIC_RELAXED);
		return;
	}
	before = reef_get_ticks();
	REEF_SHM_STORE(shm->in_interrupt, 1u);
	REEF_SHM_ADD(shm->sleeps, 1);
	REEF_USDT(reactor_sleep, reactor->lcore, reactor->thread_count);
	reef_fd_group_wait(reactor->fgrp, SLEEP_MAX_MS);
	__atomic_store_n(&reactor->sleeping, false, __ATOMIC_RELAXED);
	after = reef_get_ticks();
	REEF_SHM_STORE(shm->in_interrupt, 0u);
	REEF_SHM_ADD(shm->idle_tsc, after - before);
	REEF_SHM_ADD(shm->sleep_tsc, after - before);
	REEF_USDT(reactor_wake, reactor->lcore, after - before);
	reactor->tsc_last = after;
}

int
reef__reactor_run(void *arg)
{
	struct reef_reactor *reactor = arg;

	tls_reactor = reactor;
	reactor->has_cpu_clock = pthread_getcpuclockid(pthread_self(), &reactor->cpu_clock) == 0;
	reactor->tsc_last = reef_get_ticks();
	for (;;) {
		int rc = reef__reactor_run_once(reactor);

		if (__atomic_load_n(&g_stopping, __ATOMIC_ACQUIRE) && reactor->thread_count == 0 &&
		    reef_ring_count(reactor->incoming) == 0) {
			break;
		}
		if (g_interrupt_mode && rc == 0 && all_threads_sleep(reactor)) {
			reactor_sleep(reactor);
		}
	}
	REEF_SHM_STORE(reactor->shm->state, (uint32_t)REEF_SHM_REACTOR_STOPPED);
	reactor->stopped = true;
	tls_reactor = NULL;
	return 0;
}

void
reef__reactors_stop(void)
{
	uint32_t lcore;
	uint64_t one = 1;

	__atomic_store_n(&g_stopping, true, __ATOMIC_RELEASE);
	REEF_CPUSET_FOREACH(lcore, &g_reactor_mask)
	{
		struct reef_reactor *reactor = g_reactors[lcore];

		REEF_SHM_STORE(reactor->shm->state, (uint32_t)REEF_SHM_REACTOR_STOPPING);
		if (g_interrupt_mode && write(reactor->wake_fd, &one, sizeof(one)) < 0) {
			REEF_ERRLOG("cannot wake reactor %u to stop: %m\n", lcore);
		}
	}
}

bool
reef__reactors_stopping(void)
{
	return __atomic_load_n(&g_stopping, __ATOMIC_ACQUIRE);
}
