/*
 * The primary's side of lib/client, as lib/event drives it: started with the
 * app, its pollers stopped when shutdown begins, torn down at the end.
 */
#ifndef REEF_INTERNAL_CLIENT_SERVER_H
#define REEF_INTERNAL_CLIENT_SERVER_H

#include <stdbool.h>

#include "reef/shm.h"
#include "reef/thread.h"

/*
 * Get ready to serve clients of region: register the IPC actions and the
 * built-in handlers. Main thread, after the thread library and before the
 * first thread. Returns 0 or -errno.
 */
int reef__client_server_start(struct reef_shm_region *region, bool interrupt_mode);

/* Serve from app_thread: its pollers (registered through a message) drain client rings. */
void reef__client_server_serve_from(struct reef_thread *app_thread);

/* Stop serving (on the app thread, as shutdown begins): pollers go, clients see "stopping". */
void reef__client_server_stop(void);

/* Release everything (main thread, after the reactors returned). */
void reef__client_server_fini(void);

#endif /* REEF_INTERNAL_CLIENT_SERVER_H */
