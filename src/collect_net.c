/* SPDX-License-Identifier: MIT */
/*
 * The "network" collector: bytes, packets, errors and drops per second of
 * each network interface, from <root>/proc/net/dev, one series per interface
 * ("if-eth0"). Some drivers still keep 32-bit counters that wrap within
 * seconds on a busy link, and a driver reload resets them; the counter
 * table tells the two apart. An interface that goes away is forgotten, and
 * one that comes back starts afresh.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "collect.h"
#include "counter.h"

#define PROC_NET_DEV_MAX (16u << 20)

/*
 * The counters we keep, in schema_if's order, and the column of each among
 * the sixteen of /proc/net/dev: bytes packets errs drop fifo frame compressed
 * multicast, received then transmitted.
 */
enum { NET_COUNTERS = 8 };

static const struct {
	const char *field;
	unsigned column;
} net_counters[NET_COUNTERS] = {
	{ "rx_bytes", 0 },   { "tx_bytes", 8 },  { "rx_packets", 1 },
	{ "tx_packets", 9 }, { "rx_errors", 2 }, { "tx_errors", 10 },
	{ "rx_drops", 3 },   { "tx_drops", 11 },
};

struct net_state {
	struct counter_table table;
};

static bool
net_enabled(const struct hm_conf *c)
{
	return c->network.enabled;
}

static bool
net_wanted(const struct hm_conf *c, const char *name)
{
	char *const *only = c->network.interfaces;

	if (strv_length(only) > 0 && !strv_fnmatch(only, name))
		return false;
	return !strv_fnmatch(c->network.ignore_interfaces, name);
}

/*
 * Parses "  eth0: 1 2 ... 16". The name ends at the colon, which a large
 * first counter may follow without a blank; Linux forbids ':' in names.
 */
static int
parse_net_line(char *line, char **ret_name, uint64_t v[static NET_COUNTERS])
{
	uint64_t c[16];
	char *colon = strchr(line, ':'), *name = line;
	int k;

	if (!colon)
		return -EBADMSG;
	*colon = '\0';
	name += strspn(name, " \t");
	if (!*name)
		return -EBADMSG;
	k = sscanf(colon + 1, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		" %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		" %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
		&c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9],
		&c[10], &c[11], &c[12], &c[13], &c[14], &c[15]);
	if (k != 16)
		return -EBADMSG;
	for (size_t i = 0; i < NET_COUNTERS; i++)
		v[i] = c[net_counters[i].column];
	*ret_name = name;
	return 0;
}

static int
net_collect(void *state, const struct collect_ctx *ctx, struct record_batch *b)
{
	struct net_state *s = state;
	_cleanup_free_ char *buf = NULL;
	char *line, *next;
	int r;

	r = read_file_at(ctx->root, "/proc/net/dev", PROC_NET_DEV_MAX, &buf, NULL);
	if (r < 0)
		return r;
	counter_table_begin(&s->table);
	/* The two header lines have no colon and are skipped as malformed. */
	next = buf;
	while ((line = strsep(&next, "\n"))) {
		uint64_t v[NET_COUNTERS];
		double rates[NET_COUNTERS];
		struct record *rec;
		char *name;

		if (parse_net_line(line, &name, v) < 0 || !net_wanted(ctx->conf, name))
			continue;
		if (!counter_table_update(&s->table, name, v, NET_COUNTERS,
			    ctx->now_usec, rates))
			continue;
		rec = record_batch_add(b, &schema_if, name);
		for (size_t i = 0; i < NET_COUNTERS; i++)
			(void)record_set(rec, net_counters[i].field, rates[i]);
	}
	counter_table_end(&s->table);
	return 0;
}

static void
net_done(void *state)
{
	struct net_state *s = state;

	counter_table_done(&s->table);
}

const struct collector_ops collect_net_ops = {
	.name = "network",
	.state_size = sizeof(struct net_state),
	.enabled = net_enabled,
	.collect = net_collect,
	.done = net_done,
};
