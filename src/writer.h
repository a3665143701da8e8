/* SPDX-License-Identifier: MIT */
/*
 * The RRD writer thread. Creating an RRD file writes about a megabyte and an
 * update costs tens of microseconds of mostly kernel time; at a thousand
 * series that would hold the event loop for seconds. The loop hands records
 * to writer_submit(), which only copies them into a queue; one worker thread
 * owns the store and writes them in order. The queue is bounded: past
 * max_queued records a submit is refused and counted, never blocks.
 */
#ifndef HM_WRITER_H
#define HM_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "latency.h"
#include "record.h"
#include "store.h"

struct writer;

struct writer_stats {
	uint64_t submitted; /* records accepted by writer_submit */
	uint64_t dropped;   /* records refused because the queue was full */
	uint64_t written;   /* samples written */
	uint64_t skipped;   /* samples not newer than the file */
	uint64_t failed;    /* samples the store could not write */
	size_t queued;      /* records waiting now */
	size_t series;      /* series files the store has touched */
	char last_error[256]; /* the store's message for the last failure, or "" */
	char last_failed_series[NAME_MAX_LEN + 1];
	struct self_latency latency; /* of the store's calls, per batch of a host */
};

/* Starts the worker; it owns store from now on. 0 or -errno (store is freed then). */
int writer_new(struct store *store, size_t max_queued, struct writer **ret);
/* Queues a copy of r for host; -EAGAIN when the queue is full. */
int writer_submit(struct writer *w, const char *host, const struct record *r);
/* Waits until everything submitted so far has been written. */
void writer_flush(struct writer *w);
void writer_get_stats(struct writer *w, struct writer_stats *ret);
/* Writes what is queued, stops the worker, frees the store. */
struct writer *writer_free(struct writer *w);
DEFINE_POINTER_CLEANUP(struct writer, writer_free)

#endif
