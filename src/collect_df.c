/* SPDX-License-Identifier: MIT */
/*
 * The "df" collector: space and inodes of each mounted file system, one
 * series per mount point ("df-root" for "/", "df-var-log" for "/var/log").
 * The mounts come from <root>/proc/self/mounts and are measured with
 * statvfs() under <root>. A file system mounted in several places (bind
 * mounts, btrfs subvolumes, a container's bound-in files) is reported once,
 * under its first mount point, unless the configuration names the others.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "collect.h"

#define PROC_MOUNTS_MAX (16u << 20)

/* What was reported this cycle, to skip repeats. */
struct df_seen {
	char **mountpoints; /* owned strv */
	char **sources;     /* owned strv */
};

static bool
df_enabled(const struct hm_conf *c)
{
	return c->disk_space.enabled;
}

static bool
is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/*
 * The kernel writes a space, tab, newline or backslash in a mounts field as
 * an octal escape ("\040"); this undoes that in place.
 */
static void
unescape_octal(char *s)
{
	char *w = s;

	for (const char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && is_octal(p[2]) &&
			is_octal(p[3])) {
			int c = (p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0');

			*w++ = (char)c;
			p += 3;
		} else
			*w++ = *p;
	}
	*w = '\0';
}

/* "/" becomes "root", "/var/log" becomes "var-log"; the caller sanitises the rest. */
static void
series_instance(const char *mountpoint, char *buf, size_t size)
{
	size_t i = 0;

	while (*mountpoint == '/')
		mountpoint++;
	if (!*mountpoint) {
		(void)snprintf(buf, size, "root");
		return;
	}
	for (; mountpoint[i] && i + 1 < size; i++)
		buf[i] = mountpoint[i] == '/' ? '-' : mountpoint[i];
	buf[i] = '\0';
}

static bool
df_wanted(const struct hm_conf *c, const struct df_seen *seen, const char *source,
	const char *mountpoint, const char *fstype)
{
	bool listed = strv_contains(c->disk_space.mountpoints, mountpoint);

	if (strv_length(c->disk_space.mountpoints) > 0 && !listed)
		return false;
	/* A mount point the administrator named is reported whatever its type. */
	if (!listed && strv_contains(c->disk_space.ignore_fstypes, fstype))
		return false;
	/* Mounted over: statvfs() sees only the top one, so report it once. */
	if (strv_contains(seen->mountpoints, mountpoint))
		return false;
	/*
	 * Only a source that is a path names a device; "tmpfs", "overlay" and
	 * the like say nothing about which file system it is.
	 */
	if (!listed && source[0] == '/' && strv_contains(seen->sources, source))
		return false;
	return true;
}

static void
df_emit(struct record_batch *b, const char *mountpoint, const struct statvfs *st)
{
	char instance[NAME_MAX_LEN + 1];
	unsigned long frsize = st->f_frsize ? st->f_frsize : st->f_bsize;
	double used, avail, iused, iavail, pct, ipct = NAN;
	struct record *r;

	used = (double)(st->f_blocks - MIN(st->f_bfree, st->f_blocks)) * frsize;
	avail = (double)st->f_bavail * frsize;
	iused = (double)(st->f_files - MIN(st->f_ffree, st->f_files));
	iavail = (double)st->f_favail;
	/* As df's Use%: of the space a user may fill, leaving out root's reserve. */
	pct = used + avail > 0 ? used / (used + avail) * 100 : NAN;
	/* File systems without an inode table (btrfs, vfat) report f_files == 0. */
	if (st->f_files > 0 && iused + iavail > 0)
		ipct = iused / (iused + iavail) * 100;
	series_instance(mountpoint, instance, sizeof(instance));
	r = record_batch_add(b, &schema_df, instance);
	(void)record_set(r, "bytes_used", used);
	(void)record_set(r, "bytes_free", avail);
	(void)record_set(r, "bytes_pct", pct);
	(void)record_set(r, "inodes_used", iused);
	(void)record_set(r, "inodes_free", iavail);
	(void)record_set(r, "inodes_pct", ipct);
}

/*
 * Measures one mount. A mount point that vanished since the mounts were read
 * or that this process may not look into (a sandboxed service) is skipped
 * quietly; other failures (a dead network file system) are returned. A file
 * bind-mounted over a file (containers get /etc/hostname and friends that
 * way) is no file system of its own and is skipped too.
 */
static int
df_mount(const struct collect_ctx *ctx, struct df_seen *seen, struct record_batch *b,
	const char *source, const char *mountpoint)
{
	_cleanup_free_ char *path = path_join(ctx->root, mountpoint);
	struct statvfs st;
	struct stat sb;

	if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode))
		return 0;
	if (statvfs(path, &st) < 0) {
		if (errno == ENOENT || errno == EACCES || errno == EPERM)
			return 0;
		return -errno;
	}
	/* Pseudo file systems (proc, sysfs, cgroup) have no blocks to count. */
	if (st.f_blocks == 0)
		return 0;
	df_emit(b, mountpoint, &st);
	strv_push(&seen->mountpoints, mountpoint);
	strv_push(&seen->sources, source);
	return 0;
}

/* Returns 0, or the first failure after measuring every other mount. */
static int
df_collect(void *state, const struct collect_ctx *ctx, struct record_batch *b)
{
	_cleanup_free_ char *buf = NULL;
	struct df_seen seen = { 0 };
	char *line, *next;
	int r, ret = 0;

	r = read_file_at(ctx->root, "/proc/self/mounts", PROC_MOUNTS_MAX, &buf, NULL);
	if (r < 0)
		return r;
	next = buf;
	while ((line = strsep(&next, "\n"))) {
		char *fsave = NULL, *source, *mountpoint, *fstype;

		/* source mountpoint fstype options dump pass */
		source = strtok_r(line, " \t", &fsave);
		mountpoint = strtok_r(NULL, " \t", &fsave);
		fstype = strtok_r(NULL, " \t", &fsave);
		if (!fstype)
			continue;
		unescape_octal(source);
		unescape_octal(mountpoint);
		if (!df_wanted(ctx->conf, &seen, source, mountpoint, fstype))
			continue;
		r = df_mount(ctx, &seen, b, source, mountpoint);
		if (r < 0 && ret == 0)
			ret = r;
	}
	seen.mountpoints = strv_free(seen.mountpoints);
	seen.sources = strv_free(seen.sources);
	return ret;
}

const struct collector_ops collect_df_ops = {
	.name = "disk_space",
	.state_size = 0,
	.enabled = df_enabled,
	.collect = df_collect,
	.done = NULL,
};
