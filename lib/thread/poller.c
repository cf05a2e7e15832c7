/*
 * Pollers: registration, pause/resume/unregister state machine, and the run
 * loops reef_thread_poll() calls. The state machine follows SPDK's: changes
 * made from inside a poll loop are deferred (pausing, unregistered) and
 * finished by the loop itself, so lists are never edited under its feet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thread_internal.h"
#include "reef/log.h"
#include "reef/string.h"
#include "reef/usdt.h"
#include "reef/util.h"

/* The thread counter a poller counts in, by state and kind; NULL if none. */
static uint32_t *
poller_counter(struct reef_poller *poller)
{
	struct reef_shm_thread *shm = poller->thread->shm;

	switch (poller->state) {
	case REEF_POLLER_STATE_UNREGISTERED:
		return NULL;
	case REEF_POLLER_STATE_PAUSING:
	case REEF_POLLER_STATE_PAUSED:
		return &shm->paused_pollers;
	default:
		return poller->period_ticks ? &shm->timed_pollers : &shm->active_pollers;
	}
}

/* Change state where the thread's poller counts may change too. */
static void
poller_transition(struct reef_poller *poller, enum reef_poller_state state)
{
	uint32_t *before = poller_counter(poller), *after;

	poller->state = state;
	REEF_SHM_STORE(poller->shm->state, (uint32_t)state);
	after = poller_counter(poller);
	if (before != after) {
		if (before != NULL) {
			REEF_SHM_ADD(*before, (uint32_t)-1);
		}
		if (after != NULL) {
			REEF_SHM_ADD(*after, 1);
		}
		if (reef_interrupt_mode_is_enabled()) {
			reef__thread_interrupt_update(poller->thread);
		}
	}
}

/* Change between states of the same class (waiting <-> running): no count moves. */
static inline void
poller_set_state(struct reef_poller *poller, enum reef_poller_state state)
{
	poller->state = state;
	REEF_SHM_STORE(poller->shm->state, (uint32_t)state);
}

static void
poller_free(struct reef_poller *poller)
{
	poller->thread->nr_pollers--;
	reef_shm_slot_free(reef__thread_lib.region, REEF_SHM_POLLERS, poller->shm);
	free(poller);
}

/* Make room in the active array for every poller the thread will have. Returns 0 or -ENOMEM. */
static int
active_reserve(struct reef_thread *thread, uint32_t count)
{
	struct reef_poller **vec;
	uint32_t cap;

	if (count <= thread->active_cap) {
		return 0;
	}
	cap = thread->active_cap ? thread->active_cap : 16;
	while (cap < count) {
		cap *= 2;
	}
	vec = realloc(thread->active_vec, cap * sizeof(*vec));
	if (vec == NULL) {
		return -ENOMEM;
	}
	thread->active_vec = vec;
	thread->active_cap = cap;
	return 0;
}

static void
active_insert_tail(struct reef_thread *thread, struct reef_poller *poller)
{
	TAILQ_INSERT_TAIL(&thread->active_pollers, poller, tailq);
	thread->active_vec[thread->active_nr++] = poller;
}

/* Take poller off the active list; hint is where it probably is in the array. */
static void
active_remove(struct reef_thread *thread, struct reef_poller *poller, uint32_t hint)
{
	struct reef_poller **vec = thread->active_vec;
	uint32_t i = hint;

	if (i >= thread->active_nr || vec[i] != poller) {
		/* Searched from the tail, where the walk has been. */
		i = thread->active_nr;
		while (i > 0 && vec[i - 1] != poller) {
			i--;
		}
		if (i == 0) {
			REEF_ERRLOG(
				"poller %s is on thread %s's active list but not in its array\n",
				poller->shm->name, thread->shm->name);
			TAILQ_REMOVE(&thread->active_pollers, poller, tailq);
			return;
		}
		i--;
	}
	memmove(&vec[i], &vec[i + 1], (thread->active_nr - i - 1) * sizeof(*vec));
	thread->active_nr--;
	TAILQ_REMOVE(&thread->active_pollers, poller, tailq);
}

static void
list_remove(struct reef_thread *thread, struct reef_poller_list *list, struct reef_poller *poller,
	    uint32_t hint)
{
	if (list == &thread->active_pollers) {
		active_remove(thread, poller, hint);
	} else {
		TAILQ_REMOVE(list, poller, tailq);
	}
}

/* Insert into the timed list ordered by expiry; equal expiries keep registration order. */
static void
poller_insert_timer(struct reef_thread *thread, struct reef_poller *poller, uint64_t now)
{
	struct reef_poller *iter;

	poller->next_run_tick = now + poller->period_ticks;
	REEF_SHM_STORE(poller->shm->next_run_tick, poller->next_run_tick);
	/* New expiries are usually the latest: search from the tail. */
	TAILQ_FOREACH_REVERSE(iter, &thread->timed_pollers, reef_poller_list, tailq) {
		if (iter->next_run_tick <= poller->next_run_tick) {
			TAILQ_INSERT_AFTER(&thread->timed_pollers, iter, poller, tailq);
			return;
		}
	}
	TAILQ_INSERT_HEAD(&thread->timed_pollers, poller, tailq);
}

static void
thread_insert_poller(struct reef_thread *thread, struct reef_poller *poller)
{
	if (poller->period_ticks) {
		poller_insert_timer(thread, poller, reef_get_ticks());
	} else {
		active_insert_tail(thread, poller);
	}
}

static struct reef_poller *
poller_register(reef_poller_fn fn, void *arg, uint64_t period_us, const char *name)
{
	struct reef_thread *thread = reef_get_thread();
	struct reef_shm_poller *shm;
	struct reef_poller *poller;

	if (thread == NULL) {
		REEF_ERRLOG("pollers must be registered on a Reef thread\n");
		return NULL;
	}
	if (reef_unlikely(thread->state == REEF_THREAD_STATE_EXITED)) {
		REEF_ERRLOG("thread %s has exited: poller %s not registered\n", thread->shm->name,
			    name ? name : "");
		return NULL;
	}
	poller = aligned_alloc(REEF_CACHE_LINE, sizeof(*poller));
	if (poller != NULL) {
		memset(poller, 0, sizeof(*poller));
	}
	if (poller == NULL || active_reserve(thread, thread->nr_pollers + 1) != 0) {
		REEF_ERRLOG("out of memory registering poller %s\n", name ? name : "");
		free(poller);
		return NULL;
	}
	shm = reef_shm_slot_alloc(reef__thread_lib.region, REEF_SHM_POLLERS, NULL);
	if (shm == NULL) {
		free(poller);
		return NULL;
	}
	poller->shm = shm;
	poller->thread = thread;
	thread->nr_pollers++;
	poller->fn = fn;
	poller->arg = arg;
	poller->id = reef_shm_next_id(reef__thread_lib.region, REEF_SHM_POLLERS);
	poller->period_us = period_us;
	poller->period_ticks = period_us ? reef_usec_to_ticks(period_us, reef_get_ticks_hz()) : 0;
	/* A period shorter than a tick still makes a timed poller. */
	if (period_us && poller->period_ticks == 0) {
		poller->period_ticks = 1;
	}
	poller->timerfd = -1;
	poller->state = REEF_POLLER_STATE_WAITING;

	shm->id = poller->id;
	shm->thread_id = thread->id;
	shm->thread_slot = thread->slot;
	shm->kind = poller->period_ticks ? REEF_SHM_POLLER_TIMED : REEF_SHM_POLLER_ACTIVE;
	shm->period_ticks = poller->period_ticks;
	shm->registered_tsc = reef_get_ticks();
	shm->state = REEF_SHM_POLLER_WAITING;
	if (name != NULL) {
		reef_strcpy_trunc(shm->name, sizeof(shm->name), name);
	} else {
		snprintf(shm->name, sizeof(shm->name), "%p", (void *)(uintptr_t)fn);
	}
	reef_shm_slot_publish(shm);

	if (reef_interrupt_mode_is_enabled() && poller->period_ticks) {
		int rc = reef__poller_timerfd_create(poller);

		if (rc != 0) {
			REEF_ERRLOG("cannot create the timerfd of poller %s: %s\n", shm->name,
				    strerror(-rc));
			poller_free(poller);
			return NULL;
		}
	}
	thread_insert_poller(thread, poller);
	REEF_SHM_ADD(*poller_counter(poller), 1);
	if (reef_interrupt_mode_is_enabled()) {
		reef__thread_interrupt_update(thread);
		if (poller->timerfd >= 0 && thread->in_interrupt) {
			reef__poller_timerfd_arm(poller, true);
		}
	}
	REEF_USDT(poller_register, thread->id, poller->id, shm->name, poller->period_ticks);
	return poller;
}

struct reef_poller *
reef_poller_register(reef_poller_fn fn, void *arg, uint64_t period_us)
{
	return poller_register(fn, arg, period_us, NULL);
}

struct reef_poller *
reef_poller_register_named(reef_poller_fn fn, void *arg, uint64_t period_us, const char *name)
{
	return poller_register(fn, arg, period_us, name);
}

void
reef_poller_unregister(struct reef_poller **ppoller)
{
	struct reef_poller *poller = *ppoller;
	struct reef_thread *thread;

	if (poller == NULL) {
		return;
	}
	*ppoller = NULL;
	thread = reef_get_thread();
	if (thread == NULL || poller->thread != thread) {
		REEF_ERRLOG("poller %s must be unregistered on its own thread %s\n",
			    poller->shm->name, poller->thread->shm->name);
		return;
	}
	if (poller->state == REEF_POLLER_STATE_UNREGISTERED) {
		return;
	}
	REEF_USDT(poller_unregister, thread->id, poller->id, poller->shm->name);
	if (poller->timerfd >= 0) {
		reef__poller_timerfd_destroy(poller);
	}
	/* A paused poller goes back to the active list, where the next poll frees it. */
	if (poller->state == REEF_POLLER_STATE_PAUSED) {
		TAILQ_REMOVE(&thread->paused_pollers, poller, tailq);
		active_insert_tail(thread, poller);
		poller->period_ticks = 0;
	}
	poller_transition(poller, REEF_POLLER_STATE_UNREGISTERED);
	thread->pollers_changed = true;
}

void
reef_poller_pause(struct reef_poller *poller)
{
	struct reef_thread *thread;

	if (poller->state == REEF_POLLER_STATE_PAUSED ||
	    poller->state == REEF_POLLER_STATE_PAUSING ||
	    poller->state == REEF_POLLER_STATE_UNREGISTERED) {
		return;
	}
	thread = reef_get_thread();
	if (thread == NULL || poller->thread != thread) {
		REEF_ERRLOG("poller %s must be paused on its own thread\n", poller->shm->name);
		return;
	}
	REEF_USDT(poller_pause, thread->id, poller->id, poller->shm->name);
	if (poller->timerfd >= 0) {
		reef__poller_timerfd_arm(poller, false);
	}
	/*
	 * From inside itself the poller can leave its list at once: the run loop
	 * already holds the next element. From anywhere else the loop may be
	 * walking the list, so it is only marked, and the loop moves it.
	 */
	if (poller->state != REEF_POLLER_STATE_RUNNING) {
		poller_transition(poller, REEF_POLLER_STATE_PAUSING);
		thread->pollers_changed = true;
		return;
	}
	if (poller->period_ticks) {
		TAILQ_REMOVE(&thread->timed_pollers, poller, tailq);
	} else {
		active_remove(thread, poller, UINT32_MAX);
	}
	TAILQ_INSERT_TAIL(&thread->paused_pollers, poller, tailq);
	poller_transition(poller, REEF_POLLER_STATE_PAUSED);
}

void
reef_poller_resume(struct reef_poller *poller)
{
	struct reef_thread *thread;

	if (poller->state != REEF_POLLER_STATE_PAUSED &&
	    poller->state != REEF_POLLER_STATE_PAUSING) {
		return;
	}
	thread = reef_get_thread();
	if (thread == NULL || poller->thread != thread) {
		REEF_ERRLOG("poller %s must be resumed on its own thread\n", poller->shm->name);
		return;
	}
	REEF_USDT(poller_resume, thread->id, poller->id, poller->shm->name);
	/* A pausing poller is still on its list: flipping the state back is enough. */
	if (poller->state == REEF_POLLER_STATE_PAUSED) {
		TAILQ_REMOVE(&thread->paused_pollers, poller, tailq);
		thread_insert_poller(thread, poller);
	}
	poller_transition(poller, REEF_POLLER_STATE_WAITING);
	if (poller->timerfd >= 0 && thread->in_interrupt) {
		reef__poller_timerfd_arm(poller, true);
	}
}

const char *
reef_poller_state_str(enum reef_poller_state state)
{
	switch (state) {
	case REEF_POLLER_STATE_WAITING:
		return "waiting";
	case REEF_POLLER_STATE_RUNNING:
		return "running";
	case REEF_POLLER_STATE_UNREGISTERED:
		return "unregistered";
	case REEF_POLLER_STATE_PAUSING:
		return "pausing";
	case REEF_POLLER_STATE_PAUSED:
		return "paused";
	default:
		return NULL;
	}
}

/* Run one poller and account for it. The hot path: keep it lean, and inlined in each loop. */
static inline __attribute__((always_inline)) int
poller_run(struct reef_thread *thread, struct reef_shm_thread *tshm, struct reef_poller *poller,
	   bool traced)
{
	struct reef_shm_poller *shm = poller->shm;
	bool measure = poller->timing || traced;
	uint64_t t0 = 0;
	int rc;

	poller_set_state(poller, REEF_POLLER_STATE_RUNNING);
	REEF_SHM_STORE(tshm->running_poller_id, poller->id);
	if (reef_unlikely(measure)) {
		t0 = reef_get_ticks();
	}
	rc = poller->fn(poller->arg);
	if (reef_unlikely(measure)) {
		uint64_t dt = reef_get_ticks() - t0;

		if (poller->timing) {
			REEF_SHM_ADD(shm->busy_tsc, dt);
			REEF_SHM_ADD(shm->timed_runs, 1);
			if (dt > shm->max_run_tsc) {
				REEF_SHM_STORE(shm->max_run_tsc, dt);
			}
		}
		REEF_USDT(poller_run, thread->id, poller->id, shm->name, rc, dt);
	}
	REEF_SHM_ADD(shm->run_count, 1);
	if (rc > 0) {
		REEF_SHM_ADD(shm->busy_count, 1);
	}
	return rc;
}

static void
park_pausing(struct reef_thread *thread, struct reef_poller_list *list, struct reef_poller *poller,
	     uint32_t hint)
{
	list_remove(thread, list, poller, hint);
	TAILQ_INSERT_TAIL(&thread->paused_pollers, poller, tailq);
	poller_transition(poller, REEF_POLLER_STATE_PAUSED);
}

/* How far ahead of the active walk pollers' lines are fetched (their records' at half of it). */
#define PREFETCH_AHEAD 8

int
reef__poller_run_active(struct reef_thread *thread)
{
	struct reef_shm_thread *tshm = thread->shm;
	/* Read once per poll: a tracer attaching mid-walk is heard from the next poll on. */
	bool traced = REEF_USDT_ENABLED(poller_run);
	uint32_t i = thread->active_nr;
	int rc = 0;

	/*
	 * Walk from the tail. This visits exactly what the reference's
	 * TAILQ_FOREACH_REVERSE_SAFE would: pollers registered, resumed or
	 * unregistered-while-paused during the walk go to the tail, behind it,
	 * and wait for the next poll; only the poller at the walk leaves the
	 * list (pausing itself, parked, freed), so the ones ahead keep their
	 * index. The array is re-read each step: a registration may move it.
	 */
	while (i-- > 0) {
		struct reef_poller **vec = thread->active_vec;
		struct reef_poller *poller = vec[i];
		enum reef_poller_state state;
		int poller_rc;

		if (i >= PREFETCH_AHEAD) {
			__builtin_prefetch(vec[i - PREFETCH_AHEAD], 1);
			__builtin_prefetch(&vec[i - PREFETCH_AHEAD / 2]->shm->state, 1);
		}
		state = poller->state;
		if (reef_unlikely(state != REEF_POLLER_STATE_WAITING)) {
			if (state == REEF_POLLER_STATE_UNREGISTERED) {
				active_remove(thread, poller, i);
				poller_free(poller);
				continue;
			} else if (state == REEF_POLLER_STATE_PAUSING) {
				park_pausing(thread, &thread->active_pollers, poller, i);
				continue;
			}
		}
		poller_rc = poller_run(thread, tshm, poller, traced);
		state = poller->state;
		if (reef_likely(state == REEF_POLLER_STATE_RUNNING)) {
			poller_set_state(poller, REEF_POLLER_STATE_WAITING);
		} else if (state == REEF_POLLER_STATE_UNREGISTERED) {
			active_remove(thread, poller, i);
			poller_free(poller);
		} else if (state != REEF_POLLER_STATE_PAUSED) {
			poller_set_state(poller, REEF_POLLER_STATE_WAITING);
		}
		if (poller_rc > rc) {
			rc = poller_rc;
		}
	}
	REEF_SHM_STORE(tshm->running_poller_id, 0);
	return rc;
}

/* After a timed poller ran: free, leave paused, or schedule its next run. */
static void
timed_poller_after_run(struct reef_thread *thread, struct reef_poller *poller, uint64_t now)
{
	if (poller->state == REEF_POLLER_STATE_UNREGISTERED) {
		TAILQ_REMOVE(&thread->timed_pollers, poller, tailq);
		poller_free(poller);
	} else if (poller->state != REEF_POLLER_STATE_PAUSED) {
		poller_set_state(poller, REEF_POLLER_STATE_WAITING);
		TAILQ_REMOVE(&thread->timed_pollers, poller, tailq);
		poller_insert_timer(thread, poller, now);
	}
}

int
reef__poller_run_timed(struct reef_thread *thread, uint64_t now)
{
	struct reef_poller *poller, *tmp;
	int rc = 0;

	TAILQ_FOREACH_SAFE(poller, &thread->timed_pollers, tailq, tmp) {
		int poller_rc;

		if (reef_unlikely(poller->state == REEF_POLLER_STATE_UNREGISTERED)) {
			TAILQ_REMOVE(&thread->timed_pollers, poller, tailq);
			poller_free(poller);
			continue;
		} else if (reef_unlikely(poller->state == REEF_POLLER_STATE_PAUSING)) {
			park_pausing(thread, &thread->timed_pollers, poller, 0);
			continue;
		}
		/* The list is ordered by expiry: the first one not due ends the walk. */
		if (now < poller->next_run_tick) {
			break;
		}
		REEF_USDT(timed_poller_expire, thread->id, poller->id, poller->shm->name,
			  now - poller->next_run_tick);
		poller_rc = poller_run(thread, thread->shm, poller, REEF_USDT_ENABLED(poller_run));
		timed_poller_after_run(thread, poller, now);
		if (poller_rc > rc) {
			rc = poller_rc;
		}
	}
	REEF_SHM_STORE(thread->shm->running_poller_id, 0);
	return rc;
}

int
reef__poller_run_timer(struct reef_poller *poller)
{
	struct reef_thread *thread = poller->thread;
	int rc;

	if (poller->state != REEF_POLLER_STATE_WAITING) {
		return 0;
	}
	rc = poller_run(thread, thread->shm, poller, REEF_USDT_ENABLED(poller_run));
	REEF_SHM_STORE(thread->shm->running_poller_id, 0);
	timed_poller_after_run(thread, poller, reef_get_ticks());
	return rc;
}

static void
tidy_list(struct reef_thread *thread, struct reef_poller_list *list)
{
	struct reef_poller *poller, *tmp;

	TAILQ_FOREACH_SAFE(poller, list, tailq, tmp) {
		if (poller->state == REEF_POLLER_STATE_UNREGISTERED) {
			list_remove(thread, list, poller, UINT32_MAX);
			poller_free(poller);
		} else if (poller->state == REEF_POLLER_STATE_PAUSING) {
			park_pausing(thread, list, poller, UINT32_MAX);
		}
	}
}

void
reef__poller_tidy(struct reef_thread *thread)
{
	thread->pollers_changed = false;
	tidy_list(thread, &thread->active_pollers);
	tidy_list(thread, &thread->timed_pollers);
}

static void
free_list(struct reef_poller_list *list, const char *what, const char *thread_name)
{
	struct reef_poller *poller, *tmp;

	TAILQ_FOREACH_SAFE(poller, list, tailq, tmp) {
		if (poller->state != REEF_POLLER_STATE_UNREGISTERED) {
			REEF_WARNLOG("%s poller %s still registered when thread %s was destroyed\n",
				     what, poller->shm->name, thread_name);
		}
		if (poller->timerfd >= 0) {
			reef__poller_timerfd_destroy(poller);
		}
		TAILQ_REMOVE(list, poller, tailq);
		poller_free(poller);
	}
}

void
reef__poller_free_all(struct reef_thread *thread)
{
	free_list(&thread->active_pollers, "active", thread->shm->name);
	free_list(&thread->timed_pollers, "timed", thread->shm->name);
	free_list(&thread->paused_pollers, "paused", thread->shm->name);
	free(thread->active_vec);
	thread->active_vec = NULL;
	thread->active_nr = 0;
	thread->active_cap = 0;
}

uint32_t
reef__poller_runnable_active_count(const struct reef_thread *thread)
{
	return thread->shm->active_pollers;
}

const char *
reef_poller_get_name(const struct reef_poller *poller)
{
	return poller->shm->name;
}

uint64_t
reef_poller_get_id(const struct reef_poller *poller)
{
	return poller->id;
}

enum reef_poller_state
reef_poller_get_state(const struct reef_poller *poller)
{
	return poller->state;
}

const char *
reef_poller_get_state_str(const struct reef_poller *poller)
{
	return reef_poller_state_str(poller->state);
}

uint64_t
reef_poller_get_period_ticks(const struct reef_poller *poller)
{
	return poller->period_ticks;
}

void
reef_poller_get_stats(const struct reef_poller *poller, struct reef_poller_stats *stats)
{
	stats->run_count = poller->shm->run_count;
	stats->busy_count = poller->shm->busy_count;
	stats->busy_tsc = poller->shm->busy_tsc;
}

struct reef_thread *
reef_poller_get_thread(const struct reef_poller *poller)
{
	return poller->thread;
}

void
reef_poller_set_timing(struct reef_poller *poller, bool on)
{
	poller->timing = on;
	REEF_SHM_STORE(poller->shm->timing, on ? 1u : 0u);
}

bool
reef_poller_get_timing(const struct reef_poller *poller)
{
	return poller->timing;
}

static struct reef_poller *
find_in(struct reef_poller_list *list, uint64_t id)
{
	struct reef_poller *poller;

	TAILQ_FOREACH(poller, list, tailq) {
		if (poller->id == id && poller->state != REEF_POLLER_STATE_UNREGISTERED) {
			return poller;
		}
	}
	return NULL;
}

struct reef_poller *
reef_thread_get_poller_by_id(struct reef_thread *thread, uint64_t id)
{
	struct reef_poller *poller = find_in(&thread->active_pollers, id);

	if (poller == NULL) {
		poller = find_in(&thread->timed_pollers, id);
	}
	if (poller == NULL) {
		poller = find_in(&thread->paused_pollers, id);
	}
	return poller;
}

struct reef_poller *
reef_thread_get_first_active_poller(struct reef_thread *thread)
{
	return TAILQ_FIRST(&thread->active_pollers);
}

struct reef_poller *
reef_thread_get_next_active_poller(struct reef_poller *prev)
{
	return TAILQ_NEXT(prev, tailq);
}

struct reef_poller *
reef_thread_get_first_timed_poller(struct reef_thread *thread)
{
	return TAILQ_FIRST(&thread->timed_pollers);
}

struct reef_poller *
reef_thread_get_next_timed_poller(struct reef_poller *prev)
{
	return TAILQ_NEXT(prev, tailq);
}

struct reef_poller *
reef_thread_get_first_paused_poller(struct reef_thread *thread)
{
	return TAILQ_FIRST(&thread->paused_pollers);
}

struct reef_poller *
reef_thread_get_next_paused_poller(struct reef_poller *prev)
{
	return TAILQ_NEXT(prev, tailq);
}
