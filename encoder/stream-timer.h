/* Private: the stream's timer thread. It sleeps under the stream's lock
 * until the deadline its fire() callback names (real monotonic time, so
 * that an injected clock does not stop it), or until poked, and calls
 * fire() again. Its own thread, so that it fires while the encoder
 * thread encodes. */
#ifndef REMOTE3D_STREAM_TIMER_H
#define REMOTE3D_STREAM_TIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Under the lock (it may unlock and relock): do what is due at now; return
 * the next deadline (r3d_time_us), 0 for none. One at or before now: call
 * again at once. */
typedef uint64_t (*stream_timer_fire_fn)(void *opaque, uint64_t now);

struct stream_timer {
	pthread_mutex_t *lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	stream_timer_fire_fn fire;
	void *opaque;
	pthread_t thread;
	bool cond_made, started, quit;
};

/* The condition variable; false + *error. */
bool stream_timer_init(struct stream_timer *t, pthread_mutex_t *lock, stream_timer_fire_fn fire, void *opaque,
		       char **error);
bool stream_timer_start(struct stream_timer *t, char **error);
/* Under the lock: a deadline moved; fire() is asked again. */
void stream_timer_poke(struct stream_timer *t);
/* Not under the lock: stop and join the thread (if started), free the
 * condition variable. After a failed init too. */
void stream_timer_finish(struct stream_timer *t);

#endif
