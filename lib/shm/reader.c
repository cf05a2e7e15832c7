/*
 * Consistent copies of slots for readers in any process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shm_internal.h"
#include "reef/util.h"

/* A writer holds a slot odd for a few stores; this bounds a reader's patience. */
#define READ_RETRIES 256

static int
read_slot(const uint8_t *src, uint32_t size, void *out)
{
	const struct reef_shm_slot_hdr *hdr = (const struct reef_shm_slot_hdr *)src;
	int attempt;

	for (attempt = 0; attempt < READ_RETRIES; attempt++) {
		uint32_t seq = reef_seqlock_read_begin(&hdr->seq);

		if (seq & 1) {
			reef_pause();
			continue;
		}
		if (!__atomic_load_n(&hdr->in_use, __ATOMIC_RELAXED)) {
			if (!reef_seqlock_read_retry(&hdr->seq, seq)) {
				return -ENOENT;
			}
			continue;
		}
		memcpy(out, src, size);
		if (!reef_seqlock_read_retry(&hdr->seq, seq)) {
			return 0;
		}
		reef_pause();
	}
	return -EAGAIN;
}

int
reef_shm_read(const struct reef_shm_region *r, enum reef_shm_table table, uint32_t index, void *out)
{
	const uint8_t *slot = reef_shm_slot(r, table, index);

	if (slot == NULL) {
		return -EINVAL;
	}
	return read_slot(slot, r->hdr->tables[table].slot_size, out);
}

uint32_t
reef_shm_thread_msgs_pending(const struct reef_shm_region *r, uint32_t thread_slot)
{
	const uint8_t *ring;

	if (thread_slot >= r->hdr->limits.max_threads) {
		return 0;
	}
	ring = r->base + r->hdr->msg_rings_offset + (size_t)thread_slot * r->hdr->msg_ring_memsize;
	return reef_ring_count((const struct reef_ring *)ring);
}

const char *
reef_shm_region_state_str(uint32_t state)
{
	switch (state) {
	case REEF_REGION_STARTING:
		return "starting";
	case REEF_REGION_RUNNING:
		return "running";
	case REEF_REGION_STOPPING:
		return "stopping";
	case REEF_REGION_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}

const char *
reef_shm_thread_state_str(uint32_t state)
{
	switch (state) {
	case REEF_SHM_THREAD_RUNNING:
		return "running";
	case REEF_SHM_THREAD_EXITING:
		return "exiting";
	case REEF_SHM_THREAD_EXITED:
		return "exited";
	default:
		return "unknown";
	}
}

const char *
reef_shm_poller_state_str(uint32_t state)
{
	switch (state) {
	case REEF_SHM_POLLER_WAITING:
		return "waiting";
	case REEF_SHM_POLLER_RUNNING:
		return "running";
	case REEF_SHM_POLLER_UNREGISTERED:
		return "unregistered";
	case REEF_SHM_POLLER_PAUSING:
		return "pausing";
	case REEF_SHM_POLLER_PAUSED:
		return "paused";
	default:
		return "unknown";
	}
}

const char *
reef_shm_reactor_state_str(uint32_t state)
{
	switch (state) {
	case REEF_SHM_REACTOR_OFF:
		return "off";
	case REEF_SHM_REACTOR_RUNNING:
		return "running";
	case REEF_SHM_REACTOR_STOPPING:
		return "stopping";
	case REEF_SHM_REACTOR_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}

static void **
snapshot_table(struct reef_shm_snapshot *snap, enum reef_shm_table t)
{
	switch (t) {
	case REEF_SHM_REACTORS:
		return (void **)&snap->reactors;
	case REEF_SHM_THREADS:
		return (void **)&snap->threads;
	case REEF_SHM_POLLERS:
		return (void **)&snap->pollers;
	case REEF_SHM_DEVICES:
		return (void **)&snap->devices;
	case REEF_SHM_CHANNELS:
		return (void **)&snap->channels;
	case REEF_SHM_CLIENTS:
		return (void **)&snap->clients;
	case REEF_SHM_HANDLERS:
		return (void **)&snap->handlers;
	default:
		return NULL;
	}
}

int
reef_shm_snapshot_init(const struct reef_shm_region *r, struct reef_shm_snapshot *snap)
{
	enum reef_shm_table t;

	memset(snap, 0, sizeof(*snap));
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		void **arr = snapshot_table(snap, t);

		*arr = calloc(r->hdr->tables[t].count ? r->hdr->tables[t].count : 1,
			      r->hdr->tables[t].slot_size);
		if (*arr == NULL) {
			reef_shm_snapshot_fini(snap);
			return -ENOMEM;
		}
	}
	return 0;
}

void
reef_shm_snapshot_fini(struct reef_shm_snapshot *snap)
{
	enum reef_shm_table t;

	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		void **arr = snapshot_table(snap, t);

		free(*arr);
		*arr = NULL;
	}
}

int
reef_shm_snapshot_take(const struct reef_shm_region *r, struct reef_shm_snapshot *snap)
{
	enum reef_shm_table t;

	snap->tsc = reef_get_ticks();
	memcpy(&snap->header, r->hdr, sizeof(snap->header));
	snap->skipped = 0;
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		const struct reef_shm_table_desc *desc = &r->hdr->tables[t];
		uint8_t *dst = *snapshot_table(snap, t);
		const uint8_t *src = r->base + desc->offset;
		uint32_t i, n = 0;

		for (i = 0; i < desc->count; i++, src += desc->slot_size) {
			const struct reef_shm_slot_hdr *hdr = (const void *)src;
			int rc;

			/* Most slots of a big table are free: skip those without a full read. */
			if (!__atomic_load_n(&hdr->in_use, __ATOMIC_RELAXED) &&
			    !(__atomic_load_n(&hdr->seq, __ATOMIC_RELAXED) & 1)) {
				continue;
			}
			rc = read_slot(src, desc->slot_size, dst + (size_t)n * desc->slot_size);
			if (rc == 0) {
				n++;
			} else if (rc == -EAGAIN) {
				snap->skipped++;
			}
		}
		snap->nr[t] = n;
	}
	return 0;
}
