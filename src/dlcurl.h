/* SPDX-License-Identifier: MIT */
/*
 * libcurl, loaded on first use. libcurl's dependency chain (OpenSSL, GnuTLS
 * through librtmp, LDAP, SSH, nghttp2, ...) adds 29 libraries and about
 * 6 MiB of resident memory to every process that links it, whether it probes
 * anything or not; an agent without probes or forwarding never loads it (as
 * collectd loads its curl plugin only when configured, and as systemd loads
 * its optional libraries). Callers use the sym_curl_* pointers after a
 * successful dlcurl_open().
 */
#ifndef HM_DLCURL_H
#define HM_DLCURL_H

#include <curl/curl.h>

/* Loads libcurl once; 0, or -EOPNOTSUPP when it cannot be loaded (see dlcurl_error()). */
int dlcurl_open(void);
/* dlerror()'s text from the failed load; borrowed. */
const char *dlcurl_error(void);

extern CURLcode (*sym_curl_global_init)(long flags);
extern void (*sym_curl_global_cleanup)(void);
extern CURL *(*sym_curl_easy_init)(void);
extern CURLcode (*sym_curl_easy_setopt)(CURL *curl, CURLoption option, ...);
extern CURLcode (*sym_curl_easy_getinfo)(CURL *curl, CURLINFO info, ...);
extern void (*sym_curl_easy_cleanup)(CURL *curl);
extern const char *(*sym_curl_easy_strerror)(CURLcode code);
extern CURLM *(*sym_curl_multi_init)(void);
extern CURLMcode (*sym_curl_multi_setopt)(CURLM *multi, CURLMoption option, ...);
extern CURLMcode (*sym_curl_multi_add_handle)(CURLM *multi, CURL *easy);
extern CURLMcode (*sym_curl_multi_remove_handle)(CURLM *multi, CURL *easy);
extern CURLMcode (*sym_curl_multi_assign)(CURLM *multi, curl_socket_t s, void *p);
extern CURLMcode (*sym_curl_multi_socket_action)(CURLM *multi, curl_socket_t s,
	int ev_bitmask, int *running_handles);
extern CURLMsg *(*sym_curl_multi_info_read)(CURLM *multi, int *msgs_in_queue);
extern CURLMcode (*sym_curl_multi_cleanup)(CURLM *multi);
extern struct curl_slist *(*sym_curl_slist_append)(struct curl_slist *l, const char *s);
extern void (*sym_curl_slist_free_all)(struct curl_slist *l);

#endif
