/*
 * lib/thread's private structures, shared by its files. The records readers
 * see live in the shared region; these hold what only the primary needs
 * (function pointers, contexts, list links).
 */
#ifndef REEF_THREAD_INTERNAL_H
#define REEF_THREAD_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include "reef/fd_group.h"
#include "reef/idmap.h"
#include "reef/queue.h"
#include "reef/thread.h"
#include "reef_internal/shm.h"

/* A message travels by value in the target thread's ring. */
struct reef_msg {
	reef_msg_fn fn;
	void *ctx;
};
_Static_assert(sizeof(struct reef_msg) == 16, "messages are two words");

/* shm running_poller_id while messages run. */
#define REEF_RUNNING_MSG UINT64_MAX

/*
 * What a poll reads and writes for every run sits in the first cache line
 * (allocated cache-aligned): with a thousand pollers the walk is bound by the
 * lines it touches, not by instructions.
 */
struct reef_poller {
	TAILQ_ENTRY(reef_poller) tailq;
	reef_poller_fn fn;
	void *arg;
	struct reef_shm_poller *shm;
	uint64_t id;
	uint64_t next_run_tick;
	enum reef_poller_state state;
	bool timing;
	/* Second line: registration, timer re-insertion, interrupt mode. */
	uint64_t period_ticks __attribute__((aligned(64)));
	struct reef_thread *thread;
	uint64_t period_us;
	/* Interrupt mode: the timerfd that drives a timed poller, or -1. */
	int timerfd;
};
_Static_assert(offsetof(struct reef_poller, timing) < 64, "a poller's hot fields share a line");

TAILQ_HEAD(reef_poller_list, reef_poller);

struct io_device;

struct reef_io_channel {
	struct reef_thread *thread;
	struct io_device *dev;
	uint32_t ref;
	uint32_t destroy_ref;
	reef_io_channel_destroy_fn destroy_fn;
	struct reef_shm_channel *shm;
	TAILQ_ENTRY(reef_io_channel) tailq;
	uint8_t ctx[] __attribute__((aligned(16)));
};

struct reef_thread {
	/*
	 * What senders on other cores read for every message. Written only at
	 * creation, at exit and when interrupt state changes, so this line stays
	 * shared in every core's cache instead of bouncing on each poll.
	 */
	struct reef_shm_thread *shm;
	struct reef_ring *messages;
	/* Read on every poll; set by a sender's compare-exchange (rare). */
	reef_msg_fn critical_msg;
	uint64_t id;
	enum reef_thread_state state;
	bool in_interrupt;
	/* Interrupt mode: the eventfd that wakes the thread, or -1. */
	int msg_fd;

	/* The polling core's own: written on every poll. */
	uint64_t tsc_last __attribute__((aligned(64)));
	/* Interrupt state: pollers were paused or unregistered and need tidying. */
	bool pollers_changed;
	struct reef_poller_list active_pollers;
	/*
	 * active_pollers again, as an array in list order (tail last): the poll
	 * walks it instead of chasing links, which with a thousand pollers costs
	 * a cache miss per poller. Room for every poller of the thread is
	 * reserved at registration, so moving one back to the list never fails.
	 */
	struct reef_poller **active_vec;
	uint32_t active_nr;
	uint32_t active_cap;
	/* Pollers of this thread not yet freed (any list, any state). */
	uint32_t nr_pollers;
	struct reef_poller_list timed_pollers;
	struct reef_poller_list paused_pollers;
	TAILQ_HEAD(, reef_io_channel) io_channels;

	uint64_t exit_timeout_tsc;
	uint32_t pending_unregister_count;
	uint32_t slot;
	struct reef_cpuset cpumask;
	bool bound;
	/* Interrupt mode. */
	struct reef_fd_group *fgrp;
	TAILQ_ENTRY(reef_thread) tailq;
	uint8_t ctx[] __attribute__((aligned(64)));
};
_Static_assert(offsetof(struct reef_thread, msg_fd) < 64, "what senders read shares one line");

/* State shared by the library's files. */
struct reef__thread_lib {
	bool initialized;
	struct reef_shm_region *region;
	reef_new_thread_fn new_thread_fn;
	reef_thread_op_fn thread_op_fn;
	reef_thread_op_supported_fn thread_op_supported_fn;
	size_t ctx_sz;
	uint32_t msg_ring_size;
	/* Guards the thread list and the io_device list (the reference's devlist mutex). */
	pthread_mutex_t lock;
	TAILQ_HEAD(, reef_thread) threads;
	/* The same threads by id: messages from other processes name their target by id. */
	struct reef_idmap by_id;
	uint32_t thread_count;
	struct reef_thread *app_thread;
};

extern struct reef__thread_lib reef__thread_lib;

/* thread.c */
void reef__thread_shm_set_state(struct reef_thread *thread, enum reef_thread_state state);

/* msg.c */
/* reef_thread_send_msg, optionally without a log line when the ring is full (backpressure). */
int reef__msg_send(const struct reef_thread *thread, reef_msg_fn fn, void *ctx,
		   bool quiet_when_full);
uint32_t reef__msg_run_batch(struct reef_thread *thread, uint32_t max_msgs);
int reef__msg_run_critical(struct reef_thread *thread);
/* Wake thread if it sleeps in interrupt state. */
int reef__msg_notify(const struct reef_thread *thread);

/* poller.c */
int reef__poller_run_active(struct reef_thread *thread);
int reef__poller_run_timed(struct reef_thread *thread, uint64_t now);
/* Interrupt mode: run a timed poller whose timerfd fired. */
int reef__poller_run_timer(struct reef_poller *poller);
/* Free pollers unregistered and park pollers pausing, outside a poll loop. */
void reef__poller_tidy(struct reef_thread *thread);
void reef__poller_free_all(struct reef_thread *thread);
uint32_t reef__poller_runnable_active_count(const struct reef_thread *thread);

/* io_channel.c */
void reef__io_channel_warn_leftovers(struct reef_thread *thread);
void reef__io_device_warn_leftovers(void);

/* interrupt.c */
int reef__thread_interrupt_create(struct reef_thread *thread);
void reef__thread_interrupt_destroy(struct reef_thread *thread);
int reef__thread_interrupt_poll(struct reef_thread *thread);
/* Enter or leave interrupt state to match the thread's active pollers. */
void reef__thread_interrupt_update(struct reef_thread *thread);
int reef__poller_timerfd_create(struct reef_poller *poller);
void reef__poller_timerfd_destroy(struct reef_poller *poller);
/* Arm (at its next_run_tick) or disarm a timed poller's timerfd. */
void reef__poller_timerfd_arm(struct reef_poller *poller, bool on);
void reef__interrupt_lib_init(void);

#endif /* REEF_THREAD_INTERNAL_H */
