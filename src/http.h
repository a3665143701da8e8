/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server: libmicrohttpd run from the sd-event loop, one MHD daemon
 * per listen address, plain or TLS, optionally asking for client
 * certificates. Requests are routed by method and exact path to handlers
 * that see the headers before any byte of the body is read (to authenticate
 * and refuse early), then the whole body, capped per route. A handler
 * answers at once or suspends its request and answers it later, from
 * another callback of the same loop. Listen addresses are TCP or UNIX
 * sockets. Nothing here blocks; everything runs on the loop's thread.
 */
#ifndef HM_HTTP_H
#define HM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"

struct http_server;
struct http_request;

/*
 * A handler answers with http_respond*() or leaves the request alone. An
 * on_headers handler that answers ends the request before its body is read
 * (the connection is closed after the answer, as the body was not read).
 */
typedef void (*http_handler_fn)(struct http_request *req, void *userdata);
/* Tells the owner of a suspended request to let go; see http_request_suspend(). */
typedef void (*http_abort_fn)(struct http_request *req, void *userdata);

struct http_route {
	const char *method;         /* borrowed: "GET", "POST" */
	const char *path;           /* borrowed: exact match, without the query */
	size_t max_body;            /* bytes; a larger body is refused with 413 */
	http_handler_fn on_headers; /* NULL, or called before the body is read */
	http_handler_fn on_request; /* called with the whole body */
	/*
	 * NULL, or called instead of on_request when the body is over max_body,
	 * to count it and answer (a plain 413 when it does not). Content-Length
	 * is checked after on_headers, before any of the body is read; a chunked
	 * body is counted as it arrives.
	 */
	http_handler_fn on_too_large;
	void *userdata; /* borrowed */
};

struct http_config {
	/* borrowed strv: "address:port", "[v6]:port", "unix:/abs/path.sock" */
	char *const *listen;
	const char *tls_cert;   /* borrowed: PEM file; NULL: plain HTTP */
	const char *tls_key;    /* borrowed: PEM file; with tls_cert */
	const char *client_ca;  /* borrowed: PEM file; NULL: no client certificates */
	unsigned max_connections; /* per listen address */
	unsigned idle_timeout;    /* seconds a connection may stay quiet */
};

struct http_stats {
	uint64_t connections;   /* accepted */
	uint64_t requests;      /* started, routed or not */
	uint64_t not_found;     /* 404 and 405 */
	uint64_t too_large;     /* bodies over the route's cap */
	uint64_t dropped;       /* connections closed without an answer */
};

/*
 * Opens a listening socket for every address of cfg->listen (CLOEXEC,
 * NONBLOCK, SO_REUSEADDR; an IPv6 socket takes only IPv6) and reads the TLS
 * files. "unix:/abs/path.sock" is a UNIX socket: its directory is created
 * (0755) when missing, a stale socket file is replaced, one that a process
 * still answers on is refused (-EADDRINUSE, "'path' is in use by another
 * process"), and the file (mode 0666: the directory decides who connects)
 * is removed by http_server_free(). An address that previous (NULL or an
 * older server) listens on is taken over from it rather than bound again,
 * so a reload does not race other programs for the port, and a UNIX socket
 * file taken over is removed by the newer server only. routes (n_routes
 * entries, copied) must stay valid for the server's life as far as their
 * strings and userdata go.
 * Nothing is served before http_server_start(). Returns 0, or -errno with a
 * message for people in *ret_error (owned).
 */
int http_server_new(const struct http_config *cfg, const struct http_route *routes,
	size_t n_routes, struct http_server *previous, struct http_server **ret,
	char **ret_error);
/* Starts serving on e. 0, or -errno with a message in *ret_error (owned). */
int http_server_start(struct http_server *s, sd_event *e, char **ret_error);
/*
 * The local port of the i-th listen address (port 0 asks the kernel for
 * one); -EAFNOSUPPORT for a UNIX socket, -EINVAL past the last address.
 */
int http_server_port(const struct http_server *s, size_t i);
const struct http_stats *http_server_get_stats(const struct http_server *s);
/*
 * Stops serving, drops open connections and closes the sockets it owns.
 * The owners of suspended requests are told first (their abort callbacks).
 * Not from inside a handler.
 */
struct http_server *http_server_free(struct http_server *s);
DEFINE_POINTER_CLEANUP(struct http_server, http_server_free)

const char *http_request_method(const struct http_request *r);
const char *http_request_path(const struct http_request *r);
/* A request header's value (borrowed, valid during the request), or NULL. */
const char *http_request_header(const struct http_request *r, const char *name);
/*
 * The decoded value of the query parameter name ("?a=1&b=%20z": "b" gives
 * " z"; "?flag" gives ""), borrowed and valid during the request, or NULL.
 * With a repeated name, the first.
 */
const char *http_request_query(const struct http_request *r, const char *name);
/*
 * Whether the query holds a parameter that allowed (a NULL-terminated list;
 * NULL: none) does not name, or one twice: true and its name, truncated to
 * size bytes, in ret_name; false when every parameter is known and single.
 */
bool http_request_query_unknown(const struct http_request *r,
	const char *const *allowed, char *ret_name, size_t size);
/* The body received so far (all of it in on_request); never NULL. */
const char *http_request_body(const struct http_request *r, size_t *ret_len);
/* "192.0.2.7:51234", "[2001:db8::7]:51234" or "unix", for logs. */
const char *http_request_peer(const struct http_request *r);
/*
 * The client certificate: 1 and its common name in buf when the client
 * presented one that the configured client_ca verifies (chain, dates, and
 * the TLS client purpose when the certificate names purposes); 0 when the
 * connection is plain or the client presented none; -EPERM when it does not
 * verify; -EBADMSG when it has no single common name that fits in buf.
 */
int http_request_client_cn(struct http_request *r, char *buf, size_t size);
/*
 * Who the request speaks for, once a handler has authenticated it (a copy
 * is kept for the request's life), or NULL.
 */
void http_request_set_user(struct http_request *r, const char *user);
const char *http_request_user(const struct http_request *r);

/* Adds a header to the answer that is to come ("WWW-Authenticate", ...). */
void http_response_add_header(struct http_request *r, const char *name,
	const char *value);
/*
 * Answers with a copy of body (len bytes, any bytes), with the headers
 * added before. 0, or -EALREADY (answered before), -ECANCELED (aborted, see
 * http_request_suspend()), -ENOMEM / -EIO. On a suspended request the
 * request ends here whatever the result: on failure the connection is
 * closed without an answer.
 */
int http_respond(struct http_request *r, unsigned status, const char *content_type,
	const char *body, size_t len);
/* Answers {"error": error, "message": "..."} as application/json. */
int http_respond_error(struct http_request *r, unsigned status, const char *error,
	const char *fmt, ...) _printf_(4, 5);
bool http_request_answered(const struct http_request *r);

/*
 * Asynchronous answers. A route's on_request handler (not on_headers, not
 * on_too_large: there it has no effect) may call http_request_suspend() and
 * return without answering; the connection then waits, without an idle
 * timeout, and the handler's owner keeps r and answers it later with
 * http_respond() or http_respond_error() from any callback of the same
 * sd-event loop (a child that exited, a timer); the answer is sent from
 * the next turn of the loop. r stays valid for the owner until either
 *   - it answers: r must not be touched after http_respond*() returns, or
 *   - fn (http_request_set_abort()) is called: the server is being freed,
 *     or the request ends otherwise before it was answered. fn may read r
 *     (http_request_peer(), ...) but not answer it (-ECANCELED); r is gone
 *     when fn returns. fn is called at most once, never after an answer.
 * An owner that can be freed itself first must answer its requests (a 503)
 * before it goes. A handler that answers before returning need not care:
 * the suspension is then ignored.
 */
void http_request_suspend(struct http_request *r);
/* fn (NULL: none) and its userdata (borrowed), replacing any set before. */
void http_request_set_abort(struct http_request *r, http_abort_fn fn, void *userdata);

#endif
