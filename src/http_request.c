/* SPDX-License-Identifier: MIT */
/*
 * One HTTP request as handlers see it (see http.h): what was asked (method,
 * path, query, headers, body, peer, client certificate), who it speaks for,
 * and the answer, given at once or later: a handler may suspend its request
 * and answer it from another callback of the loop, in which case the answer
 * waits here until MHD, resumed, calls the access handler again (the only
 * place MHD takes an answer). The request belongs to MHD's connection;
 * http.c creates and frees it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "http_internal.h"
#include "util.h"

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
	} else if (sa->sa_family == AF_UNIX)
		(void)snprintf(buf, size, "unix");
	else
		(void)snprintf(buf, size, "?");
}

struct http_request *
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

void
request_free(struct http_request *r)
{
	if (!r)
		return;
	/* The request ends unanswered while its owner still holds it. */
	if (r->on_abort && !r->answered && !r->aborted) {
		r->aborted = true;
		r->on_abort(r, r->abort_userdata);
	}
	request_unpark(r);
	if (r->pending)
		sym_MHD_destroy_response(r->pending);
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
http_request_query(const struct http_request *r, const char *name)
{
	const char *value = NULL;
	size_t len = 0;

	if (sym_MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name,
		    strlen(name), &value, &len) != MHD_YES)
		return NULL;
	/* "?flag" has no value; MHD gives NULL for it. */
	return value ? value : "";
}

struct query_check {
	const char *const *allowed; /* borrowed */
	bool *seen;                 /* owned: one per allowed name */
	const char *bad;            /* borrowed: MHD's; the first offender */
};

static enum MHD_Result
check_query_value(void *cls, enum MHD_ValueKind kind, const char *key,
	const char *value)
{
	struct query_check *c = cls;

	for (size_t i = 0; c->allowed && c->allowed[i]; i++)
		if (strcmp(c->allowed[i], key) == 0) {
			if (c->seen[i])
				break;
			c->seen[i] = true;
			return MHD_YES;
		}
	c->bad = key;
	return MHD_NO;
}

bool
http_request_query_unknown(const struct http_request *r,
	const char *const *allowed, char *ret_name, size_t size)
{
	struct query_check c = { .allowed = allowed };

	c.seen = xcalloc(strv_length((char *const *)allowed) + 1, sizeof(*c.seen));
	(void)sym_MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
		check_query_value, &c);
	free(c.seen);
	if (!c.bad)
		return false;
	if (size > 0)
		(void)snprintf(ret_name, size, "%s", c.bad);
	return true;
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

static struct MHD_Response *
build_response(struct http_request *r, const char *content_type, const char *body,
	size_t len)
{
	struct MHD_Response *resp;

	resp = sym_MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return NULL;
	if (content_type)
		(void)sym_MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
			content_type);
	for (char **h = r->headers; h && h[0] && h[1]; h += 2)
		(void)sym_MHD_add_response_header(resp, h[0], h[1]);
	return resp;
}

/*
 * The answer to a suspended request: kept until MHD, resumed, calls the
 * access handler again (MHD takes answers only there). Without one (it
 * could not be built) the handler closes the connection.
 */
static int
respond_later(struct http_request *r, unsigned status, struct MHD_Response *resp)
{
	r->pending = resp;
	r->pending_status = status;
	r->answered = true;
	r->suspended = false;
	sym_MHD_resume_connection(r->conn);
	daemon_wake(r->daemon);
	return resp ? 0 : -EIO;
}

int
http_respond(struct http_request *r, unsigned status, const char *content_type,
	const char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result q;

	if (r->aborted)
		return -ECANCELED;
	if (r->answered)
		return -EALREADY;
	resp = build_response(r, content_type, body, len);
	if (r->suspended)
		return respond_later(r, status, resp);
	if (!resp)
		return -ENOMEM;
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

/* Asynchronous answers. */

void
http_request_suspend(struct http_request *r)
{
	r->suspend_wanted = true;
}

void
http_request_set_abort(struct http_request *r, http_abort_fn fn, void *userdata)
{
	r->on_abort = fn;
	r->abort_userdata = userdata;
}

void
request_park(struct http_request *r)
{
	r->suspend_wanted = false;
	r->suspended = true;
	r->is_parked = true;
	LIST_INSERT_HEAD(&r->daemon->parked, r, parked_link);
	sym_MHD_suspend_connection(r->conn);
}

void
request_unpark(struct http_request *r)
{
	if (!r->is_parked)
		return;
	LIST_REMOVE(r, parked_link);
	r->is_parked = false;
}

void
request_abort(struct http_request *r)
{
	if (!r->answered && !r->aborted) {
		r->aborted = true;
		if (r->on_abort)
			r->on_abort(r, r->abort_userdata);
	}
	if (r->suspended) {
		r->suspended = false;
		sym_MHD_resume_connection(r->conn);
	}
}
