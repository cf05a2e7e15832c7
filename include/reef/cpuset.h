/*
 * CPU (lcore) sets: which cores a lightweight thread may run on, and which
 * cores a primary's reactors use. Plain values, safe to copy into shared memory.
 */
#ifndef REEF_CPUSET_H
#define REEF_CPUSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Highest lcore count Reef supports (DPDK's RTE_MAX_LCORE on Debian 12). */
#define REEF_MAX_LCORE 128

/* Longest string reef_cpuset_fmt() produces, NUL included. */
#define REEF_CPUSET_STR_MAX (REEF_MAX_LCORE / 4 + 3)

struct reef_cpuset {
	uint64_t bits[REEF_MAX_LCORE / 64];
};

void reef_cpuset_zero(struct reef_cpuset *set);
/* Set every core: the default mask of a thread that may run anywhere. */
void reef_cpuset_fill(struct reef_cpuset *set);
void reef_cpuset_negate(struct reef_cpuset *set);
void reef_cpuset_copy(struct reef_cpuset *dst, const struct reef_cpuset *src);
void reef_cpuset_and(struct reef_cpuset *dst, const struct reef_cpuset *src);
void reef_cpuset_or(struct reef_cpuset *dst, const struct reef_cpuset *src);
bool reef_cpuset_equal(const struct reef_cpuset *a, const struct reef_cpuset *b);
/* Set or clear one core; cores >= REEF_MAX_LCORE are ignored. */
void reef_cpuset_set_cpu(struct reef_cpuset *set, uint32_t cpu, bool on);
bool reef_cpuset_get_cpu(const struct reef_cpuset *set, uint32_t cpu);
uint32_t reef_cpuset_count(const struct reef_cpuset *set);
/* The lowest set core at or after `from`, or REEF_MAX_LCORE when there is none. */
uint32_t reef_cpuset_next(const struct reef_cpuset *set, uint32_t from);

/*
 * Parse a core mask: hexadecimal with or without "0x" ("0x3", "f"), or a list
 * in brackets ("[0-2,5]"). Returns 0, or -EINVAL when the string is malformed
 * or names a core >= REEF_MAX_LCORE. An empty set parses (callers that need a
 * core reject it themselves, saying so).
 */
int reef_cpuset_parse(struct reef_cpuset *set, const char *str);

/* Format as a 0x-prefixed hexadecimal mask into buf (REEF_CPUSET_STR_MAX bytes). */
const char *reef_cpuset_fmt(const struct reef_cpuset *set, char *buf, size_t len);

#define REEF_CPUSET_FOREACH(cpu, set)                                    \
	for ((cpu) = reef_cpuset_next((set), 0); (cpu) < REEF_MAX_LCORE; \
	     (cpu) = reef_cpuset_next((set), (cpu) + 1))

#endif /* REEF_CPUSET_H */
