/* SPDX-License-Identifier: MIT */
/*
 * The host page (GET /host?host=NAME[&period=P]): one host's checks with
 * their thresholds, the remedies of those that fail, graphs of its usual
 * series over the period chosen, and the latest value of every series
 * field. The shared parts are in dashboard_common.c. Nothing here logs.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dashboard_internal.h"
#include "html.h"
#include "util.h"

static const struct {
	const char *name;  /* as the period parameter and the graph API take it */
	const char *label; /* for captions */
} periods[] = {
	{ "1h", "last hour" },
	{ "1d", "last day" },
	{ "1w", "last week" },
	{ "1m", "last month" },
	{ "1y", "last year" },
};

/*
 * The graphs of a host page, in this order: a series named exactly so
 * (prefix false) or every series starting with the prefix, e.g. "df-".
 */
static const struct {
	const char *name;
	bool prefix;
	const char *title;
} graphed[] = {
	{ "cpu", false, "CPU" },
	{ "load", false, "Load" },
	{ "memory", false, "Memory" },
	{ "swap", false, "Swap" },
	{ "df-", true, "Disk space" },
	{ "disk-", true, "Disk I/O" },
	{ "if-", true, "Network" },
	{ "probe-", true, "Latency" },
};

/* The index in periods of name; that of "1d" when it is none of them. */
static size_t
period_index(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(periods); i++)
		if (name && strcmp(name, periods[i].name) == 0)
			return i;
	return 1;
}

static void
host_heading(struct strbuf *b, const struct view_host *h, int64_t now)
{
	enum check_state s = view_host_state(h);

	strbuf_printf(b, "<p><a href=\"/\">\u2190 All hosts</a></p>\n"
			 "<section class=\"card %s\" id=\"host\">\n"
			 "<h2>",
		dashboard_state_class(s));
	dashboard_host_header(b, h, "</h2>\n<p class=\"muted\">Last report ", now);
	strbuf_printf(b, " \u00b7 %zu checks \u00b7 %zu series%s</p>\n</section>\n",
		h->n_checks, h->n_series, h->local ? " \u00b7 this host" : "");
}

/* A table cell with a value in the unit of the check's field. */
static void
number_cell(struct strbuf *b, const struct view_check *c, double v)
{
	char text[64];

	dashboard_format_value(c->series, c->field, v, text, sizeof(text));
	strbuf_append(b, "<td class=\"num\">");
	html_escape(b, text);
	strbuf_append(b, "</td>");
}

static void
check_row(struct strbuf *b, const struct view_check *c, int64_t now)
{
	strbuf_append(b, "<tr><td>");
	html_escape(b, c->check);
	strbuf_append(b, "</td><td class=\"url\">");
	html_escape(b, c->series);
	if (c->url) {
		strbuf_append(b, "<br><span class=\"muted\">");
		html_escape(b, c->url);
		strbuf_append(b, "</span>");
	}
	strbuf_append(b, "</td><td>");
	html_escape(b, c->field);
	strbuf_append(b, "</td><td>");
	dashboard_badge(b, c->state, NULL);
	if (c->reason) {
		strbuf_append(b, " <span class=\"muted\">");
		html_escape(b, c->reason);
		strbuf_append(b, "</span>");
	}
	strbuf_append(b, "</td>");
	number_cell(b, c, c->value);
	number_cell(b, c, c->warning);
	number_cell(b, c, c->critical);
	strbuf_append(b, "<td class=\"num\">");
	dashboard_time(b, c->since, now, true);
	strbuf_append(b, "</td></tr>\n");
}

static void
checks_section(struct strbuf *b, const struct view_host *h, int64_t now)
{
	strbuf_printf(b, "<section id=\"checks\">\n<h2>Checks (%zu)</h2>\n",
		h->n_checks);
	if (h->n_checks == 0) {
		strbuf_append(b, "<p class=\"muted\">No check has reported for this "
				 "host.</p>\n</section>\n");
		return;
	}
	strbuf_append(b, "<div class=\"scroll\"><table class=\"checks\">\n"
			 "<thead><tr><th>Check</th>"
			 "<th>Series</th><th>Field</th><th>State</th>"
			 "<th class=\"num\">Value</th><th class=\"num\">Warning</th>"
			 "<th class=\"num\">Critical</th><th class=\"num\">Since</th>"
			 "</tr></thead>\n<tbody>\n");
	/* The failing ones first, worst first; the list keeps its order otherwise. */
	for (int sev = 3; sev >= 0; sev--)
		for (size_t i = 0; i < h->n_checks; i++)
			if (dashboard_severity(h->checks[i].state) == sev)
				check_row(b, &h->checks[i], now);
	strbuf_append(b, "</tbody>\n</table></div>\n</section>\n");
}

static void
period_links(struct strbuf *b, const struct view_host *h, size_t current)
{
	strbuf_append(b, "<nav class=\"periods\" aria-label=\"Period\">"
			 "<span class=\"muted\">Period:</span>");
	for (size_t i = 0; i < ELEMENTSOF(periods); i++) {
		strbuf_append(b, "<a href=\"");
		dashboard_host_href(b, h->name, periods[i].name);
		strbuf_printf(b, "#graphs\"%s>%s</a>",
			i == current ? " aria-current=\"page\"" : "", periods[i].name);
	}
	strbuf_append(b, "</nav>\n");
}

static bool
is_graphed(const char *series, size_t g)
{
	if (graphed[g].prefix)
		return strncmp(series, graphed[g].name, strlen(graphed[g].name)) == 0 &&
			series[strlen(graphed[g].name)];
	return strcmp(series, graphed[g].name) == 0;
}

/* The graph of series, the g-th kind of graphed, over the period-th period. */
static void
graph(struct strbuf *b, const struct view_host *h, const char *series, size_t g,
	size_t period)
{
	const char *label = periods[period].label;
	char caption[256];

	if (graphed[g].prefix)
		(void)snprintf(caption, sizeof(caption), "%s: %s, %s", graphed[g].title,
			series + strlen(graphed[g].name), label);
	else
		(void)snprintf(caption, sizeof(caption), "%s, %s", graphed[g].title,
			label);
	dashboard_graph(b, h->name, series, periods[period].name, caption);
}

static void
graphs_section(struct strbuf *b, const struct view_host *h, size_t period)
{
	size_t shown = 0;

	strbuf_append(b, "<section id=\"graphs\">\n<h2>Graphs</h2>\n");
	period_links(b, h, period);
	strbuf_append(b, "<div class=\"graphs\">\n");
	for (size_t g = 0; g < ELEMENTSOF(graphed); g++)
		for (size_t i = 0; i < h->n_series; i++)
			if (is_graphed(h->series[i].name, g)) {
				graph(b, h, h->series[i].name, g, period);
				shown++;
			}
	strbuf_append(b, "</div>\n");
	if (shown == 0)
		strbuf_append(b, "<p class=\"muted\">No series to graph yet.</p>\n");
	strbuf_append(b, "</section>\n");
}

static void
series_card(struct strbuf *b, const struct view_series *s, int64_t now)
{
	char text[64];

	strbuf_append(b, "<div class=\"card\"><h3>");
	html_escape(b, s->name);
	strbuf_append(b, "</h3><div class=\"muted\">");
	dashboard_time(b, s->time, now, true);
	strbuf_append(b, "</div><table><tbody>\n");
	for (size_t f = 0; f < s->n_fields; f++) {
		dashboard_format_value(s->name, s->fields[f], s->values[f], text,
			sizeof(text));
		strbuf_append(b, "<tr><th>");
		html_escape(b, s->fields[f]);
		strbuf_append(b, "</th><td class=\"num\">");
		html_escape(b, text);
		strbuf_append(b, "</td></tr>\n");
	}
	strbuf_append(b, "</tbody></table></div>\n");
}

static void
values_section(struct strbuf *b, const struct view_host *h, int64_t now)
{
	strbuf_append(b, "<section id=\"values\">\n<h2>Latest values</h2>\n");
	if (h->n_series == 0)
		strbuf_append(b, "<p class=\"muted\">No sample yet.</p>\n");
	else {
		strbuf_append(b, "<div class=\"values\">\n");
		for (size_t i = 0; i < h->n_series; i++)
			series_card(b, &h->series[i], now);
		strbuf_append(b, "</div>\n");
	}
	strbuf_append(b, "</section>\n");
}

char *
dashboard_render_host(const struct view *v, const struct view_host *h,
	const struct self_status *self, const char *period, dashboard_avail_fn avail,
	void *userdata, size_t *ret_len)
{
	struct strbuf b = STRBUF_INIT;
	int64_t now = (int64_t)time(NULL);

	dashboard_page_begin(&b, h->name, view_host_state(h), v, self, now);
	host_heading(&b, h, now);
	dashboard_remedies(&b, v, h, now, false);
	checks_section(&b, h, now);
	dashboard_probes(&b, v, h, avail, userdata, false);
	graphs_section(&b, h, period_index(period));
	values_section(&b, h, now);
	dashboard_page_end(&b, now);
	return strbuf_steal(&b, ret_len);
}
