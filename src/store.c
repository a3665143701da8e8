/* SPDX-License-Identifier: MIT */
/*
 * RRD storage through librrd's thread-safe calls. A series lives in
 * <datadir>/<host>/<series>.rrd with one GAUGE data source per schema field and
 * AVERAGE, MIN and MAX archives for an hour, a day, a week, a month and a year.
 * A new file is built under a temporary name and renamed into place, so a
 * reader never sees a half-written one. The store remembers the last update
 * time of every file it has touched in an open-addressing hash table keyed by
 * path, and skips a sample that is not newer instead of letting rrdtool refuse
 * it. Nothing here logs: failures are returned, counted and described by
 * store_last_error().
 *
 * With an rrdcached address the same happens through the daemon
 * (store_cached.c), over a connection of the store's own (rrdcc.c): files
 * are created with its CREATE command, and the samples of a
 * store_write_batch() call go out as UPDATE
 * lines of one BATCH, one round trip for all of them; the daemon keeps them
 * in memory and writes them out in batches of its own. A line it refuses
 * fails that sample alone, a stale one ("illegal attempt to update") is
 * skipped and teaches us the file's last update. A write that finds the
 * connection gone fails; the next one connects again.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>

#include "rrdcc.h"
#include "store_internal.h"

/*
 * The archives. Each span is kept at its resolution with
 * pdp_per_row = max(1, resolution / step) (integer division) and
 * rows = ceil(span / (pdp_per_row * step)), for AVERAGE, MIN and MAX (xff 0.5):
 *
 *   span                 resolution  step 1 s        step 10 s       step 600 s
 *                                    ppr     rows    ppr     rows    ppr    rows
 *   1 hour       3600 s  the step        1   3600        1    360       1      6
 *   1 day       86400 s  60 s           60   1440        6   1440       1    144
 *   1 week     604800 s  600 s         600   1008       60   1008       1   1008
 *   1 month   2678400 s  3600 s       3600    744      360    744       6    744
 *   1 year   31622400 s  86400 s     86400    366     8640    366     144    366
 *
 * A month is 31 days and a year 366, so that neither ever falls short.
 */
struct archive {
	unsigned long span;       /* seconds */
	unsigned long resolution; /* seconds per row; 0 means the step */
};

static const struct archive archives[] = {
	{ 3600, 0 },
	{ 86400, 60 },
	{ 604800, 600 },
	{ 2678400, 3600 },
	{ 31622400, 86400 },
};

static const char *const archive_cfs[] = { "AVERAGE", "MIN", "MAX" };

/* A longer step would leave every archive with a single row. */
#define STEP_MAX 31622400U
#define TABLE_SLOTS_MIN 64


static bool
address_is_unix(const char *address)
{
	return address[0] == '/' || strncmp(address, "unix:", 5) == 0;
}

struct store *
store_new_cached(const char *datadir, unsigned step_sec, const char *rrdcached)
{
	struct store *s;

	if (!datadir || !*datadir || step_sec == 0 || step_sec > STEP_MAX)
		return NULL;
	if (rrdcached && (!*rrdcached || strcmp(rrdcached, "unix:") == 0))
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->datadir = xstrdup(datadir);
	s->step = step_sec;
	s->n_slots = TABLE_SLOTS_MIN;
	s->files = xcalloc(s->n_slots, sizeof(*s->files));
	if (rrdcached) {
		s->rrdcached = xstrdup(rrdcached);
		s->cached_relative = !address_is_unix(rrdcached);
		s->cc = rrdcc_new(rrdcached);
	}
	return s;
}

struct store *
store_new(const char *datadir, unsigned step_sec)
{
	return store_new_cached(datadir, step_sec, NULL);
}

struct store *
store_free(struct store *s)
{
	if (!s)
		return NULL;
	rrdcc_free(s->cc);
	free(s->out);
	free(s->lines);
	for (size_t i = 0; i < s->n_slots; i++)
		free(s->files[i].path);
	free(s->files);
	free(s->datadir);
	free(s->rrdcached);
	free(s);
	return NULL;
}

/* Returns NULL when host or series is not a valid name. */
char *
store_path(const struct store *s, const char *host, const char *series)
{
	_cleanup_free_ char *relative = NULL;

	if (!name_is_valid(host) || !name_is_valid(series))
		return NULL;
	relative = xasprintf("%s/%s.rrd", host, series);
	return path_join(s->datadir, relative);
}

const char *
store_last_error(const struct store *s)
{
	return s->last_error;
}

const struct store_stats *
store_get_stats(const struct store *s)
{
	return &s->stats;
}

size_t
store_series_count(const struct store *s)
{
	return s->n_series;
}

/* Records strerror(-r) as the last error and returns r. */
int
store_set_errno(struct store *s, int r)
{
	(void)snprintf(s->last_error, sizeof(s->last_error), "%s", strerror(-r));
	return r;
}

/*
 * Copies librrd's message for the call that just failed and returns -EIO.
 * librrd keeps one error string per thread and never clears it by itself,
 * so every call is preceded by rrd_clear_error() and this copy is taken
 * before the next librrd call can overwrite it.
 */
static int
set_error_rrd(struct store *s)
{
	const char *e = rrd_get_error();

	(void)snprintf(s->last_error, sizeof(s->last_error), "%s",
		e && *e ? e : "rrdtool failed without a message");
	return -EIO;
}




/* FNV-1a: short keys, no adversary (paths are made from validated names). */
static uint64_t
hash_path(const char *p)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *p; p++) {
		h ^= (unsigned char)*p;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static struct series_file *
files_find(const struct store *s, const char *path, uint64_t hash)
{
	size_t mask = s->n_slots - 1;

	/* The table is never full, so the probe ends at a free slot. */
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct series_file *f = &s->files[i];

		if (!f->path)
			return NULL;
		if (f->hash == hash && strcmp(f->path, path) == 0)
			return f;
	}
}

static struct series_file *
files_slot(struct series_file *files, size_t n_slots, uint64_t hash)
{
	size_t mask = n_slots - 1;
	size_t i = hash & mask;

	while (files[i].path)
		i = (i + 1) & mask;
	return &files[i];
}

void
store_files_grow(struct store *s)
{
	size_t n_slots = s->n_slots * 2;
	struct series_file *files = xcalloc(n_slots, sizeof(*files));

	for (size_t i = 0; i < s->n_slots; i++)
		if (s->files[i].path)
			*files_slot(files, n_slots, s->files[i].hash) = s->files[i];
	free(s->files);
	s->files = files;
	s->n_slots = n_slots;
}

/* Adds path, which must not be in the table yet, and takes ownership of it. */
static struct series_file *
files_add(struct store *s, char *path, uint64_t hash, int64_t last)
{
	struct series_file *f;

	if ((s->n_files + 1) * 4 > s->n_slots * 3)
		store_files_grow(s);
	f = files_slot(s->files, s->n_slots, hash);
	*f = (struct series_file){ .path = path, .hash = hash, .last = last };
	s->n_files++;
	return f;
}

void
store_mark_written(struct store *s, struct series_file *f)
{
	if (!f->written) {
		f->written = true;
		s->n_series++;
	}
}

/*
 * rrdtool's notation for a value: %.17g names every double exactly, "U" is
 * unknown. librrd 1.7 reads numbers with its own rrd_strtod(), which is not
 * correctly rounded, so a value such as 100/3 may be stored an ulp or two
 * off; integers and short binary fractions come through exact. An agent and
 * a central still store identical bits, since both hand librrd the same text.
 */
static int
format_value(char *buf, size_t size, double v)
{
	/*
	 * An infinity would be accepted by rrdtool's strtod and then poison every
	 * average it enters; a collector never means one, so it is unknown too.
	 */
	if (!isfinite(v))
		return snprintf(buf, size, "U");
	return snprintf(buf, size, "%.17g", v);
}

static unsigned long
archive_pdp_per_row(const struct archive *a, unsigned long step)
{
	unsigned long resolution = a->resolution ? a->resolution : step;

	return MAX(1UL, resolution / step);
}

/* The DS and RRA arguments of rrd_create_r() for schema sc. */
static char **
create_args(const struct schema *sc, unsigned long step)
{
	char **argv = NULL;
	char buf[160], min[32], max[32];

	for (size_t i = 0; i < sc->n_fields; i++) {
		const struct field_def *fd = &sc->fields[i];

		(void)format_value(min, sizeof(min), fd->min);
		(void)format_value(max, sizeof(max), fd->max);
		(void)snprintf(buf, sizeof(buf), "DS:%s:GAUGE:%lu:%s:%s", fd->name,
			2 * step, min, max);
		strv_push(&argv, buf);
	}
	for (size_t i = 0; i < ELEMENTSOF(archives); i++) {
		unsigned long ppr = archive_pdp_per_row(&archives[i], step);
		unsigned long row = ppr * step;
		unsigned long rows = (archives[i].span + row - 1) / row;

		for (size_t j = 0; j < ELEMENTSOF(archive_cfs); j++) {
			(void)snprintf(buf, sizeof(buf), "RRA:%s:0.5:%lu:%lu",
				archive_cfs[j], ppr, rows);
			strv_push(&argv, buf);
		}
	}
	return argv;
}

static int
make_host_dir(const struct store *s, const char *host)
{
	_cleanup_free_ char *dir = path_join(s->datadir, host);
	struct stat st;
	int r;

	r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	/*
	 * mkdir_p() takes any existing entry for a directory; a file or a
	 * dangling symlink in its place must fail here with a clear errno.
	 */
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

/* Creates path under a temporary name in the same directory, then renames it. */
static int
create_direct(struct store *s, const char *path, unsigned long step, time_t last,
	char **argv)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int r;

	/* A predecessor that crashed with the same pid may have left it. */
	(void)unlink(tmp);
	/*
	 * librrd 1.7 writes through a temporary file of its own too, but when
	 * renaming that one fails rrd_create_r() still returns 0 and only sets
	 * the error string; so a set error string counts as failure as well.
	 */
	rrd_clear_error();
	r = rrd_create_r(tmp, step, last, (int)strv_length(argv), (const char **)argv);
	if (r != 0 || rrd_test_error()) {
		r = set_error_rrd(s);
		(void)unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		r = store_set_errno(s, -errno);
		(void)unlink(tmp);
		return r;
	}
	return 0;
}


/*
 * Creates the file at path for rec's schema, so that no reader ever sees it
 * half-written. Its last update is one second before rec, so that rec is the
 * first sample it accepts.
 */
int
store_create_file(struct store *s, const char *host, const char *path,
	const struct record *rec)
{
	_cleanup_(strv_freep) char **argv = NULL;
	unsigned long step;
	time_t last = (time_t)(rec->time - 1);
	int r;

	/* rrdcached needs the directory too: it creates no directories. */
	r = make_host_dir(s, host);
	if (r < 0)
		return store_set_errno(s, r);
	/* A probe with an interval of its own gets a file with that step. */
	step = rec->step ? rec->step : s->step;
	argv = create_args(rec->schema, step);
	if (s->rrdcached)
		r = store_create_cached(s, path, step, last, argv);
	else
		r = create_direct(s, path, step, last, argv);
	if (r < 0)
		return r;
	s->stats.created++;
	return 0;
}

/*
 * The last update of the file at path, or LAST_UNKNOWN through rrdcached.
 * There the first sample goes out unchecked: the daemon refuses one that is
 * not newer than what it holds (file and cache), exactly as rrdtool would,
 * and the stale refusal of its BATCH line says the exact time. Asking first
 * would cost a round trip per file at startup, and librrd 1.7.2's rrdc_last() rounds its
 * answer down to the step and parses it from a buffer that has already gone
 * out of scope (valgrind: a read below the stack pointer).
 */
#define LAST_UNKNOWN INT64_MIN

static int
file_last(struct store *s, const char *path, int64_t *ret)
{
	time_t t;

	if (s->rrdcached) {
		*ret = LAST_UNKNOWN;
		return 0;
	}
	rrd_clear_error();
	t = rrd_last_r(path);
	if (t < 0)
		return set_error_rrd(s);
	*ret = t;
	return 0;
}

/*
 * Finds the table entry for *path, taking ownership of *path when it adds
 * one. A file not seen before is asked for its last update (a restart) or
 * created when there is none.
 */
int
store_series_lookup(struct store *s, const char *host, char **path,
	const struct record *rec, struct series_file **ret)
{
	uint64_t hash = hash_path(*path);
	struct series_file *f = files_find(s, *path, hash);
	bool created = false;
	struct stat st;
	int64_t last;
	int r;

	if (f) {
		*ret = f;
		return 0;
	}
	if (stat(*path, &st) == 0) {
		r = file_last(s, *path, &last);
		if (r < 0)
			return r;
	} else if (errno == ENOENT) {
		r = store_create_file(s, host, *path, rec);
		if (r < 0)
			return r;
		last = rec->time - 1;
		created = true;
	} else
		return store_set_errno(s, -errno);
	f = files_add(s, TAKE_PTR(*path), hash, last);
	if (created)
		store_mark_written(s, f);
	*ret = f;
	return 0;
}

/* rrdtool's update argument for rec: "time:v1:v2:...". 0 or -EMSGSIZE. */
int
store_format_update(const struct record *rec, char *buf, size_t size)
{
	size_t n;
	int k;

	k = snprintf(buf, size, "%" PRId64, rec->time);
	if (k < 0 || (size_t)k >= size)
		return -EMSGSIZE;
	n = (size_t)k;
	for (size_t i = 0; i < rec->schema->n_fields; i++) {
		if (n + 1 >= size)
			return -EMSGSIZE;
		buf[n++] = ':';
		k = format_value(buf + n, size - n, rec->values[i]);
		if (k < 0 || (size_t)k >= size - n)
			return -EMSGSIZE;
		n += (size_t)k;
	}
	return 0;
}

/*
 * Hands rec to rrdtool. Returns 1 when written, 0 when the file turned out
 * to be newer than we knew, -ENOENT when it is gone, or -EIO.
 */
static int
update_file(struct store *s, struct series_file *f, const struct record *rec)
{
	char buf[32 + RECORD_FIELDS_MAX * 32];
	const char *argv[1] = { buf };
	time_t t;
	int r;

	r = store_format_update(rec, buf, sizeof(buf));
	if (r < 0)
		return store_set_errno(s, r);
	rrd_clear_error();
	if (rrd_update_r(f->path, NULL, 1, argv) == 0) {
		f->last = rec->time;
		return 1;
	}
	(void)set_error_rrd(s);
	if (access(f->path, F_OK) < 0 && errno == ENOENT)
		return -ENOENT;
	/*
	 * Someone else (rrdtool by hand, a second daemon) may have updated the
	 * file past our cached time. Learn its real last update, so that this
	 * and later stale samples are skipped instead of failing one by one.
	 */
	rrd_clear_error();
	t = rrd_last_r(f->path);
	if (t >= 0 && t > f->last) {
		f->last = t;
		if (rec->time <= f->last)
			return 0;
	}
	return -EIO;
}

static int
write_record(struct store *s, const char *host, const struct record *rec)
{
	_cleanup_free_ char *path = store_path(s, host, rec->series);
	struct series_file *f = NULL;
	int r;

	r = store_series_lookup(s, host, &path, rec, &f);
	if (r < 0)
		return r;
	if (rec->time <= f->last)
		return 0;
	r = update_file(s, f, rec);
	if (r == -ENOENT) {
		/* The file vanished under us (an administrator removed it). */
		r = store_create_file(s, host, f->path, rec);
		if (r < 0)
			return r;
		store_mark_written(s, f);
		f->last = rec->time - 1;
		r = update_file(s, f, rec);
		if (r == -ENOENT)
			r = -EIO;
	}
	if (r > 0)
		store_mark_written(s, f);
	return r;
}

bool
store_record_is_valid(const struct record *rec)
{
	return rec->schema && rec->schema->n_fields > 0 &&
		rec->schema->n_fields <= RECORD_FIELDS_MAX &&
		name_is_valid(rec->series) && rec->time > 0;
}





int
store_write_batch(struct store *s, const char *host, const struct record *records,
	size_t n, size_t *ret_written, size_t *ret_skipped)
{
	size_t written = 0, skipped = 0, failed = 0;
	int ret = 0;

	if (ret_written)
		*ret_written = 0;
	if (ret_skipped)
		*ret_skipped = 0;
	if (!s || (n > 0 && !records) || !name_is_valid(host))
		return -EINVAL;
	if (s->rrdcached)
		ret = store_write_batch_cached(s, host, records, n, &written, &skipped, &failed);
	else
		for (size_t i = 0; i < n; i++) {
			int r = store_record_is_valid(&records[i]) ?
				write_record(s, host, &records[i]) : -EINVAL;

			if (r > 0)
				written++;
			else if (r == 0)
				skipped++;
			else {
				failed++;
				if (ret == 0 || r == -ENOTCONN)
					ret = r;
			}
		}
	s->stats.updated += written;
	s->stats.skipped += skipped;
	s->stats.failed += failed;
	if (ret_written)
		*ret_written = written;
	if (ret_skipped)
		*ret_skipped = skipped;
	return ret;
}

int
store_write(struct store *s, const char *host, const struct record *rec)
{
	size_t written, skipped;
	int r;

	if (!s || !rec || !name_is_valid(host) || !store_record_is_valid(rec))
		return -EINVAL;
	r = store_write_batch(s, host, rec, 1, &written, &skipped);
	if (r < 0)
		return r;
	return written > 0 ? 1 : 0;
}
