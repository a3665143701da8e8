/* SPDX-License-Identifier: MIT */
/*
 * The message catalog (catalog/healthmond.catalog, compiled in) as the help
 * desk reads it: the entry of an event's kind with the event's fields
 * filled in, the same text `journalctl -x` shows.
 */
#ifndef HM_CATALOG_H
#define HM_CATALOG_H

#include "event.h"

struct catalog_text {
	char *subject;  /* owned: the Subject: line, fields filled in */
	char *body;     /* owned: the text after the headers, fields filled in */
	char *fix;      /* owned: the paragraph(s) from "To fix" on, or NULL */
};

/* 0, or -ENOENT when the kind has no entry. Fields the event lacks stay "@NAME@". */
int catalog_render(const struct event *ev, struct catalog_text *ret);
void catalog_text_done(struct catalog_text *t);

#endif
