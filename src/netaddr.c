/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets for the HTTP servers: numeric "address:port" and
 * "[v6]:port" strings, "unix:/abs/path" for a UNIX socket, and a bound,
 * listening, non-blocking socket for one. Nothing here logs; errors come
 * back as text for the caller to log.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "netaddr.h"
#include "util.h"

#define LISTEN_BACKLOG 512

/* Splits "1.2.3.4:80" or "[::1]:80" and resolves it, numerically only. */
int
netaddr_parse(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len)
{
	const char *colon = strrchr(s, ':');
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *ai = NULL;
	_cleanup_free_ char *host = NULL;
	int r;

	if (!colon || colon == s || !colon[1])
		return -EINVAL;
	if (s[0] == '[') {
		if (colon[-1] != ']' || colon - s < 3)
			return -EINVAL;
		host = xstrndup(s + 1, (size_t)(colon - s - 2));
	} else
		host = xstrndup(s, (size_t)(colon - s));
	r = getaddrinfo(host, colon + 1, &hints, &ai);
	if (r != 0 || !ai)
		return -EINVAL;
	if (ai->ai_addrlen > sizeof(*ret)) {
		freeaddrinfo(ai);
		return -EINVAL;
	}
	memcpy(ret, ai->ai_addr, ai->ai_addrlen);
	*ret_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

const char *
netaddr_unix_path(const char *address)
{
	return strncmp(address, "unix:", 5) == 0 ? address + 5 : NULL;
}

/*
 * Whether a listener still answers on the socket file at sa: 1 yes, 0 no
 * (stale: nobody accepts), or -errno. The probe does not block: a full
 * backlog (EAGAIN) also means someone is there.
 */
static int
unix_in_use(const struct sockaddr_un *sa)
{
	_cleanup_close_ int fd = -1;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return 1;
	if (errno == EAGAIN || errno == EINPROGRESS)
		return 1;
	if (errno == ECONNREFUSED || errno == ENOENT)
		return 0;
	return -errno;
}

/*
 * Binds fd to sa, replacing a stale socket file once. 0, or -errno with
 * *ret_error (owned).
 */
static int
unix_bind(int fd, const struct sockaddr_un *sa, char **ret_error)
{
	const char *path = sa->sun_path;
	struct stat st;
	int r;

	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return 0;
	if (errno != EADDRINUSE)
		goto fail;
	if (lstat(path, &st) < 0)
		goto fail;
	if (!S_ISSOCK(st.st_mode)) {
		*ret_error = xasprintf("cannot listen on '%s': it exists and is not a "
				       "socket",
			path);
		return -EEXIST;
	}
	r = unix_in_use(sa);
	if (r > 0) {
		*ret_error = xasprintf("'%s' is in use by another process", path);
		return -EADDRINUSE;
	}
	if (r < 0) {
		errno = -r;
		goto fail;
	}
	/* Stale: left by a process that died without removing it. */
	if (unlink(path) < 0 && errno != ENOENT)
		goto fail;
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return 0;
fail:
	r = -errno;
	*ret_error = xasprintf("cannot listen on '%s': %s", path, strerror(errno));
	return r;
}

static int
listen_unix(const char *path, int *ret_fd, char **ret_error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_free_ char *parent = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (path[0] != '/' || path[strlen(path) - 1] == '/') {
		*ret_error = xasprintf("listen address 'unix:%s' wants an absolute "
				       "file name",
			path);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		*ret_error = xasprintf("listen address 'unix:%s' is too long (at most "
				       "%zu bytes)",
			path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	parent = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	if (parent[0] && (r = mkdir_p(parent, 0755)) < 0) {
		*ret_error = xasprintf("cannot create the directory '%s': %s", parent,
			strerror(-r));
		return r;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		*ret_error = xasprintf("cannot listen on '%s': %s", path, strerror(errno));
		return r;
	}
	r = unix_bind(fd, &sa, ret_error);
	if (r < 0)
		return r;
	/* The directory decides who may connect, not the umask. */
	if (chmod(path, 0666) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		r = -errno;
		*ret_error = xasprintf("cannot listen on '%s': %s", path, strerror(errno));
		(void)unlink(path);
		return r;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int
netaddr_listen(const char *address, int *ret_fd, char **ret_error)
{
	struct sockaddr_storage sa;
	socklen_t sa_len;
	_cleanup_close_ int fd = -1;
	int one = 1;

	if (netaddr_unix_path(address))
		return listen_unix(netaddr_unix_path(address), ret_fd, ret_error);
	if (netaddr_parse(address, &sa, &sa_len) < 0) {
		*ret_error = xasprintf("listen address '%s' is not a numeric "
				       "\"address:port\", \"[v6]:port\" or "
				       "\"unix:/path\"",
			address);
		return -EINVAL;
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	/*
	 * "[::]:8089" means IPv6 only, so that "0.0.0.0:8089" can be listed
	 * next to it, whatever net.ipv6.bindv6only says.
	 */
	if (sa.ss_family == AF_INET6 &&
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, sa_len) < 0)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	*ret_fd = TAKE_FD(fd);
	return 0;
fail:
	*ret_error = xasprintf("cannot listen on '%s': %s", address, strerror(errno));
	return -errno;
}
