/*
 * Thread lifecycle, the poll loop and per-thread accessors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thread_internal.h"
#include "reef_internal/thread.h"
#include "reef/idmap.h"
#include "reef/log.h"
#include "reef/string.h"
#include "reef/usdt.h"
#include "reef/util.h"

struct reef__thread_lib reef__thread_lib = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.threads = TAILQ_HEAD_INITIALIZER(reef__thread_lib.threads),
};

static __thread struct reef_thread *tls_thread;

static int
lib_init(size_t ctx_sz)
{
	struct reef__thread_lib *lib = &reef__thread_lib;

	if (lib->initialized) {
		REEF_ERRLOG("the thread library is already initialised\n");
		return -EALREADY;
	}
	lib->region = reef_shm_get_local();
	if (lib->region == NULL) {
		REEF_ERRLOG("no shared region: create it (reef_shm_create) before the thread "
			    "library, or start through reef_app_start\n");
		return -ENODEV;
	}
	/* Room for every thread the region can hold, so adding one never fails here. */
	if (reef_idmap_init(&lib->by_id, reef_shm_get_header(lib->region)->limits.max_threads) !=
	    0) {
		REEF_ERRLOG("out of memory for the thread id map\n");
		return -ENOMEM;
	}
	lib->ctx_sz = ctx_sz;
	lib->msg_ring_size = reef_shm_get_header(lib->region)->limits.msg_ring_size;
	lib->thread_count = 0;
	lib->app_thread = NULL;
	lib->initialized = true;
	return 0;
}

int
reef_thread_lib_init(reef_new_thread_fn new_thread_fn, size_t ctx_sz)
{
	int rc = lib_init(ctx_sz);

	if (rc == 0) {
		reef__thread_lib.new_thread_fn = new_thread_fn;
	}
	return rc;
}

int
reef_thread_lib_init_ext(reef_thread_op_fn thread_op_fn,
			 reef_thread_op_supported_fn thread_op_supported_fn, size_t ctx_sz)
{
	int rc;

	if ((thread_op_fn != NULL) != (thread_op_supported_fn != NULL)) {
		REEF_ERRLOG("thread_op_fn and thread_op_supported_fn go together: give both or "
			    "neither\n");
		return -EINVAL;
	}
	rc = lib_init(ctx_sz);
	if (rc == 0) {
		reef__thread_lib.thread_op_fn = thread_op_fn;
		reef__thread_lib.thread_op_supported_fn = thread_op_supported_fn;
	}
	return rc;
}

void
reef_thread_lib_fini(void)
{
	struct reef__thread_lib *lib = &reef__thread_lib;
	struct reef_thread *thread;

	if (!lib->initialized) {
		return;
	}
	reef__io_device_warn_leftovers();
	TAILQ_FOREACH(thread, &lib->threads, tailq) {
		REEF_ERRLOG("thread %s was never destroyed\n", thread->shm->name);
	}
	lib->new_thread_fn = NULL;
	lib->thread_op_fn = NULL;
	lib->thread_op_supported_fn = NULL;
	lib->ctx_sz = 0;
	lib->region = NULL;
	reef_idmap_fini(&lib->by_id);
	lib->initialized = false;
}

void
reef__thread_shm_set_state(struct reef_thread *thread, enum reef_thread_state state)
{
	__atomic_store_n(&thread->state, state, __ATOMIC_RELEASE);
	REEF_SHM_STORE(thread->shm->state, (uint32_t)state);
}

static void
free_thread(struct reef_thread *thread)
{
	struct reef__thread_lib *lib = &reef__thread_lib;

	reef__io_channel_warn_leftovers(thread);
	reef__poller_free_all(thread);

	pthread_mutex_lock(&lib->lock);
	TAILQ_REMOVE(&lib->threads, thread, tailq);
	reef_idmap_del(&lib->by_id, thread->id);
	lib->thread_count--;
	if (lib->app_thread == thread) {
		lib->app_thread = NULL;
	}
	pthread_mutex_unlock(&lib->lock);

	if (reef_interrupt_mode_is_enabled()) {
		reef__thread_interrupt_destroy(thread);
	}
	reef_shm_slot_free(lib->region, REEF_SHM_THREADS, thread->shm);
	free(thread);
}

struct reef_thread *
reef_thread_create(const char *name, const struct reef_cpuset *cpumask)
{
	struct reef__thread_lib *lib = &reef__thread_lib;
	struct reef_thread *thread;
	struct reef_shm_thread *shm;
	char ring_name[24];
	size_t size;
	int rc = 0;

	if (!lib->initialized) {
		REEF_ERRLOG("the thread library is not initialised\n");
		return NULL;
	}
	size = REEF_ALIGN_UP(sizeof(*thread) + lib->ctx_sz, (size_t)REEF_CACHE_LINE);
	thread = aligned_alloc(REEF_CACHE_LINE, size);
	if (thread == NULL) {
		REEF_ERRLOG("out of memory creating thread %s\n", name ? name : "");
		return NULL;
	}
	memset(thread, 0, size);

	shm = reef_shm_slot_alloc(lib->region, REEF_SHM_THREADS, NULL);
	if (shm == NULL) {
		free(thread);
		return NULL;
	}
	thread->shm = shm;
	thread->slot = shm->hdr.index;
	thread->id = reef_shm_next_id(lib->region, REEF_SHM_THREADS);
	thread->messages = reef_shm_thread_ring(lib->region, thread->slot);
	thread->msg_fd = -1;
	if (cpumask != NULL) {
		reef_cpuset_copy(&thread->cpumask, cpumask);
	} else {
		reef_cpuset_fill(&thread->cpumask);
	}
	TAILQ_INIT(&thread->active_pollers);
	TAILQ_INIT(&thread->timed_pollers);
	TAILQ_INIT(&thread->paused_pollers);
	TAILQ_INIT(&thread->io_channels);
	thread->tsc_last = reef_get_ticks();
	thread->state = REEF_THREAD_STATE_RUNNING;

	shm->id = thread->id;
	if (name != NULL) {
		reef_strcpy_trunc(shm->name, sizeof(shm->name), name);
	} else {
		snprintf(shm->name, sizeof(shm->name), "thread%llu",
			 (unsigned long long)thread->id);
	}
	shm->state = REEF_SHM_THREAD_RUNNING;
	shm->lcore = UINT32_MAX;
	memcpy(shm->cpumask, thread->cpumask.bits, sizeof(shm->cpumask));
	shm->created_tsc = thread->tsc_last;
	shm->last_tsc = thread->tsc_last;
	snprintf(ring_name, sizeof(ring_name), "reef.t%u", thread->slot);
	if (reef_ring_init(thread->messages, ring_name, lib->msg_ring_size, REEF_RING_MP_SC) != 0) {
		REEF_ERRLOG("cannot initialise the message ring of thread %s\n", shm->name);
		reef_shm_slot_publish(shm);
		reef_shm_slot_free(lib->region, REEF_SHM_THREADS, shm);
		free(thread);
		return NULL;
	}

	pthread_mutex_lock(&lib->lock);
	if (lib->app_thread == NULL) {
		lib->app_thread = thread;
		shm->flags |= REEF_SHM_THREAD_F_APP;
	}
	TAILQ_INSERT_TAIL(&lib->threads, thread, tailq);
	/* Cannot fail: the map has room for every slot of the region's thread table. */
	reef_idmap_put(&lib->by_id, thread->id, thread);
	lib->thread_count++;
	pthread_mutex_unlock(&lib->lock);
	reef_shm_slot_publish(shm);

	REEF_DEBUGLOG(thread, "created thread %s (id %llu, slot %u)\n", shm->name,
		      (unsigned long long)thread->id, thread->slot);

	if (reef_interrupt_mode_is_enabled()) {
		rc = reef__thread_interrupt_create(thread);
		if (rc != 0) {
			REEF_ERRLOG("cannot set up interrupt mode for thread %s: %s\n", shm->name,
				    strerror(-rc));
			free_thread(thread);
			return NULL;
		}
	}

	REEF_USDT(thread_create, thread->id, shm->name);

	if (lib->new_thread_fn != NULL) {
		rc = lib->new_thread_fn(thread);
	} else if (lib->thread_op_supported_fn != NULL &&
		   lib->thread_op_supported_fn(REEF_THREAD_OP_NEW)) {
		rc = lib->thread_op_fn(thread, REEF_THREAD_OP_NEW);
	}
	if (rc != 0) {
		/* The framework said why, in its own words; this is for debugging. */
		REEF_INFOLOG("the framework refused thread %s: %s\n", shm->name,
			     strerror(rc < 0 ? -rc : rc));
		free_thread(thread);
		return NULL;
	}
	return thread;
}

void
reef_set_thread(struct reef_thread *thread)
{
	tls_thread = thread;
}

struct reef_thread *
reef_get_thread(void)
{
	return tls_thread;
}

struct reef_thread *
reef_thread_get_app_thread(void)
{
	return reef__thread_lib.app_thread;
}

int
reef_thread_exit(struct reef_thread *thread)
{
	if (thread != tls_thread) {
		REEF_ERRLOG("thread %s must call reef_thread_exit on itself\n", thread->shm->name);
		return -EINVAL;
	}
	if (thread->state >= REEF_THREAD_STATE_EXITING) {
		REEF_DEBUGLOG(thread, "thread %s is already exiting\n", thread->shm->name);
		return 0;
	}
	thread->exit_timeout_tsc =
		reef_get_ticks() + reef_get_ticks_hz() * REEF_THREAD_EXIT_TIMEOUT_SEC;
	reef__thread_shm_set_state(thread, REEF_THREAD_STATE_EXITING);
	REEF_USDT(thread_exit, thread->id, thread->shm->name);
	return 0;
}

/* Become exited once nothing holds the thread back, or when the timeout passes. */
static void
thread_try_exit(struct reef_thread *thread, uint64_t now)
{
	struct reef_poller *poller;
	const char *name = thread->shm->name;

	if (now >= thread->exit_timeout_tsc) {
		REEF_ERRLOG("thread %s did not finish exiting within %d s: forcing it to exited\n",
			    name, REEF_THREAD_EXIT_TIMEOUT_SEC);
		goto exited;
	}
	TAILQ_FOREACH(poller, &thread->active_pollers, tailq) {
		if (poller->state != REEF_POLLER_STATE_UNREGISTERED) {
			REEF_DEBUGLOG(thread, "thread %s still has active poller %s\n", name,
				      poller->shm->name);
			return;
		}
	}
	TAILQ_FOREACH(poller, &thread->timed_pollers, tailq) {
		if (poller->state != REEF_POLLER_STATE_UNREGISTERED) {
			REEF_DEBUGLOG(thread, "thread %s still has timed poller %s\n", name,
				      poller->shm->name);
			return;
		}
	}
	if (!TAILQ_EMPTY(&thread->paused_pollers)) {
		REEF_DEBUGLOG(thread, "thread %s still has paused pollers\n", name);
		return;
	}
	if (!TAILQ_EMPTY(&thread->io_channels)) {
		REEF_DEBUGLOG(thread, "thread %s still has io channels\n", name);
		return;
	}
	if (thread->pending_unregister_count > 0) {
		REEF_DEBUGLOG(thread, "thread %s is still unregistering io_devices\n", name);
		return;
	}
exited:
	reef__thread_shm_set_state(thread, REEF_THREAD_STATE_EXITED);
}

bool
reef_thread_is_running(const struct reef_thread *thread)
{
	return __atomic_load_n(&thread->state, __ATOMIC_ACQUIRE) == REEF_THREAD_STATE_RUNNING;
}

bool
reef_thread_is_exited(const struct reef_thread *thread)
{
	return __atomic_load_n(&thread->state, __ATOMIC_ACQUIRE) == REEF_THREAD_STATE_EXITED;
}

void
reef_thread_destroy(struct reef_thread *thread)
{
	if (!reef_thread_is_exited(thread)) {
		REEF_ERRLOG("thread %s must be exited before it is destroyed\n", thread->shm->name);
		return;
	}
	REEF_DEBUGLOG(thread, "destroying thread %s\n", thread->shm->name);
	REEF_USDT(thread_destroy, thread->id, thread->shm->name);
	if (tls_thread == thread) {
		tls_thread = NULL;
	}
	free_thread(thread);
}

void *
reef_thread_get_ctx(struct reef_thread *thread)
{
	return reef__thread_lib.ctx_sz > 0 ? thread->ctx : NULL;
}

struct reef_thread *
reef_thread_get_from_ctx(void *ctx)
{
	if (ctx == NULL || reef__thread_lib.ctx_sz == 0) {
		return NULL;
	}
	return REEF_CONTAINEROF(ctx, struct reef_thread, ctx);
}

const struct reef_cpuset *
reef_thread_get_cpumask(const struct reef_thread *thread)
{
	return &thread->cpumask;
}

int
reef_thread_set_cpumask(const struct reef_cpuset *cpumask)
{
	struct reef__thread_lib *lib = &reef__thread_lib;
	struct reef_thread *thread = tls_thread;

	if (lib->thread_op_supported_fn == NULL ||
	    !lib->thread_op_supported_fn(REEF_THREAD_OP_RESCHED)) {
		REEF_ERRLOG("this framework cannot move threads between cores\n");
		return -ENOTSUP;
	}
	if (thread == NULL) {
		REEF_ERRLOG("reef_thread_set_cpumask must be called on a Reef thread\n");
		return -EINVAL;
	}
	if (cpumask == NULL || reef_cpuset_count(cpumask) == 0) {
		REEF_ERRLOG("thread %s: a cpumask needs at least one core\n", thread->shm->name);
		return -EINVAL;
	}
	reef_cpuset_copy(&thread->cpumask, cpumask);
	reef_seqlock_write_begin(&thread->shm->hdr.seq);
	memcpy(thread->shm->cpumask, cpumask->bits, sizeof(thread->shm->cpumask));
	reef_seqlock_write_end(&thread->shm->hdr.seq);
	/* If called several times in one poll, the framework acts on the last mask. */
	return lib->thread_op_fn(thread, REEF_THREAD_OP_RESCHED);
}

void
reef_thread_bind(struct reef_thread *thread, bool bind)
{
	uint32_t flags = thread->shm->flags;

	thread->bound = bind;
	flags = bind ? flags | REEF_SHM_THREAD_F_BOUND : flags & ~REEF_SHM_THREAD_F_BOUND;
	REEF_SHM_STORE(thread->shm->flags, flags);
}

bool
reef_thread_is_bound(const struct reef_thread *thread)
{
	return thread->bound;
}

static int
thread_poll(struct reef_thread *thread, uint32_t max_msgs, uint64_t now)
{
	int rc = 0, poller_rc;

	if (reef_unlikely(__atomic_load_n(&thread->critical_msg, __ATOMIC_RELAXED) != NULL)) {
		rc = reef__msg_run_critical(thread);
	}
	if (reef__msg_run_batch(thread, max_msgs) > 0) {
		rc = 1;
	}
	if (!TAILQ_EMPTY(&thread->active_pollers)) {
		poller_rc = reef__poller_run_active(thread);
		rc = poller_rc > rc ? poller_rc : rc;
	}
	if (!TAILQ_EMPTY(&thread->timed_pollers)) {
		poller_rc = reef__poller_run_timed(thread, now);
		rc = poller_rc > rc ? poller_rc : rc;
	}
	return rc;
}

int
reef_thread_poll(struct reef_thread *thread, uint32_t max_msgs, uint64_t now)
{
	struct reef_shm_thread *shm = thread->shm;
	struct reef_thread *orig = tls_thread;
	uint64_t end;
	int rc;

	tls_thread = thread;
	if (now == 0) {
		now = reef_get_ticks();
	}
	if (reef_likely(!thread->in_interrupt)) {
		rc = thread_poll(thread, max_msgs, now);
	} else {
		rc = reef__thread_interrupt_poll(thread);
	}
	if (reef_unlikely(thread->state == REEF_THREAD_STATE_EXITING)) {
		thread_try_exit(thread, now);
	}

	/* Busy or idle by what the poll reported; negative results count as neither. */
	end = reef_get_ticks();
	if (rc > 0) {
		REEF_SHM_ADD(shm->busy_tsc, end - now);
	} else if (rc == 0) {
		REEF_SHM_ADD(shm->idle_tsc, end - now);
	}
	REEF_SHM_ADD(shm->polls, 1);
	REEF_SHM_STORE(shm->last_tsc, end);
	thread->tsc_last = end;
	tls_thread = orig;
	return rc;
}

uint64_t
reef_thread_next_poller_expiration(struct reef_thread *thread)
{
	struct reef_poller *poller = TAILQ_FIRST(&thread->timed_pollers);

	return poller != NULL ? poller->next_run_tick : 0;
}

bool
reef_thread_has_active_pollers(struct reef_thread *thread)
{
	return !TAILQ_EMPTY(&thread->active_pollers);
}

static bool
has_unpaused_pollers(struct reef_thread *thread)
{
	return !TAILQ_EMPTY(&thread->active_pollers) || !TAILQ_EMPTY(&thread->timed_pollers);
}

bool
reef_thread_has_pollers(struct reef_thread *thread)
{
	return has_unpaused_pollers(thread) || !TAILQ_EMPTY(&thread->paused_pollers);
}

bool
reef_thread_is_idle(struct reef_thread *thread)
{
	return reef_ring_count(thread->messages) == 0 && !has_unpaused_pollers(thread) &&
	       __atomic_load_n(&thread->critical_msg, __ATOMIC_RELAXED) == NULL;
}

uint32_t
reef_thread_get_count(void)
{
	return __atomic_load_n(&reef__thread_lib.thread_count, __ATOMIC_RELAXED);
}

const char *
reef_thread_get_name(const struct reef_thread *thread)
{
	return thread->shm->name;
}

uint64_t
reef_thread_get_id(const struct reef_thread *thread)
{
	return thread->id;
}

uint32_t
reef_thread_get_slot(const struct reef_thread *thread)
{
	return thread->slot;
}

struct reef_thread *
reef_thread_get_by_id(uint64_t id)
{
	struct reef__thread_lib *lib = &reef__thread_lib;
	struct reef_thread *thread;

	if (id == 0 || lib->region == NULL) {
		return NULL;
	}
	pthread_mutex_lock(&lib->lock);
	thread = reef_idmap_get(&lib->by_id, id);
	pthread_mutex_unlock(&lib->lock);
	return thread;
}

int
reef_thread_get_stats(struct reef_thread_stats *stats)
{
	struct reef_thread *thread = tls_thread;

	if (thread == NULL || stats == NULL) {
		return -EINVAL;
	}
	stats->busy_tsc = thread->shm->busy_tsc;
	stats->idle_tsc = thread->shm->idle_tsc;
	return 0;
}

uint64_t
reef_thread_get_last_tsc(struct reef_thread *thread)
{
	if (thread == NULL) {
		thread = tls_thread;
	}
	return thread != NULL ? thread->tsc_last : 0;
}

struct reef_thread *
reef_thread_get_first(void)
{
	struct reef_thread *thread;

	pthread_mutex_lock(&reef__thread_lib.lock);
	thread = TAILQ_FIRST(&reef__thread_lib.threads);
	pthread_mutex_unlock(&reef__thread_lib.lock);
	return thread;
}

struct reef_thread *
reef_thread_get_next(struct reef_thread *prev)
{
	struct reef_thread *thread;

	pthread_mutex_lock(&reef__thread_lib.lock);
	thread = TAILQ_NEXT(prev, tailq);
	pthread_mutex_unlock(&reef__thread_lib.lock);
	return thread;
}

bool
reef_thread_is_in_interrupt(const struct reef_thread *thread)
{
	return __atomic_load_n(&thread->in_interrupt, __ATOMIC_ACQUIRE);
}

struct reef_shm_thread *
reef__thread_get_shm(struct reef_thread *thread)
{
	return thread->shm;
}

uint32_t
reef__thread_send_all(reef_msg_fn fn, void *ctx, const struct reef_thread *except)
{
	struct reef__thread_lib *lib = &reef__thread_lib;
	struct reef_thread *thread;
	uint32_t failed = 0;

	/* Enqueueing takes no lock, so sending under the list lock is safe. */
	pthread_mutex_lock(&lib->lock);
	TAILQ_FOREACH(thread, &lib->threads, tailq) {
		if (thread != except && reef_thread_send_msg(thread, fn, ctx) != 0) {
			failed++;
		}
	}
	pthread_mutex_unlock(&lib->lock);
	return failed;
}

int
reef_thread_send_msg_by_id(uint64_t id, reef_msg_fn fn, void *ctx)
{
	int rc = reef__thread_send_msg_by_id(id, fn, ctx);

	if (rc == -ENOBUFS) {
		REEF_ERRLOG_RATELIMITED(1000,
					"message ring of thread %llu is full: raise "
					"--msg-ring-size or send less at once\n",
					(unsigned long long)id);
	}
	return rc;
}

int
reef__thread_send_msg_by_id(uint64_t id, reef_msg_fn fn, void *ctx)
{
	struct reef__thread_lib *lib = &reef__thread_lib;
	struct reef_thread *thread;
	int rc = -ESRCH;

	pthread_mutex_lock(&lib->lock);
	thread = reef_idmap_get(&lib->by_id, id);
	if (thread != NULL && reef_thread_is_running(thread)) {
		/* A full ring is the caller's cue to retry later, not an error. */
		rc = reef__msg_send(thread, fn, ctx, true);
	}
	pthread_mutex_unlock(&lib->lock);
	return rc;
}

void
reef__thread_for_each_locked(void (*fn)(struct reef_thread *thread, void *ctx), void *ctx)
{
	struct reef__thread_lib *lib = &reef__thread_lib;
	struct reef_thread *thread;

	pthread_mutex_lock(&lib->lock);
	TAILQ_FOREACH(thread, &lib->threads, tailq) {
		fn(thread, ctx);
	}
	pthread_mutex_unlock(&lib->lock);
}
