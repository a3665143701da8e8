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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>


#include "dlmhd.h"
#include "http.h"
#include "netaddr.h"
#include "log.h"
#include "util.h"

/* Per connection: headers and MHD's read buffer live in this pool. */
#define CONNECTION_MEMORY_LIMIT (64 * 1024)
/* The TLS files are small; refuse anything bigger than this. */
#define PEM_FILE_MAX (1024 * 1024)

struct listener {
	char *address; /* owned: as configured */
	int fd;        /* owned */
};

struct http_daemon {
	struct http_server *server; /* borrowed: the owner */
	const char *address;        /* borrowed: its listener's */
	struct MHD_Daemon *mhd;     /* owned */
	sd_event_source *io;        /* owned: MHD's epoll fd */
	sd_event_source *timer;     /* owned */
	char last_error[256];       /* MHD's last log line, for start failures */
};

struct http_server {
	struct listener *listeners;  /* owned array */
	size_t n_listeners;
	struct http_daemon *daemons; /* owned array, one per listener once started */
	size_t n_daemons;
	struct http_route *routes;   /* owned copy; the strings borrowed */
	size_t n_routes;
	char *tls_cert;              /* owned: PEM text, or NULL */
	char *tls_key;               /* owned: PEM text, wiped on free */
	char *client_ca;             /* owned: PEM text, or NULL */
	unsigned max_connections;
	unsigned idle_timeout;
	struct http_stats stats;
};

struct http_request {
	struct http_daemon *daemon;  /* borrowed */
	struct MHD_Connection *conn; /* borrowed: MHD's */
	const struct http_route *route; /* borrowed: the server's; NULL: not routed */
	char *method;                /* owned */
	char *path;                  /* owned */
	char *body;                  /* owned; NUL-terminated for convenience */
	size_t len;
	size_t allocated;
	char **headers;              /* owned strv: name, value, name, value... */
	char *user;                  /* owned: http_request_set_user()'s, or NULL */
	char peer[64];
	bool answered;
	bool too_large;
	bool cert_checked;
	int cert_result;             /* http_request_client_cn()'s, once checked */
	char cert_cn[256];
};

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

static const struct listener *
find_listener(const struct http_server *s, const char *address)
{
	for (size_t i = 0; s && i < s->n_listeners; i++)
		if (s->listeners[i].fd >= 0 && strcmp(s->listeners[i].address, address) == 0)
			return &s->listeners[i];
	return NULL;
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
		const struct listener *old = find_listener(previous, cfg->listen[i]);
		struct listener *l = &s->listeners[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(s->listeners[j].address, cfg->listen[i]) == 0) {
				*ret_error = xasprintf("listen address '%s' is listed twice",
					cfg->listen[i]);
				return -EINVAL;
			}
		l->address = xstrdup(cfg->listen[i]);
		if (old) {
			l->fd = fcntl(old->fd, F_DUPFD_CLOEXEC, 3);
			if (l->fd < 0) {
				*ret_error = xasprintf("cannot take over the socket of '%s': %s",
					l->address, strerror(errno));
				return -errno;
			}
			continue;
		}
		r = netaddr_listen(l->address, &l->fd, ret_error);
		if (r < 0)
			return r;
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

/* Requests. */

static void
format_peer(const struct sockaddr *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (!sa) {
		(void)snprintf(buf, size, "?");
		return;
	}
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		(void)inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		(void)snprintf(buf, size, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		(void)inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		(void)snprintf(buf, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else
		(void)snprintf(buf, size, "?");
}

static struct http_request *
request_new(struct http_daemon *d, struct MHD_Connection *conn, const char *method,
	const char *path)
{
	struct http_request *r = xcalloc(1, sizeof(*r));
	const union MHD_ConnectionInfo *ci;

	r->daemon = d;
	r->conn = conn;
	r->method = xstrdup(method);
	r->path = xstrdup(path);
	r->body = xstrdup("");
	r->allocated = 1;
	ci = sym_MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	format_peer(ci ? ci->client_addr : NULL, r->peer, sizeof(r->peer));
	return r;
}

static void
request_free(struct http_request *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->path);
	free(r->body);
	strv_free(r->headers);
	free(r->user);
	free(r);
}

const char *
http_request_method(const struct http_request *r)
{
	return r->method;
}

const char *
http_request_path(const struct http_request *r)
{
	return r->path;
}

const char *
http_request_header(const struct http_request *r, const char *name)
{
	return sym_MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *
http_request_body(const struct http_request *r, size_t *ret_len)
{
	if (ret_len)
		*ret_len = r->len;
	return r->body;
}

const char *
http_request_peer(const struct http_request *r)
{
	return r->peer;
}

void
http_request_set_user(struct http_request *r, const char *user)
{
	free(r->user);
	r->user = user ? xstrdup(user) : NULL;
}

const char *
http_request_user(const struct http_request *r)
{
	return r->user;
}

bool
http_request_answered(const struct http_request *r)
{
	return r->answered;
}

void
http_response_add_header(struct http_request *r, const char *name, const char *value)
{
	strv_push(&r->headers, name);
	strv_push(&r->headers, value);
}

int
http_respond(struct http_request *r, unsigned status, const char *content_type,
	const char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result q;

	if (r->answered)
		return -EALREADY;
	resp = sym_MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return -ENOMEM;
	if (content_type)
		(void)sym_MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
			content_type);
	for (char **h = r->headers; h && h[0] && h[1]; h += 2)
		(void)sym_MHD_add_response_header(resp, h[0], h[1]);
	q = sym_MHD_queue_response(r->conn, status, resp);
	sym_MHD_destroy_response(resp);
	if (q != MHD_YES)
		return -EIO;
	r->answered = true;
	return 0;
}

int
http_respond_error(struct http_request *r, unsigned status, const char *error,
	const char *fmt, ...)
{
	_cleanup_free_ char *message = NULL, *text = NULL;
	json_t *o;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0)
		message = NULL;
	o = json_pack("{s:s, s:s}", "error", error, "message", message ? message : "");
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		/* jansson refused the text (invalid UTF-8 in the message). */
		text = xasprintf("{\"error\":\"%s\"}", error);
	n = http_respond(r, status, "application/json", text, strlen(text));
	return n;
}

/* Certificates. */

static int
check_client_cert(struct http_request *req, char *cn, size_t size)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t session;
	const gnutls_datum_t *chain;
	gnutls_x509_crt_t crt = NULL;
	unsigned n_chain = 0, status = 0;
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	char second[8];
	size_t len = size, len2 = sizeof(second);
	int r;

	if (!req->daemon->server->client_ca)
		return 0;
	ci = sym_MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return 0;
	session = ci->tls_session;
	chain = sym_gnutls_certificate_get_peers(session, &n_chain);
	if (!chain || n_chain == 0)
		return 0;
	/*
	 * The chain, the dates, and the purpose: a server certificate from the
	 * same CA must not pass for a client's. MHD only asked for the
	 * certificate (GNUTLS_CERT_REQUEST); we decide here.
	 */
	if (sym_gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 ||
		status != 0)
		return -EPERM;
	if (sym_gnutls_x509_crt_init(&crt) < 0)
		return -ENOMEM;
	r = sym_gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER);
	if (r >= 0)
		r = sym_gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
			cn, &len);
	/* A second common name would make "the host" ambiguous. */
	if (r >= 0 && sym_gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 1,
			      0, second, &len2) != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		r = -1;
	sym_gnutls_x509_crt_deinit(crt);
	if (r < 0 || len >= size || strlen(cn) != len)
		return -EBADMSG;
	return 1;
}

int
http_request_client_cn(struct http_request *r, char *buf, size_t size)
{
	if (!r->cert_checked) {
		r->cert_result = check_client_cert(r, r->cert_cn, sizeof(r->cert_cn));
		r->cert_checked = true;
	}
	if (r->cert_result <= 0)
		return r->cert_result;
	if (strlen(r->cert_cn) >= size)
		return -EBADMSG;
	strcpy(buf, r->cert_cn);
	return 1;
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
	if (r->answered)
		return MHD_YES;
	if (!r->route)
		return MHD_NO;
	r->route->on_request(r, r->route->userdata);
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
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[16];
	const union MHD_DaemonInfo *info;
	size_t n = 0;
	int fd, r;

	d->server = s;
	d->address = l->address;
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
	if (s->tls_cert) {
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
		r = sd_event_add_time(e, &d->timer, CLOCK_MONOTONIC, UINT64_MAX,
			USEC_PER_MSEC, on_timer, d);
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

static void
daemon_stop(struct http_daemon *d)
{
	sd_event_source_disable_unref(d->io);
	sd_event_source_disable_unref(d->timer);
	d->io = d->timer = NULL;
	if (d->mhd)
		sym_MHD_stop_daemon(d->mhd);
	d->mhd = NULL;
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
