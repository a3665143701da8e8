/* SPDX-License-Identifier: MIT */
/*
 * Ingest: POST /api/v1/ingest, where agents deliver their batches. A request
 * is authenticated from its headers before its body is read (a bearer token
 * from the tokens file, or a verified client certificate whose common name
 * is the host), decoded and validated (wire.h), checked against the host's
 * own name and the limits, then applied in order and exactly once per
 * (host, sequence number): records go to the store, events to the journal
 * under the sending host's name. The highest sequence number handled for a
 * host is kept in <datadir>/<host>/.ingest-seq, written durably before the
 * agent is told {"acked": seq}, so a re-sent batch is counted as a duplicate
 * even after the central restarts.
 *
 * Answers: 200 {"acked": N}; 400 malformed (error = the wire_error class);
 * 401 no or unknown credentials; 403 credentials of another host; 413 a body
 * over max_body_kb or a request over max_records ("limit"); 429 a new host
 * past max_hosts or new series past max_series_per_host (Retry-After; the
 * agent should keep the data); 503 the store failed (Retry-After; "acked"
 * says how far it got). Every error body is {"error": class, "message": ...}.
 */
#ifndef HM_INGEST_H
#define HM_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "http.h"
#include "store.h"
#include "wire.h"

#define INGEST_PATH "/api/v1/ingest"
/* Tokens are TOKEN_LEN_MIN to TOKEN_LEN_MAX visible ASCII characters (tokens.h). */

struct ingest;

struct ingest_stats {
	uint64_t requests;          /* requests to the ingest path */
	uint64_t accepted;          /* answered 200 */
	uint64_t refused_auth;      /* 401 */
	uint64_t refused_host;      /* 403: another host's data */
	uint64_t refused_malformed[_WIRE_ERROR_MAX]; /* 400, 413 for WIRE_LIMIT */
	uint64_t refused_too_large; /* 413: body over max_body_kb */
	uint64_t refused_hosts;     /* 429: a new host past max_hosts */
	uint64_t refused_series;    /* 429: past max_series_per_host */
	uint64_t failed;            /* 503: the store or the mark failed */
	uint64_t batches;           /* applied */
	uint64_t duplicate_batches; /* seq at or below the host's mark */
	uint64_t records;           /* samples written */
	uint64_t duplicate_samples; /* samples not newer than the RRD */
	uint64_t events;            /* events logged */
	uint64_t bytes;             /* body bytes of decoded requests */
};

/* Requests refused, whatever the reason (not counting 503). */
uint64_t ingest_stats_refused(const struct ingest_stats *s);
/* Adds b to a, counter by counter (to carry counts over a reload). */
void ingest_stats_add(struct ingest_stats *a, const struct ingest_stats *b);

/* Called for each request that passed authentication and validation. */
typedef void (*ingest_seen_fn)(const char *host, void *userdata);

/*
 * Builds the ingest for conf->central, writing into store (borrowed, as is
 * conf) under datadir: loads the tokens file and the sequence marks of the
 * hosts found in datadir. Returns 0, or -errno with a message for people in
 * *ret_error (owned).
 */
int ingest_new(const struct hm_conf *conf, const char *datadir, struct store *store,
	ingest_seen_fn on_seen, void *userdata, struct ingest **ret, char **ret_error);

/* The route to hand to http_server_new(); valid while the ingest lives. */
void ingest_get_route(struct ingest *in, struct http_route *ret);

/*
 * Parses a tokens file's text: "host token" per line, '#' comments, blank
 * lines. 0 and the number of tokens, or -EINVAL with "line N: why" in
 * *ret_error (owned). Exported for tests.
 */
int ingest_parse_tokens(struct ingest *in, const char *text, size_t *ret_n,
	char **ret_error);
/* The host a bearer token belongs to, or NULL; constant time in the token. */
const char *ingest_token_host(const struct ingest *in, const char *token);

/*
 * Feeds v (borrowed; NULL: none) from now on with what agents send, for the
 * HTTP face; the hosts known already are added to it.
 */
struct view;
void ingest_set_view(struct ingest *in, struct view *v);
/* Hosts known: from the data directory at start, and those that sent since. */
size_t ingest_host_count(const struct ingest *in);
const char *ingest_host_name(const struct ingest *in, size_t i);
/* The host's sequence mark; -ENOENT when it has none. */
int ingest_host_mark(const struct ingest *in, const char *host, uint64_t *ret);

const struct ingest_stats *ingest_get_stats(const struct ingest *in);
struct ingest *ingest_free(struct ingest *in);
DEFINE_POINTER_CLEANUP(struct ingest, ingest_free)

#endif
