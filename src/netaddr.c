/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets for the HTTP servers: numeric "address:port" and
 * "[v6]:port" strings, and a bound, listening, non-blocking socket for one.
 * Nothing here logs; errors come back as text for the caller to log.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

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

int
netaddr_listen(const char *address, int *ret_fd, char **ret_error)
{
	struct sockaddr_storage sa;
	socklen_t sa_len;
	_cleanup_close_ int fd = -1;
	int one = 1;

	if (netaddr_parse(address, &sa, &sa_len) < 0) {
		*ret_error = xasprintf("listen address '%s' is not a numeric "
				       "\"address:port\" or \"[v6]:port\"",
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
