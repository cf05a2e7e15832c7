/*
 * Where threads run: a new thread goes to the least-loaded reactor among the
 * cores of its cpumask; a thread whose cpumask no longer holds its core moves
 * to the least-loaded core that it does hold, unless it is bound.
 */
#include <errno.h>
#include <string.h>

#include "event_internal.h"
#include "reef/log.h"
#include "reef/usdt.h"
#include "reef_internal/thread.h"

struct reef_reactor *
reef__scheduler_pick(const struct reef_cpuset *mask)
{
	struct reef_cpuset usable;
	struct reef_reactor *best = NULL;
	uint32_t lcore, best_load = UINT32_MAX;

	reef_cpuset_copy(&usable, reef__reactor_mask());
	reef_cpuset_and(&usable, mask);
	REEF_CPUSET_FOREACH(lcore, &usable)
	{
		struct reef_reactor *reactor = reef__reactor_get(lcore);
		uint32_t load = __atomic_load_n(&reactor->load, __ATOMIC_RELAXED);

		/* Ties go to the lowest core, so placement is predictable. */
		if (load < best_load) {
			best = reactor;
			best_load = load;
		}
	}
	return best;
}

static int
place_new_thread(struct reef_thread *thread)
{
	struct reef_lw_thread *lw = reef__lw_thread(thread);
	struct reef_reactor *reactor;

	if (reef__reactors_stopping()) {
		REEF_ERRLOG("thread %s not started: the app is shutting down\n",
			    reef_thread_get_name(thread));
		return -ESHUTDOWN;
	}
	memset(lw, 0, sizeof(*lw));
	lw->intr_fd = -1;
	reactor = reef__scheduler_pick(reef_thread_get_cpumask(thread));
	if (reactor == NULL) {
		char want[REEF_CPUSET_STR_MAX], have[REEF_CPUSET_STR_MAX];

		REEF_ERRLOG("thread %s: its cpumask %s has no core of this app (cores %s)\n",
			    reef_thread_get_name(thread),
			    reef_cpuset_fmt(reef_thread_get_cpumask(thread), want, sizeof(want)),
			    reef_cpuset_fmt(reef__reactor_mask(), have, sizeof(have)));
		return -EINVAL;
	}
	return reef__reactor_adopt(reactor, lw);
}

int
reef__scheduler_thread_op(struct reef_thread *thread, enum reef_thread_op op)
{
	switch (op) {
	case REEF_THREAD_OP_NEW:
		return place_new_thread(thread);
	case REEF_THREAD_OP_RESCHED:
		/* Acted on by the thread's reactor right after the poll that asked. */
		reef__lw_thread(thread)->resched = true;
		return 0;
	default:
		return -ENOTSUP;
	}
}

bool
reef__scheduler_thread_op_supported(enum reef_thread_op op)
{
	return op == REEF_THREAD_OP_NEW || op == REEF_THREAD_OP_RESCHED;
}

bool
reef__scheduler_maybe_move(struct reef_reactor *reactor, struct reef_lw_thread *lw)
{
	struct reef_thread *thread = reef__lw_to_thread(lw);
	const struct reef_cpuset *mask = reef_thread_get_cpumask(thread);
	struct reef_reactor *target;

	lw->resched = false;
	if (reef_thread_is_bound(thread) || reef__reactors_stopping() ||
	    reef_cpuset_get_cpu(mask, reactor->lcore)) {
		return false;
	}
	target = reef__scheduler_pick(mask);
	if (target == NULL) {
		char want[REEF_CPUSET_STR_MAX];

		REEF_WARNLOG("thread %s stays on core %u: its cpumask %s has no core of this app\n",
			     reef_thread_get_name(thread), reactor->lcore,
			     reef_cpuset_fmt(mask, want, sizeof(want)));
		return false;
	}
	reef__reactor_release(reactor, lw);
	REEF_SHM_ADD(reactor->shm->threads_out, 1);
	REEF_SHM_STORE(reef__thread_get_shm(thread)->lcore, UINT32_MAX);
	REEF_USDT(thread_move, reef_thread_get_id(thread), reef_thread_get_name(thread),
		  reactor->lcore, target->lcore);
	lw->moving = true;
	if (reef__reactor_adopt(target, lw) != 0) {
		/* The target is flooded: keep the thread here rather than lose it. */
		lw->moving = false;
		reef__reactor_adopt(reactor, lw);
	}
	return true;
}
