/* The CPU extractor copies rows from a strided source into a packed frame,
 * converts between 32-bit channel orders (RGBA -> BGRx sets what X holds to
 * the source's colour bytes only), and refuses bad sources with a message. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/extractor.h"

int main(void)
{
	const int w = 37, h = 11, stride = w * 4 + 12; /* padded rows */
	uint8_t *src = malloc((size_t)stride * h);
	struct r3d_raw_frame out = { 0 };
	char *error = NULL;
	assert(src);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *p = src + y * stride + x * 4;
			p[0] = (uint8_t)x; p[1] = (uint8_t)y; p[2] = (uint8_t)(x + y); p[3] = 200;
		}
	struct r3d_source s = { .kind = R3D_SOURCE_CPU, .width = w, .height = h };
	s.u.cpu.pixels = src;
	s.u.cpu.stride = stride;
	s.u.cpu.format = R3D_FORMAT_RGBA;

	/* same order: a plain copy, rows packed */
	struct r3d_extractor *e = r3d_extractor_create_cpu(R3D_FORMAT_RGBA, &error);
	assert(e && strcmp(e->impl->name, "cpu") == 0);
	assert(r3d_extractor_extract(e, &s, &out, &error));
	assert(out.width == w && out.height == h && out.strides[0] == w * 4 && out.format == R3D_FORMAT_RGBA);
	for (int y = 0; y < h; y++)
		assert(memcmp(out.planes[0] + y * out.strides[0], src + y * stride, (size_t)w * 4) == 0);
	r3d_extractor_destroy(e);

	/* RGBA -> BGRx */
	e = r3d_extractor_create_cpu(R3D_FORMAT_BGRX, &error);
	assert(e && r3d_extractor_extract(e, &s, &out, &error));
	const uint8_t *p = out.planes[0] + 5 * out.strides[0] + 7 * 4;
	assert(p[0] == 12 && p[1] == 5 && p[2] == 7);
	r3d_extractor_destroy(e);

	/* bad sources */
	e = r3d_extractor_create_cpu(R3D_FORMAT_BGRX, &error);
	s.u.cpu.stride = w * 4 - 1;
	assert(!r3d_extractor_extract(e, &s, &out, &error) && error && strstr(error, "stride"));
	free(error);
	error = NULL;
	struct r3d_source gl = { .kind = R3D_SOURCE_GL_TEXTURE, .width = 4, .height = 4 };
	assert(!r3d_extractor_extract(e, &gl, &out, &error) && error && strstr(error, "not CPU"));
	free(error);
	error = NULL;
	assert(!r3d_extractor_create_cpu(R3D_FORMAT_NV12, &error) && error);
	free(error);
	r3d_extractor_destroy(e);
	r3d_extractor_destroy(NULL);
	r3d_raw_frame_finish(&out);
	free(src);
	printf("extract-cpu: all tests passed\n");
	return 0;
}
