/* SPDX-License-Identifier: MIT */
/*
 * A growable, always NUL-terminated string for building texts whose size
 * is not known in advance (pages, /metrics). Allocation goes through
 * xrealloc(): internal bookkeeping, never sized by a peer. Nothing here logs.
 */
#ifndef HM_STRBUF_H
#define HM_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

struct strbuf {
	char *s;          /* owned: NULL until the first append */
	size_t len;
	size_t allocated;
};

#define STRBUF_INIT ((struct strbuf){ NULL, 0, 0 })

void strbuf_append(struct strbuf *b, const char *s);
void strbuf_append_n(struct strbuf *b, const char *s, size_t n);
void strbuf_append_char(struct strbuf *b, char c);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) _printf_(2, 3);
void strbuf_vprintf(struct strbuf *b, const char *fmt, va_list ap) _printf_(2, 0);
/*
 * Hands the text (never NULL, "" when nothing was appended) to the caller,
 * who frees it; *ret_len (may be NULL) is its length. b is left empty.
 */
char *strbuf_steal(struct strbuf *b, size_t *ret_len);
/* Frees the text; b is left empty and may be used again. */
void strbuf_done(struct strbuf *b);

#endif
