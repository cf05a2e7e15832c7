/*
 * Percentiles of reef-trace's histograms. Buckets are at most 1/16 of their
 * lower bound wide and a percentile is reported at its bucket's middle, so it
 * is within 1/32 (about 3 %) of the true value.
 */
#include <math.h>
#include <string.h>

#include "hist.h"

void
rt_bucket_bounds(uint32_t b, uint64_t *lo, uint64_t *hi)
{
	uint32_t e, sub;

	if (b < RT_SUB) {
		*lo = b;
		*hi = b;
		return;
	}
	if (b >= RT_BUCKETS - 1) {
		*lo = 1ULL << RT_MAX_EXP;
		*hi = UINT64_MAX;
		return;
	}
	e = b / RT_SUB + RT_SUB_BITS - 1;
	sub = b % RT_SUB;
	*lo = (uint64_t)(RT_SUB + sub) << (e - RT_SUB_BITS);
	*hi = *lo + (1ULL << (e - RT_SUB_BITS)) - 1;
}

uint64_t
rt_quantile(const uint64_t *counts, uint64_t n, double q, uint64_t max)
{
	uint64_t rank, seen = 0, lo, hi, mid;
	uint32_t b;

	if (n == 0) {
		return 0;
	}
	rank = (uint64_t)ceil(q * (double)n);
	if (rank < 1) {
		rank = 1;
	}
	if (rank > n) {
		rank = n;
	}
	for (b = 0; b < RT_BUCKETS; b++) {
		seen += counts[b];
		if (seen >= rank) {
			break;
		}
	}
	if (b == RT_BUCKETS) {
		return max;
	}
	rt_bucket_bounds(b, &lo, &hi);
	mid = hi == UINT64_MAX ? lo : lo + (hi - lo + 1) / 2;
	return mid > max ? max : mid;
}

static uint64_t
minus(uint64_t a, uint64_t b)
{
	/* An entry deleted and created again between two readings starts over. */
	return a >= b ? a - b : a;
}

/*
 * A quantile whose rank is the last sample (p99 of fewer than 100 runs, any
 * quantile of one) is the maximum: report that rather than its bucket's
 * middle, so that one run does not show a p50 below its own maximum.
 */
static uint64_t
quantile_or_max(const uint64_t *counts, uint64_t n, double q, uint64_t max)
{
	if ((uint64_t)ceil(q * (double)n) >= n) {
		return max;
	}
	return rt_quantile(counts, n, q, max);
}

void
rt_summarize(const struct rt_hist *cur, const struct rt_hist *prev, uint64_t epoch,
	     struct rt_summary *out)
{
	uint64_t delta[RT_BUCKETS], n = 0, lo, hi, max;
	int top = -1;
	uint32_t b;

	memset(out, 0, sizeof(*out));
	for (b = 0; b < RT_BUCKETS; b++) {
		delta[b] = minus(cur->buckets[b], prev ? prev->buckets[b] : 0);
		n += delta[b];
		if (delta[b] != 0) {
			top = (int)b;
		}
	}
	/* Counted from the buckets: the map copy may catch a run half-recorded. */
	out->count = n;
	out->busy = minus(cur->busy, prev ? prev->busy : 0);
	out->errors = minus(cur->errors, prev ? prev->errors : 0);
	out->sum = minus(cur->sum, prev ? prev->sum : 0);
	if (n == 0) {
		return;
	}
	if (prev == NULL) {
		max = cur->max_all;
	} else if (cur->max_epoch == epoch) {
		max = cur->max;
	} else {
		rt_bucket_bounds((uint32_t)top, &lo, &hi);
		max = hi == UINT64_MAX ? cur->max_all : hi;
	}
	/* The exact maximum must lie in the top bucket; if not, a race spoiled it. */
	rt_bucket_bounds((uint32_t)top, &lo, &hi);
	if (max < lo || max > hi) {
		max = hi == UINT64_MAX ? (cur->max_all > lo ? cur->max_all : lo) : hi;
	}
	out->max = max;
	out->p50 = quantile_or_max(delta, n, 0.50, max);
	out->p90 = quantile_or_max(delta, n, 0.90, max);
	out->p99 = quantile_or_max(delta, n, 0.99, max);
}
