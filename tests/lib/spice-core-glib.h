/*
 * spice-server's core interface (timers, fd watches) on a GLib main
 * context, for remote3d-testsrc and the stream-device fixture.
 */
#ifndef R3D_TESTS_LIB_SPICE_CORE_GLIB_H
#define R3D_TESTS_LIB_SPICE_CORE_GLIB_H

#include <glib.h>
#include <spice.h>

/* The core interface spice-server calls (always from the thread that runs
 * `context`). SpiceCoreInterface has no opaque pointer, so the context is
 * kept by this module: one per process. NULL = the default context. */
SpiceCoreInterface *r3d_spice_core_glib_get(GMainContext *context);

#endif
