#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/log.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static r3d_log_handler log_handler;
static void *log_opaque;
static int log_level = -1; /* -1: not decided yet (reads R3D_DEBUG) */

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static const char *level_name(enum r3d_log_level level)
{
	return (unsigned)level < 4 ? level_names[level] : "?";
}

void r3d_log_set_handler(r3d_log_handler fn, void *opaque)
{
	pthread_mutex_lock(&log_lock);
	log_handler = fn;
	log_opaque = opaque;
	pthread_mutex_unlock(&log_lock);
}

static enum r3d_log_level current_level(void)
{
	int level;

	pthread_mutex_lock(&log_lock);
	if (log_level < 0) {
		const char *env = getenv("R3D_DEBUG");
		log_level = env && *env && strcmp(env, "0") != 0 ? R3D_LOG_DEBUG : R3D_LOG_INFO;
	}
	level = log_level;
	pthread_mutex_unlock(&log_lock);
	return (enum r3d_log_level)level;
}

__attribute__((format(printf, 4, 0))) static void write_v(enum r3d_log_level level, const char *file, int line,
							   const char *fmt, va_list ap)
{
	char msg[1024];
	r3d_log_handler fn;
	void *opaque;

	if (level > current_level())
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pthread_mutex_lock(&log_lock);
	fn = log_handler;
	opaque = log_opaque;
	pthread_mutex_unlock(&log_lock);
	if (fn) {
		fn(level, file, line, msg, opaque);
		return;
	}
	if (level == R3D_LOG_DEBUG)
		fprintf(stderr, "remote3d: %s: %s (%s:%d)\n", level_name(level), msg, file, line);
	else
		fprintf(stderr, "remote3d: %s: %s\n", level_name(level), msg);
}

void r3d_log_write(enum r3d_log_level level, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_v(level, file, line, fmt, ap);
	va_end(ap);
}

void r3d_set_error(char **error, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	r3d_log(R3D_LOG_DEBUG, "error: %s", msg);
	if (error && !*error)
		*error = msg;
	else
		free(msg);
}
