/* SPDX-License-Identifier: MIT */
/*
 * The central's bearer tokens: parsing the tokens file ("host token" lines)
 * and finding the host a presented token belongs to in constant time.
 * Secrets are wiped from memory when they are let go. Nothing here logs.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tokens.h"
#include "util.h"

struct token {
	char host[NAME_MAX_LEN + 1];
	unsigned char secret[TOKEN_LEN_MAX]; /* zero-padded */
	size_t len;
};

struct tokens {
	struct token *items; /* owned; wiped on free */
	size_t n;
};

static bool
token_char_ok(char c)
{
	return c > ' ' && c < 0x7f;
}

int
tokens_parse(const char *text, struct tokens **ret, char **ret_error)
{
	_cleanup_free_ char *copy = xstrdup(text);
	struct token *tokens = NULL;
	size_t n = 0, line_no = 0;
	char *rest = copy, *line;
	int r = 0;

	while ((line = strsep(&rest, "\n"))) {
		char *host, *secret, *extra, *save = NULL;
		struct token *t;

		line_no++;
		host = strtok_r(line, " \t\r", &save);
		if (!host || host[0] == '#')
			continue;
		secret = strtok_r(NULL, " \t\r", &save);
		extra = strtok_r(NULL, " \t\r", &save);
		if (!secret || (extra && extra[0] != '#')) {
			*ret_error = xasprintf("line %zu: want \"host token\"", line_no);
			r = -EINVAL;
			break;
		}
		if (!name_is_valid(host)) {
			*ret_error = xasprintf("line %zu: '%s' is not a valid host name",
				line_no, host);
			r = -EINVAL;
			break;
		}
		if (strlen(secret) < TOKEN_LEN_MIN || strlen(secret) > TOKEN_LEN_MAX) {
			*ret_error = xasprintf("line %zu: the token of '%s' is not %d to %d "
					       "characters long",
				line_no, host, TOKEN_LEN_MIN, TOKEN_LEN_MAX);
			r = -EINVAL;
			break;
		}
		for (const char *p = secret; *p; p++)
			if (!token_char_ok(*p))
				r = -EINVAL;
		if (r < 0) {
			*ret_error = xasprintf("line %zu: the token of '%s' holds a "
					       "character other than visible ASCII",
				line_no, host);
			break;
		}
		for (size_t i = 0; i < n; i++)
			if (tokens[i].len == strlen(secret) &&
				memcmp(tokens[i].secret, secret, tokens[i].len) == 0) {
				*ret_error = xasprintf("line %zu: the token of '%s' is also "
						       "given to '%s'",
					line_no, host, tokens[i].host);
				r = -EINVAL;
			}
		if (r < 0)
			break;
		tokens = xrealloc(tokens, (n + 1) * sizeof(*tokens));
		t = &tokens[n++];
		memset(t, 0, sizeof(*t));
		strcpy(t->host, host);
		t->len = strlen(secret);
		memcpy(t->secret, secret, t->len);
	}
	explicit_bzero(copy, strlen(text));
	if (r < 0) {
		if (tokens)
			explicit_bzero(tokens, n * sizeof(*tokens));
		free(tokens);
		return r;
	}
	*ret = xcalloc(1, sizeof(**ret));
	(*ret)->items = tokens;
	(*ret)->n = n;
	return 0;
}

/*
 * Compares the token against every configured one, every byte of each,
 * without a branch on the secret: the time taken says nothing about how
 * close a guess came, nor which entry matched.
 */
const char *
tokens_host(const struct tokens *ts, const char *token)
{
	unsigned char buf[TOKEN_LEN_MAX] = { 0 };
	size_t len = token ? strlen(token) : 0;
	size_t match = 0;
	uint64_t found = 0;

	if (!ts || len == 0 || len > TOKEN_LEN_MAX)
		return NULL;
	memcpy(buf, token, len);
	for (size_t i = 0; i < ts->n; i++) {
		const struct token *t = &ts->items[i];
		uint64_t diff = (uint64_t)(t->len ^ len), eq;

		for (size_t k = 0; k < TOKEN_LEN_MAX; k++)
			diff |= (uint64_t)(buf[k] ^ t->secret[k]);
		/* diff < 2^63, so diff - 1 has its top bit set only for diff == 0. */
		eq = (diff - 1) >> 63;
		match |= (size_t)(-(int64_t)(eq & ~found)) & i;
		found |= eq;
	}
	explicit_bzero(buf, sizeof(buf));
	return found ? ts->items[match].host : NULL;
}

size_t
tokens_count(const struct tokens *ts)
{
	return ts ? ts->n : 0;
}

struct tokens *
tokens_free(struct tokens *ts)
{
	if (!ts)
		return NULL;
	if (ts->items)
		explicit_bzero(ts->items, ts->n * sizeof(*ts->items));
	free(ts->items);
	free(ts);
	return NULL;
}
