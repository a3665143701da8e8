/* SPDX-License-Identifier: MIT */
/*
 * Writing events out: to the journal with MESSAGE_ID and HEALTHMOND_* fields
 * (so `journalctl HEALTHMOND_STATE=critical` and `journalctl -x` work), to
 * syslog as one line with the key facts, or to stderr in the foreground,
 * following the log target.
 */
#ifndef HM_JOURNAL_H
#define HM_JOURNAL_H

#include "event.h"

/* Writes ev to the current log target. 0 or -errno. */
int journal_send_event(const struct event *ev);

#endif
