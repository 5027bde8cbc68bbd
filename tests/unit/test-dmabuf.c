/*
 * dmabuf sources.
 *   args  bad arguments give a clear error naming the cause and leak nothing:
 *         negative and closed fds, an unknown fourcc, a stride smaller than
 *         width*4 or not a multiple of 4, size 0, a buffer too small for the
 *         planes (r3d_dmabuf_check, the stream's set_source_dmabuf); at import
 *         (EGL surfaceless here) a tiled modifier without
 *         EGL_EXT_image_dma_buf_import_modifiers, and a well-formed fd that is
 *         no importable dmabuf, fail with the cause; 200 failed imports leave
 *         the process's fd count as it was.
 *   gbm   (a render node is needed) a linear XRGB8888 gbm_bo filled on the CPU,
 *         exported as a dmabuf fd, extracted to BGRx exactly and to NV12 within
 *         1 level of the CPU reference. Skips (77) with "no /dev/dri render
 *         node" where there is none.
 * argv[1] = args | gbm
 */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "remote3d-config.h"
#include "remote3d/egl-context.h"
#include "remote3d/extractor.h"
#include "remote3d/stream.h"

#if TEST_HAVE_GBM
#include <gbm.h>
#endif

#define FOURCC(a, b, c, d) ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define XRGB8888 FOURCC('X', 'R', '2', '4')
#define MOD_INVALID 0x00ffffffffffffffull
#define MOD_X_TILED 0x0100000000000001ull /* I915_FORMAT_MOD_X_TILED */

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static struct r3d_source dmabuf_source(int fd, int w, int h, uint32_t fourcc, uint32_t stride, uint64_t mod)
{
	struct r3d_source s = { .kind = R3D_SOURCE_DMABUF, .width = w, .height = h };
	s.u.dmabuf.fd = fd;
	s.u.dmabuf.fourcc = fourcc;
	s.u.dmabuf.stride = stride;
	s.u.dmabuf.modifier = mod;
	return s;
}

static void expect_error(const struct r3d_source *src, const char *needle)
{
	char *error = NULL;
	assert(!r3d_dmabuf_check(src, &error));
	printf("  rejected: %s\n", error);
	assert(error && strstr(error, needle));
	free(error);
}

static int test_args(void)
{
	int memfd = memfd_create("not-a-dmabuf", MFD_CLOEXEC);
	assert(memfd >= 0 && ftruncate(memfd, 64 * 64 * 4) == 0);
	int closed = dup(memfd);
	close(closed);

	printf("argument checks:\n");
	struct r3d_source ok = dmabuf_source(memfd, 64, 64, XRGB8888, 256, MOD_INVALID);
	char *error = NULL;
	assert(r3d_dmabuf_check(&ok, &error) && !error);
	struct r3d_source s = ok;
	s.u.dmabuf.fd = -1;
	expect_error(&s, "bad fd -1");
	s.u.dmabuf.fd = closed;
	expect_error(&s, "bad fd");
	s = ok;
	s.u.dmabuf.fourcc = FOURCC('N', 'V', '1', '2');
	expect_error(&s, "unsupported fourcc 'NV12'");
	s = ok;
	s.u.dmabuf.stride = 63 * 4;
	expect_error(&s, "stride 252 for width 64");
	s.u.dmabuf.stride = 257;
	expect_error(&s, "multiple of 4");
	s = ok;
	s.width = 0;
	expect_error(&s, "bad size 0x64");
	s = ok;
	s.height = 65;
	expect_error(&s, "needs 16640 bytes; the buffer has 16384");
	s = ok;
	s.kind = R3D_SOURCE_GL_TEXTURE;
	expect_error(&s, "not a dmabuf");

	/* the stream refuses them too, and keeps no source */
	struct r3d_stream_config cfg = { .width = 64, .height = 64, .encoder = "x264" };
	struct r3d_stream *st = r3d_stream_create(&cfg, &error);
	if (st) {
		assert(!r3d_stream_set_source_dmabuf(st, -1, 64, 64, XRGB8888, MOD_INVALID, 256, 0, true));
		assert(!r3d_stream_set_source_dmabuf(st, memfd, 64, 64, XRGB8888, MOD_INVALID, 100, 0, true));
		assert(r3d_stream_set_source_dmabuf(st, memfd, 64, 64, XRGB8888, MOD_INVALID, 256, 0, true));
		r3d_stream_destroy(st);
	}
	free(error);
	error = NULL;

	/* import time, on a real EGL display */
	struct r3d_egl *egl = r3d_egl_create_surfaceless(&error);
	if (!egl) {
		printf("no EGL here (%s): import checks skipped\n", error);
		close(memfd);
		return 0;
	}
	struct r3d_extractor *e = r3d_extractor_create_gl(R3D_FORMAT_NV12, &error);
	assert(e);
	struct r3d_raw_frame f = { 0 };
	s = ok;
	s.u.dmabuf.modifier = MOD_X_TILED;
	error = NULL;
	bool have_mods = false;
	if (!r3d_extractor_extract(e, &s, &f, &error)) {
		printf("  tiled modifier: %s\n", error);
		have_mods = !strstr(error, "EGL_EXT_image_dma_buf_import_modifiers");
		free(error);
	}
	int fds_before = count_fds();
	for (int i = 0; i < 200; i++) {
		error = NULL;
		bool async = i & 1;
		bool r = async ? r3d_extractor_begin(e, &ok, &error) : r3d_extractor_extract(e, &ok, &f, &error);
		assert(!r && error); /* a memfd is no importable dmabuf (or no import at all here) */
		if (i == 0)
			printf("  memfd as a dmabuf: %s\n", error);
		assert(strstr(error, "dmabuf:"));
		free(error);
	}
	assert(count_fds() == fds_before);
	printf("200 failed imports: fd count unchanged (%d); modifiers extension %s\n", fds_before,
	       have_mods ? "present" : "absent");
	r3d_raw_frame_finish(&f);
	r3d_extractor_destroy(e);
	r3d_egl_destroy(egl);
	close(memfd);
	return 0;
}

#if TEST_HAVE_GBM
static int test_gbm(void)
{
	glob_t g;
	char *error = NULL;
	if (glob("/dev/dri/renderD*", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		printf("SKIP: no /dev/dri render node\n");
		return 77;
	}
	int node = open(g.gl_pathv[0], O_RDWR | O_CLOEXEC);
	globfree(&g);
	assert(node >= 0);
	struct gbm_device *dev = gbm_create_device(node);
	assert(dev);
	const int w = 333, h = 201; /* odd: NV12 pads by edge replication */
	struct gbm_bo *bo = gbm_bo_create(dev, w, h, GBM_FORMAT_XRGB8888, GBM_BO_USE_LINEAR | GBM_BO_USE_RENDERING);
	if (!bo) {
		printf("SKIP: the render node's gbm cannot make a linear XRGB8888 buffer\n");
		return 77;
	}
	uint32_t stride = 0;
	void *map_data = NULL;
	uint8_t *p = gbm_bo_map(bo, 0, 0, w, h, GBM_BO_TRANSFER_WRITE, &stride, &map_data);
	assert(p);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) { /* XRGB8888 little-endian: B G R X in memory */
			uint8_t *px = p + (size_t)y * stride + x * 4;
			px[0] = (uint8_t)(x * 3 + y);
			px[1] = (uint8_t)(y * 5);
			px[2] = (uint8_t)(x ^ y);
			px[3] = 0xff;
		}
	gbm_bo_unmap(bo, map_data);
	int fd = gbm_bo_get_fd(bo);
	assert(fd >= 0);
	struct r3d_egl *egl = r3d_egl_create_surfaceless(&error);
	assert(egl);
	printf("renderer: %s\n", r3d_egl_renderer(egl));
	struct r3d_source src = dmabuf_source(fd, w, h, XRGB8888, gbm_bo_get_stride(bo), gbm_bo_get_modifier(bo));
	src.u.dmabuf.offset = gbm_bo_get_offset(bo, 0);
	src.u.dmabuf.y0_top = true;

	struct r3d_extractor *bgrx = r3d_extractor_create_gl(R3D_FORMAT_BGRX, &error);
	struct r3d_raw_frame f = { 0 };
	if (!r3d_extractor_extract(bgrx, &src, &f, &error)) {
		printf("import failed: %s\n", error);
		return 1;
	}
	p = gbm_bo_map(bo, 0, 0, w, h, GBM_BO_TRANSFER_READ, &stride, &map_data);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			assert(memcmp(f.planes[0] + (size_t)y * f.strides[0] + x * 4, p + (size_t)y * stride + x * 4, 3) == 0);
	r3d_raw_frame_finish(&f);

	struct r3d_extractor *nv12 = r3d_extractor_create_gl(R3D_FORMAT_NV12, &error);
	assert(r3d_extractor_begin(nv12, &src, &error));
	int r;
	while ((r = r3d_extractor_poll(nv12, &f, &error)) == 0)
		;
	assert(r == 1 && f.width == w + 1 && f.height == h + 1);
	int worst = 0;
	for (int y = 0; y < f.height; y++)
		for (int x = 0; x < f.width; x++) {
			const uint8_t *c = p + (size_t)(y < h ? y : h - 1) * stride + (x < w ? x : w - 1) * 4;
			int ref = (int)lround(16.0 + (65.481 * c[2] + 128.553 * c[1] + 24.966 * c[0]) / 255.0);
			int d = abs(f.planes[0][(size_t)y * f.strides[0] + x] - ref);
			worst = d > worst ? d : worst;
		}
	gbm_bo_unmap(bo, map_data);
	printf("gbm dmabuf %dx%d (stride %u, modifier 0x%llx): BGRx exact, NV12 luma max error %d\n", w, h,
	       stride, (unsigned long long)gbm_bo_get_modifier(bo), worst);
	assert(worst <= 1);
	r3d_extractor_destroy(bgrx);
	r3d_extractor_destroy(nv12);
	r3d_egl_destroy(egl);
	close(fd);
	gbm_bo_destroy(bo);
	gbm_device_destroy(dev);
	close(node);
	return 0;
}
#else
static int test_gbm(void)
{
	printf("SKIP: built without gbm/libdrm (-Ddmabuf)\n");
	return 77;
}
#endif

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "args";
	return strcmp(which, "gbm") == 0 ? test_gbm() : test_args();
}
