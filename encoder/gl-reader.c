/* The encoder thread's shared EGL context (see remote3d/gl-reader.h). */
#include "remote3d-config.h"

#include <stdlib.h>
#include <string.h>

#include "remote3d/gl-reader.h"
#include "remote3d/log.h"

#if R3D_HAVE_GL
#include <epoxy/egl.h>
#include <epoxy/gl.h>

#include "gl-convert.h"

struct r3d_gl_reader {
	EGLDisplay dpy;
	EGLContext ctx;
	GLuint fbo;
	bool bound;
};

/* The attributes that make a context like the current one: same client
 * API and version; for desktop GL the same profile. */
static int context_attribs(EGLint api, EGLint *attrs)
{
	int n = 0, version = epoxy_gl_version();
	attrs[n++] = EGL_CONTEXT_MAJOR_VERSION;
	attrs[n++] = version / 10;
	attrs[n++] = EGL_CONTEXT_MINOR_VERSION;
	attrs[n++] = version % 10;
	if (api == EGL_OPENGL_API && version >= 32) {
		GLint mask = 0;
		glGetIntegerv(GL_CONTEXT_PROFILE_MASK, &mask);
		attrs[n++] = EGL_CONTEXT_OPENGL_PROFILE_MASK;
		attrs[n++] = (mask & GL_CONTEXT_COMPATIBILITY_PROFILE_BIT) ? EGL_CONTEXT_OPENGL_COMPATIBILITY_PROFILE_BIT
									    : EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT;
	}
	attrs[n++] = EGL_NONE;
	return n;
}

struct r3d_gl_reader *r3d_gl_reader_create(char **error)
{
	EGLDisplay dpy = eglGetCurrentDisplay();
	EGLContext host = eglGetCurrentContext();
	EGLint config_id = 0, api = 0;
	EGLConfig config = EGL_NO_CONFIG_KHR;
	EGLint attrs[16];

	if (dpy == EGL_NO_DISPLAY || host == EGL_NO_CONTEXT) {
		r3d_set_error(error, "gl reader: no current EGL context to share (a GLX host?)");
		return NULL;
	}
	if (!epoxy_has_egl_extension(dpy, "EGL_KHR_surfaceless_context")) {
		r3d_set_error(error, "gl reader: the EGL display has no EGL_KHR_surfaceless_context");
		return NULL;
	}
	if (!eglQueryContext(dpy, host, EGL_CONFIG_ID, &config_id) ||
	    !eglQueryContext(dpy, host, EGL_CONTEXT_CLIENT_TYPE, &api)) {
		r3d_set_error(error, "gl reader: cannot query the host's EGL context (0x%x)", eglGetError());
		return NULL;
	}
	if (config_id) {
		const EGLint want[] = { EGL_CONFIG_ID, config_id, EGL_NONE };
		EGLint n = 0;
		if (!eglChooseConfig(dpy, want, &config, 1, &n) || n < 1) {
			r3d_set_error(error, "gl reader: the host context's config %d is not found", config_id);
			return NULL;
		}
	} else if (!epoxy_has_egl_extension(dpy, "EGL_KHR_no_config_context") &&
		   !epoxy_has_egl_extension(dpy, "EGL_MESA_configless_context")) {
		r3d_set_error(error, "gl reader: the host context has no config and the display no "
			      "EGL_KHR_no_config_context");
		return NULL;
	}
	if (api != EGL_OPENGL_API && api != EGL_OPENGL_ES_API) {
		r3d_set_error(error, "gl reader: the host context is neither OpenGL nor OpenGL ES (0x%x)", api);
		return NULL;
	}
	struct r3d_gl_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		r3d_set_error(error, "gl reader: out of memory");
		return NULL;
	}
	context_attribs(api, attrs);
	EGLenum old_api = eglQueryAPI(); /* per thread: the host's binding is put back */
	eglBindAPI((EGLenum)api);
	r->ctx = eglCreateContext(dpy, config, host, attrs);
	EGLint err = eglGetError();
	eglBindAPI(old_api);
	if (r->ctx == EGL_NO_CONTEXT) {
		r3d_set_error(error, "gl reader: cannot create a context shared with the host's (%s %d.%d, 0x%x)",
			      api == EGL_OPENGL_API ? "GL" : "GLES", attrs[1], attrs[3], err);
		free(r);
		return NULL;
	}
	r->dpy = dpy;
	r3d_log(R3D_LOG_DEBUG, "gl reader: %s %d.%d context shared with the host's (config %d)",
		api == EGL_OPENGL_API ? "GL" : "GLES", attrs[1], attrs[3], config_id);
	return r;
}

bool r3d_gl_reader_driver_safe(char **reason)
{
	const char *renderer = (const char *)glGetString(GL_RENDERER);
	if (!renderer)
		renderer = "";
	if (strstr(renderer, "llvmpipe") || strstr(renderer, "softpipe") || strstr(renderer, "LLVMPIPE")) {
		r3d_set_error(reason, "%s: a software rasterizer, whose read in a shared context races with the "
			      "host's rendering (Mesa 22.3)", renderer);
		return false;
	}
	return true;
}

bool r3d_gl_reader_bind(struct r3d_gl_reader *r, char **error)
{
	if (!r) {
		r3d_set_error(error, "gl reader: none");
		return false;
	}
	if (r->bound)
		return true;
	if (!eglMakeCurrent(r->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, r->ctx)) {
		r3d_set_error(error, "gl reader: cannot make the shared context current (0x%x)", eglGetError());
		return false;
	}
	glGenFramebuffers(1, &r->fbo);
	if (!r->fbo) {
		r3d_set_error(error, "gl reader: glGenFramebuffers failed");
		eglMakeCurrent(r->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
		return false;
	}
	r->bound = true;
	return true;
}

bool r3d_gl_reader_read(struct r3d_gl_reader *r, struct r3d_gl_planes *planes, uint64_t timeout_us,
			struct r3d_raw_frame *out, char **error)
{
	if (!r || !r->bound || !planes || !planes->fence || !out) {
		r3d_set_error(error, "gl reader: not bound, or no fenced planes to read");
		return false;
	}
	GLenum w = glClientWaitSync((GLsync)planes->fence, 0, (GLuint64)timeout_us * 1000u);
	glDeleteSync((GLsync)planes->fence);
	planes->fence = NULL;
	if (w == GL_TIMEOUT_EXPIRED) {
		r3d_set_error(error, "gl reader: the conversion did not finish within %llu ms",
			      (unsigned long long)(timeout_us / 1000));
		return false;
	}
	if (w == GL_WAIT_FAILED) {
		r3d_set_error(error, "gl reader: waiting for the conversion failed (GL error 0x%x)", glGetError());
		return false;
	}
	if (planes->n_textures != gl_convert_plane_count(planes->format) ||
	    !r3d_raw_frame_alloc(out, planes->format, planes->width, planes->height)) {
		r3d_set_error(error, "gl reader: bad planes or out of memory for %dx%d", planes->width,
			      planes->height);
		return false;
	}
	return gl_convert_read_planes(planes->format, planes->textures, planes->width, planes->height, r->fbo,
				      out->planes[0], error);
}

void r3d_gl_reader_unbind(struct r3d_gl_reader *r)
{
	if (!r || !r->bound)
		return;
	glDeleteFramebuffers(1, &r->fbo);
	r->fbo = 0;
	eglMakeCurrent(r->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	r->bound = false;
}

void r3d_gl_reader_destroy(struct r3d_gl_reader *r)
{
	if (!r)
		return;
	if (r->ctx != EGL_NO_CONTEXT)
		eglDestroyContext(r->dpy, r->ctx);
	free(r);
}

#else

struct r3d_gl_reader *r3d_gl_reader_create(char **error)
{
	r3d_set_error(error, "gl reader: libremote3d was built without GL");
	return NULL;
}
bool r3d_gl_reader_driver_safe(char **reason)
{
	r3d_set_error(reason, "libremote3d was built without GL");
	return false;
}
bool r3d_gl_reader_bind(struct r3d_gl_reader *r, char **error)
{
	(void)r;
	r3d_set_error(error, "gl reader: libremote3d was built without GL");
	return false;
}
bool r3d_gl_reader_read(struct r3d_gl_reader *r, struct r3d_gl_planes *planes, uint64_t timeout_us,
			struct r3d_raw_frame *out, char **error)
{
	(void)r, (void)planes, (void)timeout_us, (void)out;
	r3d_set_error(error, "gl reader: libremote3d was built without GL");
	return false;
}
void r3d_gl_reader_unbind(struct r3d_gl_reader *r) { (void)r; }
void r3d_gl_reader_destroy(struct r3d_gl_reader *r) { (void)r; }

#endif
