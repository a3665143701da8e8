/* SPDX-License-Identifier: MIT */
/*
 * Type-checked access to the fields of the daemon's JSON answers. The
 * daemon is outside input to the client: a field of the wrong type, or a
 * required one missing, is a malformed answer, reported with the object and
 * the key, never a crash or a silently wrong table.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl_internal.h"
#include "util.h"

int
ctl_json_malformed(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "healthmondctl: malformed answer from healthmond: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EBADMSG;
}

static json_t *
field(const json_t *o, const char *key)
{
	return json_is_object(o) ? json_object_get(o, key) : NULL;
}

int
ctl_json_string(const json_t *o, const char *key, const char *what, const char **ret)
{
	json_t *v = field(o, key);

	if (!v)
		return ctl_json_malformed(what, "no '%s'", key);
	if (!json_is_string(v))
		return ctl_json_malformed(what, "'%s' is not a string", key);
	*ret = json_string_value(v);
	return 0;
}

int
ctl_json_string_or_null(
	const json_t *o, const char *key, const char *what, const char **ret)
{
	json_t *v = field(o, key);

	if (!v || json_is_null(v)) {
		*ret = NULL;
		return 0;
	}
	return ctl_json_string(o, key, what, ret);
}

int
ctl_json_number(const json_t *o, const char *key, const char *what, double *ret)
{
	json_t *v = field(o, key);

	if (!v || json_is_null(v)) {
		*ret = NAN;
		return 0;
	}
	if (!json_is_number(v))
		return ctl_json_malformed(what, "'%s' is not a number", key);
	*ret = json_number_value(v);
	return 0;
}

int
ctl_json_count(const json_t *o, const char *key, const char *what, int64_t *ret)
{
	json_t *v = field(o, key);

	if (!v || json_is_null(v)) {
		*ret = -1;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return ctl_json_malformed(what, "'%s' is not a whole number >= 0", key);
	*ret = (int64_t)json_integer_value(v);
	return 0;
}

int
ctl_json_array(const json_t *o, const char *key, const char *what, json_t **ret)
{
	json_t *v = field(o, key);

	if (!v)
		return ctl_json_malformed(what, "no '%s'", key);
	if (!json_is_array(v))
		return ctl_json_malformed(what, "'%s' is not an array", key);
	*ret = v;
	return 0;
}

int
ctl_json_objects(const json_t *o, const char *key, const char *what,
	int (*check)(const json_t *element, const char *what), json_t **ret)
{
	json_t *array, *e;
	size_t i;

	if (ctl_json_array(o, key, what, &array) < 0)
		return -EBADMSG;
	json_array_foreach (array, i, e) {
		char where[128];

		(void)snprintf(where, sizeof(where), "%s: %s[%zu]", what, key, i);
		if (!json_is_object(e))
			return ctl_json_malformed(where, "not an object");
		if (check(e, where) < 0)
			return -EBADMSG;
	}
	*ret = array;
	return 0;
}

int
ctl_json_object_or_null(
	const json_t *o, const char *key, const char *what, json_t **ret)
{
	json_t *v = field(o, key);

	if (!v || json_is_null(v)) {
		*ret = NULL;
		return 0;
	}
	if (!json_is_object(v))
		return ctl_json_malformed(what, "'%s' is not an object", key);
	*ret = v;
	return 0;
}

int
ctl_json_state(const json_t *o, const char *key, const char *what, enum ctl_state *ret)
{
	const char *s;
	int r;

	r = ctl_json_string(o, key, what, &s);
	if (r < 0)
		return r;
	r = ctl_state_from_string(s);
	/* The API writes them in lower case; ctl_state_from_string() is lenient. */
	if (r < 0 || strcmp(s, ctl_state_to_string(r)) != 0) {
		_cleanup_free_ char *clean = ctl_fmt_clean(s);

		return ctl_json_malformed(
			what, "'%s' is '%s', not a state", key, clean);
	}
	*ret = (enum ctl_state)r;
	return 0;
}
