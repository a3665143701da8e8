/* SPDX-License-Identifier: MIT */
/*
 * Forwarding, the agent's last pipeline stage: records (after the store) and
 * events (after the journal) gather into a batch in memory; every
 * batch_interval the batch is encoded (wire.h), appended to the spool
 * (spool.h, on disk before anything is sent) and the uploader (upload.h) is
 * told. Data the spool or the central drops becomes a 'spool overflow'
 * event through the caller's event path, so that it is journaled and
 * forwarded like any other. Forwarding never touches the local RRDs.
 */
#ifndef HM_FORWARD_H
#define HM_FORWARD_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "event.h"
#include "record.h"
#include "upload.h"

/* A batch is spooled early when it holds this many records and events. */
#define FORWARD_BATCH_MAX 2000
/* While the spool cannot be written, at most this many wait in memory. */
#define FORWARD_PENDING_MAX (10 * FORWARD_BATCH_MAX)

struct forward_status {
	struct upload_status upload; /* the link and the spool */
	size_t pending;              /* records and events waiting for the next batch */
	uint64_t batches;            /* batches spooled */
	uint64_t lost_records;       /* dropped unsent: spool full, refused, ... */
	uint64_t spool_errors;       /* failed appends to the spool */
};

typedef void (*forward_event_fn)(const struct event *ev, void *userdata);

struct forward;

/*
 * Opens the spool (conf->forward.spool_dir, or <datadir>/<host>.spool) and
 * the uploader, schedules the batches on e and starts sending what the
 * spool holds from before. conf, host and datadir are borrowed and must
 * outlive it. Losses are reported through on_event, which should journal
 * the event and hand it back to forward_event(). Returns 0 or -errno,
 * logging what failed.
 */
int forward_new(sd_event *e, const struct hm_conf *conf, const char *host,
	const char *datadir, forward_event_fn on_event, void *userdata,
	struct forward **ret);
/* Adds a copy of rec (or ev, strings and all) to the current batch. */
void forward_record(struct forward *f, const struct record *rec);
void forward_event(struct forward *f, const struct event *ev);
/* Spools the current batch now (nothing when it is empty). 0 or -errno, logged. */
int forward_flush(struct forward *f);
void forward_get_status(const struct forward *f, struct forward_status *ret);
/* For tests: the uploader's timing (upload_set_timing()). */
void forward_set_upload_timing(struct forward *f, const struct upload_timing *t);
/* Spools the current batch (a clean stop loses nothing), then frees f. */
struct forward *forward_free(struct forward *f);
DEFINE_POINTER_CLEANUP(struct forward, forward_free)

#endif
