/* SPDX-License-Identifier: MIT */
/*
 * Records and their schemas. A record is one RRD update: a series
 * ("cpu", "cpu-0", "df-root", "if-eth0"), a wall-clock time in seconds and one
 * value per field of the series' schema. Collectors compute rates themselves,
 * so every field is an RRD GAUGE and a record means the same on the agent and
 * on the central. NAN stands for unknown ("U" to rrdtool).
 */
#ifndef HM_RECORD_H
#define HM_RECORD_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define RECORD_FIELDS_MAX 16
#define FIELD_NAME_MAX 19 /* rrdtool's limit for a data source name */

struct field_def {
	const char *name; /* [a-z0-9_], at most FIELD_NAME_MAX */
	const char *unit; /* "percent", "bytes", "bytes/s", ... for docs and graphs */
	double min;       /* NAN: unbounded */
	double max;       /* NAN: unbounded */
};

struct schema {
	const char *kind; /* series kind: "cpu", "df", "if", ... */
	size_t n_fields;
	const struct field_def *fields;
};

/* The static schemas; record_schema_find() looks one up by kind. */
extern const struct schema schema_cpu, schema_memory, schema_swap, schema_load,
	schema_uptime, schema_df, schema_disk, schema_if, schema_probe;
const struct schema *record_schema_find(const char *kind);
/* True when some schema has a field of that name. */
bool record_field_exists(const char *field);
/* Index of a field in a schema, or -ENOENT. */
int record_field_index(const struct schema *s, const char *field);

struct record {
	char series[NAME_MAX_LEN + 1];
	const struct schema *schema; /* borrowed: static */
	int64_t time;                /* unix seconds */
	unsigned step;               /* seconds between samples; 0: the store's step */
	double values[RECORD_FIELDS_MAX];
};

/* The records of one collection cycle. Owns its array. */
struct record_batch {
	struct record *records; /* owned */
	size_t n;
	size_t allocated;
	int64_t time; /* given to each record added */
};

/*
 * Appends a record of schema s named kind (instance NULL) or kind-instance,
 * the instance sanitised into a valid name; all values start as NAN.
 * Returns the record to fill in; it stays valid until the next add.
 */
struct record *record_batch_add(struct record_batch *b, const struct schema *s,
	const char *instance);
void record_batch_clear(struct record_batch *b);
void record_batch_done(struct record_batch *b);

/* Sets a field by name; -ENOENT if the schema has no such field. */
int record_set(struct record *r, const char *field, double value);

#endif
