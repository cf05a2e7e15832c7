/*
 * The app framework: a Reef primary in one call.
 *
 * reef_app_start() initialises DPDK as the primary of an app name, creates
 * the shared region, starts one reactor per core of the core mask, creates
 * the app thread on the main core and runs your start callback there. Reactors
 * run their lightweight threads round-robin, account busy and idle cycles,
 * place new threads on the least-loaded core of their cpumask, move threads
 * whose cpumask changes, and watch for stalls. SIGINT/SIGTERM (or
 * reef_app_stop) shut everything down in order.
 *
 * Every Reef program parses the same options with reef_app_parse_args().
 */
#ifndef REEF_EVENT_H
#define REEF_EVENT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reef/shm.h"
#include "reef/thread.h"

/* Called once on the app thread when the app has started. */
typedef void (*reef_app_start_cb)(void *ctx);
/*
 * Called once on the app thread when shutdown begins: release what you hold
 * (unregister pollers on their threads, put channels, unregister devices).
 * Threads then exit as soon as nothing holds them, or after
 * REEF_THREAD_EXIT_TIMEOUT_SEC.
 */
typedef void (*reef_app_shutdown_cb)(void *ctx);

#define REEF_APP_DEFAULT_STALL_US 10000

struct reef_app_opts {
	/* sizeof(struct reef_app_opts) as the caller knows it: new fields go at the end. */
	size_t opts_size;
	/* App name (-n): the region and DPDK prefix. NULL: "reef". */
	const char *name;
	/* Core mask (-m), "0x3" or "[0-1]". NULL: every core this process may use. */
	const char *cpumask;
	/* Main core (--main-core); -1: the first core of the mask. */
	int main_core;
	/* Table sizes (--max-threads, --max-pollers, ...). */
	struct reef_shm_limits limits;
	/* Sleep idle reactors in epoll instead of spinning (--interrupt). */
	bool interrupt_mode;
	/* Hugepage memory to reserve up front in MiB (--mem-size); 0: on demand. */
	uint32_t mem_size_mb;
	/* Iterations longer than this are stalls (--stall-us); 0 turns the detector off. */
	uint64_t stall_us;
	/* Called when shutdown begins (may be NULL). */
	reef_app_shutdown_cb shutdown_cb;
	void *shutdown_ctx;
	/* Print DPDK's start-up log (--dpdk-verbose). */
	bool dpdk_verbose;
};

/* Fill opts with the defaults. */
void reef_app_opts_init(struct reef_app_opts *opts, size_t opts_size);

enum reef_app_parse_result {
	REEF_APP_PARSE_OK = 0,
	/* -h or -v was handled: exit 0. */
	REEF_APP_PARSE_EXIT = 1,
	/* A bad option: one line was printed, exit 2. */
	REEF_APP_PARSE_FAIL = 2,
};

/*
 * Parse the standard options into opts, plus the app's own: app_short and
 * app_long list them (may be NULL) and app_parse(ch, optarg) handles each
 * (return 0, or non-zero after printing one line for a bad value). app_usage
 * prints the app's own options for -h. The strings in opts point into argv.
 *
 * Standard options: -m/--cpumask MASK, -n/--name NAME, --main-core N,
 * --max-threads N, --max-pollers N, --max-devices N, --max-channels N,
 * --max-clients N, --max-handlers N, --msg-ring-size N, --interrupt,
 * --mem-size MB, --stall-us US, -L/--log-flag COMPONENT, --dpdk-verbose,
 * -h/--help, -v/--version.
 */
enum reef_app_parse_result reef_app_parse_args(int argc, char **argv, struct reef_app_opts *opts,
					       const char *app_short, const struct option *app_long,
					       int (*app_parse)(int ch, char *arg),
					       void (*app_usage)(void));

/* Print the standard options' help (reef_app_parse_args does it for -h). */
void reef_app_usage(void);

/*
 * Start the app and run until it stops. Call from the main thread; blocks.
 * Returns the code given to reef_app_stop(), or a negative errno when the
 * app could not start (after one clear log line): -EINVAL (bad options),
 * -ENOMEM (hugepages), -EEXIST (name in use), -EIO (DPDK).
 */
int reef_app_start(const struct reef_app_opts *opts, reef_app_start_cb start_cb, void *ctx);

/* Begin an orderly shutdown; reef_app_start returns rc. Any thread of the primary. */
void reef_app_stop(int rc);

/* Whether shutdown has begun. Any thread. */
bool reef_app_is_stopping(void);

/* The region of the running app. */
struct reef_shm_region *reef_app_get_region(void);

/* The lcore whose reactor runs the calling OS thread, or UINT32_MAX. */
uint32_t reef_reactor_get_current_lcore(void);

/* The lcore a thread is running on (UINT32_MAX while it moves or before it starts). */
uint32_t reef_thread_get_lcore(const struct reef_thread *thread);

#endif /* REEF_EVENT_H */
