/* SPDX-License-Identifier: MIT */
/*
 * The RRD writer thread (see writer.h). Two buffers: the loop appends to
 * `pending` under the mutex; the worker swaps it with its own empty buffer,
 * lets go of the mutex, and writes the whole batch, so the loop never waits
 * for a write and the lock is held only for a copy or a swap. librrd's _r
 * functions keep their error state per thread, and only the worker ever
 * calls into the store.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "writer.h"

struct queued {
	char host[NAME_MAX_LEN + 1];
	struct record record;
};

struct queue {
	struct queued *items; /* owned */
	size_t n;
	size_t allocated;
};

struct writer {
	struct store *store; /* owned; touched by the worker only */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;  /* pending has items, or stopping */
	pthread_cond_t idle;  /* the worker finished a batch */
	struct queue pending; /* under lock */
	bool busy;            /* under lock: the worker is writing a batch */
	bool stopping;        /* under lock */
	size_t max_queued;
	struct writer_stats stats; /* under lock */
	struct record *records;    /* owned, touched by the worker only: one host's */
	size_t n_records;          /* allocated */
};

static void
queue_push(struct queue *q, const char *host, const struct record *r)
{
	if (q->n == q->allocated) {
		q->allocated = q->allocated ? q->allocated * 2 : 64;
		q->items = xrealloc(q->items, q->allocated * sizeof(*q->items));
	}
	(void)snprintf(q->items[q->n].host, sizeof(q->items[q->n].host), "%s", host);
	q->items[q->n].record = *r;
	q->n++;
}

/*
 * Writes one batch without the lock; returns its counts in *ret. The records
 * of a host go to the store in one call (through rrdcached, one round trip);
 * an agent's queue holds one host, so that is usually the whole batch.
 */
static void
write_batch(struct writer *w, struct queue *q, struct writer_stats *ret)
{
	size_t i = 0;

	while (i < q->n) {
		const char *host = q->items[i].host;
		size_t written = 0, skipped = 0, n = 0, failed;
		uint64_t start;
		int r;

		/* Gather this host's records, in order, at the front of the run. */
		for (size_t j = i; j < q->n; j++)
			if (strcmp(q->items[j].host, host) == 0) {
				struct queued t = q->items[j];

				memmove(&q->items[i + n + 1], &q->items[i + n],
					(j - i - n) * sizeof(*q->items));
				q->items[i + n] = t;
				n++;
				host = q->items[i].host;
			}
		if (n > w->n_records) {
			w->n_records = n;
			w->records = xrealloc(w->records, n * sizeof(*w->records));
		}
		for (size_t k = 0; k < n; k++)
			w->records[k] = q->items[i + k].record;
		start = now_usec(CLOCK_MONOTONIC);
		r = store_write_batch(w->store, host, w->records, n, &written, &skipped);
		self_latency_add(&ret->latency,
			(double)(now_usec(CLOCK_MONOTONIC) - start) / (double)USEC_PER_SEC);
		failed = n - written - skipped;
		ret->written += written;
		ret->skipped += skipped;
		ret->failed += failed;
		if (r < 0 || failed > 0) {
			(void)snprintf(ret->last_error, sizeof(ret->last_error), "%s",
				store_last_error(w->store));
			(void)snprintf(ret->last_failed_series,
				sizeof(ret->last_failed_series), "%s",
				q->items[i].record.series);
		}
		i += n;
	}
}

static void
merge_stats(struct writer *w, const struct writer_stats *b)
{
	w->stats.written += b->written;
	w->stats.skipped += b->skipped;
	w->stats.failed += b->failed;
	self_latency_merge(&w->stats.latency, &b->latency);
	if (b->failed) {
		memcpy(w->stats.last_error, b->last_error, sizeof(b->last_error));
		memcpy(w->stats.last_failed_series, b->last_failed_series,
			sizeof(b->last_failed_series));
	}
	w->stats.series = store_series_count(w->store);
}

static void *
worker(void *userdata)
{
	struct writer *w = userdata;
	struct queue mine = { 0 };

	(void)pthread_mutex_lock(&w->lock);
	for (;;) {
		struct queue swap;
		struct writer_stats batch = { 0 };

		while (w->pending.n == 0 && !w->stopping)
			(void)pthread_cond_wait(&w->work, &w->lock);
		if (w->pending.n == 0)
			break; /* stopping, and nothing left to write */
		swap = w->pending;
		w->pending = mine;
		mine = swap;
		w->busy = true;
		(void)pthread_mutex_unlock(&w->lock);

		write_batch(w, &mine, &batch);

		(void)pthread_mutex_lock(&w->lock);
		merge_stats(w, &batch);
		mine.n = 0;
		w->busy = false;
		(void)pthread_cond_broadcast(&w->idle);
	}
	(void)pthread_mutex_unlock(&w->lock);
	free(mine.items);
	return NULL;
}

int
writer_new(struct store *store, size_t max_queued, struct writer **ret)
{
	struct writer *w = xcalloc(1, sizeof(*w));
	sigset_t all, old;
	int r;

	w->store = store;
	w->max_queued = max_queued;
	(void)pthread_mutex_init(&w->lock, NULL);
	(void)pthread_cond_init(&w->work, NULL);
	(void)pthread_cond_init(&w->idle, NULL);
	/*
	 * The worker must never take a signal: the loop receives them through a
	 * signalfd, which needs them blocked in every thread. A thread inherits
	 * its creator's mask, so block everything around the creation.
	 */
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&w->thread, NULL, worker, w);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		store_free(store);
		(void)pthread_mutex_destroy(&w->lock);
		(void)pthread_cond_destroy(&w->work);
		(void)pthread_cond_destroy(&w->idle);
		free(w);
		return -r;
	}
	*ret = w;
	return 0;
}

int
writer_submit(struct writer *w, const char *host, const struct record *r)
{
	int ret = 0;

	(void)pthread_mutex_lock(&w->lock);
	if (w->pending.n >= w->max_queued) {
		w->stats.dropped++;
		ret = -EAGAIN;
	} else {
		queue_push(&w->pending, host, r);
		w->stats.submitted++;
		(void)pthread_cond_signal(&w->work);
	}
	(void)pthread_mutex_unlock(&w->lock);
	return ret;
}

void
writer_flush(struct writer *w)
{
	(void)pthread_mutex_lock(&w->lock);
	while (w->pending.n > 0 || w->busy)
		(void)pthread_cond_wait(&w->idle, &w->lock);
	(void)pthread_mutex_unlock(&w->lock);
}

void
writer_get_stats(struct writer *w, struct writer_stats *ret)
{
	(void)pthread_mutex_lock(&w->lock);
	*ret = w->stats;
	ret->queued = w->pending.n;
	(void)pthread_mutex_unlock(&w->lock);
}

struct writer *
writer_free(struct writer *w)
{
	if (!w)
		return NULL;
	(void)pthread_mutex_lock(&w->lock);
	w->stopping = true;
	(void)pthread_cond_signal(&w->work);
	(void)pthread_mutex_unlock(&w->lock);
	(void)pthread_join(w->thread, NULL);
	store_free(w->store);
	free(w->records);
	free(w->pending.items);
	(void)pthread_mutex_destroy(&w->lock);
	(void)pthread_cond_destroy(&w->work);
	(void)pthread_cond_destroy(&w->idle);
	free(w);
	return NULL;
}
