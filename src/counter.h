/* SPDX-License-Identifier: MIT */
/*
 * Turning kernel counters into rates. The kernel's counters only grow, but a
 * 32-bit one wraps, a driver reload or a hot-plugged device resets one, and
 * the first reading has nothing to compare with. counter_delta() tells a wrap
 * from a reset; struct counter_table keeps the previous readings of every
 * instance (core, interface, disk) and forgets the ones that vanish.
 */
#ifndef HM_COUNTER_H
#define HM_COUNTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define COUNTER_VALUES_MAX 16

/*
 * The increase from prev to cur. When cur < prev: a 32-bit wrap when prev fits
 * in 32 bits and the wrapped increase is below 2^31, a 64-bit wrap when the
 * wrapped increase is below 2^63, otherwise a reset. Returns true and sets
 * *ret on an increase or wrap, false on a reset (then the rate is unknown).
 */
bool counter_delta(uint64_t prev, uint64_t cur, uint64_t *ret);

struct counter_entry;

struct counter_table {
	struct counter_entry *entries; /* owned */
	size_t n;
	size_t allocated;
	uint64_t generation;
};

/* Call once per cycle, before the updates of that cycle. */
void counter_table_begin(struct counter_table *t);

/*
 * Stores the readings of instance `key` taken at monotonic time now_usec and
 * computes per-second rates from the previous ones into rates[0..n-1] (NAN for
 * a counter that reset). Returns true when rates were computed, false on the
 * first reading of key or when no time passed.
 */
bool counter_table_update(struct counter_table *t, const char *key,
	const uint64_t *values, size_t n, uint64_t now_usec, double *rates);

/*
 * The same, returning the raw deltas (as doubles, NAN on reset) and the
 * elapsed microseconds; for ratios such as CPU time shares.
 */
bool counter_table_deltas(struct counter_table *t, const char *key,
	const uint64_t *values, size_t n, uint64_t now_usec, double *deltas,
	uint64_t *ret_elapsed_usec);

/* Call once per cycle, after the updates: drops instances not seen this cycle. */
void counter_table_end(struct counter_table *t);

void counter_table_done(struct counter_table *t);

#endif
