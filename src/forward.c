/* SPDX-License-Identifier: MIT */
/*
 * The forwarding stage: the batch being gathered (copies of records and
 * events), the periodic timer that spools it, and the bookkeeping of losses.
 *
 * A batch is spooled every batch_interval, early when it reaches
 * FORWARD_BATCH_MAX items, and when forwarding stops. When the spool cannot
 * be written (a full or failing disk), the items stay in memory and the next
 * tick tries again, up to FORWARD_PENDING_MAX; past that they are dropped as
 * a loss. A batch larger than the whole spool is dropped as a loss too.
 *
 * Losses (the spool dropping its oldest batches, the central refusing a
 * batch, the above) make an overflow episode: its first loss sends a
 * critical 'spool_overflow' event (value: records lost), later losses are
 * summed and sent as reminders at growing intervals (repeat_interval,
 * doubling up to a day), and the episode ends with an ok event (value: all
 * records lost in it) once a batch is spooled with nothing dropped and the
 * spool at most half full.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forward.h"
#include "log.h"
#include "loop.h"
#include "spool.h"
#include "upload.h"
#include "util.h"
#include "wire.h"

#define MIB ((uint64_t)1024 * 1024)
#define REMINDER_MAX_USEC (86400 * USEC_PER_SEC)
/* In the spool directory: an announced outage of the central (upload.h). */
#define OUTAGE_FILE "central-unreachable"

struct forward {
	const struct hm_conf *conf; /* borrowed: owner is the daemon */
	const char *host;           /* borrowed: owner is the agent */
	char *spool_dir;            /* owned */
	struct spool *spool;        /* owned */
	struct upload *upload;      /* owned */
	struct periodic *timer;     /* owned */
	forward_event_fn on_event;
	void *userdata;             /* borrowed */
	struct record *records;     /* owned array: the batch being gathered */
	size_t n_records, records_allocated;
	struct event *events;       /* owned array, strings and all (event_copy) */
	size_t n_events, events_allocated;
	bool spool_failing;         /* the last append failed: no early flushes */
	bool closing;               /* flushing from forward_free(): send nothing */
	struct complaint spool_complaint;
	struct complaint full_complaint;
	struct {
		bool active;
		uint64_t lost;        /* records lost in this episode */
		uint64_t unreported;  /* ... since the last event */
		uint64_t next_usec;   /* monotonic: the next reminder is due */
		uint64_t interval;
	} overflow;
	struct forward_status st;
};

static char *
strdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* The event with its strings copied: the caller's are borrowed for the call only. */
static void
event_copy(struct event *dst, const struct event *src)
{
	*dst = *src;
	dst->host = strdup_or_null(src->host);
	dst->check = strdup_or_null(src->check);
	dst->series = strdup_or_null(src->series);
	dst->field = strdup_or_null(src->field);
	dst->url = strdup_or_null(src->url);
	dst->reason = strdup_or_null(src->reason);
}

/* The copies are ours: casting const away to free them is safe. */
static void
event_done(struct event *ev)
{
	free((char *)ev->host);
	free((char *)ev->check);
	free((char *)ev->series);
	free((char *)ev->field);
	free((char *)ev->url);
	free((char *)ev->reason);
}

static size_t
pending(const struct forward *f)
{
	return f->n_records + f->n_events;
}

static void
pending_clear(struct forward *f)
{
	for (size_t i = 0; i < f->n_events; i++)
		event_done(&f->events[i]);
	f->n_events = 0;
	f->n_records = 0;
}

static void
send_overflow_event(struct forward *f, enum check_state state, uint64_t records,
	bool repeat, const char *reason)
{
	struct event ev = {
		.host = f->host,
		.check = "spool_overflow",
		.state = state,
		.prev_state = state == CHECK_OK || repeat ? CHECK_CRITICAL : CHECK_OK,
		.value = (double)records,
		.threshold = NAN,
		.reason = reason,
		.time = (int64_t)time(NULL),
		.repeat = repeat,
	};

	ev.kind = event_kind_of(ev.check, ev.state, ev.reason, ev.value);
	f->on_event(&ev, f->userdata);
}

/* Records were dropped unsent: start an overflow episode, or add to it. */
static void
report_loss(struct forward *f, uint64_t records, const char *reason)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);

	f->st.lost_records += records;
	if (!f->overflow.active) {
		f->overflow.active = true;
		f->overflow.lost = records;
		f->overflow.unreported = 0;
		f->overflow.interval = MAX(f->conf->repeat_interval, 1u) * USEC_PER_SEC;
		f->overflow.next_usec = now + f->overflow.interval;
		send_overflow_event(f, CHECK_CRITICAL, records, false, reason);
		return;
	}
	f->overflow.lost += records;
	f->overflow.unreported += records;
	if (now < f->overflow.next_usec)
		return;
	send_overflow_event(f, CHECK_CRITICAL, f->overflow.unreported, true, reason);
	f->overflow.unreported = 0;
	f->overflow.interval = MIN(f->overflow.interval * 2, REMINDER_MAX_USEC);
	f->overflow.next_usec = now + f->overflow.interval;
}

/* A batch went in with nothing dropped: the episode ends once the spool has room. */
static void
maybe_end_overflow(struct forward *f)
{
	struct spool_stats ss;

	if (!f->overflow.active)
		return;
	spool_get_stats(f->spool, &ss);
	if (ss.bytes > ss.max_bytes / 2)
		return;
	f->overflow.active = false;
	send_overflow_event(f, CHECK_OK, f->overflow.lost, false, NULL);
}

static void
on_spool_full(struct forward *f, const struct spool_loss *loss)
{
	log_complain(&f->full_complaint, now_usec(CLOCK_MONOTONIC), LOG_WARNING,
		"Spool '%s' is full: dropped the oldest %llu batches unsent "
		"(numbers %llu..%llu, %llu records, %llu bytes)",
		f->spool_dir, (unsigned long long)loss->batches,
		(unsigned long long)loss->first_seq, (unsigned long long)loss->last_seq,
		(unsigned long long)loss->records, (unsigned long long)loss->bytes);
	report_loss(f, loss->records, "spool_full");
}

/* Drops the batch being gathered; it can never be spooled. */
static void
drop_pending(struct forward *f, const char *reason)
{
	uint64_t records = f->n_records;

	log_err("Dropped a batch of %zu records and %zu events unsent: %s",
		f->n_records, f->n_events, reason);
	pending_clear(f);
	report_loss(f, records, reason);
}

static int
spool_batch(struct forward *f)
{
	uint64_t seq = spool_next_seq(f->spool);
	_cleanup_free_ char *text = wire_encode_batch(seq, f->records, f->n_records,
		f->events, f->n_events);
	struct spool_loss loss;
	int r;

	r = spool_append(f->spool, seq, text, strlen(text), (unsigned)f->n_records,
		&loss);
	if (r < 0)
		return r;
	pending_clear(f);
	f->st.batches++;
	if (loss.batches > 0)
		on_spool_full(f, &loss);
	else
		maybe_end_overflow(f);
	return 0;
}

int
forward_flush(struct forward *f)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	int r;

	if (pending(f) == 0)
		return 0;
	r = spool_batch(f);
	if (r == -EMSGSIZE) {
		drop_pending(f, "too_big");
		return r;
	}
	if (r < 0) {
		f->st.spool_errors++;
		f->spool_failing = true;
		log_complain(&f->spool_complaint, now, LOG_ERR,
			"Cannot write a batch to spool '%s': %s; "
			"keeping %zu items in memory",
			f->spool_dir, strerror(-r), pending(f));
		if (pending(f) >= FORWARD_PENDING_MAX)
			drop_pending(f, "write_failed");
		return r;
	}
	f->spool_failing = false;
	log_complain_clear(&f->spool_complaint, now, "Spool '%s' takes batches again",
		f->spool_dir);
	if (!f->closing)
		upload_kick(f->upload);
	return 0;
}

/* After adding: spool a full batch now, unless the spool is failing. */
static void
added(struct forward *f)
{
	if (pending(f) < FORWARD_BATCH_MAX)
		return;
	if (!f->spool_failing)
		(void)forward_flush(f);
	else if (pending(f) >= FORWARD_PENDING_MAX)
		drop_pending(f, "write_failed");
}

void
forward_record(struct forward *f, const struct record *rec)
{
	f->records = xgrow(f->records, &f->records_allocated, f->n_records, 64,
		sizeof(*f->records));
	f->records[f->n_records++] = *rec;
	added(f);
}

void
forward_event(struct forward *f, const struct event *ev)
{
	f->events = xgrow(f->events, &f->events_allocated, f->n_events, 16,
		sizeof(*f->events));
	event_copy(&f->events[f->n_events++], ev);
	added(f);
}

static void
on_tick(void *userdata)
{
	(void)forward_flush(userdata);
}

static void
on_upload_event(const struct event *ev, void *userdata)
{
	struct forward *f = userdata;

	f->on_event(ev, f->userdata);
}

static void
on_upload_loss(const struct spool_loss *loss, const char *reason, void *userdata)
{
	report_loss(userdata, loss->records, reason);
}

static const struct upload_callbacks upload_callbacks = {
	.event = on_upload_event,
	.loss = on_upload_loss,
};

static int
forward_open(struct forward *f, sd_event *e)
{
	const struct forward_conf *c = &f->conf->forward;
	unsigned seconds = c->batch_interval ? c->batch_interval : f->conf->interval;
	uint64_t interval = seconds * USEC_PER_SEC;
	_cleanup_free_ char *outage = NULL;
	struct spool_stats ss;
	int r;

	r = spool_open(f->spool_dir, (uint64_t)c->spool_max_mb * MIB, &f->spool);
	if (r < 0)
		return log_err_errno(r, "Cannot open spool '%s'", f->spool_dir);
	spool_get_stats(f->spool, &ss);
	if (ss.cleaned > 0)
		log_warning("Spool '%s': removed %u leftover or damaged files",
			f->spool_dir, ss.cleaned);
	if (ss.state_damaged)
		log_warning("Spool '%s': its state file was damaged; batch numbers "
			    "continue from %llu",
			f->spool_dir, (unsigned long long)ss.next_seq);
	if (ss.batches > 0)
		log_info("Spool '%s' holds %zu batches from before, sending them",
			f->spool_dir, ss.batches);
	r = upload_new(e, c, f->host, f->spool, &upload_callbacks, f, &f->upload);
	if (r == -EBADMSG)
		return log_err_errno(r, "Token file '%s' must hold one word",
			c->token_file);
	if (r < 0)
		return log_err_errno(r, "Cannot set up uploads to '%s'%s%s", c->url,
			c->token_file ? " with token file " : "",
			c->token_file ? c->token_file : "");
	outage = xasprintf("%s/" OUTAGE_FILE, f->spool_dir);
	upload_set_outage_file(f->upload, outage);
	r = loop_periodic_new(e, interval, interval, on_tick, f, &f->timer);
	if (r < 0)
		return log_err_errno(r, "Cannot schedule forwarding");
	upload_kick(f->upload);
	return 0;
}

int
forward_new(sd_event *e, const struct hm_conf *conf, const char *host,
	const char *datadir, forward_event_fn on_event, void *userdata,
	struct forward **ret)
{
	_cleanup_(forward_freep) struct forward *f = xcalloc(1, sizeof(*f));
	int r;

	f->conf = conf;
	f->host = host;
	f->on_event = on_event;
	f->userdata = userdata;
	if (conf->forward.spool_dir)
		f->spool_dir = xstrdup(conf->forward.spool_dir);
	else
		f->spool_dir = xasprintf("%s/%s.spool", datadir, host);
	r = forward_open(f, e);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(f);
	return 0;
}

void
forward_get_status(const struct forward *f, struct forward_status *ret)
{
	*ret = f->st;
	upload_get_status(f->upload, &ret->upload);
	ret->pending = pending(f);
}

void
forward_set_upload_timing(struct forward *f, const struct upload_timing *t)
{
	upload_set_timing(f->upload, t);
}

struct forward *
forward_free(struct forward *f)
{
	if (!f)
		return NULL;
	f->closing = true;
	/* Twice: the first flush may report a loss, an event for the second. */
	for (int i = 0; i < 2 && f->spool && pending(f) > 0; i++)
		if (forward_flush(f) < 0) {
			log_err("Stopping with %zu records and events unspooled",
				pending(f));
			break;
		}
	f->timer = loop_periodic_free(f->timer);
	f->upload = upload_free(f->upload);
	f->spool = spool_free(f->spool);
	pending_clear(f);
	free(f->records);
	free(f->events);
	free(f->spool_dir);
	free(f);
	return NULL;
}
