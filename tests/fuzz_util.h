/* SPDX-License-Identifier: MIT */
/* Comparisons the fuzz targets' round-trip oracles share. */
#ifndef HM_FUZZ_UTIL_H
#define HM_FUZZ_UTIL_H

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Equal doubles, NAN equal to NAN, -0 different from 0. */
static inline bool
same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0;
}

/* Equal strings, or both NULL. */
static inline bool
same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

#endif
