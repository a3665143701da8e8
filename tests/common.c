/* SPDX-License-Identifier: MIT */
/* Helpers shared by the check suites: temporary trees, fixtures, the runner. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "util.h"

char *
test_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *path = xasprintf("%s/hm-test-XXXXXX", base && *base ? base : "/tmp");

	ck_assert_ptr_nonnull(mkdtemp(path));
	return path;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
test_rm_rf(const char *path)
{
	if (path)
		(void)nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *
test_srcdir_path(const char *relative)
{
	/* make check exports top_srcdir; TOP_SRCDIR serves a suite run by hand. */
	const char *srcdir = getenv("top_srcdir");

	return xasprintf("%s/%s", srcdir && *srcdir ? srcdir : TOP_SRCDIR, relative);
}

char *
test_data_path(const char *relative)
{
	_cleanup_free_ char *p = xasprintf("tests/data/%s", relative);

	return test_srcdir_path(p);
}

void
test_write_file(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *parent = xstrdup(path);
	FILE *f;

	*strrchr(parent, '/') = '\0';
	ck_assert_int_eq(mkdir_p(parent, 0755), 0);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

void
test_run_command(char *const argv[])
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %s failed",
		argv[0], argv[1]);
}

int
test_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

unsigned
test_free_tcp_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	(void)close(fd);
	return ntohs(sa.sin_port);
}
