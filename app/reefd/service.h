/*
 * reefd's synthetic service: what runs on its threads so that reef-top, the
 * probes and the benchmarks have something real to look at.
 */
#ifndef REEFD_SERVICE_H
#define REEFD_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "reef/thread.h"

struct service_opts {
	uint32_t threads_per_core; /* worker threads on each core */
	uint32_t load_pct;         /* share of I/O poller runs that find work */
	uint32_t work_ns;          /* time spent per unit of work */
	uint32_t stall_every_s;    /* 0: never stall on purpose */
	uint32_t stall_ms;         /* how long a deliberate stall lasts */
	uint32_t move_every_s;     /* 0: the roaming thread stays put */
};

/* Start everything; call on the app thread. */
void service_start(const struct service_opts *opts);

/* Release everything (the app's shutdown callback). */
void service_stop(void *ctx);

/* Change the load of the worker running on `thread`; returns 0 or -ENOENT. */
int service_set_load(struct reef_thread *thread, uint32_t load_pct);

#endif /* REEFD_SERVICE_H */
