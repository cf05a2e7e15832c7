/*
 * The watched primary: attaching to its region, snapshots into the model,
 * and telling a clean stop from a death.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reef/log.h"
#include "top.h"

uint64_t
top_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
top_source_open(struct top_source *s, const char *name)
{
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	/* One clear line on failure comes from lib/shm (no such primary, ABI, stopped). */
	rc = reef_shm_attach(name, &s->region);
	if (rc != 0) {
		return rc;
	}
	s->pid = reef_shm_get_header(s->region)->primary_pid;
	rc = top_model_init(&s->model, reef_shm_get_header(s->region));
	if (rc != 0) {
		REEF_ERRLOG("out of memory for a model of primary '%s'\n", name);
		reef_shm_detach(s->region);
		s->region = NULL;
		return rc;
	}
	return 0;
}

void
top_source_refresh(struct top_source *s)
{
	uint64_t t0 = top_now_ns();

	/* Lock-free: seqlock copies of each slot; the primary is never held up. */
	reef_shm_snapshot_take(s->region, top_model_spare(&s->model));
	top_model_update(&s->model);
	s->refresh_ns = top_now_ns() - t0;
}

enum top_liveness
top_source_liveness(const struct top_source *s)
{
	uint32_t state = reef_shm_get_state(s->region);

	if (state == REEF_REGION_STOPPED) {
		return TOP_PRIMARY_STOPPED;
	}
	if (!reef_shm_primary_alive(s->region)) {
		/* It may have marked the region stopped just before exiting. */
		return reef_shm_get_state(s->region) == REEF_REGION_STOPPED ? TOP_PRIMARY_STOPPED
									    : TOP_PRIMARY_DIED;
	}
	return state == REEF_REGION_STOPPING ? TOP_PRIMARY_STOPPING : TOP_PRIMARY_RUNNING;
}

void
top_source_gone_msg(const struct top_source *s, enum top_liveness l, char *buf, size_t len)
{
	if (l == TOP_PRIMARY_DIED) {
		snprintf(buf, len, "primary '%s' (pid %d) died", s->name, (int)s->pid);
	} else {
		snprintf(buf, len, "primary '%s' (pid %d) stopped", s->name, (int)s->pid);
	}
}

void
top_source_close(struct top_source *s)
{
	top_model_fini(&s->model);
	if (s->region != NULL) {
		reef_shm_detach(s->region);
		s->region = NULL;
	}
}

void
top_fmt_duration(double seconds, char *buf, size_t len)
{
	uint64_t s = seconds > 0 ? (uint64_t)seconds : 0;

	if (s >= 86400) {
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
	} else if (s >= 3600) {
		snprintf(buf, len, "%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60), (unsigned long long)(s % 60));
	} else {
		snprintf(buf, len, "%llu:%02llu", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	}
}

/* Short enough to notice a dead primary well within the 2 s we promise. */
#define WAIT_SLICE_NS 50000000ULL

enum top_liveness
top_source_wait(const struct top_source *s, double seconds)
{
	uint64_t end = top_now_ns() + (uint64_t)(seconds * 1e9);
	enum top_liveness l = top_source_liveness(s);

	while (!g_top_stop && (l == TOP_PRIMARY_RUNNING || l == TOP_PRIMARY_STOPPING)) {
		uint64_t now = top_now_ns(), step;
		struct timespec ts;

		if (now >= end) {
			break;
		}
		step = end - now < WAIT_SLICE_NS ? end - now : WAIT_SLICE_NS;
		ts.tv_sec = (time_t)(step / 1000000000ULL);
		ts.tv_nsec = (long)(step % 1000000000ULL);
		nanosleep(&ts, NULL);
		l = top_source_liveness(s);
	}
	return l;
}
