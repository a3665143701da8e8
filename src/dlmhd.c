/* SPDX-License-Identifier: MIT */
/* Loading libmicrohttpd and GnuTLS on demand; see dlmhd.h and dl.h. */
#include <stddef.h>

#include "dl.h"
#include "dlmhd.h"
#include "macro.h"

#define DLMHD_DEFINE(fn) __typeof__(fn) *sym_##fn;
DLMHD_FUNCTIONS(DLMHD_DEFINE)
DLMHD_GNUTLS_FUNCTIONS(DLMHD_DEFINE)
#undef DLMHD_DEFINE

#define DLMHD_ENTRY(fn) DL_SYMBOL(fn),
static const struct dl_symbol mhd_symbols[] = { DLMHD_FUNCTIONS(DLMHD_ENTRY) };
static const struct dl_symbol gnutls_symbols[] = { DLMHD_GNUTLS_FUNCTIONS(DLMHD_ENTRY) };
#undef DLMHD_ENTRY

static void *mhd_handle, *gnutls_handle;
static const char *error; /* dlerror()'s text, static storage */

int
dlmhd_open(void)
{
	int r;

	r = dl_open(MHD_SONAME, mhd_symbols, ELEMENTSOF(mhd_symbols), &mhd_handle, &error);
	if (r < 0)
		return r;
	return dl_open(GNUTLS_SONAME, gnutls_symbols, ELEMENTSOF(gnutls_symbols),
		&gnutls_handle, &error);
}

const char *
dlmhd_error(void)
{
	return error ? error : "libmicrohttpd and GnuTLS loaded";
}
