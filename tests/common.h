/* SPDX-License-Identifier: MIT */
/* Helpers shared by the check suites. */
#ifndef HM_TESTS_COMMON_H
#define HM_TESTS_COMMON_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

/* A new private directory under $TMPDIR (or /tmp); the caller frees the path. */
char *test_mkdtemp(void);
/* Removes a tree made by a test. */
void test_rm_rf(const char *path);
/* Path of a file in the source tree; the caller frees it. */
char *test_srcdir_path(const char *relative);
/* Path of a file under tests/data in the source tree; the caller frees it. */
char *test_data_path(const char *relative);
/* Writes text to dir/name, creating parent directories; aborts the test on failure. */
void test_write_file(const char *dir, const char *name, const char *text);
/* Runs argv (searched in PATH) and fails the test unless it exits 0. */
void test_run_command(char *const argv[]);
/* A TCP port on 127.0.0.1 that was free a moment ago (nothing listens on it). */
unsigned test_free_tcp_port(void);

/* A raw HTTP/1.1 client for suites that run a server on a loop of their own. */

/* An answer as it arrived. */
struct test_reply {
	int status; /* 0: the connection closed without an answer; -1: no status line */
	char head[4096];
	char *body; /* owned; NUL-terminated, may hold NULs */
	size_t body_len;
};

/* Frees what the reply owns. */
void test_reply_done(struct test_reply *r);
/* Runs one iteration of the loop, waiting 2 ms at the most. */
void test_run_loop_once(sd_event *event);
/* A non-blocking connection to 127.0.0.1:port. */
int test_connect_tcp(uint16_t port);
/* A non-blocking connection to "unix:/path", or to 127.0.0.1 at a port given as text. */
int test_client_connect(const char *address);
/* Parses what arrived (buf NUL-terminated); true once a whole answer (or EOF) is in. */
bool test_parse_reply(const char *buf, size_t len, bool eof, struct test_reply *ret);
/*
 * Sends the out_len bytes of out (none: NULL, 0) on fd while reading the answer,
 * running the loop; stops sending when the server stops reading. Closes fd, then
 * lets the server finish with the connection.
 */
void test_read_reply(sd_event *event, int fd, const void *out, size_t out_len,
	struct test_reply *ret);

/* Runs the suite with the default runner; returns the process exit status. */
int test_run_suite(Suite *s);

#endif
