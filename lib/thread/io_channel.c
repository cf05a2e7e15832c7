/*
 * io_devices and their per-thread io_channels, and iteration over the
 * channels of a device. Devices are global (any thread may get a channel);
 * a channel belongs to one thread. Destruction is deferred while references,
 * pending puts or for_each iterations remain.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thread_internal.h"
#include "reef/log.h"
#include "reef/string.h"
#include "reef/usdt.h"
#include "reef/util.h"

struct io_device {
	void *io_device;
	uint64_t id;
	reef_io_channel_create_fn create_fn;
	reef_io_channel_destroy_fn destroy_fn;
	reef_io_device_unregister_cb unregister_cb;
	struct reef_thread *unregister_thread;
	uint32_t ctx_size;
	uint32_t for_each_count;
	uint32_t refcnt;
	bool unregistered;
	struct reef_shm_device *shm;
	TAILQ_ENTRY(io_device) tailq;
};

struct reef_io_channel_iter {
	void *io_device;
	struct io_device *dev;
	reef_channel_msg_fn fn;
	int status;
	void *ctx;
	struct reef_io_channel *ch;
	struct reef_thread *cur_thread;
	struct reef_thread *orig_thread;
	reef_channel_for_each_cb cpl;
};

static TAILQ_HEAD(, io_device) g_io_devices = TAILQ_HEAD_INITIALIZER(g_io_devices);

#define LOCK()   pthread_mutex_lock(&reef__thread_lib.lock)
#define UNLOCK() pthread_mutex_unlock(&reef__thread_lib.lock)

/* Device slots have many writers (every thread getting a channel): only under the lock. */
static void
device_shm_update(struct io_device *dev)
{
	reef_seqlock_write_begin(&dev->shm->hdr.seq);
	dev->shm->refcnt = dev->refcnt;
	dev->shm->unregistered = dev->unregistered;
	dev->shm->for_each_count = dev->for_each_count;
	reef_seqlock_write_end(&dev->shm->hdr.seq);
}

static struct io_device *
find_device(void *io_device)
{
	struct io_device *dev;

	TAILQ_FOREACH(dev, &g_io_devices, tailq) {
		if (dev->io_device == io_device) {
			return dev;
		}
	}
	return NULL;
}

int
reef_io_device_register(void *io_device, reef_io_channel_create_fn create_fn,
			reef_io_channel_destroy_fn destroy_fn, uint32_t ctx_size, const char *name)
{
	struct reef_thread *thread = reef_get_thread();
	struct reef_shm_device *shm;
	struct io_device *dev;
	int rc;

	if (io_device == NULL || create_fn == NULL || destroy_fn == NULL) {
		REEF_ERRLOG("io_device register needs a device pointer and create/destroy "
			    "functions\n");
		return -EINVAL;
	}
	if (thread == NULL) {
		REEF_ERRLOG("io_devices must be registered on a Reef thread\n");
		return -EINVAL;
	}
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL) {
		return -ENOMEM;
	}
	dev->io_device = io_device;
	dev->create_fn = create_fn;
	dev->destroy_fn = destroy_fn;
	dev->ctx_size = ctx_size;

	LOCK();
	if (find_device(io_device) != NULL) {
		UNLOCK();
		REEF_ERRLOG("io_device %p (%s) is already registered\n", io_device,
			    name ? name : "");
		free(dev);
		return -EEXIST;
	}
	shm = reef_shm_slot_alloc(reef__thread_lib.region, REEF_SHM_DEVICES, &rc);
	if (shm == NULL) {
		UNLOCK();
		free(dev);
		return rc;
	}
	dev->shm = shm;
	dev->id = reef_shm_next_id(reef__thread_lib.region, REEF_SHM_DEVICES);
	shm->id = dev->id;
	if (name != NULL) {
		reef_strcpy_trunc(shm->name, sizeof(shm->name), name);
	} else {
		snprintf(shm->name, sizeof(shm->name), "%p", io_device);
	}
	shm->ctx_size = ctx_size;
	shm->owner_thread_id = thread->id;
	shm->created_tsc = reef_get_ticks();
	reef_shm_slot_publish(shm);
	TAILQ_INSERT_TAIL(&g_io_devices, dev, tailq);
	UNLOCK();

	REEF_DEBUGLOG(thread, "registered io_device %s on thread %s\n", shm->name,
		      thread->shm->name);
	REEF_USDT(io_device_register, dev->id, shm->name, thread->id);
	return 0;
}

static void
finish_unregister(void *arg)
{
	struct io_device *dev = arg;
	struct reef_thread *thread = reef_get_thread();

	REEF_DEBUGLOG(thread, "finishing unregister of io_device %s on thread %s\n", dev->shm->name,
		      thread->shm->name);
	thread->pending_unregister_count--;
	dev->unregister_cb(dev->io_device);
	reef_shm_slot_free(reef__thread_lib.region, REEF_SHM_DEVICES, dev->shm);
	free(dev);
}

static void
io_device_free(struct io_device *dev)
{
	if (dev->unregister_cb == NULL) {
		reef_shm_slot_free(reef__thread_lib.region, REEF_SHM_DEVICES, dev->shm);
		free(dev);
		return;
	}
	/* The callback runs on the thread that asked, whichever thread put the last channel. */
	if (reef_thread_send_msg(dev->unregister_thread, finish_unregister, dev) != 0) {
		REEF_ERRLOG("cannot finish unregistering io_device %s: its thread is gone\n",
			    dev->shm->name);
	}
}

void
reef_io_device_unregister(void *io_device, reef_io_device_unregister_cb unregister_cb)
{
	struct reef_thread *thread = reef_get_thread();
	struct io_device *dev;
	uint32_t refcnt;

	if (thread == NULL) {
		REEF_ERRLOG("io_devices must be unregistered on a Reef thread\n");
		return;
	}
	LOCK();
	dev = find_device(io_device);
	if (dev == NULL) {
		UNLOCK();
		REEF_ERRLOG("io_device %p is not registered\n", io_device);
		return;
	}
	if (dev->for_each_count > 0) {
		UNLOCK();
		REEF_ERRLOG("io_device %s has %u for_each_channel iterations outstanding: "
			    "unregister it after they complete\n",
			    dev->shm->name, dev->for_each_count);
		return;
	}
	dev->unregister_cb = unregister_cb;
	dev->unregistered = true;
	dev->unregister_thread = thread;
	TAILQ_REMOVE(&g_io_devices, dev, tailq);
	refcnt = dev->refcnt;
	device_shm_update(dev);
	/*
	 * Still under the lock: without a callback, another thread's last put may
	 * free dev as soon as we let go.
	 */
	REEF_DEBUGLOG(thread, "unregistering io_device %s from thread %s\n", dev->shm->name,
		      thread->shm->name);
	REEF_USDT(io_device_unregister, dev->id, dev->shm->name, thread->id);
	UNLOCK();

	if (unregister_cb != NULL) {
		thread->pending_unregister_count++;
	}
	if (refcnt > 0) {
		/* The last channel put frees it. */
		return;
	}
	io_device_free(dev);
}

const char *
reef_io_device_get_name(void *io_device)
{
	struct io_device *dev;
	const char *name = NULL;

	LOCK();
	dev = find_device(io_device);
	if (dev != NULL) {
		name = dev->shm->name;
	}
	UNLOCK();
	return name;
}

struct reef_io_channel *
reef_get_io_channel(void *io_device)
{
	struct reef_thread *thread = reef_get_thread();
	struct reef_shm_channel *shm;
	struct reef_io_channel *ch;
	struct io_device *dev;
	int rc;

	if (thread == NULL) {
		REEF_ERRLOG("io_channels must be got on a Reef thread\n");
		return NULL;
	}
	LOCK();
	dev = find_device(io_device);
	if (dev == NULL) {
		UNLOCK();
		REEF_ERRLOG("io_device %p is not registered\n", io_device);
		return NULL;
	}
	if (thread->state == REEF_THREAD_STATE_EXITED) {
		UNLOCK();
		REEF_ERRLOG("thread %s has exited: no channel to %s\n", thread->shm->name,
			    dev->shm->name);
		return NULL;
	}
	TAILQ_FOREACH(ch, &thread->io_channels, tailq) {
		if (ch->dev == dev) {
			ch->ref++;
			REEF_SHM_STORE(ch->shm->ref, ch->ref);
			UNLOCK();
			REEF_USDT(io_channel_get, dev->id, dev->shm->name, thread->id, ch->ref);
			return ch;
		}
	}
	ch = calloc(1, sizeof(*ch) + dev->ctx_size);
	if (ch == NULL) {
		UNLOCK();
		REEF_ERRLOG("out of memory creating a channel to %s\n", dev->shm->name);
		return NULL;
	}
	shm = reef_shm_slot_alloc(reef__thread_lib.region, REEF_SHM_CHANNELS, NULL);
	if (shm == NULL) {
		UNLOCK();
		free(ch);
		return NULL;
	}
	ch->shm = shm;
	ch->dev = dev;
	ch->destroy_fn = dev->destroy_fn;
	ch->thread = thread;
	ch->ref = 1;
	shm->device_id = dev->id;
	shm->device_slot = dev->shm->hdr.index;
	shm->thread_id = thread->id;
	shm->thread_slot = thread->slot;
	shm->ref = 1;
	shm->created_tsc = reef_get_ticks();
	reef_shm_slot_publish(shm);
	TAILQ_INSERT_TAIL(&thread->io_channels, ch, tailq);
	REEF_SHM_ADD(thread->shm->io_channels, 1);
	dev->refcnt++;
	dev->shm->channels_created++;
	device_shm_update(dev);
	UNLOCK();

	rc = dev->create_fn(io_device, ch->ctx);
	if (rc != 0) {
		bool remove_dev;

		REEF_ERRLOG("creating the channel of thread %s to %s failed: %s\n",
			    thread->shm->name, dev->shm->name, strerror(rc < 0 ? -rc : rc));
		LOCK();
		TAILQ_REMOVE(&thread->io_channels, ch, tailq);
		REEF_SHM_ADD(thread->shm->io_channels, (uint32_t)-1);
		dev->refcnt--;
		/* Unregistered while create_fn ran: this channel held it back, so finish the job. */
		remove_dev = dev->unregistered && dev->refcnt == 0;
		device_shm_update(dev);
		reef_shm_slot_free(reef__thread_lib.region, REEF_SHM_CHANNELS, ch->shm);
		UNLOCK();
		free(ch);
		if (remove_dev) {
			io_device_free(dev);
		}
		return NULL;
	}
	REEF_USDT(io_channel_get, dev->id, dev->shm->name, thread->id, ch->ref);
	return ch;
}

static void
put_io_channel(void *arg)
{
	struct reef_io_channel *ch = arg;
	struct reef_thread *thread = reef_get_thread();
	struct io_device *dev = ch->dev;
	bool remove_dev;

	ch->destroy_ref--;
	REEF_SHM_STORE(ch->shm->destroy_ref, ch->destroy_ref);
	if (ch->ref > 0 || ch->destroy_ref > 0) {
		/* Got again after the put was sent, or another put is in flight. */
		return;
	}
	LOCK();
	TAILQ_REMOVE(&thread->io_channels, ch, tailq);
	REEF_SHM_ADD(thread->shm->io_channels, (uint32_t)-1);
	UNLOCK();

	/* Not under the lock: destroy_fn may well get or put other channels. */
	ch->destroy_fn(dev->io_device, ch->ctx);

	LOCK();
	dev->refcnt--;
	remove_dev = dev->unregistered && dev->refcnt == 0;
	device_shm_update(dev);
	reef_shm_slot_free(reef__thread_lib.region, REEF_SHM_CHANNELS, ch->shm);
	UNLOCK();

	if (remove_dev) {
		io_device_free(dev);
	}
	free(ch);
}

void
reef_put_io_channel(struct reef_io_channel *ch)
{
	struct reef_thread *thread = reef_get_thread();

	if (thread == NULL || ch->thread != thread) {
		REEF_ERRLOG("a channel must be put on the thread that got it (%s)\n",
			    ch->thread->shm->name);
		return;
	}
	if (ch->ref == 0) {
		REEF_ERRLOG("channel to %s put more times than it was got\n", ch->dev->shm->name);
		return;
	}
	ch->ref--;
	REEF_SHM_STORE(ch->shm->ref, ch->ref);
	REEF_USDT(io_channel_put, ch->dev->id, ch->dev->shm->name, thread->id, ch->ref);
	if (ch->ref == 0) {
		ch->destroy_ref++;
		REEF_SHM_STORE(ch->shm->destroy_ref, ch->destroy_ref);
		if (reef_thread_send_msg(thread, put_io_channel, ch) != 0) {
			REEF_ERRLOG("cannot schedule the release of a channel to %s\n",
				    ch->dev->shm->name);
		}
	}
}

void *
reef_io_channel_get_ctx(struct reef_io_channel *ch)
{
	return ch->ctx;
}

struct reef_io_channel *
reef_io_channel_from_ctx(void *ctx)
{
	return REEF_CONTAINEROF(ctx, struct reef_io_channel, ctx);
}

struct reef_thread *
reef_io_channel_get_thread(struct reef_io_channel *ch)
{
	return ch->thread;
}

void *
reef_io_channel_get_io_device(struct reef_io_channel *ch)
{
	return ch->dev->io_device;
}

uint32_t
reef_io_channel_get_ref_count(struct reef_io_channel *ch)
{
	return ch->ref;
}

struct reef_io_channel *
reef_thread_get_first_io_channel(struct reef_thread *thread)
{
	return TAILQ_FIRST(&thread->io_channels);
}

struct reef_io_channel *
reef_thread_get_next_io_channel(struct reef_io_channel *prev)
{
	return TAILQ_NEXT(prev, tailq);
}

void *
reef_io_channel_iter_get_io_device(struct reef_io_channel_iter *i)
{
	return i->io_device;
}

struct reef_io_channel *
reef_io_channel_iter_get_channel(struct reef_io_channel_iter *i)
{
	return i->ch;
}

void *
reef_io_channel_iter_get_ctx(struct reef_io_channel_iter *i)
{
	return i->ctx;
}

static void
call_completion(void *arg)
{
	struct reef_io_channel_iter *i = arg;

	if (i->cpl != NULL) {
		i->cpl(i, i->status);
	}
	free(i);
}

/*
 * Match the registration, not the pointer: a device unregistered while channels
 * remain may be registered again, and its old channels are not the new one's.
 */
static struct reef_io_channel *
thread_channel_of(struct reef_thread *thread, struct io_device *dev)
{
	struct reef_io_channel *ch;

	TAILQ_FOREACH(ch, &thread->io_channels, tailq) {
		if (ch->dev == dev) {
			return ch;
		}
	}
	return NULL;
}

static void
call_channel(void *arg)
{
	struct reef_io_channel_iter *i = arg;
	struct reef_io_channel *ch;

	/* The channel may have been released since the message was sent: then skip it. */
	LOCK();
	ch = thread_channel_of(i->cur_thread, i->dev);
	UNLOCK();
	if (ch != NULL) {
		i->ch = ch;
		i->fn(i);
	} else {
		reef_for_each_channel_continue(i, 0);
	}
}

/* Send the iteration to the first thread after `from` (or the first of all) with a channel. */
static bool
iter_next(struct reef_io_channel_iter *i, struct reef_thread *from)
{
	struct reef_thread *thread;

	thread = from ? TAILQ_NEXT(from, tailq) : TAILQ_FIRST(&reef__thread_lib.threads);
	for (; thread != NULL; thread = TAILQ_NEXT(thread, tailq)) {
		struct reef_io_channel *ch = thread_channel_of(thread, i->dev);

		if (ch != NULL) {
			i->cur_thread = thread;
			i->ch = ch;
			return true;
		}
	}
	return false;
}

void
reef_for_each_channel(void *io_device, reef_channel_msg_fn fn, void *ctx,
		      reef_channel_for_each_cb cpl)
{
	struct reef_io_channel_iter *i;
	struct io_device *dev;
	bool found;

	i = calloc(1, sizeof(*i));
	if (i == NULL) {
		REEF_ERRLOG("out of memory starting for_each_channel\n");
		return;
	}
	i->io_device = io_device;
	i->fn = fn;
	i->ctx = ctx;
	i->cpl = cpl;
	i->orig_thread = reef_get_thread();
	if (i->orig_thread == NULL) {
		REEF_ERRLOG("reef_for_each_channel must be called on a Reef thread\n");
		free(i);
		return;
	}

	LOCK();
	dev = find_device(io_device);
	i->dev = dev;
	found = dev != NULL && iter_next(i, NULL);
	if (found) {
		dev->for_each_count++;
		device_shm_update(dev);
	}
	UNLOCK();

	if (found) {
		reef_thread_send_msg(i->cur_thread, call_channel, i);
	} else {
		reef_thread_send_msg(i->orig_thread, call_completion, i);
	}
}

void
reef_for_each_channel_continue(struct reef_io_channel_iter *i, int status)
{
	bool more = false;

	i->status = status;
	LOCK();
	if (status == 0) {
		more = iter_next(i, i->cur_thread);
	}
	if (!more) {
		i->dev->for_each_count--;
		device_shm_update(i->dev);
		i->ch = NULL;
	}
	UNLOCK();

	if (more) {
		reef_thread_send_msg(i->cur_thread, call_channel, i);
	} else {
		reef_thread_send_msg(i->orig_thread, call_completion, i);
	}
}

void
reef__io_channel_warn_leftovers(struct reef_thread *thread)
{
	struct reef_io_channel *ch;

	TAILQ_FOREACH(ch, &thread->io_channels, tailq) {
		REEF_ERRLOG("thread %s still has a channel to io_device %s\n", thread->shm->name,
			    ch->dev->shm->name);
	}
}

void
reef__io_device_warn_leftovers(void)
{
	struct io_device *dev;

	TAILQ_FOREACH(dev, &g_io_devices, tailq) {
		REEF_ERRLOG("io_device %s was never unregistered\n", dev->shm->name);
	}
}
