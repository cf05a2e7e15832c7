/*
 * An fd group: a set of file descriptors watched by one epoll instance, each
 * with the function to call when it becomes ready. Interrupt mode builds on it:
 * every lightweight thread owns a group (message eventfd, timed-poller
 * timerfds, user interrupts) and a reactor sleeps on a group holding its
 * threads' groups.
 *
 * A group is used by one OS thread at a time; it is not locked.
 */
#ifndef REEF_FD_GROUP_H
#define REEF_FD_GROUP_H

#include <stdint.h>

struct reef_fd_group;

/* Called when fd is ready; returns > 0 if it did work, 0 if idle, < 0 on error. */
typedef int (*reef_fd_fn)(void *ctx);

/* Event types an fd is watched for (epoll's EPOLLIN/EPOLLOUT/... values). */
enum reef_fd_event {
	REEF_FD_EVENT_IN = 0x001,
	REEF_FD_EVENT_OUT = 0x004,
	REEF_FD_EVENT_ERR = 0x008,
	REEF_FD_EVENT_HUP = 0x010,
};

/* Returns 0, or -errno from epoll_create1 / allocation. */
int reef_fd_group_create(struct reef_fd_group **fgrp);

/* Removes nothing: the caller removes its fds first (a warning names leftovers). */
void reef_fd_group_destroy(struct reef_fd_group *fgrp);

/*
 * Watch fd for input and call fn(ctx) when ready. Returns 0, -EEXIST if fd is
 * already in the group, -EINVAL for a negative fd, -ENOMEM, or -errno from epoll_ctl.
 */
int reef_fd_group_add(struct reef_fd_group *fgrp, int fd, reef_fd_fn fn, void *ctx,
		      const char *name);

/* Stop watching fd (the fd stays open). Unknown fds are ignored with a warning. */
void reef_fd_group_remove(struct reef_fd_group *fgrp, int fd);

/* Change the events fd is watched for (a mask of enum reef_fd_event). */
int reef_fd_group_event_modify(struct reef_fd_group *fgrp, int fd, uint32_t events);

/*
 * Wait up to timeout_ms (0: don't block, -1: forever) and call the function of
 * every ready fd. Returns the number of fds whose function reported work
 * (> 0), 0 when none, or -errno when epoll_wait failed (EINTR is 0).
 */
int reef_fd_group_wait(struct reef_fd_group *fgrp, int timeout_ms);

/* The epoll fd, to nest this group inside another or inside an event loop. */
int reef_fd_group_get_fd(const struct reef_fd_group *fgrp);

/* Number of fds in the group. */
uint32_t reef_fd_group_count(const struct reef_fd_group *fgrp);

#endif /* REEF_FD_GROUP_H */
