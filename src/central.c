/* SPDX-License-Identifier: MIT */
/*
 * The central role: the fleet's store, the HTTP server with the ingest
 * route, and liveness. Each host known (from the data directory at start,
 * or since) has a last-seen time on the monotonic clock, set by every
 * request of it that ingest admits; hosts of earlier runs start their clock
 * when the central starts. A timer every few seconds looks for hosts quiet
 * for longer than host_timeout: each gets one 'host silent' event, then
 * reminders after repeat_interval, doubling up to a day, and a recovery
 * event the moment it sends again. Events go to the journal like the
 * agent's, with HEALTHMOND_HOST naming the silent host.
 *
 * A reload builds a new central from the new configuration and the running
 * one (sockets, liveness, counters), starts it, and only then drops the old.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "central.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "store.h"
#include "util.h"
#include "view.h"

#define HOST_SILENT_CHECK "host_silent"
#define REMINDER_MAX_USEC (86400 * USEC_PER_SEC)
#define TICK_MAX_USEC (5 * USEC_PER_SEC)
#define TICK_MIN_USEC (500 * USEC_PER_MSEC)

struct liveness {
	char name[NAME_MAX_LEN + 1];
	uint64_t last_seen;      /* monotonic usec */
	bool silent;
	uint64_t next_reminder;  /* monotonic usec, while silent */
	uint64_t reminder_delay; /* usec */
};

struct central {
	const struct hm_conf *conf;  /* borrowed: owner is the daemon */
	char *datadir;               /* owned */
	struct store *store;         /* owned */
	struct ingest *ingest;       /* owned */
	struct http_server *http;    /* owned */
	struct periodic *timer;      /* owned; NULL until started */
	struct liveness *hosts;      /* owned: sorted by name */
	size_t n_hosts;
	size_t allocated_hosts;
	size_t n_silent;
	struct view *view;           /* borrowed; NULL: none */
	/* Counts of the centrals before the last reload, added to ours. */
	struct ingest_stats ingest_base;
	struct http_stats http_base;
	/* batches per second, measured between ticks */
	uint64_t rate_batches;
	uint64_t rate_time;
	double batches_per_sec;
};

/* Liveness table. */

static const char *
liveness_key(const void *element)
{
	return ((const struct liveness *)element)->name;
}

static bool
liveness_index(const struct central *c, const char *name, size_t *ret_index)
{
	return sorted_find(c->hosts, c->n_hosts, sizeof(*c->hosts), name, liveness_key,
		ret_index);
}

/* The entry of a valid host name, added (seen now) when it is new. */
static struct liveness *
liveness_get(struct central *c, const char *name, uint64_t now)
{
	struct liveness *l;
	size_t i;

	if (liveness_index(c, name, &i))
		return &c->hosts[i];
	c->hosts = xgrow(c->hosts, &c->allocated_hosts, c->n_hosts, 16, sizeof(*c->hosts));
	memmove(c->hosts + i + 1, c->hosts + i, (c->n_hosts - i) * sizeof(*c->hosts));
	c->n_hosts++;
	l = &c->hosts[i];
	memset(l, 0, sizeof(*l));
	memcpy(l->name, name, strnlen(name, NAME_MAX_LEN));
	l->last_seen = now;
	return l;
}

static void
send_liveness_event(const struct central *c, const struct liveness *l,
	enum check_state state, bool repeat, uint64_t now)
{
	struct event ev = {
		.host = l->name,
		.check = HOST_SILENT_CHECK,
		.state = state,
		.prev_state = state == CHECK_OK ? CHECK_CRITICAL : CHECK_OK,
		.value = floor((double)(now - l->last_seen) / (double)USEC_PER_SEC),
		.threshold = state == CHECK_OK ? NAN : (double)c->conf->central.host_timeout,
		.time = (int64_t)time(NULL),
		.repeat = repeat,
	};
	int r;

	if (repeat)
		ev.prev_state = state;
	ev.kind = event_kind_of(ev.check, ev.state, NULL, ev.value);
	r = journal_send_event(&ev);
	if (r < 0)
		log_warning_errno(r, "Cannot log a health event");
	if (c->view) {
		view_feed_event(c->view, &ev);
		view_set_silent(c->view, l->name, state != CHECK_OK);
	}
}

static void
on_seen(const char *host, void *userdata)
{
	struct central *c = userdata;
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	struct liveness *l = liveness_get(c, host, now);

	if (l->silent) {
		send_liveness_event(c, l, CHECK_OK, false, now);
		l->silent = false;
		c->n_silent--;
	}
	l->last_seen = now;
}

void
central_set_view(struct central *c, struct view *v)
{
	c->view = v;
	ingest_set_view(c->ingest, v);
	for (size_t i = 0; v && i < c->n_hosts; i++)
		view_set_silent(v, c->hosts[i].name, c->hosts[i].silent);
}

void
central_check_liveness(struct central *c)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	uint64_t timeout = c->conf->central.host_timeout * USEC_PER_SEC;
	uint64_t repeat = c->conf->repeat_interval * USEC_PER_SEC;
	uint64_t batches = c->ingest_base.batches + ingest_get_stats(c->ingest)->batches;

	for (size_t i = 0; i < c->n_hosts; i++) {
		struct liveness *l = &c->hosts[i];

		if (!l->silent) {
			if (now - l->last_seen <= timeout)
				continue;
			send_liveness_event(c, l, CHECK_CRITICAL, false, now);
			l->silent = true;
			c->n_silent++;
			l->reminder_delay = repeat;
			l->next_reminder = now + repeat;
		} else if (repeat > 0 && now >= l->next_reminder) {
			send_liveness_event(c, l, CHECK_CRITICAL, true, now);
			l->reminder_delay = MIN(l->reminder_delay * 2, REMINDER_MAX_USEC);
			l->next_reminder = now + l->reminder_delay;
		}
	}
	if (c->rate_time && now > c->rate_time)
		c->batches_per_sec = (double)(batches - c->rate_batches) /
			((double)(now - c->rate_time) / (double)USEC_PER_SEC);
	c->rate_batches = batches;
	c->rate_time = now;
}

static void
on_tick(void *userdata)
{
	central_check_liveness(userdata);
}

/* Building, starting, stopping. */

static void
warn_tokens_mode(const char *path)
{
	struct stat st;

	if (path && stat(path, &st) == 0 && (st.st_mode & 0004))
		log_warning("tokens_file '%s' can be read by every user; "
			    "chmod o-r it",
			path);
}

static void
carry_over(struct central *c, const struct central *previous, uint64_t now)
{
	const struct http_stats *hs = http_server_get_stats(previous->http);

	c->ingest_base = previous->ingest_base;
	ingest_stats_add(&c->ingest_base, ingest_get_stats(previous->ingest));
	c->http_base = previous->http_base;
	c->http_base.connections += hs->connections;
	c->http_base.requests += hs->requests;
	c->http_base.not_found += hs->not_found;
	c->http_base.too_large += hs->too_large;
	c->http_base.dropped += hs->dropped;
	for (size_t i = 0; i < previous->n_hosts; i++) {
		struct liveness *l = liveness_get(c, previous->hosts[i].name, now);

		*l = previous->hosts[i];
		if (l->silent)
			c->n_silent++;
	}
	c->batches_per_sec = previous->batches_per_sec;
}

int
central_new(const struct hm_conf *conf, struct central *previous, struct central **ret)
{
	_cleanup_(central_freep) struct central *c = xcalloc(1, sizeof(*c));
	_cleanup_free_ char *error = NULL;
	const struct central_conf *cc = &conf->central;
	struct http_config hc = {
		.listen = cc->listen,
		.tls_cert = cc->tls_cert,
		.tls_key = cc->tls_key,
		.client_ca = cc->client_ca,
		.max_connections = cc->max_connections,
		.idle_timeout = cc->idle_timeout,
	};
	struct http_route route;
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	int r;

	c->conf = conf;
	if (!cc->tokens_file && !cc->client_ca) {
		log_err("Central: neither tokens_file nor client_ca is set, so no agent "
			"could authenticate");
		return -EINVAL;
	}
	c->datadir = conf_resolve_datadir(conf);
	r = mkdir_p(c->datadir, 0755);
	if (r < 0)
		return log_err_errno(r, "Central: cannot create data directory '%s'",
			c->datadir);
	c->store = store_new_cached(c->datadir, conf->interval, conf->rrdcached);
	if (!c->store)
		return log_err_errno(-EINVAL, "Central: cannot use data directory '%s'",
			c->datadir);
	r = ingest_new(conf, c->datadir, c->store, on_seen, c, &c->ingest, &error);
	if (r < 0) {
		log_err("Central: %s", error);
		return r;
	}
	warn_tokens_mode(cc->tokens_file);
	if (previous)
		carry_over(c, previous, now);
	/* Hosts of earlier runs start their silence clock now. */
	for (size_t i = 0; i < ingest_host_count(c->ingest); i++)
		(void)liveness_get(c, ingest_host_name(c->ingest, i), now);
	ingest_get_route(c->ingest, &route);
	r = http_server_new(&hc, &route, 1, previous ? previous->http : NULL, &c->http,
		&error);
	if (r < 0) {
		log_err("Central: %s", error);
		return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

int
central_start(struct central *c, sd_event *e)
{
	_cleanup_free_ char *error = NULL;
	uint64_t tick = c->conf->central.host_timeout * USEC_PER_SEC / 4;
	int r;

	r = http_server_start(c->http, e, &error);
	if (r < 0) {
		log_err("Central: %s", error);
		return r;
	}
	tick = MAX(MIN(tick, TICK_MAX_USEC), TICK_MIN_USEC);
	r = loop_periodic_new(e, tick, tick, on_tick, c, &c->timer);
	if (r < 0)
		return log_err_errno(r, "Central: cannot start the liveness timer");
	for (char **l = c->conf->central.listen; l && *l; l++)
		log_info("Central listening on %s (%s%s), %zu hosts known, data in '%s'",
			*l, c->conf->central.tls_cert ? "HTTPS" : "HTTP",
			c->conf->central.client_ca ? ", client certificates" : "",
			c->n_hosts, c->datadir);
	return 0;
}

void
central_get_status(const struct central *c, struct central_status *ret)
{
	const struct http_stats *hs = http_server_get_stats(c->http);
	struct central_status st = {
		.hosts = c->n_hosts,
		.silent = c->n_silent,
		.batches_per_sec = c->batches_per_sec,
		.ingest = c->ingest_base,
		.http = c->http_base,
	};

	ingest_stats_add(&st.ingest, ingest_get_stats(c->ingest));
	st.http.connections += hs->connections;
	st.http.requests += hs->requests;
	st.http.not_found += hs->not_found;
	st.http.too_large += hs->too_large;
	st.http.dropped += hs->dropped;
	st.refused = ingest_stats_refused(&st.ingest);
	st.failed = st.ingest.failed;
	*ret = st;
}

void
central_format_status(const struct central *c, char *buf, size_t size)
{
	struct central_status st;

	central_get_status(c, &st);
	(void)snprintf(buf, size,
		"central: %zu hosts reporting, %zu silent, %.1f batches/s, %llu refused",
		st.hosts - st.silent, st.silent, st.batches_per_sec,
		(unsigned long long)st.refused);
}

int
central_port(const struct central *c, size_t i)
{
	return http_server_port(c->http, i);
}

const char *
central_datadir(const struct central *c)
{
	return c->datadir;
}

struct central *
central_free(struct central *c)
{
	if (!c)
		return NULL;
	loop_periodic_free(c->timer);
	/* The server first: its connections point into ingest. */
	http_server_free(c->http);
	ingest_free(c->ingest);
	store_free(c->store);
	free(c->hosts);
	free(c->datadir);
	free(c);
	return NULL;
}
