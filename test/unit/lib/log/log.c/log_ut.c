/*
 * Logging: level filtering, the hook tests use, the identity and layout of
 * printed lines, debug components, and rate limiting (driven through the
 * limiter's state, never by sleeping).
 */
#include "ut_main.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reef/log.h"

#define MAX_LINES 16

static struct {
	int n;
	enum reef_log_level level[MAX_LINES];
	char line[MAX_LINES][256];
} g_seen;

static void
record_hook(enum reef_log_level level, const char *line, void *ctx)
{
	int *calls = ctx;

	if (calls != NULL) {
		(*calls)++;
	}
	if (g_seen.n < MAX_LINES) {
		g_seen.level[g_seen.n] = level;
		snprintf(g_seen.line[g_seen.n], sizeof(g_seen.line[0]), "%s", line);
	}
	g_seen.n++;
}

static void
capture(void)
{
	memset(&g_seen, 0, sizeof(g_seen));
	reef_log_set_hook(record_hook, NULL);
}

/* Put everything back as a fresh process has it. */
static void
restore(void)
{
	reef_log_set_hook(NULL, NULL);
	reef_log_set_level(REEF_LOG_NOTICE);
	reef_log_set_ident(NULL);
	reef_log_set_timestamps(false);
	reef_log_clear_flags();
}

/* Run fn with stderr sent to a file; return what it printed. */
static void
stderr_of(void (*fn)(void), char *out, size_t len)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	CU_ASSERT_FATAL(tmp != NULL);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	CU_ASSERT_FATAL(saved >= 0);
	CU_ASSERT_FATAL(dup2(fileno(tmp), STDERR_FILENO) == STDERR_FILENO);
	fn();
	fflush(stderr);
	CU_ASSERT_FATAL(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, len - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void
log_defaults(void)
{
	CU_ASSERT(reef_log_get_level() == REEF_LOG_NOTICE);
	CU_ASSERT_STRING_EQUAL(reef_log_get_ident(), "reef");
	CU_ASSERT(!reef_log_flag_enabled("thread"));
}

static void
log_level_filters_less_severe_lines(void)
{
	capture();
	reef_log_set_level(REEF_LOG_WARN);
	CU_ASSERT(reef_log_get_level() == REEF_LOG_WARN);
	REEF_ERRLOG("e\n");
	REEF_WARNLOG("w\n");
	REEF_NOTICELOG("n\n");
	REEF_INFOLOG("i\n");
	reef_log(REEF_LOG_DEBUG, __FILE__, __LINE__, __func__, "d\n");
	CU_ASSERT_FATAL(g_seen.n == 2);
	CU_ASSERT(g_seen.level[0] == REEF_LOG_ERROR);
	CU_ASSERT_STRING_EQUAL(g_seen.line[0], "e");
	CU_ASSERT(g_seen.level[1] == REEF_LOG_WARN);
	CU_ASSERT_STRING_EQUAL(g_seen.line[1], "w");

	g_seen.n = 0;
	reef_log_set_level(REEF_LOG_INFO);
	REEF_NOTICELOG("n\n");
	REEF_INFOLOG("i\n");
	reef_log(REEF_LOG_DEBUG, __FILE__, __LINE__, __func__, "d\n");
	CU_ASSERT(g_seen.n == 2);

	g_seen.n = 0;
	reef_log_set_level(REEF_LOG_ERROR);
	REEF_WARNLOG("w\n");
	REEF_ERRLOG("e\n");
	CU_ASSERT(g_seen.n == 1);
	restore();
}

static void
log_hook_gets_formatted_line_without_newline(void)
{
	int calls = 0;

	memset(&g_seen, 0, sizeof(g_seen));
	reef_log_set_hook(record_hook, &calls);
	REEF_ERRLOG("table %s full (%u slots): raise %s\n", "poller", 256u, "--max-pollers");
	REEF_ERRLOG("no newline here");
	/* Only the one trailing newline goes. */
	REEF_ERRLOG("two\n\n");
	REEF_ERRLOG("\n");
	CU_ASSERT(calls == 4);
	CU_ASSERT_STRING_EQUAL(g_seen.line[0],
			       "table poller full (256 slots): raise --max-pollers");
	CU_ASSERT_STRING_EQUAL(g_seen.line[1], "no newline here");
	CU_ASSERT_STRING_EQUAL(g_seen.line[2], "two\n");
	CU_ASSERT_STRING_EQUAL(g_seen.line[3], "");
	restore();
}

static void
log_hook_line_has_no_ident(void)
{
	capture();
	reef_log_set_ident("myapp");
	REEF_WARNLOG("careful\n");
	CU_ASSERT_FATAL(g_seen.n == 1);
	CU_ASSERT_STRING_EQUAL(g_seen.line[0], "careful");
	restore();
}

static void
print_error_and_warning(void)
{
	REEF_ERRLOG("it broke\n");
	REEF_WARNLOG("it wobbles\n");
	REEF_NOTICELOG("it runs");
}

static void
log_stderr_lines_carry_ident_and_tag(void)
{
	char out[1024];

	restore();
	reef_log_set_ident("reefd");
	stderr_of(print_error_and_warning, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out,
			       "reefd: it broke\nreefd: warning: it wobbles\nreefd: it runs\n");
	/* NULL restores the default identity. */
	reef_log_set_ident(NULL);
	CU_ASSERT_STRING_EQUAL(reef_log_get_ident(), "reef");
	stderr_of(print_error_and_warning, out, sizeof(out));
	CU_ASSERT(strncmp(out, "reef: it broke\n", 15) == 0);
	restore();
}

static int g_info_line;

static void
print_info(void)
{
	g_info_line = __LINE__ + 1;
	REEF_INFOLOG("detail %d\n", 7);
}

static void
log_stderr_info_lines_name_their_source(void)
{
	char out[1024], expect[256];

	restore();
	reef_log_set_level(REEF_LOG_INFO);
	stderr_of(print_info, out, sizeof(out));
	snprintf(expect, sizeof(expect), "reef: log_ut.c:%d print_info: detail 7\n", g_info_line);
	CU_ASSERT_STRING_EQUAL(out, expect);
	restore();
}

static void
log_stderr_timestamps_prefix_lines(void)
{
	char out[1024];
	int y, mo, d, h, mi, s, us, n = 0;

	restore();
	reef_log_set_timestamps(true);
	stderr_of(print_error_and_warning, out, sizeof(out));
	CU_ASSERT(sscanf(out, "[%d-%d-%d %d:%d:%d.%d] reef: it broke\n%n", &y, &mo, &d, &h, &mi, &s,
			 &us, &n) == 7);
	CU_ASSERT(y >= 2024 && mo >= 1 && mo <= 12 && us >= 0 && us < 1000000);
	CU_ASSERT(strstr(out, "] reef: it broke\n") != NULL);
	restore();
}

static void
log_ident_is_copied_and_bounded(void)
{
	char name[64] = "tool";
	const char *long_name = "an_identity_far_longer_than_thirty_one_bytes";

	reef_log_set_ident(name);
	strcpy(name, "changed");
	CU_ASSERT_STRING_EQUAL(reef_log_get_ident(), "tool");
	reef_log_set_ident(long_name);
	CU_ASSERT(strlen(reef_log_get_ident()) == 31);
	CU_ASSERT(strncmp(reef_log_get_ident(), long_name, 31) == 0);
	restore();
}

static void
log_set_flag_enables_component_and_debug(void)
{
	restore();
	capture();
	CU_ASSERT(reef_log_set_flag("thread") == 0);
	CU_ASSERT(reef_log_get_level() == REEF_LOG_DEBUG);
	CU_ASSERT(reef_log_flag_enabled("thread"));
	CU_ASSERT(!reef_log_flag_enabled("reactor"));
	CU_ASSERT(!reef_log_flag_enabled("threa"));
	REEF_DEBUGLOG(thread, "on\n");
	REEF_DEBUGLOG(reactor, "off\n");
	CU_ASSERT_FATAL(g_seen.n == 1);
	CU_ASSERT(g_seen.level[0] == REEF_LOG_DEBUG);
	CU_ASSERT_STRING_EQUAL(g_seen.line[0], "on");
	/* Below debug level an enabled component stays quiet. */
	reef_log_set_level(REEF_LOG_NOTICE);
	REEF_DEBUGLOG(thread, "quiet\n");
	CU_ASSERT(g_seen.n == 1);
	reef_log_clear_flags();
	CU_ASSERT(!reef_log_flag_enabled("thread"));
	restore();
}

static void
log_flag_all_enables_every_component(void)
{
	restore();
	CU_ASSERT(reef_log_set_flag("all") == 0);
	CU_ASSERT(reef_log_flag_enabled("thread"));
	CU_ASSERT(reef_log_flag_enabled("reactor"));
	CU_ASSERT(reef_log_flag_enabled("anything"));
	capture();
	REEF_DEBUGLOG(poller, "seen\n");
	CU_ASSERT(g_seen.n == 1);
	/* A component covered by "all" still switches the level to debug. */
	reef_log_set_level(REEF_LOG_NOTICE);
	CU_ASSERT(reef_log_set_flag("thread") == 0);
	CU_ASSERT(reef_log_get_level() == REEF_LOG_DEBUG);
	reef_log_clear_flags();
	CU_ASSERT(!reef_log_flag_enabled("anything"));
	restore();
}

static void
log_set_flag_full_is_enospc(void)
{
	char name[32];
	int i;

	restore();
	for (i = 0; i < 32; i++) {
		snprintf(name, sizeof(name), "comp%d", i);
		CU_ASSERT(reef_log_set_flag(name) == 0);
	}
	CU_ASSERT(reef_log_set_flag("one_too_many") == -ENOSPC);
	CU_ASSERT(!reef_log_flag_enabled("one_too_many"));
	/* Setting one already enabled is not a new entry. */
	CU_ASSERT(reef_log_set_flag("comp5") == 0);
	CU_ASSERT(reef_log_flag_enabled("comp31"));
	reef_log_clear_flags();
	CU_ASSERT(reef_log_set_flag("one_too_many") == 0);
	restore();
}

static void
ratelimit_zero_interval_always_allows(void)
{
	struct reef_log_ratelimit rl = {0};
	uint64_t dropped = 99;
	int i;

	for (i = 0; i < 5; i++) {
		CU_ASSERT(reef_log_ratelimit_allow(&rl, 0, &dropped));
		CU_ASSERT(dropped == 0);
	}
}

static void
ratelimit_one_per_interval_then_reports_suppressed(void)
{
	const uint64_t hour_ms = 3600 * 1000;
	struct reef_log_ratelimit rl = {0};
	uint64_t dropped = 99;
	int i;

	CU_ASSERT(reef_log_ratelimit_allow(&rl, hour_ms, &dropped));
	CU_ASSERT(dropped == 0);
	for (i = 0; i < 3; i++) {
		CU_ASSERT(!reef_log_ratelimit_allow(&rl, hour_ms, &dropped));
	}
	CU_ASSERT(rl.suppressed == 3);
	/* Move the last print an interval into the past instead of waiting for it. */
	rl.last_ns -= hour_ms * 1000000ULL;
	CU_ASSERT(reef_log_ratelimit_allow(&rl, hour_ms, &dropped));
	CU_ASSERT(dropped == 3);
	CU_ASSERT(rl.suppressed == 0);
	CU_ASSERT(!reef_log_ratelimit_allow(&rl, hour_ms, &dropped));
}

static uint64_t g_interval_ms;

static void
ratelimited_site(int i)
{
	REEF_ERRLOG_RATELIMITED(g_interval_ms, "hot path failed %d\n", i);
}

static void
log_ratelimited_prints_once_and_counts_the_rest(void)
{
	int i;

	capture();
	g_interval_ms = 3600 * 1000;
	for (i = 0; i < 5; i++) {
		ratelimited_site(i);
	}
	CU_ASSERT_FATAL(g_seen.n == 1);
	CU_ASSERT_STRING_EQUAL(g_seen.line[0], "hot path failed 0");
	/* Once the interval allows another line, it says how many were dropped. */
	g_interval_ms = 0;
	ratelimited_site(5);
	CU_ASSERT_FATAL(g_seen.n == 2);
	CU_ASSERT_STRING_EQUAL(g_seen.line[1], "(4 similar lines suppressed) hot path failed 5");
	ratelimited_site(6);
	CU_ASSERT_FATAL(g_seen.n == 3);
	CU_ASSERT_STRING_EQUAL(g_seen.line[2], "hot path failed 6");
	restore();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, log_defaults);
	UT_ADD(suite, log_level_filters_less_severe_lines);
	UT_ADD(suite, log_hook_gets_formatted_line_without_newline);
	UT_ADD(suite, log_hook_line_has_no_ident);
	UT_ADD(suite, log_stderr_lines_carry_ident_and_tag);
	UT_ADD(suite, log_stderr_info_lines_name_their_source);
	UT_ADD(suite, log_stderr_timestamps_prefix_lines);
	UT_ADD(suite, log_ident_is_copied_and_bounded);
	UT_ADD(suite, log_set_flag_enables_component_and_debug);
	UT_ADD(suite, log_flag_all_enables_every_component);
	UT_ADD(suite, log_set_flag_full_is_enospc);
	UT_ADD(suite, ratelimit_zero_interval_always_allows);
	UT_ADD(suite, ratelimit_one_per_interval_then_reports_suppressed);
	UT_ADD(suite, log_ratelimited_prints_once_and_counts_the_rest);
	return 0;
}

UT_MAIN("log", add_tests)
