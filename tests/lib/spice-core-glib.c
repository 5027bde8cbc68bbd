/*
 * spice-server's core interface on a GLib main context.
 */
#include "spice-core-glib.h"

#include <glib-unix.h>

struct SpiceTimer {
	SpiceTimerFunc func;
	void *opaque;
	GSource *source;
};

struct SpiceWatch {
	int fd;
	int mask;
	SpiceWatchFunc func;
	void *opaque;
	GSource *source;
};

static GMainContext *core_context;

static gboolean timer_fired(gpointer data)
{
	SpiceTimer *timer = data;

	/* one-shot: spice re-arms it with timer_start() if it wants */
	g_source_unref(timer->source);
	timer->source = NULL;
	timer->func(timer->opaque);
	return G_SOURCE_REMOVE;
}

static SpiceTimer *timer_add(SpiceTimerFunc func, void *opaque)
{
	SpiceTimer *timer = g_new0(SpiceTimer, 1);

	timer->func = func;
	timer->opaque = opaque;
	return timer;
}

static void timer_cancel(SpiceTimer *timer)
{
	if (timer->source) {
		g_source_destroy(timer->source);
		g_source_unref(timer->source);
		timer->source = NULL;
	}
}

static void timer_start(SpiceTimer *timer, uint32_t ms)
{
	timer_cancel(timer);
	timer->source = g_timeout_source_new(ms);
	g_source_set_callback(timer->source, timer_fired, timer, NULL);
	g_source_attach(timer->source, core_context);
}

static void timer_remove(SpiceTimer *timer)
{
	timer_cancel(timer);
	g_free(timer);
}

static gboolean watch_fired(gint fd, GIOCondition cond, gpointer data)
{
	SpiceWatch *watch = data;
	int events = 0;

	if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR))
		events |= SPICE_WATCH_EVENT_READ;
	if (cond & G_IO_OUT)
		events |= SPICE_WATCH_EVENT_WRITE;
	watch->func(fd, events & watch->mask ? events & watch->mask : watch->mask, watch->opaque);
	return G_SOURCE_CONTINUE;
}

static void watch_update_mask(SpiceWatch *watch, int mask)
{
	GIOCondition cond = 0;

	if (watch->source) {
		g_source_destroy(watch->source);
		g_source_unref(watch->source);
		watch->source = NULL;
	}
	watch->mask = mask;
	if (mask & SPICE_WATCH_EVENT_READ)
		cond |= G_IO_IN | G_IO_HUP | G_IO_ERR;
	if (mask & SPICE_WATCH_EVENT_WRITE)
		cond |= G_IO_OUT | G_IO_ERR;
	if (!cond)
		return;
	watch->source = g_unix_fd_source_new(watch->fd, cond);
	g_source_set_callback(watch->source, G_SOURCE_FUNC(watch_fired), watch, NULL);
	g_source_attach(watch->source, core_context);
}

static SpiceWatch *watch_add(int fd, int mask, SpiceWatchFunc func, void *opaque)
{
	SpiceWatch *watch = g_new0(SpiceWatch, 1);

	watch->fd = fd;
	watch->func = func;
	watch->opaque = opaque;
	watch_update_mask(watch, mask);
	return watch;
}

static void watch_remove(SpiceWatch *watch)
{
	watch_update_mask(watch, 0);
	g_free(watch);
}

static void channel_event(int event, SpiceChannelEventInfo *info)
{
}

static SpiceCoreInterface core_interface = {
	.base = {
		.major_version = SPICE_INTERFACE_CORE_MAJOR,
		.minor_version = SPICE_INTERFACE_CORE_MINOR,
	},
	.timer_add = timer_add,
	.timer_start = timer_start,
	.timer_cancel = timer_cancel,
	.timer_remove = timer_remove,
	.watch_add = watch_add,
	.watch_update_mask = watch_update_mask,
	.watch_remove = watch_remove,
	.channel_event = channel_event,
};

SpiceCoreInterface *r3d_spice_core_glib_get(GMainContext *context)
{
	core_context = context;
	return &core_interface;
}
