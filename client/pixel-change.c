#include <stdlib.h>
#include <string.h>

#include "cli-number.h"
#include "pixel-change.h"

#define MAX_COORD 65536L

bool r3d_change_parse_rect(const char *s, struct r3d_rect *out)
{
	long v[4];
	char part[24];

	for (int i = 0; i < 4; i++) {
		size_t len = strcspn(s, ",");

		if (len >= sizeof(part) || (i < 3) != (s[len] == ','))
			return false;
		memcpy(part, s, len);
		part[len] = '\0';
		if (!r3d_cli_parse_long(part, i < 2 ? 0 : 1, MAX_COORD, &v[i]))
			return false;
		s += len + (i < 3);
	}
	if (v[0] + v[2] > MAX_COORD || v[1] + v[3] > MAX_COORD)
		return false;
	*out = (struct r3d_rect){ (int)v[0], (int)v[1], (int)v[2], (int)v[3] };
	return true;
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static int min_int(int a, int b)
{
	return a < b ? a : b;
}

struct r3d_rect r3d_change_intersect(struct r3d_rect a, struct r3d_rect b)
{
	int x0 = max_int(a.x, b.x), y0 = max_int(a.y, b.y);
	int x1 = min_int(a.x + a.width, b.x + b.width);
	int y1 = min_int(a.y + a.height, b.y + b.height);

	if (x1 <= x0 || y1 <= y0)
		return (struct r3d_rect){ 0, 0, 0, 0 };
	return (struct r3d_rect){ x0, y0, x1 - x0, y1 - y0 };
}

bool r3d_change_rect_inside(struct r3d_rect r, int width, int height)
{
	return r.x >= 0 && r.y >= 0 && r.width > 0 && r.height > 0 && r.x + r.width <= width &&
	       r.y + r.height <= height;
}

struct r3d_rect r3d_change_watch(const struct r3d_change_params *p, int width, int height)
{
	struct r3d_rect all = { 0, 0, max_int(width, 0), max_int(height, 0) };

	return p->watch.width == 0 ? all : r3d_change_intersect(p->watch, all);
}

void r3d_change_snapshot(const struct r3d_image_view *img, struct r3d_rect watch, uint8_t *base)
{
	for (int y = 0; y < watch.height; y++)
		memcpy(base + (size_t)y * (size_t)watch.width * 4,
		       img->data + (size_t)(watch.y + y) * (size_t)img->stride + (size_t)watch.x * 4,
		       (size_t)watch.width * 4);
}

static bool differs(const uint8_t *a, const uint8_t *b, int delta)
{
	for (int ch = 0; ch < 3; ch++)
		if (abs((int)a[ch] - (int)b[ch]) > delta)
			return true;
	return false;
}

bool r3d_change_check(const struct r3d_change_params *p, const struct r3d_image_view *img,
		      struct r3d_rect watch, const uint8_t *base, struct r3d_rect area,
		      uint64_t *changed)
{
	struct r3d_rect pic = { 0, 0, img->width, img->height };
	struct r3d_rect r = r3d_change_intersect(r3d_change_intersect(area, watch), pic);
	const struct r3d_rect *rows_ignored[R3D_CHANGE_MAX_IGNORE];
	uint64_t count = 0;

	for (int y = r.y; y < r.y + r.height; y++) {
		const uint8_t *cur = img->data + (size_t)y * (size_t)img->stride;
		const uint8_t *old = base + (size_t)(y - watch.y) * (size_t)watch.width * 4;
		size_t n = 0;

		/* the ignored rectangles that cross this row */
		for (size_t i = 0; i < p->n_ignore; i++)
			if (y >= p->ignore[i].y && y < p->ignore[i].y + p->ignore[i].height)
				rows_ignored[n++] = &p->ignore[i];
		for (int x = r.x; x < r.x + r.width; x++) {
			bool skip = false;

			for (size_t i = 0; i < n && !skip; i++)
				skip = x >= rows_ignored[i]->x && x < rows_ignored[i]->x + rows_ignored[i]->width;
			if (!skip && differs(cur + (size_t)x * 4, old + (size_t)(x - watch.x) * 4, p->delta))
				count++;
		}
	}
	*changed = count;
	return count >= p->threshold;
}
