/* SPDX-License-Identifier: MIT */
/*
 * Health checks: samples in, state changes out. Owns the check instances,
 * one per (check, series), kept in a hash table keyed by the check and the
 * series name, so a record costs a scan of the (few) checks and one lookup
 * per check that applies, however many series the central holds.
 *
 * A check applies to a record when it is enabled, its series pattern
 * matches the record's series (fnmatch(3)) and the record's schema has its
 * field (and its `per` field, if any). The value is field, or field / per
 * (NAN when per is 0 or NAN). With only_if, a record whose only_if field is
 * 0 or NAN is no sample for the check (latency of a probe that is down):
 * it is not evaluated, but it keeps the instance from going unknown. An
 * instance is created by the first sample that has a value: a series whose
 * field is never known (cert_days of an http:// probe) makes no instance,
 * hence no "unknown" noise.
 *
 * Each sample goes through three stages:
 *
 * 1. rules_evaluate() gives the evaluated state, with hysteresis relative to
 *    the previous sample's evaluated state. Direction above: critical when
 *    v >= critical; else warning when v >= warning; else, when the previous
 *    evaluated state was warning or critical and v >= the clear level, the
 *    state stays bad: warning if the check has a warning threshold (so a
 *    critical that falls under critical becomes warning), critical if it
 *    has only a critical one; else ok. The clear level is `clear`, or
 *    warning's value when clear is NAN, or critical's when both are (which
 *    means no hysteresis). With warning 90 and clear 85: 90 raises, 87
 *    keeps warning, 85 keeps warning, 84.9 clears. Direction below is the
 *    mirror image (v <= thresholds, clear above). A NAN value is unknown.
 * 2. `for_samples` N: the reported state changes only once the evaluated
 *    state has been the same for N consecutive samples (0 and 1: at once).
 * 3. Flap suppression (flap_window M > 0 and flap_changes N > 0): a bit per
 *    sample records whether its evaluated state differs from the previous
 *    sample's; while N or more of the last M bits are set, the instance is
 *    flapping and its reported state does not change (the changes before
 *    the N-th are reported as usual). Once it stops, the settled state
 *    (subject to `for`) is reported with one change if it differs from the
 *    last reported one. Nothing else is said about flapping: no "flapping
 *    started" events, and no flapping state in the summary.
 *
 * Instances start in the reported state ok, silently: a first sample that
 * is ok sends nothing; a first bad state (after `for`) is an ok → bad event.
 *
 * rules_tick(now) makes an instance whose last sample is more than
 * unknown_after intervals old unknown (one event; unknown_after 0: never).
 * The interval is the probe's own for probe-<name> series, else the global
 * one. The missing data also ends the flap history and the `for` count: the
 * first sample after such a gap is reported at once, whatever its state.
 *
 * Every change of the reported state is one event; its threshold is the
 * one crossed (critical's or warning's value; for ok the clear level; NAN
 * for unknown), its time the record's (or the tick's). A reported warning,
 * critical or unknown that lasts is announced again by rules_tick, with
 * repeat set and the latest value: first repeat_interval seconds after the
 * change, then at doubling intervals capped at a day (repeat_interval 0:
 * never). A change restarts the schedule.
 *
 * Instances live as long as the rules: a check is identified by its
 * check_conf, so a reloaded config needs new rules (whose instances start
 * again from ok). No clock is read here: time comes from records and from rules_tick, so
 * the tests are deterministic. Nothing here logs.
 */
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "probe.h"
#include "rules.h"
#include "util.h"

#define REMINDER_MAX_SEC 86400
#define PROBE_SERIES_PREFIX "probe-"

struct instance {
	struct instance *next;          /* hash chain */
	const struct check_conf *check; /* borrowed: owner is the conf */
	const struct probe_conf *probe; /* borrowed: owner is the conf; NULL if none */
	char series[NAME_MAX_LEN + 1];
	uint32_t hash;
	int64_t interval;  /* seconds between samples of the series */

	enum check_state reported;
	enum check_state prev_reported; /* before the last change, for reminders */
	enum check_state evaluated;     /* of the last sample */
	unsigned run_len;  /* consecutive samples evaluated as `evaluated` */
	bool has_sample;
	bool stale;        /* unknown for want of data */

	uint8_t *flap_bits; /* owned: flap_window bits, ring; NULL when off */
	unsigned flap_pos;
	unsigned flap_count;

	double value;       /* of the last sample */
	const char *reason; /* static: probe reason of the last sample, or NULL */
	double threshold;   /* of the last change */
	int64_t since;      /* the reported state's start: its change, or the first sample */
	int64_t last_time;
	int64_t next_reminder; /* 0: none due */
	int64_t reminder_delay;
};

enum sample_kind {
	SAMPLE_NONE,    /* the check does not apply to the record */
	SAMPLE_SKIPPED, /* it applies, but only_if says the sample does not count */
	SAMPLE_VALUE,
};

struct rules {
	const struct hm_conf *conf; /* borrowed */
	const char *host;           /* borrowed */
	event_fn callback;
	void *userdata;
	struct instance **buckets;  /* owned, with the instances */
	size_t n_buckets;           /* a power of two */
	size_t n_instances;
};

/* FNV-1a over "check\0series". */
static uint32_t
key_hash(const char *check, const char *series)
{
	uint32_t h = 2166136261u;

	for (const char *p = check;; p++) {
		h = (h ^ (uint8_t)*p) * 16777619u;
		if (*p == '\0')
			break;
	}
	for (const char *p = series; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static double
clear_level(const struct check_conf *c)
{
	if (!isnan(c->clear))
		return c->clear;
	if (!isnan(c->warning))
		return c->warning;
	return c->critical;
}

enum check_state
rules_evaluate(const struct check_conf *c, enum check_state current, double value)
{
	/* Direction below is above with every number negated. */
	double sign = c->direction == CHECK_BELOW ? -1.0 : 1.0;
	double v = sign * value;
	double level = sign * clear_level(c);

	if (isnan(value))
		return CHECK_UNKNOWN;
	if (!isnan(c->critical) && v >= sign * c->critical)
		return CHECK_CRITICAL;
	if (!isnan(c->warning) && v >= sign * c->warning)
		return CHECK_WARNING;
	if (current != CHECK_WARNING && current != CHECK_CRITICAL)
		return CHECK_OK;
	if (isnan(level) || v < level)
		return CHECK_OK;
	return isnan(c->warning) ? CHECK_CRITICAL : CHECK_WARNING;
}

static double
threshold_of(const struct check_conf *c, enum check_state s)
{
	switch (s) {
	case CHECK_CRITICAL:
		return c->critical;
	case CHECK_WARNING:
		return c->warning;
	case CHECK_OK:
		return clear_level(c);
	default:
		return NAN;
	}
}

static const char *
reason_to_string(double v)
{
	if (isnan(v) || v < 0 || v >= _PROBE_REASON_MAX)
		return NULL;
	return probe_reason_to_string((enum probe_reason)v);
}

static const struct probe_conf *
probe_of_series(const struct hm_conf *conf, const struct record *rec)
{
	size_t n = strlen(PROBE_SERIES_PREFIX);

	if (rec->schema != &schema_probe)
		return NULL;
	if (strncmp(rec->series, PROBE_SERIES_PREFIX, n) != 0)
		return NULL;
	return conf_find_probe(conf, rec->series + n);
}

static void
emit(struct rules *r, const struct instance *in, bool repeat, int64_t time)
{
	const struct check_conf *c = in->check;
	struct event ev = {
		.kind = event_kind_of(c->name, in->reported, in->reason, in->value),
		.host = r->host,
		.check = c->name,
		.series = in->series,
		.field = c->field,
		.state = in->reported,
		.prev_state = in->prev_reported,
		.value = in->value,
		.threshold = in->threshold,
		.url = in->probe ? in->probe->url : NULL,
		.reason = in->reason,
		.time = time,
		.repeat = repeat,
	};

	if (r->callback)
		r->callback(&ev, r->userdata);
}

static void
report(struct rules *r, struct instance *in, enum check_state s, int64_t time)
{
	in->prev_reported = in->reported;
	in->reported = s;
	in->since = time;
	in->threshold = threshold_of(in->check, s);
	in->next_reminder = 0;
	in->reminder_delay = r->conf->repeat_interval;
	if (s != CHECK_OK && in->reminder_delay > 0)
		in->next_reminder = time + in->reminder_delay;
	emit(r, in, false, time);
}

static bool
flap_enabled(const struct check_conf *c)
{
	return c->flap_window > 0 && c->flap_changes > 0;
}

static void
flap_push(struct instance *in, bool changed)
{
	uint8_t *byte, mask;

	if (!in->flap_bits)
		return;
	byte = &in->flap_bits[in->flap_pos / 8];
	mask = (uint8_t)(1u << (in->flap_pos % 8));
	if (*byte & mask)
		in->flap_count--;
	if (changed) {
		*byte |= mask;
		in->flap_count++;
	} else
		*byte &= (uint8_t)~mask;
	in->flap_pos = (in->flap_pos + 1) % in->check->flap_window;
}

static void
flap_reset(struct instance *in)
{
	if (!in->flap_bits)
		return;
	memset(in->flap_bits, 0, (in->check->flap_window + 7) / 8);
	in->flap_pos = 0;
	in->flap_count = 0;
}

static void
instance_sample(struct rules *r, struct instance *in, double v, const char *reason,
	int64_t time)
{
	const struct check_conf *c = in->check;
	enum check_state e = rules_evaluate(c, in->evaluated, v);
	bool resumed = in->stale;
	bool changed = in->has_sample && !resumed && e != in->evaluated;

	flap_push(in, changed);
	if (changed || !in->has_sample || resumed)
		in->run_len = 1;
	else if (in->run_len < UINT_MAX)
		in->run_len++;
	in->evaluated = e;
	in->value = v;
	in->reason = reason;
	if (!in->has_sample && !in->since)
		in->since = time;
	in->last_time = in->has_sample ? MAX(in->last_time, time) : time;
	in->has_sample = true;
	in->stale = false;

	if (e == in->reported)
		return;
	if (resumed) {
		report(r, in, e, time);
		return;
	}
	if (in->flap_bits && in->flap_count >= c->flap_changes)
		return;
	if (in->run_len >= MAX(c->for_samples, 1u))
		report(r, in, e, time);
}

static void
table_grow(struct rules *r)
{
	size_t n = r->n_buckets * 2;
	struct instance **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < r->n_buckets; i++) {
		struct instance *in, *next;

		for (in = r->buckets[i]; in; in = next) {
			next = in->next;
			in->next = b[in->hash & (n - 1)];
			b[in->hash & (n - 1)] = in;
		}
	}
	free(r->buckets);
	r->buckets = b;
	r->n_buckets = n;
}

static struct instance *
instance_find(const struct rules *r, const struct check_conf *c, const char *series,
	uint32_t h)
{
	struct instance *in;

	for (in = r->buckets[h & (r->n_buckets - 1)]; in; in = in->next)
		if (in->hash == h && in->check == c && strcmp(in->series, series) == 0)
			return in;
	return NULL;
}

static struct instance *
instance_add(struct rules *r, const struct check_conf *c, const struct record *rec,
	uint32_t h)
{
	struct instance *in;
	unsigned interval;

	if (r->n_instances >= r->n_buckets)
		table_grow(r);
	in = xcalloc(1, sizeof(*in));
	in->check = c;
	in->probe = probe_of_series(r->conf, rec);
	(void)snprintf(in->series, sizeof(in->series), "%s", rec->series);
	in->hash = h;
	interval = in->probe && in->probe->interval ? in->probe->interval
						    : r->conf->interval;
	in->interval = interval;
	in->reported = in->prev_reported = in->evaluated = CHECK_OK;
	in->value = in->threshold = NAN;
	if (flap_enabled(c))
		in->flap_bits = xcalloc((c->flap_window + 7) / 8, 1);
	in->next = r->buckets[h & (r->n_buckets - 1)];
	r->buckets[h & (r->n_buckets - 1)] = in;
	r->n_instances++;
	return in;
}

/* A field of rec by name, NAN when the schema has none. */
static double
field_value(const struct record *rec, const char *field, bool *ret_found)
{
	int i = record_field_index(rec->schema, field);

	*ret_found = i >= 0;
	return i >= 0 ? rec->values[i] : NAN;
}

/*
 * What check c makes of rec: SAMPLE_NONE when c does not apply to rec,
 * SAMPLE_SKIPPED when it applies but only_if says this sample does not
 * count, else SAMPLE_VALUE with the value (maybe NAN) in *ret.
 */
static enum sample_kind
check_value(const struct check_conf *c, const struct record *rec, double *ret)
{
	bool has_field, has_per = true, has_cond = true;
	double v, per = NAN, cond = NAN;

	if (!c->enabled || !c->series || !c->field)
		return SAMPLE_NONE;
	if (fnmatch(c->series, rec->series, 0) != 0)
		return SAMPLE_NONE;
	v = field_value(rec, c->field, &has_field);
	if (c->per)
		per = field_value(rec, c->per, &has_per);
	if (c->only_if)
		cond = field_value(rec, c->only_if, &has_cond);
	if (!has_field || !has_per || !has_cond)
		return SAMPLE_NONE;
	if (c->only_if && (cond == 0 || isnan(cond)))
		return SAMPLE_SKIPPED;
	if (c->per)
		v = per == 0 || isnan(per) ? NAN : v / per;
	*ret = v;
	return SAMPLE_VALUE;
}

struct rules *
rules_new(const struct hm_conf *conf, const char *host, event_fn callback,
	void *userdata)
{
	struct rules *r = xcalloc(1, sizeof(*r));

	r->conf = conf;
	r->host = host;
	r->callback = callback;
	r->userdata = userdata;
	r->n_buckets = 64;
	r->buckets = xcalloc(r->n_buckets, sizeof(*r->buckets));
	return r;
}

void
rules_feed(struct rules *r, const struct record *rec)
{
	const char *reason = NULL;
	int ri;

	if (rec->schema == &schema_probe) {
		ri = record_field_index(rec->schema, "reason");
		if (ri >= 0)
			reason = reason_to_string(rec->values[ri]);
	}
	for (size_t i = 0; i < r->conf->n_checks; i++) {
		const struct check_conf *c = &r->conf->checks[i];
		struct instance *in;
		enum sample_kind k;
		uint32_t h;
		double v = NAN;

		k = check_value(c, rec, &v);
		if (k == SAMPLE_NONE)
			continue;
		h = key_hash(c->name, rec->series);
		in = instance_find(r, c, rec->series, h);
		if (k == SAMPLE_SKIPPED) {
			/* Not evaluated, but the series is alive: no unknown. */
			if (in)
				in->last_time = MAX(in->last_time, rec->time);
			continue;
		}
		if (!in) {
			/* Only a known value makes an instance. */
			if (isnan(v))
				continue;
			in = instance_add(r, c, rec, h);
		}
		instance_sample(r, in, v, reason, rec->time);
	}
}

static void
instance_tick(struct rules *r, struct instance *in, int64_t now)
{
	int64_t limit = (int64_t)r->conf->unknown_after * in->interval;

	if (!in->stale && limit > 0 && now - in->last_time > limit) {
		in->stale = true;
		in->run_len = 0;
		flap_reset(in);
		if (in->reported != CHECK_UNKNOWN) {
			in->value = NAN;
			in->reason = NULL;
			report(r, in, CHECK_UNKNOWN, now);
			return;
		}
	}
	if (in->reported == CHECK_OK || in->next_reminder == 0)
		return;
	if (now < in->next_reminder)
		return;
	emit(r, in, true, now);
	in->reminder_delay = MIN(in->reminder_delay * 2, REMINDER_MAX_SEC);
	in->next_reminder += in->reminder_delay;
	if (in->next_reminder <= now)
		in->next_reminder = now + in->reminder_delay;
}

void
rules_tick(struct rules *r, int64_t now)
{
	for (size_t i = 0; i < r->n_buckets; i++)
		for (struct instance *in = r->buckets[i]; in; in = in->next)
			instance_tick(r, in, now);
}

void
rules_get_summary(const struct rules *r, struct rules_summary *ret)
{
	struct rules_summary s = { 0 };

	for (size_t i = 0; i < r->n_buckets; i++)
		for (const struct instance *in = r->buckets[i]; in; in = in->next)
			s.count[in->reported]++;
	*ret = s;
}

void
rules_foreach(const struct rules *r, rules_instance_fn fn, void *userdata)
{
	for (size_t i = 0; i < r->n_buckets; i++)
		for (const struct instance *in = r->buckets[i]; in; in = in->next) {
			struct rules_instance ri = {
				.check = in->check,
				.series = in->series,
				.state = in->reported,
				.value = in->value,
				.since = in->since,
			};
			fn(&ri, userdata);
		}
}

struct rules *
rules_free(struct rules *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_buckets; i++) {
		struct instance *in, *next;

		for (in = r->buckets[i]; in; in = next) {
			next = in->next;
			free(in->flap_bits);
			free(in);
		}
	}
	free(r->buckets);
	free(r);
	return NULL;
}
