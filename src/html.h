/* SPDX-License-Identifier: MIT */
/*
 * Building HTML safely: every string that comes from the view (host,
 * series and check names, URLs, reasons, catalog texts) goes through
 * html_escape(), and query values through html_url_encode(). Nothing here
 * logs.
 */
#ifndef HM_HTML_H
#define HM_HTML_H

#include "strbuf.h"

/*
 * Appends s with &, <, >, " and ' as character references: safe as text
 * and inside a quoted attribute value. NULL appends nothing.
 */
void html_escape(struct strbuf *b, const char *s);
/*
 * Appends s percent-encoded for a URL query value: only RFC 3986's
 * unreserved characters are left as they are, so the result is also safe
 * in HTML without escaping (bar the '&' between parameters, which the
 * caller writes as "&amp;").
 */
void html_url_encode(struct strbuf *b, const char *s);

#endif
