/*
 * Percentiles of reef-trace's log-linear histograms (reef_trace.h), over an
 * interval (the difference of two readings of a map entry) or since the
 * entry was created.
 */
#ifndef REEF_TRACE_HIST_H
#define REEF_TRACE_HIST_H

#include <stdint.h>

#include "reef_trace.h"

/* What one histogram says about an interval; values in the histogram's unit. */
struct rt_summary {
	uint64_t count;
	uint64_t busy;
	uint64_t errors;
	uint64_t sum;
	uint64_t p50;
	uint64_t p90;
	uint64_t p99;
	uint64_t max;
};

/* The values v of bucket b: lo <= v <= hi. */
void rt_bucket_bounds(uint32_t b, uint64_t *lo, uint64_t *hi);

/*
 * The value at quantile q (0 < q <= 1) of counts[RT_BUCKETS] holding n values:
 * the middle of the bucket of the ceil(q * n)-th smallest, but never more than
 * max (the exact largest value, or UINT64_MAX if unknown). 0 if n is 0.
 */
uint64_t rt_quantile(const uint64_t *counts, uint64_t n, double q, uint64_t max);

/*
 * Summarise cur minus prev (prev NULL: everything in cur). epoch is the epoch
 * that just ended: cur->max is the interval's exact maximum if cur->max_epoch
 * is that epoch; otherwise the top of the highest non-empty bucket stands in.
 */
void rt_summarize(const struct rt_hist *cur, const struct rt_hist *prev, uint64_t epoch,
		  struct rt_summary *out);

#endif /* REEF_TRACE_HIST_H */
