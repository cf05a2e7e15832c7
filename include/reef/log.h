/*
 * Logging. Every Reef library reports through these macros; programs choose
 * the level, the identity printed in front of each line and where lines go.
 *
 * Lines look like "reefd: thread table full (1024 slots): raise --max-threads".
 * Errors are meant to be read by a person at a terminal: one line, what
 * happened and what to do. Any thread may log.
 */
#ifndef REEF_LOG_H
#define REEF_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum reef_log_level {
	REEF_LOG_ERROR = 0,
	REEF_LOG_WARN,
	REEF_LOG_NOTICE,
	REEF_LOG_INFO,
	REEF_LOG_DEBUG,
};

/* Print lines at this level and more severe ones (default REEF_LOG_NOTICE). */
void reef_log_set_level(enum reef_log_level level);
enum reef_log_level reef_log_get_level(void);

/* Name printed before each line (default "reef"); the string is copied. */
void reef_log_set_ident(const char *ident);
const char *reef_log_get_ident(void);

/* Prefix lines with a wall-clock time stamp (off by default). */
void reef_log_set_timestamps(bool on);

/*
 * Enable REEF_DEBUGLOG lines of a component ("thread", "reactor", ... or
 * "all"), and switch the level to debug. Returns 0 or -ENOSPC when too many
 * components are enabled.
 */
int reef_log_set_flag(const char *component);
void reef_log_clear_flags(void);
bool reef_log_flag_enabled(const char *component);

/*
 * Receive every line that passes the level (after it is formatted, without
 * the identity prefix) instead of printing it to stderr; NULL restores stderr.
 * Tests use it to check what an error said.
 */
typedef void (*reef_log_hook_fn)(enum reef_log_level level, const char *line, void *ctx);
void reef_log_set_hook(reef_log_hook_fn fn, void *ctx);

void reef_log(enum reef_log_level level, const char *file, int line, const char *func,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void reef_vlog(enum reef_log_level level, const char *file, int line, const char *func,
	       const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* State of one rate-limited call site. */
struct reef_log_ratelimit {
	uint64_t last_ns;
	uint64_t suppressed;
};

/*
 * Whether a rate-limited line may print now (at most one per interval_ms);
 * *suppressed receives how many were dropped since the last one printed.
 */
bool reef_log_ratelimit_allow(struct reef_log_ratelimit *rl, uint64_t interval_ms,
			      uint64_t *suppressed);

#define REEF_LOG_AT(level, ...) reef_log((level), __FILE__, __LINE__, __func__, __VA_ARGS__)

#define REEF_ERRLOG(...)        REEF_LOG_AT(REEF_LOG_ERROR, __VA_ARGS__)
#define REEF_WARNLOG(...)       REEF_LOG_AT(REEF_LOG_WARN, __VA_ARGS__)
#define REEF_NOTICELOG(...)     REEF_LOG_AT(REEF_LOG_NOTICE, __VA_ARGS__)
#define REEF_INFOLOG(...)       REEF_LOG_AT(REEF_LOG_INFO, __VA_ARGS__)

#define REEF_DEBUGLOG(component, ...)                                                              \
	do {                                                                                       \
		if (reef_log_get_level() >= REEF_LOG_DEBUG && reef_log_flag_enabled(#component)) { \
			REEF_LOG_AT(REEF_LOG_DEBUG, __VA_ARGS__);                                  \
		}                                                                                  \
	} while (0)

/* For hot paths: at most one line per interval_ms from this call site. */
#define REEF_LOG_RATELIMITED(level, interval_ms, fmt, ...)                                   \
	do {                                                                                 \
		static struct reef_log_ratelimit _rl;                                        \
		uint64_t _dropped;                                                           \
		if (reef_log_ratelimit_allow(&_rl, (interval_ms), &_dropped)) {              \
			if (_dropped) {                                                      \
				REEF_LOG_AT((level), "(%llu similar lines suppressed) " fmt, \
					    (unsigned long long)_dropped, ##__VA_ARGS__);    \
			} else {                                                             \
				REEF_LOG_AT((level), fmt, ##__VA_ARGS__);                    \
			}                                                                    \
		}                                                                            \
	} while (0)

#define REEF_ERRLOG_RATELIMITED(ms, ...)  REEF_LOG_RATELIMITED(REEF_LOG_ERROR, ms, __VA_ARGS__)
#define REEF_WARNLOG_RATELIMITED(ms, ...) REEF_LOG_RATELIMITED(REEF_LOG_WARN, ms, __VA_ARGS__)

#endif /* REEF_LOG_H */
