/*
 * A client for the client tests (talks to mp_msg_primary).
 *   mp_msg_client NAME count N   post N sequence-numbered messages alternately
 *                                to t_a and t_b (every 16th waits for its
 *                                reply), then check that each thread counted
 *                                exactly its share, in order. Exit 0 if so.
 *   mp_msg_client NAME flood     post forever (some with replies, some held
 *                                unread) until killed. Prints "EAL_READY" once
 *                                DPDK has started, "ATTACHED" once a client.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reef/client.h"
#include "reef/env.h"
#include "reef/log.h"

static uint64_t g_thread[2];

static int
post_seq(struct reef_client *c, int which, uint64_t seq, bool wait)
{
	struct reef_client_reply reply;
	int rc;

	if (wait) {
		rc = reef_client_call(c, g_thread[which], "test.count", &seq, sizeof(seq), &reply,
				      5000);
		return rc != 0 ? rc : reply.status;
	}
	while ((rc = reef_client_post(c, g_thread[which], "test.count", &seq, sizeof(seq), false,
				      NULL)) == -ENOBUFS) {
		usleep(20);
	}
	return rc;
}

static int
check_thread(struct reef_client *c, int which, uint64_t expect)
{
	struct reef_client_reply reply;
	unsigned long long count, violations;
	char pid[16];
	int rc;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	rc = reef_client_call(c, g_thread[which], "test.report", pid, strlen(pid), &reply, 5000);
	if (rc != 0 || reply.status != 0) {
		fprintf(stderr, "mp_msg_client: report failed: %d/%d\n", rc, reply.status);
		return 1;
	}
	reply.data[reply.len < sizeof(reply.data) ? reply.len : sizeof(reply.data) - 1] = '\0';
	if (sscanf((const char *)reply.data, "count %llu violations %llu", &count, &violations) !=
	    2) {
		fprintf(stderr, "mp_msg_client: bad report '%s'\n", (const char *)reply.data);
		return 1;
	}
	if (count != expect || violations != 0) {
		fprintf(stderr,
			"mp_msg_client: pid %s thread %d: count %llu (expected %llu), "
			"violations %llu\n",
			pid, which, count, (unsigned long long)expect, violations);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct reef_client *c;
	uint64_t seq[2] = {0, 0}, i, n;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: mp_msg_client NAME count N | NAME flood\n");
		return 2;
	}
	reef_log_set_ident("mp_msg_client");
	if (strcmp(argv[2], "flood") == 0) {
		struct reef_shm_region *region;

		/* Two steps, so the kill test can tell DPDK's start-up from Reef's attach. */
		if (reef_shm_attach(argv[1], &region) != 0) {
			return 3;
		}
		printf("EAL_READY\n");
		fflush(stdout);
	}
	if (reef_client_attach(argv[1], &c) != 0) {
		return 3;
	}
	if (reef_client_find_thread(c, "t_a", &g_thread[0]) != 0 ||
	    reef_client_find_thread(c, "t_b", &g_thread[1]) != 0) {
		fprintf(stderr, "mp_msg_client: threads t_a/t_b not found\n");
		return 1;
	}
	if (strcmp(argv[2], "flood") == 0) {
		printf("ATTACHED\n");
		fflush(stdout);
		for (i = 0;; i++) {
			/* Some wait for replies, most don't; replies pile up unread too. */
			post_seq(c, (int)(i & 1), ++seq[i & 1], (i % 64) == 0);
			if (i % 7 == 0) {
				reef_client_post(c, g_thread[i & 1], "test.count", &seq[i & 1],
						 sizeof(seq[0]), true, NULL);
			}
		}
	}
	n = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000;
	for (i = 0; i < n; i++) {
		int which = (int)(i & 1);

		rc = post_seq(c, which, ++seq[which], (i % 16) == 0);
		if (rc != 0) {
			fprintf(stderr, "mp_msg_client: post %llu failed: %d\n",
				(unsigned long long)i, rc);
			return 1;
		}
	}
	rc = check_thread(c, 0, seq[0]) | check_thread(c, 1, seq[1]);
	reef_client_detach(c);
	reef_env_fini();
	if (rc == 0) {
		printf("mp_msg_client: %llu messages delivered once each, in order\n",
		       (unsigned long long)n);
	}
	return rc;
}
