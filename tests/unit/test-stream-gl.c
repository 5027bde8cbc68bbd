/*
 * The stream with a GL source (the test scene's texture, EGL surfaceless)
 * and x264, in each readback mode (argv[1], the config field readback):
 *   thread  GPU NV12 conversion in dispatch on the owner thread, read on the
 *           encoder thread in a context shared with the scene's
 *   poll    GPU NV12 conversion, asynchronous PBO readback collected by the
 *           dispatch that the stream's wakeup asks for
 *   sync    the synchronous BGRx readback (baseline)
 *   default R3D_READBACK_AUTO: thread with a GPU driver, sync on llvmpipe
 * the access units decode to pictures whose stamps are the frames rendered,
 * in order, with the render times given (orientation and the whole GL ->
 * encoder path are right), and the mode asked for is the mode used. The sink
 * takes each frame at once.
 */
#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "h264-decode.h"
#include "remote3d/gl-reader.h"
#include "remote3d/stream.h"
#include "scene.h"

#define N 12

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct r3d_access_unit *aus[N];
static int n_aus;
static atomic_bool wake;

static void on_au(void *opaque, struct r3d_access_unit *au)
{
	(void)opaque;
	pthread_mutex_lock(&lock);
	assert(n_aus < N);
	aus[n_aus++] = au;
	pthread_mutex_unlock(&lock);
}

static void on_wakeup(void *opaque)
{
	(void)opaque;
	atomic_store(&wake, true);
}

static int count(void)
{
	pthread_mutex_lock(&lock);
	int n = n_aus;
	pthread_mutex_unlock(&lock);
	return n;
}

int main(int argc, char **argv)
{
	char *error = NULL;
	const char *mode = argc > 1 ? argv[1] : "thread";
	enum r3d_readback readback = R3D_READBACK_AUTO;
	assert(strcmp(mode, "default") == 0 || r3d_readback_from_name(mode, &readback));
	uint64_t times[N];
	struct r3d_scene *sc = r3d_scene_create(640, 360, &error);
	if (!sc) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	if (!r3d_encoder_available("x264", &error)) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	atomic_init(&wake, false);
	if (strcmp(mode, "default") == 0) {
		char *why = NULL;
		mode = r3d_gl_reader_driver_safe(&why) ? "thread" : "sync";
		printf("default mode here: %s%s%s\n", mode, why ? " -- " : "", why ? why : "");
		free(why);
	}
	struct r3d_stream_config cfg = { .width = 640, .height = 360, .encoder = "x264", .readback = readback,
					 .on_access_unit = on_au, .wakeup = on_wakeup };
	struct r3d_stream *s = r3d_stream_create(&cfg, &error);
	assert(s);
	assert(r3d_stream_set_source_gl(s, r3d_scene_texture(sc), 640, 360, r3d_scene_y0_top(sc)));
	r3d_stream_sink_ready(s);
	for (int i = 0; i < N; i++) {
		times[i] = r3d_time_us();
		r3d_scene_render(sc, (uint32_t)i + 100, times[i]);
		r3d_stream_mark_dirty(s, NULL);
		assert(atomic_exchange(&wake, false)); /* sink ready, encoder idle: wake at once */
		r3d_stream_dispatch(s);
		/* as a host does: dispatch again whenever the stream asks (the
		 * asynchronous readback is collected by a later dispatch) */
		for (int t = 0; t < 5000 && count() < i + 1; t++) {
			struct timespec ts = { 0, 1000 * 1000 };
			nanosleep(&ts, NULL);
			if (atomic_exchange(&wake, false))
				r3d_stream_dispatch(s);
		}
		assert(count() == i + 1);
		r3d_stream_sink_ready(s);
	}
	struct r3d_stats st;
	r3d_stream_get_stats(s, &st);
	assert(st.marked == N && st.extracted == N && st.encoded == N && st.handed == N && st.dropped == 0);
	assert(st.readbacks == N && st.full_damage == N && st.partial_damage == 0);
	/* NV12: 1.5 bytes per pixel; BGRx: 4 */
	uint64_t per_pixel_x2 = strcmp(mode, "sync") == 0 ? 8 : 3;
	assert(st.readback_bytes == (uint64_t)N * 640 * 360 * per_pixel_x2 / 2);
	assert(strcmp(r3d_stream_readback_mode(s), mode) == 0); /* no fallback */
	assert(strcmp(r3d_stream_encoder_name(s), "x264") == 0);
	r3d_stream_destroy(s); /* the scene's context is current */

	struct h264_decoder *dec = h264_decoder_new();
	assert(dec);
	for (int i = 0; i < N; i++) {
		assert(aus[i]->timing.seq == (uint32_t)i + 1);
		assert(aus[i]->timing.dirty_us <= aus[i]->timing.extract_start_us &&
		       aus[i]->timing.extract_start_us <= aus[i]->timing.extracted_us &&
		       aus[i]->timing.extracted_us <= aus[i]->timing.encoded_us &&
		       aus[i]->timing.encoded_us <= aus[i]->timing.handed_us);
		assert(h264_decoder_push(dec, aus[i]->data, aus[i]->size));
	}
	int n = 0;
	struct decoded_picture *pics = h264_decoder_finish(dec, &n);
	assert(n == N);
	for (int i = 0; i < N; i++) {
		struct r3d_image_view v = { pics[i].data, pics[i].width, pics[i].height, pics[i].stride, 4 };
		struct r3d_stamp stamp;
		assert(r3d_stamp_read(&v, 0, 0, &stamp));
		assert(stamp.frame == (uint32_t)i + 100 && stamp.time_us == times[i]);
		free(pics[i].data);
		r3d_access_unit_free(aus[i]);
	}
	free(pics);
	r3d_scene_destroy(sc);
	printf("stream-gl (%s): %d frames rendered, extracted, encoded and decoded with their stamps\n", mode, N);
	return 0;
}
