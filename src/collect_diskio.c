/* SPDX-License-Identifier: MIT */
/*
 * The "disk_io" collector: bytes and operations per second and the busy
 * share of block devices, from <root>/proc/diskstats, one series per device
 * ("disk-sda"). By default it watches whole disks, the devices that have a
 * directory in <root>/sys/block, except loop, RAM and zram devices, whose I/O
 * is memory or another file system's; device-mapper and md devices stay, as
 * they are what LVM and RAID users watch. A configured device list replaces
 * that choice and may name partitions.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "collect.h"
#include "counter.h"

#define PROC_DISKSTATS_MAX (16u << 20)
#define DISK_NAME_MAX 64 /* the %63s below */
/* /proc/diskstats counts sectors of 512 bytes whatever the device's sector size. */
#define SECTOR 512.0

/* The counters we keep, in the order they are handed to the counter table. */
enum { SECTORS_READ, SECTORS_WRITTEN, READS, WRITES, IO_TICKS, _DISK_MAX };

struct diskio_state {
	struct counter_table table;
};

static bool
diskio_enabled(const struct hm_conf *c)
{
	return c->disk_io.enabled;
}

static bool
is_whole_disk(const char *root, const char *name)
{
	_cleanup_free_ char *sysname = xstrdup(name);
	_cleanup_free_ char *rel = NULL, *path = NULL;
	struct stat st;

	/* sysfs spells the '/' of names such as "cciss/c0d0" as '!'. */
	for (char *p = sysname; *p; p++)
		if (*p == '/')
			*p = '!';
	rel = xasprintf("/sys/block/%s", sysname);
	path = path_join(root, rel);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
diskio_wanted(const struct collect_ctx *ctx, const char *name)
{
	char *const *devices = ctx->conf->disk_io.devices;

	if (strv_length(devices) > 0)
		return strv_fnmatch(devices, name);
	if (strncmp(name, "loop", 4) == 0 || strncmp(name, "ram", 3) == 0 ||
		strncmp(name, "zram", 4) == 0)
		return false;
	return is_whole_disk(ctx->root, name);
}

/*
 * Parses "major minor name" and the counters after it: reads, reads merged,
 * sectors read, ms reading, writes, writes merged, sectors written, ms
 * writing, I/Os in flight, ms doing I/O, ... (Documentation/admin-guide/
 * iostats.rst). Returns the number of counters found.
 */
static int
parse_diskstats_line(const char *line, char name[static DISK_NAME_MAX],
	uint64_t v[static _DISK_MAX])
{
	uint64_t c[10];
	int k;

	k = sscanf(line, "%*u %*u %63s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		" %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
		name, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8],
		&c[9]);
	if (k < 11)
		return -EBADMSG;
	v[READS] = c[0];
	v[SECTORS_READ] = c[2];
	v[WRITES] = c[4];
	v[SECTORS_WRITTEN] = c[6];
	v[IO_TICKS] = c[9];
	return 0;
}

static void
diskio_emit(struct record_batch *b, const char *name, const double *d, uint64_t usec)
{
	double secs = (double)usec / (double)USEC_PER_SEC;
	double elapsed_ms = (double)usec / (double)USEC_PER_MSEC;
	struct record *r = record_batch_add(b, &schema_disk, name);

	(void)record_set(r, "read_bytes", d[SECTORS_READ] * SECTOR / secs);
	(void)record_set(r, "write_bytes", d[SECTORS_WRITTEN] * SECTOR / secs);
	(void)record_set(r, "read_ops", d[READS] / secs);
	(void)record_set(r, "write_ops", d[WRITES] / secs);
	/*
	 * io_ticks counts the milliseconds with I/O in flight; its updates are
	 * not synchronised with our clock and may overshoot a little.
	 */
	(void)record_set(r, "busy_pct", isnan(d[IO_TICKS]) ? NAN :
		MIN(d[IO_TICKS] / elapsed_ms * 100, 100.0));
}

static int
diskio_collect(void *state, const struct collect_ctx *ctx, struct record_batch *b)
{
	struct diskio_state *s = state;
	_cleanup_free_ char *buf = NULL;
	char *line, *next;
	int r;

	r = read_file_at(ctx->root, "/proc/diskstats", PROC_DISKSTATS_MAX, &buf, NULL);
	if (r < 0)
		return r;
	counter_table_begin(&s->table);
	next = buf;
	while ((line = strsep(&next, "\n"))) {
		char name[DISK_NAME_MAX];
		uint64_t v[_DISK_MAX], elapsed;
		double d[_DISK_MAX];

		if (parse_diskstats_line(line, name, v) < 0)
			continue;
		if (!diskio_wanted(ctx, name))
			continue;
		if (counter_table_deltas(&s->table, name, v, _DISK_MAX, ctx->now_usec,
			    d, &elapsed))
			diskio_emit(b, name, d, elapsed);
	}
	counter_table_end(&s->table);
	return 0;
}

static void
diskio_done(void *state)
{
	struct diskio_state *s = state;

	counter_table_done(&s->table);
}

const struct collector_ops collect_diskio_ops = {
	.name = "disk_io",
	.state_size = sizeof(struct diskio_state),
	.enabled = diskio_enabled,
	.collect = diskio_collect,
	.done = diskio_done,
};
