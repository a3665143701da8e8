/* SPDX-License-Identifier: MIT */
/*
 * The central role: receives agents' batches over HTTP (ingest.h) into one
 * RRD store for the fleet, and watches that every known host keeps sending:
 * a host quiet for longer than host_timeout gets one 'host silent' event
 * (check host_silent, critical), reminders at growing intervals while it
 * lasts, and a recovery when it sends again.
 */
#ifndef HM_CENTRAL_H
#define HM_CENTRAL_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "http.h"
#include "ingest.h"

struct central;

struct central_status {
	size_t hosts;           /* known hosts */
	size_t silent;          /* of which silent */
	double batches_per_sec; /* batches applied, over the last few seconds */
	uint64_t refused;       /* requests refused, since start, reloads included */
	uint64_t failed;        /* requests answered 503 */
	struct ingest_stats ingest; /* since start, reloads included */
	struct http_stats http;     /* since start, reloads included */
};

/*
 * Builds the central for conf (borrowed; it must outlive the central):
 * resolves the data directory, loads the tokens and the hosts' sequence
 * marks, reads the TLS files and binds the listening sockets, so that a
 * failure shows before the daemon goes to the background. previous, when
 * not NULL, is the running central of a reload: its sockets are taken over
 * for the addresses that stay, and its hosts' liveness and its counters
 * carry over. Returns 0, or -errno after logging what failed.
 */
int central_new(const struct hm_conf *conf, struct central *previous,
	struct central **ret);
/* Serves on e and starts the liveness timer. 0, or -errno after logging. */
int central_start(struct central *c, sd_event *e);
void central_get_status(const struct central *c, struct central_status *ret);
/* "central: 3 hosts reporting, 1 silent, 0.3 batches/s, 2 refused" */
void central_format_status(const struct central *c, char *buf, size_t size);
/* The port of the i-th listen address (tests listen on port 0). */
int central_port(const struct central *c, size_t i);
const char *central_datadir(const struct central *c);
/*
 * Feeds v (borrowed; NULL: none) from now on with the fleet: what agents
 * send and which hosts are silent, for the HTTP face.
 */
struct view;
void central_set_view(struct central *c, struct view *v);
/* Runs the liveness check now (tests). */
void central_check_liveness(struct central *c);
struct central *central_free(struct central *c);
DEFINE_POINTER_CLEANUP(struct central, central_free)

#endif
