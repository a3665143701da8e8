/* SPDX-License-Identifier: MIT */
/*
 * What the HTTP face shows: the hosts this daemon knows (its own, and on a
 * central every agent that reports to it), each with the latest value of
 * every series field, its health checks and their states, and the recent
 * events. The agent feeds it from its collectors and rules, the central
 * from what agents send; the API, the dashboard and /metrics read it. It
 * lives on the loop's thread, so the structs below are read directly and
 * stay valid until the next view_* call that changes the view.
 *
 * Recent events are kept across restarts: appended to a file, one JSON
 * object per line, which is rewritten with only the newest events_keep
 * events once it holds twice that many.
 */
#ifndef HM_VIEW_H
#define HM_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"
#include "macro.h"
#include "record.h"

/* The latest sample of one series. */
struct view_series {
	char *name;         /* owned: "df-root" */
	int64_t time;       /* unix seconds of the sample */
	size_t n_fields;
	char **fields;      /* owned: field names, as in the RRD */
	double *values;     /* owned: NAN when unknown */
};

/* One check instance: a check applied to one series field. */
struct view_check {
	char *check;        /* owned: "disk_space" */
	char *series;       /* owned */
	char *field;        /* owned */
	enum check_state state;
	enum event_kind kind;  /* of the last event, or of the check when none */
	double value;       /* the field's latest value; NAN when unknown */
	double warning;     /* NAN when not known (the central learns only what
	                       events carry) or not set */
	double critical;    /* NAN likewise */
	double threshold;   /* crossed or cleared by the last event; NAN if none */
	int64_t since;      /* unix seconds: when the state began */
	char *url;          /* owned: probe checks, else NULL */
	char *reason;       /* owned: probe checks, else NULL */
	uint64_t event_id;  /* the last event of this instance, 0 when none */
};

struct view_host {
	char *name;           /* owned */
	bool local;           /* this daemon's own host */
	bool silent;          /* central: the host stopped sending */
	int64_t last_report;  /* unix seconds of the newest sample, 0 never */
	struct view_series *series; /* owned, sorted by name */
	size_t n_series;
	struct view_check *checks;  /* owned, sorted by check, series, field */
	size_t n_checks;
};

/*
 * The largest id an events file may hold (2^53); a line with a larger one
 * is damaged. Numbering goes on from the largest loaded: this leaves it
 * far from INT64_MAX (ids are JSON integers) and exact for any JSON reader.
 */
#define VIEW_EVENT_ID_MAX ((uint64_t)1 << 53)

/* A recent event, as kept; the strings are owned. */
struct view_event {
	uint64_t id;        /* 1, 2, ... in the order received, kept across restarts */
	int64_t time;       /* unix seconds */
	enum event_kind kind;
	char *host, *check, *series, *field;
	enum check_state state, prev_state;
	double value, threshold;
	char *url, *reason; /* NULL unless a probe's */
	bool repeat;
};

struct view_event_filter {
	const char *host;   /* NULL: any */
	const char *check;  /* NULL: any */
	int state;          /* an enum check_state, or -1: any */
	int64_t since;      /* unix seconds, 0: any */
	int64_t until;      /* unix seconds, 0: any */
	size_t limit;       /* at most this many, newest first; 0: all kept */
};

struct view;

/*
 * A view whose events persist in events_path (NULL: not kept across
 * restarts), keeping the newest events_keep. Events already in the file
 * are loaded; a damaged line is skipped and counted, never fatal.
 * 0, or -errno with a message for people in *ret_error (owned).
 */
int view_new(const char *events_path, size_t events_keep, struct view **ret,
	char **ret_error);
struct view *view_free(struct view *v);
DEFINE_POINTER_CLEANUP(struct view, view_free)

/*
 * Loads the lines of f as view_new() loads its events file: each a kept
 * event, or skipped and counted as damaged. view_new() calls it; the fuzz
 * target (tests/fuzz_events.c) feeds it from memory, on a view without a
 * file, to reach the decoder without file I/O.
 */
void view_load_events(struct view *v, FILE *f);

/* The host, added when new (local: this daemon's own). Never NULL. */
struct view_host *view_add_host(struct view *v, const char *name, bool local);
/* The latest sample of rec's series on host; updates the checks' values. */
void view_feed_record(struct view *v, const char *host, const struct record *rec);
/* Keeps ev (a copy) as a recent event and updates its check instance. */
void view_feed_event(struct view *v, const struct event *ev);
/*
 * Sets a check instance as the agent's rules see it (with thresholds),
 * adding it when new. since: when the state began.
 */
void view_set_check(struct view *v, const char *host, const char *check,
	const char *series, const char *field, enum check_state state, double value,
	double warning, double critical, int64_t since);
void view_set_silent(struct view *v, const char *host, bool silent);

size_t view_host_count(const struct view *v);
/* The i-th host, sorted by name. */
const struct view_host *view_host_at(const struct view *v, size_t i);
const struct view_host *view_find_host(const struct view *v, const char *name);
/* The worst state of the host's checks; unknown when silent; ok with none. */
enum check_state view_host_state(const struct view_host *h);
/* The worst state over every host. */
enum check_state view_worst_state(const struct view *v);
const struct view_series *view_find_series(const struct view_host *h, const char *name);

/*
 * Calls fn for each kept event that passes filter, newest first, until fn
 * returns false or filter->limit is reached. Returns the number passed.
 */
typedef bool (*view_event_fn)(const struct view_event *e, void *userdata);
size_t view_query_events(const struct view *v, const struct view_event_filter *filter,
	view_event_fn fn, void *userdata);
const struct view_event *view_find_event(const struct view *v, uint64_t id);
/*
 * e as a JSON object: id, time, kind, host, check, series, field, state,
 * prev_state, value, threshold, url, reason, repeat (unknown numbers and
 * absent strings null); the events file holds one per line.
 */
json_t *view_event_json(const struct view_event *e);
/* ev borrows e's strings. */
void view_event_to_event(const struct view_event *e, struct event *ret);

struct view_stats {
	size_t events_kept;
	uint64_t events;        /* received since start */
	uint64_t events_by_state[_CHECK_STATE_MAX]; /* received since start */
	uint64_t damaged_lines; /* skipped when loading */
	uint64_t write_errors;  /* failed appends to the events file */
};
void view_get_stats(const struct view *v, struct view_stats *ret);

#endif
