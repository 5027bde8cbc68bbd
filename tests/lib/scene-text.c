#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../client/plot-font.h" /* the 6x13 font the client plots with */
#include "scene-text.h"

#define DESKTOP 0x3b4252u
#define TITLE 0x5e81acu
#define TITLE_TEXT 0xeceff4u
#define TERM_BG 0x101010u
#define TERM_FG 0xd8dee9u
#define PROMPT 0xa3be8cu
#define BORDER 2
#define TITLE_H 20

/* a block: a command typed, then its output appearing */
#define CMD_CHARS 32
#define FRAMES_PER_CHAR 6    /* ten keys a second at 60 fps */
#define OUTPUT_LINES 9
#define FRAMES_PER_LINE 2
#define BLOCK_FRAMES (CMD_CHARS * FRAMES_PER_CHAR + OUTPUT_LINES * FRAMES_PER_LINE)
#define LINES_PER_BLOCK (1 + OUTPUT_LINES)

struct canvas {
	uint8_t *px;
	int w, h;
};

static void fill(const struct canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb)
{
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > c->w ? c->w : x1;
	y1 = y1 > c->h ? c->h : y1;
	for (int y = y0; y < y1; y++) {
		uint8_t *p = c->px + ((size_t)(c->h - 1 - y) * (size_t)c->w + (size_t)x0) * 4;
		for (int x = x0; x < x1; x++, p += 4) {
			p[0] = (uint8_t)(rgb >> 16);
			p[1] = (uint8_t)(rgb >> 8);
			p[2] = (uint8_t)rgb;
			p[3] = 0xff;
		}
	}
}

/* text at picture coordinates (top-left origin), clipped to [x, xmax) */
static void text(const struct canvas *c, int x, int y, const char *s, int n, int xmax, uint32_t rgb)
{
	for (int i = 0; i < n && s[i]; i++, x += PLOT_FONT_W) {
		unsigned ch = (unsigned char)s[i];
		if (x + PLOT_FONT_W > xmax)
			return;
		if (ch < PLOT_FONT_FIRST || ch > PLOT_FONT_LAST)
			ch = '?';
		const uint8_t *g = plot_font[ch - PLOT_FONT_FIRST];
		for (int gy = 0; gy < PLOT_FONT_H; gy++)
			for (int gx = 0; gx < PLOT_FONT_W; gx++)
				if (g[gy] & (0x20 >> gx))
					fill(c, x + gx, y + gy, x + gx + 1, y + gy + 1, rgb);
	}
}

static uint32_t hash(uint32_t v)
{
	v ^= v >> 16;
	v *= 0x7feb352du;
	v ^= v >> 15;
	v *= 0x846ca68bu;
	v ^= v >> 16;
	return v;
}

/* line `line` of the terminal's history: a command or one of its output lines */
static void line_text(uint32_t line, char *out, size_t size)
{
	static const char *const words[] = {
		"build", "meson", "ninja", "remote3d", "stream", "encoder", "x264", "frame", "latency",
		"spice", "client", "virgl", "guest", "kernel", "queue", "socket", "bitrate", "link",
		"-rw-r--r--", "drwxr-xr-x", "root", "4096", "Dec", "12:34", "ok", "passed", "0.42",
	};
	const size_t nw = sizeof(words) / sizeof(words[0]);
	bool cmd = line % LINES_PER_BLOCK == 0;
	size_t len = 0;
	uint32_t h = hash(line + 1);
	out[0] = 0;
	if (cmd)
		len = (size_t)snprintf(out, size, "$ ");
	for (int k = 0; len + 12 < size && (cmd ? len < CMD_CHARS : k < 6 + (int)(h % 14)); k++) {
		h = hash(h);
		len += (size_t)snprintf(out + len, size - len, "%s ", words[h % nw]);
	}
	if (cmd && len > CMD_CHARS)
		out[CMD_CHARS] = 0;
}

/* the window's top-left corner for position `k` */
static void window_at(uint32_t k, int room_x, int room_y, int *x, int *y)
{
	uint32_t h = hash(k * 2654435761u + 7);
	*x = room_x > 0 ? (int)(h % (uint32_t)room_x) : 0;
	*y = room_y > 0 ? (int)((h >> 12) % (uint32_t)room_y) : 0;
}

void r3d_text_scene_draw(uint8_t *rgba, int width, int height, uint32_t frame)
{
	const struct canvas c = { rgba, width, height };
	char buf[256];

	fill(&c, 0, 0, width, height, DESKTOP);
	/* the window: 3/4 of the picture, moved every HOLD frames */
	int ww = width * 3 / 4, wh = height * 3 / 4, x, y;
	uint32_t k = frame / R3D_TEXT_SCENE_HOLD_FRAMES, in = frame % R3D_TEXT_SCENE_HOLD_FRAMES;
	window_at(k, width - ww, height - wh, &x, &y);
	if (k > 0 && in < R3D_TEXT_SCENE_MOVE_FRAMES) { /* dragged from the last place */
		int px, py;
		window_at(k - 1, width - ww, height - wh, &px, &py);
		x = px + (x - px) * (int)in / R3D_TEXT_SCENE_MOVE_FRAMES;
		y = py + (y - py) * (int)in / R3D_TEXT_SCENE_MOVE_FRAMES;
	}
	fill(&c, x, y, x + ww, y + wh, TITLE);
	text(&c, x + 8, y + (TITLE_H - PLOT_FONT_H) / 2, "remote3d: text scene (xterm)", 64, x + ww,
	     TITLE_TEXT);
	int tx = x + BORDER, ty = y + TITLE_H, tw = ww - 2 * BORDER, th = wh - TITLE_H - BORDER;
	fill(&c, tx, ty, tx + tw, ty + th, TERM_BG);

	/* the history up to this frame: whole lines, then the one being typed */
	uint32_t block = frame / BLOCK_FRAMES, at = frame % BLOCK_FRAMES;
	uint32_t typed = at / FRAMES_PER_CHAR, out_lines = 0;
	if (typed >= CMD_CHARS) {
		typed = CMD_CHARS;
		out_lines = (at - CMD_CHARS * FRAMES_PER_CHAR) / FRAMES_PER_LINE + 1;
		if (out_lines > OUTPUT_LINES)
			out_lines = OUTPUT_LINES;
	}
	uint32_t last = block * LINES_PER_BLOCK + out_lines; /* the line being written */
	int rows = th / PLOT_FONT_H;
	uint32_t first = last + 1 > (uint32_t)rows ? last + 1 - (uint32_t)rows : 0;
	for (uint32_t l = first; l <= last; l++) {
		line_text(l, buf, sizeof(buf));
		int n = l == last && l % LINES_PER_BLOCK == 0 ? 2 + (int)typed : (int)sizeof(buf);
		int ly = ty + (int)(l - first) * PLOT_FONT_H;
		bool cmd = l % LINES_PER_BLOCK == 0;
		text(&c, tx + 4, ly, buf, cmd ? 2 : 0, tx + tw, PROMPT);
		text(&c, tx + 4 + (cmd ? 2 * PLOT_FONT_W : 0), ly, buf + (cmd ? 2 : 0), n - (cmd ? 2 : 0),
		     tx + tw, TERM_FG);
		if (l == last && cmd) /* the cursor */
			fill(&c, tx + 4 + n * PLOT_FONT_W, ly, tx + 4 + (n + 1) * PLOT_FONT_W,
			     ly + PLOT_FONT_H, TERM_FG);
	}
}
