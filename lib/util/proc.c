#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reef/proc.h"

/* Read /proc/PID/stat and return the state letter and start time. */
static int
read_stat(pid_t pid, char *state, uint64_t *start_time)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return errno == ENOENT ? -ESRCH : -EIO;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		return -EIO;
	}
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces and parentheses: skip to its last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ') {
		return -EIO;
	}
	p += 2;
	*state = *p;
	/* p is at field 3; the start time is field 22. */
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL) {
			return -EIO;
		}
		p++;
	}
	if (sscanf(p, "%llu", &st) != 1) {
		return -EIO;
	}
	*start_time = st;
	return 0;
}

int
reef_proc_start_time(pid_t pid, uint64_t *start_time)
{
	char state;

	return read_stat(pid, &state, start_time);
}

bool
reef_proc_is_alive(pid_t pid, uint64_t start_time)
{
	uint64_t st;
	char state;

	if (pid <= 0 || read_stat(pid, &state, &st) != 0) {
		return false;
	}
	return st == start_time && state != 'Z' && state != 'X';
}
