#include <rte_cycles.h>

#include "reef/env.h"

uint64_t
reef_get_ticks(void)
{
	return rte_get_tsc_cycles();
}

uint64_t
reef_get_ticks_hz(void)
{
	return rte_get_tsc_hz();
}

void
reef_delay_us(uint64_t us)
{
	rte_delay_us_block((unsigned int)us);
}
