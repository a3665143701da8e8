/* SPDX-License-Identifier: MIT */
/*
 * The table of configuration keys, shared by the loader (conf.c), the
 * defaults (conf_keys.c) and the printer and comparer (conf_print.c), so that
 * they can never disagree about which keys exist. Internal to the conf module.
 */
#ifndef HM_CONF_TABLE_H
#define HM_CONF_TABLE_H

#include <stdbool.h>
#include <stddef.h>

enum conf_key_type {
	CONF_BOOL,
	CONF_UINT,      /* unsigned, range-checked with min and max */
	CONF_DOUBLE,    /* double, a finite number, or "none" (NAN) when `none_ok` */
	CONF_STRING,    /* char *, non-empty; `validate` may check more; NULL when unset */
	CONF_NAME,      /* char *, a valid host or series name, NULL when unset */
	CONF_PATH,      /* char *, an absolute path, NULL when unset */
	CONF_STRV,      /* char **, an array or list of strings */
	CONF_ENUM,      /* int, one of the names in `enumeration` */
	CONF_GROUP,     /* a group of keys in children, same base */
	CONF_LIST,      /* ( { ... }, ... ): an array of elements, see `array` */
	CONF_MAP,       /* { name = { ... }; ... }: named elements, see `array` */
};

struct conf_enum {
	const char *(*to_string)(int value);
	int (*from_string)(const char *s); /* value or -EINVAL */
	const char *choices;                /* for the error message */
};

/* The array behind a CONF_LIST or CONF_MAP key; the key's offset is the array's. */
struct conf_array {
	size_t elem_size;
	size_t count_offset; /* size_t element count, in the same base as the key */
	size_t name_offset;  /* char *name of an element */
	void (*init)(void *elem); /* fills an element's defaults */
};

struct conf_key {
	const char *name; /* NULL ends a table */
	enum conf_key_type type;
	size_t offset;    /* in the struct the table describes */
	double min;       /* CONF_UINT, CONF_DOUBLE */
	double max;
	bool none_ok;     /* CONF_DOUBLE: "none" means NAN */
	bool required;    /* element keys: must be given (checked when NULL after parsing) */
	const struct conf_key *children;    /* GROUP, LIST, MAP */
	const struct conf_array *array;     /* LIST, MAP */
	const struct conf_enum *enumeration; /* ENUM */
	const char *unset_note;             /* NAME, PATH, STRING: what NULL means */
	/* STRING, STRV items: more checks; 0 or -EINVAL with a message in *ret. */
	int (*validate)(const char *value, char **ret_message);
};

extern const struct conf_key conf_keys[];

/* Zeroes an element and fills its defaults. */
void conf_array_init_elem(const struct conf_array *a, void *elem);
/* Frees what the keys of `keys` own in base (strings, lists, arrays). */
void conf_keys_free(void *base, const struct conf_key *keys);

#endif
