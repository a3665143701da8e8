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

#define CONF_INTERVAL_MIN 1
#define CONF_INTERVAL_MAX 3600

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
};

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
