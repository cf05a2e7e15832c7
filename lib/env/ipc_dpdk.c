/*
 * Requests from secondaries to the primary over DPDK's multi-process channel.
 * DPDK calls one function per action; a trampoline finds Reef's by name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "reef/env.h"
#include "reef/log.h"

#define MAX_ACTIONS 8

_Static_assert(REEF_IPC_PARAM_MAX <= RTE_MP_MAX_PARAM_LEN, "IPC payload fits a DPDK message");
_Static_assert(REEF_IPC_FDS_MAX <= RTE_MP_MAX_FD_NUM, "IPC fds fit a DPDK message");

static struct {
	char name[RTE_MP_MAX_NAME_LEN];
	reef_ipc_fn fn;
} g_actions[MAX_ACTIONS];

static int
trampoline(const struct rte_mp_msg *msg, const void *peer)
{
	struct reef_ipc_msg req, reply;
	struct rte_mp_msg out;
	int i;

	for (i = 0; i < MAX_ACTIONS; i++) {
		if (g_actions[i].fn != NULL && strcmp(g_actions[i].name, msg->name) == 0) {
			break;
		}
	}
	if (i == MAX_ACTIONS) {
		return -1;
	}
	memset(&req, 0, sizeof(req));
	memset(&reply, 0, sizeof(reply));
	req.len = (uint32_t)msg->len_param;
	memcpy(req.param, msg->param, req.len);
	req.nfds = (uint32_t)msg->num_fds;
	memcpy(req.fds, msg->fds, sizeof(int) * req.nfds);
	g_actions[i].fn(&req, &reply);

	memset(&out, 0, sizeof(out));
	snprintf(out.name, sizeof(out.name), "%s", msg->name);
	out.len_param = (int)reply.len;
	memcpy(out.param, reply.param, reply.len);
	out.num_fds = (int)reply.nfds;
	memcpy(out.fds, reply.fds, sizeof(int) * reply.nfds);
	return rte_mp_reply(&out, peer);
}

int
reef_env_ipc_register(const char *action, reef_ipc_fn fn)
{
	int i, free_slot = -1;

	if (strlen(action) >= RTE_MP_MAX_NAME_LEN) {
		return -EINVAL;
	}
	for (i = 0; i < MAX_ACTIONS; i++) {
		if (g_actions[i].fn == NULL) {
			free_slot = free_slot < 0 ? i : free_slot;
		} else if (strcmp(g_actions[i].name, action) == 0) {
			return -EEXIST;
		}
	}
	if (free_slot < 0) {
		return -ENOSPC;
	}
	snprintf(g_actions[free_slot].name, sizeof(g_actions[free_slot].name), "%s", action);
	g_actions[free_slot].fn = fn;
	if (rte_mp_action_register(action, trampoline) != 0) {
		g_actions[free_slot].fn = NULL;
		return rte_errno == EEXIST ? -EEXIST : -EINVAL;
	}
	return 0;
}

void
reef_env_ipc_unregister(const char *action)
{
	int i;

	for (i = 0; i < MAX_ACTIONS; i++) {
		if (g_actions[i].fn != NULL && strcmp(g_actions[i].name, action) == 0) {
			rte_mp_action_unregister(action);
			g_actions[i].fn = NULL;
		}
	}
}

int
reef_env_ipc_request(const char *action, const struct reef_ipc_msg *req, struct reef_ipc_msg *reply,
		     uint32_t timeout_ms)
{
	struct timespec ts = {.tv_sec = timeout_ms / 1000,
			      .tv_nsec = (long)(timeout_ms % 1000) * 1000000};
	struct rte_mp_reply replies;
	struct rte_mp_msg msg;
	const struct rte_mp_msg *in;

	if (strlen(action) >= RTE_MP_MAX_NAME_LEN || req->len > REEF_IPC_PARAM_MAX ||
	    req->nfds > REEF_IPC_FDS_MAX) {
		return -EINVAL;
	}
	memset(&msg, 0, sizeof(msg));
	snprintf(msg.name, sizeof(msg.name), "%s", action);
	msg.len_param = (int)req->len;
	memcpy(msg.param, req->param, req->len);
	msg.num_fds = (int)req->nfds;
	memcpy(msg.fds, req->fds, sizeof(int) * req->nfds);
	memset(&replies, 0, sizeof(replies));
	if (rte_mp_request_sync(&msg, &replies, &ts) != 0 || replies.nb_received < 1) {
		int err = rte_errno;

		free(replies.msgs);
		return err == ETIMEDOUT ? -ETIMEDOUT : -ESHUTDOWN;
	}
	in = &replies.msgs[0];
	memset(reply, 0, sizeof(*reply));
	reply->len = (uint32_t)in->len_param;
	memcpy(reply->param, in->param, reply->len);
	reply->nfds = (uint32_t)in->num_fds;
	memcpy(reply->fds, in->fds, sizeof(int) * reply->nfds);
	free(replies.msgs);
	return 0;
}
