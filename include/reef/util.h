/*
 * Small helpers every Reef library uses: branch hints, container_of, array
 * counts, min/max. Header-only; any thread may use them.
 */
#ifndef REEF_UTIL_H
#define REEF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define reef_likely(x)                      __builtin_expect(!!(x), 1)
#define reef_unlikely(x)                    __builtin_expect(!!(x), 0)

#define REEF_CONTAINEROF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define REEF_COUNTOF(arr)                   (sizeof(arr) / sizeof((arr)[0]))
#define REEF_ALIGN_UP(x, a)                 (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define REEF_CACHE_LINE                     64

#define REEF_SEC_TO_USEC                    1000000ULL
#define REEF_SEC_TO_NSEC                    1000000000ULL
#define REEF_USEC_TO_NSEC                   1000ULL

static inline uint64_t
reef_min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t
reef_max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline bool
reef_is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* Ticks for a period in microseconds at tick rate hz, without overflowing for long periods. */
static inline uint64_t
reef_usec_to_ticks(uint64_t usec, uint64_t hz)
{
	return hz * (usec / REEF_SEC_TO_USEC) + hz * (usec % REEF_SEC_TO_USEC) / REEF_SEC_TO_USEC;
}

/* CPU relax hint for spin loops. */
static inline void
reef_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif /* REEF_UTIL_H */
