/*
 * The snapshot file reef-trace --export writes and reef-top reads (format in
 * include/reef/trace_export.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reef/proc.h"
#include "reef/string.h"
#include "reef/trace_export.h"

#define MAGIC "reef-trace-export"
/* App names as Reef accepts them (REEF_APP_NAME_MAX, which lib/util cannot include). */
#define APP_NAME_MAX  16
#define LINE_MAX_LEN  1024
#define POLLER_FIELDS 13

static const char *
export_dir(void)
{
	const char *dir = getenv("REEF_TRACE_DIR");

	return dir != NULL && dir[0] != '\0' ? dir : REEF_TRACE_EXPORT_DIR;
}

int
reef_trace_export_path(const char *app, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.trace", export_dir(), app);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static uint64_t
clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t i;

	if (reef_strcpy_trunc(path, sizeof(path), dir)) {
		return -ENAMETOOLONG;
	}
	for (i = 1; path[i] != '\0'; i++) {
		if (path[i] == '/') {
			path[i] = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST) {
				return -errno;
			}
			path[i] = '/';
		}
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		return -errno;
	}
	return 0;
}

/* A name as one word-safe field: up to the first control character, never empty. */
static void
clean_name(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0;
	     i + 1 < len && src[i] != '\0' && (unsigned char)src[i] >= 0x20 && src[i] != 0x7f;
	     i++) {
		dst[i] = src[i];
	}
	dst[i] = '\0';
	if (i == 0) {
		reef_strcpy_trunc(dst, len, "?");
	}
}

static int
write_snapshot(FILE *f, const char *app, const struct reef_trace_export *exp)
{
	uint64_t writer_start = 0;
	uint32_t i;

	reef_proc_start_time(getpid(), &writer_start);
	fprintf(f, "%s %d\n", MAGIC, REEF_TRACE_EXPORT_VERSION);
	fprintf(f, "app %s\n", app);
	fprintf(f, "primary %d %" PRIu64 "\n", (int)exp->primary_pid, exp->primary_start_time);
	fprintf(f, "writer %d %" PRIu64 "\n", (int)getpid(), writer_start);
	fprintf(f, "time %" PRIu64 " %" PRIu64 "\n", clock_ms(CLOCK_REALTIME),
		clock_ms(CLOCK_MONOTONIC));
	fprintf(f, "interval_ms %u\n", exp->interval_ms);
	fprintf(f, "tsc_hz %" PRIu64 "\n", exp->tsc_hz);
	for (i = 0; i < exp->poller_count; i++) {
		const struct reef_trace_poller_stats *p = &exp->pollers[i];
		char name[REEF_TRACE_EXPORT_NAME_LEN];

		clean_name(name, sizeof(name), p->name);
		fprintf(f,
			"poller %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			" %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			" %" PRIu64 " %" PRIu64 " %s\n",
			p->poller_id, p->thread_id, p->runs, p->busy_runs, p->p50, p->p90, p->p99,
			p->max, p->total_runs, p->total_p50, p->total_p90, p->total_p99,
			p->total_max, name);
	}
	fprintf(f, "end %u\n", exp->poller_count);
	return ferror(f) ? -EIO : 0;
}

int
reef_trace_export_write(const char *app, const struct reef_trace_export *exp)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	FILE *f;
	int fd, rc;

	if (app == NULL || !reef_name_is_valid(app, APP_NAME_MAX, "_-") || exp == NULL ||
	    (exp->poller_count > 0 && exp->pollers == NULL)) {
		return -EINVAL;
	}
	rc = reef_trace_export_path(app, path, sizeof(path));
	if (rc != 0) {
		return rc;
	}
	rc = mkdir_p(export_dir());
	if (rc != 0) {
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		return -errno;
	}
	/* Readers may run as other users: the snapshot holds nothing secret. */
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	rc = write_snapshot(f, app, exp);
	if (fclose(f) != 0 && rc == 0) {
		rc = -errno;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -errno;
	}
	if (rc != 0) {
		unlink(tmp);
	}
	return rc;
}

int
reef_trace_export_remove(const char *app)
{
	char path[PATH_MAX];
	int rc;

	if (app == NULL || !reef_name_is_valid(app, APP_NAME_MAX, "_-")) {
		return -EINVAL;
	}
	rc = reef_trace_export_path(app, path, sizeof(path));
	if (rc != 0) {
		return rc;
	}
	return unlink(path) == 0 ? 0 : -errno;
}

static int
cmp_poller(const void *a, const void *b)
{
	const struct reef_trace_poller_stats *pa = a, *pb = b;

	return pa->poller_id < pb->poller_id ? -1 : pa->poller_id > pb->poller_id;
}

static int
parse_poller(const char *rest, struct reef_trace_poller_stats *p)
{
	uint64_t v[POLLER_FIELDS];
	const char *s = rest;
	char *end;
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < POLLER_FIELDS; i++) {
		if (*s != ' ') {
			return -EPROTO;
		}
		s++;
		errno = 0;
		v[i] = strtoull(s, &end, 10);
		if (end == s || errno != 0 || *s == '-') {
			return -EPROTO;
		}
		s = end;
	}
	if (*s != ' ' || s[1] == '\0') {
		return -EPROTO;
	}
	p->poller_id = v[0];
	p->thread_id = v[1];
	p->runs = v[2];
	p->busy_runs = v[3];
	p->p50 = v[4];
	p->p90 = v[5];
	p->p99 = v[6];
	p->max = v[7];
	p->total_runs = v[8];
	p->total_p50 = v[9];
	p->total_p90 = v[10];
	p->total_p99 = v[11];
	p->total_max = v[12];
	reef_strcpy_trunc(p->name, sizeof(p->name), s + 1);
	return 0;
}

static int
add_poller(struct reef_trace_export *exp, uint32_t *cap, const char *rest)
{
	struct reef_trace_poller_stats *grown;

	if (exp->poller_count == *cap) {
		uint32_t n = *cap ? *cap * 2 : 64;

		grown = realloc(exp->pollers, n * sizeof(*grown));
		if (grown == NULL) {
			return -ENOMEM;
		}
		exp->pollers = grown;
		*cap = n;
	}
	if (parse_poller(rest, &exp->pollers[exp->poller_count]) != 0) {
		return -EPROTO;
	}
	exp->poller_count++;
	return 0;
}

/* One "key values" line into exp. Returns 1 at "end", 0 to go on, or -errno. */
static int
parse_line(char *line, struct reef_trace_export *exp, uint32_t *cap)
{
	char *rest = strchr(line, ' ');
	unsigned long long a, b;
	int pid;

	if (rest == NULL) {
		return -EPROTO;
	}
	*rest = '\0';
	if (strcmp(line, "poller") == 0) {
		*rest = ' ';
		return add_poller(exp, cap, rest);
	}
	rest++;
	if (strcmp(line, "app") == 0) {
		reef_strcpy_trunc(exp->app, sizeof(exp->app), rest);
	} else if (strcmp(line, "primary") == 0 || strcmp(line, "writer") == 0) {
		if (sscanf(rest, "%d %llu", &pid, &a) != 2) {
			return -EPROTO;
		}
		if (line[0] == 'p') {
			exp->primary_pid = pid;
			exp->primary_start_time = a;
		} else {
			exp->writer_pid = pid;
			exp->writer_start_time = a;
		}
	} else if (strcmp(line, "time") == 0) {
		if (sscanf(rest, "%llu %llu", &a, &b) != 2) {
			return -EPROTO;
		}
		exp->time_ms = a;
		exp->mono_ms = b;
	} else if (strcmp(line, "interval_ms") == 0) {
		if (sscanf(rest, "%llu", &a) != 1 || a > UINT32_MAX) {
			return -EPROTO;
		}
		exp->interval_ms = (uint32_t)a;
	} else if (strcmp(line, "tsc_hz") == 0) {
		if (sscanf(rest, "%llu", &a) != 1) {
			return -EPROTO;
		}
		exp->tsc_hz = a;
	} else if (strcmp(line, "end") == 0) {
		if (sscanf(rest, "%llu", &a) != 1 || a != exp->poller_count) {
			return -EPROTO;
		}
		return 1;
	}
	return 0;
}

static int
parse_file(FILE *f, struct reef_trace_export *exp)
{
	char line[LINE_MAX_LEN];
	uint32_t cap = 0;
	int version, rc = 0;
	size_t len;

	if (fgets(line, sizeof(line), f) == NULL || sscanf(line, MAGIC " %d", &version) != 1 ||
	    version != REEF_TRACE_EXPORT_VERSION) {
		return -EPROTO;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n') {
			return -EPROTO;
		}
		line[len - 1] = '\0';
		rc = parse_line(line, exp, &cap);
	}
	/* No "end" line: cut short. */
	if (rc != 1 || exp->primary_pid <= 0 || exp->writer_pid <= 0 || exp->mono_ms == 0) {
		return rc < 0 ? rc : -EPROTO;
	}
	return 0;
}

static bool
is_stale(const struct reef_trace_export *exp, pid_t primary_pid)
{
	uint64_t now = clock_ms(CLOCK_MONOTONIC);
	uint64_t limit = 2 * (uint64_t)exp->interval_ms + REEF_TRACE_EXPORT_SLACK_MS;

	if (primary_pid != 0 && exp->primary_pid != primary_pid) {
		return true;
	}
	if (!reef_proc_is_alive(exp->primary_pid, exp->primary_start_time) ||
	    !reef_proc_is_alive(exp->writer_pid, exp->writer_start_time)) {
		return true;
	}
	return exp->mono_ms > now ? exp->mono_ms - now > limit : now - exp->mono_ms > limit;
}

int
reef_trace_export_read(const char *app, pid_t primary_pid, struct reef_trace_export **out)
{
	struct reef_trace_export *exp;
	char path[PATH_MAX];
	FILE *f;
	int rc;

	if (app == NULL || out == NULL || !reef_name_is_valid(app, APP_NAME_MAX, "_-")) {
		return -EINVAL;
	}
	*out = NULL;
	rc = reef_trace_export_path(app, path, sizeof(path));
	if (rc != 0) {
		return rc;
	}
	f = fopen(path, "re");
	if (f == NULL) {
		return errno == ENOENT ? -ENOENT : -errno;
	}
	exp = calloc(1, sizeof(*exp));
	if (exp == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	rc = parse_file(f, exp);
	fclose(f);
	if (rc == 0 && is_stale(exp, primary_pid)) {
		rc = -ESTALE;
	}
	if (rc != 0) {
		reef_trace_export_free(&exp);
		return rc;
	}
	if (exp->poller_count > 1) {
		qsort(exp->pollers, exp->poller_count, sizeof(exp->pollers[0]), cmp_poller);
	}
	*out = exp;
	return 0;
}

const struct reef_trace_poller_stats *
reef_trace_export_find(const struct reef_trace_export *exp, uint64_t poller_id)
{
	struct reef_trace_poller_stats key = {.poller_id = poller_id};

	if (exp == NULL || exp->poller_count == 0) {
		return NULL;
	}
	return bsearch(&key, exp->pollers, exp->poller_count, sizeof(key), cmp_poller);
}

void
reef_trace_export_free(struct reef_trace_export **exp)
{
	if (exp == NULL || *exp == NULL) {
		return;
	}
	free((*exp)->pollers);
	free(*exp);
	*exp = NULL;
}

int
reef_trace_export_lookup(const char *app, pid_t primary_pid, uint64_t poller_id,
			 struct reef_trace_poller_stats *out)
{
	const struct reef_trace_poller_stats *p;
	struct reef_trace_export *exp;
	int rc;

	rc = reef_trace_export_read(app, primary_pid, &exp);
	if (rc != 0) {
		return rc;
	}
	p = reef_trace_export_find(exp, poller_id);
	if (p != NULL) {
		*out = *p;
	}
	reef_trace_export_free(&exp);
	return p != NULL ? 0 : -ENOENT;
}
