/*
 * remote3d — reading converted frames on another thread, in an EGL context
 * shared with the host's.
 *
 * The owner thread (QEMU's main loop: virgl renders there) converts a frame
 * on the GPU and fences it (r3d_extractor_gl_convert); the reader, on the
 * encoder's thread, waits for that fence and reads the planes with its own
 * framebuffer object (FBOs are not shared between contexts, textures and
 * fences are). So the owner thread never waits for the GPU, and on a
 * software rasterizer (llvmpipe) the read does not wait for what the host
 * renders after the conversion either: llvmpipe waits only for the scenes
 * of the reading context.
 *
 * No host change: the reader's context is made from whatever EGL context is
 * current when r3d_gl_reader_create() runs (same display, config, client
 * API and version, shared with it), made current surfaceless
 * (EGL_KHR_surfaceless_context). A host without a current EGL context (GLX)
 * gets an error naming the reason, and the caller reads on its own thread.
 */
#ifndef REMOTE3D_GL_READER_H
#define REMOTE3D_GL_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "remote3d/extractor.h"
#include "remote3d/frame.h"

struct r3d_gl_reader;

/* Owner thread, the host's EGL context current: a context shared with it,
 * current nowhere yet. NULL + *error: no current EGL context (GLX host), no
 * surfaceless contexts, or context creation failed. */
struct r3d_gl_reader *r3d_gl_reader_create(char **error);

/* Owner thread, the host's context current: false + *reason where the
 * driver is known to be unsafe for a read in a shared context while the
 * host renders in its own: Mesa 22.3's llvmpipe (Debian 12) crashes now and
 * then when the two contexts flush at the same time (in glGetTexImage or
 * glReadPixels on the reader thread while the host draws). */
bool r3d_gl_reader_driver_safe(char **reason);

/* Reader thread: make the shared context current on the calling thread
 * (once; it stays current until unbind). */
bool r3d_gl_reader_bind(struct r3d_gl_reader *r, char **error);
/* Reader thread, bound: wait for planes->fence (at most timeout_us; an
 * error when it expires), delete it, read the planes into out (its own
 * storage, (re)allocated as needed). */
bool r3d_gl_reader_read(struct r3d_gl_reader *r, struct r3d_gl_planes *planes, uint64_t timeout_us,
			struct r3d_raw_frame *out, char **error);
/* Reader thread: free the reader's GL objects, release the context. */
void r3d_gl_reader_unbind(struct r3d_gl_reader *r);
/* Any thread, once the reader is unbound. NULL ok. */
void r3d_gl_reader_destroy(struct r3d_gl_reader *r);

#endif
