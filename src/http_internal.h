/* SPDX-License-Identifier: MIT */
/*
 * What http.c (servers, the loop, MHD's callbacks) and http_request.c (one
 * request: accessors, answers, suspension, client certificates) share. Not
 * an API: everything else goes through http.h.
 */
#ifndef HM_HTTP_INTERNAL_H
#define HM_HTTP_INTERNAL_H

#include <stdbool.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "dlmhd.h"
#include "http.h"

struct listener {
	char *address;   /* owned: as configured */
	int fd;          /* owned */
	/*
	 * owned: the UNIX socket file to remove on free, when this server
	 * made it or took it over; NULL otherwise (TCP, or handed on to a
	 * newer server on reload).
	 */
	char *unix_path;
	dev_t unix_dev;  /* the file's identity, so that we never remove */
	ino_t unix_ino;  /* another process's socket that replaced ours */
};

struct http_daemon {
	struct http_server *server; /* borrowed: the owner */
	const char *address;        /* borrowed: its listener's */
	struct MHD_Daemon *mhd;     /* owned */
	sd_event_source *io;        /* owned: MHD's epoll fd */
	sd_event_source *timer;     /* owned */
	char last_error[256];       /* MHD's last log line, for start failures */
	/*
	 * Requests we suspended whose handler has not yet been called
	 * again after their resumption; borrowed: MHD owns the requests
	 * (through the connection) and request_free() unlinks them.
	 */
	LIST_HEAD(, http_request) parked;
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
	/* Asynchronous answers (http_request_suspend()). */
	bool suspend_wanted;         /* the handler asked to answer later */
	bool suspended;              /* MHD holds the connection suspended */
	bool is_parked;              /* linked in daemon->parked */
	bool aborted;                /* the owner was told to let go */
	struct MHD_Response *pending; /* owned: the answer to queue once resumed */
	unsigned pending_status;
	http_abort_fn on_abort;      /* NULL, or the owner's */
	void *abort_userdata;        /* borrowed */
	LIST_ENTRY(http_request) parked_link;
};

/* http_request.c */
struct http_request *request_new(struct http_daemon *d, struct MHD_Connection *conn,
	const char *method, const char *path);
void request_free(struct http_request *r);
/* Suspends the connection of a handler that asked to answer later. */
void request_park(struct http_request *r);
/* The handler is called again after a resumption: take r off the parked list. */
void request_unpark(struct http_request *r);
/* Tells the owner of a parked request to let go and resumes it, to be closed. */
void request_abort(struct http_request *r);

/* http.c */
/* Makes the loop run MHD soon (a connection was resumed). */
void daemon_wake(struct http_daemon *d);

#endif
