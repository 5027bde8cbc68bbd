/* r3d_rect_clip and r3d_rect_union (encoder/frame.c) with ordinary and
 * extreme rectangles: edges past INT_MAX or below INT_MIN, negative and
 * zero sizes. Built with -ftrapv-like checks in mind: each result is
 * compared with the same computation in 64 bits. */
#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "remote3d/frame.h"

static bool rect_eq(struct r3d_rect a, struct r3d_rect b)
{
	return a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height;
}

/* clip in 64 bits, the reference */
static struct r3d_rect ref_clip(struct r3d_rect r, int w, int h)
{
	int64_t x0 = r.x < 0 ? 0 : r.x, y0 = r.y < 0 ? 0 : r.y;
	int64_t x1 = (int64_t)r.x + r.width, y1 = (int64_t)r.y + r.height;
	if (x1 > w)
		x1 = w;
	if (y1 > h)
		y1 = h;
	if (x1 <= x0 || y1 <= y0)
		return (struct r3d_rect){ 0, 0, 0, 0 };
	return (struct r3d_rect){ (int)x0, (int)y0, (int)(x1 - x0), (int)(y1 - y0) };
}

static void test_clip_ordinary(void)
{
	struct r3d_rect r = r3d_rect_clip((struct r3d_rect){ 630, 470, 100, 100 }, 640, 480);
	assert(rect_eq(r, (struct r3d_rect){ 630, 470, 10, 10 }));
	r = r3d_rect_clip((struct r3d_rect){ -10, -20, 30, 40 }, 640, 480);
	assert(rect_eq(r, (struct r3d_rect){ 0, 0, 20, 20 }));
	r = r3d_rect_clip((struct r3d_rect){ 700, 10, 5, 5 }, 640, 480);
	assert(r3d_rect_empty(r) && rect_eq(r, (struct r3d_rect){ 0, 0, 0, 0 }));
	r = r3d_rect_clip((struct r3d_rect){ 10, 10, 0, 5 }, 640, 480);
	assert(rect_eq(r, (struct r3d_rect){ 0, 0, 0, 0 }));
}

static void test_clip_extreme_rects_do_not_overflow(void)
{
	static const int v[] = { INT_MIN, INT_MIN + 1, -1000000, -1, 0, 1, 100, 639, 640,
				 1000000, INT_MAX - 1, INT_MAX };
	const int n = sizeof(v) / sizeof(v[0]);
	static const int sizes[][2] = { { 640, 480 }, { 1, 1 }, { 0, 0 }, { INT_MAX, INT_MAX },
					{ -5, 480 } };

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (int x = 0; x < n; x++)
			for (int w = 0; w < n; w++)
				for (int y = 0; y < n; y += 3)
					for (int h = 0; h < n; h += 2) {
						struct r3d_rect r = { v[x], v[y], v[w], v[h] };
						struct r3d_rect got = r3d_rect_clip(r, sizes[s][0], sizes[s][1]);
						assert(rect_eq(got, ref_clip(r, sizes[s][0], sizes[s][1])));
						assert(got.width >= 0 && got.height >= 0);
					}
	/* the case found: a rectangle near INT_MAX whose far edge wrapped negative */
	struct r3d_rect r = r3d_rect_clip((struct r3d_rect){ INT_MAX - 10, 0, 100, 100 }, 640, 480);
	assert(rect_eq(r, (struct r3d_rect){ 0, 0, 0, 0 }));
	r = r3d_rect_clip((struct r3d_rect){ 10, 10, INT_MAX, INT_MAX }, 640, 480);
	assert(rect_eq(r, (struct r3d_rect){ 10, 10, 630, 470 }));
	r = r3d_rect_clip((struct r3d_rect){ INT_MIN, INT_MIN, INT_MAX, INT_MAX }, 640, 480);
	assert(rect_eq(r, (struct r3d_rect){ 0, 0, 0, 0 })); /* ends at -1 */
}

static void test_union(void)
{
	struct r3d_rect empty = { 5, 5, 0, 0 }, a = { 10, 10, 10, 10 }, b = { 100, 50, 20, 5 };
	assert(rect_eq(r3d_rect_union(empty, a), a));
	assert(rect_eq(r3d_rect_union(a, empty), a));
	assert(rect_eq(r3d_rect_union(a, b), (struct r3d_rect){ 10, 10, 110, 45 }));

	/* far edges past INT_MAX: computed in 64 bits, the size saturates */
	struct r3d_rect u = r3d_rect_union((struct r3d_rect){ INT_MAX - 5, 0, 100, 1 },
					   (struct r3d_rect){ 0, 0, 1, 1 });
	assert(u.x == 0 && u.width == INT_MAX && u.height == 1);
	u = r3d_rect_union((struct r3d_rect){ INT_MIN, INT_MIN, 1, 1 },
			   (struct r3d_rect){ INT_MAX - 1, INT_MAX - 1, 1, 1 });
	assert(u.x == INT_MIN && u.y == INT_MIN && u.width == INT_MAX && u.height == INT_MAX);
	/* a union with a huge rect then clipped is the frame */
	u = r3d_rect_union(a, (struct r3d_rect){ -5, -5, INT_MAX, INT_MAX });
	assert(rect_eq(r3d_rect_clip(u, 640, 480), (struct r3d_rect){ 0, 0, 640, 480 }));
}

int main(void)
{
	test_clip_ordinary();
	test_clip_extreme_rects_do_not_overflow();
	test_union();
	printf("frame-rect: all tests passed\n");
	return 0;
}
