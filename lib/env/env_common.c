#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env_internal.h"
#include "reef/log.h"
#include "reef/string.h"

void
reef_env_opts_init(struct reef_env_opts *opts, size_t opts_size)
{
	struct reef_env_opts defaults = {
		.opts_size = opts_size,
		.role = REEF_ENV_PRIMARY,
		.name = NULL,
		.cpumask = NULL,
		.main_core = -1,
		.mem_size_mb = 0,
		.dpdk_verbose = false,
	};

	memcpy(opts, &defaults, opts_size < sizeof(defaults) ? opts_size : sizeof(defaults));
}

bool
reef_env_name_is_valid(const char *name, bool print)
{
	if (reef_name_is_valid(name, REEF_APP_NAME_MAX, "_-")) {
		return true;
	}
	if (print) {
		REEF_ERRLOG("invalid app name '%s': use 1-%d letters, digits, '_' or '-'\n",
			    name ? name : "", REEF_APP_NAME_MAX);
	}
	return false;
}

void
reef__env_file_prefix(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "reef_%s", name);
}

void
reef__env_runtime_dir(const char *name, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	/* The same rule DPDK applies: root uses /var/run, others their XDG runtime dir. */
	if (getuid() == 0 || xdg == NULL) {
		snprintf(buf, len, "/var/run/dpdk/reef_%s", name);
	} else {
		snprintf(buf, len, "%s/dpdk/reef_%s", xdg, name);
	}
}
