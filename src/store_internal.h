/* SPDX-License-Identifier: MIT */
/*
 * What store.c (the files, direct writes) and store_cached.c (the same
 * through rrdcached) share. Not for other modules: they use store.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "record.h"
#include "store.h"

/* One RRD file this store has seen. */
struct series_file {
	char *path;    /* owned; NULL marks a free slot */
	uint64_t hash; /* of path */
	int64_t last;  /* the file's last update, unix seconds */
	bool written;  /* created or written by this store */
};

struct store {
	char *datadir;             /* owned */
	char *rrdcached;           /* owned; the daemon's address, NULL: direct writes */
	bool cached_relative;      /* tell it paths relative to datadir (TCP) */
	unsigned long step;        /* seconds */
	struct series_file *files; /* owned: n_slots slots, open addressing */
	size_t n_slots;            /* a power of two, at most 3/4 used */
	size_t n_files;            /* used slots */
	size_t n_series;           /* files with written set */
	struct store_stats stats;
	char last_error[512];
	struct rrdcc *cc;          /* owned; the connection to rrdcached */
	char *out;                 /* owned: a batch's lines being built */
	size_t out_len, out_size;
	struct batch_line *lines;  /* owned: what each line of a batch is for */
	size_t lines_size;
};

/* One UPDATE line of a batch to rrdcached. */
struct batch_line {
	struct series_file *file;
	int64_t time;      /* the sample's */
	int64_t prev_last; /* file->last before the line was queued */
	int64_t told_last; /* the file's last update, as a stale refusal said; or INT64_MIN */
	int state;         /* LINE_SENT, LINE_STALE, LINE_FAILED */
};

enum { LINE_SENT, LINE_STALE, LINE_FAILED };

/* Records strerror(-r) as the last error and returns r. */
int store_set_errno(struct store *s, int r);
/* Grows the table of files (which moves every entry). */
void store_files_grow(struct store *s);
/* f was created or written by this store: it counts as one of its series. */
void store_mark_written(struct store *s, struct series_file *f);
/* Creates the file at path for rec's schema (store.c says how). */
int store_create_file(struct store *s, const char *host, const char *path,
	const struct record *rec);
/*
 * The table's entry for *path (which it may take over), made and the file
 * created when there is none.
 */
int store_series_lookup(struct store *s, const char *host, char **path,
	const struct record *rec, struct series_file **ret);
/* rrdtool's "TIME:V1:V2..." for rec. */
int store_format_update(const struct record *rec, char *buf, size_t size);
bool store_record_is_valid(const struct record *rec);

/* store_cached.c */
int store_create_cached(struct store *s, const char *path, unsigned long step, time_t last,
	char **argv);
int store_write_batch_cached(struct store *s, const char *host, const struct record *records,
	size_t n, size_t *written, size_t *skipped, size_t *failed);
