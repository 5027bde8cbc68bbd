/*
 * remote3d fuzz targets — libFuzzer's bytes as a command line or a file.
 */
#include "fuzz-input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

bool fuzz_argv_init(struct fuzz_argv *a, const char *prog, const uint8_t *data, size_t size)
{
	size_t start = 0;

	memset(a, 0, sizeof(*a));
	a->owned[a->argc++] = strdup(prog);
	if (!a->owned[0])
		return false;
	while (start < size && a->argc <= FUZZ_MAX_ARGS) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = strnlen((const char *)data + start, end - start);
		char *s = malloc(len + 1);

		if (!s)
			return false;
		memcpy(s, data + start, len);
		s[len] = '\0';
		a->owned[a->argc++] = s;
		start = end + 1;
	}
	memcpy(a->argv, a->owned, sizeof(a->argv));
	return true;
}

void fuzz_argv_finish(struct fuzz_argv *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->owned[i]);
	memset(a, 0, sizeof(*a));
}

bool fuzz_argv_has_prefix(const struct fuzz_argv *a, const char *const *prefixes)
{
	for (int i = 1; i < a->argc; i++)
		for (const char *const *p = prefixes; *p; p++)
			if (strncmp(a->owned[i], *p, strlen(*p)) == 0)
				return true;
	return false;
}

bool fuzz_argv_contains(const struct fuzz_argv *a, const char *needle)
{
	for (int i = 1; i < a->argc; i++)
		if (strstr(a->owned[i], needle))
			return true;
	return false;
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[32];

	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd < 0)
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0)
		return NULL;
	for (size_t done = 0; done < size;) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
		if (n <= 0)
			return NULL;
		done += (size_t)n;
	}
	return path;
}
