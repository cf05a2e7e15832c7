/*
 * Busy % per second over the last minute, one record per slot of a table,
 * for the sparklines of the details popups. A record belongs to one object
 * (its key); a different key in the slot starts the record afresh.
 */
#ifndef REEF_TOP_HISTORY_H
#define REEF_TOP_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

struct top_history {
	uint64_t key;
	uint64_t last_sec; /* the newest second recorded */
	bool used;         /* keys may be 0 (reactor 0): a fresh record has none */
	uint8_t v[TOP_HISTORY_LEN];
};

/* Record pct (0-100) for second sec, also for the seconds since the last sample. */
void top_history_record(struct top_history *h, uint64_t key, uint64_t sec, double pct);

/* The samples of seconds now_sec - TOP_HISTORY_LEN + 1 .. now_sec, oldest first. */
void top_history_get(const struct top_history *h, uint64_t key, uint64_t now_sec,
		     uint8_t out[TOP_HISTORY_LEN]);

#endif /* REEF_TOP_HISTORY_H */
