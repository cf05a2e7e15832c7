/*
 * The fake env for unit tests: shared memory is plain memory, the clock is a
 * counter the test moves (one tick is one microsecond), lcores are whatever
 * the test says. Link libreef_env_fake instead of libreef_env.
 */
#ifndef REEF_ENV_FAKE_H
#define REEF_ENV_FAKE_H

#include <stdint.h>

#include "reef/cpuset.h"

#define REEF_ENV_FAKE_TICKS_HZ 1000000ULL

void reef_env_fake_set_ticks(uint64_t ticks);
void reef_env_fake_advance_ticks(uint64_t ticks);

/* The lcores the fake primary "runs on" (default: lcore 0 only). */
void reef_env_fake_set_lcores(const struct reef_cpuset *set);
/* The lcore id the calling OS thread reports (default: the main lcore). */
void reef_env_fake_set_current_lcore(uint32_t lcore);
/* Make the next n memzone reservations fail with -ENOMEM. */
void reef_env_fake_fail_memzone(int n);
/* Number of memzones currently reserved (tests check that nothing leaks). */
uint32_t reef_env_fake_memzone_count(void);

#endif /* REEF_ENV_FAKE_H */
