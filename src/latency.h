/* SPDX-License-Identifier: MIT */
/*
 * A latency histogram in the shape Prometheus wants: cumulative counts of
 * observations at or under each bound, their count and their sum. The
 * writer keeps one for its RRD writes; /metrics shows it.
 */
#ifndef HM_LATENCY_H
#define HM_LATENCY_H

#include <stdint.h>

#define SELF_LATENCY_BUCKETS 8
extern const double self_latency_bounds[SELF_LATENCY_BUCKETS]; /* seconds */

struct self_latency {
	uint64_t count;
	double sum;                        /* seconds */
	uint64_t le[SELF_LATENCY_BUCKETS]; /* cumulative */
};

void self_latency_add(struct self_latency *l, double seconds);
/* Adds b's observations to a. */
void self_latency_merge(struct self_latency *a, const struct self_latency *b);

#endif
