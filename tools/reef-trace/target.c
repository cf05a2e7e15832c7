/*
 * Finding and checking the primary to trace. A live primary holds a write
 * lock on <runtime dir>/reef_<name>/config (see reef_env_find_primary()):
 * that lock turns a name into a pid and tells a primary from any other
 * process. The probes are the "stapsdt" notes of provider "reef" in its
 * program (readelf -n shows the same).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reef/env.h"
#include "reef/proc.h"
#include "reef/string.h"
#include "target.h"

#define NT_STAPSDT 3

/* The rule of reef__env_runtime_dir() (and DPDK's), without linking lib/env. */
static void
runtime_base(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (getuid() == 0 || xdg == NULL) {
		snprintf(buf, len, "/var/run/dpdk");
	} else {
		snprintf(buf, len, "%s/dpdk", xdg);
	}
}

/* The pid holding the primary lock of runtime directory dir/entry, or 0. */
static pid_t
lock_holder(const char *base, const char *entry)
{
	struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/config", base, entry);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return 0;
	}
	if (fcntl(fd, F_GETLK, &lock) < 0 || lock.l_type == F_UNLCK) {
		lock.l_pid = 0;
	}
	close(fd);
	return lock.l_pid;
}

/* The app name whose primary lock pid holds, into app; false if none. */
static bool
app_of_pid(pid_t pid, char *app, size_t len)
{
	char base[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;

	runtime_base(base, sizeof(base));
	d = opendir(base);
	while (d != NULL && !found && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "reef_", 5) == 0 && lock_holder(base, de->d_name) == pid) {
			reef_strcpy_trunc(app, len, de->d_name + 5);
			found = true;
		}
	}
	if (d != NULL) {
		closedir(d);
	}
	return found;
}

static void
add_probe(struct rt_target *t, const char *name)
{
	unsigned int i;

	for (i = 0; i < t->probes; i++) {
		if (strcmp(t->probe_names[i], name) == 0) {
			return;
		}
	}
	if (t->probes < sizeof(t->probe_names) / sizeof(t->probe_names[0])) {
		reef_strcpy_trunc(t->probe_names[t->probes], sizeof(t->probe_names[0]), name);
		t->probes++;
	}
}

/* The reef probes in the notes of one section. */
static void
scan_notes(Elf_Data *data, struct rt_target *t)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nhdr;

	while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
		const char *desc = (const char *)data->d_buf + desc_off;
		const char *end = desc + nhdr.n_descsz, *provider, *probe;

		if (nhdr.n_type != NT_STAPSDT || nhdr.n_namesz != sizeof("stapsdt") ||
		    memcmp((const char *)data->d_buf + name_off, "stapsdt", sizeof("stapsdt")) !=
			    0 ||
		    nhdr.n_descsz < 3 * 8) {
			continue;
		}
		/* Three addresses (probe, .stapsdt.base, semaphore), then provider, name, args. */
		provider = desc + 3 * 8;
		probe = memchr(provider, '\0', (size_t)(end - provider));
		if (probe == NULL) {
			continue;
		}
		probe++;
		if (memchr(probe, '\0', (size_t)(end - probe)) == NULL) {
			continue;
		}
		if (strcmp(provider, "reef") == 0) {
			add_probe(t, probe);
		}
	}
}

/* Count the reef probes of the program; -errno if it cannot be read. */
static int
read_probes(struct rt_target *t)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	Elf *elf;
	int fd;

	t->probes = 0;
	elf_version(EV_CURRENT);
	fd = open(t->attach_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf == NULL) {
		close(fd);
		return -ENOEXEC;
	}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		Elf_Data *data;

		if (gelf_getshdr(scn, &shdr) == NULL || shdr.sh_type != SHT_NOTE) {
			continue;
		}
		data = elf_getdata(scn, NULL);
		if (data != NULL) {
			scan_notes(data, t);
		}
	}
	elf_end(elf);
	close(fd);
	return 0;
}

static void
read_comm(struct rt_target *t)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)t->pid);
	f = fopen(path, "re");
	if (f == NULL || fgets(t->comm, sizeof(t->comm), f) == NULL) {
		reef_strcpy_trunc(t->comm, sizeof(t->comm), "?");
	}
	t->comm[strcspn(t->comm, "\n")] = '\0';
	if (f != NULL) {
		fclose(f);
	}
}

static int
check_pid(struct rt_target *t, char *err, size_t len)
{
	bool primary;
	ssize_t n;

	if (reef_proc_start_time(t->pid, &t->start_time) != 0) {
		snprintf(err, len, "no process with pid %d", (int)t->pid);
		return -ESRCH;
	}
	read_comm(t);
	snprintf(t->attach_path, sizeof(t->attach_path), "/proc/%d/exe", (int)t->pid);
	n = readlink(t->attach_path, t->exe, sizeof(t->exe) - 1);
	if (n < 0) {
		snprintf(err, len, "cannot read %s: %s", t->attach_path, strerror(errno));
		return -errno;
	}
	t->exe[n] = '\0';
	primary = t->app[0] != '\0' || app_of_pid(t->pid, t->app, sizeof(t->app));
	if (read_probes(t) != 0) {
		t->probes = 0;
	}
	if (!primary && t->probes == 0) {
		snprintf(err, len, "pid %d (%s) is not a Reef primary", (int)t->pid, t->comm);
		return -ENOTSUP;
	}
	if (!primary) {
		snprintf(err, len,
			 "pid %d (%s) is not a running Reef primary: it holds no Reef runtime "
			 "lock (a secondary, or still starting)",
			 (int)t->pid, t->comm);
		return -ENOTSUP;
	}
	if (t->probes == 0) {
		snprintf(err, len,
			 "primary %d (%s, app %s) has no reef USDT probes: %s was built with "
			 "CONFIG_USDT=n",
			 (int)t->pid, t->comm, t->app, t->exe);
		return -ENOTSUP;
	}
	return 0;
}

int
rt_target_find(pid_t pid, const char *name, struct rt_target *t, char *err, size_t len)
{
	char base[PATH_MAX], entry[64];

	memset(t, 0, sizeof(*t));
	if (name != NULL) {
		if (!reef_name_is_valid(name, REEF_APP_NAME_MAX, "_-")) {
			snprintf(err, len, "bad app name '%s': 1 to %d letters, digits, '_' or '-'",
				 name, REEF_APP_NAME_MAX);
			return -EINVAL;
		}
		runtime_base(base, sizeof(base));
		snprintf(entry, sizeof(entry), "reef_%s", name);
		pid = lock_holder(base, entry);
		if (pid <= 0) {
			snprintf(
				err, len,
				"no Reef primary named '%s' is running (nobody holds %s/%s/config)",
				name, base, entry);
			return -ESRCH;
		}
		reef_strcpy_trunc(t->app, sizeof(t->app), name);
	}
	if (pid <= 0) {
		snprintf(err, len, "bad pid %d", (int)pid);
		return -EINVAL;
	}
	t->pid = pid;
	return check_pid(t, err, len);
}

bool
rt_target_is_alive(const struct rt_target *t)
{
	return reef_proc_is_alive(t->pid, t->start_time);
}

bool
rt_target_has_probe(const struct rt_target *t, const char *probe)
{
	unsigned int i;

	for (i = 0; i < t->probes; i++) {
		if (strcmp(t->probe_names[i], probe) == 0) {
			return true;
		}
	}
	return false;
}
