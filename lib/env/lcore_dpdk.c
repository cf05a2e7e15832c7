#include <errno.h>

#include <rte_launch.h>
#include <rte_lcore.h>

#include "reef/env.h"

_Static_assert(RTE_MAX_LCORE <= REEF_MAX_LCORE, "Reef cpusets are smaller than RTE_MAX_LCORE");

uint32_t
reef_env_lcore_id(void)
{
	unsigned int id = rte_lcore_id();

	return id == LCORE_ID_ANY ? REEF_LCORE_ANY : id;
}

uint32_t
reef_env_main_lcore(void)
{
	return rte_get_main_lcore();
}

void
reef_env_get_lcores(struct reef_cpuset *set)
{
	unsigned int lcore;

	reef_cpuset_zero(set);
	RTE_LCORE_FOREACH(lcore) {
		reef_cpuset_set_cpu(set, lcore, true);
	}
}

uint32_t
reef_env_lcore_count(void)
{
	return rte_lcore_count();
}

int
reef_env_lcore_launch(uint32_t lcore, int (*fn)(void *), void *arg)
{
	return rte_eal_remote_launch(fn, arg, lcore) == 0 ? 0 : -EBUSY;
}

int
reef_env_lcore_wait(uint32_t lcore)
{
	return rte_eal_wait_lcore(lcore);
}
