/*
 * Helpers shared by the benchmark programs. Each program measures Reef and
 * its baseline in the same process run, alternating measurement windows, and
 * prints one line per figure for test/bench/run.py:
 *
 *   RESULT <name> <reef> <baseline>      ("-" for a figure it does not have)
 *
 * A program keeps the best window of each side (bench_best): on a shared,
 * noisy machine interference only ever makes a window look worse, so the best
 * of a few short windows is the most repeatable figure. The driver runs every
 * program several times and reports the median and the best of those runs.
 *
 * Benchmarks may include DPDK headers: they measure DPDK's raw rings as the
 * baseline Reef is compared with (the libraries themselves never do).
 */
#ifndef REEF_BENCH_H
#define REEF_BENCH_H

#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reef/env.h"

/* What a message looks like in a Reef thread's ring: the raw baselines move the same 16 bytes. */
struct bench_msg {
	void (*fn)(void *ctx);
	void *ctx;
};

enum bench_better {
	BENCH_LOWER,
	BENCH_HIGHER,
};

/* Keep the better of best and v (NAN: nothing yet). */
static inline double
bench_best(double best, double v, enum bench_better better)
{
	if (isnan(best)) {
		return v;
	}
	return better == BENCH_LOWER ? (v < best ? v : best) : (v > best ? v : best);
}

static inline void
bench_result(const char *name, double reef, double baseline)
{
	if (isnan(baseline)) {
		printf("RESULT %s %.4f -\n", name, reef);
	} else {
		printf("RESULT %s %.4f %.4f\n", name, reef, baseline);
	}
	fflush(stdout);
}

static inline uint64_t
bench_ms_to_ticks(double ms)
{
	return (uint64_t)(ms * (double)reef_get_ticks_hz() / 1000.0);
}

static inline int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of n values (sorted in place), nearest rank. */
static inline double
bench_quantile(double *v, size_t n, double q)
{
	size_t i;

	if (n == 0) {
		return NAN;
	}
	qsort(v, n, sizeof(*v), bench_cmp_double);
	i = (size_t)ceil(q * (double)n);
	return v[i == 0 ? 0 : i - 1];
}

/* Pin the calling OS thread to one CPU (a child process before exec, a baseline helper). */
static inline int
bench_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

#endif /* REEF_BENCH_H */
