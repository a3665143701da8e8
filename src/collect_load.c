/* SPDX-License-Identifier: MIT */
/*
 * The "load" and "uptime" collectors. Load comes from /proc/loadavg with the
 * number of online CPUs beside it, since a load means little without
 * knowing how many CPUs share it; uptime is the first number of /proc/uptime.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collect.h"

#define PROC_SMALL_MAX 4096u
#define PROC_STAT_MAX (16u << 20)

/* Counts the "cpuN" lines of /proc/stat: one per online CPU. */
static int
count_cpus(const char *root, unsigned *ret)
{
	_cleanup_free_ char *buf = NULL;
	unsigned n = 0;
	int r;

	r = read_file_at(root, "/proc/stat", PROC_STAT_MAX, &buf, NULL);
	if (r < 0)
		return r;
	for (const char *p = buf; p;) {
		if (strncmp(p, "cpu", 3) == 0 && isdigit((unsigned char)p[3]))
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	*ret = n;
	return 0;
}

static bool
load_enabled(const struct hm_conf *c)
{
	return c->load;
}

/*
 * /proc/loadavg reads "0.12 0.06 0.02 1/83 4044": the three load averages,
 * runnable and all tasks, and the last process id.
 */
static int
load_collect(void *state, const struct collect_ctx *ctx, struct record_batch *b)
{
	_cleanup_free_ char *buf = NULL;
	struct record *rec;
	double load[3];
	unsigned runnable, tasks, cpus;
	int r;

	r = read_file_at(ctx->root, "/proc/loadavg", PROC_SMALL_MAX, &buf, NULL);
	if (r < 0)
		return r;
	if (sscanf(buf, "%lf %lf %lf %u/%u", &load[0], &load[1], &load[2], &runnable,
		    &tasks) != 5)
		return -EBADMSG;
	r = count_cpus(ctx->root, &cpus);
	if (r < 0)
		return r;
	rec = record_batch_add(b, &schema_load, NULL);
	(void)record_set(rec, "load1", load[0]);
	(void)record_set(rec, "load5", load[1]);
	(void)record_set(rec, "load15", load[2]);
	(void)record_set(rec, "runnable", runnable);
	(void)record_set(rec, "tasks", tasks);
	(void)record_set(rec, "cpus", cpus);
	return 0;
}

static bool
uptime_enabled(const struct hm_conf *c)
{
	return c->uptime;
}

/* /proc/uptime reads "321.66 603.23": seconds since boot, then idle seconds. */
static int
uptime_collect(void *state, const struct collect_ctx *ctx, struct record_batch *b)
{
	_cleanup_free_ char *buf = NULL;
	struct record *rec;
	double up;
	int r;

	r = read_file_at(ctx->root, "/proc/uptime", PROC_SMALL_MAX, &buf, NULL);
	if (r < 0)
		return r;
	if (sscanf(buf, "%lf", &up) != 1)
		return -EBADMSG;
	rec = record_batch_add(b, &schema_uptime, NULL);
	(void)record_set(rec, "uptime", up);
	return 0;
}

const struct collector_ops collect_load_ops = {
	.name = "load",
	.state_size = 0,
	.enabled = load_enabled,
	.collect = load_collect,
	.done = NULL,
};

const struct collector_ops collect_uptime_ops = {
	.name = "uptime",
	.state_size = 0,
	.enabled = uptime_enabled,
	.collect = uptime_collect,
	.done = NULL,
};
