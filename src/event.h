/* SPDX-License-Identifier: MIT */
/*
 * Health events: a check instance changed state (or a bad state lasts). Each
 * known failure pattern has its own kind and 128-bit MESSAGE_ID, which the
 * journal catalog (catalog/healthmond.catalog) explains with a remedy.
 * event.c maps checks to kinds and formats the one-line message; journal.c
 * writes events out.
 */
#ifndef HM_EVENT_H
#define HM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum check_state {
	CHECK_OK,
	CHECK_WARNING,
	CHECK_CRITICAL,
	CHECK_UNKNOWN,
	_CHECK_STATE_MAX,
};

const char *check_state_to_string(enum check_state s);
int check_state_from_string(const char *s); /* enum value or -EINVAL */

enum event_kind {
	EVENT_DISK_SPACE,
	EVENT_DISK_INODES,
	EVENT_MEMORY,
	EVENT_SWAP,
	EVENT_CPU,
	EVENT_LOAD,
	EVENT_URL_DOWN,     /* dns, connect, timeout, tls, error */
	EVENT_URL_STATUS,   /* unexpected HTTP status */
	EVENT_URL_SLOW,
	EVENT_URL_CONTENT,  /* body regex */
	EVENT_CERT_EXPIRING,
	EVENT_CERT_EXPIRED,
	EVENT_THRESHOLD,    /* a check the administrator defined */
	EVENT_UNKNOWN,      /* no data */
	EVENT_RECOVERED,    /* back to ok */
	EVENT_HOST_SILENT,  /* central: an agent sent nothing for host_timeout */
	EVENT_SPOOL_OVERFLOW, /* agent: the spool was full, the oldest data dropped */
	EVENT_CENTRAL_UNREACHABLE, /* agent: uploads to the central keep failing */
	_EVENT_KIND_MAX,
};

struct event {
	enum event_kind kind;
	const char *host;   /* borrowed */
	const char *check;  /* borrowed: check name, "disk_space" */
	const char *series; /* borrowed: "df-root" */
	const char *field;  /* borrowed: "bytes_pct" */
	enum check_state state;
	enum check_state prev_state;
	double value;       /* NAN when unknown */
	double threshold;   /* the threshold crossed or cleared; NAN if none */
	const char *url;    /* borrowed: probe checks only, else NULL */
	const char *reason; /* borrowed: probe checks only ("timeout"), else NULL */
	int64_t time;       /* unix seconds */
	bool repeat;        /* a reminder that a bad state lasts, not a change */
};

/*
 * The kind of an event of check `check` entering `state`. Probe checks
 * (probe_up) pick their kind by reason; cert_expiry by the sign of value.
 * The daemon's own checks are named host_silent, spool_overflow and central.
 */
enum event_kind event_kind_of(const char *check, enum check_state state,
	const char *reason, double value);
const char *event_kind_to_string(enum event_kind k); /* "disk_space", ... */
/* The 32 lowercase hex digits of the kind's MESSAGE_ID. */
const char *event_message_id(enum event_kind k);
/* syslog priority for the state: crit, warning, warning (unknown), notice (ok). */
int event_priority(const struct event *ev);
/* One line for people: "Disk space on df-root is critical: bytes_pct 96.2 (threshold 95)". */
void event_format(const struct event *ev, char *buf, size_t size);

#endif
