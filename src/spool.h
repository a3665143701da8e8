/* SPDX-License-Identifier: MIT */
/*
 * The agent's on-disk queue of batches for the central: a directory holding
 * one file per batch, named by its zero-padded sequence number and record
 * count ("00000000000000000017-30.batch"), oldest first. A batch is on disk
 * (file and directory entry fsync'd) before spool_append() returns, so a
 * crash or a power loss afterwards keeps it. Sequence numbers only grow, also
 * across restarts, so that a restarted agent never reuses one the central
 * has acknowledged. The spool is bounded in bytes: an append that would pass
 * the limit drops the oldest batches and says exactly what went. Nothing
 * here logs; the texts are opaque (wire.h makes and reads them).
 */
#ifndef HM_SPOOL_H
#define HM_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct spool;

/* Batches dropped unsent, for a 'spool overflow' event. Zero when none. */
struct spool_loss {
	uint64_t batches;
	uint64_t records;
	uint64_t bytes;
	uint64_t first_seq; /* the range dropped: oldest ... */
	uint64_t last_seq;  /* ... newest (others may lie between, already sent) */
};

struct spool_stats {
	size_t batches;
	uint64_t bytes;        /* of the batch texts */
	uint64_t records;
	uint64_t max_bytes;
	uint64_t next_seq;
	uint64_t oldest_seq;   /* 0: empty */
	int64_t oldest_time;   /* unix seconds the oldest batch was spooled; 0: empty */
	unsigned cleaned;      /* leftover temporary, empty or misnamed files removed */
	unsigned foreign;      /* files that are none of the spool's, left alone */
	bool state_damaged;    /* the sequence state was unreadable: see spool_open() */
};

/* One batch read back by spool_peek(). */
struct spool_batch {
	uint64_t seq;
	unsigned records;
	size_t len;
	char *text; /* owned; NUL-terminated */
};

/*
 * Opens (creating it, mode 0700) the spool in dir with a limit of max_bytes
 * (> 0), and takes an exclusive lock on it (-EBUSY: another process has it).
 * Leftover temporary files, empty batch files and misnamed ones are removed
 * and counted in spool_stats.cleaned; other files are left alone. The next
 * sequence number follows the highest batch on disk or the state file,
 * whichever is higher. A spool with neither (new, or wiped by hand), or
 * whose state file is unreadable (state_damaged says so), starts at the
 * current time in microseconds, above anything an earlier spool counting one
 * per batch can have reached. Returns 0 or -errno.
 */
int spool_open(const char *dir, uint64_t max_bytes, struct spool **ret);

/* The sequence number the next spool_append() takes. */
uint64_t spool_next_seq(const struct spool *s);

/*
 * Appends the batch text (len > 0 bytes, holding seq) with seq, which must be
 * spool_next_seq() (-EINVAL otherwise). Writes a temporary file, fsyncs it,
 * renames it into place and fsyncs the directory; then, when the spool is
 * over its limit, deletes the oldest batches until it fits, and hands what
 * went to *ret_loss (all zero when nothing did; ret_loss may be NULL only
 * when the caller does not care, as tests do). -EMSGSIZE when the text
 * alone is over the limit (nothing changes). On any other failure nothing is
 * dropped, but seq is used up all the same: the caller encodes the batch
 * again with the next one.
 */
int spool_append(struct spool *s, uint64_t seq, const char *text, size_t len,
	unsigned records, struct spool_loss *ret_loss);

/*
 * Reads the oldest batches, at most max_batches (>= 1) of them and, past the
 * first, at most max_bytes in all: the first is returned whatever its size.
 * Hands an array of *ret_n batches (0 when the spool is empty) to *ret, to
 * free with spool_batches_free(). A batch that cannot be read stops the read
 * before it; when it is the first one, returns -errno (-EBADMSG when it
 * changed size) and the caller may spool_drop_oldest() it.
 */
int spool_peek(struct spool *s, size_t max_batches, size_t max_bytes,
	struct spool_batch **ret, size_t *ret_n);
void spool_batches_free(struct spool_batch *b, size_t n);

/*
 * Deletes every batch with a sequence number up to up_to_seq: the central has
 * them. Returns how many went, or -errno when a file could not be deleted
 * (those before it are gone, it and those after stay).
 */
int spool_ack(struct spool *s, uint64_t up_to_seq);

/*
 * Batches up to last_seq are being sent. Until spool_unpin(), the overflow
 * of spool_append() still deletes them when they are the oldest, but leaves
 * them out of its loss: whether the central has them is not known yet.
 */
void spool_pin(struct spool *s, uint64_t last_seq);
/*
 * The request ended; the central has every batch up to acked (0 when it
 * failed). Hands the pinned batches that the overflow deleted and the
 * central does not have to *ret_loss (all zero when none).
 */
void spool_unpin(struct spool *s, uint64_t acked, struct spool_loss *ret_loss);

/* Deletes the oldest batch unsent (a batch the central refuses); -ENOENT if empty. */
int spool_drop_oldest(struct spool *s, struct spool_loss *ret_loss);

void spool_get_stats(const struct spool *s, struct spool_stats *ret);

/* Closes the spool; the batches stay on disk for the next spool_open(). */
struct spool *spool_free(struct spool *s);
DEFINE_POINTER_CLEANUP(struct spool, spool_free)

#endif
