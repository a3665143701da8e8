/* SPDX-License-Identifier: MIT */
/*
 * loadgen: plays N agents against a central's ingest endpoint, for
 * bench/central-ingest. Built by that script (cc, pkg-config libcurl librrd),
 * not by the project's Makefile.
 *
 *   loadgen run --url URL --tokens FILE --agents N [--seconds S] [--period P]
 *               [--series K] [--connections C] [--drain D] [--acked FILE]
 *               [--sync-dir DIR]
 *   loadgen count --datadir DIR --acked FILE [--series K] [--period P]
 *                 [--interval I] [--verify-every M]
 *
 * run: agent i is "agent%05u" with the token the tokens file gives it
 * ("host token" lines). Each agent first sends one batch (the warm-up, which
 * makes the central create its RRD files; all agents at once, as fast as C
 * connections go; then, with --sync-dir, it waits until the file system of
 * DIR has written out what the warm-up dirtied: syncfs(2)), then every P
 * seconds for S seconds a batch of K records
 * "if-eth0".."if-eth<K-1>" of kind "if" (8 values), with its own increasing
 * seq. Agents are spread evenly over the period. One libcurl multi handle
 * drives at most C easy handles, each reused, so connections are kept
 * alive. A record's time is its batch's due time rounded down to a multiple
 * of P, so every row of a step-P RRD holds exactly one sample; values are a
 * function of (agent, series, time, field), so `count` can check them.
 * A batch that is not acked (non-2xx, transport error, or "acked" below its
 * seq) is counted and not sent again. Latency runs from the batch's due time
 * to the answer, so a central that falls behind shows as growing latency
 * even though requests queue here first. Prints key=value lines; --acked
 * writes "host time..." lines: the record times of every acked batch.
 *
 * count: for every host of the acked file and each of its K series, the RRD
 * file's last update says how many acked samples it holds (samples reach a
 * file in order; rrdtool and rrdcached refuse any out of order), times 8
 * values; every M-th file is also fetched and its rows compared with the
 * values sent, when the agents' period P is the files' step I (otherwise a
 * row holds the average of several samples). Prints key=value lines.
 *
 * Traffic goes only to the URL given; the bench script passes 127.0.0.1.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>

#define IF_FIELDS 8
#define CONNECTIONS_MAX 1000

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("loadgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The value of field f of series j of agent i at time t: exact in a double. */
static double
sample_value(unsigned i, unsigned j, int64_t t, unsigned period, unsigned f)
{
	uint64_t k = (uint64_t)t / period;

	return (double)((i * 7919u + j * 104729u + k * 31u + f * 17u) % 1000003u);
}

/* --- run --------------------------------------------------------------- */

struct agent {
	char name[16];
	char *auth;      /* owned: "Authorization: Bearer <token>" */
	uint64_t seq;    /* of the last batch made */
	int64_t *acked;  /* owned: record times of acked batches */
	unsigned n_acked;
};

/* A batch waiting for a connection. */
struct job {
	unsigned agent;
	uint64_t due_us;  /* monotonic */
	int64_t time;     /* the records' time */
	bool warmup;
};

struct conn {
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	size_t body_cap;
	char reply[512];
	size_t reply_len;
	struct job job;
	uint64_t seq;
	bool busy;
};

struct run {
	const char *url;
	const char *sync_dir;
	unsigned n_agents, seconds, period, series, n_conns, drain;
	struct agent *agents;
	struct conn *conns;
	CURLM *multi;
	struct job *queue; /* ring */
	size_t q_cap, q_head, q_len, q_max;
	/* Figures. */
	uint64_t sent, acked, failed_http, failed_transport, not_acked, unsent;
	uint64_t w_sent, w_acked, w_failed;
	uint64_t status[6]; /* by hundreds: 1xx..5xx, [0] other */
	double *lat_ms;     /* steady batches, in completion order */
	uint64_t *lat_due;  /* their due times, for the growth check */
	size_t n_lat, lat_cap;
	uint64_t steady_batches; /* scheduled */
};

static size_t
reply_cb(char *p, size_t size, size_t n, void *userdata)
{
	struct conn *c = userdata;
	size_t len = size * n, room = sizeof(c->reply) - 1 - c->reply_len;

	memcpy(c->reply + c->reply_len, p, len < room ? len : room);
	c->reply_len += len < room ? len : room;
	c->reply[c->reply_len] = '\0';
	return len;
}

static void
body_append(struct conn *c, size_t *len, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		int k;

		va_start(ap, fmt);
		k = vsnprintf(c->body + *len, c->body_cap - *len, fmt, ap);
		va_end(ap);
		if (k < 0)
			die("vsnprintf failed");
		if ((size_t)k < c->body_cap - *len) {
			*len += (size_t)k;
			return;
		}
		c->body_cap = c->body_cap * 2 + (size_t)k;
		c->body = realloc(c->body, c->body_cap);
		if (!c->body)
			die("out of memory");
	}
}

static size_t
make_body(struct run *r, struct conn *c, unsigned i, uint64_t seq, int64_t t)
{
	size_t len = 0;

	body_append(c, &len, "{\"version\":1,\"host\":\"%s\",\"batches\":[{\"seq\":%" PRIu64
		",\"records\":[", r->agents[i].name, seq);
	for (unsigned j = 0; j < r->series; j++) {
		body_append(c, &len, "%s{\"series\":\"if-eth%u\",\"kind\":\"if\",\"time\":%" PRId64
			",\"step\":0,\"values\":[", j ? "," : "", j, t);
		for (unsigned f = 0; f < IF_FIELDS; f++)
			body_append(c, &len, "%s%.0f", f ? "," : "",
				sample_value(i, j, t, r->period, f));
		body_append(c, &len, "]}");
	}
	body_append(c, &len, "],\"events\":[]}]}");
	return len;
}

static void
queue_push(struct run *r, struct job j)
{
	if (r->q_len == r->q_cap)
		die("queue overflow");
	r->queue[(r->q_head + r->q_len) % r->q_cap] = j;
	r->q_len++;
	if (r->q_len > r->q_max)
		r->q_max = r->q_len;
}

static void
start_job(struct run *r, struct conn *c, struct job j)
{
	struct agent *a = &r->agents[j.agent];
	size_t len;

	c->job = j;
	c->seq = ++a->seq;
	c->reply_len = 0;
	c->reply[0] = '\0';
	len = make_body(r, c, j.agent, c->seq, j.time);
	curl_slist_free_all(c->headers);
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	c->headers = curl_slist_append(c->headers, a->auth);
	/* libcurl would otherwise wait for "100 Continue" before large bodies. */
	c->headers = curl_slist_append(c->headers, "Expect:");
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)len);
	c->busy = true;
	if (curl_multi_add_handle(r->multi, c->easy) != CURLM_OK)
		die("curl_multi_add_handle failed");
	r->sent++;
	if (j.warmup)
		r->w_sent++;
}

static void
dispatch(struct run *r)
{
	for (unsigned k = 0; k < r->n_conns && r->q_len > 0; k++) {
		struct conn *c = &r->conns[k];

		if (c->busy)
			continue;
		start_job(r, c, r->queue[r->q_head]);
		r->q_head = (r->q_head + 1) % r->q_cap;
		r->q_len--;
	}
}

static void
finish(struct run *r, struct conn *c, CURLcode res)
{
	struct agent *a = &r->agents[c->job.agent];
	long code = 0;
	bool ok = false;
	uint64_t now = mono_us();

	curl_multi_remove_handle(r->multi, c->easy);
	c->busy = false;
	if (res != CURLE_OK) {
		r->failed_transport++;
	} else {
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
		r->status[code >= 100 && code < 600 ? code / 100 : 0]++;
		if (code >= 200 && code < 300) {
			const char *p = strstr(c->reply, "\"acked\":");
			unsigned long long acked = p ? strtoull(p + 8, NULL, 10) : 0;

			if (p && acked >= c->seq)
				ok = true;
			else
				r->not_acked++;
		} else
			r->failed_http++;
	}
	if (ok) {
		a->acked[a->n_acked++] = c->job.time;
		r->acked++;
	}
	if (c->job.warmup) {
		if (ok)
			r->w_acked++;
		else
			r->w_failed++;
		return;
	}
	if (r->n_lat == r->lat_cap) {
		r->lat_cap = r->lat_cap * 2 + 1024;
		r->lat_ms = realloc(r->lat_ms, r->lat_cap * sizeof(*r->lat_ms));
		r->lat_due = realloc(r->lat_due, r->lat_cap * sizeof(*r->lat_due));
		if (!r->lat_ms || !r->lat_due)
			die("out of memory");
	}
	r->lat_ms[r->n_lat] = ok ? (double)(now - c->job.due_us) / 1000.0 : NAN;
	r->lat_due[r->n_lat] = c->job.due_us;
	r->n_lat++;
}

static void
pump(struct run *r, int wait_ms)
{
	CURLMsg *m;
	int running, left;

	dispatch(r);
	curl_multi_perform(r->multi, &running);
	if (wait_ms > 0)
		curl_multi_poll(r->multi, NULL, 0, wait_ms, NULL);
	curl_multi_perform(r->multi, &running);
	while ((m = curl_multi_info_read(r->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct conn *c = NULL;

		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		if (c)
			finish(r, c, m->data.result);
	}
	dispatch(r);
}

static unsigned
in_flight(const struct run *r)
{
	unsigned n = 0;

	for (unsigned k = 0; k < r->n_conns; k++)
		n += r->conns[k].busy;
	return n;
}

static void
read_tokens(struct run *r, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];
	unsigned found = 0;

	if (!f)
		die("cannot open '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char host[64], token[256];
		unsigned i;

		if (sscanf(line, "%63s %255s", host, token) != 2 ||
			sscanf(host, "agent%u", &i) != 1 || i >= r->n_agents ||
			strcmp(host, r->agents[i].name) != 0)
			continue;
		if (!r->agents[i].auth)
			found++;
		free(r->agents[i].auth);
		if (asprintf(&r->agents[i].auth, "Authorization: Bearer %s", token) < 0)
			die("out of memory");
	}
	fclose(f);
	if (found != r->n_agents)
		die("'%s' has tokens for %u of %u agents", path, found, r->n_agents);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Percentile q of the n sorted values. */
static double
pct(const double *v, size_t n, double q)
{
	size_t k;

	if (n == 0)
		return NAN;
	k = (size_t)ceil(q * (double)n);
	return v[k ? k - 1 : 0];
}

/* Median latency of the batches due within [from, to) of the run. */
static double
median_between(const struct run *r, uint64_t from, uint64_t to)
{
	double *v = xcalloc(r->n_lat, sizeof(*v));
	size_t n = 0;
	double m;

	for (size_t k = 0; k < r->n_lat; k++)
		if (r->lat_due[k] >= from && r->lat_due[k] < to && !isnan(r->lat_ms[k]))
			v[n++] = r->lat_ms[k];
	qsort(v, n, sizeof(*v), cmp_double);
	m = pct(v, n, 0.5);
	free(v);
	return m;
}

static int
cmd_run(struct run *r, const char *tokens, const char *acked_path)
{
	uint64_t t_start, t_steady, t_end, deadline, period_us, w0;
	unsigned per_agent;
	double *sorted;
	size_t n_ok = 0;
	int64_t warm_time;

	per_agent = (r->seconds + r->period - 1) / r->period + 1;
	r->agents = xcalloc(r->n_agents, sizeof(*r->agents));
	for (unsigned i = 0; i < r->n_agents; i++) {
		snprintf(r->agents[i].name, sizeof(r->agents[i].name), "agent%05u", i);
		r->agents[i].acked = xcalloc(per_agent + 1, sizeof(int64_t));
	}
	read_tokens(r, tokens);
	r->q_cap = (size_t)r->n_agents * (per_agent + 1);
	r->queue = xcalloc(r->q_cap, sizeof(*r->queue));

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("curl_global_init failed");
	r->multi = curl_multi_init();
	curl_multi_setopt(r->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)r->n_conns);
	curl_multi_setopt(r->multi, CURLMOPT_MAXCONNECTS, (long)r->n_conns);
	r->conns = xcalloc(r->n_conns, sizeof(*r->conns));
	for (unsigned k = 0; k < r->n_conns; k++) {
		struct conn *c = &r->conns[k];
		char *url;

		if (asprintf(&url, "%s/api/v1/ingest", r->url) < 0)
			die("out of memory");
		c->easy = curl_easy_init();
		c->body_cap = 16384;
		c->body = xcalloc(1, c->body_cap);
		curl_easy_setopt(c->easy, CURLOPT_URL, url);
		curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, reply_cb);
		curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
		curl_easy_setopt(c->easy, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
		free(url); /* libcurl copies it */
	}
	period_us = (uint64_t)r->period * 1000000;

	/* Warm-up: one batch per agent, a period before the steady run's times. */
	w0 = wall_us();
	warm_time = (int64_t)(w0 / period_us) * r->period - r->period;
	t_start = mono_us();
	for (unsigned i = 0; i < r->n_agents; i++)
		queue_push(r, (struct job){ .agent = i, .due_us = t_start, .time = warm_time,
				      .warmup = true });
	deadline = t_start + (uint64_t)r->drain * 1000000 + 600 * 1000000ULL;
	while ((r->q_len > 0 || in_flight(r) > 0) && mono_us() < deadline)
		pump(r, 50);
	if (r->q_len > 0 || in_flight(r) > 0)
		die("the warm-up did not finish in %u s", r->drain + 600);
	printf("warmup_batches=%u\nwarmup_acked=%" PRIu64 "\nwarmup_failed=%" PRIu64 "\n",
		r->n_agents, r->w_acked, r->w_failed);
	printf("warmup_seconds=%.3f\n", (double)(mono_us() - t_start) / 1e6);
	if (r->sync_dir) {
		/*
		 * Creating the files dirtied N x K x 750 KB of page cache; while the
		 * kernel writes that out, every write (and fsync) waits behind it.
		 * The steady run starts once it is done.
		 */
		uint64_t t_sync = mono_us();
		int fd = open(r->sync_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || syncfs(fd) < 0)
			die("syncfs '%s': %s", r->sync_dir, strerror(errno));
		close(fd);
		printf("settle_seconds=%.3f\n", (double)(mono_us() - t_sync) / 1e6);
	}
	/* The bench script starts measuring the central's CPU here. */
	printf("steady_start=1\n");
	fflush(stdout);

	/* Steady run: agent i is due at phase i * P / N, then every P. */
	t_steady = mono_us();
	w0 = wall_us();
	t_end = t_steady + (uint64_t)r->seconds * 1000000;
	{
		uint64_t *next = xcalloc(r->n_agents, sizeof(*next));
		unsigned cursor = 0; /* agents due in order of phase: a ring */
		uint64_t due_count = 0;

		for (unsigned i = 0; i < r->n_agents; i++)
			next[i] = t_steady + period_us * i / r->n_agents;
		for (;;) {
			uint64_t now = mono_us(), wait_until = t_end;

			/* Agents become due in index order, period after period. */
			while (next[cursor] <= now && next[cursor] < t_end) {
				uint64_t due = next[cursor];
				uint64_t due_wall = w0 + (due - t_steady);

				queue_push(r, (struct job){ .agent = cursor, .due_us = due,
						      .time = (int64_t)(due_wall / period_us) *
							      r->period });
				r->steady_batches++;
				due_count++;
				next[cursor] += period_us;
				cursor = (cursor + 1) % r->n_agents;
			}
			if (next[cursor] < t_end)
				wait_until = next[cursor];
			if (now >= t_end && next[cursor] >= t_end)
				break;
			pump(r, wait_until > now ? (int)((wait_until - now + 999) / 1000) : 0);
		}
		free(next);
		(void)due_count;
	}
	/* Drain what is queued or in flight. */
	deadline = mono_us() + (uint64_t)r->drain * 1000000;
	while ((r->q_len > 0 || in_flight(r) > 0) && mono_us() < deadline)
		pump(r, 50);
	r->unsent = r->q_len + in_flight(r);

	sorted = xcalloc(r->n_lat + 1, sizeof(*sorted));
	for (size_t k = 0; k < r->n_lat; k++)
		if (!isnan(r->lat_ms[k]))
			sorted[n_ok++] = r->lat_ms[k];
	qsort(sorted, n_ok, sizeof(*sorted), cmp_double);

	printf("agents=%u\nseries=%u\nperiod=%u\nseconds=%u\nconnections=%u\n", r->n_agents,
		r->series, r->period, r->seconds, r->n_conns);
	printf("offered_batches=%" PRIu64 "\n", r->steady_batches);
	printf("offered_updates=%" PRIu64 "\n", r->steady_batches * r->series);
	printf("offered_values=%" PRIu64 "\n", r->steady_batches * r->series * IF_FIELDS);
	printf("offered_updates_per_s=%.1f\n",
		(double)(r->steady_batches * r->series) / r->seconds);
	printf("offered_values_per_s=%.1f\n",
		(double)(r->steady_batches * r->series * IF_FIELDS) / r->seconds);
	printf("acked_batches=%zu\n", n_ok);
	printf("acked_batches_total=%" PRIu64 "\n", r->acked);
	printf("failed_http=%" PRIu64 "\nfailed_transport=%" PRIu64 "\nnot_acked=%" PRIu64
	       "\nunsent=%" PRIu64 "\n",
		r->failed_http, r->failed_transport, r->not_acked, r->unsent);
	for (int s = 1; s <= 5; s++)
		if (r->status[s])
			printf("status_%dxx=%" PRIu64 "\n", s, r->status[s]);
	printf("queue_max=%zu\n", r->q_max);
	printf("lat_p50_ms=%.1f\nlat_p90_ms=%.1f\nlat_p99_ms=%.1f\nlat_max_ms=%.1f\n",
		pct(sorted, n_ok, 0.5), pct(sorted, n_ok, 0.9), pct(sorted, n_ok, 0.99),
		n_ok ? sorted[n_ok - 1] : NAN);
	/* Growth: median latency of the first and the last fifth of the run. */
	printf("lat_p50_first_ms=%.1f\nlat_p50_last_ms=%.1f\n",
		median_between(r, t_steady, t_steady + (t_end - t_steady) / 5),
		median_between(r, t_end - (t_end - t_steady) / 5, t_end));
	free(sorted);

	if (acked_path) {
		FILE *f = fopen(acked_path, "we");

		if (!f)
			die("cannot write '%s': %s", acked_path, strerror(errno));
		for (unsigned i = 0; i < r->n_agents; i++) {
			fputs(r->agents[i].name, f);
			for (unsigned k = 0; k < r->agents[i].n_acked; k++)
				fprintf(f, " %" PRId64, r->agents[i].acked[k]);
			fputc('\n', f);
		}
		if (fclose(f) != 0)
			die("cannot write '%s'", acked_path);
	}
	for (unsigned k = 0; k < r->n_conns; k++) {
		curl_easy_cleanup(r->conns[k].easy);
		curl_slist_free_all(r->conns[k].headers);
		free(r->conns[k].body);
	}
	curl_multi_cleanup(r->multi);
	curl_global_cleanup();
	return 0;
}

/* --- count ------------------------------------------------------------- */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Compares the rows of path with the values sent; returns the mismatches. */
static uint64_t
verify_file(const char *path, unsigned i, unsigned j, const int64_t *t, size_t n,
	unsigned period, int64_t last, uint64_t *ret_checked)
{
	time_t start, end;
	unsigned long step = 0, n_ds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	uint64_t bad = 0;

	/* The first sample of a file is not readable back: its row is mostly unknown. */
	if (n < 2)
		return 0;
	start = (time_t)t[0];
	end = (time_t)last;
	rrd_clear_error();
	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &n_ds, &names, &data) != 0)
		return 1;
	for (size_t k = 1; k < n && t[k] <= last; k++) {
		/* Row r covers (start + r * step, start + (r + 1) * step]. */
		long row = (long)((t[k] - start) / (int64_t)step) - 1;

		/* After a gap longer than the heartbeat (2 steps) a row is unknown. */
		if (t[k] - t[k - 1] > 2 * (int64_t)period)
			continue;

		if (step != period || row < 0 || (time_t)(start + (row + 1) * step) != t[k] ||
			start + (row + 1) * (time_t)step > end) {
			bad++;
			continue;
		}
		for (unsigned f = 0; f < n_ds && f < IF_FIELDS; f++) {
			double want = sample_value(i, j, t[k], period, f);
			double got = data[(size_t)row * n_ds + f];

			(*ret_checked)++;
			if (!(got == want))
				bad++;
		}
	}
	for (unsigned long k = 0; k < n_ds; k++)
		rrd_freemem(names[k]);
	rrd_freemem(names);
	rrd_freemem(data);
	return bad;
}

static int
cmd_count(const char *datadir, const char *acked_path, unsigned series,
	unsigned period, unsigned interval, unsigned verify_every)
{
	FILE *f = fopen(acked_path, "re");
	char *line = NULL;
	size_t cap = 0;
	uint64_t acked_values = 0, written = 0, files = 0, missing = 0, short_files = 0;
	uint64_t verified_files = 0, verified_values = 0, mismatches = 0, beyond = 0;
	int64_t *t = NULL;
	size_t t_cap = 0;

	if (!f)
		die("cannot open '%s': %s", acked_path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char host[64];
		unsigned i;
		int off = 0;
		size_t n = 0;
		char *p;

		if (sscanf(line, "%63s%n", host, &off) != 1 || sscanf(host, "agent%u", &i) != 1)
			continue;
		for (p = line + off;;) {
			char *e;
			long long v = strtoll(p, &e, 10);

			if (e == p)
				break;
			if (n == t_cap) {
				t_cap = t_cap * 2 + 16;
				t = realloc(t, t_cap * sizeof(*t));
				if (!t)
					die("out of memory");
			}
			t[n++] = v;
			p = e;
		}
		qsort(t, n, sizeof(*t), cmp_i64);
		for (unsigned j = 0; j < series; j++) {
			char path[4096];
			time_t last;
			size_t held = 0;

			snprintf(path, sizeof(path), "%s/%s/if-eth%u.rrd", datadir, host, j);
			files++;
			acked_values += (uint64_t)n * IF_FIELDS;
			if (access(path, F_OK) != 0) {
				missing++;
				continue;
			}
			rrd_clear_error();
			last = rrd_last_r(path);
			for (size_t k = 0; k < n && t[k] <= last; k++)
				held++;
			if (held < n)
				short_files++;
			if (n > 0 && last > t[n - 1])
				beyond++;
			written += (uint64_t)held * IF_FIELDS;
			if (verify_every && period == interval && files % verify_every == 0) {
				verified_files++;
				mismatches += verify_file(path, i, j, t, n, period, last,
					&verified_values);
			}
		}
	}
	free(line);
	free(t);
	fclose(f);
	printf("files=%" PRIu64 "\nfiles_missing=%" PRIu64 "\nfiles_short=%" PRIu64
	       "\nfiles_beyond=%" PRIu64 "\n",
		files, missing, short_files, beyond);
	printf("acked_values_all=%" PRIu64 "\nwritten_values_all=%" PRIu64 "\n", acked_values,
		written);
	printf("verified_files=%" PRIu64 "\nverified_values=%" PRIu64 "\nmismatches=%" PRIu64
	       "\n",
		verified_files, verified_values, mismatches);
	return 0;
}

/* --- main -------------------------------------------------------------- */

static unsigned
parse_uint(const char *name, const char *s, unsigned min, unsigned max)
{
	char *e;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno || e == s || *e || v < min || v > max)
		die("%s must be a whole number in %u..%u", name, min, max);
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	struct run r = { .seconds = 60, .period = 10, .series = 30, .n_conns = 200,
		.drain = 60 };
	const char *tokens = NULL, *acked = NULL, *datadir = NULL;
	unsigned verify_every = 0, interval = 0;

	if (argc < 2)
		die("usage: loadgen run|count OPTIONS (see the comment at the top of loadgen.c)");
	for (int k = 2; k < argc; k++) {
		const char *o = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;

		if (!v)
			die("%s needs a value", o);
		k++;
		if (strcmp(o, "--url") == 0)
			r.url = v;
		else if (strcmp(o, "--tokens") == 0)
			tokens = v;
		else if (strcmp(o, "--agents") == 0)
			r.n_agents = parse_uint(o, v, 1, 1000000);
		else if (strcmp(o, "--seconds") == 0)
			r.seconds = parse_uint(o, v, 1, 86400);
		else if (strcmp(o, "--period") == 0)
			r.period = parse_uint(o, v, 1, 3600);
		else if (strcmp(o, "--series") == 0)
			r.series = parse_uint(o, v, 1, 1000);
		else if (strcmp(o, "--connections") == 0)
			r.n_conns = parse_uint(o, v, 1, CONNECTIONS_MAX);
		else if (strcmp(o, "--drain") == 0)
			r.drain = parse_uint(o, v, 1, 3600);
		else if (strcmp(o, "--sync-dir") == 0)
			r.sync_dir = v;
		else if (strcmp(o, "--acked") == 0)
			acked = v;
		else if (strcmp(o, "--datadir") == 0)
			datadir = v;
		else if (strcmp(o, "--interval") == 0)
			interval = parse_uint(o, v, 1, 3600);
		else if (strcmp(o, "--verify-every") == 0)
			verify_every = parse_uint(o, v, 0, 1000000000);
		else
			die("unknown option '%s'", o);
	}
	if (strcmp(argv[1], "run") == 0) {
		if (!r.url || !tokens || !r.n_agents)
			die("run needs --url, --tokens and --agents");
		if (r.n_conns > r.n_agents)
			r.n_conns = r.n_agents;
		return cmd_run(&r, tokens, acked);
	}
	if (strcmp(argv[1], "count") == 0) {
		if (!datadir || !acked)
			die("count needs --datadir and --acked");
		return cmd_count(datadir, acked, r.series, r.period,
			interval ? interval : r.period, verify_every);
	}
	die("unknown command '%s'", argv[1]);
	return 2;
}
