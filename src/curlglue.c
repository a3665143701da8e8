/* SPDX-License-Identifier: MIT */
/*
 * One curl multi handle per sd-event loop, shared by probes and uploads.
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION: one sd-event
 * io source per socket) and when to call it back for its own timeouts
 * (CURLMOPT_TIMERFUNCTION: one monotonic timer for the whole set); every
 * wake-up hands control back to curl_multi_socket_action() and then reaps
 * finished transfers with curl_multi_info_read(), calling each owner's
 * callback (after systemd's src/shared/curl-util.c).
 *
 * The glue of a loop is found through a small registry keyed by the sd_event
 * and counted by references, so that probe.c and upload.c share it without
 * knowing of each other. A callback may drop the last reference: the glue
 * then only marks itself, and the outermost handler frees it on the way out.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <time.h>

#include "curlglue.h"
#include "dlcurl.h"
#include "util.h"

/* One transfer in flight; CURLOPT_PRIVATE points to it. */
struct xfer {
	CURL *easy; /* borrowed: owner is whoever added it */
	curlglue_done_fn done;
	void *userdata; /* borrowed */
	LIST_ENTRY(xfer) link;
};

/* One socket curl asked us to watch; curl keeps the pointer (curl_multi_assign). */
struct sock {
	sd_event_source *source; /* owned */
	LIST_ENTRY(sock) link;
};

struct curlglue {
	sd_event *event;          /* owned reference; the registry's key */
	unsigned refs;
	CURLM *multi;             /* owned */
	bool curl_initialized;
	sd_event_source *timer;   /* owned */
	LIST_HEAD(, sock) socks;  /* owned entries */
	LIST_HEAD(, xfer) xfers;  /* owned entries */
	size_t running;
	unsigned dispatching;     /* depth of our handlers on the stack */
	bool dead;                /* last reference dropped: free on the way out */
	LIST_ENTRY(curlglue) link; /* in the registry */
};

/* Every glue alive, one per loop. The daemon has one thread. */
static LIST_HEAD(, curlglue) registry = LIST_HEAD_INITIALIZER(registry);

static void glue_destroy(struct curlglue *g);

static void
glue_enter(struct curlglue *g)
{
	g->dispatching++;
}

static void
glue_leave(struct curlglue *g)
{
	if (--g->dispatching == 0 && g->dead)
		glue_destroy(g);
}

static void
xfer_free(struct curlglue *g, struct xfer *x)
{
	LIST_REMOVE(x, link);
	(void)sym_curl_easy_setopt(x->easy, CURLOPT_PRIVATE, NULL);
	g->running--;
	free(x);
}

/* Reaps every finished transfer; called inside glue_enter(). */
static void
drain_done(struct curlglue *g)
{
	CURLMsg *msg;
	int left;

	while (!g->dead && (msg = sym_curl_multi_info_read(g->multi, &left))) {
		CURLcode code = msg->data.result;
		CURL *easy = msg->easy_handle;
		curlglue_done_fn done;
		struct xfer *x;
		void *userdata, *p = NULL;

		/* msg is only valid until the handle is removed: copy first. */
		if (msg->msg != CURLMSG_DONE)
			continue;
		if (sym_curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p) != CURLE_OK || !p)
			continue;
		x = p;
		done = x->done;
		userdata = x->userdata;
		(void)sym_curl_multi_remove_handle(g->multi, easy);
		xfer_free(g, x);
		done(easy, code, userdata);
	}
}

static int
on_io(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct curlglue *g = userdata;
	int what = 0, running;

	if (revents & EPOLLIN)
		what |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		what |= CURL_CSELECT_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		what |= CURL_CSELECT_ERR;
	glue_enter(g);
	(void)sym_curl_multi_socket_action(g->multi, fd, what, &running);
	drain_done(g);
	glue_leave(g);
	return 0;
}

static void
sock_free(struct sock *k)
{
	if (!k)
		return;
	LIST_REMOVE(k, link);
	(void)sd_event_source_disable_unref(k->source);
	free(k);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl wants, or stop watching it. */
static int
on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userdata, void *socketp)
{
	struct curlglue *g = userdata;
	struct sock *k = socketp;
	uint32_t events = 0;
	int enabled;

	if (what == CURL_POLL_REMOVE) {
		sock_free(k);
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	if (!k) {
		k = xcalloc(1, sizeof(*k));
		if (sd_event_add_io(g->event, &k->source, fd, events, on_io, g) < 0) {
			free(k);
			return -1;
		}
		(void)sd_event_source_set_description(k->source, "curl-io");
		LIST_INSERT_HEAD(&g->socks, k, link);
		if (sym_curl_multi_assign(g->multi, fd, k) != CURLM_OK) {
			sock_free(k);
			return -1;
		}
	} else if (sd_event_source_set_io_events(k->source, events) < 0)
		return -1;
	/* CURL_POLL_NONE: keep the socket known but quiet, or EPOLLHUP would spin. */
	enabled = events ? SD_EVENT_ON : SD_EVENT_OFF;
	if (sd_event_source_set_enabled(k->source, enabled) < 0)
		return -1;
	return 0;
}

static int
on_curl_timeout(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct curlglue *g = userdata;
	int running;

	glue_enter(g);
	(void)sym_curl_multi_socket_action(g->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain_done(g);
	glue_leave(g);
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION: curl wants to be called back in timeout_ms (-1:
 * never). Even for 0 we only arm the timer: calling
 * curl_multi_socket_action() from inside this callback would re-enter curl.
 */
static int
on_curl_timer(CURLM *multi, long timeout_ms, void *userdata)
{
	struct curlglue *g = userdata;
	uint64_t when;

	if (timeout_ms < 0) {
		if (sd_event_source_set_enabled(g->timer, SD_EVENT_OFF) < 0)
			return -1;
		return 0;
	}
	when = now_usec(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * USEC_PER_MSEC;
	if (sd_event_source_set_time(g->timer, when) < 0 ||
		sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT) < 0)
		return -1;
	return 0;
}

static int
glue_init_curl(struct curlglue *g)
{
	int bad = 0; /* CURLM_OK is 0: any failure leaves bits set */
	int r;

	r = dlcurl_open();
	if (r < 0)
		return r;
	if (sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	g->curl_initialized = true;
	g->multi = sym_curl_multi_init();
	if (!g->multi)
		return -ENOMEM;
	bad |= sym_curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	bad |= sym_curl_multi_setopt(g->multi, CURLMOPT_SOCKETDATA, g);
	bad |= sym_curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	bad |= sym_curl_multi_setopt(g->multi, CURLMOPT_TIMERDATA, g);
	if (bad)
		return -EIO;
	/* sd-event's default accuracy is 250 ms; curl's timeouts are in ms. */
	r = sd_event_add_time(g->event, &g->timer, CLOCK_MONOTONIC, 0, USEC_PER_MSEC,
		on_curl_timeout, g);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(g->timer, "curl-timer");
	return sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
}

int
curlglue_acquire(sd_event *e, struct curlglue **ret)
{
	struct curlglue *g;
	int r;

	LIST_FOREACH(g, &registry, link)
		if (g->event == e && !g->dead) {
			g->refs++;
			*ret = g;
			return 0;
		}
	g = xcalloc(1, sizeof(*g));
	g->event = sd_event_ref(e);
	g->refs = 1;
	LIST_INIT(&g->socks);
	LIST_INIT(&g->xfers);
	LIST_INSERT_HEAD(&registry, g, link);
	r = glue_init_curl(g);
	if (r < 0) {
		glue_destroy(g);
		return r;
	}
	*ret = g;
	return 0;
}

int
curlglue_add(struct curlglue *g, CURL *easy, curlglue_done_fn done, void *userdata)
{
	struct xfer *x = xcalloc(1, sizeof(*x));

	x->easy = easy;
	x->done = done;
	x->userdata = userdata;
	if (sym_curl_easy_setopt(easy, CURLOPT_PRIVATE, x) != CURLE_OK ||
		sym_curl_multi_add_handle(g->multi, easy) != CURLM_OK) {
		(void)sym_curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(x);
		return -EIO;
	}
	LIST_INSERT_HEAD(&g->xfers, x, link);
	g->running++;
	return 0;
}

void
curlglue_remove(struct curlglue *g, CURL *easy)
{
	void *p = NULL;

	if (!easy)
		return;
	if (sym_curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p) != CURLE_OK || !p)
		return;
	/* Removing a handle may call on_curl_socket() to drop its sockets. */
	(void)sym_curl_multi_remove_handle(g->multi, easy);
	xfer_free(g, p);
}

size_t
curlglue_running(const struct curlglue *g)
{
	return g->running;
}

static void
glue_destroy(struct curlglue *g)
{
	LIST_REMOVE(g, link);
	/* Owners remove their transfers first; this only guards against leaks. */
	while (!LIST_EMPTY(&g->xfers)) {
		struct xfer *x = LIST_FIRST(&g->xfers);

		(void)sym_curl_multi_remove_handle(g->multi, x->easy);
		xfer_free(g, x);
	}
	if (g->multi) {
		/* Cleanup would call back for cached connections: sockets go below. */
		(void)sym_curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, NULL);
		(void)sym_curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, NULL);
		(void)sym_curl_multi_cleanup(g->multi);
	}
	while (!LIST_EMPTY(&g->socks))
		sock_free(LIST_FIRST(&g->socks));
	(void)sd_event_source_disable_unref(g->timer);
	if (g->curl_initialized)
		sym_curl_global_cleanup();
	sd_event_unref(g->event);
	free(g);
}

struct curlglue *
curlglue_unref(struct curlglue *g)
{
	if (!g)
		return NULL;
	if (--g->refs > 0)
		return NULL;
	if (g->dispatching > 0)
		g->dead = true;
	else
		glue_destroy(g);
	return NULL;
}
