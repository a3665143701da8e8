/* SPDX-License-Identifier: MIT */
/*
 * The collector registry: the list of every collector, and collector sets
 * that hold the enabled ones with their private state. A set runs its
 * collectors in a fixed order once per cycle and keeps each one's last
 * result, so that the caller can complain about a failing collector without
 * the others being held up by it.
 */

#include "collect.h"
#include "util.h"

/* The order here is the order of the records in a cycle's batch. */
static const struct collector_ops *const all_collectors[] = {
	&collect_cpu_ops,    &collect_memory_ops, &collect_swap_ops,
	&collect_load_ops,   &collect_uptime_ops, &collect_df_ops,
	&collect_diskio_ops, &collect_net_ops,
};

#define COLLECTORS_MAX ELEMENTSOF(all_collectors)

struct collector {
	const struct collector_ops *ops; /* borrowed: static */
	void *state;                     /* owned */
};

struct collector_set {
	const struct hm_conf *conf; /* borrowed: owner is the set's user */
	struct collector collectors[COLLECTORS_MAX];
	struct collector_result results[COLLECTORS_MAX];
	size_t n;
};

struct collector_set *
collect_new(const struct hm_conf *conf)
{
	struct collector_set *set = xcalloc(1, sizeof(*set));

	set->conf = conf;
	for (size_t i = 0; i < COLLECTORS_MAX; i++) {
		const struct collector_ops *ops = all_collectors[i];

		if (!ops->enabled(conf))
			continue;
		set->collectors[set->n].ops = ops;
		set->collectors[set->n].state = xcalloc(1, ops->state_size);
		set->results[set->n].name = ops->name;
		set->n++;
	}
	return set;
}

/*
 * A failing collector may have appended some records before it failed (the
 * file systems it could measure, say); they are kept, since each one is
 * complete in itself.
 */
unsigned
collect_run(struct collector_set *set, uint64_t now_usec, struct record_batch *b,
	const struct collector_result **ret_results, size_t *ret_n)
{
	const struct collect_ctx ctx = {
		.conf = set->conf,
		.root = set->conf->root_dir ? set->conf->root_dir : "/",
		.now_usec = now_usec,
	};
	unsigned failed = 0;

	for (size_t i = 0; i < set->n; i++) {
		struct collector *c = &set->collectors[i];
		int r = c->ops->collect(c->state, &ctx, b);

		set->results[i].error = r < 0 ? r : 0;
		if (r < 0)
			failed++;
	}
	if (ret_results)
		*ret_results = set->results;
	if (ret_n)
		*ret_n = set->n;
	return failed;
}

struct collector_set *
collect_free(struct collector_set *set)
{
	if (!set)
		return NULL;
	for (size_t i = 0; i < set->n; i++) {
		struct collector *c = &set->collectors[i];

		if (c->ops->done)
			c->ops->done(c->state);
		free(c->state);
	}
	free(set);
	return NULL;
}
