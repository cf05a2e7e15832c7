/*
 * DPDK telemetry, wrapped so that Reef's commands can be written without DPDK
 * headers. DPDK calls one function per command; a trampoline finds ours.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "reef/env.h"

#define MAX_COMMANDS 16

_Static_assert(REEF_TEL_MAX_DICT_ENTRIES == RTE_TEL_MAX_DICT_ENTRIES, "dict size");

static struct {
	char cmd[64];
	reef_tel_fn fn;
} g_commands[MAX_COMMANDS];

static int
trampoline(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int i;

	for (i = 0; i < MAX_COMMANDS; i++) {
		if (g_commands[i].fn != NULL && strcmp(g_commands[i].cmd, cmd) == 0) {
			return g_commands[i].fn(cmd, params, (struct reef_tel *)d);
		}
	}
	return -EINVAL;
}

int
reef_env_telemetry_register(const char *cmd, reef_tel_fn fn, const char *help)
{
	int i;

	for (i = 0; i < MAX_COMMANDS; i++) {
		if (g_commands[i].fn == NULL) {
			break;
		}
	}
	if (i == MAX_COMMANDS || strlen(cmd) >= sizeof(g_commands[i].cmd)) {
		return -EINVAL;
	}
	snprintf(g_commands[i].cmd, sizeof(g_commands[i].cmd), "%s", cmd);
	g_commands[i].fn = fn;
	if (rte_telemetry_register_cmd(cmd, trampoline, help) != 0) {
		g_commands[i].fn = NULL;
		return -EINVAL;
	}
	return 0;
}

struct reef_tel *
reef_tel_new(void)
{
	return (struct reef_tel *)rte_tel_data_alloc();
}

void
reef_tel_start_dict(struct reef_tel *t)
{
	rte_tel_data_start_dict((struct rte_tel_data *)t);
}

int
reef_tel_dict_u64(struct reef_tel *t, const char *key, uint64_t value)
{
	return rte_tel_data_add_dict_u64((struct rte_tel_data *)t, key, value);
}

int
reef_tel_dict_int(struct reef_tel *t, const char *key, int value)
{
	return rte_tel_data_add_dict_int((struct rte_tel_data *)t, key, value);
}

int
reef_tel_dict_str(struct reef_tel *t, const char *key, const char *value)
{
	char clean[RTE_TEL_MAX_STRING_LEN];
	size_t i;

	/* DPDK 22.11 writes strings into JSON as they are: keep only the harmless. */
	for (i = 0; value[i] != '\0' && i < sizeof(clean) - 1; i++) {
		char c = value[i];

		clean[i] =
			(c < 0x20 || c == '"' || c == '\\' || (unsigned char)c >= 0x7f) ? '_' : c;
	}
	clean[i] = '\0';
	return rte_tel_data_add_dict_string((struct rte_tel_data *)t, key, clean);
}

int
reef_tel_dict_container(struct reef_tel *t, const char *key, struct reef_tel *child)
{
	int rc = rte_tel_data_add_dict_container((struct rte_tel_data *)t, key,
						 (struct rte_tel_data *)child, 0);

	if (rc != 0) {
		rte_tel_data_free((struct rte_tel_data *)child);
	}
	return rc;
}
