/* SPDX-License-Identifier: MIT */
/*
 * The store through rrdcached (see store.c): files created with its CREATE
 * command, and the samples of one store_write_batch() sent as the UPDATE
 * lines of one BATCH over the store's own connection (rrdcc.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rrdcc.h"
#include "store_internal.h"
#include "util.h"

/* The cached batch's bookkeeping, passed to on_batch_error(). */
struct batch_result {
	struct store *s;
	size_t n_lines;
};

/* Connects to rrdcached unless connected. 0 or -ENOTCONN. */
static int
cached_connect(struct store *s)
{
	int r = rrdcc_connect(s->cc);

	if (r < 0) {
		(void)snprintf(s->last_error, sizeof(s->last_error), "%s", rrdcc_error(s->cc));
		return -ENOTCONN;
	}
	if (r > 0)
		s->stats.connects++;
	return 0;
}

/* After a failed rrdcc call that returned r: keeps its message, returns r. */
static int
cached_error(struct store *s, int r)
{
	(void)snprintf(s->last_error, sizeof(s->last_error), "%s", rrdcc_error(s->cc));
	return r;
}

/*
 * The name rrdcached is given for path, which is <datadir>/<host>/<series>.rrd.
 * Over a UNIX socket, path itself, which is absolute. Over TCP the daemon
 * refuses absolute names (unless run with -P... and -b /) and resolves
 * relative ones against its base directory, which must be datadir:
 * <host>/<series>.rrd.
 */
static const char *
cached_name(const struct store *s, const char *path)
{
	const char *p = path + strlen(path);
	int slashes = 0;

	if (!s->cached_relative)
		return path;
	/* Host and series names hold no '/'. */
	while (p > path && !(p[-1] == '/' && ++slashes == 2))
		p--;
	return p;
}

/*
 * Has rrdcached create path. Its rrd_create_r2() builds the file under a
 * temporary name and renames it, as create_direct() does; -O (no_overwrite)
 * keeps a file someone else created meanwhile, and the next write finds it.
 */
int
store_create_cached(struct store *s, const char *path, unsigned long step, time_t last,
	char **argv)
{
	const char *name = cached_name(s, path);
	int r;

	_cleanup_free_ char *forget = NULL, *create = NULL;
	size_t len;
	char *p;

	r = cached_connect(s);
	if (r < 0)
		return r;
	/*
	 * An entry the daemon still holds for a deleted file would later write
	 * its old samples into the new file, where the first one fails and
	 * rrdtool drops the rest of that batch, new samples included. So drop
	 * the entry first; "no such entry" is the usual answer, not an error.
	 */
	forget = xasprintf("FORGET %s", name);
	r = rrdcc_command(s->cc, forget);
	if (r == -ENOTCONN)
		return cached_error(s, r);
	len = strlen(name) + 64;
	for (size_t i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	create = p = xmalloc(len);
	p += snprintf(p, len, "CREATE %s -b %lld -s %lu -O", name, (long long)last, step);
	for (size_t i = 0; argv[i]; i++)
		p += snprintf(p, len - (size_t)(p - create), " %s", argv[i]);
	r = rrdcc_command(s->cc, create);
	if (r < 0)
		return cached_error(s, r);
	return 0;
}

/*
 * A line rrdcached refused. "illegal attempt to update using time X when
 * last update time is Y" is a stale sample (someone else wrote the file, or
 * a restart left us not knowing its last update): skipped, and Y learnt.
 */
static void
on_batch_error(size_t line, const char *message, void *userdata)
{
	static const char stale[] = "illegal attempt to update";
	static const char last_is[] = "last update time is ";
	struct batch_result *br = userdata;
	struct batch_line *l;
	const char *p;

	if (line == 0 || line > br->n_lines)
		return;
	l = &br->s->lines[line - 1];
	if (strncmp(message, stale, sizeof(stale) - 1) == 0 &&
	    (p = strstr(message, last_is))) {
		double t = strtod(p + sizeof(last_is) - 1, NULL);

		if (isfinite(t) && t >= (double)l->time && t < 9.2e18) {
			l->state = LINE_STALE;
			l->told_last = (int64_t)t;
			return;
		}
	}
	l->state = LINE_FAILED;
	(void)snprintf(br->s->last_error, sizeof(br->s->last_error),
		"rrdcached refused an update of %s: %s", l->file->path, message);
}

static void
out_append(struct store *s, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	size_t need = s->out_len + la + lb + lc + 1;

	if (need > s->out_size) {
		s->out_size = MAX(need, 2 * s->out_size);
		s->out = xrealloc(s->out, s->out_size);
	}
	memcpy(s->out + s->out_len, a, la);
	memcpy(s->out + s->out_len + la, b, lb);
	memcpy(s->out + s->out_len + la + lb, c, lc);
	s->out_len += la + lb + lc;
	s->out[s->out_len] = '\0';
}

/*
 * Readies rec for the batch: finds or creates its file, skips it when stale,
 * else appends its UPDATE line. 1 queued, 0 skipped, or -errno.
 */
static int
queue_cached(struct store *s, const char *host, const struct record *rec, size_t *n_lines)
{
	_cleanup_free_ char *path = store_path(s, host, rec->series);
	char buf[32 + RECORD_FIELDS_MAX * 32];
	struct series_file *f = NULL;
	int r;

	r = store_format_update(rec, buf, sizeof(buf));
	if (r < 0)
		return store_set_errno(s, r);
	r = store_series_lookup(s, host, &path, rec, &f);
	if (r < 0)
		return r;
	if (rec->time <= f->last)
		return 0;
	/*
	 * The daemon accepts samples for a file it holds an entry for even when
	 * the file is gone, and loses them when it writes; a direct update would
	 * fail instead. So look first: one stat() against a lost sample.
	 */
	if (access(f->path, F_OK) < 0 && errno == ENOENT) {
		r = store_create_file(s, host, f->path, rec);
		if (r < 0)
			return r;
		store_mark_written(s, f);
		f->last = rec->time - 1;
	}
	if (*n_lines == s->lines_size) {
		s->lines_size = s->lines_size ? 2 * s->lines_size : 64;
		s->lines = xrealloc(s->lines, s->lines_size * sizeof(*s->lines));
	}
	s->lines[(*n_lines)++] = (struct batch_line){
		.file = f, .time = rec->time, .prev_last = f->last,
		.told_last = INT64_MIN, .state = LINE_SENT,
	};
	/* A later sample of the batch for the same file must be newer still. */
	f->last = rec->time;
	out_append(s, "UPDATE ", cached_name(s, f->path), "");
	out_append(s, " ", buf, "\n");
	return 1;
}

/* store_write_batch() through rrdcached. */
int
store_write_batch_cached(struct store *s, const char *host, const struct record *records,
	size_t n, size_t *written, size_t *skipped, size_t *failed)
{
	struct batch_result br = { .s = s };
	size_t n_lines = 0;
	int ret = 0, r;

	/*
	 * The lines point into the table of files, so it must not grow (and
	 * move) while the batch is built: room first for every record's file.
	 */
	while ((s->n_files + n) * 4 > s->n_slots * 3)
		store_files_grow(s);
	s->out_len = 0;
	for (size_t i = 0; i < n; i++) {
		if (!store_record_is_valid(&records[i])) {
			(*failed)++;
			ret = ret ? ret : store_set_errno(s, -EINVAL);
			continue;
		}
		r = queue_cached(s, host, &records[i], &n_lines);
		if (r == 0)
			(*skipped)++;
		else if (r < 0) {
			(*failed)++;
			if (ret != -ENOTCONN)
				ret = r;
			if (r == -ENOTCONN) {
				/* No use trying the others: they fail alike. */
				*failed += n - i - 1;
				break;
			}
		}
	}
	if (n_lines == 0)
		return ret;
	br.n_lines = n_lines;
	r = ret == -ENOTCONN ? -ENOTCONN : cached_connect(s);
	if (r >= 0) {
		r = rrdcc_batch(s->cc, s->out, s->out_len, on_batch_error, &br);
		if (r < 0)
			(void)cached_error(s, r);
	}
	if (r < 0) {
		for (size_t i = 0; i < n_lines; i++)
			s->lines[i].state = LINE_FAILED;
		ret = -ENOTCONN;
	}
	/* Each file's last update: as before the batch, then what it took. */
	for (size_t i = n_lines; i-- > 0;)
		s->lines[i].file->last = s->lines[i].prev_last;
	for (size_t i = 0; i < n_lines; i++) {
		struct batch_line *l = &s->lines[i];

		switch (l->state) {
		case LINE_SENT:
			l->file->last = MAX(l->file->last, l->time);
			store_mark_written(s, l->file);
			(*written)++;
			break;
		case LINE_STALE:
			l->file->last = MAX(l->file->last, l->told_last);
			(*skipped)++;
			break;
		default:
			(*failed)++;
			if (ret == 0)
				ret = -EIO;
			break;
		}
	}
	return ret;
}
