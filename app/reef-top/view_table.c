/*
 * Drawing the main screen: title, counts, tabs, the table and the status
 * line. Only the rows on the screen are formatted, so a region with 65536
 * pollers redraws as fast as one with ten.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "view.h"

static const char *const g_tab_titles[TOP_TAB_COUNT] = {"Threads", "Pollers", "Reactors",
							"Channels"};

/* Widest the name column grows; narrower when the screen is. */
#define NAME_MAX_WIDTH 32
#define NAME_MIN_WIDTH 8

enum view_style
view_style_of_activity(const char *a)
{
	if (strcmp(a, "busy") == 0 || strcmp(a, "running") == 0) {
		return STYLE_BUSY;
	}
	if (strcmp(a, "paused") == 0 || strcmp(a, "pausing") == 0) {
		return STYLE_PAUSED;
	}
	if (strcmp(a, "sleep") == 0) {
		return STYLE_SLEEP;
	}
	if (strcmp(a, "idle") == 0 || strcmp(a, "waiting") == 0 || strcmp(a, "off") == 0) {
		return STYLE_IDLE;
	}
	/* exiting, exited, stalled, gone, stopping, stopped */
	return STYLE_ALERT;
}

enum view_style
view_style_of_pct(double pct)
{
	return pct >= 85 ? STYLE_HOT : pct >= 50 ? STYLE_WARM : STYLE_NORMAL;
}

void
view_sparkline(const struct view *v, const uint8_t *samples, int n, char *buf, size_t len)
{
	static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588"};
	static const char ascii[] = "_.-:=+*#";
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && off + 4 < len; i++) {
		int level = samples[i] == TOP_HISTORY_NONE ? -1 : samples[i] * 7 / 100;

		if (level < 0) {
			buf[off++] = ' ';
		} else if (v->utf8) {
			off += (size_t)snprintf(buf + off, len - off, "%s", blocks[level]);
		} else {
			buf[off++] = ascii[level];
		}
	}
	buf[off < len ? off : len - 1] = '\0';
}

/* Print text at (y, x) cut to width columns (names are ASCII: bytes are columns). */
static void
put(int y, int x, int width, const char *text, int attr)
{
	if (width <= 0) {
		return;
	}
	attron(attr);
	mvaddnstr(y, x, text, width);
	attroff(attr);
}

/* Fill a line with blanks in attr (the coloured bars). */
static void
bar(int y, int cols, int attr)
{
	attron(attr);
	mvhline(y, 0, ' ', cols);
	attroff(attr);
}

static void
draw_title(struct view *v, int cols)
{
	const struct top_model *m = v->m;
	const struct reef_shm_snapshot *snap = top_model_snapshot(m);
	const char *state = reef_shm_region_state_str(snap->header.state);
	char left[256], right[96], up[32], tick[32], every[16];
	int attr = view_attr(v, STYLE_HEADER), drop;

	top_fmt_duration(top_model_seconds(m, snap->tsc - snap->header.created_tsc), up,
			 sizeof(up));
	if (v->liveness == TOP_PRIMARY_STOPPING) {
		state = "stopping";
	}
	snprintf(tick, sizeof(tick), "  tick %.1f MHz", (double)m->tsc_hz / 1e6);
	view_fmt_seconds(v->delay_s, every, sizeof(every));
	snprintf(right, sizeof(right), "%s%s every %ss ", v->frozen ? "[FROZEN] " : "",
		 m->totals ? "[TOTALS]" : "[interval]", every);
	/*
	 * Frozen and totals change what every number means: they stay on a
	 * narrow screen, the tick rate and the pid give way first.
	 */
	for (drop = 0; drop < 3; drop++) {
		char pid[24] = "";

		if (drop < 2) {
			snprintf(pid, sizeof(pid), "  pid %d", (int)v->src->pid);
		}
		snprintf(left, sizeof(left), " reef-top  app %s%s  up %s%s  state %s", v->src->name,
			 pid, up, drop == 0 ? tick : "", state);
		if ((int)(strlen(left) + strlen(right)) < cols) {
			break;
		}
	}
	bar(0, cols, attr);
	if ((int)(strlen(left) + strlen(right)) < cols || (int)strlen(right) >= cols) {
		put(0, 0, cols, left, attr);
	} else {
		put(0, 0, cols - (int)strlen(right) - 1, left, attr);
	}
	if ((int)strlen(right) < cols) {
		int ra = attr;

		if (v->frozen || v->liveness == TOP_PRIMARY_STOPPING) {
			ra = view_attr(v, STYLE_STATUS_ERR);
		}
		put(0, cols - (int)strlen(right), (int)strlen(right), right, ra);
	}
}

static void
draw_counts(struct view *v, int cols)
{
	const struct top_model *m = v->m;
	const struct reef_shm_snapshot *snap = top_model_snapshot(m);
	uint32_t paused = 0, i;
	char line[256];
	int n;

	for (i = 0; i < m->nr_pollers; i++) {
		paused += m->pollers[i].state == REEF_SHM_POLLER_PAUSED ||
			  m->pollers[i].state == REEF_SHM_POLLER_PAUSING;
	}
	n = snprintf(line, sizeof(line),
		     " threads %u  pollers %u (%u paused)  reactors %u  io_devices %u  channels %u"
		     "  clients %u",
		     m->nr_threads, m->nr_pollers, paused, m->nr_reactors, m->nr_devices,
		     m->nr_channels, m->nr_clients);
	if (n >= cols) {
		/* 80 columns: one space between counts keeps the clients in view. */
		n = snprintf(line, sizeof(line),
			     " threads %u pollers %u (%u paused) reactors %u devices %u channels %u"
			     " clients %u",
			     m->nr_threads, m->nr_pollers, paused, m->nr_reactors, m->nr_devices,
			     m->nr_channels, m->nr_clients);
	}
	if (snap->skipped != 0 && n > 0 && (size_t)n < sizeof(line)) {
		/* Rows the primary rewrote too fast to copy are missing: say so. */
		snprintf(line + n, sizeof(line) - (size_t)n,
			 "  (%u rows changing too fast, skipped)", snap->skipped);
	}
	put(1, 0, cols, line, A_NORMAL);
}

static void
draw_tabs(struct view *v, int y, int cols)
{
	const struct top_model *m = v->m;
	uint32_t totals[TOP_TAB_COUNT] = {m->nr_threads, m->nr_pollers, m->nr_reactors,
					  m->nr_channels};
	const struct top_column *cols_def;
	char label[64], right[128];
	int x = 0, t, ncols, sc;

	bar(y, cols, view_attr(v, STYLE_TAB));
	for (t = 0; t < TOP_TAB_COUNT && x < cols; t++) {
		int n;

		/* With a filter, how many of how many: "2 Pollers (64/65536)". */
		if (t == (int)v->tab && m->filter[0] != '\0') {
			n = snprintf(label, sizeof(label), " %d %s (%u/%u) ", t + 1,
				     g_tab_titles[t], m->nr_order[t], totals[t]);
		} else {
			n = snprintf(label, sizeof(label), " %d %s (%u) ", t + 1, g_tab_titles[t],
				     totals[t]);
		}

		put(y, x, cols - x, label,
		    view_attr(v, t == (int)v->tab ? STYLE_TAB_ON : STYLE_TAB));
		x += n + 1;
	}
	cols_def = top_columns(v->tab, &ncols);
	sc = m->sort_col[v->tab];
	if (sc < 0 || sc >= ncols) {
		sc = 0;
	}
	snprintf(right, sizeof(right), "%s%s%s  sort %s %s ",
		 m->filter[0] || v->input == INPUT_FILTER ? "filter \"" : "",
		 v->input == INPUT_FILTER ? v->input_buf : m->filter,
		 m->filter[0] || v->input == INPUT_FILTER ? "\"" : "",
		 top_column_title(m, &cols_def[sc]),
		 (top_column_descending(&cols_def[sc]) != m->sort_reverse[v->tab]) ? "desc"
										   : "asc");
	if (x + (int)strlen(right) >= cols) {
		/* The sort column is highlighted in the table anyway: the filter matters more. */
		char *sort = strstr(right, "  sort ");

		if (sort != NULL) {
			sort[0] = ' ';
			sort[1] = '\0';
		}
	}
	if (x + (int)strlen(right) < cols) {
		put(y, cols - (int)strlen(right), (int)strlen(right), right,
		    view_attr(v, STYLE_TAB));
	}
}

/* Devices with their channel counts, above the channel table. */
static void
draw_devices(struct view *v, int y, int cols)
{
	const struct top_model *m = v->m;
	char line[512];
	size_t off;
	uint32_t i;

	off = (size_t)snprintf(line, sizeof(line), " io_devices:");
	for (i = 0; i < m->nr_devices && off < sizeof(line); i++) {
		off += (size_t)snprintf(line + off, sizeof(line) - off, "  %s (%u channel%s)%s",
					m->devices[i].name, m->devices[i].channels,
					m->devices[i].channels == 1 ? "" : "s",
					m->devices[i].unregistered ? " unregistering" : "");
	}
	if (m->nr_devices == 0) {
		snprintf(line + off, sizeof(line) - off, "  none");
	}
	put(y, 0, cols, line, A_NORMAL);
}

/* Screen width of each column; the flexible one gets what the others leave. */
static void
layout(const struct view *v, const struct top_column *defs, int ncols, int cols, int *width)
{
	const struct top_model *m = v->m;
	int flex = -1, used = 0, c, want = 0;
	uint32_t i;

	for (c = 0; c < ncols; c++) {
		const char *title = top_column_title(m, &defs[c]);

		width[c] = defs[c].width;
		if (width[c] == 0) {
			flex = c;
			continue;
		}
		if ((int)strlen(title) > width[c]) {
			width[c] = (int)strlen(title);
		}
		used += width[c] + 1;
	}
	if (flex < 0) {
		return;
	}
	/* As wide as the longest value, so names line up and never jump while scrolling. */
	want = (int)strlen(top_column_title(m, &defs[flex]));
	for (i = 0; i < m->nr_order[v->tab] && want < NAME_MAX_WIDTH; i++) {
		const char *text = defs[flex].str(m, top_model_row(m, v->tab, m->order[v->tab][i]));

		if ((int)strlen(text) > want) {
			want = (int)strlen(text);
		}
	}
	if (want > NAME_MAX_WIDTH) {
		want = NAME_MAX_WIDTH;
	}
	if (flex == ncols - 1) {
		/* The last column takes the rest of the line. */
		want = cols - used > want ? cols - used : want;
	} else if (want > cols / 2) {
		/*
		 * Names matter more than the last columns: on a narrow screen the
		 * columns on the right are cut off (as in htop), not the names.
		 */
		want = cols / 2;
	}
	width[flex] = want < NAME_MIN_WIDTH ? NAME_MIN_WIDTH : want;
}

static int
cell_attr(const struct view *v, const struct top_column *col, const void *row, const char *text)
{
	double pct;

	if (strcmp(col->key, "state") == 0) {
		return view_attr(v, view_style_of_activity(text));
	}
	if (col->type == TOP_COL_PCT && strcmp(col->key, "sleep_pct") != 0 &&
	    col->num(v->m, row, &pct)) {
		return view_attr(v, view_style_of_pct(pct));
	}
	if (strcmp(col->key, "stalls") == 0 && strcmp(text, "0") != 0) {
		return view_attr(v, STYLE_ALERT);
	}
	return A_NORMAL;
}

static void
draw_table(struct view *v, int y0, int rows, int cols)
{
	const struct top_model *m = v->m;
	enum top_tab tab = v->tab;
	const struct top_column *defs;
	int ncols, c, x, width[32], sc = m->sort_col[tab];
	int64_t n = m->nr_order[tab], i;
	char cell[128];

	defs = top_columns(tab, &ncols);
	layout(v, defs, ncols, cols, width);
	if (sc < 0 || sc >= ncols) {
		sc = 0;
	}

	bar(y0, cols, view_attr(v, STYLE_COLUMNS));
	for (c = 0, x = 0; c < ncols && x < cols; c++) {
		const char *title = top_column_title(m, &defs[c]);
		bool left = defs[c].type == TOP_COL_STR;

		snprintf(cell, sizeof(cell), left ? "%-*s" : "%*s", width[c], title);
		put(y0, x, cols - x, cell, view_attr(v, c == sc ? STYLE_SORTED : STYLE_COLUMNS));
		x += width[c] + 1;
	}

	v->page_rows = rows - 1 > 1 ? rows - 1 : 1;
	/* Keep the selection on screen whatever moved it (keys, resize, re-sort). */
	if (v->sel_pos[tab] < v->top_pos[tab]) {
		v->top_pos[tab] = v->sel_pos[tab];
	}
	if (v->sel_pos[tab] >= v->top_pos[tab] + v->page_rows) {
		v->top_pos[tab] = v->sel_pos[tab] - v->page_rows + 1;
	}
	if (v->top_pos[tab] > n - v->page_rows) {
		v->top_pos[tab] = n - v->page_rows;
	}
	if (v->top_pos[tab] < 0) {
		v->top_pos[tab] = 0;
	}
	if (n == 0) {
		put(y0 + 1, 1, cols - 1,
		    m->filter[0] ? "no rows match the filter (Esc clears it)" : "nothing to show",
		    view_attr(v, STYLE_IDLE));
		return;
	}
	for (i = v->top_pos[tab]; i < n && i < v->top_pos[tab] + v->page_rows; i++) {
		const void *row = top_model_row(m, tab, m->order[tab][i]);
		int y = y0 + 1 + (int)(i - v->top_pos[tab]);
		bool sel = i == v->sel_pos[tab];

		if (sel) {
			bar(y, cols, view_attr(v, STYLE_SELECTED));
		}
		for (c = 0, x = 0; c < ncols && x < cols; c++) {
			char text[64];
			bool left = defs[c].type == TOP_COL_STR;

			top_format(m, &defs[c], row, true, text, sizeof(text));
			snprintf(cell, sizeof(cell), left ? "%-*.*s" : "%*.*s", width[c], width[c],
				 text);
			put(y, x, cols - x, cell,
			    sel ? view_attr(v, STYLE_SELECTED) : cell_attr(v, &defs[c], row, text));
			x += width[c] + 1;
		}
	}
}

static void
draw_status(struct view *v, int y, int cols)
{
	/* Most wanted first: on a narrow screen the last ones are cut off. */
	static const char *const hints[][2] = {
		{"F1", "Help"},  {"q", "Quit"},   {"1-4", "Tab"},    {"<>", "Sort"},
		{"/", "Filter"}, {"Ent", "Info"}, {"Spc", "Freeze"}, {"t", "Totals"},
		{"d", "Delay"},  {"P", "Pause"},  {"T", "Timing"},
	};
	char line[320];
	int x = 0;
	size_t i;

	move(y, 0);
	clrtoeol();
	if (v->input == INPUT_FILTER) {
		snprintf(line, sizeof(line), " Filter (Enter keeps, Esc clears): %s_",
			 v->input_buf);
		put(y, 0, cols, line, A_BOLD);
		return;
	}
	if (v->input == INPUT_DELAY) {
		char every[16];

		view_fmt_seconds(v->delay_s, every, sizeof(every));
		snprintf(line, sizeof(line),
			 " Refresh every (now %s s; Enter sets, Esc keeps): %s_", every,
			 v->input_buf);
		put(y, 0, cols, line, A_BOLD);
		return;
	}
	if (v->status[0] != '\0' && top_now_ns() < v->status_until_ns) {
		snprintf(line, sizeof(line), " %s ", v->status);
		bar(y, cols, view_attr(v, v->status_err ? STYLE_STATUS_ERR : STYLE_STATUS_OK));
		put(y, 0, cols, line,
		    view_attr(v, v->status_err ? STYLE_STATUS_ERR : STYLE_STATUS_OK));
		return;
	}
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]) && x < cols; i++) {
		put(y, x, cols - x, hints[i][0], view_attr(v, STYLE_KEY));
		x += (int)strlen(hints[i][0]);
		snprintf(line, sizeof(line), "%s ", hints[i][1]);
		put(y, x, cols - x, line, A_NORMAL);
		x += (int)strlen(line);
	}
}

void
view_draw_screen(struct view *v)
{
	int rows, cols, y = 3;

	getmaxyx(stdscr, rows, cols);
	erase();
	if (rows < 6 || cols < 20) {
		put(0, 0, cols, "reef-top: terminal too small", A_BOLD);
		wnoutrefresh(stdscr);
		return;
	}
	draw_title(v, cols);
	draw_counts(v, cols);
	draw_tabs(v, 2, cols);
	if (v->tab == TOP_TAB_CHANNELS) {
		draw_devices(v, y++, cols);
	}
	draw_table(v, y, rows - 1 - y, cols);
	draw_status(v, rows - 1, cols);
	wnoutrefresh(stdscr);
	if (v->popup != POPUP_NONE) {
		view_draw_popup(v);
	}
}
