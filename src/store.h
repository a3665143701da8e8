/* SPDX-License-Identifier: MIT */
/*
 * RRD storage: <datadir>/<host>/<series>.rrd, one data source per field,
 * step = the interval (or the record's own step, for probes), heartbeat = 2 x step, AVERAGE/MIN/MAX archives for an
 * hour, a day, a week, a month and a year. Files are created under a
 * temporary name and renamed into place. A sample whose time is not after
 * the file's last update (a restart, a clock stepped back) is skipped and
 * counted, never handed to rrdtool to fail. Nothing here logs.
 *
 * With an rrdcached address, files are created and updated through that
 * daemon (a client of our own, one connection per store; a batch of records
 * goes out as one BATCH command), which batches the disk writes. It must see the same files: over a UNIX socket it is given
 * absolute paths, over TCP paths relative to its base directory, so it must
 * then run with -b <datadir>. It must be able to write the files: run it as
 * healthmond's user (or root). Every writer of these files must go through
 * it, or its cache and the files disagree.
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
	uint64_t connects; /* connections opened to rrdcached (the first included) */
};

/* datadir must exist; step_sec is the interval. Returns NULL only on bad arguments. */
struct store *store_new(const char *datadir, unsigned step_sec);

/*
 * The same, writing through the rrdcached at address ("unix:/path", "/path"
 * or "host:port"; NULL: direct writes, as store_new()). Nothing is connected
 * here: the first write connects, and a write after a lost connection
 * reconnects. Each store has a connection of its own. Returns NULL only on
 * bad arguments.
 */
struct store *store_new_cached(const char *datadir, unsigned step_sec,
	const char *rrdcached);

/*
 * Writes one record for host. Returns 1 when written (or, through rrdcached,
 * accepted into its cache), 0 when skipped as not newer than the file's last
 * update, -EINVAL for an invalid host or series name, -ENOTCONN when rrdcached
 * cannot be reached or the connection broke during the call, or -errno / -EIO
 * on other failures (store_last_error() then says why).
 */
int store_write(struct store *s, const char *host, const struct record *r);

/*
 * Writes n records for host; through rrdcached, every sample not skipped goes
 * out in one BATCH (one round trip), direct writes go one by one. Each record
 * is written, skipped (not newer than its file's last update) or failed;
 * *ret_written and *ret_skipped (either may be NULL) count the first two.
 * Returns 0 when none failed, -EINVAL for an invalid host (nothing written),
 * else the failure: -ENOTCONN when rrdcached cannot be reached or the
 * connection broke (nothing of the batch is known to be taken, so none is
 * counted written), -EIO when the daemon or rrdtool refused a sample, or
 * another -errno; store_last_error() says why.
 */
int store_write_batch(struct store *s, const char *host, const struct record *records,
	size_t n, size_t *ret_written, size_t *ret_skipped);

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
