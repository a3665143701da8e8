/* SPDX-License-Identifier: MIT */
/*
 * Tests of record.c: the schemas are valid RRD data source definitions, and
 * record batches name their series safely, start every value unknown and
 * grow without losing records.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "record.h"

static const struct schema *const schemas[] = {
	&schema_cpu, &schema_memory, &schema_swap, &schema_load,
	&schema_uptime, &schema_df, &schema_disk, &schema_if,
};

static bool
field_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FIELD_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
			    s[i] == '_'))
			return false;
	return true;
}

/* Each schema: a findable kind, at most RECORD_FIELDS_MAX unique, valid fields. */
START_TEST(test_schema_valid)
{
	const struct schema *s = schemas[_i];

	ck_assert_ptr_eq(record_schema_find(s->kind), s);
	ck_assert(name_is_valid(s->kind));
	ck_assert_uint_gt(s->n_fields, 0);
	ck_assert_uint_le(s->n_fields, RECORD_FIELDS_MAX);
	for (size_t i = 0; i < s->n_fields; i++) {
		const struct field_def *f = &s->fields[i];

		ck_assert_msg(field_name_ok(f->name), "%s.%s", s->kind, f->name);
		ck_assert_ptr_nonnull(f->unit);
		ck_assert(isnan(f->min) || isnan(f->max) || f->min < f->max);
		ck_assert_int_eq(record_field_index(s, f->name), (int)i);
	}
}
END_TEST

START_TEST(test_schema_lookup)
{
	ck_assert_ptr_null(record_schema_find("nope"));
	ck_assert_ptr_null(record_schema_find(""));
	ck_assert_int_eq(record_field_index(&schema_cpu, "user"), 0);
	ck_assert_int_eq(record_field_index(&schema_cpu, "idle"), 7);
	ck_assert_int_eq(record_field_index(&schema_cpu, "guest"), -ENOENT);
	ck_assert_int_eq(record_field_index(&schema_df, "bytes_pct"), 2);
	ck_assert_int_eq(record_field_index(&schema_if, "tx_drops"), 7);
}
END_TEST

START_TEST(test_add_names)
{
	struct record_batch b = { .time = 1700000000 };
	struct record *r;
	char longname[200];

	r = record_batch_add(&b, &schema_cpu, NULL);
	ck_assert_str_eq(r->series, "cpu");
	ck_assert_ptr_eq(r->schema, &schema_cpu);
	ck_assert_int_eq(r->time, 1700000000);
	r = record_batch_add(&b, &schema_cpu, "0");
	ck_assert_str_eq(r->series, "cpu-0");
	r = record_batch_add(&b, &schema_df, "mnt-my disk");
	ck_assert_str_eq(r->series, "df-mnt-my_disk");
	r = record_batch_add(&b, &schema_disk, "cciss/c0d0");
	ck_assert_str_eq(r->series, "disk-cciss_c0d0");
	r = record_batch_add(&b, &schema_if, "..");
	ck_assert(name_is_valid(r->series));
	ck_assert_ptr_null(strchr(r->series, '/'));
	ck_assert_str_ne(r->series, "if-..");
	r = record_batch_add(&b, &schema_if, "");
	ck_assert(name_is_valid(r->series));
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	r = record_batch_add(&b, &schema_df, longname);
	ck_assert(name_is_valid(r->series));
	ck_assert_uint_eq(strlen(r->series), NAME_MAX_LEN);
	ck_assert_int_eq(strncmp(r->series, "df-xxx", 6), 0);
	ck_assert_uint_eq(b.n, 7);
	record_batch_done(&b);
	ck_assert_ptr_null(b.records);
	ck_assert_uint_eq(b.n, 0);
}
END_TEST

START_TEST(test_values)
{
	struct record_batch b = { 0 };
	struct record *r = record_batch_add(&b, &schema_memory, NULL);

	for (size_t i = 0; i < RECORD_FIELDS_MAX; i++)
		ck_assert(isnan(r->values[i]));
	ck_assert_int_eq(record_set(r, "used_pct", 42.5), 0);
	ck_assert_double_eq(r->values[5], 42.5);
	ck_assert_int_eq(record_set(r, "total", 8e9), 0);
	ck_assert_double_eq(r->values[0], 8e9);
	ck_assert_int_eq(record_set(r, "bogus", 1), -ENOENT);
	for (size_t i = 1; i < RECORD_FIELDS_MAX; i++)
		if (i != 5)
			ck_assert(isnan(r->values[i]));
	record_batch_done(&b);
}
END_TEST

START_TEST(test_grow_and_clear)
{
	struct record_batch b = { .time = 5 };
	char name[16];

	for (unsigned i = 0; i < 100; i++) {
		struct record *r;

		(void)snprintf(name, sizeof(name), "%u", i);
		r = record_batch_add(&b, &schema_if, name);
		ck_assert_int_eq(record_set(r, "rx_bytes", i), 0);
	}
	ck_assert_uint_eq(b.n, 100);
	for (unsigned i = 0; i < 100; i++) {
		(void)snprintf(name, sizeof(name), "if-%u", i);
		ck_assert_str_eq(b.records[i].series, name);
		ck_assert_double_eq(b.records[i].values[0], i);
		ck_assert_int_eq(b.records[i].time, 5);
	}
	record_batch_clear(&b);
	ck_assert_uint_eq(b.n, 0);
	ck_assert_uint_ge(b.allocated, 100);
	(void)record_batch_add(&b, &schema_load, NULL);
	ck_assert_uint_eq(b.n, 1);
	ck_assert_str_eq(b.records[0].series, "load");
	record_batch_done(&b);
	/* Done twice is harmless: the batch is left empty. */
	record_batch_done(&b);
}
END_TEST

static Suite *
record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_schema_valid, 0, (int)ELEMENTSOF(schemas));
	tcase_add_test(tc, test_schema_lookup);
	tcase_add_test(tc, test_add_names);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_grow_and_clear);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(record_suite());
}
