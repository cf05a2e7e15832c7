/*
 * Attach to a primary's region and report what it goes through: every state
 * change ("state running", ...), and with -r a summary of the reactors as the
 * primary stops. Exits when the region is stopped or the primary is gone, or
 * after the deadline.
 *
 *   mp_region_watch NAME [SECONDS]
 * Prints "READY" once attached, then one line per state, then "END <how>".
 *   mp_region_watch NAME reactors
 * Prints one line per reactor: "reactor LCORE sleeps N asleep 0|1" and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reef/env.h"
#include "reef/log.h"
#include "reef/shm.h"

int
main(int argc, char **argv)
{
	struct reef_shm_region *region;
	struct timespec now, deadline;
	uint32_t last = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: mp_region_watch NAME [SECONDS]\n");
		return 2;
	}
	reef_log_set_ident("mp_region_watch");
	if (reef_shm_attach(argv[1], &region) != 0) {
		return 1;
	}
	if (argc > 2 && strcmp(argv[2], "reactors") == 0) {
		uint32_t i;

		for (i = 0; i < reef_shm_table_count(region, REEF_SHM_REACTORS); i++) {
			struct reef_shm_reactor r;

			if (reef_shm_read(region, REEF_SHM_REACTORS, i, &r) == 0) {
				printf("reactor %u sleeps %llu asleep %u\n", r.lcore,
				       (unsigned long long)r.sleeps, r.in_interrupt);
			}
		}
		reef_shm_detach(region);
		reef_env_fini();
		return 0;
	}
	printf("READY\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += argc > 2 ? atoi(argv[2]) : 30;
	for (;;) {
		uint32_t state = reef_shm_get_state(region);

		if (state != last) {
			printf("state %s\n", reef_shm_region_state_str(state));
			fflush(stdout);
			last = state;
		}
		if (state == REEF_REGION_STOPPED) {
			printf("END stopped\n");
			break;
		}
		if (!reef_shm_primary_alive(region)) {
			/* It may have marked the region stopped just before exiting. */
			state = reef_shm_get_state(region);
			if (state != last) {
				printf("state %s\n", reef_shm_region_state_str(state));
			}
			printf("END primary gone\n");
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec) {
			printf("END deadline\n");
			break;
		}
	}
	fflush(stdout);
	reef_shm_detach(region);
	reef_env_fini();
	return 0;
}
