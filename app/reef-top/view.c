/*
 * The interactive screen's loop: refresh the model at the chosen interval,
 * redraw, read keys, collect action replies, and leave cleanly when the
 * primary goes.
 */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reef/log.h"
#include "view.h"

/* Longest wait for a key: how quickly a dead primary or an action reply is noticed. */
#define TICK_MS 100
/* How long the "primary died" screen stays before reef-top exits (within the 2 s promised). */
#define GONE_HOLD_MS 900
#define STATUS_NS    6000000000ULL

static struct view *g_view; /* for the log hook */

void
view_set_status(struct view *v, bool err, const char *fmt, ...)
{
	va_list ap;
	char *nl;

	va_start(ap, fmt);
	vsnprintf(v->status, sizeof(v->status), fmt, ap);
	va_end(ap);
	nl = strchr(v->status, '\n');
	if (nl != NULL) {
		*nl = '\0';
	}
	v->status_err = err;
	v->status_until_ns = top_now_ns() + STATUS_NS;
}

void
view_fmt_seconds(double seconds, char *buf, size_t len)
{
	char *end;

	snprintf(buf, len, "%.3f", seconds);
	end = buf + strlen(buf);
	while (end > buf && end[-1] == '0') {
		*--end = '\0';
	}
	if (end > buf && end[-1] == '.') {
		end[-1] = '\0';
	}
}

/* Library log lines would scribble over the screen: show them in the status line. */
static void
log_hook(enum reef_log_level level, const char *line, void *ctx)
{
	(void)ctx;
	if (g_view != NULL) {
		view_set_status(g_view, level <= REEF_LOG_WARN, "%s", line);
	}
}

static const short g_pairs[STYLE_COUNT][2] = {
	[STYLE_HEADER] = {COLOR_BLACK, COLOR_CYAN},
	[STYLE_TAB] = {COLOR_WHITE, COLOR_BLUE},
	[STYLE_TAB_ON] = {COLOR_BLACK, COLOR_GREEN},
	[STYLE_COLUMNS] = {COLOR_BLACK, COLOR_GREEN},
	[STYLE_SORTED] = {COLOR_BLACK, COLOR_CYAN},
	[STYLE_SELECTED] = {COLOR_BLACK, COLOR_CYAN},
	[STYLE_BUSY] = {COLOR_GREEN, -1},
	[STYLE_IDLE] = {COLOR_BLUE, -1},
	[STYLE_PAUSED] = {COLOR_YELLOW, -1},
	[STYLE_ALERT] = {COLOR_RED, -1},
	[STYLE_SLEEP] = {COLOR_CYAN, -1},
	[STYLE_WARM] = {COLOR_YELLOW, -1},
	[STYLE_HOT] = {COLOR_RED, -1},
	[STYLE_STATUS_OK] = {COLOR_BLACK, COLOR_YELLOW},
	[STYLE_STATUS_ERR] = {COLOR_WHITE, COLOR_RED},
	[STYLE_KEY] = {COLOR_BLACK, COLOR_CYAN},
};

int
view_attr(const struct view *v, enum view_style s)
{
	if (v->color) {
		int a = s == STYLE_NORMAL ? A_NORMAL : (int)COLOR_PAIR(s);

		if (s == STYLE_ALERT || s == STYLE_HOT || s == STYLE_TAB_ON) {
			a |= A_BOLD;
		}
		return a;
	}
	/* Monochrome: the same distinctions with attributes every terminal has. */
	switch (s) {
	case STYLE_HEADER:
	case STYLE_TAB_ON:
	case STYLE_COLUMNS:
	case STYLE_SELECTED:
	case STYLE_STATUS_OK:
	case STYLE_KEY:
		return A_REVERSE;
	case STYLE_SORTED:
	case STYLE_STATUS_ERR:
		return A_REVERSE | A_BOLD;
	case STYLE_ALERT:
	case STYLE_HOT:
		return A_BOLD;
	case STYLE_PAUSED:
		return A_UNDERLINE;
	case STYLE_IDLE:
		return A_DIM;
	case STYLE_SLEEP:
		return A_DIM | A_UNDERLINE;
	default:
		return A_NORMAL;
	}
}

static void
setup_colors(struct view *v)
{
	int s;

	v->color = !v->opts->no_color && getenv("NO_COLOR") == NULL && has_colors();
	if (!v->color) {
		return;
	}
	start_color();
	use_default_colors();
	for (s = 1; s < STYLE_COUNT; s++) {
		init_pair((short)s, g_pairs[s][0], g_pairs[s][1]);
	}
}

/* Keep the selection on the same object; if it left the view, on the same line. */
void
view_arrange(struct view *v)
{
	enum top_tab tab = v->tab;
	int64_t n, pos;

	top_model_arrange(v->m, tab);
	n = v->m->nr_order[tab];
	pos = v->has_sel[tab] ? top_model_find_key(v->m, tab, v->sel_key[tab]) : 0;
	if (pos < 0) {
		pos = v->sel_pos[tab];
	}
	if (pos >= n) {
		pos = n - 1;
	}
	if (pos < 0) {
		pos = 0;
	}
	v->sel_pos[tab] = pos;
	v->has_sel[tab] = n > 0;
	if (n > 0) {
		v->sel_key[tab] = top_model_row_key(v->m, tab, v->m->order[tab][pos]);
	}
}

void
view_refresh_now(struct view *v)
{
	top_source_refresh(v->src);
	view_arrange(v);
	v->next_refresh_ns = top_now_ns() + (uint64_t)(v->delay_s * 1e9);
}

/* Show the end on the screen for a moment, then report it on the terminal too. */
static void
show_gone(struct view *v, char *msg, size_t len)
{
	top_source_gone_msg(v->src, v->liveness, msg, len);
	view_set_status(v, v->liveness == TOP_PRIMARY_DIED, "%s: reef-top exits", msg);
	v->popup = POPUP_NONE;
	view_draw_screen(v);
	doupdate();
	napms(GONE_HOLD_MS);
}

static void
collect_action(struct view *v)
{
	char msg[256];
	bool failed = false;

	if (top_action_poll(msg, sizeof(msg), &failed) == 1) {
		view_set_status(v, failed, "%s", msg);
		if (!v->frozen) {
			view_refresh_now(v);
		}
	}
}

static void
loop(struct view *v)
{
	while (!v->quit && !g_top_stop) {
		uint64_t now = top_now_ns();
		int wait_ms = TICK_MS, key;

		v->liveness = top_source_liveness(v->src);
		if (v->liveness == TOP_PRIMARY_STOPPED || v->liveness == TOP_PRIMARY_DIED) {
			return;
		}
		if (!v->frozen && now >= v->next_refresh_ns) {
			view_refresh_now(v);
		}
		collect_action(v);
		view_draw_screen(v);
		doupdate();
		if (!v->frozen && v->next_refresh_ns > now &&
		    (v->next_refresh_ns - now) / 1000000 < (uint64_t)wait_ms) {
			wait_ms = (int)((v->next_refresh_ns - now) / 1000000) + 1;
		}
		timeout(wait_ms);
		key = getch();
		/* Take every key typed meanwhile before the next redraw: scrolling keeps up. */
		while (key != ERR && !v->quit) {
			view_handle_key(v, key);
			timeout(0);
			key = getch();
		}
	}
}

/*
 * Curses on this terminal, or one line saying why not: initscr() would exit
 * with its message in the parked stderr, and a terminal that cannot move the
 * cursor (TERM=dumb) would show garbage.
 */
static int
open_terminal(SCREEN **screen)
{
	const char *term = getenv("TERM");
	char *cup;

	*screen = newterm(NULL, stdout, stdin);
	if (*screen == NULL) {
		fprintf(stderr,
			"reef-top: unknown terminal type '%s' (TERM): set a known one, or use -b "
			"or --json\n",
			term != NULL ? term : "");
		return -ENOTTY;
	}
	cup = tigetstr("cup");
	if (cup == NULL || cup == (char *)-1) {
		endwin();
		delscreen(*screen);
		fprintf(stderr,
			"reef-top: terminal '%s' cannot move the cursor: use a full-screen one "
			"(TERM=xterm, vt100, ...), or -b or --json\n",
			term != NULL ? term : "");
		return -ENOTTY;
	}
	return 0;
}

int
top_view_run(struct top_source *s, const struct top_opts *o)
{
	static struct view v;
	char msg[128] = "";
	int saved_err, code = TOP_EXIT_OK;
	SCREEN *screen;
	FILE *sink;

	memset(&v, 0, sizeof(v));
	v.src = s;
	v.m = &s->model;
	v.opts = o;
	v.tab = o->tab;
	v.delay_s = o->delay_s;
	setlocale(LC_ALL, "");
	v.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;

	if (open_terminal(&screen) != 0) {
		return TOP_EXIT_FAIL;
	}

	/*
	 * DPDK and the libraries write to stderr, which is the screen: park it
	 * in a file while curses owns the terminal. Reef's own lines reach the
	 * status line through the log hook.
	 */
	fflush(stderr);
	saved_err = dup(STDERR_FILENO);
	sink = tmpfile();
	if (sink != NULL && saved_err >= 0) {
		dup2(fileno(sink), STDERR_FILENO);
	}
	g_view = &v;
	reef_log_set_hook(log_hook, NULL);

	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	setup_colors(&v);

	/* A first screen at once, with rates over a short first interval. */
	top_source_refresh(s);
	napms(200);
	view_refresh_now(&v);
	loop(&v);
	if (v.liveness == TOP_PRIMARY_STOPPED || v.liveness == TOP_PRIMARY_DIED) {
		show_gone(&v, msg, sizeof(msg));
		code = v.liveness == TOP_PRIMARY_DIED ? TOP_EXIT_FAIL : TOP_EXIT_OK;
	}
	endwin();
	delscreen(screen);
	reef_log_set_hook(NULL, NULL);
	g_view = NULL;
	if (saved_err >= 0) {
		dup2(saved_err, STDERR_FILENO);
		close(saved_err);
	}
	if (sink != NULL) {
		fclose(sink);
	}
	if (msg[0] != '\0') {
		fprintf(stderr, "reef-top: %s\n", msg);
	}
	return code;
}
