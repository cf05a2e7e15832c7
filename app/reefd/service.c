/*
 * reefd's synthetic service. On every core: worker threads, each with
 * channels to a fake block device and a fake NIC, an I/O poller that finds
 * work in load% of its runs, timed pollers at 100 us, 1 ms, 100 ms and 1 s, a
 * poller that pauses itself and is resumed a second later, and a stream of
 * messages to the next worker. One thread roams from core to core; one poller
 * can stall its reactor on purpose to show the stall detector.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reef/client.h"
#include "reef/env.h"
#include "reef/event.h"
#include "reef/log.h"
#include "reef/string.h"
#include "service.h"

struct fake_device {
	const char *name;
	uint64_t ios; /* completed, summed over channels as they close */
};

/* Per-thread channel context of a fake device. */
struct device_channel {
	uint64_t ios;
};

struct worker {
	struct reef_thread *thread;
	uint64_t thread_id;
	uint32_t core;
	uint32_t index;
	uint32_t load_pct;
	uint64_t rng;
	uint64_t msgs_in;
	struct reef_poller *io;
	struct reef_poller *timers[4];
	struct reef_poller *flap;
	struct reef_poller *flap_resume;
	struct reef_poller *sender;
	struct reef_poller *slow;
	struct reef_poller *roam;
	struct reef_io_channel *blk;
	struct reef_io_channel *nic;
	struct worker *next;
};

static struct service_opts g_opts;
static struct fake_device g_blk = {.name = "fake_blk0"};
static struct fake_device g_nic = {.name = "fake_nic0"};
static struct worker *g_workers;
static uint32_t g_nr_workers;
static uint64_t g_ticks_per_ns_x1024;

static uint64_t
rng_next(uint64_t *state)
{
	/* xorshift64: cheap, and good enough to decide whether a poll finds work. */
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static void
spin_ns(uint64_t ns)
{
	uint64_t end = reef_get_ticks() + ((ns * g_ticks_per_ns_x1024) >> 10);

	while (reef_get_ticks() < end) {
	}
}

static int
channel_create(void *io_device, void *ctx_buf)
{
	(void)io_device;
	memset(ctx_buf, 0, sizeof(struct device_channel));
	return 0;
}

static void
channel_destroy(void *io_device, void *ctx_buf)
{
	struct fake_device *dev = io_device;
	struct device_channel *ch = ctx_buf;

	__atomic_fetch_add(&dev->ios, ch->ios, __ATOMIC_RELAXED);
}

/* Active: completes "I/O" on the worker's channels in load% of runs. */
static int
io_poll(void *arg)
{
	struct worker *w = arg;
	struct device_channel *blk, *nic;

	if (rng_next(&w->rng) % 100 >= w->load_pct) {
		return REEF_POLLER_IDLE;
	}
	blk = reef_io_channel_get_ctx(w->blk);
	nic = reef_io_channel_get_ctx(w->nic);
	spin_ns(g_opts.work_ns);
	blk->ios++;
	nic->ios++;
	return REEF_POLLER_BUSY;
}

/* Timed housekeeping: cheap work, now and then. */
static int
timer_poll(void *arg)
{
	struct worker *w = arg;

	if (rng_next(&w->rng) % 4 == 0) {
		spin_ns(g_opts.work_ns / 4);
		return REEF_POLLER_BUSY;
	}
	return REEF_POLLER_IDLE;
}

/* Runs a while, then pauses itself; flap_resume wakes it up again. */
static int
flap_poll(void *arg)
{
	struct worker *w = arg;

	if (rng_next(&w->rng) % 100000 == 0) {
		reef_poller_pause(w->flap);
	}
	return REEF_POLLER_IDLE;
}

static int
flap_resume_poll(void *arg)
{
	struct worker *w = arg;

	if (reef_poller_get_state(w->flap) == REEF_POLLER_STATE_PAUSED) {
		reef_poller_resume(w->flap);
		return REEF_POLLER_BUSY;
	}
	reef_poller_pause(w->flap);
	return REEF_POLLER_BUSY;
}

static void
msg_arrived(void *arg)
{
	struct worker *w = arg;

	w->msgs_in++;
}

/* Keeps messages flowing around the ring of workers. */
static int
sender_poll(void *arg)
{
	struct worker *w = arg;
	int i;

	/* By id: during shutdown the next worker may already be gone. */
	for (i = 0; i < 4; i++) {
		if (reef_thread_send_msg_by_id(w->next->thread_id, msg_arrived, w->next) != 0) {
			break;
		}
	}
	return REEF_POLLER_BUSY;
}

/* Holds the reactor hostage now and then, for the stall detector to catch. */
static int
slow_poll(void *arg)
{
	(void)arg;
	spin_ns((uint64_t)g_opts.stall_ms * 1000000ULL);
	return REEF_POLLER_BUSY;
}

/* Moves its thread to the next core of the app. */
static int
roam_poll(void *arg)
{
	struct worker *w = arg;
	struct reef_cpuset all, next;
	uint32_t core;

	reef_env_get_lcores(&all);
	if (reef_cpuset_count(&all) < 2) {
		return REEF_POLLER_IDLE;
	}
	core = reef_cpuset_next(&all, reef_thread_get_lcore(w->thread) + 1);
	if (core >= REEF_MAX_LCORE) {
		core = reef_cpuset_next(&all, 0);
	}
	reef_cpuset_zero(&next);
	reef_cpuset_set_cpu(&next, core, true);
	reef_thread_set_cpumask(&next);
	return REEF_POLLER_BUSY;
}

static void
worker_start(void *arg)
{
	static const uint64_t periods[4] = {100, 1000, 100000, 1000000};
	static const char *const names[4] = {"nic_rx_timer", "blk_flush", "health_check",
					     "stats_report"};
	struct worker *w = arg;
	int i;

	w->blk = reef_get_io_channel(&g_blk);
	w->nic = reef_get_io_channel(&g_nic);
	if (w->blk == NULL || w->nic == NULL) {
		REEF_ERRLOG("worker %s has no channels: stopping\n",
			    reef_thread_get_name(w->thread));
		reef_app_stop(1);
		return;
	}
	/*
	 * In interrupt mode a thread with an active poller can never sleep, so
	 * the I/O poller becomes a timed one there and idle reactors really idle.
	 */
	w->io = reef_poller_register_named(io_poll, w, reef_interrupt_mode_is_enabled() ? 1000 : 0,
					   "io_poll");
	for (i = 0; i < 4; i++) {
		w->timers[i] = reef_poller_register_named(timer_poll, w, periods[i], names[i]);
	}
	w->sender = reef_poller_register_named(sender_poll, w, 1000, "msg_sender");
	if (w->index == 0) {
		w->flap = reef_poller_register_named(
			flap_poll, w, reef_interrupt_mode_is_enabled() ? 10000 : 0, "flapper");
		w->flap_resume =
			reef_poller_register_named(flap_resume_poll, w, 1000000, "flapper_toggle");
	}
	if (w->core == reef_env_main_lcore() && w->index == 0 && g_opts.stall_every_s != 0) {
		w->slow = reef_poller_register_named(
			slow_poll, w, (uint64_t)g_opts.stall_every_s * 1000000ULL, "slow_poller");
	}
	if (w->core == UINT32_MAX && g_opts.move_every_s != 0) {
		w->roam = reef_poller_register_named(
			roam_poll, w, (uint64_t)g_opts.move_every_s * 1000000ULL, "roam");
	}
}

static void
worker_stop(void *arg)
{
	struct worker *w = arg;
	int i;

	reef_poller_unregister(&w->io);
	for (i = 0; i < 4; i++) {
		reef_poller_unregister(&w->timers[i]);
	}
	reef_poller_unregister(&w->sender);
	reef_poller_unregister(&w->flap);
	reef_poller_unregister(&w->flap_resume);
	reef_poller_unregister(&w->slow);
	reef_poller_unregister(&w->roam);
	if (w->blk != NULL) {
		reef_put_io_channel(w->blk);
		w->blk = NULL;
	}
	if (w->nic != NULL) {
		reef_put_io_channel(w->nic);
		w->nic = NULL;
	}
}

static struct worker *
find_worker(struct reef_thread *thread)
{
	uint32_t i;

	for (i = 0; i < g_nr_workers; i++) {
		if (g_workers[i].thread == thread) {
			return &g_workers[i];
		}
	}
	return NULL;
}

int
service_set_load(struct reef_thread *thread, uint32_t load_pct)
{
	struct worker *w = find_worker(thread);

	if (w == NULL) {
		return -ENOENT;
	}
	__atomic_store_n(&w->load_pct, load_pct > 100 ? 100 : load_pct, __ATOMIC_RELAXED);
	return 0;
}

/* reefd.echo: the payload back, as it came. */
static void
echo_handler(struct reef_msg_request *req, void *ctx)
{
	const void *payload;
	size_t len;

	(void)ctx;
	payload = reef_msg_request_get_payload(req, &len);
	reef_msg_reply(req, 0, payload, len);
}

/* reefd.load: payload "PCT" sets the load of the worker the message is sent to. */
static void
load_handler(struct reef_msg_request *req, void *ctx)
{
	char text[16];
	unsigned long long pct;
	const char *payload;
	size_t len;

	(void)ctx;
	payload = reef_msg_request_get_payload(req, &len);
	if (len == 0 || len >= sizeof(text)) {
		reef_msg_replyf(req, -EINVAL, "reefd.load wants a percentage from 0 to 100");
		return;
	}
	memcpy(text, payload, len);
	text[len] = '\0';
	if (reef_parse_u64(text, 100, &pct) != 0) {
		reef_msg_replyf(req, -EINVAL,
				"reefd.load wants a percentage from 0 to 100, not '%s'", text);
		return;
	}
	if (service_set_load(reef_get_thread(), (uint32_t)pct) != 0) {
		reef_msg_replyf(req, -ENOENT, "thread %s is not a worker",
				reef_thread_get_name(reef_get_thread()));
		return;
	}
	reef_msg_replyf(req, 0, "load of %s set to %llu%%", reef_thread_get_name(reef_get_thread()),
			pct);
}

void
service_start(const struct service_opts *opts)
{
	struct reef_cpuset cores, one;
	char name[32], mask[REEF_CPUSET_STR_MAX];
	uint32_t core, i, n = 0;

	g_opts = *opts;
	g_ticks_per_ns_x1024 = reef_get_ticks_hz() * 1024 / 1000000000ULL;
	if (reef_msg_handler_register("reefd.echo", echo_handler, NULL) != 0 ||
	    reef_msg_handler_register("reefd.load", load_handler, NULL) != 0) {
		reef_app_stop(1);
		return;
	}
	reef_env_get_lcores(&cores);
	g_nr_workers = reef_cpuset_count(&cores) * opts->threads_per_core + 1;
	g_workers = calloc(g_nr_workers, sizeof(*g_workers));
	if (g_workers == NULL ||
	    reef_io_device_register(&g_blk, channel_create, channel_destroy,
				    sizeof(struct device_channel), g_blk.name) != 0 ||
	    reef_io_device_register(&g_nic, channel_create, channel_destroy,
				    sizeof(struct device_channel), g_nic.name) != 0) {
		REEF_ERRLOG("cannot set up the demo service\n");
		reef_app_stop(1);
		return;
	}
	REEF_CPUSET_FOREACH(core, &cores)
	{
		for (i = 0; i < opts->threads_per_core; i++, n++) {
			struct worker *w = &g_workers[n];

			reef_cpuset_zero(&one);
			reef_cpuset_set_cpu(&one, core, true);
			snprintf(name, sizeof(name), "worker_%u_%u", core, i);
			w->core = core;
			w->index = i;
			w->thread = reef_thread_create(name, &one);
		}
	}
	/* The roamer may run anywhere; it moves itself around. */
	g_workers[n].core = UINT32_MAX;
	g_workers[n].index = 0;
	g_workers[n].thread = reef_thread_create("roamer", NULL);
	for (i = 0; i < g_nr_workers; i++) {
		struct worker *w = &g_workers[i];

		if (w->thread == NULL) {
			REEF_ERRLOG("could not create all worker threads: stopping\n");
			reef_app_stop(1);
			return;
		}
		w->thread_id = reef_thread_get_id(w->thread);
		w->load_pct = opts->load_pct;
		w->rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		w->next = &g_workers[(i + 1) % g_nr_workers];
	}
	for (i = 0; i < g_nr_workers; i++) {
		reef_thread_send_msg(g_workers[i].thread, worker_start, &g_workers[i]);
	}
	printf("reefd: running '%s' on cores %s: %u threads, 2 io_devices; watch it with: "
	       "reef-top -n %s\n",
	       reef_env_get_name(), reef_cpuset_fmt(&cores, mask, sizeof(mask)), g_nr_workers + 1,
	       reef_env_get_name());
	fflush(stdout);
}

static void
device_gone(void *io_device)
{
	struct fake_device *dev = io_device;

	REEF_NOTICELOG("%s closed after %llu I/Os\n", dev->name,
		       (unsigned long long)__atomic_load_n(&dev->ios, __ATOMIC_RELAXED));
}

void
service_stop(void *ctx)
{
	uint32_t i;

	(void)ctx;
	for (i = 0; i < g_nr_workers; i++) {
		if (g_workers[i].thread != NULL) {
			reef_thread_send_msg(g_workers[i].thread, worker_stop, &g_workers[i]);
		}
	}
	/* Deferred until the last channel is put; then the app thread hears of it. */
	reef_io_device_unregister(&g_blk, device_gone);
	reef_io_device_unregister(&g_nic, device_gone);
}
