/* SPDX-License-Identifier: MIT */
/*
 * What the configuration may say: the key tables, the checks on values
 * beyond their type, and the defaults, including the default health checks
 * that the config can change or switch off by name. Freeing walks the same
 * tables, so a new key cannot leak.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_table.h"
#include "probe.h"
#include "record.h"
#include "regex_limit.h"
#include "util.h"

#define KEY(n, t, s, f) { .name = n, .type = t, .offset = offsetof(s, f) }
#define UINT_KEY(n, s, f, lo, hi)                                                   \
	{ .name = n, .type = CONF_UINT, .offset = offsetof(s, f), .min = lo, .max = hi }
#define OPTIONAL(n, t, s, f, note)                                                   \
	{ .name = n, .type = t, .offset = offsetof(s, f), .unset_note = note }
#define GROUP(n, keys) { .name = n, .type = CONF_GROUP, .children = keys }

static const char *const method_names[_PROBE_METHOD_MAX] = {
	[PROBE_GET] = "GET",
	[PROBE_HEAD] = "HEAD",
};
static const char *const direction_names[_CHECK_DIRECTION_MAX] = {
	[CHECK_ABOVE] = "above",
	[CHECK_BELOW] = "below",
};

const char *
probe_method_to_string(enum probe_method m)
{
	return m < _PROBE_METHOD_MAX ? method_names[m] : NULL;
}

const char *
check_direction_to_string(enum check_direction d)
{
	return d < _CHECK_DIRECTION_MAX ? direction_names[d] : NULL;
}

static int
lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -EINVAL;
}

static const char *
method_to_string(int v)
{
	return probe_method_to_string(v);
}

static int
method_from_string(const char *s)
{
	return lookup(method_names, _PROBE_METHOD_MAX, s);
}

static const char *
direction_to_string(int v)
{
	return check_direction_to_string(v);
}

static int
direction_from_string(const char *s)
{
	return lookup(direction_names, _CHECK_DIRECTION_MAX, s);
}

static const char *
target_to_string(int v)
{
	return log_target_to_string(v);
}

static const struct conf_enum log_target_enum = {
	target_to_string, log_target_from_string, "auto, journal, syslog, stderr"
};
static const struct conf_enum log_level_enum = {
	log_level_to_string, log_level_from_string, "err, warning, notice, info, debug"
};
static const struct conf_enum method_enum = { method_to_string, method_from_string,
	"GET, HEAD" };
static const struct conf_enum direction_enum = { direction_to_string,
	direction_from_string, "above, below" };

static int
validate_url(const char *v, char **ret)
{
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
		*ret = xasprintf("must start with http:// or https://");
		return -EINVAL;
	}
	if (strpbrk(v, " \t\r\n")) {
		*ret = xasprintf("must not hold white space");
		return -EINVAL;
	}
	return 0;
}

static int
validate_regex(const char *v, char **ret)
{
	char msg[256];
	const char *reason;
	regex_t re;
	int r;

	/* Before regcomp(), whose memory a crafted pattern can exhaust. */
	if (regex_check_size(v, &reason) < 0) {
		*ret = xasprintf("%s", reason);
		return -EINVAL;
	}
	r = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
	if (r != 0) {
		(void)regerror(r, &re, msg, sizeof(msg));
		*ret = xasprintf("is not a valid extended regular expression: %s", msg);
		return -EINVAL;
	}
	regfree(&re);
	return 0;
}

static int
validate_status(const char *v, char **ret)
{
	unsigned lo, hi;

	if (probe_status_parse(v, &lo, &hi) < 0) {
		*ret = xasprintf("holds '%s', want a status such as \"200\" or a range "
				 "such as \"200-399\" within 100-599",
			v);
		return -EINVAL;
	}
	return 0;
}

static int
validate_header(const char *v, char **ret)
{
	const char *colon = strchr(v, ':');

	if (!colon || colon == v || strpbrk(v, "\r\n")) {
		*ret = xasprintf("holds '%s', want \"Name: value\" on one line", v);
		return -EINVAL;
	}
	return 0;
}

static int
validate_field(const char *v, char **ret)
{
	if (!record_field_exists(v)) {
		*ret = xasprintf("is '%s', which no series has (see docs/rrd-layout.md)", v);
		return -EINVAL;
	}
	return 0;
}

/* "address:port" or "[v6 address]:port", with a port from 1 to 65535. */
static int
validate_listen(const char *v, char **ret)
{
	const char *colon = strrchr(v, ':');
	uint64_t port;

	if (!colon || colon == v || safe_atou64(colon + 1, &port) < 0 || port < 1 ||
		port > 65535 || (v[0] == '[' && colon[-1] != ']')) {
		*ret = xasprintf("holds '%s', want \"address:port\" or \"[v6]:port\"", v);
		return -EINVAL;
	}
	return 0;
}

static void
probe_init(void *elem)
{
	struct probe_conf *p = elem;

	p->timeout = 10;
	p->method = PROBE_GET;
	p->expect_status = strv_copy(NULL);
	p->follow_redirects = true;
	p->max_redirects = 5;
	p->verify_tls = true;
	p->headers = strv_copy(NULL);
	p->max_body = 1024 * 1024;
}

static void
check_init(void *elem)
{
	struct check_conf *c = elem;

	c->enabled = true;
	c->direction = CHECK_ABOVE;
	c->warning = c->critical = c->clear = NAN;
	c->for_samples = 1;
}

#define P(f) offsetof(struct probe_conf, f)
static const struct conf_key probe_keys[] = {
	{ .name = "name", .type = CONF_NAME, .offset = P(name), .required = true },
	{ .name = "url", .type = CONF_STRING, .offset = P(url), .required = true,
		.validate = validate_url },
	UINT_KEY("interval", struct probe_conf, interval, 0, 86400),
	UINT_KEY("timeout", struct probe_conf, timeout, 1, 300),
	{ .name = "method", .type = CONF_ENUM, .offset = P(method),
		.enumeration = &method_enum },
	{ .name = "expect_status", .type = CONF_STRV, .offset = P(expect_status),
		.validate = validate_status },
	{ .name = "expect_body", .type = CONF_STRING, .offset = P(expect_body),
		.validate = validate_regex, .unset_note = "any body" },
	{ .name = "reject_body", .type = CONF_STRING, .offset = P(reject_body),
		.validate = validate_regex, .unset_note = "no body is rejected" },
	KEY("follow_redirects", CONF_BOOL, struct probe_conf, follow_redirects),
	UINT_KEY("max_redirects", struct probe_conf, max_redirects, 0, 50),
	KEY("verify_tls", CONF_BOOL, struct probe_conf, verify_tls),
	OPTIONAL("ca_file", CONF_PATH, struct probe_conf, ca_file,
		"the system's certificate authorities"),
	{ .name = "headers", .type = CONF_STRV, .offset = P(headers),
		.validate = validate_header },
	UINT_KEY("max_body", struct probe_conf, max_body, 0, 64 * 1024 * 1024),
	{ NULL },
};
#undef P

#define C(f) offsetof(struct check_conf, f)
#define THRESHOLD(n, f)                                                              \
	{ .name = n, .type = CONF_DOUBLE, .offset = C(f), .min = -1e300, .max = 1e300,   \
	  .none_ok = true }
static const struct conf_key check_keys[] = {
	KEY("enabled", CONF_BOOL, struct check_conf, enabled),
	{ .name = "series", .type = CONF_STRING, .offset = C(series), .required = true },
	{ .name = "field", .type = CONF_STRING, .offset = C(field), .required = true,
		.validate = validate_field },
	{ .name = "per", .type = CONF_STRING, .offset = C(per), .validate = validate_field,
		.unset_note = "the field's value as it is" },
	{ .name = "only_if", .type = CONF_STRING, .offset = C(only_if),
		.validate = validate_field, .unset_note = "every sample counts" },
	{ .name = "direction", .type = CONF_ENUM, .offset = C(direction),
		.enumeration = &direction_enum },
	THRESHOLD("warning", warning),
	THRESHOLD("critical", critical),
	THRESHOLD("clear", clear),
	UINT_KEY("for", struct check_conf, for_samples, 1, 1000),
	UINT_KEY("flap_changes", struct check_conf, flap_changes, 0, 64),
	UINT_KEY("flap_window", struct check_conf, flap_window, 0, 64),
	{ NULL },
};
#undef C
#undef THRESHOLD

static const struct conf_array probe_array = { sizeof(struct probe_conf),
	offsetof(struct hm_conf, n_probes), offsetof(struct probe_conf, name), probe_init };
static const struct conf_array check_array = { sizeof(struct check_conf),
	offsetof(struct hm_conf, n_checks), offsetof(struct check_conf, name), check_init };

#define H struct hm_conf
static const struct conf_key forward_keys[] = {
	{ .name = "url", .type = CONF_STRING, .offset = offsetof(H, forward.url),
		.validate = validate_url, .unset_note = "no forwarding" },
	OPTIONAL("token_file", CONF_PATH, H, forward.token_file, "no token"),
	OPTIONAL("client_cert", CONF_PATH, H, forward.client_cert, "no client certificate"),
	OPTIONAL("client_key", CONF_PATH, H, forward.client_key, "no client certificate"),
	OPTIONAL("ca_file", CONF_PATH, H, forward.ca_file,
		"the system's certificate authorities"),
	OPTIONAL("spool_dir", CONF_PATH, H, forward.spool_dir, "<datadir>/<host>.spool"),
	UINT_KEY("spool_max_mb", H, forward.spool_max_mb, 1, 1024 * 1024),
	UINT_KEY("batch_interval", H, forward.batch_interval, 0, 3600),
	UINT_KEY("timeout", H, forward.timeout, 1, 300),
	{ NULL },
};
static const struct conf_key central_keys[] = {
	KEY("enabled", CONF_BOOL, H, central.enabled),
	{ .name = "listen", .type = CONF_STRV, .offset = offsetof(H, central.listen),
		.validate = validate_listen },
	OPTIONAL("tls_cert", CONF_PATH, H, central.tls_cert, "plain HTTP"),
	OPTIONAL("tls_key", CONF_PATH, H, central.tls_key, "plain HTTP"),
	OPTIONAL("client_ca", CONF_PATH, H, central.client_ca, "no client certificates"),
	OPTIONAL("tokens_file", CONF_PATH, H, central.tokens_file, "no tokens"),
	UINT_KEY("host_timeout", H, central.host_timeout, 1, 86400),
	UINT_KEY("max_body_kb", H, central.max_body_kb, 1, 1024 * 1024),
	UINT_KEY("max_records", H, central.max_records, 1, 10000000),
	UINT_KEY("max_series_per_host", H, central.max_series_per_host, 1, 1000000),
	UINT_KEY("max_hosts", H, central.max_hosts, 1, 10000000),
	UINT_KEY("max_connections", H, central.max_connections, 1, 100000),
	UINT_KEY("idle_timeout", H, central.idle_timeout, 1, 3600),
	{ NULL },
};
/* The HTTP face also listens on UNIX sockets: "unix:/absolute/path". */
static int
validate_http_listen(const char *v, char **ret)
{
	if (strncmp(v, "unix:", 5) == 0) {
		if (v[5] != '/' || strlen(v + 5) >= 108) {
			*ret = xasprintf("holds '%s', want \"unix:/absolute/path\" (< 108 bytes)", v);
			return -EINVAL;
		}
		return 0;
	}
	return validate_listen(v, ret);
}
static const struct conf_key http_keys[] = {
	KEY("enabled", CONF_BOOL, H, http.enabled),
	{ .name = "listen", .type = CONF_STRV, .offset = offsetof(H, http.listen),
		.validate = validate_http_listen },
	OPTIONAL("auth_file", CONF_PATH, H, http.auth_file, "no authentication"),
	OPTIONAL("tls_cert", CONF_PATH, H, http.tls_cert, "plain HTTP"),
	OPTIONAL("tls_key", CONF_PATH, H, http.tls_key, "plain HTTP"),
	UINT_KEY("events_keep", H, http.events_keep, 10, 1000000),
	UINT_KEY("graph_workers", H, http.graph_workers, 1, 64),
	UINT_KEY("max_connections", H, http.max_connections, 1, 100000),
	{ NULL },
};
static const struct conf_key cpu_keys[] = {
	KEY("enabled", CONF_BOOL, H, cpu.enabled),
	KEY("per_core", CONF_BOOL, H, cpu.per_core),
	{ NULL },
};
static const struct conf_key memory_keys[] = { KEY("enabled", CONF_BOOL, H, memory), { NULL } };
static const struct conf_key swap_keys[] = { KEY("enabled", CONF_BOOL, H, swap), { NULL } };
static const struct conf_key load_keys[] = { KEY("enabled", CONF_BOOL, H, load), { NULL } };
static const struct conf_key uptime_keys[] = { KEY("enabled", CONF_BOOL, H, uptime), { NULL } };
static const struct conf_key disk_space_keys[] = {
	KEY("enabled", CONF_BOOL, H, disk_space.enabled),
	KEY("ignore_fstypes", CONF_STRV, H, disk_space.ignore_fstypes),
	KEY("mountpoints", CONF_STRV, H, disk_space.mountpoints),
	{ NULL },
};
static const struct conf_key disk_io_keys[] = {
	KEY("enabled", CONF_BOOL, H, disk_io.enabled),
	KEY("devices", CONF_STRV, H, disk_io.devices),
	{ NULL },
};
static const struct conf_key network_keys[] = {
	KEY("enabled", CONF_BOOL, H, network.enabled),
	KEY("interfaces", CONF_STRV, H, network.interfaces),
	KEY("ignore_interfaces", CONF_STRV, H, network.ignore_interfaces),
	{ NULL },
};

const struct conf_key conf_keys[] = {
	OPTIONAL("hostname", CONF_NAME, H, hostname, "the system's host name is used"),
	UINT_KEY("interval", H, interval, CONF_INTERVAL_MIN, CONF_INTERVAL_MAX),
	OPTIONAL("datadir", CONF_PATH, H, datadir,
		"$STATE_DIRECTORY is used, else " CONF_DEFAULT_DATADIR),
	KEY("root_dir", CONF_PATH, H, root_dir),
	{ .name = "log", .type = CONF_ENUM, .offset = offsetof(H, log_target),
		.enumeration = &log_target_enum },
	{ .name = "log_level", .type = CONF_ENUM, .offset = offsetof(H, log_level),
		.enumeration = &log_level_enum },
	GROUP("cpu", cpu_keys),
	GROUP("memory", memory_keys),
	GROUP("swap", swap_keys),
	GROUP("load", load_keys),
	GROUP("uptime", uptime_keys),
	GROUP("disk_space", disk_space_keys),
	GROUP("disk_io", disk_io_keys),
	GROUP("network", network_keys),
	UINT_KEY("max_probes_in_flight", H, max_probes_in_flight, 1, 10000),
	{ .name = "probes", .type = CONF_LIST, .offset = offsetof(H, probes),
		.children = probe_keys, .array = &probe_array },
	UINT_KEY("unknown_after", H, unknown_after, 0, 1000),
	UINT_KEY("repeat_interval", H, repeat_interval, 10, 86400),
	{ .name = "checks", .type = CONF_MAP, .offset = offsetof(H, checks),
		.children = check_keys, .array = &check_array },
	OPTIONAL("rrdcached", CONF_STRING, H, rrdcached, "RRD files are written directly"),
	GROUP("forward", forward_keys),
	GROUP("central", central_keys),
	GROUP("http", http_keys),
	{ NULL },
};
#undef H

/* Virtual, pseudo and in-memory filesystems say nothing about disk space.
 * Network filesystems are left out too: statvfs() on a hard-mounted share
 * whose server is gone blocks, and it would block the whole loop. */
static const char *const default_ignore_fstypes[] = {
	"9p", "autofs", "binfmt_misc", "bpf", "ceph", "cgroup", "cgroup2", "cifs",
	"configfs", "debugfs", "devpts", "devtmpfs", "efivarfs", "fuse.glusterfs",
	"fuse.gvfsd-fuse", "fuse.sshfs", "fusectl", "hugetlbfs", "mqueue", "nfs", "nfs4",
	"nsfs", "overlay", "proc", "pstore", "ramfs", "rpc_pipefs", "securityfs",
	"selinuxfs", "smb3", "squashfs", "sysfs", "tmpfs", "tracefs", NULL,
};

/*
 * The checks that work without configuration. Thresholds are where an
 * administrator wants to hear about it, `for` keeps one noisy sample from
 * raising an alarm, and the clear levels keep a value hovering at a
 * threshold from flapping.
 */
static const struct default_check {
	const char *name, *series, *field, *per, *only_if;
	enum check_direction direction;
	double warning, critical, clear;
	unsigned for_samples, flap_changes, flap_window;
} default_checks[] = {
	{ "disk_space", "df-*", "bytes_pct", NULL, NULL, CHECK_ABOVE, 90, 95, 85, 2, 0, 0 },
	{ "disk_inodes", "df-*", "inodes_pct", NULL, NULL, CHECK_ABOVE, 90, 95, 85, 2, 0, 0 },
	{ "memory", "memory", "used_pct", NULL, NULL, CHECK_ABOVE, 90, 95, 85, 3, 0, 0 },
	{ "swap", "swap", "used_pct", NULL, NULL, CHECK_ABOVE, 80, 95, 70, 3, 0, 0 },
	{ "cpu", "cpu", "idle", NULL, NULL, CHECK_BELOW, 10, 2, 20, 6, 0, 0 },
	{ "load", "load", "load5", "cpus", NULL, CHECK_ABOVE, 2, 4, 1.5, 3, 0, 0 },
	{ "probe_up", "probe-*", "up", NULL, NULL, CHECK_BELOW, NAN, 0.5, NAN, 2, 5, 20 },
	{ "probe_latency", "probe-*", "total_ms", NULL, "up", CHECK_ABOVE, 1000, 5000, 800,
		3, 0, 0 },
	{ "cert_expiry", "probe-*", "cert_days", NULL, "up", CHECK_BELOW, 14, 3, 21, 1, 0,
		0 },
};

static char *
strdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
add_default_checks(struct hm_conf *c)
{
	c->n_checks = ELEMENTSOF(default_checks);
	c->checks = xcalloc(c->n_checks, sizeof(*c->checks));
	for (size_t i = 0; i < c->n_checks; i++) {
		const struct default_check *d = &default_checks[i];
		struct check_conf *k = &c->checks[i];

		check_init(k);
		k->name = xstrdup(d->name);
		k->series = xstrdup(d->series);
		k->field = xstrdup(d->field);
		k->per = strdup_or_null(d->per);
		k->only_if = strdup_or_null(d->only_if);
		k->direction = d->direction;
		k->warning = d->warning;
		k->critical = d->critical;
		k->clear = d->clear;
		k->for_samples = d->for_samples;
		k->flap_changes = d->flap_changes;
		k->flap_window = d->flap_window;
	}
}

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
	c->max_probes_in_flight = 256;
	c->unknown_after = 3;
	c->repeat_interval = 300;
	add_default_checks(c);
	c->forward.spool_max_mb = 64;
	c->forward.timeout = 10;
	c->central.listen = strv_copy((char *const[]){ "127.0.0.1:8089", NULL });
	c->central.host_timeout = 60;
	c->central.max_body_kb = 8192;
	c->central.max_records = 100000;
	c->central.max_series_per_host = 1000;
	c->central.max_hosts = 20000;
	c->central.max_connections = 2000;
	c->central.idle_timeout = 60;
	c->http.enabled = true;
	c->http.listen = strv_copy(NULL);
	c->http.events_keep = 1000;
	c->http.graph_workers = 2;
	c->http.max_connections = 256;
	return c;
}

void
conf_array_init_elem(const struct conf_array *a, void *elem)
{
	memset(elem, 0, a->elem_size);
	a->init(elem);
}

char *
conf_resolve_datadir(const struct hm_conf *c)
{
	const char *e = getenv("STATE_DIRECTORY");

	if (c->datadir)
		return xstrdup(c->datadir);
	if (e && e[0] == '/')
		return xstrndup(e, strcspn(e, ":"));
	return xstrdup(CONF_DEFAULT_DATADIR);
}

char *
conf_resolve_runtime_dir(void)
{
	const char *e = getenv("RUNTIME_DIRECTORY");

	if (e && e[0] == '/')
		return xstrndup(e, strcspn(e, ":"));
	return xstrdup(CONF_DEFAULT_RUNTIME_DIR);
}

char **
conf_resolve_http_listen(const struct hm_conf *c)
{
	_cleanup_free_ char *dir = NULL, *sock = NULL;
	char **v;

	if (strv_length(c->http.listen) > 0)
		return strv_copy(c->http.listen);
	dir = conf_resolve_runtime_dir();
	sock = xasprintf("unix:%s/http.sock", dir);
	v = strv_copy(NULL);
	strv_push(&v, sock);
	if (c->central.enabled)
		strv_push(&v, CONF_DEFAULT_CENTRAL_HTTP);
	return v;
}

const struct probe_conf *
conf_find_probe(const struct hm_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_probes; i++)
		if (strcmp(c->probes[i].name, name) == 0)
			return &c->probes[i];
	return NULL;
}

const struct check_conf *
conf_find_check(const struct hm_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_checks; i++)
		if (strcmp(c->checks[i].name, name) == 0)
			return &c->checks[i];
	return NULL;
}

/* True when one of keys stores its value at offset (so it owns what is there). */
static bool
keys_own(const struct conf_key *keys, size_t offset)
{
	for (const struct conf_key *k = keys; k->name; k++)
		if (k->offset == offset && k->type != CONF_GROUP)
			return true;
	return false;
}

void
conf_keys_free(void *base, const struct conf_key *keys)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		void *field = (char *)base + k->offset;
		size_t *count;
		char *elems;

		switch (k->type) {
		case CONF_STRING:
		case CONF_NAME:
		case CONF_PATH:
			free(*(char **)field);
			break;
		case CONF_STRV:
			strv_free(*(char ***)field);
			break;
		case CONF_GROUP:
			conf_keys_free(base, k->children);
			break;
		case CONF_LIST:
		case CONF_MAP:
			count = (size_t *)((char *)base + k->array->count_offset);
			elems = *(char **)field;
			for (size_t i = 0; i < *count; i++) {
				void *e = elems + i * k->array->elem_size;

				/* A map's element names are no key of the element. */
				if (!keys_own(k->children, k->array->name_offset))
					free(*(char **)((char *)e + k->array->name_offset));
				conf_keys_free(e, k->children);
			}
			free(elems);
			break;
		default:
			break;
		}
	}
}

struct hm_conf *
conf_free(struct hm_conf *c)
{
	if (!c)
		return NULL;
	free(c->path);
	conf_keys_free(c, conf_keys);
	free(c);
	return NULL;
}
