/* SPDX-License-Identifier: MIT */
/*
 * Loading libcurl with dlopen(3) the first time probes (or, later, uploads)
 * need it; see dlcurl.h for why. The soname is the one the build compiled
 * against, so the headers and the library always agree.
 */
#include <stddef.h>

#include "dl.h"
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

static const struct dl_symbol symbols[] = {
	DL_SYMBOL(curl_global_init),
	DL_SYMBOL(curl_global_cleanup),
	DL_SYMBOL(curl_easy_init),
	DL_SYMBOL(curl_easy_setopt),
	DL_SYMBOL(curl_easy_getinfo),
	DL_SYMBOL(curl_easy_cleanup),
	DL_SYMBOL(curl_easy_strerror),
	DL_SYMBOL(curl_multi_init),
	DL_SYMBOL(curl_multi_setopt),
	DL_SYMBOL(curl_multi_add_handle),
	DL_SYMBOL(curl_multi_remove_handle),
	DL_SYMBOL(curl_multi_assign),
	DL_SYMBOL(curl_multi_socket_action),
	DL_SYMBOL(curl_multi_info_read),
	DL_SYMBOL(curl_multi_cleanup),
	DL_SYMBOL(curl_slist_append),
	DL_SYMBOL(curl_slist_free_all),
};

static void *handle;
static const char *error; /* dlerror()'s text, static storage */

int
dlcurl_open(void)
{
	return dl_open(CURL_SONAME, symbols, ELEMENTSOF(symbols), &handle, &error);
}

const char *
dlcurl_error(void)
{
	return error ? error : "libcurl loaded";
}
