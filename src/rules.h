/* SPDX-License-Identifier: MIT */
/*
 * Health checks: turning samples into states. Each configured check applies
 * to every series matching its pattern; each (check, series) pair is one
 * check instance with its own state machine: thresholds with a clear level
 * (hysteresis), `for` consecutive samples before a change counts, flap
 * suppression (N changes in the last M samples), and unknown when no sample
 * came for unknown_after intervals. A change of state becomes one event;
 * a lasting bad state is announced again at growing intervals. Nothing here
 * logs: events go to the callback.
 */
#ifndef HM_RULES_H
#define HM_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "event.h"
#include "record.h"

typedef void (*event_fn)(const struct event *ev, void *userdata);

struct rules;

struct rules_summary {
	unsigned count[_CHECK_STATE_MAX]; /* check instances per state */
};

/* conf and host are borrowed and must outlive the rules. */
struct rules *rules_new(const struct hm_conf *conf, const char *host, event_fn callback,
	void *userdata);
/* Evaluates every check that applies to rec; may call the callback. */
void rules_feed(struct rules *r, const struct record *rec);
/*
 * Call about once per interval with the wall-clock time: instances without
 * data for unknown_after intervals of their series become unknown, and due
 * reminders of lasting bad states are sent.
 */
void rules_tick(struct rules *r, int64_t now);
void rules_get_summary(const struct rules *r, struct rules_summary *ret);

/* A check instance as rules_foreach() shows it; valid during the call. */
struct rules_instance {
	const struct check_conf *check;
	const char *series;
	enum check_state state;  /* reported */
	double value;            /* of the last sample (after `per`); NAN if none */
	int64_t since;           /* unix seconds the state began */
};
typedef void (*rules_instance_fn)(const struct rules_instance *in, void *userdata);
/* Calls fn for every check instance, in no particular order. */
void rules_foreach(const struct rules *r, rules_instance_fn fn, void *userdata);
struct rules *rules_free(struct rules *r);
DEFINE_POINTER_CLEANUP(struct rules, rules_free)

/*
 * The pure core, exported for table-driven tests: the state a value alone
 * asks for, given the current state (for hysteresis). NAN value: unknown.
 */
enum check_state rules_evaluate(const struct check_conf *c, enum check_state current,
	double value);

#endif
