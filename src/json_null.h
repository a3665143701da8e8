/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * JSON for values that may be missing, as the HTTP face writes them: a
 * NAN or infinite number (JSON has none) and a NULL string are null.
 */
#include <jansson.h>
#include <math.h>

static inline json_t *
json_number_or_null(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

static inline json_t *
json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}
