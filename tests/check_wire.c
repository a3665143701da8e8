/* SPDX-License-Identifier: MIT */
/*
 * Tests of wire.c, the agent-to-central format. Round trips of records of
 * every schema and of events with every kind are bit-identical; the encoder
 * leaves out what the decoder would refuse. The decoder is driven through
 * tables: one member of a valid request replaced by a bad (or a boundary)
 * value, whole documents (syntax, nesting, duplicates, trailing garbage,
 * sequence order), every member given every wrong JSON type, removed, or
 * joined by an unknown one, every truncation of a valid request, and the
 * limits. Each refusal asserts its wire_error class and errno, a printable
 * message, and an untouched *ret. Bodies are copied to buffers of their exact
 * size, so that ASan sees any read past the end.
 */
#include <check.h>
#include <errno.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "wire.h"

static const struct wire_limits limits = { .max_batches = 4, .max_records = 8,
	.max_events = 4 };
static const struct wire_limits big_limits = { .max_batches = 1000,
	.max_records = 100000, .max_events = 100000 };

static const struct schema *const schemas[] = {
	&schema_cpu, &schema_memory, &schema_swap, &schema_load, &schema_uptime,
	&schema_df, &schema_disk, &schema_if, &schema_probe,
};

/* 'x' becomes "x": the tables below read better without escaped quotes. */
static char *
dq(const char *s)
{
	char *t = xstrdup(s);

	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	return t;
}

static int
errno_of(enum wire_error e)
{
	return e == WIRE_LIMIT ? -EMSGSIZE : e == WIRE_VERSION_BAD ? -EPROTO : -EBADMSG;
}

/*
 * Decodes len bytes of text from a buffer of exactly that size. Checks the
 * failure contract: errno matching the class, a printable message, *ret
 * untouched. Returns the class (WIRE_OK on success, request freed).
 */
static enum wire_error
decode_with(const char *text, size_t len, const struct wire_limits *l,
	const char *label)
{
	static struct wire_request sentinel_req;
	struct wire_request *const sentinel = &sentinel_req;
	struct wire_request *req = sentinel;
	enum wire_error e = _WIRE_ERROR_MAX;
	char *msg = NULL, *buf = xmalloc(len);
	int r;

	memcpy(buf, text, len);
	r = wire_decode_request(buf, len, l, &req, &e, &msg);
	free(buf);
	if (r == 0) {
		ck_assert_msg(req != sentinel && req, "%s: no request", label);
		ck_assert_ptr_null(msg);
		wire_request_free(req);
		return WIRE_OK;
	}
	ck_assert_msg(req == sentinel, "%s: *ret written on failure", label);
	ck_assert_msg(e > WIRE_OK && e < _WIRE_ERROR_MAX, "%s: class %d", label, e);
	ck_assert_msg(r == errno_of(e), "%s: r=%d for class %s", label, r,
		wire_error_to_string(e));
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(*msg && strlen(msg) < 256, "%s: message '%s'", label, msg);
	for (const char *p = msg; *p; p++)
		ck_assert_msg(*p >= 0x20 && *p < 0x7f, "%s: unprintable message",
			label);
	free(msg);
	return e;
}

static enum wire_error
decode_text(const char *text, const char *label)
{
	return decode_with(text, strlen(text), &limits, label);
}

static void
assert_class(const char *text, enum wire_error want, const char *label)
{
	enum wire_error got = decode_text(text, label);

	ck_assert_msg(got == want, "%s: got %s, want %s", label,
		wire_error_to_string(got), wire_error_to_string(want));
}

/* Round trip. */

static bool
double_same(double a, double b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0;
}

static bool
str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void
assert_record_equal(const struct record *a, const struct record *b)
{
	ck_assert_str_eq(a->series, b->series);
	ck_assert_ptr_eq(a->schema, b->schema);
	ck_assert_int_eq(a->time, b->time);
	ck_assert_uint_eq(a->step, b->step);
	for (size_t i = 0; i < a->schema->n_fields; i++)
		ck_assert_msg(double_same(a->values[i], b->values[i]),
			"%s[%zu]: %.17g != %.17g", a->series, i, a->values[i],
			b->values[i]);
	for (size_t i = a->schema->n_fields; i < RECORD_FIELDS_MAX; i++)
		ck_assert(isnan(b->values[i]));
}

static void
assert_event_equal(const struct event *a, const struct event *b)
{
	ck_assert_int_eq(a->kind, b->kind);
	ck_assert_str_eq(a->check, b->check);
	ck_assert(str_same(a->series, b->series));
	ck_assert(str_same(a->field, b->field));
	ck_assert_int_eq(a->state, b->state);
	ck_assert_int_eq(a->prev_state, b->prev_state);
	ck_assert(double_same(a->value, b->value));
	ck_assert(double_same(a->threshold, b->threshold));
	ck_assert(str_same(a->url, b->url));
	ck_assert(str_same(a->reason, b->reason));
	ck_assert_int_eq(a->time, b->time);
	ck_assert_int_eq(a->repeat, b->repeat);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Edge cases first, then random bit patterns the wire can carry. */
static double
tricky_value(size_t i)
{
	static const double edges[] = { 0.0, -0.0, 1.0, 0.1, 1.0 / 3, 5e-324,
		DBL_MIN, 2.2250738585072009e-308, 9.9999999999999997e299,
		-9.9999999999999997e299, 9007199254740993.0, 123456789012345678.0,
		96.2, M_PI, -1e-10, 1e22, 4294967296.0, NAN };

	if (i < ELEMENTSOF(edges))
		return edges[i];
	for (;;) {
		uint64_t bits = rng();
		double v;

		memcpy(&v, &bits, sizeof(v));
		if (isfinite(v) && fabs(v) < 1e300)
			return v;
	}
}

START_TEST(test_roundtrip)
{
	struct record_batch rb[3] = { { .time = 1700000000 }, { .time = 0 },
		{ .time = ((int64_t)1 << 40) - 1 } };
	struct event evs[_EVENT_KIND_MAX];
	char *texts[3];
	struct wire_request *req = NULL;
	size_t len, nv = 0;
	_cleanup_free_ char *body = NULL;

	for (size_t b = 0; b < 3; b++)
		for (size_t i = 0; i < ELEMENTSOF(schemas) * (b + 1); i++) {
			const struct schema *s = schemas[i % ELEMENTSOF(schemas)];
			struct record *r = record_batch_add(&rb[b], s,
				i < 9 ? NULL : "x y");

			r->step = (unsigned)(i * 977 % 86401);
			for (size_t f = 0; f < s->n_fields; f++)
				r->values[f] = tricky_value(nv++);
		}
	for (int k = 0; k < _EVENT_KIND_MAX; k++)
		evs[k] = (struct event){ .kind = k, .check = "probe_up",
			.series = k % 3 ? "probe-web" : NULL,
			.field = k % 4 ? "up" : NULL, .state = k % _CHECK_STATE_MAX,
			.prev_state = (k + 1) % _CHECK_STATE_MAX,
			.value = tricky_value((size_t)k), .threshold = k % 2 ? 95 : NAN,
			.url = k % 2 ? "https://example.org/\xc3\xa4?q=\"1\"\\" : NULL,
			.reason = k % 5 ? "timeout" : NULL, .time = 1700000000 + k,
			.repeat = k % 2 };
	texts[0] = wire_encode_batch(7, rb[0].records, rb[0].n, evs, 5);
	texts[1] = wire_encode_batch(8, rb[1].records, rb[1].n, NULL, 0);
	texts[2] = wire_encode_batch(100, rb[2].records, rb[2].n, evs + 5,
		_EVENT_KIND_MAX - 5);
	body = wire_build_request("web-1.example.org", texts, 3, &len);
	ck_assert_uint_eq(len, strlen(body));
	ck_assert_int_eq(wire_decode_request(body, len, &big_limits, &req, NULL, NULL),
		0);
	ck_assert_str_eq(req->host, "web-1.example.org");
	ck_assert_uint_eq(req->n_batches, 3);
	ck_assert_uint_eq(req->batches[0].seq, 7);
	ck_assert_uint_eq(req->batches[1].seq, 8);
	ck_assert_uint_eq(req->batches[2].seq, 100);
	for (size_t b = 0; b < 3; b++) {
		ck_assert_uint_eq(req->batches[b].n_records, rb[b].n);
		for (size_t i = 0; i < rb[b].n; i++)
			assert_record_equal(&rb[b].records[i],
				&req->batches[b].records[i]);
		free(texts[b]);
		record_batch_done(&rb[b]);
	}
	ck_assert_uint_eq(req->batches[0].n_events, 5);
	ck_assert_uint_eq(req->batches[1].n_events, 0);
	ck_assert_uint_eq(req->batches[2].n_events, _EVENT_KIND_MAX - 5);
	for (int k = 0; k < _EVENT_KIND_MAX; k++) {
		const struct event *got = k < 5 ? &req->batches[0].events[k] :
						  &req->batches[2].events[k - 5];

		assert_event_equal(&evs[k], got);
		ck_assert_ptr_eq(got->host, req->host);
	}
	wire_request_free(req);
}
END_TEST

/* Many random records: every double that the wire can carry comes back the same. */
START_TEST(test_roundtrip_random)
{
	for (int round = 0; round < 50; round++) {
		struct record_batch rb = { .time = (int64_t)(rng() >> 24) };
		struct wire_request *req = NULL;
		_cleanup_free_ char *text = NULL, *body = NULL;
		size_t len;

		for (size_t i = 0; i < 40; i++) {
			const struct schema *s = schemas[rng() % ELEMENTSOF(schemas)];
			struct record *r = record_batch_add(&rb, s, i ? "i" : NULL);

			for (size_t f = 0; f < s->n_fields; f++)
				r->values[f] = rng() % 7 ? tricky_value(100) : NAN;
		}
		text = wire_encode_batch((uint64_t)round + 1, rb.records, rb.n, NULL,
			0);
		body = wire_build_request("h", &text, 1, &len);
		ck_assert_int_eq(wire_decode_request(body, len, &big_limits, &req, NULL,
					 NULL), 0);
		ck_assert_uint_eq(req->batches[0].n_records, rb.n);
		for (size_t i = 0; i < rb.n; i++)
			assert_record_equal(&rb.records[i],
				&req->batches[0].records[i]);
		wire_request_free(req);
		record_batch_done(&rb);
	}
}
END_TEST

/* What the decoder would refuse, the encoder leaves out or writes as null. */
START_TEST(test_encode_sanitizes)
{
	struct record_batch rb = { .time = 1700000000 };
	struct event evs[5];
	struct wire_request *req = NULL;
	_cleanup_free_ char *text = NULL, *body = NULL;
	struct record *r;
	size_t len;

	r = record_batch_add(&rb, &schema_cpu, NULL);
	r->values[0] = INFINITY;
	r->values[1] = -INFINITY;
	r->values[2] = 1e300;
	r->values[3] = -2e305;
	r->values[4] = 5;
	r = record_batch_add(&rb, &schema_cpu, NULL);
	strcpy(r->series, "df-x"); /* kind mismatch: left out */
	r = record_batch_add(&rb, &schema_df, "a");
	r->time = -1; /* left out */
	r = record_batch_add(&rb, &schema_df, "b");
	r->step = 86401; /* left out */
	r = record_batch_add(&rb, &schema_df, "c");
	r->step = 86400;
	evs[0] = (struct event){ .kind = EVENT_URL_DOWN, .check = "probe_up",
		.url = "http://x/\x01", .reason = "Timeout", .field = "Up",
		.series = "a/b", .value = INFINITY, .threshold = 1e301 };
	evs[1] = (struct event){ .kind = _EVENT_KIND_MAX, .check = "x" };
	evs[2] = (struct event){ .kind = EVENT_CPU, .check = NULL };
	evs[3] = (struct event){ .kind = EVENT_CPU, .check = "cpu",
		.url = "http://x/\xff", .reason = "", .value = 1e299 };
	evs[4] = (struct event){ .kind = EVENT_CPU, .check = "cpu",
		.state = _CHECK_STATE_MAX };
	text = wire_encode_batch(1, rb.records, rb.n, evs, 5);
	body = wire_build_request("h", &text, 1, &len);
	ck_assert_int_eq(wire_decode_request(body, len, &limits, &req, NULL, NULL), 0);
	ck_assert_uint_eq(req->batches[0].n_records, 2);
	for (size_t i = 0; i < 4; i++)
		ck_assert(isnan(req->batches[0].records[0].values[i]));
	ck_assert(req->batches[0].records[0].values[4] == 5);
	ck_assert_str_eq(req->batches[0].records[1].series, "df-c");
	ck_assert_uint_eq(req->batches[0].n_events, 2);
	ck_assert_ptr_null(req->batches[0].events[1].url);
	ck_assert_ptr_null(req->batches[0].events[1].reason);
	ck_assert(req->batches[0].events[1].value == 1e299);
	ck_assert_ptr_null(req->batches[0].events[0].url);
	ck_assert_ptr_null(req->batches[0].events[0].reason);
	ck_assert_ptr_null(req->batches[0].events[0].field);
	ck_assert_ptr_null(req->batches[0].events[0].series);
	ck_assert(isnan(req->batches[0].events[0].value));
	ck_assert(isnan(req->batches[0].events[0].threshold));
	wire_request_free(req);
	record_batch_done(&rb);
}
END_TEST

START_TEST(test_encode_text)
{
	struct record_batch rb = { .time = 1700000000 };
	struct event ev = { .kind = EVENT_DISK_SPACE, .check = "disk_space",
		.series = "df-root", .field = "bytes_pct", .state = CHECK_CRITICAL,
		.prev_state = CHECK_WARNING, .value = 96.5, .threshold = 95,
		.time = 1700000000, .repeat = false };
	_cleanup_free_ char *text = NULL, *want = NULL, *body = NULL, *empty = NULL;
	char *texts[2];
	struct record *r;
	size_t len;

	r = record_batch_add(&rb, &schema_uptime, NULL);
	r->values[0] = 3600;
	text = wire_encode_batch(17, rb.records, rb.n, &ev, 1);
	want = dq("{'seq':17,'records':[{'series':'uptime','kind':'uptime',"
		  "'time':1700000000,'step':0,'values':[3600.0]}],'events':[{"
		  "'kind':'disk_space','check':'disk_space','series':'df-root',"
		  "'field':'bytes_pct','state':'critical','prev_state':'warning',"
		  "'value':96.5,'threshold':95.0,'time':1700000000,'repeat':false,"
		  "'url':null,'reason':null}]}");
	ck_assert_str_eq(text, want);
	empty = wire_encode_batch(18, NULL, 0, NULL, 0);
	texts[0] = text;
	texts[1] = empty;
	body = wire_build_request("web1", texts, 2, &len);
	free(want);
	want = xasprintf("{\"version\":1,\"host\":\"web1\",\"batches\":[%s,%s]}", text,
		"{\"seq\":18,\"records\":[],\"events\":[]}");
	ck_assert_str_eq(body, want);
	ck_assert_uint_eq(len, strlen(want));
	record_batch_done(&rb);
}
END_TEST

START_TEST(test_error_strings)
{
	static const char *const names[] = { "ok", "syntax", "version", "type", "name",
		"number", "limit" };

	ck_assert_uint_eq(ELEMENTSOF(names), _WIRE_ERROR_MAX);
	for (int e = 0; e < _WIRE_ERROR_MAX; e++)
		ck_assert_str_eq(wire_error_to_string(e), names[e]);
	ck_assert_ptr_null(wire_error_to_string(_WIRE_ERROR_MAX));
	ck_assert_ptr_null(wire_error_to_string((enum wire_error)-1));
}
END_TEST

/* One member replaced: the template, its defaults, and the table. */

static const char tmpl[] =
	"{'version':<version>,'host':<host>,'batches':[{'seq':<seq>,'records':[{"
	"'series':<series>,'kind':<kind>,'time':<time>,'step':<step>,'values':<values>"
	"}],'events':[{'kind':<ekind>,'check':<check>,'series':<eseries>,"
	"'field':<field>,"
	"'state':<state>,'prev_state':<prev_state>,'value':<value>,"
	"'threshold':<threshold>,'time':<etime>,'repeat':<repeat>,'url':<url>,"
	"'reason':<reason>}]}]}";

static const struct {
	const char *key, *value;
} defaults[] = {
	{ "version", "1" }, { "host", "'web1'" }, { "seq", "1" }, { "series", "'cpu'" },
	{ "kind", "'cpu'" }, { "time", "1700000000" }, { "step", "10" },
	{ "values", "[1,2,3,4,5,6,7,null]" }, { "ekind", "'disk_space'" },
	{ "check", "'disk_space'" }, { "eseries", "'df-root'" },
	{ "field", "'bytes_pct'" },
	{ "state", "'critical'" }, { "prev_state", "'warning'" }, { "value", "96.2" },
	{ "threshold", "95" }, { "etime", "1700000000" }, { "repeat", "false" },
	{ "url", "'https://example.org/'" }, { "reason", "'timeout'" },
};

struct member_case {
	const char *key;
	const char *value; /* NULL: a string of fill_n fill characters */
	enum wire_error want;
	size_t fill_n;
	char fill;
};

#define SET(key, value, want) { key, value, want, 0, 0 }
#define FILL(key, n, c, want) { key, NULL, want, n, c }
static const struct member_case member_cases[] = {
	SET("version", "2", WIRE_VERSION_BAD),
	SET("version", "'1'", WIRE_VERSION_BAD),
	SET("version", "1.0", WIRE_VERSION_BAD),
	SET("version", "0", WIRE_VERSION_BAD),
	SET("version", "null", WIRE_VERSION_BAD),
	SET("host", "'..'", WIRE_NAME),
	SET("host", "'a/b'", WIRE_NAME),
	SET("host", "''", WIRE_NAME),
	SET("host", "'-a'", WIRE_NAME),
	SET("host", "'.a'", WIRE_NAME),
	SET("host", "'a b'", WIRE_NAME),
	SET("host", "'a\\u0000b'", WIRE_SYNTAX),
	SET("host", "'\xff'", WIRE_SYNTAX),
	SET("host", "'\xc0\xaf'", WIRE_SYNTAX),
	SET("host", "'\xed\xa0\x80'", WIRE_SYNTAX),
	SET("host", "'\\ud800'", WIRE_SYNTAX),
	SET("host", "'caf\xc3\xa9'", WIRE_NAME),
	FILL("host", 64, 'h', WIRE_NAME),
	FILL("host", 63, 'h', WIRE_OK),
	FILL("host", 100000, 'h', WIRE_NAME),
	SET("seq", "0", WIRE_NUMBER),
	SET("seq", "-1", WIRE_NUMBER),
	SET("seq", "1.5", WIRE_TYPE),
	SET("seq", "9223372036854775807", WIRE_OK),
	SET("seq", "9223372036854775808", WIRE_SYNTAX),
	SET("series", "'..'", WIRE_NAME),
	SET("series", "'a/b'", WIRE_NAME),
	SET("series", "''", WIRE_NAME),
	SET("series", "'cpu/../x'", WIRE_NAME),
	SET("series", "'df-x'", WIRE_NAME),
	SET("series", "'cpux'", WIRE_NAME),
	SET("series", "'cpu-'", WIRE_NAME),
	SET("series", "'cpu-0'", WIRE_OK),
	SET("series", "'cpu-a.b_c-d'", WIRE_OK),
	FILL("series", 64, 'c', WIRE_NAME),
	SET("kind", "'nope'", WIRE_NAME),
	SET("kind", "'CPU'", WIRE_NAME),
	SET("kind", "''", WIRE_NAME),
	SET("time", "-1", WIRE_NUMBER),
	SET("time", "1099511627776", WIRE_NUMBER),
	SET("time", "1099511627775", WIRE_OK),
	SET("time", "0", WIRE_OK),
	SET("time", "1.7e9", WIRE_TYPE),
	SET("step", "-1", WIRE_NUMBER),
	SET("step", "86401", WIRE_NUMBER),
	SET("step", "86400", WIRE_OK),
	SET("step", "0", WIRE_OK),
	SET("values", "[1,2,3,4,5,6,7]", WIRE_NUMBER),
	SET("values", "[1,2,3,4,5,6,7,8,9]", WIRE_NUMBER),
	SET("values", "[]", WIRE_NUMBER),
	SET("values", "[1,2,3,4,5,6,7,'8']", WIRE_TYPE),
	SET("values", "[1,2,3,4,5,6,7,[8]]", WIRE_TYPE),
	SET("values", "[1,2,3,4,5,6,7,1e400]", WIRE_SYNTAX),
	SET("values", "[1,2,3,4,5,6,7,-1e400]", WIRE_SYNTAX),
	SET("values", "[1,2,3,4,5,6,7,1e301]", WIRE_NUMBER),
	SET("values", "[1,2,3,4,5,6,7,-1e301]", WIRE_NUMBER),
	SET("values", "[1,2,3,4,5,6,7,1e300]", WIRE_NUMBER),
	SET("values", "[1,2,3,4,5,6,7,9.99e299]", WIRE_OK),
	SET("values", "[1,2,3,4,5,6,7,1e-400]", WIRE_OK),
	SET("values", "[1,2,3,4,5,6,7,NaN]", WIRE_SYNTAX),
	SET("values", "[1,2,3,4,5,6,7,Infinity]", WIRE_SYNTAX),
	SET("values", "[1,2,3,4,5,6,7,-Infinity]", WIRE_SYNTAX),
	SET("values", "[1,2,3,4,5,6,7,nan]", WIRE_SYNTAX),
	SET("values", "[1,2,3,4,5,6,7,0x10]", WIRE_SYNTAX),
	SET("values", "[1,2,3,4,5,6,7,+1]", WIRE_SYNTAX),
	SET("values", "[1,2,3,4,5,6,7,.5]", WIRE_SYNTAX),
	SET("values", "[1,2,3,4,5,6,7,01]", WIRE_SYNTAX),
	SET("values", "[1,2,3,4,5,6,7,99999999999999999999]", WIRE_SYNTAX),
	SET("values", "[null,null,null,null,null,null,null,null]", WIRE_OK),
	SET("values", "[-0,-0.0,0e0,1E2,1e+2,1.5e-2,-7,9007199254740993]", WIRE_OK),
	SET("ekind", "'nope'", WIRE_NAME),
	SET("ekind", "'DISK_SPACE'", WIRE_NAME),
	SET("ekind", "'central_unreachable'", WIRE_OK),
	SET("check", "'..'", WIRE_NAME),
	SET("check", "''", WIRE_NAME),
	SET("check", "null", WIRE_TYPE),
	SET("eseries", "'a/b'", WIRE_NAME),
	SET("eseries", "null", WIRE_OK),
	SET("field", "'Bytes_pct'", WIRE_NAME),
	SET("field", "'bytes-pct'", WIRE_NAME),
	SET("field", "''", WIRE_NAME),
	FILL("field", FIELD_NAME_MAX + 1, 'f', WIRE_NAME),
	FILL("field", FIELD_NAME_MAX, 'f', WIRE_OK),
	SET("field", "'f9_'", WIRE_OK),
	SET("field", "null", WIRE_OK),
	SET("state", "'bad'", WIRE_NAME),
	SET("state", "'OK'", WIRE_NAME),
	SET("state", "null", WIRE_TYPE),
	SET("prev_state", "'ok'", WIRE_OK),
	SET("prev_state", "'okay'", WIRE_NAME),
	SET("value", "null", WIRE_OK),
	SET("value", "1e301", WIRE_NUMBER),
	SET("value", "1e400", WIRE_SYNTAX),
	SET("value", "'1'", WIRE_TYPE),
	SET("threshold", "-1e301", WIRE_NUMBER),
	SET("threshold", "null", WIRE_OK),
	SET("etime", "-5", WIRE_NUMBER),
	SET("etime", "1099511627776", WIRE_NUMBER),
	SET("repeat", "true", WIRE_OK),
	SET("repeat", "0", WIRE_TYPE),
	SET("repeat", "'false'", WIRE_TYPE),
	SET("url", "null", WIRE_OK),
	SET("url", "''", WIRE_NAME),
	SET("url", "'http://x/\\u0001'", WIRE_NAME),
	SET("url", "'http://x/\\n'", WIRE_NAME),
	SET("url", "'http://x/\\u007f'", WIRE_NAME),
	SET("url", "'http://x/\\u0085'", WIRE_NAME),
	SET("url", "'http://x/\\u00a0\\u00e4\\ud83d\\ude00'", WIRE_OK),
	SET("url", "'http://x/\x01'", WIRE_SYNTAX),
	FILL("url", 2049, 'u', WIRE_NAME),
	FILL("url", 2048, 'u', WIRE_OK),
	FILL("url", 2048, '[', WIRE_OK),
	FILL("url", 2048, '{', WIRE_OK),
	FILL("url", 2048, ',', WIRE_OK),
	SET("url", "'x\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\\'", WIRE_OK),
	SET("reason", "null", WIRE_OK),
	SET("reason", "'time out'", WIRE_NAME),
	SET("reason", "'tls1'", WIRE_NAME),
	SET("reason", "''", WIRE_NAME),
	FILL("reason", 33, 'r', WIRE_NAME),
	FILL("reason", 32, 'r', WIRE_OK),
};

/* The template with key's value replaced (key NULL: all defaults). */
static char *
render(const char *key, const char *value)
{
	_cleanup_free_ char *t = dq(tmpl);
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	const char *p = t;

	ck_assert_ptr_nonnull(f);
	while (*p) {
		const char *end;
		size_t n;

		if (*p != '<') {
			fputc(*p++, f);
			continue;
		}
		end = strchr(p, '>');
		n = (size_t)(end - p - 1);
		if (key && strlen(key) == n && strncmp(p + 1, key, n) == 0)
			fputs(value, f);
		else
			for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
				if (strlen(defaults[i].key) == n &&
					strncmp(p + 1, defaults[i].key, n) == 0) {
					_cleanup_free_ char *v = dq(defaults[i].value);

					fputs(v, f);
				}
		p = end + 1;
	}
	ck_assert_int_eq(fclose(f), 0);
	return out;
}

START_TEST(test_member_case)
{
	const struct member_case *c = &member_cases[_i];
	_cleanup_free_ char *value = NULL, *doc = NULL, *label = NULL;

	if (c->value)
		value = dq(c->value);
	else {
		value = xmalloc(c->fill_n + 3);
		memset(value, c->fill, c->fill_n + 2);
		value[0] = value[c->fill_n + 1] = '"';
		value[c->fill_n + 2] = '\0';
	}
	doc = render(c->key, value);
	label = xasprintf("%s=%.40s", c->key, value);
	assert_class(doc, c->want, label);
}
END_TEST

/* Whole documents. */

#define OK_REC                                                                       \
	"{'series':'cpu','kind':'cpu','time':1,'step':0,'values':[1,2,3,4,5,6,7,8]}"
#define OK_EV                                                                        \
	"{'kind':'cpu','check':'cpu','series':'cpu','field':'user','state':'ok',"     \
	"'prev_state':'warning','value':1,'threshold':2,'time':3,'repeat':false,"    \
	"'url':null,'reason':null}"
#define BATCH(seq, recs, evs) "{'seq':" seq ",'records':[" recs "],'events':[" evs "]}"
#define REQ(batches) "{'version':1,'host':'web1','batches':[" batches "]}"

static const struct {
	const char *name, *text;
	enum wire_error want;
} doc_cases[] = {
	{ "empty", "", WIRE_SYNTAX },
	{ "blank", "  \n", WIRE_SYNTAX },
	{ "null", "null", WIRE_SYNTAX },
	{ "number", "1", WIRE_SYNTAX },
	{ "array", "[]", WIRE_TYPE },
	{ "empty object", "{}", WIRE_VERSION_BAD },
	{ "no version", "{'host':'web1','batches':[" BATCH("1", "", "") "]}",
		WIRE_VERSION_BAD },
	{ "version 2 with new members", "{'version':2,'host':'a','new':{}}",
		WIRE_VERSION_BAD },
	{ "minimal", REQ(BATCH("1", "", "")), WIRE_OK },
	{ "full", REQ(BATCH("1", OK_REC "," OK_REC, OK_EV)), WIRE_OK },
	{ "whitespace around", " \t\r\n" REQ(BATCH("1", "", "")) " \n", WIRE_OK },
	{ "trailing garbage", REQ(BATCH("1", "", "")) "x", WIRE_SYNTAX },
	{ "trailing object", REQ(BATCH("1", "", "")) "{}", WIRE_SYNTAX },
	{ "trailing comma",
		"{'version':1,'host':'a','batches':[" BATCH("1", "", "") ",]}",
		WIRE_SYNTAX },
	{ "comment", "{/**/'version':1}", WIRE_SYNTAX },
	{ "duplicate top", "{'version':1,'host':'a','host':'b','batches':[]}",
		WIRE_SYNTAX },
	{ "duplicate version", "{'version':1,'version':1}", WIRE_SYNTAX },
	{ "duplicate in record",
		REQ(BATCH("1", "{'series':'cpu','series':'cpu','kind':'cpu'}", "")),
		WIRE_SYNTAX },
	{ "seq equal", REQ(BATCH("2", "", "") "," BATCH("2", "", "")), WIRE_NUMBER },
	{ "seq down", REQ(BATCH("3", "", "") "," BATCH("2", "", "")), WIRE_NUMBER },
	{ "seq up", REQ(BATCH("2", "", "") "," BATCH("9", "", "")), WIRE_OK },
	{ "batches of null", REQ("null"), WIRE_TYPE },
	{ "no batches", "{'version':1,'host':'a','batches':[]}", WIRE_TYPE },
	{ "invalid utf-8 key", "{'version':1,'\xfe':1}", WIRE_SYNTAX },
	{ "nested in value", REQ(BATCH("1",
		"{'series':'cpu','kind':'cpu','time':1,'step':0,"
		"'values':[[[[[1]]]],2,3,4,5,6,7,8]}",
		"")), WIRE_TYPE },
};

START_TEST(test_doc_case)
{
	_cleanup_free_ char *doc = dq(doc_cases[_i].text);

	assert_class(doc, doc_cases[_i].want, doc_cases[_i].name);
}
END_TEST

/*
 * Deep nesting: jansson stops at its depth limit (2048) long before the
 * stack is at risk; with small limits the count of arrays and objects
 * refuses it before jansson sees it.
 */
START_TEST(test_deep_nesting)
{
	size_t n = 10000;
	_cleanup_free_ char *deep = xmalloc(2 * n + 1), *obj = xmalloc(5 * n + 2);

	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	ck_assert_int_eq(decode_with(deep, 2 * n, &big_limits, "10000 ["), WIRE_SYNTAX);
	ck_assert_int_eq(decode_with(deep, 2 * n, &limits, "10000 ["), WIRE_LIMIT);
	ck_assert_int_eq(decode_with(deep, n, &big_limits, "10000 [, open"),
		WIRE_SYNTAX);
	for (size_t i = 0; i < n; i++)
		memcpy(obj + 5 * i, "{\"a\":", 5);
	strcpy(obj + 5 * n, "1");
	ck_assert_int_eq(decode_with(obj, strlen(obj), &big_limits, "10000 {"),
		WIRE_SYNTAX);
	ck_assert_int_eq(decode_with(obj, strlen(obj), &limits, "10000 {"),
		WIRE_LIMIT);
}
END_TEST

/* An unknown member full of empty containers or values: a limit, before parsing. */
START_TEST(test_amplification)
{
	static const struct {
		const char *item;
		size_t n;
		enum wire_error want;
	} cases[] = {
		{ "{}", 17 - 4, WIRE_TYPE }, /* 4 objects in the valid part */
		{ "{}", 17 - 3, WIRE_LIMIT },
		{ "[]", 17 - 5, WIRE_TYPE }, /* 5 arrays in the valid part */
		{ "[]", 17 - 4, WIRE_LIMIT },
		{ "1", 300, WIRE_TYPE },
		{ "1", 400, WIRE_LIMIT },
		/* The commas between the strings count, not what is inside. */
		{ "\"[{,:\\\"\"", 1000, WIRE_LIMIT },
		{ "\"[{,:\\\"\"", 200, WIRE_TYPE },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *valid = render(NULL, NULL), *doc = NULL;
		char *out = NULL, label[64];
		size_t size = 0;
		FILE *f = open_memstream(&out, &size);

		ck_assert_ptr_nonnull(f);
		/* The valid request without its final '}', one more member, '}'. */
		fprintf(f, "%.*s,\"x\":[", (int)strlen(valid) - 1, valid);
		for (size_t j = 0; j < cases[i].n; j++)
			fprintf(f, "%s%s", j ? "," : "", cases[i].item);
		fputs("]}", f);
		ck_assert_int_eq(fclose(f), 0);
		doc = out;
		(void)snprintf(label, sizeof(label), "%zu x %s", cases[i].n,
			cases[i].item);
		assert_class(doc, cases[i].want, label);
	}
}
END_TEST

/* Wrong types, missing and unknown members, generated from a valid request. */

enum {
	T_NULL = 1 << 0,
	T_BOOL = 1 << 1,
	T_STR = 1 << 2,
	T_INT = 1 << 3,
	T_REAL = 1 << 4,
	T_ARR = 1 << 5,
	T_OBJ = 1 << 6,
	T_NUM = T_INT | T_REAL,
};

static const struct {
	char where; /* t: top, b: batch, r: record, e: event */
	const char *key;
	unsigned accepted;
} members[] = {
	{ 't', "version", T_INT }, { 't', "host", T_STR }, { 't', "batches", T_ARR },
	{ 'b', "seq", T_INT }, { 'b', "records", T_ARR }, { 'b', "events", T_ARR },
	{ 'r', "series", T_STR }, { 'r', "kind", T_STR }, { 'r', "time", T_INT },
	{ 'r', "step", T_INT }, { 'r', "values", T_ARR },
	{ 'e', "kind", T_STR }, { 'e', "check", T_STR },
	{ 'e', "series", T_STR | T_NULL }, { 'e', "field", T_STR | T_NULL },
	{ 'e', "state", T_STR }, { 'e', "prev_state", T_STR },
	{ 'e', "value", T_NUM | T_NULL }, { 'e', "threshold", T_NUM | T_NULL },
	{ 'e', "time", T_INT }, { 'e', "repeat", T_BOOL },
	{ 'e', "url", T_STR | T_NULL }, { 'e', "reason", T_STR | T_NULL },
};

static const struct {
	const char *text;
	unsigned type;
} candidates[] = {
	{ "null", T_NULL }, { "true", T_BOOL }, { "false", T_BOOL }, { "\"x\"", T_STR },
	{ "7", T_INT }, { "2.5", T_REAL }, { "[]", T_ARR }, { "[1]", T_ARR },
	{ "{}", T_OBJ }, { "{\"seq\":1}", T_OBJ },
};

static json_t *
locate(json_t *doc, char where)
{
	json_t *b = json_array_get(json_object_get(doc, "batches"), 0);

	switch (where) {
	case 'b':
		return b;
	case 'r':
		return json_array_get(json_object_get(b, "records"), 0);
	case 'e':
		return json_array_get(json_object_get(b, "events"), 0);
	default:
		return doc;
	}
}

/* Decodes doc (a modified copy of the valid one) and frees it. */
static void
assert_doc_class(json_t *doc, enum wire_error want, const char *label)
{
	_cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);

	json_decref(doc);
	ck_assert_ptr_nonnull(text);
	assert_class(text, want, label);
}

START_TEST(test_wrong_types)
{
	_cleanup_free_ char *valid = render(NULL, NULL);
	size_t n = 0;

	for (size_t m = 0; m < ELEMENTSOF(members); m++)
		for (size_t c = 0; c < ELEMENTSOF(candidates); c++) {
			const char *text = candidates[c].text;
			json_t *doc, *o, *v;
			char label[80];

			if (candidates[c].type & members[m].accepted)
				continue;
			doc = json_loads(valid, 0, NULL);
			v = json_loads(text, JSON_DECODE_ANY, NULL);
			o = locate(doc, members[m].where);
			ck_assert_int_eq(json_object_set_new(o, members[m].key, v), 0);
			(void)snprintf(label, sizeof(label), "%c.%s=%s",
				members[m].where, members[m].key, text);
			assert_doc_class(doc, m == 0 ? WIRE_VERSION_BAD : WIRE_TYPE,
				label);
			n++;
		}
	ck_assert_uint_gt(n, 150);
}
END_TEST

/* Array elements of the wrong type: a batch, a record, an event, a value. */
START_TEST(test_wrong_element_types)
{
	static const struct {
		char where;
		const char *array;
		unsigned accepted;
	} arrays[] = {
		{ 't', "batches", T_OBJ }, { 'b', "records", T_OBJ },
		{ 'b', "events", T_OBJ }, { 'r', "values", T_NUM | T_NULL },
	};
	_cleanup_free_ char *valid = render(NULL, NULL);

	for (size_t a = 0; a < ELEMENTSOF(arrays); a++)
		for (size_t c = 0; c < ELEMENTSOF(candidates); c++) {
			const char *text = candidates[c].text;
			json_t *doc, *arr, *v;
			char label[80];

			if (candidates[c].type & arrays[a].accepted)
				continue;
			doc = json_loads(valid, 0, NULL);
			arr = json_object_get(locate(doc, arrays[a].where),
				arrays[a].array);
			v = json_loads(text, JSON_DECODE_ANY, NULL);
			ck_assert_int_eq(json_array_set_new(arr, 0, v), 0);
			(void)snprintf(label, sizeof(label), "%s[0]=%s",
				arrays[a].array, text);
			assert_doc_class(doc, WIRE_TYPE, label);
		}
}
END_TEST

START_TEST(test_missing_and_unknown_members)
{
	_cleanup_free_ char *valid = render(NULL, NULL);
	static const char wheres[] = "tbre";

	for (size_t m = 0; m < ELEMENTSOF(members); m++) {
		json_t *doc = json_loads(valid, 0, NULL);
		char label[80];

		ck_assert_int_eq(json_object_del(locate(doc, members[m].where),
					 members[m].key), 0);
		(void)snprintf(label, sizeof(label), "without %c.%s", members[m].where,
			members[m].key);
		assert_doc_class(doc, m == 0 ? WIRE_VERSION_BAD : WIRE_TYPE, label);
	}
	for (size_t w = 0; w < strlen(wheres); w++) {
		json_t *doc = json_loads(valid, 0, NULL);
		char label[80];

		ck_assert_int_eq(json_object_set_new(locate(doc, wheres[w]), "extra",
					 json_integer(1)), 0);
		(void)snprintf(label, sizeof(label), "unknown member in %c", wheres[w]);
		assert_doc_class(doc, WIRE_TYPE, label);
	}
}
END_TEST

/* A request of n batches of nr records and ne events each. */
static char *
make_request(size_t n, size_t nr, size_t ne, size_t *ret_len)
{
	struct record_batch rb = { .time = 1700000000 };
	struct event ev = { .kind = EVENT_LOAD, .check = "load", .series = "load",
		.field = "load1", .state = CHECK_WARNING, .value = 9, .threshold = 8,
		.time = 1700000000 };
	struct event evs[16];
	char *texts[16];
	char *body;

	ck_assert_uint_le(n, ELEMENTSOF(texts));
	ck_assert_uint_le(ne, ELEMENTSOF(evs));
	for (size_t i = 0; i < nr; i++) {
		const struct schema *s = schemas[i % ELEMENTSOF(schemas)];
		struct record *r = record_batch_add(&rb, s, "x");

		r->values[0] = (double)i;
	}
	for (size_t i = 0; i < ne; i++)
		evs[i] = ev;
	for (size_t i = 0; i < n; i++)
		texts[i] = wire_encode_batch(i + 1, rb.records, rb.n, evs, ne);
	body = wire_build_request("web1", texts, n, ret_len);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	record_batch_done(&rb);
	return body;
}

START_TEST(test_limits)
{
	static const struct {
		size_t batches, records, events;
		enum wire_error want;
	} cases[] = {
		{ 4, 2, 1, WIRE_OK },    /* every limit reached exactly */
		{ 5, 0, 0, WIRE_LIMIT }, /* batches */
		{ 3, 3, 0, WIRE_LIMIT }, /* 9 records */
		{ 1, 9, 0, WIRE_LIMIT },
		{ 1, 0, 5, WIRE_LIMIT }, /* events */
		{ 2, 0, 3, WIRE_LIMIT },
		{ 1, 8, 4, WIRE_OK },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		size_t len;
		_cleanup_free_ char *body = make_request(cases[i].batches,
			cases[i].records, cases[i].events, &len);
		char label[64];

		(void)snprintf(label, sizeof(label), "limits case %zu", i);
		ck_assert_int_eq(decode_with(body, len, &limits, label), cases[i].want);
	}
}
END_TEST

/* Every proper prefix of a valid request is refused as syntax, cleanly. */
START_TEST(test_truncation)
{
	size_t len;
	_cleanup_free_ char *body = make_request(3, 4, 2, &len);
	_cleanup_free_ char *tmpl_doc = render(NULL, NULL);

	ck_assert_int_eq(decode_with(body, len, &big_limits, "whole"), WIRE_OK);
	for (size_t n = 0; n < len; n++)
		ck_assert_int_eq(decode_with(body, n, &big_limits, "truncated"),
			WIRE_SYNTAX);
	for (size_t n = 0; n < strlen(tmpl_doc); n++)
		ck_assert_int_eq(decode_with(tmpl_doc, n, &big_limits, "truncated"),
			WIRE_SYNTAX);
}
END_TEST

/* Decoded fields, and where their strings live. */
START_TEST(test_decode_fields)
{
	_cleanup_free_ char *doc = render("values", "[1.5,null,-0.0,1e-300,7,0,0,100]");
	_cleanup_(wire_request_freep) struct wire_request *req = NULL;
	const struct record *r;
	const struct event *ev;
	double zero = -0.0;

	ck_assert_int_eq(wire_decode_request(doc, strlen(doc), &limits, &req, NULL,
				 NULL), 0);
	ck_assert_str_eq(req->host, "web1");
	ck_assert_uint_eq(req->n_batches, 1);
	ck_assert_uint_eq(req->batches[0].seq, 1);
	ck_assert_uint_eq(req->batches[0].n_records, 1);
	r = &req->batches[0].records[0];
	ck_assert_str_eq(r->series, "cpu");
	ck_assert_ptr_eq(r->schema, &schema_cpu);
	ck_assert_int_eq(r->time, 1700000000);
	ck_assert_uint_eq(r->step, 10);
	ck_assert(r->values[0] == 1.5);
	ck_assert(isnan(r->values[1]));
	ck_assert(memcmp(&r->values[2], &zero, sizeof(zero)) == 0);
	ck_assert(r->values[3] == 1e-300);
	ck_assert(r->values[7] == 100);
	for (size_t i = 8; i < RECORD_FIELDS_MAX; i++)
		ck_assert(isnan(r->values[i]));
	ck_assert_uint_eq(req->batches[0].n_events, 1);
	ev = &req->batches[0].events[0];
	ck_assert_int_eq(ev->kind, EVENT_DISK_SPACE);
	ck_assert_ptr_eq(ev->host, req->host);
	ck_assert_str_eq(ev->check, "disk_space");
	ck_assert_str_eq(ev->series, "df-root");
	ck_assert_str_eq(ev->field, "bytes_pct");
	ck_assert_int_eq(ev->state, CHECK_CRITICAL);
	ck_assert_int_eq(ev->prev_state, CHECK_WARNING);
	ck_assert(ev->value == 96.2);
	ck_assert(ev->threshold == 95);
	ck_assert_int_eq(ev->time, 1700000000);
	ck_assert(!ev->repeat);
	ck_assert_str_eq(ev->url, "https://example.org/");
	ck_assert_str_eq(ev->reason, "timeout");
	/* Not a copy of the body: the strings live in the parsed document. */
	ck_assert(ev->url < doc || ev->url >= doc + strlen(doc));
}
END_TEST

/* NULL error outputs are allowed; a NULL body is the empty one. */
START_TEST(test_null_outputs)
{
	struct wire_request *req = NULL;

	ck_assert_int_eq(wire_decode_request("{", 1, &limits, &req, NULL, NULL),
		-EBADMSG);
	ck_assert_int_eq(wire_decode_request(NULL, 0, &limits, &req, NULL, NULL),
		-EBADMSG);
	ck_assert_ptr_null(req);
	ck_assert_ptr_null(wire_request_free(NULL));
	/* Bytes that are no text at all, a NUL among them. */
	ck_assert_int_eq(decode_with("\xff\xfe\x00\x01", 4, &limits, "bare"),
		WIRE_SYNTAX);
	ck_assert_int_eq(decode_with("{\"version\":1\x00}", 14, &limits, "nul"),
		WIRE_SYNTAX);
	ck_assert_int_eq(decode_with("[1,2\x00,3]", 8, &limits, "nul"), WIRE_SYNTAX);
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_roundtrip_random);
	tcase_add_test(tc, test_encode_sanitizes);
	tcase_add_test(tc, test_encode_text);
	tcase_add_test(tc, test_error_strings);
	tcase_add_loop_test(tc, test_member_case, 0, ELEMENTSOF(member_cases));
	tcase_add_loop_test(tc, test_doc_case, 0, ELEMENTSOF(doc_cases));
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_amplification);
	tcase_add_test(tc, test_wrong_types);
	tcase_add_test(tc, test_wrong_element_types);
	tcase_add_test(tc, test_missing_and_unknown_members);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_decode_fields);
	tcase_add_test(tc, test_null_outputs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(wire_suite());
}
