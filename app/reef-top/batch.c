/*
 * Batch mode: the same rows as the screen, as plain tables (-b) or one JSON
 * object per iteration (--json), for scripts and tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "top.h"

static const char *const g_tab_names[TOP_TAB_COUNT] = {"threads", "pollers", "reactors",
						       "channels"};

static void
print_summary(const struct top_source *s)
{
	const struct top_model *m = &s->model;
	const struct reef_shm_snapshot *snap = top_model_snapshot(m);
	char up[32];

	top_fmt_duration(top_model_seconds(m, snap->tsc - snap->header.created_tsc), up,
			 sizeof(up));
	printf("reef-top - app %s  pid %d  up %s  tick %.2f MHz  state %s  threads %u  pollers %u"
	       "  reactors %u  clients %u  %s %.2f s\n",
	       s->name, (int)s->pid, up, (double)m->tsc_hz / 1e6,
	       reef_shm_region_state_str(snap->header.state), m->nr_threads, m->nr_pollers,
	       m->nr_reactors, m->nr_clients, m->totals ? "totals at" : "interval",
	       top_model_seconds(m, m->interval_tsc));
}

static bool
left_aligned(const struct top_column *col)
{
	return col->type == TOP_COL_STR;
}

static void
print_table(const struct top_model *m, enum top_tab tab)
{
	const struct top_column *cols;
	char cell[64];
	int ncols, c, *width;
	uint32_t i;

	cols = top_columns(tab, &ncols);
	width = calloc((size_t)ncols, sizeof(*width));
	if (width == NULL) {
		return;
	}
	for (c = 0; c < ncols; c++) {
		width[c] = (int)strlen(top_column_title(m, &cols[c]));
	}
	for (i = 0; i < m->nr_order[tab]; i++) {
		const void *row = top_model_row(m, tab, m->order[tab][i]);

		for (c = 0; c < ncols; c++) {
			top_format(m, &cols[c], row, false, cell, sizeof(cell));
			if ((int)strlen(cell) > width[c]) {
				width[c] = (int)strlen(cell);
			}
		}
	}
	printf("\n%s (%u)\n", g_tab_names[tab], m->nr_order[tab]);
	for (c = 0; c < ncols; c++) {
		printf("%s%*s", c ? " " : "", left_aligned(&cols[c]) ? -width[c] : width[c],
		       top_column_title(m, &cols[c]));
	}
	printf("\n");
	for (i = 0; i < m->nr_order[tab]; i++) {
		const void *row = top_model_row(m, tab, m->order[tab][i]);

		for (c = 0; c < ncols; c++) {
			top_format(m, &cols[c], row, false, cell, sizeof(cell));
			/* No trailing blanks: the last column is not padded. */
			if (c == ncols - 1 && left_aligned(&cols[c])) {
				printf(" %s", cell);
			} else {
				printf("%s%*s", c ? " " : "",
				       left_aligned(&cols[c]) ? -width[c] : width[c], cell);
			}
		}
		printf("\n");
	}
	free(width);
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			printf("\\%c", ch);
		} else if (ch < 0x20) {
			printf("\\u%04x", ch);
		} else {
			putchar(ch);
		}
	}
	putchar('"');
}

static void
json_num(double v, bool integer)
{
	if (integer) {
		printf("%.0f", v);
	} else {
		printf("%.3f", v);
	}
}

static void
json_row(const struct top_model *m, enum top_tab tab, const void *row)
{
	const struct top_column *cols;
	int ncols, c;

	cols = top_columns(tab, &ncols);
	putchar('{');
	for (c = 0; c < ncols; c++) {
		const struct top_column *col = &cols[c];
		double v;

		printf("%s\"%s\":", c ? "," : "",
		       m->totals && col->key_total ? col->key_total : col->key);
		if (col->str != NULL) {
			json_str(col->str(m, row));
		} else if (!col->num(m, row, &v)) {
			printf("null");
		} else if (col->type == TOP_COL_PERIOD) {
			json_num(v * 1e6 / (double)m->tsc_hz, false);
		} else {
			json_num(v, col->type == TOP_COL_ID || col->type == TOP_COL_CORE ||
					    col->type == TOP_COL_COUNT ||
					    (m->totals && col->type == TOP_COL_RATE));
		}
	}
	/* What scripts need to act on a row or to follow it. */
	if (tab == TOP_TAB_POLLERS) {
		const struct top_poller *p = row;

		printf(",\"thread_id\":%llu,\"timing\":%s", (unsigned long long)p->thread_id,
		       p->timing ? "true" : "false");
	} else if (tab == TOP_TAB_THREADS) {
		const struct top_thread *t = row;

		printf(",\"moves\":%llu,\"pollers\":%u", (unsigned long long)t->moves, t->pollers);
	}
	putchar('}');
}

static void
print_json(const struct top_source *s, uint64_t iteration, unsigned tabs)
{
	const struct top_model *m = &s->model;
	const struct reef_shm_snapshot *snap = top_model_snapshot(m);
	enum top_tab tab;
	uint32_t i;

	printf("{\"iteration\":%llu,\"time\":%lld,\"app\":", (unsigned long long)iteration,
	       (long long)time(NULL));
	json_str(s->name);
	printf(",\"pid\":%d,\"state\":\"%s\",\"uptime_s\":%.3f,\"tsc_hz\":%llu,\"interval_s\":%.6f,"
	       "\"mode\":\"%s\",\"clients\":%u,\"skipped_slots\":%u",
	       (int)s->pid, reef_shm_region_state_str(snap->header.state),
	       top_model_seconds(m, snap->tsc - snap->header.created_tsc),
	       (unsigned long long)m->tsc_hz, top_model_seconds(m, m->interval_tsc),
	       m->totals ? "totals" : "interval", m->nr_clients, snap->skipped);
	for (tab = 0; tab < TOP_TAB_COUNT; tab++) {
		if (!(tabs & (1u << tab))) {
			continue;
		}
		printf(",\"%s\":[", g_tab_names[tab]);
		for (i = 0; i < m->nr_order[tab]; i++) {
			if (i) {
				putchar(',');
			}
			json_row(m, tab, top_model_row(m, tab, m->order[tab][i]));
		}
		putchar(']');
	}
	if (tabs & (1u << TOP_TAB_CHANNELS)) {
		printf(",\"devices\":[");
		for (i = 0; i < m->nr_devices; i++) {
			const struct top_device *d = &m->devices[i];

			printf("%s{\"id\":%llu,\"name\":", i ? "," : "", (unsigned long long)d->id);
			json_str(d->name);
			printf(",\"channels\":%u,\"refcnt\":%u,\"owner_thread_id\":%llu,"
			       "\"unregistered\":%s}",
			       d->channels, d->refcnt, (unsigned long long)d->owner_thread_id,
			       d->unregistered ? "true" : "false");
		}
		putchar(']');
	}
	printf("}\n");
}

static void
print_devices(const struct top_model *m)
{
	uint32_t i;

	printf("\nio_devices (%u)\n%-24s %6s %8s %6s\n", m->nr_devices, "NAME", "ID", "CHANNELS",
	       "REFS");
	for (i = 0; i < m->nr_devices; i++) {
		printf("%-24s %6llu %8u %6u\n", m->devices[i].name,
		       (unsigned long long)m->devices[i].id, m->devices[i].channels,
		       m->devices[i].refcnt);
	}
}

int
top_batch_run(struct top_source *s, const struct top_opts *o)
{
	struct top_model *m = &s->model;
	enum top_liveness l;
	enum top_tab tab;
	uint64_t it, next;
	char msg[128];

	/* Every iteration shows rates over a full interval: start from a first snapshot. */
	next = top_now_ns() + (uint64_t)(o->delay_s * 1e9);
	top_source_refresh(s);
	for (it = 1; o->iterations == 0 || it <= o->iterations; it++) {
		uint64_t now = top_now_ns();

		/* Snapshots -d apart, however long printing the last one took. */
		l = top_source_wait(s, next > now ? (double)(next - now) / 1e9 : 0);
		next = top_now_ns() + (uint64_t)(o->delay_s * 1e9);
		if (g_top_stop) {
			return TOP_EXIT_OK;
		}
		if (l == TOP_PRIMARY_STOPPED || l == TOP_PRIMARY_DIED) {
			top_source_gone_msg(s, l, msg, sizeof(msg));
			fflush(stdout);
			fprintf(stderr, "reef-top: %s\n", msg);
			return l == TOP_PRIMARY_DIED ? TOP_EXIT_FAIL : TOP_EXIT_OK;
		}
		top_source_refresh(s);
		for (tab = 0; tab < TOP_TAB_COUNT; tab++) {
			if (o->tabs & (1u << tab)) {
				top_model_arrange(m, tab);
			}
		}
		if (o->json) {
			print_json(s, it, o->tabs);
		} else {
			if (it > 1) {
				printf("\n");
			}
			print_summary(s);
			for (tab = 0; tab < TOP_TAB_COUNT; tab++) {
				if (o->tabs & (1u << tab)) {
					print_table(m, tab);
				}
			}
			if (o->tabs & (1u << TOP_TAB_CHANNELS)) {
				print_devices(m);
			}
		}
		if (fflush(stdout) != 0 || ferror(stdout)) {
			/* The reader went away (a closed pipe): nothing left to do. */
			return TOP_EXIT_OK;
		}
	}
	return TOP_EXIT_OK;
}
