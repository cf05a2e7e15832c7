/*
 * What a client and the primary share: the layout of each client's area in
 * the region (a request ring and a reply ring of fixed-size records) and the
 * records themselves. Records carry payloads by value; the client writes only
 * its request ring (records and producer index) and its reply ring's consumer
 * index, so the primary must treat everything it reads there as untrusted.
 */
#ifndef REEF_INTERNAL_CLIENT_WIRE_H
#define REEF_INTERNAL_CLIENT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "reef/client.h"
#include "reef/util.h"

/* Records per ring (a power of two). */
#define REEF_CLIENT_RING_RECORDS 64

/* Request flags. */
#define REEF_WIRE_WANT_REPLY 0x1u

struct reef_wire_req {
	uint64_t request_id;
	uint64_t thread_id;
	uint32_t handler_id; /* index of the handler's slot */
	uint32_t flags;
	uint32_t len;
	uint32_t reserved0;
	uint64_t post_tsc;
	uint64_t reserved[3];
	uint8_t payload[REEF_MSG_PAYLOAD_MAX];
};

struct reef_wire_reply {
	uint64_t request_id;
	int32_t status;
	uint32_t len;
	uint64_t post_tsc;
	uint64_t reserved[5];
	uint8_t data[REEF_MSG_PAYLOAD_MAX];
};

_Static_assert(offsetof(struct reef_wire_req, payload) == 64, "request header is one line");
_Static_assert(offsetof(struct reef_wire_reply, data) == 64, "reply header is one line");

/*
 * A single-producer single-consumer ring of fixed-size records. The producer
 * owns tail, the consumer owns head; each only reads the other's index.
 * Indices run free (never wrap modulo count), so tail - head is the fill.
 *
 * Each side also keeps, on its own line, the other's index as it last read
 * it, and reads the real one only when that copy says the ring is empty (the
 * consumer) or full (the producer). Otherwise every record would pull both
 * index lines across cores, and those two misses cost more than the record.
 * A cached copy is as untrusted as the index it copies: it is checked the same
 * way, and a record's address is always masked into the ring.
 *
 * Every ring has the same geometry, fixed at compile time
 * (REEF_CLIENT_RING_RECORDS records of REEF_RECRING_STRIDE bytes): the count
 * and size in the header are written for readers' information and never used,
 * because a client can write its own ring's header.
 */
struct reef_recring {
	uint64_t head;
	/* The consumer's copy of tail. */
	uint64_t tail_seen;
	uint8_t pad0[48];
	uint64_t tail;
	/* The producer's copy of head. */
	uint64_t head_seen;
	uint8_t pad1[48];
	uint32_t count;
	uint32_t rec_size;
	uint8_t pad2[56];
	uint8_t records[];
};

_Static_assert(sizeof(struct reef_recring) == 192, "ring header");

/* Bytes from one record to the next: a request or a reply, rounded to cache lines. */
#define REEF_RECRING_STRIDE REEF_ALIGN_UP(sizeof(struct reef_wire_req), (size_t)64)
_Static_assert(REEF_ALIGN_UP(sizeof(struct reef_wire_reply), (size_t)64) == REEF_RECRING_STRIDE,
	       "requests and replies take the same room");
_Static_assert((REEF_CLIENT_RING_RECORDS & (REEF_CLIENT_RING_RECORDS - 1)) == 0,
	       "ring records are a power of two");

static inline size_t
reef_recring_memsize(void)
{
	return sizeof(struct reef_recring) + (size_t)REEF_CLIENT_RING_RECORDS * REEF_RECRING_STRIDE;
}

static inline void
reef_recring_init(struct reef_recring *r)
{
	r->count = REEF_CLIENT_RING_RECORDS;
	r->rec_size = (uint32_t)REEF_RECRING_STRIDE;
	r->tail_seen = 0;
	r->head_seen = 0;
	__atomic_store_n(&r->head, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->tail, 0, __ATOMIC_RELEASE);
}

static inline void *
reef_recring_record(struct reef_recring *r, uint64_t index)
{
	return r->records + (size_t)(index & (REEF_CLIENT_RING_RECORDS - 1)) * REEF_RECRING_STRIDE;
}

/*
 * Producer: the next free record, or NULL when full or when the consumer's
 * index makes no sense (a corrupt peer). Fill it, then reef_recring_produce().
 */
static inline void *
reef_recring_produce_begin(struct reef_recring *r)
{
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);

	if (tail - r->head_seen >= REEF_CLIENT_RING_RECORDS) {
		/* Acquire: the consumer finished reading a record before moving head past it. */
		r->head_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		if (tail - r->head_seen >= REEF_CLIENT_RING_RECORDS) {
			return NULL;
		}
	}
	return reef_recring_record(r, tail);
}

static inline void
reef_recring_produce(struct reef_recring *r)
{
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);

	/* Release: the record is complete before the consumer can see it. */
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
}

/*
 * Consumer: the oldest record, or NULL when empty. *corrupt is set when the
 * producer's index is impossible (more than count ahead, or behind).
 */
static inline void *
reef_recring_peek(struct reef_recring *r, bool *corrupt)
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	uint64_t tail = r->tail_seen;

	if (tail == head) {
		/* Acquire: pairs with the release in reef_recring_produce(). */
		tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		r->tail_seen = tail;
	}
	*corrupt = tail - head > REEF_CLIENT_RING_RECORDS;
	if (tail == head || *corrupt) {
		return NULL;
	}
	return reef_recring_record(r, head);
}

static inline void
reef_recring_consume(struct reef_recring *r)
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);

	/* Release: done reading the record before the producer may reuse it. */
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
}

static inline uint32_t
reef_recring_fill(const struct reef_recring *r)
{
	return (uint32_t)(__atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) -
			  __atomic_load_n(&r->head, __ATOMIC_ACQUIRE));
}

/* A client's area: its request ring, then its reply ring. */
static inline size_t
reef_client_req_ring_size(void)
{
	return REEF_ALIGN_UP(reef_recring_memsize(), (size_t)4096);
}

static inline size_t
reef_client_area_size(void)
{
	/* The reply ring takes the same room as the request ring. */
	return 2 * reef_client_req_ring_size();
}

/* IPC between a client and the primary (DPDK multi-process messages). */
#define REEF_IPC_ATTACH "reef_client_attach"
#define REEF_IPC_DETACH "reef_client_detach"

struct reef_ipc_attach_req {
	int32_t pid;
	uint32_t abi_version;
	char comm[16];
};

struct reef_ipc_attach_reply {
	int32_t rc; /* 0 or -errno */
	uint32_t slot;
	uint32_t gen;
	uint32_t has_wake_fd; /* interrupt mode: an eventfd to write after posting */
};

struct reef_ipc_detach_req {
	uint32_t slot;
	uint32_t gen;
};

#endif /* REEF_INTERNAL_CLIENT_WIRE_H */
