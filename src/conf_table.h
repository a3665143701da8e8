/* SPDX-License-Identifier: MIT */
/*
 * The table of configuration keys, shared by the loader (conf.c) and the
 * printer and comparer (conf_print.c) so that the three can never disagree
 * about which keys exist. Internal to the conf module.
 */
#ifndef HM_CONF_TABLE_H
#define HM_CONF_TABLE_H

#include <stddef.h>

enum conf_key_type {
	CONF_BOOL,
	CONF_UINT,       /* unsigned, range-checked with min and max */
	CONF_NAME,       /* char *, a valid host or series name, NULL when unset */
	CONF_PATH,       /* char *, an absolute path, NULL when unset */
	CONF_STRV,       /* char **, an array or list of strings */
	CONF_LOG_TARGET, /* enum log_target */
	CONF_LOG_LEVEL,  /* int, LOG_ERR .. LOG_DEBUG */
	CONF_GROUP,      /* a group of keys in children */
};

struct conf_key {
	const char *name; /* NULL ends a table */
	enum conf_key_type type;
	size_t offset;    /* in struct hm_conf */
	unsigned min;
	unsigned max;
	const struct conf_key *children; /* CONF_GROUP only */
	const char *unset_note;          /* CONF_NAME/CONF_PATH: what NULL means */
};

extern const struct conf_key conf_keys[];

#endif
