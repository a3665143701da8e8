/* SPDX-License-Identifier: MIT */
/* Helpers shared by the check suites. */
#ifndef HM_TESTS_COMMON_H
#define HM_TESTS_COMMON_H

#include <check.h>

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
/* Runs the suite with the default runner; returns the process exit status. */
int test_run_suite(Suite *s);

#endif
