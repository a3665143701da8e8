/* SPDX-License-Identifier: MIT */
/*
 * The daemon's log sink: journald with SYSLOG_IDENTIFIER and PRIORITY,
 * syslog(3), or stderr; a test can capture lines through log_set_sink().
 * Also the "complaint" helper that keeps a lasting failure from flooding
 * the log while still saying when it started, that it goes on, and when it
 * cleared.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"
#include "util.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define COMPLAINT_MAX_INTERVAL (86400 * USEC_PER_SEC)

static enum log_target current_target = LOG_TARGET_STDERR;
static int max_level = LOG_INFO;
static log_sink_fn test_sink;
static void *test_sink_userdata;

static const char *const target_names[_LOG_TARGET_MAX] = {
	[LOG_TARGET_AUTO] = "auto",
	[LOG_TARGET_JOURNAL] = "journal",
	[LOG_TARGET_SYSLOG] = "syslog",
	[LOG_TARGET_STDERR] = "stderr",
};

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

const char *
log_target_to_string(enum log_target t)
{
	return t >= 0 && t < _LOG_TARGET_MAX ? target_names[t] : NULL;
}

int
log_target_from_string(const char *s)
{
	for (int i = 0; i < _LOG_TARGET_MAX; i++)
		if (strcmp(s, target_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *
log_level_to_string(int level)
{
	return level >= 0 && level <= LOG_DEBUG ? level_names[level] : NULL;
}

int
log_level_from_string(const char *s)
{
	/* Only the levels a configuration can sensibly ask for. */
	for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -EINVAL;
}

/* True when fd 2 is the stream systemd connected to the journal (see systemd.exec(5)). */
static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

enum log_target
log_open(enum log_target target, bool foreground)
{
	if (target == LOG_TARGET_AUTO) {
		if (foreground)
			target = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
		else if (access(JOURNAL_SOCKET, W_OK) == 0)
			target = LOG_TARGET_JOURNAL;
		else
			target = LOG_TARGET_SYSLOG;
	}
	if (current_target == LOG_TARGET_SYSLOG && target != LOG_TARGET_SYSLOG)
		closelog();
	if (target == LOG_TARGET_SYSLOG)
		openlog("healthmond", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	current_target = target;
	return target;
}

void
log_close(void)
{
	if (current_target == LOG_TARGET_SYSLOG)
		closelog();
	current_target = LOG_TARGET_STDERR;
}

enum log_target
log_get_target(void)
{
	return current_target;
}

void
log_set_max_level(int level)
{
	max_level = level;
}

int
log_get_max_level(void)
{
	return max_level;
}

void
log_set_sink(log_sink_fn sink, void *userdata)
{
	test_sink = sink;
	test_sink_userdata = userdata;
}

static void
log_write(int level, const char *msg)
{
	if (test_sink) {
		test_sink(level, msg, test_sink_userdata);
		return;
	}
	switch (current_target) {
	case LOG_TARGET_JOURNAL:
		/* If the journal went away the line is lost; stderr is our fallback. */
		if (sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level,
			    "SYSLOG_IDENTIFIER=healthmond", NULL) >= 0)
			break;
		/* FALLTHROUGH */
	case LOG_TARGET_STDERR:
	case LOG_TARGET_AUTO:
	case _LOG_TARGET_MAX:
		fprintf(stderr, "healthmond[%s]: %s\n", level_names[level & 7], msg);
		break;
	case LOG_TARGET_SYSLOG:
		syslog(level, "%s", msg);
		break;
	}
}

static void
log_vmsg(int level, const char *suffix, const char *fmt, va_list ap)
{
	char buf[2048];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= 0 && suffix && (size_t)n < sizeof(buf))
		(void)snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", suffix);
	log_write(level, buf);
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}

int
log_msg_errno(int level, int error, const char *fmt, ...)
{
	va_list ap;

	if (level > max_level)
		return error;
	va_start(ap, fmt);
	log_vmsg(level, strerror(error < 0 ? -error : error), fmt, ap);
	va_end(ap);
	return error;
}

void
log_complain(struct complaint *c, uint64_t now, int level, const char *fmt, ...)
{
	char buf[1536];
	va_list ap;

	if (c->active && now < c->last_logged + c->interval) {
		c->suppressed++;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!c->active) {
		c->active = true;
		c->since = now;
		c->interval = COMPLAINT_FIRST_REPEAT_USEC;
		log_msg(level, "%s", buf);
	} else {
		log_msg(level, "%s (still failing after %llu s; %llu repeats not logged)",
			buf, (unsigned long long)((now - c->since) / USEC_PER_SEC),
			(unsigned long long)c->suppressed);
		c->interval = MIN(c->interval * 2, COMPLAINT_MAX_INTERVAL);
	}
	c->last_logged = now;
	c->suppressed = 0;
}

void
log_complain_clear(struct complaint *c, uint64_t now, const char *fmt, ...)
{
	char buf[1536];
	va_list ap;

	if (!c->active)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_notice("%s (after %llu s)", buf,
		(unsigned long long)((now - c->since) / USEC_PER_SEC));
	*c = (struct complaint){ 0 };
}
