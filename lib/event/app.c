/*
 * reef_app_start / reef_app_stop: bring a primary up in order, run it, and
 * take it down in the reverse order when asked or signalled.
 *
 * Shutdown: the region goes "stopping", reactors refuse new threads, the
 * app's shutdown callback releases what it holds, every thread is asked to
 * exit, the app thread exits last once it is alone, reactors return, and the
 * region goes "stopped" before DPDK is cleaned up. The region's memory is not
 * freed before exit: readers in other processes may still be mapping it, and
 * DPDK would make them unmap it under their feet.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_internal.h"
#include "reef/env.h"
#include "reef/log.h"
#include "reef/util.h"
#include "reef_internal/client_server.h"
#include "reef_internal/thread.h"

#define SHUTDOWN_CHECK_US 1000
#define SIGNAL_CHECK_US   100000

static struct {
	struct reef_app_opts opts;
	struct reef_shm_region *region;
	struct reef_thread *app_thread;
	reef_app_start_cb start_cb;
	void *start_ctx;
	int rc;
	bool stopping;
	bool running;
	struct reef_poller *shutdown_poller;
	struct reef_poller *signal_poller;
	struct sigaction old_int, old_term;
	char second_signal_msg[160];
} g_app;

static volatile sig_atomic_t g_signals;

static void app_stop_on_thread(void *arg);

static void
app_stop_from_signal(void *arg)
{
	(void)arg;
	app_stop_on_thread((void *)(intptr_t)0);
}

static void
on_signal(int sig)
{
	/* Only async-signal-safe work here: a counter, write(2), a critical message. */
	if (g_signals++ > 0) {
		ssize_t n = write(STDERR_FILENO, g_app.second_signal_msg,
				  strlen(g_app.second_signal_msg));

		(void)n;
		_exit(128 + sig);
	}
	if (g_app.app_thread != NULL) {
		reef_thread_send_critical_msg(g_app.app_thread, app_stop_from_signal);
	}
}

static void
install_signals(void)
{
	struct sigaction sa;

	snprintf(g_app.second_signal_msg, sizeof(g_app.second_signal_msg),
		 "%s: second signal: exiting now without cleaning up (tools/setup.sh cleanup "
		 "removes what is left)\n",
		 reef_log_get_ident());
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &g_app.old_int);
	sigaction(SIGTERM, &sa, &g_app.old_term);
	signal(SIGPIPE, SIG_IGN);
}

static void
restore_signals(void)
{
	sigaction(SIGINT, &g_app.old_int, NULL);
	sigaction(SIGTERM, &g_app.old_term, NULL);
}

bool
reef_app_is_stopping(void)
{
	return __atomic_load_n(&g_app.stopping, __ATOMIC_ACQUIRE);
}

struct reef_shm_region *
reef_app_get_region(void)
{
	return g_app.region;
}

static void
thread_exit_msg(void *arg)
{
	(void)arg;
	reef_thread_exit(reef_get_thread());
}

/* On the app thread: leave last, once every other thread is gone. */
static int
shutdown_poll(void *arg)
{
	(void)arg;
	if (reef_thread_get_count() > 1) {
		return REEF_POLLER_IDLE;
	}
	reef_poller_unregister(&g_app.shutdown_poller);
	reef_poller_unregister(&g_app.signal_poller);
	reef_thread_exit(g_app.app_thread);
	return REEF_POLLER_BUSY;
}

static void
app_stop_on_thread(void *arg)
{
	uint32_t lost;

	if (g_app.stopping) {
		return;
	}
	g_app.rc = (int)(intptr_t)arg;
	__atomic_store_n(&g_app.stopping, true, __ATOMIC_RELEASE);
	REEF_NOTICELOG("shutting down\n");
	reef_shm_set_state(g_app.region, REEF_REGION_STOPPING);
	reef__client_server_stop();
	reef__reactors_stop();
	if (g_app.opts.shutdown_cb != NULL) {
		g_app.opts.shutdown_cb(g_app.opts.shutdown_ctx);
	}
	lost = reef__thread_send_all(thread_exit_msg, NULL, g_app.app_thread);
	if (lost != 0) {
		REEF_ERRLOG("%u thread(s) could not be asked to exit; they time out instead\n",
			    lost);
	}
	g_app.shutdown_poller =
		reef_poller_register_named(shutdown_poll, NULL, SHUTDOWN_CHECK_US, "app_shutdown");
}

void
reef_app_stop(int rc)
{
	if (g_app.app_thread == NULL) {
		return;
	}
	reef_thread_exec_msg(g_app.app_thread, app_stop_on_thread, (void *)(intptr_t)rc);
}

/* A fallback for a signal whose critical message could not be queued. */
static int
signal_poll(void *arg)
{
	(void)arg;
	if (g_signals > 0 && !g_app.stopping) {
		app_stop_on_thread((void *)(intptr_t)0);
		return REEF_POLLER_BUSY;
	}
	return REEF_POLLER_IDLE;
}

static void
app_started(void *arg)
{
	(void)arg;
	g_app.signal_poller =
		reef_poller_register_named(signal_poll, NULL, SIGNAL_CHECK_US, "app_signals");
	if (g_signals > 0) {
		app_stop_on_thread((void *)(intptr_t)0);
		return;
	}
	if (g_app.start_cb != NULL) {
		g_app.start_cb(g_app.start_ctx);
	}
}

static int
resolve_cpumask(const struct reef_app_opts *opts, struct reef_cpuset *mask, bool *given)
{
	*given = opts->cpumask != NULL;
	if (!*given) {
		return 0;
	}
	if (reef_cpuset_parse(mask, opts->cpumask) != 0 || reef_cpuset_count(mask) == 0) {
		REEF_ERRLOG("bad core mask '%s': use hex (0x3) or a list ([0-1])\n", opts->cpumask);
		return -EINVAL;
	}
	return 0;
}

static int
start_env(const struct reef_app_opts *opts)
{
	struct reef_env_opts env_opts;
	struct reef_cpuset mask;
	bool mask_given;
	int rc;

	rc = resolve_cpumask(opts, &mask, &mask_given);
	if (rc != 0) {
		return rc;
	}
	reef_env_opts_init(&env_opts, sizeof(env_opts));
	env_opts.role = REEF_ENV_PRIMARY;
	env_opts.name = opts->name;
	env_opts.cpumask = mask_given ? &mask : NULL;
	env_opts.main_core = opts->main_core;
	env_opts.mem_size_mb = opts->mem_size_mb;
	env_opts.dpdk_verbose = opts->dpdk_verbose;
	return reef_env_init(&env_opts);
}

static int
start_threads(void)
{
	struct reef_cpuset main_only;

	reef_cpuset_zero(&main_only);
	reef_cpuset_set_cpu(&main_only, reef_env_main_lcore(), true);
	if (reef_thread_lib_init_ext(reef__scheduler_thread_op, reef__scheduler_thread_op_supported,
				     sizeof(struct reef_lw_thread)) != 0) {
		return -ENODEV;
	}
	g_app.app_thread = reef_thread_create("app_thread", &main_only);
	if (g_app.app_thread == NULL) {
		reef_thread_lib_fini();
		return -ENOMEM;
	}
	reef_thread_bind(g_app.app_thread, true);
	return reef_thread_send_msg(g_app.app_thread, app_started, NULL);
}

static uint64_t
stall_sample_us(uint64_t stall_us)
{
	uint64_t us = stall_us / 4;

	return us < 1000 ? 1000 : (us > 100000 ? 100000 : us);
}

int
reef_app_start(const struct reef_app_opts *opts, reef_app_start_cb start_cb, void *ctx)
{
	struct reef_cpuset lcores;
	uint32_t lcore, main_lcore;
	uint64_t hz;
	int rc;

	if (g_app.running) {
		REEF_ERRLOG("an app is already running in this process\n");
		return -EALREADY;
	}
	memset(&g_app, 0, sizeof(g_app));
	memcpy(&g_app.opts, opts,
	       opts->opts_size < sizeof(g_app.opts) ? opts->opts_size : sizeof(g_app.opts));
	g_app.start_cb = start_cb;
	g_app.start_ctx = ctx;
	g_signals = 0;

	rc = reef_shm_limits_validate(&g_app.opts.limits);
	if (rc != 0) {
		return rc;
	}
	if (g_app.opts.interrupt_mode && !reef_interrupt_mode_is_enabled()) {
		reef_interrupt_mode_enable();
	}
	install_signals();
	rc = start_env(&g_app.opts);
	if (rc != 0) {
		restore_signals();
		return rc;
	}
	rc = reef_shm_create(reef_env_get_name(), &g_app.opts.limits, &g_app.region);
	if (rc != 0) {
		goto fail_env;
	}
	hz = reef_get_ticks_hz();
	reef__stall_init(reef_usec_to_ticks(g_app.opts.stall_us, hz),
			 reef_usec_to_ticks(stall_sample_us(g_app.opts.stall_us), hz));
	reef_env_get_lcores(&lcores);
	main_lcore = reef_env_main_lcore();
	rc = reef__reactors_init(g_app.region, &lcores, g_app.opts.interrupt_mode,
				 reef_usec_to_ticks(g_app.opts.stall_us, hz));
	if (rc != 0) {
		goto fail_region;
	}
	reef__telemetry_register();
	rc = reef__client_server_start(g_app.region, g_app.opts.interrupt_mode);
	if (rc != 0) {
		goto fail_reactors;
	}
	rc = start_threads();
	if (rc != 0) {
		goto fail_server;
	}
	reef__client_server_serve_from(g_app.app_thread);
	if (g_app.opts.stall_us != 0) {
		reef__stall_watchdog_start(stall_sample_us(g_app.opts.stall_us));
	}
	g_app.running = true;
	reef_shm_set_state(g_app.region, REEF_REGION_RUNNING);

	REEF_CPUSET_FOREACH(lcore, &lcores)
	{
		if (lcore != main_lcore) {
			reef_env_lcore_launch(lcore, reef__reactor_run, reef__reactor_get(lcore));
		}
	}
	reef__reactor_run(reef__reactor_get(main_lcore));
	REEF_CPUSET_FOREACH(lcore, &lcores)
	{
		if (lcore != main_lcore) {
			reef_env_lcore_wait(lcore);
		}
	}

	reef__stall_watchdog_stop();
	reef__client_server_fini();
	g_app.app_thread = NULL;
	reef_thread_lib_fini();
	reef__reactors_fini();
	reef_shm_set_state(g_app.region, REEF_REGION_STOPPED);
	reef_shm_close(g_app.region);
	g_app.region = NULL;
	g_app.running = false;
	restore_signals();
	reef_env_fini();
	return g_app.rc;

fail_server:
	reef__client_server_fini();
fail_reactors:
	reef__reactors_fini();
fail_region:
	reef_shm_destroy(g_app.region);
	g_app.region = NULL;
fail_env:
	reef_env_fini();
	restore_signals();
	return rc;
}
