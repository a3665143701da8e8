/* SPDX-License-Identifier: MIT */
/*
 * Small helpers for scope-bound cleanup and ownership transfer, after
 * systemd's cleanup-fundamental.h: `_cleanup_free_ char *s = ...;` frees s
 * when it goes out of scope, and `return TAKE_PTR(s);` hands it to the caller.
 */
#ifndef HM_MACRO_H
#define HM_MACRO_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Returns p and sets the variable to NULL, so that its cleanup does nothing. */
#define TAKE_PTR(p)                                                                  \
	({                                                                           \
		__typeof__(p) _taken = (p);                                          \
		(p) = NULL;                                                          \
		_taken;                                                              \
	})

/* Returns fd and sets the variable to -1. */
#define TAKE_FD(fd)                                                                  \
	({                                                                           \
		int _taken_fd = (fd);                                                \
		(fd) = -1;                                                           \
		_taken_fd;                                                           \
	})

/* Defines name##p(type *), calling func(*p) when *p is not NULL. */
#define DEFINE_POINTER_CLEANUP(type, func)                                           \
	static inline void func##p(type **p)                                         \
	{                                                                            \
		if (*p)                                                              \
			(void)func(*p);                                              \
	}

static inline void
freep(void *p)
{
	free(*(void **)p);
}

static inline void
closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

#define USEC_PER_SEC ((uint64_t)1000000)
#define USEC_PER_MSEC ((uint64_t)1000)

#endif
