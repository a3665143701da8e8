/* SPDX-License-Identifier: MIT */
/*
 * The central role end to end: a real central on 127.0.0.1, port 0, runs on
 * an sd-event loop in the test process, and the test talks to it over TCP,
 * driving the loop while it waits: raw HTTP/1.1 for plain requests (so it
 * can send headers without a body), libcurl for TLS with client
 * certificates. Checked: authentication (401), another host's data (403),
 * malformed bodies by class (400), caps (413, 429), duplicates (acked and
 * counted, not written again), RRD files and events, the sequence mark
 * across a restart and a reload, liveness events, and that hostile names
 * write nothing anywhere.
 */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "central.h"
#include "common.h"
#include "conf.h"
#include "ingest.h"
#include "mark.h"
#include "log.h"
#include "record.h"
#include "util.h"
#include "wire.h"

#define TOKEN1 "web1-0123456789abcdef"
#define TOKEN2 "web2-0123456789abcdef"
#define TOKEN3 "web3-0123456789abcdef"
#define TOKEN4 "web4-0123456789abcdef"
#define T0 1763715600

struct captured {
	char **lines; /* owned strv */
};

static struct {
	char *dir;
	char *datadir;
	char *conf_text;
	struct hm_conf *conf;
	sd_event *event;
	struct central *central;
	int port;
	struct captured log;
} f;

static void
capture(int level, const char *msg, void *userdata)
{
	struct captured *c = userdata;

	strv_push(&c->lines, msg);
}

static size_t
count_lines(const char *needle)
{
	size_t n = 0;

	for (char **l = f.log.lines; l && *l; l++)
		if (strstr(*l, needle))
			n++;
	return n;
}

/* The config wants a port from 1; the tests let the kernel pick one. */
static void
set_listen(struct hm_conf *conf, const char *a, const char *b)
{
	conf->central.listen = strv_free(conf->central.listen);
	strv_push(&conf->central.listen, a);
	if (b)
		strv_push(&conf->central.listen, b);
}

static void
central_up(void)
{
	ck_assert_int_eq(central_new(f.conf, NULL, &f.central), 0);
	ck_assert_int_eq(central_start(f.central, f.event), 0);
	f.port = central_port(f.central, 0);
	ck_assert_int_gt(f.port, 0);
}

/* extra: more lines for the central group. */
static void
setup_with(const char *extra)
{
	_cleanup_free_ char *error = NULL;

	f.dir = test_mkdtemp();
	f.datadir = xasprintf("%s/data", f.dir);
	test_write_file(f.dir, "tokens",
		"# host token\n"
		"web1 " TOKEN1 "\n"
		"web2 " TOKEN2 "  # a comment\n"
		"\n"
		"web3 " TOKEN3 "\n"
		"web4 " TOKEN4 "\n");
	(void)chmod(f.dir, 0700);
	f.conf_text = xasprintf("datadir = \"%s\";\n"
				"interval = 10;\n"
				"central = {\n"
				"  enabled = true;\n"
				"  listen = [ \"127.0.0.1:1\" ];\n"
				"  tokens_file = \"%s/tokens\";\n"
				"  max_body_kb = 64;\n"
				"  max_records = 50;\n"
				"  max_series_per_host = 4;\n"
				"  max_hosts = 3;\n"
				"  host_timeout = 1;\n"
				"  %s\n"
				"};\n"
				"repeat_interval = 10;\n",
		f.datadir, f.dir, extra ? extra : "");
	if (conf_load_string(f.conf_text, "test.conf", &f.conf, &error) < 0)
		ck_abort_msg("config: %s", error);
	set_listen(f.conf, "127.0.0.1:0", NULL);
	ck_assert_int_eq(sd_event_new(&f.event), 0);
	log_set_sink(capture, &f.log);
}

static void
setup(void)
{
	setup_with(NULL);
	central_up();
}

static void
teardown(void)
{
	log_set_sink(NULL, NULL);
	f.central = central_free(f.central);
	f.event = sd_event_unref(f.event);
	f.conf = conf_free(f.conf);
	test_rm_rf(f.dir);
	free(f.dir);
	free(f.datadir);
	free(f.conf_text);
	f.log.lines = strv_free(f.log.lines);
	memset(&f, 0, sizeof(f));
}

/* Raw HTTP/1.1 on a plain connection, the loop running while we wait. */

/*
 * Sends head (request line and headers, "\r\n" each, without the empty
 * line) and body, then reads the answer.
 */
static void
exchange(const char *head, const char *body, size_t body_len, struct test_reply *ret)
{
	size_t head_len = strlen(head);
	_cleanup_free_ char *req = xmalloc(head_len + 2 + body_len);

	memcpy(req, head, head_len);
	memcpy(req + head_len, "\r\n", 2);
	if (body_len > 0)
		memcpy(req + head_len + 2, body, body_len);
	test_read_reply(f.event, test_connect_tcp((uint16_t)f.port), req,
		head_len + 2 + body_len, ret);
}

static void
post(const char *token, const char *body, struct test_reply *ret)
{
	_cleanup_free_ char *auth = token ? xasprintf("Authorization: Bearer %s\r\n", token)
					  : xstrdup("");
	_cleanup_free_ char *head = xasprintf("POST " INGEST_PATH " HTTP/1.1\r\n"
					      "Host: central\r\n"
					      "Content-Type: application/json\r\n"
					      "Content-Length: %zu\r\n"
					      "%s",
		strlen(body), auth);

	exchange(head, body, strlen(body), ret);
}

/* Bodies. */

static struct record
load_record(const char *series, int64_t time, double v)
{
	struct record r = { .schema = &schema_load, .time = time };

	(void)snprintf(r.series, sizeof(r.series), "%s", series);
	for (size_t i = 0; i < schema_load.n_fields; i++)
		r.values[i] = v + (double)i;
	return r;
}

/* A request of one batch: n records of series "load" (or load-1, ...). */
static char *
batch_body(const char *host, uint64_t seq, const struct record *recs, size_t n,
	const struct event *evs, size_t n_evs)
{
	char *texts[1] = { wire_encode_batch(seq, recs, n, evs, n_evs) };
	char *body = wire_build_request(host, texts, 1, NULL);

	free(texts[0]);
	return body;
}

static char *
simple_body(const char *host, uint64_t seq, int64_t time)
{
	struct record r = load_record("load", time, 1.5);

	return batch_body(host, seq, &r, 1, NULL, 0);
}

static void
assert_acked(const struct test_reply *r, long long acked)
{
	_cleanup_free_ char *want = xasprintf("{\"acked\":%lld}", acked);

	ck_assert_msg(r->status == 200, "status %d: %s", r->status, r->body);
	ck_assert_str_eq(r->body, want);
}

static void
assert_error(const struct test_reply *r, int status, const char *error)
{
	_cleanup_free_ char *want = xasprintf("\"error\":\"%s\"", error);

	ck_assert_msg(r->status == status, "status %d, want %d: %s", r->status, status,
		r->body);
	ck_assert_msg(strstr(r->body, want), "'%s' not in '%s'", want, r->body);
	ck_assert_msg(strstr(r->body, "\"message\":\""), "no message in '%s'", r->body);
}

static struct central_status
status(void)
{
	struct central_status st;

	central_get_status(f.central, &st);
	return st;
}

static time_t
rrd_last_of(const char *host, const char *series)
{
	_cleanup_free_ char *path = xasprintf("%s/%s/%s.rrd", f.datadir, host, series);

	rrd_clear_error();
	return rrd_last_r(path);
}

static uint64_t
mark_on_disk(const char *host)
{
	_cleanup_free_ char *path = xasprintf("%s/%s/.ingest-seq", f.datadir, host);
	_cleanup_free_ char *text = NULL;
	uint64_t v;

	ck_assert_int_eq(read_file_at(NULL, path, 64, &text, NULL), 0);
	ck_assert_ptr_nonnull(strchr(text, '\n'));
	*strchr(text, '\n') = '\0';
	ck_assert_int_eq(safe_atou64(text, &v), 0);
	return v;
}

/* Tests. */

START_TEST(test_tokens_parse)
{
	_cleanup_(ingest_freep) struct ingest *in = NULL;
	_cleanup_free_ char *error = NULL;
	struct store *store = store_new(f.datadir, 10);
	size_t n;
	static const char *const bad[] = {
		"web1\n",
		"web1 short\n",
		"../x " TOKEN1 "\n",
		"web1 " TOKEN1 " extra\n",
		"web1 " TOKEN1 "\nweb2 " TOKEN1 "\n",
		"web1 0123456789abcdef\x01\n",
	};

	ck_assert_int_eq(ingest_new(f.conf, f.datadir, store, NULL, NULL, &in, &error), 0);
	ck_assert_str_eq(ingest_token_host(in, TOKEN1), "web1");
	ck_assert_str_eq(ingest_token_host(in, TOKEN2), "web2");
	ck_assert_str_eq(ingest_token_host(in, TOKEN4), "web4");
	ck_assert_ptr_null(ingest_token_host(in, "web1-0123456789abcde"));
	ck_assert_ptr_null(ingest_token_host(in, TOKEN1 "0"));
	ck_assert_ptr_null(ingest_token_host(in, ""));
	ck_assert_ptr_null(ingest_token_host(in, NULL));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		error = NULL;
		ck_assert_msg(ingest_parse_tokens(in, bad[i], &n, &error) == -EINVAL,
			"case %zu accepted", i);
		ck_assert_ptr_nonnull(strstr(error, "line "));
		free(error);
	}
	error = NULL;
	/* A refused file leaves the tokens as they were. */
	ck_assert_str_eq(ingest_token_host(in, TOKEN1), "web1");
	ck_assert_int_eq(ingest_parse_tokens(in, "# none\n\nweb9 " TOKEN1 "\n", &n, &error),
		0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ingest_token_host(in, TOKEN1), "web9");
	ck_assert_ptr_null(ingest_token_host(in, TOKEN2));
	in = ingest_free(in);
	store_free(store);
}
END_TEST

START_TEST(test_auth)
{
	_cleanup_free_ char *body = simple_body("web1", 1, T0);
	struct test_reply r;

	post(NULL, body, &r);
	assert_error(&r, 401, "auth");
	ck_assert_ptr_nonnull(strstr(r.head, "WWW-Authenticate: Bearer"));
	test_reply_done(&r);
	post("web1-0123456789abcdeX", body, &r);
	assert_error(&r, 401, "auth");
	test_reply_done(&r);
	exchange("POST " INGEST_PATH " HTTP/1.1\r\nHost: c\r\n"
		 "Authorization: Basic d2ViMTp4\r\nContent-Length: 2\r\n",
		"{}", 2, &r);
	assert_error(&r, 401, "auth");
	test_reply_done(&r);
	/* web2's token for web1's data. */
	post(TOKEN2, body, &r);
	assert_error(&r, 403, "host");
	test_reply_done(&r);
	ck_assert_int_eq(rrd_last_of("web1", "load"), -1);
	ck_assert_uint_eq(status().ingest.refused_auth, 3);
	ck_assert_uint_eq(status().ingest.refused_host, 1);
	ck_assert_uint_eq(status().refused, 4);
	/* Nothing of web1 was written. */
	{
		_cleanup_free_ char *p = xasprintf("%s/web1", f.datadir);

		ck_assert_int_ne(access(p, F_OK), 0);
	}
	post(TOKEN1, body, &r);
	assert_acked(&r, 1);
	test_reply_done(&r);
}
END_TEST

START_TEST(test_routes)
{
	struct test_reply r;

	exchange("GET / HTTP/1.1\r\nHost: c\r\n", NULL, 0, &r);
	assert_error(&r, 404, "not_found");
	test_reply_done(&r);
	exchange("GET " INGEST_PATH " HTTP/1.1\r\nHost: c\r\n", NULL, 0, &r);
	assert_error(&r, 405, "method");
	ck_assert_ptr_nonnull(strstr(r.head, "Allow: POST"));
	test_reply_done(&r);
	ck_assert_uint_eq(status().http.not_found, 2);
	ck_assert_uint_eq(status().refused, 0);
}
END_TEST

static const struct {
	const char *body;
	int status;
	const char *error;
} malformed[] = {
	{ "", 400, "syntax" },
	{ "not json", 400, "syntax" },
	{ "{\"version\":1,\"host\":\"web1\",\"batches\":[]", 400, "syntax" },
	{ "{\"version\":2,\"host\":\"web1\",\"batches\":[]}", 400, "version" },
	{ "{\"version\":1,\"host\":\"web1\",\"batches\":{}}", 400, "type" },
	{ "{\"version\":1,\"host\":\"web1\",\"batches\":[{\"seq\":1,\"records\":[],"
	  "\"events\":[]}],\"extra\":1}",
		400, "type" },
	{ "{\"version\":1,\"host\":\"web1\",\"batches\":[{\"seq\":0,\"records\":[],"
	  "\"events\":[]}]}",
		400, "number" },
	{ "{\"version\":1,\"host\":\"web1\",\"batches\":[{\"seq\":1,\"records\":[{"
	  "\"series\":\"load\",\"kind\":\"load\",\"time\":1763715600,\"step\":0,"
	  "\"values\":[1,2]}],\"events\":[]}]}",
		400, "number" },
	{ "{\"version\":1,\"host\":\"web1\",\"batches\":[{\"seq\":1,\"records\":[{"
	  "\"series\":\"load\",\"kind\":\"nope\",\"time\":1763715600,\"step\":0,"
	  "\"values\":[1,2,3,4,5,6]}],\"events\":[]}]}",
		400, "name" },
};

START_TEST(test_malformed)
{
	struct test_reply r;

	for (size_t i = 0; i < ELEMENTSOF(malformed); i++) {
		post(TOKEN1, malformed[i].body, &r);
		ck_assert_msg(r.status == malformed[i].status, "case %zu: %d %s", i,
			r.status, r.body);
		assert_error(&r, malformed[i].status, malformed[i].error);
		test_reply_done(&r);
	}
	ck_assert_uint_eq(status().ingest.refused_malformed[WIRE_SYNTAX], 3);
	ck_assert_uint_eq(status().ingest.refused_malformed[WIRE_VERSION_BAD], 1);
	ck_assert_uint_eq(status().ingest.refused_malformed[WIRE_TYPE], 2);
	ck_assert_uint_eq(status().ingest.refused_malformed[WIRE_NUMBER], 2);
	ck_assert_uint_eq(status().ingest.refused_malformed[WIRE_NAME], 1);
	ck_assert_uint_eq(status().refused, ELEMENTSOF(malformed));
	ck_assert_uint_eq(status().ingest.batches, 0);
}
END_TEST

/* Every path under dir, relative, one per line, sorted by nftw's walk. */
static char **walk_list;
static const char *walk_root;

static int
walk_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	strv_push(&walk_list, path + strlen(walk_root));
	return 0;
}

static bool
tree_has(const char *relative)
{
	return strv_contains(walk_list, relative);
}

START_TEST(test_hostile_names)
{
	static const char *const bodies[] = {
		"{\"version\":1,\"host\":\"../web1\",\"batches\":[{\"seq\":1,\"records\":[],"
		"\"events\":[]}]}",
		"{\"version\":1,\"host\":\"web1/../../x\",\"batches\":[{\"seq\":1,"
		"\"records\":[],\"events\":[]}]}",
		"{\"version\":1,\"host\":\".hidden\",\"batches\":[{\"seq\":1,\"records\":[],"
		"\"events\":[]}]}",
		"{\"version\":1,\"host\":\"web1\",\"batches\":[{\"seq\":1,\"records\":[{"
		"\"series\":\"../../../tmp/evil\",\"kind\":\"load\",\"time\":1763715600,"
		"\"step\":0,\"values\":[1,2,3,4,5,6]}],\"events\":[]}]}",
		"{\"version\":1,\"host\":\"web1\",\"batches\":[{\"seq\":1,\"records\":[{"
		"\"series\":\"load/../../evil\",\"kind\":\"load\",\"time\":1763715600,"
		"\"step\":0,\"values\":[1,2,3,4,5,6]}],\"events\":[]}]}",
		"{\"version\":1,\"host\":\"web1\",\"batches\":[{\"seq\":1,\"records\":[{"
		"\"series\":\"load\\u0000x\",\"kind\":\"load\",\"time\":1763715600,"
		"\"step\":0,\"values\":[1,2,3,4,5,6]}],\"events\":[]}]}",
	};
	struct test_reply r;

	for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
		post(TOKEN1, bodies[i], &r);
		ck_assert_msg(r.status == 400, "case %zu: %d %s", i, r.status, r.body);
		test_reply_done(&r);
	}
	/* Only what the test made itself is in its directory. */
	walk_root = f.dir;
	ck_assert_int_eq(nftw(f.dir, walk_entry, 16, FTW_PHYS), 0);
	ck_assert_msg(strv_length(walk_list) == 3, "unexpected files under %s", f.dir);
	ck_assert(tree_has("") && tree_has("/tokens") && tree_has("/data"));
	walk_list = strv_free(walk_list);
	ck_assert_int_ne(access("/tmp/evil.rrd", F_OK), 0);
	ck_assert_uint_eq(status().ingest.batches, 0);
}
END_TEST

START_TEST(test_too_large_content_length)
{
	struct test_reply r;

	/* Headers only: the server must answer without waiting for a body. */
	exchange("POST " INGEST_PATH " HTTP/1.1\r\nHost: c\r\n"
		 "Authorization: Bearer " TOKEN1 "\r\n"
		 "Content-Length: 1000000000\r\n",
		NULL, 0, &r);
	assert_error(&r, 413, "too_large");
	test_reply_done(&r);
	/* Authentication comes first. */
	exchange("POST " INGEST_PATH " HTTP/1.1\r\nHost: c\r\n"
		 "Content-Length: 1000000000\r\n",
		NULL, 0, &r);
	assert_error(&r, 401, "auth");
	test_reply_done(&r);
	ck_assert_uint_eq(status().ingest.refused_too_large, 1);
	ck_assert_uint_eq(status().ingest.refused_auth, 1);
	ck_assert_uint_eq(status().refused, 2);
}
END_TEST

START_TEST(test_too_large_chunked)
{
	_cleanup_free_ char *chunk = xmalloc(16 * 1024 + 64);
	_cleanup_free_ char *body = NULL;
	_cleanup_free_ char *ok = simple_body("web1", 1, T0);
	size_t n = 0;
	struct test_reply r;

	/* Five chunks of 16 KiB: past the 64 KiB cap while they arrive. */
	n = (size_t)sprintf(chunk, "4000\r\n");
	memset(chunk + n, ' ', 16 * 1024);
	n += 16 * 1024;
	n += (size_t)sprintf(chunk + n, "\r\n");
	body = xmalloc(5 * n + 8);
	for (int i = 0; i < 5; i++)
		memcpy(body + (size_t)i * n, chunk, n);
	memcpy(body + 5 * n, "0\r\n\r\n", 5);
	exchange("POST " INGEST_PATH " HTTP/1.1\r\nHost: c\r\n"
		 "Authorization: Bearer " TOKEN1 "\r\n"
		 "Transfer-Encoding: chunked\r\n",
		body, 5 * n + 5, &r);
	/*
	 * Cut off: MHD takes no answer in the middle of a body, so the
	 * connection is closed without one (a 413 would do as well).
	 */
	ck_assert_msg(r.status == 413 || r.status == 0, "status %d", r.status);
	test_reply_done(&r);
	ck_assert_uint_eq(status().http.too_large, 1);
	ck_assert_uint_eq(status().ingest.refused_too_large, 1);
	ck_assert_uint_eq(status().refused, 1);
	ck_assert_uint_eq(status().ingest.batches, 0);
	/* A small chunked body is fine, and the server still serves. */
	{
		_cleanup_free_ char *small = xasprintf("%zx\r\n%s\r\n0\r\n\r\n", strlen(ok), ok);

		exchange("POST " INGEST_PATH " HTTP/1.1\r\nHost: c\r\n"
			 "Authorization: Bearer " TOKEN1 "\r\n"
			 "Transfer-Encoding: chunked\r\n",
			small, strlen(small), &r);
		assert_acked(&r, 1);
		test_reply_done(&r);
	}
}
END_TEST

START_TEST(test_limits)
{
	struct record recs[51];
	_cleanup_free_ char *body = NULL;
	struct test_reply r;

	for (size_t i = 0; i < ELEMENTSOF(recs); i++)
		recs[i] = load_record("load", T0 + (int64_t)i * 10, 1);
	/* max_records 50. */
	body = batch_body("web1", 1, recs, 51, NULL, 0);
	post(TOKEN1, body, &r);
	assert_error(&r, 413, "limit");
	test_reply_done(&r);
	free(body);
	/* max_series_per_host 4: five series at once are refused whole. */
	for (size_t i = 0; i < 5; i++) {
		char name[16];

		(void)snprintf(name, sizeof(name), "load-%zu", i);
		recs[i] = load_record(name, T0, 1);
	}
	body = batch_body("web1", 1, recs, 5, NULL, 0);
	post(TOKEN1, body, &r);
	assert_error(&r, 429, "series");
	ck_assert_ptr_nonnull(strstr(r.head, "Retry-After: "));
	test_reply_done(&r);
	free(body);
	/* Four are fine, and repeating them adds none. */
	body = batch_body("web1", 1, recs, 4, NULL, 0);
	post(TOKEN1, body, &r);
	assert_acked(&r, 1);
	test_reply_done(&r);
	free(body);
	body = batch_body("web1", 2, recs, 4, NULL, 0);
	post(TOKEN1, body, &r);
	assert_acked(&r, 2);
	test_reply_done(&r);
	free(body);
	body = batch_body("web1", 3, recs + 4, 1, NULL, 0);
	post(TOKEN1, body, &r);
	assert_error(&r, 429, "series");
	test_reply_done(&r);
	free(body);
	body = NULL;
	/* max_hosts 3: web1 is in; web2 and web3 join; web4 is one too many. */
	{
		_cleanup_free_ char *b2 = simple_body("web2", 1, T0);
		_cleanup_free_ char *b3 = simple_body("web3", 1, T0);
		_cleanup_free_ char *b4 = simple_body("web4", 1, T0);

		post(TOKEN2, b2, &r);
		assert_acked(&r, 1);
		test_reply_done(&r);
		post(TOKEN3, b3, &r);
		assert_acked(&r, 1);
		test_reply_done(&r);
		post(TOKEN4, b4, &r);
		assert_error(&r, 429, "hosts");
		test_reply_done(&r);
		/* Known hosts still get in. */
		free(b2);
		b2 = simple_body("web2", 2, T0 + 10);
		post(TOKEN2, b2, &r);
		assert_acked(&r, 2);
		test_reply_done(&r);
	}
	ck_assert_uint_eq(status().ingest.refused_malformed[WIRE_LIMIT], 1);
	ck_assert_uint_eq(status().ingest.refused_series, 2);
	ck_assert_uint_eq(status().ingest.refused_hosts, 1);
	ck_assert_uint_eq(status().refused, 4);
	ck_assert_uint_eq(status().hosts, 3);
	{
		_cleanup_free_ char *p = xasprintf("%s/web4", f.datadir);

		ck_assert_int_ne(access(p, F_OK), 0);
	}
}
END_TEST

START_TEST(test_write_and_duplicates)
{
	struct record recs[3] = {
		load_record("load", T0, 1.5),
		load_record("load", T0 + 10, 2.5),
		load_record("load-x", T0, 3),
	};
	struct event ev = {
		.kind = EVENT_LOAD,
		.host = "someone-else",
		.check = "load",
		.series = "load",
		.field = "load1",
		.state = CHECK_CRITICAL,
		.prev_state = CHECK_OK,
		.value = 12.5,
		.threshold = 8,
		.time = T0,
	};
	_cleanup_free_ char *b1 = batch_body("web1", 5, recs, 3, &ev, 1);
	_cleanup_free_ char *b2 = NULL;
	char *texts[2];
	struct test_reply r;

	post(TOKEN1, b1, &r);
	assert_acked(&r, 5);
	test_reply_done(&r);
	ck_assert_int_eq(rrd_last_of("web1", "load"), T0 + 10);
	ck_assert_int_eq(rrd_last_of("web1", "load-x"), T0);
	ck_assert_uint_eq(mark_on_disk("web1"), 5);
	/* The event went out under the sending host's name. */
	ck_assert_uint_eq(count_lines("Load is critical: load1 12.5 (threshold 8) "
				      "[host=web1 check=load"),
		1);
	ck_assert_uint_eq(count_lines("someone-else"), 0);
	/* The same batch again: acked, counted, not written, no event. */
	post(TOKEN1, b1, &r);
	assert_acked(&r, 5);
	test_reply_done(&r);
	ck_assert_uint_eq(count_lines("Load is critical"), 1);
	/* Batch 6 re-sends an old sample and a new one; 5 comes along again. */
	recs[0] = load_record("load", T0 + 10, 9);
	recs[1] = load_record("load", T0 + 20, 4);
	texts[0] = wire_encode_batch(5, recs, 2, NULL, 0);
	texts[1] = wire_encode_batch(6, recs, 2, NULL, 0);
	b2 = wire_build_request("web1", texts, 2, NULL);
	free(texts[0]);
	free(texts[1]);
	post(TOKEN1, b2, &r);
	assert_acked(&r, 6);
	test_reply_done(&r);
	ck_assert_int_eq(rrd_last_of("web1", "load"), T0 + 20);
	ck_assert_uint_eq(mark_on_disk("web1"), 6);
	ck_assert_uint_eq(status().ingest.batches, 2);
	ck_assert_uint_eq(status().ingest.duplicate_batches, 2);
	ck_assert_uint_eq(status().ingest.records, 4);
	ck_assert_uint_eq(status().ingest.duplicate_samples, 1);
	ck_assert_uint_eq(status().ingest.events, 1);
	ck_assert_uint_eq(status().ingest.accepted, 3);
	ck_assert_uint_eq(status().refused, 0);
	ck_assert_uint_eq(status().hosts, 1);
	/* No rrdtool error reached the log for the old sample. */
	ck_assert_uint_eq(count_lines("illegal attempt"), 0);
	ck_assert_uint_eq(count_lines("Cannot write"), 0);
}
END_TEST

START_TEST(test_store_failure)
{
	struct record recs[2] = {
		load_record("load-a", T0, 1),
		load_record("load", T0, 2),
	};
	_cleanup_free_ char *blocker = xasprintf("%s/web1/load.rrd", f.datadir);
	_cleanup_free_ char *mark = xasprintf("%s/web1/.ingest-seq", f.datadir);
	_cleanup_free_ char *aside = xasprintf("%s/web1/mark-aside", f.datadir);
	_cleanup_free_ char *body = NULL;
	char *texts[2];
	struct test_reply r;

	/* A directory where load.rrd should be: the store fails on it. */
	ck_assert_int_eq(mkdir_p(blocker, 0755), 0);
	texts[0] = wire_encode_batch(1, recs, 1, NULL, 0);
	texts[1] = wire_encode_batch(2, recs + 1, 1, NULL, 0);
	body = wire_build_request("web1", texts, 2, NULL);
	free(texts[0]);
	free(texts[1]);
	post(TOKEN1, body, &r);
	/* Batch 1 went in, batch 2 did not: 503, and how far it got. */
	ck_assert_msg(r.status == 503, "%d %s", r.status, r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"error\":\"store\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"acked\":1"));
	ck_assert_ptr_nonnull(strstr(r.head, "Retry-After: "));
	test_reply_done(&r);
	ck_assert_uint_eq(mark_on_disk("web1"), 1);
	ck_assert_uint_eq(count_lines("Cannot write 1 of 1 samples from 'web1'"), 1);
	/* The agent sends both again once the store works. */
	ck_assert_int_eq(rmdir(blocker), 0);
	post(TOKEN1, body, &r);
	assert_acked(&r, 2);
	test_reply_done(&r);
	ck_assert_int_eq(rrd_last_of("web1", "load"), T0);
	ck_assert_uint_eq(status().ingest.batches, 2);
	ck_assert_uint_eq(status().ingest.duplicate_batches, 1);
	ck_assert_uint_eq(status().failed, 1);
	ck_assert_uint_eq(count_lines("Writing agents' data works again"), 1);
	/*
	 * The mark cannot be written (a symbolic link, which the central does
	 * not follow): 503, and only what is on disk is acked.
	 */
	ck_assert_int_eq(rename(mark, aside), 0);
	ck_assert_int_eq(symlink("mark-aside", mark), 0);
	free(body);
	body = simple_body("web1", 3, T0 + 10);
	post(TOKEN1, body, &r);
	ck_assert_msg(r.status == 503, "%d %s", r.status, r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"acked\":2"));
	test_reply_done(&r);
	ck_assert_uint_eq(mark_on_disk("web1"), 2);
	ck_assert_int_eq(rename(aside, mark), 0);
	/* Sent again: a duplicate by now, and the mark reaches the disk. */
	post(TOKEN1, body, &r);
	assert_acked(&r, 3);
	test_reply_done(&r);
	ck_assert_uint_eq(mark_on_disk("web1"), 3);
	ck_assert_uint_eq(status().failed, 2);
}
END_TEST

/* The mark file: round trip, the one-line format, and damage of every kind. */
START_TEST(test_mark_file)
{
	_cleanup_free_ char *dir = test_mkdtemp();
	_cleanup_free_ char *text = NULL;
	static const char *const damaged[] = {
		"", "17", "x\n", "00000000000000000017\n00000000\n",
		/* A torn write: the new number's first half, the old one's check. */
		"00000000000000000029\naf366ef9\n", "17\nzz\n",
	};
	uint64_t v = 0;

	ck_assert_int_eq(mark_read(dir, &v), -ENOENT);
	ck_assert_int_eq(mark_write(dir, 17), 0);
	ck_assert_int_eq(mark_read(dir, &v), 0);
	ck_assert_uint_eq(v, 17);
	ck_assert_int_eq(read_file_at(dir, ".ingest-seq", 64, &text, NULL), 0);
	ck_assert_uint_eq(strlen(text), 30);
	/* In place, the same size: no temporary file left. */
	ck_assert_int_eq(mark_write(dir, UINT64_MAX), 0);
	ck_assert_int_eq(mark_read(dir, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(access(".ingest-seq.tmp", F_OK), -1);
	test_write_file(dir, ".ingest-seq", "42\n");
	ck_assert_int_eq(mark_read(dir, &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(mark_write(dir, 43), 0);
	ck_assert_int_eq(mark_read(dir, &v), 0);
	ck_assert_uint_eq(v, 43);
	for (size_t i = 0; i < ELEMENTSOF(damaged); i++) {
		test_write_file(dir, ".ingest-seq", damaged[i]);
		ck_assert_msg(mark_read(dir, &v) == -EBADMSG, "'%s'", damaged[i]);
	}
	test_rm_rf(dir);
}
END_TEST

START_TEST(test_restart_keeps_mark)
{
	_cleanup_free_ char *b3 = simple_body("web1", 3, T0);
	_cleanup_free_ char *b4 = simple_body("web1", 4, T0 + 10);
	struct test_reply r;

	post(TOKEN1, b3, &r);
	assert_acked(&r, 3);
	test_reply_done(&r);
	/* A new central, as after a restart: the mark comes from the disk. */
	f.central = central_free(f.central);
	central_up();
	ck_assert_uint_eq(status().hosts, 1);
	ck_assert_uint_eq(status().ingest.batches, 0);
	post(TOKEN1, b3, &r);
	assert_acked(&r, 3);
	test_reply_done(&r);
	ck_assert_uint_eq(status().ingest.duplicate_batches, 1);
	post(TOKEN1, b4, &r);
	assert_acked(&r, 4);
	test_reply_done(&r);
	ck_assert_uint_eq(status().ingest.batches, 1);
	ck_assert_int_eq(rrd_last_of("web1", "load"), T0 + 10);
	/* A corrupt mark is no mark: batches are applied again, samples skip. */
	{
		_cleanup_free_ char *p = xasprintf("%s/web1/.ingest-seq", f.datadir);
		FILE *fp = fopen(p, "we");

		ck_assert_ptr_nonnull(fp);
		fputs("garbage\n", fp);
		fclose(fp);
	}
	f.central = central_free(f.central);
	central_up();
	ck_assert_uint_eq(count_lines("Cannot read"), 1);
	post(TOKEN1, b4, &r);
	assert_acked(&r, 4);
	test_reply_done(&r);
	ck_assert_uint_eq(status().ingest.duplicate_samples, 1);
	ck_assert_uint_eq(mark_on_disk("web1"), 4);
}
END_TEST

START_TEST(test_reload_takes_over)
{
	_cleanup_(central_freep) struct central *next = NULL;
	_cleanup_free_ char *b1 = simple_body("web1", 1, T0);
	_cleanup_free_ char *b2 = simple_body("web1", 2, T0 + 10);
	struct test_reply r;
	int port = f.port;

	post(TOKEN1, b1, &r);
	assert_acked(&r, 1);
	test_reply_done(&r);
	post(NULL, b1, &r);
	test_reply_done(&r);
	/* Same listen address: the socket is passed on, not bound again. */
	ck_assert_int_eq(central_new(f.conf, f.central, &next), 0);
	ck_assert_int_eq(central_start(next, f.event), 0);
	ck_assert_int_eq(central_port(next, 0), port);
	f.central = central_free(f.central);
	f.central = TAKE_PTR(next);
	post(TOKEN1, b2, &r);
	assert_acked(&r, 2);
	test_reply_done(&r);
	/* Counters carry over. */
	ck_assert_uint_eq(status().ingest.batches, 2);
	ck_assert_uint_eq(status().ingest.refused_auth, 1);
	ck_assert_uint_eq(status().hosts, 1);
}
END_TEST

START_TEST(test_liveness)
{
	_cleanup_free_ char *b1 = simple_body("web1", 1, T0);
	_cleanup_free_ char *b2 = simple_body("web1", 2, T0 + 10);
	char line[256];
	struct test_reply r;

	post(TOKEN1, b1, &r);
	assert_acked(&r, 1);
	test_reply_done(&r);
	central_check_liveness(f.central);
	ck_assert_uint_eq(status().silent, 0);
	central_format_status(f.central, line, sizeof(line));
	ck_assert_msg(strncmp(line, "central: 1 hosts reporting, 0 silent, ", 38) == 0 &&
			strstr(line, " batches/s, 0 refused"),
		"%s", line);
	(void)usleep(1300 * 1000);
	central_check_liveness(f.central);
	central_check_liveness(f.central);
	ck_assert_uint_eq(status().silent, 1);
	ck_assert_uint_eq(count_lines("Host web1 is silent: no data for 1 s (timeout 1 s) "
				      "[host=web1 check=host_silent state=critical prev=ok "
				      "value=1 threshold=1 id=10507fa4c3b643bcbe79e5022eca46f5]"),
		1);
	central_format_status(f.central, line, sizeof(line));
	ck_assert_str_eq(line, "central: 0 hosts reporting, 1 silent, 0.0 batches/s, 0 refused");
	/* It comes back: a recovery, at once. */
	post(TOKEN1, b2, &r);
	assert_acked(&r, 2);
	test_reply_done(&r);
	ck_assert_uint_eq(status().silent, 0);
	ck_assert_uint_eq(count_lines("Recovered: host web1 sends again after 1 s of "
				      "silence [host=web1 check=host_silent state=ok "
				      "prev=critical value=1 "
				      "id=3e5f4890285342bb90ce675f787f5cab]"),
		1);
	/* Refused requests do not count as signs of life. */
	(void)usleep(1300 * 1000);
	post(TOKEN2, b2, &r);
	ck_assert_int_eq(r.status, 403);
	test_reply_done(&r);
	central_check_liveness(f.central);
	ck_assert_uint_eq(status().silent, 1);
	ck_assert_uint_eq(count_lines("Host web1 is silent"), 2);
}
END_TEST

START_TEST(test_liveness_known_hosts)
{
	_cleanup_free_ char *b1 = simple_body("web2", 1, T0);
	struct test_reply r;

	post(TOKEN2, b1, &r);
	assert_acked(&r, 1);
	test_reply_done(&r);
	/* After a restart web2 is known from its mark, its clock starting now. */
	f.central = central_free(f.central);
	central_up();
	ck_assert_uint_eq(status().hosts, 1);
	central_check_liveness(f.central);
	ck_assert_uint_eq(status().silent, 0);
	(void)usleep(1300 * 1000);
	central_check_liveness(f.central);
	ck_assert_uint_eq(status().silent, 1);
	ck_assert_uint_eq(count_lines("Host web2 is silent"), 1);
	/* Once, not every tick. */
	central_check_liveness(f.central);
	ck_assert_uint_eq(count_lines("Host web2 is silent"), 1);
}
END_TEST

/* TLS with client certificates, through libcurl driven next to the loop. */

static size_t
curl_sink(char *data, size_t size, size_t n, void *userdata)
{
	char **buf = userdata;
	char *s = xasprintf("%s%.*s", *buf ? *buf : "", (int)(size * n), data);

	free(*buf);
	*buf = s;
	return size * n;
}

/* POSTs body over TLS; returns the status (0: no answer); the body in *ret_body. */
static long
tls_post(const char *cert, const char *key, const char *token, const char *body,
	char **ret_body)
{
	_cleanup_free_ char *url = xasprintf("https://127.0.0.1:%d" INGEST_PATH, f.port);
	_cleanup_free_ char *ca = xasprintf("%s/ca.pem", f.dir);
	_cleanup_free_ char *auth = token ? xasprintf("Authorization: Bearer %s", token)
					  : NULL;
	struct curl_slist *headers = NULL;
	CURL *h = curl_easy_init();
	CURLM *m = curl_multi_init();
	uint64_t deadline = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
	long code = 0;
	int running = 1;

	*ret_body = NULL;
	headers = curl_slist_append(headers, "Content-Type: application/json");
	if (auth)
		headers = curl_slist_append(headers, auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, ret_body);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, key);
	}
	curl_multi_add_handle(m, h);
	while (running && now_usec(CLOCK_MONOTONIC) < deadline) {
		curl_multi_perform(m, &running);
		test_run_loop_once(f.event);
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(m, h);
	curl_easy_cleanup(h);
	curl_multi_cleanup(m);
	curl_slist_free_all(headers);
	if (!*ret_body)
		*ret_body = xstrdup("");
	for (int i = 0; i < 5; i++)
		test_run_loop_once(f.event);
	return code;
}

static void
make_certs(void)
{
	_cleanup_free_ char *script = test_srcdir_path("tests/make-certs.sh");
	_cleanup_free_ char *cmd = xasprintf(
		"set -e; sh '%s' '%s' && cd '%s' && "
		"client() { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		"-nodes -keyout $1.key -out $1.csr -subj \"/CN=$2\" 2>/dev/null; "
		"printf 'basicConstraints=CA:FALSE\\nextendedKeyUsage=%s\\n' $3 >$1.ext; "
		"openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		"-days 5 -extfile $1.ext -out $1.pem 2>/dev/null; }; "
		"client web1 web1 clientAuth; client web2 web2 clientAuth; "
		"client srv web1 serverAuth; "
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		"-keyout rogue.key -out rogue.pem -days 5 -subj /CN=web1 2>/dev/null",
		script, f.dir, f.dir, "%s");

	if (system(cmd) != 0)
		ck_abort_msg("cannot make test certificates with openssl");
}

static void
setup_tls(void)
{
	_cleanup_free_ char *extra = NULL;

	setup_with(NULL);
	make_certs();
	free(f.conf_text);
	f.conf = conf_free(f.conf);
	extra = xasprintf("tls_cert = \"%s/leaf.pem\"; tls_key = \"%s/leaf.key\"; "
			  "client_ca = \"%s/ca.pem\";",
		f.dir, f.dir, f.dir);
	{
		_cleanup_free_ char *error = NULL;

		f.conf_text = xasprintf("datadir = \"%s\";\ninterval = 10;\n"
					"central = { enabled = true; listen = [ \"127.0.0.1:1\" ];"
					" tokens_file = \"%s/tokens\"; %s };\n",
			f.datadir, f.dir, extra);
		if (conf_load_string(f.conf_text, "tls.conf", &f.conf, &error) < 0)
			ck_abort_msg("config: %s", error);
		set_listen(f.conf, "127.0.0.1:0", NULL);
	}
	central_up();
}

START_TEST(test_tls_client_cert)
{
	_cleanup_free_ char *b1 = simple_body("web1", 1, T0);
	_cleanup_free_ char *b2 = simple_body("web1", 2, T0 + 10);
	_cleanup_free_ char *web1 = xasprintf("%s/web1.pem", f.dir);
	_cleanup_free_ char *web1_key = xasprintf("%s/web1.key", f.dir);
	_cleanup_free_ char *web2 = xasprintf("%s/web2.pem", f.dir);
	_cleanup_free_ char *web2_key = xasprintf("%s/web2.key", f.dir);
	_cleanup_free_ char *srv = xasprintf("%s/srv.pem", f.dir);
	_cleanup_free_ char *srv_key = xasprintf("%s/srv.key", f.dir);
	_cleanup_free_ char *rogue = xasprintf("%s/rogue.pem", f.dir);
	_cleanup_free_ char *rogue_key = xasprintf("%s/rogue.key", f.dir);
	char *body = NULL;

	/* No certificate, no token. */
	ck_assert_int_eq(tls_post(NULL, NULL, NULL, b1, &body), 401);
	free(body);
	/* A certificate the CA did not sign, with the right CN. */
	ck_assert_int_eq(tls_post(rogue, rogue_key, NULL, b1, &body), 401);
	free(body);
	/* Signed, CN web1, but for servers only. */
	ck_assert_int_eq(tls_post(srv, srv_key, NULL, b1, &body), 401);
	free(body);
	/* web2's certificate for web1's data. */
	ck_assert_int_eq(tls_post(web2, web2_key, NULL, b1, &body), 403);
	free(body);
	ck_assert_int_eq(tls_post(web1, web1_key, NULL, b1, &body), 200);
	ck_assert_str_eq(body, "{\"acked\":1}");
	free(body);
	/* Tokens work over TLS as well. */
	ck_assert_int_eq(tls_post(NULL, NULL, TOKEN1, b2, &body), 200);
	ck_assert_str_eq(body, "{\"acked\":2}");
	free(body);
	ck_assert_int_eq(rrd_last_of("web1", "load"), T0 + 10);
	ck_assert_uint_eq(status().ingest.refused_auth, 3);
	ck_assert_uint_eq(status().ingest.refused_host, 1);
}
END_TEST

START_TEST(test_bad_setup)
{
	_cleanup_(central_freep) struct central *c = NULL;
	_cleanup_(conf_freep) struct hm_conf *conf = NULL;
	_cleanup_free_ char *error = NULL, *text = NULL;
	_cleanup_free_ char *busy = xasprintf("127.0.0.1:%d", f.port);
	_cleanup_free_ char *tokens = xasprintf("tokens_file = \"%s/tokens\";", f.dir);
	_cleanup_free_ char *none = xasprintf("tokens_file = \"%s/none\";", f.dir);
	_cleanup_free_ char *tls = xasprintf("tokens_file = \"%s/tokens\"; tls_cert = "
					     "\"%s/none.pem\"; tls_key = \"%s/none.key\";",
		f.dir, f.dir, f.dir);
	const struct {
		const char *central;
		const char *listen[2];
	} bad[] = {
		/* nobody could authenticate */
		{ "", { "127.0.0.1:0" } },
		{ tokens, { "localhost:8089" } },
		{ tokens, { "127.0.0.1:0", "127.0.0.1:0" } },
		{ none, { "127.0.0.1:0" } },
		{ tls, { "127.0.0.1:0" } },
		/* a port in use */
		{ tokens, { busy } },
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		text = xasprintf("datadir = \"%s\";\ncentral = { enabled = true; %s };\n",
			f.datadir, bad[i].central);
		ck_assert_msg(conf_load_string(text, "bad.conf", &conf, &error) == 0, "%s",
			error);
		set_listen(conf, bad[i].listen[0], bad[i].listen[1]);
		ck_assert_msg(central_new(conf, NULL, &c) < 0, "case %zu accepted", i);
		conf = conf_free(conf);
		free(text);
		text = NULL;
	}
	ck_assert_uint_eq(count_lines("Central: cannot listen on '127.0.0.1:"), 1);
	ck_assert_uint_eq(count_lines("Address already in use"), 1);
	ck_assert_uint_eq(count_lines("is listed twice"), 1);
	ck_assert_uint_eq(count_lines("no agent could authenticate"), 1);
}
END_TEST

static Suite *
ingest_suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("core");
	TCase *tls = tcase_create("tls");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tokens_parse);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_routes);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_hostile_names);
	tcase_add_test(tc, test_too_large_content_length);
	tcase_add_test(tc, test_too_large_chunked);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_write_and_duplicates);
	tcase_add_test(tc, test_store_failure);
	tcase_add_test(tc, test_mark_file);
	tcase_add_test(tc, test_restart_keeps_mark);
	tcase_add_test(tc, test_reload_takes_over);
	tcase_add_test(tc, test_liveness);
	tcase_add_test(tc, test_liveness_known_hosts);
	tcase_add_test(tc, test_bad_setup);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tls, setup_tls, teardown);
	tcase_set_timeout(tls, 60);
	tcase_add_test(tls, test_tls_client_cert);
	suite_add_tcase(s, tls);
	return s;
}

int
main(void)
{
	return test_run_suite(ingest_suite());
}
