/* SPDX-License-Identifier: MIT */
/*
 * The view (view.h): sorted arrays of hosts, and per host of series and
 * checks, looked up by binary search; the recent events in a ring. The
 * events file is appended to without fsync: events are in the journal too,
 * the file only spares the dashboard an empty page after a restart. It is
 * compacted through a temporary file and a rename, so a crash leaves the
 * old file or the new one, and a torn last line is skipped at load.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_null.h"
#include "util.h"
#include "view.h"

DEFINE_POINTER_CLEANUP(FILE, fclose)

/* Compacting writes this file next to the events file, then renames it. */
#define EVENTS_TMP_NAME ".events.tmp"

struct view {
	struct view_host *hosts; /* owned, sorted by name */
	size_t n_hosts;

	struct view_event *ring; /* owned: events_keep slots */
	size_t keep;
	size_t head;             /* the slot the next event goes to */
	size_t n_events;         /* kept, at most keep */
	uint64_t next_id;

	char *path;              /* owned; NULL: not persisted */
	int fd;                  /* appending to path, or -1 */
	size_t file_lines;       /* events in the file, to know when to compact */
	struct view_stats stats;
};

static void
view_event_done(struct view_event *e)
{
	free(e->host);
	free(e->check);
	free(e->series);
	free(e->field);
	free(e->url);
	free(e->reason);
	*e = (struct view_event){ 0 };
}

static void
series_done(struct view_series *s)
{
	free(s->name);
	strv_free(s->fields);
	free(s->values);
}

static void
check_done(struct view_check *c)
{
	free(c->check);
	free(c->series);
	free(c->field);
	free(c->url);
	free(c->reason);
}

static void
host_done(struct view_host *h)
{
	for (size_t i = 0; i < h->n_series; i++)
		series_done(&h->series[i]);
	for (size_t i = 0; i < h->n_checks; i++)
		check_done(&h->checks[i]);
	free(h->series);
	free(h->checks);
	free(h->name);
}

/* Makes room for one element at index i of an array of n (zeroed). */
static void *
insert_at(void *base, size_t *n, size_t elem_size, size_t i)
{
	base = xrealloc(base, (*n + 1) * elem_size);
	memmove((char *)base + (i + 1) * elem_size, (char *)base + i * elem_size,
		(*n - i) * elem_size);
	memset((char *)base + i * elem_size, 0, elem_size);
	(*n)++;
	return base;
}

static const char *
host_key(const void *elem)
{
	return ((const struct view_host *)elem)->name;
}

static const char *
series_key(const void *elem)
{
	return ((const struct view_series *)elem)->name;
}

static int
cmp_check(const struct view_check *c, const char *check, const char *series,
	const char *field)
{
	int r = strcmp(c->check, check);

	if (r == 0)
		r = strcmp(c->series, series);
	if (r == 0)
		r = strcmp(c->field, field);
	return r;
}

struct view_host *
view_add_host(struct view *v, const char *name, bool local)
{
	size_t i;

	if (!sorted_find(v->hosts, v->n_hosts, sizeof(*v->hosts), name, host_key, &i)) {
		v->hosts = insert_at(v->hosts, &v->n_hosts, sizeof(*v->hosts), i);
		v->hosts[i].name = xstrdup(name);
	}
	if (local)
		v->hosts[i].local = true;
	return &v->hosts[i];
}

const struct view_host *
view_find_host(const struct view *v, const char *name)
{
	size_t i;

	return sorted_find(v->hosts, v->n_hosts, sizeof(*v->hosts), name, host_key, &i)
		? &v->hosts[i] : NULL;
}

const struct view_series *
view_find_series(const struct view_host *h, const char *name)
{
	size_t i;

	return sorted_find(h->series, h->n_series, sizeof(*h->series), name, series_key, &i)
		? &h->series[i] : NULL;
}

static struct view_check *
get_check(struct view_host *h, const char *check, const char *series, const char *field)
{
	size_t lo = 0, hi = h->n_checks;
	struct view_check *c;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp_check(&h->checks[mid], check, series, field);

		if (r == 0)
			return &h->checks[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t i = lo;
	h->checks = insert_at(h->checks, &h->n_checks, sizeof(*h->checks), i);
	c = &h->checks[i];
	c->check = xstrdup(check);
	c->series = xstrdup(series);
	c->field = xstrdup(field);
	c->state = CHECK_OK;
	c->kind = event_kind_of(check, CHECK_CRITICAL, NULL, NAN);
	c->value = c->warning = c->critical = c->threshold = NAN;
	return c;
}

void
view_feed_record(struct view *v, const char *host, const struct record *rec)
{
	struct view_host *h = view_add_host(v, host, false);
	const struct schema *schema = rec->schema;
	struct view_series *s;
	size_t i;

	if (!sorted_find(h->series, h->n_series, sizeof(*h->series), rec->series, series_key,
		&i)) {
		h->series = insert_at(h->series, &h->n_series, sizeof(*h->series), i);
		h->series[i].name = xstrdup(rec->series);
	}
	s = &h->series[i];
	if (s->n_fields != schema->n_fields) {
		strv_free(s->fields);
		s->fields = strv_copy(NULL);
		for (size_t f = 0; f < schema->n_fields; f++)
			strv_push(&s->fields, schema->fields[f].name);
		s->n_fields = schema->n_fields;
		s->values = xrealloc(s->values, schema->n_fields * sizeof(double));
	} else {
		for (size_t f = 0; f < schema->n_fields; f++)
			if (strcmp(s->fields[f], schema->fields[f].name) != 0) {
				free(s->fields[f]);
				s->fields[f] = xstrdup(schema->fields[f].name);
			}
	}
	for (size_t f = 0; f < schema->n_fields; f++)
		s->values[f] = rec->values[f];
	s->time = rec->time;
	h->last_report = MAX(h->last_report, rec->time);
}

void
view_set_check(struct view *v, const char *host, const char *check, const char *series,
	const char *field, enum check_state state, double value, double warning,
	double critical, int64_t since)
{
	struct view_check *c = get_check(view_add_host(v, host, false), check, series, field);

	c->state = state;
	c->value = value;
	c->warning = warning;
	c->critical = critical;
	c->since = since;
}

void
view_set_silent(struct view *v, const char *host, bool silent)
{
	view_add_host(v, host, false)->silent = silent;
}

size_t
view_host_count(const struct view *v)
{
	return v->n_hosts;
}

const struct view_host *
view_host_at(const struct view *v, size_t i)
{
	return i < v->n_hosts ? &v->hosts[i] : NULL;
}

/* critical > unknown > warning > ok: what needs a person first. */
static int
severity(enum check_state s)
{
	static const int rank[_CHECK_STATE_MAX] = {
		[CHECK_OK] = 0, [CHECK_WARNING] = 1, [CHECK_UNKNOWN] = 2, [CHECK_CRITICAL] = 3,
	};
	return rank[s];
}

static enum check_state
worse(enum check_state a, enum check_state b)
{
	return severity(b) > severity(a) ? b : a;
}

enum check_state
view_host_state(const struct view_host *h)
{
	enum check_state s = CHECK_OK;

	for (size_t i = 0; i < h->n_checks; i++)
		s = worse(s, h->checks[i].state);
	if (h->silent)
		s = worse(s, CHECK_UNKNOWN);
	return s;
}

enum check_state
view_worst_state(const struct view *v)
{
	enum check_state s = CHECK_OK;

	for (size_t i = 0; i < v->n_hosts; i++)
		s = worse(s, view_host_state(&v->hosts[i]));
	return s;
}

void
view_event_to_event(const struct view_event *e, struct event *ret)
{
	*ret = (struct event){
		.kind = e->kind,
		.host = e->host,
		.check = e->check,
		.series = e->series,
		.field = e->field,
		.state = e->state,
		.prev_state = e->prev_state,
		.value = e->value,
		.threshold = e->threshold,
		.url = e->url,
		.reason = e->reason,
		.time = e->time,
		.repeat = e->repeat,
	};
}

static void
copy_event(struct view_event *dst, const struct event *ev, uint64_t id)
{
	view_event_done(dst);
	*dst = (struct view_event){
		.id = id,
		.time = ev->time,
		.kind = ev->kind,
		.host = xstrdup(ev->host ? ev->host : ""),
		.check = xstrdup(ev->check ? ev->check : ""),
		.series = xstrdup(ev->series ? ev->series : ""),
		.field = xstrdup(ev->field ? ev->field : ""),
		.state = ev->state,
		.prev_state = ev->prev_state,
		.value = ev->value,
		.threshold = ev->threshold,
		.url = ev->url ? xstrdup(ev->url) : NULL,
		.reason = ev->reason ? xstrdup(ev->reason) : NULL,
		.repeat = ev->repeat,
	};
}

/* Keeps ev in the ring under id; returns the copy. */
static struct view_event *
ring_push(struct view *v, const struct event *ev, uint64_t id)
{
	struct view_event *slot = &v->ring[v->head];

	copy_event(slot, ev, id);
	v->head = (v->head + 1) % v->keep;
	if (v->n_events < v->keep)
		v->n_events++;
	if (id >= v->next_id)
		v->next_id = id + 1;
	return slot;
}

/* The check instance an event speaks of, brought up to date. */
static void
apply_to_check(struct view *v, const struct view_event *e)
{
	struct view_check *c;

	if (!e->host[0] || !e->check[0])
		return;
	c = get_check(view_add_host(v, e->host, false), e->check, e->series, e->field);
	if (c->state != e->state || !c->since || !e->repeat)
		c->since = e->repeat && c->since ? c->since : e->time;
	c->state = e->state;
	c->kind = e->kind;
	c->value = e->value;
	c->threshold = e->threshold;
	free(c->url);
	free(c->reason);
	c->url = e->url ? xstrdup(e->url) : NULL;
	c->reason = e->reason ? xstrdup(e->reason) : NULL;
	c->event_id = e->id;
}

/* The i-th newest kept event (0: the newest). */
static const struct view_event *
ring_nth_newest(const struct view *v, size_t i)
{
	return &v->ring[(v->head + v->keep - 1 - i) % v->keep];
}

size_t
view_query_events(const struct view *v, const struct view_event_filter *f,
	view_event_fn fn, void *userdata)
{
	size_t passed = 0;

	for (size_t i = 0; i < v->n_events; i++) {
		const struct view_event *e = ring_nth_newest(v, i);

		if (f->limit && passed >= f->limit)
			break;
		if ((f->host && strcmp(f->host, e->host) != 0) ||
		    (f->check && strcmp(f->check, e->check) != 0) ||
		    (f->state >= 0 && (int)e->state != f->state) ||
		    (f->since && e->time < f->since) || (f->until && e->time > f->until))
			continue;
		passed++;
		if (!fn(e, userdata))
			break;
	}
	return passed;
}

const struct view_event *
view_find_event(const struct view *v, uint64_t id)
{
	/* Ids grow along the ring, so the newest-first walk can stop early. */
	for (size_t i = 0; i < v->n_events; i++) {
		const struct view_event *e = ring_nth_newest(v, i);

		if (e->id == id)
			return e;
		if (e->id < id)
			break;
	}
	return NULL;
}

void
view_get_stats(const struct view *v, struct view_stats *ret)
{
	*ret = v->stats;
	ret->events_kept = v->n_events;
}

json_t *
view_event_json(const struct view_event *e)
{
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, "
		"s:b}",
		"id", (json_int_t)e->id, "time", (json_int_t)e->time,
		"kind", event_kind_to_string(e->kind), "host", e->host, "check", e->check,
		"series", e->series, "field", e->field,
		"state", check_state_to_string(e->state),
		"prev_state", check_state_to_string(e->prev_state),
		"value", json_number_or_null(e->value), "threshold", json_number_or_null(e->threshold),
		"url", json_string_or_null(e->url), "reason", json_string_or_null(e->reason),
		"repeat", e->repeat);
}

static char *
event_to_line(const struct view_event *e)
{
	_cleanup_(json_decrefp) json_t *o = view_event_json(e);

	return o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
}

static int
kind_from_string(const char *s)
{
	for (int k = 0; k < _EVENT_KIND_MAX; k++)
		if (strcmp(event_kind_to_string(k), s) == 0)
			return k;
	return -EINVAL;
}

static double
json_number_or_nan(json_t *j)
{
	return json_is_number(j) ? json_number_value(j) : NAN;
}

/* A line of the events file back into ev (borrowing from o); -EBADMSG if damaged. */
static int
event_from_json(json_t *o, uint64_t *ret_id, struct event *ev)
{
	json_int_t id, time;
	const char *kind, *host, *check, *series, *field, *state, *prev;
	json_t *value = NULL, *threshold = NULL, *url = NULL, *reason = NULL;
	int repeat = 0, k, st, pst;

	if (json_unpack(o, "{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s?o, s?o, s?o, "
		"s?o, s?b}", "id", &id, "time", &time, "kind", &kind, "host", &host,
		"check", &check, "series", &series, "field", &field, "state", &state,
		"prev_state", &prev, "value", &value, "threshold", &threshold, "url", &url,
		"reason", &reason, "repeat", &repeat) < 0)
		return -EBADMSG;
	k = kind_from_string(kind);
	st = check_state_from_string(state);
	pst = check_state_from_string(prev);
	if (id <= 0 || (uint64_t)id > VIEW_EVENT_ID_MAX || k < 0 || st < 0 ||
		pst < 0 || !name_is_valid(host))
		return -EBADMSG;
	*ret_id = (uint64_t)id;
	*ev = (struct event){
		.kind = k, .host = host, .check = check, .series = series, .field = field,
		.state = st, .prev_state = pst, .time = time, .repeat = repeat,
		.value = json_number_or_nan(value), .threshold = json_number_or_nan(threshold),
		.url = json_is_string(url) ? json_string_value(url) : NULL,
		.reason = json_is_string(reason) ? json_string_value(reason) : NULL,
	};
	return 0;
}

static void
load_line(struct view *v, const char *line)
{
	_cleanup_(json_decrefp) json_t *o = json_loads(line, 0, NULL);
	struct event ev;
	uint64_t id;

	if (!o || event_from_json(o, &id, &ev) < 0 || id < v->next_id) {
		v->stats.damaged_lines++;
		return;
	}
	apply_to_check(v, ring_push(v, &ev, id));
	v->file_lines++;
}

void
view_load_events(struct view *v, FILE *f)
{
	_cleanup_free_ char *line = NULL;
	size_t size = 0;

	while (getline(&line, &size, f) > 0)
		load_line(v, line);
}

static int
load_file(struct view *v, char **ret_error)
{
	_cleanup_(fclosep) FILE *f = fopen(v->path, "re");

	if (!f) {
		if (errno == ENOENT)
			return 0;
		*ret_error = xasprintf("cannot read %s: %s", v->path, strerror(errno));
		return -errno;
	}
	view_load_events(v, f);
	return 0;
}

/* Rewrites the file with only the kept events: temp file, then rename. */
static int
compact_file(struct view *v)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0, allocated = 0;
	int r;

	for (size_t i = v->n_events; i-- > 0;) {
		_cleanup_free_ char *line = event_to_line(ring_nth_newest(v, i));

		if (!line)
			continue;
		text = xgrow(text, &allocated, len + strlen(line) + 2, 4096, 1);
		len += (size_t)sprintf(text + len, "%s\n", line);
	}
	_cleanup_free_ char *dir = xstrdup(v->path);
	char *slash = strrchr(dir, '/');
	_cleanup_close_ int dir_fd = -1;

	if (slash)
		*slash = '\0';
	dir_fd = open(slash ? (dir[0] ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return -errno;
	r = write_file_durably(dir_fd, EVENTS_TMP_NAME, slash ? slash + 1 : v->path,
		text ? text : "", len, 0644);
	if (r < 0)
		return r;
	if (v->fd >= 0)
		(void)close(v->fd);
	v->fd = open(v->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	v->file_lines = v->n_events;
	return v->fd < 0 ? -errno : 0;
}

static void
append_to_file(struct view *v, const struct view_event *e)
{
	_cleanup_free_ char *line = NULL, *text = NULL;

	if (!v->path)
		return;
	if (v->file_lines + 1 >= 2 * v->keep && compact_file(v) >= 0)
		return; /* the new event is in the compacted file */
	line = event_to_line(e);
	if (!line || v->fd < 0) {
		v->stats.write_errors++;
		return;
	}
	text = xasprintf("%s\n", line);
	if (write_all(v->fd, text, strlen(text)) < 0)
		v->stats.write_errors++;
	else
		v->file_lines++;
}

void
view_feed_event(struct view *v, const struct event *ev)
{
	struct view_event *e;

	if (!ev->host || !name_is_valid(ev->host))
		return;
	e = ring_push(v, ev, v->next_id);
	apply_to_check(v, e);
	v->stats.events++;
	v->stats.events_by_state[e->state]++;
	append_to_file(v, e);
}

int
view_new(const char *events_path, size_t events_keep, struct view **ret, char **ret_error)
{
	_cleanup_(view_freep) struct view *v = xcalloc(1, sizeof(*v));
	int r;

	v->keep = MAX(events_keep, (size_t)1);
	v->ring = xcalloc(v->keep, sizeof(*v->ring));
	v->next_id = 1;
	v->fd = -1;
	if (events_path) {
		v->path = xstrdup(events_path);
		r = load_file(v, ret_error);
		if (r < 0)
			return r;
		/* Start from a compact file: it also tells early that it is writable. */
		r = compact_file(v);
		if (r < 0) {
			*ret_error = xasprintf("cannot write %s: %s", v->path, strerror(-r));
			return r;
		}
	}
	*ret = TAKE_PTR(v);
	return 0;
}

struct view *
view_free(struct view *v)
{
	if (!v)
		return NULL;
	for (size_t i = 0; i < v->n_hosts; i++)
		host_done(&v->hosts[i]);
	free(v->hosts);
	for (size_t i = 0; i < v->keep; i++)
		view_event_done(&v->ring[i]);
	free(v->ring);
	if (v->fd >= 0)
		(void)close(v->fd);
	free(v->path);
	free(v);
	return NULL;
}
