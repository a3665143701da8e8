/* SPDX-License-Identifier: MIT */
/*
 * Tests of counter.c: counter_delta()'s wrap-versus-reset rule, table-driven
 * at its edges, and the counter table's first readings, rates, resets and
 * forgetting of instances that vanish.
 */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "counter.h"

#define SEC(n) ((uint64_t)(n) * USEC_PER_SEC)

static const struct {
	uint64_t prev, cur;
	bool ok;
	uint64_t delta;
} delta_cases[] = {
	{ 0, 0, true, 0 },
	{ 100, 250, true, 150 },
	{ 5, UINT64_MAX, true, UINT64_MAX - 5 },
	/* A 32-bit counter wrapped. */
	{ UINT32_MAX - 99, 50, true, 150 },
	{ UINT32_MAX, 0, true, 1 },
	/* The wrapped increase must stay below 2^31. */
	{ (UINT64_C(1) << 31) + 1, 0, true, (UINT64_C(1) << 31) - 1 },
	{ UINT64_C(1) << 31, 0, false, 0 },
	/* A 32-bit counter reset: the "wrap" would be nearly 2^32. */
	{ 1000000, 5, false, 0 },
	{ 1, 0, false, 0 },
	/* A 64-bit counter wrapped. */
	{ UINT64_MAX - 9, 10, true, 20 },
	/* The wrapped increase must stay below 2^63. */
	{ (UINT64_C(1) << 63) + 1, 0, true, (UINT64_C(1) << 63) - 1 },
	{ UINT64_C(1) << 63, 0, false, 0 },
	/* A 64-bit counter reset. */
	{ UINT64_C(5000000000), 10, false, 0 },
	{ UINT64_C(1) << 32, 0, false, 0 },
};

START_TEST(test_delta)
{
	uint64_t d = 12345;
	bool ok = counter_delta(delta_cases[_i].prev, delta_cases[_i].cur, &d);

	ck_assert_msg(ok == delta_cases[_i].ok, "case %d: %" PRIu64 " -> %" PRIu64, _i,
		delta_cases[_i].prev, delta_cases[_i].cur);
	if (ok)
		ck_assert_uint_eq(d, delta_cases[_i].delta);
	else
		ck_assert_uint_eq(d, 12345);
}
END_TEST

START_TEST(test_first_reading)
{
	struct counter_table t = { 0 };
	uint64_t v[2] = { 100, 200 };
	double rates[2] = { -1, -1 };

	counter_table_begin(&t);
	ck_assert(!counter_table_update(&t, "eth0", v, 2, SEC(100), rates));
	counter_table_end(&t);
	ck_assert_double_eq(rates[0], -1);
	ck_assert_uint_eq(t.n, 1);
	counter_table_done(&t);
	ck_assert_ptr_null(t.entries);
}
END_TEST

START_TEST(test_rates)
{
	struct counter_table t = { 0 };
	uint64_t a[3] = { 1000, UINT32_MAX - 499, 900000 };
	uint64_t b[3] = { 6000, 1500, 300 };
	double rates[3];

	counter_table_begin(&t);
	(void)counter_table_update(&t, "eth0", a, 3, SEC(100), rates);
	counter_table_end(&t);
	counter_table_begin(&t);
	ck_assert(counter_table_update(&t, "eth0", b, 3, SEC(110), rates));
	counter_table_end(&t);
	ck_assert_double_eq_tol(rates[0], 5000.0 / 10, 1e-9);
	/* Wrapped: 500 to the top, then 1500. */
	ck_assert_double_eq_tol(rates[1], 2000.0 / 10, 1e-9);
	/* Reset: unknown, and only this one. */
	ck_assert(isnan(rates[2]));
	counter_table_done(&t);
}
END_TEST

START_TEST(test_deltas_elapsed)
{
	struct counter_table t = { 0 };
	uint64_t a[1] = { 10 }, b[1] = { 35 };
	double d[1];
	uint64_t elapsed = 0;

	counter_table_begin(&t);
	ck_assert(!counter_table_deltas(&t, "cpu", a, 1, 1000, d, &elapsed));
	ck_assert_uint_eq(elapsed, 0);
	counter_table_end(&t);
	counter_table_begin(&t);
	ck_assert(counter_table_deltas(&t, "cpu", b, 1, 1000 + 2500000, d, &elapsed));
	counter_table_end(&t);
	ck_assert_double_eq(d[0], 25);
	ck_assert_uint_eq(elapsed, 2500000);
	counter_table_done(&t);
}
END_TEST

START_TEST(test_no_time_passed)
{
	struct counter_table t = { 0 };
	uint64_t a[1] = { 10 }, b[1] = { 20 }, c[1] = { 50 };
	double r[1];

	counter_table_begin(&t);
	(void)counter_table_update(&t, "k", a, 1, SEC(5), r);
	ck_assert(!counter_table_update(&t, "k", b, 1, SEC(5), r));
	ck_assert(!counter_table_update(&t, "k", b, 1, SEC(4), r));
	/* The latest reading, 20 at 4 s, is the base of the next rate. */
	ck_assert(counter_table_update(&t, "k", c, 1, SEC(6), r));
	ck_assert_double_eq_tol(r[0], (50.0 - 20) / (6 - 4), 1e-9);
	counter_table_end(&t);
	counter_table_done(&t);
}
END_TEST

START_TEST(test_count_changes)
{
	struct counter_table t = { 0 };
	uint64_t v[3] = { 1, 2, 3 };
	double r[3];

	counter_table_begin(&t);
	(void)counter_table_update(&t, "k", v, 2, SEC(1), r);
	counter_table_end(&t);
	counter_table_begin(&t);
	ck_assert(!counter_table_update(&t, "k", v, 3, SEC(2), r));
	counter_table_end(&t);
	counter_table_begin(&t);
	ck_assert(counter_table_update(&t, "k", v, 3, SEC(3), r));
	counter_table_end(&t);
	counter_table_done(&t);
}
END_TEST

START_TEST(test_vanished_forgotten)
{
	struct counter_table t = { 0 };
	uint64_t v[1] = { 100 }, w[1] = { 200 };
	double r[1];

	counter_table_begin(&t);
	(void)counter_table_update(&t, "eth0", v, 1, SEC(0), r);
	(void)counter_table_update(&t, "veth1", v, 1, SEC(0), r);
	counter_table_end(&t);
	ck_assert_uint_eq(t.n, 2);

	/* veth1 is gone this cycle. */
	counter_table_begin(&t);
	ck_assert(counter_table_update(&t, "eth0", w, 1, SEC(10), r));
	counter_table_end(&t);
	ck_assert_uint_eq(t.n, 1);

	/* A veth1 that comes back starts afresh: no rate across its absence. */
	counter_table_begin(&t);
	ck_assert(!counter_table_update(&t, "veth1", w, 1, SEC(20), r));
	ck_assert(counter_table_update(&t, "eth0", w, 1, SEC(20), r));
	ck_assert_double_eq(r[0], 0);
	counter_table_end(&t);
	ck_assert_uint_eq(t.n, 2);
	counter_table_done(&t);
}
END_TEST

START_TEST(test_many_keys)
{
	struct counter_table t = { 0 };
	char key[16];
	double r[1];

	for (unsigned cycle = 0; cycle < 3; cycle++) {
		counter_table_begin(&t);
		/* Half the keys change every cycle: the table grows and shrinks. */
		for (unsigned i = 0; i < 100; i++) {
			uint64_t v[1] = { cycle * 10 + i };
			unsigned id = i < 50 ? i : i + cycle * 100;

			(void)snprintf(key, sizeof(key), "k%u", id);
			ck_assert(counter_table_update(&t, key, v, 1, SEC(cycle), r) ==
				(cycle > 0 && i < 50));
		}
		counter_table_end(&t);
		ck_assert_uint_eq(t.n, 100);
	}
	counter_table_done(&t);
}
END_TEST

static Suite *
counter_suite(void)
{
	Suite *s = suite_create("counter");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_delta, 0, (int)ELEMENTSOF(delta_cases));
	tcase_add_test(tc, test_first_reading);
	tcase_add_test(tc, test_rates);
	tcase_add_test(tc, test_deltas_elapsed);
	tcase_add_test(tc, test_no_time_passed);
	tcase_add_test(tc, test_count_changes);
	tcase_add_test(tc, test_vanished_forgotten);
	tcase_add_test(tc, test_many_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(counter_suite());
}
