/* SPDX-License-Identifier: MIT */
/*
 * The daemon's log: journald (with structured fields), syslog(3) or stderr.
 * Only the daemon's top layers log; library-like modules return -errno and
 * let their caller say what failed.
 */
#ifndef HM_LOG_H
#define HM_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "macro.h"

enum log_target {
	LOG_TARGET_AUTO,
	LOG_TARGET_JOURNAL,
	LOG_TARGET_SYSLOG,
	LOG_TARGET_STDERR,
	_LOG_TARGET_MAX,
};

const char *log_target_to_string(enum log_target t);
int log_target_from_string(const char *s); /* enum value or -EINVAL */
const char *log_level_to_string(int level);
int log_level_from_string(const char *s); /* LOG_ERR.. LOG_DEBUG or -EINVAL */

/*
 * Picks the sink. AUTO means: stderr when foreground, unless stderr is the
 * journal's stream (JOURNAL_STREAM, as under systemd), then the journal;
 * in the background the journal when its socket exists, else syslog.
 * Returns the target actually chosen.
 */
enum log_target log_open(enum log_target target, bool foreground);
void log_close(void);
/* The target log_open() chose. */
enum log_target log_get_target(void);
void log_set_max_level(int level);
int log_get_max_level(void);

/* Tests capture log lines through a sink; NULL restores the normal output. */
typedef void (*log_sink_fn)(int level, const char *message, void *userdata);
void log_set_sink(log_sink_fn sink, void *userdata);

void log_msg(int level, const char *fmt, ...) _printf_(2, 3);
/* Logs fmt followed by ": strerror(-error)" and returns error (negative). */
int log_msg_errno(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_crit(...) log_msg(LOG_CRIT, __VA_ARGS__)
#define log_warning_errno(r, ...) log_msg_errno(LOG_WARNING, r, __VA_ARGS__)
#define log_err_errno(r, ...) log_msg_errno(LOG_ERR, r, __VA_ARGS__)

/*
 * A repeated failure is logged when it starts, then at growing intervals
 * (doubling from `first_repeat_usec`, capped at one day) while it lasts, and
 * once when it clears (after relayd's hce.c and collectd's c_complain).
 * Zero-initialise; `now` is monotonic microseconds.
 */
struct complaint {
	bool active;
	uint64_t since;
	uint64_t last_logged;
	uint64_t interval;
	uint64_t suppressed;
};
#define COMPLAINT_FIRST_REPEAT_USEC (60 * USEC_PER_SEC)
void log_complain(struct complaint *c, uint64_t now, int level, const char *fmt, ...)
	_printf_(4, 5);
/* Logs fmt at NOTICE when c was active, and resets it. */
void log_complain_clear(struct complaint *c, uint64_t now, const char *fmt, ...)
	_printf_(3, 4);

#endif
