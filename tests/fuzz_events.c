/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the recent-events file that the view loads at start
 * (view.c, view_new(path, keep, ...)): a damaged or hostile file must only
 * cost its bad lines. The input is the file's content, loaded with
 * view_load_events() from memory into a view that keeps KEEP events, so
 * that the ring wraps. Then: every line was kept or counted as damaged;
 * at most KEEP are kept, the newest, with ids strictly decreasing newest
 * first, each found by view_find_event(), with a valid host name and
 * states and kind inside their enums; every host of the view has a valid
 * name. The kept events, written as the compacted file would hold them,
 * load again without a damaged line and to the same events: a round-trip
 * oracle. A new event fed afterwards is numbered after the newest kept one,
 * written with that id, and survives a reload too (up to VIEW_EVENT_ID_MAX,
 * the largest id a file may hold). Built as a libFuzzer binary with
 * --enable-fuzzer (scripts/fuzz), and linked with tests/fuzz_main.c as a
 * replay driver that `make check` runs over tests/data/fuzz/events/.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "util.h"
#include "view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small, so that a few lines wrap the ring. */
#define KEEP 5

#define EXPECT(cond)                                                                 \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz_events: %s:%d: %s\n", __FILE__,         \
				__LINE__, #cond);                                    \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* The kept events, newest first. */
struct kept {
	const struct view_event *e[KEEP + 1];
	size_t n;
};

static bool
collect(const struct view_event *e, void *userdata)
{
	struct kept *k = userdata;

	EXPECT(k->n < ELEMENTSOF(k->e));
	k->e[k->n++] = e;
	return true;
}

static void
query(const struct view *v, struct kept *ret)
{
	const struct view_event_filter all = { .state = -1 };

	*ret = (struct kept){ .n = 0 };
	EXPECT(view_query_events(v, &all, collect, ret) == ret->n);
}

static void
expect_same_event(const struct view_event *a, const struct view_event *b)
{
	EXPECT(a->id == b->id);
	EXPECT(a->time == b->time);
	EXPECT(a->kind == b->kind);
	EXPECT(strcmp(a->host, b->host) == 0);
	EXPECT(strcmp(a->check, b->check) == 0);
	EXPECT(strcmp(a->series, b->series) == 0);
	EXPECT(strcmp(a->field, b->field) == 0);
	EXPECT(a->state == b->state);
	EXPECT(a->prev_state == b->prev_state);
	EXPECT(same_double(a->value, b->value));
	EXPECT(same_double(a->threshold, b->threshold));
	EXPECT(same_string(a->url, b->url));
	EXPECT(same_string(a->reason, b->reason));
	EXPECT(a->repeat == b->repeat);
}

/* The lines getline() splits text into. */
static size_t
count_lines(const uint8_t *data, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size > 0 && data[size - 1] != '\n');
}

/* A view keeping KEEP events, loaded from text as from its events file. */
static struct view *
load(const void *text, size_t len)
{
	struct view *v = NULL;
	char *error = NULL;
	FILE *f;

	EXPECT(view_new(NULL, KEEP, &v, &error) == 0 && v && !error);
	if (len == 0) /* fmemopen() refuses an empty buffer before glibc 2.22 */
		return v;
	f = fmemopen((void *)text, len, "r");
	EXPECT(f);
	view_load_events(v, f);
	EXPECT(fclose(f) == 0);
	return v;
}

/* e as a line of the events file, as compacting writes it; the caller frees it. */
static char *
line_of(const struct view_event *e)
{
	_cleanup_(json_decrefp) json_t *o = view_event_json(e);
	char *line;

	EXPECT(o);
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	EXPECT(line);
	return line;
}

static void
expect_sane(const struct view *v, const struct kept *k)
{
	for (size_t i = 0; i < k->n; i++) {
		const struct view_event *e = k->e[i];

		EXPECT(e->id > 0);
		EXPECT(i == 0 || e->id < k->e[i - 1]->id);
		EXPECT(view_find_event(v, e->id) == e);
		EXPECT(name_is_valid(e->host));
		EXPECT(e->check && e->series && e->field);
		EXPECT((unsigned)e->kind < _EVENT_KIND_MAX);
		EXPECT((unsigned)e->state < _CHECK_STATE_MAX);
		EXPECT((unsigned)e->prev_state < _CHECK_STATE_MAX);
	}
	for (size_t i = 0; i < view_host_count(v); i++) {
		const struct view_host *h = view_host_at(v, i);

		EXPECT(name_is_valid(h->name));
		EXPECT(i == 0 || strcmp(view_host_at(v, i - 1)->name, h->name) < 0);
		for (size_t j = 0; j < h->n_checks; j++) {
			EXPECT((unsigned)h->checks[j].state < _CHECK_STATE_MAX);
			EXPECT(!k->n || h->checks[j].event_id <= k->e[0]->id);
		}
	}
}

/* The kept events, written oldest first as compacting does, and loaded again. */
static struct view *
expect_round_trip(const struct kept *k)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0, allocated = 0;
	struct view_stats st;
	struct kept again;
	struct view *v;

	for (size_t i = k->n; i-- > 0;) {
		_cleanup_free_ char *line = line_of(k->e[i]);
		size_t n = strlen(line);

		text = xgrow(text, &allocated, len + n + 2, 4096, 1);
		memcpy(text + len, line, n);
		text[len + n] = '\n';
		len += n + 1;
	}
	v = load(text, len);
	view_get_stats(v, &st);
	if (st.damaged_lines) {
		fprintf(stderr, "fuzz_events: the kept events do not load again:\n%.*s",
			(int)len, text ? text : "");
		abort();
	}
	query(v, &again);
	EXPECT(again.n == k->n);
	for (size_t i = 0; i < k->n; i++)
		expect_same_event(k->e[i], again.e[i]);
	return v;
}

/*
 * An event fed after the load is numbered on, written with that id, and
 * survives a reload unless a hostile file took the numbering past what a
 * file may hold.
 */
static void
expect_numbered_on(struct view *v, struct view *reloaded)
{
	const struct event ev = {
		.kind = EVENT_DISK_SPACE, .host = "fuzz", .check = "disk_space",
		.series = "df-root", .field = "bytes_pct", .state = CHECK_CRITICAL,
		.prev_state = CHECK_OK, .value = 97, .threshold = 95, .time = 1,
	};
	_cleanup_free_ char *line = NULL;
	struct kept before, after;
	struct view_stats st;
	FILE *f;

	query(v, &before);
	view_feed_event(v, &ev);
	query(v, &after);
	EXPECT(after.n == MIN(before.n + 1, (size_t)KEEP));
	EXPECT(after.e[0]->id == (before.n ? before.e[0]->id : 0) + 1);
	EXPECT(strcmp(after.e[0]->host, "fuzz") == 0);
	expect_sane(v, &after);

	{
		_cleanup_(json_decrefp) json_t *o = view_event_json(after.e[0]);

		EXPECT(json_integer_value(json_object_get(o, "id")) ==
			(json_int_t)after.e[0]->id);
		EXPECT(json_integer_value(json_object_get(o, "id")) > 0);
	}
	if (after.e[0]->id > VIEW_EVENT_ID_MAX)
		return;
	line = line_of(after.e[0]);
	f = fmemopen(line, strlen(line), "r");
	EXPECT(f);
	view_load_events(reloaded, f);
	EXPECT(fclose(f) == 0);
	view_get_stats(reloaded, &st);
	if (st.damaged_lines) {
		fprintf(stderr, "fuzz_events: a new event does not load again: %s\n",
			line);
		abort();
	}
	query(reloaded, &before);
	EXPECT(before.n > 0);
	expect_same_event(after.e[0], before.e[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct view *v = load(data, size), *again;
	size_t lines = count_lines(data, size);
	struct view_stats st;
	struct kept k;

	view_get_stats(v, &st);
	EXPECT(st.damaged_lines <= lines);
	EXPECT(st.events_kept == MIN(lines - st.damaged_lines, (size_t)KEEP));
	EXPECT(st.events == 0 && st.write_errors == 0);
	query(v, &k);
	EXPECT(k.n == st.events_kept);
	EXPECT(k.n == 0 || k.e[0]->id <= VIEW_EVENT_ID_MAX);
	expect_sane(v, &k);
	again = expect_round_trip(&k);
	expect_numbered_on(v, again);
	view_free(again);
	view_free(v);
	return 0;
}
