/*
 * The fake env: the same API as env_dpdk.c and friends, on plain memory and
 * a test-driven clock. Launching on an lcore starts a pthread, so tests can
 * run real reactors when they need to.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env_fake.h"
#include "env_internal.h"
#include "reef/log.h"
#include "reef/queue.h"

struct fake_memzone {
	char name[64];
	void *addr;
	size_t len;
	TAILQ_ENTRY(fake_memzone) link;
};

struct fake_lcore {
	pthread_t tid;
	bool running;
	int (*fn)(void *);
	void *arg;
	int rc;
	uint32_t id;
};

static struct {
	bool initialized;
	bool primary;
	char name[REEF_APP_NAME_MAX + 1];
	uint64_t ticks;
	struct reef_cpuset lcores;
	bool lcores_set;
	int fail_memzone;
	uint32_t memzone_count;
	pthread_mutex_t lock;
	struct fake_lcore launched[REEF_MAX_LCORE];
} g_fake = {.lock = PTHREAD_MUTEX_INITIALIZER};

static TAILQ_HEAD(, fake_memzone) g_memzones = TAILQ_HEAD_INITIALIZER(g_memzones);
static __thread uint32_t tls_lcore = REEF_LCORE_ANY;
static __thread bool tls_lcore_set;

void
reef_env_fake_set_ticks(uint64_t ticks)
{
	__atomic_store_n(&g_fake.ticks, ticks, __ATOMIC_RELAXED);
}

void
reef_env_fake_advance_ticks(uint64_t ticks)
{
	__atomic_fetch_add(&g_fake.ticks, ticks, __ATOMIC_RELAXED);
}

static const struct reef_cpuset *
fake_lcores(void)
{
	if (!g_fake.lcores_set) {
		reef_cpuset_zero(&g_fake.lcores);
		reef_cpuset_set_cpu(&g_fake.lcores, 0, true);
		g_fake.lcores_set = true;
	}
	return &g_fake.lcores;
}

void
reef_env_fake_set_lcores(const struct reef_cpuset *set)
{
	g_fake.lcores = *set;
	g_fake.lcores_set = true;
}

void
reef_env_fake_set_current_lcore(uint32_t lcore)
{
	tls_lcore = lcore;
	tls_lcore_set = true;
}

void
reef_env_fake_fail_memzone(int n)
{
	g_fake.fail_memzone = n;
}

uint32_t
reef_env_fake_memzone_count(void)
{
	return g_fake.memzone_count;
}

int
reef_env_init(const struct reef_env_opts *opts)
{
	const char *name = opts->name ? opts->name : REEF_APP_NAME_DEFAULT;

	if (g_fake.initialized) {
		REEF_ERRLOG("the env is already initialised in this process (as '%s')\n",
			    g_fake.name);
		return -EALREADY;
	}
	if (!reef_env_name_is_valid(name, true)) {
		return -EINVAL;
	}
	if (opts->role == REEF_ENV_PRIMARY && opts->cpumask != NULL) {
		if (reef_cpuset_count(opts->cpumask) == 0) {
			REEF_ERRLOG("the core mask is empty: give at least one core\n");
			return -EINVAL;
		}
		reef_env_fake_set_lcores(opts->cpumask);
	}
	g_fake.initialized = true;
	g_fake.primary = opts->role == REEF_ENV_PRIMARY;
	snprintf(g_fake.name, sizeof(g_fake.name), "%s", name);
	return 0;
}

void
reef_env_fini(void)
{
	g_fake.initialized = false;
	g_fake.primary = false;
	g_fake.name[0] = '\0';
}

bool
reef_env_is_initialized(void)
{
	return g_fake.initialized;
}

bool
reef_env_is_primary(void)
{
	return g_fake.initialized && g_fake.primary;
}

const char *
reef_env_get_name(void)
{
	return g_fake.name;
}

bool
reef_env_primary_alive(void)
{
	return g_fake.initialized;
}

pid_t
reef_env_find_primary(const char *name)
{
	if (g_fake.initialized && g_fake.primary && strcmp(name, g_fake.name) == 0) {
		return getpid();
	}
	return 0;
}

uint64_t
reef_get_ticks(void)
{
	return __atomic_load_n(&g_fake.ticks, __ATOMIC_RELAXED);
}

uint64_t
reef_get_ticks_hz(void)
{
	return REEF_ENV_FAKE_TICKS_HZ;
}

void
reef_delay_us(uint64_t us)
{
	/* Time only passes when the test says so; a delay is the test saying so. */
	reef_env_fake_advance_ticks(us);
}

void *
reef_memzone_reserve(const char *name, size_t len, size_t align, int *rc)
{
	struct fake_memzone *mz;
	int err = 0;

	pthread_mutex_lock(&g_fake.lock);
	TAILQ_FOREACH(mz, &g_memzones, link) {
		if (strcmp(mz->name, name) == 0) {
			err = -EEXIST;
			goto out;
		}
	}
	if (g_fake.fail_memzone > 0) {
		g_fake.fail_memzone--;
		err = -ENOMEM;
		goto out;
	}
	mz = calloc(1, sizeof(*mz));
	if (mz == NULL) {
		err = -ENOMEM;
		goto out;
	}
	if (align < sizeof(void *)) {
		align = sizeof(void *);
	}
	len = (len + align - 1) / align * align;
	mz->addr = aligned_alloc(align, len);
	if (mz->addr == NULL) {
		free(mz);
		err = -ENOMEM;
		goto out;
	}
	memset(mz->addr, 0, len);
	mz->len = len;
	snprintf(mz->name, sizeof(mz->name), "%s", name);
	TAILQ_INSERT_TAIL(&g_memzones, mz, link);
	g_fake.memzone_count++;
out:
	pthread_mutex_unlock(&g_fake.lock);
	if (rc != NULL) {
		*rc = err;
	}
	return err == 0 ? mz->addr : NULL;
}

void *
reef_memzone_lookup(const char *name, size_t *len)
{
	struct fake_memzone *mz;
	void *addr = NULL;

	pthread_mutex_lock(&g_fake.lock);
	TAILQ_FOREACH(mz, &g_memzones, link) {
		if (strcmp(mz->name, name) == 0) {
			addr = mz->addr;
			if (len != NULL) {
				*len = mz->len;
			}
			break;
		}
	}
	pthread_mutex_unlock(&g_fake.lock);
	return addr;
}

int
reef_memzone_free(const char *name)
{
	struct fake_memzone *mz;

	pthread_mutex_lock(&g_fake.lock);
	TAILQ_FOREACH(mz, &g_memzones, link) {
		if (strcmp(mz->name, name) == 0) {
			TAILQ_REMOVE(&g_memzones, mz, link);
			g_fake.memzone_count--;
			pthread_mutex_unlock(&g_fake.lock);
			free(mz->addr);
			free(mz);
			return 0;
		}
	}
	pthread_mutex_unlock(&g_fake.lock);
	return -ENOENT;
}

uint32_t
reef_env_lcore_id(void)
{
	if (tls_lcore_set) {
		return tls_lcore;
	}
	return reef_env_main_lcore();
}

uint32_t
reef_env_main_lcore(void)
{
	return reef_cpuset_next(fake_lcores(), 0);
}

void
reef_env_get_lcores(struct reef_cpuset *set)
{
	*set = *fake_lcores();
}

uint32_t
reef_env_lcore_count(void)
{
	return reef_cpuset_count(fake_lcores());
}

static void *
lcore_thread(void *arg)
{
	struct fake_lcore *lc = arg;

	reef_env_fake_set_current_lcore(lc->id);
	lc->rc = lc->fn(lc->arg);
	return NULL;
}

int
reef_env_lcore_launch(uint32_t lcore, int (*fn)(void *), void *arg)
{
	struct fake_lcore *lc;

	if (lcore >= REEF_MAX_LCORE) {
		return -EINVAL;
	}
	lc = &g_fake.launched[lcore];
	if (lc->running) {
		return -EBUSY;
	}
	lc->fn = fn;
	lc->arg = arg;
	lc->id = lcore;
	if (pthread_create(&lc->tid, NULL, lcore_thread, lc) != 0) {
		return -EAGAIN;
	}
	lc->running = true;
	return 0;
}

int
reef_env_lcore_wait(uint32_t lcore)
{
	struct fake_lcore *lc;

	if (lcore >= REEF_MAX_LCORE || !g_fake.launched[lcore].running) {
		return 0;
	}
	lc = &g_fake.launched[lcore];
	pthread_join(lc->tid, NULL);
	lc->running = false;
	return lc->rc;
}

/* Fake IPC: the "primary" is this process, so a request calls its handler directly. */
static struct {
	char name[64];
	reef_ipc_fn fn;
} g_fake_ipc[8];

int
reef_env_ipc_register(const char *action, reef_ipc_fn fn)
{
	int i;

	for (i = 0; i < 8; i++) {
		if (g_fake_ipc[i].fn != NULL && strcmp(g_fake_ipc[i].name, action) == 0) {
			return -EEXIST;
		}
	}
	for (i = 0; i < 8; i++) {
		if (g_fake_ipc[i].fn == NULL) {
			snprintf(g_fake_ipc[i].name, sizeof(g_fake_ipc[i].name), "%s", action);
			g_fake_ipc[i].fn = fn;
			return 0;
		}
	}
	return -ENOSPC;
}

void
reef_env_ipc_unregister(const char *action)
{
	int i;

	for (i = 0; i < 8; i++) {
		if (g_fake_ipc[i].fn != NULL && strcmp(g_fake_ipc[i].name, action) == 0) {
			g_fake_ipc[i].fn = NULL;
		}
	}
}

int
reef_env_ipc_request(const char *action, const struct reef_ipc_msg *req, struct reef_ipc_msg *reply,
		     uint32_t timeout_ms)
{
	int i;

	(void)timeout_ms;
	for (i = 0; i < 8; i++) {
		if (g_fake_ipc[i].fn != NULL && strcmp(g_fake_ipc[i].name, action) == 0) {
			memset(reply, 0, sizeof(*reply));
			g_fake_ipc[i].fn(req, reply);
			return 0;
		}
	}
	return -ESHUTDOWN;
}

/*
 * Fake telemetry: there is no socket in unit tests. Commands are accepted and
 * containers are plain allocations, so code that builds replies still runs.
 */
int
reef_env_telemetry_register(const char *cmd, reef_tel_fn fn, const char *help)
{
	(void)cmd;
	(void)fn;
	(void)help;
	return 0;
}

struct reef_tel *
reef_tel_new(void)
{
	return calloc(1, 1);
}

void
reef_tel_start_dict(struct reef_tel *t)
{
	(void)t;
}

int
reef_tel_dict_u64(struct reef_tel *t, const char *key, uint64_t value)
{
	(void)t;
	(void)key;
	(void)value;
	return 0;
}

int
reef_tel_dict_int(struct reef_tel *t, const char *key, int value)
{
	(void)t;
	(void)key;
	(void)value;
	return 0;
}

int
reef_tel_dict_str(struct reef_tel *t, const char *key, const char *value)
{
	(void)t;
	(void)key;
	(void)value;
	return 0;
}

int
reef_tel_dict_container(struct reef_tel *t, const char *key, struct reef_tel *child)
{
	(void)t;
	(void)key;
	free(child);
	return 0;
}
