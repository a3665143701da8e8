/* SPDX-License-Identifier: MIT */
/*
 * Loading the configuration. The only file that includes <libconfig.h>:
 * defaults first, then every setting of the file is matched against the
 * key table, type- and range-checked, and copied into struct hm_conf.
 * Unknown keys, wrong types and out-of-range values are errors that name the
 * file and line. libconfig owns the strings it returns, so everything is
 * copied before config_destroy().
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_table.h"
#include "util.h"

#define KEY(n, t, field) { .name = n, .type = t, .offset = offsetof(struct hm_conf, field) }
#define UINT_KEY(n, field, lo, hi)                                                   \
	{ .name = n, .type = CONF_UINT, .offset = offsetof(struct hm_conf, field),   \
	  .min = lo, .max = hi }
#define GROUP(n, keys) { .name = n, .type = CONF_GROUP, .children = keys }
#define OPTIONAL(n, t, field, note)                                                  \
	{ .name = n, .type = t, .offset = offsetof(struct hm_conf, field),           \
	  .unset_note = note }

static const struct conf_key cpu_keys[] = {
	KEY("enabled", CONF_BOOL, cpu.enabled),
	KEY("per_core", CONF_BOOL, cpu.per_core),
	{ NULL },
};
static const struct conf_key memory_keys[] = { KEY("enabled", CONF_BOOL, memory), { NULL } };
static const struct conf_key swap_keys[] = { KEY("enabled", CONF_BOOL, swap), { NULL } };
static const struct conf_key load_keys[] = { KEY("enabled", CONF_BOOL, load), { NULL } };
static const struct conf_key uptime_keys[] = { KEY("enabled", CONF_BOOL, uptime), { NULL } };
static const struct conf_key disk_space_keys[] = {
	KEY("enabled", CONF_BOOL, disk_space.enabled),
	KEY("ignore_fstypes", CONF_STRV, disk_space.ignore_fstypes),
	KEY("mountpoints", CONF_STRV, disk_space.mountpoints),
	{ NULL },
};
static const struct conf_key disk_io_keys[] = {
	KEY("enabled", CONF_BOOL, disk_io.enabled),
	KEY("devices", CONF_STRV, disk_io.devices),
	{ NULL },
};
static const struct conf_key network_keys[] = {
	KEY("enabled", CONF_BOOL, network.enabled),
	KEY("interfaces", CONF_STRV, network.interfaces),
	KEY("ignore_interfaces", CONF_STRV, network.ignore_interfaces),
	{ NULL },
};

const struct conf_key conf_keys[] = {
	OPTIONAL("hostname", CONF_NAME, hostname, "the system's host name is used"),
	UINT_KEY("interval", interval, CONF_INTERVAL_MIN, CONF_INTERVAL_MAX),
	OPTIONAL("datadir", CONF_PATH, datadir,
		"$STATE_DIRECTORY is used, else " CONF_DEFAULT_DATADIR),
	KEY("root_dir", CONF_PATH, root_dir),
	KEY("log", CONF_LOG_TARGET, log_target),
	KEY("log_level", CONF_LOG_LEVEL, log_level),
	GROUP("cpu", cpu_keys),
	GROUP("memory", memory_keys),
	GROUP("swap", swap_keys),
	GROUP("load", load_keys),
	GROUP("uptime", uptime_keys),
	GROUP("disk_space", disk_space_keys),
	GROUP("disk_io", disk_io_keys),
	GROUP("network", network_keys),
	{ NULL },
};

/*
 * Virtual, pseudo and in-memory filesystems say nothing about disk space.
 * Network filesystems are left out too: statvfs() on a hard-mounted share
 * whose server is gone blocks, and it would block the whole loop.
 */
static const char *const default_ignore_fstypes[] = {
	"9p", "autofs", "binfmt_misc", "bpf", "ceph", "cgroup", "cgroup2", "cifs",
	"configfs", "debugfs", "devpts", "devtmpfs", "efivarfs", "fuse.glusterfs",
	"fuse.gvfsd-fuse", "fuse.sshfs", "fusectl", "hugetlbfs", "mqueue", "nfs", "nfs4",
	"nsfs", "overlay", "proc", "pstore", "ramfs", "rpc_pipefs", "securityfs",
	"selinuxfs", "smb3", "squashfs", "sysfs", "tmpfs", "tracefs", NULL,
};

struct hm_conf *
conf_new_default(void)
{
	struct hm_conf *c = xcalloc(1, sizeof(*c));

	c->interval = 10;
	c->root_dir = xstrdup("/");
	c->log_target = LOG_TARGET_AUTO;
	c->log_level = LOG_INFO;
	c->cpu.enabled = c->cpu.per_core = true;
	c->memory = c->swap = c->load = c->uptime = true;
	c->disk_space.enabled = true;
	c->disk_space.ignore_fstypes = strv_copy((char *const *)default_ignore_fstypes);
	c->disk_space.mountpoints = strv_copy(NULL);
	c->disk_io.enabled = true;
	c->disk_io.devices = strv_copy(NULL);
	c->network.enabled = true;
	c->network.interfaces = strv_copy(NULL);
	c->network.ignore_interfaces = strv_copy((char *const[]){ "lo", NULL });
	return c;
}

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

static int
parse_string(struct parse_ctx *p, const config_setting_t *s, const char *path,
	const char **ret)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(p, s, "'%s' must be a string", path);
	v = config_setting_get_string(s);
	if (strlen(v) > 4096)
		return fail(p, s, "'%s' is too long", path);
	*ret = v;
	return 0;
}

static int
parse_strv(struct parse_ctx *p, const config_setting_t *s, const char *path,
	char ***ret)
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
		if (parse_string(p, e, path, &str) < 0)
			return -EINVAL;
		if (!*str)
			return fail(p, e, "'%s' must not hold an empty string", path);
		strv_push(&v, str);
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static int
parse_uint(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *k,
	const char *path, unsigned *ret)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
		config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail(p, s, "'%s' must be an integer", path);
	v = config_setting_get_int64(s);
	if (v < k->min || v > k->max)
		return fail(p, s, "'%s' is %lld, must be between %u and %u", path, v,
			k->min, k->max);
	*ret = (unsigned)v;
	return 0;
}

static int
parse_enum(struct parse_ctx *p, const config_setting_t *s, const char *path,
	int (*from_string)(const char *), const char *choices, int *ret)
{
	const char *str;
	int v;

	if (parse_string(p, s, path, &str) < 0)
		return -EINVAL;
	v = from_string(str);
	if (v < 0)
		return fail(p, s, "'%s' is '%s', must be one of %s", path, str, choices);
	*ret = v;
	return 0;
}

static int parse_group(struct parse_ctx *p, const config_setting_t *group,
	const struct conf_key *keys, const char *prefix, struct hm_conf *c);

/* Checks what a name or path key may hold. */
static int
check_string(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *k,
	const char *path, const char *str)
{
	if (k->type == CONF_NAME && !name_is_valid(str))
		return fail(p, s, "'%s' is '%s', must be 1 to %d characters of "
				  "A-Z a-z 0-9 . _ - not starting with . or -",
			path, str, NAME_MAX_LEN);
	if (k->type == CONF_PATH && str[0] != '/')
		return fail(p, s, "'%s' is '%s', must be an absolute path", path, str);
	return 0;
}

/* Parses setting s as key k into the field of c that k names. */
static int
parse_key(struct parse_ctx *p, const config_setting_t *s, const struct conf_key *k,
	const char *path, struct hm_conf *c)
{
	void *field = (char *)c + k->offset;
	const char *str;
	char **v = NULL;

	switch (k->type) {
	case CONF_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return fail(p, s, "'%s' must be true or false", path);
		*(bool *)field = config_setting_get_bool(s);
		return 0;
	case CONF_UINT:
		return parse_uint(p, s, k, path, field);
	case CONF_NAME:
	case CONF_PATH:
		if (parse_string(p, s, path, &str) < 0 || check_string(p, s, k, path, str) < 0)
			return -EINVAL;
		free(*(char **)field);
		*(char **)field = xstrdup(str);
		return 0;
	case CONF_STRV:
		if (parse_strv(p, s, path, &v) < 0)
			return -EINVAL;
		strv_free(*(char ***)field);
		*(char ***)field = v;
		return 0;
	case CONF_LOG_TARGET:
		return parse_enum(p, s, path, log_target_from_string,
			"auto, journal, syslog, stderr", field);
	case CONF_LOG_LEVEL:
		return parse_enum(p, s, path, log_level_from_string,
			"err, warning, notice, info, debug", field);
	case CONF_GROUP:
		if (!config_setting_is_group(s))
			return fail(p, s, "'%s' must be a group, like %s = { ... };", path,
				path);
		return parse_group(p, s, k->children, path, c);
	}
	return -EINVAL;
}

static int
parse_group(struct parse_ctx *p, const config_setting_t *group,
	const struct conf_key *keys, const char *prefix, struct hm_conf *c)
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
		if (parse_key(p, s, k, path, c) < 0)
			return -EINVAL;
	}
	return 0;
}

/*
 * libconfig 1.5 stores a decimal literal above INT_MAX that lacks the L
 * suffix as a truncated int (99999999999 reads as 1215752191), so a range
 * check after parsing could pass a wrong value. Scan the text for such
 * literals first, skipping strings and comments.
 */
static int
check_integer_literals(const char *text, const char *name, char **ret_error)
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

	r = check_integer_literals(text, name, ret_error);
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
	r = check_integer_literals(text, path, ret_error);
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

struct hm_conf *
conf_free(struct hm_conf *c)
{
	if (!c)
		return NULL;
	free(c->path);
	free(c->hostname);
	free(c->datadir);
	free(c->root_dir);
	strv_free(c->disk_space.ignore_fstypes);
	strv_free(c->disk_space.mountpoints);
	strv_free(c->disk_io.devices);
	strv_free(c->network.interfaces);
	strv_free(c->network.ignore_interfaces);
	free(c);
	return NULL;
}
