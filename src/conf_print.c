/* SPDX-License-Identifier: MIT */
/*
 * Writing the effective configuration back as libconfig text (`-nv`), and
 * comparing two configurations, both by walking the same key table the
 * loader uses. The output parses back to an equal configuration.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_table.h"
#include "util.h"

/* Writes s as a libconfig string literal. */
static void
print_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* Writes a list, wrapped so that no line grows much past 80 columns. */
static void
print_strv(FILE *f, const char *name, char *const *v, int depth)
{
	size_t column = (size_t)depth * 8 + strlen(name) + 4;

	fprintf(f, "%s = [", name);
	for (size_t i = 0; v && v[i]; i++) {
		size_t width = strlen(v[i]) + 4;

		if (i > 0 && column + width > 80) {
			fprintf(f, ",\n%*s", (depth + 1) * 8, "");
			column = (size_t)(depth + 1) * 8;
		} else
			fputs(i > 0 ? ", " : " ", f);
		print_string(f, v[i]);
		column += width;
	}
	fputs(" ];\n", f);
}

static void print_keys(const void *base, const struct conf_key *keys, FILE *f,
	int depth);

/* The shortest form that reads back as the same double. */
static void
print_double(FILE *f, double v)
{
	char buf[64];

	if (isnan(v)) {
		fputs("\"none\"", f);
		return;
	}
	(void)snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		(void)snprintf(buf, sizeof(buf), "%.17g", v);
	/* libconfig reads "90" as an integer; a float keeps its type visible. */
	if (!strpbrk(buf, ".eEn"))
		strcat(buf, ".0");
	fputs(buf, f);
}

/* Elements of a list print as ( { ... }, ... ), of a map as name = { ... }; */
static void
print_array(const void *base, const struct conf_key *k, FILE *f, int depth)
{
	size_t count = *(const size_t *)((const char *)base + k->array->count_offset);
	const char *elems = *(char *const *)((const char *)base + k->offset);

	fprintf(f, "%s = %s\n", k->name, k->type == CONF_LIST ? "(" : "{");
	for (size_t i = 0; i < count; i++) {
		const void *e = elems + i * k->array->elem_size;
		const char *name = *(char *const *)((const char *)e + k->array->name_offset);

		if (k->type == CONF_LIST)
			fprintf(f, "%*s{\n", (depth + 1) * 8, "");
		else
			fprintf(f, "%*s%s = {\n", (depth + 1) * 8, "", name);
		print_keys(e, k->children, f, depth + 2);
		fprintf(f, "%*s}%s\n", (depth + 1) * 8, "",
			k->type == CONF_MAP ? ";" : i + 1 < count ? "," : "");
	}
	fprintf(f, "%*s%s;\n", depth * 8, "", k->type == CONF_LIST ? ")" : "}");
}

static void
print_key(const void *base, const struct conf_key *k, FILE *f, int depth)
{
	const void *field = (const char *)base + k->offset;

	switch (k->type) {
	case CONF_BOOL:
		fprintf(f, "%s = %s;\n", k->name, *(const bool *)field ? "true" : "false");
		break;
	case CONF_UINT:
		fprintf(f, "%s = %u;\n", k->name, *(const unsigned *)field);
		break;
	case CONF_DOUBLE:
		fprintf(f, "%s = ", k->name);
		print_double(f, *(const double *)field);
		fputs(";\n", f);
		break;
	case CONF_STRING:
	case CONF_NAME:
	case CONF_PATH:
		if (!*(char *const *)field) {
			fprintf(f, "# %s is unset: %s\n", k->name, k->unset_note);
			break;
		}
		fprintf(f, "%s = ", k->name);
		print_string(f, *(char *const *)field);
		fputs(";\n", f);
		break;
	case CONF_STRV:
		print_strv(f, k->name, *(char **const *)field, depth);
		break;
	case CONF_ENUM:
		fprintf(f, "%s = \"%s\";\n", k->name,
			k->enumeration->to_string(*(const int *)field));
		break;
	case CONF_GROUP:
		fprintf(f, "%s = {\n", k->name);
		print_keys(base, k->children, f, depth + 1);
		fprintf(f, "%*s};\n", depth * 8, "");
		break;
	case CONF_LIST:
	case CONF_MAP:
		print_array(base, k, f, depth);
		break;
	}
}

static void
print_keys(const void *base, const struct conf_key *keys, FILE *f, int depth)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		fprintf(f, "%*s", depth * 8, "");
		print_key(base, k, f, depth);
	}
}

void
conf_print(const struct hm_conf *c, FILE *f)
{
	fputs("# healthmond effective configuration\n", f);
	print_keys(c, conf_keys, f, 0);
}

static bool
strings_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool keys_equal(const void *a, const void *b, const struct conf_key *keys);

static bool
arrays_equal(const void *a, const void *b, const struct conf_key *k)
{
	size_t na = *(const size_t *)((const char *)a + k->array->count_offset);
	size_t nb = *(const size_t *)((const char *)b + k->array->count_offset);
	const char *ea = *(char *const *)((const char *)a + k->offset);
	const char *eb = *(char *const *)((const char *)b + k->offset);
	size_t name = k->array->name_offset;

	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		const char *x = ea + i * k->array->elem_size, *y = eb + i * k->array->elem_size;

		if (!strings_equal(*(char *const *)(x + name), *(char *const *)(y + name)) ||
			!keys_equal(x, y, k->children))
			return false;
	}
	return true;
}

static bool
key_equal(const void *a, const void *b, const struct conf_key *k)
{
	const void *fa = (const char *)a + k->offset;
	const void *fb = (const char *)b + k->offset;
	double da, db;

	switch (k->type) {
	case CONF_BOOL:
		return *(const bool *)fa == *(const bool *)fb;
	case CONF_UINT:
	case CONF_ENUM:
		return *(const int *)fa == *(const int *)fb;
	case CONF_DOUBLE:
		da = *(const double *)fa;
		db = *(const double *)fb;
		return da == db || (isnan(da) && isnan(db));
	case CONF_STRING:
	case CONF_NAME:
	case CONF_PATH:
		return strings_equal(*(char *const *)fa, *(char *const *)fb);
	case CONF_STRV:
		return strv_equal(*(char **const *)fa, *(char **const *)fb);
	case CONF_GROUP:
		return keys_equal(a, b, k->children);
	case CONF_LIST:
	case CONF_MAP:
		return arrays_equal(a, b, k);
	}
	return false;
}

static bool
keys_equal(const void *a, const void *b, const struct conf_key *keys)
{
	for (const struct conf_key *k = keys; k->name; k++)
		if (!key_equal(a, b, k))
			return false;
	return true;
}

bool
conf_equal(const struct hm_conf *a, const struct hm_conf *b)
{
	return keys_equal(a, b, conf_keys);
}
