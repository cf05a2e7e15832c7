#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "reef/fd_group.h"
#include "reef/log.h"
#include "reef/queue.h"
#include "reef/string.h"

#define FD_GROUP_MAX_EVENTS 32

struct fd_entry {
	int fd;
	uint32_t events;
	reef_fd_fn fn;
	void *ctx;
	char name[32];
	/* Unique within the group, never reused: what epoll hands back (see wait). */
	uint64_t id;
	TAILQ_ENTRY(fd_entry) link;
};

struct reef_fd_group {
	int epfd;
	uint32_t count;
	uint64_t next_id;
	TAILQ_HEAD(, fd_entry) entries;
};

int
reef_fd_group_create(struct reef_fd_group **out)
{
	struct reef_fd_group *fgrp;

	fgrp = calloc(1, sizeof(*fgrp));
	if (fgrp == NULL) {
		return -ENOMEM;
	}
	fgrp->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (fgrp->epfd < 0) {
		int rc = -errno;

		free(fgrp);
		return rc;
	}
	TAILQ_INIT(&fgrp->entries);
	*out = fgrp;
	return 0;
}

void
reef_fd_group_destroy(struct reef_fd_group *fgrp)
{
	struct fd_entry *e, *tmp;

	if (fgrp == NULL) {
		return;
	}
	TAILQ_FOREACH_SAFE(e, &fgrp->entries, link, tmp) {
		REEF_WARNLOG("fd group destroyed with fd %d (%s) still in it\n", e->fd, e->name);
		TAILQ_REMOVE(&fgrp->entries, e, link);
		free(e);
	}
	close(fgrp->epfd);
	free(fgrp);
}

static struct fd_entry *
find_entry(struct reef_fd_group *fgrp, int fd)
{
	struct fd_entry *e;

	TAILQ_FOREACH(e, &fgrp->entries, link) {
		if (e->fd == fd) {
			return e;
		}
	}
	return NULL;
}

static struct fd_entry *
find_entry_by_id(struct reef_fd_group *fgrp, uint64_t id)
{
	struct fd_entry *e;

	TAILQ_FOREACH(e, &fgrp->entries, link) {
		if (e->id == id) {
			return e;
		}
	}
	return NULL;
}

int
reef_fd_group_add(struct reef_fd_group *fgrp, int fd, reef_fd_fn fn, void *ctx, const char *name)
{
	struct epoll_event ev = {0};
	struct fd_entry *e;

	if (fd < 0 || fn == NULL) {
		return -EINVAL;
	}
	if (find_entry(fgrp, fd) != NULL) {
		return -EEXIST;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		return -ENOMEM;
	}
	e->fd = fd;
	e->fn = fn;
	e->ctx = ctx;
	e->events = EPOLLIN;
	e->id = ++fgrp->next_id;
	reef_strcpy_trunc(e->name, sizeof(e->name), name ? name : "fd");

	ev.events = e->events;
	ev.data.u64 = e->id;
	if (epoll_ctl(fgrp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		free(e);
		return rc;
	}
	TAILQ_INSERT_TAIL(&fgrp->entries, e, link);
	fgrp->count++;
	return 0;
}

void
reef_fd_group_remove(struct reef_fd_group *fgrp, int fd)
{
	struct fd_entry *e = find_entry(fgrp, fd);

	if (e == NULL) {
		REEF_WARNLOG("fd %d is not in this fd group\n", fd);
		return;
	}
	epoll_ctl(fgrp->epfd, EPOLL_CTL_DEL, fd, NULL);
	TAILQ_REMOVE(&fgrp->entries, e, link);
	fgrp->count--;
	free(e);
}

int
reef_fd_group_event_modify(struct reef_fd_group *fgrp, int fd, uint32_t events)
{
	struct epoll_event ev = {0};
	struct fd_entry *e = find_entry(fgrp, fd);

	if (e == NULL) {
		return -ENOENT;
	}
	ev.events = events;
	ev.data.u64 = e->id;
	if (epoll_ctl(fgrp->epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
		return -errno;
	}
	e->events = events;
	return 0;
}

int
reef_fd_group_wait(struct reef_fd_group *fgrp, int timeout_ms)
{
	struct epoll_event events[FD_GROUP_MAX_EVENTS];
	int n, i, busy = 0;

	n = epoll_wait(fgrp->epfd, events, FD_GROUP_MAX_EVENTS, timeout_ms);
	if (n < 0) {
		return errno == EINTR ? 0 : -errno;
	}
	for (i = 0; i < n; i++) {
		/*
		 * A function may remove a later entry of this batch (removal frees
		 * it) and add another, which may get the freed address: look the
		 * entry up by its never-reused id, so a stale event finds nothing.
		 */
		struct fd_entry *e = find_entry_by_id(fgrp, events[i].data.u64);

		if (e == NULL) {
			continue;
		}
		if (e->fn(e->ctx) > 0) {
			busy++;
		}
	}
	return busy;
}

int
reef_fd_group_get_fd(const struct reef_fd_group *fgrp)
{
	return fgrp->epfd;
}

uint32_t
reef_fd_group_count(const struct reef_fd_group *fgrp)
{
	return fgrp->count;
}
