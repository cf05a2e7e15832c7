#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_memzone.h>

#include "reef/env.h"
#include "reef/log.h"

void *
reef_memzone_reserve(const char *name, size_t len, size_t align, int *rc)
{
	const struct rte_memzone *mz;

	mz = rte_memzone_reserve_aligned(name, len, SOCKET_ID_ANY, 0, (unsigned int)align);
	if (mz == NULL) {
		if (rc != NULL) {
			*rc = rte_errno == EEXIST ? -EEXIST : -ENOMEM;
		}
		return NULL;
	}
	/* DPDK memory is not always zeroed on reuse; callers rely on it. */
	memset(mz->addr, 0, mz->len);
	if (rc != NULL) {
		*rc = 0;
	}
	return mz->addr;
}

void *
reef_memzone_lookup(const char *name, size_t *len)
{
	const struct rte_memzone *mz = rte_memzone_lookup(name);

	if (mz == NULL) {
		return NULL;
	}
	if (len != NULL) {
		*len = mz->len;
	}
	return mz->addr;
}

int
reef_memzone_free(const char *name)
{
	const struct rte_memzone *mz = rte_memzone_lookup(name);

	if (mz == NULL) {
		return -ENOENT;
	}
	return rte_memzone_free(mz) == 0 ? 0 : -EINVAL;
}
