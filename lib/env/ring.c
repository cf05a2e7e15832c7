/*
 * Reef rings are DPDK rings initialised in memory the caller owns, used
 * through DPDK's element API so that messages travel by value. DPDK's ring
 * code needs no EAL, so the fake env uses this same file.
 */
#include <errno.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "reef/env.h"

static inline struct rte_ring *
to_rte(struct reef_ring *ring)
{
	return (struct rte_ring *)ring;
}

static inline const struct rte_ring *
to_rte_const(const struct reef_ring *ring)
{
	return (const struct rte_ring *)ring;
}

ssize_t
reef_ring_memsize(uint32_t count, uint32_t esize)
{
	ssize_t sz;

	/* DPDK takes 0 for a power of two, and 0 bytes for a multiple of 4: neither is a ring. */
	if (count == 0 || esize == 0) {
		return -EINVAL;
	}
	sz = rte_ring_get_memsize_elem(esize, count);

	return sz < 0 ? -EINVAL : sz;
}

int
reef_ring_init(struct reef_ring *ring, const char *name, uint32_t count, enum reef_ring_type type)
{
	unsigned int flags = RING_F_SC_DEQ;

	/* DPDK would make a 0-slot ring with a mask of UINT32_MAX, writing past its memory. */
	if (count == 0) {
		return -EINVAL;
	}
	if (type == REEF_RING_SP_SC) {
		flags |= RING_F_SP_ENQ;
	}
	return rte_ring_init(to_rte(ring), name, count, flags) == 0 ? 0 : -EINVAL;
}

uint32_t
reef_ring_enqueue_burst(struct reef_ring *ring, const void *objs, uint32_t esize, uint32_t n)
{
	return rte_ring_enqueue_burst_elem(to_rte(ring), objs, esize, n, NULL);
}

uint32_t
reef_ring_enqueue_bulk(struct reef_ring *ring, const void *objs, uint32_t esize, uint32_t n)
{
	return rte_ring_enqueue_bulk_elem(to_rte(ring), objs, esize, n, NULL);
}

uint32_t
reef_ring_dequeue_burst(struct reef_ring *ring, void *objs, uint32_t esize, uint32_t n)
{
	return rte_ring_dequeue_burst_elem(to_rte(ring), objs, esize, n, NULL);
}

uint32_t
reef_ring_enqueue16(struct reef_ring *ring, const void *obj)
{
	return rte_ring_enqueue_burst_elem(to_rte(ring), obj, 16, 1, NULL);
}

uint32_t
reef_ring_dequeue_burst16(struct reef_ring *ring, void *objs, uint32_t n)
{
	return rte_ring_dequeue_burst_elem(to_rte(ring), objs, 16, n, NULL);
}

uint32_t
reef_ring_count(const struct reef_ring *ring)
{
	return rte_ring_count(to_rte_const(ring));
}

uint32_t
reef_ring_capacity(const struct reef_ring *ring)
{
	return rte_ring_get_capacity(to_rte_const(ring));
}

void
reef_ring_reset(struct reef_ring *ring)
{
	rte_ring_reset(to_rte(ring));
}
