/* SPDX-License-Identifier: MIT */
/*
 * Health events: check state names, the table of event kinds with their
 * MESSAGE_IDs, the mapping from a check's state change to a kind, and the
 * one-line message people read. The MESSAGE_IDs are fixed forever: the
 * journal catalog (catalog/healthmond.catalog), saved `journalctl
 * MESSAGE_ID=` queries and alerting rules all depend on them. A new kind
 * gets a new id (`systemd-id128 new`) and a catalog entry; an id is never
 * reused. Nothing here logs.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "event.h"
#include "macro.h"

static const char *const state_names[_CHECK_STATE_MAX] = {
	[CHECK_OK] = "ok",
	[CHECK_WARNING] = "warning",
	[CHECK_CRITICAL] = "critical",
	[CHECK_UNKNOWN] = "unknown",
};

struct kind_info {
	const char *name;
	const char *message_id;
};

static const struct kind_info kinds[_EVENT_KIND_MAX] = {
	[EVENT_DISK_SPACE] = { "disk_space", "7bea8827270347e38bd24439a9cd09fe" },
	[EVENT_DISK_INODES] = { "disk_inodes", "2f36cf16fac249f6879f719d80c9bab2" },
	[EVENT_MEMORY] = { "memory", "0168355fc92f4fa9ab94889925122646" },
	[EVENT_SWAP] = { "swap", "98e5fe25a8714dcbaf69e65a41102fef" },
	[EVENT_CPU] = { "cpu", "2f7fa0179ed549e8a12fc4c90eab2441" },
	[EVENT_LOAD] = { "load", "88ae3e45459d4c94994a9ab593354f35" },
	[EVENT_URL_DOWN] = { "url_down", "37f4fea246324816a846bb00363d3323" },
	[EVENT_URL_STATUS] = { "url_status", "89bb582885e5490691fc0181bbfb0ce8" },
	[EVENT_URL_SLOW] = { "url_slow", "f1cfa347771d4b00966816e781e6caed" },
	[EVENT_URL_CONTENT] = { "url_content", "94ef6d60845d407788bdc8082c8bd7ea" },
	[EVENT_CERT_EXPIRING] = { "cert_expiring", "36c884328e5146b18d20e70a5b0cf39b" },
	[EVENT_CERT_EXPIRED] = { "cert_expired", "18b342dc0d754746b737faebf2806e25" },
	[EVENT_THRESHOLD] = { "threshold", "9374b2054dbc452fb8a0c70cf93c7974" },
	[EVENT_UNKNOWN] = { "unknown", "cf2142f4824e4a09a48207b64be14d33" },
	[EVENT_RECOVERED] = { "recovered", "3e5f4890285342bb90ce675f787f5cab" },
	[EVENT_HOST_SILENT] = { "host_silent", "10507fa4c3b643bcbe79e5022eca46f5" },
	[EVENT_SPOOL_OVERFLOW] = { "spool_overflow", "a00176c5e4374258b4ff44f576938028" },
	[EVENT_CENTRAL_UNREACHABLE] = { "central_unreachable",
		"f39eb96d37f1472585f10cbc97984328" },
};

/* Built-in checks whose name alone says the kind. */
static const struct {
	const char *check;
	enum event_kind kind;
} check_kinds[] = {
	{ "disk_space", EVENT_DISK_SPACE },
	{ "disk_inodes", EVENT_DISK_INODES },
	{ "memory", EVENT_MEMORY },
	{ "swap", EVENT_SWAP },
	{ "cpu", EVENT_CPU },
	{ "load", EVENT_LOAD },
	{ "probe_latency", EVENT_URL_SLOW },
	{ "host_silent", EVENT_HOST_SILENT },
	{ "spool_overflow", EVENT_SPOOL_OVERFLOW },
	{ "central", EVENT_CENTRAL_UNREACHABLE },
};

const char *
check_state_to_string(enum check_state s)
{
	return s >= 0 && s < _CHECK_STATE_MAX ? state_names[s] : NULL;
}

int
check_state_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	for (int i = 0; i < _CHECK_STATE_MAX; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	return -EINVAL;
}

enum event_kind
event_kind_of(const char *check, enum check_state state, const char *reason,
	double value)
{
	if (state == CHECK_OK)
		return EVENT_RECOVERED;
	if (state == CHECK_UNKNOWN)
		return EVENT_UNKNOWN;
	if (!check)
		return EVENT_THRESHOLD;
	for (size_t i = 0; i < ELEMENTSOF(check_kinds); i++)
		if (strcmp(check, check_kinds[i].check) == 0)
			return check_kinds[i].kind;
	if (strcmp(check, "probe_up") == 0) {
		if (reason && strcmp(reason, "status") == 0)
			return EVENT_URL_STATUS;
		if (reason && strcmp(reason, "content") == 0)
			return EVENT_URL_CONTENT;
		return EVENT_URL_DOWN;
	}
	if (strcmp(check, "cert_expiry") == 0)
		/* Days left: below zero the certificate is no longer valid. */
		return value < 0 ? EVENT_CERT_EXPIRED : EVENT_CERT_EXPIRING;
	return EVENT_THRESHOLD;
}

const char *
event_kind_to_string(enum event_kind k)
{
	return k >= 0 && k < _EVENT_KIND_MAX ? kinds[k].name : NULL;
}

const char *
event_message_id(enum event_kind k)
{
	return k >= 0 && k < _EVENT_KIND_MAX ? kinds[k].message_id : NULL;
}

int
event_priority(const struct event *ev)
{
	switch (ev->state) {
	case CHECK_CRITICAL:
		return LOG_CRIT;
	case CHECK_WARNING:
	case CHECK_UNKNOWN:
		return LOG_WARNING;
	case CHECK_OK:
	case _CHECK_STATE_MAX:
		break;
	}
	return LOG_NOTICE;
}

/*
 * A value as people read it: integers without decimals, values from 100 with
 * one decimal, smaller ones with three significant digits ("96.2",
 * "0.00123"), huge ones in exponent form.
 */
static void
format_number(double v, char *buf, size_t size)
{
	if (isnan(v))
		(void)snprintf(buf, size, "n/a");
	else if (fabs(v) < 1e15 && v == rint(v))
		(void)snprintf(buf, size, "%.0f", v + 0.0); /* + 0.0: no "-0" */
	else if (fabs(v) >= 1e15)
		(void)snprintf(buf, size, "%.4g", v);
	else if (fabs(v) >= 100)
		(void)snprintf(buf, size, "%.1f", v);
	else
		(void)snprintf(buf, size, "%.3g", v);
}

/* Appends to a bounded buffer; the result is always NUL-terminated and may be cut. */
struct line {
	char *buf;
	size_t size;
	size_t len;
};

static void _printf_(2, 3)
line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len + 1 >= l->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	l->len = MIN(l->len + (size_t)n, l->size - 1);
}

static const char *
str_or(const char *s, const char *fallback)
{
	return s && *s ? s : fallback;
}

/* "web" for series "probe-web". */
static const char *
probe_name(const struct event *ev)
{
	const char *s = str_or(ev->series, "?");

	return strncmp(s, "probe-", 6) == 0 && s[6] ? s + 6 : s;
}

/* ": field value (threshold t)", skipping what the event lacks. */
static void
add_detail(struct line *l, const struct event *ev, bool with_threshold)
{
	char v[32], t[32];

	if (isnan(ev->value))
		return;
	format_number(ev->value, v, sizeof(v));
	if (ev->field)
		line_add(l, ": %s %s", ev->field, v);
	else
		line_add(l, ": %s", v);
	if (with_threshold && !isnan(ev->threshold)) {
		format_number(ev->threshold, t, sizeof(t));
		line_add(l, " (threshold %s)", t);
	}
}

/* "Memory use" for series "memory", "CPU use on cpu-3" for another series. */
static void
add_subject(struct line *l, const char *what, const char *usual_series,
	const struct event *ev)
{
	line_add(l, "%s", what);
	if (ev->series && (!usual_series || strcmp(ev->series, usual_series) != 0))
		line_add(l, " on %s", ev->series);
}

static void
add_url(struct line *l, const struct event *ev)
{
	line_add(l, "URL '%s'", probe_name(ev));
	if (ev->url)
		line_add(l, " (%s)", ev->url);
}

void
event_format(const struct event *ev, char *buf, size_t size)
{
	struct line l = { buf, size, 0 };
	const char *state = str_or(check_state_to_string(ev->state), "?");
	const char *still = ev->repeat ? "still " : "";

	if (size == 0)
		return;
	buf[0] = '\0';
	switch (ev->kind) {
	case EVENT_DISK_SPACE:
		add_subject(&l, "Disk space", NULL, ev);
		break;
	case EVENT_DISK_INODES:
		add_subject(&l, "Inode use", NULL, ev);
		break;
	case EVENT_MEMORY:
		add_subject(&l, "Memory use", "memory", ev);
		break;
	case EVENT_SWAP:
		add_subject(&l, "Swap use", "swap", ev);
		break;
	case EVENT_CPU:
		add_subject(&l, "CPU use", "cpu", ev);
		break;
	case EVENT_LOAD:
		add_subject(&l, "Load", "load", ev);
		break;
	case EVENT_URL_DOWN:
		add_url(&l, ev);
		line_add(&l, " is %sdown", still);
		if (ev->state != CHECK_CRITICAL)
			line_add(&l, " (%s)", state);
		line_add(&l, ": %s", str_or(ev->reason, "error"));
		return;
	case EVENT_URL_STATUS:
		add_url(&l, ev);
		line_add(&l, " is %s%s: unexpected HTTP status", still, state);
		return;
	case EVENT_URL_CONTENT:
		add_url(&l, ev);
		line_add(&l, " is %s%s: unexpected content", still, state);
		return;
	case EVENT_URL_SLOW:
		add_url(&l, ev);
		line_add(&l, " is %sslow (%s)", still, state);
		add_detail(&l, ev, true);
		return;
	case EVENT_CERT_EXPIRING:
		line_add(&l, "TLS certificate of ");
		add_url(&l, ev);
		line_add(&l, " is %sexpiring (%s)", still, state);
		add_detail(&l, ev, true);
		return;
	case EVENT_CERT_EXPIRED:
		line_add(&l, "TLS certificate of ");
		add_url(&l, ev);
		line_add(&l, " %s expired (%s)", ev->repeat ? "is still" : "has", state);
		add_detail(&l, ev, false);
		return;
	case EVENT_UNKNOWN:
		line_add(&l, "Check %s on %s", str_or(ev->check, "?"),
			str_or(ev->series, "?"));
		if (ev->url)
			line_add(&l, " (%s)", ev->url);
		line_add(&l, " is %sunknown: no data", still);
		return;
	case EVENT_RECOVERED:
		if (ev->check && strcmp(ev->check, "host_silent") == 0) {
			/* The central's own check: the subject is the host. */
			line_add(&l, "Recovered: host %s sends again",
				str_or(ev->host, "?"));
			if (!isnan(ev->value))
				line_add(&l, " after %.0f s of silence", ev->value);
			return;
		}
		line_add(&l, "Recovered: %s", str_or(ev->check, "?"));
		/* The daemon's own checks (central, spool_overflow) have no series. */
		if (ev->series)
			line_add(&l, " on %s", ev->series);
		if (ev->url)
			line_add(&l, " (%s)", ev->url);
		line_add(&l, " is ok (was %s)",
			str_or(check_state_to_string(ev->prev_state), "?"));
		add_detail(&l, ev, false);
		return;
	case EVENT_HOST_SILENT:
		line_add(&l, "Host %s is %ssilent: no data for %.0f s (timeout %.0f s)",
			str_or(ev->host, "?"), still, ev->value, ev->threshold);
		return;
	case EVENT_SPOOL_OVERFLOW:
		line_add(&l, "Spool on %s overflowed: the oldest %.0f records were dropped",
			str_or(ev->host, "?"), ev->value);
		return;
	case EVENT_CENTRAL_UNREACHABLE:
		line_add(&l, "Central %s is %sunreachable for %.0f s", str_or(ev->url, "?"),
			still, ev->value);
		if (ev->reason)
			line_add(&l, ": %s", ev->reason);
		return;
	case EVENT_THRESHOLD:
	case _EVENT_KIND_MAX:
	default:
		line_add(&l, "Check '%s' on %s", str_or(ev->check, "?"),
			str_or(ev->series, "?"));
		break;
	}
	line_add(&l, " is %s%s", still, state);
	add_detail(&l, ev, true);
}
