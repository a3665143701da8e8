/* SPDX-License-Identifier: MIT */
/*
 * `healthmondctl events`: GET /api/v1/events with filters, newest first.
 * Every filter is checked here before the daemon is asked, so that a typo
 * is a usage error (64) that says which argument is wrong. Times are unix
 * seconds, an age back from now ("30m"), or a local date and time read
 * with strptime(3). The exit status is 0 whenever the query worked: what
 * the events say is history, and `status` reports the present.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_internal.h"
#include "util.h"

#define EVENTS_LIMIT_MAX 10000

static const char help_text[] =
	"Usage: healthmondctl events [--host H] [--state S] [--check C] [--since T]\n"
	"                            [--until T] [--limit N] [--json]\n"
	"\n"
	"Recent health events, newest first: TIME HOST STATE CHECK SERIES VALUE MESSAGE.\n"
	"  --host H    only events of host H\n"
	"  --state S   only events entering state S: ok, warning, critical, unknown\n"
	"  --check C   only events of check C (probe_up, disk_space, ...)\n"
	"  --since T   only events at or after T\n"
	"  --until T   only events at or before T\n"
	"  --limit N   at most N events, 1 to 10000 (default: the daemon's, 100)\n"
	"  --json      the daemon's answer, {\"events\": [...]}\n"
	"T is unix seconds, an age back from now (90s, 30m, 1h, 2d, 1w), or a local\n"
	"date and time: 2026-11-21, 2026-11-21T10:00, 2026-11-21 10:00:30.\n"
	"Exit status: 0 when the query worked, 69 when the daemon cannot be asked,\n"
	"64 for bad usage.\n";

/* The filters, checked, as the query string wants them. */
struct filters {
	const char *host;  /* borrowed: argv */
	int state;         /* enum ctl_state, or -1 */
	const char *check; /* borrowed: argv */
	int64_t since;     /* unix seconds, or -1 */
	int64_t until;     /* unix seconds, or -1 */
	int64_t limit;     /* or -1 */
};

/* "30m": seconds back from now; -EINVAL when s is not a number and a unit. */
static int
parse_age(const char *s, int64_t *ret)
{
	static const struct {
		char unit;
		uint64_t seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	size_t len = strlen(s);
	_cleanup_free_ char *digits = NULL;
	uint64_t n;

	if (len < 2)
		return -EINVAL;
	digits = xstrndup(s, len - 1);
	if (safe_atou64(digits, &n) < 0)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (s[len - 1] == units[i].unit) {
			if (n > (uint64_t)INT64_MAX / units[i].seconds)
				return -ERANGE;
			*ret = (int64_t)(n * units[i].seconds);
			return 0;
		}
	return -EINVAL;
}

/* A local date and time; -EINVAL unless one of the formats takes all of s. */
static int
parse_date(const char *s, int64_t *ret)
{
	static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"};

	for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
		struct tm tm = {.tm_isdst = -1};
		const char *end = strptime(s, formats[i], &tm);
		time_t t;

		if (!end || *end)
			continue;
		tm.tm_isdst = -1; /* mktime decides whether summer time applies */
		t = mktime(&tm);
		if (t == (time_t)-1 || t < 0)
			return -ERANGE;
		*ret = (int64_t)t;
		return 0;
	}
	return -EINVAL;
}

/* T of --since and --until: unix seconds, an age, or a local date. */
static int
parse_time(const char *s, int64_t now, int64_t *ret)
{
	uint64_t u;
	int64_t age;
	int r;

	if (safe_atou64(s, &u) >= 0) {
		if (u > (uint64_t)INT64_MAX)
			return -ERANGE;
		*ret = (int64_t)u;
		return 0;
	}
	r = parse_age(s, &age);
	if (r == 0) {
		if (age > now)
			return -ERANGE;
		*ret = now - age;
		return 0;
	}
	if (r != -EINVAL)
		return r;
	return parse_date(s, ret);
}

static int
parse_filter(struct filters *f, int c, const char *arg)
{
	int64_t now = (int64_t)time(NULL);
	uint64_t n;

	switch (c) {
	case 'H':
		if (!name_is_valid(arg))
			return ctl_usage_error(
				"events", "--host '%s' is not a host name", arg);
		f->host = arg;
		return 0;
	case 'S':
		f->state = ctl_state_from_string(arg);
		if (f->state < 0)
			return ctl_usage_error("events",
				"--state '%s': ok, warning, critical or unknown", arg);
		return 0;
	case 'C':
		if (!name_is_valid(arg))
			return ctl_usage_error(
				"events", "--check '%s' is not a check name", arg);
		f->check = arg;
		return 0;
	case 's':
	case 'u':
		if (parse_time(arg, now, c == 's' ? &f->since : &f->until) < 0)
			return ctl_usage_error("events",
				"--%s '%s': unix seconds, an age "
				"(30m, 1h, 2d) or a date (2026-11-21T10:00)",
				c == 's' ? "since" : "until", arg);
		return 0;
	case 'l':
		if (safe_atou64(arg, &n) < 0 || n < 1 || n > EVENTS_LIMIT_MAX)
			return ctl_usage_error("events",
				"--limit '%s': a number from 1 to %d", arg,
				EVENTS_LIMIT_MAX);
		f->limit = (int64_t)n;
		return 0;
	default:
		return CTL_EXIT_USAGE;
	}
}

static int
parse_argv(struct ctl_options *o, struct filters *f, int argc, char *argv[])
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		{"host", required_argument, NULL, 'H'},
		{"state", required_argument, NULL, 'S'},
		{"check", required_argument, NULL, 'C'},
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"limit", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) >= 0) {
		if (ctl_common_option(o, c, optarg))
			continue;
		if (c == 'h') {
			fputs(help_text, stdout);
			return 0;
		}
		if (c == '?' || c == ':')
			return -ctl_bad_option("events", c, argv);
		r = parse_filter(f, c, optarg);
		if (r != 0)
			return -r;
	}
	if (optind < argc)
		return -ctl_usage_error(
			"events", "unexpected argument '%s'", argv[optind]);
	if (f->since >= 0 && f->until >= 0 && f->since > f->until)
		return -ctl_usage_error("events", "--since is after --until");
	return 1;
}

static void
add_param(char **query, struct ctl_http *http, const char *name, const char *value)
{
	_cleanup_free_ char *escaped = ctl_http_escape(http, value);
	char *q = xasprintf("%s%c%s=%s", *query, **query ? '&' : '?', name, escaped);

	free(*query);
	*query = q;
}

/* "/api/v1/events?host=...&state=..." for the filters. */
static char *
events_path(struct ctl_http *http, const struct filters *f)
{
	_cleanup_free_ char *query = xstrdup("");
	char n[24];

	if (f->host)
		add_param(&query, http, "host", f->host);
	if (f->state >= 0)
		add_param(&query, http, "state", ctl_state_to_string(f->state));
	if (f->check)
		add_param(&query, http, "check", f->check);
	if (f->since >= 0) {
		(void)snprintf(n, sizeof(n), "%lld", (long long)f->since);
		add_param(&query, http, "since", n);
	}
	if (f->until >= 0) {
		(void)snprintf(n, sizeof(n), "%lld", (long long)f->until);
		add_param(&query, http, "until", n);
	}
	if (f->limit >= 0) {
		(void)snprintf(n, sizeof(n), "%lld", (long long)f->limit);
		add_param(&query, http, "limit", n);
	}
	return xasprintf("/api/v1/events%s", query);
}

/* An event has what the table shows, of the right type. */
static int
check_event(const json_t *e, const char *what)
{
	const char *s;
	enum ctl_state state;
	int64_t t;
	double v;

	if (ctl_json_count(e, "time", what, &t) < 0 ||
		ctl_json_string(e, "host", what, &s) < 0 ||
		ctl_json_state(e, "state", what, &state) < 0 ||
		ctl_json_string(e, "check", what, &s) < 0 ||
		ctl_json_string_or_null(e, "series", what, &s) < 0 ||
		ctl_json_number(e, "value", what, &v) < 0 ||
		ctl_json_string_or_null(e, "message", what, &s) < 0)
		return -EBADMSG;
	if (t < 0)
		return ctl_json_malformed(what, "no 'time'");
	return 0;
}

static void
print_events(const json_t *events, bool color)
{
	static const char *const headers[] = {
		"TIME", "HOST", "STATE", "CHECK", "SERIES", "VALUE", "MESSAGE", NULL};
	_cleanup_(ctl_table_freep) struct ctl_table *t = NULL;
	json_t *e;
	size_t i;

	if (json_array_size(events) == 0) {
		printf("No events.\n");
		return;
	}
	t = ctl_table_new(headers);
	json_array_foreach (events, i, e) {
		json_t *value = json_object_get(e, "value");
		enum ctl_state s = ctl_state_from_string(
			json_string_value(json_object_get(e, "state")));
		char when[32], v[32];

		ctl_fmt_time(
			(int64_t)json_integer_value(json_object_get(e, "time")), when);
		ctl_fmt_value(
			json_is_number(value) ? json_number_value(value) : NAN, v);
		ctl_table_add(t, when, NULL);
		ctl_table_add(t, json_string_value(json_object_get(e, "host")), NULL);
		ctl_table_add(t, ctl_state_to_upper(s), ctl_state_color(s));
		ctl_table_add(t, json_string_value(json_object_get(e, "check")), NULL);
		ctl_table_add(t, json_string_value(json_object_get(e, "series")), NULL);
		ctl_table_add(t, v, NULL);
		ctl_table_add(
			t, json_string_value(json_object_get(e, "message")), NULL);
	}
	ctl_table_print(t, stdout, color);
}

int
ctl_events_main(struct ctl_options *o, int argc, char *argv[])
{
	_cleanup_(ctl_http_freep) struct ctl_http *http = NULL;
	struct filters f = {.state = -1, .since = -1, .until = -1, .limit = -1};
	_cleanup_free_ char *path = NULL;
	json_t *answer = NULL, *events;
	int r;

	r = parse_argv(o, &f, argc, argv);
	if (r <= 0)
		return -r;
	if (ctl_http_new(o, &http) < 0)
		return CTL_EXIT_USAGE;
	path = events_path(http, &f);
	if (ctl_http_get_json(http, path, &answer) < 0) {
		fprintf(stderr, "healthmondctl: %s\n", ctl_http_error(http));
		return CTL_EXIT_FAILURE;
	}
	r = CTL_EXIT_OK;
	if (ctl_json_objects(answer, "events", "/api/v1/events", check_event,
		    &events) < 0)
		r = CTL_EXIT_FAILURE;
	else if (o->json)
		r = ctl_fmt_print_json(answer) < 0 ? CTL_EXIT_FAILURE : CTL_EXIT_OK;
	else {
		print_events(events, o->color);
		r = fflush(stdout) == EOF ? CTL_EXIT_FAILURE : CTL_EXIT_OK;
	}
	json_decref(answer);
	return r;
}
