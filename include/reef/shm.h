/*
 * The shared region: layout and reader API.
 *
 * A Reef primary keeps every thread, poller, reactor, io_device, io_channel,
 * client and message-handler record in one hugepage memzone named
 * "reef.<app name>.region", so that other processes (reef-top, reef-post,
 * telemetry, your own tools) can watch it live without asking the primary.
 *
 * The layout is an ABI: a header, then fixed tables of fixed-size slots found
 * through offsets in the header. Records refer to each other by id and slot
 * index, never by pointer. Each slot starts with a sequence counter (odd while
 * the primary writes it) and a generation (bumped every time the slot is
 * reused); readers copy a slot and keep the copy only if the counter was even
 * and unchanged (see reef/seqlock.h). Counters only grow; rates are deltas.
 *
 * The reader functions below may be called from any thread of any process
 * attached to the region; they never block the primary.
 */
#ifndef REEF_SHM_H
#define REEF_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reef/cpuset.h"

/* "REEFRGN1" read as a little-endian integer. */
#define REEF_SHM_MAGIC       0x314e475246454552ULL
#define REEF_SHM_ABI_VERSION 1
/* Bytes of a name in a slot, NUL included: longer names are truncated. */
#define REEF_SHM_NAME_LEN     40
#define REEF_SHM_APP_NAME_LEN 32

/* Table defaults and bounds (the primary's --max-* options). */
#define REEF_SHM_DEFAULT_MAX_THREADS  1024
#define REEF_SHM_DEFAULT_MAX_POLLERS  65536
#define REEF_SHM_DEFAULT_MAX_DEVICES  256
#define REEF_SHM_DEFAULT_MAX_CHANNELS 8192
#define REEF_SHM_DEFAULT_MAX_CLIENTS  32
#define REEF_SHM_DEFAULT_MAX_HANDLERS 256
#define REEF_SHM_DEFAULT_MSG_RING     4096
#define REEF_SHM_MAX_SLOTS            (1u << 24)

enum reef_shm_table {
	REEF_SHM_REACTORS,
	REEF_SHM_THREADS,
	REEF_SHM_POLLERS,
	REEF_SHM_DEVICES,
	REEF_SHM_CHANNELS,
	REEF_SHM_CLIENTS,
	REEF_SHM_HANDLERS,
	REEF_SHM_TABLE_COUNT,
};

enum reef_region_state {
	REEF_REGION_STARTING = 1,
	REEF_REGION_RUNNING = 2,
	REEF_REGION_STOPPING = 3,
	REEF_REGION_STOPPED = 4,
};

/* Values of reef_shm_thread.state. */
enum reef_shm_thread_state {
	REEF_SHM_THREAD_RUNNING = 0,
	REEF_SHM_THREAD_EXITING = 1,
	REEF_SHM_THREAD_EXITED = 2,
};

/* Values of reef_shm_poller.state (the same as enum reef_poller_state). */
enum reef_shm_poller_state {
	REEF_SHM_POLLER_WAITING = 0,
	REEF_SHM_POLLER_RUNNING = 1,
	REEF_SHM_POLLER_UNREGISTERED = 2,
	REEF_SHM_POLLER_PAUSING = 3,
	REEF_SHM_POLLER_PAUSED = 4,
};

enum reef_shm_poller_kind {
	REEF_SHM_POLLER_ACTIVE = 0,
	REEF_SHM_POLLER_TIMED = 1,
};

/* Values of reef_shm_reactor.state. */
enum reef_shm_reactor_state {
	REEF_SHM_REACTOR_OFF = 0,
	REEF_SHM_REACTOR_RUNNING = 1,
	REEF_SHM_REACTOR_STOPPING = 2,
	REEF_SHM_REACTOR_STOPPED = 3,
};

/* Values of reef_shm_client.state. */
enum reef_shm_client_state {
	REEF_SHM_CLIENT_FREE = 0,
	REEF_SHM_CLIENT_ATTACHED = 1,
	REEF_SHM_CLIENT_DEAD = 2,
};

/* Bits of reef_shm_thread.flags. */
#define REEF_SHM_THREAD_F_APP   0x1u /* the app thread */
#define REEF_SHM_THREAD_F_BOUND 0x2u /* reef_thread_bind(): never moved */

/* Every slot begins with this. */
struct reef_shm_slot_hdr {
	uint32_t seq;    /* seqlock: odd while the primary writes the slot */
	uint32_t gen;    /* bumped each time the slot is allocated */
	uint32_t index;  /* this slot's index in its table (constant) */
	uint32_t in_use; /* 1 while allocated */
};

struct reef_shm_table_desc {
	uint64_t offset;    /* from the start of the region */
	uint32_t slot_size; /* sizeof the slot struct the primary was built with */
	uint32_t count;     /* number of slots */
};

struct reef_shm_limits {
	uint32_t max_threads;
	uint32_t max_pollers;
	uint32_t max_devices;
	uint32_t max_channels;
	uint32_t max_clients;
	uint32_t max_handlers;
	uint32_t msg_ring_size; /* message ring entries per thread (power of two) */
	uint32_t reserved;
};

struct reef_shm_header {
	uint64_t magic; /* written last, with release: the region is ready */
	uint32_t abi_version;
	uint32_t header_size;
	uint64_t region_size;
	uint32_t state; /* enum reef_region_state */
	int32_t primary_pid;
	uint64_t primary_start_time; /* reef_proc_start_time() of the primary */
	uint64_t generation;         /* random, unique to this region instance */
	uint64_t tsc_hz;
	uint64_t created_tsc;
	char app_name[REEF_SHM_APP_NAME_LEN];
	struct reef_shm_limits limits;
	struct reef_shm_table_desc tables[8];
	uint64_t msg_rings_offset; /* thread slot i's ring at offset + i * msg_ring_memsize */
	uint64_t msg_ring_memsize;
	uint64_t client_areas_offset; /* client slot i's rings and buffers, see reef/client.h */
	uint64_t client_area_size;
	/* Live counts and id sources, maintained by the primary. */
	uint64_t next_thread_id;
	uint64_t next_poller_id;
	uint64_t next_device_id;
	uint32_t thread_count;
	uint32_t poller_count;
	uint32_t device_count;
	uint32_t channel_count;
	uint32_t client_count;
	uint32_t handler_count;
	uint32_t reactor_count;
	uint32_t main_lcore;
	uint64_t state_tsc; /* when state last changed */
	uint64_t reserved[20];
};

struct reef_shm_reactor {
	struct reef_shm_slot_hdr hdr;
	uint32_t lcore;
	uint32_t state; /* enum reef_shm_reactor_state */
	uint32_t thread_count;
	uint32_t in_interrupt; /* 1 while asleep in epoll */
	uint64_t busy_tsc;
	uint64_t idle_tsc;
	uint64_t iterations;
	uint64_t sleeps;
	/* Stall detector: the longest iteration and what it spent its time in. */
	uint64_t longest_iter_tsc;
	uint64_t longest_poller_id; /* 0: a message or the thread as a whole */
	uint64_t longest_thread_id;
	char longest_name[REEF_SHM_NAME_LEN];
	/* What the reactor runs right now (updated every iteration). */
	uint64_t iter_start_tsc;
	uint64_t cur_thread_id;
	uint64_t stalls; /* iterations longer than the stall threshold */
	uint64_t last_stall_tsc;
	uint64_t stall_threshold_tsc;
	uint64_t threads_in; /* threads moved onto this reactor */
	uint64_t threads_out;
	uint32_t cur_thread_slot; /* slot of the thread being polled (with cur_thread_id) */
	uint32_t reserved0;
	uint64_t sleep_tsc; /* time asleep in interrupt mode (part of idle_tsc) */
	/* Stalls during which the reactor's OS thread got under half a CPU: preemption. */
	uint64_t preempted_stalls;
	uint64_t reserved[6];
};

struct reef_shm_thread {
	struct reef_shm_slot_hdr hdr;
	uint64_t id; /* never reused within a region */
	char name[REEF_SHM_NAME_LEN];
	uint32_t state; /* enum reef_shm_thread_state */
	uint32_t lcore; /* reactor running it; UINT32_MAX while unscheduled */
	uint64_t cpumask[REEF_MAX_LCORE / 64];
	uint32_t flags; /* REEF_SHM_THREAD_F_* */
	uint32_t in_interrupt;
	uint32_t active_pollers; /* registered, not paused */
	uint32_t timed_pollers;  /* registered, not paused */
	uint32_t paused_pollers; /* paused or pausing */
	uint32_t io_channels;
	uint64_t created_tsc;
	uint64_t last_tsc; /* end of its last poll */
	uint64_t busy_tsc; /* polls in which something did work */
	uint64_t idle_tsc;
	uint64_t polls;
	uint64_t msgs_executed;
	uint64_t critical_msgs;
	uint64_t remote_msgs; /* messages posted by other processes */
	/* The poller running now (0: none; UINT64_MAX: a message) and the message function. */
	uint64_t running_poller_id;
	uint64_t running_msg_fn;
	uint64_t moves;
	uint64_t reserved[7];
};

struct reef_shm_poller {
	struct reef_shm_slot_hdr hdr;
	uint64_t id; /* never reused within a region */
	uint64_t thread_id;
	uint32_t thread_slot;
	uint32_t kind; /* enum reef_shm_poller_kind */
	uint64_t period_ticks;
	char name[REEF_SHM_NAME_LEN];
	uint64_t registered_tsc;
	uint64_t reserved[4];
	/* Third cache line: what changes on every run. */
	uint32_t state;  /* enum reef_shm_poller_state */
	uint32_t timing; /* 1 while busy_tsc is being measured */
	uint64_t next_run_tick;
	uint64_t run_count;
	uint64_t busy_count; /* runs that returned > 0 */
	uint64_t busy_tsc;   /* cycles inside the poller function while timing is on */
	uint64_t timed_runs; /* runs measured into busy_tsc */
	uint64_t max_run_tsc;
	uint64_t reserved1;
};

struct reef_shm_device {
	struct reef_shm_slot_hdr hdr;
	uint64_t id;
	char name[REEF_SHM_NAME_LEN];
	uint32_t refcnt; /* channels open on it */
	uint32_t unregistered;
	uint32_t for_each_count;
	uint32_t ctx_size;
	uint64_t owner_thread_id; /* thread that registered it */
	uint64_t created_tsc;
	uint64_t channels_created;
	uint64_t reserved[3];
};

struct reef_shm_channel {
	struct reef_shm_slot_hdr hdr;
	uint64_t device_id;
	uint64_t thread_id;
	uint32_t device_slot;
	uint32_t thread_slot;
	uint32_t ref;
	uint32_t destroy_ref;
	uint64_t created_tsc;
	uint64_t reserved;
};

struct reef_shm_client {
	struct reef_shm_slot_hdr hdr;
	int32_t pid;
	uint32_t state; /* enum reef_shm_client_state */
	uint64_t start_time;
	uint64_t attach_tsc;
	uint64_t received; /* requests the primary took from the client's ring */
	uint64_t replied;
	uint64_t dropped;  /* replies dropped: ring full or client gone */
	uint64_t rejected; /* requests refused: bad thread, handler, size */
	char comm[16];
	uint64_t reserved[21];
};

struct reef_shm_handler {
	struct reef_shm_slot_hdr hdr;
	uint32_t id;
	uint32_t flags;
	char name[REEF_SHM_NAME_LEN];
	uint64_t calls;
	uint64_t reserved[3];
};

_Static_assert(sizeof(struct reef_shm_slot_hdr) == 16, "slot header");
_Static_assert(sizeof(struct reef_shm_header) == 512, "region header");
_Static_assert(sizeof(struct reef_shm_reactor) == 256, "reactor slot");
_Static_assert(sizeof(struct reef_shm_thread) == 256, "thread slot");
_Static_assert(sizeof(struct reef_shm_poller) == 192, "poller slot");
_Static_assert(sizeof(struct reef_shm_device) == 128, "device slot");
_Static_assert(sizeof(struct reef_shm_channel) == 64, "channel slot");
_Static_assert(sizeof(struct reef_shm_client) == 256, "client slot");
_Static_assert(sizeof(struct reef_shm_handler) == 96, "handler slot");
_Static_assert(offsetof(struct reef_shm_header, magic) == 0, "magic first");
_Static_assert(offsetof(struct reef_shm_header, abi_version) == 8, "version next");
_Static_assert(offsetof(struct reef_shm_poller, state) == 128, "poller hot fields share a line");

/* ---- reader API ---- */

/* A region as seen by this process (the primary that made it, or an attached reader). */
struct reef_shm_region;

/*
 * Attach to the region of the running primary `name`: initialises the env
 * as a secondary if this process has not done so, waits (up to 2 s) for the
 * primary to publish the region, and checks its ABI version.
 *
 * Returns 0, or (after one clear log line):
 *  -ENOENT  no primary of that name runs, or it has no Reef region
 *  -EPROTO  the region was made by an incompatible Reef (ABI version or slot sizes)
 *  -ETIMEDOUT the primary did not publish its region in time
 *  -ESHUTDOWN the primary has stopped
 *  and the errors of reef_env_init().
 */
int reef_shm_attach(const char *name, struct reef_shm_region **region);

/* Forget an attached region (the env stays initialised). */
void reef_shm_detach(struct reef_shm_region *region);

/* The header of a region (fields that change are read with atomic loads). */
const struct reef_shm_header *reef_shm_get_header(const struct reef_shm_region *region);

/* enum reef_region_state, read atomically. */
uint32_t reef_shm_get_state(const struct reef_shm_region *region);

/*
 * Whether the primary that made the region is alive: same pid, same start
 * time, and the region not marked stopped.
 */
bool reef_shm_primary_alive(const struct reef_shm_region *region);

/* Number of slots of a table. */
uint32_t reef_shm_table_count(const struct reef_shm_region *region, enum reef_shm_table table);

/* Size of one slot of a table. */
uint32_t reef_shm_slot_size(enum reef_shm_table table);

/* Address of a slot (for the primary's writers and for peeking; readers copy with reef_shm_read). */
void *reef_shm_slot(const struct reef_shm_region *region, enum reef_shm_table table,
		    uint32_t index);

/*
 * Copy slot `index` of `table` into out (reef_shm_slot_size(table) bytes) as
 * one consistent record. Returns 0, -ENOENT if the slot is free, -EINVAL for
 * a bad table or index, or -EAGAIN if the primary kept rewriting it for
 * longer than a bounded number of retries.
 */
int reef_shm_read(const struct reef_shm_region *region, enum reef_shm_table table, uint32_t index,
		  void *out);

/* Pending messages in a thread's message ring (a snapshot). */
uint32_t reef_shm_thread_msgs_pending(const struct reef_shm_region *region, uint32_t thread_slot);

/* Names for enum values, for display. */
const char *reef_shm_region_state_str(uint32_t state);
const char *reef_shm_thread_state_str(uint32_t state);
const char *reef_shm_poller_state_str(uint32_t state);
const char *reef_shm_reactor_state_str(uint32_t state);

/*
 * A snapshot: consistent copies of every slot in use, taken in one pass. Each
 * record is consistent on its own; records may be microseconds apart.
 */
struct reef_shm_snapshot {
	struct reef_shm_header header;
	uint64_t tsc; /* when the snapshot started, in the primary's ticks */
	uint32_t nr[REEF_SHM_TABLE_COUNT];
	struct reef_shm_reactor *reactors;
	struct reef_shm_thread *threads;
	struct reef_shm_poller *pollers;
	struct reef_shm_device *devices;
	struct reef_shm_channel *channels;
	struct reef_shm_client *clients;
	struct reef_shm_handler *handlers;
	/* Slots skipped because they changed too often to copy (rare; shown, not hidden). */
	uint32_t skipped;
};

/* Allocate room for snapshots of this region. Returns 0 or -ENOMEM. */
int reef_shm_snapshot_init(const struct reef_shm_region *region, struct reef_shm_snapshot *snap);

/* Take a snapshot into snap (which reef_shm_snapshot_init prepared). Returns 0. */
int reef_shm_snapshot_take(const struct reef_shm_region *region, struct reef_shm_snapshot *snap);

void reef_shm_snapshot_fini(struct reef_shm_snapshot *snap);

#endif /* REEF_SHM_H */
