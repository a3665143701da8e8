/* SPDX-License-Identifier: MIT */
/*
 * The agent-to-central wire format, version 1 (docs/protocol.md). The
 * decoder first counts the body's objects, arrays and values against what
 * the limits allow, so that jansson's tree stays in proportion to them, then
 * lets jansson do the lexing (UTF-8, number overflow, nesting depth,
 * duplicate keys, trailing garbage), then checks every member of every object
 * against the contract in wire.h before a byte of it is used: objects hold
 * exactly the members the contract names (an unknown member is refused, not
 * ignored: a new member needs a new version), integers and numbers are range-
 * checked, names are validated, counts are compared against the caller's
 * limits before anything is allocated for them. Records are copied out;
 * events point into the parsed document, which the request keeps.
 *
 * The encoder and the decoder share the validators below, and the encoder
 * never writes what the decoder would refuse: a record or an event that
 * breaks the contract is left out, a number that is not finite or too large
 * is written as null, an invalid url or reason as null. An agent's spool can
 * thus never hold a batch the central refuses forever. Nothing here logs.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"

#define TIME_LIMIT   ((int64_t)1 << 40) /* times are in [0, 2^40) seconds */
#define STEP_MAX     86400
#define VALUE_LIMIT  1e300 /* |v| of any number is below this */
#define URL_MAX      2048  /* bytes */
#define REASON_MAX   32
#define MESSAGE_MAX  192
#define WHERE_MAX    64

static const char *const error_names[_WIRE_ERROR_MAX] = {
	[WIRE_OK] = "ok",
	[WIRE_SYNTAX] = "syntax",
	[WIRE_VERSION_BAD] = "version",
	[WIRE_TYPE] = "type",
	[WIRE_NAME] = "name",
	[WIRE_NUMBER] = "number",
	[WIRE_LIMIT] = "limit",
};

const char *
wire_error_to_string(enum wire_error e)
{
	return e >= 0 && e < _WIRE_ERROR_MAX ? error_names[e] : NULL;
}

/* Validators shared by the encoder and the decoder. */

static bool
value_ok(double v)
{
	return isfinite(v) && fabs(v) < VALUE_LIMIT;
}

static bool
time_ok(int64_t t)
{
	return t >= 0 && t < TIME_LIMIT;
}

/* A series of kind "df" is "df" or "df-<something>". */
static bool
series_of_kind(const char *series, const char *kind)
{
	size_t n = strlen(kind);

	if (strncmp(series, kind, n) != 0)
		return false;
	return series[n] == '\0' || (series[n] == '-' && series[n + 1] != '\0');
}

/* 1..max characters of [a-z0-9_], or [a-z_] when digits is false. */
static bool
lower_name_ok(const char *s, size_t max, bool digits)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
			    (digits && s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/*
 * At most URL_MAX bytes, no C0 control, DEL or C1 control (U+0080..U+009F,
 * UTF-8 0xc2 0x80..0x9f). The decoder's strings are valid UTF-8 already; the
 * encoder relies on json_string() refusing anything else.
 */
static bool
url_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > URL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
			(unsigned char)s[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

static bool
record_ok(const struct record *r)
{
	return r->schema && r->schema->n_fields <= RECORD_FIELDS_MAX &&
		record_schema_find(r->schema->kind) == r->schema &&
		memchr(r->series, '\0', sizeof(r->series)) &&
		name_is_valid(r->series) &&
		series_of_kind(r->series, r->schema->kind) && time_ok(r->time) &&
		r->step <= STEP_MAX;
}

static bool
event_ok(const struct event *ev)
{
	return event_kind_to_string(ev->kind) && check_state_to_string(ev->state) &&
		check_state_to_string(ev->prev_state) && name_is_valid(ev->check) &&
		time_ok(ev->time);
}

/* Copies s into buf as printable ASCII, cut to fit; for messages about peer data. */
static void
printable(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
}

/* The decoder. */

struct decoder {
	const struct wire_limits *limits;
	size_t n_records; /* so far, all batches */
	size_t n_events;
	enum wire_error error;
	char message[MESSAGE_MAX];
};

static int _printf_(3, 4)
fail(struct decoder *d, enum wire_error e, const char *fmt, ...)
{
	va_list ap;

	d->error = e;
	va_start(ap, fmt);
	(void)vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	if (e == WIRE_LIMIT)
		return -EMSGSIZE;
	if (e == WIRE_VERSION_BAD)
		return -EPROTO;
	return -EBADMSG;
}

/* o is an object holding exactly the members names[0..n). */
static int
check_members(struct decoder *d, const json_t *o, const char *const *names, size_t n,
	const char *where)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return fail(d, WIRE_TYPE, "%s: not an object", where);
	json_object_foreach ((json_t *)o, key, v) {
		size_t i;

		for (i = 0; i < n; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (i == n) {
			char buf[32];

			printable(key, buf, sizeof(buf));
			return fail(d, WIRE_TYPE, "%s: unknown member '%s'", where,
				buf);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(o, names[i]))
			return fail(d, WIRE_TYPE, "%s: missing '%s'", where, names[i]);
	return 0;
}

static int
get_integer(struct decoder *d, const json_t *o, const char *key, int64_t min,
	int64_t max, const char *where, int64_t *ret)
{
	const json_t *v = json_object_get(o, key);
	json_int_t i;

	if (!json_is_integer(v))
		return fail(d, WIRE_TYPE, "%s: '%s' is not an integer", where, key);
	i = json_integer_value(v);
	if (i < min || i > max)
		return fail(d, WIRE_NUMBER, "%s: '%s' out of range", where, key);
	*ret = i;
	return 0;
}

/* A number or null (NAN). */
static int
get_number(struct decoder *d, const json_t *v, const char *what, const char *where,
	double *ret)
{
	double x;

	if (json_is_null(v)) {
		*ret = NAN;
		return 0;
	}
	if (!json_is_number(v))
		return fail(d, WIRE_TYPE, "%s: %s is not a number or null", where,
			what);
	x = json_number_value(v);
	if (!value_ok(x))
		return fail(d, WIRE_NUMBER, "%s: %s out of range", where, what);
	*ret = x;
	return 0;
}

/* A string, or null (NULL) when nullable. */
static int
get_string(struct decoder *d, const json_t *o, const char *key, bool nullable,
	const char *where, const char **ret)
{
	const json_t *v = json_object_get(o, key);

	if (nullable && json_is_null(v)) {
		*ret = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return fail(d, WIRE_TYPE, "%s: '%s' is not a string%s", where, key,
			nullable ? " or null" : "");
	/* jansson refuses \u0000 unless JSON_ALLOW_NUL; checked all the same. */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(d, WIRE_NAME, "%s: '%s' holds a NUL", where, key);
	*ret = json_string_value(v);
	return 0;
}

static int
decode_values(struct decoder *d, const json_t *a, const struct schema *s,
	const char *where, double *values)
{
	if (!json_is_array(a))
		return fail(d, WIRE_TYPE, "%s: 'values' is not an array", where);
	if (json_array_size(a) != s->n_fields)
		return fail(d, WIRE_NUMBER, "%s: %zu values, kind '%s' has %zu fields",
			where, json_array_size(a), s->kind, s->n_fields);
	for (size_t i = 0; i < s->n_fields; i++) {
		int r = get_number(d, json_array_get(a, i), s->fields[i].name, where,
			&values[i]);

		if (r < 0)
			return r;
	}
	for (size_t i = s->n_fields; i < RECORD_FIELDS_MAX; i++)
		values[i] = NAN;
	return 0;
}

static int
decode_record(struct decoder *d, const json_t *o, const char *where,
	struct record *ret)
{
	static const char *const members[] = { "series", "kind", "time", "step",
		"values" };
	const char *series, *kind;
	struct record rec = { 0 };
	int64_t step;
	int r;

	r = check_members(d, o, members, ELEMENTSOF(members), where);
	if (r < 0)
		return r;
	if ((r = get_string(d, o, "series", false, where, &series)) < 0 ||
		(r = get_string(d, o, "kind", false, where, &kind)) < 0)
		return r;
	rec.schema = record_schema_find(kind);
	if (!rec.schema)
		return fail(d, WIRE_NAME, "%s: unknown kind", where);
	if (!name_is_valid(series))
		return fail(d, WIRE_NAME, "%s: invalid series name", where);
	if (!series_of_kind(series, kind))
		return fail(d, WIRE_NAME, "%s: series does not match kind '%s'", where,
			rec.schema->kind);
	strcpy(rec.series, series); /* name_is_valid(): at most NAME_MAX_LEN */
	if ((r = get_integer(d, o, "time", 0, TIME_LIMIT - 1, where, &rec.time)) < 0 ||
		(r = get_integer(d, o, "step", 0, STEP_MAX, where, &step)) < 0)
		return r;
	rec.step = (unsigned)step;
	r = decode_values(d, json_object_get(o, "values"), rec.schema, where,
		rec.values);
	if (r < 0)
		return r;
	*ret = rec;
	return 0;
}

static int
decode_event_kind(struct decoder *d, const json_t *o, const char *where,
	enum event_kind *ret)
{
	const char *s;
	int r;

	r = get_string(d, o, "kind", false, where, &s);
	if (r < 0)
		return r;
	for (int k = 0; k < _EVENT_KIND_MAX; k++)
		if (strcmp(s, event_kind_to_string(k)) == 0) {
			*ret = k;
			return 0;
		}
	return fail(d, WIRE_NAME, "%s: unknown event kind", where);
}

static int
decode_state(struct decoder *d, const json_t *o, const char *key, const char *where,
	enum check_state *ret)
{
	const char *s;
	int r;

	r = get_string(d, o, key, false, where, &s);
	if (r < 0)
		return r;
	r = check_state_from_string(s);
	if (r < 0)
		return fail(d, WIRE_NAME, "%s: unknown '%s'", where, key);
	*ret = r;
	return 0;
}

/* check, series, field, url and reason. */
static int
decode_event_strings(struct decoder *d, const json_t *o, const char *where,
	struct event *ev)
{
	int r;

	if ((r = get_string(d, o, "check", false, where, &ev->check)) < 0 ||
		(r = get_string(d, o, "series", true, where, &ev->series)) < 0 ||
		(r = get_string(d, o, "field", true, where, &ev->field)) < 0 ||
		(r = get_string(d, o, "url", true, where, &ev->url)) < 0 ||
		(r = get_string(d, o, "reason", true, where, &ev->reason)) < 0)
		return r;
	if (!name_is_valid(ev->check))
		return fail(d, WIRE_NAME, "%s: invalid check name", where);
	if (ev->series && !name_is_valid(ev->series))
		return fail(d, WIRE_NAME, "%s: invalid series name", where);
	if (ev->field && !lower_name_ok(ev->field, FIELD_NAME_MAX, true))
		return fail(d, WIRE_NAME, "%s: invalid field name", where);
	if (ev->url && !url_ok(ev->url))
		return fail(d, WIRE_NAME, "%s: invalid url", where);
	if (ev->reason && !lower_name_ok(ev->reason, REASON_MAX, false))
		return fail(d, WIRE_NAME, "%s: invalid reason", where);
	return 0;
}

static int
decode_event(struct decoder *d, const json_t *o, const char *host, const char *where,
	struct event *ret)
{
	static const char *const members[] = { "kind", "check", "series", "field",
		"state", "prev_state", "value", "threshold", "time", "repeat", "url",
		"reason" };
	struct event ev = { .host = host };
	const json_t *repeat;
	int r;

	r = check_members(d, o, members, ELEMENTSOF(members), where);
	if (r < 0)
		return r;
	if ((r = decode_event_kind(d, o, where, &ev.kind)) < 0 ||
		(r = decode_event_strings(d, o, where, &ev)) < 0 ||
		(r = decode_state(d, o, "state", where, &ev.state)) < 0 ||
		(r = decode_state(d, o, "prev_state", where, &ev.prev_state)) < 0)
		return r;
	r = get_number(d, json_object_get(o, "value"), "'value'", where, &ev.value);
	if (r < 0)
		return r;
	r = get_number(d, json_object_get(o, "threshold"), "'threshold'", where,
		&ev.threshold);
	if (r < 0)
		return r;
	r = get_integer(d, o, "time", 0, TIME_LIMIT - 1, where, &ev.time);
	if (r < 0)
		return r;
	repeat = json_object_get(o, "repeat");
	if (!json_is_boolean(repeat))
		return fail(d, WIRE_TYPE, "%s: 'repeat' is not a boolean", where);
	ev.repeat = json_is_true(repeat);
	*ret = ev;
	return 0;
}

/* Counts a batch's records or events against the limit, before allocating. */
static int
count_items(struct decoder *d, const json_t *a, const char *key, size_t *total,
	size_t max, const char *where)
{
	if (!json_is_array(a))
		return fail(d, WIRE_TYPE, "%s: '%s' is not an array", where, key);
	if (json_array_size(a) > max - *total)
		return fail(d, WIRE_LIMIT, "%s: more than %zu %s in the request", where,
			max, key);
	*total += json_array_size(a);
	return 0;
}

static int
decode_batch(struct decoder *d, const json_t *o, size_t idx, uint64_t prev_seq,
	const char *host, struct wire_batch *b)
{
	static const char *const members[] = { "seq", "records", "events" };
	const json_t *records, *events;
	char where[WHERE_MAX];
	int64_t seq;
	int r;

	(void)snprintf(where, sizeof(where), "batch %zu", idx);
	r = check_members(d, o, members, ELEMENTSOF(members), where);
	if (r < 0)
		return r;
	r = get_integer(d, o, "seq", 1, INT64_MAX, where, &seq);
	if (r < 0)
		return r;
	if ((uint64_t)seq <= prev_seq)
		return fail(d, WIRE_NUMBER, "%s: seq %" PRId64 " not above %" PRIu64,
			where, seq, prev_seq);
	b->seq = (uint64_t)seq;
	records = json_object_get(o, "records");
	events = json_object_get(o, "events");
	r = count_items(d, records, "records", &d->n_records, d->limits->max_records,
		where);
	if (r < 0)
		return r;
	r = count_items(d, events, "events", &d->n_events, d->limits->max_events,
		where);
	if (r < 0)
		return r;
	if (json_array_size(records) > 0)
		b->records = xcalloc(json_array_size(records), sizeof(*b->records));
	for (; b->n_records < json_array_size(records); b->n_records++) {
		(void)snprintf(where, sizeof(where), "batch %zu record %zu", idx,
			b->n_records);
		r = decode_record(d, json_array_get(records, b->n_records), where,
			&b->records[b->n_records]);
		if (r < 0)
			return r;
	}
	if (json_array_size(events) > 0)
		b->events = xcalloc(json_array_size(events), sizeof(*b->events));
	for (; b->n_events < json_array_size(events); b->n_events++) {
		(void)snprintf(where, sizeof(where), "batch %zu event %zu", idx,
			b->n_events);
		r = decode_event(d, json_array_get(events, b->n_events), host, where,
			&b->events[b->n_events]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The top level: version first, so that a newer agent is told "version". */
static int
decode_top(struct decoder *d, const json_t *root, struct wire_request *req)
{
	static const char *const members[] = { "version", "host", "batches" };
	const json_t *version, *batches;
	const char *host;
	uint64_t prev_seq = 0;
	int r;

	if (!json_is_object(root))
		return fail(d, WIRE_TYPE, "request: not an object");
	version = json_object_get(root, "version");
	if (!json_is_integer(version) || json_integer_value(version) != WIRE_VERSION)
		return fail(d, WIRE_VERSION_BAD, "request: 'version' is not %d",
			WIRE_VERSION);
	r = check_members(d, root, members, ELEMENTSOF(members), "request");
	if (r < 0)
		return r;
	r = get_string(d, root, "host", false, "request", &host);
	if (r < 0)
		return r;
	if (!name_is_valid(host))
		return fail(d, WIRE_NAME, "request: invalid host name");
	strcpy(req->host, host); /* name_is_valid(): at most NAME_MAX_LEN */
	batches = json_object_get(root, "batches");
	if (!json_is_array(batches))
		return fail(d, WIRE_TYPE, "request: 'batches' is not an array");
	if (json_array_size(batches) == 0)
		return fail(d, WIRE_TYPE, "request: 'batches' is empty");
	if (json_array_size(batches) > d->limits->max_batches)
		return fail(d, WIRE_LIMIT, "request: more than %zu batches",
			d->limits->max_batches);
	req->batches = xcalloc(json_array_size(batches), sizeof(*req->batches));
	req->n_batches = json_array_size(batches);
	for (size_t i = 0; i < req->n_batches; i++) {
		r = decode_batch(d, json_array_get(batches, i), i, prev_seq, req->host,
			&req->batches[i]);
		if (r < 0)
			return r;
		prev_seq = req->batches[i].seq;
	}
	return 0;
}

/* acc + k * n, saturating: limits may be huge. */
static size_t
grow(size_t acc, size_t k, size_t n)
{
	if (n > (SIZE_MAX - acc) / k)
		return SIZE_MAX;
	return acc + k * n;
}

/*
 * Counts, outside strings, what jansson allocates a node for: objects,
 * arrays, and values and member names (each one follows '{', '[', ',' or
 * ':'). A request within the limits holds at most one object per batch,
 * record and event, two arrays per batch and one per record, and 8 + 9 per
 * batch + 27 per record (16 values) + 25 per event of those separators.
 * Anything more is refused before parsing: 8 MiB of "{}," would make jansson
 * allocate over 400 MiB. Also refuses a raw NUL byte, which is never valid
 * JSON, but which jansson 2.14 drops after a number or a literal
 * ("[1,2\0,3]" loads as [1,2,3]).
 */
static int
prescan(struct decoder *d, const char *body, size_t len)
{
	const struct wire_limits *l = d->limits;
	const char *nul = len > 0 ? memchr(body, '\0', len) : NULL;
	size_t objects = 0, arrays = 0, nodes = 1;
	bool in_string = false;

	if (nul)
		return fail(d, WIRE_SYNTAX, "byte %zu: NUL byte", (size_t)(nul - body));
	for (size_t i = 0; i < len; i++) {
		char c = body[i];

		if (in_string) {
			if (c == '\\')
				i++; /* the escaped byte ends no string */
			else if (c == '"')
				in_string = false;
			continue;
		}
		in_string = c == '"';
		objects += c == '{';
		arrays += c == '[';
		nodes += c == '{' || c == '[' || c == ',' || c == ':';
	}
	if (objects > grow(grow(grow(1, 1, l->max_batches), 1, l->max_records), 1,
			      l->max_events) ||
		arrays > grow(grow(1, 2, l->max_batches), 1, l->max_records) ||
		nodes > grow(grow(grow(8, 9, l->max_batches), 27, l->max_records), 25,
				l->max_events))
		return fail(d, WIRE_LIMIT,
			"request: more JSON values than the limits allow");
	return 0;
}

/* Parses the body into *ret; refuses what is not one JSON object and nothing else. */
static int
load(struct decoder *d, const char *body, size_t len, json_t **ret)
{
	char text[JSON_ERROR_TEXT_LENGTH];
	json_error_t jerr;
	json_t *root;
	int r;

	r = prescan(d, body, len);
	if (r < 0)
		return r;
	/*
	 * No JSON_DISABLE_EOF_CHECK: anything after the object is an error.
	 * No JSON_ALLOW_NUL: "\u0000" is an error, so strings are C strings.
	 * Without JSON_DECODE_ANY the top level is an object or an array.
	 */
	root = json_loadb(len > 0 ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* jansson quotes the offending bytes: keep the message printable. */
		printable(jerr.text, text, sizeof(text));
		return fail(d, WIRE_SYNTAX, "byte %d: %s", jerr.position, text);
	}
	*ret = root;
	return 0;
}

int
wire_decode_request(const char *body, size_t len, const struct wire_limits *limits,
	struct wire_request **ret, enum wire_error *ret_error, char **ret_message)
{
	_cleanup_(wire_request_freep) struct wire_request *req = NULL;
	struct decoder d = { .limits = limits };
	json_t *root;
	int r;

	r = load(&d, body, body ? len : 0, &root);
	if (r >= 0) {
		req = xcalloc(1, sizeof(*req));
		req->json = root;
		r = decode_top(&d, root, req);
	}
	if (r < 0) {
		if (ret_error)
			*ret_error = d.error;
		if (ret_message)
			*ret_message = xstrdup(d.message);
		return r;
	}
	*ret = TAKE_PTR(req);
	return 0;
}

struct wire_request *
wire_request_free(struct wire_request *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_batches; i++) {
		free(r->batches[i].records);
		free(r->batches[i].events);
	}
	free(r->batches);
	json_decref(r->json);
	free(r);
	return NULL;
}

/* The encoder. jansson reports nothing but out of memory here: abort, like xmalloc. */

static json_t *
checked(json_t *j)
{
	if (!j) {
		fputs("healthmond: out of memory in jansson\n", stderr);
		abort();
	}
	return j;
}

static void
set(json_t *o, const char *key, json_t *v)
{
	if (json_object_set_new(o, key, checked(v)) < 0)
		(void)checked(NULL);
}

static void
append(json_t *a, json_t *v)
{
	if (json_array_append_new(a, checked(v)) < 0)
		(void)checked(NULL);
}

static json_t *
number_or_null(double v)
{
	return value_ok(v) ? json_real(v) : json_null();
}

/* A string, or null when absent or refused by ok (or by json_string: not UTF-8). */
static json_t *
string_or_null(const char *s, bool (*ok)(const char *))
{
	json_t *j = s && ok(s) ? json_string(s) : NULL;

	return j ? j : json_null();
}

static bool
field_ok(const char *s)
{
	return lower_name_ok(s, FIELD_NAME_MAX, true);
}

static bool
reason_ok(const char *s)
{
	return lower_name_ok(s, REASON_MAX, false);
}

static json_t *
encode_record(const struct record *r)
{
	json_t *o = checked(json_object()), *values = checked(json_array());

	for (size_t i = 0; i < r->schema->n_fields; i++)
		append(values, number_or_null(r->values[i]));
	set(o, "series", json_string(r->series));
	set(o, "kind", json_string(r->schema->kind));
	set(o, "time", json_integer(r->time));
	set(o, "step", json_integer(r->step));
	set(o, "values", values);
	return o;
}

static json_t *
encode_event(const struct event *ev)
{
	json_t *o = checked(json_object());

	set(o, "kind", json_string(event_kind_to_string(ev->kind)));
	set(o, "check", json_string(ev->check));
	set(o, "series", string_or_null(ev->series, name_is_valid));
	set(o, "field", string_or_null(ev->field, field_ok));
	set(o, "state", json_string(check_state_to_string(ev->state)));
	set(o, "prev_state", json_string(check_state_to_string(ev->prev_state)));
	set(o, "value", number_or_null(ev->value));
	set(o, "threshold", number_or_null(ev->threshold));
	set(o, "time", json_integer(ev->time));
	set(o, "repeat", json_boolean(ev->repeat));
	set(o, "url", string_or_null(ev->url, url_ok));
	set(o, "reason", string_or_null(ev->reason, reason_ok));
	return o;
}

char *
wire_encode_batch(uint64_t seq, const struct record *records, size_t n_records,
	const struct event *events, size_t n_events)
{
	json_auto_t *batch = checked(json_object());
	json_t *recs = checked(json_array()), *evs = checked(json_array());
	char *text;

	/* seq is at most INT64_MAX: the decoder refuses anything else. */
	set(batch, "seq", json_integer((json_int_t)seq));
	set(batch, "records", recs);
	set(batch, "events", evs);
	for (size_t i = 0; i < n_records; i++)
		if (record_ok(&records[i]))
			append(recs, encode_record(&records[i]));
	for (size_t i = 0; i < n_events; i++)
		if (event_ok(&events[i]))
			append(evs, encode_event(&events[i]));
	/* 17 significant digits: every double reads back bit-identical. */
	text = json_dumps(batch, JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (!text)
		(void)checked(NULL);
	return text;
}

/* host is a valid name (our own): it needs no escaping. */
char *
wire_build_request(const char *host, char *const *batch_texts, size_t n,
	size_t *ret_len)
{
	static const char head1[] = "{\"version\":1,\"host\":\"";
	static const char head2[] = "\",\"batches\":[";
	static const char tail[] = "]}";
	size_t len, pos = 0;
	char *s;

	len = strlen(head1) + strlen(host) + strlen(head2) + strlen(tail);
	for (size_t i = 0; i < n; i++)
		len += strlen(batch_texts[i]) + (i > 0);
	s = xmalloc(len + 1);
#define PUT(str, l) (memcpy(s + pos, (str), (l)), pos += (l))
	PUT(head1, strlen(head1));
	PUT(host, strlen(host));
	PUT(head2, strlen(head2));
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			PUT(",", 1);
		PUT(batch_texts[i], strlen(batch_texts[i]));
	}
	PUT(tail, strlen(tail));
#undef PUT
	s[pos] = '\0';
	if (ret_len)
		*ret_len = pos;
	return s;
}
