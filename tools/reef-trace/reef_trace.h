/*
 * What reef-trace's BPF program and its user side share: the map value layout
 * and the histogram's bucket rule. Compiled by clang for the BPF target and by
 * cc for the user side, so only <linux/types.h> types.
 */
#ifndef REEF_TRACE_H
#define REEF_TRACE_H

#include <linux/types.h>

/*
 * Log-linear histogram: 2^RT_SUB_BITS buckets per power of two, so a bucket
 * is at most 1/16 of its lower bound wide. Values below RT_SUB get a bucket
 * each; values of 2^RT_MAX_EXP cycles (about 2 hours at 2 GHz) and above
 * share the last one.
 */
#define RT_SUB_BITS 4
#define RT_SUB      (1u << RT_SUB_BITS)
#define RT_MAX_EXP  44
#define RT_BUCKETS  ((RT_MAX_EXP - RT_SUB_BITS + 1) * RT_SUB + 1)

/* Longest name kept, with its NUL: REEF_SHM_NAME_LEN. */
#define RT_NAME_LEN 40

/* Map sizes. Entries are created on first sight and hold no memory before. */
#define RT_MAX_POLLERS  65536
#define RT_MAX_MSG_FNS  4096
#define RT_MAX_HANDLERS 1024
#define RT_MAX_INFLIGHT 16384

/*
 * One histogram: a poller's run times, a message function's execution times
 * or a handler's receive-to-reply times, all in TSC cycles. Counters only
 * grow; the user side takes differences between intervals. `max` is the
 * largest value seen in epoch `max_epoch` (the user side bumps the global
 * epoch at the end of each interval), `max_all` the largest ever.
 */
struct rt_hist {
	__u64 thread_id; /* pollers: the thread they belong to */
	__u64 count;
	__u64 busy;   /* pollers: runs that returned > 0 */
	__u64 errors; /* handlers: replies with a negative status */
	__u64 sum;
	__u64 max_all;
	__u64 max;
	__u64 max_epoch;
	char name[RT_NAME_LEN]; /* pollers: their name */
	__u64 buckets[RT_BUCKETS];
};

/* Key of the handlers map. */
struct rt_name {
	char name[RT_NAME_LEN];
};

/* A remote request between remote_msg_recv and remote_msg_reply. */
struct rt_request {
	__u64 client_pid;
	__u64 request_id;
};

#ifdef __bpf__
#define RT_INLINE static __always_inline
#else
#define RT_INLINE static inline
#endif

/* The bucket of value v. */
RT_INLINE __u32
rt_bucket(__u64 v)
{
	__u64 x = v;
	__u32 e = 0;

	if (v < RT_SUB) {
		return (__u32)v;
	}
	if (x >> 32) {
		e += 32;
		x >>= 32;
	}
	if (x >> 16) {
		e += 16;
		x >>= 16;
	}
	if (x >> 8) {
		e += 8;
		x >>= 8;
	}
	if (x >> 4) {
		e += 4;
		x >>= 4;
	}
	if (x >> 2) {
		e += 2;
		x >>= 2;
	}
	if (x >> 1) {
		e += 1;
	}
	if (e >= RT_MAX_EXP) {
		return RT_BUCKETS - 1;
	}
	return (e - RT_SUB_BITS + 1) * RT_SUB + (__u32)((v >> (e - RT_SUB_BITS)) & (RT_SUB - 1));
}

#endif /* REEF_TRACE_H */
