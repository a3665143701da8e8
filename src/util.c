/* SPDX-License-Identifier: MIT */
/*
 * Allocation, number parsing, file reading, string vectors and names: the
 * small pieces every module needs. Nothing here logs.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void
oom(size_t size)
{
	fprintf(stderr, "healthmond: out of memory allocating %zu bytes\n", size);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		oom(size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *
xrealloc(void *old, size_t size)
{
	void *p = realloc(old, size ? size : 1);

	if (!p)
		oom(size);
	return p;
}

void *
xgrow(void *p, size_t *allocated, size_t n, size_t min_alloc, size_t size)
{
	if (n < *allocated)
		return p;
	*allocated = MAX(MAX(*allocated * 2, min_alloc), n + 1);
	if (*allocated > SIZE_MAX / size)
		oom(SIZE_MAX);
	return xrealloc(p, *allocated * size);
}

int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
write_file_durably(int dir_fd, const char *tmp_name, const char *name,
	const char *text, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = openat(dir_fd, tmp_name,
		O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r >= 0 && renameat(dir_fd, tmp_name, dir_fd, name) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dir_fd, tmp_name, 0);
		return r;
	}
	if (fsync(dir_fd) < 0) {
		r = -errno;
		(void)unlinkat(dir_fd, name, 0);
		return r;
	}
	return 0;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom(strlen(s) + 1);
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		oom(n + 1);
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(strlen(fmt));
	return p;
}

int
safe_atou64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts "-1" and leading blanks; a strict parser does not. */
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

int
safe_atoi64(const char *s, int64_t *ret)
{
	long long v;
	char *end;

	if (!s || !(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

int
safe_atod(const char *s, double *ret)
{
	double v;
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v))
		return -ERANGE;
	*ret = v;
	return 0;
}

char *
path_join(const char *root, const char *path)
{
	size_t n;

	if (!root || !*root || strcmp(root, "/") == 0)
		return xstrdup(path);
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	while (*path == '/')
		path++;
	return xasprintf("%.*s/%s", (int)n, root, path);
}

int
read_file_at(const char *root, const char *path, size_t max_size, char **ret,
	size_t *ret_len)
{
	_cleanup_free_ char *full = path_join(root, path);
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, allocated = 4096;

	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = xmalloc(allocated);
	/* /proc files report size 0, so read until EOF instead of trusting st_size. */
	for (;;) {
		ssize_t k;

		if (len + 1 >= allocated) {
			if (allocated > max_size)
				return -EFBIG;
			allocated *= 2;
			buf = xrealloc(buf, allocated);
		}
		k = read(fd, buf + len, allocated - len - 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > max_size)
			return -EFBIG;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int
mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

size_t
strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

bool
strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

bool
strv_fnmatch(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (fnmatch(v[i], s, 0) == 0)
			return true;
	return false;
}

char **
strv_copy(char *const *v)
{
	size_t n = strv_length(v);
	char **c = xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

void
strv_push(char ***v, const char *s)
{
	size_t n = strv_length(*v);

	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

bool
strv_equal(char *const *a, char *const *b)
{
	size_t n = strv_length(a);

	if (n != strv_length(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

char **
strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
	return NULL;
}

static bool
name_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

bool
name_is_valid(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > NAME_MAX_LEN || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char_ok(s[i]))
			return false;
	return true;
}

void
name_sanitize(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size && i < NAME_MAX_LEN; i++)
		buf[i] = name_char_ok(s[i]) ? s[i] : '_';
	buf[i] = '\0';
	if (i == 0 && size > 1) {
		buf[0] = '_';
		buf[1] = '\0';
	} else if (buf[0] == '.' || buf[0] == '-')
		buf[0] = '_';
}

bool
sorted_find(const void *base, size_t n, size_t size, const char *name,
	const char *(*key)(const void *element), size_t *ret_index)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, key((const char *)base + mid * size));

		if (c == 0) {
			*ret_index = mid;
			return true;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*ret_index = lo;
	return false;
}

uint64_t
now_usec(int clock_id)
{
	struct timespec ts;

	(void)clock_gettime(clock_id, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
random_below(uint64_t bound)
{
	uint64_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = now_usec(CLOCK_MONOTONIC) * 6364136223846793005ULL;
	return bound ? r % bound : 0;
}
