/* SPDX-License-Identifier: MIT */
/* The JSON API (api.h, docs/api.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "catalog.h"
#include "json_null.h"
#include "util.h"

void
api_respond_json(struct http_request *r, json_t *o)
{
	_cleanup_free_ char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;

	json_decref(o);
	if (!text) {
		(void)http_respond_error(r, 500, "internal", "could not build the answer");
		return;
	}
	http_response_add_header(r, "Cache-Control", "no-store");
	(void)http_respond(r, 200, "application/json", text, strlen(text));
}

static json_t *
state_counts(const unsigned count[_CHECK_STATE_MAX])
{
	json_t *o = json_object();

	for (int s = 0; s < _CHECK_STATE_MAX; s++)
		json_object_set_new(o, check_state_to_string(s), json_integer(count[s]));
	return o;
}

static void
count_host_checks(const struct view_host *h, unsigned ret[_CHECK_STATE_MAX])
{
	for (size_t i = 0; i < h->n_checks; i++)
		ret[h->checks[i].state]++;
}

static json_t *
forward_json(const struct self_status *self)
{
	const struct upload_status *u = &self->forward.upload;

	if (!self->forwarding)
		return json_null();
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o}",
		"link", u->unreachable ? "unreachable" : u->failures ? "failing" : "up",
		"spool_batches", (json_int_t)u->spool_batches,
		"spool_bytes", (json_int_t)u->spool_bytes,
		"oldest_unsent_age", (json_int_t)u->oldest_age,
		"sent_batches", (json_int_t)u->sent_batches,
		"lost_records", (json_int_t)self->forward.lost_records,
		"last_error", json_string_or_null(u->last_error[0] ? u->last_error : NULL));
}

static json_t *
central_json(const struct self_status *self)
{
	const struct central_status *c = &self->fleet;

	if (!self->central)
		return json_null();
	return json_pack("{s:I, s:I, s:f, s:I, s:I, s:I}",
		"hosts", (json_int_t)c->hosts, "silent", (json_int_t)c->silent,
		"batches_per_sec", c->batches_per_sec,
		"batches", (json_int_t)c->ingest.batches,
		"duplicate_batches", (json_int_t)c->ingest.duplicate_batches,
		"refused", (json_int_t)c->refused);
}

void
api_status(struct http_request *r, const struct view *v, const struct self_status *self)
{
	unsigned checks[_CHECK_STATE_MAX] = { 0 }, hosts[_CHECK_STATE_MAX] = { 0 };
	int64_t now = (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_SEC);
	const struct agent_status *a = &self->agent;

	for (size_t i = 0; i < view_host_count(v); i++) {
		const struct view_host *h = view_host_at(v, i);

		count_host_checks(h, checks);
		hosts[view_host_state(h)]++;
	}
	api_respond_json(r, json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:o, "
		"s:{s:I, s:f, s:I, s:I, s:I, s:I}, s:o, s:o, s:{s:I, s:I}}",
		"api", 1, "version", self->version, "host", self->host,
		"role", self->central ? "central" : "agent",
		"started", (json_int_t)self->started, "uptime", (json_int_t)(now - self->started),
		"state", check_state_to_string(view_worst_state(v)),
		"checks", state_counts(checks), "hosts", state_counts(hosts),
		"agent", "cycles", (json_int_t)a->cycles,
		"last_cycle_ms", (double)a->last_cycle_usec / 1000.0,
		"errors", (json_int_t)a->errors, "series", (json_int_t)a->series,
		"probes", (json_int_t)a->probes, "events", (json_int_t)a->events,
		"forward", forward_json(self), "central", central_json(self),
		"events", "kept", (json_int_t)self->view.events_kept,
		"received", (json_int_t)self->view.events));
}

static json_t *
host_summary(const struct view_host *h)
{
	unsigned counts[_CHECK_STATE_MAX] = { 0 };

	count_host_checks(h, counts);
	return json_pack("{s:s, s:s, s:b, s:b, s:I, s:o}", "host", h->name,
		"state", check_state_to_string(view_host_state(h)), "local", h->local,
		"silent", h->silent, "last_report", (json_int_t)h->last_report,
		"checks", state_counts(counts));
}

void
api_hosts(struct http_request *r, const struct view *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < view_host_count(v); i++)
		json_array_append_new(a, host_summary(view_host_at(v, i)));
	api_respond_json(r, json_pack("{s:o}", "hosts", a));
}

static json_t *
check_json(const struct view_check *c)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o}",
		"check", c->check, "series", c->series, "field", c->field,
		"state", check_state_to_string(c->state), "kind", event_kind_to_string(c->kind),
		"value", json_number_or_null(c->value), "warning", json_number_or_null(c->warning),
		"critical", json_number_or_null(c->critical),
		"threshold", json_number_or_null(c->threshold), "since", (json_int_t)c->since,
		"url", json_string_or_null(c->url), "reason", json_string_or_null(c->reason),
		"event", c->event_id ? json_integer((json_int_t)c->event_id) : json_null());
}

static json_t *
series_json(const struct view_series *s)
{
	json_t *values = json_object();

	for (size_t f = 0; f < s->n_fields; f++)
		json_object_set_new(values, s->fields[f], json_number_or_null(s->values[f]));
	return json_pack("{s:s, s:I, s:o}", "series", s->name, "time", (json_int_t)s->time,
		"values", values);
}

/* The host the `host` parameter names; answers 400 or 404 and returns NULL. */
static const struct view_host *
host_param(struct http_request *r, const struct view *v)
{
	const char *name = http_request_query(r, "host");
	const struct view_host *h;

	if (!name || !name_is_valid(name)) {
		(void)http_respond_error(r, 400, "bad_request",
			"parameter 'host' is required and must be a host name");
		return NULL;
	}
	h = view_find_host(v, name);
	if (!h)
		(void)http_respond_error(r, 404, "not_found", "no host '%s' is known", name);
	return h;
}

void
api_host(struct http_request *r, const struct view *v)
{
	const struct view_host *h = host_param(r, v);
	json_t *o, *checks, *series;

	if (!h)
		return;
	o = host_summary(h);
	checks = json_array();
	series = json_array();
	for (size_t i = 0; i < h->n_checks; i++)
		json_array_append_new(checks, check_json(&h->checks[i]));
	for (size_t i = 0; i < h->n_series; i++)
		json_array_append_new(series, series_json(&h->series[i]));
	json_object_set_new(o, "checks", checks);
	json_object_set_new(o, "series", series);
	api_respond_json(r, o);
}

json_t *
api_event_json(const struct view_event *e)
{
	json_t *o = view_event_json(e);
	struct event ev;
	char message[2048];

	view_event_to_event(e, &ev);
	event_format(&ev, message, sizeof(message));
	json_object_set_new(o, "message", json_string(message));
	json_object_set_new(o, "message_id", json_string(event_message_id(e->kind)));
	return o;
}

/* Parameter name as a number in [min, max], or def when absent; -EINVAL after a 400. */
static int
uint_param(struct http_request *r, const char *name, uint64_t min, uint64_t max,
	uint64_t def, uint64_t *ret)
{
	const char *s = http_request_query(r, name);
	uint64_t u;

	if (!s) {
		*ret = def;
		return 0;
	}
	if (safe_atou64(s, &u) < 0 || u < min || u > max) {
		(void)http_respond_error(r, 400, "bad_request",
			"parameter '%s' must be a number from %" PRIu64 " to %" PRIu64, name, min,
			max);
		return -EINVAL;
	}
	*ret = u;
	return 0;
}

static bool
append_event(const struct view_event *e, void *userdata)
{
	json_array_append_new(userdata, api_event_json(e));
	return true;
}

/* The filter the parameters ask for; -EINVAL after a 400. */
static int
event_filter(struct http_request *r, struct view_event_filter *f)
{
	const char *state = http_request_query(r, "state");
	const char *host = http_request_query(r, "host");
	const char *check = http_request_query(r, "check");
	uint64_t since, until, limit;

	*f = (struct view_event_filter){ .state = -1, .host = host, .check = check };
	if (state && (f->state = check_state_from_string(state)) < 0)
		return http_respond_error(r, 400, "bad_request",
			"parameter 'state' must be ok, warning, critical or unknown"), -EINVAL;
	if ((host && !name_is_valid(host)) || (check && !name_is_valid(check)))
		return http_respond_error(r, 400, "bad_request",
			"parameters 'host' and 'check' must be names"), -EINVAL;
	if (uint_param(r, "since", 0, INT64_MAX, 0, &since) < 0 ||
	    uint_param(r, "until", 0, INT64_MAX, 0, &until) < 0 ||
	    uint_param(r, "limit", 1, API_EVENTS_LIMIT_MAX, API_EVENTS_LIMIT_DEFAULT, &limit) < 0)
		return -EINVAL;
	f->since = (int64_t)since;
	f->until = (int64_t)until;
	f->limit = limit;
	return 0;
}

void
api_events(struct http_request *r, const struct view *v)
{
	struct view_event_filter f;
	json_t *a;

	if (event_filter(r, &f) < 0)
		return;
	a = json_array();
	(void)view_query_events(v, &f, append_event, a);
	api_respond_json(r, json_pack("{s:o}", "events", a));
}

void
api_help(struct http_request *r, const struct view *v)
{
	struct catalog_text t = { 0 };
	const struct view_event *e;
	struct event ev;
	uint64_t id;

	if (!http_request_query(r, "event")) {
		(void)http_respond_error(r, 400, "bad_request", "parameter 'event' is required");
		return;
	}
	if (uint_param(r, "event", 1, UINT64_MAX, 0, &id) < 0)
		return;
	e = view_find_event(v, id);
	if (!e) {
		(void)http_respond_error(r, 404, "not_found",
			"event %" PRIu64 " is not kept (or never was)", id);
		return;
	}
	view_event_to_event(e, &ev);
	if (catalog_render(&ev, &t) < 0) {
		(void)http_respond_error(r, 404, "not_found", "the catalog has no entry for %s",
			event_kind_to_string(e->kind));
		return;
	}
	api_respond_json(r, json_pack("{s:o, s:s, s:s, s:o}", "event", api_event_json(e),
		"subject", t.subject, "text", t.body, "fix", json_string_or_null(t.fix)));
	catalog_text_done(&t);
}
