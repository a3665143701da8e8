/* SPDX-License-Identifier: MIT */
/* Listening sockets from "address:port" and "unix:/path" strings; see netaddr.c. */
#ifndef HM_NETADDR_H
#define HM_NETADDR_H

#include <sys/socket.h>

/* Splits "1.2.3.4:80" or "[::1]:80" and resolves it numerically. 0 or -EINVAL. */
int netaddr_parse(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);
/* The path of a "unix:/path" address (borrowed: points into address), or NULL. */
const char *netaddr_unix_path(const char *address);
/*
 * A socket bound to address and listening (CLOEXEC, NONBLOCK). TCP:
 * SO_REUSEADDR, IPv6 addresses IPv6-only. "unix:/abs/path": the parent
 * directory is created (0755) when missing; a socket file that something
 * still answers on is -EADDRINUSE ("in use by another process"), a stale
 * one is removed and bound again, anything else at the path is -EEXIST; the
 * new socket file is mode 0666 (its directory decides who may connect) and
 * the caller removes it when done. 0 and the fd, or -errno with *ret_error
 * (owned).
 */
int netaddr_listen(const char *address, int *ret_fd, char **ret_error);

#endif
