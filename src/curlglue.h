/* SPDX-License-Identifier: MIT */
/*
 * libcurl's multi interface on sd-event: one CURLM per event loop, shared by
 * everything on that loop that makes HTTP requests (URL probes, uploads to
 * the central), as DESIGN.md asks. curl tells the glue which sockets to watch
 * and when to wake it; the glue hands every wake-up back to curl and reports
 * each finished transfer to the callback its owner gave. The glue owns
 * CURLOPT_PRIVATE of the handles it runs. Nothing here logs.
 */
#ifndef HM_CURLGLUE_H
#define HM_CURLGLUE_H

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "macro.h"

struct curlglue;

/*
 * A transfer finished with result (CURLE_OK: a response arrived, whatever
 * its status). The handle is already out of the multi handle and belongs to
 * the caller again, who may clean it up or add it anew. The callback may add
 * and remove transfers and drop its reference to the glue.
 */
typedef void (*curlglue_done_fn)(CURL *easy, CURLcode result, void *userdata);

/*
 * Returns a new reference to the glue of loop e, making it on first use:
 * loads libcurl (dlcurl.h), calls curl_global_init() and makes the multi
 * handle. Returns 0, -EOPNOTSUPP when libcurl cannot be loaded, -EIO when
 * curl refuses to initialise, or -errno from sd-event.
 */
int curlglue_acquire(sd_event *e, struct curlglue **ret);
/* Drops a reference; the last one frees the glue (later, when inside its callback). */
struct curlglue *curlglue_unref(struct curlglue *g);
DEFINE_POINTER_CLEANUP(struct curlglue, curlglue_unref)

/*
 * Starts easy (set up by the caller, who keeps owning it); done is called
 * once when it finishes. Returns 0, or -EIO when curl refuses the handle.
 */
int curlglue_add(struct curlglue *g, CURL *easy, curlglue_done_fn done, void *userdata);
/* Cancels a running transfer without calling its callback; no-op if not running. */
void curlglue_remove(struct curlglue *g, CURL *easy);
/* Transfers running now, for all owners. */
size_t curlglue_running(const struct curlglue *g);

#endif
