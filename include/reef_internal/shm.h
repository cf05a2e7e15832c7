/*
 * The primary's side of the shared region: creating it, allocating and
 * freeing slots, and the per-thread message rings carved out of it. Only Reef's
 * own libraries (thread, event, client) use this header.
 *
 * Slot protocol: reef_shm_slot_alloc() returns a zeroed slot whose sequence
 * counter is odd (being written) and whose generation has been bumped; the
 * caller fills it and calls reef_shm_slot_publish(). Later changes to fields
 * that must be seen together go between reef_seqlock_write_begin/end on
 * hdr.seq. Counters and lone state words are updated in place with relaxed
 * atomic stores by the slot's single writer.
 */
#ifndef REEF_INTERNAL_SHM_H
#define REEF_INTERNAL_SHM_H

#include "reef/env.h"
#include "reef/seqlock.h"
#include "reef/shm.h"

/* Fill limits with the defaults. */
void reef_shm_limits_init(struct reef_shm_limits *limits);

/*
 * Check limits; on a bad value log one line naming the option (--max-threads
 * ...) and return -EINVAL.
 */
int reef_shm_limits_validate(const struct reef_shm_limits *limits);

/* Bytes a region with these limits needs. */
size_t reef_shm_region_size(const struct reef_shm_limits *limits);

/*
 * Create and publish the region of app `name` (the env must be initialised as
 * its primary). The state starts as REEF_REGION_STARTING. Returns 0, -EINVAL
 * (bad limits), -EEXIST (a region of that name exists), -ENOMEM (not enough
 * hugepage memory: the log line says how much was needed).
 */
int reef_shm_create(const char *name, const struct reef_shm_limits *limits,
		    struct reef_shm_region **region);

/* Mark the region stopped and free it. Readers still attached see STOPPED first. */
void reef_shm_destroy(struct reef_shm_region *region);

/*
 * Mark the region stopped and forget it, leaving its memory mapped until the
 * process exits: readers in other processes may be mapping it, and freeing it
 * would make DPDK unmap it under them. What a primary does at exit.
 */
void reef_shm_close(struct reef_shm_region *region);

/* The region this process created, or NULL. */
struct reef_shm_region *reef_shm_get_local(void);

/* Move the region to a new state (readers see it at once). */
void reef_shm_set_state(struct reef_shm_region *region, enum reef_region_state state);

/*
 * Allocate a slot: zeroed, generation bumped, in_use set, sequence counter
 * odd until reef_shm_slot_publish(). Thread-safe within the primary. Returns
 * NULL when the table is full, after a (rate-limited) log line naming the
 * option to raise; *rc (if given) gets -ENOSPC.
 */
void *reef_shm_slot_alloc(struct reef_shm_region *region, enum reef_shm_table table, int *rc);

/* Make an allocated slot visible to readers. */
void reef_shm_slot_publish(void *slot);

/* Free a slot (readers see it free at once). Thread-safe within the primary. */
void reef_shm_slot_free(struct reef_shm_region *region, enum reef_shm_table table, void *slot);

/* The reactor slot of an lcore (reactor slots are indexed by lcore, never allocated). */
struct reef_shm_reactor *reef_shm_reactor_slot(struct reef_shm_region *region, uint32_t lcore);

/* The message ring of thread slot `index` (REEF_RING_MP_SC of 16-byte messages). */
struct reef_ring *reef_shm_thread_ring(struct reef_shm_region *region, uint32_t index);

/* Next id for threads, pollers or devices (never reused, starts at 1). */
uint64_t reef_shm_next_id(struct reef_shm_region *region, enum reef_shm_table table);

/* Keep the header's live count of a table's slots in step. */
void reef_shm_count_add(struct reef_shm_region *region, enum reef_shm_table table, int delta);

/* The command-line option that sizes a table ("--max-pollers"), for error messages. */
const char *reef_shm_table_option(enum reef_shm_table table);

/* Relaxed single-word updates by a slot's single writer. */
#define REEF_SHM_STORE(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELAXED)
#define REEF_SHM_ADD(field, value)   __atomic_store_n(&(field), (field) + (value), __ATOMIC_RELAXED)

#endif /* REEF_INTERNAL_SHM_H */
