/* SPDX-License-Identifier: MIT */
/*
 * The agent-to-central wire format, version 1 (docs/protocol.md): JSON via
 * jansson. A request carries one host's batches, oldest first; a batch has
 * a per-agent sequence number, records and events:
 *
 *   { "version": 1, "host": "web1",
 *     "batches": [ { "seq": 17,
 *                    "records": [ { "series": "df-root", "kind": "df",
 *                                   "time": 1763715600, "step": 0,
 *                                   "values": [ 1.5e9, 2.1e9, 41.6, ... ] } ],
 *                    "events": [ { "kind": "disk_space", "check": "disk_space",
 *                                  "series": "df-root", "field": "bytes_pct",
 *                                  "state": "critical", "prev_state": "warning",
 *                                  "value": 96.2, "threshold": 95,
 *                                  "time": 1763715600, "repeat": false,
 *                                  "url": null, "reason": null } ] } ] }
 *
 * values are in the kind's schema order (record.c); unknown is null. The
 * agent spools each batch as its JSON text and builds a request by joining
 * spooled texts, so nothing is parsed twice. The decoder trusts nothing:
 * every length, type, name and number is checked before anything is used.
 */
#ifndef HM_WIRE_H
#define HM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "macro.h"
#include "record.h"

#define WIRE_VERSION 1

/* Limits the decoder enforces; a request over one is refused whole. */
struct wire_limits {
	size_t max_batches;  /* per request */
	size_t max_records;  /* per request, all batches */
	size_t max_events;   /* per request, all batches */
};

/* Why a request was refused, for counting (Prometheus later) and the reply. */
enum wire_error {
	WIRE_OK,
	WIRE_SYNTAX,      /* not JSON, truncated, invalid UTF-8, too deep */
	WIRE_VERSION_BAD, /* unknown version */
	WIRE_TYPE,        /* a member of the wrong type, missing or unexpected */
	WIRE_NAME,        /* an invalid host, series or field name; unknown kind */
	WIRE_NUMBER,      /* out of range, not finite, wrong count of values */
	WIRE_LIMIT,       /* over a wire_limits limit */
	_WIRE_ERROR_MAX,
};
const char *wire_error_to_string(enum wire_error e); /* "syntax", "version", ... */

struct wire_batch {
	uint64_t seq;
	struct record *records; /* owned array */
	size_t n_records;
	struct event *events;   /* owned array; strings borrowed from the request */
	size_t n_events;
};

struct wire_request {
	char host[NAME_MAX_LEN + 1];
	struct wire_batch *batches; /* owned array, in the order sent */
	size_t n_batches;
	void *json;                 /* owned: the parsed document the events point into */
};

/*
 * Decodes and validates a request body of len bytes (not NUL-terminated).
 * On success returns 0 and hands the request to *ret. On failure returns
 * -EBADMSG (or -EMSGSIZE for WIRE_LIMIT, -EPROTO for WIRE_VERSION_BAD),
 * sets *ret_error to the class and *ret_message (owned) to a short reason.
 * ret_error and ret_message may be NULL; the message is one line of
 * printable ASCII, safe to log and to put in a reply.
 */
int wire_decode_request(const char *body, size_t len, const struct wire_limits *limits,
	struct wire_request **ret, enum wire_error *ret_error, char **ret_message);
struct wire_request *wire_request_free(struct wire_request *r);
DEFINE_POINTER_CLEANUP(struct wire_request, wire_request_free)

/*
 * The JSON text of one batch object; the caller frees it. Never writes what
 * the decoder refuses: a record or event breaking the contract is left out,
 * a value that is not finite or has |v| >= 1e300 becomes null, and so does
 * an invalid url, reason, event series or field. seq is at most INT64_MAX.
 */
char *wire_encode_batch(uint64_t seq, const struct record *records, size_t n_records,
	const struct event *events, size_t n_events);

/*
 * A request body joining batch texts made by wire_encode_batch, oldest first;
 * host is a valid name. The caller frees it; *ret_len (may be NULL) is its length.
 */
char *wire_build_request(const char *host, char *const *batch_texts, size_t n,
	size_t *ret_len);

#endif
