/* SPDX-License-Identifier: MIT */
/*
 * A bounded pool of healthmondctl child processes on the daemon's sd-event
 * loop: graphs and availability are computed by `healthmondctl graph ... -o -`
 * and `healthmondctl availability ...`, so librrd's graphing stack (cairo,
 * pango, fonts: megabytes) never enters the daemon, and a slow render never
 * blocks the loop. At most max_workers children run at once, at most
 * max_queued jobs wait; each child has a timeout (10 s, then SIGKILL) and
 * an output cap (16 MiB). Successful outputs are cached for cache_ttl_sec,
 * keyed by the arguments (64 entries, 32 MiB at most, least recently used
 * out).
 *
 * SIGCHLD must be blocked in the process (sd_event_add_child(3)): the daemon
 * does it in setup_loop(). Children get an empty signal mask, default signal
 * dispositions, stdin from /dev/null and the daemon's environment.
 */
#ifndef HM_GRAPHER_H
#define HM_GRAPHER_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define GRAPHER_TIMEOUT_USEC (10 * USEC_PER_SEC)
#define GRAPHER_OUTPUT_MAX (16u << 20)
#define GRAPHER_CACHE_ENTRIES 64
#define GRAPHER_CACHE_BYTES (32u << 20)

struct grapher;
struct grapher_job;

/*
 * A job's end: status 0 and the child's stdout (out/len, valid during the
 * call only), or -errno and a message for people in error: the first line
 * of the child's stderr, "timed out after 10 s", "output over 16 MiB", ...
 * (out NULL). The callback may call grapher_run(), grapher_cancel() on
 * other jobs, and grapher_free(); its own job is gone once it is called.
 */
/* out is followed by a NUL byte (not counted in len). */
typedef void (*grapher_done_fn)(int status, const void *out, size_t len,
	const char *error, void *userdata);

/*
 * A pool running ctl_path (copied) on loop e (referenced). max_workers >= 1.
 * cache_ttl_sec 0 disables the cache. 0 or -EINVAL.
 */
int grapher_new(sd_event *e, const char *ctl_path, unsigned max_workers,
	size_t max_queued, unsigned cache_ttl_sec, struct grapher **ret);

/*
 * Runs ctl_path with args (NULL-terminated, copied; args[0] is the command,
 * "graph") unless the output of the same args is cached and younger than
 * the TTL. done is always called later from the loop, never from within
 * grapher_run(). -EAGAIN (and counted as refused) when max_queued jobs wait
 * for a worker already; -EINVAL for an empty args. ret_job may be NULL; the
 * job stays valid until done is called or it is cancelled.
 */
int grapher_run(struct grapher *g, char *const *args, grapher_done_fn done,
	void *userdata, struct grapher_job **ret_job);

/* Forgets job (NULL is fine): done is not called; a running child is killed. */
void grapher_cancel(struct grapher_job *job);

struct grapher_stats {
	uint64_t runs;       /* children started */
	uint64_t cache_hits; /* jobs answered from the cache */
	uint64_t failed;     /* children that failed (also timed out, over the cap) */
	uint64_t timed_out;  /* children killed at the timeout */
	uint64_t refused;    /* grapher_run() calls refused with -EAGAIN */
	size_t running;      /* children now */
	size_t queued;       /* jobs waiting for a worker now */
};

void grapher_get_stats(const struct grapher *g, struct grapher_stats *ret);

/* Kills the children and forgets every job without calling done. NULL is fine. */
struct grapher *grapher_free(struct grapher *g);
DEFINE_POINTER_CLEANUP(struct grapher, grapher_free)

/* For tests: the per-child timeout (GRAPHER_TIMEOUT_USEC by default). */
void grapher_set_timeout(struct grapher *g, uint64_t usec);

#endif
