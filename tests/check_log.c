/* SPDX-License-Identifier: MIT */
/* log: levels, names, errno suffixes, and complaints that do not flood. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "log.h"
#include "util.h"

struct captured {
	int n;
	int level[16];
	char msg[16][512];
};

static void
capture(int level, const char *msg, void *userdata)
{
	struct captured *c = userdata;

	if (c->n < 16) {
		c->level[c->n] = level;
		(void)snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s", msg);
	}
	c->n++;
}

START_TEST(test_names)
{
	for (int t = 0; t < _LOG_TARGET_MAX; t++)
		ck_assert_int_eq(log_target_from_string(log_target_to_string(t)), t);
	ck_assert_int_eq(log_target_from_string("file"), -EINVAL);
	for (int l = LOG_ERR; l <= LOG_DEBUG; l++)
		ck_assert_int_eq(log_level_from_string(log_level_to_string(l)), l);
	ck_assert_int_eq(log_level_from_string("emerg"), -EINVAL);
}
END_TEST

START_TEST(test_levels_and_errno)
{
	struct captured c = { 0 };

	log_set_sink(capture, &c);
	log_set_max_level(LOG_INFO);
	log_debug("hidden %d", 1);
	log_info("shown %d", 2);
	ck_assert_int_eq(log_warning_errno(-ENOENT, "open '%s'", "x"), -ENOENT);
	log_set_sink(NULL, NULL);

	ck_assert_int_eq(c.n, 2);
	ck_assert_int_eq(c.level[0], LOG_INFO);
	ck_assert_str_eq(c.msg[0], "shown 2");
	ck_assert_int_eq(c.level[1], LOG_WARNING);
	ck_assert_str_eq(c.msg[1], "open 'x': No such file or directory");
}
END_TEST

START_TEST(test_complaint_backoff)
{
	struct captured c = { 0 };
	struct complaint k = { 0 };
	uint64_t t = 1000 * USEC_PER_SEC;

	log_set_sink(capture, &c);
	log_set_max_level(LOG_DEBUG);
	/* Every 10 s for an hour: logged at start, after 60, 120, 240, 480... s. */
	for (int i = 0; i < 360; i++)
		log_complain(&k, t + (uint64_t)i * 10 * USEC_PER_SEC, LOG_ERR, "disk gone");
	/* Logged at 0, 60, 180, 420, 900 and 1860 s; the next would be at 3780 s. */
	ck_assert_int_eq(c.n, 6);
	ck_assert_str_eq(c.msg[0], "disk gone");
	ck_assert_ptr_nonnull(strstr(c.msg[1], "still failing after 60 s; 5 repeats not logged"));
	ck_assert(k.active);

	log_complain_clear(&k, t + 3600 * USEC_PER_SEC, "disk back");
	ck_assert_int_eq(c.n, 7);
	ck_assert_int_eq(c.level[6], LOG_NOTICE);
	ck_assert_str_eq(c.msg[6], "disk back (after 3600 s)");
	ck_assert(!k.active);
	/* Clearing what is not active says nothing. */
	log_complain_clear(&k, t, "again");
	ck_assert_int_eq(c.n, 7);
	log_set_sink(NULL, NULL);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_levels_and_errno);
	tcase_add_test(tc, test_complaint_backoff);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(log_suite());
}
