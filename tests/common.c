/* SPDX-License-Identifier: MIT */
/* Helpers shared by the check suites: temporary trees, fixtures, the runner. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

void
test_reply_done(struct test_reply *r)
{
	free(r->body);
	r->body = NULL;
}

void
test_run_loop_once(sd_event *event)
{
	ck_assert_int_ge(sd_event_run(event, 2 * USEC_PER_MSEC), 0);
}

int
test_connect_tcp(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	/* The kernel completes the handshake before anyone accepts. */
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

int
test_client_connect(const char *address)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strncmp(address, "unix:", 5) != 0)
		return test_connect_tcp((uint16_t)atoi(address));
	ck_assert_uint_lt(strlen(address + 5), sizeof(sa.sun_path));
	strcpy(sa.sun_path, address + 5);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

bool
test_parse_reply(const char *buf, size_t len, bool eof, struct test_reply *ret)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	const char *cl;
	size_t head_len, body_len = 0;

	if (!end)
		return eof;
	head_len = (size_t)(end - buf) + 4;
	cl = strcasestr(buf, "\r\nContent-Length:");
	if (cl && cl < end)
		body_len = strtoul(cl + 17, NULL, 10);
	if (len < head_len + body_len && !eof)
		return false;
	if (sscanf(buf, "HTTP/1.%*d %d", &ret->status) != 1)
		ret->status = -1;
	(void)snprintf(ret->head, sizeof(ret->head), "%.*s", (int)head_len, buf);
	body_len = MIN(body_len, len - head_len);
	ret->body = xmalloc(body_len + 1);
	memcpy(ret->body, end + 4, body_len);
	ret->body[body_len] = '\0';
	ret->body_len = body_len;
	return true;
}

void
test_read_reply(sd_event *event, int fd, const void *out, size_t out_len,
	struct test_reply *ret)
{
	const size_t size = 1 << 20;
	_cleanup_free_ char *buf = xmalloc(size);
	size_t len = 0, sent = 0;
	uint64_t deadline = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
	bool eof = false;

	memset(ret, 0, sizeof(*ret));
	while (now_usec(CLOCK_MONOTONIC) < deadline) {
		ssize_t k;

		if (sent < out_len) {
			k = send(fd, (const char *)out + sent, out_len - sent,
				MSG_NOSIGNAL);
			if (k > 0)
				sent += (size_t)k;
			else if (k < 0 && errno != EAGAIN)
				sent = out_len; /* the server stopped reading */
		}
		test_run_loop_once(event);
		k = recv(fd, buf + len, size - 1 - len, 0);
		if (k > 0)
			len += (size_t)k;
		else if (k == 0 || errno != EAGAIN)
			eof = true;
		buf[len] = '\0';
		if ((len > 0 || eof) && test_parse_reply(buf, len, eof, ret))
			break;
	}
	(void)close(fd);
	ck_assert_msg(now_usec(CLOCK_MONOTONIC) < deadline, "no answer in time");
	if (!ret->body)
		ret->body = xstrdup("");
	/* Let the server finish with the connection. */
	for (int i = 0; i < 5; i++)
		test_run_loop_once(event);
}
