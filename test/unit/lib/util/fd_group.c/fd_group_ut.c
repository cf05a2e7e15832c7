/*
 * fd groups: membership, calling the function of each ready fd, busy counts,
 * event changes, nesting, and functions that change the group while it is
 * dispatching a batch.
 */
#include "ut_main.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "reef/fd_group.h"
#include "reef/log.h"

static char g_last_log[512];
static int g_log_count;

static void
log_hook(enum reef_log_level level, const char *line, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(g_last_log, sizeof(g_last_log), "%s", line);
	g_log_count++;
}

static void
log_capture(void)
{
	g_last_log[0] = '\0';
	g_log_count = 0;
	reef_log_set_hook(log_hook, NULL);
}

static void
log_release(void)
{
	reef_log_set_hook(NULL, NULL);
}

/* One watched eventfd: how often its function ran and what it returns. */
struct watched {
	int fd;
	int calls;
	int rc;
	/* Optional action run inside the function, on the group being dispatched. */
	void (*action)(struct watched *self);
};

static struct reef_fd_group *g_grp;

static int
watched_fn(void *ctx)
{
	struct watched *w = ctx;
	uint64_t v;

	w->calls++;
	/* Level-triggered: drain so the fd is not ready on the next wait. */
	if (read(w->fd, &v, sizeof(v)) != sizeof(v)) {
		v = 0;
	}
	if (w->action != NULL) {
		w->action(w);
	}
	return w->rc;
}

static void
watched_open(struct watched *w, int rc)
{
	memset(w, 0, sizeof(*w));
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->rc = rc;
	CU_ASSERT_FATAL(w->fd >= 0);
}

static void
make_ready(const struct watched *w)
{
	uint64_t one = 1;

	CU_ASSERT_FATAL(write(w->fd, &one, sizeof(one)) == sizeof(one));
}

static void
fd_group_add_remove_track_count(void)
{
	struct watched a, b;

	CU_ASSERT_FATAL(reef_fd_group_create(&g_grp) == 0);
	CU_ASSERT(reef_fd_group_get_fd(g_grp) >= 0);
	watched_open(&a, 1);
	watched_open(&b, 1);
	CU_ASSERT(reef_fd_group_count(g_grp) == 0);
	CU_ASSERT(reef_fd_group_add(g_grp, a.fd, watched_fn, &a, "a") == 0);
	CU_ASSERT(reef_fd_group_add(g_grp, b.fd, watched_fn, &b, NULL) == 0);
	CU_ASSERT(reef_fd_group_count(g_grp) == 2);
	reef_fd_group_remove(g_grp, a.fd);
	CU_ASSERT(reef_fd_group_count(g_grp) == 1);
	/* A removed fd can be added again. */
	CU_ASSERT(reef_fd_group_add(g_grp, a.fd, watched_fn, &a, "a") == 0);
	CU_ASSERT(reef_fd_group_count(g_grp) == 2);
	reef_fd_group_remove(g_grp, a.fd);
	reef_fd_group_remove(g_grp, b.fd);
	CU_ASSERT(reef_fd_group_count(g_grp) == 0);
	reef_fd_group_destroy(g_grp);
	close(a.fd);
	close(b.fd);
}

static void
fd_group_add_duplicate_is_eexist(void)
{
	struct watched a;

	CU_ASSERT_FATAL(reef_fd_group_create(&g_grp) == 0);
	watched_open(&a, 1);
	CU_ASSERT(reef_fd_group_add(g_grp, a.fd, watched_fn, &a, "a") == 0);
	CU_ASSERT(reef_fd_group_add(g_grp, a.fd, watched_fn, &a, "again") == -EEXIST);
	CU_ASSERT(reef_fd_group_count(g_grp) == 1);
	/* The first registration is intact. */
	make_ready(&a);
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 1);
	CU_ASSERT(a.calls == 1);
	reef_fd_group_remove(g_grp, a.fd);
	reef_fd_group_destroy(g_grp);
	close(a.fd);
}

static void
fd_group_add_bad_arguments(void)
{
	struct watched a;
	int closed_fd, file_fd;

	CU_ASSERT_FATAL(reef_fd_group_create(&g_grp) == 0);
	watched_open(&a, 1);
	CU_ASSERT(reef_fd_group_add(g_grp, -1, watched_fn, &a, "neg") == -EINVAL);
	CU_ASSERT(reef_fd_group_add(g_grp, a.fd, NULL, &a, "nofn") == -EINVAL);
	/* epoll_ctl's own errors come back as -errno. */
	closed_fd = eventfd(0, 0);
	close(closed_fd);
	CU_ASSERT(reef_fd_group_add(g_grp, closed_fd, watched_fn, &a, "closed") == -EBADF);
	file_fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	CU_ASSERT_FATAL(file_fd >= 0);
	CU_ASSERT(reef_fd_group_add(g_grp, file_fd, watched_fn, &a, "file") == -EPERM);
	CU_ASSERT(reef_fd_group_count(g_grp) == 0);
	reef_fd_group_destroy(g_grp);
	close(file_fd);
	close(a.fd);
}

static void
fd_group_remove_unknown_warns(void)
{
	struct watched a;

	CU_ASSERT_FATAL(reef_fd_group_create(&g_grp) == 0);
	watched_open(&a, 1);
	CU_ASSERT(reef_fd_group_add(g_grp, a.fd, watched_fn, &a, "a") == 0);
	log_capture();
	reef_fd_group_remove(g_grp, a.fd + 100);
	log_release();
	CU_ASSERT(g_log_count == 1);
	CU_ASSERT(strstr(g_last_log, "not in this fd group") != NULL);
	CU_ASSERT(reef_fd_group_count(g_grp) == 1);
	reef_fd_group_remove(g_grp, a.fd);
	reef_fd_group_destroy(g_grp);
	close(a.fd);
}

static void
fd_group_destroy_names_leftover_fds(void)
{
	struct watched a;
	char expect[64];

	CU_ASSERT_FATAL(reef_fd_group_create(&g_grp) == 0);
	watched_open(&a, 1);
	CU_ASSERT(reef_fd_group_add(g_grp, a.fd, watched_fn, &a, "leftover") == 0);
	log_capture();
	reef_fd_group_destroy(g_grp);
	log_release();
	snprintf(expect, sizeof(expect), "fd %d (leftover)", a.fd);
	CU_ASSERT(g_log_count == 1);
	CU_ASSERT(strstr(g_last_log, expect) != NULL);
	close(a.fd);
}

static void
fd_group_wait_calls_ready_fns_and_counts_busy(void)
{
	struct watched busy, idle, failing, quiet;

	CU_ASSERT_FATAL(reef_fd_group_create(&g_grp) == 0);
	watched_open(&busy, 1);
	watched_open(&idle, 0);
	watched_open(&failing, -EIO);
	watched_open(&quiet, 1);
	CU_ASSERT(reef_fd_group_add(g_grp, busy.fd, watched_fn, &busy, "busy") == 0);
	CU_ASSERT(reef_fd_group_add(g_grp, idle.fd, watched_fn, &idle, "idle") == 0);
	CU_ASSERT(reef_fd_group_add(g_grp, failing.fd, watched_fn, &failing, "failing") == 0);
	CU_ASSERT(reef_fd_group_add(g_grp, quiet.fd, watched_fn, &quiet, "quiet") == 0);
	make_ready(&busy);
	make_ready(&idle);
	make_ready(&failing);
	/* Only the function that reported work counts; errors are not work. */
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 1);
	CU_ASSERT(busy.calls == 1);
	CU_ASSERT(idle.calls == 1);
	CU_ASSERT(failing.calls == 1);
	CU_ASSERT(quiet.calls == 0);
	/* Drained: nothing runs again. */
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 0);
	CU_ASSERT(busy.calls == 1 && idle.calls == 1 && failing.calls == 1);
	reef_fd_group_remove(g_grp, busy.fd);
	reef_fd_group_remove(g_grp, idle.fd);
	reef_fd_group_remove(g_grp, failing.fd);
	reef_fd_group_remove(g_grp, quiet.fd);
	reef_fd_group_destroy(g_grp);
	close(busy.fd);
	close(idle.fd);
	close(failing.fd);
	close(quiet.fd);
}

static void
fd_group_wait_zero_timeout_nothing_ready_is_zero(void)
{
	struct watched a;

	CU_ASSERT_FATAL(reef_fd_group_create(&g_grp) == 0);
	/* An empty group too. */
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 0);
	watched_open(&a, 1);
	CU_ASSERT(reef_fd_group_add(g_grp, a.fd, watched_fn, &a, "a") == 0);
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 0);
	CU_ASSERT(a.calls == 0);
	reef_fd_group_remove(g_grp, a.fd);
	/* A removed fd that becomes ready calls nothing. */
	make_ready(&a);
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 0);
	CU_ASSERT(a.calls == 0);
	reef_fd_group_destroy(g_grp);
	close(a.fd);
}

static void
fd_group_event_modify(void)
{
	struct watched a;

	CU_ASSERT_FATAL(reef_fd_group_create(&g_grp) == 0);
	watched_open(&a, 1);
	CU_ASSERT(reef_fd_group_event_modify(g_grp, a.fd, REEF_FD_EVENT_IN) == -ENOENT);
	CU_ASSERT(reef_fd_group_add(g_grp, a.fd, watched_fn, &a, "a") == 0);
	CU_ASSERT(reef_fd_group_event_modify(g_grp, a.fd + 100, REEF_FD_EVENT_IN) == -ENOENT);
	/* An eventfd is always writable: watching OUT makes it ready at once. */
	CU_ASSERT(reef_fd_group_event_modify(g_grp, a.fd, REEF_FD_EVENT_OUT) == 0);
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 1);
	CU_ASSERT(a.calls == 1);
	CU_ASSERT(reef_fd_group_event_modify(g_grp, a.fd, REEF_FD_EVENT_IN) == 0);
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 0);
	CU_ASSERT(a.calls == 1);
	make_ready(&a);
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 1);
	CU_ASSERT(a.calls == 2);
	reef_fd_group_remove(g_grp, a.fd);
	reef_fd_group_destroy(g_grp);
	close(a.fd);
}

static struct watched g_pair[2];

static void
remove_partner(struct watched *self)
{
	struct watched *other = self == &g_pair[0] ? &g_pair[1] : &g_pair[0];

	reef_fd_group_remove(g_grp, other->fd);
}

static void
fd_group_fn_removing_other_ready_fd_skips_it(void)
{
	int i;

	CU_ASSERT_FATAL(reef_fd_group_create(&g_grp) == 0);
	for (i = 0; i < 2; i++) {
		watched_open(&g_pair[i], 1);
		g_pair[i].action = remove_partner;
		CU_ASSERT(reef_fd_group_add(g_grp, g_pair[i].fd, watched_fn, &g_pair[i], "pair") ==
			  0);
		make_ready(&g_pair[i]);
	}
	/* Both are in the batch; whichever runs first removes the other, which must not run. */
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 1);
	CU_ASSERT(g_pair[0].calls + g_pair[1].calls == 1);
	CU_ASSERT(reef_fd_group_count(g_grp) == 1);
	for (i = 0; i < 2; i++) {
		if (g_pair[i].calls == 1) {
			reef_fd_group_remove(g_grp, g_pair[i].fd);
		}
	}
	CU_ASSERT(reef_fd_group_count(g_grp) == 0);
	reef_fd_group_destroy(g_grp);
	for (i = 0; i < 2; i++) {
		close(g_pair[i].fd);
	}
}

static struct watched g_newcomer;

static void
replace_partner(struct watched *self)
{
	remove_partner(self);
	/* A new entry may land at the address of the one just freed. */
	CU_ASSERT(reef_fd_group_add(g_grp, g_newcomer.fd, watched_fn, &g_newcomer, "new") == 0);
}

static void
fd_group_fn_replacing_other_ready_fd_does_not_call_newcomer(void)
{
	int i;

	CU_ASSERT_FATAL(reef_fd_group_create(&g_grp) == 0);
	watched_open(&g_newcomer, 1);
	for (i = 0; i < 2; i++) {
		watched_open(&g_pair[i], 1);
		g_pair[i].action = replace_partner;
		CU_ASSERT(reef_fd_group_add(g_grp, g_pair[i].fd, watched_fn, &g_pair[i], "pair") ==
			  0);
		make_ready(&g_pair[i]);
	}
	/* The removed fd's stale event must not reach the fd added in its place. */
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 1);
	CU_ASSERT(g_pair[0].calls + g_pair[1].calls == 1);
	CU_ASSERT(g_newcomer.calls == 0);
	CU_ASSERT(reef_fd_group_count(g_grp) == 2);
	/* It is watched all the same. */
	make_ready(&g_newcomer);
	CU_ASSERT(reef_fd_group_wait(g_grp, 0) == 1);
	CU_ASSERT(g_newcomer.calls == 1);
	for (i = 0; i < 2; i++) {
		if (g_pair[i].calls == 1) {
			reef_fd_group_remove(g_grp, g_pair[i].fd);
		}
		close(g_pair[i].fd);
	}
	reef_fd_group_remove(g_grp, g_newcomer.fd);
	CU_ASSERT(reef_fd_group_count(g_grp) == 0);
	reef_fd_group_destroy(g_grp);
	close(g_newcomer.fd);
}

static struct reef_fd_group *g_inner;

static int
inner_fn(void *ctx)
{
	(void)ctx;
	return reef_fd_group_wait(g_inner, 0);
}

static void
fd_group_nests_through_its_fd(void)
{
	struct reef_fd_group *outer;
	struct watched a;

	CU_ASSERT_FATAL(reef_fd_group_create(&outer) == 0);
	CU_ASSERT_FATAL(reef_fd_group_create(&g_inner) == 0);
	watched_open(&a, 1);
	CU_ASSERT(reef_fd_group_add(g_inner, a.fd, watched_fn, &a, "a") == 0);
	CU_ASSERT(reef_fd_group_add(outer, reef_fd_group_get_fd(g_inner), inner_fn, NULL,
				    "inner") == 0);
	CU_ASSERT(reef_fd_group_wait(outer, 0) == 0);
	make_ready(&a);
	/* The outer group sees the inner one ready and its function dispatches it. */
	CU_ASSERT(reef_fd_group_wait(outer, 0) == 1);
	CU_ASSERT(a.calls == 1);
	CU_ASSERT(reef_fd_group_wait(outer, 0) == 0);
	reef_fd_group_remove(outer, reef_fd_group_get_fd(g_inner));
	reef_fd_group_remove(g_inner, a.fd);
	reef_fd_group_destroy(g_inner);
	reef_fd_group_destroy(outer);
	close(a.fd);
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, fd_group_add_remove_track_count);
	UT_ADD(suite, fd_group_add_duplicate_is_eexist);
	UT_ADD(suite, fd_group_add_bad_arguments);
	UT_ADD(suite, fd_group_remove_unknown_warns);
	UT_ADD(suite, fd_group_destroy_names_leftover_fds);
	UT_ADD(suite, fd_group_wait_calls_ready_fns_and_counts_busy);
	UT_ADD(suite, fd_group_wait_zero_timeout_nothing_ready_is_zero);
	UT_ADD(suite, fd_group_event_modify);
	UT_ADD(suite, fd_group_fn_removing_other_ready_fd_skips_it);
	UT_ADD(suite, fd_group_fn_replacing_other_ready_fd_does_not_call_newcomer);
	UT_ADD(suite, fd_group_nests_through_its_fd);
	return 0;
}

UT_MAIN("fd_group", add_tests)
