/* SPDX-License-Identifier: MIT */
/*
 * loop: periodic timers on a real sd-event loop stay on their grid (no
 * drift), skip and count runs missed while the loop was held up, and follow
 * a changed interval. No assertion depends on how fast the machine is.
 */
#include <check.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "loop.h"
#include "util.h"

#define INTERVAL (20 * USEC_PER_MSEC)

struct run_log {
	sd_event *e;
	struct periodic *p;
	int runs;
	int stop_after;
	uint64_t targets[16];
	uint64_t stall_usec; /* sleep this long in the second run */
};

static void
on_run(void *userdata)
{
	struct run_log *l = userdata;

	/* p->next_usec already points at the following run. */
	l->targets[l->runs] = l->p->next_usec;
	l->runs++;
	if (l->runs == 2 && l->stall_usec)
		(void)usleep((useconds_t)l->stall_usec);
	if (l->runs == l->stop_after)
		(void)sd_event_exit(l->e, 0);
}

static void
run_timer(struct run_log *l, uint64_t interval)
{
	ck_assert_int_eq(sd_event_new(&l->e), 0);
	ck_assert_int_eq(loop_periodic_new(l->e, interval, interval, on_run, l, &l->p), 0);
	ck_assert_int_ge(sd_event_loop(l->e), 0);
}

START_TEST(test_no_drift)
{
	struct run_log l = { .stop_after = 6 };

	run_timer(&l, INTERVAL);
	for (int i = 1; i < l.runs; i++) {
		uint64_t step = l.targets[i] - l.targets[i - 1];

		/* A slow machine may skip runs, but never leaves the grid. */
		ck_assert_uint_eq(step % INTERVAL, 0);
		ck_assert_uint_ge(step, INTERVAL);
	}
	loop_periodic_free(l.p);
	sd_event_unref(l.e);
}
END_TEST

START_TEST(test_missed_runs_are_skipped)
{
	struct run_log l = { .stop_after = 4, .stall_usec = 7 * INTERVAL / 2 };

	run_timer(&l, INTERVAL);
	/* Run 3 comes late, 2.5 intervals after its time; runs 4 and 5 are skipped. */
	ck_assert_uint_ge(l.p->missed, 2);
	for (int i = 1; i < l.runs; i++)
		ck_assert_uint_eq((l.targets[i] - l.targets[i - 1]) % INTERVAL, 0);
	loop_periodic_free(l.p);
	sd_event_unref(l.e);
}
END_TEST

START_TEST(test_set_interval)
{
	struct run_log l = { .stop_after = 3 };
	uint64_t before;

	ck_assert_int_eq(sd_event_new(&l.e), 0);
	ck_assert_int_eq(loop_periodic_new(l.e, INTERVAL, 0, on_run, &l, &l.p), 0);
	before = l.p->next_usec;
	ck_assert_int_eq(loop_periodic_set_interval(l.p, 2 * INTERVAL), 0);
	ck_assert_uint_eq(l.p->interval_usec, 2 * INTERVAL);
	ck_assert_uint_eq(l.p->next_usec, before + INTERVAL);
	ck_assert_int_eq(loop_periodic_set_interval(l.p, 0), -EINVAL);
	/* A restart puts the next run a whole interval after now. */
	ck_assert_int_eq(loop_periodic_restart(l.p), 0);
	ck_assert_uint_ge(l.p->next_usec, before + INTERVAL);
	ck_assert_int_ge(sd_event_loop(l.e), 0);
	ck_assert_int_eq(l.runs, 3);
	ck_assert_uint_eq((l.targets[2] - l.targets[1]) % (2 * INTERVAL), 0);
	loop_periodic_free(l.p);
	sd_event_unref(l.e);
}
END_TEST

static Suite *
loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_no_drift);
	tcase_add_test(tc, test_missed_runs_are_skipped);
	tcase_add_test(tc, test_set_interval);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(loop_suite());
}
