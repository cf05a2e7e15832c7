/*
 * reef-trace's BPF side: USDT programs on a Reef primary's probes that fold
 * every poller run, message execution and remote request into per-poller,
 * per-function and per-handler histograms (reef_trace.h). Nothing goes to
 * user space per event; the user side reads the maps once per interval.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "reef_trace.h"

/* GPL-compatible: bpf_probe_read_user_str() is a GPL-only helper. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Bumped by the user side at the end of each interval (see struct rt_hist). */
volatile __u64 epoch;
/* Histograms that could not be created because their map was full. */
__u64 dropped;

/* Entries are created from this (too big for the BPF stack). */
static const struct rt_hist zero_hist;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RT_MAX_POLLERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64); /* poller id: never reused within a region */
	__type(value, struct rt_hist);
} pollers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RT_MAX_MSG_FNS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64); /* message function address */
	__type(value, struct rt_hist);
} msgs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RT_MAX_HANDLERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rt_name);
	__type(value, struct rt_hist);
} handlers SEC(".maps");

/* Requests received and not replied to yet: the cycles from post to receive. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RT_MAX_INFLIGHT);
	__type(key, struct rt_request);
	__type(value, __u64);
} inflight SEC(".maps");

static __always_inline struct rt_hist *
hist_get(void *map, const void *key, bool *created)
{
	struct rt_hist *h = bpf_map_lookup_elem(map, key);

	*created = false;
	if (h != NULL) {
		return h;
	}
	/* -EEXIST: another CPU created it in between, which is fine. */
	if (bpf_map_update_elem(map, key, &zero_hist, BPF_NOEXIST) == 0) {
		*created = true;
	}
	h = bpf_map_lookup_elem(map, key);
	if (h == NULL) {
		__sync_fetch_and_add(&dropped, 1);
	}
	return h;
}

static __always_inline void
hist_add(struct rt_hist *h, __u64 v)
{
	__u32 b = rt_bucket(v);
	__u64 ep = epoch;

	if (b >= RT_BUCKETS) {
		return;
	}
	__sync_fetch_and_add(&h->buckets[b], 1);
	__sync_fetch_and_add(&h->sum, v);
	/*
	 * Maxima are plain stores: a poller runs on one CPU at a time, and for a
	 * message function run on several at once a lost race costs one sample.
	 */
	if (h->max_epoch != ep) {
		h->max_epoch = ep;
		h->max = v;
	} else if (v > h->max) {
		h->max = v;
	}
	if (v > h->max_all) {
		h->max_all = v;
	}
	__sync_fetch_and_add(&h->count, 1);
}

SEC("usdt")
int
BPF_USDT(poller_run, __u64 thread_id, __u64 poller_id, const char *name, int rc, __u64 cycles)
{
	struct rt_hist *h;
	bool created;

	h = hist_get(&pollers, &poller_id, &created);
	if (h == NULL) {
		return 0;
	}
	if (created) {
		h->thread_id = thread_id;
		bpf_probe_read_user_str(h->name, sizeof(h->name), name);
	}
	if (rc > 0) {
		__sync_fetch_and_add(&h->busy, 1);
	}
	hist_add(h, cycles);
	return 0;
}

SEC("usdt")
int
BPF_USDT(poller_unregister, __u64 thread_id, __u64 poller_id)
{
	bpf_map_delete_elem(&pollers, &poller_id);
	return 0;
}

SEC("usdt")
int
BPF_USDT(msg_exec, __u64 thread_id, __u64 fn, __u64 arg, __u64 cycles)
{
	struct rt_hist *h;
	bool created;

	h = hist_get(&msgs, &fn, &created);
	if (h != NULL) {
		hist_add(h, cycles);
	}
	return 0;
}

SEC("usdt")
int
BPF_USDT(remote_msg_recv, int client_pid, __u64 request_id, const char *name, __u64 thread_id,
	 __u64 queued)
{
	struct rt_request key = {.client_pid = (__u64)client_pid, .request_id = request_id};

	bpf_map_update_elem(&inflight, &key, &queued, BPF_ANY);
	return 0;
}

SEC("usdt")
int
BPF_USDT(remote_msg_reply, int client_pid, __u64 request_id, const char *name, int status,
	 __u64 since_post)
{
	struct rt_request key = {.client_pid = (__u64)client_pid, .request_id = request_id};
	struct rt_name hkey = {};
	struct rt_hist *h;
	__u64 *queued, handled;
	bool created;

	queued = bpf_map_lookup_elem(&inflight, &key);
	if (queued == NULL) {
		/* Received before we attached. */
		return 0;
	}
	handled = since_post > *queued ? since_post - *queued : 0;
	bpf_map_delete_elem(&inflight, &key);
	bpf_probe_read_user_str(hkey.name, sizeof(hkey.name), name);
	h = hist_get(&handlers, &hkey, &created);
	if (h != NULL) {
		if (status < 0) {
			__sync_fetch_and_add(&h->errors, 1);
		}
		hist_add(h, handled);
	}
	return 0;
}
