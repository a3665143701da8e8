/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server on an sd-event loop in the test process, talked to over
 * raw HTTP/1.1 on TCP and UNIX sockets while the loop runs: UNIX listen
 * addresses (directory created, stale socket replaced, live one refused,
 * taken over on reload, removed on free), query parameters, answers given
 * later from a timer (binary bodies, extra headers), a server freed while a
 * request waits, and Basic authentication against a users file (parser
 * errors, passwords of every hash kind, malformed headers, the 401).
 */
#include <check.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "basicauth.h"
#include "common.h"
#include "http.h"
#include "util.h"

/* A PNG signature and the start of its header chunk: NULs and high bytes. */
static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06";

static struct {
	char *dir;
	sd_event *event;
	struct http_server *server;
	struct http_request *held; /* borrowed: a suspended request, until answered */
	sd_event_source *timer;
	unsigned handled;
	unsigned aborts;
	int abort_respond; /* what http_respond() said inside the abort callback */
	struct basicauth *auth;
	unsigned idle_timeout; /* seconds; 0: 10 */
	unsigned later_ms;     /* how long /later waits; 0: 50 */
} f;

static char *
mfree(char *p)
{
	free(p);
	return NULL;
}

static const char *
or_none(const char *s)
{
	return s ? s : "(none)";
}

static void
on_x(struct http_request *r, void *userdata)
{
	_cleanup_free_ char *body = xasprintf("a=%s;b=%s;c=%s;flag=%s;peer=%s",
		or_none(http_request_query(r, "a")), or_none(http_request_query(r, "b")),
		or_none(http_request_query(r, "c")),
		or_none(http_request_query(r, "flag")), http_request_peer(r));

	f.handled++;
	(void)http_respond(r, 200, "text/plain", body, strlen(body));
}

/* Answers "ok", or the first parameter that is unknown or repeated. */
static void
on_strict(struct http_request *r, void *userdata)
{
	static const char *const allowed[] = { "a", "b", "flag", NULL };
	char name[4];
	_cleanup_free_ char *body = NULL;

	if (http_request_query_unknown(r, allowed, name, sizeof(name)))
		body = xasprintf("bad %s", name);
	else
		body = xstrdup("ok");
	(void)http_respond(r, 200, "text/plain", body, strlen(body));
}

static void
on_abort(struct http_request *r, void *userdata)
{
	ck_assert_ptr_nonnull(http_request_peer(r));
	f.abort_respond = http_respond(r, 200, "text/plain", "x", 1);
	f.aborts++;
	f.held = NULL;
}

static int
on_timer_answer(sd_event_source *s, uint64_t usec, void *userdata)
{
	ck_assert_ptr_nonnull(f.held);
	http_response_add_header(f.held, "Cache-Control", "max-age=30");
	ck_assert_int_eq(http_respond(f.held, 200, "image/png", png, sizeof(png) - 1), 0);
	f.held = NULL;
	return 0;
}

/* Suspends; a timer answers 50 ms later with the PNG bytes. */
static void
on_later(struct http_request *r, void *userdata)
{
	f.handled++;
	f.held = r;
	http_request_suspend(r);
	http_request_set_abort(r, on_abort, NULL);
	ck_assert_int_eq(sd_event_add_time(f.event, &f.timer, CLOCK_MONOTONIC,
				 now_usec(CLOCK_MONOTONIC) +
					 (f.later_ms ? f.later_ms : 50) * USEC_PER_MSEC,
				 0,
				 on_timer_answer, NULL),
		0);
}

/* Suspends and waits for whatever the test does. */
static void
on_never(struct http_request *r, void *userdata)
{
	f.handled++;
	f.held = r;
	http_request_suspend(r);
	http_request_set_abort(r, on_abort, NULL);
}

/* Suspends, then answers before returning: an ordinary answer. */
static void
on_changed_mind(struct http_request *r, void *userdata)
{
	f.handled++;
	http_request_suspend(r);
	http_request_set_abort(r, on_abort, NULL);
	(void)http_respond_error(r, 503, "busy", "try again");
}

static void
on_auth(struct http_request *r, void *userdata)
{
	char user[BASICAUTH_USER_MAX + 1];

	if (!basicauth_check(f.auth, http_request_header(r, "Authorization"), user,
		    sizeof(user))) {
		http_response_add_header(r, "WWW-Authenticate",
			"Basic realm=\"healthmond\"");
		(void)http_respond_error(r, 401, "auth", "who are you?");
		return;
	}
	http_request_set_user(r, user);
	(void)http_respond(r, 200, "text/plain", user, strlen(user));
}

static const struct http_route routes[] = {
	{ .method = "GET", .path = "/x", .on_request = on_x },
	{ .method = "GET", .path = "/strict", .on_request = on_strict },
	{ .method = "GET", .path = "/later", .on_request = on_later },
	{ .method = "GET", .path = "/never", .on_request = on_never },
	{ .method = "GET", .path = "/changed", .on_request = on_changed_mind },
	{ .method = "GET", .path = "/auth", .on_request = on_auth },
};

static void
setup(void)
{
	f.dir = test_mkdtemp();
	ck_assert_int_eq(sd_event_new(&f.event), 0);
}

static void
teardown(void)
{
	f.server = http_server_free(f.server);
	f.timer = sd_event_source_disable_unref(f.timer);
	f.event = sd_event_unref(f.event);
	f.auth = basicauth_free(f.auth);
	test_rm_rf(f.dir);
	free(f.dir);
	memset(&f, 0, sizeof(f));
}

/* A server on the addresses (NULL-terminated); the error on failure. */
static int
server_new(const char *a, const char *b, struct http_server *previous,
	struct http_server **ret, char **ret_error)
{
	char *listen[] = { (char *)a, (char *)b, NULL };
	struct http_config cfg = { .listen = listen, .max_connections = 16,
		.idle_timeout = f.idle_timeout ? f.idle_timeout : 10 };

	return http_server_new(&cfg, routes, ELEMENTSOF(routes), previous, ret,
		ret_error);
}

static void
server_up(const char *address)
{
	_cleanup_free_ char *error = NULL;

	if (server_new(address, NULL, NULL, &f.server, &error) < 0)
		ck_abort_msg("http_server_new: %s", error);
	if (http_server_start(f.server, f.event, &error) < 0)
		ck_abort_msg("http_server_start: %s", error);
}

/* The client side: raw HTTP/1.1, the loop running while it waits. */

static void
run_loop_once(void)
{
	test_run_loop_once(f.event);
}

/* Sends the whole request (small: one send does it) on a fresh connection. */
static int
send_request(const char *address, const char *request)
{
	int fd = test_client_connect(address);

	ck_assert_int_eq(send(fd, request, strlen(request), MSG_NOSIGNAL),
		(ssize_t)strlen(request));
	return fd;
}

/* Reads the answer on fd, running the loop; closes fd. */
static void
read_reply(int fd, struct test_reply *ret)
{
	test_read_reply(f.event, fd, NULL, 0, ret);
}

static void
get(const char *address, const char *target, const char *headers, struct test_reply *ret)
{
	_cleanup_free_ char *req = xasprintf("GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n",
		target, headers ? headers : "");

	read_reply(send_request(address, req), ret);
}

static char *
tcp_address(void)
{
	int port = http_server_port(f.server, 0);

	ck_assert_int_gt(port, 0);
	return xasprintf("%d", port);
}

/* Runs the loop until a handler holds a suspended request. */
static void
wait_held(void)
{
	for (int i = 0; i < 2000 && !f.held; i++)
		run_loop_once();
	ck_assert_ptr_nonnull(f.held);
}

/* UNIX sockets. */

START_TEST(test_unix_get)
{
	_cleanup_free_ char *path = xasprintf("%s/run/healthmond/web.sock", f.dir);
	_cleanup_free_ char *address = xasprintf("unix:%s", path);
	_cleanup_free_ char *parent = xasprintf("%s/run/healthmond", f.dir);
	mode_t mask = umask(0);
	struct test_reply r;
	struct stat st;

	(void)umask(mask);
	server_up(address);
	ck_assert_int_eq(stat(parent, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755 & ~mask);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0666);
	ck_assert_int_eq(http_server_port(f.server, 0), -EAFNOSUPPORT);
	ck_assert_int_eq(http_server_port(f.server, 1), -EINVAL);

	read_reply(send_request(address, "GET /x?a=1&b=%20z HTTP/1.1\r\nHost: x\r\n\r\n"),
		&r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "a=1;b= z;c=(none);flag=(none);peer=unix");
	test_reply_done(&r);
	ck_assert_uint_eq(http_server_get_stats(f.server)->requests, 1);

	f.server = http_server_free(f.server);
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* A socket file bound and closed: what a crashed daemon leaves behind. */
static void
make_socket(const char *path, bool listening, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listening)
		ck_assert_int_eq(listen(fd, 4), 0);
	if (ret_fd)
		*ret_fd = fd;
	else
		(void)close(fd);
}

START_TEST(test_unix_stale)
{
	_cleanup_free_ char *path = xasprintf("%s/web.sock", f.dir);
	_cleanup_free_ char *address = xasprintf("unix:%s", path);
	struct test_reply r;

	make_socket(path, false, NULL);
	server_up(address);
	get(address, "/x?a=stale", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "a=stale;b=(none);c=(none);flag=(none);peer=unix");
	test_reply_done(&r);
}
END_TEST

START_TEST(test_unix_refused)
{
	_cleanup_free_ char *path = xasprintf("%s/web.sock", f.dir);
	_cleanup_free_ char *address = xasprintf("unix:%s", path);
	_cleanup_free_ char *file = xasprintf("unix:%s/file", f.dir);
	_cleanup_free_ char *want = xasprintf("'%s' is in use by another process", path);
	_cleanup_free_ char *long_path = xasprintf("unix:%s/%0200d", f.dir, 0);
	struct http_server *s = NULL;
	char *error = NULL;
	struct stat st;
	int live;

	make_socket(path, true, &live);
	ck_assert_int_eq(server_new(address, NULL, NULL, &s, &error), -EADDRINUSE);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(error, want);
	error = mfree(error);
	/* Still there: the other process's socket is not ours to remove. */
	ck_assert_int_eq(stat(path, &st), 0);
	(void)close(live);

	test_write_file(f.dir, "file", "not a socket\n");
	ck_assert_int_eq(server_new(file, NULL, NULL, &s, &error), -EEXIST);
	ck_assert_ptr_nonnull(strstr(error, "is not a socket"));
	error = mfree(error);
	ck_assert_int_eq(server_new("unix:relative.sock", NULL, NULL, &s, &error),
		-EINVAL);
	error = mfree(error);
	ck_assert_int_eq(server_new(long_path, NULL, NULL, &s, &error), -ENAMETOOLONG);
	error = mfree(error);
}
END_TEST

/* A reload hands the socket file on: the newer server removes it. */
START_TEST(test_unix_takeover)
{
	_cleanup_free_ char *path = xasprintf("%s/web.sock", f.dir);
	_cleanup_free_ char *address = xasprintf("unix:%s", path);
	struct http_server *next = NULL;
	char *error = NULL;
	struct test_reply r;
	struct stat st;

	server_up(address);
	/* A failed reload takes nothing from the running server. */
	ck_assert_int_eq(server_new(address, "nonsense", f.server, &next, &error), -EINVAL);
	error = mfree(error);
	ck_assert_int_eq(server_new(address, NULL, f.server, &next, &error), 0);
	f.server = http_server_free(f.server);
	ck_assert_int_eq(stat(path, &st), 0);
	f.server = TAKE_PTR(next);
	ck_assert_int_eq(http_server_start(f.server, f.event, &error), 0);
	get(address, "/x?a=2", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	test_reply_done(&r);
	f.server = http_server_free(f.server);
	ck_assert_int_eq(stat(path, &st), -1);
}
END_TEST

/* Query parameters. */

START_TEST(test_query)
{
	static const struct {
		const char *target;
		const char *body;
	} strict[] = {
		{ "/strict", "ok" },
		{ "/strict?a=1&b=&flag", "ok" },
		{ "/strict?b=1&a=2&a=3", "bad a" },
		{ "/strict?a=1&zz=2", "bad zz" },
		{ "/strict?a=1&unknown=2", "bad unk" }, /* truncated to the buffer */
		{ "/strict?%61=1", "ok" },              /* decoded: "a" */
	};
	const char *want = "a=1;b=/etc/\xe2\x82\xac x;c=(none);flag=;peer=127.0.0.1:";
	_cleanup_free_ char *address = NULL;
	struct test_reply r;

	server_up("127.0.0.1:0");
	address = tcp_address();
	get(address, "/x?b=%2Fetc%2F%E2%82%AC+x&flag&a=1&a=2", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strncmp(r.body, want, strlen(want)) == 0, "%s", r.body);
	test_reply_done(&r);

	for (size_t i = 0; i < ELEMENTSOF(strict); i++) {
		get(address, strict[i].target, NULL, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq(r.body, strict[i].body);
		test_reply_done(&r);
	}
}
END_TEST

/* Asynchronous answers. */

START_TEST(test_suspend_binary)
{
	_cleanup_free_ char *address = NULL;
	uint64_t t0;
	struct test_reply r;

	server_up("127.0.0.1:0");
	address = tcp_address();
	t0 = now_usec(CLOCK_MONOTONIC);
	get(address, "/later", NULL, &r);
	ck_assert_uint_ge(now_usec(CLOCK_MONOTONIC) - t0, 45 * USEC_PER_MSEC);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, sizeof(png) - 1);
	ck_assert_mem_eq(r.body, png, sizeof(png) - 1);
	ck_assert_ptr_nonnull(strcasestr(r.head, "\r\nCache-Control: max-age=30\r\n"));
	ck_assert_ptr_nonnull(strcasestr(r.head, "\r\nContent-Type: image/png\r\n"));
	ck_assert_ptr_null(f.held);
	ck_assert_uint_eq(f.aborts, 0);
	test_reply_done(&r);

	/* Again on the same server, then over a UNIX socket. */
	f.timer = sd_event_source_disable_unref(f.timer);
	get(address, "/later", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_mem_eq(r.body, png, sizeof(png) - 1);
	test_reply_done(&r);
	ck_assert_uint_eq(f.handled, 2);
}
END_TEST

START_TEST(test_suspend_unix)
{
	_cleanup_free_ char *address = xasprintf("unix:%s/web.sock", f.dir);
	struct test_reply r;

	server_up(address);
	get(address, "/later", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, sizeof(png) - 1);
	ck_assert_mem_eq(r.body, png, sizeof(png) - 1);
	test_reply_done(&r);
}
END_TEST

START_TEST(test_suspend_then_answer_at_once)
{
	_cleanup_free_ char *address = NULL;
	struct test_reply r;

	server_up("127.0.0.1:0");
	address = tcp_address();
	get(address, "/changed", NULL, &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(r.body, "{\"error\":\"busy\",\"message\":\"try again\"}");
	ck_assert_uint_eq(f.aborts, 0);
	test_reply_done(&r);
}
END_TEST

/* A wait longer than the idle timeout: MHD counts it from the resumption. */
START_TEST(test_suspend_longer_than_idle)
{
	_cleanup_free_ char *address = NULL;
	struct test_reply r;

	f.idle_timeout = 1;
	f.later_ms = 2500;
	server_up("127.0.0.1:0");
	address = tcp_address();
	get(address, "/later", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_mem_eq(r.body, png, sizeof(png) - 1);
	test_reply_done(&r);
}
END_TEST

/* The server goes while a request waits: its owner is told, nothing leaks. */
START_TEST(test_suspend_server_freed)
{
	_cleanup_free_ char *address = NULL, *unix_address = NULL;
	char buf[256];
	int fd, fd2;
	ssize_t k;

	unix_address = xasprintf("unix:%s/web.sock", f.dir);
	server_up("127.0.0.1:0");
	address = tcp_address();
	fd = send_request(address, "GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
	wait_held();
	f.held = NULL;
	fd2 = send_request(address, "GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
	wait_held();
	for (int i = 0; i < 5; i++)
		run_loop_once();
	ck_assert_uint_eq(f.aborts, 0);
	f.held = NULL; /* the abort callback checks which; both are fine */
	f.server = http_server_free(f.server);
	ck_assert_uint_eq(f.aborts, 2);
	ck_assert_int_eq(f.abort_respond, -ECANCELED);
	/* Closed without an answer. */
	ck_assert_int_eq(fcntl(fd, F_SETFL, 0), 0);
	k = recv(fd, buf, sizeof(buf), 0);
	ck_assert_int_le(k, 0);
	ck_assert_int_eq(fcntl(fd2, F_SETFL, 0), 0);
	k = recv(fd2, buf, sizeof(buf), 0);
	ck_assert_int_le(k, 0);
	(void)close(fd);
	(void)close(fd2);
}
END_TEST

/* The client leaves while its request waits; the late answer goes nowhere. */
START_TEST(test_suspend_client_gone)
{
	_cleanup_free_ char *address = NULL;
	struct test_reply r;
	int fd;

	server_up("127.0.0.1:0");
	address = tcp_address();
	fd = send_request(address, "GET /later HTTP/1.1\r\nHost: x\r\n\r\n");
	wait_held();
	(void)close(fd);
	for (int i = 0; i < 100 && f.held; i++)
		run_loop_once();
	ck_assert_ptr_null(f.held);
	for (int i = 0; i < 10; i++)
		run_loop_once();
	ck_assert_uint_eq(f.aborts, 0);
	/* The server still serves. */
	get(address, "/x?a=3", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	test_reply_done(&r);
}
END_TEST

/* Basic authentication. */

/* A crypt(3) hash of password with a fresh salt of method prefix. */
static char *
make_hash(const char *prefix, const char *password)
{
	_cleanup_free_ char *salt = crypt_gensalt_ra(prefix, 0, NULL, 0);
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	char *hash;

	ck_assert_ptr_nonnull(salt);
	hash = xstrdup(crypt_r(password, salt, cd));
	free(cd);
	ck_assert_int_eq(hash[0], '$');
	return hash;
}

static char *
basic(const char *user_pass)
{
	_cleanup_free_ char *b64 = basicauth_base64(user_pass, strlen(user_pass));

	return xasprintf("Basic %s", b64);
}

START_TEST(test_auth_file_errors)
{
	static const struct {
		const char *text;
		const char *error;
	} cases[] = {
		{ "# nobody\n\n", "users: lists no user" },
		{ "", "users: lists no user" },
		{ "# ok\nalice $5$x$y\n", "users:2: want \"user:HASH\"" },
		{ "\n\n:$5$abc$def\n", "users:3: the user name is empty" },
		{ "al ice:$5$abc$def\n", "users:1: the user name holds a blank" },
		{ "alice:secret\n", "users:1: the hash of 'alice' is not a crypt(3) hash" },
		{ "alice:\n", "users:1: the hash of 'alice' is not a crypt(3) hash" },
		{ "alice:$5$abc$d ef\n", "users:1: the hash of 'alice'" },
		{ "alice:$5$abc$def\r\n# x\n  alice:$6$abc$def\n",
			"users:3: user 'alice' is listed twice (first on line 1)" },
		{ "x0123456789012345678901234567890123456789012345678901234567890123:$5$a$b\n",
			"users:1: the user name is empty or longer than 64 bytes" },
	};
	_cleanup_free_ char *path = xasprintf("%s/users", f.dir);

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct basicauth *a = NULL;
		_cleanup_free_ char *error = NULL;
		char *full = xasprintf("%s%s", path, cases[i].error + 5);

		test_write_file(f.dir, "users", cases[i].text);
		ck_assert_int_lt(basicauth_load(path, &a, &error), 0);
		ck_assert_ptr_null(a);
		ck_assert_msg(strncmp(error, full, strlen(full)) == 0, "case %zu: '%s'", i,
			error);
		free(full);
	}
	{
		struct basicauth *a = NULL;
		_cleanup_free_ char *error = NULL;
		_cleanup_free_ char *missing = xasprintf("%s/nope", f.dir);

		ck_assert_int_eq(basicauth_load(missing, &a, &error), -ENOENT);
		ck_assert_ptr_nonnull(strstr(error, "cannot read"));
	}
}
END_TEST

START_TEST(test_auth_passwords)
{
	_cleanup_free_ char *y = make_hash("$y$", "correct horse");
	_cleanup_free_ char *six = make_hash("$6$", "s3cret:with:colons");
	_cleanup_free_ char *five = make_hash("$5$", "");
	_cleanup_free_ char *text = xasprintf("# users\n\nalice:%s\n  bob:%s  \ncarol:%s\n",
		y, six, five);
	_cleanup_free_ char *path = xasprintf("%s/users", f.dir);
	_cleanup_free_ char *error = NULL;
	static const struct {
		const char *pair;
		const char *user; /* NULL: refused */
	} cases[] = {
		{ "alice:correct horse", "alice" },
		{ "alice:correct horse", "alice" }, /* from the cache */
		{ "alice:correct horsf", NULL },
		{ "alice:", NULL },
		{ "Alice:correct horse", NULL },
		{ "bob:s3cret:with:colons", "bob" },
		{ "bob:s3cret", NULL },
		{ "carol:", "carol" },
		{ "carol:x", NULL },
		{ "mallory:correct horse", NULL },
		{ "alice:correct horse", "alice" },
	};

	test_write_file(f.dir, "users", text);
	if (basicauth_load(path, &f.auth, &error) < 0)
		ck_abort_msg("basicauth_load: %s", error);
	ck_assert_uint_eq(basicauth_users(f.auth), 3);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *header = basic(cases[i].pair);
		char user[BASICAUTH_USER_MAX + 1] = "";

		ck_assert_msg(basicauth_check(f.auth, header, user, sizeof(user)) ==
				(cases[i].user != NULL),
			"case %zu", i);
		if (cases[i].user)
			ck_assert_str_eq(user, cases[i].user);
	}
	{
		_cleanup_free_ char *header = basic("alice:correct horse");
		char small[4];

		/* A user that does not fit the caller's buffer is refused. */
		ck_assert(!basicauth_check(f.auth, header, small, sizeof(small)));
		ck_assert(!basicauth_check(f.auth, NULL, small, sizeof(small)));
	}
}
END_TEST

START_TEST(test_auth_malformed)
{
	static const struct {
		const char *value;
		int result;
	} cases[] = {
		{ "YWxpY2U6c2VjcmV0", -EBADMSG },          /* no scheme */
		{ "Bearer YWxpY2U6c2VjcmV0", -EBADMSG },
		{ "Basic", -EBADMSG },
		{ "Basic ", -EBADMSG },
		{ "BasicYWxpY2U6c2VjcmV0", -EBADMSG },
		{ "Basic YWxpY2U6c2VjcmV0!", -EBADMSG },   /* not base64 */
		{ "Basic YWxpY2U6c2VjcmV", -EBADMSG },     /* truncated */
		{ "Basic YWxpY2U6c2VjcmV0=", -EBADMSG },   /* stray padding */
		{ "Basic YW=pY2U6c2VjcmV0", -EBADMSG },    /* padding inside */
		{ "Basic YWxpY2U6c2VjcmV0 x", -EBADMSG },
		{ "Basic YR==", -EBADMSG },                /* not canonical */
		{ "Basic YWxpY2U=", -EBADMSG },            /* "alice": no colon */
		{ "Basic OnNlY3JldA==", -EBADMSG },        /* ":secret": no user */
		{ "Basic YWxpY2UAOnNlY3JldA==", -EBADMSG }, /* "alice\0:secret" */
		{ "Basic YWxpY2U6cwplY3JldA==", -EBADMSG }, /* newline in the password */
		{ "Basic YWxpY2U6c2VjcmV0", 0 },
		{ "basic   YWxpY2U6c2VjcmV0", 0 },
		{ "BASIC YWxpY2U6", 0 },                   /* empty password */
	};
	char user[BASICAUTH_USER_MAX + 1], password[BASICAUTH_PASSWORD_MAX + 1];
	_cleanup_free_ char *huge = NULL, *long_user = NULL, *pair = NULL;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		ck_assert_msg(basicauth_parse_header(cases[i].value, user, sizeof(user),
				      password, sizeof(password)) == cases[i].result,
			"case %zu: '%s'", i, cases[i].value);
	ck_assert_int_eq(basicauth_parse_header("Basic YTpi", user, sizeof(user),
				 password, sizeof(password)),
		0);
	ck_assert_str_eq(user, "a");
	ck_assert_str_eq(password, "b");

	/* Over the header cap, valid or not; a user over the cap. */
	huge = xmalloc(BASICAUTH_HEADER_MAX + 100);
	memset(huge, 'A', BASICAUTH_HEADER_MAX + 99);
	memcpy(huge, "Basic ", 6);
	huge[BASICAUTH_HEADER_MAX + 99] = '\0';
	ck_assert_int_eq(basicauth_parse_header(huge, user, sizeof(user), password,
				 sizeof(password)),
		-EMSGSIZE);
	pair = xasprintf("%0100d:x", 0);
	long_user = basic(pair);
	ck_assert_int_eq(basicauth_parse_header(long_user, user, sizeof(user), password,
				 sizeof(password)),
		-EMSGSIZE);
	/* Nothing of it reaches the caller's buffers. */
	strcpy(user, "untouched");
	ck_assert_int_eq(basicauth_parse_header("Basic YWI=", user, sizeof(user),
				 password, sizeof(password)),
		-EBADMSG);
	ck_assert_str_eq(user, "untouched");
}
END_TEST

/* The 401 with its WWW-Authenticate, and the way in. */
START_TEST(test_auth_http)
{
	_cleanup_free_ char *hash = make_hash("$y$", "pw");
	_cleanup_free_ char *text = xasprintf("dash:%s\n", hash);
	_cleanup_free_ char *good = basic("dash:pw"), *bad = basic("dash:pW");
	_cleanup_free_ char *good_header = xasprintf("Authorization: %s\r\n", good);
	_cleanup_free_ char *bad_header = xasprintf("Authorization: %s\r\n", bad);
	_cleanup_free_ char *error = NULL, *address = NULL, *huge = NULL;
	struct test_reply r;

	ck_assert_int_eq(basicauth_load_string(text, "users", &f.auth, &error), 0);
	server_up("127.0.0.1:0");
	address = tcp_address();
	get(address, "/auth", NULL, &r);
	ck_assert_int_eq(r.status, 401);
	ck_assert_ptr_nonnull(
		strstr(r.head, "\r\nWWW-Authenticate: Basic realm=\"healthmond\"\r\n"));
	test_reply_done(&r);
	get(address, "/auth", bad_header, &r);
	ck_assert_int_eq(r.status, 401);
	test_reply_done(&r);
	get(address, "/auth", "Authorization: Basic !!!!\r\n", &r);
	ck_assert_int_eq(r.status, 401);
	test_reply_done(&r);
	huge = xasprintf("Authorization: Basic %0*d\r\n", BASICAUTH_HEADER_MAX, 0);
	get(address, "/auth", huge, &r);
	ck_assert_int_eq(r.status, 401);
	test_reply_done(&r);
	get(address, "/auth", good_header, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "dash");
	test_reply_done(&r);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("server");
	TCase *auth = tcase_create("basicauth");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_unix_get);
	tcase_add_test(tc, test_unix_stale);
	tcase_add_test(tc, test_unix_refused);
	tcase_add_test(tc, test_unix_takeover);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_suspend_binary);
	tcase_add_test(tc, test_suspend_unix);
	tcase_add_test(tc, test_suspend_then_answer_at_once);
	tcase_add_test(tc, test_suspend_longer_than_idle);
	tcase_add_test(tc, test_suspend_server_freed);
	tcase_add_test(tc, test_suspend_client_gone);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(auth, setup, teardown);
	tcase_set_timeout(auth, 60);
	tcase_add_test(auth, test_auth_file_errors);
	tcase_add_test(auth, test_auth_passwords);
	tcase_add_test(auth, test_auth_malformed);
	tcase_add_test(auth, test_auth_http);
	suite_add_tcase(s, auth);
	return s;
}

int
main(void)
{
	return test_run_suite(http_suite());
}
