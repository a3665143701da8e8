/* SPDX-License-Identifier: MIT */
/*
 * probe: real requests on a real sd-event loop against tests/httpd.py on
 * 127.0.0.1 (plain HTTP and three TLS ports with certificates made by
 * tests/make-certs.sh), started once for the suite. Every field of the
 * record, every failure reason, redirects, body checks and the body cap,
 * concurrency and the in-flight cap (as the server saw them), skipped runs,
 * and freeing the set from its own callback. No assertion depends on how
 * fast the machine is, beyond "not sooner than the server's known delay".
 */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "probe.h"
#include "util.h"

/* What httpd.py answers on /body and /big. */
#define BODY "healthmond test body: the quick brown fox jumps over the lazy dog\n"
#define BIG_SIZE (5 * 1024 * 1024)

#define MAX_PROBES 32
#define MAX_RESULTS 64
#define DEADLINE (20 * USEC_PER_SEC)

/* The server and its certificates, made by the unchecked fixture in the parent. */
static char *tmpdir;
static pid_t server_pid = -1;
static unsigned port_http, port_https, port_short, port_self;

/* Reads the server's "PORTS ..." line, waiting 10 s at most. */
static void
read_ports(int fd)
{
	uint64_t deadline = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
	char line[256];
	size_t len = 0;

	while (!memchr(line, '\n', len)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_usec(CLOCK_MONOTONIC);
		ssize_t n;

		ck_assert_msg(now < deadline, "httpd.py did not say its ports in 10 s");
		if (poll(&pfd, 1, (int)((deadline - now) / USEC_PER_MSEC) + 1) <= 0)
			continue;
		n = read(fd, line + len, sizeof(line) - 1 - len);
		ck_assert_msg(n > 0, "httpd.py exited before saying its ports");
		len += (size_t)n;
		ck_assert_uint_lt(len, sizeof(line) - 1);
	}
	line[len] = '\0';
	ck_assert_int_eq(sscanf(line, "PORTS http=%u https=%u short=%u self=%u",
				 &port_http, &port_https, &port_short, &port_self),
		4);
}

static void
server_start(void)
{
	_cleanup_free_ char *certs = test_srcdir_path("tests/make-certs.sh");
	_cleanup_free_ char *httpd = test_srcdir_path("tests/httpd.py");
	_cleanup_free_ char *cert = NULL, *key = NULL;
	_cleanup_free_ char *tls_short = NULL, *tls_self = NULL;
	int fds[2];

	tmpdir = test_mkdtemp();
	test_run_command((char *[]){ "sh", certs, tmpdir, NULL });
	cert = xasprintf("%s/leaf.pem", tmpdir);
	key = xasprintf("%s/leaf.key", tmpdir);
	tls_short = xasprintf("short:%s/short.pem:%s/short.key", tmpdir, tmpdir);
	tls_self = xasprintf("self:%s/self.pem:%s/self.key", tmpdir, tmpdir);
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	server_pid = fork();
	ck_assert_int_ge(server_pid, 0);
	if (server_pid == 0) {
		(void)dup2(fds[1], STDOUT_FILENO);
		execlp("python3", "python3", httpd, "--cert", cert, "--key", key,
			"--tls", tls_short, "--tls", tls_self, (char *)NULL);
		_exit(127);
	}
	(void)close(fds[1]);
	read_ports(fds[0]);
	(void)close(fds[0]);
	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
}

static void
server_stop(void)
{
	if (server_pid > 0) {
		(void)kill(server_pid, SIGTERM);
		(void)waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
	test_rm_rf(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
	curl_global_cleanup();
}

/* "hits=H max=M" for a tag of /slow requests, fetched with plain libcurl. */
static void
server_stats(const char *tag, unsigned *ret_hits, unsigned *ret_max)
{
	_cleanup_free_ char *url =
		xasprintf("http://127.0.0.1:%u/stats?tag=%s", port_http, tag);
	char buf[128] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	CURL *e = curl_easy_init();

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(e);
	(void)curl_easy_setopt(e, CURLOPT_URL, url);
	(void)curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	(void)curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	ck_assert_int_eq(curl_easy_perform(e), CURLE_OK);
	curl_easy_cleanup(e);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(sscanf(buf, "hits=%u max=%u", ret_hits, ret_max), 2);
}

/* --- Configs built by hand (the suite does not depend on conf.c) -------- */

static struct hm_conf *
conf_make(unsigned max_in_flight)
{
	struct hm_conf *c = xcalloc(1, sizeof(*c));

	c->interval = 3600;
	c->max_probes_in_flight = max_in_flight;
	c->probes = xcalloc(MAX_PROBES, sizeof(*c->probes));
	return c;
}

/* Adds a probe with everyday settings; takes url. */
static struct probe_conf *
add_probe(struct hm_conf *c, const char *name, char *url)
{
	struct probe_conf *p;

	ck_assert_uint_lt(c->n_probes, MAX_PROBES);
	p = &c->probes[c->n_probes++];
	p->name = xstrdup(name);
	p->url = url;
	p->timeout = 5;
	p->method = PROBE_GET;
	p->follow_redirects = true;
	p->max_redirects = 5;
	p->verify_tls = true;
	p->max_body = 65536;
	return p;
}

static char *
http_url(const char *path)
{
	return xasprintf("http://127.0.0.1:%u%s", port_http, path);
}

static char *
https_url(unsigned port, const char *path)
{
	return xasprintf("https://127.0.0.1:%u%s", port, path);
}

static char *
ca_file(void)
{
	return xasprintf("%s/ca.pem", tmpdir);
}

static void
conf_done(struct hm_conf *c)
{
	for (size_t i = 0; i < c->n_probes; i++) {
		struct probe_conf *p = &c->probes[i];

		free(p->name);
		free(p->url);
		strv_free(p->expect_status);
		free(p->expect_body);
		free(p->reject_body);
		free(p->ca_file);
		strv_free(p->headers);
	}
	free(c->probes);
	free(c);
}

/* --- Running probes on a loop ------------------------------------------- */

struct run {
	sd_event *e;
	struct probe_set *set;
	struct probe_result res[MAX_RESULTS];
	size_t n;
	size_t want;           /* exit after this many results */
	uint64_t linger;       /* instead: run this long, then exit (no failure) */
	bool free_in_callback; /* free the set from the first callback */
	bool timed_out;
};

static void
on_result(const struct probe_result *res, void *userdata)
{
	struct run *run = userdata;

	ck_assert_uint_lt(run->n, MAX_RESULTS);
	run->res[run->n++] = *res;
	if (run->free_in_callback)
		run->set = probe_set_free(run->set);
	if (run->want && run->n >= run->want)
		(void)sd_event_exit(run->e, 0);
}

static int
on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct run *run = userdata;

	run->timed_out = true;
	return sd_event_exit(run->e, 0);
}

/* Makes the set and the loop, and starts every probe of c now. */
static void
run_start(struct run *run, const struct hm_conf *c)
{
	ck_assert_int_eq(sd_event_new(&run->e), 0);
	ck_assert_int_eq(probe_set_new(run->e, c, on_result, run, &run->set), 0);
	for (size_t i = 0; i < c->n_probes; i++)
		ck_assert_int_eq(probe_set_run_now(run->set, c->probes[i].name), 0);
}

/* Runs the loop until run->want results came (20 s at most), or run->linger. */
static void
run_loop(struct run *run)
{
	sd_event_source *deadline = NULL;
	uint64_t now;

	ck_assert_int_ge(sd_event_now(run->e, CLOCK_MONOTONIC, &now), 0);
	ck_assert_int_eq(sd_event_add_time(run->e, &deadline, CLOCK_MONOTONIC,
				 now + (run->linger ? run->linger : DEADLINE), 0,
				 on_deadline, run),
		0);
	ck_assert_int_ge(sd_event_loop(run->e), 0);
	if (!run->linger)
		ck_assert_msg(!run->timed_out, "%zu of %zu results in 20 s", run->n,
			run->want);
	sd_event_source_unref(deadline);
}

/* Runs every probe of c once and waits for all results. */
static void
run_all(struct run *run, const struct hm_conf *c)
{
	run_start(run, c);
	run->want = c->n_probes;
	run_loop(run);
}

static void
run_done(struct run *run)
{
	run->set = probe_set_free(run->set);
	run->e = sd_event_unref(run->e);
}

static const struct probe_result *
result_of(const struct run *run, const char *name)
{
	for (size_t i = 0; i < run->n; i++)
		if (strcmp(run->res[i].conf->name, name) == 0)
			return &run->res[i];
	ck_abort_msg("no result for probe '%s'", name);
	return NULL;
}

static double
field(const struct probe_result *r, const char *name)
{
	int i = record_field_index(r->record.schema, name);

	ck_assert_int_ge(i, 0);
	return r->record.values[i];
}

/* Checks a result's reason, with the error text in the failure message. */
static void
assert_reason(const struct run *run, const char *name, enum probe_reason want)
{
	const struct probe_result *r = result_of(run, name);

	ck_assert_msg(r->reason == want, "probe '%s': reason %s, want %s (%s)", name,
		probe_reason_to_string(r->reason), probe_reason_to_string(want),
		r->error);
	ck_assert_double_eq(field(r, "reason"), (double)want);
	ck_assert_double_eq(field(r, "up"), want == PROBE_REASON_NONE ? 1 : 0);
	if (want == PROBE_REASON_NONE)
		ck_assert_str_eq(r->error, "");
	else
		ck_assert_str_ne(r->error, "");
}

/* dns <= connect [<= tls] <= ttfb <= total, all measured. */
static void
assert_ordered(const struct probe_result *r, bool tls)
{
	double dns = field(r, "dns_ms"), conn = field(r, "connect_ms");
	double tls_ms = field(r, "tls_ms"), ttfb = field(r, "ttfb_ms");
	double total = field(r, "total_ms");

	ck_assert(isfinite(dns) && isfinite(conn) && isfinite(ttfb) && isfinite(total));
	ck_assert_double_ge(dns, 0);
	ck_assert_double_le(dns, conn);
	if (tls) {
		ck_assert(isfinite(tls_ms));
		ck_assert_double_le(conn, tls_ms);
		ck_assert_double_le(tls_ms, ttfb);
	} else {
		ck_assert(isnan(tls_ms));
		ck_assert_double_le(conn, ttfb);
	}
	ck_assert_double_le(ttfb, total);
}

static char **
strv_of(const char *a, const char *b)
{
	return strv_copy((char *const[]){ (char *)a, (char *)b, NULL });
}

/* --- Parsers -------------------------------------------------------------- */

START_TEST(test_status_parse)
{
	static const struct {
		const char *s;
		int r;
		unsigned lo, hi;
	} cases[] = {
		{ "200", 0, 200, 200 },
		{ "200-399", 0, 200, 399 },
		{ "100", 0, 100, 100 },
		{ "599", 0, 599, 599 },
		{ "404-404", 0, 404, 404 },
		{ "99", -EINVAL, 0, 0 },
		{ "600", -EINVAL, 0, 0 },
		{ "300-200", -EINVAL, 0, 0 },
		{ "200-600", -EINVAL, 0, 0 },
		{ "", -EINVAL, 0, 0 },
		{ "abc", -EINVAL, 0, 0 },
		{ "200-", -EINVAL, 0, 0 },
		{ "-200", -EINVAL, 0, 0 },
		{ " 200", -EINVAL, 0, 0 },
		{ "+200", -EINVAL, 0, 0 },
		{ "2xx", -EINVAL, 0, 0 },
		{ "200-300-400", -EINVAL, 0, 0 },
		{ "0200", 0, 200, 200 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		unsigned lo = 1, hi = 1;
		int r = probe_status_parse(cases[i].s, &lo, &hi);

		ck_assert_msg(r == cases[i].r, "'%s': %d", cases[i].s, r);
		if (r < 0) {
			/* Out-parameters are untouched on failure. */
			ck_assert_uint_eq(lo, 1);
			ck_assert_uint_eq(hi, 1);
		} else {
			ck_assert_uint_eq(lo, cases[i].lo);
			ck_assert_uint_eq(hi, cases[i].hi);
		}
	}
}
END_TEST

START_TEST(test_status_expected)
{
	char *empty[] = { NULL };
	_cleanup_(strv_freep) char **list = strv_of("204", "400-404");

	/* Empty or missing means 200-399. */
	ck_assert(probe_status_expected(NULL, 200));
	ck_assert(probe_status_expected(empty, 399));
	ck_assert(probe_status_expected(NULL, 302));
	ck_assert(!probe_status_expected(NULL, 199));
	ck_assert(!probe_status_expected(NULL, 400));
	ck_assert(!probe_status_expected(NULL, 0));
	ck_assert(probe_status_expected(list, 204));
	ck_assert(probe_status_expected(list, 400));
	ck_assert(probe_status_expected(list, 404));
	ck_assert(!probe_status_expected(list, 200));
	ck_assert(!probe_status_expected(list, 405));
}
END_TEST

START_TEST(test_reason_strings)
{
	static const char *const want[] = { "ok", "dns", "connect", "timeout", "tls",
		"status", "content", "error" };

	ck_assert_uint_eq(ELEMENTSOF(want), _PROBE_REASON_MAX);
	for (int i = 0; i < _PROBE_REASON_MAX; i++)
		ck_assert_str_eq(probe_reason_to_string(i), want[i]);
	ck_assert_ptr_null(probe_reason_to_string(_PROBE_REASON_MAX));
}
END_TEST

START_TEST(test_set_errors)
{
	struct hm_conf *c = conf_make(4);
	struct probe_set *s = NULL;
	sd_event *e = NULL;

	ck_assert_int_eq(sd_event_new(&e), 0);
	add_probe(c, "a", http_url("/ok"));
	ck_assert_int_eq(probe_set_new(e, c, on_result, NULL, &s), 0);
	ck_assert_int_eq(probe_set_run_now(s, "nope"), -ENOENT);
	ck_assert_int_eq(probe_set_run_now(s, "a"), 0);
	ck_assert_int_eq(probe_set_run_now(s, "a"), -EBUSY);
	ck_assert_uint_eq(probe_set_in_flight(s), 1);
	/* Freed with a request in flight and the loop never run. */
	s = probe_set_free(s);

	c->max_probes_in_flight = 0;
	ck_assert_int_eq(probe_set_new(e, c, on_result, NULL, &s), -ERANGE);
	ck_assert_ptr_null(s);
	c->max_probes_in_flight = 4;
	c->probes[0].expect_body = xstrdup("(unclosed");
	ck_assert_int_eq(probe_set_new(e, c, on_result, NULL, &s), -EINVAL);
	ck_assert_ptr_null(s);
	conf_done(c);

	/* No probes at all is fine, whatever the cap. */
	c = conf_make(0);
	ck_assert_int_eq(probe_set_new(e, c, on_result, NULL, &s), 0);
	ck_assert_uint_eq(probe_set_in_flight(s), 0);
	s = probe_set_free(s);
	conf_done(c);
	sd_event_unref(e);
}
END_TEST

/* --- HTTP ----------------------------------------------------------------- */

START_TEST(test_ok)
{
	struct hm_conf *c = conf_make(4);
	struct run run = { 0 };
	const struct probe_result *r;
	int64_t now;

	add_probe(c, "web", http_url("/body"));
	run_all(&run, c);
	now = (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_SEC);
	r = result_of(&run, "web");
	assert_reason(&run, "web", PROBE_REASON_NONE);
	ck_assert_ptr_eq(r->conf, &c->probes[0]);
	ck_assert_str_eq(r->record.series, "probe-web");
	ck_assert_ptr_eq(r->record.schema, &schema_probe);
	/* The global interval: the store's step. */
	ck_assert_uint_eq(r->record.step, 0);
	ck_assert_int_le(r->record.time, now);
	ck_assert_int_ge(r->record.time, now - 20);
	ck_assert_double_eq(field(r, "status"), 200);
	ck_assert_double_eq(field(r, "size"), strlen(BODY));
	ck_assert(isnan(field(r, "cert_days")));
	assert_ordered(r, false);
	ck_assert_uint_eq(probe_set_in_flight(run.set), 0);
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_status)
{
	struct hm_conf *c = conf_make(8);
	struct run run = { 0 };

	add_probe(c, "e404", http_url("/status/404"));
	add_probe(c, "e500", http_url("/status/500"));
	add_probe(c, "ok404", http_url("/status/404"))->expect_status =
		strv_of("404", NULL);
	add_probe(c, "teapot", http_url("/status/418"))->expect_status =
		strv_of("200", "400-499");
	add_probe(c, "only200", http_url("/status/204"))->expect_status =
		strv_of("200", NULL);
	run_all(&run, c);
	assert_reason(&run, "e404", PROBE_REASON_STATUS);
	assert_reason(&run, "e500", PROBE_REASON_STATUS);
	assert_reason(&run, "ok404", PROBE_REASON_NONE);
	assert_reason(&run, "teapot", PROBE_REASON_NONE);
	assert_reason(&run, "only200", PROBE_REASON_STATUS);
	ck_assert_double_eq(field(result_of(&run, "e404"), "status"), 404);
	ck_assert_double_eq(field(result_of(&run, "e500"), "status"), 500);
	ck_assert_double_eq(field(result_of(&run, "ok404"), "status"), 404);
	ck_assert_double_eq(field(result_of(&run, "only200"), "status"), 204);
	/* A status failure is still a complete exchange: every time is measured. */
	assert_ordered(result_of(&run, "e500"), false);
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_redirects)
{
	struct hm_conf *c = conf_make(8);
	struct run run = { 0 };
	struct probe_conf *p;

	add_probe(c, "follow", http_url("/redirect/3"));
	add_probe(c, "nofollow", http_url("/redirect/3"))->follow_redirects = false;
	p = add_probe(c, "nofollow200", http_url("/redirect/3"));
	p->follow_redirects = false;
	p->expect_status = strv_of("200", NULL);
	add_probe(c, "toomany", http_url("/redirect/3"))->max_redirects = 1;
	add_probe(c, "tofile", http_url("/redirect-file"));
	add_probe(c, "ftp", xasprintf("ftp://127.0.0.1:%u/", port_http));
	run_all(&run, c);
	assert_reason(&run, "follow", PROBE_REASON_NONE);
	ck_assert_double_eq(field(result_of(&run, "follow"), "status"), 200);
	assert_ordered(result_of(&run, "follow"), false);
	/* 302 is within the default 200-399. */
	assert_reason(&run, "nofollow", PROBE_REASON_NONE);
	ck_assert_double_eq(field(result_of(&run, "nofollow"), "status"), 302);
	assert_reason(&run, "nofollow200", PROBE_REASON_STATUS);
	ck_assert_double_eq(field(result_of(&run, "nofollow200"), "status"), 302);
	/* Too many redirects is curl's error; the last status is kept. */
	assert_reason(&run, "toomany", PROBE_REASON_ERROR);
	ck_assert_double_eq(field(result_of(&run, "toomany"), "status"), 302);
	/* Only http and https, also as a redirect target. */
	assert_reason(&run, "tofile", PROBE_REASON_ERROR);
	assert_reason(&run, "ftp", PROBE_REASON_ERROR);
	ck_assert(isnan(field(result_of(&run, "ftp"), "status")));
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_body)
{
	struct hm_conf *c = conf_make(8);
	struct run run = { 0 };

	add_probe(c, "match", http_url("/body"))->expect_body =
		xstrdup("quick (brown|red)");
	add_probe(c, "nomatch", http_url("/body"))->expect_body = xstrdup("^slow$");
	add_probe(c, "reject", http_url("/body"))->reject_body = xstrdup("lazy dog");
	add_probe(c, "noreject", http_url("/body"))->reject_body = xstrdup("cat|mouse");
	/* The status is checked first. */
	add_probe(c, "status", http_url("/status/404"))->expect_body = xstrdup("zzz");
	run_all(&run, c);
	assert_reason(&run, "match", PROBE_REASON_NONE);
	assert_reason(&run, "nomatch", PROBE_REASON_CONTENT);
	assert_reason(&run, "reject", PROBE_REASON_CONTENT);
	assert_reason(&run, "noreject", PROBE_REASON_NONE);
	assert_reason(&run, "status", PROBE_REASON_STATUS);
	ck_assert_double_eq(field(result_of(&run, "nomatch"), "status"), 200);
	ck_assert_double_eq(field(result_of(&run, "nomatch"), "size"), strlen(BODY));
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_body_cap)
{
	struct hm_conf *c = conf_make(8);
	struct run run = { 0 };
	struct probe_conf *p;

	/* Only the first max_body bytes are matched; the rest is read and counted. */
	p = add_probe(c, "head", http_url("/big"));
	p->max_body = 1024;
	p->expect_body = xstrdup("^BEGINx+$");
	p->reject_body = xstrdup("END");
	p = add_probe(c, "tail", http_url("/big"));
	p->max_body = 1024;
	p->expect_body = xstrdup("END");
	p = add_probe(c, "nocap", http_url("/big"));
	p->max_body = BIG_SIZE;
	p->expect_body = xstrdup("^BEGINx+END$");
	run_all(&run, c);
	assert_reason(&run, "head", PROBE_REASON_NONE);
	assert_reason(&run, "tail", PROBE_REASON_CONTENT);
	assert_reason(&run, "nocap", PROBE_REASON_NONE);
	ck_assert_double_eq(field(result_of(&run, "head"), "size"), BIG_SIZE);
	ck_assert_double_eq(field(result_of(&run, "tail"), "size"), BIG_SIZE);
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_head_and_headers)
{
	struct hm_conf *c = conf_make(8);
	struct run run = { 0 };
	struct probe_conf *p;

	add_probe(c, "head", http_url("/body"))->method = PROBE_HEAD;
	p = add_probe(c, "header", http_url("/echo-header/X-Probe"));
	p->headers = strv_of("X-Probe: hello-123", "X-Other: x");
	p->expect_body = xstrdup("^hello-123$");
	p = add_probe(c, "agent", http_url("/echo-header/User-Agent"));
	p->expect_body = xstrdup("^healthmond/" PACKAGE_VERSION "$");
	run_all(&run, c);
	assert_reason(&run, "head", PROBE_REASON_NONE);
	ck_assert_double_eq(field(result_of(&run, "head"), "status"), 200);
	ck_assert_double_eq(field(result_of(&run, "head"), "size"), 0);
	assert_reason(&run, "header", PROBE_REASON_NONE);
	assert_reason(&run, "agent", PROBE_REASON_NONE);
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_slow)
{
	struct hm_conf *c = conf_make(4);
	struct run run = { 0 };
	const struct probe_result *r;

	add_probe(c, "slow", http_url("/slow/300"));
	run_all(&run, c);
	r = result_of(&run, "slow");
	assert_reason(&run, "slow", PROBE_REASON_NONE);
	ck_assert_double_ge(field(r, "ttfb_ms"), 300);
	ck_assert_double_ge(field(r, "total_ms"), 300);
	assert_ordered(r, false);
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_timeout)
{
	struct hm_conf *c = conf_make(4);
	struct run run = { 0 };
	const struct probe_result *r;

	add_probe(c, "hang", http_url("/hang"))->timeout = 1;
	run_all(&run, c);
	r = result_of(&run, "hang");
	assert_reason(&run, "hang", PROBE_REASON_TIMEOUT);
	ck_assert_double_ge(field(r, "total_ms"), 1000);
	/* Connected, but no first byte and no status ever came. */
	ck_assert(isfinite(field(r, "dns_ms")));
	ck_assert(isfinite(field(r, "connect_ms")));
	ck_assert(isnan(field(r, "ttfb_ms")));
	ck_assert(isnan(field(r, "status")));
	ck_assert(isnan(field(r, "tls_ms")));
	run_done(&run);
	conf_done(c);
}
END_TEST

/* A port nothing listens on: bound by us, then closed. */
static unsigned
closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	(void)close(fd);
	return ntohs(sa.sin_port);
}

START_TEST(test_connect_and_dns)
{
	struct hm_conf *c = conf_make(4);
	struct run run = { 0 };
	const struct probe_result *r;

	add_probe(c, "refused", xasprintf("http://127.0.0.1:%u/", closed_port()));
	/* The .invalid TLD never resolves (RFC 6761). */
	add_probe(c, "nxdomain", xstrdup("http://nonexistent.invalid/"))->timeout = 10;
	run_all(&run, c);
	assert_reason(&run, "refused", PROBE_REASON_CONNECT);
	r = result_of(&run, "refused");
	ck_assert(isfinite(field(r, "dns_ms")));
	ck_assert(isnan(field(r, "connect_ms")));
	ck_assert(isnan(field(r, "ttfb_ms")));
	ck_assert(isnan(field(r, "status")));
	ck_assert(isfinite(field(r, "total_ms")));
	ck_assert_double_eq(field(r, "size"), 0);
	assert_reason(&run, "nxdomain", PROBE_REASON_DNS);
	r = result_of(&run, "nxdomain");
	ck_assert(isnan(field(r, "dns_ms")));
	ck_assert(isnan(field(r, "connect_ms")));
	ck_assert(isfinite(field(r, "total_ms")));
	run_done(&run);
	conf_done(c);
}
END_TEST

/* --- HTTPS ---------------------------------------------------------------- */

START_TEST(test_https)
{
	struct hm_conf *c = conf_make(8);
	struct run run = { 0 };
	const struct probe_result *r;

	add_probe(c, "trusted", https_url(port_https, "/body"))->ca_file = ca_file();
	add_probe(c, "short", https_url(port_short, "/ok"))->ca_file = ca_file();
	add_probe(c, "self", https_url(port_self, "/ok"))->ca_file = ca_file();
	add_probe(c, "noverify", https_url(port_self, "/ok"))->verify_tls = false;
	/* Our CA is in no system store. */
	add_probe(c, "system", https_url(port_https, "/ok"));
	run_all(&run, c);

	assert_reason(&run, "trusted", PROBE_REASON_NONE);
	r = result_of(&run, "trusted");
	assert_ordered(r, true);
	ck_assert_double_eq(field(r, "status"), 200);
	ck_assert_double_eq(field(r, "size"), strlen(BODY));
	ck_assert_double_gt(field(r, "cert_days"), 29.9);
	ck_assert_double_lt(field(r, "cert_days"), 30.1);

	assert_reason(&run, "short", PROBE_REASON_NONE);
	ck_assert_double_gt(field(result_of(&run, "short"), "cert_days"), 4.9);
	ck_assert_double_lt(field(result_of(&run, "short"), "cert_days"), 5.1);

	/*
	 * No assertion on connect_ms: curl 7.87 and later stamp the connect time
	 * only once TLS is up too, so a failed handshake leaves it unmeasured.
	 */
	assert_reason(&run, "self", PROBE_REASON_TLS);
	r = result_of(&run, "self");
	ck_assert(isfinite(field(r, "dns_ms")));
	ck_assert(isnan(field(r, "tls_ms")));
	ck_assert(isnan(field(r, "status")));

	assert_reason(&run, "noverify", PROBE_REASON_NONE);
	assert_ordered(result_of(&run, "noverify"), true);
	ck_assert_double_gt(field(result_of(&run, "noverify"), "cert_days"), 9.9);
	ck_assert_double_lt(field(result_of(&run, "noverify"), "cert_days"), 10.1);

	assert_reason(&run, "system", PROBE_REASON_TLS);
	run_done(&run);
	conf_done(c);
}
END_TEST

/* --- Scheduling ----------------------------------------------------------- */

START_TEST(test_concurrent)
{
	struct hm_conf *c = conf_make(20);
	struct run run = { 0 };
	unsigned hits, max;

	for (int i = 0; i < 20; i++) {
		_cleanup_free_ char *name = xasprintf("p%d", i);

		add_probe(c, name, http_url("/slow/500?tag=conc"));
	}
	run_start(&run, c);
	ck_assert_uint_eq(probe_set_in_flight(run.set), 20);
	run.want = c->n_probes;
	run_loop(&run);
	for (size_t i = 0; i < run.n; i++)
		assert_reason(&run, run.res[i].conf->name, PROBE_REASON_NONE);
	server_stats("conc", &hits, &max);
	ck_assert_uint_eq(hits, 20);
	/* They overlapped: far more than one at a time reached the server. */
	ck_assert_uint_ge(max, 10);
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_cap)
{
	struct hm_conf *c = conf_make(3);
	struct run run = { 0 };
	unsigned hits, max;

	for (int i = 0; i < 9; i++) {
		_cleanup_free_ char *name = xasprintf("p%d", i);

		add_probe(c, name, http_url("/slow/200?tag=cap"));
	}
	run_start(&run, c);
	ck_assert_uint_eq(probe_set_in_flight(run.set), 3);
	run.want = c->n_probes;
	run_loop(&run);
	/* FIFO: results come back in the order the probes were queued, by threes. */
	for (size_t i = 0; i < run.n; i++) {
		assert_reason(&run, run.res[i].conf->name, PROBE_REASON_NONE);
		ck_assert_uint_eq((size_t)(run.res[i].conf - c->probes) / 3, i / 3);
	}
	server_stats("cap", &hits, &max);
	ck_assert_uint_eq(hits, 9);
	ck_assert_uint_le(max, 3);
	ck_assert_uint_ge(max, 1);
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_hang_does_not_block)
{
	struct hm_conf *c = conf_make(4);
	struct run run = { 0 };

	add_probe(c, "hang", http_url("/hang"))->timeout = 5;
	add_probe(c, "ok", http_url("/ok"));
	run_start(&run, c);
	run.want = 1;
	run_loop(&run);
	ck_assert_uint_eq(run.n, 1);
	ck_assert_str_eq(run.res[0].conf->name, "ok");
	assert_reason(&run, "ok", PROBE_REASON_NONE);
	/* Freeing cancels the hanging request without a callback. */
	ck_assert_uint_eq(probe_set_in_flight(run.set), 1);
	run.set = probe_set_free(run.set);
	ck_assert_uint_eq(run.n, 1);
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_busy_run_is_skipped)
{
	struct hm_conf *c = conf_make(4);
	struct run run = { 0 };
	unsigned hits, max;

	/* Every second, while one request takes 2.2 s. */
	add_probe(c, "busy", http_url("/slow/2200?tag=skip"))->interval = 1;
	run_start(&run, c);
	run.want = 1;
	run_loop(&run);
	assert_reason(&run, "busy", PROBE_REASON_NONE);
	ck_assert_uint_eq(result_of(&run, "busy")->record.step, 1);
	server_stats("skip", &hits, &max);
	ck_assert_uint_eq(hits, 1);
	run_done(&run);
	conf_done(c);
}
END_TEST

START_TEST(test_free_in_callback)
{
	struct hm_conf *c = conf_make(4);
	struct run run = { .free_in_callback = true, .linger = 800 * USEC_PER_MSEC };

	add_probe(c, "ok", http_url("/ok"));
	add_probe(c, "ok2", http_url("/ok"));
	add_probe(c, "slow", http_url("/slow/300"));
	run_start(&run, c);
	run_loop(&run);
	/* The first result freed the set: nothing more, nothing touched after. */
	ck_assert_uint_eq(run.n, 1);
	ck_assert_ptr_null(run.set);
	run_done(&run);
	conf_done(c);
}
END_TEST

/* The server needs python3, the certificates the openssl CLI. */
static bool
have_tools(void)
{
	static const char cmd[] =
		"command -v python3 >/dev/null && command -v openssl >/dev/null";

	return system(cmd) == 0;
}

static Suite *
probe_suite(bool with_server)
{
	Suite *s = suite_create("probe");
	TCase *parse = tcase_create("parse");
	TCase *http;

	tcase_add_test(parse, test_status_parse);
	tcase_add_test(parse, test_status_expected);
	tcase_add_test(parse, test_reason_strings);
	suite_add_tcase(s, parse);
	if (!with_server)
		return s;
	http = tcase_create("http");

	/* One server for the whole case, started in the parent process. */
	tcase_add_unchecked_fixture(http, server_start, server_stop);
	tcase_set_timeout(http, 60);
	tcase_add_test(http, test_set_errors);
	tcase_add_test(http, test_ok);
	tcase_add_test(http, test_status);
	tcase_add_test(http, test_redirects);
	tcase_add_test(http, test_body);
	tcase_add_test(http, test_body_cap);
	tcase_add_test(http, test_head_and_headers);
	tcase_add_test(http, test_slow);
	tcase_add_test(http, test_timeout);
	tcase_add_test(http, test_connect_and_dns);
	tcase_add_test(http, test_https);
	tcase_add_test(http, test_concurrent);
	tcase_add_test(http, test_cap);
	tcase_add_test(http, test_hang_does_not_block);
	tcase_add_test(http, test_busy_run_is_skipped);
	tcase_add_test(http, test_free_in_callback);
	suite_add_tcase(s, http);
	return s;
}

int
main(void)
{
	bool tools = have_tools();
	int r = test_run_suite(probe_suite(tools));

	if (r == EXIT_SUCCESS && !tools) {
		fprintf(stderr, "SKIP: no python3 or openssl: HTTP(S) cases not run\n");
		return 77; /* automake's SKIP */
	}
	return r;
}
