/* SPDX-License-Identifier: MIT */
/*
 * The fleet page (GET /): healthmond's own status in the header, tiles
 * counting hosts, checks and probes by state, a grid of hosts coloured by
 * their worst state, the URL probes with their latency graphs, the failing
 * checks with their remedies, and the recent events. The host page is in
 * dashboard_host.c, the shared parts in dashboard_common.c. Nothing here
 * logs.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dashboard_internal.h"
#include "html.h"
#include "util.h"

#define EVENTS_SHOWN 20
#define CARD_CHECKS_MAX 5

/* The states from the worst down, as tiles list them. */
static const enum check_state by_severity[] = { CHECK_CRITICAL, CHECK_UNKNOWN,
	CHECK_WARNING, CHECK_OK };

struct fleet_counts {
	size_t hosts[_CHECK_STATE_MAX];
	size_t checks[_CHECK_STATE_MAX];
	size_t n_hosts, n_checks;
	size_t probes, probes_up, probes_down;
};

static void
count_fleet(const struct view *v, struct fleet_counts *ret)
{
	*ret = (struct fleet_counts){ 0 };
	for (size_t i = 0; i < view_host_count(v); i++) {
		const struct view_host *h = view_host_at(v, i);

		ret->hosts[view_host_state(h)]++;
		ret->n_hosts++;
		for (size_t j = 0; j < h->n_checks; j++) {
			ret->checks[h->checks[j].state]++;
			ret->n_checks++;
		}
		for (size_t j = 0; j < h->n_series; j++) {
			double up = dashboard_series_value(&h->series[j], "up");

			if (!dashboard_probe_name(h->series[j].name))
				continue;
			ret->probes++;
			if (up == 1)
				ret->probes_up++;
			else if (up == 0)
				ret->probes_down++;
		}
	}
}

/* A tile: a title, a big figure and badges "N state" for the states present. */
static void
tile(struct strbuf *b, const char *title, size_t total, const size_t *by_state)
{
	char text[64];
	bool any = false;

	strbuf_printf(b, "<div class=\"card\"><h2>%s</h2><div class=\"big\">%zu</div>"
			 "<ul class=\"counts\">",
		title, total);
	for (size_t i = 0; i < ELEMENTSOF(by_severity); i++) {
		enum check_state s = by_severity[i];

		if (by_state[s] == 0)
			continue;
		(void)snprintf(text, sizeof(text), "%zu %s", by_state[s],
			check_state_to_string(s));
		strbuf_append(b, "<li>");
		dashboard_badge(b, s, text);
		strbuf_append(b, "</li>");
		any = true;
	}
	if (!any)
		strbuf_append(b, "<li class=\"muted\">none yet</li>");
	strbuf_append(b, "</ul></div>\n");
}

static void
tiles(struct strbuf *b, const struct fleet_counts *c)
{
	char text[64];

	strbuf_append(b, "<section class=\"tiles\" aria-label=\"Summary\">\n");
	tile(b, "Hosts", c->n_hosts, c->hosts);
	tile(b, "Checks", c->n_checks, c->checks);
	strbuf_printf(b, "<div class=\"card\"><h2>URL probes up</h2>"
			 "<div class=\"big\">%zu / %zu</div><ul class=\"counts\">",
		c->probes_up, c->probes);
	if (c->probes_down > 0) {
		(void)snprintf(text, sizeof(text), "%zu down", c->probes_down);
		strbuf_append(b, "<li>");
		dashboard_badge(b, CHECK_CRITICAL, text);
		strbuf_append(b, "</li>");
	} else if (c->probes > 0) {
		strbuf_append(b, "<li>");
		dashboard_badge(b, CHECK_OK, "all up");
		strbuf_append(b, "</li>");
	} else
		strbuf_append(b, "<li class=\"muted\">none configured</li>");
	strbuf_append(b, "</ul></div>\n</section>\n");
}

/* The non-ok checks of h, as a short list (at most CARD_CHECKS_MAX). */
static void
card_checks(struct strbuf *b, const struct view_host *h)
{
	size_t shown = 0, failing = 0;

	for (size_t i = 0; i < h->n_checks; i++)
		failing += h->checks[i].state != CHECK_OK;
	if (failing == 0)
		return;
	strbuf_append(b, "<ul class=\"checks\">");
	for (size_t i = 0; i < h->n_checks && shown < CARD_CHECKS_MAX; i++) {
		const struct view_check *c = &h->checks[i];

		if (c->state == CHECK_OK)
			continue;
		strbuf_append(b, "<li>");
		html_escape(b, c->check);
		strbuf_append(b, " on ");
		html_escape(b, c->series);
		strbuf_append(b, ": ");
		dashboard_badge(b, c->state, NULL);
		strbuf_append(b, "</li>");
		shown++;
	}
	if (failing > shown)
		strbuf_printf(b, "<li>and %zu more</li>", failing - shown);
	strbuf_append(b, "</ul>");
}

static void
host_card(struct strbuf *b, const struct view_host *h, int64_t now)
{
	enum check_state s = view_host_state(h);

	strbuf_printf(b, "<a class=\"card %s\" href=\"", dashboard_state_class(s));
	dashboard_host_href(b, h->name, NULL);
	strbuf_append(b, "\">");
	dashboard_host_header(b, h, "<div class=\"muted\">last report ", now);
	if (h->local)
		strbuf_append(b, " \u00b7 this host");
	strbuf_append(b, "</div>");
	card_checks(b, h);
	strbuf_append(b, "</a>\n");
}

static void
host_grid(struct strbuf *b, const struct view *v, int64_t now)
{
	size_t n = view_host_count(v);

	strbuf_printf(b, "<section id=\"hosts\">\n<h2>Hosts (%zu)</h2>\n", n);
	if (n == 0)
		strbuf_append(b, "<p class=\"muted\">No host has reported yet.</p>\n");
	else {
		strbuf_append(b, "<div class=\"hosts\">\n");
		/* Worst first, then by name: what needs a person comes first. */
		for (int sev = 3; sev >= 0; sev--)
			for (size_t i = 0; i < n; i++) {
				const struct view_host *h = view_host_at(v, i);

				if (dashboard_severity(view_host_state(h)) == sev)
					host_card(b, h, now);
			}
		strbuf_append(b, "</div>\n");
	}
	strbuf_append(b, "</section>\n");
}

/* An availability cell: "99.95 %", or a dash when not known. */
static void
avail_cell(struct strbuf *b, const char *host, const char *series, const char *period,
	dashboard_avail_fn avail, void *userdata)
{
	double x;

	if (avail && avail(host, series, period, &x, userdata) && !isnan(x))
		strbuf_printf(b, "<td class=\"num\">%.*f %%</td>", x >= 1 ? 0 : 2,
			x * 100);
	else
		strbuf_append(b, "<td class=\"num\">\u2013</td>");
}

/* The state of h's check of this probe series (check name), ok when none. */
static enum check_state
probe_check_state(const struct view_host *h, const char *series, const char *check)
{
	for (size_t i = 0; i < h->n_checks; i++)
		if (strcmp(h->checks[i].series, series) == 0 &&
			strcmp(h->checks[i].check, check) == 0)
			return h->checks[i].state;
	return CHECK_OK;
}

/* A cell with a value, as a badge when the check of it is not ok. */
static void
value_cell(struct strbuf *b, const struct view_host *h, const struct view_series *s,
	const char *field, const char *check)
{
	enum check_state st = probe_check_state(h, s->name, check);
	char text[64];

	dashboard_format_value(s->name, field, dashboard_series_value(s, field), text,
		sizeof(text));
	strbuf_append(b, "<td class=\"num\">");
	if (st != CHECK_OK)
		dashboard_badge(b, st, text);
	else
		html_escape(b, text);
	strbuf_append(b, "</td>");
}

static void
probe_row(struct strbuf *b, const struct view_host *h, const struct view_series *s,
	dashboard_avail_fn avail, void *userdata)
{
	double up = dashboard_series_value(s, "up");
	const char *url = dashboard_probe_url(h, s->name);
	double code = dashboard_series_value(s, "reason");
	const char *reason = dashboard_probe_reason(code);
	char text[64];

	strbuf_append(b, "<tr><td class=\"nowrap\">");
	dashboard_host_link(b, h->name);
	strbuf_append(b, "</td><td class=\"url\"><strong>");
	html_escape(b, dashboard_probe_name(s->name));
	strbuf_append(b, "</strong>");
	if (url) {
		strbuf_append(b, "<br><span class=\"muted\">");
		html_escape(b, url);
		strbuf_append(b, "</span>");
	}
	strbuf_append(b, "</td><td>");
	if (up == 1)
		dashboard_badge(b, CHECK_OK, "up");
	else if (up == 0) {
		(void)snprintf(text, sizeof(text), "down%s%s", reason ? ": " : "",
			reason ? reason : "");
		dashboard_badge(b, CHECK_CRITICAL, text);
	} else
		dashboard_badge(b, CHECK_UNKNOWN, NULL);
	strbuf_append(b, "</td>");
	value_cell(b, h, s, "total_ms", "probe_latency");
	avail_cell(b, h->name, s->name, "1d", avail, userdata);
	avail_cell(b, h->name, s->name, "7d", avail, userdata);
	dashboard_format_value(s->name, "status", dashboard_series_value(s, "status"),
		text, sizeof(text));
	strbuf_printf(b, "<td class=\"num\">%s</td>", text);
	value_cell(b, h, s, "cert_days", "cert_expiry");
	strbuf_append(b, "</tr>\n");
}

static void
probe_graphs(struct strbuf *b, const struct view *v, const struct view_host *only)
{
	char caption[256];

	strbuf_append(b, "<div class=\"graphs\">\n");
	for (size_t i = 0; i < view_host_count(v); i++) {
		const struct view_host *h = view_host_at(v, i);

		for (size_t j = 0; j < h->n_series && (!only || h == only); j++) {
			const char *name = dashboard_probe_name(h->series[j].name);

			if (!name)
				continue;
			(void)snprintf(caption, sizeof(caption),
				"Latency of %s from %s, last day", name, h->name);
			dashboard_graph(b, h->name, h->series[j].name, "1d", caption);
		}
	}
	strbuf_append(b, "</div>\n");
}

static size_t
count_probes(const struct view *v, const struct view_host *only)
{
	size_t n = 0;

	for (size_t i = 0; i < view_host_count(v); i++) {
		const struct view_host *h = view_host_at(v, i);

		for (size_t j = 0; j < h->n_series && (!only || h == only); j++)
			n += dashboard_probe_name(h->series[j].name) != NULL;
	}
	return n;
}

void
dashboard_probes(struct strbuf *b, const struct view *v, const struct view_host *only,
	dashboard_avail_fn avail, void *userdata, bool graphs)
{
	size_t n = count_probes(v, only);

	if (n == 0 && only)
		return;
	strbuf_printf(b, "<section id=\"probes\">\n<h2>URL probes (%zu)</h2>\n", n);
	if (n == 0) {
		strbuf_append(b, "<p class=\"muted\">No URL probe has reported.</p>\n"
				 "</section>\n");
		return;
	}
	strbuf_append(b, "<div class=\"scroll\"><table class=\"probes\">\n"
			 "<thead><tr><th>Host</th>"
			 "<th>Probe</th><th>State</th><th class=\"num\">Latency</th>"
			 "<th class=\"num\">24 h</th><th class=\"num\">7 d</th>"
			 "<th class=\"num\">HTTP</th><th class=\"num\">Certificate</th>"
			 "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < view_host_count(v); i++) {
		const struct view_host *h = view_host_at(v, i);

		for (size_t j = 0; j < h->n_series && (!only || h == only); j++)
			if (dashboard_probe_name(h->series[j].name))
				probe_row(b, h, &h->series[j], avail, userdata);
	}
	strbuf_append(b, "</tbody>\n</table></div>\n");
	if (graphs)
		probe_graphs(b, v, only);
	strbuf_append(b, "</section>\n");
}

struct events_ctx {
	struct strbuf *b;
	int64_t now;
};

static bool
event_row(const struct view_event *e, void *userdata)
{
	struct events_ctx *ctx = userdata;
	struct strbuf *b = ctx->b;
	char message[1024];
	struct event ev;

	view_event_to_event(e, &ev);
	event_format(&ev, message, sizeof(message));
	strbuf_append(b, "<tr><td class=\"num\">");
	dashboard_time(b, e->time, ctx->now, false);
	strbuf_append(b, "</td><td class=\"nowrap\">");
	if (e->host && *e->host)
		dashboard_host_link(b, e->host);
	strbuf_append(b, "</td><td>");
	dashboard_badge(b, e->state, NULL);
	strbuf_append(b, "</td><td>");
	html_escape(b, message);
	strbuf_append(b, "</td></tr>\n");
	return true;
}

static void
events_section(struct strbuf *b, const struct view *v, int64_t now)
{
	struct view_event_filter filter = { .state = -1, .limit = EVENTS_SHOWN };
	struct events_ctx ctx = { b, now };

	strbuf_append(b, "<section id=\"events\">\n<h2>Recent events</h2>\n");
	strbuf_append(b, "<div class=\"scroll\"><table>\n<thead><tr><th>Time</th>"
			 "<th>Host</th><th>State</th><th>Event</th></tr></thead>\n"
			 "<tbody>\n");
	if (view_query_events(v, &filter, event_row, &ctx) == 0)
		strbuf_append(b, "<tr><td colspan=\"4\" class=\"muted\">No events yet."
				 "</td></tr>\n");
	strbuf_append(b, "</tbody>\n</table></div>\n</section>\n");
}

char *
dashboard_render_fleet(const struct view *v, const struct self_status *self,
	dashboard_avail_fn avail, void *userdata, size_t *ret_len)
{
	struct strbuf b = STRBUF_INIT;
	int64_t now = (int64_t)time(NULL);
	struct fleet_counts counts;

	count_fleet(v, &counts);
	dashboard_page_begin(&b, "Fleet", view_worst_state(v), v, self, now);
	tiles(&b, &counts);
	host_grid(&b, v, now);
	dashboard_remedies(&b, v, NULL, now, false);
	dashboard_probes(&b, v, NULL, avail, userdata, true);
	events_section(&b, v, now);
	dashboard_page_end(&b, now);
	return strbuf_steal(&b, ret_len);
}
