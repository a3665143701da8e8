/* SPDX-License-Identifier: MIT */
/*
 * Allocation that aborts on exhaustion (we are a restartable daemon), safe
 * number parsing, whole-file reads, string vectors, and name validation.
 * Nothing here logs.
 */
#ifndef HM_UTIL_H
#define HM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Internal bookkeeping allocations: on failure these print to stderr and abort. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/*
 * An array p of *allocated elements of size bytes, grown when it holds n
 * (doubling, at least min_alloc) so that element n fits.
 */
void *xgrow(void *p, size_t *allocated, size_t n, size_t min_alloc, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

/* Strict decimal parsing: the whole string must be a number in range. -EINVAL or -ERANGE. */
int safe_atou64(const char *s, uint64_t *ret);
int safe_atoi64(const char *s, int64_t *ret);
int safe_atod(const char *s, double *ret);

/*
 * Reads all of root/path (root may be NULL or "/") into a NUL-terminated buffer
 * of at most max_size bytes. Returns 0 and hands the buffer to *ret, -EFBIG when
 * the file is larger, or -errno.
 */
int read_file_at(const char *root, const char *path, size_t max_size, char **ret,
	size_t *ret_len);

/* Joins root and path without doubling the slash; root NULL or "/" yields path. */
char *path_join(const char *root, const char *path);

/* Creates a directory and its parents. 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);

/* write(2) until all of buf is written, or -errno. */
int write_all(int fd, const char *buf, size_t len);
/*
 * Writes text to tmp_name in dir_fd (created with mode), fsyncs it, renames
 * it to name and fsyncs the directory: the file is whole or absent, also
 * after a crash. On failure nothing is left under either name. -errno.
 */
int write_file_durably(int dir_fd, const char *tmp_name, const char *name,
	const char *text, size_t len, mode_t mode);

/* NULL-terminated string vectors; all functions accept NULL as the empty vector. */
size_t strv_length(char *const *v);
bool strv_contains(char *const *v, const char *s);
/* True when s matches one of the shell patterns in v (fnmatch(3), "veth*"). */
bool strv_fnmatch(char *const *v, const char *s);
char **strv_copy(char *const *v);
void strv_push(char ***v, const char *s);
bool strv_equal(char *const *a, char *const *b);
char **strv_free(char **v);
DEFINE_POINTER_CLEANUP(char *, strv_free)

/*
 * Host and series names become path components: 1..63 characters of
 * [A-Za-z0-9._-], not starting with '.' or '-'. So no '/', no "..".
 */
#define NAME_MAX_LEN 63
bool name_is_valid(const char *s);
/* Copies s into buf (size > 0), replacing characters a name may not hold by '_'. */
void name_sanitize(const char *s, char *buf, size_t size);

/*
 * Binary search for name in an array of n elements of `size` bytes sorted by
 * the name key(element) gives. Returns true and the element's index, or
 * false and the index where it would be inserted.
 */
bool sorted_find(const void *base, size_t n, size_t size, const char *name,
	const char *(*key)(const void *element), size_t *ret_index);

/* Monotonic and wall-clock time in microseconds. */
uint64_t now_usec(int clock_id);

/* A uniformly distributed value in [0, bound); bound > 0. Not for cryptography. */
uint64_t random_below(uint64_t bound);

#endif
