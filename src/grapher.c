/* SPDX-License-Identifier: MIT */
/*
 * The graph workers (grapher.h): jobs wait in a queue until one of
 * max_workers slots is free, then run as a child process whose stdout and
 * stderr are read through io sources and whose end comes as a child source,
 * all on the daemon's loop. A job is done once its child has exited and both
 * pipes are at end of file (or were dropped at the timeout or the output
 * cap). Finished jobs, cache hits and spawn failures are handed back from a
 * defer source, never from grapher_run().
 *
 * A cancelled job that is running stays in the running list as an orphan
 * until its killed child is reaped, so that the loop never waits for a
 * child, and the number of processes stays within max_workers. Only
 * grapher_free() reaps synchronously, after SIGKILL.
 *
 * Children run in a process group of their own: a kill reaches whatever
 * they started too, and so does their end of the pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grapher.h"
#include "util.h"

#define ERROR_MAX 512 /* bytes of the child's stderr kept for the message */
#define READ_CHUNK 65536

extern char **environ;

/* A child's output, shared by the cache and the jobs it answers. */
struct blob {
	unsigned refs;
	size_t len;
	size_t allocated; /* bytes of data[] */
	char data[];
};

struct cache_entry {
	char *key;          /* owned */
	struct blob *blob;  /* owned reference */
	uint64_t born_usec; /* when the child finished */
	uint64_t used;      /* g->tick when last used, for LRU */
};

enum job_state {
	JOB_QUEUED,  /* in g->queued */
	JOB_RUNNING, /* in g->running, child alive or not yet reaped */
	JOB_READY,   /* in g->ready: answered from the cache */
};

struct grapher_job {
	struct grapher *grapher; /* borrowed: owner */
	TAILQ_ENTRY(grapher_job) link;
	enum job_state state;
	char **argv; /* owned: ctl_path, then the args */
	char *key;   /* owned: the args, joined unambiguously */
	grapher_done_fn done; /* NULL once cancelled (an orphan) */
	void *userdata;
	struct blob *out; /* owned: stdout so far, or the cached output */

	pid_t pid;
	sd_event_source *child_source; /* owned */
	sd_event_source *out_source;   /* owned, owns its fd; NULL at EOF */
	sd_event_source *err_source;   /* owned, owns its fd; NULL at EOF */
	sd_event_source *timer;        /* owned */
	bool exited;
	int exit_code; /* si_code CLD_* */
	int exit_status;
	int error; /* -errno: timed out, over the cap, read error */
	char err[ERROR_MAX + 1];
	size_t err_len;
};

TAILQ_HEAD(job_list, grapher_job);

struct grapher {
	sd_event *event; /* owned reference */
	char *ctl_path;  /* owned */
	unsigned max_workers;
	size_t max_queued;
	uint64_t ttl_usec;
	uint64_t timeout_usec;
	struct job_list queued, running, ready; /* own their jobs */
	size_t n_queued, n_running;
	sd_event_source *defer; /* owned: starts queued jobs, hands out ready ones */
	struct cache_entry cache[GRAPHER_CACHE_ENTRIES];
	size_t n_cache;
	size_t cache_bytes;
	uint64_t tick;
	struct grapher_stats stats;
	unsigned busy; /* done callbacks on the stack */
	bool dead;     /* grapher_free() ran inside one: free when busy drops to 0 */
};

static struct blob *
blob_new(size_t allocated)
{
	struct blob *b = xmalloc(sizeof(*b) + allocated);

	b->refs = 1;
	b->len = 0;
	b->allocated = allocated;
	return b;
}

static struct blob *
blob_unref(struct blob *b)
{
	if (b && --b->refs == 0)
		free(b);
	return NULL;
}
DEFINE_POINTER_CLEANUP(struct blob, blob_unref)

/* "len:arg," for each argument: no two vectors give the same key. */
static char *
join_key(char *const *args)
{
	char *key = xstrdup("");

	for (size_t i = 0; args[i]; i++) {
		char *k = xasprintf("%s%zu:%s,", key, strlen(args[i]), args[i]);

		free(key);
		key = k;
	}
	return key;
}

/* Not sd_event_now(): grapher_run() may be called outside the loop's callbacks. */
static uint64_t
now_mono(void)
{
	return now_usec(CLOCK_MONOTONIC);
}

static void
cache_drop(struct grapher *g, size_t i)
{
	struct cache_entry *c = &g->cache[i];

	g->cache_bytes -= c->blob->len;
	free(c->key);
	blob_unref(c->blob);
	g->cache[i] = g->cache[--g->n_cache];
}

/* A fresh cached output for key, or NULL; expired entries go. */
static struct blob *
cache_get(struct grapher *g, const char *key)
{
	uint64_t now = now_mono();

	for (size_t i = 0; i < g->n_cache; i++) {
		struct cache_entry *c = &g->cache[i];

		if (strcmp(c->key, key) != 0)
			continue;
		if (now - c->born_usec >= g->ttl_usec) {
			cache_drop(g, i);
			return NULL;
		}
		c->used = ++g->tick;
		c->blob->refs++;
		return c->blob;
	}
	return NULL;
}

static void
cache_put(struct grapher *g, const char *key, struct blob *blob)
{
	struct cache_entry *c;

	if (g->ttl_usec == 0 || blob->len > GRAPHER_CACHE_BYTES / 4)
		return;
	for (size_t i = 0; i < g->n_cache; i++)
		if (strcmp(g->cache[i].key, key) == 0) {
			cache_drop(g, i);
			break;
		}
	while (g->n_cache > 0 && (g->n_cache == GRAPHER_CACHE_ENTRIES ||
		g->cache_bytes + blob->len > GRAPHER_CACHE_BYTES)) {
		size_t lru = 0;

		for (size_t i = 1; i < g->n_cache; i++)
			if (g->cache[i].used < g->cache[lru].used)
				lru = i;
		cache_drop(g, lru);
	}
	c = &g->cache[g->n_cache++];
	c->key = xstrdup(key);
	c->blob = blob;
	blob->refs++;
	c->born_usec = now_mono();
	c->used = ++g->tick;
	g->cache_bytes += blob->len;
}

static void
wake(struct grapher *g)
{
	(void)sd_event_source_set_enabled(g->defer, SD_EVENT_ONESHOT);
}

/* SIGKILL to the child's process group, while the child is not reaped. */
static void
job_kill(struct grapher_job *j)
{
	if (j->pid > 0 && !j->exited)
		(void)kill(-j->pid, SIGKILL);
}

static void
job_close_pipes(struct grapher_job *j)
{
	j->out_source = sd_event_source_disable_unref(j->out_source);
	j->err_source = sd_event_source_disable_unref(j->err_source);
}

/* Frees a job that is in no list. */
static void
job_free(struct grapher_job *j)
{
	job_close_pipes(j);
	sd_event_source_disable_unref(j->child_source);
	sd_event_source_disable_unref(j->timer);
	blob_unref(j->out);
	strv_free(j->argv);
	free(j->key);
	free(j);
}

static void
job_unlink(struct grapher_job *j)
{
	struct grapher *g = j->grapher;

	if (j->state == JOB_QUEUED) {
		TAILQ_REMOVE(&g->queued, j, link);
		g->n_queued--;
	} else if (j->state == JOB_RUNNING) {
		TAILQ_REMOVE(&g->running, j, link);
		g->n_running--;
	} else {
		TAILQ_REMOVE(&g->ready, j, link);
	}
}

/*
 * Calls a done callback. Returns false when the callback freed the
 * grapher: the caller must return at once, touching nothing of it.
 */
static bool
call_done(struct grapher *g, grapher_done_fn done, void *userdata, int status,
	const struct blob *out, const char *error)
{
	g->busy++;
	done(status, out ? out->data : NULL, out ? out->len : 0, error, userdata);
	g->busy--;
	if (!g->dead)
		return true;
	if (g->busy == 0)
		free(g);
	return false;
}

/* A message for a child that did not succeed, and the status to report. */
static int
job_error(const struct grapher_job *j, char *buf, size_t size)
{
	size_t line = strcspn(j->err, "\n");

	if (j->error == -ETIMEDOUT) {
		snprintf(buf, size, "timed out after %.1f s",
			(double)j->grapher->timeout_usec / USEC_PER_SEC);
	} else if (j->error == -EMSGSIZE) {
		snprintf(buf, size, "output over %u MiB", GRAPHER_OUTPUT_MAX >> 20);
	} else if (j->error < 0) {
		snprintf(buf, size, "cannot read the output: %s", strerror(-j->error));
	} else if (line > 0) {
		snprintf(buf, size, "%.*s", (int)line, j->err);
	} else if (j->exit_code == CLD_EXITED) {
		snprintf(buf, size, "exited with status %d", j->exit_status);
	} else {
		snprintf(buf, size, "killed by signal %s", strsignal(j->exit_status));
	}
	if (j->error < 0)
		return j->error;
	/* healthmondctl's exit statuses (ctl.h): 64 bad command line. */
	return j->exit_code == CLD_EXITED && j->exit_status == 64 ? -EINVAL : -EIO;
}

/*
 * Ends a running job once its child is reaped and both pipes are closed:
 * caches a success, counts, and calls done unless it was cancelled.
 * Returns false when the callback freed the grapher.
 */
static bool
job_maybe_finish(struct grapher_job *j)
{
	struct grapher *g = j->grapher;
	_cleanup_(blob_unrefp) struct blob *out = NULL;
	grapher_done_fn done = j->done;
	void *userdata = j->userdata;
	char error[ERROR_MAX + 64];
	int status = 0;

	if (!j->exited || j->out_source || j->err_source)
		return true;
	job_unlink(j);
	wake(g); /* a worker is free */
	if (!done) {
		/* Cancelled: its output may be cut short, never cache it. */
		job_free(j);
		return true;
	}
	if (j->error < 0 || j->exit_code != CLD_EXITED || j->exit_status != 0) {
		status = job_error(j, error, sizeof(error));
		g->stats.failed++;
		g->stats.timed_out += j->error == -ETIMEDOUT;
	} else {
		out = TAKE_PTR(j->out);
		/* Trimmed to its size, and NUL-terminated for callers that read text. */
		out = xrealloc(out, sizeof(*out) + out->len + 1);
		out->allocated = out->len + 1;
		out->data[out->len] = '\0';
		cache_put(g, j->key, out);
	}
	job_free(j);
	return call_done(g, done, userdata, status, status < 0 ? NULL : out,
		status < 0 ? error : NULL);
}

/* Stops reading the child and kills it: timeout, output cap, read error. */
static void
job_abort(struct grapher_job *j, int error)
{
	if (j->error == 0)
		j->error = error;
	job_kill(j);
	job_close_pipes(j);
}

static void
append_out(struct grapher_job *j, const char *buf, size_t n)
{
	if (j->out->len + n > GRAPHER_OUTPUT_MAX) {
		job_abort(j, -EMSGSIZE);
		return;
	}
	if (j->out->len + n > j->out->allocated) {
		size_t size = MAX(j->out->allocated * 2, j->out->len + n);

		size = MIN(size, (size_t)GRAPHER_OUTPUT_MAX);
		j->out = xrealloc(j->out, sizeof(*j->out) + size);
		j->out->allocated = size;
	}
	memcpy(j->out->data + j->out->len, buf, n);
	j->out->len += n;
}

static void
append_err(struct grapher_job *j, const char *buf, size_t n)
{
	n = MIN(n, ERROR_MAX - j->err_len);
	memcpy(j->err + j->err_len, buf, n);
	j->err_len += n;
	j->err[j->err_len] = '\0';
}

/* Reads what a pipe holds; at its end, drops the source (closing the fd). */
static int
on_pipe(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct grapher_job *j = userdata;
	bool is_out = s == j->out_source;
	char buf[READ_CHUNK];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			job_abort(j, -errno);
			break;
		}
		if (n == 0) {
			sd_event_source **eof = is_out ? &j->out_source :
							 &j->err_source;

			*eof = sd_event_source_disable_unref(*eof);
			break;
		}
		if (is_out)
			append_out(j, buf, (size_t)n);
		else
			append_err(j, buf, (size_t)n);
		if (j->error < 0)
			break; /* over the cap */
	}
	(void)job_maybe_finish(j);
	return 0;
}

static int
on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct grapher_job *j = userdata;

	j->exited = true;
	j->exit_code = si->si_code;
	j->exit_status = si->si_status;
	(void)job_maybe_finish(j);
	return 0;
}

static int
on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct grapher_job *j = userdata;

	job_abort(j, -ETIMEDOUT);
	(void)job_maybe_finish(j);
	return 0;
}

/* A pipe whose ends are both CLOEXEC and above stderr; the read end non-blocking. */
static int
make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	for (int i = 0; i < 2; i++)
		if (fds[i] <= STDERR_FILENO) {
			int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);

			(void)close(fds[i]);
			fds[i] = fd;
		}
	if (fds[0] < 0 || fds[1] < 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		int r = -errno;

		closep(&fds[0]);
		closep(&fds[1]);
		return r;
	}
	return 0;
}

/*
 * posix_spawn() with stdin /dev/null, stdout and stderr to the pipes'
 * write ends, a process group of its own, an empty signal mask and default
 * dispositions (the daemon blocks the signals its loop handles).
 */
static int
spawn(char *const *argv, int out_fd, int err_fd, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int r;

	(void)sigemptyset(&none);
	(void)sigfillset(&all);
	(void)sigdelset(&all, SIGKILL);
	(void)sigdelset(&all, SIGSTOP);
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -ENOMEM;
	if (posix_spawnattr_init(&attr) != 0) {
		(void)posix_spawn_file_actions_destroy(&fa);
		return -ENOMEM;
	}
	r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY,
		0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
	if (r == 0)
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
				POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (r == 0)
		r = posix_spawnattr_setpgroup(&attr, 0);
	if (r == 0)
		r = posix_spawnattr_setsigmask(&attr, &none);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(&attr, &all);
	if (r == 0)
		r = posix_spawn(ret_pid, argv[0], &fa, &attr, argv, environ);
	(void)posix_spawnattr_destroy(&attr);
	(void)posix_spawn_file_actions_destroy(&fa);
	return -r;
}

static int
watch_pipe(struct grapher_job *j, int fd, sd_event_source **ret)
{
	int r = sd_event_add_io(j->grapher->event, ret, fd, EPOLLIN, on_pipe, j);

	if (r < 0) {
		(void)close(fd);
		return r;
	}
	(void)sd_event_source_set_io_fd_own(*ret, true);
	return 0;
}

/* Starts j's child and its sources; on failure nothing of it is left. */
static int
job_start(struct grapher_job *j)
{
	struct grapher *g = j->grapher;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, r;

	r = make_pipe(out);
	if (r >= 0)
		r = make_pipe(err);
	if (r >= 0)
		r = spawn(j->argv, out[1], err[1], &j->pid);
	closep(&out[1]);
	closep(&err[1]);
	if (r < 0) {
		closep(&out[0]);
		closep(&err[0]);
		j->pid = 0;
		return r;
	}
	j->out = blob_new(16384);
	r = watch_pipe(j, TAKE_FD(out[0]), &j->out_source);
	if (r >= 0)
		r = watch_pipe(j, TAKE_FD(err[0]), &j->err_source);
	if (r >= 0)
		r = sd_event_add_child(g->event, &j->child_source, j->pid, WEXITED,
			on_child, j);
	if (r >= 0)
		r = sd_event_add_time(g->event, &j->timer, CLOCK_MONOTONIC,
			now_mono() + g->timeout_usec, 10 * USEC_PER_MSEC, on_timeout,
			j);
	if (r < 0) {
		closep(&out[0]);
		closep(&err[0]);
		(void)kill(-j->pid, SIGKILL);
		while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
			;
		j->pid = 0;
		job_close_pipes(j);
		j->child_source = sd_event_source_disable_unref(j->child_source);
		j->out = blob_unref(j->out);
	}
	return r;
}

/* Starts queued jobs while workers are free, then hands out the ready ones. */
static int
on_dispatch(sd_event_source *s, void *userdata)
{
	struct grapher *g = userdata;
	struct grapher_job *j;

	while (g->n_running < g->max_workers && (j = TAILQ_FIRST(&g->queued))) {
		grapher_done_fn done = j->done;
		void *ud = j->userdata;
		char error[128];
		int r;

		job_unlink(j);
		r = job_start(j);
		if (r >= 0) {
			j->state = JOB_RUNNING;
			TAILQ_INSERT_TAIL(&g->running, j, link);
			g->n_running++;
			g->stats.runs++;
			continue;
		}
		/* sd_event_add_child() refuses to watch with SIGCHLD unblocked. */
		snprintf(error, sizeof(error), "cannot run '%s': %s", g->ctl_path,
			r == -EBUSY ? "SIGCHLD is not blocked" : strerror(-r));
		g->stats.failed++;
		job_free(j);
		if (!call_done(g, done, ud, r, NULL, error))
			return 0;
	}
	while ((j = TAILQ_FIRST(&g->ready))) {
		_cleanup_(blob_unrefp) struct blob *out = TAKE_PTR(j->out);
		grapher_done_fn done = j->done;
		void *ud = j->userdata;

		job_unlink(j);
		job_free(j);
		if (!call_done(g, done, ud, 0, out, NULL))
			return 0;
	}
	return 0;
}

int
grapher_new(sd_event *e, const char *ctl_path, unsigned max_workers, size_t max_queued,
	unsigned cache_ttl_sec, struct grapher **ret)
{
	_cleanup_(grapher_freep) struct grapher *g = NULL;
	int r;

	if (!e || !ctl_path || max_workers == 0)
		return -EINVAL;
	g = xcalloc(1, sizeof(*g));
	g->event = sd_event_ref(e);
	g->ctl_path = xstrdup(ctl_path);
	g->max_workers = max_workers;
	g->max_queued = max_queued;
	g->ttl_usec = cache_ttl_sec * USEC_PER_SEC;
	g->timeout_usec = GRAPHER_TIMEOUT_USEC;
	TAILQ_INIT(&g->queued);
	TAILQ_INIT(&g->running);
	TAILQ_INIT(&g->ready);
	r = sd_event_add_defer(e, &g->defer, on_dispatch, g);
	if (r < 0)
		return r;
	(void)sd_event_source_set_enabled(g->defer, SD_EVENT_OFF);
	*ret = TAKE_PTR(g);
	return 0;
}

int
grapher_run(struct grapher *g, char *const *args, grapher_done_fn done, void *userdata,
	struct grapher_job **ret_job)
{
	_cleanup_free_ char *key = NULL;
	struct grapher_job *j;
	struct blob *cached;

	if (!args || !args[0] || !done)
		return -EINVAL;
	key = join_key(args);
	cached = cache_get(g, key);
	if (!cached && g->n_running + g->n_queued >= g->max_workers + g->max_queued) {
		g->stats.refused++;
		return -EAGAIN;
	}
	j = xcalloc(1, sizeof(*j));
	j->grapher = g;
	j->done = done;
	j->userdata = userdata;
	j->key = TAKE_PTR(key);
	strv_push(&j->argv, g->ctl_path);
	for (size_t i = 0; args[i]; i++)
		strv_push(&j->argv, args[i]);
	if (cached) {
		j->out = cached;
		j->state = JOB_READY;
		TAILQ_INSERT_TAIL(&g->ready, j, link);
		g->stats.cache_hits++;
	} else {
		j->state = JOB_QUEUED;
		TAILQ_INSERT_TAIL(&g->queued, j, link);
		g->n_queued++;
	}
	wake(g);
	if (ret_job)
		*ret_job = j;
	return 0;
}

void
grapher_cancel(struct grapher_job *j)
{
	if (!j)
		return;
	if (j->state != JOB_RUNNING) {
		job_unlink(j);
		job_free(j);
		return;
	}
	/* An orphan until its child is reaped: see the top of the file. */
	j->done = NULL;
	j->userdata = NULL;
	job_abort(j, -ECANCELED);
}

void
grapher_get_stats(const struct grapher *g, struct grapher_stats *ret)
{
	*ret = g->stats;
	ret->running = g->n_running;
	ret->queued = g->n_queued;
}

void
grapher_set_timeout(struct grapher *g, uint64_t usec)
{
	g->timeout_usec = usec;
}

/* Kills and reaps a running job's child: the loop will not be there to. */
static void
job_reap(struct grapher_job *j)
{
	job_kill(j);
	if (j->pid > 0 && !j->exited)
		while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
			;
}

static void
free_list(struct grapher *g, struct job_list *l)
{
	struct grapher_job *j;

	while ((j = TAILQ_FIRST(l))) {
		if (j->state == JOB_RUNNING)
			job_reap(j);
		job_unlink(j);
		job_free(j);
	}
}

struct grapher *
grapher_free(struct grapher *g)
{
	if (!g || g->dead)
		return NULL;
	free_list(g, &g->running);
	free_list(g, &g->queued);
	free_list(g, &g->ready);
	while (g->n_cache > 0)
		cache_drop(g, g->n_cache - 1);
	g->defer = sd_event_source_disable_unref(g->defer);
	g->event = sd_event_unref(g->event);
	free(g->ctl_path);
	g->ctl_path = NULL;
	/* Inside a done callback: call_done() frees g once it returns. */
	if (g->busy > 0)
		g->dead = true;
	else
		free(g);
	return NULL;
}
