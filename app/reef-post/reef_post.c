/*
 * reef-post: send a named message to a thread of a running Reef primary, and
 * optionally wait for its reply.
 *
 *   reef-post -n NAME -t ID|THREAD -m HANDLER [-d TEXT | -x HEX | -f FILE]
 *             [-w] [-T MS] [-c N] [-q]
 *   reef-post -n NAME -l
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reef/client.h"
#include "reef/env.h"
#include "reef/log.h"
#include "reef/string.h"

/* Exit codes, each a different kind of failure (documented in --help). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 2,
	EXIT_ATTACH = 3,
	EXIT_NOT_FOUND = 4,
	EXIT_TIMEOUT = 5,
	EXIT_GONE = 6,
	EXIT_HANDLER = 7,
};

struct post_opts {
	const char *name;
	const char *thread;
	const char *handler;
	uint8_t payload[REEF_MSG_PAYLOAD_MAX];
	size_t len;
	bool have_payload;
	bool wait;
	bool list;
	bool quiet;
	unsigned long long timeout_ms;
	unsigned long long count;
};

static void
usage(void)
{
	printf("Usage: reef-post -n NAME -t THREAD -m HANDLER [payload] [options]\n"
	       "       reef-post -n NAME -l\n"
	       "\n"
	       "Send a named message to a thread of the running Reef primary NAME.\n"
	       "\n"
	       "  -n, --name NAME      the primary's app name (default %s)\n"
	       "  -t, --thread THREAD  target thread: its id or its name (0: the app thread)\n"
	       "  -m, --msg HANDLER    the handler to call (e.g. reef.ping)\n"
	       "  -d, --data TEXT      payload: this text\n"
	       "  -x, --hex HEX        payload: these bytes, in hex (\"01ff\")\n"
	       "  -f, --file FILE      payload: the contents of FILE (at most %d bytes)\n"
	       "  -w, --wait           wait for the reply and print it\n"
	       "  -T, --timeout MS     how long to wait for each reply (default 2000)\n"
	       "  -c, --count N        send N times (with -w: print a latency summary)\n"
	       "  -q, --quiet          print nothing on success\n"
	       "  -l, --list           list the primary's threads and handlers\n"
	       "  -h, --help           this help\n"
	       "  -v, --version        print the version\n"
	       "\n"
	       "Exit status: 0 ok, 2 bad usage, 3 cannot attach, 4 no such thread or handler,\n"
	       "5 timed out, 6 the primary stopped or died, 7 the handler returned an error.\n",
	       REEF_APP_NAME_DEFAULT, REEF_MSG_PAYLOAD_MAX);
}

static int
hex_nibble(char c)
{
	if (isdigit((unsigned char)c)) {
		return c - '0';
	}
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
parse_hex(const char *hex, struct post_opts *o)
{
	size_t n = strlen(hex), i;

	if (n % 2 != 0 || n / 2 > REEF_MSG_PAYLOAD_MAX) {
		fprintf(stderr,
			"reef-post: --hex wants an even number of hex digits, at most %d "
			"bytes\n",
			REEF_MSG_PAYLOAD_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i += 2) {
		int hi = hex_nibble(hex[i]), lo = hex_nibble(hex[i + 1]);

		if (hi < 0 || lo < 0) {
			fprintf(stderr, "reef-post: --hex: '%c%c' is not a hex byte\n", hex[i],
				hex[i + 1]);
			return -EINVAL;
		}
		o->payload[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	o->len = n / 2;
	return 0;
}

static int
read_file(const char *path, struct post_opts *o)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "reef-post: cannot read %s: %s\n", path, strerror(errno));
		return -errno;
	}
	n = fread(o->payload, 1, sizeof(o->payload), f);
	/* fopen succeeds on a directory; the read is where that fails (EISDIR). */
	if (ferror(f)) {
		int err = errno ? errno : EIO;

		fclose(f);
		fprintf(stderr, "reef-post: cannot read %s: %s\n", path, strerror(err));
		return -err;
	}
	if (n == sizeof(o->payload) && fgetc(f) != EOF) {
		fclose(f);
		fprintf(stderr, "reef-post: %s is over the %d-byte payload limit\n", path,
			REEF_MSG_PAYLOAD_MAX);
		return -EMSGSIZE;
	}
	fclose(f);
	o->len = n;
	return 0;
}

static int
set_payload(struct post_opts *o, int ch, const char *arg)
{
	if (o->have_payload) {
		fprintf(stderr, "reef-post: give one payload (-d, -x or -f), not several\n");
		return -EINVAL;
	}
	o->have_payload = true;
	switch (ch) {
	case 'd':
		if (strlen(arg) > REEF_MSG_PAYLOAD_MAX) {
			fprintf(stderr, "reef-post: --data is %zu bytes, over the %d-byte limit\n",
				strlen(arg), REEF_MSG_PAYLOAD_MAX);
			return -EMSGSIZE;
		}
		o->len = strlen(arg);
		memcpy(o->payload, arg, o->len);
		return 0;
	case 'x':
		return parse_hex(arg, o);
	default:
		return read_file(arg, o);
	}
}

static int
parse_args(int argc, char **argv, struct post_opts *o)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, 'n'},  {"thread", required_argument, NULL, 't'},
		{"msg", required_argument, NULL, 'm'},   {"data", required_argument, NULL, 'd'},
		{"hex", required_argument, NULL, 'x'},   {"file", required_argument, NULL, 'f'},
		{"wait", no_argument, NULL, 'w'},        {"timeout", required_argument, NULL, 'T'},
		{"count", required_argument, NULL, 'c'}, {"quiet", no_argument, NULL, 'q'},
		{"list", no_argument, NULL, 'l'},        {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},     {NULL, 0, NULL, 0},
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:t:m:d:x:f:wT:c:qlhv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (!reef_env_name_is_valid(optarg, false)) {
				fprintf(stderr,
					"reef-post: bad name '%s': use 1-%d letters, digits, "
					"'_' or '-'\n",
					optarg, REEF_APP_NAME_MAX);
				return EXIT_USAGE;
			}
			o->name = optarg;
			break;
		case 't':
			o->thread = optarg;
			break;
		case 'm':
			o->handler = optarg;
			break;
		case 'd':
		case 'x':
		case 'f':
			if (set_payload(o, ch, optarg) != 0) {
				return EXIT_USAGE;
			}
			break;
		case 'w':
			o->wait = true;
			break;
		case 'T':
			if (reef_parse_u64(optarg, 3600000, &o->timeout_ms) != 0 ||
			    o->timeout_ms == 0) {
				fprintf(stderr,
					"reef-post: --timeout wants milliseconds from 1 to "
					"3600000, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			if (reef_parse_u64(optarg, 1000000000, &o->count) != 0 || o->count == 0) {
				fprintf(stderr,
					"reef-post: --count wants a number from 1 to "
					"1000000000, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'l':
			o->list = true;
			break;
		case 'h':
			usage();
			exit(EXIT_OK);
		case 'v':
			printf("reef-post (Reef) %s\n", REEF_VERSION_STRING);
			exit(EXIT_OK);
		case ':':
			fprintf(stderr,
				"reef-post: option '%s' needs a value: see reef-post --help\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "reef-post: unknown option '%s': see reef-post --help\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "reef-post: unexpected argument '%s': see reef-post --help\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (!o->list && (o->thread == NULL || o->handler == NULL)) {
		fprintf(stderr, "reef-post: say which thread (-t) and which handler (-m): see "
				"reef-post --help\n");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int
list(struct reef_client *c)
{
	struct reef_shm_region *region = reef_client_get_region(c);
	struct reef_shm_snapshot snap;
	uint32_t i;

	if (reef_shm_snapshot_init(region, &snap) != 0) {
		fprintf(stderr, "reef-post: out of memory\n");
		return EXIT_ATTACH;
	}
	reef_shm_snapshot_take(region, &snap);
	printf("%-8s %-40s %-6s %s\n", "ID", "THREAD", "CORE", "STATE");
	for (i = 0; i < snap.nr[REEF_SHM_THREADS]; i++) {
		const struct reef_shm_thread *t = &snap.threads[i];

		printf("%-8llu %-40s %-6d %s\n", (unsigned long long)t->id, t->name,
		       t->lcore == UINT32_MAX ? -1 : (int)t->lcore,
		       reef_shm_thread_state_str(t->state));
	}
	printf("\nHANDLER\n");
	for (i = 0; i < snap.nr[REEF_SHM_HANDLERS]; i++) {
		printf("%s\n", snap.handlers[i].name);
	}
	reef_shm_snapshot_fini(&snap);
	return EXIT_OK;
}

/* Resolve -t: a number is an id (checked to exist), anything else a thread name. */
static int
resolve_thread(struct reef_client *c, const char *app, const char *arg, uint64_t *id)
{
	struct reef_shm_region *region = reef_client_get_region(c);
	unsigned long long v;
	uint32_t n, i;

	if (reef_parse_u64(arg, UINT64_MAX, &v) != 0) {
		if (reef_client_find_thread(c, arg, id) == 0) {
			return 0;
		}
		fprintf(stderr,
			"reef-post: primary '%s' has no thread named '%s' (reef-post -n %s "
			"-l lists them)\n",
			app, arg, app);
		return -ENOENT;
	}
	*id = v;
	if (v == REEF_CLIENT_APP_THREAD) {
		return 0;
	}
	n = reef_shm_table_count(region, REEF_SHM_THREADS);
	for (i = 0; i < n; i++) {
		struct reef_shm_thread t;

		if (reef_shm_read(region, REEF_SHM_THREADS, i, &t) == 0 && t.id == v) {
			return 0;
		}
	}
	fprintf(stderr,
		"reef-post: primary '%s' has no thread with id %llu (reef-post -n %s -l "
		"lists them)\n",
		app, v, app);
	return -ENOENT;
}

static void
print_reply(const struct reef_client_reply *r)
{
	uint32_t i;
	bool text = true;

	for (i = 0; i < r->len; i++) {
		if (!isprint(r->data[i]) && !isspace(r->data[i])) {
			text = false;
			break;
		}
	}
	if (text) {
		printf("%.*s%s", (int)r->len, (const char *)r->data,
		       r->len > 0 && r->data[r->len - 1] == '\n' ? "" : "\n");
		return;
	}
	for (i = 0; i < r->len; i++) {
		printf("%02x", r->data[i]);
	}
	printf("\n");
}

static int
exit_for(int rc)
{
	switch (rc) {
	case -ENOENT:
		return EXIT_NOT_FOUND;
	case -ETIMEDOUT:
		return EXIT_TIMEOUT;
	case -ESHUTDOWN:
		return EXIT_GONE;
	default:
		return EXIT_USAGE;
	}
}

static int
compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
post(struct reef_client *c, const struct post_opts *o, uint64_t thread_id)
{
	struct reef_client_reply reply;
	uint64_t *lat = NULL, i;
	int rc, code = EXIT_OK;

	if (o->wait && o->count > 1) {
		lat = calloc(o->count, sizeof(*lat));
		if (lat == NULL) {
			fprintf(stderr, "reef-post: out of memory\n");
			return EXIT_USAGE;
		}
	}
	for (i = 0; i < o->count; i++) {
		if (!o->wait) {
			while ((rc = reef_client_post(c, thread_id, o->handler, o->payload, o->len,
						      false, NULL)) == -ENOBUFS) {
				struct timespec pause = {.tv_nsec = 20000};

				nanosleep(&pause, NULL);
			}
			if (rc != 0) {
				code = exit_for(rc);
				break;
			}
			continue;
		}
		uint64_t t0 = now_ns();

		rc = reef_client_call(c, thread_id, o->handler, o->payload, o->len, &reply,
				      (uint32_t)o->timeout_ms);
		if (rc == -ETIMEDOUT) {
			fprintf(stderr, "reef-post: no reply from %s within %llu ms\n", o->handler,
				o->timeout_ms);
		}
		if (rc != 0) {
			code = exit_for(rc);
			break;
		}
		if (lat != NULL) {
			lat[i] = now_ns() - t0;
		}
		if (reply.status != 0) {
			fprintf(stderr, "reef-post: %s failed: %s: %.*s\n", o->handler,
				strerror(-reply.status), (int)reply.len, (const char *)reply.data);
			code = EXIT_HANDLER;
			break;
		}
		if (!o->quiet && (o->count == 1 || i == o->count - 1)) {
			print_reply(&reply);
		}
	}
	if (code == EXIT_OK && !o->quiet && !o->wait) {
		printf("posted %llu message%s to %s\n", (unsigned long long)o->count,
		       o->count == 1 ? "" : "s", o->handler);
	}
	if (code == EXIT_OK && lat != NULL && !o->quiet) {
		qsort(lat, o->count, sizeof(*lat), compare_u64);
		printf("%llu calls: round trip p50 %.1f us, p99 %.1f us, max %.1f us\n",
		       (unsigned long long)o->count, (double)lat[o->count / 2] / 1000.0,
		       (double)lat[o->count * 99 / 100] / 1000.0,
		       (double)lat[o->count - 1] / 1000.0);
	}
	free(lat);
	return code;
}

int
main(int argc, char **argv)
{
	struct post_opts o = {.name = REEF_APP_NAME_DEFAULT, .timeout_ms = 2000, .count = 1};
	struct reef_client *c;
	uint64_t thread_id = 0;
	int code, rc;

	reef_log_set_ident("reef-post");
	code = parse_args(argc, argv, &o);
	if (code != EXIT_OK) {
		return code;
	}
	rc = reef_client_attach(o.name, &c);
	if (rc != 0) {
		return EXIT_ATTACH;
	}
	if (o.list) {
		code = list(c);
	} else if (resolve_thread(c, o.name, o.thread, &thread_id) != 0) {
		code = EXIT_NOT_FOUND;
	} else {
		code = post(c, &o, thread_id);
	}
	reef_client_detach(c);
	reef_env_fini();
	return code;
}
