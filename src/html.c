/* SPDX-License-Identifier: MIT */
/*
 * HTML escaping and URL encoding for the dashboard. Nothing here logs.
 */
#include <stdbool.h>
#include <string.h>

#include "html.h"

void
html_escape(struct strbuf *b, const char *s)
{
	const char *p;

	if (!s)
		return;
	while (*s) {
		size_t n = strcspn(s, "&<>\"'");

		strbuf_append_n(b, s, n);
		p = s + n;
		switch (*p) {
		case '&':
			strbuf_append(b, "&amp;");
			break;
		case '<':
			strbuf_append(b, "&lt;");
			break;
		case '>':
			strbuf_append(b, "&gt;");
			break;
		case '"':
			strbuf_append(b, "&quot;");
			break;
		case '\'':
			strbuf_append(b, "&#39;");
			break;
		default:
			return; /* the end of s */
		}
		s = p + 1;
	}
}

static bool
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

void
html_url_encode(struct strbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (unreserved(*p)) {
			strbuf_append_char(b, (char)*p);
			continue;
		}
		strbuf_append_char(b, '%');
		strbuf_append_char(b, hex[*p >> 4]);
		strbuf_append_char(b, hex[*p & 0xf]);
	}
}
