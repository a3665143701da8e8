/* SPDX-License-Identifier: MIT */
/*
 * view: hosts, latest values and check states as fed; events kept newest
 * first, filtered, bounded, and found again after a restart; a damaged
 * events file costs its damaged lines only.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "view.h"

static struct event
event_at(const char *host, const char *check, enum check_state state, int64_t time)
{
	return (struct event){
		.kind = event_kind_of(check, state, NULL, 1),
		.host = host,
		.check = check,
		.series = "df-root",
		.field = "bytes_pct",
		.state = state,
		.prev_state = CHECK_OK,
		.value = 96.5,
		.threshold = 95,
		.time = time,
	};
}

static bool
collect_ids(const struct view_event *e, void *userdata)
{
	char *buf = userdata;

	(void)sprintf(buf + strlen(buf), "%llu ", (unsigned long long)e->id);
	return true;
}

START_TEST(test_records_and_hosts)
{
	_cleanup_(view_freep) struct view *v = NULL;
	_cleanup_free_ char *error = NULL;
	struct record_batch b = { .time = 1700000100 };
	struct record *r;
	const struct view_host *h;
	const struct view_series *s;

	ck_assert_int_eq(view_new(NULL, 10, &v, &error), 0);
	(void)view_add_host(v, "zeta", true);
	r = record_batch_add(&b, &schema_memory, NULL);
	(void)record_set(r, "total", 1000);
	view_feed_record(v, "alpha", r);
	record_batch_done(&b);

	ck_assert_uint_eq(view_host_count(v), 2);
	ck_assert_str_eq(view_host_at(v, 0)->name, "alpha");
	ck_assert(view_host_at(v, 1)->local);
	h = view_find_host(v, "alpha");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(h->last_report, 1700000100);
	s = view_find_series(h, "memory");
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->n_fields, schema_memory.n_fields);
	ck_assert_str_eq(s->fields[0], schema_memory.fields[0].name);
	ck_assert_double_eq(s->values[record_field_index(&schema_memory, "total")], 1000);
	ck_assert_ptr_null(view_find_host(v, "nope"));
	ck_assert_int_eq(view_host_state(h), CHECK_OK);
}
END_TEST

START_TEST(test_checks_and_states)
{
	_cleanup_(view_freep) struct view *v = NULL;
	_cleanup_free_ char *error = NULL;
	struct event ev = event_at("db1", "disk_space", CHECK_CRITICAL, 1700000200);
	const struct view_host *h;

	ck_assert_int_eq(view_new(NULL, 10, &v, &error), 0);
	view_set_check(v, "db1", "memory", "memory", "used_pct", CHECK_WARNING, 91, 90, 95,
		1700000000);
	view_feed_event(v, &ev);
	h = view_find_host(v, "db1");
	ck_assert_uint_eq(h->n_checks, 2);
	/* Sorted by check name. */
	ck_assert_str_eq(h->checks[0].check, "disk_space");
	ck_assert_int_eq(h->checks[0].state, CHECK_CRITICAL);
	ck_assert_int_eq(h->checks[0].since, 1700000200);
	ck_assert_double_eq(h->checks[0].threshold, 95);
	ck_assert_uint_eq(h->checks[0].event_id, 1);
	ck_assert_double_eq(h->checks[1].warning, 90);
	ck_assert_int_eq(view_host_state(h), CHECK_CRITICAL);
	ck_assert_int_eq(view_worst_state(v), CHECK_CRITICAL);

	/* A reminder keeps the start of the state. */
	ev.repeat = true;
	ev.prev_state = CHECK_CRITICAL;
	ev.time = 1700000500;
	view_feed_event(v, &ev);
	ck_assert_int_eq(view_find_host(v, "db1")->checks[0].since, 1700000200);

	/* Recovery. */
	ev = event_at("db1", "disk_space", CHECK_OK, 1700000600);
	view_feed_event(v, &ev);
	h = view_find_host(v, "db1");
	ck_assert_int_eq(h->checks[0].state, CHECK_OK);
	ck_assert_int_eq(h->checks[0].since, 1700000600);
	ck_assert_int_eq(view_host_state(h), CHECK_WARNING);

	view_set_silent(v, "db1", true);
	ck_assert_int_eq(view_host_state(view_find_host(v, "db1")), CHECK_UNKNOWN);
}
END_TEST

START_TEST(test_query_filters)
{
	_cleanup_(view_freep) struct view *v = NULL;
	_cleanup_free_ char *error = NULL;
	struct view_event_filter f = { .state = -1 };
	char ids[256] = "";

	ck_assert_int_eq(view_new(NULL, 100, &v, &error), 0);
	for (int i = 0; i < 6; i++) {
		struct event ev = event_at(i % 2 ? "a" : "b", i % 3 ? "disk_space" : "memory",
			i % 2 ? CHECK_CRITICAL : CHECK_OK, 1000 + i);

		view_feed_event(v, &ev);
	}
	ck_assert_uint_eq(view_query_events(v, &f, collect_ids, ids), 6);
	ck_assert_str_eq(ids, "6 5 4 3 2 1 ");
	ids[0] = '\0';
	f = (struct view_event_filter){ .host = "a", .state = CHECK_CRITICAL };
	ck_assert_uint_eq(view_query_events(v, &f, collect_ids, ids), 3);
	ck_assert_str_eq(ids, "6 4 2 ");
	ids[0] = '\0';
	f = (struct view_event_filter){ .state = -1, .check = "memory", .since = 1001,
		.until = 1004 };
	ck_assert_uint_eq(view_query_events(v, &f, collect_ids, ids), 1);
	ck_assert_str_eq(ids, "4 ");
	ids[0] = '\0';
	f = (struct view_event_filter){ .state = -1, .limit = 2 };
	ck_assert_uint_eq(view_query_events(v, &f, collect_ids, ids), 2);
	ck_assert_str_eq(ids, "6 5 ");
	ck_assert_ptr_nonnull(view_find_event(v, 3));
	ck_assert_ptr_null(view_find_event(v, 7));
}
END_TEST

START_TEST(test_kept_across_restarts_and_bounded)
{
	_cleanup_free_ char *dir = test_mkdtemp();
	_cleanup_free_ char *path = xasprintf("%s/events.jsonl", dir);
	_cleanup_free_ char *error = NULL, *text = NULL;
	struct view_event_filter f = { .state = -1 };
	struct view *v = NULL;
	struct view_stats st;
	char ids[256] = "";
	size_t len, lines = 0;

	ck_assert_int_eq(view_new(path, 5, &v, &error), 0);
	for (int i = 0; i < 23; i++) {
		struct event ev = event_at("web1", "disk_space", CHECK_WARNING, 2000 + i);

		ev.url = i == 22 ? "http://x/\"quoted\"\n" : NULL;
		view_feed_event(v, &ev);
	}
	view_get_stats(v, &st);
	ck_assert_uint_eq(st.events_kept, 5);
	ck_assert_uint_eq(st.events, 23);
	ck_assert_uint_eq(st.write_errors, 0);
	/* The file never holds more than twice what is kept. */
	ck_assert_int_eq(read_file_at(NULL, path, 1 << 20, &text, &len), 0);
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	ck_assert_uint_le(lines, 10);
	v = view_free(v);

	ck_assert_int_eq(view_new(path, 5, &v, &error), 0);
	ck_assert_uint_eq(view_query_events(v, &f, collect_ids, ids), 5);
	ck_assert_str_eq(ids, "23 22 21 20 19 ");
	ck_assert_str_eq(view_find_event(v, 23)->url, "http://x/\"quoted\"\n");
	/* Numbering goes on, and the check instance came back from the events. */
	{
		struct event ev = event_at("web1", "disk_space", CHECK_OK, 3000);

		view_feed_event(v, &ev);
	}
	ck_assert_ptr_nonnull(view_find_event(v, 24));
	ck_assert_int_eq(view_find_host(v, "web1")->checks[0].state, CHECK_OK);
	view_free(v);
	test_rm_rf(dir);
}
END_TEST

START_TEST(test_damaged_lines_skipped)
{
	_cleanup_free_ char *dir = test_mkdtemp();
	_cleanup_free_ char *path = xasprintf("%s/events.jsonl", dir);
	_cleanup_(view_freep) struct view *v = NULL;
	_cleanup_free_ char *error = NULL;
	struct view_event_filter f = { .state = -1 };
	struct view_stats st;
	char ids[64] = "";

	test_write_file(dir, "events.jsonl",
		"{\"id\":1,\"time\":5,\"kind\":\"disk_space\",\"host\":\"h\",\"check\":\"disk_space\","
		"\"series\":\"df-root\",\"field\":\"bytes_pct\",\"state\":\"critical\","
		"\"prev_state\":\"ok\",\"value\":97,\"threshold\":95,\"url\":null,\"reason\":null,"
		"\"repeat\":false}\n"
		"not json\n"
		"{\"id\":2,\"time\":6,\"kind\":\"nonsense\",\"host\":\"h\"}\n"
		"{\"id\":3,\"time\":7,\"kind\":\"disk_space\",\"host\":\"../x\",\"check\":\"c\","
		"\"series\":\"s\",\"field\":\"f\",\"state\":\"ok\",\"prev_state\":\"ok\"}\n"
		"{\"id\":4,\"time\":8,\"kind\":\"disk_sp");
	ck_assert_int_eq(view_new(path, 10, &v, &error), 0);
	view_get_stats(v, &st);
	ck_assert_uint_eq(st.damaged_lines, 4);
	ck_assert_uint_eq(view_query_events(v, &f, collect_ids, ids), 1);
	ck_assert_str_eq(ids, "1 ");
	ck_assert_int_eq(view_find_host(v, "h")->checks[0].state, CHECK_CRITICAL);
	test_rm_rf(dir);
}
END_TEST

START_TEST(test_unwritable_file_refused)
{
	_cleanup_free_ char *error = NULL;
	struct view *v = NULL;

	ck_assert_int_lt(view_new("/nonexistent-dir/events.jsonl", 10, &v, &error), 0);
	ck_assert_ptr_nonnull(error);
	ck_assert_ptr_null(v);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("view");

	tcase_add_test(tc, test_records_and_hosts);
	tcase_add_test(tc, test_checks_and_states);
	tcase_add_test(tc, test_query_filters);
	tcase_add_test(tc, test_kept_across_restarts_and_bounded);
	tcase_add_test(tc, test_damaged_lines_skipped);
	tcase_add_test(tc, test_unwritable_file_refused);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
