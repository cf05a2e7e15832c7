/* Helpers shared by the DPDK env and the fake env. */
#ifndef REEF_ENV_INTERNAL_H
#define REEF_ENV_INTERNAL_H

#include <stddef.h>

#include "reef/env.h"

/* DPDK's runtime directory of an app name: /var/run/dpdk/reef_<name> for root. */
void reef__env_runtime_dir(const char *name, char *buf, size_t len);

/* The DPDK file prefix of an app name: "reef_<name>". */
void reef__env_file_prefix(const char *name, char *buf, size_t len);

#endif /* REEF_ENV_INTERNAL_H */
