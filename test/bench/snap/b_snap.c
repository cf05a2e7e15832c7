/*
 * The scale benchmark's reader: attached to a big, busy region (mp_scale_primary
 * with 1024 threads and 65536 pollers), it times one full consistent snapshot
 * (reef_shm_snapshot_take: every slot in use, each copied under its sequence
 * counter) against a plain memcpy of the same tables, alternating, and keeps
 * the best of each. Also prints the bytes of a poller and a thread slot.
 *
 *   b_snap [-n NAME] [--rounds N]
 *
 * With -b it is instead the stand-in for reef-top's batch mode: a full
 * snapshot every -d SECONDS (default 0.1) until SIGTERM, printing nothing.
 *
 *   b_snap -n NAME -b [-d SECONDS]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <time.h>

#include <rte_cycles.h>

#include "../common/bench.h"
#include "reef/log.h"
#include "reef/shm.h"

static const char *g_name = "b_scale";
static int g_rounds = 10;
static bool g_watch;
static double g_delay = 0.1;
static volatile sig_atomic_t g_stop;

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* Snapshot at 1/g_delay Hz until told to stop, like reef-top -b without the printing. */
static int
watch(struct reef_shm_region *region, struct reef_shm_snapshot *snap)
{
	struct timespec ts = {.tv_sec = (time_t)g_delay,
			      .tv_nsec = (long)((g_delay - (double)(time_t)g_delay) * 1e9)};

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!g_stop && reef_shm_primary_alive(region)) {
		reef_shm_snapshot_take(region, snap);
		nanosleep(&ts, NULL);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, 'n'},
		{"rounds", required_argument, NULL, 'r'},
		{"batch", no_argument, NULL, 'b'},
		{"delay", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	double snap_best = NAN, copy_best = NAN, hz;
	const struct reef_shm_header *hdr;
	struct reef_shm_snapshot snap;
	struct reef_shm_region *region;
	size_t bytes = 0, off = 0;
	uint8_t *buf;
	int ch, r, t;

	while ((ch = getopt_long(argc, argv, "n:bd:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			g_name = optarg;
			break;
		case 'r':
			g_rounds = atoi(optarg);
			break;
		case 'b':
			g_watch = true;
			break;
		case 'd':
			g_delay = atof(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: b_snap [-n NAME] [--rounds N] | -n NAME -b [-d SECONDS]\n");
			return 2;
		}
	}
	if (g_rounds <= 0 || g_delay <= 0) {
		fprintf(stderr, "b_snap: --rounds and -d want positive numbers\n");
		return 2;
	}
	reef_log_set_ident("b_snap");
	if (reef_shm_attach(g_name, &region) != 0) {
		return 1;
	}
	hdr = reef_shm_get_header(region);
	for (t = 0; t < REEF_SHM_TABLE_COUNT; t++) {
		bytes += (size_t)hdr->tables[t].count * hdr->tables[t].slot_size;
	}
	buf = malloc(bytes);
	if (buf == NULL || reef_shm_snapshot_init(region, &snap) != 0) {
		fprintf(stderr, "b_snap: out of memory\n");
		return 1;
	}
	if (g_watch) {
		watch(region, &snap);
		reef_shm_snapshot_fini(&snap);
		reef_shm_detach(region);
		reef_env_fini();
		return 0;
	}
	/* Fault both destinations in before timing anything. */
	memset(buf, 0, bytes);
	reef_shm_snapshot_take(region, &snap);
	hz = (double)reef_get_ticks_hz();
	for (r = 0; r < g_rounds; r++) {
		uint64_t t0 = rte_rdtsc(), t1;

		reef_shm_snapshot_take(region, &snap);
		t1 = rte_rdtsc();
		snap_best = bench_best(snap_best, (double)(t1 - t0) / hz * 1e3, BENCH_LOWER);

		t0 = rte_rdtsc();
		for (t = 0, off = 0; t < REEF_SHM_TABLE_COUNT; t++) {
			size_t len = (size_t)hdr->tables[t].count * hdr->tables[t].slot_size;

			memcpy(buf + off, (const uint8_t *)hdr + hdr->tables[t].offset, len);
			off += len;
		}
		t1 = rte_rdtsc();
		copy_best = bench_best(copy_best, (double)(t1 - t0) / hz * 1e3, BENCH_LOWER);
	}
	printf("INFO threads %u pollers %u skipped %u tables_bytes %zu\n",
	       snap.nr[REEF_SHM_THREADS], snap.nr[REEF_SHM_POLLERS], snap.skipped, bytes);
	bench_result("snapshot_full", snap_best, copy_best);
	bench_result("slot_bytes_poller", (double)reef_shm_slot_size(REEF_SHM_POLLERS), NAN);
	bench_result("slot_bytes_thread", (double)reef_shm_slot_size(REEF_SHM_THREADS), NAN);
	reef_shm_snapshot_fini(&snap);
	free(buf);
	reef_shm_detach(region);
	reef_env_fini();
	return 0;
}
