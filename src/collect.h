/* SPDX-License-Identifier: MIT */
/*
 * The collector registry. Each collector (collect_<name>.c) exports one ops
 * table; a collector set holds the enabled ones with their private state and
 * runs them once per cycle into a record batch. Collectors read /proc, /sys
 * and mounted filesystems under conf->root_dir, so tests run them on fixture
 * trees. They never log: a failure is returned, and the caller complains.
 */
#ifndef HM_COLLECT_H
#define HM_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "record.h"

struct collect_ctx {
	const struct hm_conf *conf; /* borrowed: owner is the collector set's user */
	const char *root;           /* borrowed: conf->root_dir */
	uint64_t now_usec;          /* monotonic time of this cycle */
};

struct collector_ops {
	const char *name;  /* "cpu", "memory", ... as in the config */
	size_t state_size; /* bytes of zeroed private state */
	bool (*enabled)(const struct hm_conf *c);
	/* Appends this cycle's records; 0 or -errno. */
	int (*collect)(void *state, const struct collect_ctx *ctx, struct record_batch *b);
	/* Frees what state points to (not state itself); may be NULL. */
	void (*done)(void *state);
};

extern const struct collector_ops collect_cpu_ops, collect_memory_ops,
	collect_swap_ops, collect_load_ops, collect_uptime_ops, collect_df_ops,
	collect_diskio_ops, collect_net_ops;

struct collector_set;

struct collector_result {
	const char *name; /* borrowed: static */
	int error;        /* 0 or -errno of the last run */
};

/* A set of the collectors that conf enables. conf is borrowed and must outlive it. */
struct collector_set *collect_new(const struct hm_conf *conf);
/*
 * Runs every collector; records go to b (not cleared first). Returns the
 * number of collectors that failed; per-collector results in *ret_results
 * (borrowed, valid until the next run) and their count in *ret_n, if non-NULL.
 */
unsigned collect_run(struct collector_set *set, uint64_t now_usec, struct record_batch *b,
	const struct collector_result **ret_results, size_t *ret_n);
struct collector_set *collect_free(struct collector_set *set);
DEFINE_POINTER_CLEANUP(struct collector_set, collect_free)

#endif
