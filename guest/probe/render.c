#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <GLES2/gl2.h>

#include "stamp.h"
#include "scene.h"

#include "render.h"

struct probe_render {
	int width, height;
	GLuint bg_prog, cube_prog;
	GLint bg_time, cube_mvp, cube_model;
	GLuint cube_vbo;
};

static const char bg_vs[] =
	"attribute vec2 pos;\n"
	"varying vec2 uv;\n"
	"void main() { uv = pos * 0.5 + 0.5; gl_Position = vec4(pos, 0.0, 1.0); }\n";
static const char bg_fs[] =
	"precision mediump float;\n"
	"varying vec2 uv;\n"
	"uniform float t;\n"
	"void main() {\n"
	"  gl_FragColor = vec4(0.5 + 0.4 * sin(t + uv.x * 3.0),\n"
	"                      0.4 + 0.3 * sin(t * 0.7 + uv.y * 4.0),\n"
	"                      0.5 + 0.4 * cos(t * 0.5 + (uv.x + uv.y) * 2.0), 1.0);\n"
	"}\n";
static const char cube_vs[] =
	"attribute vec3 pos;\n"
	"attribute vec3 normal;\n"
	"uniform mat4 mvp;\n"
	"uniform mat4 model;\n"
	"varying vec3 color;\n"
	"void main() {\n"
	"  vec3 n = normalize((model * vec4(normal, 0.0)).xyz);\n"
	"  float light = 0.25 + 0.75 * max(dot(n, normalize(vec3(0.4, 0.6, 1.0))), 0.0);\n"
	"  color = (abs(normal) * 0.7 + 0.3) * light;\n"
	"  gl_Position = mvp * vec4(pos, 1.0);\n"
	"}\n";
static const char cube_fs[] =
	"precision mediump float;\n"
	"varying vec3 color;\n"
	"void main() { gl_FragColor = vec4(color, 1.0); }\n";

static GLuint compile(GLenum type, const char *src)
{
	GLuint s = glCreateShader(type);
	GLint ok = 0;
	glShaderSource(s, 1, &src, NULL);
	glCompileShader(s);
	glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		char log[512];
		glGetShaderInfoLog(s, sizeof(log), NULL, log);
		fprintf(stderr, "probe: shader: %s\n", log);
		glDeleteShader(s);
		return 0;
	}
	return s;
}

static GLuint link_program(const char *vs, const char *fs, const char *attr0, const char *attr1)
{
	GLuint v = compile(GL_VERTEX_SHADER, vs), f = compile(GL_FRAGMENT_SHADER, fs), p = 0;
	GLint ok = 0;
	if (!v || !f)
		goto out;
	p = glCreateProgram();
	glAttachShader(p, v);
	glAttachShader(p, f);
	glBindAttribLocation(p, 0, attr0);
	if (attr1)
		glBindAttribLocation(p, 1, attr1);
	glLinkProgram(p);
	glGetProgramiv(p, GL_LINK_STATUS, &ok);
	if (!ok) {
		fprintf(stderr, "probe: program does not link\n");
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

/* 6 faces x 2 triangles x 3 vertices, position + normal */
static void cube_vertices(GLfloat out[36][6])
{
	static const int faces[6][3] = {{0, 0, 1}, {0, 0, -1}, {1, 0, 0},
					{-1, 0, 0}, {0, 1, 0}, {0, -1, 0}};
	static const float corners[6][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, -1}, {1, 1}, {-1, 1}};
	int v = 0;
	for (int f = 0; f < 6; f++) {
		int axis = faces[f][0] ? 0 : faces[f][1] ? 1 : 2;
		float sign = (float)(faces[f][0] + faces[f][1] + faces[f][2]);
		for (int c = 0; c < 6; c++, v++) {
			float p[3];
			p[axis] = sign;
			p[(axis + 1) % 3] = corners[c][0] * sign;
			p[(axis + 2) % 3] = corners[c][1];
			for (int k = 0; k < 3; k++) {
				out[v][k] = p[k];
				out[v][3 + k] = (float)faces[f][k];
			}
		}
	}
}

struct probe_render *probe_render_create(int width, int height)
{
	struct probe_render *r = calloc(1, sizeof(*r));
	GLfloat verts[36][6];

	if (!r)
		return NULL;
	r->width = width;
	r->height = height;
	r->bg_prog = link_program(bg_vs, bg_fs, "pos", NULL);
	r->cube_prog = link_program(cube_vs, cube_fs, "pos", "normal");
	if (!r->bg_prog || !r->cube_prog)
		goto err;
	r->bg_time = glGetUniformLocation(r->bg_prog, "t");
	r->cube_mvp = glGetUniformLocation(r->cube_prog, "mvp");
	r->cube_model = glGetUniformLocation(r->cube_prog, "model");
	cube_vertices(verts);
	glGenBuffers(1, &r->cube_vbo);
	glBindBuffer(GL_ARRAY_BUFFER, r->cube_vbo);
	glBufferData(GL_ARRAY_BUFFER, sizeof(verts), verts, GL_STATIC_DRAW);
	glBindBuffer(GL_ARRAY_BUFFER, 0);
	if (glGetError() != GL_NO_ERROR)
		goto err;
	return r;
err:
	probe_render_destroy(r);
	return NULL;
}

void probe_render_destroy(struct probe_render *r)
{
	if (!r)
		return;
	if (r->cube_vbo)
		glDeleteBuffers(1, &r->cube_vbo);
	if (r->bg_prog)
		glDeleteProgram(r->bg_prog);
	if (r->cube_prog)
		glDeleteProgram(r->cube_prog);
	free(r);
}

/* column-major 4x4: out = a * b */
static void mat_mul(float out[16], const float a[16], const float b[16])
{
	float t[16];
	for (int c = 0; c < 4; c++)
		for (int rr = 0; rr < 4; rr++) {
			float s = 0;
			for (int k = 0; k < 4; k++)
				s += a[k * 4 + rr] * b[c * 4 + k];
			t[c * 4 + rr] = s;
		}
	memcpy(out, t, sizeof(t));
}

static void draw_scene(struct probe_render *r, uint32_t frame)
{
	static const GLfloat quad[] = {-1, -1, 1, -1, -1, 1, 1, 1};
	float t = (float)frame / 60.0f; /* motion per frame, not per second */
	float aspect = (float)r->width / (float)r->height;

	glDisable(GL_DEPTH_TEST);
	glUseProgram(r->bg_prog);
	glUniform1f(r->bg_time, t);
	glBindBuffer(GL_ARRAY_BUFFER, 0);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, quad);
	glEnableVertexAttribArray(0);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
	glDisableVertexAttribArray(0);

	/* model: rotate about y then x, scale, travel on a Lissajous path */
	float ay = t * 1.3f, ax = t * 0.7f, s = 0.35f;
	float cy = cosf(ay), sy = sinf(ay), cx = cosf(ax), sx = sinf(ax);
	float rot_y[16] = {cy, 0, -sy, 0, 0, 1, 0, 0, sy, 0, cy, 0, 0, 0, 0, 1};
	float rot_x[16] = {1, 0, 0, 0, 0, cx, sx, 0, 0, -sx, cx, 0, 0, 0, 0, 1};
	float scale_move[16] = {s, 0, 0, 0, 0, s, 0, 0, 0, 0, s, 0,
				1.2f * sinf(t * 0.9f) * aspect * 0.6f, 0.5f * sinf(t * 1.7f), -3.0f, 1};
	float model[16], mvp[16];
	mat_mul(model, rot_y, rot_x);
	mat_mul(model, scale_move, model);
	/* perspective, 60 degrees vertical */
	float f = 1.0f / tanf(0.5236f), n = 0.5f, fa = 10.0f;
	float proj[16] = {f / aspect, 0, 0, 0, 0, f, 0, 0,
			  0, 0, (fa + n) / (n - fa), -1, 0, 0, 2 * fa * n / (n - fa), 0};
	mat_mul(mvp, proj, model);

	glEnable(GL_DEPTH_TEST);
	glUseProgram(r->cube_prog);
	glUniformMatrix4fv(r->cube_mvp, 1, GL_FALSE, mvp);
	glUniformMatrix4fv(r->cube_model, 1, GL_FALSE, model);
	glBindBuffer(GL_ARRAY_BUFFER, r->cube_vbo);
	glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(GLfloat), (void *)0);
	glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(GLfloat),
			      (void *)(3 * sizeof(GLfloat)));
	glEnableVertexAttribArray(0);
	glEnableVertexAttribArray(1);
	glDrawArrays(GL_TRIANGLES, 0, 36);
	glDisableVertexAttribArray(0);
	glDisableVertexAttribArray(1);
	glBindBuffer(GL_ARRAY_BUFFER, 0);
	glDisable(GL_DEPTH_TEST);
}

/* A solid rectangle in picture coordinates (top-left origin); GL's window
 * origin is bottom-left. */
static void fill(const struct probe_render *r, int x, int y, int w, int h,
		 float red, float green, float blue)
{
	glScissor(x, r->height - y - h, w, h);
	glClearColor(red, green, blue, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
}

static void draw_stamp(const struct probe_render *r, int x, int y, uint32_t frame, uint64_t us)
{
	struct r3d_stamp stamp = {.frame = frame, .time_us = us};
	bool cells[R3D_STAMP_BITS];

	r3d_stamp_cells(&stamp, cells);
	fill(r, x, y, R3D_STAMP_WIDTH, R3D_STAMP_HEIGHT, 0, 0, 0);
	for (int i = 0; i < R3D_STAMP_BITS; i++)
		if (cells[i])
			fill(r, x + (i % R3D_STAMP_COLS) * R3D_STAMP_CELL,
			     y + (i / R3D_STAMP_COLS) * R3D_STAMP_CELL,
			     R3D_STAMP_CELL, R3D_STAMP_CELL, 1, 1, 1);
}

void probe_render_frame(struct probe_render *r, uint32_t frame, uint64_t time_us,
			uint32_t presses, uint64_t press_us)
{
	glViewport(0, 0, r->width, r->height);
	glClearColor(0, 0, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
	draw_scene(r, frame);

	glEnable(GL_SCISSOR_TEST);
	draw_stamp(r, 0, 0, frame, time_us);
	draw_stamp(r, 0, R3D_STAMP_HEIGHT, presses, press_us);
	float c[3] = {0, 0, 0};
	if (presses & 1)
		c[0] = c[1] = c[2] = 1;
	else if (presses)
		c[presses % 3] = 1;
	fill(r, R3D_SCENE_MARKER_X, R3D_SCENE_MARKER_Y, R3D_SCENE_MARKER_SIZE,
	     R3D_SCENE_MARKER_SIZE, c[0], c[1], c[2]);
	glDisable(GL_SCISSOR_TEST);
}
