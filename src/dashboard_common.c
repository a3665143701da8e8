/* SPDX-License-Identifier: MIT */
/*
 * The parts of the dashboard's pages that both share: the frame with its
 * inline style sheet (system fonts, a responsive grid, state colours that
 * always come with a text label), the header with healthmond's own status,
 * remedies from the message catalog, graphs, and values and times written
 * for people. Everything from the view goes through html_escape(). Nothing
 * here logs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "dashboard_internal.h"
#include "html.h"
#include "record.h"
#include "util.h"

/*
 * Colours: ok green, warning amber, critical red, unknown grey, each with
 * a text colour that reads on it (WCAG AA). Elements take --c (and --t)
 * from their STATE class.
 */
static const char style[] =
	":root{--ok:#1a7f37;--warning:#d29922;--critical:#cf222e;--unknown:#6e7781;"
	"--bg:#f6f8fa;--fg:#1f2328;--card:#fff;--line:#d0d7de;--muted:#59636e;"
	"--link:#0969da}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,"
	"-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}\n"
	"a{color:var(--link);text-decoration:none}\n"
	"a:hover{text-decoration:underline}\n"
	".ok{--c:var(--ok);--t:#fff}.warning{--c:var(--warning);--t:#1f2328}\n"
	".critical{--c:var(--critical);--t:#fff}.unknown{--c:var(--unknown);"
	"--t:#fff}\n"
	"header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.3rem 1.2rem;"
	"padding:.6rem 1rem;background:#24292f;color:#f6f8fa;"
	"border-bottom:5px solid var(--c)}\n"
	"header.top h1{font-size:1.15rem;margin:0}header.top h1 a{color:#fff}\n"
	"header.top dl{display:flex;flex-wrap:wrap;gap:.15rem 1rem;margin:0;"
	"font-size:.85rem}\n"
	"header.top dl div{white-space:nowrap}header.top dt{display:inline;"
	"color:#9da7b3;margin-right:.3rem}header.top dd{display:inline;margin:0}\n"
	"main,footer{max-width:1320px;margin:0 auto;padding:1rem}\n"
	"section{margin:0 0 1.6rem}h2{font-size:1.1rem;margin:0 0 .6rem}\n"
	"h3{font-size:1rem;margin:0 0 .3rem}\n"
	".badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;"
	"font-size:.78rem;font-weight:600;line-height:1.5;background:var(--c);"
	"color:var(--t);text-transform:uppercase;letter-spacing:.03em;"
	"white-space:nowrap;vertical-align:middle}\n"
	".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,"
	"1fr));gap:.8rem}\n"
	".card{background:var(--card);border:1px solid var(--line);border-radius:8px;"
	"padding:.7rem .9rem}\n"
	".card>:last-child{margin-bottom:0}\n"
	".card.ok,.card.warning,.card.critical,.card.unknown{"
	"border-left:6px solid var(--c)}\n"
	".big{font-size:1.9rem;font-weight:700;line-height:1.2}\n"
	".counts{list-style:none;margin:.3rem 0 0;padding:0;display:flex;"
	"flex-wrap:wrap;gap:.3rem}\n"
	".hosts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,"
	"240px),1fr));gap:.8rem}\n"
	"a.card{display:block;color:inherit}a.card:hover{text-decoration:none;"
	"border-color:var(--c)}\n"
	".name{font-weight:600;font-size:1.05rem;overflow-wrap:anywhere;"
	"margin-right:.3rem}\n"
	".card ul.checks{margin:.35rem 0 0;padding-left:1.1rem;font-size:.85rem}\n"
	".muted{color:var(--muted);font-size:.85rem}\n"
	".scroll{overflow-x:auto;border:1px solid var(--line);border-radius:8px;"
	"background:var(--card)}\n"
	"table{border-collapse:collapse;width:100%;font-size:.9rem}\n"
	"th,td{text-align:left;padding:.4rem .6rem;"
	"border-bottom:1px solid var(--line);vertical-align:top}\n"
	"th{background:#eaeef2;font-weight:600;white-space:nowrap}\n"
	"tr:last-child td,tr:last-child th{border-bottom:0}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}\n"
	"td.url{overflow-wrap:anywhere;min-width:12rem}\n"
	".problem{margin:0 0 .8rem}\n"
	"pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--bg);"
	"border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem;"
	"margin:.4rem 0;font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"
	"monospace}\n"
	"summary{cursor:pointer;color:var(--link);font-size:.9rem}\n"
	".graphs{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,"
	"520px),1fr));gap:.8rem;margin-top:.8rem}\n"
	"figure{margin:0}figure.card{padding:.5rem}figure img{display:block;"
	"max-width:100%;height:auto;margin:0 auto;background:var(--bg)}\n"
	"figcaption{font-size:.85rem;color:var(--muted);margin-top:.3rem}\n"
	".periods{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;"
	"margin:0 0 .7rem}\n"
	".periods a{padding:.1rem .65rem;border:1px solid var(--line);"
	"border-radius:1rem;background:var(--card)}\n"
	".periods a[aria-current]{background:var(--link);border-color:var(--link);"
	"color:#fff}\n"
	".values{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,"
	"260px),1fr));gap:.8rem;align-items:start}\n"
	".values table{font-size:.85rem}.values td,.values th{padding:.2rem .5rem}\n"
	".values th{background:none;font-weight:400;color:var(--muted)}\n"
	"td.nowrap{white-space:nowrap}\n"
	"footer{color:var(--muted);font-size:.8rem}\n"
	"@media (max-width:640px){main,footer{padding:.6rem}th,td{"
	"padding:.3rem .4rem}.big{font-size:1.5rem}td.url{min-width:8rem}\n"
	/* On a phone, the columns that matter most fit without scrolling. */
	"table.probes :is(th,td):nth-child(n+6),"
	"table.checks :is(th,td):is(:nth-child(3),:nth-child(6),:nth-child(7)){"
	"display:none}}\n";

const char *
dashboard_state_class(enum check_state s)
{
	switch (s) {
	case CHECK_OK:
		return "ok";
	case CHECK_WARNING:
		return "warning";
	case CHECK_CRITICAL:
		return "critical";
	case CHECK_UNKNOWN:
	case _CHECK_STATE_MAX:
	default:
		return "unknown";
	}
}

int
dashboard_severity(enum check_state s)
{
	switch (s) {
	case CHECK_OK:
		return 0;
	case CHECK_WARNING:
		return 1;
	case CHECK_UNKNOWN:
		return 2;
	case CHECK_CRITICAL:
		return 3;
	case _CHECK_STATE_MAX:
	default:
		return 2;
	}
}

static const char *
state_name(enum check_state s)
{
	const char *n = check_state_to_string(s);

	return n ? n : "unknown";
}

void
dashboard_badge(struct strbuf *b, enum check_state s, const char *text)
{
	strbuf_printf(b, "<span class=\"badge %s\">", dashboard_state_class(s));
	html_escape(b, text ? text : state_name(s));
	strbuf_append(b, "</span>");
}

void
dashboard_host_href(struct strbuf *b, const char *host, const char *period)
{
	strbuf_append(b, "/host?host=");
	html_url_encode(b, host);
	if (period) {
		strbuf_append(b, "&amp;period=");
		html_url_encode(b, period);
	}
}

void
dashboard_host_header(struct strbuf *b, const struct view_host *h, const char *between,
	int64_t now)
{
	strbuf_append(b, "<span class=\"name\">");
	html_escape(b, h->name);
	strbuf_append(b, "</span>");
	dashboard_badge(b, view_host_state(h), NULL);
	if (h->silent) {
		strbuf_append(b, " ");
		dashboard_badge(b, CHECK_UNKNOWN, "silent");
	}
	strbuf_append(b, between);
	dashboard_time(b, h->last_report, now, true);
}

void
dashboard_host_link(struct strbuf *b, const char *host)
{
	strbuf_append(b, "<a href=\"");
	dashboard_host_href(b, host, NULL);
	strbuf_append(b, "\">");
	html_escape(b, host);
	strbuf_append(b, "</a>");
}

void
dashboard_graph(struct strbuf *b, const char *host, const char *series,
	const char *period, const char *caption)
{
	strbuf_append(b, "<figure class=\"card\"><img src=\"/api/v1/graph?host=");
	html_url_encode(b, host);
	strbuf_append(b, "&amp;series=");
	html_url_encode(b, series);
	strbuf_append(b, "&amp;period=");
	html_url_encode(b, period);
	/*
	 * Not loading="lazy": the graphs should be there when the page is
	 * looked at, and the pool of graph workers queues what comes at once.
	 */
	strbuf_printf(b, "&amp;size=%dx%d\" width=\"%d\" height=\"%d\" alt=\"",
		DASHBOARD_GRAPH_WIDTH, DASHBOARD_GRAPH_HEIGHT, DASHBOARD_GRAPH_WIDTH,
		DASHBOARD_GRAPH_HEIGHT);
	html_escape(b, caption);
	strbuf_append(b, "\"><figcaption>");
	html_escape(b, caption);
	strbuf_append(b, "</figcaption></figure>\n");
}

void
dashboard_format_duration(int64_t s, char *buf, size_t size)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		(void)snprintf(buf, size, "%lld s", (long long)s);
	else if (s < 3600)
		(void)snprintf(buf, size, "%lld min", (long long)(s / 60));
	else if (s < 86400 && s % 3600 / 60 == 0)
		(void)snprintf(buf, size, "%lld h", (long long)(s / 3600));
	else if (s < 86400)
		(void)snprintf(buf, size, "%lld h %lld min", (long long)(s / 3600),
			(long long)(s % 3600 / 60));
	else if (s % 86400 / 3600 == 0)
		(void)snprintf(buf, size, "%lld d", (long long)(s / 86400));
	else
		(void)snprintf(buf, size, "%lld d %lld h", (long long)(s / 86400),
			(long long)(s % 86400 / 3600));
}

void
dashboard_format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&tt, &tm) ||
		strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		(void)snprintf(buf, size, "never");
}

void
dashboard_time(struct strbuf *b, int64_t t, int64_t now, bool ago)
{
	char text[64], iso[64], age[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm) ||
		strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		strbuf_append(b, "never");
		return;
	}
	dashboard_format_time(t, text, sizeof(text));
	if (ago) {
		dashboard_format_duration(now - t, age, sizeof(age));
		strbuf_printf(b, "<time datetime=\"%s\" title=\"%s\">%s ago</time>",
			iso, text, age);
	} else
		strbuf_printf(b, "<time datetime=\"%s\">%s</time>", iso, text);
}

/* The unit of series' field from its kind's schema ("df" for "df-root"), or "". */
static const char *
field_unit(const char *series, const char *field)
{
	char kind[NAME_MAX_LEN + 1];
	const struct schema *s;
	int i;

	(void)snprintf(kind, sizeof(kind), "%s", series ? series : "");
	kind[strcspn(kind, "-")] = '\0';
	s = record_schema_find(kind);
	if (!s || !field || (i = record_field_index(s, field)) < 0)
		return "";
	return s->fields[i].unit;
}

/* 1536 → "1.5 KiB"; suffix follows the unit ("/s"). */
static void
format_bytes(double v, const char *suffix, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	size_t u = 0;

	while (fabs(v) >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		(void)snprintf(buf, size, "%.0f %s%s", v, units[u], suffix);
	else
		(void)snprintf(buf, size, "%.1f %s%s", v, units[u], suffix);
}

/* Integers plainly, others with three significant digits or one decimal. */
static void
format_plain(double v, const char *unit, char *buf, size_t size)
{
	const char *sep = *unit ? " " : "";

	if (fabs(v) < 1e15 && v == rint(v))
		(void)snprintf(buf, size, "%.0f%s%s", v + 0.0, sep, unit);
	else if (fabs(v) >= 100)
		(void)snprintf(buf, size, "%.1f%s%s", v, sep, unit);
	else
		(void)snprintf(buf, size, "%.3g%s%s", v, sep, unit);
}

void
dashboard_format_value(const char *series, const char *field, double v, char *buf,
	size_t size)
{
	const char *unit = field_unit(series, field);

	if (isnan(v))
		(void)snprintf(buf, size, "\u2013");
	else if (strcmp(unit, "percent") == 0)
		(void)snprintf(buf, size, "%.1f %%", v);
	else if (strcmp(unit, "bytes") == 0)
		format_bytes(v, "", buf, size);
	else if (strcmp(unit, "bytes/s") == 0)
		format_bytes(v, "/s", buf, size);
	else if (strcmp(unit, "ms") == 0)
		(void)snprintf(buf, size, v >= 10 ? "%.0f ms" : "%.1f ms", v);
	else if (strcmp(unit, "seconds") == 0)
		dashboard_format_duration((int64_t)v, buf, size);
	else if (strcmp(unit, "days") == 0)
		(void)snprintf(buf, size, "%.1f days", v);
	else if (strcmp(unit, "bool") == 0 && strcmp(field, "up") == 0)
		(void)snprintf(buf, size, v != 0 ? "up" : "down");
	else if (strcmp(unit, "bool") == 0)
		(void)snprintf(buf, size, v != 0 ? "yes" : "no");
	else if (strcmp(field, "reason") == 0 && dashboard_probe_name(series) &&
		 dashboard_probe_reason(v))
		(void)snprintf(buf, size, "%s", dashboard_probe_reason(v));
	else if (strcmp(unit, "code") == 0 || strcmp(unit, "load") == 0 ||
		 strcmp(unit, "tasks") == 0 || strcmp(unit, "cpus") == 0)
		format_plain(v, "", buf, size);
	else
		format_plain(v, unit, buf, size);
}

const char *
dashboard_probe_reason(double code)
{
	static const char *const names[] = { "up", "dns", "connect", "timeout", "tls",
		"status", "content", "other" };

	if (isnan(code) || code < 0 || code >= (double)ELEMENTSOF(names) ||
		code != rint(code))
		return NULL;
	return names[(size_t)code];
}

const char *
dashboard_probe_name(const char *series)
{
	size_t n = strlen(DASHBOARD_PROBE_PREFIX);

	return series && strncmp(series, DASHBOARD_PROBE_PREFIX, n) == 0 && series[n]
		? series + n : NULL;
}

double
dashboard_series_value(const struct view_series *s, const char *field)
{
	for (size_t i = 0; s && i < s->n_fields; i++)
		if (strcmp(s->fields[i], field) == 0)
			return s->values[i];
	return NAN;
}

const char *
dashboard_probe_url(const struct view_host *h, const char *series)
{
	for (size_t i = 0; i < h->n_checks; i++)
		if (h->checks[i].url && strcmp(h->checks[i].series, series) == 0)
			return h->checks[i].url;
	return NULL;
}

/* One <div><dt>name</dt><dd>value</dd></div> of the header (value escaped). */
static void
header_item(struct strbuf *b, const char *name, const char *value)
{
	strbuf_printf(b, "<div><dt>%s</dt><dd>", name);
	html_escape(b, value);
	strbuf_append(b, "</dd></div>");
}

static void
header_forward(struct strbuf *b, const struct self_status *self)
{
	const struct upload_status *u = &self->forward.upload;
	char buf[128], age[32], size[32];

	if (!self->forwarding)
		return;
	header_item(b, "central link", upload_link_to_string(u->link));
	format_bytes((double)u->spool_bytes, "", size, sizeof(size));
	if (u->spool_batches > 0) {
		dashboard_format_duration((int64_t)u->oldest_age, age, sizeof(age));
		(void)snprintf(buf, sizeof(buf), "%zu batches, %s, oldest %s",
			u->spool_batches, size, age);
	} else
		(void)snprintf(buf, sizeof(buf), "empty");
	header_item(b, "spool", buf);
	if (self->forward.lost_records > 0) {
		(void)snprintf(buf, sizeof(buf), "%llu",
			(unsigned long long)self->forward.lost_records);
		header_item(b, "records lost", buf);
	}
}

static void
header_central(struct strbuf *b, const struct self_status *self)
{
	const struct central_status *c = &self->fleet;
	char buf[160];

	if (!self->central)
		return;
	(void)snprintf(buf, sizeof(buf), "%zu hosts, %zu silent, %.1f batches/s",
		c->hosts, c->silent, c->batches_per_sec);
	header_item(b, "central", buf);
	(void)snprintf(buf, sizeof(buf), "%llu refused, %llu duplicate",
		(unsigned long long)c->refused,
		(unsigned long long)c->ingest.duplicate_batches);
	header_item(b, "ingest", buf);
}

static void
page_header(struct strbuf *b, enum check_state worst, const struct self_status *self,
	int64_t now)
{
	char buf[64];

	strbuf_printf(b, "<header class=\"top %s\">\n"
			 "<h1><a href=\"/\">healthmond</a></h1>\n",
		dashboard_state_class(worst));
	dashboard_badge(b, worst, NULL);
	strbuf_append(b, "\n<dl>");
	header_item(b, "host", self->host ? self->host : "?");
	header_item(b, "role", self->central ? "central" : "agent");
	header_item(b, "version", self->version ? self->version : "?");
	dashboard_format_duration(self->started > 0 ? now - self->started : 0, buf,
		sizeof(buf));
	header_item(b, "up", buf);
	header_forward(b, self);
	header_central(b, self);
	strbuf_append(b, "</dl>\n</header>\n");
}

void
dashboard_page_begin(struct strbuf *b, const char *title, enum check_state state,
	const struct view *v, const struct self_status *self, int64_t now)
{
	strbuf_append(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
			 "<meta charset=\"utf-8\">\n"
			 "<meta name=\"viewport\" content=\"width=device-width, "
			 "initial-scale=1\">\n");
	strbuf_printf(b, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
		DASHBOARD_REFRESH_SEC);
	strbuf_append(b, "<meta name=\"robots\" content=\"noindex\">\n<title>");
	if (state != CHECK_OK)
		strbuf_printf(b, "[%s] ", state_name(state));
	html_escape(b, title);
	strbuf_append(b, " \u2013 healthmond</title>\n<style>\n");
	strbuf_append(b, style);
	strbuf_append(b, "</style>\n</head>\n<body>\n");
	page_header(b, view_worst_state(v), self, now);
	strbuf_append(b, "<main>\n");
}

void
dashboard_page_end(struct strbuf *b, int64_t now)
{
	strbuf_append(b, "</main>\n<footer>Rendered ");
	dashboard_time(b, now, now, false);
	strbuf_printf(b, "; this page refreshes itself every %d s. "
			 "<a href=\"/metrics\">/metrics</a> \u00b7 "
			 "<a href=\"/api/v1/status\">/api/v1/status</a></footer>\n"
			 "</body>\n</html>\n",
		DASHBOARD_REFRESH_SEC);
}

/* A failing check instance and its host, for sorting. */
struct failing {
	const struct view_host *host;
	const struct view_check *check;
};

static int
cmp_failing(const void *a, const void *b)
{
	const struct failing *x = a, *y = b;
	int r = dashboard_severity(y->check->state) -
		dashboard_severity(x->check->state);

	if (r == 0)
		r = strcmp(x->host->name, y->host->name);
	if (r == 0)
		r = (x->check > y->check) - (x->check < y->check);
	return r;
}

/*
 * The event the remedy speaks of: the check's last event when it is still
 * kept and of the check's state, else one made of what the check knows.
 */
static void
remedy_event(const struct view *v, const struct view_host *h,
	const struct view_check *c, struct event *ret)
{
	const struct view_event *e = NULL;

	if (c->event_id)
		e = view_find_event(v, c->event_id);
	if (e && e->state == c->state) {
		view_event_to_event(e, ret);
		return;
	}
	*ret = (struct event){
		.kind = event_kind_of(c->check, c->state, c->reason, c->value),
		.host = h->name,
		.check = c->check,
		.series = c->series,
		.field = c->field,
		.state = c->state,
		.prev_state = CHECK_OK,
		.value = c->value,
		.threshold = !isnan(c->threshold) ? c->threshold
			: c->state == CHECK_CRITICAL ? c->critical : c->warning,
		/* A probe's URL comes with its events: another check of it may know. */
		.url = c->url ? c->url : dashboard_probe_url(h, c->series),
		.reason = c->reason,
		.time = c->since,
	};
}

/* Failing checks shown with their remedies on the fleet page. */
#define REMEDIES_MAX 20

static void
remedy(struct strbuf *b, const struct view *v, const struct failing *f, int64_t now)
{
	const struct view_check *c = f->check;
	char message[1024];
	struct catalog_text t = { 0 };
	struct event ev;

	remedy_event(v, f->host, c, &ev);
	event_format(&ev, message, sizeof(message));
	strbuf_printf(b, "<article class=\"card problem %s\">\n<h3>",
		dashboard_state_class(c->state));
	dashboard_badge(b, c->state, NULL);
	strbuf_append(b, " ");
	html_escape(b, catalog_render(&ev, &t) >= 0 ? t.subject : message);
	strbuf_append(b, "</h3>\n<p class=\"muted\">");
	dashboard_host_link(b, f->host->name);
	strbuf_append(b, " \u00b7 ");
	html_escape(b, message);
	strbuf_append(b, " \u00b7 since ");
	dashboard_time(b, c->since, now, true);
	strbuf_append(b, "</p>\n");
	if (t.fix) {
		strbuf_append(b, "<pre>");
		html_escape(b, t.fix);
		strbuf_append(b, "</pre>\n");
	}
	if (t.body) {
		/* The fix ends the body and is shown above already. */
		size_t len = strlen(t.body), fix = t.fix ? strlen(t.fix) : 0;
		_cleanup_free_ char *text = xstrndup(t.body,
			fix <= len && strcmp(t.body + len - fix, t.fix ? t.fix : "") == 0
				? len - fix : len);

		strbuf_append(b, "<details><summary>What this means and how to "
				 "confirm it</summary>\n<pre>");
		html_escape(b, text);
		strbuf_append(b, "</pre>\n</details>\n");
	}
	strbuf_append(b, "</article>\n");
	catalog_text_done(&t);
}

/* The failing check instances of h (every host when NULL); the caller frees. */
static struct failing *
collect_failing(const struct view *v, const struct view_host *h, size_t *ret_n)
{
	struct failing *f = NULL;
	size_t n = 0, allocated = 0;

	for (size_t i = 0; i < view_host_count(v); i++) {
		const struct view_host *host = view_host_at(v, i);

		if (h && host != h)
			continue;
		for (size_t j = 0; j < host->n_checks; j++) {
			if (host->checks[j].state == CHECK_OK)
				continue;
			f = xgrow(f, &allocated, n, 8, sizeof(*f));
			f[n++] = (struct failing){ host, &host->checks[j] };
		}
	}
	if (n > 1)
		qsort(f, n, sizeof(*f), cmp_failing);
	*ret_n = n;
	return f;
}

void
dashboard_remedies(struct strbuf *b, const struct view *v, const struct view_host *h,
	int64_t now, bool always)
{
	size_t n;
	_cleanup_free_ struct failing *f = collect_failing(v, h, &n);

	if (n == 0 && !always)
		return;
	strbuf_printf(b, "<section id=\"failing\">\n<h2>Failing checks (%zu)</h2>\n",
		n);
	if (n == 0)
		strbuf_append(b, "<p class=\"muted\">None: every check is ok.</p>\n");
	/*
	 * The fleet page shows the worst REMEDIES_MAX with their remedies and
	 * lists the rest: with a fleet in trouble the page would grow by a
	 * catalog entry per failing check; the host pages have them all.
	 */
	for (size_t i = 0; i < n && (h || i < REMEDIES_MAX); i++)
		remedy(b, v, &f[i], now);
	if (!h && n > REMEDIES_MAX) {
		strbuf_printf(b, "<p class=\"muted\">%zu more; their remedies are on the "
				 "host pages:</p>\n<ul>\n", n - REMEDIES_MAX);
		for (size_t i = REMEDIES_MAX; i < n; i++) {
			strbuf_append(b, "<li>");
			dashboard_host_link(b, f[i].host->name);
			strbuf_append(b, ": ");
			html_escape(b, f[i].check->check);
			strbuf_append(b, " on ");
			html_escape(b, f[i].check->series);
			strbuf_append(b, " ");
			dashboard_badge(b, f[i].check->state, NULL);
			strbuf_append(b, "</li>\n");
		}
		strbuf_append(b, "</ul>\n");
	}
	strbuf_append(b, "</section>\n");
}
