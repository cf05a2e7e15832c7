/*
 * io_devices and io_channels: registration and its refusals, channel
 * creation and reference counts, deferred put and destruction, deferred
 * device unregistration and thread exit, for_each_channel, the records
 * readers see, and the table limits.
 */
#include "ut_main.h"
#include "ut_multithread.c"

#include <errno.h>

#include "reef/shm.h"

/* ut_limits(): --max-devices 16, --max-channels 64. */
#define UT_MAX_DEVICES  16
#define UT_MAX_CHANNELS 64

/* A test io_device: what its callbacks saw. */
struct ut_dev {
	int create_count;
	int destroy_count;
	int create_rc;
	int unregister_count;
	struct reef_thread *create_thread;
	struct reef_thread *destroy_thread;
	struct reef_thread *unregister_thread;
	void *create_ctx;
	/* Run inside create_fn / destroy_fn, when set. */
	void (*create_hook)(struct ut_dev *dev);
	void (*destroy_hook)(struct ut_dev *dev);
};

/* Written into every channel context by create_fn, checked by destroy_fn. */
struct ut_ctx {
	struct ut_dev *dev;
	uint64_t magic;
	uint8_t was_zero;
};
#define UT_CTX_MAGIC 0x5eef5eef5eef5eefULL

static int
ut_create_fn(void *io_device, void *ctx_buf)
{
	struct ut_dev *dev = io_device;
	struct ut_ctx *ctx = ctx_buf;

	dev->create_count++;
	dev->create_thread = reef_get_thread();
	dev->create_ctx = ctx_buf;
	ctx->was_zero = ctx->dev == NULL && ctx->magic == 0;
	ctx->dev = dev;
	ctx->magic = UT_CTX_MAGIC;
	if (dev->create_hook != NULL) {
		dev->create_hook(dev);
	}
	return dev->create_rc;
}

static void
ut_destroy_fn(void *io_device, void *ctx_buf)
{
	struct ut_dev *dev = io_device;
	struct ut_ctx *ctx = ctx_buf;

	CU_ASSERT(ctx->dev == dev);
	CU_ASSERT(ctx->magic == UT_CTX_MAGIC);
	dev->destroy_count++;
	dev->destroy_thread = reef_get_thread();
	if (dev->destroy_hook != NULL) {
		dev->destroy_hook(dev);
	}
}

static void
ut_unregister_cb(void *io_device)
{
	struct ut_dev *dev = io_device;

	dev->unregister_count++;
	dev->unregister_thread = reef_get_thread();
}

static int
ut_register(struct ut_dev *dev, const char *name)
{
	return reef_io_device_register(dev, ut_create_fn, ut_destroy_fn, sizeof(struct ut_ctx),
				       name);
}

/* Copy a device's shared slot, found by name. */
static bool
read_device_slot(const char *name, struct reef_shm_device *out)
{
	uint32_t n = reef_shm_table_count(g_ut_region, REEF_SHM_DEVICES), i;

	for (i = 0; i < n; i++) {
		if (reef_shm_read(g_ut_region, REEF_SHM_DEVICES, i, out) == 0 &&
		    strcmp(out->name, name) == 0) {
			return true;
		}
	}
	return false;
}

/* Copy the slot of the channel of device `device_id` on thread. */
static bool
read_channel_slot(uint64_t device_id, const struct reef_thread *thread,
		  struct reef_shm_channel *out)
{
	uint32_t n = reef_shm_table_count(g_ut_region, REEF_SHM_CHANNELS), i;

	for (i = 0; i < n; i++) {
		if (reef_shm_read(g_ut_region, REEF_SHM_CHANNELS, i, out) == 0 &&
		    out->device_id == device_id && out->thread_id == reef_thread_get_id(thread)) {
			return true;
		}
	}
	return false;
}

static bool
read_thread_slot(const struct reef_thread *thread, struct reef_shm_thread *out)
{
	return reef_shm_read(g_ut_region, REEF_SHM_THREADS, reef_thread_get_slot(thread), out) == 0;
}

static const struct reef_shm_header *
hdr(void)
{
	return reef_shm_get_header(g_ut_region);
}

static uint32_t
thread_channel_count(struct reef_thread *thread)
{
	struct reef_io_channel *ch;
	uint32_t n = 0;

	for (ch = reef_thread_get_first_io_channel(thread); ch != NULL;
	     ch = reef_thread_get_next_io_channel(ch)) {
		n++;
	}
	return n;
}

static void
io_device_register_and_unregister(void)
{
	struct ut_dev dev = {0};
	struct reef_shm_device slot;

	ut_allocate_threads(1);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev_a") == 0);
	CU_ASSERT_STRING_EQUAL(reef_io_device_get_name(&dev), "dev_a");
	CU_ASSERT_FATAL(read_device_slot("dev_a", &slot));
	CU_ASSERT(slot.id != 0);
	CU_ASSERT(slot.owner_thread_id == reef_thread_get_id(ut_thread(0)));
	CU_ASSERT(slot.ctx_size == sizeof(struct ut_ctx));
	CU_ASSERT(slot.refcnt == 0 && slot.unregistered == 0 && slot.for_each_count == 0);
	CU_ASSERT(slot.created_tsc == reef_get_ticks());
	CU_ASSERT(hdr()->device_count == 1);
	/* Registering creates no channel. */
	CU_ASSERT(dev.create_count == 0);

	/* Without a callback, a device with no channels goes at once. */
	reef_io_device_unregister(&dev, NULL);
	CU_ASSERT(reef_io_device_get_name(&dev) == NULL);
	CU_ASSERT(!read_device_slot("dev_a", &slot));
	CU_ASSERT(hdr()->device_count == 0);
	ut_poll_threads();
	CU_ASSERT(dev.unregister_count == 0 && dev.destroy_count == 0);
	ut_free_threads();
}

static void
io_device_register_twice_is_eexist(void)
{
	struct ut_dev dev = {0};

	ut_allocate_threads(1);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "first") == 0);
	ut_log_capture();
	CU_ASSERT(ut_register(&dev, "second") == -EEXIST);
	ut_log_release();
	CU_ASSERT(strstr(g_ut_last_log, "already registered") != NULL);
	CU_ASSERT_STRING_EQUAL(reef_io_device_get_name(&dev), "first");
	CU_ASSERT(hdr()->device_count == 1);
	reef_io_device_unregister(&dev, NULL);
	/* Once gone, the same pointer may be registered again. */
	CU_ASSERT(ut_register(&dev, "again") == 0);
	CU_ASSERT_STRING_EQUAL(reef_io_device_get_name(&dev), "again");
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
io_device_register_bad_arguments_is_einval(void)
{
	struct ut_dev dev = {0};

	ut_allocate_threads(1);
	ut_set_thread(0);
	ut_log_capture();
	CU_ASSERT(reef_io_device_register(NULL, ut_create_fn, ut_destroy_fn, 8, "x") == -EINVAL);
	CU_ASSERT(reef_io_device_register(&dev, NULL, ut_destroy_fn, 8, "x") == -EINVAL);
	CU_ASSERT(reef_io_device_register(&dev, ut_create_fn, NULL, 8, "x") == -EINVAL);
	/* Not on a Reef thread. */
	reef_set_thread(NULL);
	CU_ASSERT(ut_register(&dev, "x") == -EINVAL);
	CU_ASSERT(strstr(g_ut_last_log, "Reef thread") != NULL);
	ut_log_release();
	CU_ASSERT(reef_io_device_get_name(&dev) == NULL);
	CU_ASSERT(hdr()->device_count == 0);
	ut_free_threads();
}

static void
io_device_table_full_is_enospc_naming_option(void)
{
	struct ut_dev devs[UT_MAX_DEVICES + 1];
	struct reef_io_channel *ch;
	char name[32];
	int i;

	memset(devs, 0, sizeof(devs));
	ut_allocate_threads(1);
	ut_set_thread(0);
	for (i = 0; i < UT_MAX_DEVICES; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		CU_ASSERT(ut_register(&devs[i], name) == 0);
	}
	ut_log_capture();
	CU_ASSERT(ut_register(&devs[UT_MAX_DEVICES], "one_too_many") == -ENOSPC);
	ut_log_release();
	CU_ASSERT(strstr(g_ut_last_log, "--max-devices") != NULL);
	CU_ASSERT(reef_io_device_get_name(&devs[UT_MAX_DEVICES]) == NULL);
	CU_ASSERT(hdr()->device_count == UT_MAX_DEVICES);
	/* Those registered are unharmed, and a freed slot can be used again. */
	ch = reef_get_io_channel(&devs[3]);
	CU_ASSERT_FATAL(ch != NULL);
	reef_put_io_channel(ch);
	ut_poll_thread(0);
	CU_ASSERT(devs[3].destroy_count == 1);
	ut_set_thread(0);
	reef_io_device_unregister(&devs[0], NULL);
	CU_ASSERT(ut_register(&devs[UT_MAX_DEVICES], "one_too_many") == 0);
	for (i = 1; i <= UT_MAX_DEVICES; i++) {
		reef_io_device_unregister(&devs[i], NULL);
	}
	CU_ASSERT(hdr()->device_count == 0);
	ut_free_threads();
}

static void
io_device_name_truncated_and_defaulted(void)
{
	const char *long_name = "an_io_device_name_much_longer_than_the_forty_byte_field";
	struct ut_dev a = {0}, b = {0};
	char expect[64];

	ut_allocate_threads(1);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&a, NULL) == 0);
	snprintf(expect, sizeof(expect), "%p", (void *)&a);
	CU_ASSERT_STRING_EQUAL(reef_io_device_get_name(&a), expect);
	CU_ASSERT(ut_register(&b, long_name) == 0);
	CU_ASSERT(strlen(reef_io_device_get_name(&b)) == REEF_SHM_NAME_LEN - 1);
	CU_ASSERT(strncmp(reef_io_device_get_name(&b), long_name, REEF_SHM_NAME_LEN - 1) == 0);
	reef_io_device_unregister(&a, NULL);
	reef_io_device_unregister(&b, NULL);
	ut_free_threads();
}

static void
channel_created_once_per_thread_and_refcounted(void)
{
	struct reef_io_channel *ch0, *ch0b, *ch1;
	struct ut_dev dev = {0};

	ut_allocate_threads(2);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	ch0 = reef_get_io_channel(&dev);
	CU_ASSERT_FATAL(ch0 != NULL);
	CU_ASSERT(dev.create_count == 1);
	CU_ASSERT(dev.create_thread == ut_thread(0));
	CU_ASSERT(reef_io_channel_get_ref_count(ch0) == 1);
	CU_ASSERT(reef_io_channel_get_thread(ch0) == ut_thread(0));
	CU_ASSERT(reef_io_channel_get_io_device(ch0) == &dev);

	/* Again on the same thread: the same channel, one more reference. */
	ch0b = reef_get_io_channel(&dev);
	CU_ASSERT(ch0b == ch0);
	CU_ASSERT(dev.create_count == 1);
	CU_ASSERT(reef_io_channel_get_ref_count(ch0) == 2);

	/* Another thread gets its own. */
	ut_set_thread(1);
	ch1 = reef_get_io_channel(&dev);
	CU_ASSERT_FATAL(ch1 != NULL);
	CU_ASSERT(ch1 != ch0);
	CU_ASSERT(dev.create_count == 2);
	CU_ASSERT(dev.create_thread == ut_thread(1));
	CU_ASSERT(reef_io_channel_get_thread(ch1) == ut_thread(1));
	CU_ASSERT(reef_thread_get_first_io_channel(ut_thread(0)) == ch0);
	CU_ASSERT(reef_thread_get_next_io_channel(ch0) == NULL);
	CU_ASSERT(reef_thread_get_first_io_channel(ut_thread(1)) == ch1);

	/* The first put of two destroys nothing. */
	ut_set_thread(0);
	reef_put_io_channel(ch0);
	CU_ASSERT(reef_io_channel_get_ref_count(ch0) == 1);
	ut_poll_threads();
	CU_ASSERT(dev.destroy_count == 0);
	ut_set_thread(0);
	reef_put_io_channel(ch0);
	ut_set_thread(1);
	reef_put_io_channel(ch1);
	ut_poll_threads();
	CU_ASSERT(dev.destroy_count == 2);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
channel_put_is_deferred_until_thread_polls(void)
{
	struct reef_shm_device dslot;
	struct reef_shm_channel cslot;
	struct reef_io_channel *ch;
	struct ut_dev dev = {0};

	ut_allocate_threads(2);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	CU_ASSERT_FATAL(read_device_slot("dev", &dslot));
	ch = reef_get_io_channel(&dev);
	CU_ASSERT_FATAL(ch != NULL);
	reef_put_io_channel(ch);
	/* The last put only schedules the destruction. */
	CU_ASSERT(dev.destroy_count == 0);
	CU_ASSERT(reef_io_channel_get_ref_count(ch) == 0);
	CU_ASSERT(reef_thread_get_first_io_channel(ut_thread(0)) == ch);
	CU_ASSERT_FATAL(read_channel_slot(dslot.id, ut_thread(0), &cslot));
	CU_ASSERT(cslot.ref == 0 && cslot.destroy_ref == 1);
	/* Polling another thread does not do it. */
	ut_poll_thread(1);
	CU_ASSERT(dev.destroy_count == 0);
	CU_ASSERT(ut_poll_thread(0) > 0);
	CU_ASSERT(dev.destroy_count == 1);
	CU_ASSERT(dev.destroy_thread == ut_thread(0));
	CU_ASSERT(reef_thread_get_first_io_channel(ut_thread(0)) == NULL);
	CU_ASSERT(!read_channel_slot(dslot.id, ut_thread(0), &cslot));
	CU_ASSERT(hdr()->channel_count == 0);
	CU_ASSERT_FATAL(read_device_slot("dev", &dslot));
	CU_ASSERT(dslot.refcnt == 0);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
channel_get_after_put_before_poll_revives_it(void)
{
	struct reef_io_channel *ch, *again;
	struct ut_dev dev = {0};

	ut_allocate_threads(1);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	ch = reef_get_io_channel(&dev);
	reef_put_io_channel(ch);
	/* Got again before the destruction ran: the same channel lives on. */
	again = reef_get_io_channel(&dev);
	CU_ASSERT(again == ch);
	CU_ASSERT(reef_io_channel_get_ref_count(ch) == 1);
	CU_ASSERT(dev.create_count == 1);
	ut_poll_thread(0);
	CU_ASSERT(dev.destroy_count == 0);
	CU_ASSERT(reef_thread_get_first_io_channel(ut_thread(0)) == ch);
	ut_set_thread(0);
	reef_put_io_channel(ch);
	ut_poll_thread(0);
	CU_ASSERT(dev.destroy_count == 1);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
channel_two_puts_in_flight_destroy_once(void)
{
	struct reef_shm_device dslot;
	struct reef_shm_channel cslot;
	struct reef_io_channel *ch;
	struct ut_dev dev = {0};

	ut_allocate_threads(1);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	CU_ASSERT_FATAL(read_device_slot("dev", &dslot));
	ch = reef_get_io_channel(&dev);
	reef_put_io_channel(ch);
	CU_ASSERT(reef_get_io_channel(&dev) == ch);
	reef_put_io_channel(ch);
	CU_ASSERT_FATAL(read_channel_slot(dslot.id, ut_thread(0), &cslot));
	CU_ASSERT(cslot.ref == 0 && cslot.destroy_ref == 2);
	/* The first scheduled put sees the second still in flight and leaves it the work. */
	reef_thread_poll(ut_thread(0), 1, 0);
	CU_ASSERT(dev.destroy_count == 0);
	CU_ASSERT_FATAL(read_channel_slot(dslot.id, ut_thread(0), &cslot));
	CU_ASSERT(cslot.destroy_ref == 1);
	reef_thread_poll(ut_thread(0), 1, 0);
	CU_ASSERT(dev.destroy_count == 1);
	ut_poll_threads();
	CU_ASSERT(dev.destroy_count == 1);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
channel_ctx_round_trip(void)
{
	struct reef_io_channel *ch;
	struct ut_dev dev = {0};
	struct ut_ctx *ctx;

	ut_allocate_threads(1);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	ch = reef_get_io_channel(&dev);
	CU_ASSERT_FATAL(ch != NULL);
	ctx = reef_io_channel_get_ctx(ch);
	CU_ASSERT(ctx == dev.create_ctx);
	CU_ASSERT((uintptr_t)ctx % 16 == 0);
	CU_ASSERT(reef_io_channel_from_ctx(ctx) == ch);
	/* create_fn was handed zeroed memory and what it wrote stays. */
	CU_ASSERT(ctx->was_zero);
	CU_ASSERT(ctx->dev == &dev && ctx->magic == UT_CTX_MAGIC);
	reef_put_io_channel(ch);
	ut_poll_thread(0);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
channel_create_failure_leaves_nothing(void)
{
	struct reef_shm_device dslot;
	struct reef_shm_thread tslot;
	struct ut_dev dev = {.create_rc = -ENOMEM};
	struct reef_io_channel *ch;

	ut_allocate_threads(1);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	ut_log_capture();
	CU_ASSERT(reef_get_io_channel(&dev) == NULL);
	ut_log_release();
	CU_ASSERT(strstr(g_ut_last_log, "failed") != NULL);
	CU_ASSERT(dev.create_count == 1);
	CU_ASSERT(reef_thread_get_first_io_channel(ut_thread(0)) == NULL);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &tslot));
	CU_ASSERT(tslot.io_channels == 0);
	CU_ASSERT_FATAL(read_device_slot("dev", &dslot));
	CU_ASSERT(dslot.refcnt == 0);
	CU_ASSERT(hdr()->channel_count == 0);
	ut_poll_threads();
	CU_ASSERT(dev.destroy_count == 0);

	/* Nothing is left over: the next get creates afresh, and unregistering is immediate. */
	ut_set_thread(0);
	dev.create_rc = 0;
	ch = reef_get_io_channel(&dev);
	CU_ASSERT_FATAL(ch != NULL);
	CU_ASSERT(dev.create_count == 2);
	CU_ASSERT(reef_io_channel_get_ref_count(ch) == 1);
	reef_put_io_channel(ch);
	ut_poll_thread(0);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, ut_unregister_cb);
	ut_poll_thread(0);
	CU_ASSERT(dev.unregister_count == 1);
	ut_free_threads();
}

static void
unregister_self_hook(struct ut_dev *dev)
{
	/* Stands for another OS thread unregistering while create_fn runs. */
	reef_io_device_unregister(dev, ut_unregister_cb);
}

static void
channel_create_failure_completes_a_concurrent_unregister(void)
{
	struct ut_dev dev = {.create_rc = -EIO, .create_hook = unregister_self_hook};

	ut_allocate_threads(1);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	ut_log_capture();
	CU_ASSERT(reef_get_io_channel(&dev) == NULL);
	ut_log_release();
	CU_ASSERT(reef_io_device_get_name(&dev) == NULL);
	/* The failed channel was the device's last reference: the unregistration finishes. */
	ut_poll_threads();
	CU_ASSERT(dev.unregister_count == 1);
	CU_ASSERT(dev.unregister_thread == ut_thread(0));
	CU_ASSERT(dev.destroy_count == 0);
	CU_ASSERT(hdr()->device_count == 0);
	CU_ASSERT(hdr()->channel_count == 0);
	ut_set_thread(0);
	reef_thread_exit(ut_thread(0));
	ut_poll_thread(0);
	CU_ASSERT(reef_thread_is_exited(ut_thread(0)));
	ut_free_threads();
}

static void
channel_get_refused_without_device_or_thread(void)
{
	struct ut_dev dev = {0}, unknown = {0};

	ut_allocate_threads(2);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	ut_log_capture();
	CU_ASSERT(reef_get_io_channel(&unknown) == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "not registered") != NULL);
	reef_set_thread(NULL);
	CU_ASSERT(reef_get_io_channel(&dev) == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "Reef thread") != NULL);
	/* An exited thread gets no channel. */
	ut_set_thread(1);
	reef_thread_exit(ut_thread(1));
	ut_poll_thread(1);
	CU_ASSERT_FATAL(reef_thread_is_exited(ut_thread(1)));
	ut_set_thread(1);
	CU_ASSERT(reef_get_io_channel(&dev) == NULL);
	CU_ASSERT(strstr(g_ut_last_log, "exited") != NULL);
	ut_log_release();
	CU_ASSERT(dev.create_count == 0);
	CU_ASSERT(hdr()->channel_count == 0);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
channel_put_refused_on_other_thread_or_twice(void)
{
	struct reef_io_channel *ch;
	struct ut_dev dev = {0};

	ut_allocate_threads(2);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	ch = reef_get_io_channel(&dev);
	ut_log_capture();
	ut_set_thread(1);
	reef_put_io_channel(ch);
	CU_ASSERT(strstr(g_ut_last_log, "thread that got it") != NULL);
	CU_ASSERT(reef_io_channel_get_ref_count(ch) == 1);
	ut_poll_threads();
	CU_ASSERT(dev.destroy_count == 0);

	ut_set_thread(0);
	reef_put_io_channel(ch);
	/* One put too many, before the destruction ran: refused, nothing doubled. */
	reef_put_io_channel(ch);
	CU_ASSERT(strstr(g_ut_last_log, "more times") != NULL);
	ut_log_release();
	ut_poll_threads();
	CU_ASSERT(dev.destroy_count == 1);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
unregister_waits_for_last_put_then_calls_back_on_its_thread(void)
{
	struct reef_io_channel *ch1, *ch2;
	struct reef_shm_device slot;
	struct ut_dev dev = {0};

	ut_allocate_threads(4);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	ut_set_thread(1);
	ch1 = reef_get_io_channel(&dev);
	ut_set_thread(2);
	ch2 = reef_get_io_channel(&dev);

	ut_set_thread(0);
	reef_io_device_unregister(&dev, ut_unregister_cb);
	CU_ASSERT(reef_io_device_get_name(&dev) == NULL);
	CU_ASSERT_FATAL(read_device_slot("dev", &slot));
	CU_ASSERT(slot.unregistered == 1 && slot.refcnt == 2);
	/* No new channel to an unregistered device. */
	ut_set_thread(3);
	ut_log_capture();
	CU_ASSERT(reef_get_io_channel(&dev) == NULL);
	ut_log_release();
	ut_poll_threads();
	CU_ASSERT(dev.unregister_count == 0);

	ut_set_thread(1);
	reef_put_io_channel(ch1);
	ut_poll_threads();
	CU_ASSERT(dev.unregister_count == 0);
	CU_ASSERT_FATAL(read_device_slot("dev", &slot));
	CU_ASSERT(slot.refcnt == 1);

	/* The last put, on thread 2, hands the callback to thread 0. */
	ut_set_thread(2);
	reef_put_io_channel(ch2);
	ut_poll_thread(2);
	CU_ASSERT(dev.destroy_count == 2);
	CU_ASSERT(dev.unregister_count == 0);
	ut_poll_thread(1);
	ut_poll_thread(3);
	CU_ASSERT(dev.unregister_count == 0);
	ut_poll_thread(0);
	CU_ASSERT(dev.unregister_count == 1);
	CU_ASSERT(dev.unregister_thread == ut_thread(0));
	CU_ASSERT(!read_device_slot("dev", &slot));
	CU_ASSERT(hdr()->device_count == 0);
	ut_poll_threads();
	CU_ASSERT(dev.unregister_count == 1);
	ut_free_threads();
}

static void
unregister_callback_always_runs_in_a_later_poll(void)
{
	struct reef_shm_device slot;
	struct ut_dev dev = {0};

	ut_allocate_threads(2);
	ut_set_thread(1);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	reef_io_device_unregister(&dev, ut_unregister_cb);
	/* Even with no channel open, the callback comes as a message. */
	CU_ASSERT(dev.unregister_count == 0);
	CU_ASSERT(reef_io_device_get_name(&dev) == NULL);
	CU_ASSERT_FATAL(read_device_slot("dev", &slot));
	CU_ASSERT(slot.unregistered == 1);
	ut_poll_thread(0);
	CU_ASSERT(dev.unregister_count == 0);
	ut_poll_thread(1);
	CU_ASSERT(dev.unregister_count == 1);
	CU_ASSERT(dev.unregister_thread == ut_thread(1));
	CU_ASSERT(!read_device_slot("dev", &slot));
	ut_free_threads();
}

static void
unregister_unknown_device_is_logged(void)
{
	struct ut_dev dev = {0};

	ut_allocate_threads(1);
	ut_set_thread(0);
	ut_log_capture();
	reef_io_device_unregister(&dev, ut_unregister_cb);
	CU_ASSERT(strstr(g_ut_last_log, "not registered") != NULL);
	/* Twice is the same mistake. */
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	reef_io_device_unregister(&dev, NULL);
	g_ut_last_log[0] = '\0';
	reef_io_device_unregister(&dev, NULL);
	CU_ASSERT(strstr(g_ut_last_log, "not registered") != NULL);
	ut_log_release();
	ut_poll_threads();
	CU_ASSERT(dev.unregister_count == 0);
	ut_free_threads();
}

static void
thread_exit_waits_for_its_channels(void)
{
	struct reef_shm_thread slot;
	struct reef_io_channel *ch;
	struct ut_dev dev = {0};
	int i;

	ut_allocate_threads(2);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	ut_set_thread(1);
	ch = reef_get_io_channel(&dev);
	reef_thread_exit(ut_thread(1));
	for (i = 0; i < 10; i++) {
		ut_poll_thread(1);
	}
	CU_ASSERT(!reef_thread_is_exited(ut_thread(1)));
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(1), &slot));
	CU_ASSERT(slot.state == REEF_SHM_THREAD_EXITING);
	/* An exiting thread may still get (and put) channels. */
	ut_set_thread(1);
	CU_ASSERT(reef_get_io_channel(&dev) == ch);
	reef_put_io_channel(ch);
	reef_put_io_channel(ch);
	CU_ASSERT(!reef_thread_is_exited(ut_thread(1)));
	ut_poll_thread(1);
	CU_ASSERT(dev.destroy_count == 1);
	CU_ASSERT(reef_thread_is_exited(ut_thread(1)));
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
thread_exit_waits_for_pending_unregister(void)
{
	struct reef_io_channel *ch;
	struct ut_dev dev = {0};
	int i;

	ut_allocate_threads(2);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	ut_set_thread(1);
	ch = reef_get_io_channel(&dev);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, ut_unregister_cb);
	reef_thread_exit(ut_thread(0));
	for (i = 0; i < 10; i++) {
		ut_poll_thread(0);
	}
	CU_ASSERT(!reef_thread_is_exited(ut_thread(0)));

	ut_set_thread(1);
	reef_put_io_channel(ch);
	ut_poll_thread(1);
	/* The callback is on its way to thread 0, which must run it before it is exited. */
	CU_ASSERT(dev.unregister_count == 0);
	CU_ASSERT(!reef_thread_is_exited(ut_thread(0)));
	ut_poll_thread(0);
	CU_ASSERT(dev.unregister_count == 1);
	CU_ASSERT(dev.unregister_thread == ut_thread(0));
	CU_ASSERT(reef_thread_is_exited(ut_thread(0)));
	ut_free_threads();
}

/* for_each_channel bookkeeping. */
struct iter_log {
	void *ctx_seen;
	int visits;
	struct reef_thread *visited[UT_MAX_THREADS];
	int bad_channel;
	int stop_at; /* visit index that continues with stop_status; -1: never */
	int stop_status;
	int cpl_count;
	int cpl_status;
	struct reef_thread *cpl_thread;
	int visits_at_cpl;
	bool cpl_channel_null;
	struct reef_io_channel_iter *held; /* an iteration fn left to be continued later */
	bool hold;
};

static struct iter_log g_iter;

static void
iter_reset(void)
{
	memset(&g_iter, 0, sizeof(g_iter));
	g_iter.stop_at = -1;
}

static void
iter_fn(struct reef_io_channel_iter *i)
{
	struct reef_io_channel *ch = reef_io_channel_iter_get_channel(i);
	int idx = g_iter.visits++;

	if (idx < UT_MAX_THREADS) {
		g_iter.visited[idx] = reef_get_thread();
	}
	g_iter.ctx_seen = reef_io_channel_iter_get_ctx(i);
	if (ch == NULL || reef_io_channel_get_thread(ch) != reef_get_thread() ||
	    reef_io_channel_get_io_device(ch) != reef_io_channel_iter_get_io_device(i)) {
		g_iter.bad_channel++;
	}
	if (g_iter.hold) {
		g_iter.held = i;
		return;
	}
	reef_for_each_channel_continue(i, idx == g_iter.stop_at ? g_iter.stop_status : 0);
}

static void
iter_cpl(struct reef_io_channel_iter *i, int status)
{
	g_iter.cpl_count++;
	g_iter.cpl_status = status;
	g_iter.cpl_thread = reef_get_thread();
	g_iter.visits_at_cpl = g_iter.visits;
	g_iter.cpl_channel_null = reef_io_channel_iter_get_channel(i) == NULL;
	CU_ASSERT(reef_io_channel_iter_get_ctx(i) == &g_iter);
}

/* Get a channel to dev on each listed thread; ch[t] gets thread t's. */
static void
get_channels(struct ut_dev *dev, struct reef_io_channel **ch, const int *threads, int n)
{
	int k;

	for (k = 0; k < n; k++) {
		ut_set_thread(threads[k]);
		ch[threads[k]] = reef_get_io_channel(dev);
		CU_ASSERT_FATAL(ch[threads[k]] != NULL);
	}
}

static void
put_channels(struct reef_io_channel **ch, int n)
{
	int t;

	for (t = 0; t < n; t++) {
		if (ch[t] != NULL) {
			ut_set_thread(t);
			reef_put_io_channel(ch[t]);
			ch[t] = NULL;
		}
	}
	ut_poll_threads();
}

static void
for_each_channel_visits_each_channel_thread(void)
{
	struct reef_io_channel *ch[5] = {0}, *other_ch;
	struct ut_dev dev = {0}, other = {0};
	struct reef_shm_device slot;
	const int with[] = {0, 2, 3};

	ut_allocate_threads(5);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	CU_ASSERT(ut_register(&other, "other") == 0);
	get_channels(&dev, ch, with, 3);
	/* A channel of another device on thread 1 is not part of it. */
	ut_set_thread(1);
	other_ch = reef_get_io_channel(&other);
	iter_reset();

	ut_set_thread(4);
	reef_for_each_channel(&dev, iter_fn, &g_iter, iter_cpl);
	CU_ASSERT(g_iter.visits == 0 && g_iter.cpl_count == 0);
	CU_ASSERT_FATAL(read_device_slot("dev", &slot));
	CU_ASSERT(slot.for_each_count == 1);
	ut_poll_threads();
	CU_ASSERT_FATAL(g_iter.visits == 3);
	CU_ASSERT(g_iter.visited[0] == ut_thread(0));
	CU_ASSERT(g_iter.visited[1] == ut_thread(2));
	CU_ASSERT(g_iter.visited[2] == ut_thread(3));
	CU_ASSERT(g_iter.bad_channel == 0);
	CU_ASSERT(g_iter.ctx_seen == &g_iter);
	CU_ASSERT(g_iter.cpl_count == 1);
	CU_ASSERT(g_iter.cpl_status == 0);
	CU_ASSERT(g_iter.cpl_thread == ut_thread(4));
	CU_ASSERT(g_iter.visits_at_cpl == 3);
	CU_ASSERT(g_iter.cpl_channel_null);
	CU_ASSERT_FATAL(read_device_slot("dev", &slot));
	CU_ASSERT(slot.for_each_count == 0);

	put_channels(ch, 5);
	ut_set_thread(1);
	reef_put_io_channel(other_ch);
	ut_poll_threads();
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	reef_io_device_unregister(&other, NULL);
	ut_free_threads();
}

static void
for_each_channel_nonzero_status_stops_early(void)
{
	struct reef_io_channel *ch[4] = {0};
	struct reef_shm_device slot;
	struct ut_dev dev = {0};
	const int with[] = {0, 1, 2, 3};

	ut_allocate_threads(4);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	get_channels(&dev, ch, with, 4);
	iter_reset();
	g_iter.stop_at = 1;
	g_iter.stop_status = -EAGAIN;
	ut_set_thread(3);
	reef_for_each_channel(&dev, iter_fn, &g_iter, iter_cpl);
	ut_poll_threads();
	CU_ASSERT(g_iter.visits == 2);
	CU_ASSERT(g_iter.visited[1] == ut_thread(1));
	CU_ASSERT(g_iter.cpl_count == 1);
	CU_ASSERT(g_iter.cpl_status == -EAGAIN);
	CU_ASSERT(g_iter.cpl_thread == ut_thread(3));
	CU_ASSERT_FATAL(read_device_slot("dev", &slot));
	CU_ASSERT(slot.for_each_count == 0);
	put_channels(ch, 4);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
for_each_channel_continue_may_come_later(void)
{
	struct reef_io_channel *ch[2] = {0};
	struct ut_dev dev = {0};
	const int with[] = {0, 1};

	ut_allocate_threads(2);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	get_channels(&dev, ch, with, 2);
	iter_reset();
	g_iter.hold = true;
	ut_set_thread(0);
	reef_for_each_channel(&dev, iter_fn, &g_iter, iter_cpl);
	ut_poll_threads();
	/* Thread 0's fn has not continued yet: the iteration waits there. */
	CU_ASSERT(g_iter.visits == 1);
	CU_ASSERT_FATAL(g_iter.held != NULL);
	g_iter.hold = false;
	ut_set_thread(0);
	reef_for_each_channel_continue(g_iter.held, 0);
	ut_poll_threads();
	CU_ASSERT(g_iter.visits == 2);
	CU_ASSERT(g_iter.cpl_count == 1 && g_iter.cpl_status == 0);
	put_channels(ch, 2);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
for_each_channel_skips_channels_removed_meanwhile(void)
{
	struct reef_io_channel *ch[5] = {0};
	struct ut_dev dev = {0};
	const int with[] = {0, 1, 2, 3, 4};

	ut_allocate_threads(5);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	get_channels(&dev, ch, with, 5);
	iter_reset();
	ut_set_thread(0);
	reef_for_each_channel(&dev, iter_fn, &g_iter, iter_cpl);

	/* Thread 1's channel goes before the iteration gets there: thread 1 is passed over. */
	ut_set_thread(1);
	reef_put_io_channel(ch[1]);
	ch[1] = NULL;
	ut_poll_thread(1);
	CU_ASSERT(dev.destroy_count == 1);
	CU_ASSERT(g_iter.visits == 0);
	ut_poll_thread(0);
	CU_ASSERT(g_iter.visits == 1);
	ut_poll_thread(1);
	CU_ASSERT(g_iter.visits == 1);

	/*
	 * Thread 3's put is already queued when the iteration picks thread 3: the
	 * put runs first, and the iteration message finds no channel and moves on.
	 */
	ut_set_thread(3);
	reef_put_io_channel(ch[3]);
	ch[3] = NULL;
	ut_poll_thread(2);
	CU_ASSERT(g_iter.visits == 2);
	ut_poll_thread(3);
	CU_ASSERT(dev.destroy_count == 2);
	CU_ASSERT(g_iter.visits == 2);
	ut_poll_threads();
	CU_ASSERT_FATAL(g_iter.visits == 3);
	CU_ASSERT(g_iter.visited[0] == ut_thread(0));
	CU_ASSERT(g_iter.visited[1] == ut_thread(2));
	CU_ASSERT(g_iter.visited[2] == ut_thread(4));
	CU_ASSERT(g_iter.bad_channel == 0);
	CU_ASSERT(g_iter.cpl_count == 1 && g_iter.cpl_status == 0);
	CU_ASSERT(g_iter.cpl_thread == ut_thread(0));
	put_channels(ch, 5);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
for_each_channel_ignores_channels_of_an_earlier_registration(void)
{
	struct reef_io_channel *old_ch, *new_ch;
	struct ut_dev dev = {0};

	ut_allocate_threads(3);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "first") == 0);
	ut_set_thread(1);
	old_ch = reef_get_io_channel(&dev);
	/* Unregistered while thread 1 still holds a channel, then registered anew. */
	ut_set_thread(0);
	reef_io_device_unregister(&dev, ut_unregister_cb);
	CU_ASSERT(ut_register(&dev, "second") == 0);
	ut_set_thread(2);
	new_ch = reef_get_io_channel(&dev);
	CU_ASSERT_FATAL(old_ch != NULL && new_ch != NULL);

	iter_reset();
	ut_set_thread(0);
	reef_for_each_channel(&dev, iter_fn, &g_iter, iter_cpl);
	ut_poll_threads();
	/* Only the channel of the current registration: thread 1's belongs to the old one. */
	CU_ASSERT(g_iter.visits == 1);
	CU_ASSERT(g_iter.visited[0] == ut_thread(2));
	CU_ASSERT(g_iter.cpl_count == 1);

	ut_set_thread(1);
	reef_put_io_channel(old_ch);
	ut_set_thread(2);
	reef_put_io_channel(new_ch);
	ut_poll_threads();
	CU_ASSERT(dev.unregister_count == 1);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
for_each_channel_without_channels_completes_on_caller(void)
{
	struct ut_dev dev = {0};

	ut_allocate_threads(2);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	iter_reset();
	ut_set_thread(1);
	reef_for_each_channel(&dev, iter_fn, &g_iter, iter_cpl);
	/* Not at once: the completion is a message to the caller. */
	CU_ASSERT(g_iter.cpl_count == 0);
	ut_poll_thread(0);
	CU_ASSERT(g_iter.cpl_count == 0);
	ut_poll_thread(1);
	CU_ASSERT(g_iter.cpl_count == 1);
	CU_ASSERT(g_iter.cpl_status == 0);
	CU_ASSERT(g_iter.cpl_thread == ut_thread(1));
	CU_ASSERT(g_iter.visits == 0);
	ut_set_thread(0);
	reef_io_device_unregister(&dev, NULL);
	ut_free_threads();
}

static void
unregister_refused_while_for_each_outstanding(void)
{
	struct reef_io_channel *ch[2] = {0};
	struct reef_shm_device slot;
	struct ut_dev dev = {0};
	const int with[] = {0, 1};

	ut_allocate_threads(2);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&dev, "dev") == 0);
	get_channels(&dev, ch, with, 2);
	iter_reset();
	ut_set_thread(0);
	reef_for_each_channel(&dev, iter_fn, &g_iter, iter_cpl);
	ut_log_capture();
	reef_io_device_unregister(&dev, ut_unregister_cb);
	ut_log_release();
	CU_ASSERT(strstr(g_ut_last_log, "for_each_channel") != NULL);
	CU_ASSERT_STRING_EQUAL(reef_io_device_get_name(&dev), "dev");
	CU_ASSERT_FATAL(read_device_slot("dev", &slot));
	CU_ASSERT(slot.unregistered == 0 && slot.for_each_count == 1);

	/* Still refused half-way. */
	ut_poll_thread(0);
	ut_set_thread(1);
	ut_log_capture();
	reef_io_device_unregister(&dev, ut_unregister_cb);
	ut_log_release();
	CU_ASSERT(reef_io_device_get_name(&dev) != NULL);

	ut_poll_threads();
	CU_ASSERT(g_iter.cpl_count == 1 && g_iter.visits == 2);
	CU_ASSERT(dev.unregister_count == 0);
	CU_ASSERT_FATAL(read_device_slot("dev", &slot));
	CU_ASSERT(slot.for_each_count == 0);
	/* Once complete, it goes through. */
	ut_set_thread(0);
	reef_io_device_unregister(&dev, ut_unregister_cb);
	CU_ASSERT(reef_io_device_get_name(&dev) == NULL);
	put_channels(ch, 2);
	CU_ASSERT(dev.unregister_count == 1);
	CU_ASSERT(dev.unregister_thread == ut_thread(0));
	ut_free_threads();
}

static void
shared_slots_follow_channels(void)
{
	struct reef_io_channel *a0, *a1, *b0;
	struct ut_dev a = {0}, b = {0};
	struct reef_shm_device da, db;
	struct reef_shm_channel cs;
	struct reef_shm_thread ts;

	ut_allocate_threads(2);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&a, "dev_a") == 0);
	CU_ASSERT(ut_register(&b, "dev_b") == 0);
	a0 = reef_get_io_channel(&a);
	reef_get_io_channel(&a);
	b0 = reef_get_io_channel(&b);
	ut_set_thread(1);
	a1 = reef_get_io_channel(&a);

	CU_ASSERT_FATAL(read_device_slot("dev_a", &da));
	CU_ASSERT_FATAL(read_device_slot("dev_b", &db));
	CU_ASSERT(da.refcnt == 2 && da.channels_created == 2 && da.unregistered == 0);
	CU_ASSERT(db.refcnt == 1 && db.channels_created == 1);
	CU_ASSERT_FATAL(read_channel_slot(da.id, ut_thread(0), &cs));
	CU_ASSERT(cs.ref == 2 && cs.destroy_ref == 0);
	CU_ASSERT(cs.device_slot == da.hdr.index);
	CU_ASSERT(cs.thread_slot == reef_thread_get_slot(ut_thread(0)));
	CU_ASSERT(cs.created_tsc == reef_get_ticks());
	CU_ASSERT_FATAL(read_channel_slot(da.id, ut_thread(1), &cs));
	CU_ASSERT(cs.ref == 1);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &ts));
	CU_ASSERT(ts.io_channels == 2);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(1), &ts));
	CU_ASSERT(ts.io_channels == 1);
	CU_ASSERT(hdr()->channel_count == 3);
	CU_ASSERT(hdr()->device_count == 2);

	ut_set_thread(0);
	reef_put_io_channel(a0);
	CU_ASSERT_FATAL(read_channel_slot(da.id, ut_thread(0), &cs));
	CU_ASSERT(cs.ref == 1);
	reef_put_io_channel(a0);
	reef_put_io_channel(b0);
	CU_ASSERT_FATAL(read_channel_slot(da.id, ut_thread(0), &cs));
	CU_ASSERT(cs.ref == 0 && cs.destroy_ref == 1);
	ut_poll_thread(0);
	CU_ASSERT(!read_channel_slot(da.id, ut_thread(0), &cs));
	CU_ASSERT(!read_channel_slot(db.id, ut_thread(0), &cs));
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(0), &ts));
	CU_ASSERT(ts.io_channels == 0);
	CU_ASSERT(hdr()->channel_count == 1);

	ut_set_thread(0);
	reef_io_device_unregister(&a, ut_unregister_cb);
	reef_io_device_unregister(&b, NULL);
	CU_ASSERT(!read_device_slot("dev_b", &db));
	CU_ASSERT_FATAL(read_device_slot("dev_a", &da));
	CU_ASSERT(da.unregistered == 1 && da.refcnt == 1);
	ut_set_thread(1);
	reef_put_io_channel(a1);
	ut_poll_threads();
	CU_ASSERT(!read_device_slot("dev_a", &da));
	CU_ASSERT(hdr()->channel_count == 0 && hdr()->device_count == 0);
	CU_ASSERT(a.unregister_count == 1);
	ut_free_threads();
}

static void
channel_table_full_returns_null(void)
{
	/* 5 threads x 13 devices = 65 channels asked for, one more than the table holds. */
	enum { NT = 5, ND = 13 };
	struct reef_io_channel *ch[NT][ND];
	struct ut_dev devs[ND];
	struct reef_shm_thread ts;
	char name[32];
	int t, d, got = 0, creates = 0;

	memset(devs, 0, sizeof(devs));
	ut_allocate_threads(NT);
	ut_set_thread(0);
	for (d = 0; d < ND; d++) {
		snprintf(name, sizeof(name), "dev%d", d);
		CU_ASSERT(ut_register(&devs[d], name) == 0);
	}
	ut_log_capture();
	for (t = 0; t < NT; t++) {
		ut_set_thread(t);
		for (d = 0; d < ND; d++) {
			ch[t][d] = reef_get_io_channel(&devs[d]);
			got += ch[t][d] != NULL;
		}
	}
	ut_log_release();
	CU_ASSERT(got == UT_MAX_CHANNELS);
	CU_ASSERT(ch[NT - 1][ND - 1] == NULL);
	CU_ASSERT(hdr()->channel_count == UT_MAX_CHANNELS);
	/* The refused one never reached create_fn and is not counted anywhere. */
	for (d = 0; d < ND; d++) {
		creates += devs[d].create_count;
	}
	CU_ASSERT(creates == UT_MAX_CHANNELS);
	CU_ASSERT(thread_channel_count(ut_thread(NT - 1)) == ND - 1);
	CU_ASSERT_FATAL(read_thread_slot(ut_thread(NT - 1), &ts));
	CU_ASSERT(ts.io_channels == ND - 1);

	/* One put frees a slot for the one refused. */
	ut_set_thread(0);
	reef_put_io_channel(ch[0][0]);
	ut_poll_thread(0);
	ut_set_thread(NT - 1);
	ch[NT - 1][ND - 1] = reef_get_io_channel(&devs[ND - 1]);
	CU_ASSERT(ch[NT - 1][ND - 1] != NULL);
	ch[0][0] = NULL;

	for (t = 0; t < NT; t++) {
		ut_set_thread(t);
		for (d = 0; d < ND; d++) {
			if (ch[t][d] != NULL) {
				reef_put_io_channel(ch[t][d]);
			}
		}
	}
	ut_poll_threads();
	CU_ASSERT(hdr()->channel_count == 0);
	ut_set_thread(0);
	for (d = 0; d < ND; d++) {
		CU_ASSERT(devs[d].destroy_count == devs[d].create_count);
		reef_io_device_unregister(&devs[d], NULL);
	}
	ut_free_threads();
}

/* Hooks that use other channels from inside create_fn / destroy_fn. */
static struct ut_dev g_inner;
static struct reef_io_channel *g_inner_ch;

static void
get_inner_hook(struct ut_dev *dev)
{
	(void)dev;
	g_inner_ch = reef_get_io_channel(&g_inner);
}

static void
put_inner_hook(struct ut_dev *dev)
{
	(void)dev;
	reef_put_io_channel(g_inner_ch);
	g_inner_ch = NULL;
}

static void
create_and_destroy_fns_may_use_other_channels(void)
{
	struct ut_dev outer = {.create_hook = get_inner_hook, .destroy_hook = put_inner_hook};
	struct reef_io_channel *ch;

	memset(&g_inner, 0, sizeof(g_inner));
	g_inner_ch = NULL;
	ut_allocate_threads(1);
	ut_set_thread(0);
	CU_ASSERT(ut_register(&outer, "outer") == 0);
	CU_ASSERT(ut_register(&g_inner, "inner") == 0);
	ch = reef_get_io_channel(&outer);
	CU_ASSERT_FATAL(ch != NULL);
	CU_ASSERT(g_inner_ch != NULL);
	CU_ASSERT(g_inner.create_count == 1);
	CU_ASSERT(thread_channel_count(ut_thread(0)) == 2);
	reef_put_io_channel(ch);
	ut_poll_threads();
	CU_ASSERT(outer.destroy_count == 1);
	CU_ASSERT(g_inner.destroy_count == 1);
	CU_ASSERT(thread_channel_count(ut_thread(0)) == 0);
	ut_set_thread(0);
	reef_io_device_unregister(&outer, NULL);
	reef_io_device_unregister(&g_inner, NULL);
	ut_free_threads();
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, io_device_register_and_unregister);
	UT_ADD(suite, io_device_register_twice_is_eexist);
	UT_ADD(suite, io_device_register_bad_arguments_is_einval);
	/* Before the channel table test: the "table full" log line is rate-limited. */
	UT_ADD(suite, io_device_table_full_is_enospc_naming_option);
	UT_ADD(suite, io_device_name_truncated_and_defaulted);
	UT_ADD(suite, channel_created_once_per_thread_and_refcounted);
	UT_ADD(suite, channel_put_is_deferred_until_thread_polls);
	UT_ADD(suite, channel_get_after_put_before_poll_revives_it);
	UT_ADD(suite, channel_two_puts_in_flight_destroy_once);
	UT_ADD(suite, channel_ctx_round_trip);
	UT_ADD(suite, channel_create_failure_leaves_nothing);
	UT_ADD(suite, channel_create_failure_completes_a_concurrent_unregister);
	UT_ADD(suite, channel_get_refused_without_device_or_thread);
	UT_ADD(suite, channel_put_refused_on_other_thread_or_twice);
	UT_ADD(suite, unregister_waits_for_last_put_then_calls_back_on_its_thread);
	UT_ADD(suite, unregister_callback_always_runs_in_a_later_poll);
	UT_ADD(suite, unregister_unknown_device_is_logged);
	UT_ADD(suite, thread_exit_waits_for_its_channels);
	UT_ADD(suite, thread_exit_waits_for_pending_unregister);
	UT_ADD(suite, for_each_channel_visits_each_channel_thread);
	UT_ADD(suite, for_each_channel_nonzero_status_stops_early);
	UT_ADD(suite, for_each_channel_continue_may_come_later);
	UT_ADD(suite, for_each_channel_skips_channels_removed_meanwhile);
	UT_ADD(suite, for_each_channel_ignores_channels_of_an_earlier_registration);
	UT_ADD(suite, for_each_channel_without_channels_completes_on_caller);
	UT_ADD(suite, unregister_refused_while_for_each_outstanding);
	UT_ADD(suite, shared_slots_follow_channels);
	UT_ADD(suite, channel_table_full_returns_null);
	UT_ADD(suite, create_and_destroy_fns_may_use_other_channels);
	return 0;
}

UT_MAIN("io_channel", add_tests)
