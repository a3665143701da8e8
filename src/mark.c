/* SPDX-License-Identifier: MIT */
/*
 * The mark file is two lines: the number in 20 digits, and a check of those
 * digits (FNV-1a, 8 hex digits): 30 bytes. A mark moves with nearly every
 * request, so it is rewritten in place: pwrite(2) at offset 0 and one
 * fdatasync(2). A temporary file, a rename and fsyncs of the file and the
 * directory would cost several times as much (880 against 150 us a write on
 * the machines of bench/central-ingest), and the central writes one mark
 * per request. The record lies within one disk sector, which disks write
 * whole; should a write tear all the same, the check fails and the file
 * reads as damaged, which the central takes as no mark (batches are applied
 * again: their samples skip as duplicates, events repeat), never as a wrong
 * number that would make it discard batches.
 *
 * The file is created once through a temporary file and a rename, so it is
 * never seen empty. A single line with just a number (no check) is read too.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mark.h"
#include "util.h"

#define MARK_TMP_FILE ".ingest-seq.tmp"
#define MARK_DIGITS 20
#define MARK_SIZE (MARK_DIGITS + 1 + 8 + 1)
#define MARK_READ_MAX 64

static uint32_t
fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static void
mark_format(uint64_t mark, char buf[static MARK_SIZE + 1])
{
	(void)snprintf(buf, MARK_SIZE + 1, "%0*" PRIu64 "\n", MARK_DIGITS, mark);
	(void)snprintf(buf + MARK_DIGITS + 1, 8 + 2, "%08" PRIx32 "\n",
		fnv1a(buf, MARK_DIGITS));
}

int
mark_read(const char *host_dir, uint64_t *ret)
{
	_cleanup_free_ char *path = xasprintf("%s/" MARK_FILE, host_dir);
	_cleanup_free_ char *text = NULL;
	char *check;
	size_t len;
	int r;

	r = read_file_at(NULL, path, MARK_READ_MAX, &text, &len);
	if (r < 0)
		return r;
	if (len == 0 || text[len - 1] != '\n')
		return -EBADMSG;
	text[len - 1] = '\0';
	check = strchr(text, '\n');
	if (check) {
		char want[MARK_SIZE + 1];

		*check++ = '\0';
		if (strlen(text) != MARK_DIGITS)
			return -EBADMSG;
		(void)snprintf(want, sizeof(want), "%08" PRIx32,
			fnv1a(text, MARK_DIGITS));
		if (strcmp(check, want) != 0)
			return -EBADMSG;
	}
	return safe_atou64(text, ret) < 0 ? -EBADMSG : 0;
}

int
mark_write(const char *host_dir, uint64_t mark)
{
	_cleanup_free_ char *path = xasprintf("%s/" MARK_FILE, host_dir);
	_cleanup_close_ int fd = -1, dfd = -1;
	char buf[MARK_SIZE + 1];
	ssize_t n;

	mark_format(mark, buf);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		dfd = open(host_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
		return write_file_durably(dfd, MARK_TMP_FILE, MARK_FILE, buf, MARK_SIZE,
			0644);
	}
	n = pwrite(fd, buf, MARK_SIZE, 0);
	if (n < 0)
		return -errno;
	if (n != MARK_SIZE)
		return -EIO;
	/* A one-line file of the older format (at most 21 bytes) is all overwritten. */
	if (fdatasync(fd) < 0)
		return -errno;
	return 0;
}
