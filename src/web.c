/* SPDX-License-Identifier: MIT */
/*
 * The HTTP face (web.h): routes, authentication, parameter checks, and the
 * two things that take a healthmondctl process: graphs (the request waits,
 * suspended, for its PNG) and the probes' availability, refreshed on a
 * timer for the dashboard.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "basicauth.h"
#include "dashboard.h"
#include "grapher.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "web.h"

/*
 * The probes' availability is refreshed every minute (one healthmondctl
 * run for every probe); until a run has found some, every few seconds.
 */
#define AVAIL_REFRESH_USEC (60 * USEC_PER_SEC)
#define AVAIL_RETRY_USEC (5 * USEC_PER_SEC)
#define GRAPH_QUEUE_MAX 64
#define GRAPH_CACHE_SEC 30
#define PROBE_PREFIX "probe-"

/* A probe's availability, as the last healthmondctl run found it. */
struct avail {
	char *key;      /* owned: "host/probe-name" */
	double day;     /* NAN: not known */
	double week;
};

/* A graph request waiting for its PNG. */
struct pending_graph {
	struct pending_graph *next;
	struct web *web;
	struct http_request *req;
	struct grapher_job *job;
};

struct web {
	const struct hm_conf *conf; /* borrowed */
	struct view *view;          /* borrowed */
	web_status_fn status;
	void *userdata;
	struct http_server *server; /* owned */
	struct basicauth *auth;     /* owned; NULL: no authentication */
	struct grapher *grapher;    /* owned; NULL until started */
	char *datadir;              /* owned */
	char *ctl_path;             /* owned */
	struct pending_graph *pending; /* owned list */
	struct avail *avail;        /* owned array, sorted by key */
	size_t n_avail;
	bool avail_running;
	bool avail_known;           /* some probe's availability is known */
	sd_event_source *avail_timer; /* owned */
	uint64_t refused[_WEB_REFUSED_MAX];
};

static const char *
avail_key(const void *elem)
{
	return ((const struct avail *)elem)->key;
}

static bool
lookup_avail(const char *host, const char *series, const char *period, double *ret,
	void *userdata)
{
	struct web *w = userdata;
	_cleanup_free_ char *key = xasprintf("%s/%s", host, series);
	size_t i;
	double v;

	if (!sorted_find(w->avail, w->n_avail, sizeof(*w->avail), key, avail_key, &i))
		return false;
	v = strcmp(period, "7d") == 0 ? w->avail[i].week : w->avail[i].day;
	if (isnan(v))
		return false;
	*ret = v;
	return true;
}

static void
gather(struct web *w, struct self_status *ret)
{
	*ret = (struct self_status){ 0 };
	w->status(ret, w->userdata);
	ret->http = *http_server_get_stats(w->server);
	memcpy(ret->web_refused, w->refused, sizeof(ret->web_refused));
	if (w->grapher)
		grapher_get_stats(w->grapher, &ret->graphs);
}

static bool
period_is_valid(const char *s)
{
	static const char *const periods[] = { "1h", "1d", "1w", "1m", "1y", NULL };

	return strv_contains((char *const *)periods, s);
}

static void
refuse(struct web *w, struct http_request *r, enum web_refusal why, unsigned status,
	const char *error, const char *message)
{
	w->refused[why]++;
	(void)http_respond_error(r, status, error, "%s", message);
}

/*
 * Authentication, then the parameters: every one must be in allowed (a
 * NULL-terminated list). Answers and returns false when the request may not go on.
 */
static bool
admit(struct web *w, struct http_request *r, const char *const *allowed)
{
	char user[128], unknown[64];

	if (w->auth) {
		if (!basicauth_check(w->auth, http_request_header(r, "Authorization"), user,
			    sizeof(user))) {
			http_response_add_header(r, "WWW-Authenticate",
				"Basic realm=\"healthmond\", charset=\"UTF-8\"");
			refuse(w, r, WEB_REFUSED_AUTH, 401, "unauthorized",
				"this healthmond asks for a user name and password");
			return false;
		}
		http_request_set_user(r, user);
	}
	if (http_request_query_unknown(r, allowed, unknown, sizeof(unknown))) {
		_cleanup_free_ char *m = xasprintf("unknown or repeated parameter '%s'", unknown);

		refuse(w, r, WEB_REFUSED_BAD_REQUEST, 400, "bad_request", m);
		return false;
	}
	return true;
}

static void
respond_text(struct http_request *r, const char *type, char *text, size_t len)
{
	http_response_add_header(r, "Cache-Control", "no-store");
	(void)http_respond(r, 200, type, text, len);
	free(text);
}

static void
on_status(struct http_request *r, void *userdata)
{
	static const char *const allowed[] = { NULL };
	struct web *w = userdata;
	struct self_status self;

	if (!admit(w, r, allowed))
		return;
	gather(w, &self);
	api_status(r, w->view, &self);
}

static void
on_hosts(struct http_request *r, void *userdata)
{
	static const char *const allowed[] = { NULL };
	struct web *w = userdata;

	if (admit(w, r, allowed))
		api_hosts(r, w->view);
}

static void
on_host(struct http_request *r, void *userdata)
{
	static const char *const allowed[] = { "host", NULL };
	struct web *w = userdata;

	if (admit(w, r, allowed))
		api_host(r, w->view);
}

static void
on_events(struct http_request *r, void *userdata)
{
	static const char *const allowed[] = { "host", "state", "check", "since", "until",
		"limit", NULL };
	struct web *w = userdata;

	if (admit(w, r, allowed))
		api_events(r, w->view);
}

static void
on_help(struct http_request *r, void *userdata)
{
	static const char *const allowed[] = { "event", NULL };
	struct web *w = userdata;

	if (admit(w, r, allowed))
		api_help(r, w->view);
}

static void
on_metrics(struct http_request *r, void *userdata)
{
	static const char *const allowed[] = { NULL };
	struct web *w = userdata;
	struct self_status self;
	size_t len;
	char *text;

	if (!admit(w, r, allowed))
		return;
	gather(w, &self);
	text = metrics_render(w->view, &self, &len);
	respond_text(r, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

static void
on_dashboard(struct http_request *r, void *userdata)
{
	static const char *const allowed[] = { NULL };
	struct web *w = userdata;
	struct self_status self;
	size_t len;
	char *html;

	if (!admit(w, r, allowed))
		return;
	gather(w, &self);
	html = dashboard_render_fleet(w->view, &self, lookup_avail, w, &len);
	respond_text(r, "text/html; charset=utf-8", html, len);
}

static void
on_host_page(struct http_request *r, void *userdata)
{
	static const char *const allowed[] = { "host", "period", NULL };
	struct web *w = userdata;
	const char *name = http_request_query(r, "host");
	const char *period = http_request_query(r, "period");
	const struct view_host *h;
	struct self_status self;
	size_t len;
	char *html;

	if (!admit(w, r, allowed))
		return;
	if (period && !period_is_valid(period)) {
		refuse(w, r, WEB_REFUSED_BAD_REQUEST, 400, "bad_request",
			"parameter 'period' must be 1h, 1d, 1w, 1m or 1y");
		return;
	}
	h = name && name_is_valid(name) ? view_find_host(w->view, name) : NULL;
	if (!h) {
		refuse(w, r, WEB_REFUSED_NOT_FOUND, 404, "not_found", "no such host");
		return;
	}
	gather(w, &self);
	html = dashboard_render_host(w->view, h, &self, period ? period : "1d", lookup_avail,
		w, &len);
	respond_text(r, "text/html; charset=utf-8", html, len);
}

/* "WxH" within the bounds of docs/api.md. */
static bool
size_is_valid(const char *s)
{
	unsigned wd, ht;
	char tail;

	return sscanf(s, "%5ux%5u%c", &wd, &ht, &tail) == 2 && wd >= 200 && wd <= 4000 &&
		ht >= 100 && ht <= 3000 && strspn(s, "0123456789x") == strlen(s);
}

/* "a,b_c": field names, as healthmondctl takes them one by one. */
static bool
fields_are_valid(const char *s)
{
	return s[0] && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_,") == strlen(s) &&
		s[0] != ',' && s[strlen(s) - 1] != ',' && !strstr(s, ",,") && strlen(s) < 400;
}

static void
pending_remove(struct web *w, struct pending_graph *p)
{
	for (struct pending_graph **pp = &w->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
}

static void
on_graph_done(int status, const void *out, size_t len, const char *error, void *userdata)
{
	struct pending_graph *p = userdata;

	if (status < 0) {
		(void)http_respond_error(p->req, 500, "render_failed", "%s",
			error ? error : "the graph could not be rendered");
	} else {
		http_response_add_header(p->req, "Cache-Control", "max-age=30");
		(void)http_respond(p->req, 200, "image/png", out, len);
	}
	pending_remove(p->web, p);
}

/* The request went away (or the server is going): the PNG is not wanted. */
static void
on_graph_abort(struct http_request *r, void *userdata)
{
	struct pending_graph *p = userdata;

	(void)r;
	grapher_cancel(p->job);
	pending_remove(p->web, p);
}

/* The healthmondctl arguments for a checked graph request. */
static char **
graph_args(const struct web *w, const char *host, const char *series, const char *fields,
	const char *period, const char *size)
{
	char **args = strv_copy((char *const[]){ "graph", "--datadir", w->datadir, NULL });
	_cleanup_free_ char *copy = fields ? xstrdup(fields) : NULL;
	char *save = NULL;

	if (w->conf->path) {
		strv_push(&args, "-c");
		strv_push(&args, w->conf->path);
	}
	strv_push(&args, host);
	strv_push(&args, series);
	for (char *f = copy ? strtok_r(copy, ",", &save) : NULL; f; f = strtok_r(NULL, ",", &save))
		strv_push(&args, f);
	strv_push(&args, "--period");
	strv_push(&args, period);
	strv_push(&args, "--size");
	strv_push(&args, size);
	strv_push(&args, "-o");
	strv_push(&args, "-");
	return args;
}

/* 0, or answers 400/404 and returns -EINVAL. */
static int
check_graph_params(struct web *w, struct http_request *r, const char *host,
	const char *series, const char *fields, const char *period, const char *size)
{
	_cleanup_free_ char *file = NULL;
	struct stat st;

	if (!host || !series || !name_is_valid(host) || !name_is_valid(series)) {
		refuse(w, r, WEB_REFUSED_BAD_REQUEST, 400, "bad_request",
			"parameters 'host' and 'series' are required and must be names");
		return -EINVAL;
	}
	if (fields && !fields_are_valid(fields)) {
		refuse(w, r, WEB_REFUSED_BAD_REQUEST, 400, "bad_request",
			"parameter 'fields' must be field names separated by commas");
		return -EINVAL;
	}
	if (!period_is_valid(period)) {
		refuse(w, r, WEB_REFUSED_BAD_REQUEST, 400, "bad_request",
			"parameter 'period' must be 1h, 1d, 1w, 1m or 1y");
		return -EINVAL;
	}
	if (!size_is_valid(size)) {
		refuse(w, r, WEB_REFUSED_BAD_REQUEST, 400, "bad_request",
			"parameter 'size' must be WIDTHxHEIGHT, from 200x100 to 4000x3000");
		return -EINVAL;
	}
	file = xasprintf("%s/%s/%s.rrd", w->datadir, host, series);
	if (stat(file, &st) < 0) {
		refuse(w, r, WEB_REFUSED_NOT_FOUND, 404, "not_found", "no such host or series");
		return -EINVAL;
	}
	return 0;
}

static void
on_graph(struct http_request *r, void *userdata)
{
	static const char *const allowed[] = { "host", "series", "fields", "period", "size",
		NULL };
	struct web *w = userdata;
	const char *host = http_request_query(r, "host");
	const char *series = http_request_query(r, "series");
	const char *fields = http_request_query(r, "fields");
	const char *period = http_request_query(r, "period");
	const char *size = http_request_query(r, "size");
	_cleanup_(strv_freep) char **args = NULL;
	struct pending_graph *p;

	if (!admit(w, r, allowed))
		return;
	period = period ? period : "1d";
	size = size ? size : "800x250";
	if (check_graph_params(w, r, host, series, fields, period, size) < 0)
		return;
	args = graph_args(w, host, series, fields, period, size);
	p = xcalloc(1, sizeof(*p));
	*p = (struct pending_graph){ .next = w->pending, .web = w, .req = r };
	if (grapher_run(w->grapher, args, on_graph_done, p, &p->job) < 0) {
		free(p);
		http_response_add_header(r, "Retry-After", "1");
		refuse(w, r, WEB_REFUSED_BUSY, 503, "busy", "too many graphs wait already");
		return;
	}
	w->pending = p;
	http_request_suspend(r);
	http_request_set_abort(r, on_graph_abort, p);
}

static void
avail_clear(struct web *w)
{
	for (size_t i = 0; i < w->n_avail; i++)
		free(w->avail[i].key);
	free(w->avail);
	w->avail = NULL;
	w->n_avail = 0;
}

static double
avail_value(json_t *periods, const char *name)
{
	json_t *v = json_object_get(periods, name);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* healthmondctl availability's answer: {"host/probe-x": {"1d": 0.99, "7d": null}}. */
static void
on_avail_done(int status, const void *out, size_t len, const char *error, void *userdata)
{
	struct web *w = userdata;
	_cleanup_(json_decrefp) json_t *o = NULL;
	const char *key;
	json_t *periods;

	w->avail_running = false;
	if (status < 0) {
		log_warning("cannot compute the probes' availability: %s", error ? error : "");
		return;
	}
	o = json_loadb(out, len, 0, NULL);
	if (!json_is_object(o)) {
		log_warning("healthmondctl availability answered no JSON object");
		return;
	}
	avail_clear(w);
	w->avail = xcalloc(json_object_size(o) + 1, sizeof(*w->avail));
	json_object_foreach(o, key, periods) {
		size_t i;

		if (sorted_find(w->avail, w->n_avail, sizeof(*w->avail), key, avail_key, &i))
			continue;
		memmove(&w->avail[i + 1], &w->avail[i], (w->n_avail - i) * sizeof(*w->avail));
		w->avail[i] = (struct avail){ .key = xstrdup(key),
			.day = avail_value(periods, "1d"), .week = avail_value(periods, "7d") };
		w->avail_known = w->avail_known || !isnan(w->avail[i].day);
		w->n_avail++;
	}
}

/* Every probe series the view knows, as "host/series" arguments. */
static char **
avail_args(const struct web *w)
{
	char **args = strv_copy((char *const[]){ "availability", "--datadir", w->datadir,
		"--period", "1d,7d", NULL });
	bool any = false;

	for (size_t i = 0; i < view_host_count(w->view); i++) {
		const struct view_host *h = view_host_at(w->view, i);

		for (size_t j = 0; j < h->n_series; j++) {
			_cleanup_free_ char *arg = NULL;

			if (strncmp(h->series[j].name, PROBE_PREFIX, strlen(PROBE_PREFIX)) != 0)
				continue;
			arg = xasprintf("%s/%s", h->name, h->series[j].name);
			strv_push(&args, arg);
			any = true;
		}
	}
	if (!any)
		args = strv_free(args);
	return args;
}

static int
on_avail_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct web *w = userdata;
	_cleanup_(strv_freep) char **args = avail_args(w);

	if (args && !w->avail_running && grapher_run(w->grapher, args, on_avail_done, w,
		NULL) >= 0)
		w->avail_running = true;
	(void)sd_event_source_set_time(s, usec + (w->avail_known ? AVAIL_REFRESH_USEC
							      : AVAIL_RETRY_USEC));
	return 0;
}

static const struct http_route route_table[] = {
	{ .method = "GET", .path = "/", .on_request = on_dashboard },
	{ .method = "GET", .path = "/host", .on_request = on_host_page },
	{ .method = "GET", .path = "/api/v1/status", .on_request = on_status },
	{ .method = "GET", .path = "/api/v1/hosts", .on_request = on_hosts },
	{ .method = "GET", .path = "/api/v1/host", .on_request = on_host },
	{ .method = "GET", .path = "/api/v1/events", .on_request = on_events },
	{ .method = "GET", .path = "/api/v1/help", .on_request = on_help },
	{ .method = "GET", .path = "/api/v1/graph", .on_request = on_graph },
	{ .method = "GET", .path = "/metrics", .on_request = on_metrics },
};

static int
open_server(struct web *w, struct web *previous)
{
	_cleanup_(strv_freep) char **listen = conf_resolve_http_listen(w->conf);
	struct http_route routes[ELEMENTSOF(route_table)];
	const struct http_config cfg = {
		.listen = listen,
		.tls_cert = w->conf->http.tls_cert,
		.tls_key = w->conf->http.tls_key,
		.max_connections = w->conf->http.max_connections,
		.idle_timeout = 60,
	};
	_cleanup_free_ char *error = NULL;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(route_table); i++) {
		routes[i] = route_table[i];
		routes[i].userdata = w;
	}
	r = http_server_new(&cfg, routes, ELEMENTSOF(routes),
		previous ? previous->server : NULL, &w->server, &error);
	if (r < 0)
		log_err("http: %s", error);
	return r;
}

int
web_new(const struct hm_conf *conf, struct view *view, web_status_fn status,
	void *userdata, struct web *previous, struct web **ret)
{
	_cleanup_(web_freep) struct web *w = xcalloc(1, sizeof(*w));
	_cleanup_free_ char *error = NULL;
	const char *ctl = getenv("HEALTHMOND_CTL");
	int r;

	w->conf = conf;
	w->view = view;
	w->status = status;
	w->userdata = userdata;
	w->datadir = conf_resolve_datadir(conf);
	w->ctl_path = xstrdup(ctl && ctl[0] == '/' ? ctl : BINDIR "/healthmondctl");
	if (conf->http.auth_file) {
		r = basicauth_load(conf->http.auth_file, &w->auth, &error);
		if (r < 0) {
			log_err("http: %s", error);
			return r;
		}
	}
	r = open_server(w, previous);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(w);
	return 0;
}

int
web_start(struct web *w, sd_event *e)
{
	_cleanup_free_ char *error = NULL;
	uint64_t now;
	int r;

	r = grapher_new(e, w->ctl_path, w->conf->http.graph_workers, GRAPH_QUEUE_MAX,
		GRAPH_CACHE_SEC, &w->grapher);
	if (r < 0) {
		log_err("http: cannot start the graph workers: %s", strerror(-r));
		return r;
	}
	r = http_server_start(w->server, e, &error);
	if (r < 0) {
		log_err("http: %s", error);
		return r;
	}
	(void)sd_event_now(e, CLOCK_MONOTONIC, &now);
	r = sd_event_add_time(e, &w->avail_timer, CLOCK_MONOTONIC, now + AVAIL_RETRY_USEC,
		USEC_PER_SEC, on_avail_timer, w);
	if (r < 0)
		return r;
	(void)sd_event_source_set_enabled(w->avail_timer, SD_EVENT_ON);
	return 0;
}

int
web_port(const struct web *w, size_t i)
{
	return http_server_port(w->server, i);
}

struct web *
web_free(struct web *w)
{
	if (!w)
		return NULL;
	/* Those waiting for a graph get an answer before their server goes. */
	while (w->pending) {
		struct pending_graph *p = w->pending;

		grapher_cancel(p->job);
		(void)http_respond_error(p->req, 503, "busy", "healthmond is reloading or stopping");
		pending_remove(w, p);
	}
	sd_event_source_unref(w->avail_timer);
	grapher_free(w->grapher);
	http_server_free(w->server);
	basicauth_free(w->auth);
	avail_clear(w);
	free(w->datadir);
	free(w->ctl_path);
	free(w);
	return NULL;
}
