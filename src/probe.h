/* SPDX-License-Identifier: MIT */
/*
 * URL probes. Every probe runs on its own jittered periodic timer; all of
 * them share one curl multi handle driven by sd-event through curl's socket
 * and timer callbacks, so no probe blocks the loop or waits for another.
 * At most conf->max_probes_in_flight requests run at once; the rest queue
 * in order. Each finished request yields one record of schema_probe
 * (series probe-<name>) through the result callback. Nothing here logs.
 */
#ifndef HM_PROBE_H
#define HM_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "record.h"

/* Why a probe failed; the record's "reason" field holds the number. */
enum probe_reason {
	PROBE_REASON_NONE = 0, /* up */
	PROBE_REASON_DNS = 1,
	PROBE_REASON_CONNECT = 2,
	PROBE_REASON_TIMEOUT = 3,
	PROBE_REASON_TLS = 4,
	PROBE_REASON_STATUS = 5,
	PROBE_REASON_CONTENT = 6,
	PROBE_REASON_ERROR = 7, /* anything else curl reports */
	_PROBE_REASON_MAX,
};

const char *probe_reason_to_string(enum probe_reason r); /* "dns", ...; "ok" for NONE */

struct probe_result {
	const struct probe_conf *conf; /* borrowed: owner is the config */
	struct record record;          /* series probe-<name>, every field set (NAN if n/a) */
	enum probe_reason reason;
	char error[256];               /* what went wrong, for the log; "" when up */
};

typedef void (*probe_result_fn)(const struct probe_result *res, void *userdata);

struct probe_set;

/*
 * Schedules every probe of conf on e. conf is borrowed and must outlive the
 * set. Returns 0 or -errno.
 */
int probe_set_new(sd_event *e, const struct hm_conf *conf, probe_result_fn callback,
	void *userdata, struct probe_set **ret);
/* Starts the named probe now (queued if the cap is reached); -ENOENT if unknown. */
int probe_set_run_now(struct probe_set *s, const char *name);
size_t probe_set_in_flight(const struct probe_set *s);
/* Cancels requests in flight; no callback is called for them. */
struct probe_set *probe_set_free(struct probe_set *s);
DEFINE_POINTER_CLEANUP(struct probe_set, probe_set_free)

/* True when status matches one of the "200" / "200-399" entries (for the config check too). */
bool probe_status_expected(char *const *expect_status, long status);
/* Validates one expect_status entry; 0 or -EINVAL. */
int probe_status_parse(const char *entry, unsigned *ret_lo, unsigned *ret_hi);

#endif
