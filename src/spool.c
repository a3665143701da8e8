/* SPDX-License-Identifier: MIT */
/*
 * The spool: a directory of batch files, indexed in memory (sequence number,
 * record count, size, time) so that only spool_peek() reads them back.
 *
 * Durability: a batch is written to ".NAME.tmp", fsync'd, renamed to NAME and
 * the directory fsync'd, so a batch is either whole on disk or absent. The
 * lock is flock(2) on the directory, held while the spool is open.
 *
 * Sequence numbers never go back, also across restarts: at open the next
 * one follows the highest batch file, or the "state" file, whichever is
 * higher; a spool with neither (new, or wiped) starts at the current time
 * in microseconds, above any number an earlier spool can have reached. The state file holds the sequence number of the newest batch ever
 * written, and is rewritten (temporary file, fsync, rename, fsync of the
 * directory) only before the newest batch file is deleted, that is when the
 * spool becomes empty: until then that file itself is the record. So an ack
 * costs no fsync unless it empties the spool, and an append never writes the
 * state at all. Deleted batches need no fsync: one that comes back after a
 * crash is sent again, and the central counts it as a duplicate.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"

#define STATE_NAME "state"
#define STATE_TMP_NAME "state.tmp"
#define BATCH_SUFFIX ".batch"
#define TMP_SUFFIX ".tmp"
#define SEQ_DIGITS 20
/* "%020" PRIu64 "-%u.batch" and a leading '.' and ".tmp" for the temporary name. */
#define NAME_SIZE 64

struct entry {
	uint64_t seq;
	unsigned records;
	uint64_t size;
	int64_t time; /* unix seconds it was spooled (the file's mtime) */
};

struct spool {
	int dir_fd;              /* owned; O_DIRECTORY, flock'ed */
	struct entry *entries;   /* owned; [head, n) is the spool, oldest first */
	size_t head, n, allocated;
	uint64_t bytes, records, max_bytes;
	uint64_t next_seq;
	uint64_t highest_removed; /* of damaged batch files removed at open */
	/*
	 * Batches up to pinned are being sent; those the overflow deleted
	 * meanwhile wait in unsure until the answer tells if they are lost.
	 */
	uint64_t pinned;
	struct entry *unsure;     /* owned */
	size_t n_unsure, unsure_allocated;
	unsigned cleaned, foreign;
	bool state_damaged;
};

static void
batch_name(uint64_t seq, unsigned records, char buf[static NAME_SIZE])
{
	(void)snprintf(buf, NAME_SIZE, "%0*" PRIu64 "-%u" BATCH_SUFFIX, SEQ_DIGITS, seq,
		records);
}

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* "SEQ-RECORDS.batch" with exactly SEQ_DIGITS digits; seq 0 is never written. */
static bool
batch_name_parse(const char *name, uint64_t *ret_seq, unsigned *ret_records)
{
	size_t len = strlen(name), suffix = strlen(BATCH_SUFFIX), rec_len;
	char seq_s[SEQ_DIGITS + 1], rec_s[16];
	uint64_t seq, records;

	if (len <= SEQ_DIGITS + 1 + suffix || name[SEQ_DIGITS] != '-' ||
		strcmp(name + len - suffix, BATCH_SUFFIX) != 0)
		return false;
	rec_len = len - suffix - SEQ_DIGITS - 1;
	if (!all_digits(name, SEQ_DIGITS) || rec_len >= sizeof(rec_s) ||
		!all_digits(name + SEQ_DIGITS + 1, rec_len))
		return false;
	memcpy(seq_s, name, SEQ_DIGITS);
	seq_s[SEQ_DIGITS] = '\0';
	memcpy(rec_s, name + SEQ_DIGITS + 1, rec_len);
	rec_s[rec_len] = '\0';
	if (safe_atou64(seq_s, &seq) < 0 || seq == 0)
		return false;
	if (safe_atou64(rec_s, &records) < 0 || records > UINT32_MAX)
		return false;
	*ret_seq = seq;
	*ret_records = (unsigned)records;
	return true;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t len = strlen(s), n = strlen(suffix);

	return len >= n && strcmp(s + len - n, suffix) == 0;
}


static int
state_save(struct spool *s, uint64_t seq)
{
	char text[32];
	int len = snprintf(text, sizeof(text), "%" PRIu64 "\n", seq);

	return write_file_durably(s->dir_fd, STATE_TMP_NAME, STATE_NAME, text, (size_t)len, 0600);
}

/* The state file's sequence number; -ENOENT when there is none, -EBADMSG when damaged. */
static int
state_load(struct spool *s, uint64_t *ret)
{
	_cleanup_close_ int fd = openat(s->dir_fd, STATE_NAME,
		O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char text[32];
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0)
		return -errno;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (safe_atou64(text, ret) < 0)
		return -EBADMSG;
	return 0;
}

static struct entry *
entry_push(struct spool *s)
{
	if (s->n == s->allocated) {
		/* Reuse the room acked entries left at the front before growing. */
		if (s->head > 0) {
			memmove(s->entries, s->entries + s->head,
				(s->n - s->head) * sizeof(*s->entries));
			s->n -= s->head;
			s->head = 0;
		} else {
			s->allocated = MAX(s->allocated * 2, (size_t)64);
			s->entries = xrealloc(s->entries,
				s->allocated * sizeof(*s->entries));
		}
	}
	return &s->entries[s->n++];
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Looks at one directory entry at open: a batch, ours to clean, or foreign. */
static void
scan_one(struct spool *s, const char *name)
{
	struct stat st;
	struct entry *e;
	uint64_t seq;
	unsigned records;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		strcmp(name, STATE_NAME) == 0)
		return;
	if (strcmp(name, STATE_TMP_NAME) == 0 ||
		(name[0] == '.' && has_suffix(name, TMP_SUFFIX))) {
		s->cleaned += unlinkat(s->dir_fd, name, 0) == 0;
		return;
	}
	if (!has_suffix(name, BATCH_SUFFIX) ||
		fstatat(s->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		!S_ISREG(st.st_mode)) {
		s->foreign++;
		return;
	}
	if (!batch_name_parse(name, &seq, &records)) {
		s->cleaned += unlinkat(s->dir_fd, name, 0) == 0;
		return;
	}
	if (st.st_size == 0) {
		/* Damaged after it was spooled, maybe sent: its number stays used. */
		s->highest_removed = MAX(s->highest_removed, seq);
		s->cleaned += unlinkat(s->dir_fd, name, 0) == 0;
		return;
	}
	e = entry_push(s);
	*e = (struct entry){ .seq = seq, .records = records,
		.size = (uint64_t)st.st_size, .time = st.st_mtim.tv_sec };
}

/* Reads the directory into the index, oldest first; removes duplicates of a number. */
static int
scan(struct spool *s)
{
	int fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	size_t kept = 0;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		(void)close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		scan_one(s, de->d_name);
	(void)closedir(d);
	if (s->n > 1)
		qsort(s->entries, s->n, sizeof(*s->entries), entry_cmp);
	for (size_t i = 0; i < s->n; i++) {
		char name[NAME_SIZE];

		if (kept > 0 && s->entries[kept - 1].seq == s->entries[i].seq) {
			batch_name(s->entries[i].seq, s->entries[i].records, name);
			s->cleaned += unlinkat(s->dir_fd, name, 0) == 0;
			continue;
		}
		s->entries[kept++] = s->entries[i];
	}
	s->n = kept;
	for (size_t i = 0; i < s->n; i++) {
		s->bytes += s->entries[i].size;
		s->records += s->entries[i].records;
	}
	return 0;
}

static int
spool_open_dir(struct spool *s, const char *dir)
{
	int r = mkdir_p(dir, 0700);

	if (r < 0)
		return r;
	s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0)
		return -errno;
	if (flock(s->dir_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

int
spool_open(const char *dir, uint64_t max_bytes, struct spool **ret)
{
	_cleanup_(spool_freep) struct spool *s = NULL;
	uint64_t state = 0, highest;
	int r;

	if (max_bytes == 0)
		return -EINVAL;
	s = xcalloc(1, sizeof(*s));
	s->dir_fd = -1;
	s->max_bytes = max_bytes;
	r = spool_open_dir(s, dir);
	if (r < 0)
		return r;
	r = scan(s);
	if (r < 0)
		return r;
	highest = s->n > 0 ? s->entries[s->n - 1].seq : 0;
	highest = MAX(highest, s->highest_removed);
	r = state_load(s, &state);
	if (r == -EBADMSG || (r == -ENOENT && highest == 0)) {
		/*
		 * A damaged state, or no trace of any batch: a new spool, or
		 * one wiped by hand, whose old numbers the central may still
		 * hold. Resume above anything sent before: the current time in
		 * microseconds, never reached by one batch a second.
		 */
		s->state_damaged = r == -EBADMSG;
		state = MAX(highest, now_usec(CLOCK_REALTIME));
		/* Best effort: the next open need not jump again. */
		(void)state_save(s, state);
	} else if (r == -ENOENT)
		state = 0;
	else if (r < 0)
		return r;
	s->next_seq = MAX(highest, state) + 1;
	*ret = TAKE_PTR(s);
	return 0;
}

uint64_t
spool_next_seq(const struct spool *s)
{
	return s->next_seq;
}

static size_t
spool_count(const struct spool *s)
{
	return s->n - s->head;
}

static void
loss_add(struct spool_loss *loss, const struct entry *e)
{
	if (loss->batches == 0)
		loss->first_seq = e->seq;
	loss->last_seq = e->seq;
	loss->batches++;
	loss->records += e->records;
	loss->bytes += e->size;
}

/*
 * Deletes the oldest batch and adds it to loss (may be NULL). Before the
 * newest batch on disk goes, the state file takes over its number.
 */
static int
remove_oldest(struct spool *s, struct spool_loss *loss)
{
	struct entry *e = &s->entries[s->head];
	char name[NAME_SIZE];
	int r;

	if (spool_count(s) == 1) {
		r = state_save(s, e->seq);
		if (r < 0)
			return r;
	}
	batch_name(e->seq, e->records, name);
	if (unlinkat(s->dir_fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	if (loss)
		loss_add(loss, e);
	s->bytes -= e->size;
	s->records -= e->records;
	s->head++;
	if (s->head == s->n)
		s->head = s->n = 0;
	return 0;
}

int
spool_append(struct spool *s, uint64_t seq, const char *text, size_t len,
	unsigned records, struct spool_loss *ret_loss)
{
	struct spool_loss loss = { 0 };
	char name[NAME_SIZE], tmp[NAME_SIZE + 8];
	struct entry *e;
	int r;

	if (seq != s->next_seq || len == 0)
		return -EINVAL;
	if (len > s->max_bytes)
		return -EMSGSIZE;
	s->next_seq++;
	batch_name(seq, records, name);
	(void)snprintf(tmp, sizeof(tmp), ".%s" TMP_SUFFIX, name);
	r = write_file_durably(s->dir_fd, tmp, name, text, len, 0600);
	if (r < 0)
		return r;
	e = entry_push(s);
	*e = (struct entry){ .seq = seq, .records = records, .size = len,
		.time = (int64_t)time(NULL) };
	s->bytes += len;
	s->records += records;
	/* The new batch fits alone, so this stops before reaching it. */
	while (s->bytes > s->max_bytes && spool_count(s) > 1) {
		struct entry oldest = s->entries[s->head];
		bool sent = oldest.seq <= s->pinned;

		if (remove_oldest(s, sent ? NULL : &loss) < 0)
			break; /* over the limit rather than losing more than needed */
		if (sent) {
			s->unsure = xgrow(s->unsure, &s->unsure_allocated, s->n_unsure, 8,
				sizeof(*s->unsure));
			s->unsure[s->n_unsure++] = oldest;
		}
	}
	if (ret_loss)
		*ret_loss = loss;
	return 0;
}

static int
read_batch(struct spool *s, const struct entry *e, struct spool_batch *ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	char name[NAME_SIZE];
	size_t got = 0;

	batch_name(e->seq, e->records, name);
	fd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	text = xmalloc(e->size + 1);
	/* Read one byte more than expected, to notice a file that grew. */
	while (got <= e->size) {
		ssize_t n = read(fd, text + got, e->size + 1 - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != e->size)
		return -EBADMSG;
	text[got] = '\0';
	*ret = (struct spool_batch){ .seq = e->seq, .records = e->records, .len = got,
		.text = TAKE_PTR(text) };
	return 0;
}

int
spool_peek(struct spool *s, size_t max_batches, size_t max_bytes,
	struct spool_batch **ret, size_t *ret_n)
{
	size_t want = MIN(MAX(max_batches, (size_t)1), spool_count(s));
	size_t n = 0, bytes = 0;
	struct spool_batch *b = NULL;
	int r = 0;

	if (want > 0)
		b = xcalloc(want, sizeof(*b));
	for (; n < want; n++) {
		const struct entry *e = &s->entries[s->head + n];

		if (n > 0 && bytes + e->size > max_bytes)
			break;
		r = read_batch(s, e, &b[n]);
		if (r < 0)
			break;
		bytes += e->size;
	}
	if (n == 0 && r < 0) {
		free(b);
		return r;
	}
	*ret = b;
	*ret_n = n;
	return 0;
}

void
spool_batches_free(struct spool_batch *b, size_t n)
{
	for (size_t i = 0; b && i < n; i++)
		free(b[i].text);
	free(b);
}

int
spool_ack(struct spool *s, uint64_t up_to_seq)
{
	int n = 0, r;

	while (spool_count(s) > 0 && s->entries[s->head].seq <= up_to_seq) {
		r = remove_oldest(s, NULL);
		if (r < 0)
			return r;
		n++;
	}
	return n;
}

void
spool_pin(struct spool *s, uint64_t last_seq)
{
	s->pinned = last_seq;
}

void
spool_unpin(struct spool *s, uint64_t acked, struct spool_loss *ret_loss)
{
	struct spool_loss loss = { 0 };

	for (size_t i = 0; i < s->n_unsure; i++)
		if (s->unsure[i].seq > acked)
			loss_add(&loss, &s->unsure[i]);
	s->n_unsure = 0;
	s->pinned = 0;
	*ret_loss = loss;
}

int
spool_drop_oldest(struct spool *s, struct spool_loss *ret_loss)
{
	struct spool_loss loss = { 0 };
	int r;

	if (spool_count(s) == 0)
		return -ENOENT;
	r = remove_oldest(s, &loss);
	if (r < 0)
		return r;
	*ret_loss = loss;
	return 0;
}

void
spool_get_stats(const struct spool *s, struct spool_stats *ret)
{
	*ret = (struct spool_stats){
		.batches = spool_count(s),
		.bytes = s->bytes,
		.records = s->records,
		.max_bytes = s->max_bytes,
		.next_seq = s->next_seq,
		.oldest_seq = spool_count(s) > 0 ? s->entries[s->head].seq : 0,
		.oldest_time = spool_count(s) > 0 ? s->entries[s->head].time : 0,
		.cleaned = s->cleaned,
		.foreign = s->foreign,
		.state_damaged = s->state_damaged,
	};
}

struct spool *
spool_free(struct spool *s)
{
	if (!s)
		return NULL;
	if (s->dir_fd >= 0)
		(void)close(s->dir_fd);
	free(s->entries);
	free(s->unsure);
	free(s);
	return NULL;
}
