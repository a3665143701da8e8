/* SPDX-License-Identifier: MIT */
/*
 * healthmond's own figures, gathered by the daemon when a page asks, for
 * the status API, /metrics and the dashboard.
 */
#ifndef HM_SELFSTATUS_H
#define HM_SELFSTATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "central.h"
#include "forward.h"
#include "grapher.h"
#include "http.h"
#include "latency.h"
#include "store.h"
#include "view.h"

enum web_refusal {
	WEB_REFUSED_BAD_REQUEST,  /* 400: bad parameters */
	WEB_REFUSED_AUTH,         /* 401 */
	WEB_REFUSED_NOT_FOUND,    /* 404, 405 */
	WEB_REFUSED_BUSY,         /* 503: the graph queue is full */
	_WEB_REFUSED_MAX,
};
const char *web_refusal_to_string(enum web_refusal r); /* "bad_request", ... */

struct self_status {
	const char *host;        /* this daemon's host name */
	const char *version;     /* PACKAGE_VERSION */
	bool central;            /* the central role is on */
	int64_t started;         /* unix seconds */
	struct agent_status agent;
	bool forwarding;         /* forward is filled in */
	struct forward_status forward;
	struct central_status fleet; /* when central */
	struct self_latency rrd_write; /* the local store's writes */
	struct view_stats view;
	struct grapher_stats graphs;
	struct http_stats http;  /* the web face's server */
	uint64_t web_refused[_WEB_REFUSED_MAX];
};

#endif
