/* SPDX-License-Identifier: MIT */
/*
 * Loading the configuration. The only file that includes <libconfig.h>:
 * defaults first (conf_keys.c), then every setting of the file is matched
 * against the key table, type- and range-checked, and copied into struct
 * hm_conf; lists (probes) and maps (checks) of groups are parsed with the
 * same walker into arrays of their own structs.
 * Unknown keys, wrong types and out-of-range values are errors that name the
 * file and line. libconfig owns the strings it returns, so everything is
 * copied before config_destroy().
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_table.h"
#include "util.h"

struct parse_ctx {
	const char *name; /* file name for errors */
	char *error;      /* owned: the first error */
};

static int _printf_(3, 4)
fail(struct parse_ctx *p, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = s ? config_setting_source_file(s) : NULL;
	int line = s ? config_setting_source_line(s) : 0;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->error = xasprintf("%s:%d: %s", file ? file : p->name, line, msg);
	return -EINVAL;
}

/* Runs a key's extra check on one string. */
static int
validate(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *k,
	const char *path, const char *v)
{
	_cleanup_free_ char *msg = NULL;

	if (!k->validate || k->validate(v, &msg) >= 0)
		return 0;
	return fail(p, s, "'%s' %s", path, msg);
}

static int
parse_string(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *k,
	const char *path, const char **ret)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(p, s, "'%s' must be a string", path);
	v = config_setting_get_string(s);
	if (strlen(v) > 4096)
		return fail(p, s, "'%s' is too long", path);
	if (k->type == CONF_NAME && !name_is_valid(v))
		return fail(p, s, "'%s' is '%s', must be 1 to %d characters of "
				  "A-Z a-z 0-9 . _ - not starting with . or -",
			path, v, NAME_MAX_LEN);
	if (k->type == CONF_PATH && v[0] != '/')
		return fail(p, s, "'%s' is '%s', must be an absolute path", path, v);
	if (k->type == CONF_STRING && !*v)
		return fail(p, s, "'%s' must not be empty", path);
	if (validate(p, s, k, path, v) < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
parse_strv(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *k,
	const char *path, char ***ret)
{
	_cleanup_(strv_freep) char **v = strv_copy(NULL);
	int n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return fail(p, s, "'%s' must be a list of strings, like [ \"a\", \"b\" ]",
			path);
	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *str;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(p, e, "'%s' must be a list of strings, but element %d is not",
				path, i + 1);
		str = config_setting_get_string(e);
		if (!*str)
			return fail(p, e, "'%s' must not hold an empty string", path);
		if (validate(p, e, k, path, str) < 0)
			return -EINVAL;
		strv_push(&v, str);
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static int
parse_number(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *k,
	const char *path, double *ret)
{
	double v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		if (k->type == CONF_UINT)
			return fail(p, s, "'%s' must be an integer", path);
		v = config_setting_get_float(s);
		break;
	case CONFIG_TYPE_STRING:
		if (k->none_ok && strcmp(config_setting_get_string(s), "none") == 0) {
			*ret = NAN;
			return 0;
		}
		/* FALLTHROUGH */
	default:
		return fail(p, s, "'%s' must be %s", path,
			k->type == CONF_UINT ? "an integer"
			: k->none_ok	     ? "a number or \"none\""
					     : "a number");
	}
	if (!isfinite(v) || v < k->min || v > k->max)
		return fail(p, s, "'%s' is %.15g, must be between %.15g and %.15g", path, v,
			k->min, k->max);
	*ret = v;
	return 0;
}

static int
parse_enum(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *k,
	const char *path, int *ret)
{
	const char *str;
	int v;

	if (parse_string(p, s, k, path, &str) < 0)
		return -EINVAL;
	v = k->enumeration->from_string(str);
	if (v < 0)
		return fail(p, s, "'%s' is '%s', must be one of %s", path, str,
			k->enumeration->choices);
	*ret = v;
	return 0;
}

static int parse_group(struct parse_ctx *p, const config_setting_t *group,
	const struct conf_key *keys, const char *prefix, void *base);
static int parse_array(struct parse_ctx *p, const config_setting_t *s,
	const struct conf_key *k, const char *path, void *base);

/* Parses setting s as key k into the field of base that k names. */
static int
parse_key(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *k,
	const char *path, void *base)
{
	void *field = (char *)base + k->offset;
	const char *str;
	char **v = NULL;
	double d = 0;

	switch (k->type) {
	case CONF_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return fail(p, s, "'%s' must be true or false", path);
		*(bool *)field = config_setting_get_bool(s);
		return 0;
	case CONF_UINT:
	case CONF_DOUBLE:
		if (parse_number(p, s, k, path, &d) < 0)
			return -EINVAL;
		if (k->type == CONF_UINT)
			*(unsigned *)field = (unsigned)d;
		else
			*(double *)field = d;
		return 0;
	case CONF_STRING:
	case CONF_NAME:
	case CONF_PATH:
		if (parse_string(p, s, k, path, &str) < 0)
			return -EINVAL;
		free(*(char **)field);
		*(char **)field = xstrdup(str);
		return 0;
	case CONF_STRV:
		if (parse_strv(p, s, k, path, &v) < 0)
			return -EINVAL;
		strv_free(*(char ***)field);
		*(char ***)field = v;
		return 0;
	case CONF_ENUM:
		return parse_enum(p, s, k, path, field);
	case CONF_GROUP:
		if (!config_setting_is_group(s))
			return fail(p, s, "'%s' must be a group, like %s = { ... };", path,
				path);
		return parse_group(p, s, k->children, path, base);
	case CONF_LIST:
	case CONF_MAP:
		return parse_array(p, s, k, path, base);
	}
	return -EINVAL;
}

static int
parse_group(struct parse_ctx *p, const config_setting_t *group,
	const struct conf_key *keys, const char *prefix, void *base)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct conf_key *k = keys;
		_cleanup_free_ char *path = NULL;

		path = prefix ? xasprintf("%s.%s", prefix, name) : xstrdup(name);
		while (k->name && strcmp(k->name, name) != 0)
			k++;
		if (!k->name)
			return fail(p, s, "unknown key '%s'", path);
		if (parse_key(p, s, k, path, base) < 0)
			return -EINVAL;
	}
	return 0;
}

/* The element of the array named name, or NULL. */
static void *
find_elem(const struct conf_array *a, char *elems, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++) {
		void *e = elems + i * a->elem_size;
		const char *n = *(char **)((char *)e + a->name_offset);

		if (n && strcmp(n, name) == 0)
			return e;
	}
	return NULL;
}

/* Appends a defaulted element to the array behind key k of base. */
static void *
add_elem(const struct conf_key *k, void *base)
{
	char **elems = (char **)((char *)base + k->offset);
	size_t *count = (size_t *)((char *)base + k->array->count_offset);
	void *e;

	*elems = xrealloc(*elems, (*count + 1) * k->array->elem_size);
	e = *elems + *count * k->array->elem_size;
	conf_array_init_elem(k->array, e);
	(*count)++;
	return e;
}

static int
check_required(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *keys,
	const char *path, void *elem)
{
	for (const struct conf_key *k = keys; k->name; k++)
		if (k->required && !*(char **)((char *)elem + k->offset))
			return fail(p, s, "'%s' needs '%s'", path, k->name);
	return 0;
}

/*
 * A list `( { name = "a"; ... }, ... )` adds elements named by their name
 * key, which must be unique. A map `{ a = { ... }; }` names elements by their
 * group's name: a name that exists (a default) is changed, a new one added.
 */
static int
parse_array(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *k,
	const char *path, void *base)
{
	size_t name_off = k->array->name_offset;
	int n = config_setting_length(s);

	if (k->type == CONF_LIST ? !config_setting_is_list(s) : !config_setting_is_group(s))
		return fail(p, s, "'%s' must be %s", path,
			k->type == CONF_LIST ? "a list of groups, like ( { ... }, { ... } )"
					     : "a group of named groups, like { name = { ... }; }");
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		size_t count = *(size_t *)((char *)base + k->array->count_offset);
		char *elems = *(char **)((char *)base + k->offset);
		const char *name = config_setting_name(g);
		_cleanup_free_ char *epath = NULL;
		void *e;

		epath = k->type == CONF_MAP ? xasprintf("%s.%s", path, name)
					    : xasprintf("%s[%d]", path, i);
		if (!config_setting_is_group(g))
			return fail(p, g, "'%s' must be a group { ... }", epath);
		if (k->type == CONF_MAP && !name_is_valid(name))
			return fail(p, g, "'%s': '%s' is no valid name", path, name);
		e = k->type == CONF_MAP ? find_elem(k->array, elems, count, name) : NULL;
		if (!e) {
			e = add_elem(k, base);
			if (k->type == CONF_MAP)
				*(char **)((char *)e + name_off) = xstrdup(name);
		}
		if (parse_group(p, g, k->children, epath, e) < 0 ||
			check_required(p, g, k->children, epath, e) < 0)
			return -EINVAL;
		/* add_elem may have moved the array: look again. */
		elems = *(char **)((char *)base + k->offset);
		if (k->type == CONF_LIST &&
			find_elem(k->array, elems, count, *(char **)((char *)e + name_off)))
			return fail(p, g, "'%s': a second one named '%s'", path,
				*(char **)((char *)e + name_off));
	}
	return 0;
}

/*
 * Two libconfig 1.5 quirks are caught before it sees the text, scanning it
 * with strings and comments skipped. It stores a decimal literal above
 * INT_MAX that lacks the L suffix as a truncated int (99999999999 reads as
 * 1215752191), so a range check after parsing could pass a wrong value. And
 * on some bad @include directives it calls exit(), which would end a daemon
 * reloading its configuration; healthmond's config has no use for them.
 */
static int
prescan_text(const char *text, const char *name, char **ret_error)
{
	unsigned line = 1;

	for (const char *s = text; *s; s++) {
		if (*s == '\n')
			line++;
		else if (*s == '"') {
			for (s++; *s && *s != '"'; s++)
				if (*s == '\\' && s[1])
					s++;
			if (!*s)
				break;
		} else if (*s == '#' || (*s == '/' && s[1] == '/')) {
			s += strcspn(s, "\n") - 1;
		} else if (*s == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");

			for (const char *q = s; q < (end ? end : s + strlen(s)); q++)
				line += *q == '\n';
			if (!end)
				break;
			s = end + 1;
		} else if (*s == '@') {
			*ret_error = xasprintf("%s:%u: directives such as @include are not "
					       "supported",
				name, line);
			return -EINVAL;
		} else if (isdigit((unsigned char)*s) &&
			(s == text || !(isalnum((unsigned char)s[-1]) || s[-1] == '.' ||
					s[-1] == '_'))) {
			size_t n = strspn(s, "0123456789");

			if (!(s[n] && strchr(".eExXL", s[n])) && (n > 10 || strtoll(s, NULL, 10) > INT_MAX)) {
				*ret_error = xasprintf("%s:%u: integer %.*s is too large", name,
					line, (int)MIN(n, (size_t)24), s);
				return -EINVAL;
			}
			s += n - 1;
		}
	}
	return 0;
}

/* Reads the text already loaded into cfg (or the error libconfig gave). */
static int
load_config(config_t *cfg, int read_ok, const char *name, struct hm_conf **ret,
	char **ret_error)
{
	_cleanup_(conf_freep) struct hm_conf *c = conf_new_default();
	struct parse_ctx p = { .name = name };

	if (!read_ok) {
		const char *file = config_error_file(cfg);

		*ret_error = xasprintf("%s:%d: %s", file ? file : name,
			config_error_line(cfg), config_error_text(cfg));
		return -EINVAL;
	}
	if (parse_group(&p, config_root_setting(cfg), conf_keys, NULL, c) < 0) {
		*ret_error = p.error;
		return -EINVAL;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

int
conf_load_string(const char *text, const char *name, struct hm_conf **ret,
	char **ret_error)
{
	config_t cfg;
	int r;

	r = prescan_text(text, name, ret_error);
	if (r < 0)
		return r;
	config_init(&cfg);
	r = load_config(&cfg, config_read_string(&cfg, text), name, ret, ret_error);
	config_destroy(&cfg);
	return r;
}

int
conf_load(const char *path, struct hm_conf **ret, char **ret_error)
{
	_cleanup_free_ char *text = NULL;
	struct hm_conf *c;
	config_t cfg;
	int r;

	if (!path) {
		*ret = conf_new_default();
		return 0;
	}
	/* Read it ourselves first: libconfig says only "file I/O error". */
	r = read_file_at(NULL, path, 1 << 20, &text, NULL);
	if (r < 0) {
		*ret_error = xasprintf("%s: %s", path,
			r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
		return r;
	}
	r = prescan_text(text, path, ret_error);
	if (r < 0)
		return r;
	config_init(&cfg);
	r = load_config(&cfg, config_read_file(&cfg, path), path, &c, ret_error);
	config_destroy(&cfg);
	if (r < 0)
		return r;
	c->path = xstrdup(path);
	*ret = c;
	return 0;
}

