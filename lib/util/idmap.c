/*
 * Linear probing over a table at least twice the most entries it holds, so a
 * probe sequence stays short. Removal shifts later entries of the same run
 * back instead of leaving tombstones, so the table never needs rebuilding.
 */
#include <errno.h>
#include <stdlib.h>

#include "reef/idmap.h"

/* Ids are sequential: a multiplicative hash spreads neighbours across the table. */
static inline uint32_t
home_of(const struct reef_idmap *map, uint64_t id)
{
	return (uint32_t)((id * 0x9e3779b97f4a7c15ULL) >> 32) & map->mask;
}

int
reef_idmap_init(struct reef_idmap *map, uint32_t max)
{
	uint32_t size = 8;

	map->entries = NULL;
	map->mask = 0;
	map->count = 0;
	map->max = 0;
	if (max == 0 || max > (1u << 30)) {
		return -EINVAL;
	}
	while (size < 2 * max) {
		size *= 2;
	}
	map->entries = calloc(size, sizeof(*map->entries));
	if (map->entries == NULL) {
		return -ENOMEM;
	}
	map->mask = size - 1;
	map->max = max;
	return 0;
}

void
reef_idmap_fini(struct reef_idmap *map)
{
	free(map->entries);
	map->entries = NULL;
	map->mask = 0;
	map->count = 0;
	map->max = 0;
}

/* Where id is, or the empty entry ending its run. */
static uint32_t
find_pos(const struct reef_idmap *map, uint64_t id)
{
	uint32_t i = home_of(map, id);

	while (map->entries[i].id != 0 && map->entries[i].id != id) {
		i = (i + 1) & map->mask;
	}
	return i;
}

int
reef_idmap_put(struct reef_idmap *map, uint64_t id, void *value)
{
	uint32_t i;

	if (id == 0 || value == NULL || map->entries == NULL) {
		return -EINVAL;
	}
	i = find_pos(map, id);
	if (map->entries[i].id == 0) {
		if (map->count == map->max) {
			return -ENOSPC;
		}
		map->entries[i].id = id;
		map->count++;
	}
	map->entries[i].value = value;
	return 0;
}

void *
reef_idmap_get(const struct reef_idmap *map, uint64_t id)
{
	uint32_t i;

	if (id == 0 || map->entries == NULL) {
		return NULL;
	}
	i = find_pos(map, id);
	return map->entries[i].id == id ? map->entries[i].value : NULL;
}

/* Whether home h lies cyclically in (gap, i]: then the entry at i must stay after gap. */
static inline int
stays(uint32_t gap, uint32_t i, uint32_t h)
{
	return gap <= i ? (gap < h && h <= i) : (gap < h || h <= i);
}

int
reef_idmap_del(struct reef_idmap *map, uint64_t id)
{
	uint32_t gap, i;

	if (id == 0 || map->entries == NULL) {
		return -ENOENT;
	}
	gap = find_pos(map, id);
	if (map->entries[gap].id != id) {
		return -ENOENT;
	}
	/* Move back every later entry of the run that the gap would cut off from its home. */
	for (i = (gap + 1) & map->mask; map->entries[i].id != 0; i = (i + 1) & map->mask) {
		if (!stays(gap, i, home_of(map, map->entries[i].id))) {
			map->entries[gap] = map->entries[i];
			gap = i;
		}
	}
	map->entries[gap].id = 0;
	map->entries[gap].value = NULL;
	map->count--;
	return 0;
}
