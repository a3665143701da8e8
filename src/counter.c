/* SPDX-License-Identifier: MIT */
/*
 * Kernel counters to rates. counter_delta() decides whether a counter that
 * went backwards wrapped or was reset. A counter table remembers, per
 * instance key ("cpu0", "eth0", "sda"), the readings of the previous cycle
 * and when they were taken; a generation number marks the instances seen in
 * the current cycle, so that counter_table_end() forgets the ones that
 * vanished (an unplugged disk, a deleted veth) and a returning instance
 * starts afresh instead of yielding a rate across its absence.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "counter.h"
#include "util.h"

struct counter_entry {
	char *key; /* owned */
	uint64_t values[COUNTER_VALUES_MAX];
	size_t n;
	uint64_t time_usec;
	uint64_t generation; /* the table's generation when last updated */
	bool primed;         /* values holds a reading */
};

bool
counter_delta(uint64_t prev, uint64_t cur, uint64_t *ret)
{
	uint64_t wrapped;

	if (cur >= prev) {
		*ret = cur - prev;
		return true;
	}
	/*
	 * Gone backwards. A 32-bit counter near its top that wrapped reads
	 * small again; a counter that was reset also reads small, but then the
	 * "wrapped" increase would be implausibly large. Half the range is the
	 * line between the two, as in collectd's and MRTG's heuristics.
	 */
	if (prev <= UINT32_MAX) {
		wrapped = (UINT64_C(1) << 32) - prev + cur;
		if (wrapped < (UINT64_C(1) << 31)) {
			*ret = wrapped;
			return true;
		}
	}
	wrapped = cur - prev; /* modulo 2^64 */
	if (wrapped < (UINT64_C(1) << 63)) {
		*ret = wrapped;
		return true;
	}
	return false;
}

void
counter_table_begin(struct counter_table *t)
{
	t->generation++;
}

/*
 * A linear search: a host has at most a few hundred instances of a kind, and
 * one pass over them per cycle costs less than keeping an index.
 */
static struct counter_entry *
table_find(struct counter_table *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->entries[i].key, key) == 0)
			return &t->entries[i];
	return NULL;
}

static struct counter_entry *
table_add(struct counter_table *t, const char *key)
{
	struct counter_entry *e;

	t->entries = xgrow(t->entries, &t->allocated, t->n, 8, sizeof(*t->entries));
	e = &t->entries[t->n++];
	*e = (struct counter_entry){ .key = xstrdup(key) };
	return e;
}

bool
counter_table_deltas(struct counter_table *t, const char *key,
	const uint64_t *values, size_t n, uint64_t now_usec, double *deltas,
	uint64_t *ret_elapsed_usec)
{
	struct counter_entry *e;
	bool have_prev;
	uint64_t elapsed;

	assert(n <= COUNTER_VALUES_MAX);
	e = table_find(t, key);
	if (!e)
		e = table_add(t, key);
	/* A different number of counters means another kind of reading. */
	have_prev = e->primed && e->n == n && now_usec > e->time_usec;
	elapsed = now_usec - e->time_usec;
	if (have_prev)
		for (size_t i = 0; i < n; i++) {
			uint64_t d;

			if (counter_delta(e->values[i], values[i], &d))
				deltas[i] = (double)d;
			else
				deltas[i] = NAN;
		}
	memcpy(e->values, values, n * sizeof(*values));
	e->n = n;
	e->time_usec = now_usec;
	e->generation = t->generation;
	e->primed = true;
	if (!have_prev)
		return false;
	if (ret_elapsed_usec)
		*ret_elapsed_usec = elapsed;
	return true;
}

bool
counter_table_update(struct counter_table *t, const char *key,
	const uint64_t *values, size_t n, uint64_t now_usec, double *rates)
{
	double deltas[COUNTER_VALUES_MAX];
	uint64_t elapsed;

	if (!counter_table_deltas(t, key, values, n, now_usec, deltas, &elapsed))
		return false;
	for (size_t i = 0; i < n; i++)
		rates[i] = deltas[i] * (double)USEC_PER_SEC / (double)elapsed;
	return true;
}

void
counter_table_end(struct counter_table *t)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (t->entries[i].generation != t->generation) {
			free(t->entries[i].key);
			continue;
		}
		t->entries[kept++] = t->entries[i];
	}
	t->n = kept;
}

void
counter_table_done(struct counter_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->entries[i].key);
	free(t->entries);
	*t = (struct counter_table){ 0 };
}
