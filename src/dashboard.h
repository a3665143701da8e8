/* SPDX-License-Identifier: MIT */
/*
 * The dashboard: HTML5 pages with inline CSS, no scripts, refreshing
 * themselves every 30 seconds, readable on a laptop and a phone. The fleet
 * page (GET /) shows healthmond's own status, the hosts by state, the URL
 * probes, the failing checks with their remedies from the message catalog
 * and the recent events; the host page (GET /host?host=NAME) one host's
 * checks, latest values and graphs. Everything taken from the view is
 * HTML-escaped. Graphs are <img> elements pointing at /api/v1/graph.
 */
#ifndef HM_DASHBOARD_H
#define HM_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "selfstatus.h"
#include "view.h"

/*
 * Looks up a probe's availability (fraction 0..1) over period "1d" or
 * "7d"; false when not known yet.
 */
typedef bool (*dashboard_avail_fn)(const char *host, const char *series,
	const char *period, double *ret, void *userdata);

/*
 * The fleet page, as a new NUL-terminated text the caller frees; *ret_len
 * (may be NULL) is its length. avail may be NULL (no availability shown).
 * Never fails (allocation failure aborts).
 */
char *dashboard_render_fleet(const struct view *v, const struct self_status *self,
	dashboard_avail_fn avail, void *userdata, size_t *ret_len);

/*
 * The page of host h (one of v's), its graphs over period: "1h", "1d",
 * "1w", "1m" or "1y" (anything else is taken as "1d"). Otherwise as
 * dashboard_render_fleet().
 */
char *dashboard_render_host(const struct view *v, const struct view_host *h,
	const struct self_status *self, const char *period, dashboard_avail_fn avail,
	void *userdata, size_t *ret_len);

#endif
