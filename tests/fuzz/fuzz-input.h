/*
 * remote3d fuzz targets — turning libFuzzer's bytes into what a parser
 * takes: a command line, or a file.
 */
#ifndef REMOTE3D_TESTS_FUZZ_FUZZ_INPUT_H
#define REMOTE3D_TESTS_FUZZ_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUZZ_MAX_ARGS 64

/* A command line: argv[0] is the program's name, then one argument per
 * line of the input ('\n' separates; a NUL ends an argument early). The
 * parser may permute argv (getopt, GOption): the strings are freed from
 * the copy in owned[]. Each string is its own allocation, so that reading
 * past its end is an ASan error. */
struct fuzz_argv {
	int argc;
	char *argv[FUZZ_MAX_ARGS + 2];
	char *owned[FUZZ_MAX_ARGS + 2];
};

/* False when out of memory. At most FUZZ_MAX_ARGS arguments (the rest of
 * the input is ignored). */
bool fuzz_argv_init(struct fuzz_argv *a, const char *prog, const uint8_t *data, size_t size);
void fuzz_argv_finish(struct fuzz_argv *a);
/* True when some argument starts with one of the NULL-terminated
 * prefixes (what a harness must not let a parser do: exit, write). */
bool fuzz_argv_has_prefix(const struct fuzz_argv *a, const char *const *prefixes);
/* True when some argument contains needle. */
bool fuzz_argv_contains(const struct fuzz_argv *a, const char *needle);

/* The bytes as a file that a parser opens by name: a memfd rewritten for
 * each input, named "/proc/self/fd/N". NULL when it cannot be written. */
const char *fuzz_file(const uint8_t *data, size_t size);

#endif
