/*
 * The environment: the only part of Reef that talks to DPDK. Everything else
 * gets its clock, shared memory, rings and cores from here, so unit tests can
 * link the fake env (plain memory, a fake clock where one tick is one
 * microsecond) instead.
 *
 * A process initialises the env once, as the primary of a Reef app name or as
 * a secondary attached to a running primary of that name. The DPDK file prefix
 * is "reef_<name>", so primaries of different names run side by side.
 */
#ifndef REEF_ENV_H
#define REEF_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "reef/cpuset.h"

/* Longest Reef app name (letters, digits, '_' and '-'). */
#define REEF_APP_NAME_MAX     16
#define REEF_APP_NAME_DEFAULT "reef"

/* Returned by reef_env_lcore_id() on a thread that is not a DPDK lcore. */
#define REEF_LCORE_ANY UINT32_MAX

enum reef_env_role {
	REEF_ENV_PRIMARY,
	REEF_ENV_SECONDARY,
};

struct reef_env_opts {
	/* sizeof(struct reef_env_opts) as the caller knows it: new fields go at the end. */
	size_t opts_size;
	enum reef_env_role role;
	/* App name; NULL means REEF_APP_NAME_DEFAULT. */
	const char *name;
	/* Primary: the cores to run on (NULL: every core this process may use). */
	const struct reef_cpuset *cpumask;
	/* Primary: the main lcore (-1: the first core of the mask). */
	int main_core;
	/* Primary: hugepage memory to reserve up front in MiB (0: grow on demand). */
	uint32_t mem_size_mb;
	/* Print DPDK's own log lines (normally captured and shown only on failure). */
	bool dpdk_verbose;
};

/* Fill opts with defaults. */
void reef_env_opts_init(struct reef_env_opts *opts, size_t opts_size);

/*
 * Initialise DPDK as the primary or a secondary of opts->name. Call once per
 * process, from its main thread, before any other env function but the
 * clock ones. On failure one line says what is wrong and what to do.
 *
 * Returns 0, or:
 *  -EINVAL  bad name, empty or unusable core mask, main core not in the mask
 *  -ENOMEM  no free 2 MiB hugepages (run tools/setup.sh)
 *  -EEXIST  primary: a live primary already uses this name
 *  -ENOENT  secondary: no primary of this name is running
 *  -EALREADY the env is already initialised in this process
 *  -EIO     DPDK refused to initialise for another reason (its log is printed)
 */
int reef_env_init(const struct reef_env_opts *opts);

/* Release DPDK. The primary also removes its runtime directory. Main thread only. */
void reef_env_fini(void);

bool reef_env_is_initialized(void);
bool reef_env_is_primary(void);
/* The app name the env was initialised with ("" before init). */
const char *reef_env_get_name(void);

/* Whether name is a valid app name; if not and print is set, log one line saying why. */
bool reef_env_name_is_valid(const char *name, bool print);

/*
 * Secondary: whether the primary still holds its DPDK config lock (it is
 * alive). Primary: always true.
 */
bool reef_env_primary_alive(void);

/*
 * pid of the live primary of name, found through the lock it holds on its DPDK
 * config file; 0 when none runs. Usable before reef_env_init.
 */
pid_t reef_env_find_primary(const char *name);

/* ---- clock ---- */

/* A monotonic tick counter (the TSC on the real env) and its rate per second. */
uint64_t reef_get_ticks(void);
uint64_t reef_get_ticks_hz(void);
/* Busy-wait for at least us microseconds. */
void reef_delay_us(uint64_t us);

/* ---- shared memory ---- */

/*
 * Reserve a named, zeroed block of hugepage memory visible to secondaries at
 * the same address. Primary only; NULL on failure (-errno in *rc if not NULL).
 */
void *reef_memzone_reserve(const char *name, size_t len, size_t align, int *rc);
/* Find a block by name; its length in *len. NULL if there is none. */
void *reef_memzone_lookup(const char *name, size_t *len);
/* Free a block reserved by reef_memzone_reserve. Returns 0 or -ENOENT. */
int reef_memzone_free(const char *name);

/* ---- rings ---- */

/*
 * Lock-free FIFO rings of fixed-size elements, built in memory the caller
 * owns (a shared region carves them out at start-up). Element sizes are
 * multiples of 4 bytes; every call names the element size.
 */
struct reef_ring;

enum reef_ring_type {
	REEF_RING_MP_SC, /* many producers (threads of the primary), one consumer */
	REEF_RING_SP_SC, /* one producer, one consumer */
};

/* Bytes a ring of count elements (a power of two) of esize bytes needs; -EINVAL if invalid. */
ssize_t reef_ring_memsize(uint32_t count, uint32_t esize);
/* Initialise a ring in mem (reef_ring_memsize bytes). Returns 0 or -EINVAL. */
int reef_ring_init(struct reef_ring *ring, const char *name, uint32_t count,
		   enum reef_ring_type type);
/* Enqueue up to n elements; returns how many were enqueued. */
uint32_t reef_ring_enqueue_burst(struct reef_ring *ring, const void *objs, uint32_t esize,
				 uint32_t n);
/* Enqueue exactly n elements or none; returns n or 0. */
uint32_t reef_ring_enqueue_bulk(struct reef_ring *ring, const void *objs, uint32_t esize,
				uint32_t n);
/* Dequeue up to n elements; returns how many were dequeued. */
uint32_t reef_ring_dequeue_burst(struct reef_ring *ring, void *objs, uint32_t esize, uint32_t n);
/*
 * The same for 16-byte elements (two words: a message), the hot path of
 * every message. The size is fixed at compile time inside, so DPDK's copy
 * loop reduces to two 16-byte moves. Enqueue one element: 1 or 0 (full).
 */
uint32_t reef_ring_enqueue16(struct reef_ring *ring, const void *obj);
/* Dequeue up to n 16-byte elements; returns how many were dequeued. */
uint32_t reef_ring_dequeue_burst16(struct reef_ring *ring, void *objs, uint32_t n);
/* Number of elements waiting (a snapshot; may be read from any process). */
uint32_t reef_ring_count(const struct reef_ring *ring);
/* Total slots a ring can hold. */
uint32_t reef_ring_capacity(const struct reef_ring *ring);
/* Drop every element. Only when no producer or consumer can be using the ring. */
void reef_ring_reset(struct reef_ring *ring);

/* ---- cores ---- */

/* The DPDK lcore id of the calling thread, or REEF_LCORE_ANY. */
uint32_t reef_env_lcore_id(void);
uint32_t reef_env_main_lcore(void);
/* The lcores of this primary (its core mask). */
void reef_env_get_lcores(struct reef_cpuset *set);
uint32_t reef_env_lcore_count(void);
/* Run fn(arg) on a worker lcore. Returns 0 or -EBUSY if it is already running. */
int reef_env_lcore_launch(uint32_t lcore, int (*fn)(void *), void *arg);
/* Wait for the function launched on lcore to return; returns its return value. */
int reef_env_lcore_wait(uint32_t lcore);

/* ---- messages between processes (DPDK multi-process IPC) ---- */

#define REEF_IPC_PARAM_MAX 256
#define REEF_IPC_FDS_MAX   8

struct reef_ipc_msg {
	uint8_t param[REEF_IPC_PARAM_MAX];
	uint32_t len;
	int fds[REEF_IPC_FDS_MAX]; /* passed to the peer as new descriptors */
	uint32_t nfds;
};

/*
 * Primary: answer requests named action (up to 63 characters) with fn, which
 * fills reply. fn runs on DPDK's IPC thread, not on a Reef thread. Returns 0,
 * -EEXIST, -EINVAL.
 */
typedef void (*reef_ipc_fn)(const struct reef_ipc_msg *req, struct reef_ipc_msg *reply);
int reef_env_ipc_register(const char *action, reef_ipc_fn fn);
void reef_env_ipc_unregister(const char *action);

/*
 * Secondary: send a request to the primary and wait up to timeout_ms for its
 * reply. Returns 0, -ETIMEDOUT, -ESHUTDOWN (no primary answered), -EINVAL.
 */
int reef_env_ipc_request(const char *action, const struct reef_ipc_msg *req,
			 struct reef_ipc_msg *reply, uint32_t timeout_ms);

/* ---- DPDK telemetry (primary only) ---- */

/* A reply being built (DPDK's struct rte_tel_data). */
struct reef_tel;

/*
 * Called on DPDK's telemetry thread for command cmd with the text after its
 * comma (or NULL). Fill out and return 0, or a negative errno.
 */
typedef int (*reef_tel_fn)(const char *cmd, const char *params, struct reef_tel *out);

/*
 * Register a telemetry command ("/reef/...": letters, digits, '_' and '/',
 * under 56 characters) for dpdk-telemetry.py and collectors. Primary, after
 * reef_env_init. Returns 0 or -EINVAL.
 */
int reef_env_telemetry_register(const char *cmd, reef_tel_fn fn, const char *help);

/* A new container, to fill and then hand to reef_tel_dict_container (which owns it). */
struct reef_tel *reef_tel_new(void);
void reef_tel_start_dict(struct reef_tel *t);
/* Keys: letters, digits, '_' and '/'. String values are cleaned of characters JSON would choke on. */
int reef_tel_dict_u64(struct reef_tel *t, const char *key, uint64_t value);
int reef_tel_dict_int(struct reef_tel *t, const char *key, int value);
int reef_tel_dict_str(struct reef_tel *t, const char *key, const char *value);
int reef_tel_dict_container(struct reef_tel *t, const char *key, struct reef_tel *child);

/* Largest number of entries DPDK allows in one dict. */
#define REEF_TEL_MAX_DICT_ENTRIES 256

#endif /* REEF_ENV_H */
