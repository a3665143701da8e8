/* SPDX-License-Identifier: MIT */
/*
 * A small rrdcached client: one connection (UNIX socket or TCP), single
 * commands and BATCH. Sends with MSG_NOSIGNAL, so a daemon that went away
 * costs an error, never a SIGPIPE. Not thread-safe: one user per connection.
 * Nothing here logs; rrdcc_error() says why the last call failed.
 */
#ifndef HM_RRDCC_H
#define HM_RRDCC_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct rrdcc;

/* address: "unix:/path", "/path", "host" or "host:port" ("[v6]:port"). NULL on bad arguments. */
struct rrdcc *rrdcc_new(const char *address);
struct rrdcc *rrdcc_free(struct rrdcc *c);
DEFINE_POINTER_CLEANUP(struct rrdcc, rrdcc_free)

/*
 * Makes sure there is a live connection: an idle one the daemon closed is
 * dropped and replaced. Returns 1 when a new connection was opened, 0 when
 * the old one is still good, -errno when the daemon cannot be reached.
 */
int rrdcc_connect(struct rrdcc *c);
bool rrdcc_is_connected(const struct rrdcc *c);
void rrdcc_disconnect(struct rrdcc *c);

/*
 * Sends one command (no newline) and reads its answer "<status> <message>"
 * (and the status lines that follow a positive status). Returns the status
 * (0 success, negative: the daemon's refusal; its message then in
 * rrdcc_error()), or -ENOTCONN when the connection failed (and is closed).
 * The status returned for a refusal is -EIO.
 */
int rrdcc_command(struct rrdcc *c, const char *command);

/*
 * Sends lines (len bytes of commands, each ending in '\n') as one BATCH and
 * reads the errors back, calling on_error(line, message, userdata) for each
 * (line counts from 1). Returns the number of errors, or -ENOTCONN when the
 * connection failed (it is then closed, and nothing is known of the lines).
 */
int rrdcc_batch(struct rrdcc *c, const char *lines, size_t len,
	void (*on_error)(size_t line, const char *message, void *userdata),
	void *userdata);

const char *rrdcc_error(const struct rrdcc *c);

#endif
