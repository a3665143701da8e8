/* SPDX-License-Identifier: MIT */
/*
 * RRD storage: <datadir>/<host>/<series>.rrd, one data source per field,
 * step = the interval (or the record's own step, for probes), heartbeat = 2 x step, AVERAGE/MIN/MAX archives for an
 * hour, a day, a week, a month and a year. Files are created under a
 * temporary name and renamed into place. A sample whose time is not after
 * the file's last update (a restart, a clock stepped back) is skipped and
 * counted, never handed to rrdtool to fail. Nothing here logs.
 */
#ifndef HM_STORE_H
#define HM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct store;

struct store_stats {
	uint64_t created;  /* RRD files created */
	uint64_t updated;  /* samples written */
	uint64_t skipped;  /* samples not after the file's last update */
	uint64_t failed;   /* samples rrdtool refused, or I/O errors */
};

/* datadir must exist; step_sec is the interval. Returns NULL only on bad arguments. */
struct store *store_new(const char *datadir, unsigned step_sec);

/*
 * Writes one record for host. Returns 1 when written, 0 when skipped as not
 * newer than the file's last update, -EINVAL for an invalid host or series
 * name, or -errno / -EIO on failure (store_last_error() then says why).
 */
int store_write(struct store *s, const char *host, const struct record *r);

/* Path of the RRD file for host/series; the caller frees it. */
char *store_path(const struct store *s, const char *host, const char *series);

/* rrdtool's message for the last -EIO, or the strerror text; borrowed. */
const char *store_last_error(const struct store *s);
const struct store_stats *store_get_stats(const struct store *s);
/* Number of series files this store has written to or created. */
size_t store_series_count(const struct store *s);

struct store *store_free(struct store *s);
DEFINE_POINTER_CLEANUP(struct store, store_free)

#endif
