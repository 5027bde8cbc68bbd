/* remote3d-client's --type logic without SPICE: characters to set-1 scan
 * codes with Shift (every printable ASCII character has one key, distinct
 * from every other's; escapes; refusals that name the character), X,Y,W,H
 * parsing, and the changed-pixel count on synthetic pictures (watch,
 * ignore, per-channel delta, threshold, the updated area, padded rows);
 * the histogram PNG for 0, 1, equal and spread values.
 * argv[1]: keymap | rect | change | plot */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keymap.h"
#include "pixel-change.h"
#include "plot.h"
#include "png-io.h"

static int failures;

#define CHECK(cond, ...)                                                                 \
	do {                                                                             \
		if (!(cond)) {                                                           \
			failures++;                                                      \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);           \
			printf(__VA_ARGS__);                                             \
			printf("\n");                                                    \
		}                                                                        \
	} while (0)

static void expect_key(char ch, unsigned scancode, bool shift)
{
	struct r3d_key_stroke k;

	CHECK(r3d_keymap_lookup(ch, &k), "'%c' has a key", ch);
	CHECK(k.scancode == scancode && k.shift == shift, "'%c' -> 0x%02x%s (got 0x%02x%s)", ch,
	      scancode, shift ? "+shift" : "", k.scancode, k.shift ? "+shift" : "");
}

static void expect_refused(const char *text, const char *word)
{
	struct r3d_key_stroke *keys = NULL;
	char error[R3D_KEYMAP_ERROR_SIZE];
	size_t n = 99;

	CHECK(!r3d_keymap_parse(text, &keys, &n, error), "'%s' refused", text);
	CHECK(keys == NULL && n == 0, "nothing returned for '%s'", text);
	CHECK(strstr(error, word) != NULL, "the error for '%s' says '%s': %s", text, word, error);
	CHECK(!strchr(error, '\n'), "one line: %s", error);
}

static void test_keymap(void)
{
	/* the US keyboard, PC AT set 1 */
	expect_key('a', 0x1e, false);
	expect_key('A', 0x1e, true);
	expect_key('q', 0x10, false);
	expect_key('p', 0x19, false);
	expect_key('l', 0x26, false);
	expect_key('z', 0x2c, false);
	expect_key('M', 0x32, true);
	expect_key('1', 0x02, false);
	expect_key('!', 0x02, true);
	expect_key('9', 0x0a, false);
	expect_key('0', 0x0b, false);
	expect_key(')', 0x0b, true);
	expect_key('@', 0x03, true);
	expect_key('-', 0x0c, false);
	expect_key('_', 0x0c, true);
	expect_key('=', 0x0d, false);
	expect_key('+', 0x0d, true);
	expect_key('[', 0x1a, false);
	expect_key('}', 0x1b, true);
	expect_key(';', 0x27, false);
	expect_key(':', 0x27, true);
	expect_key('\'', 0x28, false);
	expect_key('"', 0x28, true);
	expect_key('`', 0x29, false);
	expect_key('~', 0x29, true);
	expect_key('\\', 0x2b, false);
	expect_key('|', 0x2b, true);
	expect_key(',', 0x33, false);
	expect_key('<', 0x33, true);
	expect_key('.', 0x34, false);
	expect_key('/', 0x35, false);
	expect_key('?', 0x35, true);
	expect_key(' ', 0x39, false);
	expect_key('\n', 0x1c, false);
	expect_key('\t', 0x0f, false);

	/* every printable character: one key, no two alike */
	unsigned seen[0x200] = { 0 };
	for (int ch = 0x20; ch < 0x7f; ch++) {
		struct r3d_key_stroke k;

		CHECK(r3d_keymap_lookup((char)ch, &k), "0x%02x has a key", ch);
		unsigned id = k.scancode | (k.shift ? 0x100u : 0);
		CHECK(k.scancode >= 0x02 && k.scancode <= 0x39 && k.scancode != R3D_SCANCODE_LSHIFT,
		      "'%c': a plain key (0x%02x)", ch, k.scancode);
		CHECK(!seen[id], "'%c' and '%c' share 0x%02x%s", ch, seen[id], k.scancode,
		      k.shift ? "+shift" : "");
		seen[id] = (unsigned)ch;
	}
	struct r3d_key_stroke k;
	CHECK(!r3d_keymap_lookup('\0', &k) && !r3d_keymap_lookup('\x01', &k) &&
	      !r3d_keymap_lookup('\x7f', &k) && !r3d_keymap_lookup((char)0xe9, &k),
	      "NUL, control codes, DEL and non-ASCII have no key");

	/* text: escapes and a real newline */
	struct r3d_key_stroke *keys = NULL;
	char error[R3D_KEYMAP_ERROR_SIZE];
	size_t n = 0;
	CHECK(r3d_keymap_parse("Hi, 5!\\n\\t\\\\x\n", &keys, &n, error), "parsed: %s", error);
	const char want[] = "Hi, 5!\n\t\\x\n";
	CHECK(n == strlen(want), "%zu keys (got %zu)", strlen(want), n);
	for (size_t i = 0; keys && i < n && i < strlen(want); i++)
		CHECK(keys[i].ch == want[i], "key %zu is 0x%02x (got 0x%02x)", i, want[i], keys[i].ch);
	CHECK(keys && keys[0].shift && keys[0].scancode == 0x23 && !keys[1].shift,
	      "H with shift, i without");
	free(keys);

	expect_refused("", "empty");
	expect_refused("caf\xc3\xa9!", "character 4 '\xc3\xa9' has no scancode");
	expect_refused("a\\qb", "unknown escape '\\q'");
	expect_refused("ab\\", "character 3: unknown escape");
	expect_refused("a\x01", "control code 0x01");

	char buf[2];
	CHECK(strcmp(r3d_keymap_name(' ', buf), "space") == 0 &&
	      strcmp(r3d_keymap_name('\n', buf), "enter") == 0 &&
	      strcmp(r3d_keymap_name(',', buf), "comma") == 0 &&
	      strcmp(r3d_keymap_name('x', buf), "x") == 0, "CSV names need no quoting");
}

static void test_rect(void)
{
	struct r3d_rect r;

	CHECK(r3d_change_parse_rect("1,2,3,4", &r) && r.x == 1 && r.y == 2 && r.width == 3 &&
	      r.height == 4, "1,2,3,4");
	CHECK(r3d_change_parse_rect("0,0,65536,1", &r), "the largest width");
	const char *bad[] = { "", "1,2,3", "1,2,3,4,5", "a,b,c,d", "1,2,0,4", "1,2,3,0", "-1,2,3,4",
			      "1, 2,3,4", "1,2,3,4 ", "1,2,3,", ",1,2,3", "1.5,2,3,4", "65536,0,1,1",
			      "0,0,65537,1", "99999999999999999999,0,1,1", "1;2;3;4", "nan,0,1,1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!r3d_change_parse_rect(bad[i], &r), "'%s' refused", bad[i]);

	CHECK(r3d_change_rect_inside((struct r3d_rect){ 0, 0, 640, 480 }, 640, 480), "all of it");
	CHECK(!r3d_change_rect_inside((struct r3d_rect){ 1, 0, 640, 480 }, 640, 480), "one past");
	CHECK(!r3d_change_rect_inside((struct r3d_rect){ 700, 10, 5, 5 }, 640, 480), "outside");
	r = r3d_change_intersect((struct r3d_rect){ 0, 0, 10, 10 }, (struct r3d_rect){ 5, 5, 10, 10 });
	CHECK(r.x == 5 && r.y == 5 && r.width == 5 && r.height == 5, "intersection");
	r = r3d_change_intersect((struct r3d_rect){ 0, 0, 10, 10 }, (struct r3d_rect){ 10, 0, 5, 5 });
	CHECK(r.width == 0 && r.height == 0, "touching edges do not intersect");

	struct r3d_change_params p = { .watch = { 0, 0, 0, 0 } };
	r = r3d_change_watch(&p, 320, 200);
	CHECK(r.x == 0 && r.y == 0 && r.width == 320 && r.height == 200, "no --watch: everything");
	p.watch = (struct r3d_rect){ 300, 190, 50, 50 };
	r = r3d_change_watch(&p, 320, 200);
	CHECK(r.x == 300 && r.y == 190 && r.width == 20 && r.height == 10,
	      "a watch past a smaller picture is clipped");
}

/* A 64x48 picture with padded rows, a gradient */
#define IW 64
#define IH 48
#define STRIDE (IW * 4 + 12)

static void picture(uint8_t *px)
{
	memset(px, 0xee, (size_t)STRIDE * IH);
	for (int y = 0; y < IH; y++)
		for (int x = 0; x < IW; x++) {
			uint8_t *p = px + y * STRIDE + x * 4;
			p[0] = (uint8_t)(x * 3);
			p[1] = (uint8_t)(y * 5);
			p[2] = 128;
			p[3] = 0;
		}
}

static uint64_t count(const struct r3d_change_params *p, const uint8_t *base, const uint8_t *px,
		      struct r3d_rect area, bool *seen)
{
	const struct r3d_image_view img = { .data = px, .width = IW, .height = IH, .stride = STRIDE,
					    .bpp = 4 };
	struct r3d_rect watch = r3d_change_watch(p, IW, IH);
	uint64_t changed = 12345;

	*seen = r3d_change_check(p, &img, watch, base, area, &changed);
	return changed;
}

static void test_change(void)
{
	static uint8_t px[STRIDE * IH], base[IW * IH * 4];
	const struct r3d_rect all = { 0, 0, IW, IH };
	struct r3d_change_params p = {
		.watch = { 10, 10, 20, 10 }, .delta = R3D_CHANGE_DEFAULT_DELTA,
		.threshold = R3D_CHANGE_DEFAULT_THRESHOLD,
	};
	bool seen;

	picture(px);
	const struct r3d_image_view img = { .data = px, .width = IW, .height = IH, .stride = STRIDE,
					    .bpp = 4 };
	r3d_change_snapshot(&img, r3d_change_watch(&p, IW, IH), base);
	CHECK(count(&p, base, px, all, &seen) == 0 && !seen, "unchanged: 0 pixels");

	/* codec noise: every channel of every pixel moved by up to delta */
	for (int y = 0; y < IH; y++)
		for (int x = 0; x < IW; x++)
			for (int ch = 0; ch < 3; ch++) {
				uint8_t *v = &px[y * STRIDE + x * 4 + ch];
				int d = (x + y + ch) % 2 ? R3D_CHANGE_DEFAULT_DELTA : -R3D_CHANGE_DEFAULT_DELTA;

				if (*v + d < 0 || *v + d > 255)
					d = -d;
				*v = (uint8_t)(*v + d);
			}
	CHECK(count(&p, base, px, all, &seen) == 0 && !seen, "noise up to delta does not count");
	picture(px);

	/* a glyph: 10 pixels inside the watch, one channel each */
	for (int i = 0; i < 10; i++)
		px[(12 + i % 2) * STRIDE + (15 + i / 2) * 4 + i % 3] ^= 0x80;
	CHECK(count(&p, base, px, all, &seen) == 10 && seen, "10 changed pixels, threshold 8");
	p.threshold = 11;
	CHECK(count(&p, base, px, all, &seen) == 10 && !seen, "10 pixels are under threshold 11");
	p.threshold = 10;
	CHECK(count(&p, base, px, all, &seen) == 10 && seen, "the threshold itself is reached");
	CHECK(count(&p, base, px, (struct r3d_rect){ 40, 0, 10, 10 }, &seen) == 0 && !seen,
	      "only the updated area is looked at");
	CHECK(count(&p, base, px, (struct r3d_rect){ 15, 12, 1, 2 }, &seen) == 2,
	      "part of the glyph in a small update");

	/* ignore a rectangle over half of the glyph (x 15..16) */
	p.ignore[0] = (struct r3d_rect){ 15, 0, 2, IH };
	p.n_ignore = 1;
	CHECK(count(&p, base, px, all, &seen) == 6 && !seen, "the ignored columns do not count");
	p.ignore[1] = (struct r3d_rect){ 0, 12, IW, 2 };
	p.n_ignore = 2;
	CHECK(count(&p, base, px, all, &seen) == 0, "two ignored rectangles: nothing left");
	p.n_ignore = 0;

	/* changes outside the watch never count */
	picture(px);
	for (int x = 0; x < IW; x++)
		px[5 * STRIDE + x * 4] ^= 0xff;     /* a row above the watch */
	for (int y = 0; y < IH; y++)
		px[y * STRIDE + 40 * 4 + 1] ^= 0xff; /* a column right of it */
	CHECK(count(&p, base, px, all, &seen) == 0 && !seen, "changes outside the watch");

	/* delta: exactly delta does not count, delta + 1 does */
	picture(px);
	px[11 * STRIDE + 11 * 4 + 2] = (uint8_t)(128 + 40);
	px[11 * STRIDE + 12 * 4 + 2] = (uint8_t)(128 + 41);
	p.delta = 40;
	p.threshold = 1;
	CHECK(count(&p, base, px, all, &seen) == 1 && seen, "more than delta, per channel");

	/* no --watch: the whole picture; the padding bytes never matter */
	p = (struct r3d_change_params){ .delta = 32, .threshold = 8 };
	picture(px);
	r3d_change_snapshot(&img, r3d_change_watch(&p, IW, IH), base);
	for (int y = 0; y < IH; y++)
		memset(px + y * STRIDE + IW * 4, 0x11, 12);
	px[(IH - 1) * STRIDE + (IW - 1) * 4] ^= 0xff;
	px[0] ^= 0xff;
	CHECK(count(&p, base, px, all, &seen) == 2 && !seen, "the corners of the whole picture");
}

static void check_png(const char *path, const char *what)
{
	uint8_t *data = NULL;
	int w = 0, h = 0;
	char error[R3D_PNG_ERROR_SIZE];
	size_t bar = 0, dark = 0;

	CHECK(r3d_png_read_rgba(path, &data, &w, &h, error), "%s: a readable PNG: %s", what, error);
	CHECK(w == R3D_PLOT_WIDTH && h == R3D_PLOT_HEIGHT, "%s: %dx%d", what, w, h);
	for (size_t i = 0; data && i < (size_t)w * (size_t)h; i++) {
		const uint8_t *p = data + i * 4;
		bar += p[0] == 0x4c && p[1] == 0x72 && p[2] == 0xb0;
		dark += p[0] < 0x40 && p[1] < 0x40 && p[2] < 0x40;
	}
	CHECK(dark > 2000, "%s: text and axes drawn (%zu dark pixels)", what, dark);
	printf("%s: %zu bar pixels, %zu dark pixels\n", what, bar, dark);
	free(data);
	unlink(path);
}

static void test_plot(void)
{
	char path[] = "/tmp/r3d-test-plot-XXXXXX";
	int fd = mkstemp(path);
	char *why = NULL;

	CHECK(fd >= 0, "a temporary file");
	close(fd);
	double spread[200];
	for (int i = 0; i < 200; i++)
		spread[i] = 8.0 + 30.0 * exp(-0.5 * pow((i % 20 - 10) / 4.0, 2)) + i * 0.01;
	const double one = 12.5, same[5] = { 7, 7, 7, 7, 7 };
	struct {
		const char *what;
		const double *v;
		size_t n;
	} cases[] = { { "200 spread values", spread, 200 }, { "one value", &one, 1 },
		      { "equal values", same, 5 }, { "no values", NULL, 0 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct r3d_histogram h = {
			.values = cases[i].v, .n = cases[i].n,
			.title = "key-to-glyph latency: p50 1.0 ms, p95 2.0 ms",
			.subtitle = "a subtitle", .xlabel = "latency (ms)", .ylabel = "keys",
			.marks = { { cases[i].n ? cases[i].v[0] : 0, "p50", 0x1f77b4 } },
			.n_marks = cases[i].n ? 1 : 0,
		};
		CHECK(r3d_plot_histogram_png(&h, path, &why), "%s: written: %s", cases[i].what,
		      why ? why : "");
		free(why);
		why = NULL;
		check_png(path, cases[i].what);
	}
	struct r3d_histogram h = { .values = &one, .n = 1, .title = "t", .xlabel = "x", .ylabel = "y" };
	CHECK(!r3d_plot_histogram_png(&h, "/nonexistent-dir/plot.png", &why) && why &&
	      strstr(why, "/nonexistent-dir/plot.png"), "an unwritable path: %s", why ? why : "");
	free(why);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (strcmp(what, "keymap") == 0)
		test_keymap();
	else if (strcmp(what, "rect") == 0)
		test_rect();
	else if (strcmp(what, "change") == 0)
		test_change();
	else if (strcmp(what, "plot") == 0)
		test_plot();
	else {
		fprintf(stderr, "usage: %s keymap|rect|change|plot\n", argv[0]);
		return 2;
	}
	printf("%s: %s\n", what, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
