/* SPDX-License-Identifier: MIT */
/*
 * The uploader: sends the spool's batches, oldest first, to the central's
 * POST <url>/api/v1/ingest on the loop's curl multi handle (curlglue.h), one
 * request at a time over a kept-alive connection. A 2xx answer
 * {"acked": N} says the central durably has every batch of the request up
 * to sequence number N: those leave the spool. Failures are retried with
 * exponential backoff and full jitter; uploads failing for long enough
 * become one 'central unreachable' event, and the next success its
 * recovery. A batch the central refuses as malformed is retried alone and,
 * after a few tries, dropped as a loss the caller turns into an event
 * (a few such in a row at most: see upload.c). The uploader logs its
 * failures, rate-limited.
 */
#ifndef HM_UPLOAD_H
#define HM_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "event.h"
#include "spool.h"

/* A request carries at most this much of the spool. */
#define UPLOAD_MAX_BATCHES 1000
#define UPLOAD_MAX_BYTES (1024 * 1024)
/* Refused batches dropped in a row, without a success between, at most. */
#define UPLOAD_POISON_RUN_MAX 3

enum upload_link {
	UPLOAD_IDLE,      /* nothing answered yet */
	UPLOAD_CONNECTED, /* the last request succeeded */
	UPLOAD_RETRYING,  /* the last request failed; a retry is scheduled */
	_UPLOAD_LINK_MAX,
};
const char *upload_link_to_string(enum upload_link l); /* "idle", "connected", ... */

struct upload_status {
	enum upload_link link;
	unsigned failures;        /* consecutive failed requests */
	char last_error[256];     /* the last failure, for people; "" when none */
	uint64_t requests;        /* requests made */
	uint64_t sent_batches;    /* batches the central acknowledged */
	uint64_t dropped_batches; /* batches the central refused, dropped */
	int64_t last_success;     /* unix seconds; 0: never */
	bool unreachable;         /* the 'central unreachable' event is out */
	size_t spool_batches;     /* waiting in the spool */
	uint64_t spool_bytes;
	uint64_t oldest_age;      /* seconds the oldest unsent batch waits; 0: none */
};

/* How the uploader waits; the defaults below, tests shorten them. */
struct upload_timing {
	uint64_t backoff_min_usec;     /* the first retry waits up to this */
	uint64_t backoff_max_usec;     /* doubling up to this */
	uint64_t unreachable_usec;     /* failing this long ... */
	unsigned unreachable_failures; /* ... this many times: 'central unreachable' */
	unsigned poison_tries;         /* a batch refused alone this often is dropped */
};
#define UPLOAD_TIMING_DEFAULT                                                        \
	((struct upload_timing){ .backoff_min_usec = 1 * USEC_PER_SEC,               \
		.backoff_max_usec = 300 * USEC_PER_SEC,                              \
		.unreachable_usec = 60 * USEC_PER_SEC,                               \
		.unreachable_failures = 3,                                           \
		.poison_tries = 3 })

struct upload_callbacks {
	/* 'central unreachable' (critical) and its recovery (ok). */
	void (*event)(const struct event *ev, void *userdata);
	/* Batches dropped unsent; reason is a short lowercase word ("rejected"). */
	void (*loss)(const struct spool_loss *loss, const char *reason, void *userdata);
};

struct upload;

/*
 * Makes the uploader for conf (url set) on e. conf, host, spool and cb are
 * borrowed and must outlive it. Reads the token from conf->token_file now:
 * -ENOENT and friends when it cannot be read, -EBADMSG when it is empty or
 * holds more than one word. -EOPNOTSUPP when libcurl cannot be loaded.
 * Nothing is sent before upload_kick().
 */
int upload_new(sd_event *e, const struct forward_conf *conf, const char *host,
	struct spool *spool, const struct upload_callbacks *cb, void *userdata,
	struct upload **ret);
/* There is something new in the spool: send it now, unless a request is in
 * flight or a retry is scheduled (which then takes it along). */
void upload_kick(struct upload *u);
/*
 * Remembers an announced 'central unreachable' in path (say, in the spool
 * directory) until its recovery, so that a reload or restart in between
 * still sends the recovery; reads what path holds now. NULL: forget.
 */
void upload_set_outage_file(struct upload *u, const char *path);
void upload_set_timing(struct upload *u, const struct upload_timing *t);
void upload_get_status(const struct upload *u, struct upload_status *ret);
/* Cancels a request in flight (its batches stay in the spool) and frees u. */
struct upload *upload_free(struct upload *u);
DEFINE_POINTER_CLEANUP(struct upload, upload_free)

#endif
