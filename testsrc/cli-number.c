/*
 * remote3d-testsrc, remote3d-client — strict parsing of numeric options.
 * strtol/strtod alone accept " 5", "+5", "5 " (with a check of the end
 * only for the empty case), "nan", "inf" and "0x1p3": each of those once
 * made an option run forever or wrap around.
 */
#include "cli-number.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool starts_like_a_number(const char *s)
{
	if (!s || !*s)
		return false;
	if (*s == '-')
		s++;
	return (*s >= '0' && *s <= '9') || (*s == '.' && s[1] >= '0' && s[1] <= '9');
}

bool r3d_cli_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!starts_like_a_number(s) || strspn(s, "-0123456789") != strlen(s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool r3d_cli_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	/* decimal digits, a point, an exponent: no "nan", "inf" or hex */
	if (!starts_like_a_number(s) || strspn(s, "-+.0123456789eE") != strlen(s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}
