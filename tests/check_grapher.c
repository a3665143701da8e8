/* SPDX-License-Identifier: MIT */
/*
 * grapher: the pool of healthmondctl children, on a real sd-event loop, with
 * a small shell script in a temporary directory standing in for
 * healthmondctl. Output delivery (also larger than a pipe's buffer, and
 * arguments passed verbatim), the first line of stderr as the error, exit
 * statuses, the timeout and the output cap, the cache, the queue limit,
 * cancelling queued and running jobs, freeing with children running and
 * from inside a callback, a clear error when SIGCHLD is not blocked, and
 * that no child is left unreaped. No assertion depends on how fast the
 * machine is.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "grapher.h"
#include "util.h"

#define DEADLINE (20 * USEC_PER_SEC)

static char *dir;    /* the test's temporary directory */
static char *script; /* dir/ctl.sh */
static sd_event *event;

/* What a done callback saw. */
struct result {
	int calls;
	int status;
	char *out; /* a NUL-terminated copy */
	size_t len;
	char *error;
	struct grapher **free_me; /* free the grapher from inside the callback */
};

static bool in_run; /* true while grapher_run() runs */

static void
on_done(int status, const void *out, size_t len, const char *error, void *userdata)
{
	struct result *r = userdata;

	ck_assert_msg(!in_run, "done called from within grapher_run()");
	r->calls++;
	r->status = status;
	free(r->out);
	free(r->error);
	r->out = out ? xstrndup(out, len) : NULL;
	r->len = len;
	r->error = error ? xstrdup(error) : NULL;
	if (r->free_me)
		*r->free_me = grapher_free(*r->free_me);
}

static void
result_done(struct result *r)
{
	free(r->out);
	free(r->error);
}

/* RUN(g, &result, "arg0", "arg1", ...): grapher_run() on a literal vector. */
#define RUN(g, r, ...) run(g, (char *[]){ __VA_ARGS__, NULL }, r, NULL)
#define RUN_JOB(g, r, job, ...) run(g, (char *[]){ __VA_ARGS__, NULL }, r, job)

static int
run(struct grapher *g, char *const *args, struct result *r,
	struct grapher_job **ret_job)
{
	int ret;

	in_run = true;
	ret = grapher_run(g, args, on_done, r, ret_job);
	in_run = false;
	return ret;
}

/* Runs the loop until *calls reaches n (or the deadline fails the test). */
static void
wait_calls(const int *calls, int n)
{
	uint64_t deadline = now_usec(CLOCK_MONOTONIC) + DEADLINE;

	while (*calls < n) {
		ck_assert_msg(now_usec(CLOCK_MONOTONIC) < deadline,
			"no callback in time");
		ck_assert_int_ge(sd_event_run(event, 100 * USEC_PER_MSEC), 0);
	}
}

/* Runs the loop until the grapher has exactly `running` children. */
static void
wait_running(struct grapher *g, size_t running)
{
	uint64_t deadline = now_usec(CLOCK_MONOTONIC) + DEADLINE;
	struct grapher_stats st;

	for (;;) {
		grapher_get_stats(g, &st);
		if (st.running == running)
			return;
		ck_assert_msg(now_usec(CLOCK_MONOTONIC) < deadline,
			"running %zu, not %zu", st.running, running);
		ck_assert_int_ge(sd_event_run(event, 100 * USEC_PER_MSEC), 0);
	}
}

/* Until the file exists (a child got that far). */
static void
wait_file(const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	uint64_t deadline = now_usec(CLOCK_MONOTONIC) + DEADLINE;
	struct stat st;

	while (stat(path, &st) < 0 || st.st_size == 0) {
		ck_assert_msg(now_usec(CLOCK_MONOTONIC) < deadline, "no %s in time",
			name);
		ck_assert_int_ge(sd_event_run(event, 20 * USEC_PER_MSEC), 0);
	}
}

static pid_t
read_pid(const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name), *text = NULL;
	int64_t pid;

	ck_assert_int_eq(read_file_at(NULL, path, 64, &text, NULL), 0);
	text[strcspn(text, "\n")] = '\0';
	ck_assert_int_eq(safe_atoi64(text, &pid), 0);
	return (pid_t)pid;
}

/* True once pid is gone or a zombie (of whoever reaps orphans here). */
static bool
process_gone(pid_t pid)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid), *text = NULL;
	const char *state;

	if (read_file_at(NULL, path, 4096, &text, NULL) < 0)
		return true;
	state = strrchr(text, ')');
	return !state || state[2] == 'Z' || state[2] == 'X';
}

static void
assert_gone(pid_t pid)
{
	uint64_t deadline = now_usec(CLOCK_MONOTONIC) + DEADLINE;

	while (!process_gone(pid)) {
		ck_assert_msg(now_usec(CLOCK_MONOTONIC) < deadline, "pid %d still runs",
			(int)pid);
		(void)usleep(10000);
	}
}

/* No child of ours is left, running or unreaped. */
static void
assert_no_children(void)
{
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

static void
setup(void)
{
	_cleanup_free_ char *text = NULL;
	sigset_t mask;

	/* As the daemon does: sd_event_add_child() needs SIGCHLD blocked. */
	(void)sigemptyset(&mask);
	(void)sigaddset(&mask, SIGCHLD);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &mask, NULL), 0);
	dir = test_mkdtemp();
	text = xasprintf("#!/bin/sh\n"
			 "D='%s'\n"
			 "case \"$1\" in\n"
			 "echo) shift; printf '%%s|' \"$@\"; echo ;;\n"
			 "fail) echo 'first line of the error' >&2\n"
			 "      echo second >&2; exit 3 ;;\n"
			 "quiet-fail) exit 3 ;;\n"
			 "usage) echo 'bad usage' >&2; exit 64 ;;\n"
			 "noisy) echo 'a warning' >&2; echo fine ;;\n"
			 "count) n=$(cat \"$D/count\" 2>/dev/null || echo 0)\n"
			 "       n=$((n + 1)); echo $n >\"$D/count\"\n"
			 "       echo \"run $n $2\" ;;\n"
			 /* The sleep's pid, written whole. */
			 "sleep) sleep \"$3\" & echo $! >\"$D/$2.tmp\"\n"
			 "       mv \"$D/$2.tmp\" \"$D/$2\"; wait; echo slept ;;\n"
			 "large) head -c 3000000 /dev/zero | tr '\\000' x ;;\n"
			 "huge) head -c 17000000 /dev/zero ;;\n"
			 "stdin) cat; echo \"end of stdin\" ;;\n"
			 "*) echo \"unknown command $1\" >&2; exit 64 ;;\n"
			 "esac\n",
		dir);
	test_write_file(dir, "ctl.sh", text);
	script = xasprintf("%s/ctl.sh", dir);
	ck_assert_int_eq(chmod(script, 0755), 0);
	ck_assert_int_ge(sd_event_new(&event), 0);
}

static void
teardown(void)
{
	event = sd_event_unref(event);
	test_rm_rf(dir);
	free(dir);
	free(script);
}

static struct grapher *
new_grapher(unsigned workers, size_t queued, unsigned ttl)
{
	struct grapher *g = NULL;

	ck_assert_int_eq(grapher_new(event, script, workers, queued, ttl, &g), 0);
	ck_assert_ptr_nonnull(g);
	return g;
}

START_TEST(test_output)
{
	struct grapher *g = new_grapher(2, 4, 0);
	struct result r = {};
	struct grapher_stats st;

	ck_assert_int_eq(RUN(g, &r, "echo", "a b", "", "--x=1"), 0);
	ck_assert_int_eq(r.calls, 0);
	wait_calls(&r.calls, 1);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "a b||--x=1|\n");
	ck_assert_ptr_null(r.error);
	grapher_get_stats(g, &st);
	ck_assert_uint_eq(st.runs, 1);
	ck_assert_uint_eq(st.failed, 0);
	ck_assert_uint_eq(st.running, 0);
	grapher_free(g);
	assert_no_children();
	result_done(&r);
}
END_TEST

START_TEST(test_large_output_and_stdin)
{
	struct grapher *g = new_grapher(2, 4, 0);
	struct result big = {}, in = {}, noisy = {};

	ck_assert_int_eq(RUN(g, &big, "large"), 0);
	ck_assert_int_eq(RUN(g, &in, "stdin"), 0);
	ck_assert_int_eq(RUN(g, &noisy, "noisy"), 0);
	wait_calls(&big.calls, 1);
	wait_calls(&in.calls, 1);
	wait_calls(&noisy.calls, 1);
	ck_assert_int_eq(big.status, 0);
	ck_assert_uint_eq(big.len, 3000000);
	ck_assert_uint_eq(strspn(big.out, "x"), 3000000);
	/* stdin is /dev/null: cat ends at once. */
	ck_assert_int_eq(in.status, 0);
	ck_assert_str_eq(in.out, "end of stdin\n");
	/* stderr does not matter when the child succeeds. */
	ck_assert_int_eq(noisy.status, 0);
	ck_assert_str_eq(noisy.out, "fine\n");
	grapher_free(g);
	assert_no_children();
	result_done(&big);
	result_done(&in);
	result_done(&noisy);
}
END_TEST

START_TEST(test_failures)
{
	struct grapher *g = new_grapher(4, 4, 60);
	struct result fail = {}, quiet = {}, usage = {};
	struct grapher_stats st;

	ck_assert_int_eq(RUN(g, &fail, "fail"), 0);
	ck_assert_int_eq(RUN(g, &quiet, "quiet-fail"), 0);
	ck_assert_int_eq(RUN(g, &usage, "usage"), 0);
	wait_calls(&fail.calls, 1);
	wait_calls(&quiet.calls, 1);
	wait_calls(&usage.calls, 1);
	ck_assert_int_eq(fail.status, -EIO);
	ck_assert_ptr_null(fail.out);
	ck_assert_str_eq(fail.error, "first line of the error");
	ck_assert_int_eq(quiet.status, -EIO);
	ck_assert_str_eq(quiet.error, "exited with status 3");
	ck_assert_int_eq(usage.status, -EINVAL);
	ck_assert_str_eq(usage.error, "bad usage");
	grapher_get_stats(g, &st);
	ck_assert_uint_eq(st.failed, 3);
	/* Failures are not cached. */
	ck_assert_int_eq(RUN(g, &fail, "fail"), 0);
	wait_calls(&fail.calls, 2);
	grapher_get_stats(g, &st);
	ck_assert_uint_eq(st.runs, 4);
	ck_assert_uint_eq(st.cache_hits, 0);
	grapher_free(g);
	assert_no_children();
	result_done(&fail);
	result_done(&quiet);
	result_done(&usage);
}
END_TEST

START_TEST(test_cannot_run)
{
	struct grapher *g = NULL;
	struct result r = {};

	ck_assert_int_eq(grapher_new(event, "/nonexistent/healthmondctl", 1, 1, 0, &g),
		0);
	ck_assert_int_eq(RUN(g, &r, "graph"), 0);
	ck_assert_int_eq(r.calls, 0);
	wait_calls(&r.calls, 1);
	ck_assert_int_eq(r.status, -ENOENT);
	ck_assert_ptr_nonnull(strstr(r.error, "/nonexistent/healthmondctl"));
	ck_assert_int_eq(run(g, (char *[]){ NULL }, &r, NULL), -EINVAL);
	grapher_free(g);
	result_done(&r);
}
END_TEST

START_TEST(test_sigchld_unblocked)
{
	struct grapher *g = new_grapher(1, 1, 0);
	struct result r = {};
	sigset_t mask;

	(void)sigemptyset(&mask);
	(void)sigaddset(&mask, SIGCHLD);
	ck_assert_int_eq(sigprocmask(SIG_UNBLOCK, &mask, NULL), 0);
	ck_assert_int_eq(RUN(g, &r, "echo"), 0);
	wait_calls(&r.calls, 1);
	ck_assert_int_eq(r.status, -EBUSY);
	ck_assert_ptr_nonnull(strstr(r.error, "SIGCHLD is not blocked"));
	/* The child that could not be watched was reaped at once. */
	assert_no_children();
	grapher_free(g);
	result_done(&r);
}
END_TEST

START_TEST(test_timeout)
{
	struct grapher *g = new_grapher(1, 1, 60);
	struct result r = {};
	struct grapher_stats st;
	pid_t sleeper;

	grapher_set_timeout(g, USEC_PER_SEC);
	ck_assert_int_eq(RUN(g, &r, "sleep", "sleeper", "30"), 0);
	wait_file("sleeper");
	wait_calls(&r.calls, 1);
	ck_assert_int_eq(r.status, -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(r.error, "timed out"));
	grapher_get_stats(g, &st);
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.running, 0);
	/* The kill reached what the child started, too. */
	sleeper = read_pid("sleeper");
	assert_gone(sleeper);
	assert_no_children();
	grapher_free(g);
	result_done(&r);
}
END_TEST

START_TEST(test_output_cap)
{
	struct grapher *g = new_grapher(1, 1, 60);
	struct result r = {};

	ck_assert_int_eq(RUN(g, &r, "huge"), 0);
	wait_calls(&r.calls, 1);
	ck_assert_int_eq(r.status, -EMSGSIZE);
	ck_assert_ptr_null(r.out);
	ck_assert_ptr_nonnull(strstr(r.error, "16 MiB"));
	wait_running(g, 0);
	assert_no_children();
	grapher_free(g);
	result_done(&r);
}
END_TEST

START_TEST(test_cache)
{
	struct grapher *g = new_grapher(1, 4, 60);
	struct result a = {}, b = {}, c = {};
	struct grapher_stats st;

	ck_assert_int_eq(RUN(g, &a, "count", "x"), 0);
	wait_calls(&a.calls, 1);
	ck_assert_str_eq(a.out, "run 1 x\n");
	/* The same arguments: from the cache, and still never from grapher_run(). */
	ck_assert_int_eq(RUN(g, &b, "count", "x"), 0);
	ck_assert_int_eq(b.calls, 0);
	wait_calls(&b.calls, 1);
	ck_assert_int_eq(b.status, 0);
	ck_assert_str_eq(b.out, "run 1 x\n");
	/* Other arguments run again; "count","x y" is not "count x","y". */
	ck_assert_int_eq(RUN(g, &c, "count", "x", "y"), 0);
	wait_calls(&c.calls, 1);
	ck_assert_str_eq(c.out, "run 2 x\n");
	grapher_get_stats(g, &st);
	ck_assert_uint_eq(st.runs, 2);
	ck_assert_uint_eq(st.cache_hits, 1);
	grapher_free(g);
	result_done(&a);
	result_done(&b);
	result_done(&c);
}
END_TEST

START_TEST(test_cache_expires)
{
	struct grapher *g = new_grapher(1, 4, 1);
	struct result a = {};
	struct grapher_stats st;

	ck_assert_int_eq(RUN(g, &a, "count"), 0);
	wait_calls(&a.calls, 1);
	ck_assert_str_eq(a.out, "run 1 \n");
	(void)usleep(1100 * 1000);
	ck_assert_int_eq(RUN(g, &a, "count"), 0);
	wait_calls(&a.calls, 2);
	ck_assert_str_eq(a.out, "run 2 \n");
	grapher_get_stats(g, &st);
	ck_assert_uint_eq(st.cache_hits, 0);
	grapher_free(g);
	result_done(&a);
}
END_TEST

START_TEST(test_queue_full)
{
	struct grapher *g = new_grapher(1, 1, 60);
	struct result r[3] = {};
	struct grapher_stats st;

	ck_assert_int_eq(RUN(g, &r[0], "sleep", "s0", "0.3"), 0);
	ck_assert_int_eq(RUN(g, &r[1], "sleep", "s1", "0.3"), 0);
	ck_assert_int_eq(RUN(g, &r[2], "sleep", "s2", "0.3"),
		-EAGAIN);
	grapher_get_stats(g, &st);
	ck_assert_uint_eq(st.refused, 1);
	ck_assert_uint_eq(st.queued, 2);
	/* One runs, one waits: still full. */
	wait_running(g, 1);
	grapher_get_stats(g, &st);
	ck_assert_uint_eq(st.queued, 1);
	ck_assert_int_eq(RUN(g, &r[2], "sleep", "s2", "0.3"),
		-EAGAIN);
	wait_calls(&r[0].calls, 1);
	/* A worker is free again: accepted. */
	ck_assert_int_eq(RUN(g, &r[2], "sleep", "s2", "0.3"), 0);
	wait_calls(&r[1].calls, 1);
	wait_calls(&r[2].calls, 1);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(r[i].status, 0);
		ck_assert_str_eq(r[i].out, "slept\n");
		result_done(&r[i]);
	}
	grapher_get_stats(g, &st);
	ck_assert_uint_eq(st.refused, 2);
	ck_assert_uint_eq(st.runs, 3);
	grapher_free(g);
	assert_no_children();
}
END_TEST

START_TEST(test_cancel)
{
	struct grapher *g = new_grapher(1, 4, 60);
	struct result running = {}, queued = {}, cached = {}, last = {};
	struct grapher_job *j_running, *j_queued, *j_cached;
	pid_t sleeper;

	ck_assert_int_eq(RUN(g, &cached, "echo", "c"), 0);
	wait_calls(&cached.calls, 1);
	ck_assert_int_eq(RUN_JOB(g, &running, &j_running, "sleep", "c0", "30"), 0);
	ck_assert_int_eq(RUN_JOB(g, &queued, &j_queued, "sleep", "c1", "30"), 0);
	/* A cache hit, cancelled before the loop could hand it out. */
	ck_assert_int_eq(RUN_JOB(g, &cached, &j_cached, "echo", "c"), 0);
	grapher_cancel(j_cached);
	ck_assert_int_eq(RUN(g, &last, "echo", "last"), 0);
	wait_file("c0");
	sleeper = read_pid("c0");
	grapher_cancel(j_queued);
	grapher_cancel(j_running);
	grapher_cancel(NULL);
	/* The next job runs once the cancelled child is reaped. */
	wait_calls(&last.calls, 1);
	ck_assert_str_eq(last.out, "last|\n");
	wait_running(g, 0);
	ck_assert_int_eq(running.calls, 0);
	ck_assert_int_eq(queued.calls, 0);
	ck_assert_int_eq(cached.calls, 1);
	assert_gone(sleeper);
	assert_no_children();
	grapher_free(g);
	result_done(&running);
	result_done(&queued);
	result_done(&cached);
	result_done(&last);
}
END_TEST

START_TEST(test_free_with_children)
{
	struct grapher *g = new_grapher(2, 4, 60);
	struct result r[3] = {};
	pid_t s0, s1;

	ck_assert_int_eq(RUN(g, &r[0], "sleep", "f0", "30"), 0);
	ck_assert_int_eq(RUN(g, &r[1], "sleep", "f1", "30"), 0);
	ck_assert_int_eq(RUN(g, &r[2], "sleep", "f2", "30"), 0);
	wait_file("f0");
	wait_file("f1");
	s0 = read_pid("f0");
	s1 = read_pid("f1");
	ck_assert_ptr_null(grapher_free(g));
	/* Nothing left to dispatch, no callback, no child. */
	ck_assert_int_ge(sd_event_run(event, 0), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(r[i].calls, 0);
	assert_no_children();
	assert_gone(s0);
	assert_gone(s1);
}
END_TEST

START_TEST(test_free_in_callback)
{
	struct grapher *g = new_grapher(1, 4, 60);
	struct result first = {}, second = {}, third = {};

	first.free_me = &g;
	ck_assert_int_eq(RUN(g, &first, "echo", "1"), 0);
	ck_assert_int_eq(RUN(g, &second, "echo", "2"), 0);
	wait_calls(&first.calls, 1);
	ck_assert_ptr_null(g);
	ck_assert_int_ge(sd_event_run(event, 0), 0);
	ck_assert_int_eq(second.calls, 0);
	assert_no_children();

	/* The same from a cache hit's callback. */
	g = new_grapher(1, 4, 60);
	ck_assert_int_eq(RUN(g, &third, "echo", "3"), 0);
	wait_calls(&third.calls, 1);
	third.free_me = &g;
	ck_assert_int_eq(RUN(g, &third, "echo", "3"), 0);
	ck_assert_int_eq(RUN(g, &second, "sleep", "x", "30"), 0);
	wait_calls(&third.calls, 2);
	ck_assert_ptr_null(g);
	assert_no_children();
	result_done(&first);
	result_done(&second);
	result_done(&third);
}
END_TEST

static Suite *
grapher_suite(void)
{
	Suite *s = suite_create("grapher");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_output);
	tcase_add_test(tc, test_large_output_and_stdin);
	tcase_add_test(tc, test_failures);
	tcase_add_test(tc, test_cannot_run);
	tcase_add_test(tc, test_sigchld_unblocked);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_output_cap);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_cache_expires);
	tcase_add_test(tc, test_queue_full);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_free_with_children);
	tcase_add_test(tc, test_free_in_callback);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(grapher_suite());
}
