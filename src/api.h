/* SPDX-License-Identifier: MIT */
/*
 * The JSON API of docs/api.md, version 1: each function answers one GET
 * from the view and healthmond's own status. Parameters are checked here
 * (400 with a message naming the parameter); the caller has already
 * refused unknown parameters and authenticated the request.
 */
#ifndef HM_API_H
#define HM_API_H

#include <jansson.h>

#include "http.h"
#include "selfstatus.h"
#include "view.h"

#define API_EVENTS_LIMIT_DEFAULT 100
#define API_EVENTS_LIMIT_MAX 10000

void api_status(struct http_request *r, const struct view *v, const struct self_status *self);
void api_hosts(struct http_request *r, const struct view *v);
void api_host(struct http_request *r, const struct view *v);
void api_events(struct http_request *r, const struct view *v);
void api_help(struct http_request *r, const struct view *v);

/* An event as the API shows it (also the events file's fields, plus message). */
json_t *api_event_json(const struct view_event *e);
/* Answers o as application/json and drops the reference. */
void api_respond_json(struct http_request *r, json_t *o);

#endif
