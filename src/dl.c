/* SPDX-License-Identifier: MIT */
/* dlopen(3) of optional libraries with a table of symbols; see dl.h. */
#include <dlfcn.h>
#include <errno.h>

#include "dl.h"

int
dl_open(const char *soname, const struct dl_symbol *syms, size_t n, void **handle,
	const char **ret_error)
{
	void *h;

	if (*handle)
		return 0;
	if (*ret_error)
		return -EOPNOTSUPP;
	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		*ret_error = dlerror();
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < n; i++) {
		*syms[i].ptr = dlsym(h, syms[i].name);
		if (!*syms[i].ptr) {
			*ret_error = dlerror();
			(void)dlclose(h);
			return -EOPNOTSUPP;
		}
	}
	/* Never closed: the pointers stay valid for the life of the process. */
	*handle = h;
	return 0;
}
