/* SPDX-License-Identifier: MIT */
/*
 * Tests of rules.c: rules_evaluate() table-driven at every threshold edge,
 * then table-driven sample sequences through one check instance (thresholds,
 * hysteresis, `for`, flap suppression, unknown values) comparing the
 * reported state after each sample and the number of events, and finally
 * the parts that need a clock or several instances: unknown after missing
 * data, reminders at doubling intervals, `per`, `only_if`, patterns, probe
 * URLs and reasons, and the default checks of conf_new_default().
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "conf.h"
#include "event.h"
#include "record.h"
#include "rules.h"

#define MAX_EVENTS 64
#define NONE NAN

/* What a test needs of an event; the event's strings are borrowed, so copied. */
struct captured {
	enum event_kind kind;
	char host[64], check[64], series[64], field[32], url[128], reason[16];
	bool has_url, has_reason, repeat;
	enum check_state state, prev_state;
	double value, threshold;
	int64_t time;
};

struct capture {
	size_t n;       /* events seen, may exceed MAX_EVENTS */
	struct captured ev[MAX_EVENTS];
};

static void
copy_str(char *dst, size_t size, const char *src, bool *ret_has)
{
	(void)snprintf(dst, size, "%s", src ? src : "");
	if (ret_has)
		*ret_has = src != NULL;
}

static void
capture_event(const struct event *ev, void *userdata)
{
	struct capture *cap = userdata;
	struct captured *c;

	if (cap->n++ >= MAX_EVENTS)
		return;
	c = &cap->ev[cap->n - 1];
	c->kind = ev->kind;
	copy_str(c->host, sizeof(c->host), ev->host, NULL);
	copy_str(c->check, sizeof(c->check), ev->check, NULL);
	copy_str(c->series, sizeof(c->series), ev->series, NULL);
	copy_str(c->field, sizeof(c->field), ev->field, NULL);
	copy_str(c->url, sizeof(c->url), ev->url, &c->has_url);
	copy_str(c->reason, sizeof(c->reason), ev->reason, &c->has_reason);
	c->repeat = ev->repeat;
	c->state = ev->state;
	c->prev_state = ev->prev_state;
	c->value = ev->value;
	c->threshold = ev->threshold;
	c->time = ev->time;
}

/* A check as the config would make it; the strings are never freed. */
static struct check_conf
make_check(const char *name, const char *series, const char *field,
	enum check_direction dir, double warning, double critical, double clear)
{
	return (struct check_conf){
		.name = (char *)name,
		.enabled = true,
		.series = (char *)series,
		.field = (char *)field,
		.direction = dir,
		.warning = warning,
		.critical = critical,
		.clear = clear,
		.for_samples = 1,
	};
}

static struct hm_conf
make_conf(struct check_conf *checks, size_t n)
{
	return (struct hm_conf){
		.interval = 10,
		.checks = checks,
		.n_checks = n,
		.unknown_after = 3,
		.repeat_interval = 300,
	};
}

/* Feeds one df record for instance `inst` with bytes_pct = v at time t. */
static void
feed_df(struct rules *r, const char *inst, double v, int64_t t)
{
	struct record_batch b = { .time = t };
	struct record *rec = record_batch_add(&b, &schema_df, inst);

	ck_assert_int_eq(record_set(rec, "bytes_pct", v), 0);
	rules_feed(r, rec);
	record_batch_done(&b);
}

/* The state of the only instance, or '-' when there is none. */
static char
only_state(const struct rules *r)
{
	static const char letters[_CHECK_STATE_MAX] = "owcu";
	struct rules_summary s;
	unsigned total = 0;
	char state = '-';

	rules_get_summary(r, &s);
	for (int i = 0; i < _CHECK_STATE_MAX; i++)
		if (s.count[i]) {
			total += s.count[i];
			state = letters[i];
		}
	ck_assert_uint_le(total, 1);
	return state;
}

static unsigned
summary_total(const struct rules *r)
{
	struct rules_summary s;
	unsigned total = 0;

	rules_get_summary(r, &s);
	for (int i = 0; i < _CHECK_STATE_MAX; i++)
		total += s.count[i];
	return total;
}

/* rules_evaluate: the state one value asks for, given the current state. */
static const struct {
	enum check_direction dir;
	double warning, critical, clear;
	enum check_state current;
	double value;
	enum check_state want;
} eval_cases[] = {
	/* Above, no hysteresis: thresholds are inclusive. */
	{ CHECK_ABOVE, 90, 95, NONE, CHECK_OK, 89.999, CHECK_OK },
	{ CHECK_ABOVE, 90, 95, NONE, CHECK_OK, 90, CHECK_WARNING },
	{ CHECK_ABOVE, 90, 95, NONE, CHECK_OK, 94.999, CHECK_WARNING },
	{ CHECK_ABOVE, 90, 95, NONE, CHECK_OK, 95, CHECK_CRITICAL },
	{ CHECK_ABOVE, 90, 95, NONE, CHECK_OK, INFINITY, CHECK_CRITICAL },
	{ CHECK_ABOVE, 90, 95, NONE, CHECK_WARNING, 89.999, CHECK_OK },
	{ CHECK_ABOVE, 90, 95, NONE, CHECK_CRITICAL, 94.999, CHECK_WARNING },
	{ CHECK_ABOVE, 90, 95, NONE, CHECK_CRITICAL, 89.999, CHECK_OK },
	{ CHECK_ABOVE, 90, 95, NONE, CHECK_OK, -INFINITY, CHECK_OK },
	/* Raise at 90, clear under 85. */
	{ CHECK_ABOVE, 90, 95, 85, CHECK_OK, 87, CHECK_OK },
	{ CHECK_ABOVE, 90, 95, 85, CHECK_WARNING, 87, CHECK_WARNING },
	{ CHECK_ABOVE, 90, 95, 85, CHECK_WARNING, 85, CHECK_WARNING },
	{ CHECK_ABOVE, 90, 95, 85, CHECK_WARNING, 84.999, CHECK_OK },
	{ CHECK_ABOVE, 90, 95, 85, CHECK_CRITICAL, 94.999, CHECK_WARNING },
	{ CHECK_ABOVE, 90, 95, 85, CHECK_CRITICAL, 85, CHECK_WARNING },
	{ CHECK_ABOVE, 90, 95, 85, CHECK_CRITICAL, 84.999, CHECK_OK },
	{ CHECK_ABOVE, 90, 95, 85, CHECK_UNKNOWN, 87, CHECK_OK },
	{ CHECK_ABOVE, 90, 95, 85, CHECK_WARNING, 95, CHECK_CRITICAL },
	/* Warning only. */
	{ CHECK_ABOVE, 90, NONE, NONE, CHECK_OK, 1e300, CHECK_WARNING },
	{ CHECK_ABOVE, 90, NONE, 80, CHECK_WARNING, 80, CHECK_WARNING },
	{ CHECK_ABOVE, 90, NONE, 80, CHECK_WARNING, 79, CHECK_OK },
	/* Critical only: the clear level applies to leaving critical. */
	{ CHECK_ABOVE, NONE, 95, NONE, CHECK_OK, 94.999, CHECK_OK },
	{ CHECK_ABOVE, NONE, 95, NONE, CHECK_OK, 95, CHECK_CRITICAL },
	{ CHECK_ABOVE, NONE, 95, NONE, CHECK_CRITICAL, 94.999, CHECK_OK },
	{ CHECK_ABOVE, NONE, 95, 90, CHECK_CRITICAL, 90, CHECK_CRITICAL },
	{ CHECK_ABOVE, NONE, 95, 90, CHECK_CRITICAL, 89.999, CHECK_OK },
	{ CHECK_ABOVE, NONE, 95, 90, CHECK_OK, 92, CHECK_OK },
	/* A clear level past the warning threshold is no hysteresis. */
	{ CHECK_ABOVE, 90, 95, 92, CHECK_WARNING, 89.999, CHECK_OK },
	/* No thresholds at all. */
	{ CHECK_ABOVE, NONE, NONE, NONE, CHECK_CRITICAL, 1e300, CHECK_OK },
	/* Below mirrors above: raise at 10, critical at 5, clear over 15. */
	{ CHECK_BELOW, 10, 5, 15, CHECK_OK, 10.001, CHECK_OK },
	{ CHECK_BELOW, 10, 5, 15, CHECK_OK, 10, CHECK_WARNING },
	{ CHECK_BELOW, 10, 5, 15, CHECK_OK, 5, CHECK_CRITICAL },
	{ CHECK_BELOW, 10, 5, 15, CHECK_OK, -1, CHECK_CRITICAL },
	{ CHECK_BELOW, 10, 5, 15, CHECK_OK, 12, CHECK_OK },
	{ CHECK_BELOW, 10, 5, 15, CHECK_WARNING, 15, CHECK_WARNING },
	{ CHECK_BELOW, 10, 5, 15, CHECK_WARNING, 15.001, CHECK_OK },
	{ CHECK_BELOW, 10, 5, 15, CHECK_CRITICAL, 5.001, CHECK_WARNING },
	{ CHECK_BELOW, 10, 5, 15, CHECK_CRITICAL, 14, CHECK_WARNING },
	{ CHECK_BELOW, 10, 5, NONE, CHECK_WARNING, 10.001, CHECK_OK },
	{ CHECK_BELOW, NONE, 0.5, NONE, CHECK_OK, 0, CHECK_CRITICAL },
	{ CHECK_BELOW, NONE, 0.5, NONE, CHECK_CRITICAL, 1, CHECK_OK },
	{ CHECK_BELOW, NONE, 3, 21, CHECK_CRITICAL, 21, CHECK_CRITICAL },
	{ CHECK_BELOW, NONE, 3, 21, CHECK_CRITICAL, 21.5, CHECK_OK },
	/* No value. */
	{ CHECK_ABOVE, 90, 95, 85, CHECK_OK, NAN, CHECK_UNKNOWN },
	{ CHECK_BELOW, 10, 5, 15, CHECK_CRITICAL, NAN, CHECK_UNKNOWN },
};

START_TEST(test_evaluate)
{
	struct check_conf c = make_check("t", "*", "f", eval_cases[_i].dir,
		eval_cases[_i].warning, eval_cases[_i].critical, eval_cases[_i].clear);
	enum check_state got = rules_evaluate(&c, eval_cases[_i].current,
		eval_cases[_i].value);

	ck_assert_msg(got == eval_cases[_i].want, "case %d: value %g from %s: got %s",
		_i, eval_cases[_i].value, check_state_to_string(eval_cases[_i].current),
		check_state_to_string(got));
}
END_TEST

/*
 * Sequences through one df-root instance: states holds the reported state
 * after each value (o, w, c, u; - for no instance yet), one letter per value.
 */
#define SEQ_MAX 16
static const struct {
	const char *name;
	enum check_direction dir;
	double warning, critical, clear;
	unsigned for_samples, flap_changes, flap_window;
	double values[SEQ_MAX];
	const char *states;
	unsigned events;
} seq_cases[] = {
	{ "above at the thresholds", CHECK_ABOVE, 90, 95, NONE, 1, 0, 0,
		{ 50, 89.99, 90, 94.99, 95, 100, 94, 90, 89.9 }, "oowwccwwo", 4 },
	{ "raise at 90, clear under 85", CHECK_ABOVE, 90, NONE, 85, 1, 0, 0,
		{ 90, 87, 85, 84.99, 87, 89.99, 90 }, "wwwooow", 3 },
	{ "critical falls to warning", CHECK_ABOVE, 90, 95, 85, 1, 0, 0,
		{ 96, 93, 86, 84, 96, 88, 96, 50 }, "cwwocwco", 7 },
	{ "warning only", CHECK_ABOVE, 90, NONE, NONE, 1, 0, 0,
		{ 1000, 89, 90 }, "wow", 3 },
	{ "critical only, clear 90", CHECK_ABOVE, NONE, 95, 90, 1, 0, 0,
		{ 95, 92, 90, 89.9, 94, 96 }, "cccooc", 3 },
	{ "critical only, no clear", CHECK_ABOVE, NONE, 95, NONE, 1, 0, 0,
		{ 95, 94.9, 95 }, "coc", 3 },
	{ "below", CHECK_BELOW, 10, 5, 15, 1, 0, 0,
		{ 50, 10, 12, 15, 15.01, 5, 7, 5.01, 16 }, "owwwocwwo", 5 },
	{ "for 3 ignores shorter noise", CHECK_ABOVE, 90, 95, NONE, 3, 0, 0,
		{ 96, 96, 50, 96, 96, 96, 50, 50, 96, 50, 50, 50 }, "ooooocccccco", 2 },
	{ "for 2 across warning and critical", CHECK_ABOVE, 90, 95, NONE, 2, 0, 0,
		{ 91, 96, 96, 91, 50, 50 }, "ooccco", 2 },
	{ "for 2 with hysteresis", CHECK_ABOVE, 90, NONE, 85, 2, 0, 0,
		{ 90, 87, 84, 87 }, "owwo", 2 },
	{ "flapping suppresses, settling reports once", CHECK_ABOVE, 90, NONE, NONE,
		1, 3, 6, { 50, 95, 50, 95, 50, 95, 50, 95, 95, 95, 95, 95, 95 },
		"owo" "oooooooo" "ww", 3 },
	{ "flapping settles where it was", CHECK_ABOVE, 90, NONE, NONE, 1, 3, 6,
		{ 50, 95, 50, 95, 50, 95, 50, 50, 50, 50, 50, 50 },
		"ow" "oooooooooo", 2 },
	{ "few changes are no flapping", CHECK_ABOVE, 90, NONE, NONE, 1, 3, 6,
		{ 50, 95, 95, 95, 95, 50, 50, 50, 50, 95 }, "owwwwoooow", 3 },
	{ "NAN is unknown", CHECK_ABOVE, 90, 95, 85, 1, 0, 0,
		{ 95, NAN, 87, 96, 50 }, "cuoco", 5 },
	{ "NAN first makes no instance", CHECK_ABOVE, 90, 95, NONE, 1, 0, 0,
		{ NAN, NAN, 50, NAN }, "--ou", 1 },
	{ "for 2 ignores one NAN", CHECK_ABOVE, 90, 95, NONE, 2, 0, 0,
		{ 50, NAN, 50, NAN, NAN }, "oooou", 1 },
	{ "first sample bad", CHECK_ABOVE, 90, 95, NONE, 1, 0, 0, { 99 }, "c", 1 },
	{ "first sample ok is silent", CHECK_ABOVE, 90, 95, NONE, 1, 0, 0,
		{ 1 }, "o", 0 },
};

START_TEST(test_sequence)
{
	struct check_conf c = make_check("t", "df-*", "bytes_pct", seq_cases[_i].dir,
		seq_cases[_i].warning, seq_cases[_i].critical, seq_cases[_i].clear);
	struct capture cap = { 0 };
	struct hm_conf conf;
	size_t n = strlen(seq_cases[_i].states);
	char got[SEQ_MAX + 1] = "";
	_cleanup_(rules_freep) struct rules *r = NULL;

	c.for_samples = seq_cases[_i].for_samples;
	c.flap_changes = seq_cases[_i].flap_changes;
	c.flap_window = seq_cases[_i].flap_window;
	conf = make_conf(&c, 1);
	r = rules_new(&conf, "h", capture_event, &cap);
	ck_assert_uint_le(n, SEQ_MAX);
	for (size_t k = 0; k < n; k++) {
		feed_df(r, "root", seq_cases[_i].values[k], 100 + 10 * (int64_t)k);
		got[k] = only_state(r);
	}
	ck_assert_msg(strcmp(got, seq_cases[_i].states) == 0, "%s: states %s, want %s",
		seq_cases[_i].name, got, seq_cases[_i].states);
	ck_assert_msg(cap.n == seq_cases[_i].events, "%s: %zu events, want %u",
		seq_cases[_i].name, cap.n, seq_cases[_i].events);
	for (size_t k = 0; k < cap.n && k < MAX_EVENTS; k++) {
		ck_assert(!cap.ev[k].repeat);
		ck_assert(cap.ev[k].state != cap.ev[k].prev_state);
		if (k > 0)
			ck_assert(cap.ev[k].prev_state == cap.ev[k - 1].state);
	}
}
END_TEST

START_TEST(test_event_fields)
{
	struct check_conf c = make_check("disk_space", "df-*", "bytes_pct", CHECK_ABOVE,
		90, 95, 85);
	struct hm_conf conf = make_conf(&c, 1);
	struct capture cap = { 0 };
	_cleanup_(rules_freep) struct rules *r = rules_new(&conf, "web1", capture_event,
		&cap);

	feed_df(r, "root", 91.5, 1000);
	feed_df(r, "root", 96, 1010);
	feed_df(r, "root", 80, 1020);
	ck_assert_uint_eq(cap.n, 3);

	ck_assert_str_eq(cap.ev[0].host, "web1");
	ck_assert_str_eq(cap.ev[0].check, "disk_space");
	ck_assert_str_eq(cap.ev[0].series, "df-root");
	ck_assert_str_eq(cap.ev[0].field, "bytes_pct");
	ck_assert(!cap.ev[0].has_url && !cap.ev[0].has_reason);
	ck_assert(cap.ev[0].kind == EVENT_DISK_SPACE);
	ck_assert(cap.ev[0].prev_state == CHECK_OK && cap.ev[0].state == CHECK_WARNING);
	ck_assert_double_eq(cap.ev[0].value, 91.5);
	ck_assert_double_eq(cap.ev[0].threshold, 90);
	ck_assert_int_eq(cap.ev[0].time, 1000);

	ck_assert(cap.ev[1].state == CHECK_CRITICAL);
	ck_assert(cap.ev[1].prev_state == CHECK_WARNING);
	ck_assert_double_eq(cap.ev[1].threshold, 95);
	ck_assert_int_eq(cap.ev[1].time, 1010);

	/* Recovery names the clear level. */
	ck_assert(cap.ev[2].kind == EVENT_RECOVERED);
	ck_assert(cap.ev[2].state == CHECK_OK);
	ck_assert(cap.ev[2].prev_state == CHECK_CRITICAL);
	ck_assert_double_eq(cap.ev[2].threshold, 85);
	ck_assert_double_eq(cap.ev[2].value, 80);

	/* Without a clear level, recovery names the warning threshold. */
	c.clear = NAN;
	feed_df(r, "var", 92, 1030);
	feed_df(r, "var", 10, 1040);
	ck_assert_uint_eq(cap.n, 5);
	ck_assert_str_eq(cap.ev[4].series, "df-var");
	ck_assert_double_eq(cap.ev[4].threshold, 90);
}
END_TEST

START_TEST(test_unknown_after)
{
	struct check_conf c = make_check("disk_space", "df-*", "bytes_pct", CHECK_ABOVE,
		90, 95, NONE);
	struct hm_conf conf = make_conf(&c, 1);
	struct capture cap = { 0 };
	_cleanup_(rules_freep) struct rules *r = rules_new(&conf, "h", capture_event,
		&cap);

	conf.repeat_interval = 0;
	c.for_samples = 3;
	feed_df(r, "root", 50, 100);
	rules_tick(r, 110);
	rules_tick(r, 130); /* exactly 3 intervals: not yet */
	ck_assert_uint_eq(cap.n, 0);
	ck_assert_int_eq(only_state(r), 'o');
	rules_tick(r, 131);
	ck_assert_int_eq(only_state(r), 'u');
	ck_assert_uint_eq(cap.n, 1);
	ck_assert(cap.ev[0].kind == EVENT_UNKNOWN);
	ck_assert(cap.ev[0].state == CHECK_UNKNOWN && cap.ev[0].prev_state == CHECK_OK);
	ck_assert(isnan(cap.ev[0].value) && isnan(cap.ev[0].threshold));
	ck_assert_int_eq(cap.ev[0].time, 131);
	ck_assert(!cap.ev[0].repeat);
	/* Once. */
	rules_tick(r, 140);
	rules_tick(r, 1000);
	ck_assert_uint_eq(cap.n, 1);

	/* Data again: its state is reported at once, `for` notwithstanding. */
	feed_df(r, "root", 96, 1010);
	ck_assert_int_eq(only_state(r), 'c');
	ck_assert_uint_eq(cap.n, 2);
	ck_assert(cap.ev[1].kind == EVENT_DISK_SPACE);
	ck_assert(cap.ev[1].prev_state == CHECK_UNKNOWN);
	/* ... and then `for` applies again. */
	feed_df(r, "root", 50, 1020);
	feed_df(r, "root", 50, 1030);
	ck_assert_int_eq(only_state(r), 'c');
	feed_df(r, "root", 50, 1040);
	ck_assert_int_eq(only_state(r), 'o');
	ck_assert_uint_eq(cap.n, 3);

	/* Recovery from unknown straight to ok is a change too. */
	rules_tick(r, 2000);
	feed_df(r, "root", 1, 2010);
	ck_assert_uint_eq(cap.n, 5);
	ck_assert(cap.ev[4].kind == EVENT_RECOVERED);
	ck_assert(cap.ev[4].prev_state == CHECK_UNKNOWN);
	ck_assert_int_eq(cap.ev[4].time, 2010);

	/* unknown_after 0: never unknown. */
	conf.unknown_after = 0;
	rules_tick(r, 1000000);
	ck_assert_int_eq(only_state(r), 'o');
}
END_TEST

static void
feed_probe(struct rules *r, const char *name, double up, double reason, double total_ms,
	int64_t t)
{
	struct record_batch b = { .time = t };
	struct record *rec = record_batch_add(&b, &schema_probe, name);

	ck_assert_int_eq(record_set(rec, "up", up), 0);
	ck_assert_int_eq(record_set(rec, "reason", reason), 0);
	ck_assert_int_eq(record_set(rec, "total_ms", total_ms), 0);
	rules_feed(r, rec);
	record_batch_done(&b);
}

START_TEST(test_unknown_probe_interval)
{
	struct check_conf checks[] = {
		make_check("probe_up", "probe-*", "up", CHECK_BELOW, NONE, 0.5, NONE),
		make_check("disk_space", "df-*", "bytes_pct", CHECK_ABOVE, 90, 95,
			NONE),
	};
	struct probe_conf probes[] = {
		{ .name = "slow", .url = "http://slow.example/", .interval = 60 },
		{ .name = "fast", .url = "http://fast.example/", .interval = 0 },
	};
	struct hm_conf conf = make_conf(checks, ELEMENTSOF(checks));
	struct capture cap = { 0 };
	struct rules_summary s;
	_cleanup_(rules_freep) struct rules *r = NULL;

	conf.probes = probes;
	conf.n_probes = ELEMENTSOF(probes);
	r = rules_new(&conf, "h", capture_event, &cap);
	feed_probe(r, "slow", 1, 0, 10, 100);
	feed_probe(r, "fast", 1, 0, 10, 100);
	feed_df(r, "root", 10, 100);
	/* The global interval is 10 s: 3 intervals are over at 131. */
	rules_tick(r, 131);
	ck_assert_uint_eq(cap.n, 2);
	/* In no particular order. */
	ck_assert(strcmp(cap.ev[0].series, cap.ev[1].series) != 0);
	for (size_t i = 0; i < 2; i++)
		ck_assert(strcmp(cap.ev[i].series, "probe-fast") == 0 ||
			strcmp(cap.ev[i].series, "df-root") == 0);
	rules_tick(r, 280);
	ck_assert_uint_eq(cap.n, 2);
	/* probe-slow runs every 60 s: 3 intervals are over at 281. */
	rules_tick(r, 281);
	ck_assert_uint_eq(cap.n, 3);
	ck_assert_str_eq(cap.ev[2].series, "probe-slow");
	ck_assert_str_eq(cap.ev[2].url, "http://slow.example/");
	ck_assert(cap.ev[2].kind == EVENT_UNKNOWN);
	rules_get_summary(r, &s);
	ck_assert_uint_eq(s.count[CHECK_UNKNOWN], 3);
}
END_TEST

START_TEST(test_reminders)
{
	static const int64_t want[] = { 300, 900, 2100, 4500, 9300, 18900, 38100, 76500,
		153300, 239700, 326100 };
	struct check_conf c = make_check("disk_space", "df-*", "bytes_pct", CHECK_ABOVE,
		90, 95, 85);
	struct hm_conf conf = make_conf(&c, 1);
	struct capture cap = { 0 };
	_cleanup_(rules_freep) struct rules *r = rules_new(&conf, "h", capture_event,
		&cap);
	size_t n;

	conf.unknown_after = 0;
	feed_df(r, "root", 96, 0);
	ck_assert_uint_eq(cap.n, 1);
	for (int64_t t = 10; t <= 330000; t += 10) {
		if (t == 1000)
			feed_df(r, "root", 97, t); /* still critical: no event */
		rules_tick(r, t);
	}
	ck_assert_uint_eq(cap.n, 1 + ELEMENTSOF(want));
	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		const struct captured *e = &cap.ev[1 + i];

		ck_assert_int_eq(e->time, want[i]);
		ck_assert(e->repeat);
		ck_assert(e->kind == EVENT_DISK_SPACE);
		ck_assert(e->state == CHECK_CRITICAL && e->prev_state == CHECK_OK);
		ck_assert_double_eq(e->threshold, 95);
		ck_assert_double_eq(e->value, (i < 2 ? 96 : 97));
		ck_assert_str_eq(e->series, "df-root");
	}

	/* A change restarts the schedule. */
	feed_df(r, "root", 92, 400000);
	n = cap.n;
	ck_assert(cap.ev[n - 1].state == CHECK_WARNING && !cap.ev[n - 1].repeat);
	rules_tick(r, 400299);
	ck_assert_uint_eq(cap.n, n);
	rules_tick(r, 400300);
	ck_assert_uint_eq(cap.n, n + 1);
	ck_assert(cap.ev[n].repeat && cap.ev[n].state == CHECK_WARNING);
	ck_assert(cap.ev[n].prev_state == CHECK_CRITICAL);
	/* A late tick sends one reminder, not a burst. */
	rules_tick(r, 405000);
	rules_tick(r, 405010);
	ck_assert_uint_eq(cap.n, n + 2);

	/* Ok is never repeated. */
	feed_df(r, "root", 1, 406000);
	ck_assert_uint_eq(cap.n, n + 3);
	for (int64_t t = 406000; t <= 600000; t += 100)
		rules_tick(r, t);
	ck_assert_uint_eq(cap.n, n + 3);

	/* repeat_interval 0: no reminders. */
	conf.repeat_interval = 0;
	feed_df(r, "root", 99, 700000);
	rules_tick(r, 800000);
	ck_assert_uint_eq(cap.n, n + 4);
}
END_TEST

START_TEST(test_unknown_reminded)
{
	struct check_conf c = make_check("memory", "memory", "used_pct", CHECK_ABOVE,
		90, 95, 85);
	struct hm_conf conf = make_conf(&c, 1);
	struct capture cap = { 0 };
	struct record_batch b = { .time = 0 };
	_cleanup_(rules_freep) struct rules *r = rules_new(&conf, "h", capture_event,
		&cap);

	(void)record_set(record_batch_add(&b, &schema_memory, NULL), "used_pct", 50);
	rules_feed(r, &b.records[0]);
	record_batch_done(&b);
	rules_tick(r, 31);
	ck_assert_uint_eq(cap.n, 1);
	rules_tick(r, 330);
	ck_assert_uint_eq(cap.n, 1);
	rules_tick(r, 331);
	ck_assert_uint_eq(cap.n, 2);
	ck_assert(cap.ev[1].repeat && cap.ev[1].kind == EVENT_UNKNOWN);
	ck_assert_str_eq(cap.ev[1].series, "memory");
}
END_TEST

START_TEST(test_per)
{
	struct check_conf c = make_check("load", "load", "load1", CHECK_ABOVE, 2, 4,
		NONE);
	struct hm_conf conf = make_conf(&c, 1);
	struct capture cap = { 0 };
	static const struct {
		double load1, cpus;
		char state;
	} steps[] = {
		{ 3, 4, 'o' }, { 8, 4, 'w' }, { 16, 4, 'c' }, { 7.99, 4, 'o' },
		{ 1, 0, 'u' }, { 8, 4, 'w' }, { 1, NAN, 'u' }, { NAN, 4, 'u' },
	};
	_cleanup_(rules_freep) struct rules *r = NULL;

	c.per = "cpus";
	r = rules_new(&conf, "h", capture_event, &cap);
	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		struct record_batch b = { .time = (int64_t)i };
		struct record *rec = record_batch_add(&b, &schema_load, NULL);

		(void)record_set(rec, "load1", steps[i].load1);
		(void)record_set(rec, "cpus", steps[i].cpus);
		rules_feed(r, rec);
		record_batch_done(&b);
		ck_assert_msg(only_state(r) == steps[i].state, "step %zu", i);
	}
	ck_assert_double_eq(cap.ev[0].value, 2);
	ck_assert_double_eq(cap.ev[0].threshold, 2);
	ck_assert_str_eq(cap.ev[0].field, "load1");
	ck_assert_double_eq(cap.ev[1].value, 4);

	/* A per field the schema lacks: the check does not apply. */
	c.per = "nonesuch";
	feed_df(r, "root", 99, 100);
	ck_assert_uint_eq(summary_total(r), 1);
}
END_TEST

START_TEST(test_patterns)
{
	struct check_conf checks[] = {
		make_check("all_df", "df-*", "bytes_pct", CHECK_ABOVE, 90, 95, NONE),
		make_check("root_only", "df-root", "bytes_pct", CHECK_ABOVE, 90, 95,
			NONE),
		make_check("off", "df-*", "bytes_pct", CHECK_ABOVE, 90, 95, NONE),
		make_check("no_field", "df-*", "nonesuch", CHECK_ABOVE, 90, 95, NONE),
	};
	struct hm_conf conf = make_conf(checks, ELEMENTSOF(checks));
	struct capture cap = { 0 };
	struct record_batch b = { .time = 5 };
	struct rules_summary s;
	_cleanup_(rules_freep) struct rules *r = NULL;

	checks[2].enabled = false;
	r = rules_new(&conf, "h", capture_event, &cap);
	(void)record_set(record_batch_add(&b, &schema_df, "root"), "bytes_pct", 99);
	(void)record_set(record_batch_add(&b, &schema_df, "var"), "bytes_pct", 99);
	/* Series "df" itself does not match "df-*". */
	(void)record_set(record_batch_add(&b, &schema_df, NULL), "bytes_pct", 99);
	(void)record_set(record_batch_add(&b, &schema_cpu, NULL), "idle", 99);
	for (size_t i = 0; i < b.n; i++)
		rules_feed(r, &b.records[i]);
	record_batch_done(&b);

	rules_get_summary(r, &s);
	ck_assert_uint_eq(s.count[CHECK_CRITICAL], 3);
	ck_assert_uint_eq(summary_total(r), 3);
	ck_assert_uint_eq(cap.n, 3);
	ck_assert_str_eq(cap.ev[0].check, "all_df");
	ck_assert_str_eq(cap.ev[0].series, "df-root");
	ck_assert_str_eq(cap.ev[1].check, "root_only");
	ck_assert_str_eq(cap.ev[1].series, "df-root");
	ck_assert_str_eq(cap.ev[2].check, "all_df");
	ck_assert_str_eq(cap.ev[2].series, "df-var");
}
END_TEST

START_TEST(test_disabled)
{
	struct check_conf c = make_check("disk_space", "df-*", "bytes_pct", CHECK_ABOVE,
		90, 95, NONE);
	struct hm_conf conf = make_conf(&c, 1);
	struct capture cap = { 0 };
	_cleanup_(rules_freep) struct rules *r = NULL;

	c.enabled = false;
	r = rules_new(&conf, "h", capture_event, &cap);
	feed_df(r, "root", 99, 1);
	rules_tick(r, 100000);
	ck_assert_uint_eq(cap.n, 0);
	ck_assert_uint_eq(summary_total(r), 0);
}
END_TEST

START_TEST(test_series_independent)
{
	struct check_conf c = make_check("disk_space", "df-*", "bytes_pct", CHECK_ABOVE,
		90, 95, NONE);
	struct hm_conf conf = make_conf(&c, 1);
	struct capture cap = { 0 };
	struct rules_summary s;
	_cleanup_(rules_freep) struct rules *r = NULL;

	c.for_samples = 2;
	r = rules_new(&conf, "h", capture_event, &cap);
	/* Interleaved samples of two series: each counts its own `for`. */
	feed_df(r, "root", 96, 10);
	feed_df(r, "var", 50, 10);
	feed_df(r, "root", 96, 20);
	feed_df(r, "var", 96, 20);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert_str_eq(cap.ev[0].series, "df-root");
	feed_df(r, "var", 96, 30);
	feed_df(r, "root", 50, 30);
	ck_assert_uint_eq(cap.n, 2);
	ck_assert_str_eq(cap.ev[1].series, "df-var");
	rules_get_summary(r, &s);
	ck_assert_uint_eq(s.count[CHECK_CRITICAL], 2);
	feed_df(r, "root", 50, 40);
	rules_get_summary(r, &s);
	ck_assert_uint_eq(s.count[CHECK_CRITICAL], 1);
	ck_assert_uint_eq(s.count[CHECK_OK], 1);
	ck_assert_uint_eq(cap.n, 3);
}
END_TEST

START_TEST(test_probe_events)
{
	struct check_conf checks[] = {
		make_check("probe_up", "probe-*", "up", CHECK_BELOW, NONE, 0.5, NONE),
		make_check("probe_latency", "probe-*", "total_ms", CHECK_ABOVE, 1000,
			5000, 800),
	};
	struct probe_conf probes[] = {
		{ .name = "web", .url = "https://www.example.org/" },
		{ .name = "api", .url = "http://api.example.org/health" },
	};
	struct hm_conf conf = make_conf(checks, ELEMENTSOF(checks));
	struct capture cap = { 0 };
	_cleanup_(rules_freep) struct rules *r = NULL;

	checks[1].only_if = "up";
	conf.probes = probes;
	conf.n_probes = ELEMENTSOF(probes);
	r = rules_new(&conf, "h", capture_event, &cap);

	feed_probe(r, "web", 0, 3, NAN, 10);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert(cap.ev[0].kind == EVENT_URL_DOWN);
	ck_assert_str_eq(cap.ev[0].url, "https://www.example.org/");
	ck_assert_str_eq(cap.ev[0].reason, "timeout");
	ck_assert_str_eq(cap.ev[0].series, "probe-web");
	ck_assert_str_eq(cap.ev[0].field, "up");

	feed_probe(r, "api", 0, 5, 40, 10);
	ck_assert_uint_eq(cap.n, 2);
	ck_assert(cap.ev[1].kind == EVENT_URL_STATUS);
	ck_assert_str_eq(cap.ev[1].url, "http://api.example.org/health");
	ck_assert_str_eq(cap.ev[1].reason, "status");

	/* Up again, and slow: latency counts only now. */
	feed_probe(r, "web", 1, 0, 6000, 20);
	ck_assert_uint_eq(cap.n, 4);
	ck_assert(cap.ev[2].kind == EVENT_RECOVERED);
	ck_assert_str_eq(cap.ev[2].check, "probe_up");
	ck_assert_str_eq(cap.ev[2].reason, "ok");
	ck_assert_str_eq(cap.ev[2].url, "https://www.example.org/");
	ck_assert_str_eq(cap.ev[3].check, "probe_latency");
	ck_assert(cap.ev[3].kind == EVENT_URL_SLOW);
	ck_assert(cap.ev[3].state == CHECK_CRITICAL);
	ck_assert_double_eq(cap.ev[3].value, 6000);

	/* Down: latency is not evaluated, yet its data is not missing either. */
	for (int64_t t = 30; t <= 200; t += 10) {
		feed_probe(r, "web", 0, 2, NAN, t);
		feed_probe(r, "api", 1, 0, 10, t);
		rules_tick(r, t + 5);
	}
	ck_assert_uint_eq(cap.n, 6);
	ck_assert_str_eq(cap.ev[4].check, "probe_up");
	ck_assert_str_eq(cap.ev[4].reason, "connect");
	ck_assert(cap.ev[4].kind == EVENT_URL_DOWN);
	ck_assert_str_eq(cap.ev[5].series, "probe-api");
	ck_assert(cap.ev[5].kind == EVENT_RECOVERED);

	/* A probe series without a probe in the config has no URL. */
	feed_probe(r, "gone", 0, 7, NAN, 300);
	ck_assert_uint_eq(cap.n, 7);
	ck_assert(!cap.ev[6].has_url);
	ck_assert_str_eq(cap.ev[6].reason, "error");
}
END_TEST

START_TEST(test_defaults)
{
	_cleanup_(conf_freep) struct hm_conf *conf = conf_new_default();
	struct capture cap = { 0 };
	struct record_batch b = { .time = 100 };
	struct record *rec;
	_cleanup_(rules_freep) struct rules *r = NULL;

	ck_assert_ptr_nonnull(conf_find_check(conf, "disk_space"));
	r = rules_new(conf, "h", capture_event, &cap);

	/* An http:// probe that is up: no cert_days, so no cert_expiry instance. */
	rec = record_batch_add(&b, &schema_probe, "web");
	(void)record_set(rec, "up", 1);
	(void)record_set(rec, "reason", 0);
	(void)record_set(rec, "total_ms", 120);
	rules_feed(r, rec);
	ck_assert_uint_eq(summary_total(r), 2);

	/* A full disk: critical once `for` is satisfied. */
	for (int i = 0; i < 3 && cap.n == 0; i++) {
		record_batch_clear(&b);
		b.time = 110 + 10 * i;
		rec = record_batch_add(&b, &schema_df, "root");
		(void)record_set(rec, "bytes_pct", 96);
		(void)record_set(rec, "inodes_pct", 3);
		rules_feed(r, rec);
	}
	record_batch_done(&b);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert(cap.ev[0].kind == EVENT_DISK_SPACE);
	ck_assert(cap.ev[0].state == CHECK_CRITICAL);
	ck_assert_str_eq(cap.ev[0].check, "disk_space");
	ck_assert_str_eq(cap.ev[0].series, "df-root");
	ck_assert_double_eq(cap.ev[0].value, 96);
	ck_assert_uint_eq(summary_total(r), 4);
}
END_TEST

START_TEST(test_many_instances)
{
	struct check_conf c = make_check("disk_space", "df-*", "bytes_pct", CHECK_ABOVE,
		90, 95, NONE);
	struct hm_conf conf = make_conf(&c, 1);
	struct capture cap = { 0 };
	struct rules_summary s;
	char name[32];
	_cleanup_(rules_freep) struct rules *r = rules_new(&conf, "h", capture_event,
		&cap);

	for (int round = 0; round < 2; round++)
		for (unsigned i = 0; i < 5000; i++) {
			(void)snprintf(name, sizeof(name), "d%u", i);
			feed_df(r, name, i % 10 == 0 ? 99 : 1, 10 * round);
		}
	rules_get_summary(r, &s);
	ck_assert_uint_eq(s.count[CHECK_OK], 4500);
	ck_assert_uint_eq(s.count[CHECK_CRITICAL], 500);
	ck_assert_uint_eq(summary_total(r), 5000);
	ck_assert_uint_eq(cap.n, 500);
}
END_TEST

static Suite *
rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_evaluate, 0, (int)ELEMENTSOF(eval_cases));
	tcase_add_loop_test(tc, test_sequence, 0, (int)ELEMENTSOF(seq_cases));
	tcase_add_test(tc, test_event_fields);
	tcase_add_test(tc, test_unknown_after);
	tcase_add_test(tc, test_unknown_probe_interval);
	tcase_add_test(tc, test_reminders);
	tcase_add_test(tc, test_unknown_reminded);
	tcase_add_test(tc, test_per);
	tcase_add_test(tc, test_patterns);
	tcase_add_test(tc, test_disabled);
	tcase_add_test(tc, test_series_independent);
	tcase_add_test(tc, test_probe_events);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_many_instances);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(rules_suite());
}
