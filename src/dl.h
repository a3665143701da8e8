/* SPDX-License-Identifier: MIT */
/*
 * Loading an optional library with dlopen(3) and resolving a table of its
 * functions into pointers, all or nothing (after systemd's dlopen helpers).
 * Used for the libraries only some roles need: libcurl (probes, uploads),
 * libmicrohttpd and GnuTLS (the central), whose dependency chains would
 * otherwise cost every agent several MiB of resident memory.
 */
#ifndef HM_DL_H
#define HM_DL_H

#include <stddef.h>

struct dl_symbol {
	const char *name;
	void **ptr;
};

#define DL_SYMBOL(fn) { #fn, (void **)&sym_##fn }

/*
 * Loads soname once into *handle and fills every pointer of syms. Returns 0,
 * or -EOPNOTSUPP with dlerror()'s text in *ret_error (static storage) when the
 * library or one of the symbols is missing; a failure is remembered and
 * returned again without retrying.
 */
int dl_open(const char *soname, const struct dl_symbol *syms, size_t n, void **handle,
	const char **ret_error);

#endif
