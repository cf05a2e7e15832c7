/*
 * Interrupt mode: instead of being polled in a loop, a thread that has no
 * active pollers sleeps on its fd group. Senders write its eventfd, timed
 * pollers have timerfds, users register their own fds. A thread with active
 * pollers cannot sleep, so it leaves interrupt state while it has any
 * (timerfds disarmed, the timed list driven by the clock as usual) and
 * re-enters when the last one goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "thread_internal.h"
#include "reef/log.h"
#include "reef/string.h"
#include "reef/util.h"

struct reef_interrupt {
	int efd;
	struct reef_thread *thread;
	char name[REEF_SHM_NAME_LEN];
};

static bool g_interrupt_mode;

int
reef_interrupt_mode_enable(void)
{
	if (reef__thread_lib.initialized) {
		REEF_ERRLOG("interrupt mode must be enabled before the thread library starts\n");
		return -EALREADY;
	}
	g_interrupt_mode = true;
	return 0;
}

bool
reef_interrupt_mode_is_enabled(void)
{
	return g_interrupt_mode;
}

static int
thread_msg_fd_fn(void *arg)
{
	struct reef_thread *thread = arg;
	uint64_t count;
	int rc = 0;

	/*
	 * Acknowledge first, then look: a sender that writes after our read sets
	 * the eventfd again, so its message is either seen now or wakes us later.
	 */
	if (read(thread->msg_fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
		REEF_ERRLOG_RATELIMITED(1000, "thread %s: reading its eventfd failed: %m\n",
					thread->shm->name);
	}
	if (__atomic_load_n(&thread->critical_msg, __ATOMIC_RELAXED) != NULL) {
		rc = reef__msg_run_critical(thread);
	}
	if (reef__msg_run_batch(thread, 0) > 0) {
		rc = 1;
	}
	return rc;
}

int
reef__thread_interrupt_create(struct reef_thread *thread)
{
	int rc;

	rc = reef_fd_group_create(&thread->fgrp);
	if (rc != 0) {
		return rc;
	}
	thread->msg_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (thread->msg_fd < 0) {
		rc = -errno;
		reef_fd_group_destroy(thread->fgrp);
		thread->fgrp = NULL;
		return rc;
	}
	rc = reef_fd_group_add(thread->fgrp, thread->msg_fd, thread_msg_fd_fn, thread, "msg");
	if (rc != 0) {
		close(thread->msg_fd);
		thread->msg_fd = -1;
		reef_fd_group_destroy(thread->fgrp);
		thread->fgrp = NULL;
		return rc;
	}
	/* No pollers yet: a new thread starts asleep-capable. */
	reef__thread_interrupt_update(thread);
	return 0;
}

void
reef__thread_interrupt_destroy(struct reef_thread *thread)
{
	if (thread->fgrp == NULL) {
		return;
	}
	if (thread->msg_fd >= 0) {
		reef_fd_group_remove(thread->fgrp, thread->msg_fd);
		close(thread->msg_fd);
		thread->msg_fd = -1;
	}
	reef_fd_group_destroy(thread->fgrp);
	thread->fgrp = NULL;
}

int
reef__thread_interrupt_poll(struct reef_thread *thread)
{
	int rc = reef_fd_group_wait(thread->fgrp, 0);

	if (thread->pollers_changed) {
		reef__poller_tidy(thread);
	}
	return rc;
}

static void
set_timer(struct reef_poller *poller, uint64_t first_ns, uint64_t period_ns)
{
	struct itimerspec its = {
		.it_value = {.tv_sec = (time_t)(first_ns / REEF_SEC_TO_NSEC),
			     .tv_nsec = (long)(first_ns % REEF_SEC_TO_NSEC)},
		.it_interval = {.tv_sec = (time_t)(period_ns / REEF_SEC_TO_NSEC),
				.tv_nsec = (long)(period_ns % REEF_SEC_TO_NSEC)},
	};

	if (timerfd_settime(poller->timerfd, 0, &its, NULL) < 0) {
		REEF_ERRLOG_RATELIMITED(1000, "poller %s: timerfd_settime failed: %m\n",
					poller->shm->name);
	}
}

void
reef__poller_timerfd_arm(struct reef_poller *poller, bool on)
{
	uint64_t now, hz, first_ns, period_ns;

	if (poller->timerfd < 0) {
		return;
	}
	if (!on) {
		set_timer(poller, 0, 0);
		return;
	}
	hz = reef_get_ticks_hz();
	now = reef_get_ticks();
	period_ns = poller->period_us * REEF_USEC_TO_NSEC;
	first_ns = poller->next_run_tick > now
			   ? (poller->next_run_tick - now) * REEF_SEC_TO_NSEC / hz
			   : 0;
	/* A zero it_value would disarm the timer: due now means fire as soon as possible. */
	set_timer(poller, first_ns ? first_ns : 1, period_ns ? period_ns : 1);
}

static int
poller_timerfd_fn(void *arg)
{
	struct reef_poller *poller = arg;
	uint64_t expirations;

	if (read(poller->timerfd, &expirations, sizeof(expirations)) < 0) {
		return 0;
	}
	return reef__poller_run_timer(poller);
}

int
reef__poller_timerfd_create(struct reef_poller *poller)
{
	int rc;

	poller->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (poller->timerfd < 0) {
		return -errno;
	}
	rc = reef_fd_group_add(poller->thread->fgrp, poller->timerfd, poller_timerfd_fn, poller,
			       poller->shm->name);
	if (rc != 0) {
		close(poller->timerfd);
		poller->timerfd = -1;
	}
	return rc;
}

void
reef__poller_timerfd_destroy(struct reef_poller *poller)
{
	if (poller->timerfd < 0) {
		return;
	}
	reef_fd_group_remove(poller->thread->fgrp, poller->timerfd);
	close(poller->timerfd);
	poller->timerfd = -1;
}

static void
arm_timed_pollers(struct reef_thread *thread, bool on)
{
	struct reef_poller *poller;

	TAILQ_FOREACH(poller, &thread->timed_pollers, tailq) {
		if (poller->state == REEF_POLLER_STATE_WAITING ||
		    poller->state == REEF_POLLER_STATE_RUNNING) {
			reef__poller_timerfd_arm(poller, on);
		}
	}
}

void
reef__thread_interrupt_update(struct reef_thread *thread)
{
	uint64_t one = 1;
	bool want;

	if (!g_interrupt_mode || thread->fgrp == NULL) {
		return;
	}
	want = reef__poller_runnable_active_count(thread) == 0;
	if (want == thread->in_interrupt) {
		return;
	}
	if (!want) {
		__atomic_store_n(&thread->in_interrupt, false, __ATOMIC_RELEASE);
		REEF_SHM_STORE(thread->shm->in_interrupt, 0u);
		arm_timed_pollers(thread, false);
		return;
	}
	__atomic_store_n(&thread->in_interrupt, true, __ATOMIC_RELAXED);
	REEF_SHM_STORE(thread->shm->in_interrupt, 1u);
	arm_timed_pollers(thread, true);
	/*
	 * Pairs with the fence in reef__msg_notify(): after announcing that we
	 * sleep, look at the ring; anything a sender enqueued without seeing the
	 * announcement is found here and re-signalled to ourselves.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (reef_ring_count(thread->messages) != 0 ||
	    __atomic_load_n(&thread->critical_msg, __ATOMIC_RELAXED) != NULL) {
		if (write(thread->msg_fd, &one, sizeof(one)) < 0) {
			REEF_ERRLOG_RATELIMITED(1000, "thread %s: cannot signal itself: %m\n",
						thread->shm->name);
		}
	}
}

struct reef_interrupt *
reef_interrupt_register(int efd, reef_interrupt_fn fn, void *arg, const char *name)
{
	struct reef_thread *thread = reef_get_thread();
	struct reef_interrupt *intr;
	int rc;

	if (thread == NULL) {
		REEF_ERRLOG("interrupts must be registered on a Reef thread\n");
		return NULL;
	}
	if (!g_interrupt_mode) {
		REEF_ERRLOG("interrupt %s: interrupt mode is off (enable it before starting)\n",
			    name ? name : "");
		return NULL;
	}
	if (thread->state != REEF_THREAD_STATE_RUNNING) {
		REEF_ERRLOG("thread %s is exiting: interrupt not registered\n", thread->shm->name);
		return NULL;
	}
	intr = calloc(1, sizeof(*intr));
	if (intr == NULL) {
		return NULL;
	}
	reef_strcpy_trunc(intr->name, sizeof(intr->name), name ? name : "interrupt");
	rc = reef_fd_group_add(thread->fgrp, efd, fn, arg, intr->name);
	if (rc != 0) {
		REEF_ERRLOG("interrupt %s: cannot watch fd %d: %s\n", intr->name, efd,
			    strerror(-rc));
		free(intr);
		return NULL;
	}
	intr->efd = efd;
	intr->thread = thread;
	return intr;
}

void
reef_interrupt_unregister(struct reef_interrupt **pintr)
{
	struct reef_interrupt *intr = *pintr;
	struct reef_thread *thread;

	if (intr == NULL) {
		return;
	}
	*pintr = NULL;
	thread = reef_get_thread();
	if (thread != intr->thread) {
		REEF_ERRLOG("interrupt %s must be unregistered on its own thread\n", intr->name);
		return;
	}
	reef_fd_group_remove(thread->fgrp, intr->efd);
	free(intr);
}

int
reef_interrupt_set_event_types(struct reef_interrupt *intr, uint32_t event_types)
{
	if (reef_get_thread() != intr->thread) {
		REEF_ERRLOG("interrupt %s must be changed on its own thread\n", intr->name);
		return -EINVAL;
	}
	return reef_fd_group_event_modify(intr->thread->fgrp, intr->efd, event_types);
}

int
reef_thread_get_interrupt_fd(struct reef_thread *thread)
{
	return thread->fgrp != NULL ? reef_fd_group_get_fd(thread->fgrp) : -1;
}
