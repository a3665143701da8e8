/* SPDX-License-Identifier: MIT */
/*
 * event and journal: state names, the check → kind mapping, priorities, the
 * message people read, the journal fields, the line that syslog and stderr
 * get, and the catalog: one entry per MESSAGE_ID, no stray ids, and no
 * @FIELD@ that an event of the kind does not carry.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "common.h"
#include "event.h"
#include "journal.h"
#include "log.h"
#include "util.h"

#define URL "https://example.org/health"

START_TEST(test_state_names)
{
	static const char *const names[] = { "ok", "warning", "critical", "unknown" };

	for (int s = 0; s < _CHECK_STATE_MAX; s++) {
		ck_assert_str_eq(check_state_to_string(s), names[s]);
		ck_assert_int_eq(check_state_from_string(names[s]), s);
	}
	ck_assert_ptr_null(check_state_to_string(_CHECK_STATE_MAX));
	ck_assert_ptr_null(check_state_to_string((enum check_state)-1));
	ck_assert_int_eq(check_state_from_string("OK"), -EINVAL);
	ck_assert_int_eq(check_state_from_string(""), -EINVAL);
	ck_assert_int_eq(check_state_from_string(NULL), -EINVAL);
}
END_TEST

static const char *const kind_names[_EVENT_KIND_MAX] = {
	"disk_space", "disk_inodes", "memory", "swap", "cpu", "load", "url_down",
	"url_status", "url_slow", "url_content", "cert_expiring", "cert_expired",
	"threshold", "unknown", "recovered", "host_silent", "spool_overflow",
	"central_unreachable",
};

static bool
is_id128(const char *s)
{
	if (!s || strlen(s) != 32)
		return false;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return true;
}

START_TEST(test_kind_names_and_ids)
{
	for (int k = 0; k < _EVENT_KIND_MAX; k++) {
		ck_assert_str_eq(event_kind_to_string(k), kind_names[k]);
		ck_assert_msg(is_id128(event_message_id(k)), "kind %s: id '%s'",
			kind_names[k], event_message_id(k));
		for (int j = 0; j < k; j++)
			ck_assert_str_ne(event_message_id(j), event_message_id(k));
	}
	ck_assert_ptr_null(event_kind_to_string(_EVENT_KIND_MAX));
	ck_assert_ptr_null(event_message_id(_EVENT_KIND_MAX));
	/* Ids are forever: a change here breaks users' queries and the catalog. */
	ck_assert_str_eq(event_message_id(EVENT_DISK_SPACE),
		"7bea8827270347e38bd24439a9cd09fe");
	ck_assert_str_eq(event_message_id(EVENT_URL_DOWN),
		"37f4fea246324816a846bb00363d3323");
	ck_assert_str_eq(event_message_id(EVENT_RECOVERED),
		"3e5f4890285342bb90ce675f787f5cab");
	ck_assert_str_eq(event_message_id(EVENT_HOST_SILENT),
		"10507fa4c3b643bcbe79e5022eca46f5");
	ck_assert_str_eq(event_message_id(EVENT_SPOOL_OVERFLOW),
		"a00176c5e4374258b4ff44f576938028");
	ck_assert_str_eq(event_message_id(EVENT_CENTRAL_UNREACHABLE),
		"f39eb96d37f1472585f10cbc97984328");
}
END_TEST

static const struct {
	const char *check;
	enum check_state state;
	const char *reason;
	double value;
	enum event_kind kind;
} kind_cases[] = {
	{ "disk_space", CHECK_CRITICAL, NULL, 96, EVENT_DISK_SPACE },
	{ "disk_space", CHECK_WARNING, NULL, 91, EVENT_DISK_SPACE },
	{ "disk_inodes", CHECK_WARNING, NULL, 91, EVENT_DISK_INODES },
	{ "memory", CHECK_CRITICAL, NULL, 97, EVENT_MEMORY },
	{ "swap", CHECK_WARNING, NULL, 80, EVENT_SWAP },
	{ "cpu", CHECK_WARNING, NULL, 95, EVENT_CPU },
	{ "load", CHECK_CRITICAL, NULL, 12, EVENT_LOAD },
	{ "probe_up", CHECK_CRITICAL, "connect", 0, EVENT_URL_DOWN },
	{ "probe_up", CHECK_CRITICAL, "dns", 0, EVENT_URL_DOWN },
	{ "probe_up", CHECK_CRITICAL, "timeout", 0, EVENT_URL_DOWN },
	{ "probe_up", CHECK_CRITICAL, "tls", 0, EVENT_URL_DOWN },
	{ "probe_up", CHECK_CRITICAL, "error", 0, EVENT_URL_DOWN },
	{ "probe_up", CHECK_CRITICAL, NULL, 0, EVENT_URL_DOWN },
	{ "probe_up", CHECK_WARNING, "status", 0, EVENT_URL_STATUS },
	{ "probe_up", CHECK_CRITICAL, "content", 0, EVENT_URL_CONTENT },
	{ "probe_latency", CHECK_WARNING, NULL, 2500, EVENT_URL_SLOW },
	{ "cert_expiry", CHECK_WARNING, NULL, 12, EVENT_CERT_EXPIRING },
	{ "cert_expiry", CHECK_CRITICAL, NULL, 0, EVENT_CERT_EXPIRING },
	{ "cert_expiry", CHECK_CRITICAL, NULL, -0.5, EVENT_CERT_EXPIRED },
	{ "nic_errors", CHECK_WARNING, NULL, 12, EVENT_THRESHOLD },
	{ "disk_space_home", CHECK_CRITICAL, NULL, 99, EVENT_THRESHOLD },
	{ NULL, CHECK_CRITICAL, NULL, 1, EVENT_THRESHOLD },
	/* The state wins over the check. */
	{ "disk_space", CHECK_OK, NULL, 50, EVENT_RECOVERED },
	{ "probe_up", CHECK_OK, "status", 1, EVENT_RECOVERED },
	{ "cert_expiry", CHECK_OK, NULL, -3, EVENT_RECOVERED },
	{ "memory", CHECK_UNKNOWN, NULL, NAN, EVENT_UNKNOWN },
	{ "probe_up", CHECK_UNKNOWN, "connect", NAN, EVENT_UNKNOWN },
	{ "nic_errors", CHECK_UNKNOWN, NULL, NAN, EVENT_UNKNOWN },
	/* The daemon's own checks. */
	{ "host_silent", CHECK_CRITICAL, NULL, 75, EVENT_HOST_SILENT },
	{ "host_silent", CHECK_OK, NULL, 75, EVENT_RECOVERED },
	{ "spool_overflow", CHECK_WARNING, NULL, 120, EVENT_SPOOL_OVERFLOW },
	{ "spool_overflow", CHECK_CRITICAL, NULL, 120, EVENT_SPOOL_OVERFLOW },
	{ "central", CHECK_CRITICAL, "connect", 300, EVENT_CENTRAL_UNREACHABLE },
	{ "central", CHECK_WARNING, NULL, 300, EVENT_CENTRAL_UNREACHABLE },
	{ "central", CHECK_OK, NULL, 0, EVENT_RECOVERED },
	{ "host_silent_web", CHECK_CRITICAL, NULL, 1, EVENT_THRESHOLD },
};

START_TEST(test_kind_of)
{
	for (size_t i = 0; i < ELEMENTSOF(kind_cases); i++) {
		enum event_kind k = event_kind_of(kind_cases[i].check, kind_cases[i].state,
			kind_cases[i].reason, kind_cases[i].value);

		ck_assert_msg(k == kind_cases[i].kind, "case %zu (%s): got %s, expected %s",
			i, kind_cases[i].check ? kind_cases[i].check : "NULL",
			event_kind_to_string(k), event_kind_to_string(kind_cases[i].kind));
	}
}
END_TEST

START_TEST(test_priority)
{
	struct event ev = { .kind = EVENT_DISK_SPACE };

	ev.state = CHECK_CRITICAL;
	ck_assert_int_eq(event_priority(&ev), LOG_CRIT);
	ev.state = CHECK_WARNING;
	ck_assert_int_eq(event_priority(&ev), LOG_WARNING);
	ev.state = CHECK_UNKNOWN;
	ck_assert_int_eq(event_priority(&ev), LOG_WARNING);
	ev.state = CHECK_OK;
	ck_assert_int_eq(event_priority(&ev), LOG_NOTICE);
}
END_TEST

/* An event as rules.c makes one; the probe checks get a URL. */
static struct event
make_event(enum event_kind kind, const char *check, const char *series,
	const char *field, enum check_state state, double value, double threshold)
{
	return (struct event){
		.kind = kind,
		.host = "web1",
		.check = check,
		.series = series,
		.field = field,
		.state = state,
		.prev_state = state == CHECK_OK ? CHECK_CRITICAL : CHECK_OK,
		.value = value,
		.threshold = threshold,
		.time = 1700000000,
	};
}

/* What the central sends when a host goes quiet: no series, no field. */
static struct event
make_silent_event(enum check_state state, double value, double threshold)
{
	struct event ev = make_event(state == CHECK_OK ? EVENT_RECOVERED : EVENT_HOST_SILENT,
		"host_silent", NULL, NULL, state, value, threshold);

	return ev;
}

/* What an agent sends about its link to the central. */
static struct event
make_central_event(const char *reason)
{
	struct event ev = make_event(EVENT_CENTRAL_UNREACHABLE, "central", NULL, NULL,
		CHECK_CRITICAL, 300, NAN);

	ev.url = "https://central.example:8089";
	ev.reason = reason;
	return ev;
}

static struct event
make_probe_event(enum event_kind kind, const char *check, const char *field,
	enum check_state state, double value, double threshold, const char *reason)
{
	struct event ev = make_event(kind, check, "probe-web", field, state, value,
		threshold);

	ev.url = URL;
	ev.reason = reason;
	return ev;
}

START_TEST(test_format)
{
	struct {
		struct event ev;
		bool repeat;
		const char *expected;
	} cases[] = {
		{ make_event(EVENT_DISK_SPACE, "disk_space", "df-root", "bytes_pct",
			  CHECK_CRITICAL, 96.2, 95),
			false, "Disk space on df-root is critical: bytes_pct 96.2 (threshold 95)" },
		{ make_event(EVENT_DISK_SPACE, "disk_space", "df-root", "bytes_pct",
			  CHECK_CRITICAL, 97, 95),
			true,
			"Disk space on df-root is still critical: bytes_pct 97 (threshold 95)" },
		{ make_event(EVENT_DISK_INODES, "disk_inodes", "df-var", "inodes_pct",
			  CHECK_WARNING, 91.54, 90),
			false, "Inode use on df-var is warning: inodes_pct 91.5 (threshold 90)" },
		{ make_event(EVENT_MEMORY, "memory", "memory", "used_pct", CHECK_CRITICAL,
			  97.25, 95),
			false, "Memory use is critical: used_pct 97.2 (threshold 95)" },
		{ make_event(EVENT_SWAP, "swap", "swap", "used_pct", CHECK_WARNING, 80, 75),
			false, "Swap use is warning: used_pct 80 (threshold 75)" },
		{ make_event(EVENT_CPU, "cpu", "cpu-3", "user", CHECK_WARNING, 91.2, 90),
			false, "CPU use on cpu-3 is warning: user 91.2 (threshold 90)" },
		{ make_event(EVENT_LOAD, "load", "load", "load1", CHECK_CRITICAL, 12.5, 8),
			false, "Load is critical: load1 12.5 (threshold 8)" },
		{ make_probe_event(EVENT_URL_DOWN, "probe_up", "up", CHECK_CRITICAL, 0, NAN,
			  "timeout"),
			false, "URL 'web' (" URL ") is down: timeout" },
		{ make_probe_event(EVENT_URL_DOWN, "probe_up", "up", CHECK_CRITICAL, 0, NAN,
			  "connect"),
			true, "URL 'web' (" URL ") is still down: connect" },
		{ make_probe_event(EVENT_URL_DOWN, "probe_up", "up", CHECK_WARNING, 0, NAN,
			  "dns"),
			false, "URL 'web' (" URL ") is down (warning): dns" },
		{ make_probe_event(EVENT_URL_STATUS, "probe_up", "up", CHECK_CRITICAL, 0,
			  NAN, "status"),
			false, "URL 'web' (" URL ") is critical: unexpected HTTP status" },
		{ make_probe_event(EVENT_URL_CONTENT, "probe_up", "up", CHECK_CRITICAL, 0,
			  NAN, "content"),
			false, "URL 'web' (" URL ") is critical: unexpected content" },
		{ make_probe_event(EVENT_URL_SLOW, "probe_latency", "total_ms",
			  CHECK_WARNING, 2310.4, 2000, NULL),
			false,
			"URL 'web' (" URL ") is slow (warning): total_ms 2310.4 (threshold 2000)" },
		{ make_probe_event(EVENT_CERT_EXPIRING, "cert_expiry", "cert_days",
			  CHECK_WARNING, 12.5, 14, NULL),
			false,
			"TLS certificate of URL 'web' (" URL ") is expiring (warning): "
			"cert_days 12.5 (threshold 14)" },
		{ make_probe_event(EVENT_CERT_EXPIRED, "cert_expiry", "cert_days",
			  CHECK_CRITICAL, -3, 7, NULL),
			false,
			"TLS certificate of URL 'web' (" URL ") has expired (critical): "
			"cert_days -3" },
		{ make_probe_event(EVENT_CERT_EXPIRED, "cert_expiry", "cert_days",
			  CHECK_CRITICAL, -4, 7, NULL),
			true,
			"TLS certificate of URL 'web' (" URL ") is still expired (critical): "
			"cert_days -4" },
		{ make_event(EVENT_THRESHOLD, "nic_errors", "if-eth0", "rx_errors",
			  CHECK_WARNING, 12, 10),
			false, "Check 'nic_errors' on if-eth0 is warning: rx_errors 12 (threshold 10)" },
		{ make_event(EVENT_UNKNOWN, "disk_space", "df-root", "bytes_pct",
			  CHECK_UNKNOWN, NAN, NAN),
			false, "Check disk_space on df-root is unknown: no data" },
		{ make_probe_event(EVENT_UNKNOWN, "probe_up", "up", CHECK_UNKNOWN, NAN, NAN,
			  NULL),
			true, "Check probe_up on probe-web (" URL ") is still unknown: no data" },
		{ make_event(EVENT_RECOVERED, "disk_space", "df-root", "bytes_pct", CHECK_OK,
			  80.1, 90),
			false,
			"Recovered: disk_space on df-root is ok (was critical): bytes_pct 80.1" },
		{ make_probe_event(EVENT_RECOVERED, "probe_up", "up", CHECK_OK, 1, NAN, NULL),
			false,
			"Recovered: probe_up on probe-web (" URL ") is ok (was critical): up 1" },
		/* Number formatting: small, large, huge, negative zero. */
		{ make_event(EVENT_THRESHOLD, "t", "s", "f", CHECK_WARNING, 0.00123, 0.001),
			false, "Check 't' on s is warning: f 0.00123 (threshold 0.001)" },
		{ make_event(EVENT_THRESHOLD, "t", "s", "f", CHECK_WARNING, 123456.789, 1e5),
			false, "Check 't' on s is warning: f 123456.8 (threshold 100000)" },
		{ make_event(EVENT_THRESHOLD, "t", "s", "f", CHECK_WARNING, 1.5e18, -0.0),
			false, "Check 't' on s is warning: f 1.5e+18 (threshold 0)" },
		/* What the event lacks is left out, not printed as "(null)". */
		{ make_event(EVENT_THRESHOLD, "t", "s", NULL, CHECK_CRITICAL, 3, NAN),
			false, "Check 't' on s is critical: 3" },
		/* The daemon's own checks. */
		{ make_silent_event(CHECK_CRITICAL, 75, 60), false,
			"Host web1 is silent: no data for 75 s (timeout 60 s)" },
		{ make_silent_event(CHECK_CRITICAL, 375, 60), true,
			"Host web1 is still silent: no data for 375 s (timeout 60 s)" },
		{ make_silent_event(CHECK_OK, 412, NAN), false,
			"Recovered: host web1 sends again after 412 s of silence" },
		{ make_silent_event(CHECK_OK, NAN, NAN), false,
			"Recovered: host web1 sends again" },
		{ make_event(EVENT_SPOOL_OVERFLOW, "spool_overflow", NULL, NULL,
			  CHECK_WARNING, 120, NAN),
			false, "Spool on web1 overflowed: the oldest 120 records were dropped" },
		{ make_central_event("connect"), false,
			"Central https://central.example:8089 is unreachable for 300 s: connect" },
		{ make_central_event(NULL), true,
			"Central https://central.example:8089 is still unreachable for 300 s" },
	};
	char buf[512];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		cases[i].ev.repeat = cases[i].repeat;
		event_format(&cases[i].ev, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, cases[i].expected) == 0,
			"case %zu:\n got '%s'\nwant '%s'", i, buf, cases[i].expected);
	}
}
END_TEST

START_TEST(test_format_bounds)
{
	struct event ev = make_probe_event(EVENT_URL_DOWN, "probe_up", "up",
		CHECK_CRITICAL, 0, NAN, "timeout");
	char full[512], small[16];

	event_format(&ev, full, sizeof(full));
	/* A short buffer holds the start of the line, NUL-terminated. */
	memset(small, 'x', sizeof(small));
	event_format(&ev, small, sizeof(small));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert(strncmp(small, full, sizeof(small) - 1) == 0);
	/* Size 0 writes nothing; size 1 an empty string. */
	small[0] = 'x';
	event_format(&ev, small, 0);
	ck_assert_int_eq(small[0], 'x');
	event_format(&ev, small, 1);
	ck_assert_str_eq(small, "");
}
END_TEST

/* The value of NAME in a "NAME=value" vector, or NULL. */
static const char *
field_get(char **fields, const char *name)
{
	size_t n = strlen(name);

	for (char **f = fields; f && *f; f++)
		if (strncmp(*f, name, n) == 0 && (*f)[n] == '=')
			return *f + n + 1;
	return NULL;
}

START_TEST(test_journal_fields)
{
	struct event ev = make_probe_event(EVENT_URL_DOWN, "probe_up", "up",
		CHECK_CRITICAL, 0, 0.5, "connect");
	_cleanup_(strv_freep) char **f = NULL;
	_cleanup_(strv_freep) char **g = NULL;
	char message[512];

	ev.repeat = true;
	f = journal_event_fields(&ev);
	event_format(&ev, message, sizeof(message));
	ck_assert_str_eq(field_get(f, "MESSAGE"), message);
	ck_assert_str_eq(field_get(f, "MESSAGE_ID"), "37f4fea246324816a846bb00363d3323");
	ck_assert_str_eq(field_get(f, "PRIORITY"), "2");
	ck_assert_str_eq(field_get(f, "SYSLOG_IDENTIFIER"), "healthmond");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_KIND"), "url_down");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_HOST"), "web1");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_CHECK"), "probe_up");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_SERIES"), "probe-web");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_FIELD"), "up");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_STATE"), "critical");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_PREV_STATE"), "ok");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_VALUE"), "0");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_THRESHOLD"), "0.5");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_URL"), URL);
	ck_assert_str_eq(field_get(f, "HEALTHMOND_REASON"), "connect");
	ck_assert_str_eq(field_get(f, "HEALTHMOND_REPEAT"), "1");
	ck_assert_uint_eq(strv_length(f), 16);

	/* Absent facts are absent fields; values keep their precision. */
	ev = make_event(EVENT_UNKNOWN, "memory", "memory", "used_pct", CHECK_UNKNOWN, NAN,
		NAN);
	g = journal_event_fields(&ev);
	ck_assert_ptr_null(field_get(g, "HEALTHMOND_VALUE"));
	ck_assert_ptr_null(field_get(g, "HEALTHMOND_THRESHOLD"));
	ck_assert_ptr_null(field_get(g, "HEALTHMOND_URL"));
	ck_assert_ptr_null(field_get(g, "HEALTHMOND_REASON"));
	ck_assert_ptr_null(field_get(g, "HEALTHMOND_REPEAT"));
	ck_assert_str_eq(field_get(g, "PRIORITY"), "4");
	ck_assert_str_eq(field_get(g, "MESSAGE_ID"), event_message_id(EVENT_UNKNOWN));
	g = strv_free(g);

	ev = make_event(EVENT_DISK_SPACE, "disk_space", "df-root", "bytes_pct",
		CHECK_WARNING, 91.234567, -0.0);
	g = journal_event_fields(&ev);
	ck_assert_str_eq(field_get(g, "HEALTHMOND_VALUE"), "91.234567");
	ck_assert_str_eq(field_get(g, "HEALTHMOND_THRESHOLD"), "0");
	ck_assert_str_eq(field_get(g, "PRIORITY"), "4");
}
END_TEST

struct captured {
	int n;
	int level;
	char msg[2048];
};

static void
capture(int level, const char *msg, void *userdata)
{
	struct captured *c = userdata;

	c->n++;
	c->level = level;
	(void)snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static void
assert_contains(const char *haystack, const char *needle)
{
	ck_assert_msg(strstr(haystack, needle), "'%s' not in '%s'", needle, haystack);
}

START_TEST(test_send_event_line)
{
	struct event ev = make_event(EVENT_DISK_SPACE, "disk_space", "df-root",
		"bytes_pct", CHECK_CRITICAL, 96.2, 95);
	struct event probe = make_probe_event(EVENT_URL_DOWN, "probe_up", "up",
		CHECK_CRITICAL, 0, NAN, "timeout");
	struct captured c = { 0 };

	/* The default target is stderr, which goes through log_msg and the sink. */
	ck_assert_int_eq(log_get_target(), LOG_TARGET_STDERR);
	log_set_sink(capture, &c);
	/* Events are written whatever the log level, and leave it as it was. */
	log_set_max_level(LOG_ERR);
	ck_assert_int_eq(journal_send_event(&ev), 0);
	ck_assert_int_eq(log_get_max_level(), LOG_ERR);
	ck_assert_int_eq(c.n, 1);
	ck_assert_int_eq(c.level, LOG_CRIT);
	ck_assert_str_eq(c.msg,
		"Disk space on df-root is critical: bytes_pct 96.2 (threshold 95) "
		"[host=web1 check=disk_space series=df-root field=bytes_pct "
		"state=critical prev=ok value=96.2 threshold=95 "
		"id=7bea8827270347e38bd24439a9cd09fe]");

	ev = make_event(EVENT_RECOVERED, "disk_space", "df-root", "bytes_pct", CHECK_OK,
		80.1, NAN);
	ck_assert_int_eq(journal_send_event(&ev), 0);
	ck_assert_int_eq(c.n, 2);
	ck_assert_int_eq(c.level, LOG_NOTICE);
	assert_contains(c.msg, "Recovered: disk_space on df-root is ok (was critical)");
	assert_contains(c.msg, "state=ok prev=critical value=80.1 id=");
	ck_assert_ptr_null(strstr(c.msg, "threshold="));

	probe.repeat = true;
	ck_assert_int_eq(journal_send_event(&probe), 0);
	ck_assert_int_eq(c.n, 3);
	assert_contains(c.msg, "URL 'web' (" URL ") is still down: timeout [");
	assert_contains(c.msg, " url=" URL " reason=timeout repeat=1 id=");
	assert_contains(c.msg, event_message_id(EVENT_URL_DOWN));

	log_set_sink(NULL, NULL);
	log_set_max_level(LOG_INFO);
}
END_TEST

/* One catalog entry: its id and the text after the "-- id" line. */
struct entry {
	char id[33];
	char *text; /* owned */
};

struct catalog {
	struct entry e[64];
	size_t n;
	char stray[256]; /* the first line that does not belong anywhere */
};

static void
catalog_done(struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].text);
}

/* A "-- <32 hex> [lang]" line: copies the id. */
static bool
is_id_line(const char *line, char ret_id[33])
{
	if (strncmp(line, "-- ", 3) != 0)
		return false;
	if (strlen(line) < 35 || (line[35] != '\0' && line[35] != ' '))
		return false;
	memcpy(ret_id, line + 3, 32);
	ret_id[32] = '\0';
	return is_id128(ret_id);
}

static void
catalog_read(struct catalog *c)
{
	_cleanup_free_ char *path = test_srcdir_path("catalog/healthmond.catalog");
	_cleanup_free_ char *text = NULL;
	char *rest, *line;
	size_t len;

	*c = (struct catalog){ 0 };
	ck_assert_int_eq(read_file_at(NULL, path, 1 << 20, &text, &len), 0);
	rest = text;
	while ((line = strsep(&rest, "\n"))) {
		char id[33];

		/* journalctl drops comment lines, even inside an entry. */
		if (line[0] == '#')
			continue;
		if (is_id_line(line, id)) {
			ck_assert_uint_lt(c->n, ELEMENTSOF(c->e));
			memcpy(c->e[c->n].id, id, sizeof(id));
			c->e[c->n].text = xstrdup("");
			c->n++;
			continue;
		}
		if (strncmp(line, "--", 2) == 0 && !c->stray[0])
			(void)snprintf(c->stray, sizeof(c->stray), "%s", line);
		if (c->n == 0) {
			if (line[strspn(line, " \t")] && !c->stray[0])
				(void)snprintf(c->stray, sizeof(c->stray), "%s", line);
			continue;
		}
		{
			struct entry *e = &c->e[c->n - 1];
			char *t = xasprintf("%s%s\n", e->text, line);

			free(e->text);
			e->text = t;
		}
	}
}

static const struct entry *
catalog_find(const struct catalog *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].id, id) == 0)
			return &c->e[i];
	return NULL;
}

START_TEST(test_catalog_entries)
{
	struct catalog c;

	catalog_read(&c);
	ck_assert_msg(!c.stray[0], "line outside an entry or malformed id: '%s'", c.stray);
	ck_assert_uint_eq(c.n, _EVENT_KIND_MAX);
	for (size_t i = 0; i < c.n; i++) {
		bool known = false;

		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(c.e[i].id, c.e[j].id) != 0, "duplicate id %s",
				c.e[i].id);
		for (int k = 0; k < _EVENT_KIND_MAX; k++)
			known = known || strcmp(c.e[i].id, event_message_id(k)) == 0;
		ck_assert_msg(known, "catalog id %s belongs to no event kind", c.e[i].id);
	}
	for (int k = 0; k < _EVENT_KIND_MAX; k++) {
		const struct entry *e = catalog_find(&c, event_message_id(k));
		const char *body;

		ck_assert_msg(e, "no catalog entry for %s (%s)", event_kind_to_string(k),
			event_message_id(k));
		ck_assert_msg(strncmp(e->text, "Subject: ", 9) == 0 && e->text[9] != '\n',
			"%s: no Subject: first", event_kind_to_string(k));
		assert_contains(e->text, "\nDefined-By: healthmond\n");
		assert_contains(e->text, "\nDocumentation: man:healthmond(8)\n");
		/* The headers end at the first empty line; the body follows. */
		body = strstr(e->text, "\n\n");
		ck_assert_msg(body && strlen(body + 2) > 100,
			"%s: the body is missing or too short", event_kind_to_string(k));
		ck_assert_msg(!strstr(body + 2, "\nSubject:") &&
				!strstr(body + 2, "\nDefined-By:"),
			"%s: headers after the body (a missing '-- id' line?)",
			event_kind_to_string(k));
	}
	catalog_done(&c);
}
END_TEST

/*
 * The smallest event of each kind that rules.c sends: the catalog entry of
 * a kind may only use the fields all of its events carry, or journalctl -x
 * prints the bare field name.
 */
static struct event
minimal_event(enum event_kind k)
{
	switch (k) {
	case EVENT_DISK_SPACE:
		return make_event(k, "disk_space", "df-root", "bytes_pct", CHECK_CRITICAL,
			96, 95);
	case EVENT_DISK_INODES:
		return make_event(k, "disk_inodes", "df-root", "inodes_pct", CHECK_WARNING,
			91, 90);
	case EVENT_MEMORY:
		return make_event(k, "memory", "memory", "used_pct", CHECK_CRITICAL, 97, 95);
	case EVENT_SWAP:
		return make_event(k, "swap", "swap", "used_pct", CHECK_WARNING, 80, 75);
	case EVENT_CPU:
		return make_event(k, "cpu", "cpu", "user", CHECK_WARNING, 91, 90);
	case EVENT_LOAD:
		return make_event(k, "load", "load", "load1", CHECK_CRITICAL, 12, 8);
	case EVENT_URL_DOWN:
		return make_probe_event(k, "probe_up", "up", CHECK_CRITICAL, 0, NAN,
			"timeout");
	case EVENT_URL_STATUS:
		return make_probe_event(k, "probe_up", "up", CHECK_CRITICAL, 0, NAN,
			"status");
	case EVENT_URL_CONTENT:
		return make_probe_event(k, "probe_up", "up", CHECK_CRITICAL, 0, NAN,
			"content");
	case EVENT_URL_SLOW:
		return make_probe_event(k, "probe_latency", "total_ms", CHECK_WARNING, 2500,
			2000, NULL);
	case EVENT_CERT_EXPIRING:
		return make_probe_event(k, "cert_expiry", "cert_days", CHECK_WARNING, 12, 14,
			NULL);
	case EVENT_CERT_EXPIRED:
		return make_probe_event(k, "cert_expiry", "cert_days", CHECK_CRITICAL, -2, 7,
			NULL);
	case EVENT_THRESHOLD:
		return make_event(k, "nic_errors", "if-eth0", "rx_errors", CHECK_WARNING, 12,
			10);
	case EVENT_UNKNOWN:
		return make_event(k, "memory", "memory", "used_pct", CHECK_UNKNOWN, NAN, NAN);
	case EVENT_HOST_SILENT:
		return make_silent_event(CHECK_CRITICAL, 75, 60);
	case EVENT_SPOOL_OVERFLOW:
		return make_event(k, "spool_overflow", NULL, NULL, CHECK_WARNING, 120, NAN);
	case EVENT_CENTRAL_UNREACHABLE:
		return make_central_event(NULL);
	case EVENT_RECOVERED:
	case _EVENT_KIND_MAX:
	default:
		return make_event(EVENT_RECOVERED, "disk_space", "df-root", "bytes_pct",
			CHECK_OK, 80, NAN);
	}
}

START_TEST(test_catalog_fields)
{
	struct catalog c;
	int used = 0;

	catalog_read(&c);
	for (int k = 0; k < _EVENT_KIND_MAX; k++) {
		const struct entry *e = catalog_find(&c, event_message_id(k));
		struct event ev = minimal_event(k);
		_cleanup_(strv_freep) char **fields = journal_event_fields(&ev);
		const char *p;

		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(ev.kind, k);
		ck_assert_int_eq(event_kind_of(ev.check, ev.state, ev.reason, ev.value), k);
		/* Every @NAME@ (uppercase, digits, '_') must be a field of ev. */
		for (p = strchr(e->text, '@'); p; p = strchr(p, '@')) {
			size_t n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
			char name[64];

			if (n == 0 || p[1 + n] != '@') {
				p++;
				continue;
			}
			ck_assert_uint_lt(n, sizeof(name));
			memcpy(name, p + 1, n);
			name[n] = '\0';
			ck_assert_msg(field_get(fields, name), "catalog entry %s uses @%s@, "
				"which %s events do not always carry", event_message_id(k),
				name, event_kind_to_string(k));
			used++;
			p += n + 2;
		}
	}
	ck_assert_int_gt(used, 2 * _EVENT_KIND_MAX);
	catalog_done(&c);
}
END_TEST

static Suite *
event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_kind_names_and_ids);
	tcase_add_test(tc, test_kind_of);
	tcase_add_test(tc, test_priority);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_format_bounds);
	tcase_add_test(tc, test_journal_fields);
	tcase_add_test(tc, test_send_event_line);
	tcase_add_test(tc, test_catalog_entries);
	tcase_add_test(tc, test_catalog_fields);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(event_suite());
}
