/*
 * Process identity that survives pid reuse: a pid plus the time the process
 * started (field 22 of /proc/PID/stat, in clock ticks since boot). The shared
 * region records the primary's, and the primary records each client's, so
 * either side can tell "still alive" from "dead, and the pid was reused".
 */
#ifndef REEF_PROC_H
#define REEF_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Start time of pid. Returns 0, -ESRCH if there is no such process, -EIO if unreadable. */
int reef_proc_start_time(pid_t pid, uint64_t *start_time);

/* Whether the process pid that started at start_time is still running (not a zombie). */
bool reef_proc_is_alive(pid_t pid, uint64_t start_time);

#endif /* REEF_PROC_H */
