/* SPDX-License-Identifier: MIT */
/*
 * HTTP Basic authentication against a users file (see basicauth.h): the
 * file parser, a strict base64 decoder for the Authorization header (the
 * only part a peer controls: every length is checked before it is used),
 * and the check with libcrypt's crypt_r().
 *
 * Slow hashes are the point of yescrypt, and a dashboard asks every few
 * seconds: a small cache keeps the last verified header values, exactly as
 * sent. A hit needs the same user and password, so it proves what the hash
 * would; the values are compared in constant time over their whole buffer,
 * so that timing tells nothing about a cached password, and wiped on free.
 * Failures are never cached. The cache lives as long as the loaded file: a
 * reload that loads the file again starts empty.
 */
#include <crypt.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "basicauth.h"
#include "util.h"

#define USERS_FILE_MAX (1024 * 1024)
#define CACHE_SIZE 8
/* Decoded "user:password": what BASICAUTH_HEADER_MAX bytes of base64 hold. */
#define DECODED_MAX (BASICAUTH_HEADER_MAX / 4 * 3)

struct user {
	char *name; /* owned */
	char *hash; /* owned */
	unsigned line;
};

struct cache_entry {
	/* The header value, zero-padded: compared whole, in constant time. */
	char value[BASICAUTH_HEADER_MAX + 1];
	size_t user;        /* index in users */
	uint64_t last_used; /* 0: empty */
};

/* What basicauth_check() changes behind its const: the cache, crypt_r's area. */
struct state {
	struct crypt_data crypt;
	struct cache_entry cache[CACHE_SIZE];
	uint64_t clock;
};

struct basicauth {
	struct user *users; /* owned array */
	size_t n_users;
	size_t allocated;
	struct state *state; /* owned, wiped on free */
};

static bool
equal_ct(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* Base64. */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decodes len characters of canonical, padded base64 into dst (size bytes).
 * 0 and the decoded length, -EBADMSG or -EMSGSIZE.
 */
static int
b64_decode(const char *src, size_t len, unsigned char *dst, size_t size,
	size_t *ret_len)
{
	size_t pad = 0, n = 0;

	if (len == 0 || len % 4 != 0)
		return -EBADMSG;
	if (src[len - 1] == '=')
		pad = src[len - 2] == '=' ? 2 : 1;
	if (len / 4 * 3 - pad > size)
		return -EMSGSIZE;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		uint32_t bits = 0;

		for (size_t j = 0; j < 4; j++) {
			bool padding = i + 4 == len && j >= 4 - pad;

			v[j] = padding ? 0 : b64_value(src[i + j]);
			if (v[j] < 0)
				return -EBADMSG;
			bits = bits << 6 | (uint32_t)v[j];
		}
		/* Canonical: the bits under the padding are zero. */
		if ((pad == 1 && i + 4 == len && (bits & 0xff)) ||
			(pad == 2 && i + 4 == len && (bits & 0xffff)))
			return -EBADMSG;
		dst[n++] = (unsigned char)(bits >> 16);
		if (i + 4 < len || pad < 2)
			dst[n++] = (unsigned char)(bits >> 8);
		if (i + 4 < len || pad < 1)
			dst[n++] = (unsigned char)bits;
	}
	*ret_len = n;
	return 0;
}

char *
basicauth_base64(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t bits = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			bits |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			bits |= p[i + 2];
		*o++ = b64_alphabet[bits >> 18 & 63];
		*o++ = b64_alphabet[bits >> 12 & 63];
		*o++ = i + 1 < len ? b64_alphabet[bits >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64_alphabet[bits & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* The header. */

static bool
has_control(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

int
basicauth_parse_header(const char *value, char *ret_user, size_t user_size,
	char *ret_password, size_t password_size)
{
	unsigned char buf[DECODED_MAX];
	const unsigned char *colon;
	size_t len, n = 0, user_len;
	const char *p;
	int r;

	len = strnlen(value, BASICAUTH_HEADER_MAX + 1);
	if (len > BASICAUTH_HEADER_MAX)
		return -EMSGSIZE;
	if (len < 6 || strncasecmp(value, "Basic ", 6) != 0)
		return -EBADMSG;
	for (p = value + 6; *p == ' '; p++)
		;
	r = b64_decode(p, len - (size_t)(p - value), buf, sizeof(buf), &n);
	if (r >= 0 && has_control(buf, n))
		r = -EBADMSG;
	colon = r >= 0 ? memchr(buf, ':', n) : NULL;
	if (r >= 0 && (!colon || colon == buf))
		r = -EBADMSG;
	if (r >= 0) {
		user_len = (size_t)(colon - buf);
		if (user_len >= user_size || n - user_len - 1 >= password_size)
			r = -EMSGSIZE;
	}
	if (r >= 0) {
		memcpy(ret_user, buf, user_len);
		ret_user[user_len] = '\0';
		memcpy(ret_password, colon + 1, n - user_len - 1);
		ret_password[n - user_len - 1] = '\0';
	}
	explicit_bzero(buf, sizeof(buf));
	return r;
}

/* The users file. */

static const struct user *
find_user(const struct basicauth *a, const char *name)
{
	for (size_t i = 0; i < a->n_users; i++)
		if (strcmp(a->users[i].name, name) == 0)
			return &a->users[i];
	return NULL;
}

static bool
hash_is_valid(const char *hash)
{
	if (strlen(hash) >= CRYPT_OUTPUT_SIZE || hash[0] != '$')
		return false;
	for (const char *p = hash; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == ':')
			return false;
#ifdef HAVE_CRYPT_CHECKSALT
	switch (crypt_checksalt(hash)) {
	case CRYPT_SALT_INVALID:
	case CRYPT_SALT_METHOD_DISABLED:
		return false;
	default:
		break;
	}
#endif
	return true;
}

/* One line, blanks trimmed, not a comment: a user. 0, or -EBADMSG and *ret_why. */
static int
parse_user(struct basicauth *a, char *line, unsigned lineno, char **ret_why)
{
	char *colon = strchr(line, ':');
	const struct user *dup;
	struct user *u;

	if (!colon) {
		*ret_why = xstrdup("want \"user:HASH\"");
		return -EBADMSG;
	}
	*colon = '\0';
	if (colon == line || strlen(line) > BASICAUTH_USER_MAX) {
		*ret_why = xasprintf("the user name is empty or longer than %d bytes",
			BASICAUTH_USER_MAX);
		return -EBADMSG;
	}
	for (const char *p = line; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			*ret_why = xstrdup("the user name holds a blank or a control "
					   "character");
			return -EBADMSG;
		}
	if (!hash_is_valid(colon + 1)) {
		*ret_why = xasprintf("the hash of '%s' is not a crypt(3) hash this "
				     "system takes",
			line);
		return -EBADMSG;
	}
	dup = find_user(a, line);
	if (dup) {
		*ret_why = xasprintf("user '%s' is listed twice (first on line %u)", line,
			dup->line);
		return -EBADMSG;
	}
	a->users = xgrow(a->users, &a->allocated, a->n_users, 8, sizeof(*a->users));
	u = &a->users[a->n_users++];
	u->name = xstrdup(line);
	u->hash = xstrdup(colon + 1);
	u->line = lineno;
	return 0;
}

static char *
trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int
basicauth_load_string(const char *text, const char *name, struct basicauth **ret,
	char **ret_error)
{
	_cleanup_(basicauth_freep) struct basicauth *a = xcalloc(1, sizeof(*a));
	_cleanup_free_ char *copy = xstrdup(text);
	unsigned lineno = 0;
	char *next;

	/* Line by line, by hand: strtok_r() would skip empty lines and lose count. */
	for (char *p = copy; p; p = next) {
		_cleanup_free_ char *why = NULL;
		char *l;

		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		l = trim(p);
		if (*l == '\0' || *l == '#')
			continue;
		if (parse_user(a, l, lineno, &why) < 0) {
			*ret_error = xasprintf("%s:%u: %s", name, lineno, why);
			return -EBADMSG;
		}
	}
	if (a->n_users == 0) {
		*ret_error = xasprintf("%s: lists no user", name);
		return -ENOENT;
	}
	a->state = xcalloc(1, sizeof(*a->state));
	*ret = TAKE_PTR(a);
	return 0;
}

int
basicauth_load(const char *path, struct basicauth **ret, char **ret_error)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = read_file_at(NULL, path, USERS_FILE_MAX, &text, &len);
	if (r < 0) {
		*ret_error = xasprintf("cannot read '%s': %s", path, strerror(-r));
		return r;
	}
	if (strlen(text) != len) {
		*ret_error = xasprintf("%s: holds a NUL byte", path);
		return -EBADMSG;
	}
	return basicauth_load_string(text, path, ret, ret_error);
}

size_t
basicauth_users(const struct basicauth *a)
{
	return a->n_users;
}

/* Checking. */

/* The index of the cache entry holding value, or -1. */
static ssize_t
cache_find(struct state *st, const char *value)
{
	char padded[BASICAUTH_HEADER_MAX + 1] = { 0 };
	ssize_t hit = -1;

	memcpy(padded, value, strlen(value));
	for (size_t i = 0; i < CACHE_SIZE; i++)
		if (st->cache[i].last_used &&
			equal_ct(st->cache[i].value, padded, sizeof(padded)))
			hit = (ssize_t)i;
	explicit_bzero(padded, sizeof(padded));
	return hit;
}

static void
cache_add(struct state *st, const char *value, size_t user)
{
	struct cache_entry *e = &st->cache[0];

	for (size_t i = 1; i < CACHE_SIZE; i++)
		if (st->cache[i].last_used < e->last_used)
			e = &st->cache[i];
	explicit_bzero(e->value, sizeof(e->value));
	memcpy(e->value, value, strlen(value));
	e->user = user;
	e->last_used = ++st->clock;
}

/* Whether password verifies against hash, in time independent of the hash. */
static bool
verify(struct state *st, const char *password, const char *hash)
{
	const char *out = crypt_r(password, hash, &st->crypt);
	bool ok;

	ok = out && out[0] != '*' && strlen(out) == strlen(hash) &&
		equal_ct(out, hash, strlen(hash));
	explicit_bzero(&st->crypt, sizeof(st->crypt));
	return ok;
}

bool
basicauth_check(const struct basicauth *a, const char *authorization,
	char *ret_user, size_t size)
{
	char user[BASICAUTH_USER_MAX + 1], password[BASICAUTH_PASSWORD_MAX + 1];
	const struct user *u;
	ssize_t hit;
	bool ok;

	if (!authorization || basicauth_parse_header(authorization, user, sizeof(user),
				      password, sizeof(password)) < 0)
		return false;
	hit = cache_find(a->state, authorization);
	if (hit >= 0) {
		explicit_bzero(password, sizeof(password));
		u = &a->users[a->state->cache[hit].user];
		if (strlen(u->name) >= size)
			return false;
		a->state->cache[hit].last_used = ++a->state->clock;
		strcpy(ret_user, u->name);
		return true;
	}
	u = find_user(a, user);
	/* An unknown user costs a hash too, so that timing does not tell. */
	ok = verify(a->state, password, u ? u->hash : a->users[0].hash) && u;
	explicit_bzero(password, sizeof(password));
	if (!ok || strlen(u->name) >= size)
		return false;
	cache_add(a->state, authorization, (size_t)(u - a->users));
	strcpy(ret_user, u->name);
	return true;
}

struct basicauth *
basicauth_free(struct basicauth *a)
{
	if (!a)
		return NULL;
	for (size_t i = 0; i < a->n_users; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
	}
	free(a->users);
	if (a->state) {
		explicit_bzero(a->state, sizeof(*a->state));
		free(a->state);
	}
	free(a);
	return NULL;
}
