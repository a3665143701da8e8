/* SPDX-License-Identifier: MIT */
/*
 * The configuration: libconfig text → struct hm_conf. conf.c fills the
 * defaults, reads and range-checks every key, rejects unknown keys with
 * file:line, and copies everything out of libconfig before returning, so the
 * struct owns all its memory. conf_print.c writes it back in canonical form.
 */
#ifndef HM_CONF_H
#define HM_CONF_H

#include <stdbool.h>
#include <stdio.h>

#include "log.h"
#include "macro.h"

#define CONF_DEFAULT_PATH SYSCONFDIR "/healthmond/healthmond.conf"
#define CONF_DEFAULT_DATADIR LOCALSTATEDIR "/lib/healthmond"
#define CONF_DEFAULT_RUNTIME_DIR "/run/healthmond"
#define CONF_DEFAULT_CENTRAL_HTTP "127.0.0.1:8090"

#define CONF_INTERVAL_MIN 1
#define CONF_INTERVAL_MAX 3600

enum probe_method {
	PROBE_GET,
	PROBE_HEAD,
	_PROBE_METHOD_MAX,
};

/* One URL probe; series probe-<name>. */
struct probe_conf {
	char *name;            /* owned; a valid name */
	char *url;             /* owned; http:// or https:// */
	unsigned interval;     /* seconds; 0 = the global interval */
	unsigned timeout;      /* seconds for the whole request */
	enum probe_method method;
	char **expect_status;  /* owned strv of "200", "200-399"; default 200-399 */
	char *expect_body;     /* owned; extended regex the body must match, or NULL */
	char *reject_body;     /* owned; extended regex the body must not match, or NULL */
	bool follow_redirects;
	unsigned max_redirects;
	bool verify_tls;
	char *ca_file;         /* owned; PEM bundle to trust instead of the system's, or NULL */
	char **headers;        /* owned strv of "Name: value" */
	unsigned max_body;     /* bytes of the body read (and matched) at most */
};

enum check_direction {
	CHECK_ABOVE, /* bad when the value is at or above the threshold */
	CHECK_BELOW, /* bad when the value is at or below the threshold */
	_CHECK_DIRECTION_MAX,
};

/*
 * A health check: thresholds on one field of every series matching a shell
 * pattern. The defaults are named (disk_space, memory, probe_up, ...); the
 * config can change or disable them by name, or add new ones.
 */
struct check_conf {
	char *name;        /* owned; the config group's name */
	bool enabled;
	char *series;      /* owned; shell pattern: "df-*", "cpu", "probe-*" */
	char *field;       /* owned; a field of those series */
	char *per;         /* owned; divide the value by this field of the same record, or NULL */
	char *only_if;     /* owned; count only samples where this field is non-zero, or NULL */
	enum check_direction direction;
	double warning;    /* NAN: no warning state */
	double critical;   /* NAN: no critical state */
	double clear;      /* back to ok only past this (hysteresis); NAN = warning's value */
	unsigned for_samples;   /* consecutive samples in a new state before it counts */
	unsigned flap_changes;  /* N: flapping when the state changed N times ... */
	unsigned flap_window;   /* ... in the last M samples (M = flap_window; 0 = off) */
};

/* Sending samples and events to a central healthmond. */
struct forward_conf {
	char *url;          /* owned; the central's base URL; NULL: no forwarding */
	char *token_file;   /* owned; file holding this host's bearer token, or NULL */
	char *client_cert;  /* owned; PEM client certificate (its CN is the host), or NULL */
	char *client_key;   /* owned; its key, or NULL */
	char *ca_file;      /* owned; CA that signed the central's certificate, or NULL */
	char *spool_dir;    /* owned; NULL: <datadir>/<host>.spool */
	unsigned spool_max_mb;   /* spool size limit in MiB; the oldest data goes first */
	unsigned batch_interval; /* seconds between batches; 0: the interval */
	unsigned timeout;        /* seconds per request */
};

/* Receiving from agents. */
struct central_conf {
	bool enabled;
	char **listen;        /* owned strv of "address:port", "[v6]:port" */
	char *tls_cert;       /* owned; PEM server certificate, or NULL for plain HTTP */
	char *tls_key;        /* owned */
	char *client_ca;      /* owned; CA for client certificates, or NULL */
	char *tokens_file;    /* owned; lines "host token"; NULL: certificates only */
	unsigned host_timeout;      /* seconds without data before 'host silent' */
	unsigned max_body_kb;       /* request body limit */
	unsigned max_records;       /* records per request */
	unsigned max_series_per_host;
	unsigned max_hosts;
	unsigned max_connections;
	unsigned idle_timeout;      /* seconds */
};

/* The HTTP face: API, dashboard, graphs, /metrics (docs/api.md). */
struct http_conf {
	bool enabled;
	char **listen;        /* owned strv of "unix:/path", "address:port"; empty:
	                         conf_resolve_http_listen()'s defaults */
	char *auth_file;      /* owned; lines "user:crypt-hash"; NULL: no authentication */
	char *tls_cert;       /* owned; PEM, for the TCP addresses; NULL: plain HTTP */
	char *tls_key;        /* owned */
	unsigned events_keep; /* recent events kept across restarts */
	unsigned graph_workers;   /* graphs rendered at once */
	unsigned max_connections; /* per listen address */
};

struct hm_conf {
	char *path;           /* owned; NULL for the embedded default */
	char *hostname;       /* owned; NULL = the system's host name */
	char *datadir;        /* owned; NULL = $STATE_DIRECTORY or CONF_DEFAULT_DATADIR */
	char *root_dir;       /* owned; where /proc, /sys and mounts are read; "/" */
	unsigned interval;    /* seconds between collection cycles */
	enum log_target log_target;
	int log_level;        /* LOG_ERR .. LOG_DEBUG */

	struct {
		bool enabled;
		bool per_core;
	} cpu;
	bool memory;
	bool swap;
	bool load;
	bool uptime;
	struct {
		bool enabled;
		char **ignore_fstypes; /* owned strv */
		char **mountpoints;    /* owned strv; empty = every real filesystem */
	} disk_space;
	struct {
		bool enabled;
		char **devices; /* owned strv; empty = every whole disk */
	} disk_io;
	struct {
		bool enabled;
		char **interfaces;        /* owned strv; empty = every interface */
		char **ignore_interfaces; /* owned strv */
	} network;

	struct probe_conf *probes; /* owned array */
	size_t n_probes;
	unsigned max_probes_in_flight;

	struct check_conf *checks; /* owned array: the defaults, then the config's own */
	size_t n_checks;
	unsigned unknown_after;    /* intervals without data before a check is unknown */
	unsigned repeat_interval;  /* seconds before a lasting bad state is logged again;
	                              doubles each time, up to a day */

	char *rrdcached;           /* owned; "unix:/path" or "host:port"; NULL: direct writes */
	struct forward_conf forward;
	struct central_conf central;
	struct http_conf http;
};

/*
 * The data directory: the datadir key, else the first entry of systemd's
 * $STATE_DIRECTORY (StateDirectory= may list several), else
 * CONF_DEFAULT_DATADIR. The caller frees it.
 */
char *conf_resolve_datadir(const struct hm_conf *c);
/* The runtime directory: $RUNTIME_DIRECTORY's first entry, else /run/healthmond. */
char *conf_resolve_runtime_dir(void);
/*
 * The HTTP face's listen addresses: http.listen, else the UNIX socket
 * <runtime dir>/http.sock and, with the central role on, 127.0.0.1:8090.
 * The caller frees the vector.
 */
char **conf_resolve_http_listen(const struct hm_conf *c);

/* Finds a probe or check by name; NULL when there is none. */
const struct probe_conf *conf_find_probe(const struct hm_conf *c, const char *name);
const struct check_conf *conf_find_check(const struct hm_conf *c, const char *name);
const char *probe_method_to_string(enum probe_method m);
const char *check_direction_to_string(enum check_direction d);

/* Returns a config holding every default, as if read from an empty file. */
struct hm_conf *conf_new_default(void);

/*
 * Reads path (NULL: the embedded default). On success returns 0 and hands a
 * new config to *ret. On failure returns -EINVAL (or -errno when the file
 * cannot be read) and hands "file:line: what is wrong" to *ret_error.
 */
int conf_load(const char *path, struct hm_conf **ret, char **ret_error);

/* The same, from a string; `name` stands for the file name in errors. */
int conf_load_string(const char *text, const char *name, struct hm_conf **ret,
	char **ret_error);

/* Writes the effective config in canonical libconfig form; it parses back equal. */
void conf_print(const struct hm_conf *c, FILE *f);

/* True when both configs say the same thing (path aside). */
bool conf_equal(const struct hm_conf *a, const struct hm_conf *b);

struct hm_conf *conf_free(struct hm_conf *c);
DEFINE_POINTER_CLEANUP(struct hm_conf, conf_free)

#endif
