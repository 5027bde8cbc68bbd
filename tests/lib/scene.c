/*
 * The test scene: an animated gradient background and a lit, rotating cube
 * that travels across the picture, rendered into a texture through an FBO
 * (GL 3.3 core, EGL surfaceless), then the frame stamp and the input marker
 * drawn with glScissor + glClear (no text rendering, exact cell edges).
 * GL's framebuffer y runs bottom-up: a block at picture row y (top-left
 * origin) of height h is at GL y = height - y - h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <epoxy/gl.h>

#include "remote3d/log.h"

#include "egl-context.h"
#include "scene-text.h"
#include "scene.h"

struct r3d_scene {
	struct r3d_egl *egl;
	int width, height;
	GLuint tex, depth, fbo;
	GLuint bg_prog, cube_prog, vao_bg, vao_cube, vbo_cube;
	GLint bg_time, cube_mvp, cube_model, cube_color;
	int marker;
	bool no_stamp;
	enum r3d_scene_kind kind;
	uint8_t *text_px; /* R3D_SCENE_TEXT: the picture drawn on the CPU */
};

static const char *bg_vs =
	"#version 330 core\n"
	"const vec2 pos[4] = vec2[](vec2(-1,-1), vec2(1,-1), vec2(-1,1), vec2(1,1));\n"
	"out vec2 uv;\n"
	"void main() { uv = pos[gl_VertexID] * 0.5 + 0.5; gl_Position = vec4(pos[gl_VertexID], 0.999, 1); }\n";
static const char *bg_fs =
	"#version 330 core\n"
	"in vec2 uv; uniform float t; out vec4 color;\n"
	"void main() {\n"
	"  float w = 0.5 + 0.5 * sin(uv.x * 12.0 + t * 2.0) * cos(uv.y * 9.0 - t * 1.3);\n"
	"  color = vec4(0.10 + 0.25 * uv.x, 0.12 + 0.20 * w, 0.30 + 0.25 * uv.y, 1.0);\n"
	"}\n";
static const char *cube_vs =
	"#version 330 core\n"
	"layout(location = 0) in vec3 p; layout(location = 1) in vec3 n;\n"
	"uniform mat4 mvp; uniform mat4 model; out vec3 normal;\n"
	"void main() { normal = mat3(model) * n; gl_Position = mvp * vec4(p, 1); }\n";
static const char *cube_fs =
	"#version 330 core\n"
	"in vec3 normal; uniform vec3 base; out vec4 color;\n"
	"void main() {\n"
	"  vec3 l = normalize(vec3(0.4, 0.7, 1.0));\n"
	"  float d = max(dot(normalize(normal), l), 0.0);\n"
	"  color = vec4(base * (0.25 + 0.75 * d), 1.0);\n"
	"}\n";

static GLuint compile(GLenum type, const char *src, char **error)
{
	GLuint s = glCreateShader(type);
	GLint ok = 0;
	glShaderSource(s, 1, &src, NULL);
	glCompileShader(s);
	glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		char log[512] = "";
		glGetShaderInfoLog(s, sizeof(log), NULL, log);
		r3d_set_error(error, "scene: shader does not compile: %s", log);
		glDeleteShader(s);
		return 0;
	}
	return s;
}

static GLuint link_program(const char *vs, const char *fs, char **error)
{
	GLuint v = compile(GL_VERTEX_SHADER, vs, error), f = v ? compile(GL_FRAGMENT_SHADER, fs, error) : 0;
	GLuint p = 0;
	GLint ok = 0;
	if (!v || !f)
		goto out;
	p = glCreateProgram();
	glAttachShader(p, v);
	glAttachShader(p, f);
	glLinkProgram(p);
	glGetProgramiv(p, GL_LINK_STATUS, &ok);
	if (!ok) {
		r3d_set_error(error, "scene: program does not link");
		glDeleteProgram(p);
		p = 0;
	}
out:
	if (v)
		glDeleteShader(v);
	if (f)
		glDeleteShader(f);
	return p;
}

/* 6 faces x 2 triangles x 3 vertices: position, normal */
static void cube_vertices(float *out)
{
	static const float n[6][3] = { { 1, 0, 0 }, { -1, 0, 0 }, { 0, 1, 0 }, { 0, -1, 0 }, { 0, 0, 1 }, { 0, 0, -1 } };
	static const int quad[6][2] = { { -1, -1 }, { 1, -1 }, { 1, 1 }, { -1, -1 }, { 1, 1 }, { -1, 1 } };
	for (int f = 0; f < 6; f++) {
		int axis = n[f][0] != 0 ? 0 : n[f][1] != 0 ? 1 : 2;
		int u = (axis + 1) % 3, v = (axis + 2) % 3;
		float s = n[f][axis];
		for (int i = 0; i < 6; i++) {
			float *o = out + (f * 6 + i) * 6;
			int a = quad[i][0], b = quad[i][1];
			if (s < 0)
				a = -a; /* keep the winding counter-clockwise seen from outside */
			o[axis] = s;
			o[u] = (float)a;
			o[v] = (float)b;
			o[3] = n[f][0];
			o[4] = n[f][1];
			o[5] = n[f][2];
		}
	}
}

/* column-major 4x4 */
static void mat_mul(float *r, const float *a, const float *b)
{
	float t[16];
	for (int c = 0; c < 4; c++)
		for (int rr = 0; rr < 4; rr++)
			t[c * 4 + rr] = a[0 * 4 + rr] * b[c * 4 + 0] + a[1 * 4 + rr] * b[c * 4 + 1] +
					a[2 * 4 + rr] * b[c * 4 + 2] + a[3 * 4 + rr] * b[c * 4 + 3];
	memcpy(r, t, sizeof(t));
}

static void mat_rotate(float *m, float angle, float x, float y, float z)
{
	float c = cosf(angle), s = sinf(angle), l = sqrtf(x * x + y * y + z * z);
	x /= l, y /= l, z /= l;
	float r[16] = {
		x * x * (1 - c) + c,     y * x * (1 - c) + z * s, x * z * (1 - c) - y * s, 0,
		x * y * (1 - c) - z * s, y * y * (1 - c) + c,     y * z * (1 - c) + x * s, 0,
		x * z * (1 - c) + y * s, y * z * (1 - c) - x * s, z * z * (1 - c) + c,     0,
		0, 0, 0, 1,
	};
	memcpy(m, r, sizeof(r));
}

static void mat_perspective_translate(float *m, float fovy, float aspect, float tx, float ty, float tz)
{
	float f = 1.0f / tanf(fovy / 2), zn = 0.1f, zf = 100.0f;
	float p[16] = { f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (zf + zn) / (zn - zf), -1, 0, 0, 2 * zf * zn / (zn - zf), 0 };
	float t[16] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, tx, ty, tz, 1 };
	mat_mul(m, p, t);
}

struct r3d_scene *r3d_scene_create(int width, int height, char **error)
{
	struct r3d_scene *sc;
	const int min_w = R3D_SCENE_MARKER_X + R3D_SCENE_MARKER_SIZE, min_h = R3D_SCENE_MARKER_SIZE;

	if (width < min_w || height < min_h || width > 8192 || height > 8192) {
		r3d_set_error(error, "scene: size %dx%d out of range (%dx%d .. 8192x8192)", width, height, min_w,
			      min_h);
		return NULL;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		r3d_set_error(error, "scene: out of memory");
		return NULL;
	}
	sc->width = width;
	sc->height = height;
	sc->egl = r3d_egl_create_surfaceless(error);
	if (!sc->egl)
		goto fail;
	GLint max_size = 0;
	glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_size);
	if (width > max_size || height > max_size) {
		r3d_set_error(error, "scene: %dx%d exceeds GL_MAX_TEXTURE_SIZE %d", width, height, max_size);
		goto fail;
	}

	glGenTextures(1, &sc->tex);
	glBindTexture(GL_TEXTURE_2D, sc->tex);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
	glGenRenderbuffers(1, &sc->depth);
	glBindRenderbuffer(GL_RENDERBUFFER, sc->depth);
	glRenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, width, height);
	glGenFramebuffers(1, &sc->fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, sc->fbo);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, sc->tex, 0);
	glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, sc->depth);
	if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
		r3d_set_error(error, "scene: framebuffer incomplete");
		goto fail;
	}

	sc->bg_prog = link_program(bg_vs, bg_fs, error);
	sc->cube_prog = sc->bg_prog ? link_program(cube_vs, cube_fs, error) : 0;
	if (!sc->cube_prog)
		goto fail;
	sc->bg_time = glGetUniformLocation(sc->bg_prog, "t");
	sc->cube_mvp = glGetUniformLocation(sc->cube_prog, "mvp");
	sc->cube_model = glGetUniformLocation(sc->cube_prog, "model");
	sc->cube_color = glGetUniformLocation(sc->cube_prog, "base");

	float verts[36 * 6];
	cube_vertices(verts);
	glGenVertexArrays(1, &sc->vao_bg);
	glGenVertexArrays(1, &sc->vao_cube);
	glBindVertexArray(sc->vao_cube);
	glGenBuffers(1, &sc->vbo_cube);
	glBindBuffer(GL_ARRAY_BUFFER, sc->vbo_cube);
	glBufferData(GL_ARRAY_BUFFER, sizeof(verts), verts, GL_STATIC_DRAW);
	glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float), (void *)0);
	glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float), (void *)(3 * sizeof(float)));
	glEnableVertexAttribArray(0);
	glEnableVertexAttribArray(1);
	glBindVertexArray(0);
	GLenum err = glGetError();
	if (err != GL_NO_ERROR) {
		r3d_set_error(error, "scene: GL error 0x%x during set-up", err);
		goto fail;
	}
	return sc;
fail:
	r3d_scene_destroy(sc);
	return NULL;
}

void r3d_scene_destroy(struct r3d_scene *sc)
{
	if (!sc)
		return;
	if (sc->egl && r3d_egl_make_current(sc->egl)) {
		glDeleteBuffers(1, &sc->vbo_cube);
		glDeleteVertexArrays(1, &sc->vao_cube);
		glDeleteVertexArrays(1, &sc->vao_bg);
		glDeleteProgram(sc->bg_prog);
		glDeleteProgram(sc->cube_prog);
		glDeleteFramebuffers(1, &sc->fbo);
		glDeleteRenderbuffers(1, &sc->depth);
		glDeleteTextures(1, &sc->tex);
	}
	free(sc->text_px);
	r3d_egl_destroy(sc->egl);
	free(sc);
}

bool r3d_scene_make_current(struct r3d_scene *sc)
{
	return sc && r3d_egl_make_current(sc->egl);
}

/* A solid block at picture coordinates (top-left origin). */
static void fill_block(struct r3d_scene *sc, int x, int y, int w, int h, float r, float g, float b)
{
	glScissor(x, sc->height - y - h, w, h);
	glClearColor(r, g, b, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
}

static void draw_stamp(struct r3d_scene *sc, uint32_t frame, uint64_t time_us)
{
	struct r3d_stamp st = { .frame = frame, .time_us = time_us };
	bool cells[R3D_STAMP_BITS];
	r3d_stamp_cells(&st, cells);
	glEnable(GL_SCISSOR_TEST);
	/* black background, then the white cells */
	if (!sc->no_stamp)
		fill_block(sc, 0, 0, R3D_STAMP_WIDTH, R3D_STAMP_HEIGHT, 0, 0, 0);
	for (int i = 0; i < R3D_STAMP_BITS && !sc->no_stamp; i++) {
		if (!cells[i])
			continue;
		fill_block(sc, (i % R3D_STAMP_COLS) * R3D_STAMP_CELL, (i / R3D_STAMP_COLS) * R3D_STAMP_CELL,
			   R3D_STAMP_CELL, R3D_STAMP_CELL, 1, 1, 1);
	}
	float r = 0, g = 0, b = 0;
	if (sc->marker) {
		if (sc->marker & 1)
			r = g = b = 1;
		else if (sc->marker % 3 == 0)
			b = 1;
		else if (sc->marker % 3 == 1)
			r = 1;
		else
			g = 1;
	}
	fill_block(sc, R3D_SCENE_MARKER_X, R3D_SCENE_MARKER_Y, R3D_SCENE_MARKER_SIZE, R3D_SCENE_MARKER_SIZE, r, g, b);
	glDisable(GL_SCISSOR_TEST);
}

bool r3d_scene_kind_parse(const char *name, enum r3d_scene_kind *out)
{
	if (strcmp(name, "cube") == 0)
		*out = R3D_SCENE_CUBE;
	else if (strcmp(name, "text") == 0)
		*out = R3D_SCENE_TEXT;
	else
		return false;
	return true;
}

bool r3d_scene_set_kind(struct r3d_scene *sc, enum r3d_scene_kind kind)
{
	if (kind == R3D_SCENE_TEXT && !sc->text_px) {
		sc->text_px = malloc((size_t)sc->width * (size_t)sc->height * 4);
		if (!sc->text_px)
			return false;
	}
	sc->kind = kind;
	return true;
}

/* the text scene: drawn on the CPU, uploaded into the scene's texture */
static unsigned render_text(struct r3d_scene *sc, uint32_t frame, uint64_t time_us)
{
	r3d_text_scene_draw(sc->text_px, sc->width, sc->height, frame);
	glBindTexture(GL_TEXTURE_2D, sc->tex);
	glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
	glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, sc->width, sc->height, GL_RGBA, GL_UNSIGNED_BYTE,
			sc->text_px);
	glBindTexture(GL_TEXTURE_2D, 0);
	glBindFramebuffer(GL_FRAMEBUFFER, sc->fbo);
	glViewport(0, 0, sc->width, sc->height);
	draw_stamp(sc, frame, time_us);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	glFlush();
	return sc->tex;
}

unsigned r3d_scene_render(struct r3d_scene *sc, uint32_t frame, uint64_t time_us)
{
	if (sc->kind == R3D_SCENE_TEXT)
		return render_text(sc, frame, time_us);

	float t = (float)frame / 60.0f; /* animation time: one step per frame */
	float aspect = (float)sc->width / (float)sc->height;
	float model[16], rot2[16], mvp[16];

	glBindFramebuffer(GL_FRAMEBUFFER, sc->fbo);
	glViewport(0, 0, sc->width, sc->height);
	glDisable(GL_SCISSOR_TEST);
	glEnable(GL_DEPTH_TEST);
	glClear(GL_DEPTH_BUFFER_BIT);

	glUseProgram(sc->bg_prog);
	glUniform1f(sc->bg_time, t);
	glBindVertexArray(sc->vao_bg);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);

	/* the cube spins and travels left-right, up-down */
	mat_rotate(model, t * 1.3f, 0.3f, 1.0f, 0.1f);
	mat_rotate(rot2, t * 0.7f, 1.0f, 0.0f, 0.2f);
	mat_mul(model, rot2, model);
	mat_perspective_translate(mvp, 0.9f, aspect, 2.2f * sinf(t * 0.8f), 0.8f * sinf(t * 1.7f), -6.0f);
	mat_mul(mvp, mvp, model);
	glUseProgram(sc->cube_prog);
	glUniformMatrix4fv(sc->cube_mvp, 1, GL_FALSE, mvp);
	glUniformMatrix4fv(sc->cube_model, 1, GL_FALSE, model);
	glUniform3f(sc->cube_color, 0.9f, 0.55f + 0.3f * sinf(t), 0.2f);
	glBindVertexArray(sc->vao_cube);
	glEnable(GL_CULL_FACE);
	glDrawArrays(GL_TRIANGLES, 0, 36);
	glDisable(GL_CULL_FACE);
	glBindVertexArray(0);
	glUseProgram(0);
	glDisable(GL_DEPTH_TEST);

	draw_stamp(sc, frame, time_us);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	glFlush();
	return sc->tex;
}

void r3d_scene_set_marker(struct r3d_scene *sc, int value)
{
	sc->marker = value;
}

void r3d_scene_set_stamp(struct r3d_scene *sc, bool on)
{
	sc->no_stamp = !on;
}

int r3d_scene_get_marker(const struct r3d_scene *sc)
{
	return sc->marker;
}

unsigned r3d_scene_texture(const struct r3d_scene *sc)
{
	return sc->tex;
}

int r3d_scene_width(const struct r3d_scene *sc)
{
	return sc->width;
}

int r3d_scene_height(const struct r3d_scene *sc)
{
	return sc->height;
}

bool r3d_scene_y0_top(const struct r3d_scene *sc)
{
	(void)sc;
	return false;
}
