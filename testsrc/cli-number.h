/*
 * remote3d-testsrc, remote3d-client — strict parsing of numeric options.
 *
 * A value is the whole argument: no leading blanks or '+', nothing after
 * the number, no NaN, infinity or hex, no overflow, inside [min, max].
 */
#ifndef REMOTE3D_TESTSRC_CLI_NUMBER_H
#define REMOTE3D_TESTSRC_CLI_NUMBER_H

#include <stdbool.h>

/* A decimal integer in [min, max]. */
bool r3d_cli_parse_long(const char *s, long min, long max, long *out);
/* A finite decimal number (1.5, 2e3) in [min, max]. */
bool r3d_cli_parse_double(const char *s, double min, double max, double *out);

#endif
