/* SPDX-License-Identifier: MIT */
/*
 * The "cpu" collector: the shares of CPU time from /proc/stat, for the whole
 * machine (series "cpu") and, when conf->cpu.per_core says so, for each core
 * ("cpu-0", "cpu-1", ...). The kernel counts time in ticks since boot; a
 * share is a state's ticks over all ticks since the previous cycle, so the
 * first cycle has nothing to report.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "collect.h"
#include "counter.h"

#define PROC_STAT_MAX (16u << 20)

/* The states, and the schema_cpu field of each. */
enum { USER, NICE, SYSTEM, IOWAIT, IRQ, SOFTIRQ, STEAL, IDLE, _STATE_MAX };

static const char *const state_fields[_STATE_MAX] = {
	[USER] = "user",
	[NICE] = "nice",
	[SYSTEM] = "system",
	[IOWAIT] = "iowait",
	[IRQ] = "irq",
	[SOFTIRQ] = "softirq",
	[STEAL] = "steal",
	[IDLE] = "idle",
};

struct cpu_state {
	struct counter_table table;
};

static bool
cpu_enabled(const struct hm_conf *c)
{
	return c->cpu.enabled;
}

/*
 * Reads one "cpu..." line into v in schema order. The columns are user nice
 * system idle iowait irq softirq steal guest guest_nice; kernels before 2.6.33
 * print fewer, and the missing ones count as 0. guest and guest_nice are left
 * out on purpose: the kernel already counts guest time in user and nice
 * (account_guest_time()), so adding them would count it twice.
 */
static int
parse_cpu_line(const char *line, uint64_t v[static _STATE_MAX])
{
	uint64_t c[8] = { 0 };
	int k;

	k = sscanf(line, "%*s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		" %" SCNu64 " %" SCNu64 " %" SCNu64, &c[0], &c[1], &c[2], &c[3], &c[4],
		&c[5], &c[6], &c[7]);
	if (k < 4)
		return -EBADMSG;
	v[USER] = c[0];
	v[NICE] = c[1];
	v[SYSTEM] = c[2];
	v[IDLE] = c[3];
	v[IOWAIT] = c[4];
	v[IRQ] = c[5];
	v[SOFTIRQ] = c[6];
	v[STEAL] = c[7];
	return 0;
}

static void
emit_shares(struct record_batch *b, const char *instance, const double *deltas)
{
	struct record *r;
	double total = 0;
	double d[_STATE_MAX];

	/*
	 * A state that went backwards counts as no time: some kernels let
	 * iowait and idle step back a little (a known NO_HZ accounting quirk),
	 * and that must not cost the whole record.
	 */
	for (size_t i = 0; i < _STATE_MAX; i++) {
		d[i] = isnan(deltas[i]) ? 0 : deltas[i];
		total += d[i];
	}
	if (total <= 0)
		return;
	r = record_batch_add(b, &schema_cpu, instance);
	for (size_t i = 0; i < _STATE_MAX; i++)
		(void)record_set(r, state_fields[i], d[i] / total * 100);
}

static int
cpu_collect(void *state, const struct collect_ctx *ctx, struct record_batch *b)
{
	struct cpu_state *s = state;
	_cleanup_free_ char *buf = NULL;
	char *line, *next;
	bool seen = false;
	int r;

	r = read_file_at(ctx->root, "/proc/stat", PROC_STAT_MAX, &buf, NULL);
	if (r < 0)
		return r;
	counter_table_begin(&s->table);
	next = buf;
	while ((line = strsep(&next, "\n"))) {
		uint64_t v[_STATE_MAX];
		double deltas[_STATE_MAX];
		char key[32];
		bool whole;

		if (strncmp(line, "cpu", 3) != 0)
			continue;
		whole = line[3] == ' ';
		if (!whole && !ctx->conf->cpu.per_core)
			continue;
		if (sscanf(line, "%31s", key) != 1 || parse_cpu_line(line, v) < 0)
			continue;
		seen |= whole;
		if (!counter_table_deltas(&s->table, key, v, _STATE_MAX, ctx->now_usec,
			    deltas, NULL))
			continue;
		emit_shares(b, whole ? NULL : key + 3, deltas);
	}
	counter_table_end(&s->table);
	/* Every Linux prints the "cpu" line; without it, this is not /proc. */
	return seen ? 0 : -EBADMSG;
}

static void
cpu_done(void *state)
{
	struct cpu_state *s = state;

	counter_table_done(&s->table);
}

const struct collector_ops collect_cpu_ops = {
	.name = "cpu",
	.state_size = sizeof(struct cpu_state),
	.enabled = cpu_enabled,
	.collect = cpu_collect,
	.done = cpu_done,
};
