/* SPDX-License-Identifier: MIT */
/*
 * The journal message catalog, compiled in (the build turns
 * catalog/healthmond.catalog into the string catalog_source, see
 * Makefile.am), read the way systemd's catalog reads it: '#' lines are
 * comments, an entry starts with "-- " and its 32-hex MESSAGE_ID, header
 * lines ("Subject: ...") follow up to a blank line, then the body up to the
 * next entry. @NAME@ is replaced with the event's journal field NAME, the
 * fields journal.c writes, so the help desk shows what `journalctl -x`
 * shows. The text is scanned on each call: it is small, and the help desk
 * is not a hot path. Nothing here logs.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "catalog.h"
#include "journal.h"
#include "strbuf.h"
#include "util.h"

/* Generated into the build tree from catalog/healthmond.catalog. */
extern const char catalog_source[];

#define ID_LEN 32
#define VAR_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

/* One line of the catalog, without its newline. */
struct span {
	const char *p;
	size_t len;
};

/* The next line at *pos, advancing *pos; false at the end. */
static bool
next_line(const char **pos, struct span *ret)
{
	const char *p = *pos, *nl;

	if (!*p)
		return false;
	nl = strchr(p, '\n');
	ret->p = p;
	ret->len = nl ? (size_t)(nl - p) : strlen(p);
	*pos = nl ? nl + 1 : p + ret->len;
	return true;
}

static bool
span_starts_with(const struct span *l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l->len >= n && memcmp(l->p, prefix, n) == 0;
}

static bool
span_is_blank(const struct span *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (l->p[i] != ' ' && l->p[i] != '\t' && l->p[i] != '\r')
			return false;
	return true;
}

/* "-- <id>", optionally followed by a language: the entry of id. */
static bool
is_entry_of(const struct span *l, const char *id)
{
	if (!span_starts_with(l, "-- ") || l->len < 3 + ID_LEN)
		return false;
	if (strncasecmp(l->p + 3, id, ID_LEN) != 0)
		return false;
	return l->len == 3 + ID_LEN || l->p[3 + ID_LEN] == ' ';
}

/*
 * Finds the entry of id: its Subject: value and its body (comment lines
 * left out, trailing blank lines dropped), as new strings. false when the
 * catalog has no such entry.
 */
static bool
find_entry(const char *id, char **ret_subject, char **ret_body)
{
	struct strbuf body = STRBUF_INIT;
	_cleanup_free_ char *subject = NULL;
	const char *pos = catalog_source;
	struct span l;
	size_t kept = 0; /* body length up to the end of its last line not blank */
	bool found = false, in_headers = false;

	while (next_line(&pos, &l)) {
		if (span_starts_with(&l, "#"))
			continue;
		if (span_starts_with(&l, "-- ")) {
			if (found)
				break;
			found = in_headers = is_entry_of(&l, id);
			continue;
		}
		if (!found)
			continue;
		if (in_headers) {
			if (span_is_blank(&l))
				in_headers = false;
			else if (span_starts_with(&l, "Subject:") && !subject)
				subject = xstrndup(l.p + 8 + strspn(l.p + 8, " \t"),
					l.len - 8 - strspn(l.p + 8, " \t"));
			continue;
		}
		if (body.len == 0 && span_is_blank(&l))
			continue;
		strbuf_append_n(&body, l.p, l.len);
		if (!span_is_blank(&l))
			kept = body.len;
		strbuf_append_char(&body, '\n');
	}
	if (!found) {
		strbuf_done(&body);
		return false;
	}
	*ret_body = strbuf_steal(&body, NULL);
	(*ret_body)[kept] = '\0';
	*ret_subject = subject ? TAKE_PTR(subject) : xstrdup("");
	return true;
}

/* The value of field name (n bytes) in "NAME=value" fields, or NULL. */
static const char *
field_value(char *const *fields, const char *name, size_t n)
{
	for (char *const *f = fields; f && *f; f++)
		if (strncmp(*f, name, n) == 0 && (*f)[n] == '=')
			return *f + n + 1;
	return NULL;
}

/* text with every @NAME@ that fields has replaced by its value. */
static char *
substitute(const char *text, char *const *fields)
{
	struct strbuf b = STRBUF_INIT;
	const char *p = text, *at;

	while ((at = strchr(p, '@'))) {
		size_t n = strspn(at + 1, VAR_CHARS);
		const char *value;

		strbuf_append_n(&b, p, (size_t)(at - p));
		if (n > 0 && at[1 + n] == '@' &&
			(value = field_value(fields, at + 1, n))) {
			strbuf_append(&b, value);
			p = at + n + 2;
			continue;
		}
		/* Not a variable, or one the event lacks: keep the '@' as it is. */
		strbuf_append_char(&b, '@');
		p = at + 1;
	}
	strbuf_append(&b, p);
	return strbuf_steal(&b, NULL);
}

/* The paragraph that starts with "To fix" and the rest of body, or NULL. */
static char *
find_fix(const char *body)
{
	const char *p;

	if (strncmp(body, "To fix", 6) == 0)
		return xstrdup(body);
	p = strstr(body, "\n\nTo fix");
	return p ? xstrdup(p + 2) : NULL;
}

int
catalog_render(const struct event *ev, struct catalog_text *ret)
{
	_cleanup_(strv_freep) char **fields = NULL;
	_cleanup_free_ char *subject = NULL, *body = NULL;
	const char *id = event_message_id(ev->kind);
	struct catalog_text t;

	if (!id || !find_entry(id, &subject, &body))
		return -ENOENT;
	fields = journal_event_fields(ev);
	t.subject = substitute(subject, fields);
	t.body = substitute(body, fields);
	t.fix = find_fix(t.body);
	*ret = t;
	return 0;
}

void
catalog_text_done(struct catalog_text *t)
{
	if (!t)
		return;
	free(t->subject);
	free(t->body);
	free(t->fix);
	*t = (struct catalog_text){ 0 };
}
