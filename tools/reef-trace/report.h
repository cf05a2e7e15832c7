/*
 * reef-trace's view of the BPF maps: one table per map, read once per
 * interval, and what is printed (table or JSON) and exported from them.
 */
#ifndef REEF_TRACE_REPORT_H
#define REEF_TRACE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"
#include "reef_trace.h"
#include "sym.h"
#include "target.h"

enum rt_table_id {
	RT_POLLERS,  /* key: poller id */
	RT_MSGS,     /* key: message function address */
	RT_HANDLERS, /* key: struct rt_name */
	RT_TABLE_COUNT,
};

/* One map entry as last read, with what changed since the reading before. */
struct rt_row {
	union {
		__u64 id;
		struct rt_name name;
	} key;
	struct rt_hist hist;
	struct rt_summary interval;
	struct rt_summary total;
};

struct rt_table {
	int fd;
	size_t key_size;
	struct rt_row *rows; /* sorted by key bytes */
	size_t count;
};

void rt_table_init(struct rt_table *t, int fd, size_t key_size);

/* Read every table; epoch is the one ending now. Returns 0 or -errno. */
int rt_tables_read(struct rt_table *tables, uint64_t epoch);

void rt_tables_free(struct rt_table *tables);

struct rt_report {
	const struct rt_target *target;
	struct rt_symbolizer *sym;
	struct rt_table *tables;
	double tsc_hz;
	double interval_s;         /* measured length of this interval */
	double nominal_interval_s; /* -i */
	uint64_t epoch;
	uint64_t dropped; /* histograms the BPF side could not create */
};

void rt_print_table(FILE *f, const struct rt_report *r);
void rt_print_json(FILE *f, const struct rt_report *r);

/* Publish the poller percentiles (include/reef/trace_export.h). Returns 0 or -errno. */
int rt_export(const struct rt_report *r);

#endif /* REEF_TRACE_REPORT_H */
