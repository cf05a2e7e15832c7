/*
 * Sequence counters for single-writer shared-memory records.
 *
 * The writer makes the counter odd, changes the record, makes it even again.
 * A reader copies the record between two reads of the counter and keeps the
 * copy only if the counter was even and unchanged: it never blocks the writer
 * and never takes a lock the writer needs. Writers of one record must be
 * serialised (one thread, or a lock of the writer's process).
 */
#ifndef REEF_SEQLOCK_H
#define REEF_SEQLOCK_H

#include <stdbool.h>
#include <stdint.h>

static inline void
reef_seqlock_write_begin(uint32_t *seq)
{
	uint32_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);

	__atomic_store_n(seq, s + 1, __ATOMIC_RELAXED);
	/*
	 * Order the odd counter before the record stores that follow, so a
	 * reader that sees any new field also sees the counter odd (or changed).
	 * Pairs with the acquire fence in reef_seqlock_read_retry().
	 */
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
reef_seqlock_write_end(uint32_t *seq)
{
	uint32_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);

	/*
	 * Release: every record store above is visible before the even counter.
	 * Pairs with the acquire load in reef_seqlock_read_begin().
	 */
	__atomic_store_n(seq, s + 1, __ATOMIC_RELEASE);
}

/* Returns the counter to pass to reef_seqlock_read_retry(); odd means "being written". */
static inline uint32_t
reef_seqlock_read_begin(const uint32_t *seq)
{
	/* Acquire: the record reads that follow cannot move above this load. */
	return __atomic_load_n(seq, __ATOMIC_ACQUIRE);
}

/* Whether the copy made since reef_seqlock_read_begin() returned begin must be discarded. */
static inline bool
reef_seqlock_read_retry(const uint32_t *seq, uint32_t begin)
{
	/*
	 * Acquire fence: the record reads above cannot move below the second
	 * counter read. Pairs with the release fence in reef_seqlock_write_begin().
	 */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (begin & 1) != 0 || __atomic_load_n(seq, __ATOMIC_RELAXED) != begin;
}

#endif /* REEF_SEQLOCK_H */
