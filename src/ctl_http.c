/* SPDX-License-Identifier: MIT */
/*
 * healthmondctl's HTTP client of the API (docs/api.md): one curl easy
 * handle, reused for every request of a command so that they share one
 * connection, to the local daemon's UNIX socket or to a URL. Answers are
 * outside input: their size is capped while they arrive, and anything but
 * a JSON object is an error with a message that names the daemon asked.
 * libcurl is linked directly: the client is short-lived, the daemon's
 * reasons for loading it lazily (src/dlcurl.h) do not apply.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "ctl_internal.h"
#include "util.h"

struct ctl_http {
	CURL *curl;                 /* owned */
	struct curl_slist *headers; /* owned */
	char *base;                 /* owned; the URL the paths are appended to */
	char *where;                /* owned; the daemon asked, for messages */
	char *socket;               /* owned; the UNIX socket, or NULL */
	char error[1024];           /* the last failure */
	char curl_error[CURL_ERROR_SIZE];
};

/* An answer being read. */
struct body {
	char *data; /* owned; NUL-terminated */
	size_t len;
	size_t allocated;
	bool too_big;
};

static void set_error(struct ctl_http *h, const char *fmt, ...) _printf_(2, 3);

static void
set_error(struct ctl_http *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(h->error, sizeof(h->error), fmt, ap);
	va_end(ap);
}

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb; /* size is always 1 (CURLOPT_WRITEFUNCTION) */

	if (n > CTL_HTTP_MAX_BODY - b->len) {
		b->too_big = true;
		return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
	}
	b->data = xgrow(b->data, &b->allocated, b->len + n, 4096, 1);
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* The URL for messages: without a "user:password@" part. */
static char *
url_without_credentials(const char *url)
{
	const char *host = strstr(url, "://"), *end, *at;

	if (!host)
		return xstrdup(url);
	host += 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (!at)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

static int
check_options(const struct ctl_options *o)
{
	if (o->url && o->socket) {
		fprintf(stderr,
			"healthmondctl: --url and --socket exclude each other\n");
		return -EINVAL;
	}
	if (o->url && strncmp(o->url, "http://", 7) != 0 &&
		strncmp(o->url, "https://", 8) != 0) {
		fprintf(stderr,
			"healthmondctl: --url must start with http:// or https://\n");
		return -EINVAL;
	}
	if (o->socket && !*o->socket) {
		fprintf(stderr, "healthmondctl: --socket needs a path\n");
		return -EINVAL;
	}
	if (o->user && !getenv("HEALTHMOND_PASSWORD")) {
		fprintf(stderr,
			"healthmondctl: --user needs the password in "
			"$HEALTHMOND_PASSWORD\n");
		return -EINVAL;
	}
	if (o->ca_file && !o->url) {
		fprintf(stderr, "healthmondctl: --ca-file is for https:// URLs\n");
		return -EINVAL;
	}
	return 0;
}

/* Sets where to connect: base and where. */
static void
set_target(struct ctl_http *h, const struct ctl_options *o)
{
	const char *env = getenv("HEALTHMOND_SOCKET");

	if (o->url) {
		_cleanup_free_ char *shown = NULL;
		size_t n = strlen(o->url);

		while (n > 0 && o->url[n - 1] == '/')
			n--;
		h->base = xstrndup(o->url, n);
		shown = url_without_credentials(h->base);
		h->where = xasprintf("'%s'", shown);
		return;
	}
	if (o->socket)
		h->socket = xstrdup(o->socket);
	else
		h->socket = xstrdup(env && *env ? env : CTL_DEFAULT_SOCKET);
	/* Over the socket, the host name is only what the Host: header says. */
	h->base = xstrdup("http://localhost");
	h->where = xasprintf("unix socket '%s'", h->socket);
}

static int
setup_curl(struct ctl_http *h, const struct ctl_options *o)
{
	CURL *e = h->curl;
	int bad = CURLE_OK;

	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)CTL_HTTP_TIMEOUT);
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)CTL_HTTP_TIMEOUT);
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "healthmondctl/" PACKAGE_VERSION);
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->curl_error);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	/* Redirects are not followed: the API never sends one. */
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the bitmask option is deprecated */
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	bad |= curl_easy_setopt(
		e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	h->headers = curl_slist_append(NULL, "Accept: application/json");
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
	if (h->socket)
		bad |= curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, h->socket);
	if (o->user) {
		bad |= curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		bad |= curl_easy_setopt(e, CURLOPT_USERNAME, o->user);
		bad |= curl_easy_setopt(
			e, CURLOPT_PASSWORD, getenv("HEALTHMOND_PASSWORD"));
	}
	if (o->ca_file)
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
	return bad == CURLE_OK && h->headers ? 0 : -ENOMEM;
}

int
ctl_http_new(const struct ctl_options *o, struct ctl_http **ret)
{
	_cleanup_(ctl_http_freep) struct ctl_http *h = NULL;
	int r;

	r = check_options(o);
	if (r < 0)
		return r;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "healthmondctl: cannot initialise libcurl\n");
		return -ENOMEM;
	}
	h = xcalloc(1, sizeof(*h));
	set_target(h, o);
	h->curl = curl_easy_init();
	if (!h->curl || setup_curl(h, o) < 0) {
		fprintf(stderr, "healthmondctl: cannot set up libcurl\n");
		return -ENOMEM;
	}
	*ret = TAKE_PTR(h);
	return 0;
}

struct ctl_http *
ctl_http_free(struct ctl_http *h)
{
	if (!h)
		return NULL;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	free(h->base);
	free(h->where);
	free(h->socket);
	free(h);
	curl_global_cleanup();
	return NULL;
}

/* Why a connection to the socket failed, as far as the file tells. */
static const char *
socket_problem(const struct ctl_http *h)
{
	struct stat st;

	if (stat(h->socket, &st) < 0)
		return strerror(errno);
	if (!S_ISSOCK(st.st_mode))
		return "not a socket";
	return NULL;
}

static int
transfer_failed(struct ctl_http *h, CURLcode code, const struct body *b)
{
	const char *why = h->curl_error[0] ? h->curl_error : curl_easy_strerror(code);
	const char *problem;

	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		set_error(h, "healthmond at %s did not answer within %d s", h->where,
			CTL_HTTP_TIMEOUT);
		return -ETIMEDOUT;
	case CURLE_WRITE_ERROR:
		if (b->too_big) {
			set_error(h,
				"the answer of healthmond at %s is larger than %zu MiB",
				h->where, CTL_HTTP_MAX_BODY >> 20);
			return -EMSGSIZE;
		}
		break;
	case CURLE_COULDNT_CONNECT:
		problem = h->socket ? socket_problem(h) : NULL;
		if (problem) {
			set_error(h, "cannot reach healthmond at %s: %s", h->where,
				problem);
			return -ECONNREFUSED;
		}
		set_error(h, "cannot reach healthmond at %s: %s (is it running?)",
			h->where, h->socket ? curl_easy_strerror(code) : why);
		return -ECONNREFUSED;
	default:
		break;
	}
	set_error(h, "cannot reach healthmond at %s: %s", h->where, why);
	return -ECONNREFUSED;
}

/* Sets the error for a status other than 200, with the body's message if any. */
static int
status_failed(struct ctl_http *h, const char *path, long status, const struct body *b)
{
	_cleanup_free_ char *clean = NULL;
	json_t *j = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;
	json_t *m = json_is_object(j) ? json_object_get(j, "message") : NULL;

	clean = ctl_fmt_clean(json_is_string(m) ? json_string_value(m) : "");
	json_decref(j);
	set_error(h, "healthmond at %s answered %s with status %ld%s%s%s", h->where,
		path, status, *clean ? ": " : "", clean,
		status == 401
			? " (give --user, and the password in $HEALTHMOND_PASSWORD)"
			: "");
	switch (status) {
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	default:
		return -EPROTO;
	}
}

static int
parse_answer(struct ctl_http *h, const char *path, const struct body *b, json_t **ret)
{
	json_error_t error;
	json_t *j;

	if (!b->data) {
		set_error(
			h, "healthmond at %s answered %s with nothing", h->where, path);
		return -EBADMSG;
	}
	j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &error);
	if (!j) {
		_cleanup_free_ char *text = ctl_fmt_clean(error.text);

		set_error(h,
			"malformed answer from healthmond at %s to %s: line %d: %s",
			h->where, path, error.line, text);
		return -EBADMSG;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		set_error(h,
			"malformed answer from healthmond at %s to %s: not an object",
			h->where, path);
		return -EBADMSG;
	}
	*ret = j;
	return 0;
}

int
ctl_http_get_json(struct ctl_http *h, const char *path, json_t **ret)
{
	_cleanup_free_ char *url = xasprintf("%s%s", h->base, path);
	struct body b = {NULL, 0, 0, false};
	CURLcode code;
	long status = 0;
	int r;

	h->error[0] = h->curl_error[0] = '\0';
	if (curl_easy_setopt(h->curl, CURLOPT_URL, url) != CURLE_OK ||
		curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &b) != CURLE_OK) {
		set_error(h, "cannot ask healthmond at %s for %s", h->where, path);
		return -ENOMEM;
	}
	code = curl_easy_perform(h->curl);
	if (code != CURLE_OK)
		r = transfer_failed(h, code, &b);
	else if (curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status) !=
			CURLE_OK ||
		status != 200)
		r = status_failed(h, path, status, &b);
	else
		r = parse_answer(h, path, &b, ret);
	free(b.data);
	return r;
}

const char *
ctl_http_error(const struct ctl_http *h)
{
	return h->error;
}

const char *
ctl_http_where(const struct ctl_http *h)
{
	return h->where;
}

char *
ctl_http_escape(const struct ctl_http *h, const char *s)
{
	char *e = curl_easy_escape(h->curl, s, 0);
	char *copy;

	if (!e) {
		fprintf(stderr, "healthmondctl: out of memory\n");
		abort();
	}
	copy = xstrdup(e);
	curl_free(e);
	return copy;
}
