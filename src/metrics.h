/* SPDX-License-Identifier: MIT */
/*
 * /metrics: the view and healthmond's own figures in the Prometheus text
 * exposition format, version 0.0.4. docs/metrics.md lists every family.
 */
#ifndef HM_METRICS_H
#define HM_METRICS_H

#include <stddef.h>

#include "selfstatus.h"
#include "view.h"

/*
 * The exposition of v and self, as a new NUL-terminated text the caller
 * frees; *ret_len (may be NULL) is its length. Every family has # HELP and
 * # TYPE lines; unknown (NAN) values are left out rather than shown as NaN.
 * Never fails (allocation failure aborts).
 */
char *metrics_render(const struct view *v, const struct self_status *self,
	size_t *ret_len);

#endif
