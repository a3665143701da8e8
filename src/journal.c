/* SPDX-License-Identifier: MIT */
/*
 * Writing health events out, following the log target: to the journal as
 * one entry with MESSAGE_ID and HEALTHMOND_* fields (so that
 * `journalctl HEALTHMOND_STATE=critical` and `journalctl -x` with our
 * catalog work), to syslog or stderr as one line that carries the same
 * facts in brackets. Events are written whatever the log level: a daemon
 * told to log only errors must still say that a disk is full.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "journal.h"
#include "log.h"
#include "util.h"

#define EVENT_FIELDS_MAX 24

/* Machine-readable: as many digits as a double holds, no "-0", no noise. */
static void
format_value(double v, char *buf, size_t size)
{
	(void)snprintf(buf, size, "%.15g", v + 0.0);
}

static void
push_field(char ***v, const char *name, const char *value)
{
	_cleanup_free_ char *s = NULL;

	if (!value)
		return;
	s = xasprintf("%s=%s", name, value);
	strv_push(v, s);
}

static void
push_number(char ***v, const char *name, double value)
{
	char buf[64];

	if (isnan(value))
		return;
	format_value(value, buf, sizeof(buf));
	push_field(v, name, buf);
}

char **
journal_event_fields(const struct event *ev)
{
	char **v = strv_copy(NULL);
	char message[2048], priority[16];

	event_format(ev, message, sizeof(message));
	(void)snprintf(priority, sizeof(priority), "%d", event_priority(ev));
	push_field(&v, "MESSAGE", message);
	push_field(&v, "MESSAGE_ID", event_message_id(ev->kind));
	push_field(&v, "PRIORITY", priority);
	push_field(&v, "SYSLOG_IDENTIFIER", "healthmond");
	push_field(&v, "HEALTHMOND_KIND", event_kind_to_string(ev->kind));
	push_field(&v, "HEALTHMOND_HOST", ev->host);
	push_field(&v, "HEALTHMOND_CHECK", ev->check);
	push_field(&v, "HEALTHMOND_SERIES", ev->series);
	push_field(&v, "HEALTHMOND_FIELD", ev->field);
	push_field(&v, "HEALTHMOND_STATE", check_state_to_string(ev->state));
	push_field(&v, "HEALTHMOND_PREV_STATE", check_state_to_string(ev->prev_state));
	push_number(&v, "HEALTHMOND_VALUE", ev->value);
	push_number(&v, "HEALTHMOND_THRESHOLD", ev->threshold);
	push_field(&v, "HEALTHMOND_URL", ev->url);
	push_field(&v, "HEALTHMOND_REASON", ev->reason);
	if (ev->repeat)
		push_field(&v, "HEALTHMOND_REPEAT", "1");
	return v;
}

struct line {
	char buf[4096];
	size_t len;
};

static void _printf_(2, 3)
line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len + 1 >= sizeof(l->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = MIN(l->len + (size_t)n, sizeof(l->buf) - 1);
}

static void
line_add_field(struct line *l, const char *key, const char *value)
{
	if (value)
		line_add(l, "%s=%s ", key, value);
}

static void
line_add_number(struct line *l, const char *key, double value)
{
	char buf[64];

	if (isnan(value))
		return;
	format_value(value, buf, sizeof(buf));
	line_add_field(l, key, buf);
}

/*
 * "Disk space on df-root is critical: bytes_pct 96.2 (threshold 95)
 * [host=h check=disk_space series=df-root field=bytes_pct state=critical
 * prev=ok value=96.2 threshold=95 id=...]", for syslog and stderr.
 */
static void
format_line(const struct event *ev, struct line *l)
{
	char message[2048];

	event_format(ev, message, sizeof(message));
	l->len = 0;
	l->buf[0] = '\0';
	line_add(l, "%s [", message);
	line_add_field(l, "host", ev->host);
	line_add_field(l, "check", ev->check);
	line_add_field(l, "series", ev->series);
	line_add_field(l, "field", ev->field);
	line_add_field(l, "state", check_state_to_string(ev->state));
	line_add_field(l, "prev", check_state_to_string(ev->prev_state));
	line_add_number(l, "value", ev->value);
	line_add_number(l, "threshold", ev->threshold);
	line_add_field(l, "url", ev->url);
	line_add_field(l, "reason", ev->reason);
	if (ev->repeat)
		line_add_field(l, "repeat", "1");
	line_add(l, "id=%s]", event_message_id(ev->kind));
}

/* log_msg() at level even when the configured maximum level would drop it. */
static void
log_always(int level, const char *line)
{
	int saved = log_get_max_level();

	if (level > saved)
		log_set_max_level(level);
	log_msg(level, "%s", line);
	log_set_max_level(saved);
}

static int
send_journal(const struct event *ev)
{
	_cleanup_(strv_freep) char **fields = journal_event_fields(ev);
	struct iovec iov[EVENT_FIELDS_MAX];
	size_t n = 0;

	for (char **f = fields; *f && n < ELEMENTSOF(iov); f++)
		iov[n++] = (struct iovec){ .iov_base = *f, .iov_len = strlen(*f) };
	return sd_journal_sendv(iov, (int)n);
}

int
journal_send_event(const struct event *ev)
{
	struct line l;
	int r;

	switch (log_get_target()) {
	case LOG_TARGET_JOURNAL:
		r = send_journal(ev);
		if (r >= 0)
			return 0;
		/*
		 * The journal is there but refused the entry: keep the event on
		 * stderr rather than lose it, and tell the caller.
		 */
		format_line(ev, &l);
		(void)fprintf(stderr, "healthmond[%s]: %s\n",
			log_level_to_string(event_priority(ev)), l.buf);
		return r;
	case LOG_TARGET_SYSLOG:
	case LOG_TARGET_STDERR:
	case LOG_TARGET_AUTO:
	case _LOG_TARGET_MAX:
	default:
		/* log.c knows the syslog and stderr forms, and a test's sink. */
		format_line(ev, &l);
		log_always(event_priority(ev), l.buf);
		return 0;
	}
}
