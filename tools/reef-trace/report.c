/*
 * Reading reef-trace's maps and reporting them: a table for people, JSON
 * lines for scripts, and the --export snapshot for reef-top.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "reef/string.h"
#include "reef/trace_export.h"
#include "report.h"

void
rt_table_init(struct rt_table *t, int fd, size_t key_size)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->key_size = key_size;
}

/* Keys are compared as bytes: zero-padded, so ids and names alike. */
static int
cmp_key(const void *a, const void *b)
{
	return memcmp(&((const struct rt_row *)a)->key, &((const struct rt_row *)b)->key,
		      sizeof(((const struct rt_row *)a)->key));
}

static int
table_read(struct rt_table *t, uint64_t epoch)
{
	struct rt_row *rows = NULL, *grown;
	size_t n = 0, cap = 0, i, kept;
	uint8_t cur[sizeof(struct rt_name)], next[sizeof(struct rt_name)];
	int err;

	err = bpf_map_get_next_key(t->fd, NULL, next);
	while (err == 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(rows, cap * sizeof(*rows));
			if (grown == NULL) {
				free(rows);
				return -ENOMEM;
			}
			rows = grown;
		}
		memset(&rows[n].key, 0, sizeof(rows[n].key));
		memcpy(&rows[n].key, next, t->key_size);
		/* Deleted in between (an unregistered poller): skip it. */
		if (bpf_map_lookup_elem(t->fd, next, &rows[n].hist) == 0) {
			n++;
		}
		memcpy(cur, next, t->key_size);
		err = bpf_map_get_next_key(t->fd, cur, next);
	}
	if (err != -ENOENT) {
		free(rows);
		return err < 0 ? err : -EIO;
	}
	if (n > 1) {
		qsort(rows, n, sizeof(*rows), cmp_key);
	}
	/* A deletion during the walk restarts it: drop the keys seen twice. */
	for (i = 0, kept = 0; i < n; i++) {
		if (kept == 0 || cmp_key(&rows[kept - 1], &rows[i]) != 0) {
			if (kept != i) {
				rows[kept] = rows[i];
			}
			kept++;
		}
	}
	for (i = 0; i < kept; i++) {
		const struct rt_row *prev = NULL;

		if (t->count > 0) {
			prev = bsearch(&rows[i], t->rows, t->count, sizeof(*rows), cmp_key);
		}
		rt_summarize(&rows[i].hist, prev ? &prev->hist : NULL, epoch, &rows[i].interval);
		rt_summarize(&rows[i].hist, NULL, epoch, &rows[i].total);
	}
	free(t->rows);
	t->rows = rows;
	t->count = kept;
	return 0;
}

int
rt_tables_read(struct rt_table *tables, uint64_t epoch)
{
	int i, rc;

	for (i = 0; i < RT_TABLE_COUNT; i++) {
		rc = table_read(&tables[i], epoch);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

void
rt_tables_free(struct rt_table *tables)
{
	int i;

	for (i = 0; i < RT_TABLE_COUNT; i++) {
		free(tables[i].rows);
		tables[i].rows = NULL;
		tables[i].count = 0;
	}
}

static double
ns_of(const struct rt_report *r, uint64_t cycles)
{
	return r->tsc_hz > 0 ? (double)cycles * 1e9 / r->tsc_hz : 0.0;
}

/* A duration in a unit that keeps it short: 35ns, 2.10us, 1.50ms, 2.00s. */
static const char *
fmt_dur(char *buf, size_t len, double ns)
{
	if (ns < 1e3) {
		snprintf(buf, len, "%.0fns", ns);
	} else if (ns < 1e4) {
		snprintf(buf, len, "%.2fus", ns / 1e3);
	} else if (ns < 1e6) {
		snprintf(buf, len, "%.1fus", ns / 1e3);
	} else if (ns < 1e9) {
		snprintf(buf, len, "%.2fms", ns / 1e6);
	} else {
		snprintf(buf, len, "%.2fs", ns / 1e9);
	}
	return buf;
}

static int
cmp_busiest(const void *a, const void *b)
{
	const struct rt_row *ra = *(const struct rt_row *const *)a;
	const struct rt_row *rb = *(const struct rt_row *const *)b;

	if (ra->interval.sum != rb->interval.sum) {
		return ra->interval.sum > rb->interval.sum ? -1 : 1;
	}
	return memcmp(&ra->key, &rb->key, sizeof(ra->key));
}

/* The rows that ran in this interval, busiest first; free() the array. */
static const struct rt_row **
active_rows(const struct rt_table *t, size_t *count)
{
	const struct rt_row **v = calloc(t->count + 1, sizeof(*v));
	size_t i, n = 0;

	if (v == NULL) {
		*count = 0;
		return NULL;
	}
	for (i = 0; i < t->count; i++) {
		if (t->rows[i].interval.count > 0) {
			v[n++] = &t->rows[i];
		}
	}
	if (n > 1) {
		qsort(v, n, sizeof(*v), cmp_busiest);
	}
	*count = n;
	return v;
}

static void
print_percentiles(FILE *f, const struct rt_report *r, const struct rt_summary *s)
{
	char a[16], b[16], c[16], d[16];

	fprintf(f, " %8s %8s %8s %8s\n", fmt_dur(a, sizeof(a), ns_of(r, s->p50)),
		fmt_dur(b, sizeof(b), ns_of(r, s->p90)), fmt_dur(c, sizeof(c), ns_of(r, s->p99)),
		fmt_dur(d, sizeof(d), ns_of(r, s->max)));
}

void
rt_print_table(FILE *f, const struct rt_report *r)
{
	const struct rt_row **rows;
	char stamp[16];
	time_t now = time(NULL);
	struct tm tm;
	size_t n, i;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(f, "== %s  app %s  pid %d  interval %.2f s  TSC %.1f MHz", stamp, r->target->app,
		(int)r->target->pid, r->interval_s, r->tsc_hz / 1e6);
	if (r->dropped > 0) {
		fprintf(f, "  (%" PRIu64 " histograms dropped: maps full)", r->dropped);
	}
	fprintf(f, "\n");

	rows = active_rows(&r->tables[RT_POLLERS], &n);
	fprintf(f, "%-24s %6s %7s %10s %6s %8s %8s %8s %8s\n", "POLLER", "THREAD", "ID", "RUNS",
		"BUSY%", "P50", "P90", "P99", "MAX");
	for (i = 0; i < n; i++) {
		const struct rt_summary *s = &rows[i]->interval;

		fprintf(f, "%-24s %6" PRIu64 " %7" PRIu64 " %10" PRIu64 " %6.1f",
			rows[i]->hist.name[0] ? rows[i]->hist.name : "?",
			(uint64_t)rows[i]->hist.thread_id, (uint64_t)rows[i]->key.id, s->count,
			100.0 * (double)s->busy / (double)s->count);
		print_percentiles(f, r, s);
	}
	if (n == 0) {
		fprintf(f, "  (no poller ran)\n");
	}
	free(rows);

	rows = active_rows(&r->tables[RT_MSGS], &n);
	fprintf(f, "%-40s %17s %8s %8s %8s %8s\n", "MESSAGE FUNCTION", "CALLS", "P50", "P90", "P99",
		"MAX");
	for (i = 0; i < n; i++) {
		fprintf(f, "%-40s %17" PRIu64, rt_sym_lookup(r->sym, rows[i]->key.id),
			rows[i]->interval.count);
		print_percentiles(f, r, &rows[i]->interval);
	}
	if (n == 0) {
		fprintf(f, "  (no message ran)\n");
	}
	free(rows);

	rows = active_rows(&r->tables[RT_HANDLERS], &n);
	if (n > 0) {
		fprintf(f, "%-40s %10s %6s %8s %8s %8s %8s\n", "REMOTE HANDLER (RECEIVE TO REPLY)",
			"CALLS", "ERRORS", "P50", "P90", "P99", "MAX");
		for (i = 0; i < n; i++) {
			fprintf(f, "%-40s %10" PRIu64 " %6" PRIu64, rows[i]->key.name.name,
				rows[i]->interval.count, rows[i]->interval.errors);
			print_percentiles(f, r, &rows[i]->interval);
		}
	}
	free(rows);
	fprintf(f, "\n");
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else {
			fputc(c, f);
		}
	}
	fputc('"', f);
}

static void
json_percentiles(FILE *f, const struct rt_report *r, const struct rt_summary *s)
{
	fprintf(f, ",\"p50_ns\":%.1f,\"p90_ns\":%.1f,\"p99_ns\":%.1f,\"max_ns\":%.1f",
		ns_of(r, s->p50), ns_of(r, s->p90), ns_of(r, s->p99), ns_of(r, s->max));
}

void
rt_print_json(FILE *f, const struct rt_report *r)
{
	const struct rt_row **rows;
	struct timespec ts;
	size_t n, i;

	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(f, "{\"time\":%.3f,\"app\":", (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
	json_string(f, r->target->app);
	fprintf(f, ",\"pid\":%d,\"interval_s\":%.6f,\"tsc_hz\":%.0f,\"dropped\":%" PRIu64,
		(int)r->target->pid, r->interval_s, r->tsc_hz, r->dropped);

	rows = active_rows(&r->tables[RT_POLLERS], &n);
	fprintf(f, ",\"pollers\":[");
	for (i = 0; i < n; i++) {
		const struct rt_row *row = rows[i];

		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_string(f, row->hist.name);
		fprintf(f,
			",\"thread_id\":%" PRIu64 ",\"poller_id\":%" PRIu64 ",\"runs\":%" PRIu64
			",\"busy\":%" PRIu64 ",\"total_runs\":%" PRIu64,
			(uint64_t)row->hist.thread_id, (uint64_t)row->key.id, row->interval.count,
			row->interval.busy, row->total.count);
		json_percentiles(f, r, &row->interval);
		fputc('}', f);
	}
	free(rows);

	rows = active_rows(&r->tables[RT_MSGS], &n);
	fprintf(f, "],\"messages\":[");
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{\"function\":", i ? "," : "");
		json_string(f, rt_sym_lookup(r->sym, rows[i]->key.id));
		fprintf(f, ",\"address\":\"%#" PRIx64 "\",\"calls\":%" PRIu64,
			(uint64_t)rows[i]->key.id, rows[i]->interval.count);
		json_percentiles(f, r, &rows[i]->interval);
		fputc('}', f);
	}
	free(rows);

	rows = active_rows(&r->tables[RT_HANDLERS], &n);
	fprintf(f, "],\"handlers\":[");
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_string(f, rows[i]->key.name.name);
		fprintf(f, ",\"calls\":%" PRIu64 ",\"errors\":%" PRIu64, rows[i]->interval.count,
			rows[i]->interval.errors);
		json_percentiles(f, r, &rows[i]->interval);
		fputc('}', f);
	}
	free(rows);
	fprintf(f, "]}\n");
}

int
rt_export(const struct rt_report *r)
{
	const struct rt_table *t = &r->tables[RT_POLLERS];
	struct reef_trace_export exp = {0};
	size_t i;
	int rc;

	exp.primary_pid = r->target->pid;
	exp.primary_start_time = r->target->start_time;
	exp.interval_ms = (uint32_t)(r->nominal_interval_s * 1000.0 + 0.5);
	exp.tsc_hz = (uint64_t)r->tsc_hz;
	exp.poller_count = (uint32_t)t->count;
	exp.pollers = calloc(t->count + 1, sizeof(*exp.pollers));
	if (exp.pollers == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < t->count; i++) {
		const struct rt_row *row = &t->rows[i];
		struct reef_trace_poller_stats *p = &exp.pollers[i];

		p->poller_id = row->key.id;
		p->thread_id = row->hist.thread_id;
		reef_strcpy_trunc(p->name, sizeof(p->name), row->hist.name);
		p->runs = row->interval.count;
		p->busy_runs = row->interval.busy;
		p->p50 = row->interval.p50;
		p->p90 = row->interval.p90;
		p->p99 = row->interval.p99;
		p->max = row->interval.max;
		p->total_runs = row->total.count;
		p->total_p50 = row->total.p50;
		p->total_p90 = row->total.p90;
		p->total_p99 = row->total.p99;
		p->total_max = row->total.max;
	}
	rc = reef_trace_export_write(r->target->app, &exp);
	free(exp.pollers);
	return rc;
}
