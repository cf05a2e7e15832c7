/*
 * EAL initialisation as the primary or a secondary of a Reef app name, with
 * the checks that turn DPDK's many-line failures into one clear line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "env_internal.h"
#include "reef/log.h"

#define HUGEPAGE_SYSFS "/sys/kernel/mm/hugepages/hugepages-2048kB"
/* Secondaries take an lcore id above any a primary can have (see DESIGN §1). */
#define SECONDARY_LCORE_BASE 64
#define MAX_EAL_ARGS         16
/* A secondary that has not attached by then never will (see arm_start_timeout). */
#define SECONDARY_START_TIMEOUT_S 30
/*
 * Where the primary maps hugepage memory (secondaries map it at the same
 * addresses). Above the ranges AddressSanitizer reserves for its shadow and
 * allocator, so that sanitized secondaries can always map it too.
 */
#define PRIMARY_BASE_VIRTADDR "--base-virtaddr=0x200000000000"

static struct {
	bool initialized;
	bool primary;
	char name[REEF_APP_NAME_MAX + 1];
} g_env;

bool
reef_env_is_initialized(void)
{
	return g_env.initialized;
}

bool
reef_env_is_primary(void)
{
	return g_env.initialized && g_env.primary;
}

const char *
reef_env_get_name(void)
{
	return g_env.name;
}

pid_t
reef_env_find_primary(const char *name)
{
	struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int fd;

	reef__env_runtime_dir(name, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/config", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return 0;
	}
	/* A live primary holds a write lock on its config file for as long as it runs. */
	if (fcntl(fd, F_GETLK, &lock) < 0 || lock.l_type == F_UNLCK) {
		close(fd);
		return 0;
	}
	close(fd);
	return lock.l_pid;
}

bool
reef_env_primary_alive(void)
{
	if (!g_env.initialized) {
		return false;
	}
	return g_env.primary || rte_eal_primary_proc_alive(NULL) != 0;
}

static long
read_long(const char *path)
{
	char buf[32];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL) {
			v = strtol(buf, NULL, 10);
		}
		fclose(f);
	}
	return v;
}

static bool
hugetlbfs_mounted(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "r");

	if (f == NULL) {
		return false;
	}
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		found = strstr(line, " hugetlbfs ") != NULL;
	}
	fclose(f);
	return found;
}

static int
check_hugepages(const struct reef_env_opts *opts)
{
	long nr = read_long(HUGEPAGE_SYSFS "/nr_hugepages");
	long free_pages = read_long(HUGEPAGE_SYSFS "/free_hugepages");

	if (nr <= 0 || !hugetlbfs_mounted()) {
		REEF_ERRLOG("no 2 MiB hugepages are reserved: run tools/setup.sh as root "
			    "(or: echo 512 > /proc/sys/vm/nr_hugepages)\n");
		return -ENOMEM;
	}
	if (opts->role == REEF_ENV_PRIMARY && free_pages <= 0) {
		REEF_ERRLOG("all %ld reserved 2 MiB hugepages are in use: reserve more "
			    "(HUGEMEM=1024 tools/setup.sh) or stop other primaries "
			    "(tools/setup.sh cleanup removes dead ones)\n",
			    nr);
		return -ENOMEM;
	}
	if (opts->role == REEF_ENV_PRIMARY && opts->mem_size_mb > (uint64_t)free_pages * 2) {
		REEF_ERRLOG("--mem-size %u MiB is more than the %ld MiB of free hugepages: "
			    "lower it or reserve more (HUGEMEM=N tools/setup.sh)\n",
			    opts->mem_size_mb, free_pages * 2);
		return -ENOMEM;
	}
	return 0;
}

static void
allowed_cpus(struct reef_cpuset *set)
{
	cpu_set_t cpus;
	uint32_t cpu;

	reef_cpuset_zero(set);
	if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) {
		reef_cpuset_set_cpu(set, 0, true);
		return;
	}
	for (cpu = 0; cpu < REEF_MAX_LCORE && cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &cpus)) {
			reef_cpuset_set_cpu(set, cpu, true);
		}
	}
}

/* Format a set as a DPDK core list ("0,2,3"). */
static void
fmt_core_list(const struct reef_cpuset *set, char *buf, size_t len)
{
	uint32_t cpu;
	size_t n = 0;

	buf[0] = '\0';
	REEF_CPUSET_FOREACH(cpu, set)
	{
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "%s%u", n ? "," : "", cpu);
	}
}

static int
check_cores(const struct reef_env_opts *opts, struct reef_cpuset *mask, uint32_t *main_core)
{
	struct reef_cpuset allowed, extra;
	char allowed_str[REEF_CPUSET_STR_MAX], mask_str[REEF_CPUSET_STR_MAX];

	allowed_cpus(&allowed);
	if (opts->cpumask == NULL) {
		*mask = allowed;
	} else {
		*mask = *opts->cpumask;
	}
	reef_cpuset_fmt(&allowed, allowed_str, sizeof(allowed_str));
	reef_cpuset_fmt(mask, mask_str, sizeof(mask_str));
	if (reef_cpuset_count(mask) == 0) {
		REEF_ERRLOG("the core mask is empty: give at least one core (-m 0x1; this machine "
			    "allows %s)\n",
			    allowed_str);
		return -EINVAL;
	}
	extra = allowed;
	reef_cpuset_negate(&extra);
	reef_cpuset_and(&extra, mask);
	if (reef_cpuset_count(&extra) != 0) {
		REEF_ERRLOG("core %u of mask %s is not available here: use cores of %s\n",
			    reef_cpuset_next(&extra, 0), mask_str, allowed_str);
		return -EINVAL;
	}
	if (opts->main_core >= 0) {
		if (!reef_cpuset_get_cpu(mask, (uint32_t)opts->main_core)) {
			REEF_ERRLOG(
				"main core %d is not in the core mask %s: pick one of its cores\n",
				opts->main_core, mask_str);
			return -EINVAL;
		}
		*main_core = (uint32_t)opts->main_core;
	} else {
		*main_core = reef_cpuset_next(mask, 0);
	}
	return 0;
}

/* The last line DPDK logged that looks like an error, for the one-line failure report. */
static void
last_dpdk_error(FILE *log, char *buf, size_t len)
{
	char line[512];

	buf[0] = '\0';
	rewind(log);
	while (fgets(line, sizeof(line), log) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0') {
			snprintf(buf, len, "%s", line);
		}
	}
}

static char g_timeout_msg[256];

static void
start_timed_out(int sig)
{
	ssize_t n = write(STDERR_FILENO, g_timeout_msg, strlen(g_timeout_msg));

	(void)n;
	_exit(128 + sig);
}

/*
 * DPDK's start-up in a secondary can spin for ever on the primary's shared
 * memory lock when another secondary was killed in the middle of its own
 * start-up and left that lock taken (DPDK cannot tell). Better one clear line
 * and an exit than a silent hang.
 */
static void
arm_start_timeout(const char *name)
{
	snprintf(g_timeout_msg, sizeof(g_timeout_msg),
		 "%s: DPDK did not finish attaching to primary '%s' within %d s: its shared "
		 "memory lock may be held by a process killed while attaching; restart the "
		 "primary if this persists\n",
		 reef_log_get_ident(), name, SECONDARY_START_TIMEOUT_S);
	signal(SIGALRM, start_timed_out);
	alarm(SECONDARY_START_TIMEOUT_S);
}

static int
eal_init(const struct reef_env_opts *opts, const char *name)
{
	char prefix[64], lcores[512], main_lcore[32], mem[32], list[400];
	char *argv[MAX_EAL_ARGS];
	FILE *log = NULL;
	int argc = 0, rc;

	reef__env_file_prefix(name, prefix + 14, sizeof(prefix) - 14);
	memcpy(prefix, "--file-prefix=", 14);

	argv[argc++] = "reef";
	argv[argc++] = prefix;
	argv[argc++] = "--no-pci";
	argv[argc++] = "--log-level=lib.*:notice";
	if (opts->role == REEF_ENV_PRIMARY) {
		struct reef_cpuset mask;
		uint32_t main_core;

		rc = check_cores(opts, &mask, &main_core);
		if (rc != 0) {
			return rc;
		}
		fmt_core_list(&mask, list, sizeof(list));
		snprintf(lcores, sizeof(lcores), "--lcores=%s", list);
		snprintf(main_lcore, sizeof(main_lcore), "--main-lcore=%u", main_core);
		argv[argc++] = "--proc-type=primary";
		argv[argc++] = PRIMARY_BASE_VIRTADDR;
		argv[argc++] = lcores;
		argv[argc++] = main_lcore;
		if (opts->mem_size_mb > 0) {
			snprintf(mem, sizeof(mem), "--socket-mem=%u", opts->mem_size_mb);
			argv[argc++] = mem;
		}
	} else {
		struct reef_cpuset allowed;

		allowed_cpus(&allowed);
		fmt_core_list(&allowed, list, sizeof(list));
		/* Any of our cores, under an lcore id no primary lcore has. */
		snprintf(lcores, sizeof(lcores), "--lcores=%d@(%s)",
			 SECONDARY_LCORE_BASE +
				 (int)(getpid() % (REEF_MAX_LCORE - SECONDARY_LCORE_BASE)),
			 list);
		argv[argc++] = "--proc-type=secondary";
		argv[argc++] = lcores;
		argv[argc++] = "--no-telemetry";
	}
	argv[argc] = NULL;

	if (!opts->dpdk_verbose) {
		/* DPDK talks a lot; keep its lines and show the one that matters on failure. */
		log = tmpfile();
		if (log != NULL) {
			rte_openlog_stream(log);
		}
	}
	if (opts->role == REEF_ENV_SECONDARY) {
		arm_start_timeout(name);
	}
	rc = rte_eal_init(argc, argv);
	if (opts->role == REEF_ENV_SECONDARY) {
		alarm(0);
		signal(SIGALRM, SIG_DFL);
	}
	if (rc < 0) {
		char last[512] = "";
		int err = rte_errno;

		if (log != NULL) {
			last_dpdk_error(log, last, sizeof(last));
			rte_openlog_stream(NULL);
			fclose(log);
		}
		REEF_ERRLOG("DPDK could not start as %s of '%s' (%s)%s%s\n",
			    opts->role == REEF_ENV_PRIMARY ? "primary" : "secondary", name,
			    strerror(err), last[0] ? ": " : "", last);
		return -EIO;
	}
	if (log != NULL) {
		rte_openlog_stream(NULL);
		fclose(log);
	}
	/* From now on only DPDK's warnings reach the terminal. */
	rte_log_set_global_level(opts->dpdk_verbose ? RTE_LOG_INFO : RTE_LOG_WARNING);
	return 0;
}

int
reef_env_init(const struct reef_env_opts *opts)
{
	const char *name = opts->name ? opts->name : REEF_APP_NAME_DEFAULT;
	pid_t other;
	int rc;

	if (g_env.initialized) {
		REEF_ERRLOG("the env is already initialised in this process (as '%s')\n",
			    g_env.name);
		return -EALREADY;
	}
	if (!reef_env_name_is_valid(name, true)) {
		return -EINVAL;
	}
	other = reef_env_find_primary(name);
	if (opts->role == REEF_ENV_PRIMARY && other > 0) {
		REEF_ERRLOG("a primary named '%s' is already running (pid %d): stop it or choose "
			    "another name with -n\n",
			    name, (int)other);
		return -EEXIST;
	}
	if (opts->role == REEF_ENV_SECONDARY && other <= 0) {
		REEF_ERRLOG("no Reef primary named '%s' is running: start one (reefd -n %s) or "
			    "check the name given with -n\n",
			    name, name);
		return -ENOENT;
	}
	rc = check_hugepages(opts);
	if (rc != 0) {
		return rc;
	}
	rc = eal_init(opts, name);
	if (rc != 0) {
		return rc;
	}
	g_env.initialized = true;
	g_env.primary = opts->role == REEF_ENV_PRIMARY;
	snprintf(g_env.name, sizeof(g_env.name), "%s", name);
	return 0;
}

/* Remove what a cleanly exiting primary would otherwise leave behind. */
static void
remove_primary_files(const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + 256], prefix[64], line[512];
	struct dirent *de;
	FILE *mounts;
	DIR *d;

	reef__env_file_prefix(name, prefix, sizeof(prefix));
	strncat(prefix, "map_", sizeof(prefix) - strlen(prefix) - 1);

	/* Hugepage files of memory still reserved at exit, on every hugetlbfs mount. */
	mounts = fopen("/proc/mounts", "r");
	while (mounts != NULL && fgets(line, sizeof(line), mounts) != NULL) {
		char dev[128], mnt[PATH_MAX], type[64];

		if (sscanf(line, "%127s %4095s %63s", dev, mnt, type) != 3 ||
		    strcmp(type, "hugetlbfs") != 0) {
			continue;
		}
		d = opendir(mnt);
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
				snprintf(path, sizeof(path), "%s/%s", mnt, de->d_name);
				unlink(path);
			}
		}
		if (d != NULL) {
			closedir(d);
		}
	}
	if (mounts != NULL) {
		fclose(mounts);
	}

	reef__env_runtime_dir(name, dir, sizeof(dir));
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	if (d != NULL) {
		closedir(d);
	}
	rmdir(dir);
}

/* What rte_eal_cleanup would have removed for a secondary: its IPC socket. */
static void
remove_secondary_socket(const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + 256], prefix[64];
	struct dirent *de;
	DIR *d;

	reef__env_runtime_dir(name, dir, sizeof(dir));
	snprintf(prefix, sizeof(prefix), "mp_socket_%d_", (int)getpid());
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	if (d != NULL) {
		closedir(d);
	}
}

void
reef_env_fini(void)
{
	if (!g_env.initialized) {
		return;
	}
	/*
	 * No rte_eal_cleanup(), in either role. It takes DPDK's shared memory
	 * hotplug lock for writing, and a secondary killed inside rte_eal_init
	 * can leave that lock read-held forever: cleanup would then spin for
	 * good (the kill test caught it). Exiting releases every mapping and
	 * lock DPDK holds; the primary removes the files it would have removed.
	 */
	if (g_env.primary) {
		remove_primary_files(g_env.name);
	} else {
		remove_secondary_socket(g_env.name);
	}
	g_env.initialized = false;
	g_env.primary = false;
}
