#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/log.h"
#include "frame-log.h"

/* Frames rendered but not yet matched to an access unit: at 240 fps with
 * a second of frames in flight this still finds them. */
#define RENDERED_MAX 512

struct rendered {
	uint32_t frame;
	uint64_t stamp_us;
};

struct frame_log {
	pthread_mutex_t lock;
	FILE *f;
	char *path;
	bool failed;
	struct rendered ring[RENDERED_MAX];
	size_t next; /* ring slot of the next frame rendered */
	size_t count;
};

struct frame_log *frame_log_create(const char *path, char **error)
{
	struct frame_log *fl = calloc(1, sizeof(*fl));
	FILE *f = fopen(path, "w");

	if (!fl || !f) {
		int err = f ? ENOMEM : errno;
		if (error && asprintf(error, "cannot write --frames-csv %s: %s", path, strerror(err)) < 0)
			*error = NULL;
		if (f)
			fclose(f);
		free(fl);
		return NULL;
	}
	pthread_mutex_init(&fl->lock, NULL);
	fl->f = f;
	fl->path = strdup(path);
	fputs("frame,stamp_us,marked_us,extract_start_us,extracted_us,encode_start_us,encoded_us,"
	      "handed_us,written_us,bytes,keyframe\n", f);
	return fl;
}

void frame_log_rendered(struct frame_log *fl, uint32_t frame, uint64_t stamp_us)
{
	if (!fl)
		return;
	pthread_mutex_lock(&fl->lock);
	fl->ring[fl->next] = (struct rendered){ frame, stamp_us };
	fl->next = (fl->next + 1) % RENDERED_MAX;
	if (fl->count < RENDERED_MAX)
		fl->count++;
	pthread_mutex_unlock(&fl->lock);
}

/* The frame an access unit holds: the newest one rendered before its dirty
 * mark (a frame is marked right after it is rendered, on the same thread,
 * so that is exact). lock held. */
static const struct rendered *frame_of(const struct frame_log *fl, uint64_t dirty_us)
{
	for (size_t i = 1; i <= fl->count; i++) {
		const struct rendered *r = &fl->ring[(fl->next + RENDERED_MAX - i) % RENDERED_MAX];
		if (r->stamp_us <= dirty_us)
			return r;
	}
	return NULL;
}

void frame_log_written(struct frame_log *fl, const struct r3d_frame_timing *t, size_t bytes,
		       bool keyframe, uint64_t written_us)
{
	if (!fl)
		return;
	pthread_mutex_lock(&fl->lock);
	const struct rendered *r = frame_of(fl, t->dirty_us);
	if (r && !fl->failed &&
	    (fprintf(fl->f, "%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%zu,%d\n", r->frame,
		    (unsigned long long)r->stamp_us, (unsigned long long)t->dirty_us,
		    (unsigned long long)t->extract_start_us, (unsigned long long)t->extracted_us,
		    (unsigned long long)t->encode_start_us, (unsigned long long)t->encoded_us,
		    (unsigned long long)t->handed_us, (unsigned long long)written_us, bytes,
		    keyframe) < 0 ||
	     fflush(fl->f) != 0)) { /* a client reads it while we run (--source-frames) */
		r3d_log(R3D_LOG_ERROR, "cannot write --frames-csv %s: %s (no more lines)", fl->path,
			strerror(errno));
		fl->failed = true;
	}
	pthread_mutex_unlock(&fl->lock);
}

bool frame_log_finish(struct frame_log *fl)
{
	if (!fl)
		return true;
	bool ok = !fl->failed;
	if (fclose(fl->f) != 0 && ok) {
		r3d_log(R3D_LOG_ERROR, "cannot write --frames-csv %s: %s", fl->path, strerror(errno));
		ok = false;
	}
	pthread_mutex_destroy(&fl->lock);
	free(fl->path);
	free(fl);
	return ok;
}
