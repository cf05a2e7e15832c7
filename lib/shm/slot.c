/*
 * Slot allocation in the primary, and slot addressing for everyone.
 */
#include <errno.h>
#include <string.h>

#include "shm_internal.h"
#include "reef/log.h"

static const char *const g_table_names[REEF_SHM_TABLE_COUNT] = {
	[REEF_SHM_REACTORS] = "reactor",         [REEF_SHM_THREADS] = "thread",
	[REEF_SHM_POLLERS] = "poller",           [REEF_SHM_DEVICES] = "io_device",
	[REEF_SHM_CHANNELS] = "io_channel",      [REEF_SHM_CLIENTS] = "client",
	[REEF_SHM_HANDLERS] = "message handler",
};

/*
 * "Table full" lines are rate-limited per table, not per call site: a full
 * poller table must not hide that the thread table is full too.
 */
static struct reef_log_ratelimit g_full_rl[REEF_SHM_TABLE_COUNT];
#define FULL_LOG_INTERVAL_MS 1000

static void
report_full(const struct reef_shm_region *r, enum reef_shm_table table)
{
	uint32_t slots = r->hdr->tables[table].count;
	uint64_t dropped;

	if (!reef_log_ratelimit_allow(&g_full_rl[table], FULL_LOG_INTERVAL_MS, &dropped)) {
		return;
	}
	if (dropped != 0) {
		REEF_ERRLOG("(%llu similar lines suppressed) %s table full (%u slots): raise %s\n",
			    (unsigned long long)dropped, g_table_names[table], slots,
			    reef_shm_table_option(table));
	} else {
		REEF_ERRLOG("%s table full (%u slots): raise %s\n", g_table_names[table], slots,
			    reef_shm_table_option(table));
	}
}

uint32_t
reef_shm_table_count(const struct reef_shm_region *r, enum reef_shm_table table)
{
	return table < REEF_SHM_TABLE_COUNT ? r->hdr->tables[table].count : 0;
}

void *
reef_shm_slot(const struct reef_shm_region *r, enum reef_shm_table table, uint32_t index)
{
	const struct reef_shm_table_desc *desc;

	if (table >= REEF_SHM_TABLE_COUNT) {
		return NULL;
	}
	desc = &r->hdr->tables[table];
	if (index >= desc->count) {
		return NULL;
	}
	return r->base + desc->offset + (size_t)index * desc->slot_size;
}

void *
reef_shm_slot_alloc(struct reef_shm_region *r, enum reef_shm_table table, int *rc)
{
	struct reef_shm_slot_hdr *slot;
	uint32_t index, size;

	if (!r->owner || table == REEF_SHM_REACTORS || table >= REEF_SHM_TABLE_COUNT) {
		if (rc != NULL) {
			*rc = -EINVAL;
		}
		return NULL;
	}
	pthread_mutex_lock(&r->lock);
	if (r->nr_free[table] == 0) {
		pthread_mutex_unlock(&r->lock);
		report_full(r, table);
		if (rc != NULL) {
			*rc = -ENOSPC;
		}
		return NULL;
	}
	index = r->free_slots[table][--r->nr_free[table]];
	pthread_mutex_unlock(&r->lock);

	slot = reef_shm_slot(r, table, index);
	size = r->hdr->tables[table].slot_size;
	/* Stays odd until reef_shm_slot_publish(): readers skip it meanwhile. */
	reef_seqlock_write_begin(&slot->seq);
	memset((uint8_t *)slot + sizeof(*slot), 0, size - sizeof(*slot));
	__atomic_store_n(&slot->gen, slot->gen + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->in_use, 1, __ATOMIC_RELAXED);
	reef_shm_count_add(r, table, 1);
	if (rc != NULL) {
		*rc = 0;
	}
	return slot;
}

void
reef_shm_slot_publish(void *slot)
{
	struct reef_shm_slot_hdr *hdr = slot;

	reef_seqlock_write_end(&hdr->seq);
}

void
reef_shm_slot_free(struct reef_shm_region *r, enum reef_shm_table table, void *slot)
{
	struct reef_shm_slot_hdr *hdr = slot;

	if (slot == NULL || !r->owner || table == REEF_SHM_REACTORS ||
	    table >= REEF_SHM_TABLE_COUNT) {
		return;
	}
	/* Pushing an index twice would hand one slot to two owners later. */
	if (!__atomic_load_n(&hdr->in_use, __ATOMIC_RELAXED)) {
		REEF_ERRLOG("%s slot %u freed twice: ignored\n", g_table_names[table], hdr->index);
		return;
	}
	/*
	 * A slot freed before reef_shm_slot_publish() is still odd: beginning
	 * another write would leave it odd once free, and every later
	 * publish with the parity inverted.
	 */
	if (!(__atomic_load_n(&hdr->seq, __ATOMIC_RELAXED) & 1)) {
		reef_seqlock_write_begin(&hdr->seq);
	}
	__atomic_store_n(&hdr->in_use, 0, __ATOMIC_RELAXED);
	reef_seqlock_write_end(&hdr->seq);
	reef_shm_count_add(r, table, -1);

	pthread_mutex_lock(&r->lock);
	r->free_slots[table][r->nr_free[table]++] = hdr->index;
	pthread_mutex_unlock(&r->lock);
}

struct reef_shm_reactor *
reef_shm_reactor_slot(struct reef_shm_region *r, uint32_t lcore)
{
	return reef_shm_slot(r, REEF_SHM_REACTORS, lcore);
}

struct reef_ring *
reef_shm_thread_ring(struct reef_shm_region *r, uint32_t index)
{
	if (index >= r->hdr->limits.max_threads) {
		return NULL;
	}
	return (struct reef_ring *)(r->base + r->hdr->msg_rings_offset +
				    (size_t)index * r->hdr->msg_ring_memsize);
}

uint64_t
reef_shm_next_id(struct reef_shm_region *r, enum reef_shm_table table)
{
	uint64_t *src;

	switch (table) {
	case REEF_SHM_THREADS:
		src = &r->hdr->next_thread_id;
		break;
	case REEF_SHM_POLLERS:
		src = &r->hdr->next_poller_id;
		break;
	case REEF_SHM_DEVICES:
		src = &r->hdr->next_device_id;
		break;
	default:
		return 0;
	}
	return __atomic_fetch_add(src, 1, __ATOMIC_RELAXED);
}

void
reef_shm_count_add(struct reef_shm_region *r, enum reef_shm_table table, int delta)
{
	uint32_t *count;

	switch (table) {
	case REEF_SHM_REACTORS:
		count = &r->hdr->reactor_count;
		break;
	case REEF_SHM_THREADS:
		count = &r->hdr->thread_count;
		break;
	case REEF_SHM_POLLERS:
		count = &r->hdr->poller_count;
		break;
	case REEF_SHM_DEVICES:
		count = &r->hdr->device_count;
		break;
	case REEF_SHM_CHANNELS:
		count = &r->hdr->channel_count;
		break;
	case REEF_SHM_CLIENTS:
		count = &r->hdr->client_count;
		break;
	case REEF_SHM_HANDLERS:
		count = &r->hdr->handler_count;
		break;
	default:
		return;
	}
	__atomic_fetch_add(count, (uint32_t)delta, __ATOMIC_RELAXED);
}
