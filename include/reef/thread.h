/*
 * Lightweight threads, pollers, messages and I/O channels.
 *
 * A reef_thread is a run-to-completion context: something (a reactor, or a
 * test) calls reef_thread_poll() on it over and over, and each poll runs its
 * pending messages and its pollers. Code never blocks; it sends a message to
 * the thread that owns the data instead of taking a lock. Semantics follow
 * SPDK's thread library, so SPDK code ports with a rename (reef/spdk_compat.h).
 *
 * The difference: every thread, poller, io_device and io_channel has a record
 * in the shared region (reef/shm.h) kept current as it changes, so other
 * processes can watch them live. Record sizes are fixed: names longer than
 * REEF_SHM_NAME_LEN - 1 are truncated, and tables have limits (--max-threads,
 * --max-pollers, ...) reached as -ENOSPC / NULL with a log line.
 *
 * "Which thread may call": unless said otherwise a function must be called
 * on a Reef thread of the primary (one whose reef_get_thread() is set).
 */
#ifndef REEF_THREAD_H
#define REEF_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reef/cpuset.h"

struct reef_thread;
struct reef_poller;
struct reef_io_channel;
struct reef_io_channel_iter;
struct reef_interrupt;

/* Poller return values: did work, or found nothing to do. Negative values count as idle. */
#define REEF_POLLER_IDLE 0
#define REEF_POLLER_BUSY 1

/* Messages handled per poll at most (the batch size). */
#define REEF_MSG_BATCH_SIZE 8
/* A thread asked to exit is forced out after this long. */
#define REEF_THREAD_EXIT_TIMEOUT_SEC 5

typedef void (*reef_msg_fn)(void *ctx);
typedef int (*reef_poller_fn)(void *ctx);
typedef int (*reef_interrupt_fn)(void *ctx);

/* Called for each thread created, so the framework can schedule it. Returns 0 or -errno. */
typedef int (*reef_new_thread_fn)(struct reef_thread *thread);

enum reef_thread_op {
	REEF_THREAD_OP_NEW,     /* a thread was created: schedule it */
	REEF_THREAD_OP_RESCHED, /* its cpumask changed: move it if needed */
};
typedef int (*reef_thread_op_fn)(struct reef_thread *thread, enum reef_thread_op op);
typedef bool (*reef_thread_op_supported_fn)(enum reef_thread_op op);

/* Create the per-thread context of a channel in ctx_buf; 0 or -errno (the get fails). */
typedef int (*reef_io_channel_create_fn)(void *io_device, void *ctx_buf);
typedef void (*reef_io_channel_destroy_fn)(void *io_device, void *ctx_buf);
/* Called once on the unregistering thread when the device is finally gone. */
typedef void (*reef_io_device_unregister_cb)(void *io_device);
/* Run on each channel's thread by reef_for_each_channel(); must call reef_for_each_channel_continue(). */
typedef void (*reef_channel_msg_fn)(struct reef_io_channel_iter *i);
typedef void (*reef_channel_for_each_cb)(struct reef_io_channel_iter *i, int status);

enum reef_thread_state {
	REEF_THREAD_STATE_RUNNING = 0,
	REEF_THREAD_STATE_EXITING = 1,
	REEF_THREAD_STATE_EXITED = 2,
};

enum reef_poller_state {
	REEF_POLLER_STATE_WAITING = 0,
	REEF_POLLER_STATE_RUNNING = 1,
	REEF_POLLER_STATE_UNREGISTERED = 2,
	REEF_POLLER_STATE_PAUSING = 3,
	REEF_POLLER_STATE_PAUSED = 4,
};

struct reef_thread_stats {
	uint64_t busy_tsc;
	uint64_t idle_tsc;
};

struct reef_poller_stats {
	uint64_t run_count;
	uint64_t busy_count;
	/* Cycles spent inside the function, counted while timing is on. */
	uint64_t busy_tsc;
};

/* ---- library ---- */

/*
 * Initialise the thread library over the region this process created
 * (reef_shm_create). new_thread_fn (may be NULL) hears of each new thread;
 * ctx_sz bytes of per-thread context come with every thread. Call once, on
 * the main thread. Returns 0, -ENODEV if there is no region, -EALREADY.
 */
int reef_thread_lib_init(reef_new_thread_fn new_thread_fn, size_t ctx_sz);

/*
 * The same with a thread-operation callback that also handles reschedules
 * (reef_thread_set_cpumask). Both functions or neither: -EINVAL otherwise.
 */
int reef_thread_lib_init_ext(reef_thread_op_fn thread_op_fn,
			     reef_thread_op_supported_fn thread_op_supported_fn, size_t ctx_sz);

/* Release the library; every thread must have been destroyed. Main thread only. */
void reef_thread_lib_fini(void);

/* ---- threads ---- */

/*
 * Create a thread named name (copied, truncated to the slot's size; NULL
 * gives "thread<id>") that may run on the cores of cpumask (copied; NULL: any
 * core). Any thread of the primary may call it. Returns NULL when the thread
 * table is full (log line names --max-threads), memory runs out, or the
 * framework refuses it.
 */
struct reef_thread *reef_thread_create(const char *name, const struct reef_cpuset *cpumask);

/* Make thread the calling OS thread's current Reef thread (NULL clears). Any OS thread. */
void reef_set_thread(struct reef_thread *thread);

/* The calling OS thread's current Reef thread, or NULL. Any OS thread. */
struct reef_thread *reef_get_thread(void);

/* The app thread: the first thread created. NULL before. Any thread. */
struct reef_thread *reef_thread_get_app_thread(void);

/*
 * Ask thread to exit: it goes on polling until its pollers are unregistered,
 * its channels put and its device unregistrations done, then becomes exited;
 * after REEF_THREAD_EXIT_TIMEOUT_SEC it is forced to exited. Call on that
 * thread. Returns 0 (also when already exiting).
 */
int reef_thread_exit(struct reef_thread *thread);

bool reef_thread_is_running(const struct reef_thread *thread);
bool reef_thread_is_exited(const struct reef_thread *thread);

/* Free an exited thread and its slot. Call on any OS thread not polling it. */
void reef_thread_destroy(struct reef_thread *thread);

/* The per-thread context (ctx_sz bytes), or NULL if ctx_sz was 0. */
void *reef_thread_get_ctx(struct reef_thread *thread);

/* The thread owning a context returned by reef_thread_get_ctx(). */
struct reef_thread *reef_thread_get_from_ctx(void *ctx);

const struct reef_cpuset *reef_thread_get_cpumask(const struct reef_thread *thread);

/*
 * Change the current thread's cpumask; the framework moves it at the end of
 * the current poll if it must. Returns 0, -ENOTSUP if the framework cannot
 * reschedule, -EINVAL if not called on a Reef thread or the mask is empty.
 */
int reef_thread_set_cpumask(const struct reef_cpuset *cpumask);

/* Pin a thread to its current core (bind) or let the scheduler move it again. */
void reef_thread_bind(struct reef_thread *thread, bool bind);
bool reef_thread_is_bound(const struct reef_thread *thread);

/*
 * Run one iteration of thread: a pending critical message, up to max_msgs
 * messages (0: a full batch of REEF_MSG_BATCH_SIZE), every active poller and
 * every due timed poller. now is the current tick count (0: read the clock).
 * Returns > 0 if anything did work, 0 if idle. Call from the OS thread that
 * runs thread; it becomes current for the duration.
 */
int reef_thread_poll(struct reef_thread *thread, uint32_t max_msgs, uint64_t now);

/* Tick at which the next timed poller is due, or 0 when there are none. */
uint64_t reef_thread_next_poller_expiration(struct reef_thread *thread);

/* Whether thread has active (period 0) pollers, paused ones not counted. */
bool reef_thread_has_active_pollers(struct reef_thread *thread);

/* Whether thread has any poller, paused ones included. */
bool reef_thread_has_pollers(struct reef_thread *thread);

/* Whether thread has nothing to do: no messages, no unpaused pollers. */
bool reef_thread_is_idle(struct reef_thread *thread);

/* Number of threads in existence. Any thread. */
uint32_t reef_thread_get_count(void);

const char *reef_thread_get_name(const struct reef_thread *thread);
uint64_t reef_thread_get_id(const struct reef_thread *thread);

/* The thread with this id, or NULL (ids are never reused). Any thread of the primary. */
struct reef_thread *reef_thread_get_by_id(uint64_t id);

/* Busy and idle ticks of the current thread. Returns 0 or -EINVAL (no current thread / NULL). */
int reef_thread_get_stats(struct reef_thread_stats *stats);

/* Tick at the end of thread's last poll (NULL: the current thread). */
uint64_t reef_thread_get_last_tsc(struct reef_thread *thread);

/* The thread's slot index in the region's thread table. */
uint32_t reef_thread_get_slot(const struct reef_thread *thread);

/* Iterate over all threads (in creation order). Any thread; not safe against concurrent destroy. */
struct reef_thread *reef_thread_get_first(void);
struct reef_thread *reef_thread_get_next(struct reef_thread *prev);

/* ---- messages ---- */

/*
 * Run fn(ctx) on thread the next time it polls; messages from one sender run
 * in the order sent. Any OS thread of the primary may send. Returns 0, -EIO if
 * thread has exited, -ENOBUFS if its message ring is full (--msg-ring-size).
 */
int reef_thread_send_msg(const struct reef_thread *thread, reef_msg_fn fn, void *ctx);

/*
 * reef_thread_send_msg to the thread with this id, safe even if that thread
 * is exiting or gone: the lookup and the send happen with the thread list
 * held. Any OS thread of the primary. Returns 0, -ESRCH (no running thread
 * with that id), -ENOBUFS (its ring is full).
 */
int reef_thread_send_msg_by_id(uint64_t id, reef_msg_fn fn, void *ctx);

/*
 * Run fn(NULL) on thread before anything else at its next poll; one critical
 * message may be pending at a time. Safe from a signal handler. Returns 0 or
 * -EIO when one is already pending.
 */
int reef_thread_send_critical_msg(struct reef_thread *thread, reef_msg_fn fn);

/* Run fn(ctx) now if thread is the current thread, else send it. Returns as reef_thread_send_msg. */
int reef_thread_exec_msg(const struct reef_thread *thread, reef_msg_fn fn, void *ctx);

/*
 * Run fn(ctx) on every thread in turn (one message at a time), then cpl(ctx)
 * on the calling thread. If iteration cannot start, cpl runs at once.
 */
void reef_for_each_thread(reef_msg_fn fn, void *ctx, reef_msg_fn cpl);

/* ---- pollers ---- */

/*
 * Register fn(arg) on the current thread: every poll if period_us is 0
 * (active), else every period_us microseconds (timed). The name is copied
 * (truncated; NULL: the function address). Returns NULL when there is no
 * current thread, it has exited, or the poller table is full (log line names
 * --max-pollers).
 */
struct reef_poller *reef_poller_register(reef_poller_fn fn, void *arg, uint64_t period_us);
struct reef_poller *reef_poller_register_named(reef_poller_fn fn, void *arg, uint64_t period_us,
					       const char *name);

/*
 * Unregister *ppoller and set it to NULL; it is freed at the end of the
 * current or next poll. Call on the poller's thread, also from inside it.
 */
void reef_poller_unregister(struct reef_poller **ppoller);

/*
 * Stop running the poller until resumed. From inside the poller it takes
 * effect at once; otherwise at the thread's next poll (state "pausing").
 * Call on the poller's thread. Pausing a paused poller does nothing.
 */
void reef_poller_pause(struct reef_poller *poller);

/* Undo a pause (a timed poller's next run is one period from now). Call on the poller's thread. */
void reef_poller_resume(struct reef_poller *poller);

/* "waiting", "running", "unregistered", "pausing", "paused"; NULL for other values. */
const char *reef_poller_state_str(enum reef_poller_state state);

const char *reef_poller_get_name(const struct reef_poller *poller);
uint64_t reef_poller_get_id(const struct reef_poller *poller);
enum reef_poller_state reef_poller_get_state(const struct reef_poller *poller);
const char *reef_poller_get_state_str(const struct reef_poller *poller);
uint64_t reef_poller_get_period_ticks(const struct reef_poller *poller);
void reef_poller_get_stats(const struct reef_poller *poller, struct reef_poller_stats *stats);
struct reef_thread *reef_poller_get_thread(const struct reef_poller *poller);

/*
 * Measure the cycles spent inside this poller's function (into its
 * busy_tsc), or stop. Costs two clock reads per run while on. Call on the
 * poller's thread.
 */
void reef_poller_set_timing(struct reef_poller *poller, bool on);
bool reef_poller_get_timing(const struct reef_poller *poller);

/* The thread's poller with this id, or NULL. Call on that thread. */
struct reef_poller *reef_thread_get_poller_by_id(struct reef_thread *thread, uint64_t id);

/* Iterate a thread's pollers of each list (for tests and tools). Call on that thread. */
struct reef_poller *reef_thread_get_first_active_poller(struct reef_thread *thread);
struct reef_poller *reef_thread_get_next_active_poller(struct reef_poller *prev);
struct reef_poller *reef_thread_get_first_timed_poller(struct reef_thread *thread);
struct reef_poller *reef_thread_get_next_timed_poller(struct reef_poller *prev);
struct reef_poller *reef_thread_get_first_paused_poller(struct reef_thread *thread);
struct reef_poller *reef_thread_get_next_paused_poller(struct reef_poller *prev);

/* ---- io devices and channels ---- */

/*
 * Register io_device (any unique pointer) so threads can get channels to it;
 * create_fn/destroy_fn build and tear down each thread's ctx_size-byte channel
 * context. The name is copied (NULL: the address). Returns 0, -EEXIST if
 * io_device is registered, -EINVAL (NULL arguments or no current thread),
 * -ENOSPC (device table full: --max-devices), -ENOMEM.
 */
int reef_io_device_register(void *io_device, reef_io_channel_create_fn create_fn,
			    reef_io_channel_destroy_fn destroy_fn, uint32_t ctx_size,
			    const char *name);

/*
 * Unregister io_device. It is freed once its last channel is put; then
 * unregister_cb (may be NULL) runs on the calling thread, which does not
 * finish exiting before that. Refused (with a log line) while
 * reef_for_each_channel() iterations on it are outstanding.
 */
void reef_io_device_unregister(void *io_device, reef_io_device_unregister_cb unregister_cb);

/* The registered name of io_device, or NULL if it is not registered. Any thread of the primary. */
const char *reef_io_device_get_name(void *io_device);

/*
 * The current thread's channel to io_device, creating it (create_fn) on first
 * use; each get takes a reference. Returns NULL if io_device is unknown, the
 * thread has exited, create_fn failed, or the channel table is full.
 */
struct reef_io_channel *reef_get_io_channel(void *io_device);

/* Drop a reference; the last one destroys the channel in a later message. Channel's thread only. */
void reef_put_io_channel(struct reef_io_channel *ch);

void *reef_io_channel_get_ctx(struct reef_io_channel *ch);
struct reef_io_channel *reef_io_channel_from_ctx(void *ctx);
struct reef_thread *reef_io_channel_get_thread(struct reef_io_channel *ch);
void *reef_io_channel_get_io_device(struct reef_io_channel *ch);
/* Current reference count of the channel. */
uint32_t reef_io_channel_get_ref_count(struct reef_io_channel *ch);

/* Iterate a thread's channels (for tests and tools). Call on that thread. */
struct reef_io_channel *reef_thread_get_first_io_channel(struct reef_thread *thread);
struct reef_io_channel *reef_thread_get_next_io_channel(struct reef_io_channel *prev);

/*
 * Call fn on the thread of every channel of io_device in turn, then cpl on the
 * calling thread with the status the last fn passed to
 * reef_for_each_channel_continue() (a non-zero status stops the iteration).
 * Channels removed meanwhile are skipped.
 */
void reef_for_each_channel(void *io_device, reef_channel_msg_fn fn, void *ctx,
			   reef_channel_for_each_cb cpl);
void reef_for_each_channel_continue(struct reef_io_channel_iter *i, int status);
void *reef_io_channel_iter_get_io_device(struct reef_io_channel_iter *i);
struct reef_io_channel *reef_io_channel_iter_get_channel(struct reef_io_channel_iter *i);
void *reef_io_channel_iter_get_ctx(struct reef_io_channel_iter *i);

/* ---- interrupt mode ---- */

/*
 * Switch the library to interrupt mode: threads get an epoll fd group, an
 * eventfd that senders write, and a timerfd per timed poller, so that a
 * framework can sleep instead of spinning. Call before reef_thread_lib_init.
 * Returns 0 or -EALREADY (library already initialised).
 */
int reef_interrupt_mode_enable(void);
bool reef_interrupt_mode_is_enabled(void);

/* Event types for reef_interrupt_set_event_types (epoll's values). */
enum reef_interrupt_event_types {
	REEF_INTERRUPT_EVENT_IN = 0x001,
	REEF_INTERRUPT_EVENT_OUT = 0x004,
	REEF_INTERRUPT_EVENT_ET = 1u << 31,
};

/*
 * Call fn(arg) on the current thread whenever efd is readable (interrupt mode
 * only). Returns NULL on failure (not interrupt mode, thread not running, efd
 * already registered).
 */
struct reef_interrupt *reef_interrupt_register(int efd, reef_interrupt_fn fn, void *arg,
					       const char *name);
void reef_interrupt_unregister(struct reef_interrupt **pintr);
int reef_interrupt_set_event_types(struct reef_interrupt *intr, uint32_t event_types);

/* The epoll fd of thread's fd group (interrupt mode), or -1. */
int reef_thread_get_interrupt_fd(struct reef_thread *thread);

/* Whether thread is in interrupt state now (interrupt mode, no active pollers). */
bool reef_thread_is_in_interrupt(const struct reef_thread *thread);

#endif /* REEF_THREAD_H */
