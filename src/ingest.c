/* SPDX-License-Identifier: MIT */
/*
 * Ingest: authenticate, decode, admit and apply agents' batches.
 *
 * Order of a request, and why:
 *   1. headers: credentials (401) before a byte of the body is read;
 *   2. body: the http layer has capped it (413);
 *   3. wire_decode_request() trusts nothing (400; 413 for WIRE_LIMIT);
 *   4. the body's host must be the credentials' host (403), so an agent can
 *      write only under its own name, and names are validated, so only
 *      under <datadir>/<host>/;
 *   5. limits on hosts and series (429), before anything is written;
 *   6. batches in order, each applied once: a batch at or below the host's
 *      mark is a duplicate; records go to the store (a sample not newer
 *      than its file is a duplicate sample), events to the journal;
 *   7. the new mark is written to <datadir>/<host>/.ingest-seq and flushed
 *      to disk (mark.c) before the 200.
 * A store failure stops at that batch and answers 503 with the mark so far:
 * the agent keeps the batch and sends it again; what was written of it is
 * then skipped as duplicate samples.
 *
 * Hosts and their series are kept in sorted arrays (binary search; inserts
 * are rare and bounded by max_hosts and max_series_per_host). Refusals are
 * counted and logged at debug level only: peers choose how often they fail.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ingest.h"
#include "mark.h"
#include "tokens.h"
#include "journal.h"
#include "log.h"
#include "util.h"
#include "view.h"

#define INGEST_MAX_BATCHES 4096
#define INGEST_MAX_EVENTS 20000

#define TOKENS_FILE_MAX (16 * 1024 * 1024)
/* What 429 and 503 tell agents to wait, in seconds. */
#define RETRY_AFTER "30"

struct host {
	char name[NAME_MAX_LEN + 1];
	bool has_mark;
	uint64_t mark;           /* highest sequence number handled */
	bool has_persisted;
	uint64_t persisted;      /* the mark on disk */
	bool series_loaded;
	char **series;           /* owned: sorted names, n_series of them */
	size_t n_series;
	size_t allocated_series;
};

struct ingest {
	const struct central_conf *conf; /* borrowed: owner is the daemon */
	char *datadir;                   /* owned */
	struct store *store;             /* borrowed: owner is the central */
	struct tokens *tokens;           /* owned; NULL without a tokens file */
	struct host **hosts;             /* owned: sorted by name */
	size_t n_hosts;
	size_t allocated_hosts;
	struct wire_limits limits;
	ingest_seen_fn on_seen;
	struct view *view;          /* borrowed; NULL: none */
	void *userdata;                  /* borrowed */
	struct complaint store_complaint;
	struct ingest_stats stats;
};

uint64_t
ingest_stats_refused(const struct ingest_stats *s)
{
	uint64_t n = s->refused_auth + s->refused_host + s->refused_too_large +
		s->refused_hosts + s->refused_series;

	for (int i = 0; i < _WIRE_ERROR_MAX; i++)
		n += s->refused_malformed[i];
	return n;
}

void
ingest_stats_add(struct ingest_stats *a, const struct ingest_stats *b)
{
	/* The struct is all uint64_t counters. */
	_Static_assert(sizeof(struct ingest_stats) ==
			(14 + _WIRE_ERROR_MAX) * sizeof(uint64_t),
		"struct ingest_stats holds only uint64_t counters");
	uint64_t *pa = (uint64_t *)a;
	const uint64_t *pb = (const uint64_t *)b;

	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		pa[i] += pb[i];
}

/* Tokens: parsed and compared in tokens.c. */

int
ingest_parse_tokens(struct ingest *in, const char *text, size_t *ret_n,
	char **ret_error)
{
	struct tokens *ts;
	int r = tokens_parse(text, &ts, ret_error);

	if (r < 0)
		return r;
	tokens_free(in->tokens);
	in->tokens = ts;
	if (ret_n)
		*ret_n = tokens_count(ts);
	return 0;
}

const char *
ingest_token_host(const struct ingest *in, const char *token)
{
	return tokens_host(in->tokens, token);
}

/* Hosts. */

static int
host_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct host *const *)elem)->name);
}

/* The index of name, or of where it would go, in *ret_index; true if found. */
static const char *
host_key(const void *element)
{
	return (*(struct host *const *)element)->name;
}

static const char *
string_key(const void *element)
{
	return *(char *const *)element;
}

static bool
host_index(const struct ingest *in, const char *name, size_t *ret_index)
{
	return sorted_find(in->hosts, in->n_hosts, sizeof(*in->hosts), name, host_key,
		ret_index);
}

static struct host *
host_find(const struct ingest *in, const char *name)
{
	struct host *const *h = in->n_hosts ? bsearch(name, in->hosts, in->n_hosts,
						      sizeof(*in->hosts), host_cmp)
					    : NULL;

	return h ? *h : NULL;
}

static struct host *
host_new(const char *name)
{
	struct host *h = xcalloc(1, sizeof(*h));

	/* A valid name, so it fits. */
	memcpy(h->name, name, strnlen(name, sizeof(h->name) - 1));
	return h;
}

/* Takes h, whose name must not be in the table yet. */
static void
host_insert(struct ingest *in, struct host *h)
{
	size_t i;

	(void)host_index(in, h->name, &i);
	if (in->n_hosts == in->allocated_hosts) {
		in->allocated_hosts = MAX(in->allocated_hosts * 2, (size_t)16);
		in->hosts = xrealloc(in->hosts, in->allocated_hosts * sizeof(*in->hosts));
	}
	memmove(in->hosts + i + 1, in->hosts + i, (in->n_hosts - i) * sizeof(*in->hosts));
	in->hosts[i] = h;
	in->n_hosts++;
}

static void
host_free(struct host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_series; i++)
		free(h->series[i]);
	free(h->series);
	free(h);
}

void
ingest_set_view(struct ingest *in, struct view *v)
{
	in->view = v;
	for (size_t i = 0; v && i < ingest_host_count(in); i++)
		(void)view_add_host(v, ingest_host_name(in, i), false);
}

size_t
ingest_host_count(const struct ingest *in)
{
	return in->n_hosts;
}

const char *
ingest_host_name(const struct ingest *in, size_t i)
{
	return i < in->n_hosts ? in->hosts[i]->name : NULL;
}

int
ingest_host_mark(const struct ingest *in, const char *host, uint64_t *ret)
{
	const struct host *h = host_find(in, host);

	if (!h || !h->has_mark)
		return -ENOENT;
	*ret = h->mark;
	return 0;
}

/* Series of a host. */

static bool
series_index(const struct host *h, const char *name, size_t *ret_index)
{
	return sorted_find(h->series, h->n_series, sizeof(*h->series), name, string_key,
		ret_index);
}

static void
series_add(struct host *h, const char *name)
{
	size_t i;

	if (series_index(h, name, &i))
		return;
	if (h->n_series == h->allocated_series) {
		h->allocated_series = MAX(h->allocated_series * 2, (size_t)16);
		h->series = xrealloc(h->series, h->allocated_series * sizeof(*h->series));
	}
	memmove(h->series + i + 1, h->series + i, (h->n_series - i) * sizeof(*h->series));
	h->series[i] = xstrdup(name);
	h->n_series++;
}

/* The series a host has on disk: <datadir>/<host>/<series>.rrd. */
static void
series_load(const struct ingest *in, struct host *h)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", in->datadir, h->name);
	DIR *d;
	struct dirent *de;

	h->series_loaded = true;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char name[NAME_MAX_LEN + 1];

		if (n <= 4 || n - 4 > NAME_MAX_LEN || strcmp(de->d_name + n - 4, ".rrd") != 0)
			continue;
		memcpy(name, de->d_name, n - 4);
		name[n - 4] = '\0';
		if (name_is_valid(name))
			series_add(h, name);
	}
	(void)closedir(d);
}

/* Marks: the host's directory is made first, for a host new to this datadir. */
static int
write_mark(const char *datadir, const char *host, uint64_t mark)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", datadir, host);
	int r = mkdir_p(dir, 0755);

	return r < 0 ? r : mark_write(dir, mark);
}

/* The hosts of earlier runs: directories of datadir that hold a mark. */
static void
load_hosts(struct ingest *in)
{
	DIR *d = opendir(in->datadir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		uint64_t mark;
		struct host *h;
		int r;

		if (!name_is_valid(de->d_name))
			continue;
		_cleanup_free_ char *dir = xasprintf("%s/%s", in->datadir, de->d_name);

		r = mark_read(dir, &mark);
		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		h = host_new(de->d_name);
		host_insert(in, h);
		if (r < 0) {
			/* Its batches will be applied again: samples skip, events repeat. */
			log_warning_errno(r, "Cannot read '%s/%s/" MARK_FILE "', starting "
					     "from no sequence mark",
				in->datadir, de->d_name);
			continue;
		}
		h->has_mark = h->has_persisted = true;
		h->mark = h->persisted = mark;
	}
	(void)closedir(d);
}

/* Answers. */

/* {"acked": the mark on disk, or null}, with an error and message unless 200. */
static void
respond_acked(struct http_request *req, unsigned status, const struct host *h,
	const char *error, const char *message)
{
	_cleanup_free_ char *text = NULL;
	json_t *o = json_object();

	if (error) {
		(void)json_object_set_new(o, "error", json_string(error));
		(void)json_object_set_new(o, "message", json_string(message));
	}
	(void)json_object_set_new(o, "acked",
		h->has_persisted ? json_integer((json_int_t)h->persisted) : json_null());
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		text = xstrdup("{}");
	(void)http_respond(req, status, "application/json", text, strlen(text));
}

static void
refuse_auth(struct ingest *in, struct http_request *req, const char *why)
{
	in->stats.refused_auth++;
	log_debug("Ingest from %s refused: %s", http_request_peer(req), why);
	http_response_add_header(req, "WWW-Authenticate", "Bearer realm=\"healthmond\"");
	(void)http_respond_error(req, MHD_HTTP_UNAUTHORIZED, "auth", "%s", why);
}

/* "Bearer <token>", the scheme in any case; NULL when it is not. */
static const char *
bearer_token(const char *value)
{
	if (strncasecmp(value, "Bearer ", 7) != 0)
		return NULL;
	value += 7;
	while (*value == ' ')
		value++;
	return *value ? value : NULL;
}

/* Before the body: who is this? The answer is the request's user. */
static void
on_headers(struct http_request *req, void *userdata)
{
	struct ingest *in = userdata;
	const char *auth = http_request_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	char cn[NAME_MAX_LEN + 1];
	const char *host = NULL, *why = NULL;
	int r;

	in->stats.requests++;
	if (auth) {
		/* A token, when given, is what counts, certificate or not. */
		const char *token = bearer_token(auth);

		if (!token)
			why = "want \"Authorization: Bearer TOKEN\"";
		else if (!(host = ingest_token_host(in, token)))
			why = "unknown token";
	} else {
		r = http_request_client_cn(req, cn, sizeof(cn));
		if (r == 0)
			why = "no credentials: a bearer token or a client certificate is "
			      "required";
		else if (r < 0 || !name_is_valid(cn))
			why = "the client certificate is not accepted";
		else
			host = cn;
	}
	if (why)
		refuse_auth(in, req, why);
	else
		http_request_set_user(req, host);
}

static void
on_too_large(struct http_request *req, void *userdata)
{
	struct ingest *in = userdata;

	in->stats.refused_too_large++;
	log_debug("Ingest from %s refused: body over %u KiB", http_request_peer(req),
		in->conf->max_body_kb);
	(void)http_respond_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "too_large",
		"the body is larger than %u KiB", in->conf->max_body_kb);
}

static int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* How many series of the request the host does not have yet. */
static size_t
count_new_series(const struct host *h, const struct wire_request *wr)
{
	_cleanup_free_ const char **names = NULL;
	size_t n = 0, total = 0, unique = 0, i;

	for (size_t b = 0; b < wr->n_batches; b++)
		total += wr->batches[b].n_records;
	if (total == 0)
		return 0;
	names = xcalloc(total, sizeof(*names));
	for (size_t b = 0; b < wr->n_batches; b++)
		for (size_t k = 0; k < wr->batches[b].n_records; k++) {
			const char *s = wr->batches[b].records[k].series;

			if (!series_index(h, s, &i))
				names[n++] = s;
		}
	if (n == 0)
		return 0;
	qsort(names, n, sizeof(*names), str_ptr_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			unique++;
	return unique;
}

/* Admits the host and its series, or answers 429 and returns NULL. */
static struct host *
admit(struct ingest *in, struct http_request *req, const struct wire_request *wr)
{
	struct host *h = host_find(in, wr->host), *fresh_host = NULL;
	size_t fresh;

	if (!h) {
		if (in->n_hosts >= in->conf->max_hosts) {
			in->stats.refused_hosts++;
			log_debug("Ingest from '%s' refused: max_hosts %u reached", wr->host,
				in->conf->max_hosts);
			http_response_add_header(req, "Retry-After", RETRY_AFTER);
			(void)http_respond_error(req, MHD_HTTP_TOO_MANY_REQUESTS, "hosts",
				"the central takes no more than %u hosts",
				in->conf->max_hosts);
			return NULL;
		}
		/* Into the table only once admitted, so a refusal costs no slot. */
		h = fresh_host = host_new(wr->host);
	}
	if (!h->series_loaded)
		series_load(in, h);
	fresh = count_new_series(h, wr);
	if (fresh > 0 && h->n_series + fresh > in->conf->max_series_per_host) {
		in->stats.refused_series++;
		log_debug("Ingest from '%s' refused: %zu new series past "
			  "max_series_per_host %u",
			wr->host, fresh, in->conf->max_series_per_host);
		http_response_add_header(req, "Retry-After", RETRY_AFTER);
		(void)http_respond_error(req, MHD_HTTP_TOO_MANY_REQUESTS, "series",
			"host '%s' would have more than %u series", wr->host,
			in->conf->max_series_per_host);
		host_free(fresh_host);
		return NULL;
	}
	if (fresh_host)
		host_insert(in, fresh_host);
	return h;
}

/*
 * Applies one batch's records in one store call (through rrdcached, one round
 * trip); false (and a complaint) when any failed, so that the batch is not
 * marked handled and the agent sends it again.
 */
static bool
apply_records(struct ingest *in, struct host *h, const struct wire_batch *b)
{
	size_t written = 0, skipped = 0;
	int r;

	r = store_write_batch(in->store, h->name, b->records, b->n_records, &written,
		&skipped);
	in->stats.records += written;
	in->stats.duplicate_samples += skipped;
	/* Admitted already (count_new_series()); a failed file may exist too. */
	for (size_t i = 0; i < b->n_records; i++) {
		series_add(h, b->records[i].series);
		if (in->view)
			view_feed_record(in->view, h->name, &b->records[i]);
	}
	if (r < 0) {
		log_complain(&in->store_complaint, now_usec(CLOCK_MONOTONIC), LOG_ERR,
			"Cannot write %zu of %zu samples from '%s', answering 503: %s",
			b->n_records - written - skipped, b->n_records, h->name,
			store_last_error(in->store));
		return false;
	}
	return true;
}

static void
apply_events(struct ingest *in, struct host *h, const struct wire_batch *b)
{
	for (size_t i = 0; i < b->n_events; i++) {
		struct event ev = b->events[i];
		int r;

		/* HEALTHMOND_HOST is the host that sent it, as authenticated. */
		ev.host = h->name;
		r = journal_send_event(&ev);
		if (r < 0)
			log_warning_errno(r, "Cannot log a health event of '%s'", h->name);
		if (in->view)
			view_feed_event(in->view, &ev);
		in->stats.events++;
	}
}

static void
on_request(struct http_request *req, void *userdata)
{
	struct ingest *in = userdata;
	_cleanup_(wire_request_freep) struct wire_request *wr = NULL;
	_cleanup_free_ char *message = NULL;
	const char *user = http_request_user(req);
	enum wire_error werr = WIRE_OK;
	struct host *h;
	size_t len;
	const char *body = http_request_body(req, &len);
	bool ok = true;
	int r;

	if (!user) {
		refuse_auth(in, req, "not authenticated");
		return;
	}
	r = wire_decode_request(body, len, &in->limits, &wr, &werr, &message);
	if (r < 0) {
		const char *class = wire_error_to_string(werr);

		if (werr <= WIRE_OK || werr >= _WIRE_ERROR_MAX) {
			werr = WIRE_SYNTAX;
			class = "syntax";
		}
		in->stats.refused_malformed[werr]++;
		log_debug("Ingest from '%s' at %s refused: %s: %s", user,
			http_request_peer(req), class, message ? message : "?");
		(void)http_respond_error(req,
			werr == WIRE_LIMIT ? MHD_HTTP_CONTENT_TOO_LARGE : MHD_HTTP_BAD_REQUEST,
			class, "%s", message ? message : class);
		return;
	}
	in->stats.bytes += len;
	if (strcmp(wr->host, user) != 0) {
		in->stats.refused_host++;
		log_debug("Ingest from %s refused: credentials of '%s', data of '%s'",
			http_request_peer(req), user, wr->host);
		(void)http_respond_error(req, MHD_HTTP_FORBIDDEN, "host",
			"the credentials are not those of host '%s'", wr->host);
		return;
	}
	h = admit(in, req, wr);
	if (!h)
		return;
	if (in->on_seen)
		in->on_seen(h->name, in->userdata);
	for (size_t i = 0; i < wr->n_batches && ok; i++) {
		const struct wire_batch *b = &wr->batches[i];

		if (h->has_mark && b->seq <= h->mark) {
			in->stats.duplicate_batches++;
			continue;
		}
		ok = apply_records(in, h, b);
		if (!ok)
			break;
		apply_events(in, h, b);
		h->mark = b->seq;
		h->has_mark = true;
		in->stats.batches++;
	}
	if (h->has_mark && (!h->has_persisted || h->mark != h->persisted)) {
		r = write_mark(in->datadir, h->name, h->mark);
		if (r < 0) {
			log_complain(&in->store_complaint, now_usec(CLOCK_MONOTONIC), LOG_ERR,
				"Cannot write the sequence mark of '%s', answering 503: %s",
				h->name, strerror(-r));
			in->stats.failed++;
			http_response_add_header(req, "Retry-After", RETRY_AFTER);
			respond_acked(req, MHD_HTTP_SERVICE_UNAVAILABLE, h, "store",
				"cannot record the batches as handled");
			return;
		}
		h->persisted = h->mark;
		h->has_persisted = true;
	}
	if (!ok) {
		in->stats.failed++;
		http_response_add_header(req, "Retry-After", RETRY_AFTER);
		respond_acked(req, MHD_HTTP_SERVICE_UNAVAILABLE, h, "store",
			"cannot write the RRD files now");
		return;
	}
	log_complain_clear(&in->store_complaint, now_usec(CLOCK_MONOTONIC),
		"Writing agents' data works again");
	in->stats.accepted++;
	respond_acked(req, MHD_HTTP_OK, h, NULL, NULL);
}

void
ingest_get_route(struct ingest *in, struct http_route *ret)
{
	*ret = (struct http_route){
		.method = "POST",
		.path = INGEST_PATH,
		.max_body = (size_t)in->conf->max_body_kb * 1024,
		.on_headers = on_headers,
		.on_request = on_request,
		.on_too_large = on_too_large,
		.userdata = in,
	};
}

static int
load_tokens_file(struct ingest *in, const char *path, char **ret_error)
{
	_cleanup_free_ char *text = NULL, *why = NULL;
	size_t len;
	int r;

	r = read_file_at(NULL, path, TOKENS_FILE_MAX, &text, &len);
	if (r < 0) {
		*ret_error = xasprintf("cannot read tokens_file '%s': %s", path,
			strerror(-r));
		return r;
	}
	r = ingest_parse_tokens(in, text, NULL, &why);
	explicit_bzero(text, len);
	if (r < 0) {
		*ret_error = xasprintf("tokens_file '%s': %s", path, why);
		return r;
	}
	return 0;
}

int
ingest_new(const struct hm_conf *conf, const char *datadir, struct store *store,
	ingest_seen_fn on_seen, void *userdata, struct ingest **ret, char **ret_error)
{
	_cleanup_(ingest_freep) struct ingest *in = xcalloc(1, sizeof(*in));
	int r;

	*ret_error = NULL;
	in->conf = &conf->central;
	in->datadir = xstrdup(datadir);
	in->store = store;
	in->on_seen = on_seen;
	in->userdata = userdata;
	/* The body cap bounds the request; these bound what it may unpack into. */
	in->limits.max_records = conf->central.max_records;
	/*
	 * An agent coalesces at most 1000 batches into a request; events are
	 * rare next to records. Tighter limits also bound what jansson
	 * allocates for a hostile body of many tiny values.
	 */
	in->limits.max_batches = MIN(conf->central.max_records, INGEST_MAX_BATCHES);
	in->limits.max_events = MIN(conf->central.max_records, INGEST_MAX_EVENTS);
	if (conf->central.tokens_file) {
		r = load_tokens_file(in, conf->central.tokens_file, ret_error);
		if (r < 0)
			return r;
	}
	load_hosts(in);
	*ret = TAKE_PTR(in);
	return 0;
}

const struct ingest_stats *
ingest_get_stats(const struct ingest *in)
{
	return &in->stats;
}

struct ingest *
ingest_free(struct ingest *in)
{
	if (!in)
		return NULL;
	for (size_t i = 0; i < in->n_hosts; i++)
		host_free(in->hosts[i]);
	free(in->hosts);
	tokens_free(in->tokens);
	free(in->datadir);
	free(in);
	return NULL;
}
