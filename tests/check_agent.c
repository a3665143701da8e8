/* SPDX-License-Identifier: MIT */
/*
 * agent: a whole cycle from a fixture /proc tree to RRD files on disk, the
 * data directory's resolution, and a clear error when it is not writable.
 */
#include <check.h>
#include <rrd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "common.h"
#include "conf.h"
#include "util.h"

struct captured {
	int n;
	char last[512];
};

static void
capture(int level, const char *msg, void *userdata)
{
	struct captured *c = userdata;

	c->n++;
	(void)snprintf(c->last, sizeof(c->last), "%s", msg);
}

static struct hm_conf *
fixture_conf(const char *datadir)
{
	struct hm_conf *c = conf_new_default();

	free(c->root_dir);
	c->root_dir = test_data_path("root-a");
	c->datadir = xstrdup(datadir);
	c->hostname = xstrdup("fixture-host");
	return c;
}

static bool
exists(const char *dir, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/fixture-host/%s", dir, name);

	return access(p, F_OK) == 0;
}

START_TEST(test_cycle_writes_rrds)
{
	_cleanup_free_ char *dir = test_mkdtemp(), *rrd = NULL;
	_cleanup_(conf_freep) struct hm_conf *c = fixture_conf(dir);
	_cleanup_(agent_freep) struct agent *a = NULL;
	const struct agent_status *st;
	time_t last;
	unsigned long ds_cnt;
	char **ds_names, **last_ds;

	ck_assert_int_eq(agent_new(c, &a), 0);
	ck_assert_str_eq(agent_hostname(a), "fixture-host");
	ck_assert_str_eq(agent_datadir(a), dir);
	agent_run_cycle(a);
	/* RRD files are written by the writer thread. */
	agent_flush(a);
	st = agent_get_status(a);
	ck_assert_uint_eq(st->cycles, 1);
	ck_assert_uint_eq(st->errors, 0);
	ck_assert_uint_ge(st->series, 4);
	ck_assert(exists(dir, "memory.rrd"));
	ck_assert(exists(dir, "load.rrd"));
	ck_assert(exists(dir, "uptime.rrd"));
	ck_assert(exists(dir, "swap.rrd"));

	/* The fixture's MemTotal (8000000 kB) is what the RRD holds. */
	rrd = xasprintf("%s/fixture-host/memory.rrd", dir);
	rrd_clear_error();
	ck_assert_int_eq(rrd_lastupdate_r(rrd, &last, &ds_cnt, &ds_names, &last_ds), 0);
	ck_assert_str_eq(ds_names[0], "total");
	ck_assert_double_eq(strtod(last_ds[0], NULL), 8000000.0 * 1024);
	for (unsigned long i = 0; i < ds_cnt; i++) {
		free(ds_names[i]);
		free(last_ds[i]);
	}
	free(ds_names);
	free(last_ds);
	test_rm_rf(dir);
}
END_TEST

START_TEST(test_state_directory)
{
	_cleanup_free_ char *dir = test_mkdtemp(), *env = NULL;
	_cleanup_(conf_freep) struct hm_conf *c = fixture_conf(dir);
	_cleanup_(agent_freep) struct agent *a = NULL;

	/* StateDirectory= may hand over several paths: the first one is ours. */
	free(c->datadir);
	c->datadir = NULL;
	env = xasprintf("%s:/nonexistent/second", dir);
	ck_assert_int_eq(setenv("STATE_DIRECTORY", env, 1), 0);
	ck_assert_int_eq(agent_new(c, &a), 0);
	ck_assert_str_eq(agent_datadir(a), dir);
	ck_assert_int_eq(unsetenv("STATE_DIRECTORY"), 0);
	test_rm_rf(dir);
}
END_TEST

START_TEST(test_unwritable_datadir)
{
	_cleanup_free_ char *dir = test_mkdtemp(), *blocker = NULL;
	_cleanup_(conf_freep) struct hm_conf *c = NULL;
	struct agent *a = NULL;
	struct captured cap = { 0 };

	/* A regular file where the data directory should be: even root cannot write. */
	test_write_file(dir, "blocker", "x");
	blocker = xasprintf("%s/blocker", dir);
	c = fixture_conf(blocker);
	log_set_sink(capture, &cap);
	ck_assert_int_lt(agent_new(c, &a), 0);
	log_set_sink(NULL, NULL);
	ck_assert_ptr_null(a);
	ck_assert_int_eq(cap.n, 1);
	ck_assert_ptr_nonnull(strstr(cap.last, "set 'datadir'"));
	ck_assert_ptr_nonnull(strstr(cap.last, blocker));
	test_rm_rf(dir);
}
END_TEST

static Suite *
agent_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_cycle_writes_rrds);
	tcase_add_test(tc, test_state_directory);
	tcase_add_test(tc, test_unwritable_datadir);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(agent_suite());
}
