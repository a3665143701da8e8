/* SPDX-License-Identifier: MIT */
/*
 * spool: the on-disk batch queue in a mkdtemp directory. Order of append,
 * peek and ack; names and contents of the files; persistence across a
 * close and reopen and across a process killed right after an append;
 * sequence numbers never reused, also when every batch was acked; the byte
 * limit dropping exactly the oldest batches and saying what went; peek's
 * coalescing limits; leftovers of a crash, damaged and foreign files;
 * damaged state; the lock; failures that must not drop anything.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "spool.h"
#include "util.h"

static char *dir;      /* the test's temporary directory */
static char *spooldir; /* dir/spool: spool_open() makes it */

static void
setup(void)
{
	dir = test_mkdtemp();
	spooldir = xasprintf("%s/spool", dir);
	/*
	 * A spool that once counted to 0: numbering from 1 keeps the tests
	 * readable. test_fresh_start opens one without any state.
	 */
	ck_assert_int_eq(mkdir(spooldir, 0700), 0);
	test_write_file(spooldir, "state", "0\n");
}

static void
teardown(void)
{
	test_rm_rf(dir);
	free(dir);
	free(spooldir);
}

static struct spool *
open_spool(uint64_t max_bytes)
{
	struct spool *s = NULL;

	ck_assert_int_eq(spool_open(spooldir, max_bytes, &s), 0);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Appends a batch whose text is "batch SEQ" padded with '.' to size bytes. */
static uint64_t
append_sized(struct spool *s, unsigned records, size_t size, struct spool_loss *loss)
{
	uint64_t seq = spool_next_seq(s);
	_cleanup_free_ char *text = xmalloc(size + 1);
	int n = snprintf(text, size + 1, "batch %" PRIu64, seq);

	ck_assert_uint_le((size_t)n, size);
	memset(text + n, '.', size - (size_t)n);
	text[size] = '\0';
	ck_assert_int_eq(spool_append(s, seq, text, size, records, loss), 0);
	return seq;
}

static uint64_t
append(struct spool *s, unsigned records)
{
	struct spool_loss loss;
	uint64_t seq = append_sized(s, records, 32, &loss);

	ck_assert_uint_eq(loss.batches, 0);
	return seq;
}

static bool
file_exists(const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", spooldir, name);

	return access(path, F_OK) == 0;
}

static size_t
count_files(void)
{
	_cleanup_free_ char *cmd = xasprintf("ls -A '%s' | wc -l", spooldir);
	FILE *p = popen(cmd, "r");
	unsigned n = 0;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%u", &n), 1);
	ck_assert_int_eq(pclose(p), 0);
	return n;
}

static void
check_peek(struct spool *s, size_t max_batches, size_t max_bytes, uint64_t first_seq,
	size_t want_n)
{
	struct spool_batch *b = NULL;
	size_t n = 99;

	ck_assert_int_eq(spool_peek(s, max_batches, max_bytes, &b, &n), 0);
	ck_assert_uint_eq(n, want_n);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *prefix = xasprintf("batch %" PRIu64 ".",
			first_seq + i);

		ck_assert_uint_eq(b[i].seq, first_seq + i);
		ck_assert_uint_eq(strlen(b[i].text), b[i].len);
		ck_assert_msg(strncmp(b[i].text, prefix, strlen(prefix)) == 0,
			"batch %zu reads '%s'", i, b[i].text);
	}
	spool_batches_free(b, n);
}

START_TEST(test_order)
{
	_cleanup_(spool_freep) struct spool *s = open_spool(1 << 20);
	struct spool_stats st;

	ck_assert_uint_eq(spool_next_seq(s), 1);
	check_peek(s, 10, 1 << 20, 1, 0);
	for (unsigned i = 1; i <= 5; i++)
		ck_assert_uint_eq(append(s, i), i);
	spool_get_stats(s, &st);
	ck_assert_uint_eq(st.batches, 5);
	ck_assert_uint_eq(st.bytes, 5 * 32);
	ck_assert_uint_eq(st.records, 1 + 2 + 3 + 4 + 5);
	ck_assert_uint_eq(st.next_seq, 6);
	ck_assert_uint_eq(st.oldest_seq, 1);
	check_peek(s, 10, 1 << 20, 1, 5);
	check_peek(s, 2, 1 << 20, 1, 2);
	/* Peeking does not consume. */
	check_peek(s, 1, 1 << 20, 1, 1);
	ck_assert_int_eq(spool_ack(s, 2), 2);
	check_peek(s, 10, 1 << 20, 3, 3);
	ck_assert_int_eq(spool_ack(s, 2), 0);
	ck_assert_int_eq(spool_ack(s, 4), 2);
	spool_get_stats(s, &st);
	ck_assert_uint_eq(st.batches, 1);
	ck_assert_uint_eq(st.bytes, 32);
	ck_assert_uint_eq(st.records, 5);
	ck_assert_uint_eq(st.oldest_seq, 5);
	ck_assert_int_eq(spool_ack(s, 5), 1);
	spool_get_stats(s, &st);
	ck_assert_uint_eq(st.batches, 0);
	ck_assert_uint_eq(st.bytes, 0);
	ck_assert_uint_eq(st.oldest_seq, 0);
	ck_assert_int_eq(st.oldest_time, 0);
	check_peek(s, 10, 1 << 20, 6, 0);
}
END_TEST

/* Appends, acks in uneven steps, appends again: the index compacts and grows. */
START_TEST(test_many)
{
	_cleanup_(spool_freep) struct spool *s = open_spool(1 << 20);
	uint64_t acked = 0;

	for (unsigned round = 0; round < 5; round++) {
		for (unsigned i = 0; i < 70; i++)
			(void)append(s, 1);
		acked += 37 + round;
		ck_assert_int_eq(spool_ack(s, acked), 37 + (int)round);
		check_peek(s, 1000, 1 << 20, acked + 1, spool_next_seq(s) - acked - 1);
	}
}
END_TEST

START_TEST(test_files)
{
	_cleanup_(spool_freep) struct spool *s = open_spool(1 << 20);
	_cleanup_free_ char *text = NULL;
	size_t len;

	ck_assert_int_eq(spool_append(s, 1, "{\"seq\":1}", 9, 30, NULL), 0);
	(void)append(s, 0);
	ck_assert(file_exists("00000000000000000001-30.batch"));
	ck_assert(file_exists("00000000000000000002-0.batch"));
	/* No temporary file; the state is not rewritten while a batch holds the number. */
	ck_assert_uint_eq(count_files(), 3);
	ck_assert_int_eq(read_file_at(spooldir, "state", 100, &text, &len), 0);
	ck_assert_str_eq(text, "0\n");
	free(text);
	text = NULL;
	ck_assert_int_eq(read_file_at(spooldir, "00000000000000000001-30.batch", 100,
				 &text, &len),
		0);
	ck_assert_str_eq(text, "{\"seq\":1}");
	ck_assert_int_eq(spool_ack(s, 1), 1);
	ck_assert(!file_exists("00000000000000000001-30.batch"));
}
END_TEST

START_TEST(test_reopen)
{
	struct spool *s = open_spool(1 << 20);
	struct spool_stats st;
	struct timespec old[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };
	_cleanup_free_ char *oldest = NULL;

	for (unsigned i = 1; i <= 3; i++)
		(void)append(s, i);
	spool_get_stats(s, &st);
	ck_assert_int_ge(st.oldest_time, (int64_t)time(NULL) - 5);
	ck_assert_int_le(st.oldest_time, (int64_t)time(NULL));
	s = spool_free(s);

	/* The age of the oldest batch comes from its file after a restart. */
	oldest = xasprintf("%s/00000000000000000001-1.batch", spooldir);
	ck_assert_int_eq(utimensat(AT_FDCWD, oldest, old, 0), 0);
	s = open_spool(1 << 20);
	spool_get_stats(s, &st);
	ck_assert_uint_eq(st.batches, 3);
	ck_assert_uint_eq(st.records, 6);
	ck_assert_uint_eq(st.bytes, 96);
	ck_assert_uint_eq(st.next_seq, 4);
	ck_assert_int_eq(st.oldest_time, 1000000000);
	ck_assert_uint_eq(st.cleaned, 0);
	check_peek(s, 10, 1 << 20, 1, 3);
	ck_assert_uint_eq(append(s, 1), 4);
	spool_free(s);
}
END_TEST

/* Every batch acked, then restarts: numbering goes on from the state file. */
START_TEST(test_seq_not_reused)
{
	struct spool *s = open_spool(1 << 20);
	_cleanup_free_ char *state = NULL;
	size_t len;

	for (unsigned i = 1; i <= 3; i++)
		(void)append(s, 1);
	ck_assert_int_eq(read_file_at(spooldir, "state", 100, &state, &len), 0);
	ck_assert_str_eq(state, "0\n");
	free(state);
	state = NULL;
	ck_assert_int_eq(spool_ack(s, 3), 3);
	ck_assert_int_eq(read_file_at(spooldir, "state", 100, &state, &len), 0);
	ck_assert_str_eq(state, "3\n");
	ck_assert_uint_eq(count_files(), 1);
	s = spool_free(s);

	s = open_spool(1 << 20);
	ck_assert_uint_eq(spool_next_seq(s), 4);
	s = spool_free(s);
	/* Twice: opening an empty spool does not lose the state. */
	s = open_spool(1 << 20);
	ck_assert_uint_eq(spool_next_seq(s), 4);
	(void)append(s, 1);
	(void)append(s, 1);
	/* Acked up to a number above what was sent: the state is the newest sent. */
	ck_assert_int_eq(spool_ack(s, 100), 2);
	s = spool_free(s);
	s = open_spool(1 << 20);
	ck_assert_uint_eq(spool_next_seq(s), 6);
	/* Dropping the only batch keeps its number used too. */
	ck_assert_int_eq(spool_append(s, 6, "x", 1, 1, NULL), 0);
	ck_assert_int_eq(spool_drop_oldest(s, &(struct spool_loss){ 0 }), 0);
	s = spool_free(s);
	s = open_spool(1 << 20);
	ck_assert_uint_eq(spool_next_seq(s), 7);
	spool_free(s);
}
END_TEST

/*
 * No batch and no state: a new spool, or one an administrator wiped while
 * the central still holds its numbers. It starts above any of them.
 */
START_TEST(test_fresh_start)
{
	uint64_t now = now_usec(CLOCK_REALTIME), next;
	struct spool *s;

	test_rm_rf(spooldir);
	s = open_spool(1 << 20);
	next = spool_next_seq(s);
	ck_assert_uint_gt(next, now);
	ck_assert_uint_lt(next, now_usec(CLOCK_REALTIME) + 2);
	(void)append(s, 1);
	ck_assert_int_eq(spool_ack(s, next), 1);
	s = spool_free(s);
	/* The state took over: the same numbering, no new jump. */
	s = open_spool(1 << 20);
	ck_assert_uint_eq(spool_next_seq(s), next + 1);
	spool_free(s);
}
END_TEST

START_TEST(test_state_damaged)
{
	struct spool *s;
	struct spool_stats st;
	uint64_t now = now_usec(CLOCK_REALTIME), next;

	test_write_file(spooldir, "state", "12ab\n");
	s = open_spool(1 << 20);
	spool_get_stats(s, &st);
	ck_assert(st.state_damaged);
	next = spool_next_seq(s);
	ck_assert_uint_gt(next, now);
	s = spool_free(s);
	/* The jump was written down: the next open does not jump again. */
	s = open_spool(1 << 20);
	spool_get_stats(s, &st);
	ck_assert(!st.state_damaged);
	ck_assert_uint_eq(spool_next_seq(s), next);
	spool_free(s);
}
END_TEST

START_TEST(test_overflow)
{
	_cleanup_(spool_freep) struct spool *s = open_spool(100);
	struct spool_loss loss;
	struct spool_stats st;

	for (unsigned i = 1; i <= 3; i++) {
		(void)append_sized(s, 10 * i, 30, &loss);
		ck_assert_uint_eq(loss.batches, 0);
	}
	/* 120 > 100: the oldest goes, exactly. */
	ck_assert_uint_eq(append_sized(s, 40, 30, &loss), 4);
	ck_assert_uint_eq(loss.batches, 1);
	ck_assert_uint_eq(loss.records, 10);
	ck_assert_uint_eq(loss.bytes, 30);
	ck_assert_uint_eq(loss.first_seq, 1);
	ck_assert_uint_eq(loss.last_seq, 1);
	ck_assert(!file_exists("00000000000000000001-10.batch"));
	/* 90 + 70 = 160: two more go. */
	ck_assert_uint_eq(append_sized(s, 50, 70, &loss), 5);
	ck_assert_uint_eq(loss.batches, 2);
	ck_assert_uint_eq(loss.records, 20 + 30);
	ck_assert_uint_eq(loss.bytes, 60);
	ck_assert_uint_eq(loss.first_seq, 2);
	ck_assert_uint_eq(loss.last_seq, 3);
	spool_get_stats(s, &st);
	ck_assert_uint_eq(st.batches, 2);
	ck_assert_uint_eq(st.bytes, 100);
	ck_assert_uint_eq(st.records, 90);
	check_peek(s, 10, 1 << 20, 4, 2);
	/* Exactly at the limit is not over it. */
	ck_assert_uint_eq(count_files(), 2 + 1);
	/* A batch of the whole limit: everything else goes, the new one stays. */
	ck_assert_uint_eq(append_sized(s, 7, 100, &loss), 6);
	ck_assert_uint_eq(loss.batches, 2);
	ck_assert_uint_eq(loss.first_seq, 4);
	ck_assert_uint_eq(loss.last_seq, 5);
	check_peek(s, 10, 1 << 20, 6, 1);
}
END_TEST

/*
 * Batches 1..3 are being sent when the overflow deletes 1 and 2: no loss
 * yet. The central acks up to 1: batch 2 is the loss, and only it.
 */
START_TEST(test_overflow_pinned)
{
	_cleanup_(spool_freep) struct spool *s = open_spool(100);
	struct spool_loss loss;

	for (unsigned i = 1; i <= 3; i++)
		(void)append_sized(s, 10 * i, 30, NULL);
	spool_pin(s, 3);
	(void)append_sized(s, 40, 60, &loss);
	ck_assert_uint_eq(loss.batches, 0);
	check_peek(s, 10, 1 << 20, 3, 2);
	spool_unpin(s, 1, &loss);
	ck_assert_uint_eq(loss.batches, 1);
	ck_assert_uint_eq(loss.first_seq, 2);
	ck_assert_uint_eq(loss.last_seq, 2);
	ck_assert_uint_eq(loss.records, 20);
	ck_assert_uint_eq(loss.bytes, 30);
	/* Unpinned: the next overflow is a loss at once. */
	(void)append_sized(s, 50, 40, &loss);
	ck_assert_uint_eq(loss.batches, 1);
	ck_assert_uint_eq(loss.first_seq, 3);
	spool_unpin(s, 0, &loss);
	ck_assert_uint_eq(loss.batches, 0);
}
END_TEST

START_TEST(test_too_big)
{
	_cleanup_(spool_freep) struct spool *s = open_spool(100);
	char text[101];
	struct spool_loss loss = { .batches = 42 };
	struct spool_stats st;

	memset(text, 'x', sizeof(text));
	(void)append_sized(s, 1, 50, NULL);
	ck_assert_int_eq(spool_append(s, 2, text, 101, 1, &loss), -EMSGSIZE);
	/* Nothing changed, the number is still free, *ret_loss untouched. */
	ck_assert_uint_eq(loss.batches, 42);
	ck_assert_uint_eq(spool_next_seq(s), 2);
	spool_get_stats(s, &st);
	ck_assert_uint_eq(st.batches, 1);
	ck_assert_int_eq(spool_append(s, 3, text, 10, 1, NULL), -EINVAL);
	ck_assert_int_eq(spool_append(s, 2, text, 0, 1, NULL), -EINVAL);
	ck_assert_int_eq(spool_open(spooldir, 0, &(struct spool *){ NULL }), -EINVAL);
}
END_TEST

START_TEST(test_peek_limits)
{
	_cleanup_(spool_freep) struct spool *s = open_spool(1 << 20);

	for (unsigned i = 0; i < 10; i++)
		(void)append_sized(s, 1, 100, NULL);
	check_peek(s, 1000, 350, 1, 3);
	check_peek(s, 1000, 300, 1, 3);
	check_peek(s, 1000, 299, 1, 2);
	check_peek(s, 4, 1 << 20, 1, 4);
	/* The first batch comes whatever its size, so a big one is never stuck. */
	check_peek(s, 5, 10, 1, 1);
	check_peek(s, 0, 1 << 20, 1, 1);
	check_peek(s, 1000, 1 << 20, 1, 10);
}
END_TEST

START_TEST(test_leftovers)
{
	struct spool *s;
	struct spool_stats st;
	_cleanup_free_ char *subdir = xasprintf("%s/sub.batch", spooldir);

	test_write_file(spooldir, ".00000000000000000009-3.batch.tmp", "half a bat");
	test_write_file(spooldir, "state.tmp", "1");
	test_write_file(spooldir, "00000000000000000004-2.batch", "batch 4.");
	test_write_file(spooldir, "00000000000000000002-5.batch", "batch 2.");
	test_write_file(spooldir, "00000000000000000007-2.batch", "");
	test_write_file(spooldir, "12-3.batch", "misnamed");
	test_write_file(spooldir, "00000000000000000000-3.batch", "number 0");
	test_write_file(spooldir, "00000000000000000005-x.batch", "misnamed");
	test_write_file(spooldir, "notes.txt", "an administrator's");
	ck_assert_int_eq(mkdir(subdir, 0700), 0);

	s = open_spool(1 << 20);
	spool_get_stats(s, &st);
	ck_assert_uint_eq(st.cleaned, 6);
	ck_assert_uint_eq(st.foreign, 2);
	ck_assert_uint_eq(st.batches, 2);
	ck_assert_uint_eq(st.records, 7);
	/* The empty batch 7 was damaged after it was spooled: 7 stays used. */
	ck_assert_uint_eq(spool_next_seq(s), 8);
	check_peek(s, 1, 1 << 20, 2, 1);
	ck_assert(file_exists("notes.txt"));
	ck_assert(file_exists("sub.batch"));
	ck_assert(!file_exists("state.tmp"));
	ck_assert(!file_exists(".00000000000000000009-3.batch.tmp"));
	ck_assert_uint_eq(count_files(), 4 + 1);
	ck_assert_int_eq(spool_ack(s, 2), 1);
	check_peek(s, 10, 1 << 20, 4, 1);
	spool_free(s);
}
END_TEST

/* Two batch files with one number (a hand-made mess): the first name wins. */
START_TEST(test_duplicate_seq)
{
	struct spool *s;
	struct spool_stats st;

	test_write_file(spooldir, "00000000000000000003-1.batch", "batch 3.");
	test_write_file(spooldir, "00000000000000000003-2.batch", "batch 3.");
	s = open_spool(1 << 20);
	spool_get_stats(s, &st);
	ck_assert_uint_eq(st.batches, 1);
	ck_assert_uint_eq(st.cleaned, 1);
	ck_assert_uint_eq(spool_next_seq(s), 4);
	ck_assert_uint_eq(count_files(), 1 + 1);
	check_peek(s, 10, 1 << 20, 3, 1);
	spool_free(s);
}
END_TEST

START_TEST(test_lock)
{
	struct spool *s = open_spool(1 << 20), *t = NULL;

	ck_assert_int_eq(spool_open(spooldir, 1 << 20, &t), -EBUSY);
	ck_assert_ptr_null(t);
	s = spool_free(s);
	s = open_spool(1 << 20);
	spool_free(s);
}
END_TEST

/* A process killed right after spool_append() returned: the batch is there. */
START_TEST(test_killed_after_append)
{
	struct spool *s;
	pid_t pid;
	int status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct spool *c = NULL;

		if (spool_open(spooldir, 1 << 20, &c) < 0 ||
			spool_append(c, 1, "batch 1.", 8, 3, NULL) < 0)
			_exit(1);
		(void)kill(getpid(), SIGKILL);
		_exit(2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	s = open_spool(1 << 20);
	ck_assert_uint_eq(spool_next_seq(s), 2);
	check_peek(s, 10, 1 << 20, 1, 1);
	spool_free(s);
}
END_TEST

/* A batch file gone or changed behind the spool's back; dropping it unblocks. */
START_TEST(test_peek_damaged)
{
	_cleanup_(spool_freep) struct spool *s = open_spool(1 << 20);
	_cleanup_free_ char *first = NULL, *third = NULL;
	struct spool_batch *b = NULL;
	struct spool_loss loss;
	size_t n;

	for (unsigned i = 0; i < 4; i++)
		(void)append(s, 2);
	first = xasprintf("%s/00000000000000000001-2.batch", spooldir);
	third = xasprintf("%s/00000000000000000003-2.batch", spooldir);
	ck_assert_int_eq(unlink(first), 0);
	test_write_file(spooldir, "00000000000000000003-2.batch", "batch 3.longer");
	ck_assert_int_eq(spool_peek(s, 10, 1 << 20, &b, &n), -ENOENT);
	ck_assert_int_eq(spool_drop_oldest(s, &loss), 0);
	ck_assert_uint_eq(loss.batches, 1);
	ck_assert_uint_eq(loss.records, 2);
	ck_assert_uint_eq(loss.first_seq, 1);
	/* The read stops before the bad one, which comes first next time. */
	check_peek(s, 10, 1 << 20, 2, 1);
	ck_assert_int_eq(spool_ack(s, 2), 1);
	ck_assert_int_eq(spool_peek(s, 10, 1 << 20, &b, &n), -EBADMSG);
	ck_assert_int_eq(spool_drop_oldest(s, &loss), 0);
	ck_assert_uint_eq(loss.first_seq, 3);
	check_peek(s, 10, 1 << 20, 4, 1);
	ck_assert_int_eq(spool_drop_oldest(s, &loss), 0);
	ck_assert_int_eq(spool_drop_oldest(s, &loss), -ENOENT);
}
END_TEST

/* The directory vanished: appends fail, nothing is dropped, numbers move on. */
START_TEST(test_append_fails)
{
	_cleanup_(spool_freep) struct spool *s = open_spool(60);
	struct spool_loss loss = { .batches = 42 };
	struct spool_stats st;

	(void)append_sized(s, 1, 50, NULL);
	test_rm_rf(spooldir);
	ck_assert_int_eq(spool_append(s, 2, "batch 2.", 8, 1, &loss), -ENOENT);
	ck_assert_uint_eq(loss.batches, 42);
	ck_assert_uint_eq(spool_next_seq(s), 3);
	spool_get_stats(s, &st);
	ck_assert_uint_eq(st.batches, 1);
	ck_assert_uint_eq(st.bytes, 50);
}
END_TEST

static Suite *
spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("spool");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_seq_not_reused);
	tcase_add_test(tc, test_fresh_start);
	tcase_add_test(tc, test_state_damaged);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_overflow_pinned);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_peek_limits);
	tcase_add_test(tc, test_leftovers);
	tcase_add_test(tc, test_duplicate_seq);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_killed_after_append);
	tcase_add_test(tc, test_peek_damaged);
	tcase_add_test(tc, test_append_fails);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(spool_suite());
}
