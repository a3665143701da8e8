/* SPDX-License-Identifier: MIT */
/*
 * Loading libcurl with dlopen(3) the first time probes (or, later, uploads)
 * need it; see dlcurl.h for why. The soname is the one the build compiled
 * against, so the headers and the library always agree.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "dlcurl.h"
#include "macro.h"

CURLcode (*sym_curl_global_init)(long flags);
void (*sym_curl_global_cleanup)(void);
CURL *(*sym_curl_easy_init)(void);
CURLcode (*sym_curl_easy_setopt)(CURL *curl, CURLoption option, ...);
CURLcode (*sym_curl_easy_getinfo)(CURL *curl, CURLINFO info, ...);
void (*sym_curl_easy_cleanup)(CURL *curl);
const char *(*sym_curl_easy_strerror)(CURLcode code);
CURLM *(*sym_curl_multi_init)(void);
CURLMcode (*sym_curl_multi_setopt)(CURLM *multi, CURLMoption option, ...);
CURLMcode (*sym_curl_multi_add_handle)(CURLM *multi, CURL *easy);
CURLMcode (*sym_curl_multi_remove_handle)(CURLM *multi, CURL *easy);
CURLMcode (*sym_curl_multi_assign)(CURLM *multi, curl_socket_t s, void *p);
CURLMcode (*sym_curl_multi_socket_action)(CURLM *multi, curl_socket_t s, int ev_bitmask,
	int *running_handles);
CURLMsg *(*sym_curl_multi_info_read)(CURLM *multi, int *msgs_in_queue);
CURLMcode (*sym_curl_multi_cleanup)(CURLM *multi);
struct curl_slist *(*sym_curl_slist_append)(struct curl_slist *l, const char *s);
void (*sym_curl_slist_free_all)(struct curl_slist *l);

#define SYMBOL(name) { #name, (void **)&sym_##name }
static const struct {
	const char *name;
	void **ptr;
} symbols[] = {
	SYMBOL(curl_global_init),
	SYMBOL(curl_global_cleanup),
	SYMBOL(curl_easy_init),
	SYMBOL(curl_easy_setopt),
	SYMBOL(curl_easy_getinfo),
	SYMBOL(curl_easy_cleanup),
	SYMBOL(curl_easy_strerror),
	SYMBOL(curl_multi_init),
	SYMBOL(curl_multi_setopt),
	SYMBOL(curl_multi_add_handle),
	SYMBOL(curl_multi_remove_handle),
	SYMBOL(curl_multi_assign),
	SYMBOL(curl_multi_socket_action),
	SYMBOL(curl_multi_info_read),
	SYMBOL(curl_multi_cleanup),
	SYMBOL(curl_slist_append),
	SYMBOL(curl_slist_free_all),
};

static void *handle;     /* never closed: the pointers stay valid for good */
static const char *error; /* dlerror()'s text, static storage */

int
dlcurl_open(void)
{
	if (handle)
		return 0;
	if (error)
		return -EOPNOTSUPP;
	handle = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		error = dlerror();
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < ELEMENTSOF(symbols); i++) {
		*symbols[i].ptr = dlsym(handle, symbols[i].name);
		if (!*symbols[i].ptr) {
			error = dlerror();
			(void)dlclose(handle);
			handle = NULL;
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

const char *
dlcurl_error(void)
{
	return error ? error : "libcurl loaded";
}
