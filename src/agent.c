/* SPDX-License-Identifier: MIT */
/*
 * The agent role. Every interval: run the collectors into a record batch,
 * write each record to the RRD store and feed it to the health checks, and
 * keep the counts the daemon shows in STATUS=. URL probes finish whenever
 * their request does; each result takes the same path. Events from the
 * checks go to the journal. With a central configured, records (once
 * stored) and events (once journaled) are also forwarded (forward.c);
 * nothing that happens there touches the local RRDs. Cycles run to
 * completion on the loop, so a signal is handled only between cycles: the
 * cycle in flight always finishes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "collect.h"
#include "forward.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "probe.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "writer.h"
#include "util.h"
#include "view.h"

/* Records waiting for the writer thread at most: minutes of a busy agent. */
#define AGENT_WRITE_QUEUE_MAX 100000

/* The first cycle comes within this delay, so restarted fleets spread out. */
#define FIRST_CYCLE_JITTER_MAX_USEC (2 * USEC_PER_SEC)

struct agent {
	const struct hm_conf *conf;    /* borrowed: owner is the daemon */
	char *hostname;                /* owned */
	char *datadir;                 /* owned */
	struct collector_set *collect; /* owned */
	struct writer *writer;         /* owned; owns the store */
	struct periodic *timer;        /* owned */
	struct probe_set *probes;      /* owned; NULL until started */
	struct rules *rules;           /* owned */
	struct forward *forward;       /* owned; NULL: no central, not started */
	struct view *view;             /* borrowed; NULL: none */
	struct record_batch batch;     /* owned; reused every cycle */
	struct complaint *collector_complaints; /* owned; one per collector */
	size_t n_collector_complaints;
	struct complaint store_complaint;
	struct complaint queue_complaint;
	uint64_t seen_failed;  /* writer failures already complained about */
	uint64_t seen_dropped; /* writer queue drops already complained about */
	struct agent_status status;
	agent_cycle_fn on_cycle;
	void *userdata; /* borrowed */
};

static char *
resolve_hostname(const struct hm_conf *conf)
{
	char buf[256] = "", clean[NAME_MAX_LEN + 1];

	if (conf->hostname)
		return xstrdup(conf->hostname);
	if (gethostname(buf, sizeof(buf) - 1) < 0 || !buf[0])
		return xstrdup("localhost");
	name_sanitize(buf, clean, sizeof(clean));
	return xstrdup(clean);
}

/* Makes sure dir exists and a file can be created in it. */
static int
check_writable(const char *dir)
{
	_cleanup_free_ char *probe = xasprintf("%s/.healthmond-write-test-XXXXXX", dir);
	int r, fd;

	r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	fd = mkostemp(probe, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	(void)close(fd);
	(void)unlink(probe);
	return 0;
}

static void
on_event(const struct event *ev, void *userdata)
{
	struct agent *a = userdata;
	int r = journal_send_event(ev);

	a->status.events++;
	if (r < 0)
		log_warning_errno(r, "Cannot log a health event");
	if (a->forward)
		forward_event(a->forward, ev);
	if (a->view)
		view_feed_event(a->view, ev);
}

int
agent_new(const struct hm_conf *conf, struct agent **ret)
{
	_cleanup_(agent_freep) struct agent *a = xcalloc(1, sizeof(*a));
	_cleanup_free_ char *hostdir = NULL;
	struct store *store;
	int r;

	a->conf = conf;
	a->hostname = resolve_hostname(conf);
	a->datadir = conf_resolve_datadir(conf);
	hostdir = xasprintf("%s/%s", a->datadir, a->hostname);
	r = check_writable(hostdir);
	if (r < 0)
		return log_err_errno(r,
			"Cannot write RRD files under '%s' (set 'datadir' in the "
			"configuration, or STATE_DIRECTORY)",
			hostdir);
	store = store_new_cached(a->datadir, conf->interval, conf->rrdcached);
	if (!store)
		return log_err_errno(-EINVAL, "Cannot use data directory '%s'", a->datadir);
	r = writer_new(store, AGENT_WRITE_QUEUE_MAX, &a->writer);
	if (r < 0)
		return log_err_errno(r, "Cannot start the RRD writer thread");
	a->collect = collect_new(conf);
	a->rules = rules_new(conf, a->hostname, on_event, a);
	*ret = TAKE_PTR(a);
	return 0;
}

static void
complain_collectors(struct agent *a, const struct collector_result *res, size_t n,
	uint64_t now)
{
	if (a->n_collector_complaints < n) {
		a->collector_complaints = xrealloc(a->collector_complaints,
			n * sizeof(*a->collector_complaints));
		memset(a->collector_complaints + a->n_collector_complaints, 0,
			(n - a->n_collector_complaints) * sizeof(*a->collector_complaints));
		a->n_collector_complaints = n;
	}
	for (size_t i = 0; i < n; i++) {
		struct complaint *c = &a->collector_complaints[i];

		if (res[i].error < 0)
			log_complain(c, now, LOG_WARNING,
				"Collector '%s' failed: %s, skipping its series this cycle",
				res[i].name, strerror(-res[i].error));
		else
			log_complain_clear(c, now, "Collector '%s' works again", res[i].name);
	}
}

/*
 * Hands a record to the writer thread, the forwarder and the checks. A record
 * the writer's queue has no room for is counted as dropped (see
 * complain_store).
 */
static void
handle_record(struct agent *a, const struct record *rec)
{
	(void)writer_submit(a->writer, a->hostname, rec);
	if (a->forward)
		forward_record(a->forward, rec);
	rules_feed(a->rules, rec);
	if (a->view)
		view_feed_record(a->view, a->hostname, rec);
}

/* Once a cycle: what the writer thread could not write since the last one. */
static void
complain_store(struct agent *a, const struct writer_stats *st, uint64_t now)
{
	uint64_t failed = st->failed - a->seen_failed, dropped = st->dropped - a->seen_dropped;

	a->seen_failed = st->failed;
	a->seen_dropped = st->dropped;
	a->status.errors += failed + dropped;
	if (failed)
		log_complain(&a->store_complaint, now, LOG_ERR,
			"Writing %llu RRD updates failed, the last '%s': %s",
			(unsigned long long)failed, st->last_failed_series, st->last_error);
	else
		log_complain_clear(&a->store_complaint, now, "RRD updates work again");
	if (dropped)
		log_complain(&a->queue_complaint, now, LOG_ERR,
			"The RRD writer is %zu records behind: %llu records dropped",
			st->queued, (unsigned long long)dropped);
	else
		log_complain_clear(&a->queue_complaint, now, "The RRD writer keeps up again");
}

static void
write_records(struct agent *a)
{
	for (size_t i = 0; i < a->batch.n; i++)
		handle_record(a, &a->batch.records[i]);
}

static void
show_check(const struct rules_instance *in, void *userdata)
{
	struct agent *a = userdata;

	view_set_check(a->view, a->hostname, in->check->name, in->series, in->check->field,
		in->state, in->value, in->check->warning, in->check->critical, in->since);
}

void
agent_set_view(struct agent *a, struct view *v)
{
	a->view = v;
	if (v) {
		(void)view_add_host(v, a->hostname, true);
		rules_foreach(a->rules, show_check, a);
	}
}

static void
update_status(struct agent *a, uint64_t now)
{
	struct rules_summary sum;
	struct writer_stats st;

	writer_get_stats(a->writer, &st);
	complain_store(a, &st, now);
	a->status.series = st.series;
	a->status.skipped = st.skipped;
	a->status.rrd_write = st.latency;
	rules_get_summary(a->rules, &sum);
	for (int i = 0; i < _CHECK_STATE_MAX; i++)
		a->status.checks[i] = sum.count[i];
	if (a->view)
		rules_foreach(a->rules, show_check, a);
}

static void
on_probe_result(const struct probe_result *res, void *userdata)
{
	struct agent *a = userdata;

	if (res->reason != PROBE_REASON_NONE)
		log_debug("Probe '%s' failed (%s): %s", res->conf->name,
			probe_reason_to_string(res->reason), res->error);
	a->status.probes++;
	/* Write failures and STATUS= are looked at once a cycle, not per result. */
	handle_record(a, &res->record);
}

void
agent_run_cycle(struct agent *a)
{
	const struct collector_result *res;
	uint64_t start = now_usec(CLOCK_MONOTONIC);
	size_t n_res;

	record_batch_clear(&a->batch);
	a->batch.time = (int64_t)time(NULL);
	a->status.errors += collect_run(a->collect, start, &a->batch, &res, &n_res);
	complain_collectors(a, res, n_res, start);
	write_records(a);

	rules_tick(a->rules, a->batch.time);

	a->status.cycles++;
	a->status.last_cycle_usec = now_usec(CLOCK_MONOTONIC) - start;
	update_status(a, start);
	log_debug("Cycle %llu: %zu records in %llu us",
		(unsigned long long)a->status.cycles, a->batch.n,
		(unsigned long long)a->status.last_cycle_usec);
	if (a->on_cycle)
		a->on_cycle(a, a->userdata);
}

static void
on_timer(void *userdata)
{
	agent_run_cycle(userdata);
}

int
agent_start(struct agent *a, sd_event *e, agent_cycle_fn on_cycle, void *userdata)
{
	uint64_t interval = a->conf->interval * USEC_PER_SEC;

	int r;

	a->on_cycle = on_cycle;
	a->userdata = userdata;
	r = loop_periodic_new(e, interval, MIN(interval, FIRST_CYCLE_JITTER_MAX_USEC),
		on_timer, a, &a->timer);
	if (r < 0)
		return r;
	r = probe_set_new(e, a->conf, on_probe_result, a, &a->probes);
	if (r < 0)
		return r;
	/*
	 * Here rather than in agent_new(): on reload the new agent is made
	 * while the old one still holds the spool, and started after it is gone.
	 */
	if (a->conf->forward.url && !a->forward) {
		r = forward_new(e, a->conf, a->hostname, a->datadir, on_event, a,
			&a->forward);
		if (r < 0)
			return r;
	}
	return 0;
}

void
agent_flush(struct agent *a)
{
	writer_flush(a->writer);
	update_status(a, now_usec(CLOCK_MONOTONIC));
}

const struct agent_status *
agent_get_status(const struct agent *a)
{
	return &a->status;
}

bool
agent_get_forward_status(const struct agent *a, struct forward_status *ret)
{
	if (!a->forward)
		return false;
	forward_get_status(a->forward, ret);
	return true;
}

const char *
agent_hostname(const struct agent *a)
{
	return a->hostname;
}

const char *
agent_datadir(const struct agent *a)
{
	return a->datadir;
}

struct agent *
agent_free(struct agent *a)
{
	if (!a)
		return NULL;
	loop_periodic_free(a->timer);
	probe_set_free(a->probes);
	/* Before the rules: its last batch may report a loss through on_event(). */
	a->forward = forward_free(a->forward);
	rules_free(a->rules);
	collect_free(a->collect);
	/* Writes what is still queued before the process goes. */
	writer_free(a->writer);
	record_batch_done(&a->batch);
	free(a->collector_complaints);
	free(a->hostname);
	free(a->datadir);
	free(a);
	return NULL;
}
