/*
 * Creating, publishing, attaching to and destroying the shared region.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "shm_internal.h"
#include "reef/log.h"
#include "reef/proc.h"
#include "reef/util.h"
#include "reef_internal/client_wire.h"

#define REGION_HEADER_BYTES 4096
#define ATTACH_WAIT_MS      2000

static const uint32_t g_slot_sizes[REEF_SHM_TABLE_COUNT] = {
	[REEF_SHM_REACTORS] = sizeof(struct reef_shm_reactor),
	[REEF_SHM_THREADS] = sizeof(struct reef_shm_thread),
	[REEF_SHM_POLLERS] = sizeof(struct reef_shm_poller),
	[REEF_SHM_DEVICES] = sizeof(struct reef_shm_device),
	[REEF_SHM_CHANNELS] = sizeof(struct reef_shm_channel),
	[REEF_SHM_CLIENTS] = sizeof(struct reef_shm_client),
	[REEF_SHM_HANDLERS] = sizeof(struct reef_shm_handler),
};

static struct reef_shm_region *g_local;

uint32_t
reef_shm_slot_size(enum reef_shm_table table)
{
	return table < REEF_SHM_TABLE_COUNT ? g_slot_sizes[table] : 0;
}

void
reef__shm_memzone_name(const char *app, char *buf, size_t len)
{
	snprintf(buf, len, "reef.%s.region", app);
}

void
reef_shm_limits_init(struct reef_shm_limits *limits)
{
	memset(limits, 0, sizeof(*limits));
	limits->max_threads = REEF_SHM_DEFAULT_MAX_THREADS;
	limits->max_pollers = REEF_SHM_DEFAULT_MAX_POLLERS;
	limits->max_devices = REEF_SHM_DEFAULT_MAX_DEVICES;
	limits->max_channels = REEF_SHM_DEFAULT_MAX_CHANNELS;
	limits->max_clients = REEF_SHM_DEFAULT_MAX_CLIENTS;
	limits->max_handlers = REEF_SHM_DEFAULT_MAX_HANDLERS;
	limits->msg_ring_size = REEF_SHM_DEFAULT_MSG_RING;
}

static uint32_t
table_limit(const struct reef_shm_limits *limits, enum reef_shm_table table)
{
	switch (table) {
	case REEF_SHM_REACTORS:
		return REEF_MAX_LCORE;
	case REEF_SHM_THREADS:
		return limits->max_threads;
	case REEF_SHM_POLLERS:
		return limits->max_pollers;
	case REEF_SHM_DEVICES:
		return limits->max_devices;
	case REEF_SHM_CHANNELS:
		return limits->max_channels;
	case REEF_SHM_CLIENTS:
		return limits->max_clients;
	case REEF_SHM_HANDLERS:
		return limits->max_handlers;
	default:
		return 0;
	}
}

const char *
reef_shm_table_option(enum reef_shm_table table)
{
	static const char *const options[REEF_SHM_TABLE_COUNT] = {
		[REEF_SHM_REACTORS] = "the core mask",  [REEF_SHM_THREADS] = "--max-threads",
		[REEF_SHM_POLLERS] = "--max-pollers",   [REEF_SHM_DEVICES] = "--max-devices",
		[REEF_SHM_CHANNELS] = "--max-channels", [REEF_SHM_CLIENTS] = "--max-clients",
		[REEF_SHM_HANDLERS] = "--max-handlers",
	};

	return table < REEF_SHM_TABLE_COUNT ? options[table] : "?";
}

int
reef_shm_limits_validate(const struct reef_shm_limits *limits)
{
	enum reef_shm_table t;

	for (t = REEF_SHM_THREADS; t < REEF_SHM_TABLE_COUNT; t++) {
		uint32_t n = table_limit(limits, t);

		if (n == 0 || n > REEF_SHM_MAX_SLOTS) {
			REEF_ERRLOG("%s must be between 1 and %u, not %u\n",
				    reef_shm_table_option(t), REEF_SHM_MAX_SLOTS, n);
			return -EINVAL;
		}
	}
	if (!reef_is_pow2(limits->msg_ring_size) || limits->msg_ring_size < 64 ||
	    limits->msg_ring_size > (1u << 20)) {
		REEF_ERRLOG("--msg-ring-size must be a power of two between 64 and %u, not %u\n",
			    1u << 20, limits->msg_ring_size);
		return -EINVAL;
	}
	return 0;
}

/* Fill in the table offsets of hdr for limits and return the total size. */
static size_t
layout(struct reef_shm_header *hdr, const struct reef_shm_limits *limits)
{
	size_t off = REGION_HEADER_BYTES;
	enum reef_shm_table t;
	ssize_t ring_size;

	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		uint32_t n = table_limit(limits, t);

		off = REEF_ALIGN_UP(off, (size_t)REEF_CACHE_LINE);
		hdr->tables[t].offset = off;
		hdr->tables[t].slot_size = g_slot_sizes[t];
		hdr->tables[t].count = n;
		off += (size_t)n * g_slot_sizes[t];
	}
	ring_size = reef_ring_memsize(limits->msg_ring_size, 16);
	off = REEF_ALIGN_UP(off, (size_t)REEF_CACHE_LINE);
	hdr->msg_rings_offset = off;
	hdr->msg_ring_memsize = (uint64_t)(ring_size > 0 ? ring_size : 0);
	off += (size_t)limits->max_threads * hdr->msg_ring_memsize;
	off = REEF_ALIGN_UP(off, (size_t)4096);
	hdr->client_areas_offset = off;
	hdr->client_area_size = reef_client_area_size();
	off += (size_t)limits->max_clients * hdr->client_area_size;
	return REEF_ALIGN_UP(off, (size_t)4096);
}

size_t
reef_shm_region_size(const struct reef_shm_limits *limits)
{
	struct reef_shm_header hdr;

	memset(&hdr, 0, sizeof(hdr));
	return layout(&hdr, limits);
}

static uint64_t
random_u64(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v)) {
		v = reef_get_ticks() ^ ((uint64_t)getpid() << 32);
	}
	return v | 1;
}

static void
init_tables(struct reef_shm_region *r)
{
	enum reef_shm_table t;

	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		uint32_t n = r->hdr->tables[t].count, i;

		for (i = 0; i < n; i++) {
			struct reef_shm_slot_hdr *slot = reef_shm_slot(r, t, i);

			slot->index = i;
		}
		if (t == REEF_SHM_REACTORS) {
			continue;
		}
		/* Stack of free indices, lowest on top. */
		for (i = 0; i < n; i++) {
			r->free_slots[t][i] = n - 1 - i;
		}
		r->nr_free[t] = n;
	}
}

static void
free_handle(struct reef_shm_region *r)
{
	enum reef_shm_table t;

	if (r == NULL) {
		return;
	}
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		free(r->free_slots[t]);
	}
	if (r->owner) {
		pthread_mutex_destroy(&r->lock);
	}
	free(r);
}

int
reef_shm_create(const char *name, const struct reef_shm_limits *limits,
		struct reef_shm_region **out)
{
	struct reef_shm_region *r;
	struct reef_shm_header tmp;
	enum reef_shm_table t;
	uint64_t start_time = 0;
	size_t size;
	int rc;

	if (!reef_env_is_primary()) {
		REEF_ERRLOG("only a primary can create a region: initialise the env as primary\n");
		return -EPERM;
	}
	rc = reef_shm_limits_validate(limits);
	if (rc != 0) {
		return rc;
	}
	memset(&tmp, 0, sizeof(tmp));
	size = layout(&tmp, limits);

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return -ENOMEM;
	}
	r->owner = true;
	pthread_mutex_init(&r->lock, NULL);
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		r->free_slots[t] = calloc(tmp.tables[t].count, sizeof(uint32_t));
		if (r->free_slots[t] == NULL) {
			free_handle(r);
			return -ENOMEM;
		}
	}
	reef__shm_memzone_name(name, r->memzone, sizeof(r->memzone));
	r->base = reef_memzone_reserve(r->memzone, size, 4096, &rc);
	if (r->base == NULL) {
		if (rc == -EEXIST) {
			REEF_ERRLOG("a region named '%s' already exists in this process\n", name);
		} else {
			REEF_ERRLOG(
				"cannot reserve %zu MiB of hugepage memory for the region: reserve "
				"more hugepages (HUGEMEM=N tools/setup.sh) or lower --max-threads "
				"/ --max-pollers\n",
				(size >> 20) + 1);
		}
		free_handle(r);
		return rc;
	}
	r->size = size;
	r->hdr = (struct reef_shm_header *)r->base;

	*r->hdr = tmp;
	r->hdr->abi_version = REEF_SHM_ABI_VERSION;
	r->hdr->header_size = sizeof(struct reef_shm_header);
	r->hdr->region_size = size;
	r->hdr->state = REEF_REGION_STARTING;
	r->hdr->primary_pid = getpid();
	reef_proc_start_time(getpid(), &start_time);
	r->hdr->primary_start_time = start_time;
	r->hdr->generation = random_u64();
	r->hdr->tsc_hz = reef_get_ticks_hz();
	r->hdr->created_tsc = reef_get_ticks();
	r->hdr->state_tsc = r->hdr->created_tsc;
	snprintf(r->hdr->app_name, sizeof(r->hdr->app_name), "%s", name);
	r->hdr->limits = *limits;
	r->hdr->next_thread_id = 1;
	r->hdr->next_poller_id = 1;
	r->hdr->next_device_id = 1;
	r->hdr->main_lcore = reef_env_main_lcore();
	init_tables(r);

	/*
	 * Magic last, with release: a reader that sees it (acquire load in
	 * wait_published) sees the whole header and every table initialised.
	 */
	__atomic_store_n(&r->hdr->magic, REEF_SHM_MAGIC, __ATOMIC_RELEASE);
	g_local = r;
	*out = r;
	return 0;
}

void
reef_shm_destroy(struct reef_shm_region *r)
{
	if (r == NULL) {
		return;
	}
	if (r->owner) {
		reef_shm_set_state(r, REEF_REGION_STOPPED);
		reef_memzone_free(r->memzone);
		if (g_local == r) {
			g_local = NULL;
		}
	}
	free_handle(r);
}

void
reef_shm_close(struct reef_shm_region *r)
{
	if (r == NULL) {
		return;
	}
	if (r->owner) {
		reef_shm_set_state(r, REEF_REGION_STOPPED);
		if (g_local == r) {
			g_local = NULL;
		}
	}
	free_handle(r);
}

struct reef_shm_region *
reef_shm_get_local(void)
{
	return g_local;
}

void
reef_shm_set_state(struct reef_shm_region *r, enum reef_region_state state)
{
	__atomic_store_n(&r->hdr->state_tsc, reef_get_ticks(), __ATOMIC_RELAXED);
	/* Release: whatever the primary did before changing state is visible with it. */
	__atomic_store_n(&r->hdr->state, (uint32_t)state, __ATOMIC_RELEASE);
}

const struct reef_shm_header *
reef_shm_get_header(const struct reef_shm_region *r)
{
	return r->hdr;
}

uint32_t
reef_shm_get_state(const struct reef_shm_region *r)
{
	return __atomic_load_n(&r->hdr->state, __ATOMIC_ACQUIRE);
}

bool
reef_shm_primary_alive(const struct reef_shm_region *r)
{
	if (reef_shm_get_state(r) == REEF_REGION_STOPPED) {
		return false;
	}
	return reef_proc_is_alive(r->hdr->primary_pid, r->hdr->primary_start_time);
}

static int
check_abi(const struct reef_shm_header *hdr, const char *name)
{
	enum reef_shm_table t;

	if (hdr->abi_version != REEF_SHM_ABI_VERSION ||
	    hdr->header_size != sizeof(struct reef_shm_header)) {
		REEF_ERRLOG("primary '%s' uses region ABI version %u, this program version %u: use "
			    "tools and primary from the same Reef build\n",
			    name, hdr->abi_version, REEF_SHM_ABI_VERSION);
		return -EPROTO;
	}
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		if (hdr->tables[t].slot_size != g_slot_sizes[t]) {
			REEF_ERRLOG(
				"primary '%s' has a different region layout (table %d slots of %u "
				"bytes, expected %u): use tools and primary from the same Reef "
				"build\n",
				name, (int)t, hdr->tables[t].slot_size, g_slot_sizes[t]);
			return -EPROTO;
		}
		if (hdr->tables[t].offset + (uint64_t)hdr->tables[t].count * g_slot_sizes[t] >
		    hdr->region_size) {
			REEF_ERRLOG("primary '%s' has a corrupt region header (table %d out of "
				    "bounds)\n",
				    name, (int)t);
			return -EPROTO;
		}
	}
	return 0;
}

/* Wait for the memzone and its magic; the primary may still be starting. */
static int
wait_published(const char *name, const char *memzone, void **base, size_t *len)
{
	uint64_t waited_us = 0;

	for (;;) {
		struct reef_shm_header *hdr = reef_memzone_lookup(memzone, len);

		/* Acquire: pairs with the release store of the magic in reef_shm_create. */
		if (hdr != NULL &&
		    __atomic_load_n(&hdr->magic, __ATOMIC_ACQUIRE) == REEF_SHM_MAGIC) {
			*base = hdr;
			return 0;
		}
		if (waited_us >= ATTACH_WAIT_MS * 1000ULL) {
			if (hdr == NULL) {
				REEF_ERRLOG(
					"primary '%s' runs but has no Reef region: is it a Reef "
					"primary?\n",
					name);
				return -ENOENT;
			}
			REEF_ERRLOG(
				"primary '%s' did not finish publishing its region within %d ms: "
				"try again once it has started\n",
				name, ATTACH_WAIT_MS);
			return -ETIMEDOUT;
		}
		usleep(10000);
		waited_us += 10000;
	}
}

int
reef_shm_attach(const char *name, struct reef_shm_region **out)
{
	struct reef_shm_region *r;
	void *base = NULL;
	size_t len = 0;
	int rc;

	if (name == NULL) {
		name = REEF_APP_NAME_DEFAULT;
	}
	if (!reef_env_is_initialized()) {
		struct reef_env_opts opts;

		reef_env_opts_init(&opts, sizeof(opts));
		opts.role = REEF_ENV_SECONDARY;
		opts.name = name;
		rc = reef_env_init(&opts);
		if (rc != 0) {
			return rc;
		}
	} else if (strcmp(reef_env_get_name(), name) != 0) {
		REEF_ERRLOG("this process is attached to '%s' and cannot attach to '%s' too\n",
			    reef_env_get_name(), name);
		return -EINVAL;
	}

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return -ENOMEM;
	}
	reef__shm_memzone_name(name, r->memzone, sizeof(r->memzone));
	rc = wait_published(name, r->memzone, &base, &len);
	if (rc != 0) {
		free(r);
		return rc;
	}
	r->base = base;
	r->hdr = base;
	r->size = len;
	rc = check_abi(r->hdr, name);
	if (rc == 0 && r->hdr->region_size > len) {
		REEF_ERRLOG("primary '%s' region is smaller than its header says: corrupt region\n",
			    name);
		rc = -EPROTO;
	}
	if (rc == 0 && !reef_shm_primary_alive(r)) {
		REEF_ERRLOG("primary '%s' has stopped: start it again\n", name);
		rc = -ESHUTDOWN;
	}
	if (rc != 0) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
reef_shm_detach(struct reef_shm_region *r)
{
	if (r != NULL && !r->owner) {
		free_handle(r);
	}
}
