/*
 * A map from 64-bit ids (never 0) to pointers: open addressing with linear
 * probing, sized once for the most entries it will hold, so that adding never
 * allocates. Finding a thread by id for every message from another process
 * must not cost a walk over every thread.
 *
 * Not thread-safe: the owner serialises access (lib/thread holds its lock).
 */
#ifndef REEF_IDMAP_H
#define REEF_IDMAP_H

#include <stdint.h>

struct reef_idmap_entry {
	uint64_t id; /* 0: empty */
	void *value;
};

struct reef_idmap {
	struct reef_idmap_entry *entries;
	uint32_t mask;
	uint32_t count;
	uint32_t max;
};

/* Room for up to max entries. Returns 0, -EINVAL (max 0 or too large) or -ENOMEM. */
int reef_idmap_init(struct reef_idmap *map, uint32_t max);
void reef_idmap_fini(struct reef_idmap *map);
/* Add or replace id's value. Returns 0, -EINVAL (id 0 or value NULL) or -ENOSPC (max reached). */
int reef_idmap_put(struct reef_idmap *map, uint64_t id, void *value);
/* id's value, or NULL. */
void *reef_idmap_get(const struct reef_idmap *map, uint64_t id);
/* Remove id. Returns 0, or -ENOENT when it is not there. */
int reef_idmap_del(struct reef_idmap *map, uint64_t id);

#endif /* REEF_IDMAP_H */
