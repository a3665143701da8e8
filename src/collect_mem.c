/* SPDX-License-Identifier: MIT */
/*
 * The "memory" and "swap" collectors, from /proc/meminfo and /proc/vmstat.
 * Memory is reported as free(1) does: used is what is not available, and
 * cached includes the reclaimable slab. Swap adds the pages swapped in and
 * out per second, which tell real memory pressure from swap that merely
 * holds old, idle pages.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "collect.h"
#include "counter.h"

#define PROC_MEMINFO_MAX (1u << 20)
#define PROC_VMSTAT_MAX (1u << 20)

/* The /proc/meminfo keys we read; they index struct meminfo's bytes[]. */
enum {
	MEM_TOTAL, MEM_FREE, MEM_AVAILABLE, BUFFERS, CACHED, SRECLAIMABLE,
	SWAP_TOTAL, SWAP_FREE, _MEMINFO_MAX
};

static const char *const meminfo_keys[_MEMINFO_MAX] = {
	[MEM_TOTAL] = "MemTotal",
	[MEM_FREE] = "MemFree",
	[MEM_AVAILABLE] = "MemAvailable",
	[BUFFERS] = "Buffers",
	[CACHED] = "Cached",
	[SRECLAIMABLE] = "SReclaimable",
	[SWAP_TOTAL] = "SwapTotal",
	[SWAP_FREE] = "SwapFree",
};

struct meminfo {
	double bytes[_MEMINFO_MAX]; /* NAN when the kernel does not print the key */
};

struct swap_state {
	struct counter_table table;
};

/*
 * Reads the keys we know from /proc/meminfo, "Key:   123 kB" per line, in
 * bytes. MemTotal is required; anything else may be missing.
 */
static int
meminfo_read(const char *root, struct meminfo *ret)
{
	_cleanup_free_ char *buf = NULL;
	struct meminfo m;
	char *line, *next;
	int r;

	r = read_file_at(root, "/proc/meminfo", PROC_MEMINFO_MAX, &buf, NULL);
	if (r < 0)
		return r;
	for (size_t i = 0; i < _MEMINFO_MAX; i++)
		m.bytes[i] = NAN;
	next = buf;
	while ((line = strsep(&next, "\n"))) {
		char key[64];
		uint64_t kb;

		if (sscanf(line, "%63[^:]: %" SCNu64, key, &kb) != 2)
			continue;
		for (size_t i = 0; i < _MEMINFO_MAX; i++)
			if (strcmp(key, meminfo_keys[i]) == 0)
				m.bytes[i] = (double)kb * 1024;
	}
	if (isnan(m.bytes[MEM_TOTAL]))
		return -EBADMSG;
	*ret = m;
	return 0;
}

/* A key the kernel did not print counts as 0 in a sum. */
static double
or_zero(double v)
{
	return isnan(v) ? 0 : v;
}

static bool
memory_enabled(const struct hm_conf *c)
{
	return c->memory;
}

static int
memory_collect(void *state, const struct collect_ctx *ctx, struct record_batch *b)
{
	struct meminfo m;
	struct record *rec;
	double total, available, used;
	int r;

	r = meminfo_read(ctx->root, &m);
	if (r < 0)
		return r;
	total = m.bytes[MEM_TOTAL];
	available = m.bytes[MEM_AVAILABLE];
	/*
	 * Kernels before 3.14 have no MemAvailable; free + buffers + page
	 * cache + reclaimable slab is the estimate procps used then.
	 */
	if (isnan(available))
		available = or_zero(m.bytes[MEM_FREE]) + or_zero(m.bytes[BUFFERS]) +
			or_zero(m.bytes[CACHED]) + or_zero(m.bytes[SRECLAIMABLE]);
	available = MIN(available, total);
	used = total - available;
	rec = record_batch_add(b, &schema_memory, NULL);
	(void)record_set(rec, "total", total);
	(void)record_set(rec, "available", available);
	(void)record_set(rec, "used", used);
	(void)record_set(rec, "buffers", m.bytes[BUFFERS]);
	(void)record_set(rec, "cached",
		or_zero(m.bytes[CACHED]) + or_zero(m.bytes[SRECLAIMABLE]));
	(void)record_set(rec, "used_pct", total > 0 ? used / total * 100 : NAN);
	return 0;
}

/*
 * Reads the pages swapped in and out since boot from /proc/vmstat. Returns
 * -ENOENT when the kernel has no such counters (built without swap).
 */
static int
vmstat_read_swap(const char *root, uint64_t ret[static 2])
{
	_cleanup_free_ char *buf = NULL;
	char *line, *next;
	bool have_in = false, have_out = false;
	uint64_t in = 0, out = 0;
	int r;

	r = read_file_at(root, "/proc/vmstat", PROC_VMSTAT_MAX, &buf, NULL);
	if (r < 0)
		return r;
	next = buf;
	while ((line = strsep(&next, "\n"))) {
		if (sscanf(line, "pswpin %" SCNu64, &in) == 1)
			have_in = true;
		else if (sscanf(line, "pswpout %" SCNu64, &out) == 1)
			have_out = true;
	}
	if (!have_in || !have_out)
		return -ENOENT;
	ret[0] = in;
	ret[1] = out;
	return 0;
}

static bool
swap_enabled(const struct hm_conf *c)
{
	return c->swap;
}

static int
swap_collect(void *state, const struct collect_ctx *ctx, struct record_batch *b)
{
	struct swap_state *s = state;
	struct meminfo m;
	struct record *rec;
	uint64_t pages[2];
	double rates[2] = { NAN, NAN };
	double total, avail, used;
	int r;

	r = meminfo_read(ctx->root, &m);
	if (r < 0)
		return r;
	counter_table_begin(&s->table);
	/* The rates stay unknown on the first reading and without the counters. */
	if (vmstat_read_swap(ctx->root, pages) >= 0)
		(void)counter_table_update(&s->table, "swap", pages, 2, ctx->now_usec,
			rates);
	counter_table_end(&s->table);
	total = or_zero(m.bytes[SWAP_TOTAL]);
	avail = MIN(or_zero(m.bytes[SWAP_FREE]), total);
	used = total - avail;
	rec = record_batch_add(b, &schema_swap, NULL);
	(void)record_set(rec, "total", total);
	(void)record_set(rec, "used", used);
	(void)record_set(rec, "free", avail);
	(void)record_set(rec, "used_pct", total > 0 ? used / total * 100 : 0);
	(void)record_set(rec, "in", rates[0]);
	(void)record_set(rec, "out", rates[1]);
	return 0;
}

static void
swap_done(void *state)
{
	struct swap_state *s = state;

	counter_table_done(&s->table);
}

const struct collector_ops collect_memory_ops = {
	.name = "memory",
	.state_size = 0,
	.enabled = memory_enabled,
	.collect = memory_collect,
	.done = NULL,
};

const struct collector_ops collect_swap_ops = {
	.name = "swap",
	.state_size = sizeof(struct swap_state),
	.enabled = swap_enabled,
	.collect = swap_collect,
	.done = swap_done,
};
