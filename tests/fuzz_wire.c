/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the wire decoder, the code that reads what the
 * network sends the central. Any input must be refused cleanly (a class, a
 * matching errno and a printable message) or decoded; a decoded request is
 * then re-encoded batch by batch with wire_encode_batch() and
 * wire_build_request(), and must decode again to the same request, bit for
 * bit, and re-encode to the same text: a round-trip oracle. The input must
 * also decode with limits set to exactly its own counts: the decoder's
 * count before parsing never refuses a request within the limits. Built as a
 * libFuzzer binary with --enable-fuzzer (scripts/fuzz), and linked with
 * tests/fuzz_main.c as a replay driver that `make check` runs over the seed
 * corpus in tests/data/fuzz/wire/.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Generous: the oracle, not the limits, is under test here. */
static const struct wire_limits limits = { .max_batches = 1024,
	.max_records = 1 << 16, .max_events = 1 << 16 };

#define EXPECT(cond)                                                                 \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz_wire: %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			abort();                                                     \
		}                                                                    \
	} while (0)

static void
expect_same_record(const struct record *a, const struct record *b)
{
	EXPECT(strcmp(a->series, b->series) == 0);
	EXPECT(a->schema == b->schema);
	EXPECT(a->time == b->time);
	EXPECT(a->step == b->step);
	for (size_t i = 0; i < RECORD_FIELDS_MAX; i++)
		EXPECT(same_double(a->values[i], b->values[i]));
}

static void
expect_same_event(const struct event *a, const struct event *b)
{
	EXPECT(a->kind == b->kind);
	EXPECT(same_string(a->host, b->host));
	EXPECT(same_string(a->check, b->check));
	EXPECT(same_string(a->series, b->series));
	EXPECT(same_string(a->field, b->field));
	EXPECT(a->state == b->state);
	EXPECT(a->prev_state == b->prev_state);
	EXPECT(same_double(a->value, b->value));
	EXPECT(same_double(a->threshold, b->threshold));
	EXPECT(same_string(a->url, b->url));
	EXPECT(same_string(a->reason, b->reason));
	EXPECT(a->time == b->time);
	EXPECT(a->repeat == b->repeat);
}

static void
expect_same_request(const struct wire_request *a, const struct wire_request *b)
{
	EXPECT(strcmp(a->host, b->host) == 0);
	EXPECT(a->n_batches == b->n_batches);
	for (size_t i = 0; i < a->n_batches; i++) {
		const struct wire_batch *x = &a->batches[i], *y = &b->batches[i];

		EXPECT(x->seq == y->seq);
		EXPECT(x->n_records == y->n_records);
		EXPECT(x->n_events == y->n_events);
		for (size_t j = 0; j < x->n_records; j++)
			expect_same_record(&x->records[j], &y->records[j]);
		for (size_t j = 0; j < x->n_events; j++)
			expect_same_event(&x->events[j], &y->events[j]);
	}
}

/* The request as the agent would send it; the caller frees it. */
static char *
encode(const struct wire_request *req, size_t *ret_len)
{
	char **texts = xcalloc(req->n_batches, sizeof(*texts));
	char *body;

	for (size_t i = 0; i < req->n_batches; i++) {
		const struct wire_batch *b = &req->batches[i];

		texts[i] = wire_encode_batch(b->seq, b->records, b->n_records,
			b->events, b->n_events);
	}
	body = wire_build_request(req->host, texts, req->n_batches, ret_len);
	for (size_t i = 0; i < req->n_batches; i++)
		free(texts[i]);
	free(texts);
	return body;
}

/* Decodes the input again with limits of exactly its own size. */
static void
expect_fits_own_limits(const uint8_t *data, size_t size, const struct wire_request *req)
{
	struct wire_limits own = { .max_batches = req->n_batches };
	struct wire_request *again = NULL;
	char *msg = NULL;
	int r;

	for (size_t i = 0; i < req->n_batches; i++) {
		own.max_records += req->batches[i].n_records;
		own.max_events += req->batches[i].n_events;
	}
	r = wire_decode_request((const char *)data, size, &own, &again, NULL, &msg);
	if (r < 0) {
		fprintf(stderr, "fuzz_wire: refused within its own limits: %s\n", msg);
		abort();
	}
	expect_same_request(req, again);
	wire_request_free(again);
}

static void
expect_clean_refusal(int r, enum wire_error e, const char *msg)
{
	EXPECT(e > WIRE_OK && e < _WIRE_ERROR_MAX);
	EXPECT(r == (e == WIRE_LIMIT ? -EMSGSIZE :
			    e == WIRE_VERSION_BAD ? -EPROTO : -EBADMSG));
	EXPECT(msg && *msg);
	for (const char *p = msg; *p; p++)
		EXPECT(*p >= 0x20 && *p < 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_request *req = NULL, *again = NULL;
	enum wire_error e = WIRE_OK;
	char *msg = NULL, *body, *body2;
	size_t len, len2;
	int r;

	r = wire_decode_request((const char *)data, size, &limits, &req, &e, &msg);
	if (r < 0) {
		EXPECT(!req);
		expect_clean_refusal(r, e, msg);
		free(msg);
		return 0;
	}
	expect_fits_own_limits(data, size, req);
	body = encode(req, &len);
	r = wire_decode_request(body, len, &limits, &again, &e, &msg);
	if (r < 0) {
		fprintf(stderr, "fuzz_wire: re-encoded request refused: %s\n%s\n", msg,
			body);
		abort();
	}
	expect_same_request(req, again);
	body2 = encode(again, &len2);
	EXPECT(len == len2 && memcmp(body, body2, len) == 0);
	free(body2);
	free(body);
	wire_request_free(again);
	wire_request_free(req);
	return 0;
}
