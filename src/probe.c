/* SPDX-License-Identifier: MIT */
/*
 * URL probes on the loop's curl multi handle (curlglue.c, shared with the
 * uploads), which reports each finished transfer. Each probe has its own
 * periodic timer (loop.c); a run that comes while the previous one is still
 * running or queued is skipped and counted. At most max_probes_in_flight
 * transfers run at once, the others wait in a FIFO queue. A finished transfer
 * becomes one schema_probe record handed to the result callback.
 *
 * Conventions of the record: times are curl's cumulative phase timers in ms
 * (dns <= connect <= tls <= ttfb <= total), summed over a redirect chain as
 * curl does; a phase the request never reached is NAN, as is tls_ms over
 * plain http. status is NAN when no response arrived. size counts every body
 * byte received, also those past max_body, which are read but not kept.
 * cert_days is NAN unless a TLS peer certificate was seen.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "curlglue.h"
#include "dlcurl.h"
#include "loop.h"
#include "probe.h"
#include "util.h"

#define PROBE_FIRST_RUN_JITTER_USEC (200 * USEC_PER_MSEC)

#define USER_AGENT "healthmond/" PACKAGE_VERSION
#define HTTP_PROTOCOLS ((long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) /* before curl 7.85 */

enum probe_state {
	PROBE_IDLE,
	PROBE_QUEUED,
	PROBE_RUNNING,
};

struct probe {
	struct probe_set *set;           /* borrowed: owner */
	const struct probe_conf *conf;   /* borrowed: owner is the config */
	struct periodic *timer;          /* owned */
	unsigned interval;               /* seconds: the probe's or the global one */
	struct curl_slist *headers;      /* owned; the easy handle only points to it */
	regex_t expect, reject;
	bool has_expect, has_reject;
	bool keep_body;                  /* a regex needs the body */
	enum probe_state state;
	TAILQ_ENTRY(probe) queue;        /* in set->queue when PROBE_QUEUED */
	CURL *easy;                      /* owned while PROBE_RUNNING */
	char *body;                      /* owned; at most max_body bytes + NUL */
	size_t body_len, body_size;
	uint64_t received;               /* body bytes, kept or not */
	uint64_t skipped;                /* runs skipped: the previous one was busy */
	char errbuf[CURL_ERROR_SIZE];
};

struct probe_set {
	sd_event *event;               /* owned reference */
	const struct hm_conf *conf;    /* borrowed: owner is the caller */
	struct curlglue *glue;         /* owned reference; NULL without probes */
	struct probe *probes;          /* owned array of conf->n_probes */
	size_t n_probes;
	TAILQ_HEAD(, probe) queue;     /* borrowed entries of probes */
	size_t in_flight, max_in_flight;
	struct record_batch batch;     /* builds the result record */
	probe_result_fn callback;
	void *userdata;                /* borrowed */
	unsigned dispatching;          /* depth of our event handlers on the stack */
	bool dead;                     /* freed by a callback: destroy on the way out */
};

static const char *const reason_names[_PROBE_REASON_MAX] = {
	[PROBE_REASON_NONE] = "ok",
	[PROBE_REASON_DNS] = "dns",
	[PROBE_REASON_CONNECT] = "connect",
	[PROBE_REASON_TIMEOUT] = "timeout",
	[PROBE_REASON_TLS] = "tls",
	[PROBE_REASON_STATUS] = "status",
	[PROBE_REASON_CONTENT] = "content",
	[PROBE_REASON_ERROR] = "error",
};

const char *
probe_reason_to_string(enum probe_reason r)
{
	if ((unsigned)r >= _PROBE_REASON_MAX)
		return NULL;
	return reason_names[r];
}

static int
parse_status_code(const char *s, unsigned *ret)
{
	uint64_t v;

	if (safe_atou64(s, &v) < 0 || v < 100 || v > 599)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int
probe_status_parse(const char *entry, unsigned *ret_lo, unsigned *ret_hi)
{
	_cleanup_free_ char *lo_s = NULL;
	const char *dash = strchr(entry, '-');
	unsigned lo, hi;

	if (!dash) {
		if (parse_status_code(entry, &lo) < 0)
			return -EINVAL;
		hi = lo;
	} else {
		lo_s = xstrndup(entry, (size_t)(dash - entry));
		if (parse_status_code(lo_s, &lo) < 0 ||
			parse_status_code(dash + 1, &hi) < 0)
			return -EINVAL;
		if (lo > hi)
			return -EINVAL;
	}
	*ret_lo = lo;
	*ret_hi = hi;
	return 0;
}

bool
probe_status_expected(char *const *expect_status, long status)
{
	unsigned lo, hi;

	if (strv_length(expect_status) == 0)
		return status >= 200 && status <= 399;
	for (size_t i = 0; expect_status[i]; i++)
		if (probe_status_parse(expect_status[i], &lo, &hi) == 0 &&
			status >= lo && status <= hi)
			return true;
	return false;
}

/*
 * Guards around everything that may call the result callback, which may free
 * the set: probe_set_free() then only marks it, and the outermost handler
 * destroys it on its way out, touching nothing of it afterwards.
 */
static void set_destroy(struct probe_set *s);

static void
set_enter(struct probe_set *s)
{
	s->dispatching++;
}

static void
set_leave(struct probe_set *s)
{
	if (--s->dispatching == 0 && s->dead)
		set_destroy(s);
}

/* --- Results ------------------------------------------------------------- */

static enum probe_reason
reason_of(CURLcode code)
{
	switch (code) {
	case CURLE_OK:
		return PROBE_REASON_NONE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return PROBE_REASON_DNS;
	case CURLE_COULDNT_CONNECT:
		return PROBE_REASON_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return PROBE_REASON_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00 /* 7.77 */
	case CURLE_SSL_CLIENTCERT:
#endif
		return PROBE_REASON_TLS;
	default:
		return PROBE_REASON_ERROR;
	}
}

static double
usec_to_ms(curl_off_t us)
{
	return (double)us / 1000.0;
}

/*
 * curl's phase timers count from the start of the request and stay 0 for a
 * phase never reached (a reached one is at least 1 us). A later phase implies
 * the earlier ones, so reachedness is carried backwards.
 */
static void
fill_timings(CURL *easy, bool tls, struct record *r)
{
	curl_off_t dns = 0, conn = 0, app = 0, ttfb = 0, total = 0;
	bool ttfb_ok, tls_ok, conn_ok, dns_ok;

	(void)sym_curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &dns);
	(void)sym_curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &conn);
	(void)sym_curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &app);
	(void)sym_curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &ttfb);
	(void)sym_curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total);
	ttfb_ok = ttfb > 0;
	tls_ok = tls && (app > 0 || ttfb_ok);
	conn_ok = conn > 0 || tls_ok || ttfb_ok;
	dns_ok = dns > 0 || conn_ok;
	(void)record_set(r, "dns_ms", dns_ok ? usec_to_ms(dns) : NAN);
	(void)record_set(r, "connect_ms", conn_ok ? usec_to_ms(conn) : NAN);
	(void)record_set(r, "tls_ms", tls_ok ? usec_to_ms(app) : NAN);
	(void)record_set(r, "ttfb_ms", ttfb_ok ? usec_to_ms(ttfb) : NAN);
	(void)record_set(r, "total_ms", usec_to_ms(total));
}

/*
 * Days until the leaf certificate expires. With OpenSSL, curl's CERTINFO
 * holds "Expire date:" + ASN1_TIME_print(), "Jan  2 03:04:05 2026 GMT", in
 * English whatever the locale (we never call setlocale()). Anything else
 * (another TLS backend, fractional seconds) yields NAN rather than a guess.
 */
static double
cert_days(CURL *easy, time_t now)
{
	static const char key[] = "Expire date:";
	struct curl_certinfo *ci = NULL;
	struct curl_slist *l;

	if (sym_curl_easy_getinfo(easy, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci ||
		ci->num_of_certs < 1)
		return NAN;
	for (l = ci->certinfo[0]; l; l = l->next) {
		struct tm tm = { 0 };
		const char *end;

		if (strncmp(l->data, key, sizeof(key) - 1) != 0)
			continue;
		end = strptime(l->data + sizeof(key) - 1, " %b %d %H:%M:%S %Y", &tm);
		if (!end || strcmp(end, " GMT") != 0)
			return NAN;
		return (double)(timegm(&tm) - now) / 86400.0;
	}
	return NAN;
}

/* The body is NUL-terminated, but may hold NULs: REG_STARTEND covers all of it. */
static bool
body_matches(const regex_t *re, const char *body, size_t len)
{
#ifdef REG_STARTEND
	regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)len };

	return regexec(re, body, 1, &m, REG_STARTEND) == 0;
#else
	(void)len;
	return regexec(re, body, 0, NULL, 0) == 0;
#endif
}

/* Classifies a transfer curl saw through: status, then content. */
static enum probe_reason
check_response(struct probe *p, long status, char *error, size_t size)
{
	const char *body = p->body ? p->body : "";

	if (!probe_status_expected(p->conf->expect_status, status)) {
		(void)snprintf(error, size, "unexpected HTTP status %ld", status);
		return PROBE_REASON_STATUS;
	}
	if (p->has_expect && !body_matches(&p->expect, body, p->body_len)) {
		(void)snprintf(error, size, "body does not match expect_body");
		return PROBE_REASON_CONTENT;
	}
	if (p->has_reject && body_matches(&p->reject, body, p->body_len)) {
		(void)snprintf(error, size, "body matches reject_body");
		return PROBE_REASON_CONTENT;
	}
	return PROBE_REASON_NONE;
}

/* A record of schema_probe named after the probe, every field NAN. */
static void
result_init(struct probe *p, struct probe_result *res)
{
	struct record *r;

	record_batch_clear(&p->set->batch);
	p->set->batch.time = (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_SEC);
	r = record_batch_add(&p->set->batch, &schema_probe, p->conf->name);
	/* A probe with an interval of its own gets an RRD with that step. */
	r->step = p->conf->interval;
	*res = (struct probe_result){ .conf = p->conf, .record = *r };
}

static void
result_fill(struct probe *p, CURLcode code, struct probe_result *res)
{
	struct record *r = &res->record;
	const char *scheme = NULL;
	long status = 0;
	bool tls;

	result_init(p, res);
	(void)sym_curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
	if (sym_curl_easy_getinfo(p->easy, CURLINFO_SCHEME, &scheme) != CURLE_OK || !scheme)
		scheme = p->conf->url;
	tls = strncasecmp(scheme, "https", 5) == 0;
	fill_timings(p->easy, tls, r);
	(void)record_set(r, "status", status > 0 ? (double)status : NAN);
	(void)record_set(r, "size", (double)p->received);
	(void)record_set(r, "cert_days", tls ? cert_days(p->easy, r->time) : NAN);
	if (code == CURLE_OK)
		res->reason = check_response(p, status, res->error, sizeof(res->error));
	else {
		res->reason = reason_of(code);
		(void)snprintf(res->error, sizeof(res->error), "%s",
			p->errbuf[0] ? p->errbuf : sym_curl_easy_strerror(code));
	}
	(void)record_set(r, "up", res->reason == PROBE_REASON_NONE ? 1 : 0);
	(void)record_set(r, "reason", (double)res->reason);
}

/* --- Transfers ----------------------------------------------------------- */

/*
 * Keeps the first max_body bytes and reads on past them without keeping
 * them. Returning a short count would stop the download, but curl then ends
 * the transfer with CURLE_WRITE_ERROR and cuts total_ms and size short; the
 * whole request timeout still bounds an endless body.
 */
static size_t
on_write(char *data, size_t size, size_t n, void *userdata)
{
	struct probe *p = userdata;
	size_t len = size * n, keep = 0;

	p->received += len;
	if (p->keep_body && p->body_len < p->conf->max_body)
		keep = MIN(len, p->conf->max_body - p->body_len);
	if (keep == 0)
		return len;
	if (p->body_len + keep + 1 > p->body_size) {
		size_t want = MAX(p->body_size * 2, p->body_len + keep + 1);

		p->body_size = MIN(want, (size_t)p->conf->max_body + 1);
		p->body = xrealloc(p->body, p->body_size);
	}
	memcpy(p->body + p->body_len, data, keep);
	p->body_len += keep;
	p->body[p->body_len] = '\0';
	return len;
}

static void
curl_easy_cleanupp(CURL **easy)
{
	if (*easy)
		sym_curl_easy_cleanup(*easy);
}

/*
 * A timeout of 0 stands for the interval: curl would wait forever.
 * Every run is a new client: a fresh connection, no DNS cache and no TLS
 * session reuse, so that dns, connect and tls times are measured each time
 * and a broken resolver or handshake is not hidden by curl's caches. Option
 * values go through curl's varargs, hence the explicit (long) casts.
 */
static int
easy_new(struct probe *p, CURL **ret)
{
	const struct probe_conf *c = p->conf;
	long timeout_ms = (long)(c->timeout ? c->timeout : p->interval) * 1000L;
	_cleanup_(curl_easy_cleanupp) CURL *e = sym_curl_easy_init();
	int bad = 0; /* CURLE_OK is 0: any failure leaves bits set */

	if (!e)
		return -ENOMEM;
	bad |= sym_curl_easy_setopt(e, CURLOPT_URL, c->url);
	/* Else the synchronous resolver times out with alarm(), SIGALRM and longjmp. */
	bad |= sym_curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the bitmask options are deprecated */
	bad |= sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= sym_curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	bad |= sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS, HTTP_PROTOCOLS);
	bad |= sym_curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, HTTP_PROTOCOLS);
#endif
	bad |= sym_curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	bad |= sym_curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	bad |= sym_curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	bad |= sym_curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, (long)c->follow_redirects);
	bad |= sym_curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)c->max_redirects);
	bad |= sym_curl_easy_setopt(e, CURLOPT_NOBODY, (long)(c->method == PROBE_HEAD));
	bad |= sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, (long)c->verify_tls);
	bad |= sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->verify_tls ? 2L : 0L);
	if (c->ca_file)
		bad |= sym_curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	bad |= sym_curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
	bad |= sym_curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	bad |= sym_curl_easy_setopt(e, CURLOPT_WRITEDATA, p);
	bad |= sym_curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
	bad |= sym_curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf);
	bad |= sym_curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	bad |= sym_curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	bad |= sym_curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	bad |= sym_curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	if (bad)
		return -EIO;
	*ret = TAKE_PTR(e);
	return 0;
}

static void on_done(CURL *easy, CURLcode code, void *userdata);

static int
probe_launch(struct probe *p)
{
	_cleanup_(curl_easy_cleanupp) CURL *easy = NULL;
	int r;

	p->errbuf[0] = '\0';
	p->body_len = 0;
	p->received = 0;
	r = easy_new(p, &easy);
	if (r < 0)
		return r;
	r = curlglue_add(p->set->glue, easy, on_done, p);
	if (r < 0)
		return r;
	p->easy = TAKE_PTR(easy);
	p->state = PROBE_RUNNING;
	p->set->in_flight++;
	return 0;
}

/* A run that could not even start still gets a result, so that it is seen. */
static void
deliver_failure(struct probe *p, int r)
{
	struct probe_result res;

	result_init(p, &res);
	res.reason = PROBE_REASON_ERROR;
	(void)snprintf(res.error, sizeof(res.error), "cannot start request: %s",
		strerror(-r));
	(void)record_set(&res.record, "up", 0);
	(void)record_set(&res.record, "size", 0);
	(void)record_set(&res.record, "reason", (double)res.reason);
	p->set->callback(&res, p->set->userdata);
}

/* Starts queued probes while there is room; called inside set_enter(). */
static void
pump_queue(struct probe_set *s)
{
	struct probe *p;
	int r;

	while (!s->dead && s->in_flight < s->max_in_flight &&
		(p = TAILQ_FIRST(&s->queue))) {
		TAILQ_REMOVE(&s->queue, p, queue);
		p->state = PROBE_IDLE;
		r = probe_launch(p);
		if (r < 0)
			deliver_failure(p, r);
	}
}

/* Starts p or queues it; -EBUSY when it is already running or queued. */
static int
probe_request(struct probe *p)
{
	struct probe_set *s = p->set;

	if (p->state != PROBE_IDLE)
		return -EBUSY;
	if (s->in_flight < s->max_in_flight)
		return probe_launch(p);
	p->state = PROBE_QUEUED;
	TAILQ_INSERT_TAIL(&s->queue, p, queue);
	return 0;
}

static void
probe_stop(struct probe *p)
{
	if (p->state == PROBE_RUNNING) {
		/* A no-op for a finished transfer: the glue removed it already. */
		curlglue_remove(p->set->glue, p->easy);
		sym_curl_easy_cleanup(p->easy);
		p->easy = NULL;
		p->set->in_flight--;
	} else if (p->state == PROBE_QUEUED)
		TAILQ_REMOVE(&p->set->queue, p, queue);
	p->state = PROBE_IDLE;
	free(p->body);
	p->body = NULL;
	p->body_len = p->body_size = 0;
}

/* Turns a finished transfer into its result, frees its slot, then reports. */
static void
probe_finish(struct probe *p, CURLcode code)
{
	struct probe_set *s = p->set;
	struct probe_result res;

	result_fill(p, code, &res);
	probe_stop(p);
	pump_queue(s);
	if (!s->dead)
		s->callback(&res, s->userdata);
}

/* curlglue: a transfer finished; its handle is out of the multi handle. */
static void
on_done(CURL *easy, CURLcode code, void *userdata)
{
	struct probe *p = userdata;
	struct probe_set *s = p->set;

	set_enter(s);
	probe_finish(p, code);
	set_leave(s);
}

/* --- Probes and the set -------------------------------------------------- */

static void
on_tick(void *userdata)
{
	struct probe *p = userdata;
	struct probe_set *s = p->set;
	int r;

	set_enter(s);
	r = probe_request(p);
	if (r == -EBUSY)
		p->skipped++;
	else if (r < 0)
		deliver_failure(p, r);
	set_leave(s);
}

static int
probe_init(struct probe_set *s, struct probe *p, const struct probe_conf *c)
{
	uint64_t interval;

	p->set = s;
	p->conf = c;
	p->interval = c->interval ? c->interval : s->conf->interval;
	interval = (uint64_t)p->interval * USEC_PER_SEC;
	if (c->expect_body) {
		if (regcomp(&p->expect, c->expect_body, REG_EXTENDED | REG_NOSUB) != 0)
			return -EINVAL;
		p->has_expect = true;
	}
	if (c->reject_body) {
		if (regcomp(&p->reject, c->reject_body, REG_EXTENDED | REG_NOSUB) != 0)
			return -EINVAL;
		p->has_reject = true;
	}
	p->keep_body = p->has_expect || p->has_reject;
	for (size_t i = 0; c->headers && c->headers[i]; i++) {
		struct curl_slist *l = sym_curl_slist_append(p->headers, c->headers[i]);

		if (!l)
			return -ENOMEM;
		p->headers = l;
	}
	/*
	 * Spread the first runs a little, then keep each probe's phase. A short
	 * window: a round of concurrent probes should take about as long as
	 * the slowest target, not as long as the jitter.
	 */
	return loop_periodic_new(s->event, interval,
		MIN(interval, PROBE_FIRST_RUN_JITTER_USEC), on_tick, p, &p->timer);
}

static void
probe_done(struct probe *p)
{
	if (!p->set)
		return;
	probe_stop(p);
	p->timer = loop_periodic_free(p->timer);
	if (p->has_expect)
		regfree(&p->expect);
	if (p->has_reject)
		regfree(&p->reject);
	sym_curl_slist_free_all(p->headers);
}

int
probe_set_new(sd_event *e, const struct hm_conf *conf, probe_result_fn callback,
	void *userdata, struct probe_set **ret)
{
	_cleanup_(probe_set_freep) struct probe_set *s = NULL;
	int r;

	if (conf->n_probes > 0 && conf->max_probes_in_flight == 0)
		return -ERANGE;
	s = xcalloc(1, sizeof(*s));
	s->event = sd_event_ref(e);
	s->conf = conf;
	s->callback = callback;
	s->userdata = userdata;
	s->max_in_flight = conf->max_probes_in_flight;
	TAILQ_INIT(&s->queue);
	/*
	 * Without probes, curl and its TLS library stay untouched: initialising
	 * OpenSSL alone costs an agent that probes nothing about 3 MiB of RSS.
	 */
	if (conf->n_probes > 0) {
		r = curlglue_acquire(e, &s->glue);
		if (r < 0)
			return r;
	}
	s->probes = xcalloc(MAX(conf->n_probes, (size_t)1), sizeof(*s->probes));
	s->n_probes = conf->n_probes;
	for (size_t i = 0; i < conf->n_probes; i++) {
		r = probe_init(s, &s->probes[i], &conf->probes[i]);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

int
probe_set_run_now(struct probe_set *s, const char *name)
{
	int r;

	for (size_t i = 0; i < s->n_probes; i++) {
		struct probe *p = &s->probes[i];

		if (strcmp(p->conf->name, name) != 0)
			continue;
		r = probe_request(p);
		/* The next periodic run comes a whole interval after this manual one. */
		if (r >= 0)
			(void)loop_periodic_restart(p->timer);
		return r;
	}
	return -ENOENT;
}

size_t
probe_set_in_flight(const struct probe_set *s)
{
	return s->in_flight;
}

static void
set_destroy(struct probe_set *s)
{
	for (size_t i = 0; s->probes && i < s->n_probes; i++)
		probe_done(&s->probes[i]);
	free(s->probes);
	s->glue = curlglue_unref(s->glue);
	record_batch_done(&s->batch);
	sd_event_unref(s->event);
	free(s);
}

struct probe_set *
probe_set_free(struct probe_set *s)
{
	if (!s)
		return NULL;
	if (s->dispatching > 0)
		s->dead = true;
	else
		set_destroy(s);
	return NULL;
}
