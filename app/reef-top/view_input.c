/*
 * Keys: moving, tabs, sorting, the filter and delay prompts, popups and the
 * poller actions, with htop's and top's habits.
 */
#include <ctype.h>
#include <curses.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

#define KEY_ESC    27
#define KEY_CTRL_L 12

static void
select_pos(struct view *v, int64_t pos)
{
	enum top_tab tab = v->tab;
	int64_t n = v->m->nr_order[tab];

	if (n == 0) {
		return;
	}
	if (pos >= n) {
		pos = n - 1;
	}
	if (pos < 0) {
		pos = 0;
	}
	v->sel_pos[tab] = pos;
	v->sel_key[tab] = top_model_row_key(v->m, tab, v->m->order[tab][pos]);
	v->has_sel[tab] = true;
}

static void
switch_tab(struct view *v, int tab)
{
	v->tab = (enum top_tab)((tab + TOP_TAB_COUNT) % TOP_TAB_COUNT);
	view_arrange(v);
}

static void
set_sort(struct view *v, int col)
{
	int n;

	top_columns(v->tab, &n);
	v->m->sort_col[v->tab] = (col + n) % n;
	view_arrange(v);
}

static void
act_on_poller(struct view *v, bool timing)
{
	const struct top_poller *p = view_target_poller(v);
	enum top_action a;
	char msg[256];

	if (p == NULL) {
		view_set_status(v, true, "select a poller first (tab 2, or its details)");
		return;
	}
	if (timing) {
		a = p->timing ? TOP_ACTION_TIMING_OFF : TOP_ACTION_TIMING_ON;
	} else {
		a = p->state == REEF_SHM_POLLER_PAUSED || p->state == REEF_SHM_POLLER_PAUSING
			    ? TOP_ACTION_RESUME
			    : TOP_ACTION_PAUSE;
	}
	/* The first action attaches a client, which can take a moment: say so first. */
	view_set_status(v, false, "contacting the primary...");
	view_draw_screen(v);
	doupdate();
	top_action_post(v->src->name, a, p->key, p->name, p->thread_id, msg, sizeof(msg));
	view_set_status(v, strstr(msg, "sent...") == NULL, "%s", msg);
}

static void
input_key(struct view *v, int key)
{
	size_t len = strlen(v->input_buf);

	switch (key) {
	case KEY_ESC:
		if (v->input == INPUT_FILTER) {
			v->m->filter[0] = '\0';
			view_arrange(v);
		}
		v->input = INPUT_NONE;
		return;
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (v->input == INPUT_DELAY && v->input_buf[0] != '\0') {
			char *end;
			double d = strtod(v->input_buf, &end);

			if (end == v->input_buf || *end != '\0' || !isfinite(d) || d < 0.05 ||
			    d > 3600) {
				view_set_status(v, true,
						"the interval is 0.05 to 3600 seconds, not '%s'",
						v->input_buf);
			} else {
				char every[16];

				v->delay_s = d;
				v->next_refresh_ns = top_now_ns() + (uint64_t)(d * 1e9);
				view_fmt_seconds(d, every, sizeof(every));
				view_set_status(v, false, "refreshing every %s s", every);
			}
		}
		v->input = INPUT_NONE;
		return;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (len > 0) {
			v->input_buf[len - 1] = '\0';
		}
		break;
	default:
		if (key < 0x20 || key > 0x7e || len + 1 >= sizeof(v->input_buf)) {
			return;
		}
		if (v->input == INPUT_DELAY && !isdigit(key) && key != '.') {
			return;
		}
		v->input_buf[len] = (char)key;
		v->input_buf[len + 1] = '\0';
		break;
	}
	if (v->input == INPUT_FILTER) {
		/* As you type, like htop. */
		snprintf(v->m->filter, sizeof(v->m->filter), "%s", v->input_buf);
		view_arrange(v);
	}
}

/* Scroll a popup by key; false when key is not a scrolling key. */
static bool
popup_scroll_key(struct view *v, int key)
{
	switch (key) {
	case KEY_UP:
	case 'k':
		v->popup_scroll--;
		return true;
	case KEY_DOWN:
	case 'j':
		v->popup_scroll++;
		return true;
	case KEY_PPAGE:
		v->popup_scroll -= 10;
		return true;
	case KEY_NPAGE:
		v->popup_scroll += 10;
		return true;
	default:
		return false;
	}
}

static void
popup_key(struct view *v, int key)
{
	int n;

	if (v->popup == POPUP_HELP) {
		/* On a short screen the help scrolls; any other key closes it. */
		if (!popup_scroll_key(v, key)) {
			v->popup = POPUP_NONE;
		}
		return;
	}
	if (v->popup == POPUP_SORT) {
		top_columns(v->tab, &n);
		switch (key) {
		case KEY_UP:
		case 'k':
			v->sort_sel = (v->sort_sel + n - 1) % n;
			break;
		case KEY_DOWN:
		case 'j':
			v->sort_sel = (v->sort_sel + 1) % n;
			break;
		case '\r':
		case '\n':
		case KEY_ENTER:
			set_sort(v, v->sort_sel);
			v->popup = POPUP_NONE;
			break;
		case KEY_ESC:
		case 'q':
		case KEY_F(6):
			v->popup = POPUP_NONE;
			break;
		default:
			break;
		}
		return;
	}
	if (popup_scroll_key(v, key)) {
		return;
	}
	switch (key) {
	case 'P':
		act_on_poller(v, false);
		break;
	case 'T':
		act_on_poller(v, true);
		break;
	case ' ':
		v->frozen = !v->frozen;
		break;
	case KEY_F(10):
		v->quit = true;
		break;
	case KEY_ESC:
	case 'q':
	case '\r':
	case '\n':
	case KEY_ENTER:
	case KEY_LEFT:
	case 'h':
		v->popup = POPUP_NONE;
		break;
	default:
		break;
	}
}

void
view_handle_key(struct view *v, int key)
{
	enum top_tab tab = v->tab;
	int64_t pos = v->sel_pos[tab];

	if (key == KEY_RESIZE || key == KEY_CTRL_L) {
		clearok(curscr, TRUE);
		return;
	}
	if (v->input != INPUT_NONE) {
		input_key(v, key);
		return;
	}
	if (v->popup != POPUP_NONE) {
		popup_key(v, key);
		return;
	}
	switch (key) {
	case 'q':
	case 'Q':
	case KEY_F(10):
		v->quit = true;
		break;
	case '1':
	case '2':
	case '3':
	case '4':
		switch_tab(v, key - '1');
		break;
	case '\t':
		switch_tab(v, (int)tab + 1);
		break;
	case KEY_BTAB:
		switch_tab(v, (int)tab - 1);
		break;
	case KEY_UP:
	case 'k':
		select_pos(v, pos - 1);
		break;
	case KEY_DOWN:
	case 'j':
		select_pos(v, pos + 1);
		break;
	case KEY_PPAGE:
		select_pos(v, pos - v->page_rows);
		break;
	case KEY_NPAGE:
		select_pos(v, pos + v->page_rows);
		break;
	case KEY_HOME:
	case 'g':
		select_pos(v, 0);
		break;
	case KEY_END:
	case 'G':
		select_pos(v, (int64_t)v->m->nr_order[tab] - 1);
		break;
	case '<':
	case ',':
		set_sort(v, v->m->sort_col[tab] - 1);
		break;
	case '>':
	case '.':
		set_sort(v, v->m->sort_col[tab] + 1);
		break;
	case KEY_F(6):
		v->sort_sel = v->m->sort_col[tab] < 0 ? 0 : v->m->sort_col[tab];
		v->popup = POPUP_SORT;
		break;
	case 'r':
	case 'I':
		v->m->sort_reverse[tab] = !v->m->sort_reverse[tab];
		view_arrange(v);
		break;
	case '/':
	case KEY_F(4):
		v->input = INPUT_FILTER;
		snprintf(v->input_buf, sizeof(v->input_buf), "%s", v->m->filter);
		break;
	case KEY_ESC:
		if (v->m->filter[0] != '\0') {
			v->m->filter[0] = '\0';
			view_arrange(v);
			view_set_status(v, false, "filter cleared");
		}
		break;
	case '\r':
	case '\n':
	case KEY_ENTER:
		view_open_details(v);
		break;
	case ' ':
		v->frozen = !v->frozen;
		if (!v->frozen) {
			view_refresh_now(v);
		}
		break;
	case 't':
		v->m->totals = !v->m->totals;
		view_arrange(v);
		view_set_status(v, false, "%s",
				v->m->totals ? "totals since creation"
					     : "values over the last interval");
		break;
	case 'd':
		v->input = INPUT_DELAY;
		v->input_buf[0] = '\0';
		break;
	case 'P':
		act_on_poller(v, false);
		break;
	case 'T':
		act_on_poller(v, true);
		break;
	case '?':
	case 'h':
	case KEY_F(1):
		v->popup = POPUP_HELP;
		v->popup_scroll = 0;
		break;
	default:
		break;
	}
}
