/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus exposition of /metrics (text format 0.0.4): first what the
 * view knows about the hosts (latest values, probes, checks), then
 * healthmond's own figures. Families are written whole, one after the
 * other, each with # HELP and # TYPE; counters end in _total; times are
 * in seconds and unix timestamps are *_timestamp_seconds, as the
 * Prometheus naming guide asks. Names of hosts, series and fields are
 * validated before they reach the view, but label values are escaped all
 * the same. docs/metrics.md documents each family: keep the two in step.
 * Nothing here logs.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "strbuf.h"
#include "wire.h"

#define PROBE_PREFIX "probe-"
#define _sentinel_ __attribute__((sentinel))

static void
family(struct strbuf *b, const char *name, const char *type, const char *help)
{
	strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped, as the format wants. */
static void
put_label_value(struct strbuf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			strbuf_append(b, "\\\\");
		else if (*s == '"')
			strbuf_append(b, "\\\"");
		else if (*s == '\n')
			strbuf_append(b, "\\n");
		else
			strbuf_append_char(b, *s);
	}
}

/* name{key="value",...} from the NULL-terminated key, value pairs in ap. */
static void
put_name(struct strbuf *b, const char *name, va_list ap)
{
	const char *key;
	bool first = true;

	strbuf_append(b, name);
	while ((key = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);

		strbuf_append(b, first ? "{" : ",");
		strbuf_append(b, key);
		strbuf_append(b, "=\"");
		put_label_value(b, value);
		strbuf_append_char(b, '"');
		first = false;
	}
	if (!first)
		strbuf_append_char(b, '}');
}

/*
 * A value with 15 significant digits, more than any measurement here
 * holds, so that 123.4 ms shows as 0.1234 s rather than with the last bits
 * of the division; Go's float syntax for the infinities.
 */
static void
format_double(double v, char *buf, size_t size)
{
	if (isnan(v))
		(void)snprintf(buf, size, "NaN");
	else if (isinf(v))
		(void)snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
	else
		(void)snprintf(buf, size, "%.15g", v + 0.0); /* + 0.0: no "-0" */
}

/* One sample: name, labels as key, value, ..., NULL, then the value. */
static void _sentinel_
sample(struct strbuf *b, const char *name, double value, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, value);
	put_name(b, name, ap);
	va_end(ap);
	format_double(value, buf, sizeof(buf));
	strbuf_printf(b, " %s\n", buf);
}

/* The same for a counter, exact beyond 2^53. */
static void _sentinel_
sample_u64(struct strbuf *b, const char *name, uint64_t value, ...)
{
	va_list ap;

	va_start(ap, value);
	put_name(b, name, ap);
	va_end(ap);
	strbuf_printf(b, " %" PRIu64 "\n", value);
}

/* "web" for series "probe-web"; NULL for a series that is not a probe's. */
static const char *
probe_name(const struct view_series *s)
{
	size_t n = strlen(PROBE_PREFIX);

	if (strncmp(s->name, PROBE_PREFIX, n) != 0 || !s->name[n])
		return NULL;
	return s->name + n;
}

/* The latest value of field in s, NAN when unknown or absent. */
static double
series_value(const struct view_series *s, const char *field)
{
	for (size_t i = 0; i < s->n_fields; i++)
		if (strcmp(s->fields[i], field) == 0)
			return s->values[i];
	return NAN;
}

/* A sample of check instance c: host, check, series, field, then key=value if key. */
static void
check_sample(struct strbuf *b, const char *name, const struct view_host *h,
	const struct view_check *c, double value, const char *key, const char *kv)
{
	if (key)
		sample(b, name, value, "host", h->name, "check", c->check, "series",
			c->series, "field", c->field, key, kv, NULL);
	else
		sample(b, name, value, "host", h->name, "check", c->check, "series",
			c->series, "field", c->field, NULL);
}

/* A sample of probe series s: host, probe, then key=value if key. */
static void
probe_sample(struct strbuf *b, const char *name, const struct view_host *h,
	const struct view_series *s, double value, const char *key, const char *kv)
{
	if (key)
		sample(b, name, value, "host", h->name, "probe", probe_name(s), key, kv,
			NULL);
	else
		sample(b, name, value, "host", h->name, "probe", probe_name(s), NULL);
}

/* 1 for the state given, 0 for the others: one sample per state. */
static void
state_samples(struct strbuf *b, const char *name, const struct view_host *h,
	const struct view_check *c, enum check_state state)
{
	for (int s = 0; s < _CHECK_STATE_MAX; s++) {
		const char *sn = check_state_to_string(s);
		double x = state == (enum check_state)s ? 1 : 0;

		if (c)
			check_sample(b, name, h, c, x, "state", sn);
		else
			sample(b, name, x, "host", h->name, "state", sn, NULL);
	}
}

/* The samples of one family (name) for host h. */
typedef void (*host_samples_fn)(struct strbuf *b, const char *name,
	const struct view_host *h);

static void
host_up(struct strbuf *b, const char *name, const struct view_host *h)
{
	sample(b, name, h->silent ? 0 : 1, "host", h->name, NULL);
}

static void
host_state(struct strbuf *b, const char *name, const struct view_host *h)
{
	state_samples(b, name, h, NULL, view_host_state(h));
}

static void
host_last_report(struct strbuf *b, const char *name, const struct view_host *h)
{
	if (h->last_report > 0)
		sample(b, name, (double)h->last_report, "host", h->name, NULL);
}

static void
values(struct strbuf *b, const char *name, const struct view_host *h)
{
	for (size_t i = 0; i < h->n_series; i++) {
		const struct view_series *s = &h->series[i];

		for (size_t f = 0; f < s->n_fields; f++)
			if (!isnan(s->values[f]))
				sample(b, name, s->values[f], "host", h->name, "series",
					s->name, "field", s->fields[f], NULL);
	}
}

static void
sample_times(struct strbuf *b, const char *name, const struct view_host *h)
{
	for (size_t i = 0; i < h->n_series; i++)
		sample(b, name, (double)h->series[i].time, "host", h->name, "series",
			h->series[i].name, NULL);
}

static void
probe_field(struct strbuf *b, const char *name, const struct view_host *h,
	const char *field)
{
	for (size_t i = 0; i < h->n_series; i++) {
		const struct view_series *s = &h->series[i];
		double x = series_value(s, field);

		if (probe_name(s) && !isnan(x))
			probe_sample(b, name, h, s, x, NULL, NULL);
	}
}

static void
probe_up(struct strbuf *b, const char *name, const struct view_host *h)
{
	probe_field(b, name, h, "up");
}

static void
probe_status(struct strbuf *b, const char *name, const struct view_host *h)
{
	probe_field(b, name, h, "status");
}

/* The series holds milliseconds since the start of the request, per phase. */
static void
probe_durations(struct strbuf *b, const char *name, const struct view_host *h)
{
	static const struct {
		const char *phase, *field;
	} phases[] = {
		{ "dns", "dns_ms" },
		{ "connect", "connect_ms" },
		{ "tls", "tls_ms" },
		{ "first_byte", "ttfb_ms" },
		{ "total", "total_ms" },
	};

	for (size_t i = 0; i < h->n_series; i++) {
		const struct view_series *s = &h->series[i];

		for (size_t p = 0; probe_name(s) && p < ELEMENTSOF(phases); p++) {
			double ms = series_value(s, phases[p].field);

			if (!isnan(ms))
				probe_sample(b, name, h, s, ms / 1000.0, "phase",
					phases[p].phase);
		}
	}
}

/* cert_days counts from the sample: as a timestamp it does not go stale. */
static void
probe_cert_expiry(struct strbuf *b, const char *name, const struct view_host *h)
{
	for (size_t i = 0; i < h->n_series; i++) {
		const struct view_series *s = &h->series[i];
		double days = series_value(s, "cert_days");

		if (probe_name(s) && !isnan(days))
			probe_sample(b, name, h, s, (double)s->time + days * 86400.0,
				NULL, NULL);
	}
}

static void
check_states(struct strbuf *b, const char *name, const struct view_host *h)
{
	for (size_t i = 0; i < h->n_checks; i++)
		state_samples(b, name, h, &h->checks[i], h->checks[i].state);
}

static void
check_thresholds(struct strbuf *b, const char *name, const struct view_host *h)
{
	for (size_t i = 0; i < h->n_checks; i++) {
		const struct view_check *c = &h->checks[i];

		if (!isnan(c->warning))
			check_sample(b, name, h, c, c->warning, "level", "warning");
		if (!isnan(c->critical))
			check_sample(b, name, h, c, c->critical, "level", "critical");
	}
}

static void
check_since(struct strbuf *b, const char *name, const struct view_host *h)
{
	for (size_t i = 0; i < h->n_checks; i++)
		if (h->checks[i].since > 0)
			check_sample(b, name, h, &h->checks[i],
				(double)h->checks[i].since, NULL, NULL);
}

/* The families of the view, all gauges, in the order written. */
static const struct {
	const char *name;
	const char *help;
	host_samples_fn fn;
} view_families[] = {
	{ "healthmond_host_up",
		"1 while the host reports, 0 once the central found it silent.",
		host_up },
	{ "healthmond_host_state",
		"1 for the host's worst check state (a silent host is unknown at "
		"least), 0 for the other states.",
		host_state },
	{ "healthmond_host_last_report_timestamp_seconds",
		"Unix time of the host's newest sample.", host_last_report },
	{ "healthmond_value",
		"The latest value of each series field, in the field's unit "
		"(docs/rrd-layout.md); unknown values are left out.",
		values },
	{ "healthmond_sample_timestamp_seconds",
		"Unix time of the series' latest sample.", sample_times },
	{ "healthmond_probe_up",
		"1 when the URL probe's latest run passed, 0 when it failed.",
		probe_up },
	{ "healthmond_probe_duration_seconds",
		"Seconds from the start of the probe's latest request until the phase "
		"was done (cumulative: dns <= connect <= tls <= first_byte <= total).",
		probe_durations },
	{ "healthmond_probe_http_status",
		"HTTP status code of the probe's latest response.", probe_status },
	{ "healthmond_probe_cert_expiry_timestamp_seconds",
		"Unix time when the TLS certificate the probe saw last expires.",
		probe_cert_expiry },
	{ "healthmond_check_state",
		"1 for the state the check instance is in, 0 for the other states.",
		check_states },
	{ "healthmond_check_threshold",
		"The check instance's warning and critical thresholds, where known.",
		check_thresholds },
	{ "healthmond_check_state_since_timestamp_seconds",
		"Unix time when the check instance entered its current state.",
		check_since },
};

static void
view_families_render(struct strbuf *b, const struct view *v)
{
	for (size_t f = 0; f < ELEMENTSOF(view_families); f++) {
		const char *name = view_families[f].name;

		family(b, name, "gauge", view_families[f].help);
		for (size_t i = 0; i < view_host_count(v); i++)
			view_families[f].fn(b, name, view_host_at(v, i));
	}
}

/* A family with one unlabelled sample. */
static void
single(struct strbuf *b, const char *name, const char *type, const char *help,
	double value)
{
	family(b, name, type, help);
	sample(b, name, value, NULL);
}

static void
counter(struct strbuf *b, const char *name, const char *help, uint64_t value)
{
	family(b, name, "counter", help);
	sample_u64(b, name, value, NULL);
}

static void
agent_families(struct strbuf *b, const struct self_status *self)
{
	const struct agent_status *a = &self->agent;

	counter(b, "healthmond_agent_cycles_total", "Collection cycles run.",
		a->cycles);
	single(b, "healthmond_agent_cycle_duration_seconds", "gauge",
		"How long the latest collection cycle took.",
		(double)a->last_cycle_usec / 1e6);
	counter(b, "healthmond_agent_errors_total", "Collector and store failures.",
		a->errors);
	single(b, "healthmond_agent_series", "gauge", "Series the agent has written.",
		(double)a->series);
	counter(b, "healthmond_agent_skipped_samples_total",
		"Samples skipped as not newer than their RRD file's last update.",
		a->skipped);
	counter(b, "healthmond_agent_probe_results_total", "URL probe runs finished.",
		a->probes);
	counter(b, "healthmond_agent_events_sent_total",
		"Health events the agent's checks sent.", a->events);
}

static void
forward_families(struct strbuf *b, const struct self_status *self)
{
	const struct forward_status *f = &self->forward;
	const struct upload_status *u = &f->upload;

	if (!self->forwarding)
		return;
	single(b, "healthmond_spool_batches", "gauge",
		"Batches waiting in the spool to go to the central.",
		(double)u->spool_batches);
	single(b, "healthmond_spool_bytes", "gauge", "Bytes the spool holds.",
		(double)u->spool_bytes);
	single(b, "healthmond_spool_oldest_unsent_age_seconds", "gauge",
		"How long the oldest unsent batch has waited; 0 when none waits.",
		(double)u->oldest_age);
	counter(b, "healthmond_spool_write_errors_total",
		"Failed appends to the spool.", f->spool_errors);
	counter(b, "healthmond_forward_batches_total", "Batches written to the spool.",
		f->batches);
	single(b, "healthmond_forward_pending", "gauge",
		"Records and events in memory, waiting for the next batch.",
		(double)f->pending);
	counter(b, "healthmond_forward_lost_records_total",
		"Records dropped unsent: the spool was full, or the central refused "
		"them.",
		f->lost_records);
	family(b, "healthmond_upload_link_state", "gauge",
		"1 for the state of the link to the central (idle: nothing answered "
		"yet), 0 for the others.");
	for (int l = 0; l < _UPLOAD_LINK_MAX; l++)
		sample(b, "healthmond_upload_link_state",
			u->link == (enum upload_link)l, "state",
			upload_link_to_string(l), NULL);
	single(b, "healthmond_upload_consecutive_failures", "gauge",
		"Uploads that failed in a row; 0 after a success.",
		(double)u->failures);
	counter(b, "healthmond_upload_requests_total", "Upload requests made.",
		u->requests);
	counter(b, "healthmond_upload_batches_sent_total",
		"Batches the central acknowledged.", u->sent_batches);
	counter(b, "healthmond_upload_batches_dropped_total",
		"Batches the central refused as malformed, dropped.",
		u->dropped_batches);
	if (u->last_success > 0)
		single(b, "healthmond_upload_last_success_timestamp_seconds", "gauge",
			"Unix time of the latest successful upload.",
			(double)u->last_success);
}

static void
refused(struct strbuf *b, const char *reason, uint64_t n)
{
	sample_u64(b, "healthmond_ingest_refused_total", n, "reason", reason, NULL);
}

static void
ingest_families(struct strbuf *b, const struct self_status *self)
{
	const struct ingest_stats *in = &self->fleet.ingest;

	counter(b, "healthmond_ingest_requests_total", "Requests to the ingest path.",
		in->requests);
	counter(b, "healthmond_ingest_batches_total",
		"Agent batches accepted and applied.", in->batches);
	counter(b, "healthmond_ingest_duplicate_batches_total",
		"Agent batches received again and skipped (sequence number already "
		"handled).",
		in->duplicate_batches);
	family(b, "healthmond_ingest_refused_total", "counter",
		"Ingest requests refused, by the error class of the answer.");
	refused(b, "auth", in->refused_auth);
	refused(b, "host", in->refused_host);
	refused(b, "too_large", in->refused_too_large);
	refused(b, "hosts", in->refused_hosts);
	refused(b, "series", in->refused_series);
	for (int e = WIRE_OK + 1; e < _WIRE_ERROR_MAX; e++)
		refused(b, wire_error_to_string(e), in->refused_malformed[e]);
	counter(b, "healthmond_ingest_failed_total",
		"Ingest requests answered 503: the store failed.", in->failed);
	counter(b, "healthmond_ingest_samples_total", "Samples written to the store.",
		in->records);
	counter(b, "healthmond_ingest_duplicate_samples_total",
		"Samples skipped as not newer than their RRD file.",
		in->duplicate_samples);
	counter(b, "healthmond_ingest_events_total", "Agents' health events logged.",
		in->events);
	counter(b, "healthmond_ingest_received_bytes_total",
		"Body bytes of the ingest requests decoded.", in->bytes);
}

static void
central_families(struct strbuf *b, const struct self_status *self)
{
	if (!self->central)
		return;
	single(b, "healthmond_central_hosts", "gauge", "Hosts the central knows.",
		(double)self->fleet.hosts);
	single(b, "healthmond_central_silent_hosts", "gauge",
		"Known hosts that stopped sending.", (double)self->fleet.silent);
	ingest_families(b, self);
}

/* The HTTP servers' counters, by server: "web" (this page) and "ingest". */
static void
http_family(struct strbuf *b, const struct self_status *self, const char *name,
	const char *help, uint64_t web, uint64_t ingest)
{
	family(b, name, "counter", help);
	sample_u64(b, name, web, "server", "web", NULL);
	if (self->central)
		sample_u64(b, name, ingest, "server", "ingest", NULL);
}

static void
http_families(struct strbuf *b, const struct self_status *self)
{
	const struct http_stats *web = &self->http, *in = &self->fleet.http;

	http_family(b, self, "healthmond_http_connections_total",
		"Connections accepted.", web->connections, in->connections);
	http_family(b, self, "healthmond_http_requests_total", "Requests started.",
		web->requests, in->requests);
	http_family(b, self, "healthmond_http_dropped_connections_total",
		"Connections closed without an answer.", web->dropped, in->dropped);
	family(b, "healthmond_http_refused_total", "counter",
		"Requests to the API, dashboard and /metrics refused, by reason.");
	for (int r = 0; r < _WEB_REFUSED_MAX; r++)
		sample_u64(b, "healthmond_http_refused_total", self->web_refused[r],
			"reason", web_refusal_to_string(r), NULL);
}

static void
rrd_write_family(struct strbuf *b, const struct self_status *self)
{
	const struct self_latency *l = &self->rrd_write;
	const char *name = "healthmond_rrd_write_duration_seconds";
	char le[64];

	family(b, name, "histogram", "How long writes to the local RRD files took.");
	for (size_t i = 0; i < SELF_LATENCY_BUCKETS; i++) {
		format_double(self_latency_bounds[i], le, sizeof(le));
		sample_u64(b, "healthmond_rrd_write_duration_seconds_bucket", l->le[i],
			"le", le, NULL);
	}
	sample_u64(b, "healthmond_rrd_write_duration_seconds_bucket", l->count, "le",
		"+Inf", NULL);
	sample(b, "healthmond_rrd_write_duration_seconds_sum", l->sum, NULL);
	sample_u64(b, "healthmond_rrd_write_duration_seconds_count", l->count, NULL);
}

static void
event_families(struct strbuf *b, const struct self_status *self)
{
	const struct view_stats *s = &self->view;

	family(b, "healthmond_events_total", "counter",
		"Health events received since the start, by the state entered.");
	for (int st = 0; st < _CHECK_STATE_MAX; st++)
		sample_u64(b, "healthmond_events_total", s->events_by_state[st],
			"state", check_state_to_string(st), NULL);
	single(b, "healthmond_events_kept", "gauge",
		"Recent events kept for the API and the dashboard.",
		(double)s->events_kept);
	counter(b, "healthmond_events_file_write_errors_total",
		"Failed appends to the events file.", s->write_errors);
	counter(b, "healthmond_events_file_damaged_lines_total",
		"Damaged lines of the events file skipped when loading it.",
		s->damaged_lines);
}

/* The pool of healthmondctl processes that render graphs and availability. */
static void
graph_families(struct strbuf *b, const struct self_status *self)
{
	const struct grapher_stats *g = &self->graphs;

	counter(b, "healthmond_graph_runs_total",
		"healthmondctl processes started to render a graph or compute probe "
		"availability.",
		g->runs);
	counter(b, "healthmond_graph_cache_hits_total",
		"Graph and availability requests answered from the cache.",
		g->cache_hits);
	counter(b, "healthmond_graph_failures_total",
		"healthmondctl processes that failed, timeouts included.", g->failed);
	counter(b, "healthmond_graph_timeouts_total",
		"healthmondctl processes killed at the timeout.", g->timed_out);
	counter(b, "healthmond_graph_refused_total",
		"Graph and availability requests refused: the queue was full.",
		g->refused);
	single(b, "healthmond_graph_running", "gauge",
		"healthmondctl processes running now.", (double)g->running);
	single(b, "healthmond_graph_queued", "gauge",
		"Graph and availability requests waiting for a process now.",
		(double)g->queued);
}

static void
self_families(struct strbuf *b, const struct self_status *self)
{
	family(b, "healthmond_build_info", "gauge",
		"Always 1; the labels say healthmond's version and role.");
	sample(b, "healthmond_build_info", 1, "version",
		self->version ? self->version : "", "role",
		self->central ? "central" : "agent", NULL);
	single(b, "healthmond_start_time_seconds", "gauge",
		"Unix time when healthmond started.", (double)self->started);
	agent_families(b, self);
	forward_families(b, self);
	central_families(b, self);
	http_families(b, self);
	rrd_write_family(b, self);
	event_families(b, self);
	graph_families(b, self);
}

char *
metrics_render(const struct view *v, const struct self_status *self, size_t *ret_len)
{
	struct strbuf b = STRBUF_INIT;

	view_families_render(&b, v);
	self_families(&b, self);
	return strbuf_steal(&b, ret_len);
}
