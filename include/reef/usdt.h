/*
 * USDT probes (provider "reef"). Internal to Reef's libraries: applications
 * trace with bpftrace or reef-trace, they don't place probes.
 *
 * Each probe has an is-enabled semaphore that the kernel bumps while a tracer
 * is attached, so REEF_USDT() costs one predicted branch until then and
 * argument setup (including clock reads guarded by REEF_USDT_ENABLED) happens
 * only when someone listens. Build with CONFIG_USDT=n to remove them; unit
 * tests build without them. The probes and their arguments are listed in
 * doc/usdt.md (a test checks the list against the binaries).
 */
#ifndef REEF_USDT_H
#define REEF_USDT_H

/* Every probe, in doc/usdt.md order. */
#define REEF_USDT_PROBES(X)     \
	X(thread_create)        \
	X(thread_exit)          \
	X(thread_destroy)       \
	X(thread_move)          \
	X(msg_send)             \
	X(msg_exec)             \
	X(critical_msg)         \
	X(poller_register)      \
	X(poller_run)           \
	X(poller_pause)         \
	X(poller_resume)        \
	X(poller_unregister)    \
	X(timed_poller_expire)  \
	X(io_device_register)   \
	X(io_device_unregister) \
	X(io_channel_get)       \
	X(io_channel_put)       \
	X(reactor_sleep)        \
	X(reactor_wake)         \
	X(stall)                \
	X(remote_msg_recv)      \
	X(remote_msg_reply)     \
	X(client_attach)        \
	X(client_detach)

#ifndef REEF_CONFIG_USDT
#define REEF_CONFIG_USDT 1
#endif

#if REEF_CONFIG_USDT

#define _SDT_HAS_SEMAPHORES 1
#define SDT_USE_VARIADIC    1
#include <sys/sdt.h>

#define REEF_USDT_SEMAPHORE(name)         reef_##name##_semaphore
#define REEF_USDT_DECLARE_SEMAPHORE(name) extern volatile unsigned short reef_##name##_semaphore;
REEF_USDT_PROBES(REEF_USDT_DECLARE_SEMAPHORE)

/* Whether a tracer is attached to probe `name` right now. */
#define REEF_USDT_ENABLED(name) __builtin_expect(REEF_USDT_SEMAPHORE(name) != 0, 0)

/* Fire probe `name` with up to 12 arguments if a tracer is attached. */
#define REEF_USDT(name, ...)                                    \
	do {                                                    \
		if (REEF_USDT_ENABLED(name)) {                  \
			STAP_PROBEV(reef, name, ##__VA_ARGS__); \
		}                                               \
	} while (0)

#else

/* Arguments still count as used, so probe-only variables don't warn. */
static inline void
reef__usdt_discard(int unused, ...)
{
	(void)unused;
}

#define REEF_USDT_ENABLED(name) 0
#define REEF_USDT(name, ...)                                  \
	do {                                                  \
		if (0) {                                      \
			reef__usdt_discard(0, ##__VA_ARGS__); \
		}                                             \
	} while (0)

#endif

#endif /* REEF_USDT_H */
