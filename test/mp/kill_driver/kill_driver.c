/*
 * The kill test. Attached to mp_msg_primary as a well-behaved "control"
 * client, round after round: start a flooding client, let it run for a random
 * while, SIGKILL it, then check that the primary still serves the control
 * client promptly and reclaims the dead client's slot. At the end, every
 * message the control client sent must have been delivered exactly once, in
 * order.
 *
 * The kill lands anywhere from the end of the victim's DPDK start-up on:
 * during its attach request, while it claims its slot, posts, floods, holds
 * replies unread or waits for one. Not inside DPDK's own start-up: a process
 * killed there can leave DPDK's shared memory lock taken for good, which stops
 * later secondaries from starting (they say so, see lib/env) but not the
 * primary: that is DPDK's limit, not what this test measures.
 *
 *   mp_kill_driver NAME ROUNDS CLIENT_BIN [SEED]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reef/client.h"
#include "reef/env.h"
#include "reef/log.h"

#define FAIL(...)                                                      \
	do {                                                           \
		fprintf(stderr, "mp_kill_driver: FAIL: " __VA_ARGS__); \
		fprintf(stderr, "\n");                                 \
		if (g_victim > 0) {                                    \
			kill(g_victim, SIGKILL);                       \
		}                                                      \
		exit(1);                                               \
	} while (0)

static pid_t g_victim;
static uint64_t g_thread[2];
static uint64_t g_seq[2];

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
describe_primary(struct reef_client *c)
{
	struct reef_shm_region *region = reef_client_get_region(c);
	struct reef_shm_snapshot snap;
	uint32_t i;

	if (reef_shm_snapshot_init(region, &snap) != 0) {
		return;
	}
	reef_shm_snapshot_take(region, &snap);
	for (i = 0; i < snap.nr[REEF_SHM_THREADS]; i++) {
		const struct reef_shm_thread *t = &snap.threads[i];

		fprintf(stderr, "  thread %s: polls %llu msgs %llu running %llu pending %u\n",
			t->name, (unsigned long long)t->polls, (unsigned long long)t->msgs_executed,
			(unsigned long long)t->running_poller_id,
			reef_shm_thread_msgs_pending(region, t->hdr.index));
	}
	for (i = 0; i < snap.nr[REEF_SHM_CLIENTS]; i++) {
		const struct reef_shm_client *cl = &snap.clients[i];

		fprintf(stderr,
			"  client pid %d state %u received %llu replied %llu dropped %llu\n",
			cl->pid, cl->state, (unsigned long long)cl->received,
			(unsigned long long)cl->replied, (unsigned long long)cl->dropped);
	}
	reef_shm_snapshot_fini(&snap);
}

/*
 * One control message, waiting for its reply. The bound is generous (shared,
 * noisy machines, sanitizer builds): a wedged primary never answers at all.
 */
static void
control_call(struct reef_client *c, int which, int round)
{
	struct reef_client_reply reply;
	uint64_t seq = ++g_seq[which];
	int rc;

	reply.status = 0;
	rc = reef_client_call(c, g_thread[which], "test.count", &seq, sizeof(seq), &reply, 5000);
	if (rc == -ETIMEDOUT) {
		uint64_t t0 = now_ms();

		/* Slow or wedged? Say which, for whoever reads the failure. */
		describe_primary(c);
		seq = ++g_seq[which];
		rc = reef_client_call(c, g_thread[which], "test.count", &seq, sizeof(seq), &reply,
				      20000);
		FAIL("round %d: the primary did not answer the control client within 5 s; a "
		     "second call %s after %llu ms",
		     round, rc == 0 ? "was answered" : "failed too",
		     (unsigned long long)(now_ms() - t0));
	}
	if (rc != 0 || reply.status != 0) {
		FAIL("round %d: the primary did not answer the control client (rc %d, status %d)",
		     round, rc, reply.status);
	}
}

static void
control_post(struct reef_client *c, int which)
{
	uint64_t seq = g_seq[which] + 1;

	if (reef_client_post(c, g_thread[which], "test.count", &seq, sizeof(seq), false, NULL) ==
	    0) {
		g_seq[which] = seq;
	}
}

/* Read the victim's output until word shows up, posting control traffic meanwhile. */
static bool
wait_for(int fd, const char *word, struct reef_client *c, int round, char *buf, ssize_t *len)
{
	uint64_t deadline = now_ms() + 30000;
	ssize_t have = 0;

	while (now_ms() < deadline) {
		ssize_t n = read(fd, buf + have, 63 - (size_t)have);

		if (n > 0) {
			have += n;
			buf[have] = '\0';
			if (strstr(buf, word) != NULL) {
				*len = have;
				return true;
			}
			if (have >= 63) {
				have = 0;
			}
		}
		control_post(c, round & 1);
		usleep(200);
	}
	return false;
}

static pid_t
start_victim(const char *bin, const char *name, int *out_fd)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) != 0) {
		FAIL("pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		FAIL("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(bin, "mp_msg_client", name, "flood", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	*out_fd = fds[0];
	return pid;
}

int
main(int argc, char **argv)
{
	const struct reef_shm_header *hdr;
	struct reef_client_reply reply;
	struct reef_client *c;
	int rounds, round, attached_kills = 0, early_kills = 0;
	unsigned int seed;
	char pidstr[16];

	if (argc < 4) {
		fprintf(stderr, "usage: mp_kill_driver NAME ROUNDS CLIENT_BIN [SEED]\n");
		return 2;
	}
	rounds = atoi(argv[2]);
	seed = argc > 4 ? (unsigned int)strtoul(argv[4], NULL, 0) : (unsigned int)time(NULL);
	srand(seed);
	printf("mp_kill_driver: %d rounds, seed %u\n", rounds, seed);
	reef_log_set_ident("mp_kill_driver");
	if (reef_client_attach(argv[1], &c) != 0) {
		return 3;
	}
	if (reef_client_find_thread(c, "t_a", &g_thread[0]) != 0 ||
	    reef_client_find_thread(c, "t_b", &g_thread[1]) != 0) {
		FAIL("threads t_a/t_b not found");
	}
	hdr = reef_shm_get_header(reef_client_get_region(c));

	for (round = 1; round <= rounds; round++) {
		/* Half the even rounds kill within the few milliseconds the attach takes. */
		uint64_t delay = (uint64_t)(rand() % 2 ? rand() % 3 : rand() % 400), until,
			 deadline;
		bool attached = false;
		char buf[64] = "";
		int fd, status;
		ssize_t n = 0;

		g_victim = start_victim(argv[3], argv[1], &fd);
		/*
		 * Odd rounds wait for the victim to attach and kill it a moment into its
		 * flood (on a loaded machine a random delay alone may never get that
		 * far); even rounds kill it at a random instant after DPDK started.
		 */
		if (!wait_for(fd, (round & 1) ? "ATTACHED" : "EAL_READY", c, round, buf, &n)) {
			FAIL("round %d: the victim did not start within 30 s", round);
		}
		attached = (round & 1) || memmem(buf, (size_t)n, "ATTACHED", 8) != NULL;
		if (round & 1) {
			delay = (uint64_t)(rand() % 50);
		}
		/*
		 * Keep the primary busy with our own traffic while the victim floods,
		 * at a pace it can always keep up with: the check below is that it
		 * serves us promptly, not how big a backlog it can clear.
		 */
		until = now_ms() + delay;
		do {
			control_post(c, round & 1);
			usleep(200);
		} while (now_ms() < until);
		kill(g_victim, SIGKILL);
		waitpid(g_victim, &status, 0);
		if (!attached) {
			n = read(fd, buf, sizeof(buf) - 1);
			attached = n > 0 && memmem(buf, (size_t)n, "ATTACHED", 8) != NULL;
		}
		close(fd);
		if (attached) {
			attached_kills++;
		} else {
			early_kills++;
		}
		g_victim = 0;

		control_call(c, 0, round);
		control_call(c, 1, round);
		/* The dead client's slot comes back: only the control client stays attached. */
		deadline = now_ms() + 3000;
		while (__atomic_load_n(&hdr->client_count, __ATOMIC_ACQUIRE) != 1) {
			if (now_ms() > deadline) {
				FAIL("round %d: a dead client's slot was not reclaimed (%u attached)",
				     round, hdr->client_count);
			}
			usleep(1000);
		}
		if (!reef_shm_primary_alive(reef_client_get_region(c))) {
			FAIL("round %d: the primary died", round);
		}
	}

	snprintf(pidstr, sizeof(pidstr), "%d", (int)getpid());
	for (int which = 0; which < 2; which++) {
		unsigned long long count, violations;

		if (reef_client_call(c, g_thread[which], "test.report", pidstr, strlen(pidstr),
				     &reply, 5000) != 0) {
			FAIL("final report failed");
		}
		reply.data[reply.len < sizeof(reply.data) ? reply.len : sizeof(reply.data) - 1] =
			'\0';
		if (sscanf((const char *)reply.data, "count %llu violations %llu", &count,
			   &violations) != 2 ||
		    count != g_seq[which] || violations != 0) {
			FAIL("control messages to thread %d: sent %llu, %s", which,
			     (unsigned long long)g_seq[which], (const char *)reply.data);
		}
	}
	printf("mp_kill_driver: %d clients killed (%d after attaching, %d while attaching); the primary "
	       "served on, %llu control messages delivered once each, in order\n",
	       rounds, attached_kills, early_kills, (unsigned long long)(g_seq[0] + g_seq[1]));
	reef_client_detach(c);
	reef_env_fini();
	return 0;
}
