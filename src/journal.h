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

/*
 * Writes ev to the current log target, whatever the log level: events are
 * what the daemon is for. The journal gets the fields below; syslog and
 * stderr (and a test's log sink) get one line, the message followed by
 * "[host=... check=... id=MESSAGE_ID]". When the journal refuses the entry,
 * the line goes to stderr. 0, or -errno from the journal.
 */
int journal_send_event(const struct event *ev);

/*
 * The journal fields of ev, as a new NULL-terminated vector of "NAME=value"
 * strings that the caller frees with strv_free(): MESSAGE, MESSAGE_ID,
 * PRIORITY, SYSLOG_IDENTIFIER and HEALTHMOND_* (those the event lacks are
 * left out). Exported so that tests can check what the catalog may use.
 */
char **journal_event_fields(const struct event *ev);

#endif
