/*
 * Busy % histories: a ring of one-second buckets per slot.
 */
#include <string.h>

#include "history.h"

void
top_history_record(struct top_history *h, uint64_t key, uint64_t sec, double pct)
{
	uint8_t v = pct < 0 ? 0 : pct > 100 ? 100 : (uint8_t)(pct + 0.5);
	uint64_t s;

	if (!h->used || h->key != key || sec + TOP_HISTORY_LEN <= h->last_sec) {
		h->used = true;
		h->key = key;
		memset(h->v, TOP_HISTORY_NONE, sizeof(h->v));
		h->last_sec = sec;
	}
	if (sec < h->last_sec) {
		return;
	}
	/*
	 * The value is the average over the whole interval, so the seconds a
	 * slow refresh skipped get it too; several samples within a second:
	 * the newest wins.
	 */
	s = sec - h->last_sec > TOP_HISTORY_LEN ? sec - TOP_HISTORY_LEN + 1 : h->last_sec + 1;
	if (sec == h->last_sec) {
		s = sec;
	}
	for (; s <= sec; s++) {
		h->v[s % TOP_HISTORY_LEN] = v;
	}
	h->last_sec = sec;
}

void
top_history_get(const struct top_history *h, uint64_t key, uint64_t now_sec,
		uint8_t out[TOP_HISTORY_LEN])
{
	uint32_t i;

	memset(out, TOP_HISTORY_NONE, TOP_HISTORY_LEN);
	if (h == NULL || !h->used || h->key != key) {
		return;
	}
	for (i = 0; i < TOP_HISTORY_LEN; i++) {
		uint64_t sec = now_sec + i + 1;

		/* Second now_sec - LEN + 1 + i, written without underflow. */
		if (sec < TOP_HISTORY_LEN) {
			continue;
		}
		sec -= TOP_HISTORY_LEN;
		if (sec > h->last_sec || sec + TOP_HISTORY_LEN <= h->last_sec) {
			continue;
		}
		out[i] = h->v[sec % TOP_HISTORY_LEN];
	}
}
