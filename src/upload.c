/* SPDX-License-Identifier: MIT */
/*
 * Uploading the spool to the central: one request at a time on the loop's
 * curl multi handle, through one easy handle kept for the uploader's life,
 * so that curl keeps the connection (and the TLS session) alive between
 * requests. A request joins the oldest spooled batch texts (wire.h), up to
 * UPLOAD_MAX_BATCHES and UPLOAD_MAX_BYTES.
 *
 * Answers (docs/protocol.md):
 * - 2xx {"acked": N}: the batches up to N (at most the request's newest)
 *   leave the spool, and the next request goes at once when more wait. An
 *   acknowledgement below the request's oldest batch, or none, is a failure.
 * - No answer (DNS, connect, TLS, timeout), 429, 5xx and other 4xx such as
 *   401/403: a failure, retried after a delay drawn uniformly from
 *   [0, min(5 min, 1 s * 2^(failures-1))] ("full jitter"; a quarter of the
 *   first step at least), or what Retry-After asks when longer (10 min at
 *   most). Nothing is dropped: data waits in the spool, whose own limit is
 *   the only one.
 * - 400, 413, 422: the central refuses the request's content. With several
 *   batches in it, the batch limit halves and the request goes again at
 *   once (a request of one batch comes after at most log2(1000) halvings;
 *   every success doubles the limit again). A batch refused alone is
 *   retried with backoff; refused `poison_tries` times, it is poison:
 *   dropped, logged as an error and reported as a loss (a 'spool overflow'
 *   event, reason "rejected"), so that one bad batch cannot block the link
 *   for good. Two guards keep this from emptying the spool when the central
 *   refuses everything rather than one batch: the error class "version"
 *   (the central does not speak this wire version) never drops anything,
 *   and after UPLOAD_POISON_RUN_MAX batches dropped in a row without a
 *   success in between, nothing more is dropped until the central takes a
 *   batch again; the data waits, with backoff, and the spool's own limit
 *   applies. Batches are always sent oldest first, never past a refused one:
 *   the central keeps one mark per host and counts anything at or below it
 *   as a duplicate.
 *
 * After `unreachable_failures` consecutive failures spanning at least
 * `unreachable_usec`, one 'central unreachable' event goes out (check
 * "central", critical, value = seconds since the first failure); the next
 * success sends its recovery (ok). Failures are logged rate-limited: network
 * and server trouble as warnings, refusals as errors with the server's words.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "curlglue.h"
#include "dlcurl.h"
#include "log.h"
#include "upload.h"
#include "util.h"
#include "wire.h"

#define USER_AGENT "healthmond/" PACKAGE_VERSION
#define INGEST_PATH "/api/v1/ingest"
#define TOKEN_MAX 4096
#define REPLY_MAX 4096   /* of the central's answer kept, for the ack and the log */
#define MESSAGE_MAX 200  /* of the central's words in a log line */
#define RETRY_AFTER_MAX 600 /* seconds of Retry-After honoured */
#define HTTP_PROTOCOLS ((long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) /* before curl 7.85 */

struct upload {
	sd_event *event;                 /* owned reference */
	const struct forward_conf *conf; /* borrowed: owner is the config */
	const char *host;                /* borrowed: owner is the agent */
	struct spool *spool;             /* borrowed: owner is forward.c */
	struct upload_callbacks cb;
	void *userdata;                  /* borrowed */
	struct upload_timing timing;
	struct curlglue *glue;           /* owned reference */
	CURL *easy;                      /* owned; reused, so the connection is */
	struct curl_slist *headers;      /* owned; the easy handle points to it */
	char *endpoint;                  /* owned: <url>/api/v1/ingest */
	sd_event_source *retry;          /* owned; on while a retry is scheduled */
	bool in_flight, waiting;
	/* The request in flight or just finished. */
	char *body;                      /* owned; curl only points to it */
	size_t body_len;
	uint64_t req_first, req_last;    /* sequence numbers it carries */
	size_t req_n;
	char reply[REPLY_MAX + 1];
	size_t reply_len;
	char errbuf[CURL_ERROR_SIZE];
	/* Coalescing, halved by refusals, doubled back by successes. */
	size_t limit_batches, limit_bytes;
	uint64_t poison_seq;             /* the oldest batch, refused alone ... */
	unsigned poison_tries;           /* ... this many times */
	unsigned poison_run;             /* batches dropped since the last success */
	uint64_t fail_since;             /* monotonic: first failure of the streak */
	char *outage_file;               /* owned; NULL: outages are not remembered */
	uint64_t retry_after_usec;       /* the central's Retry-After, for one wait */
	struct complaint trouble;        /* network and server failures */
	struct complaint refusal;        /* the central refuses what we send */
	struct upload_status st;
};

static const char *const link_names[_UPLOAD_LINK_MAX] = {
	[UPLOAD_IDLE] = "idle",
	[UPLOAD_CONNECTED] = "connected",
	[UPLOAD_RETRYING] = "retrying",
};

const char *
upload_link_to_string(enum upload_link l)
{
	return (unsigned)l < _UPLOAD_LINK_MAX ? link_names[l] : NULL;
}

/* The token: the file's one word, surrounding whitespace trimmed. */
static int
read_token(const char *path, char **ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len, start, end;
	int r;

	r = read_file_at(NULL, path, TOKEN_MAX, &text, &len);
	if (r < 0)
		return r;
	for (start = 0; start < len && isspace((unsigned char)text[start]); start++)
		;
	for (end = len; end > start && isspace((unsigned char)text[end - 1]); end--)
		;
	if (end == start)
		return -EBADMSG;
	/* Anything else would break the header, or smuggle another one in. */
	for (size_t i = start; i < end; i++)
		if ((unsigned char)text[i] <= 0x20 || text[i] == 0x7f)
			return -EBADMSG;
	*ret = xstrndup(text + start, end - start);
	return 0;
}

/* Keeps the first REPLY_MAX bytes of the answer and reads past the rest. */
static size_t
on_write(char *data, size_t size, size_t n, void *userdata)
{
	struct upload *u = userdata;
	size_t len = size * n, keep = MIN(len, REPLY_MAX - u->reply_len);

	memcpy(u->reply + u->reply_len, data, keep);
	u->reply_len += keep;
	u->reply[u->reply_len] = '\0';
	return len;
}

/*
 * Options set once: the handle is reused for every request. Verification
 * of the central's certificate is always on. No CURLOPT_FORBID_REUSE: the
 * connection stays open between requests.
 */
static int
easy_setup(struct upload *u)
{
	const struct forward_conf *c = u->conf;
	CURL *e = u->easy;
	int bad = 0; /* CURLE_OK is 0: any failure leaves bits set */

	bad |= sym_curl_easy_setopt(e, CURLOPT_URL, u->endpoint);
	/* Else the synchronous resolver times out with alarm(), SIGALRM and longjmp. */
	bad |= sym_curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the bitmask option is deprecated */
	bad |= sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	bad |= sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS, HTTP_PROTOCOLS);
#endif
	bad |= sym_curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	bad |= sym_curl_easy_setopt(e, CURLOPT_POST, 1L);
	bad |= sym_curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)c->timeout);
	bad |= sym_curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)c->timeout);
	bad |= sym_curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		bad |= sym_curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (c->client_cert)
		bad |= sym_curl_easy_setopt(e, CURLOPT_SSLCERT, c->client_cert);
	if (c->client_key)
		bad |= sym_curl_easy_setopt(e, CURLOPT_SSLKEY, c->client_key);
	bad |= sym_curl_easy_setopt(e, CURLOPT_HTTPHEADER, u->headers);
	bad |= sym_curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	bad |= sym_curl_easy_setopt(e, CURLOPT_WRITEDATA, u);
	bad |= sym_curl_easy_setopt(e, CURLOPT_ERRORBUFFER, u->errbuf);
	return bad ? -EIO : 0;
}

/* The error class of a JSON answer {"error": "<class>", ...} is cls. */
static bool
reply_class_is(const struct upload *u, const char *cls)
{
	json_auto_t *j = json_loadb(u->reply, u->reply_len, 0, NULL);
	const char *e = json_string_value(json_object_get(j, "error"));

	return e && strcmp(e, cls) == 0;
}

/*
 * The central's words for a log line: "<error>: <message>" from its JSON
 * answer, either alone, or else its text; one line of printable ASCII.
 */
static void
reply_message(const struct upload *u, char *buf, size_t size)
{
	json_auto_t *j = json_loadb(u->reply, u->reply_len, 0, NULL);
	const char *e = json_string_value(json_object_get(j, "error"));
	const char *m = json_string_value(json_object_get(j, "message"));
	_cleanup_free_ char *joined = NULL;
	const char *s = u->reply;
	size_t i;

	if (e && m)
		s = joined = xasprintf("%s: %s", e, m);
	else if (e || m)
		s = e ? e : m;
	for (i = 0; s[i] && s[i] != '\n' && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f ? s[i] : '?';
	buf[i] = '\0';
	if (i == 0)
		(void)snprintf(buf, size, "(no message)");
}

/* {"acked": N} with N a sequence number; -EBADMSG for anything else. */
static int
parse_ack(const struct upload *u, uint64_t *ret)
{
	json_auto_t *j = json_loadb(u->reply, u->reply_len, 0, NULL);
	json_t *acked = json_object_get(j, "acked");

	if (!json_is_integer(acked) || json_integer_value(acked) < 0)
		return -EBADMSG;
	*ret = (uint64_t)json_integer_value(acked);
	return 0;
}

static uint64_t
backoff_delay(const struct upload *u)
{
	const struct upload_timing *t = &u->timing;
	unsigned doublings = MIN(u->st.failures - 1, 30u);
	uint64_t cap = MIN(t->backoff_min_usec << doublings, t->backoff_max_usec);
	uint64_t delay = random_below(MAX(cap, (uint64_t)1));

	delay = MAX(delay, t->backoff_min_usec / 4);

	return MAX(MIN(delay, t->backoff_max_usec), u->retry_after_usec);
}

/* Retry-After of a 429 or 503 in seconds, at most RETRY_AFTER_MAX; 0 when absent. */
static uint64_t
retry_after_usec(CURL *easy)
{
#if LIBCURL_VERSION_NUM >= 0x074200 /* 7.66 */
	curl_off_t ra = 0;

	if (sym_curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
		ra > 0)
		return (uint64_t)MIN(ra, (curl_off_t)RETRY_AFTER_MAX) * USEC_PER_SEC;
#endif
	return 0;
}

static void start_request(struct upload *u);

static int
on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct upload *u = userdata;

	u->waiting = false;
	start_request(u);
	return 0;
}

static void
arm_retry(struct upload *u, uint64_t delay_usec)
{
	uint64_t when = now_usec(CLOCK_MONOTONIC) + delay_usec;

	u->waiting = true;
	if (sd_event_source_set_time(u->retry, when) < 0 ||
		sd_event_source_set_enabled(u->retry, SD_EVENT_ONESHOT) < 0) {
		/* Without a timer, the next kick (the next batch) retries. */
		log_warning("Cannot schedule the next upload, waiting for new data");
		u->waiting = false;
	}
}

/*
 * An announced outage outlives a reload or a restart in a small file that
 * holds the unix time of its first failure, so that its recovery still
 * comes. Best effort: without the file, the recovery is missed, nothing else.
 */
static void
outage_save(struct upload *u, bool down, uint64_t now)
{
	uint64_t ago = (now - u->fail_since) / USEC_PER_SEC;
	int64_t since = (int64_t)time(NULL) - (int64_t)ago;
	FILE *f;

	if (!u->outage_file)
		return;
	if (!down) {
		(void)unlink(u->outage_file);
		return;
	}
	f = fopen(u->outage_file, "we");
	if (!f)
		return;
	(void)fprintf(f, "%lld\n", (long long)since);
	(void)fclose(f);
}

static void
send_link_event(struct upload *u, enum check_state state, uint64_t now,
	const char *reason)
{
	struct event ev = {
		.host = u->host,
		.check = "central",
		.state = state,
		.prev_state = state == CHECK_OK ? CHECK_CRITICAL : CHECK_OK,
		.value = (double)((now - u->fail_since) / USEC_PER_SEC),
		.threshold = (double)(u->timing.unreachable_usec / USEC_PER_SEC),
		.url = u->conf->url,
		.reason = reason,
		.time = (int64_t)time(NULL),
	};

	ev.kind = event_kind_of(ev.check, ev.state, ev.reason, ev.value);
	u->st.unreachable = state != CHECK_OK;
	outage_save(u, u->st.unreachable, now);
	if (u->cb.event)
		u->cb.event(&ev, u->userdata);
}

/*
 * A request failed: count it, log it (refusals as errors), maybe announce
 * the central unreachable, and schedule the retry. reason is a short
 * lowercase word for the event.
 */
static void _printf_(4, 5)
fail(struct upload *u, bool refusal, const char *reason, const char *fmt, ...)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC), delay;
	struct spool_stats ss;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(u->st.last_error, sizeof(u->st.last_error), fmt, ap);
	va_end(ap);
	/* An outage remembered from before the restart began earlier. */
	if (u->st.failures++ == 0 && !u->st.unreachable)
		u->fail_since = now;
	u->st.link = UPLOAD_RETRYING;
	delay = backoff_delay(u);
	u->retry_after_usec = 0;
	spool_get_stats(u->spool, &ss);
	log_complain(refusal ? &u->refusal : &u->trouble, now,
		refusal ? LOG_ERR : LOG_WARNING,
		"Uploading to '%s' failed: %s; %zu batches wait, retrying in %.1f s",
		u->endpoint, u->st.last_error, ss.batches,
		(double)delay / USEC_PER_SEC);
	if (!u->st.unreachable && u->st.failures >= u->timing.unreachable_failures &&
		now - u->fail_since >= u->timing.unreachable_usec)
		send_link_event(u, CHECK_CRITICAL, now, reason);
	arm_retry(u, delay);
}

static void
succeed(struct upload *u)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);

	log_complain_clear(&u->trouble, now, "Uploads to '%s' work again", u->endpoint);
	log_complain_clear(&u->refusal, now, "The central '%s' takes uploads again",
		u->endpoint);
	if (u->st.unreachable)
		send_link_event(u, CHECK_OK, now, NULL);
	u->st.failures = 0;
	u->st.link = UPLOAD_CONNECTED;
	u->st.last_success = (int64_t)time(NULL);
}

static void
report_loss(struct upload *u, const struct spool_loss *loss, const char *reason)
{
	u->st.dropped_batches += loss->batches;
	if (u->cb.loss)
		u->cb.loss(loss, reason, u->userdata);
}

/* The oldest spooled batch cannot be read back: drop it, then go on. */
static void
drop_unreadable(struct upload *u, int error)
{
	struct spool_loss loss;
	int r = spool_drop_oldest(u->spool, &loss);

	if (r < 0) {
		/* Cannot even delete it: try again later, never in a hot loop. */
		(void)snprintf(u->st.last_error, sizeof(u->st.last_error),
			"cannot read or delete the oldest spooled batch: %s",
			strerror(-r));
		log_complain(&u->trouble, now_usec(CLOCK_MONOTONIC), LOG_ERR, "%s",
			u->st.last_error);
		arm_retry(u, u->timing.backoff_max_usec);
		return;
	}
	log_err("Cannot read spooled batch %llu back: %s; dropped it (%llu records)",
		(unsigned long long)loss.first_seq, strerror(-error),
		(unsigned long long)loss.records);
	report_loss(u, &loss, "unreadable");
	arm_retry(u, 0);
}

static void on_done(CURL *easy, CURLcode code, void *userdata);

static void
start_request(struct upload *u)
{
	struct spool_batch *b = NULL;
	size_t n = 0;
	_cleanup_free_ char **texts = NULL;
	int r;

	if (u->in_flight || u->waiting)
		return;
	r = spool_peek(u->spool, u->limit_batches, u->limit_bytes, &b, &n);
	if (r < 0) {
		drop_unreadable(u, r);
		return;
	}
	if (n == 0)
		return;
	texts = xcalloc(n, sizeof(*texts));
	for (size_t i = 0; i < n; i++)
		texts[i] = b[i].text;
	free(u->body);
	u->body = wire_build_request(u->host, texts, n, &u->body_len);
	u->req_first = b[0].seq;
	u->req_last = b[n - 1].seq;
	u->req_n = n;
	spool_batches_free(b, n);
	u->reply_len = 0;
	u->reply[0] = '\0';
	u->errbuf[0] = '\0';
	if (sym_curl_easy_setopt(u->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)u->body_len) != CURLE_OK ||
		sym_curl_easy_setopt(u->easy, CURLOPT_POSTFIELDS, u->body) != CURLE_OK)
		r = -EIO;
	else
		r = curlglue_add(u->glue, u->easy, on_done, u);
	if (r < 0) {
		fail(u, false, "error", "cannot start a request: %s", strerror(-r));
		return;
	}
	u->in_flight = true;
	u->st.requests++;
	spool_pin(u->spool, u->req_last);
}

static void
poison_reset(struct upload *u, uint64_t seq)
{
	u->poison_seq = seq;
	u->poison_tries = 0;
}

/* The batch refused alone poison_tries times: drop it and go on at once. */
static void
drop_poison(struct upload *u, long status, const char *message)
{
	struct spool_loss loss;
	struct spool_stats ss;
	int r;

	spool_get_stats(u->spool, &ss);
	/* The spool may have dropped it meanwhile (overflow): nothing to do then. */
	if (ss.oldest_seq == u->poison_seq) {
		r = spool_drop_oldest(u->spool, &loss);
		if (r < 0) {
			fail(u, false, "spool", "cannot drop refused batch %llu: %s",
				(unsigned long long)u->poison_seq, strerror(-r));
			return;
		}
		log_err("Dropped batch %llu (%llu records): the central refused it %u "
			"times, last with HTTP %ld: %s",
			(unsigned long long)loss.first_seq,
			(unsigned long long)loss.records, u->poison_tries, status,
			message);
		u->poison_run++;
		report_loss(u, &loss, "rejected");
	}
	poison_reset(u, 0);
	start_request(u);
}

static void
handle_ack(struct upload *u, long status)
{
	char message[MESSAGE_MAX];
	uint64_t acked;
	int r;

	if (parse_ack(u, &acked) < 0 || acked < u->req_first) {
		reply_message(u, message, sizeof(message));
		fail(u, true, "bad_response",
			"HTTP %ld without an acknowledgement of batches %llu..%llu: %s",
			status, (unsigned long long)u->req_first,
			(unsigned long long)u->req_last, message);
		return;
	}
	/* Never more than we sent: a confused central must not delete unsent data. */
	r = spool_ack(u->spool, MIN(acked, u->req_last));
	if (r < 0) {
		fail(u, false, "spool", "cannot delete acknowledged batches: %s",
			strerror(-r));
		return;
	}
	u->st.sent_batches += (uint64_t)r;
	if (u->poison_seq && u->poison_seq <= acked)
		poison_reset(u, 0);
	u->poison_run = 0;
	u->limit_batches = MIN(u->limit_batches * 2, (size_t)UPLOAD_MAX_BATCHES);
	u->limit_bytes = MIN(u->limit_bytes * 2, (size_t)UPLOAD_MAX_BYTES);
	succeed(u);
	start_request(u);
}

/* 400, 413, 422: the central refuses what the request carries. */
static void
handle_refusal(struct upload *u, long status)
{
	char message[MESSAGE_MAX];

	reply_message(u, message, sizeof(message));
	if (reply_class_is(u, "version")) {
		fail(u, true, "refused",
			"the central does not take wire version %d (HTTP %ld): %s",
			WIRE_VERSION, status, message);
		return;
	}
	if (u->req_n > 1) {
		u->limit_batches = MAX(u->req_n / 2, (size_t)1);
		u->limit_bytes = MAX(u->body_len / 2, (size_t)1);
		log_complain(&u->refusal, now_usec(CLOCK_MONOTONIC), LOG_ERR,
			"The central '%s' refused %zu batches (HTTP %ld: %s), "
			"sending fewer at a time",
			u->endpoint, u->req_n, status, message);
		start_request(u);
		return;
	}
	if (u->poison_seq != u->req_first)
		poison_reset(u, u->req_first);
	if (++u->poison_tries >= u->timing.poison_tries &&
		u->poison_run < UPLOAD_POISON_RUN_MAX) {
		drop_poison(u, status, message);
		return;
	}
	fail(u, true, "rejected", "the central refused batch %llu (HTTP %ld): %s%s",
		(unsigned long long)u->req_first, status, message,
		u->poison_run >= UPLOAD_POISON_RUN_MAX ?
			"; it refused the batches before it too, so keeping it" :
			"");
}

/* Any other answer: the central or the way to it has trouble; keep the data. */
static void
handle_status(struct upload *u, long status)
{
	char message[MESSAGE_MAX];

	reply_message(u, message, sizeof(message));
	if (status == 429 || status == 503)
		u->retry_after_usec = retry_after_usec(u->easy);
	if (status == 429)
		fail(u, false, "busy", "HTTP 429, the central is busy: %s", message);
	else if (status >= 500)
		fail(u, false, "server_error", "HTTP %ld: %s", status, message);
	else if (status == 401 || status == 403)
		fail(u, true, "unauthorized",
			"HTTP %ld, the central refuses this host's credentials: %s",
			status, message);
	else
		fail(u, true, "refused", "HTTP %ld: %s", status, message);
}

static const char *
transport_reason(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "dns";
	case CURLE_COULDNT_CONNECT:
		return "connect";
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return "tls";
	default:
		return "error";
	}
}

/*
 * The spool overflowed while the request was in flight and deleted some of
 * its batches: those the central did not take are lost, the rest are not.
 */
static void
settle_pinned(struct upload *u, CURLcode code, long status)
{
	struct spool_loss loss;
	uint64_t acked = 0;

	if (code != CURLE_OK || status < 200 || status > 299 || parse_ack(u, &acked) < 0)
		acked = 0;
	spool_unpin(u->spool, MIN(acked, u->req_last), &loss);
	if (loss.batches == 0)
		return;
	log_warning("Spool full: %llu batches (numbers %llu..%llu, %llu records) were "
		    "dropped while being sent, and the central did not take them",
		(unsigned long long)loss.batches, (unsigned long long)loss.first_seq,
		(unsigned long long)loss.last_seq, (unsigned long long)loss.records);
	report_loss(u, &loss, "spool_full");
}

static void
on_done(CURL *easy, CURLcode code, void *userdata)
{
	struct upload *u = userdata;
	long status = 0;

	u->in_flight = false;
	free(u->body);
	u->body = NULL;
	if (code == CURLE_OK)
		(void)sym_curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	settle_pinned(u, code, status);
	if (code != CURLE_OK) {
		fail(u, false, transport_reason(code), "%s",
			u->errbuf[0] ? u->errbuf : sym_curl_easy_strerror(code));
		return;
	}
	if (status >= 200 && status <= 299)
		handle_ack(u, status);
	else if (status == 400 || status == 413 || status == 422)
		handle_refusal(u, status);
	else
		handle_status(u, status);
}

static int
upload_init(struct upload *u, const char *token)
{
	_cleanup_free_ char *auth = NULL;
	size_t len = strlen(u->conf->url);
	struct curl_slist *l;
	int r;

	while (len > 0 && u->conf->url[len - 1] == '/')
		len--;
	u->endpoint = xasprintf("%.*s" INGEST_PATH, (int)len, u->conf->url);
	r = curlglue_acquire(u->event, &u->glue);
	if (r < 0)
		return r;
	u->easy = sym_curl_easy_init();
	if (!u->easy)
		return -ENOMEM;
	if (token) {
		auth = xasprintf("Authorization: Bearer %s", token);
		l = sym_curl_slist_append(u->headers, auth);
		if (!l)
			return -ENOMEM;
		u->headers = l;
	}
	l = sym_curl_slist_append(u->headers, "Content-Type: application/json");
	if (!l)
		return -ENOMEM;
	u->headers = l;
	r = easy_setup(u);
	if (r < 0)
		return r;
	r = sd_event_add_time(u->event, &u->retry, CLOCK_MONOTONIC, 0, USEC_PER_MSEC,
		on_retry, u);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(u->retry, "upload-retry");
	return sd_event_source_set_enabled(u->retry, SD_EVENT_OFF);
}

int
upload_new(sd_event *e, const struct forward_conf *conf, const char *host,
	struct spool *spool, const struct upload_callbacks *cb, void *userdata,
	struct upload **ret)
{
	_cleanup_(upload_freep) struct upload *u = NULL;
	_cleanup_free_ char *token = NULL;
	int r;

	if (!conf->url)
		return -EINVAL;
	if (conf->token_file) {
		r = read_token(conf->token_file, &token);
		if (r < 0)
			return r;
	}
	u = xcalloc(1, sizeof(*u));
	u->event = sd_event_ref(e);
	u->conf = conf;
	u->host = host;
	u->spool = spool;
	u->cb = *cb;
	u->userdata = userdata;
	u->timing = UPLOAD_TIMING_DEFAULT;
	u->limit_batches = UPLOAD_MAX_BATCHES;
	u->limit_bytes = UPLOAD_MAX_BYTES;
	r = upload_init(u, token);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(u);
	return 0;
}

void
upload_kick(struct upload *u)
{
	start_request(u);
}

void
upload_set_outage_file(struct upload *u, const char *path)
{
	_cleanup_free_ char *text = NULL;
	uint64_t now = now_usec(CLOCK_MONOTONIC), ago;
	int64_t since, real = (int64_t)time(NULL);
	size_t len;

	free(u->outage_file);
	u->outage_file = path ? xstrdup(path) : NULL;
	if (!path || read_file_at(NULL, path, 64, &text, &len) < 0)
		return;
	text[strcspn(text, "\n")] = '\0';
	if (safe_atoi64(text, &since) < 0 || since <= 0)
		return;
	ago = since < real ? (uint64_t)(real - since) * USEC_PER_SEC : 0;
	u->fail_since = now > ago ? now - ago : 0;
	u->st.unreachable = true;
}

void
upload_set_timing(struct upload *u, const struct upload_timing *t)
{
	u->timing = *t;
}

void
upload_get_status(const struct upload *u, struct upload_status *ret)
{
	struct spool_stats ss;
	int64_t now = (int64_t)time(NULL);

	spool_get_stats(u->spool, &ss);
	*ret = u->st;
	ret->spool_batches = ss.batches;
	ret->spool_bytes = ss.bytes;
	ret->oldest_age = ss.batches > 0 && now > ss.oldest_time ?
		(uint64_t)(now - ss.oldest_time) : 0;
}

struct upload *
upload_free(struct upload *u)
{
	if (!u)
		return NULL;
	if (u->easy) {
		if (u->glue)
			curlglue_remove(u->glue, u->easy);
		sym_curl_easy_cleanup(u->easy);
	}
	if (u->headers)
		sym_curl_slist_free_all(u->headers);
	u->glue = curlglue_unref(u->glue);
	(void)sd_event_source_disable_unref(u->retry);
	sd_event_unref(u->event);
	free(u->body);
	free(u->endpoint);
	free(u->outage_file);
	free(u);
	return NULL;
}
