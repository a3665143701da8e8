/* SPDX-License-Identifier: MIT */
/*
 * The agent role: every interval, run the collectors, write their records to
 * the store and feed them to the health checks; run the URL probes; keep the
 * figures the daemon reports in STATUS=.
 */
#ifndef HM_AGENT_H
#define HM_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "event.h"
#include "forward.h"
#include "latency.h"

struct agent;

struct agent_status {
	uint64_t cycles;
	uint64_t last_cycle_usec; /* duration of the last cycle */
	uint64_t errors;          /* collector and store failures, all cycles */
	size_t series;            /* series written so far */
	uint64_t skipped;         /* samples skipped as not newer than the RRD */
	uint64_t probes;          /* probe results */
	uint64_t events;          /* health events sent */
	unsigned checks[_CHECK_STATE_MAX]; /* check instances per state */
	struct self_latency rrd_write;     /* the writer thread's RRD writes */
};

/* Called after each cycle, e.g. to update STATUS=. */
typedef void (*agent_cycle_fn)(struct agent *a, void *userdata);

/*
 * Builds the agent for conf: resolves the host name and data directory and
 * makes sure <datadir>/<host> is writable. conf is borrowed and must outlive
 * the agent. Returns 0 or -errno, logging what failed.
 */
int agent_new(const struct hm_conf *conf, struct agent **ret);
/*
 * Schedules the cycles on e (the first comes after a short random delay),
 * the probes, and forwarding to the central when conf has a url (opening
 * the spool, logging what fails). Returns 0 or -errno.
 */
int agent_start(struct agent *a, sd_event *e, agent_cycle_fn on_cycle, void *userdata);
/* Runs one cycle now (tests, and the daemon's first cycle). */
void agent_run_cycle(struct agent *a);
/* Waits until the writer thread has written every record handed to it, then
 * brings the status up to date. */
void agent_flush(struct agent *a);
const struct agent_status *agent_get_status(const struct agent *a);
/* The link to the central and the spool; false (ret untouched) without forwarding. */
bool agent_get_forward_status(const struct agent *a, struct forward_status *ret);
/*
 * Feeds v (borrowed; NULL: none) from now on with this host's samples,
 * events and check states, for the HTTP face.
 */
struct view;
void agent_set_view(struct agent *a, struct view *v);
const char *agent_hostname(const struct agent *a);
const char *agent_datadir(const struct agent *a);
struct agent *agent_free(struct agent *a);
DEFINE_POINTER_CLEANUP(struct agent, agent_free)

#endif
