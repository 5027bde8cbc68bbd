/* The stream's timer thread (see stream-timer.h). */
#include <string.h>
#include <time.h>

#include "remote3d/clock.h"
#include "remote3d/log.h"
#include "stream-timer.h"

bool stream_timer_init(struct stream_timer *t, pthread_mutex_t *lock, stream_timer_fire_fn fire, void *opaque,
		       char **error)
{
	pthread_condattr_t ca;

	memset(t, 0, sizeof(*t));
	t->lock = lock;
	t->fire = fire;
	t->opaque = opaque;
	if (pthread_condattr_init(&ca)) {
		r3d_set_error(error, "stream: cannot make a condition variable");
		return false;
	}
	t->cond_made = !pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) && !pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (!t->cond_made)
		r3d_set_error(error, "stream: cannot make a condition variable");
	return t->cond_made;
}

static void *timer_thread(void *opaque)
{
	struct stream_timer *t = opaque;

	pthread_mutex_lock(t->lock);
	while (!t->quit) {
		uint64_t now = r3d_time_us(), at = t->fire(t->opaque, now);
		if (t->quit || (at && at <= now))
			continue;
		if (!at) {
			pthread_cond_wait(&t->cond, t->lock);
			continue;
		}
		struct timespec ts = { .tv_sec = (time_t)(at / 1000000u), .tv_nsec = (long)(at % 1000000u) * 1000 };
		pthread_cond_timedwait(&t->cond, t->lock, &ts);
	}
	pthread_mutex_unlock(t->lock);
	return NULL;
}

bool stream_timer_start(struct stream_timer *t, char **error)
{
	int rc = pthread_create(&t->thread, NULL, timer_thread, t);
	if (rc) {
		r3d_set_error(error, "stream: cannot start the timer thread: %s", strerror(rc));
		return false;
	}
	t->started = true;
	return true;
}

void stream_timer_poke(struct stream_timer *t)
{
	pthread_cond_signal(&t->cond);
}

void stream_timer_finish(struct stream_timer *t)
{
	if (t->started) {
		pthread_mutex_lock(t->lock);
		t->quit = true;
		pthread_cond_broadcast(&t->cond);
		pthread_mutex_unlock(t->lock);
		pthread_join(t->thread, NULL);
		t->started = false;
	}
	if (t->cond_made)
		pthread_cond_destroy(&t->cond);
	t->cond_made = false;
}
