/*
 * remote3d — logging.
 *
 * One r3d_log() for the whole library, with file:line, printf-checked and
 * redirectable by the host program (QEMU wants error_report(), a test wants
 * to capture). The default handler prints "remote3d: <level>: msg" to
 * stderr; the default level is INFO, or DEBUG when R3D_DEBUG=1 is set.
 */
#ifndef REMOTE3D_LOG_H
#define REMOTE3D_LOG_H

#include <stdarg.h>

enum r3d_log_level {
	R3D_LOG_ERROR,
	R3D_LOG_WARN,
	R3D_LOG_INFO,
	R3D_LOG_DEBUG,
};

typedef void (*r3d_log_handler)(enum r3d_log_level level, const char *file, int line,
				const char *msg, void *opaque);

/* fn == NULL restores the default handler. */
void r3d_log_set_handler(r3d_log_handler fn, void *opaque);

void r3d_log_write(enum r3d_log_level level, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define r3d_log(level, ...) r3d_log_write((level), __FILE__, __LINE__, __VA_ARGS__)

/* Library errors are returned as malloc'ed strings through a `char **error`
 * argument (NULL allowed: then the message is only logged). The caller frees
 * the string with free(). Sets *error only when it is still NULL, so the
 * first, most specific cause wins. */
void r3d_set_error(char **error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
