/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the Basic authentication decoders, what a peer (the
 * Authorization header) and the users file feed basicauth.c. The input, up
 * to its first NUL, is decoded as a header value: it must be refused
 * cleanly (-EBADMSG or -EMSGSIZE) or give a non-empty user without ':' or
 * control characters and a password without control characters that,
 * encoded again, decode to the same. The raw input is then base64-encoded
 * as a header: it must decode exactly when it is a valid "user:password"
 * that fits, and to itself. Finally the input is loaded as a users file:
 * refused with a message naming "fuzz:", or holding at least one user. No
 * password is checked: crypt_r() on a fuzzed hash ("$5$rounds=999999999$")
 * would only measure libcrypt. Built as a libFuzzer binary with
 * --enable-fuzzer (scripts/fuzz), and linked with tests/fuzz_main.c as a
 * replay driver that `make check` runs over tests/data/fuzz/basicauth/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basicauth.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXPECT(cond)                                                                 \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz_basicauth: %s:%d: %s\n", __FILE__,      \
				__LINE__, #cond);                                    \
			abort();                                                     \
		}                                                                    \
	} while (0)

static bool
clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* "Basic base64(user:password)" for the parts; the caller frees it. */
static char *
encode(const char *user, const char *password)
{
	_cleanup_free_ char *pair = xasprintf("%s:%s", user, password);
	_cleanup_free_ char *b64 = basicauth_base64(pair, strlen(pair));

	return xasprintf("Basic %s", b64);
}

static void
fuzz_header(const char *text)
{
	char user[BASICAUTH_USER_MAX + 1], password[BASICAUTH_PASSWORD_MAX + 1];
	char user2[sizeof(user)], password2[sizeof(password)];
	_cleanup_free_ char *again = NULL;
	int r;

	r = basicauth_parse_header(text, user, sizeof(user), password, sizeof(password));
	if (r < 0) {
		EXPECT(r == -EBADMSG || r == -EMSGSIZE);
		return;
	}
	EXPECT(user[0] && !strchr(user, ':') && clean(user) && clean(password));
	again = encode(user, password);
	EXPECT(basicauth_parse_header(again, user2, sizeof(user2), password2,
		       sizeof(password2)) == 0);
	EXPECT(strcmp(user, user2) == 0 && strcmp(password, password2) == 0);
}

/* The raw bytes, encoded: decoded back exactly when they are a valid pair. */
static void
fuzz_encoded(const uint8_t *data, size_t size)
{
	char user[BASICAUTH_USER_MAX + 1], password[BASICAUTH_PASSWORD_MAX + 1];
	_cleanup_free_ char *b64 = basicauth_base64(data, size);
	_cleanup_free_ char *header = xasprintf("bAsIc  %s", b64);
	const uint8_t *colon = memchr(data, ':', size);
	bool control = false, valid;
	int r;

	for (size_t i = 0; i < size; i++)
		control = control || data[i] < 0x20 || data[i] == 0x7f;
	valid = size > 0 && colon && colon != data && !control;
	r = basicauth_parse_header(header, user, sizeof(user), password, sizeof(password));
	if (!valid) {
		EXPECT(r < 0);
		return;
	}
	if (strlen(header) > BASICAUTH_HEADER_MAX ||
		(size_t)(colon - data) > BASICAUTH_USER_MAX ||
		size - (size_t)(colon - data) - 1 > BASICAUTH_PASSWORD_MAX) {
		EXPECT(r == -EMSGSIZE);
		return;
	}
	EXPECT(r == 0);
	EXPECT(strlen(user) == (size_t)(colon - data));
	EXPECT(memcmp(user, data, strlen(user)) == 0);
	EXPECT(strlen(password) == size - strlen(user) - 1);
	EXPECT(memcmp(password, colon + 1, strlen(password)) == 0);
}

static void
fuzz_file(const char *text)
{
	struct basicauth *a = NULL;
	char *error = NULL;
	int r;

	r = basicauth_load_string(text, "fuzz", &a, &error);
	if (r < 0) {
		EXPECT(!a);
		EXPECT(r == -EBADMSG || r == -ENOENT);
		EXPECT(error && strncmp(error, "fuzz:", 5) == 0);
		free(error);
		return;
	}
	EXPECT(a && !error && basicauth_users(a) > 0);
	basicauth_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_header(text);
	fuzz_encoded(data, size);
	fuzz_file(text);
	free(text);
	return 0;
}
