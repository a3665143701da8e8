/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd on the sd-event loop, the way systemd-journal-remote runs
 * it: each MHD daemon works in "external epoll" mode, so that its epoll fd
 * is one io source of our loop calling sym_MHD_run(), and a timer, re-armed from
 * sym_MHD_get_timeout() after each run, covers connection timeouts and data MHD
 * already holds (TLS records it has decrypted, reads it left for later).
 *
 * We make the listening sockets ourselves, one per "address:port", and hand
 * MHD a duplicate of each (MHD closes what it is given when it stops), so a
 * reload can pass a socket on to the next server without ever closing it.
 *
 * Requests: the access handler is called once when the headers are in, then
 * once per piece of body, then once with no data. The first call routes the
 * request, lets the route's on_headers handler answer early (authentication),
 * and refuses a Content-Length over the route's cap; an answer queued then
 * makes MHD close the reading side without reading the body. Body pieces are
 * appended up to the cap; past it, the request is refused. The last call
 * hands the whole body to the route's handler. Nothing here blocks; handlers
 * run inside sym_MHD_run() and must not free the server.
 *
 * A handler that suspends its request (MHD_ALLOW_SUSPEND_RESUME) leaves the
 * connection parked until its owner answers: http_request.c keeps the
 * answer and resumes the connection, and the access handler, called again,
 * queues it. MHD aborts the process when it is stopped with a connection
 * still suspended, so a server going away first tells the owners, resumes
 * their requests and runs MHD until it has closed them. UNIX socket files
 * this server made (or took over on reload) are removed when it is freed.
 * The request side (accessors, answers, certificates) is http_request.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dlmhd.h"
#include "http_internal.h"
#include "log.h"
#include "netaddr.h"
#include "util.h"

/* Per connection: headers and MHD's read buffer live in this pool. */
#define CONNECTION_MEMORY_LIMIT (64 * 1024)
/* The TLS files are small; refuse anything bigger than this. */
#define PEM_FILE_MAX (1024 * 1024)

/* Reads a PEM file named in the configuration. */
static int
read_pem(const char *what, const char *path, char **ret, char **ret_error)
{
	int r;

	r = read_file_at(NULL, path, PEM_FILE_MAX, ret, NULL);
	if (r < 0)
		*ret_error = xasprintf("cannot read the %s '%s': %s", what, path,
			strerror(-r));
	return r;
}

static void
wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static struct listener *
find_listener(struct http_server *s, const char *address)
{
	for (size_t i = 0; s && i < s->n_listeners; i++)
		if (s->listeners[i].fd >= 0 && strcmp(s->listeners[i].address, address) == 0)
			return &s->listeners[i];
	return NULL;
}

/* Opens l->address, or takes old's socket over. 0, or -errno with *ret_error. */
static int
listener_open(struct listener *l, const struct listener *old, char **ret_error)
{
	const char *path = netaddr_unix_path(l->address);
	struct stat st;
	int r;

	if (old) {
		l->fd = fcntl(old->fd, F_DUPFD_CLOEXEC, 3);
		if (l->fd < 0) {
			r = -errno;
			*ret_error = xasprintf("cannot take over the socket of '%s': %s",
				l->address, strerror(errno));
			return r;
		}
		return 0;
	}
	r = netaddr_listen(l->address, &l->fd, ret_error);
	if (r < 0 || !path)
		return r;
	/* Ours to remove on free, unless something else replaced it by then. */
	l->unix_path = xstrdup(path);
	if (stat(path, &st) == 0) {
		l->unix_dev = st.st_dev;
		l->unix_ino = st.st_ino;
	}
	return 0;
}

/* Removes the UNIX socket file of l if it is still the one we made. */
static void
listener_unlink(struct listener *l)
{
	struct stat st;

	if (!l->unix_path)
		return;
	if (stat(l->unix_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		st.st_dev == l->unix_dev && st.st_ino == l->unix_ino)
		(void)unlink(l->unix_path);
	free(l->unix_path);
	l->unix_path = NULL;
}

int
http_server_new(const struct http_config *cfg, const struct http_route *routes,
	size_t n_routes, struct http_server *previous, struct http_server **ret,
	char **ret_error)
{
	_cleanup_(http_server_freep) struct http_server *s = xcalloc(1, sizeof(*s));
	size_t n = strv_length(cfg->listen);
	int r;

	*ret_error = NULL;
	if (n == 0) {
		*ret_error = xstrdup("no listen address");
		return -EINVAL;
	}
	r = dlmhd_open();
	if (r < 0) {
		*ret_error = xasprintf("cannot load libmicrohttpd and GnuTLS: %s",
			dlmhd_error());
		return r;
	}
	if (!cfg->tls_cert != !cfg->tls_key) {
		*ret_error = xstrdup("tls_cert and tls_key go together");
		return -EINVAL;
	}
	if (cfg->client_ca && !cfg->tls_cert) {
		*ret_error = xstrdup("client_ca needs tls_cert and tls_key");
		return -EINVAL;
	}
	if (cfg->tls_cert) {
		if ((r = read_pem("TLS certificate", cfg->tls_cert, &s->tls_cert,
			     ret_error)) < 0 ||
			(r = read_pem("TLS key", cfg->tls_key, &s->tls_key, ret_error)) < 0)
			return r;
		if (cfg->client_ca &&
			(r = read_pem("client CA", cfg->client_ca, &s->client_ca, ret_error)) <
				0)
			return r;
	}
	s->routes = xcalloc(n_routes, sizeof(*s->routes));
	memcpy(s->routes, routes, n_routes * sizeof(*s->routes));
	s->n_routes = n_routes;
	s->max_connections = cfg->max_connections;
	s->idle_timeout = cfg->idle_timeout;
	s->listeners = xcalloc(n, sizeof(*s->listeners));
	for (size_t i = 0; i < n; i++)
		s->listeners[i].fd = -1;
	s->n_listeners = n;
	for (size_t i = 0; i < n; i++) {
		struct listener *l = &s->listeners[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(s->listeners[j].address, cfg->listen[i]) == 0) {
				*ret_error = xasprintf("listen address '%s' is listed twice",
					cfg->listen[i]);
				return -EINVAL;
			}
		l->address = xstrdup(cfg->listen[i]);
		r = listener_open(l, find_listener(previous, l->address), ret_error);
		if (r < 0)
			return r;
	}
	/*
	 * Only now that nothing can fail: the socket files taken over are ours
	 * to remove, no longer previous's.
	 */
	for (size_t i = 0; i < n; i++) {
		struct listener *old = find_listener(previous, s->listeners[i].address);

		if (old && old->unix_path) {
			s->listeners[i].unix_path = TAKE_PTR(old->unix_path);
			s->listeners[i].unix_dev = old->unix_dev;
			s->listeners[i].unix_ino = old->unix_ino;
		}
	}
	*ret = TAKE_PTR(s);
	return 0;
}

int
http_server_port(const struct http_server *s, size_t i)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (i >= s->n_listeners || s->listeners[i].fd < 0)
		return -EINVAL;
	if (getsockname(s->listeners[i].fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	if (sa.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&sa)->sin_port);
	if (sa.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
	return -EAFNOSUPPORT;
}

const struct http_stats *
http_server_get_stats(const struct http_server *s)
{
	return &s->stats;
}

/* The access handler. */

/* The route for method and path; else *ret_allow names a method the path takes. */
static const struct http_route *
find_route(const struct http_server *s, const char *method, const char *path,
	const char **ret_allow)
{
	*ret_allow = NULL;
	for (size_t i = 0; i < s->n_routes; i++) {
		if (strcmp(s->routes[i].path, path) != 0)
			continue;
		if (strcmp(s->routes[i].method, method) == 0)
			return &s->routes[i];
		*ret_allow = s->routes[i].method;
	}
	return NULL;
}

/* Counts and answers a body over the cap (when MHD still takes an answer). */
static void
refuse_too_large(struct http_request *r)
{
	r->daemon->server->stats.too_large++;
	r->too_large = true;
	if (r->route->on_too_large)
		r->route->on_too_large(r, r->route->userdata);
	if (!r->answered)
		(void)http_respond_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "too_large",
			"the body is larger than %zu bytes", r->route->max_body);
}

/* The first call: the headers are in, none of the body has been read. */
static enum MHD_Result
on_headers(struct http_request *r)
{
	struct http_server *s = r->daemon->server;
	const char *cl;
	const char *allow;

	s->stats.requests++;
	r->route = find_route(s, r->method, r->path, &allow);
	if (!r->route) {
		s->stats.not_found++;
		if (allow) {
			http_response_add_header(r, "Allow", allow);
			(void)http_respond_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method",
				"method not allowed");
		} else
			(void)http_respond_error(r, MHD_HTTP_NOT_FOUND, "not_found",
				"no such path");
		return MHD_YES;
	}
	if (r->route->on_headers) {
		r->route->on_headers(r, r->route->userdata);
		if (r->answered)
			return MHD_YES;
	}
	cl = http_request_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		uint64_t n;

		if (safe_atou64(cl, &n) < 0) {
			(void)http_respond_error(r, MHD_HTTP_BAD_REQUEST, "syntax",
				"bad Content-Length");
			return MHD_YES;
		}
		if (n > r->route->max_body)
			refuse_too_large(r);
	}
	return MHD_YES;
}

static enum MHD_Result
on_body_piece(struct http_request *r, const char *data, size_t size)
{
	size_t max = r->route->max_body;

	if (r->too_large)
		return MHD_NO;
	if (size > max - r->len) {
		/*
		 * A chunked body went past the cap (Content-Length was checked
		 * before). MHD 0.9.75 takes no answer in the middle of a body
		 * (sym_MHD_queue_response() fails), and reading the rest just to say
		 * 413 would let a peer stream for as long as it likes: the
		 * handler counts it, and the connection is closed unanswered.
		 */
		refuse_too_large(r);
		return MHD_NO;
	}
	if (r->len + size + 1 > r->allocated) {
		size_t want = MAX(r->allocated, (size_t)4096);

		while (want < r->len + size + 1)
			want *= 2;
		want = MIN(want, max + 1);
		r->body = xrealloc(r->body, want);
		r->allocated = want;
	}
	memcpy(r->body + r->len, data, size);
	r->len += size;
	r->body[r->len] = '\0';
	return MHD_YES;
}

/*
 * The handler's call after a suspended request was resumed: queue the
 * answer its owner gave; without one (aborted, or it could not be built)
 * the connection is closed.
 */
static enum MHD_Result
on_resumed(struct http_request *r)
{
	struct MHD_Response *resp = TAKE_PTR(r->pending);
	enum MHD_Result q;

	request_unpark(r);
	if (!resp)
		return MHD_NO;
	q = sym_MHD_queue_response(r->conn, r->pending_status, resp);
	sym_MHD_destroy_response(resp);
	return q;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *upload_data,
	size_t *upload_data_size, void **con_cls)
{
	struct http_daemon *d = cls;
	struct http_request *r = *con_cls;
	enum MHD_Result res;

	if (!r) {
		r = request_new(d, conn, method, url);
		*con_cls = r;
		return on_headers(r);
	}
	if (*upload_data_size > 0) {
		/* After an early answer, MHD reads no body; this is for safety. */
		if (r->answered || !r->route) {
			*upload_data_size = 0;
			return r->route ? MHD_YES : MHD_NO;
		}
		res = on_body_piece(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return res;
	}
	if (r->is_parked)
		return on_resumed(r);
	if (r->answered)
		return MHD_YES;
	if (!r->route)
		return MHD_NO;
	r->suspend_wanted = false;
	r->route->on_request(r, r->route->userdata);
	if (!r->answered && r->suspend_wanted) {
		request_park(r);
		return MHD_YES;
	}
	if (!r->answered)
		(void)http_respond_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
			"the request was not answered");
	return MHD_YES;
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	struct http_daemon *d = cls;
	struct http_request *r = *con_cls;

	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK &&
		toe != MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN)
		d->server->stats.dropped++;
	request_free(r);
	*con_cls = NULL;
}

static void
connection_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
	enum MHD_ConnectionNotificationCode toe)
{
	struct http_daemon *d = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		d->server->stats.connections++;
}

/* MHD's own messages: peers can cause most of them, so they stay at debug. */
static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct http_daemon *d = cls;
	size_t n;

	(void)vsnprintf(d->last_error, sizeof(d->last_error), fmt, ap);
	n = strlen(d->last_error);
	while (n > 0 && (d->last_error[n - 1] == '\n' || d->last_error[n - 1] == ' '))
		d->last_error[--n] = '\0';
	log_debug("microhttpd on '%s': %s", d->address, d->last_error);
}

/* The loop side. */

static void
daemon_run(struct http_daemon *d)
{
	MHD_UNSIGNED_LONG_LONG ms;
	int r;

	(void)sym_MHD_run(d->mhd);
	if (sym_MHD_get_timeout(d->mhd, &ms) != MHD_YES) {
		(void)sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
		return;
	}
	/* MHD's timeout is relative, in milliseconds; 0: work is waiting. */
	r = sd_event_source_set_time(d->timer,
		now_usec(CLOCK_MONOTONIC) + MIN(ms, (MHD_UNSIGNED_LONG_LONG)86400000) * 1000);
	if (r >= 0)
		r = sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
	if (r < 0)
		log_warning_errno(r, "Cannot arm the HTTP timer of '%s'", d->address);
}

static int
on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	daemon_run(userdata);
	return 0;
}

static int
on_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	daemon_run(userdata);
	return 0;
}

static int
daemon_start(struct http_server *s, struct http_daemon *d, const struct listener *l,
	sd_event *e, char **ret_error)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem opts[16];
	const union MHD_DaemonInfo *info;
	size_t n = 0;
	int fd, r;

	d->server = s;
	d->address = l->address;
	LIST_INIT(&d->parked);
	/* MHD closes the socket it is given when it stops: give it a copy. */
	fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		*ret_error = xasprintf("cannot duplicate the socket of '%s': %s",
			l->address, strerror(errno));
		return -errno;
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
		(intptr_t)mhd_logger, d };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
		(intptr_t)request_completed, d };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
		(intptr_t)connection_notify, d };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
		(intptr_t)s->max_connections, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
		(intptr_t)s->idle_timeout, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		CONNECTION_MEMORY_LIMIT, NULL };
	/* Refuse sloppy requests (whitespace in header names and the like). */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL };
	/* A UNIX socket is local and guarded by its directory: it stays plain. */
	if (s->tls_cert && !netaddr_unix_path(l->address)) {
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
			s->tls_cert };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
			s->tls_key };
		if (s->client_ca)
			opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
				s->client_ca };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	d->mhd = sym_MHD_start_daemon(flags, 0, NULL, NULL, access_handler, d,
		MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!d->mhd) {
		(void)close(fd);
		*ret_error = xasprintf("cannot serve HTTP on '%s'%s%s", l->address,
			d->last_error[0] ? ": " : "", d->last_error);
		return -EINVAL;
	}
	info = sym_MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		*ret_error = xasprintf("microhttpd has no epoll fd for '%s'", l->address);
		return -EOPNOTSUPP;
	}
	r = sd_event_add_io(e, &d->io, info->epoll_fd, EPOLLIN, on_io, d);
	if (r >= 0)
		/*
		 * Accuracy 1 us: the timer mostly means "work is waiting now" (a
		 * resumed request, MHD's timeout 0); sd-event's default slack would
		 * add about a millisecond to each step of such a connection.
		 */
		r = sd_event_add_time(e, &d->timer, CLOCK_MONOTONIC, UINT64_MAX, 1, on_timer, d);
	if (r < 0) {
		*ret_error = xasprintf("cannot watch the HTTP server of '%s': %s",
			l->address, strerror(-r));
		return r;
	}
	(void)sd_event_source_set_description(d->io, "http-io");
	(void)sd_event_source_set_description(d->timer, "http-timer");
	daemon_run(d);
	return 0;
}

/*
 * MHD_stop_daemon() aborts the process while a connection is suspended,
 * and MHD_resume_connection() only flags one for MHD_run() to take back:
 * tell the owners of suspended requests to let go, resume them, and run
 * MHD until their handler closed them all (nothing suspends them again).
 */
static void
daemon_drain(struct http_daemon *d)
{
	struct http_request *r, *next;

	for (r = LIST_FIRST(&d->parked); r; r = next) {
		next = LIST_NEXT(r, parked_link);
		request_abort(r);
	}
	for (unsigned i = 0; i < 64 && !LIST_EMPTY(&d->parked); i++)
		(void)sym_MHD_run(d->mhd);
	if (!LIST_EMPTY(&d->parked))
		log_warning("HTTP connections on '%s' stay suspended at shutdown",
			d->address);
}

static void
daemon_stop(struct http_daemon *d)
{
	sd_event_source_disable_unref(d->io);
	sd_event_source_disable_unref(d->timer);
	d->io = d->timer = NULL;
	if (d->mhd) {
		daemon_drain(d);
		sym_MHD_stop_daemon(d->mhd);
	}
	d->mhd = NULL;
}

void
daemon_wake(struct http_daemon *d)
{
	int r;

	/*
	 * MHD signals its epoll fd on a resumption; the timer covers a
	 * resumption from inside sym_MHD_run(), whose end re-arms it anyway.
	 */
	if (!d->timer)
		return;
	r = sd_event_source_set_time(d->timer, now_usec(CLOCK_MONOTONIC));
	if (r >= 0)
		r = sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
	if (r < 0)
		log_warning_errno(r, "Cannot arm the HTTP timer of '%s'", d->address);
}

int
http_server_start(struct http_server *s, sd_event *e, char **ret_error)
{
	int r;

	*ret_error = NULL;
	if (s->daemons)
		return -EALREADY;
	s->daemons = xcalloc(s->n_listeners, sizeof(*s->daemons));
	for (size_t i = 0; i < s->n_listeners; i++) {
		s->n_daemons = i + 1;
		r = daemon_start(s, &s->daemons[i], &s->listeners[i], e, ret_error);
		if (r < 0) {
			for (size_t j = 0; j <= i; j++)
				daemon_stop(&s->daemons[j]);
			free(s->daemons);
			s->daemons = NULL;
			s->n_daemons = 0;
			return r;
		}
	}
	return 0;
}

struct http_server *
http_server_free(struct http_server *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_daemons; i++)
		daemon_stop(&s->daemons[i]);
	free(s->daemons);
	for (size_t i = 0; i < s->n_listeners; i++) {
		listener_unlink(&s->listeners[i]);
		if (s->listeners[i].fd >= 0)
			(void)close(s->listeners[i].fd);
		free(s->listeners[i].address);
	}
	free(s->listeners);
	free(s->routes);
	free(s->tls_cert);
	wipe_free(s->tls_key);
	free(s->client_ca);
	free(s);
	return NULL;
}
