/*
 * Process identity: a pid plus its start time tells a live process from a
 * dead one whose pid was reused.
 */
#include "ut_main.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reef/proc.h"

/* A pid no process can have: above the kernel's pid_max. */
static pid_t
unused_pid(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	long max = 4194304;

	if (f != NULL) {
		if (fscanf(f, "%ld", &max) != 1) {
			max = 4194304;
		}
		fclose(f);
	}
	return (pid_t)(max + 1);
}

static void
proc_start_time_of_self_is_stable(void)
{
	uint64_t a = 0, b = 0;

	CU_ASSERT(reef_proc_start_time(getpid(), &a) == 0);
	CU_ASSERT(a > 0);
	CU_ASSERT(reef_proc_start_time(getpid(), &b) == 0);
	CU_ASSERT(a == b);
}

static void
proc_start_time_survives_odd_command_names(void)
{
	char saved[17] = "", odd[] = ") x (y) 1 2";
	uint64_t before = 0, after = 0;

	/* The command name (field 2) may hold spaces and ')': they must not shift fields. */
	CU_ASSERT_FATAL(prctl(PR_GET_NAME, saved) == 0);
	CU_ASSERT(reef_proc_start_time(getpid(), &before) == 0);
	CU_ASSERT_FATAL(prctl(PR_SET_NAME, odd) == 0);
	CU_ASSERT(reef_proc_start_time(getpid(), &after) == 0);
	CU_ASSERT(reef_proc_is_alive(getpid(), before));
	CU_ASSERT(prctl(PR_SET_NAME, saved) == 0);
	CU_ASSERT(before == after);
}

static void
proc_start_time_of_missing_pid_is_esrch(void)
{
	uint64_t st = 77;

	CU_ASSERT(reef_proc_start_time(unused_pid(), &st) == -ESRCH);
	CU_ASSERT(st == 77);
}

static void
proc_self_is_alive(void)
{
	uint64_t st;

	CU_ASSERT_FATAL(reef_proc_start_time(getpid(), &st) == 0);
	CU_ASSERT(reef_proc_is_alive(getpid(), st));
}

static void
proc_wrong_start_time_is_not_alive(void)
{
	uint64_t st;

	/* Same pid, another start time: the pid was reused by someone else. */
	CU_ASSERT_FATAL(reef_proc_start_time(getpid(), &st) == 0);
	CU_ASSERT(!reef_proc_is_alive(getpid(), st + 1));
	CU_ASSERT(!reef_proc_is_alive(getpid(), st - 1));
	CU_ASSERT(!reef_proc_is_alive(getpid(), 0));
}

static void
proc_bad_pids_are_not_alive(void)
{
	CU_ASSERT(!reef_proc_is_alive(0, 0));
	CU_ASSERT(!reef_proc_is_alive(-1, 0));
	CU_ASSERT(!reef_proc_is_alive(unused_pid(), 0));
}

static void
proc_zombie_and_reaped_child_are_not_alive(void)
{
	uint64_t st = 0, st_zombie = 0;
	siginfo_t info;
	int pipefd[2], status;
	char c = 0;
	pid_t pid;

	CU_ASSERT_FATAL(pipe(pipefd) == 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		/* Wait for the parent to look at us, then exit. */
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) < 0) {
			_exit(2);
		}
		_exit(0);
	}
	close(pipefd[0]);
	CU_ASSERT(reef_proc_start_time(pid, &st) == 0);
	CU_ASSERT(reef_proc_is_alive(pid, st));
	/* Let it exit; until it is reaped it is a zombie, which is not alive. */
	close(pipefd[1]);
	CU_ASSERT(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == 0);
	CU_ASSERT(reef_proc_start_time(pid, &st_zombie) == 0);
	CU_ASSERT(st_zombie == st);
	CU_ASSERT(!reef_proc_is_alive(pid, st));
	CU_ASSERT(waitpid(pid, &status, 0) == pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Reaped: the pid is gone (until the kernel hands it out again). */
	CU_ASSERT(!reef_proc_is_alive(pid, st));
	CU_ASSERT(reef_proc_start_time(pid, &st) == -ESRCH);
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, proc_start_time_of_self_is_stable);
	UT_ADD(suite, proc_start_time_survives_odd_command_names);
	UT_ADD(suite, proc_start_time_of_missing_pid_is_esrch);
	UT_ADD(suite, proc_self_is_alive);
	UT_ADD(suite, proc_wrong_start_time_is_not_alive);
	UT_ADD(suite, proc_bad_pids_are_not_alive);
	UT_ADD(suite, proc_zombie_and_reaped_child_are_not_alive);
	return 0;
}

UT_MAIN("proc", add_tests)
