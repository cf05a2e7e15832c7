/*
 * The is-enabled semaphores of Reef's USDT probes. The kernel increments one
 * while a tracer is attached to its probe; sys/sdt.h finds them by name in the
 * .probes section.
 */
#include "reef/usdt.h"

#if REEF_CONFIG_USDT
#define REEF_USDT_DEFINE_SEMAPHORE(name)                                                      \
	__extension__ volatile unsigned short reef_##name##_semaphore __attribute__((unused)) \
	__attribute__((section(".probes")));
REEF_USDT_PROBES(REEF_USDT_DEFINE_SEMAPHORE)
#endif
