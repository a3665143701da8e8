/* SPDX-License-Identifier: MIT */
/*
 * Bearer tokens of the central: one per host, from the tokens file. A lookup
 * compares the presented token with every configured one in full, so its
 * time says nothing about how close a guess came.
 */
#ifndef HM_TOKENS_H
#define HM_TOKENS_H

#include <stddef.h>

#include "macro.h"

#define TOKEN_LEN_MIN 16
#define TOKEN_LEN_MAX 256

struct tokens;

/*
 * Parses a tokens file's text: "host token" per line, '#' comments, blank
 * lines; tokens of TOKEN_LEN_MIN..MAX visible ASCII characters, no token
 * given twice. 0 and the set in *ret, or -EINVAL with "line N: why" in
 * *ret_error (owned).
 */
int tokens_parse(const char *text, struct tokens **ret, char **ret_error);
/* The host the token belongs to, or NULL; borrowed from ts. */
const char *tokens_host(const struct tokens *ts, const char *token);
size_t tokens_count(const struct tokens *ts);
struct tokens *tokens_free(struct tokens *ts);
DEFINE_POINTER_CLEANUP(struct tokens, tokens_free)

#endif
