/*
 * Compile code written against SPDK's thread library with Reef: one include
 * maps SPDK's thread, poller, message, io_device/io_channel, interrupt,
 * cpuset, tick and log names onto Reef's. See doc/porting-from-spdk.md for
 * what maps one to one and what differs.
 *
 * Include it instead of spdk/thread.h (and spdk/cpuset.h, spdk/env.h's tick
 * functions, spdk/log.h). It defines only macros and small inline adapters.
 */
#ifndef REEF_SPDK_COMPAT_H
#define REEF_SPDK_COMPAT_H

#include <stdio.h>

#include "reef/cpuset.h"
#include "reef/env.h"
#include "reef/log.h"
#include "reef/thread.h"
#include "reef/util.h"

/* ---- types ---- */
#define spdk_thread                  reef_thread
#define spdk_poller                  reef_poller
#define spdk_io_channel              reef_io_channel
#define spdk_io_channel_iter         reef_io_channel_iter
#define spdk_interrupt               reef_interrupt
#define spdk_cpuset                  reef_cpuset
#define spdk_thread_stats            reef_thread_stats
#define spdk_poller_stats            reef_poller_stats
#define spdk_msg_fn                  reef_msg_fn
#define spdk_poller_fn               reef_poller_fn
#define spdk_interrupt_fn            reef_interrupt_fn
#define spdk_new_thread_fn           reef_new_thread_fn
#define spdk_thread_op               reef_thread_op
#define spdk_thread_op_fn            reef_thread_op_fn
#define spdk_thread_op_supported_fn  reef_thread_op_supported_fn
#define spdk_io_channel_create_cb    reef_io_channel_create_fn
#define spdk_io_channel_destroy_cb   reef_io_channel_destroy_fn
#define spdk_io_device_unregister_cb reef_io_device_unregister_cb
#define spdk_channel_msg             reef_channel_msg_fn
#define spdk_channel_for_each_cpl    reef_channel_for_each_cb
#define spdk_thread_state            reef_thread_state
#define spdk_poller_state            reef_poller_state
#define spdk_interrupt_event_types   reef_interrupt_event_types

/* ---- constants ---- */
#define SPDK_POLLER_IDLE               REEF_POLLER_IDLE
#define SPDK_POLLER_BUSY               REEF_POLLER_BUSY
#define SPDK_THREAD_OP_NEW             REEF_THREAD_OP_NEW
#define SPDK_THREAD_OP_RESCHED         REEF_THREAD_OP_RESCHED
#define SPDK_THREAD_STATE_RUNNING      REEF_THREAD_STATE_RUNNING
#define SPDK_THREAD_STATE_EXITING      REEF_THREAD_STATE_EXITING
#define SPDK_THREAD_STATE_EXITED       REEF_THREAD_STATE_EXITED
#define SPDK_POLLER_STATE_WAITING      REEF_POLLER_STATE_WAITING
#define SPDK_POLLER_STATE_RUNNING      REEF_POLLER_STATE_RUNNING
#define SPDK_POLLER_STATE_UNREGISTERED REEF_POLLER_STATE_UNREGISTERED
#define SPDK_POLLER_STATE_PAUSING      REEF_POLLER_STATE_PAUSING
#define SPDK_POLLER_STATE_PAUSED       REEF_POLLER_STATE_PAUSED
#define SPDK_INTERRUPT_EVENT_IN        REEF_INTERRUPT_EVENT_IN
#define SPDK_INTERRUPT_EVENT_OUT       REEF_INTERRUPT_EVENT_OUT
#define SPDK_INTERRUPT_EVENT_ET        REEF_INTERRUPT_EVENT_ET
#define SPDK_MSG_BATCH_SIZE            REEF_MSG_BATCH_SIZE
#define SPDK_THREAD_EXIT_TIMEOUT_SEC   REEF_THREAD_EXIT_TIMEOUT_SEC

/* ---- the thread library ---- */
#define spdk_thread_lib_init                reef_thread_lib_init
#define spdk_thread_lib_init_ext            reef_thread_lib_init_ext
#define spdk_thread_lib_fini                reef_thread_lib_fini
#define spdk_thread_create                  reef_thread_create
#define spdk_set_thread                     reef_set_thread
#define spdk_get_thread                     reef_get_thread
#define spdk_thread_get_app_thread          reef_thread_get_app_thread
#define spdk_thread_exit                    reef_thread_exit
#define spdk_thread_is_running              reef_thread_is_running
#define spdk_thread_is_exited               reef_thread_is_exited
#define spdk_thread_destroy                 reef_thread_destroy
#define spdk_thread_get_ctx                 reef_thread_get_ctx
#define spdk_thread_get_from_ctx            reef_thread_get_from_ctx
#define spdk_thread_get_cpumask(t)          ((struct reef_cpuset *)reef_thread_get_cpumask(t))
#define spdk_thread_set_cpumask             reef_thread_set_cpumask
#define spdk_thread_bind                    reef_thread_bind
#define spdk_thread_is_bound                reef_thread_is_bound
#define spdk_thread_poll                    reef_thread_poll
#define spdk_thread_next_poller_expiration  reef_thread_next_poller_expiration
#define spdk_thread_has_active_pollers(t)   ((int)reef_thread_has_active_pollers(t))
#define spdk_thread_has_pollers             reef_thread_has_pollers
#define spdk_thread_is_idle                 reef_thread_is_idle
#define spdk_thread_get_count               reef_thread_get_count
#define spdk_thread_get_name                reef_thread_get_name
#define spdk_thread_get_id                  reef_thread_get_id
#define spdk_thread_get_by_id               reef_thread_get_by_id
#define spdk_thread_get_stats               reef_thread_get_stats
#define spdk_thread_get_last_tsc            reef_thread_get_last_tsc
#define spdk_thread_send_msg                reef_thread_send_msg
#define spdk_thread_send_critical_msg       reef_thread_send_critical_msg
#define spdk_thread_exec_msg                reef_thread_exec_msg
#define spdk_for_each_thread                reef_for_each_thread
#define spdk_thread_get_first_active_poller reef_thread_get_first_active_poller
#define spdk_thread_get_next_active_poller  reef_thread_get_next_active_poller
#define spdk_thread_get_first_timed_poller  reef_thread_get_first_timed_poller
#define spdk_thread_get_next_timed_poller   reef_thread_get_next_timed_poller
#define spdk_thread_get_first_paused_poller reef_thread_get_first_paused_poller
#define spdk_thread_get_next_paused_poller  reef_thread_get_next_paused_poller
#define spdk_thread_get_first_io_channel    reef_thread_get_first_io_channel
#define spdk_thread_get_next_io_channel     reef_thread_get_next_io_channel

/* ---- pollers ---- */
#define spdk_poller_register         reef_poller_register
#define spdk_poller_register_named   reef_poller_register_named
#define spdk_poller_unregister       reef_poller_unregister
#define spdk_poller_pause            reef_poller_pause
#define spdk_poller_resume           reef_poller_resume
#define spdk_poller_state_str        reef_poller_state_str
#define spdk_poller_get_name         reef_poller_get_name
#define spdk_poller_get_id           reef_poller_get_id
#define spdk_poller_get_state_str    reef_poller_get_state_str
#define spdk_poller_get_period_ticks reef_poller_get_period_ticks
#define spdk_poller_get_stats        reef_poller_get_stats

/* SPDK_POLLER_REGISTER(fn, arg, period) names the poller after its function. */
#define SPDK_POLLER_REGISTER(fn, arg, period_us) reef_poller_register_named(fn, arg, period_us, #fn)

/* ---- io devices and channels ---- */
/* SPDK's register returns nothing; Reef's says why it failed (here: ignored, and logged). */
#define spdk_io_device_register(dev, create, destroy, size, name) \
	((void)reef_io_device_register(dev, create, destroy, size, name))
#define spdk_io_device_unregister          reef_io_device_unregister
#define spdk_get_io_channel                reef_get_io_channel
#define spdk_put_io_channel                reef_put_io_channel
#define spdk_io_channel_get_ctx            reef_io_channel_get_ctx
#define spdk_io_channel_from_ctx           reef_io_channel_from_ctx
#define spdk_io_channel_get_thread         reef_io_channel_get_thread
#define spdk_io_channel_get_io_device      reef_io_channel_get_io_device
#define spdk_for_each_channel              reef_for_each_channel
#define spdk_for_each_channel_continue     reef_for_each_channel_continue
#define spdk_io_channel_iter_get_io_device reef_io_channel_iter_get_io_device
#define spdk_io_channel_iter_get_channel   reef_io_channel_iter_get_channel
#define spdk_io_channel_iter_get_ctx       reef_io_channel_iter_get_ctx

/* ---- interrupt mode ---- */
#define spdk_interrupt_register        reef_interrupt_register
#define spdk_interrupt_unregister      reef_interrupt_unregister
#define spdk_interrupt_set_event_types reef_interrupt_set_event_types
#define spdk_thread_get_interrupt_fd   reef_thread_get_interrupt_fd
#define spdk_interrupt_mode_enable     reef_interrupt_mode_enable
#define spdk_interrupt_mode_is_enabled reef_interrupt_mode_is_enabled

/* ---- cpusets ---- */
#define spdk_cpuset_zero    reef_cpuset_zero
#define spdk_cpuset_negate  reef_cpuset_negate
#define spdk_cpuset_copy    reef_cpuset_copy
#define spdk_cpuset_and     reef_cpuset_and
#define spdk_cpuset_or      reef_cpuset_or
#define spdk_cpuset_equal   reef_cpuset_equal
#define spdk_cpuset_set_cpu reef_cpuset_set_cpu
#define spdk_cpuset_get_cpu reef_cpuset_get_cpu
#define spdk_cpuset_count   reef_cpuset_count
#define spdk_cpuset_parse   reef_cpuset_parse

/* SPDK formats into a buffer inside the set; Reef's caller owns it: one per thread here. */
static inline const char *
spdk_cpuset_fmt(struct reef_cpuset *set)
{
	static __thread char buf[REEF_CPUSET_STR_MAX];

	reef_cpuset_fmt(set, buf, sizeof(buf));
	/* SPDK prints without the "0x". */
	return buf + 2;
}

/* ---- env: ticks ---- */
#define spdk_get_ticks    reef_get_ticks
#define spdk_get_ticks_hz reef_get_ticks_hz
#define spdk_delay_us     reef_delay_us

/* ---- logging ---- */
#define SPDK_ERRLOG                  REEF_ERRLOG
#define SPDK_WARNLOG                 REEF_WARNLOG
#define SPDK_NOTICELOG               REEF_NOTICELOG
#define SPDK_INFOLOG(component, ...) REEF_INFOLOG(__VA_ARGS__)
#define SPDK_DEBUGLOG                REEF_DEBUGLOG
#define SPDK_LOG_REGISTER_COMPONENT(component)

#define SPDK_CONTAINEROF REEF_CONTAINEROF
#define SPDK_COUNTOF     REEF_COUNTOF
#define spdk_likely      reef_likely
#define spdk_unlikely    reef_unlikely

#endif /* REEF_SPDK_COMPAT_H */
