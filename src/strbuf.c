/* SPDX-License-Identifier: MIT */
/*
 * A growable string: appends double the buffer when it is full, so that
 * building a text of n bytes costs O(n). Nothing here logs.
 */
#include <stdio.h>
#include <string.h>

#include "strbuf.h"
#include "util.h"

/* Makes room for n more bytes and the terminating NUL. */
static void
reserve(struct strbuf *b, size_t n)
{
	size_t want = b->len + n + 1;

	if (want <= b->allocated)
		return;
	if (want < 256)
		want = 256;
	if (want < 2 * b->allocated)
		want = 2 * b->allocated;
	b->s = xrealloc(b->s, want);
	b->allocated = want;
}

void
strbuf_append_n(struct strbuf *b, const char *s, size_t n)
{
	reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
strbuf_append(struct strbuf *b, const char *s)
{
	strbuf_append_n(b, s, strlen(s));
}

void
strbuf_append_char(struct strbuf *b, char c)
{
	strbuf_append_n(b, &c, 1);
}

void
strbuf_vprintf(struct strbuf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n <= 0)
		return;
	reserve(b, (size_t)n);
	(void)vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *
strbuf_steal(struct strbuf *b, size_t *ret_len)
{
	char *s;

	reserve(b, 0);
	s = b->s;
	if (ret_len)
		*ret_len = b->len;
	*b = STRBUF_INIT;
	return s;
}

void
strbuf_done(struct strbuf *b)
{
	free(b->s);
	*b = STRBUF_INIT;
}
