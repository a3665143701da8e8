/* SPDX-License-Identifier: MIT */
/*
 * sd-event helpers: a periodic timer on the monotonic clock that re-arms
 * itself without drift, with a jittered first run.
 */
#ifndef HM_LOOP_H
#define HM_LOOP_H

#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef void (*periodic_fn)(void *userdata);

struct periodic {
	sd_event_source *source; /* owned */
	uint64_t interval_usec;
	uint64_t next_usec;      /* monotonic target of the next run */
	uint64_t missed;         /* runs skipped because the loop was late */
	periodic_fn callback;
	void *userdata;          /* borrowed */
};

/*
 * Starts a timer that calls callback every interval_usec; the first run comes
 * after a random delay in [0, first_jitter_usec]. Returns 0 or -errno.
 */
int loop_periodic_new(sd_event *e, uint64_t interval_usec, uint64_t first_jitter_usec,
	periodic_fn callback, void *userdata, struct periodic **ret);
/* Moves the next run to a whole interval from now (after a run out of turn). */
int loop_periodic_restart(struct periodic *p);
/* Changes the interval; the next run moves to last run + new interval. */
int loop_periodic_set_interval(struct periodic *p, uint64_t interval_usec);
struct periodic *loop_periodic_free(struct periodic *p);
DEFINE_POINTER_CLEANUP(struct periodic, loop_periodic_free)

#endif
