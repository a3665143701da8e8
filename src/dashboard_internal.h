/* SPDX-License-Identifier: MIT */
/*
 * What the dashboard's pages share (dashboard_common.c): the page frame
 * with its style sheet and healthmond's own status, state badges, links,
 * graphs, remedies and the formatting of values and times. Not for other
 * modules: they use dashboard.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashboard.h"
#include "strbuf.h"

#define DASHBOARD_REFRESH_SEC 30
#define DASHBOARD_PROBE_PREFIX "probe-"
#define DASHBOARD_GRAPH_WIDTH 600
#define DASHBOARD_GRAPH_HEIGHT 200

/* "critical": the class that colours an element by state. */
const char *dashboard_state_class(enum check_state s);
/* 3 critical, 2 unknown, 1 warning, 0 ok: what needs a person first. */
int dashboard_severity(enum check_state s);

/*
 * From <!DOCTYPE html> to the opening <main>: head (title "[STATE] title -
 * healthmond" with the page's state, refresh, viewport, style) and the
 * header with healthmond's own status and the worst state of v.
 */
void dashboard_page_begin(struct strbuf *b, const char *title, enum check_state state,
	const struct view *v, const struct self_status *self, int64_t now);
/* From </main> to </html>. */
void dashboard_page_end(struct strbuf *b, int64_t now);

/* <span class="badge STATE">STATE</span>, or with text instead of the name. */
void dashboard_badge(struct strbuf *b, enum check_state s, const char *text);
/* The escaped URL of a host's page, for an href: /host?host=NAME[&period=P]. */
void dashboard_host_href(struct strbuf *b, const char *host, const char *period);
/* <a href="/host?host=NAME">NAME</a>. */
void dashboard_host_link(struct strbuf *b, const char *host);
/*
 * A host's header: <span class="name">NAME</span>, its state badge (and
 * "silent" when it is), then between (markup, as it is) and its last report.
 */
void dashboard_host_header(struct strbuf *b, const struct view_host *h,
	const char *between, int64_t now);
/* A <figure> with the graph of host's series over period, and its caption. */
void dashboard_graph(struct strbuf *b, const char *host, const char *series,
	const char *period, const char *caption);

/*
 * The section of the failing checks (state not ok) of host h, or of every
 * host when h is NULL, worst first, each with its remedy from the catalog.
 * Nothing when none fails and !always.
 */
void dashboard_remedies(struct strbuf *b, const struct view *v,
	const struct view_host *h, int64_t now, bool always);

/*
 * The section of the URL probes of host only (every host when NULL): a
 * table with their state, latency, availability (avail may be NULL),
 * HTTP status and certificate, and their latency graphs when graphs.
 * dashboard.c.
 */
void dashboard_probes(struct strbuf *b, const struct view *v,
	const struct view_host *only, dashboard_avail_fn avail, void *userdata,
	bool graphs);

/* "web" for series "probe-web"; NULL when the series is not a probe's. */
const char *dashboard_probe_name(const char *series);
/* The name of a probe's reason code ("timeout" for 3), or NULL (rrd-layout.md). */
const char *dashboard_probe_reason(double code);
/* The latest value of field in s; NAN when unknown or absent. */
double dashboard_series_value(const struct view_series *s, const char *field);
/* The probe check instance of h that knows series' URL, or NULL. */
const char *dashboard_probe_url(const struct view_host *h, const char *series);

/* A value for people, in the unit of series' field: "96.2 %", "1.4 GiB", "12 ms". */
void dashboard_format_value(const char *series, const char *field, double v, char *buf,
	size_t size);
/* A span for people: "12 s", "5 min", "3 h 20 min", "2 d 4 h". */
void dashboard_format_duration(int64_t seconds, char *buf, size_t size);
/* "2025-11-21 09:30:00 UTC" in local time; "never" for 0. */
void dashboard_format_time(int64_t t, char *buf, size_t size);
/* <time datetime="ISO">local time</time> (ago), or "never". */
void dashboard_time(struct strbuf *b, int64_t t, int64_t now, bool ago);
