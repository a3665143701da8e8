/* SPDX-License-Identifier: MIT */
/*
 * The pieces healthmondctl's commands share, private to the client (ctl.h
 * is what the rest of the tree sees): the options every command takes, the
 * HTTP client of the API (ctl_http.c), type-checked access to its JSON
 * answers (ctl_json.c), formatting for people (ctl_fmt.c), aligned tables
 * (ctl_table.c), and the commands' entry points. Unlike the daemon's
 * library modules these print: writing to a terminal is the client's job.
 * Every message starts with "healthmondctl: ".
 */
#ifndef HM_CTL_INTERNAL_H
#define HM_CTL_INTERNAL_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

/* The local daemon's socket when neither --socket nor $HEALTHMOND_SOCKET say. */
#define CTL_DEFAULT_SOCKET "/run/healthmond/http.sock"
/* Seconds for connecting, and for a whole request. */
#define CTL_HTTP_TIMEOUT 10
/* Largest answer read; 10000 events take about 5 MB. */
#define CTL_HTTP_MAX_BODY ((size_t)64 * 1024 * 1024)

/* What the command line says about where and how to ask, and how to answer. */
struct ctl_options {
	const char *url;     /* borrowed: argv; base URL, or NULL */
	const char *socket;  /* borrowed: argv or environ; UNIX socket, or NULL */
	const char *user;    /* borrowed: argv; basic auth user, or NULL */
	const char *ca_file; /* borrowed: argv; CA bundle for https, or NULL */
	bool json;           /* print the daemon's JSON instead of tables */
	bool color;          /* stdout is a terminal and NO_COLOR is not set */
};

/*
 * Options every command accepts as well as before the command name. Each
 * command puts CTL_COMMON_LONGOPTS into its getopt_long table and hands
 * the codes it does not know to ctl_common_option().
 */
enum {
	CTL_OPT_URL = 0x100,
	CTL_OPT_SOCKET,
	CTL_OPT_USER,
	CTL_OPT_CA_FILE,
	CTL_OPT_JSON,
	CTL_OPT_HELP,
	CTL_OPT_VERSION,
	_CTL_OPT_COMMON_MAX,
};
/* clang-format off */
#define CTL_COMMON_LONGOPTS \
	{ "url", required_argument, NULL, CTL_OPT_URL }, \
	{ "socket", required_argument, NULL, CTL_OPT_SOCKET }, \
	{ "user", required_argument, NULL, CTL_OPT_USER }, \
	{ "ca-file", required_argument, NULL, CTL_OPT_CA_FILE }, \
	{ "json", no_argument, NULL, CTL_OPT_JSON }
/* clang-format on */

/* ctl.c. True when c was a common option (applied to o). */
bool ctl_common_option(struct ctl_options *o, int c, const char *arg);
/*
 * Prints "healthmondctl: COMMAND: unknown option 'X'" (or a missing
 * argument) for getopt_long's '?' or ':' and returns CTL_EXIT_USAGE.
 */
int ctl_bad_option(const char *command, int c, char *argv[]);
/* Prints "healthmondctl: MESSAGE" and the hint to --help; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *command, const char *fmt, ...) _printf_(2, 3);

/* Commands: argv[0] is the command's name; the result is the exit status. */
int ctl_status_main(struct ctl_options *o, int argc, char *argv[]);
int ctl_events_main(struct ctl_options *o, int argc, char *argv[]);
int ctl_check_config_main(struct ctl_options *o, int argc, char *argv[]);

/* ctl_http.c: one connection to one daemon, requests one at a time. */
struct ctl_http;

/*
 * Checks o (--url or --socket, not both; http:// or https://; --user needs
 * $HEALTHMOND_PASSWORD) and sets up the client. Returns 0, or -EINVAL after
 * printing what is wrong (a usage error).
 */
int ctl_http_new(const struct ctl_options *o, struct ctl_http **ret);
struct ctl_http *ctl_http_free(struct ctl_http *h);
DEFINE_POINTER_CLEANUP(struct ctl_http, ctl_http_free)

/*
 * GETs path (starting with '/', query included) and parses the answer,
 * which must be a JSON object; on success hands it to *ret (the caller
 * json_decref()s it). On failure returns -ECONNREFUSED (no connection),
 * -ETIMEDOUT, -EMSGSIZE (answer too large), -EBADMSG (not a JSON object),
 * -ENOENT (404), -EACCES (401, 403) or -EPROTO (another status), and
 * ctl_http_error() says what happened, naming the daemon.
 */
int ctl_http_get_json(struct ctl_http *h, const char *path, json_t **ret);
/* The last failure's message, without the "healthmondctl: " prefix; borrowed. */
const char *ctl_http_error(const struct ctl_http *h);
/* "unix socket '/run/healthmond/http.sock'" or "'http://host:8090'"; borrowed. */
const char *ctl_http_where(const struct ctl_http *h);
/* s escaped for a query string; the caller frees it. */
char *ctl_http_escape(const struct ctl_http *h, const char *s);

/*
 * ctl_json.c: fields of the daemon's answers with their types checked.
 * `what` names the object in messages ("/api/v1/hosts: hosts[3]"). On a
 * missing or mistyped field each prints "healthmondctl: malformed answer
 * ..." and returns -EBADMSG, leaving *ret alone.
 */
enum ctl_state {
	CTL_STATE_OK,       /* = CTL_EXIT_OK */
	CTL_STATE_WARNING,  /* = CTL_EXIT_WARNING */
	CTL_STATE_CRITICAL, /* = CTL_EXIT_CRITICAL */
	CTL_STATE_UNKNOWN,  /* = CTL_EXIT_UNKNOWN */
	_CTL_STATE_MAX,
};
/* A required string; borrowed from o. */
int ctl_json_string(
	const json_t *o, const char *key, const char *what, const char **ret);
/* A string, null or absent (*ret = NULL). */
int ctl_json_string_or_null(
	const json_t *o, const char *key, const char *what, const char **ret);
/* A number, null or absent (*ret = NAN). */
int ctl_json_number(const json_t *o, const char *key, const char *what, double *ret);
/* A whole number >= 0, null or absent (*ret = -1). */
int ctl_json_count(const json_t *o, const char *key, const char *what, int64_t *ret);
/* A required array, or a required object; borrowed from o. */
int ctl_json_array(const json_t *o, const char *key, const char *what, json_t **ret);
/*
 * A required array of objects: each element must be an object that
 * check(element, "WHAT: KEY[i]") accepts (it prints its own message and
 * returns < 0 otherwise). The array is borrowed from o.
 */
int ctl_json_objects(const json_t *o, const char *key, const char *what,
	int (*check)(const json_t *element, const char *what), json_t **ret);
/* An object, null or absent (*ret = NULL); borrowed from o. */
int ctl_json_object_or_null(
	const json_t *o, const char *key, const char *what, json_t **ret);
/* A required state word: "ok", "warning", "critical" or "unknown". */
int ctl_json_state(
	const json_t *o, const char *key, const char *what, enum ctl_state *ret);
/* Prints "healthmondctl: malformed answer from healthmond: WHAT: ..."; -EBADMSG. */
int ctl_json_malformed(const char *what, const char *fmt, ...) _printf_(2, 3);

/* ctl_fmt.c: text for people. */
/* The state from its API word; -EINVAL for another word. Case-insensitive. */
int ctl_state_from_string(const char *s);
/* "ok" and "OK"; NULL outside the enum. */
const char *ctl_state_to_string(enum ctl_state s);
const char *ctl_state_to_upper(enum ctl_state s);
/* The SGR sequence that colours the state ("" for ok's default colour). */
const char *ctl_state_color(enum ctl_state s);
/* True when stdout is a terminal, NO_COLOR is unset or empty and TERM is not dumb. */
bool ctl_fmt_use_color(void);
/* The colour's SGR around s when color, else s alone; the caller frees it. */
char *ctl_fmt_colored(const char *s, const char *sgr, bool color);
/* s with control characters (C0, DEL, C1) replaced by '?'; the caller frees it. */
char *ctl_fmt_clean(const char *s);
/* Local time as "2026-11-21T10:00:05"; "-" for t < 0. */
void ctl_fmt_time(int64_t t, char buf[static 32]);
/* Seconds as "42s", "5m 3s", "1h 2m", "3d 4h". */
void ctl_fmt_duration(int64_t seconds, char buf[static 32]);
/* A value as people read it: "96.2", "1200000000", "-" for NAN. */
void ctl_fmt_value(double v, char buf[static 32]);
/* Pretty-prints j on stdout with a final newline; -EIO when that fails. */
int ctl_fmt_print_json(const json_t *j);

/* ctl_table.c: rows of cells printed in aligned columns. */
struct ctl_table;
/* A table with these column headings (a NULL-terminated list). */
struct ctl_table *ctl_table_new(const char *const *headers);
struct ctl_table *ctl_table_free(struct ctl_table *t);
DEFINE_POINTER_CLEANUP(struct ctl_table, ctl_table_free)
/*
 * Appends a cell to the last row, starting a new row when that one is full.
 * NULL is shown as "-"; control characters as '?'. sgr colours the cell
 * when the table is printed in colour (borrowed: a static string), or NULL.
 */
void ctl_table_add(struct ctl_table *t, const char *s, const char *sgr);
void ctl_table_addf(struct ctl_table *t, const char *fmt, ...) _printf_(2, 3);
size_t ctl_table_rows(const struct ctl_table *t);
/* Prints the headings and the rows; the last column is not padded. */
void ctl_table_print(const struct ctl_table *t, FILE *f, bool color);

#endif
