/* SPDX-License-Identifier: MIT */
/*
 * Aligned tables for people: each column as wide as its widest cell
 * (counted in characters, not bytes), two spaces between columns, the last
 * column unpadded so that no line ends in blanks. Colour, when asked for,
 * wraps a cell after its width is computed, so escapes never skew columns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_internal.h"
#include "util.h"

struct cell {
	char *text;      /* owned; control characters already replaced */
	const char *sgr; /* borrowed: a static string; NULL for no colour */
};

struct ctl_table {
	size_t n_columns;
	struct cell *cells; /* owned; row-major, the headings first */
	size_t n_cells;
	size_t allocated;
};

struct ctl_table *
ctl_table_new(const char *const *headers)
{
	struct ctl_table *t = xcalloc(1, sizeof(*t));

	while (headers[t->n_columns])
		t->n_columns++;
	for (size_t i = 0; headers[i]; i++)
		ctl_table_add(t, headers[i], NULL);
	return t;
}

struct ctl_table *
ctl_table_free(struct ctl_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_cells; i++)
		free(t->cells[i].text);
	free(t->cells);
	free(t);
	return NULL;
}

void
ctl_table_add(struct ctl_table *t, const char *s, const char *sgr)
{
	t->cells = xgrow(t->cells, &t->allocated, t->n_cells, 16, sizeof(*t->cells));
	t->cells[t->n_cells].text = ctl_fmt_clean(s ? s : "-");
	t->cells[t->n_cells].sgr = sgr;
	t->n_cells++;
}

void
ctl_table_addf(struct ctl_table *t, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		fprintf(stderr, "healthmondctl: out of memory\n");
		abort();
	}
	va_end(ap);
	ctl_table_add(t, s, NULL);
}

size_t
ctl_table_rows(const struct ctl_table *t)
{
	/* Without the headings; a row being filled counts. */
	return t->n_columns ? (t->n_cells + t->n_columns - 1) / t->n_columns - 1 : 0;
}

/* Characters in UTF-8 text: the bytes that do not continue a sequence. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void
ctl_table_print(const struct ctl_table *t, FILE *f, bool color)
{
	_cleanup_free_ size_t *widths = xcalloc(t->n_columns + 1, sizeof(size_t));

	for (size_t i = 0; i < t->n_cells; i++)
		widths[i % t->n_columns] =
			MAX(widths[i % t->n_columns], width(t->cells[i].text));
	for (size_t i = 0; i < t->n_cells; i++) {
		const struct cell *c = &t->cells[i];
		size_t col = i % t->n_columns;
		bool last = col + 1 == t->n_columns || i + 1 == t->n_cells;
		bool paint = color && c->sgr && *c->sgr;

		fprintf(f, "%s%s%s", paint ? c->sgr : "", c->text,
			paint ? "\033[0m" : "");
		if (last)
			fputc('\n', f);
		else
			fprintf(f, "%*s", (int)(widths[col] - width(c->text) + 2), "");
	}
}
