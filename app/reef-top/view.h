/*
 * The screen: state shared by view.c (the loop), view_table.c (header, tabs,
 * rows, status line), view_popup.c (details, help, sort menu) and
 * view_input.c (keys and prompts).
 */
#ifndef REEF_TOP_VIEW_H
#define REEF_TOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "top.h"

/* Colour pairs (attributes stand in for them in monochrome, see view_attr). */
enum view_style {
	STYLE_NORMAL,
	STYLE_HEADER,    /* the title line */
	STYLE_TAB,       /* inactive tab */
	STYLE_TAB_ON,    /* the tab shown */
	STYLE_COLUMNS,   /* column headers */
	STYLE_SORTED,    /* the sort column's header */
	STYLE_SELECTED,  /* the selected row */
	STYLE_BUSY,      /* busy state, low busy % */
	STYLE_IDLE,      /* idle, waiting: nothing to see */
	STYLE_PAUSED,    /* paused or pausing pollers */
	STYLE_ALERT,     /* exiting, stalled, gone */
	STYLE_SLEEP,     /* asleep in interrupt mode */
	STYLE_WARM,      /* busy % from 50 */
	STYLE_HOT,       /* busy % from 85 */
	STYLE_STATUS_OK, /* a message in the status line */
	STYLE_STATUS_ERR,
	STYLE_KEY, /* a key in the hint line */
	STYLE_COUNT,
};

enum view_popup {
	POPUP_NONE,
	POPUP_DETAILS,
	POPUP_HELP,
	POPUP_SORT,
};

enum view_input {
	INPUT_NONE,
	INPUT_FILTER,
	INPUT_DELAY,
};

struct view {
	struct top_source *src;
	struct top_model *m;
	const struct top_opts *opts;
	enum top_tab tab;
	/* The selected row of each tab, followed by key across refreshes and sorts. */
	uint64_t sel_key[TOP_TAB_COUNT];
	bool has_sel[TOP_TAB_COUNT];
	int64_t sel_pos[TOP_TAB_COUNT];
	int64_t top_pos[TOP_TAB_COUNT];
	int page_rows; /* table rows that fit on the screen */

	bool frozen;
	double delay_s;
	uint64_t next_refresh_ns;

	enum view_popup popup;
	enum top_tab popup_tab;
	uint64_t popup_key;
	int popup_scroll;
	int sort_sel;

	enum view_input input;
	char input_buf[64];
	char filter_before[64];

	char status[256];
	bool status_err;
	uint64_t status_until_ns;

	bool color;
	bool utf8;
	bool quit;
	enum top_liveness liveness;
};

/* view.c */
void view_set_status(struct view *v, bool err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Re-filter and re-sort the tab shown and keep its selection on the same row. */
void view_arrange(struct view *v);
/* Refresh the data now (also after an action, to show its effect). */
void view_refresh_now(struct view *v);
int view_attr(const struct view *v, enum view_style s);
/* An interval as typed: "1", "0.05", "2.5", "120" (no exponents, no trailing zeros). */
void view_fmt_seconds(double seconds, char *buf, size_t len);

/* view_table.c */
void view_draw_screen(struct view *v);
/* Style of an activity word ("busy", "paused", ...) and of a busy %. */
enum view_style view_style_of_activity(const char *activity);
enum view_style view_style_of_pct(double pct);
/* Render 60 history samples as a sparkline into buf (UTF-8 blocks or ASCII). */
void view_sparkline(const struct view *v, const uint8_t *samples, int n, char *buf, size_t len);

/* view_popup.c */
void view_draw_popup(struct view *v);
/* Open the details of the selected row. */
void view_open_details(struct view *v);
/* The poller the user means: the details popup's, or the selected row's. */
const struct top_poller *view_target_poller(const struct view *v);

/* view_input.c */
void view_handle_key(struct view *v, int key);

#endif /* REEF_TOP_VIEW_H */
