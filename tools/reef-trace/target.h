/*
 * The process reef-trace traces: a running Reef primary, found by pid or by
 * app name, checked to be one (it holds its app's DPDK config lock) and to
 * carry Reef's USDT probes.
 */
#ifndef REEF_TRACE_TARGET_H
#define REEF_TRACE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rt_target {
	pid_t pid;
	uint64_t start_time; /* reef_proc_start_time() */
	char app[32];        /* the primary's app name */
	char comm[32];
	char exe[4096];       /* the program, as /proc/PID/exe names it */
	char attach_path[64]; /* what probes are attached through: /proc/PID/exe */
	unsigned int probes;  /* reef USDT probes in the program (distinct names) */
	char probe_names[64][32];
};

/*
 * Find the primary of pid (name NULL) or of app name (pid 0) and check it.
 * On failure, returns -errno with a one-line reason in err:
 *  -ESRCH   no such process, or no primary of that name is running
 *  -ENOTSUP the process is not a Reef primary, or has no probes
 *  -EINVAL  bad name
 */
int rt_target_find(pid_t pid, const char *name, struct rt_target *t, char *err, size_t len);

/* Whether the target is still running. */
bool rt_target_is_alive(const struct rt_target *t);

/* Whether the program has the reef probe `probe` (after rt_target_find()). */
bool rt_target_has_probe(const struct rt_target *t, const char *probe);

#endif /* REEF_TRACE_TARGET_H */
