/* SPDX-License-Identifier: MIT */
/*
 * writer: records handed over on one thread are written by the worker in
 * order; flush waits for them; a full queue refuses and counts; freeing
 * writes what is still queued.
 */
#include <check.h>
#include <errno.h>
#include <rrd.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "record.h"
#include "writer.h"

static struct record
memory_record(int64_t time, double total)
{
	struct record_batch b = { .time = time };
	struct record *r = record_batch_add(&b, &schema_memory, NULL);
	struct record copy;

	(void)record_set(r, "total", total);
	copy = *r;
	record_batch_done(&b);
	return copy;
}

static double
last_total(const char *dir, const char *host)
{
	_cleanup_free_ char *path = xasprintf("%s/%s/memory.rrd", dir, host);
	unsigned long n;
	char **names, **values;
	time_t last;
	double v;

	rrd_clear_error();
	ck_assert_int_eq(rrd_lastupdate_r(path, &last, &n, &names, &values), 0);
	v = strtod(values[0], NULL);
	for (unsigned long i = 0; i < n; i++) {
		free(names[i]);
		free(values[i]);
	}
	free(names);
	free(values);
	return v;
}

START_TEST(test_write_in_order)
{
	_cleanup_free_ char *dir = test_mkdtemp();
	struct writer *w = NULL;
	struct writer_stats st;

	ck_assert_int_eq(writer_new(store_new(dir, 10), 1000, &w), 0);
	/* 50 samples, 10 s apart, for two hosts; one stale sample in between. */
	for (int i = 1; i <= 50; i++) {
		struct record r = memory_record(1700000000 + i * 10, i);

		ck_assert_int_eq(writer_submit(w, "a", &r), 0);
		ck_assert_int_eq(writer_submit(w, "b", &r), 0);
	}
	struct record stale = memory_record(1700000000, 99);
	ck_assert_int_eq(writer_submit(w, "a", &stale), 0);
	writer_flush(w);
	writer_get_stats(w, &st);
	ck_assert_uint_eq(st.submitted, 101);
	ck_assert_uint_eq(st.written, 100);
	ck_assert_uint_eq(st.skipped, 1);
	ck_assert_uint_eq(st.failed, 0);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.series, 2);
	ck_assert_double_eq(last_total(dir, "a"), 50);
	ck_assert_double_eq(last_total(dir, "b"), 50);
	writer_free(w);
	test_rm_rf(dir);
}
END_TEST

START_TEST(test_full_queue_and_failures)
{
	_cleanup_free_ char *dir = test_mkdtemp();
	struct writer *w = NULL;
	struct writer_stats st;
	struct record r = memory_record(1700000000, 1);

	/* A queue of no room refuses everything, and says so. */
	ck_assert_int_eq(writer_new(store_new(dir, 10), 0, &w), 0);
	ck_assert_int_eq(writer_submit(w, "a", &r), -EAGAIN);
	writer_get_stats(w, &st);
	ck_assert_uint_eq(st.dropped, 1);
	ck_assert_uint_eq(st.submitted, 0);
	writer_free(w);

	/* A host directory that is a file: the store fails, the writer counts it. */
	test_write_file(dir, "blocked", "x");
	ck_assert_int_eq(writer_new(store_new(dir, 10), 10, &w), 0);
	ck_assert_int_eq(writer_submit(w, "blocked", &r), 0);
	writer_flush(w);
	writer_get_stats(w, &st);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_str_eq(st.last_failed_series, "memory");
	ck_assert_str_ne(st.last_error, "");
	writer_free(w);
	test_rm_rf(dir);
}
END_TEST

START_TEST(test_free_writes_what_is_queued)
{
	_cleanup_free_ char *dir = test_mkdtemp();
	_cleanup_free_ char *path = xasprintf("%s/h/memory.rrd", dir);
	struct writer *w = NULL;

	ck_assert_int_eq(writer_new(store_new(dir, 10), 100, &w), 0);
	for (int i = 1; i <= 20; i++) {
		struct record r = memory_record(1700000000 + i * 10, i);

		ck_assert_int_eq(writer_submit(w, "h", &r), 0);
	}
	writer_free(w); /* no flush: stopping must still write all 20 */
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_double_eq(last_total(dir, "h"), 20);
	test_rm_rf(dir);
}
END_TEST

static Suite *
writer_suite(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_write_in_order);
	tcase_add_test(tc, test_full_queue_and_failures);
	tcase_add_test(tc, test_free_writes_what_is_queued);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(writer_suite());
}
