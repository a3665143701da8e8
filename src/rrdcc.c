/* SPDX-License-Identifier: MIT */
/*
 * The rrdcached client (see rrdcc.h). The protocol is line-based: a command
 * per line, an answer "<status> <message>" per command, with <status> more
 * lines after a positive status. In BATCH mode the daemon answers "0 Go
 * ahead..." at once, takes commands without answering until a line ".", then
 * answers "<n> errors" and n lines "<line> <message>". The daemon never
 * speaks unasked, so an idle connection that turns readable has been closed.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "rrdcc.h"

#define RRDCC_PORT "42217"
#define IO_TIMEOUT_SEC 60
#define LINE_MAX_LEN 4096

struct rrdcc {
	char *address; /* owned, as given */
	int fd;        /* -1: not connected */
	char buf[8192];
	size_t pos, len; /* unread bytes: buf[pos..len) */
	char error[512];
};

struct rrdcc *
rrdcc_new(const char *address)
{
	struct rrdcc *c;

	if (!address || !*address || strcmp(address, "unix:") == 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->address = xstrdup(address);
	c->fd = -1;
	return c;
}

void
rrdcc_disconnect(struct rrdcc *c)
{
	if (c->fd >= 0)
		(void)close(c->fd);
	c->fd = -1;
	c->pos = c->len = 0;
}

struct rrdcc *
rrdcc_free(struct rrdcc *c)
{
	if (!c)
		return NULL;
	rrdcc_disconnect(c);
	free(c->address);
	free(c);
	return NULL;
}

bool
rrdcc_is_connected(const struct rrdcc *c)
{
	return c->fd >= 0;
}

const char *
rrdcc_error(const struct rrdcc *c)
{
	return c->error;
}

static void
set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_SEC };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
connect_unix(struct rrdcc *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		(void)snprintf(c->error, sizeof(c->error),
			"cannot connect to rrdcached at %s: path too long", c->address);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		r = -errno;
	else if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		(void)close(fd);
	} else {
		c->fd = fd;
		return 0;
	}
	(void)snprintf(c->error, sizeof(c->error), "cannot connect to rrdcached at %s: %s",
		c->address, strerror(-r));
	return r;
}

static int
connect_tcp(struct rrdcc *c)
{
	_cleanup_free_ char *host = xstrdup(c->address);
	const char *port = RRDCC_PORT;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC };
	struct addrinfo *ai = NULL;
	char *colon;
	int r = -EHOSTUNREACH;

	if (host[0] == '[') {
		char *end = strchr(host, ']');

		if (end) {
			*end = '\0';
			if (end[1] == ':')
				port = end + 2;
			memmove(host, host + 1, strlen(host + 1) + 1);
		}
	} else if ((colon = strchr(host, ':')) && !strchr(colon + 1, ':')) {
		*colon = '\0';
		port = colon + 1;
	}
	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0) {
		(void)snprintf(c->error, sizeof(c->error),
			"cannot connect to rrdcached at %s: %s", c->address, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	r = -EHOSTUNREACH;
	for (const struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);

		if (fd < 0) {
			r = -errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			int one = 1;

			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			c->fd = fd;
			freeaddrinfo(ai);
			return 0;
		}
		r = -errno;
		(void)close(fd);
	}
	freeaddrinfo(ai);
	(void)snprintf(c->error, sizeof(c->error), "cannot connect to rrdcached at %s: %s",
		c->address, strerror(-r));
	return r;
}

/* True when the idle connection was closed by the daemon (or broke). */
static bool
idle_connection_dead(const struct rrdcc *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };

	if (poll(&p, 1, 0) < 0)
		return false;
	return p.revents != 0;
}

int
rrdcc_connect(struct rrdcc *c)
{
	int r;

	if (c->fd >= 0) {
		if (!idle_connection_dead(c))
			return 0;
		rrdcc_disconnect(c);
	}
	if (c->address[0] == '/')
		r = connect_unix(c, c->address);
	else if (strncmp(c->address, "unix:", 5) == 0)
		r = connect_unix(c, c->address + 5);
	else
		r = connect_tcp(c);
	if (r < 0)
		return r;
	set_timeouts(c->fd);
	c->pos = c->len = 0;
	return 1;
}

/* Fails the connection: closes it, keeps why, returns -ENOTCONN. */
static int
io_failed(struct rrdcc *c, const char *what, int r)
{
	(void)snprintf(c->error, sizeof(c->error), "rrdcached at %s: %s: %s", c->address,
		what, r ? strerror(-r) : "connection closed");
	rrdcc_disconnect(c);
	return -ENOTCONN;
}

static int
send_all(struct rrdcc *c, const char *p, size_t len)
{
	if (c->fd < 0)
		return io_failed(c, "not connected", -ENOTCONN);
	while (len > 0) {
		ssize_t k = send(c->fd, p, len, MSG_NOSIGNAL);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return io_failed(c, "send", -errno);
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Reads one line into line (without '\n', truncated to size - 1). 0 or -ENOTCONN. */
static int
read_line(struct rrdcc *c, char *line, size_t size)
{
	size_t n = 0;

	for (;;) {
		char *nl;
		size_t take;

		if (c->pos == c->len) {
			ssize_t k = recv(c->fd, c->buf, sizeof(c->buf), 0);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return io_failed(c, "receive", k < 0 ? -errno : 0);
			c->pos = 0;
			c->len = (size_t)k;
		}
		nl = memchr(c->buf + c->pos, '\n', c->len - c->pos);
		take = (nl ? (size_t)(nl - c->buf) : c->len) - c->pos;
		if (n + 1 < size) {
			size_t copy = MIN(take, size - 1 - n);

			memcpy(line + n, c->buf + c->pos, copy);
			n += copy;
		}
		c->pos += take;
		if (nl) {
			c->pos++;
			line[n] = '\0';
			return 0;
		}
	}
}

/* Reads "<status> <message>"; the message points into line. */
static int
read_status(struct rrdcc *c, char *line, size_t size, long *ret_status,
	const char **ret_message)
{
	char *end;
	int r;

	r = read_line(c, line, size);
	if (r < 0)
		return r;
	errno = 0;
	*ret_status = strtol(line, &end, 10);
	if (end == line || errno != 0)
		return io_failed(c, "unexpected answer", -EPROTO);
	while (*end == ' ')
		end++;
	*ret_message = end;
	return 0;
}

int
rrdcc_command(struct rrdcc *c, const char *command)
{
	_cleanup_free_ char *out = xasprintf("%s\n", command);
	char line[LINE_MAX_LEN];
	const char *message;
	long status;
	int r;

	r = send_all(c, out, strlen(out));
	if (r < 0)
		return r;
	r = read_status(c, line, sizeof(line), &status, &message);
	if (r < 0)
		return r;
	if (status < 0) {
		(void)snprintf(c->error, sizeof(c->error), "rrdcached: %s", message);
		return -EIO;
	}
	for (long i = 0; i < status; i++) {
		r = read_line(c, line, sizeof(line));
		if (r < 0)
			return r;
	}
	return 0;
}

int
rrdcc_batch(struct rrdcc *c, const char *lines, size_t len,
	void (*on_error)(size_t line, const char *message, void *userdata),
	void *userdata)
{
	static const char begin[] = "BATCH\n", end[] = ".\n";
	char line[LINE_MAX_LEN];
	const char *message;
	long status;
	int r;

	/*
	 * All of it in one go: the daemon answers BATCH at once and nothing
	 * else until the dot, so nothing it says can fill our receive buffer
	 * while we send.
	 */
	r = send_all(c, begin, sizeof(begin) - 1);
	if (r >= 0)
		r = send_all(c, lines, len);
	if (r >= 0)
		r = send_all(c, end, sizeof(end) - 1);
	if (r < 0)
		return r;
	r = read_status(c, line, sizeof(line), &status, &message);
	if (r < 0)
		return r;
	if (status != 0) {
		/* It did not take BATCH: the lines went out as commands; give up on it. */
		(void)snprintf(c->error, sizeof(c->error), "rrdcached refused BATCH: %s",
			message);
		rrdcc_disconnect(c);
		return -ENOTCONN;
	}
	r = read_status(c, line, sizeof(line), &status, &message);
	if (r < 0)
		return r;
	if (status < 0 || status > INT32_MAX)
		return io_failed(c, "unexpected answer to a batch", -EPROTO);
	for (long i = 0; i < status; i++) {
		long n;

		r = read_status(c, line, sizeof(line), &n, &message);
		if (r < 0)
			return r;
		(void)snprintf(c->error, sizeof(c->error), "rrdcached: %s", message);
		if (on_error && n > 0)
			on_error((size_t)n, message, userdata);
	}
	return (int)status;
}
