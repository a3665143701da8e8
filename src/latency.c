/* SPDX-License-Identifier: MIT */
/* Latency histograms (latency.h). */
#include "latency.h"

/*
 * A write straight to an RRD file on a quiet disk takes well under a
 * millisecond, through rrdcached less; a write that waits for a busy disk
 * (or a stalled rrdcached) takes tens or hundreds of milliseconds, and
 * half a second is trouble: the buckets cover that range on a log scale.
 */
const double self_latency_bounds[SELF_LATENCY_BUCKETS] = {
	0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5,
};

void
self_latency_add(struct self_latency *l, double seconds)
{
	l->count++;
	l->sum += seconds;
	for (int i = 0; i < SELF_LATENCY_BUCKETS; i++)
		if (seconds <= self_latency_bounds[i])
			l->le[i]++;
}

void
self_latency_merge(struct self_latency *a, const struct self_latency *b)
{
	a->count += b->count;
	a->sum += b->sum;
	for (int i = 0; i < SELF_LATENCY_BUCKETS; i++)
		a->le[i] += b->le[i];
}
