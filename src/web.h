/* SPDX-License-Identifier: MIT */
/*
 * The HTTP face (docs/api.md): the JSON API, the dashboard, PNG graphs and
 * /metrics, served read-only on the addresses conf_resolve_http_listen()
 * gives, with optional basic auth and TLS. It reads the view and asks the
 * daemon for its own figures when a page needs them. Graphs and probe
 * availability come from healthmondctl processes (grapher.h), so nothing
 * here waits on an RRD file.
 */
#ifndef HM_WEB_H
#define HM_WEB_H

#include <systemd/sd-event.h>

#include "conf.h"
#include "selfstatus.h"
#include "view.h"

struct web;

/* Fills ret with healthmond's own figures (web_refused and http are filled in after). */
typedef void (*web_status_fn)(struct self_status *ret, void *userdata);

/*
 * Builds the HTTP face of conf (borrowed, as is view: both must outlive it):
 * loads the auth file, reads the TLS files and opens the listening sockets
 * (taking over those previous, a running web of an older config, has for
 * the same addresses). Returns 0, or -errno after logging what failed.
 */
int web_new(const struct hm_conf *conf, struct view *view, web_status_fn status,
	void *userdata, struct web *previous, struct web **ret);
/* Serves on e and schedules the availability refresh. 0, or -errno after logging. */
int web_start(struct web *w, sd_event *e);
/* The port of the i-th listen address (tests ask for port 0). */
int web_port(const struct web *w, size_t i);
/* Answers what waits (503), stops serving, frees w. */
struct web *web_free(struct web *w);
DEFINE_POINTER_CLEANUP(struct web, web_free)

#endif
