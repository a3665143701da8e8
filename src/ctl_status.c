/* SPDX-License-Identifier: MIT */
/*
 * `healthmondctl status`: GET /api/v1/status and /api/v1/hosts, and
 * /api/v1/host for each host that is not ok. For people: a summary line,
 * a table of the hosts, a table of the checks that are not ok. For
 * scripts (--json): the daemon's objects in one. The exit status is the
 * worst state, as a Nagios plugin's: 0 ok, 1 warning, 2 critical, 3 unknown.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_internal.h"
#include "util.h"

/* Hosts asked about in detail at most; a fleet on fire needs no more lines. */
#define MAX_DETAILS 100

static const char help_text[] =
	"Usage: healthmondctl [--url URL | --socket PATH] [--user USER] status [--json]\n"
	"\n"
	"The daemon's status, its hosts, and every check that is not ok.\n"
	"  --json   one JSON object: {\"status\": ..., \"hosts\": [...], \"details\": [...]}\n"
	"Exit status: the worst state, 0 ok, 1 warning, 2 critical, 3 unknown;\n"
	"69 when the daemon cannot be asked, 64 for bad usage.\n"
	"See healthmondctl --help for the connection options.\n";

/* What the summary shows of /api/v1/status, type-checked. */
struct status_view {
	const char *version; /* borrowed: the answer */
	const char *host;    /* borrowed */
	const char *role;    /* borrowed */
	int64_t uptime;      /* seconds, -1 unknown */
	enum ctl_state state;
	json_t *forward; /* borrowed; NULL without forwarding */
	json_t *central; /* borrowed; NULL unless central */
};

static int
read_status(const json_t *s, struct status_view *ret)
{
	const char *what = "/api/v1/status";
	struct status_view v;

	if (ctl_json_string(s, "version", what, &v.version) < 0 ||
		ctl_json_string(s, "host", what, &v.host) < 0 ||
		ctl_json_string(s, "role", what, &v.role) < 0 ||
		ctl_json_count(s, "uptime", what, &v.uptime) < 0 ||
		ctl_json_state(s, "state", what, &v.state) < 0 ||
		ctl_json_object_or_null(s, "forward", what, &v.forward) < 0 ||
		ctl_json_object_or_null(s, "central", what, &v.central) < 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* A check count object {"ok": N, "warning": N, ...}: all four, or absent. */
static int
check_counts(const json_t *o, const char *key, const char *what)
{
	json_t *counts;
	int64_t n;

	if (ctl_json_object_or_null(o, key, what, &counts) < 0)
		return -EBADMSG;
	for (int s = 0; counts && s < _CTL_STATE_MAX; s++)
		if (ctl_json_count(counts, ctl_state_to_string(s), what, &n) < 0)
			return -EBADMSG;
	return 0;
}

/* An entry of /api/v1/hosts has what the table shows, of the right type. */
static int
check_host(const json_t *h, const char *what)
{
	const char *name;
	enum ctl_state state;
	int64_t t;

	if (ctl_json_string(h, "host", what, &name) < 0 ||
		ctl_json_state(h, "state", what, &state) < 0 ||
		ctl_json_count(h, "last_report", what, &t) < 0 ||
		check_counts(h, "checks", what) < 0)
		return -EBADMSG;
	if (json_object_get(h, "silent") &&
		!json_is_boolean(json_object_get(h, "silent")))
		return ctl_json_malformed(what, "'silent' is not true or false");
	return 0;
}

/* A check of a /api/v1/host answer, type-checked. */
static int
check_detail_check(const json_t *c, const char *what)
{
	const char *s;
	enum ctl_state state;
	double x;
	int64_t t;

	if (ctl_json_string(c, "check", what, &s) < 0 ||
		ctl_json_state(c, "state", what, &state) < 0 ||
		ctl_json_string_or_null(c, "series", what, &s) < 0 ||
		ctl_json_string_or_null(c, "field", what, &s) < 0 ||
		ctl_json_string_or_null(c, "reason", what, &s) < 0 ||
		ctl_json_number(c, "value", what, &x) < 0 ||
		ctl_json_number(c, "threshold", what, &x) < 0 ||
		ctl_json_count(c, "since", what, &t) < 0)
		return -EBADMSG;
	return 0;
}

/* The checks of a /api/v1/host answer, type-checked. */
static int
check_detail(const json_t *d, const char *host)
{
	/* The name comes from the daemon: messages show it without controls. */
	_cleanup_free_ char *clean = ctl_fmt_clean(host);
	char what[128];
	json_t *checks;

	(void)snprintf(what, sizeof(what), "/api/v1/host?host=%s", clean);
	return ctl_json_objects(d, "checks", what, check_detail_check, &checks);
}

/*
 * GET /api/v1/host for each host that is not ok (at most MAX_DETAILS);
 * the answers go into *ret, an array. A host gone since the list (404)
 * is left out. Returns 0 or an exit status.
 */
static int
fetch_details(struct ctl_http *http, const json_t *hosts, json_t **ret)
{
	json_t *details = json_array(), *h;
	size_t i, n = 0;

	json_array_foreach (hosts, i, h) {
		const char *name = json_string_value(json_object_get(h, "host"));
		_cleanup_free_ char *q = NULL, *path = NULL;
		json_t *d = NULL;
		int r;

		if (strcmp(json_string_value(json_object_get(h, "state")), "ok") == 0)
			continue;
		if (++n > MAX_DETAILS) {
			fprintf(stderr,
				"healthmondctl: details of the first %d hosts not ok "
				"only\n",
				MAX_DETAILS);
			break;
		}
		q = ctl_http_escape(http, name);
		path = xasprintf("/api/v1/host?host=%s", q);
		r = ctl_http_get_json(http, path, &d);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			fprintf(stderr, "healthmondctl: %s\n", ctl_http_error(http));
		else
			r = check_detail(d, name); /* says what is wrong itself */
		if (r < 0) {
			json_decref(d);
			json_decref(details);
			return CTL_EXIT_FAILURE;
		}
		(void)json_array_append_new(details, d);
	}
	*ret = details;
	return 0;
}

static void
print_forward_central(const struct status_view *v)
{
	const char *link = NULL, *error = NULL;
	int64_t batches = -1, hosts = -1, silent = -1;

	if (v->forward &&
		ctl_json_string_or_null(v->forward, "link", "forward", &link) >= 0 &&
		ctl_json_count(v->forward, "spool_batches", "forward", &batches) >= 0 &&
		ctl_json_string_or_null(v->forward, "last_error", "forward", &error) >=
			0) {
		_cleanup_free_ char *l = ctl_fmt_clean(link ? link : "?");
		_cleanup_free_ char *e = error ? ctl_fmt_clean(error) : NULL;

		printf("forward: link %s", l);
		if (batches >= 0)
			printf(", %lld batches spooled", (long long)batches);
		printf("%s%s\n", e ? ", last error: " : "", e ? e : "");
	}
	if (v->central && ctl_json_count(v->central, "hosts", "central", &hosts) >= 0 &&
		ctl_json_count(v->central, "silent", "central", &silent) >= 0 &&
		hosts >= 0)
		printf("central: %lld hosts, %lld silent\n", (long long)hosts,
			(long long)MAX(silent, 0));
}

static void
print_summary(const struct status_view *v, bool color)
{
	_cleanup_free_ char *version = ctl_fmt_clean(v->version);
	_cleanup_free_ char *host = ctl_fmt_clean(v->host);
	_cleanup_free_ char *role = ctl_fmt_clean(v->role);
	_cleanup_free_ char *state = ctl_fmt_colored(
		ctl_state_to_upper(v->state), ctl_state_color(v->state), color);
	char up[32];

	ctl_fmt_duration(v->uptime, up);
	printf("healthmond %s on %s (%s), up %s, state %s\n", version, host, role,
		v->uptime >= 0 ? up : "?", state);
	print_forward_central(v);
}

static void
add_counts(struct ctl_table *t, const json_t *counts)
{
	char text[4][24];

	for (int s = 0; s < _CTL_STATE_MAX; s++) {
		json_t *n = json_object_get(counts, ctl_state_to_string(s));

		if (json_is_integer(n))
			(void)snprintf(text[s], sizeof(text[s]), "%lld",
				(long long)json_integer_value(n));
		else
			strcpy(text[s], "-");
	}
	ctl_table_addf(t, "%s/%s/%s/%s", text[0], text[1], text[2], text[3]);
}

static void
print_hosts(const json_t *hosts, bool color)
{
	static const char *const headers[] = {
		"HOST", "STATE", "LAST-REPORT", "CHECKS ok/warn/crit/unk", NULL};
	_cleanup_(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
	int64_t now = (int64_t)time(NULL);
	json_t *h;
	size_t i;

	json_array_foreach (hosts, i, h) {
		enum ctl_state s = ctl_state_from_string(
			json_string_value(json_object_get(h, "state")));
		json_t *last = json_object_get(h, "last_report");
		bool silent = json_is_true(json_object_get(h, "silent"));
		char age[32];

		ctl_table_add(t, json_string_value(json_object_get(h, "host")), NULL);
		ctl_table_add(t, ctl_state_to_upper(s), ctl_state_color(s));
		ctl_fmt_duration(now - (int64_t)json_integer_value(last), age);
		if (json_is_integer(last))
			ctl_table_addf(t, "%s ago%s", age, silent ? " (silent)" : "");
		else
			ctl_table_add(t, silent ? "never (silent)" : "never", NULL);
		add_counts(t, json_object_get(h, "checks"));
	}
	printf("\n");
	ctl_table_print(t, stdout, color);
}

static void
add_check_row(struct ctl_table *t, const char *host, const json_t *c)
{
	enum ctl_state s =
		ctl_state_from_string(json_string_value(json_object_get(c, "state")));
	const char *reason = json_string_value(json_object_get(c, "reason"));
	json_t *since = json_object_get(c, "since");
	char value[32], threshold[32], when[32];

	ctl_fmt_value(json_is_number(json_object_get(c, "value"))
			? json_number_value(json_object_get(c, "value"))
			: NAN,
		value);
	ctl_fmt_value(json_is_number(json_object_get(c, "threshold"))
			? json_number_value(json_object_get(c, "threshold"))
			: NAN,
		threshold);
	ctl_fmt_time(
		json_is_integer(since) ? (int64_t)json_integer_value(since) : -1, when);
	ctl_table_add(t, host, NULL);
	ctl_table_add(t, json_string_value(json_object_get(c, "check")), NULL);
	ctl_table_add(t, json_string_value(json_object_get(c, "series")), NULL);
	ctl_table_add(t, json_string_value(json_object_get(c, "field")), NULL);
	ctl_table_add(t, ctl_state_to_upper(s), ctl_state_color(s));
	if (reason)
		ctl_table_addf(t, "%s (%s)", value, reason);
	else
		ctl_table_add(t, value, NULL);
	ctl_table_add(t, threshold, NULL);
	ctl_table_add(t, when, NULL);
}

static void
print_problems(const json_t *details, bool color)
{
	static const char *const headers[] = {"HOST", "CHECK", "SERIES", "FIELD",
		"STATE", "VALUE", "THRESHOLD", "SINCE", NULL};
	_cleanup_(ctl_table_freep) struct ctl_table *t = ctl_table_new(headers);
	json_t *d, *c;
	size_t i, j;

	json_array_foreach (details, i, d) {
		const char *host = json_string_value(json_object_get(d, "host"));

		json_t *checks = json_object_get(d, "checks");

		json_array_foreach (checks, j, c) {
			const char *state = json_string_value(json_object_get(c, "state"));

			if (strcmp(state, "ok") != 0)
				add_check_row(t, host ? host : "?", c);
		}
	}
	if (ctl_table_rows(t) == 0)
		return;
	printf("\nChecks not ok:\n");
	ctl_table_print(t, stdout, color);
}

static int
print_all(const struct ctl_options *o, json_t *status, json_t *hosts, json_t *details,
	const struct status_view *v)
{
	if (o->json) {
		json_t *all = json_pack("{s:O, s:O, s:O}", "status", status, "hosts",
			hosts, "details", details);
		int r = all ? ctl_fmt_print_json(all) : -ENOMEM;

		json_decref(all);
		return r;
	}
	print_summary(v, o->color);
	print_hosts(hosts, o->color);
	print_problems(details, o->color);
	return fflush(stdout) == EOF ? -EIO : 0;
}

static int
parse_argv(struct ctl_options *o, int argc, char *argv[])
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) >= 0) {
		if (ctl_common_option(o, c, optarg))
			continue;
		if (c == 'h') {
			fputs(help_text, stdout);
			return 0;
		}
		return -ctl_bad_option("status", c, argv);
	}
	if (optind < argc)
		return -ctl_usage_error(
			"status", "unexpected argument '%s'", argv[optind]);
	return 1;
}

/* GETs path into *ret; on failure says why and returns the exit status. */
static int
get(struct ctl_http *http, const char *path, json_t **ret)
{
	if (ctl_http_get_json(http, path, ret) < 0) {
		fprintf(stderr, "healthmondctl: %s\n", ctl_http_error(http));
		return CTL_EXIT_FAILURE;
	}
	return 0;
}

int
ctl_status_main(struct ctl_options *o, int argc, char *argv[])
{
	_cleanup_(ctl_http_freep) struct ctl_http *http = NULL;
	json_t *status = NULL, *hosts_answer = NULL, *hosts = NULL, *details = NULL;
	struct status_view v;
	int r;

	r = parse_argv(o, argc, argv);
	if (r <= 0)
		return -r;
	if (ctl_http_new(o, &http) < 0)
		return CTL_EXIT_USAGE;
	r = get(http, "/api/v1/status", &status);
	if (r == 0 && read_status(status, &v) < 0)
		r = CTL_EXIT_FAILURE;
	if (r == 0)
		r = get(http, "/api/v1/hosts", &hosts_answer);
	if (r == 0 && ctl_json_objects(hosts_answer, "hosts", "/api/v1/hosts",
			      check_host, &hosts) < 0)
		r = CTL_EXIT_FAILURE;
	if (r == 0)
		r = fetch_details(http, hosts, &details);
	if (r == 0 && print_all(o, status, hosts, details, &v) < 0) {
		fprintf(stderr, "healthmondctl: cannot write to stdout\n");
		r = CTL_EXIT_FAILURE;
	}
	if (r == 0)
		r = (int)v.state; /* CTL_STATE_* = CTL_EXIT_* */
	json_decref(details);
	json_decref(hosts_answer);
	json_decref(status);
	return r;
}
