/* lib/shm's private view of a region handle. */
#ifndef REEF_SHM_PRIVATE_H
#define REEF_SHM_PRIVATE_H

#include <pthread.h>

#include "reef_internal/shm.h"

struct reef_shm_region {
	struct reef_shm_header *hdr;
	uint8_t *base;
	size_t size;
	/* Whether this process created the region (its primary). */
	bool owner;
	char memzone[64];
	/* Owner only: free slot indices per table, popped under lock. */
	pthread_mutex_t lock;
	uint32_t *free_slots[REEF_SHM_TABLE_COUNT];
	uint32_t nr_free[REEF_SHM_TABLE_COUNT];
};

/* The memzone name of an app's region. */
void reef__shm_memzone_name(const char *app, char *buf, size_t len);

#endif /* REEF_SHM_PRIVATE_H */
