#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reef/log.h"

#define LOG_MAX_FLAGS 32
#define LOG_LINE_MAX  1024

static enum reef_log_level g_level = REEF_LOG_NOTICE;
static char g_ident[32] = "reef";
static bool g_timestamps;
static char g_flags[LOG_MAX_FLAGS][32];
static int g_flag_count;
static reef_log_hook_fn g_hook;
static void *g_hook_ctx;

void
reef_log_set_level(enum reef_log_level level)
{
	__atomic_store_n(&g_level, level, __ATOMIC_RELAXED);
}

enum reef_log_level
reef_log_get_level(void)
{
	return __atomic_load_n(&g_level, __ATOMIC_RELAXED);
}

void
reef_log_set_ident(const char *ident)
{
	snprintf(g_ident, sizeof(g_ident), "%s", ident ? ident : "reef");
}

const char *
reef_log_get_ident(void)
{
	return g_ident;
}

void
reef_log_set_timestamps(bool on)
{
	g_timestamps = on;
}

int
reef_log_set_flag(const char *component)
{
	if (reef_log_flag_enabled(component)) {
		/* Already covered (by itself or "all"): no new entry, but still debug level. */
		reef_log_set_level(REEF_LOG_DEBUG);
		return 0;
	}
	if (g_flag_count >= LOG_MAX_FLAGS) {
		return -ENOSPC;
	}
	snprintf(g_flags[g_flag_count], sizeof(g_flags[0]), "%s", component);
	g_flag_count++;
	reef_log_set_level(REEF_LOG_DEBUG);
	return 0;
}

void
reef_log_clear_flags(void)
{
	g_flag_count = 0;
}

bool
reef_log_flag_enabled(const char *component)
{
	int i;

	for (i = 0; i < g_flag_count; i++) {
		if (strcmp(g_flags[i], "all") == 0 || strcmp(g_flags[i], component) == 0) {
			return true;
		}
	}
	return false;
}

void
reef_log_set_hook(reef_log_hook_fn fn, void *ctx)
{
	g_hook_ctx = ctx;
	g_hook = fn;
}

void
reef_vlog(enum reef_log_level level, const char *file, int line, const char *func, const char *fmt,
	  va_list ap)
{
	char msg[LOG_LINE_MAX], out[LOG_LINE_MAX + 128], stamp[40] = "";
	const char *tag = "";
	size_t len;

	if (level > reef_log_get_level()) {
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	if (len > 0 && msg[len - 1] == '\n') {
		msg[len - 1] = '\0';
	}
	if (g_hook != NULL) {
		g_hook(level, msg, g_hook_ctx);
		return;
	}
	if (g_timestamps) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "[%F %T", &tm);
		snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%06ld] ",
			 ts.tv_nsec / 1000);
	}
	if (level == REEF_LOG_WARN) {
		tag = "warning: ";
	}
	if (level >= REEF_LOG_INFO) {
		const char *base = strrchr(file, '/');

		snprintf(out, sizeof(out), "%s%s: %s:%d %s: %s\n", stamp, g_ident,
			 base ? base + 1 : file, line, func, msg);
	} else {
		snprintf(out, sizeof(out), "%s%s: %s%s\n", stamp, g_ident, tag, msg);
	}
	/* One write per line so that lines of concurrent threads don't interleave. */
	fputs(out, stderr);
}

void
reef_log(enum reef_log_level level, const char *file, int line, const char *func, const char *fmt,
	 ...)
{
	va_list ap;

	va_start(ap, fmt);
	reef_vlog(level, file, line, func, fmt, ap);
	va_end(ap);
}

bool
reef_log_ratelimit_allow(struct reef_log_ratelimit *rl, uint64_t interval_ms, uint64_t *suppressed)
{
	struct timespec ts;
	uint64_t now, last;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	last = __atomic_load_n(&rl->last_ns, __ATOMIC_RELAXED);
	if (last != 0 && now - last < interval_ms * 1000000ULL) {
		__atomic_fetch_add(&rl->suppressed, 1, __ATOMIC_RELAXED);
		return false;
	}
	/* Only one of several racing threads wins the right to print. */
	if (!__atomic_compare_exchange_n(&rl->last_ns, &last, now, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED)) {
		__atomic_fetch_add(&rl->suppressed, 1, __ATOMIC_RELAXED);
		return false;
	}
	*suppressed = __atomic_exchange_n(&rl->suppressed, 0, __ATOMIC_RELAXED);
	return true;
}
