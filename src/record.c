/* SPDX-License-Identifier: MIT */
/*
 * Series schemas and record batches. The schemas are the contract between
 * collectors, the RRD layout (docs/rrd-layout.md) and, later, the wire
 * format: a field's name is its RRD data source name.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

#define PCT(n) { n, "percent", 0, 100 }
#define NONNEG(n, u) { n, u, 0, NAN }

static const struct field_def cpu_fields[] = {
	PCT("user"), PCT("nice"), PCT("system"), PCT("iowait"),
	PCT("irq"), PCT("softirq"), PCT("steal"), PCT("idle"),
};
const struct schema schema_cpu = { "cpu", ELEMENTSOF(cpu_fields), cpu_fields };

static const struct field_def memory_fields[] = {
	NONNEG("total", "bytes"), NONNEG("available", "bytes"), NONNEG("used", "bytes"),
	NONNEG("buffers", "bytes"), NONNEG("cached", "bytes"), PCT("used_pct"),
};
const struct schema schema_memory = { "memory", ELEMENTSOF(memory_fields), memory_fields };

static const struct field_def swap_fields[] = {
	NONNEG("total", "bytes"), NONNEG("used", "bytes"), NONNEG("free", "bytes"),
	PCT("used_pct"), NONNEG("in", "pages/s"), NONNEG("out", "pages/s"),
};
const struct schema schema_swap = { "swap", ELEMENTSOF(swap_fields), swap_fields };

static const struct field_def load_fields[] = {
	NONNEG("load1", "load"), NONNEG("load5", "load"), NONNEG("load15", "load"),
	NONNEG("runnable", "tasks"), NONNEG("tasks", "tasks"), NONNEG("cpus", "cpus"),
};
const struct schema schema_load = { "load", ELEMENTSOF(load_fields), load_fields };

static const struct field_def uptime_fields[] = {
	NONNEG("uptime", "seconds"),
};
const struct schema schema_uptime = { "uptime", ELEMENTSOF(uptime_fields), uptime_fields };

static const struct field_def df_fields[] = {
	NONNEG("bytes_used", "bytes"), NONNEG("bytes_free", "bytes"), PCT("bytes_pct"),
	NONNEG("inodes_used", "inodes"), NONNEG("inodes_free", "inodes"), PCT("inodes_pct"),
};
const struct schema schema_df = { "df", ELEMENTSOF(df_fields), df_fields };

static const struct field_def disk_fields[] = {
	NONNEG("read_bytes", "bytes/s"), NONNEG("write_bytes", "bytes/s"),
	NONNEG("read_ops", "ops/s"), NONNEG("write_ops", "ops/s"),
	PCT("busy_pct"),
};
const struct schema schema_disk = { "disk", ELEMENTSOF(disk_fields), disk_fields };

static const struct field_def if_fields[] = {
	NONNEG("rx_bytes", "bytes/s"), NONNEG("tx_bytes", "bytes/s"),
	NONNEG("rx_packets", "packets/s"), NONNEG("tx_packets", "packets/s"),
	NONNEG("rx_errors", "errors/s"), NONNEG("tx_errors", "errors/s"),
	NONNEG("rx_drops", "drops/s"), NONNEG("tx_drops", "drops/s"),
};
const struct schema schema_if = { "if", ELEMENTSOF(if_fields), if_fields };

/*
 * Probe times are cumulative from the start of the request, as curl
 * reports them: DNS done <= connected <= TLS done <= first byte <= total.
 * reason is a probe_reason code (0 when up).
 */
static const struct field_def probe_fields[] = {
	{ "up", "bool", 0, 1 }, NONNEG("status", "code"), NONNEG("total_ms", "ms"),
	NONNEG("dns_ms", "ms"), NONNEG("connect_ms", "ms"), NONNEG("tls_ms", "ms"),
	NONNEG("ttfb_ms", "ms"), NONNEG("size", "bytes"), { "cert_days", "days", NAN, NAN },
	NONNEG("reason", "code"),
};
const struct schema schema_probe = { "probe", ELEMENTSOF(probe_fields), probe_fields };

static const struct schema *const all_schemas[] = {
	&schema_cpu, &schema_memory, &schema_swap, &schema_load,
	&schema_uptime, &schema_df, &schema_disk, &schema_if, &schema_probe,
};

const struct schema *
record_schema_find(const char *kind)
{
	for (size_t i = 0; i < ELEMENTSOF(all_schemas); i++)
		if (strcmp(all_schemas[i]->kind, kind) == 0)
			return all_schemas[i];
	return NULL;
}

bool
record_field_exists(const char *field)
{
	for (size_t i = 0; i < ELEMENTSOF(all_schemas); i++)
		if (record_field_index(all_schemas[i], field) >= 0)
			return true;
	return false;
}

int
record_field_index(const struct schema *s, const char *field)
{
	for (size_t i = 0; i < s->n_fields; i++)
		if (strcmp(s->fields[i].name, field) == 0)
			return (int)i;
	return -ENOENT;
}

struct record *
record_batch_add(struct record_batch *b, const struct schema *s, const char *instance)
{
	struct record *r;

	if (b->n == b->allocated) {
		b->allocated = b->allocated ? b->allocated * 2 : 16;
		b->records = xrealloc(b->records, b->allocated * sizeof(*b->records));
	}
	r = &b->records[b->n++];
	memset(r, 0, sizeof(*r));
	r->schema = s;
	r->time = b->time;
	if (instance) {
		char clean[NAME_MAX_LEN + 1];

		name_sanitize(instance, clean, sizeof(clean));
		/* A long instance name is cut; what remains is still a valid name. */
		if (snprintf(r->series, sizeof(r->series), "%s-%s", s->kind, clean) < 0)
			r->series[0] = '\0';
	} else
		(void)snprintf(r->series, sizeof(r->series), "%s", s->kind);
	for (size_t i = 0; i < RECORD_FIELDS_MAX; i++)
		r->values[i] = NAN;
	return r;
}

void
record_batch_clear(struct record_batch *b)
{
	b->n = 0;
}

void
record_batch_done(struct record_batch *b)
{
	free(b->records);
	*b = (struct record_batch){ 0 };
}

int
record_set(struct record *r, const char *field, double value)
{
	int i = record_field_index(r->schema, field);

	if (i < 0)
		return i;
	r->values[i] = value;
	return 0;
}
