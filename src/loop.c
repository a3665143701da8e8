/* SPDX-License-Identifier: MIT */
/*
 * Periodic timers on sd-event's monotonic clock. Each run re-arms the timer
 * for the previous target plus the interval, so runs do not drift with the
 * time the callback takes; when the loop was held up past a whole interval,
 * the missed runs are counted and skipped rather than fired in a burst.
 */
#include <errno.h>
#include <time.h>

#include "loop.h"
#include "util.h"

/* How late sd-event may fire us, so that it can coalesce wake-ups. */
static uint64_t
accuracy_for(uint64_t interval_usec)
{
	return MAX(interval_usec / 1000, USEC_PER_MSEC);
}

/* sd-event passes the time the timer was due, not the time it is now. */
static int
on_timer(sd_event_source *s, uint64_t due, void *userdata)
{
	struct periodic *p = userdata;
	uint64_t next = p->next_usec + p->interval_usec, now;

	if (sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &now) < 0)
		now = due;
	if (next <= now) {
		uint64_t behind = (now - p->next_usec) / p->interval_usec;

		p->missed += behind;
		next = p->next_usec + (behind + 1) * p->interval_usec;
	}
	p->next_usec = next;
	(void)sd_event_source_set_time(s, next);
	(void)sd_event_source_set_enabled(s, SD_EVENT_ON);
	p->callback(p->userdata);
	return 0;
}

int
loop_periodic_new(sd_event *e, uint64_t interval_usec, uint64_t first_jitter_usec,
	periodic_fn callback, void *userdata, struct periodic **ret)
{
	_cleanup_(loop_periodic_freep) struct periodic *p = NULL;
	uint64_t now;
	int r;

	if (interval_usec == 0)
		return -EINVAL;
	r = sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	p = xcalloc(1, sizeof(*p));
	p->interval_usec = interval_usec;
	p->callback = callback;
	p->userdata = userdata;
	p->next_usec = now + random_below(first_jitter_usec + 1);
	r = sd_event_add_time(e, &p->source, CLOCK_MONOTONIC, p->next_usec,
		accuracy_for(interval_usec), on_timer, p);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int
loop_periodic_restart(struct periodic *p)
{
	uint64_t now;
	int r = sd_event_now(sd_event_source_get_event(p->source), CLOCK_MONOTONIC, &now);

	if (r < 0)
		return r;
	p->next_usec = now + p->interval_usec;
	return sd_event_source_set_time(p->source, p->next_usec);
}

int
loop_periodic_set_interval(struct periodic *p, uint64_t interval_usec)
{
	if (interval_usec == 0)
		return -EINVAL;
	/* next_usec is the coming run; move it relative to the last one. */
	if (p->next_usec > p->interval_usec)
		p->next_usec = p->next_usec - p->interval_usec + interval_usec;
	p->interval_usec = interval_usec;
	(void)sd_event_source_set_time_accuracy(p->source, accuracy_for(interval_usec));
	return sd_event_source_set_time(p->source, p->next_usec);
}

struct periodic *
loop_periodic_free(struct periodic *p)
{
	if (!p)
		return NULL;
	sd_event_source_disable_unref(p->source);
	free(p);
	return NULL;
}
