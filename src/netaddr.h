/* SPDX-License-Identifier: MIT */
/* Listening sockets from numeric "address:port" strings; see netaddr.c. */
#ifndef HM_NETADDR_H
#define HM_NETADDR_H

#include <sys/socket.h>

/* Splits "1.2.3.4:80" or "[::1]:80" and resolves it numerically. 0 or -EINVAL. */
int netaddr_parse(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);
/*
 * A socket bound to address and listening (CLOEXEC, NONBLOCK, SO_REUSEADDR;
 * IPv6 addresses IPv6-only). 0 and the fd, or -errno with *ret_error (owned).
 */
int netaddr_listen(const char *address, int *ret_fd, char **ret_error);

#endif
