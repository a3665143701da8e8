/* SPDX-License-Identifier: MIT */
/*
 * HTTP Basic authentication (RFC 7617) against a file of "user:HASH" lines,
 * HASH a crypt(3) hash ($y$ yescrypt, $6$ SHA-512, $5$ SHA-256, ... whatever
 * libcrypt takes): the users of the web dashboard. Nothing here logs.
 */
#ifndef HM_BASICAUTH_H
#define HM_BASICAUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Bytes of a user name, without the NUL. */
#define BASICAUTH_USER_MAX 64
/* Bytes of a password, without the NUL (libcrypt's limit). */
#define BASICAUTH_PASSWORD_MAX 511
/* Bytes of an Authorization header value; a longer one is refused. */
#define BASICAUTH_HEADER_MAX 1024

struct basicauth;

/*
 * Reads the users file at path (at most 1 MiB): one "user:HASH" per line,
 * blanks around it ignored, blank lines and lines starting with '#' skipped.
 * A user name is 1 to BASICAUTH_USER_MAX bytes without blanks, controls or
 * ':', listed once; a hash is one libcrypt takes. Returns 0 and the users in
 * *ret (owned), or -errno and a message naming "path:line" in *ret_error
 * (owned): -EBADMSG for a bad line, -ENOENT for no user at all, or the
 * error of reading the file.
 */
int basicauth_load(const char *path, struct basicauth **ret, char **ret_error);
/* The same from text, messages naming name; for tests and fuzzing. */
int basicauth_load_string(const char *text, const char *name, struct basicauth **ret,
	char **ret_error);
/* How many users were loaded. */
size_t basicauth_users(const struct basicauth *a);
/*
 * Whether authorization (an Authorization header value, NULL when there is
 * none) is "Basic base64(user:password)" for a listed user whose password
 * its hash verifies; true copies the user into ret_user (size bytes; a user
 * that does not fit is refused). Anything malformed is refused. The hash is
 * compared in constant time, and an unknown user costs a hash too. A
 * verified header is remembered (the last 8 distinct ones, exact strings,
 * compared in constant time and wiped on free), so that a dashboard
 * reloading every few seconds does not pay for yescrypt each time; a
 * refused one is not. Blocks for as long as the hash takes otherwise (a
 * few ms for yescrypt's defaults): callers should limit failed attempts.
 */
bool basicauth_check(const struct basicauth *a, const char *authorization,
	char *ret_user, size_t size);
struct basicauth *basicauth_free(struct basicauth *a);
DEFINE_POINTER_CLEANUP(struct basicauth, basicauth_free)

/*
 * Decodes an Authorization value "Basic base64(user:password)" (the scheme
 * in any case, canonical padded base64): 0 and the parts into the buffers
 * (user_size, password_size bytes), or -EBADMSG (no "Basic ", bad base64,
 * no ':' or an empty user, a control character) or -EMSGSIZE (over
 * BASICAUTH_HEADER_MAX, or a part that does not fit). basicauth_check()'s
 * decoder, exported for the tests and the fuzz target.
 */
int basicauth_parse_header(const char *value, char *ret_user, size_t user_size,
	char *ret_password, size_t password_size);
/* Standard padded base64 of len bytes of data; the caller frees it. */
char *basicauth_base64(const void *data, size_t len);

#endif
