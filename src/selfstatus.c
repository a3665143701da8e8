/* SPDX-License-Identifier: MIT */
/*
 * healthmond's own figures: the names of the web face's refusals (the
 * reason label of healthmond_http_refused_total).
 */
#include "selfstatus.h"

static const char *const refusal_names[_WEB_REFUSED_MAX] = {
	[WEB_REFUSED_BAD_REQUEST] = "bad_request",
	[WEB_REFUSED_AUTH] = "unauthorized",
	[WEB_REFUSED_NOT_FOUND] = "not_found",
	[WEB_REFUSED_BUSY] = "busy",
};

const char *
web_refusal_to_string(enum web_refusal r)
{
	return r >= 0 && r < _WEB_REFUSED_MAX ? refusal_names[r] : NULL;
}
