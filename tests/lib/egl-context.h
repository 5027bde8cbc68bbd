/*
 * A headless EGL GL context (EGL_PLATFORM_SURFACELESS_MESA) for the test
 * scene, tests and benchmarks: no window, no render node needed (llvmpipe
 * here; a GPU's driver where Mesa has one). Hosts such as QEMU bring their
 * own context.
 */
#ifndef R3D_TESTS_LIB_EGL_CONTEXT_H
#define R3D_TESTS_LIB_EGL_CONTEXT_H

#include <stdbool.h>

struct r3d_egl;

/* Desktop GL core profile >= 3.3, made current on the calling thread.
 * NULL + *error when the platform or a config is missing. */
struct r3d_egl *r3d_egl_create_surfaceless(char **error);
bool r3d_egl_make_current(struct r3d_egl *egl);
/* "LLVMPIPE (LLVM 15.0.6, 256 bits)" etc. (valid while the context lives) */
const char *r3d_egl_renderer(struct r3d_egl *egl);
void r3d_egl_destroy(struct r3d_egl *egl); /* NULL ok */

#endif
