/* lib/client's private structures, shared by the primary-side files. */
#ifndef REEF_CLIENT_INTERNAL_H
#define REEF_CLIENT_INTERNAL_H

#include <pthread.h>

#include "reef/client.h"
#include "reef/thread.h"
#include "reef_internal/client_wire.h"
#include "reef_internal/shm.h"

struct handler {
	reef_msg_handler_fn fn;
	void *ctx;
	struct reef_shm_handler *shm;
};

struct reef_msg_request {
	uint32_t client_slot;
	uint32_t client_gen;
	int32_t client_pid;
	uint32_t flags;
	uint64_t request_id;
	uint64_t post_tsc;
	struct handler *handler;
	uint32_t len;
	uint8_t payload[];
};

/* The primary's private view of one client slot. */
struct client_conn {
	/* Serialises replies (from any thread) with reclaiming the slot. */
	pthread_spinlock_t reply_lock;
	/* The session the slot belongs to; 0 when free. Changed under reply_lock. */
	uint32_t gen;
	int pid;
	uint64_t start_time;
	int pidfd;
	/* Set by the IPC thread when the client detaches; the app thread reclaims. */
	uint32_t detach_gen;
	struct reef_recring *req;
	struct reef_recring *reply;
	struct reef_shm_client *shm;
};

struct reef__client_server {
	bool running;
	struct reef_shm_region *region;
	struct reef_thread *app_thread;
	pthread_mutex_t lock;
	struct handler *handlers;
	uint32_t max_handlers;
	struct client_conn *conns;
	uint32_t max_clients;
	/* Bit i set: slot i is attached and its ring is served. Set last, with release. */
	uint64_t *attached;
	int wake_fd;
	struct reef_interrupt *wake_intr;
	struct reef_poller *rx_poller;
	struct reef_poller *reaper;
};

extern struct reef__client_server reef__server;

/* handler.c */
struct handler *reef__handler_get(uint32_t id);
void reef__request_run(void *arg);
/* Answer a request that never reached a handler (bad thread, handler, size). */
void reef__reply_direct(struct client_conn *conn, uint32_t gen, uint64_t request_id, uint32_t flags,
			int status, const char *text);

/* builtin.c */
int reef__builtin_handlers_register(void);

#endif /* REEF_CLIENT_INTERNAL_H */
