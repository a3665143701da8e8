/* SPDX-License-Identifier: MIT */
/*
 * Graph definitions: a series name picks a kind (docs/rrd-layout.md), and
 * the kind draws its fields the way people read them: CPU states stacked to
 * the busy share, memory stacked to the total, network and disk traffic
 * mirrored (out and write below zero), probe latency stacked by phase with
 * failures marked, disk use against the disk_space check's thresholds. Any
 * other series, or explicit fields, gets one line per field. Every entry's
 * legend shows the last, average and maximum value when there is room.
 *
 * Only rrd_graph_v()'s argument vector is built here; ctl_graph.c renders.
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "graph.h"
#include "record.h"
#include "util.h"

/*
 * Legend geometry of rrd_graph 1.7 with its default legend font (DejaVu Sans
 * Mono, 8 pt): characters 7 px wide, rows 8 x 1.8 px high, a 16 px border
 * around the legend and 16 px after every item not ending in \g. An
 * entry's colour box takes the room of two characters. The header above
 * the entries is made of the same number of items, so that it aligns.
 */
#define CHAR_PX 7.2 /* a little more, so that a row never wraps */
#define TITLE_CHAR_PX 8.1 /* the title's font is 9 pt */
#define ROW_PX 14.4
#define LEGEND_BORDER_PX 16
#define ITEM_GAP_PX 16
#define BOX_CHARS 2
#define FRAME_PX 56 /* title, time axis and margins in full-size mode */
#define PLOT_MIN_PX 60

/* Tableau 10, in the order series are usually coloured. */
static const char *const palette[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
	"#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" };

#define COLOUR_WARNING "#f28e2b"
#define COLOUR_CRITICAL "#e15759"
#define COLOUR_FAILED "#e1575970"

/* How a value prints in a legend: a GPRINT format and its width in characters. */
struct value_format {
	const char *format;
	unsigned width;
};

static const struct value_format fmt_percent = { "%6.1lf%%", 7 };
static const struct value_format fmt_bytes = { "%6.1lf %sB", 9 };
static const struct value_format fmt_bytes_rate = { "%6.1lf %sB/s", 11 };
static const struct value_format fmt_bits_rate = { "%6.1lf %sb/s", 11 };
static const struct value_format fmt_load = { "%6.2lf", 6 };
static const struct value_format fmt_ms = { "%7.1lf ms", 10 };
static const struct value_format fmt_plain = { "%7.2lf %s", 9 };

enum legend_mode {
	LEGEND_NONE,  /* no legend at all: the image is too small */
	LEGEND_NAMES, /* names only, flowing */
	LEGEND_FULL,  /* one entry per cell: name, last, avg, max */
};

enum {
	DRAW_STACK = 1 << 0,
	DRAW_DASHES = 1 << 1,
};

struct builder {
	char **argv; /* owned strv */
	const struct graph_request *req;
	char *const *ds; /* borrowed: the file's data sources */
	const char *path; /* borrowed: req->rrd_path with ':' escaped for DEF */
	struct value_format fmt;
	enum legend_mode legend;
	unsigned label_width; /* entry labels are padded to this */
	unsigned columns;     /* entries per legend row */
	unsigned n_planned;   /* entries the legend was planned for */
	unsigned n_drawn;
	unsigned n_rules; /* threshold lines drawn */
};

static void _printf_(2, 3)
add(struct builder *b, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	strv_push(&b->argv, s);
}

static bool
has(const struct builder *b, const char *field)
{
	return strv_contains(b->ds, field);
}

/* rrd_graph splits DEF at ':'; a path may hold one. */
static char *
escape_colons(const char *s)
{
	char *out = xmalloc(2 * strlen(s) + 1), *p = out;

	for (; *s; s++) {
		if (*s == ':')
			*p++ = '\\';
		*p++ = *s;
	}
	*p = '\0';
	return out;
}

static void
def(struct builder *b, const char *vname, const char *field)
{
	add(b, "DEF:%s=%s:%s:AVERAGE", vname, b->path, field);
}

/* Pixels a row of legend takes for n items of `chars` characters in all. */
static double
items_px(unsigned n, unsigned chars)
{
	return chars * CHAR_PX + n * ITEM_GAP_PX;
}

/*
 * Decides the legend's layout for n entries with labels up to label_width
 * characters, plus `extra_rows` rows of markers and threshold lines: as
 * much as fits while the plot keeps PLOT_MIN_PX or 40 % of the height.
 */
static void
legend_plan(struct builder *b, unsigned n, unsigned label_width, unsigned extra_rows)
{
	double width = b->req->width - 2 * LEGEND_BORDER_PX + ITEM_GAP_PX;
	unsigned height = b->req->height, rows, per_row;
	unsigned plot_min = MAX(PLOT_MIN_PX, height * 2 / 5);
	double space = (double)height - FRAME_PX - plot_min - LEGEND_BORDER_PX;
	double cell = items_px(4, BOX_CHARS + label_width + 3 * b->fmt.width);

	b->n_planned = n;
	b->label_width = label_width;
	b->columns = MAX(1u, MIN(n, (unsigned)(width / cell)));
	rows = (n + b->columns - 1) / b->columns + 1 + extra_rows;
	if (rows * ROW_PX <= space) {
		b->legend = LEGEND_FULL;
		return;
	}
	/* Names only, flowing: rrd_graph wraps them. */
	per_row = MAX(1u, (unsigned)(width / items_px(1, BOX_CHARS + label_width)));
	rows = (n + per_row - 1) / per_row + extra_rows;
	b->legend = rows * ROW_PX <= space ? LEGEND_NAMES : LEGEND_NONE;
}

/*
 * The header above the entries, item for item as wide as theirs: the room
 * of box and label, then "last", "avg" and "max" right-aligned.
 */
static void
legend_header(struct builder *b)
{
	int w = (int)b->fmt.width;

	if (b->legend != LEGEND_FULL)
		return;
	for (unsigned i = 0; i < b->columns; i++) {
		add(b, "COMMENT:%*s", (int)(BOX_CHARS + b->label_width), "");
		add(b, "COMMENT:%*s", w, "last");
		add(b, "COMMENT:%*s", w, "avg");
		add(b, "COMMENT:%*s%s", w, "max", i + 1 == b->columns ? "\\l" : "");
	}
}

/*
 * Draws vname as elem ("AREA", "LINE1", "LINE2") in colour with a legend
 * entry for label; the legend's numbers come from stat (the drawn vname, or
 * its positive twin when the drawing is mirrored).
 */
static void
entry(struct builder *b, const char *elem, const char *vname, const char *colour,
	const char *label, const char *stat, unsigned flags)
{
	const char *stack = flags & DRAW_STACK ? ":STACK" : "";
	const char *dashes = flags & DRAW_DASHES ? ":dashes" : "";
	bool row_end;

	if (b->legend == LEGEND_NONE) {
		add(b, "%s:%s%s:%s%s", elem, vname, colour, stack, dashes);
		return;
	}
	if (b->legend == LEGEND_NAMES) {
		add(b, "%s:%s%s:%s%s%s", elem, vname, colour, label, stack, dashes);
		return;
	}
	add(b, "%s:%s%s:%-*s%s%s", elem, vname, colour, (int)b->label_width, label,
		stack, dashes);
	b->n_drawn++;
	row_end = b->n_drawn % b->columns == 0 || b->n_drawn >= b->n_planned;
	add(b, "VDEF:%s_l=%s,LAST", stat, stat);
	add(b, "VDEF:%s_a=%s,AVERAGE", stat, stat);
	add(b, "VDEF:%s_m=%s,MAXIMUM", stat, stat);
	add(b, "GPRINT:%s_l:%s", stat, b->fmt.format);
	add(b, "GPRINT:%s_a:%s", stat, b->fmt.format);
	add(b, "GPRINT:%s_m:%s%s", stat, b->fmt.format, row_end ? "\\l" : "");
}

/* The legend's label for a threshold line: "disk_space warning 90%". */
static char *
rule_label(const struct builder *b, const struct check_conf *c, const char *level,
	double value, const char *unit)
{
	_cleanup_free_ char *name = NULL;

	if (b->legend == LEGEND_NONE)
		return xstrdup("");
	/* A check's name is the config's: no ':' may end the element early. */
	name = escape_colons(c->name);
	return xasprintf("%s %s %g%s", name, level, value, unit);
}

static void
rule(struct builder *b, const struct check_conf *c, const char *level, double value,
	const char *colour, const char *unit)
{
	_cleanup_free_ char *label = NULL;

	if (isnan(value))
		return;
	label = rule_label(b, c, level, value, unit);
	if (!c->per) {
		add(b, "HRULE:%g%s:%s:dashes", value, colour, label);
	} else {
		/* A threshold per another field ("load5 per cpus") is a line. */
		add(b, "DEF:rule%u_per=%s:%s:AVERAGE", b->n_rules, b->path, c->per);
		add(b, "CDEF:rule%u=rule%u_per,%g,*", b->n_rules, b->n_rules, value);
		add(b, "LINE1:rule%u%s:%s:dashes", b->n_rules, colour, label);
	}
	b->n_rules++;
}

/*
 * Draws the warning and critical levels of every enabled check on this
 * series' field (the disk_space check on df-*'s bytes_pct, a latency check
 * on a probe's total_ms). Returns how many checks matched.
 */
static unsigned
thresholds(struct builder *b, const char *field, const char *unit)
{
	const struct hm_conf *conf = b->req->conf;
	unsigned n = 0;

	for (size_t i = 0; conf && i < conf->n_checks; i++) {
		const struct check_conf *c = &conf->checks[i];

		if (!c->enabled || strcmp(c->field, field) != 0 ||
			fnmatch(c->series, b->req->series, 0) != 0)
			continue;
		if (c->per && !has(b, c->per))
			continue;
		rule(b, c, "warning", c->warning, COLOUR_WARNING, unit);
		rule(b, c, "critical", c->critical, COLOUR_CRITICAL, unit);
		n++;
	}
	return n;
}

/*
 * Rows the legend needs for the threshold lines of field (labels as
 * rule_label() makes them) and other items of extra_px pixels, all on
 * rows of their own below the entries.
 */
static unsigned
extra_rows(const struct builder *b, const char *field, const char *unit,
	double extra_px)
{
	const struct hm_conf *conf = b->req->conf;
	double width = b->req->width - 2 * LEGEND_BORDER_PX + ITEM_GAP_PX;
	double px = extra_px;

	for (size_t i = 0; field && conf && i < conf->n_checks; i++) {
		const struct check_conf *c = &conf->checks[i];
		double levels[] = { c->warning, c->critical };

		if (!c->enabled || strcmp(c->field, field) != 0 ||
			fnmatch(c->series, b->req->series, 0) != 0)
			continue;
		for (size_t k = 0; k < ELEMENTSOF(levels); k++) {
			int len = snprintf(NULL, 0, "%s critical %g%s", c->name,
				levels[k], unit);

			if (!isnan(levels[k]))
				px += items_px(1, BOX_CHARS + (unsigned)len);
		}
	}
	/* Should items wrap early after all, the plot gets a row less. */
	return px > 0 ? (unsigned)ceil(px / width) : 0;
}

/* Ends the row of markers and threshold lines, if any was drawn. */
static void
extras_end(struct builder *b)
{
	if (b->legend != LEGEND_NONE)
		add(b, "COMMENT:\\l");
}

struct field_style {
	const char *field;
	const char *label;
	const char *colour;
};

static unsigned
max_label(const struct field_style *s, size_t n)
{
	unsigned w = 0;

	for (size_t i = 0; i < n; i++)
		w = MAX(w, (unsigned)strlen(s[i].label));
	return w;
}

/* cpu, cpu-N: the busy states stacked; idle is the room left to 100 %. */
static int
build_cpu(struct builder *b)
{
	static const struct field_style styles[] = { { "user", "user", "#4e79a7" },
		{ "nice", "nice", "#59a14f" }, { "system", "system", "#f28e2b" },
		{ "iowait", "iowait", "#e15759" }, { "irq", "irq", "#b07aa1" },
		{ "softirq", "softirq", "#ff9da7" }, { "steal", "steal", "#9c755f" } };
	unsigned n = 0, flags = 0;

	for (size_t i = 0; i < ELEMENTSOF(styles); i++)
		n += has(b, styles[i].field);
	if (n == 0)
		return -ENOENT;
	b->fmt = fmt_percent;
	add(b, "--vertical-label=percent");
	add(b, "--lower-limit=0");
	add(b, "--upper-limit=100");
	add(b, "--rigid");
	legend_plan(b, n, max_label(styles, ELEMENTSOF(styles)), 0);
	legend_header(b);
	for (size_t i = 0; i < ELEMENTSOF(styles); i++) {
		if (!has(b, styles[i].field))
			continue;
		def(b, styles[i].field, styles[i].field);
		entry(b, "AREA", styles[i].field, styles[i].colour, styles[i].label,
			styles[i].field, flags);
		flags = DRAW_STACK;
	}
	return 0;
}

/* memory: used, buffers, cached and the rest stacked up to the total. */
static int
build_memory(struct builder *b)
{
	static const struct field_style styles[] = { { "used", "used", "#4e79a7" },
		{ "buffers", "buffers", "#edc948" }, { "cached", "cached", "#76b7b2" },
		{ "free", "free", "#59a14f" }, { "total", "total", "#333333" } };

	if (!has(b, "total") || !has(b, "used") || !has(b, "buffers") ||
		!has(b, "cached"))
		return -ENOENT;
	b->fmt = fmt_bytes;
	add(b, "--vertical-label=bytes");
	add(b, "--base=1024");
	add(b, "--lower-limit=0");
	legend_plan(b, ELEMENTSOF(styles), max_label(styles, ELEMENTSOF(styles)), 0);
	legend_header(b);
	for (size_t i = 0; i < ELEMENTSOF(styles); i++)
		if (strcmp(styles[i].field, "free") != 0)
			def(b, styles[i].field, styles[i].field);
	add(b, "CDEF:free=total,used,-,buffers,-,cached,-,0,MAX");
	for (size_t i = 0; i < ELEMENTSOF(styles) - 1; i++)
		entry(b, "AREA", styles[i].field, styles[i].colour, styles[i].label,
			styles[i].field, i > 0 ? DRAW_STACK : 0);
	entry(b, "LINE1", "total", styles[4].colour, "total", "total", 0);
	return 0;
}

/* swap: used and free stacked up to the total. */
static int
build_swap(struct builder *b)
{
	if (!has(b, "used") || !has(b, "free"))
		return -ENOENT;
	b->fmt = fmt_bytes;
	add(b, "--vertical-label=bytes");
	add(b, "--base=1024");
	add(b, "--lower-limit=0");
	legend_plan(b, 2, 4, 0);
	legend_header(b);
	def(b, "used", "used");
	def(b, "free", "free");
	entry(b, "AREA", "used", "#e15759", "used", "used", 0);
	entry(b, "AREA", "free", "#59a14f", "free", "free", DRAW_STACK);
	return 0;
}

/* load: three lines, the number of CPUs dashed, the load check's levels. */
static int
build_load(struct builder *b)
{
	static const struct field_style styles[] = { { "load1", "1 min", "#4e79a7" },
		{ "load5", "5 min", "#f28e2b" }, { "load15", "15 min", "#59a14f" },
		{ "cpus", "cpus", "#bab0ac" } };
	unsigned n = 0, rows;

	if (!has(b, "load1"))
		return -ENOENT;
	for (size_t i = 0; i < ELEMENTSOF(styles); i++)
		n += has(b, styles[i].field);
	b->fmt = fmt_load;
	add(b, "--vertical-label=load");
	add(b, "--lower-limit=0");
	rows = extra_rows(b, "load5", " x cpus", 0);
	legend_plan(b, n, max_label(styles, ELEMENTSOF(styles)), rows);
	legend_header(b);
	for (size_t i = 0; i < ELEMENTSOF(styles); i++) {
		bool cpus = strcmp(styles[i].field, "cpus") == 0;

		if (!has(b, styles[i].field))
			continue;
		def(b, styles[i].field, styles[i].field);
		entry(b, cpus ? "LINE1" : "LINE2", styles[i].field, styles[i].colour,
			styles[i].label, styles[i].field, cpus ? DRAW_DASHES : 0);
	}
	if (has(b, "load5") && thresholds(b, "load5", " x cpus") > 0)
		extras_end(b);
	return 0;
}

/* df-*: the share of space used, 0..100, with the disk_space check's levels. */
static int
build_df(struct builder *b)
{
	if (!has(b, "bytes_pct"))
		return -ENOENT;
	b->fmt = fmt_percent;
	add(b, "--vertical-label=percent used");
	add(b, "--lower-limit=0");
	add(b, "--upper-limit=100");
	add(b, "--rigid");
	legend_plan(b, 1, 4, extra_rows(b, "bytes_pct", "%", 0));
	legend_header(b);
	def(b, "pct", "bytes_pct");
	add(b, "AREA:pct#4e79a740");
	entry(b, "LINE2", "pct", "#4e79a7", "used", "pct", 0);
	if (thresholds(b, "bytes_pct", "%") > 0)
		extras_end(b);
	return 0;
}

/*
 * A pair of rates drawn mirrored: `up` above zero, `down` below, scaled by
 * `scale` (8 for bits); the legend shows both as positive numbers.
 */
static void
mirrored(struct builder *b, const char *up_field, const char *up_label,
	const char *down_field, const char *down_label, unsigned scale)
{
	unsigned w = (unsigned)MAX(strlen(up_label), strlen(down_label));

	legend_plan(b, 2, w, 0);
	legend_header(b);
	def(b, "up_raw", up_field);
	def(b, "down_raw", down_field);
	add(b, "CDEF:up=up_raw,%u,*", scale);
	add(b, "CDEF:down=down_raw,%u,*", scale);
	add(b, "CDEF:down_neg=down,-1,*");
	entry(b, "AREA", "up", "#59a14fc0", up_label, "up", 0);
	entry(b, "AREA", "down_neg", "#4e79a7c0", down_label, "down", 0);
	add(b, "HRULE:0#00000080");
}

/* if-*: received above zero, sent below, in bits per second. */
static int
build_if(struct builder *b)
{
	if (!has(b, "rx_bytes") || !has(b, "tx_bytes"))
		return -ENOENT;
	b->fmt = fmt_bits_rate;
	add(b, "--vertical-label=bits/s, out < 0");
	mirrored(b, "rx_bytes", "in", "tx_bytes", "out", 8);
	return 0;
}

/* disk-*: read above zero, written below, in bytes per second. */
static int
build_disk(struct builder *b)
{
	if (!has(b, "read_bytes") || !has(b, "write_bytes"))
		return -ENOENT;
	b->fmt = fmt_bytes_rate;
	add(b, "--vertical-label=bytes/s, write < 0");
	add(b, "--base=1024");
	mirrored(b, "read_bytes", "read", "write_bytes", "write", 1);
	return 0;
}

/*
 * probe-*: the cumulative times (dns <= connect <= tls <= ttfb <= total,
 * unknown for a phase never reached) turned into stacked phases. A phase
 * never reached takes the previous one's time, so it adds nothing.
 */
static void
probe_phases(struct builder *b)
{
	static const char *const cdefs[] = {
		"CDEF:c_dns=dns,UN,0,dns,IF,tot,MIN",
		"CDEF:c_con=con,UN,c_dns,con,IF,tot,MIN",
		"CDEF:c_tls=tls,UN,c_con,tls,IF,tot,MIN",
		"CDEF:c_fb=fb,UN,c_tls,fb,IF,tot,MIN",
		"CDEF:p_dns=tot,UN,UNKN,c_dns,IF",
		"CDEF:p_con=tot,UN,UNKN,c_con,c_dns,-,0,MAX,IF",
		"CDEF:p_tls=tot,UN,UNKN,c_tls,c_con,-,0,MAX,IF",
		"CDEF:p_wait=tot,UN,UNKN,c_fb,c_tls,-,0,MAX,IF",
		"CDEF:p_xfer=tot,UN,UNKN,tot,c_fb,-,0,MAX,IF",
	};

	def(b, "dns", "dns_ms");
	def(b, "con", "connect_ms");
	def(b, "tls", "tls_ms");
	def(b, "fb", "ttfb_ms");
	def(b, "tot", "total_ms");
	for (size_t i = 0; i < ELEMENTSOF(cdefs); i++)
		add(b, "%s", cdefs[i]);
}

/* Failures as translucent red bars over the whole height, and the availability. */
static void
probe_failures(struct builder *b)
{
	def(b, "up", "up");
	/* Consolidated rows average up: any failure in the row marks it. */
	add(b, "CDEF:failed=up,1,LT");
	add(b, "CDEF:up_pct=up,100,*");
	add(b, "VDEF:up_avg=up_pct,AVERAGE");
	if (b->legend == LEGEND_NONE) {
		add(b, "TICK:failed%s:1", COLOUR_FAILED);
		return;
	}
	/* rrd_graph leaves no room for a TICK's box: make it. */
	add(b, "TICK:failed%s:1:  failed", COLOUR_FAILED);
	if (b->legend == LEGEND_FULL)
		add(b, "GPRINT:up_avg:available %%.2lf%%%%");
}

static int
build_probe(struct builder *b)
{
	static const struct field_style styles[] = { { "p_dns", "dns", "#76b7b2" },
		{ "p_con", "connect", "#59a14f" }, { "p_tls", "tls", "#edc948" },
		{ "p_wait", "wait", "#f28e2b" }, { "p_xfer", "transfer", "#4e79a7" } };
	static const char *const needed[] = { "dns_ms", "connect_ms", "tls_ms",
		"ttfb_ms", "total_ms" };

	for (size_t i = 0; i < ELEMENTSOF(needed); i++)
		if (!has(b, needed[i]))
			return -ENOENT;
	b->fmt = fmt_ms;
	add(b, "--vertical-label=ms");
	add(b, "--lower-limit=0");
	/* "failed" and "available 100.00%" share the thresholds' rows. */
	legend_plan(b, ELEMENTSOF(styles) + 1, max_label(styles, ELEMENTSOF(styles)),
		extra_rows(b, "total_ms", " ms", items_px(2, 8 + 17)));
	legend_header(b);
	probe_phases(b);
	for (size_t i = 0; i < ELEMENTSOF(styles); i++)
		entry(b, "AREA", styles[i].field, styles[i].colour, styles[i].label,
			styles[i].field, i > 0 ? DRAW_STACK : 0);
	entry(b, "LINE1", "tot", "#333333", "total", "tot", 0);
	if (has(b, "up"))
		probe_failures(b);
	(void)thresholds(b, "total_ms", " ms");
	extras_end(b);
	return 0;
}

/* The unit all of fields share in the series' schema, or NULL. */
static const char *
common_unit(const char *series, char *const *fields)
{
	char kind[NAME_MAX_LEN + 1];
	const struct schema *s;
	const char *unit = NULL;

	snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(series, "-"), series);
	s = record_schema_find(kind);
	if (!s)
		return NULL;
	for (size_t i = 0; fields[i]; i++) {
		int k = record_field_index(s, fields[i]);

		if (k < 0 || (unit && strcmp(unit, s->fields[k].unit) != 0))
			return NULL;
		unit = s->fields[k].unit;
	}
	return unit;
}

static void
generic_units(struct builder *b, const char *unit)
{
	b->fmt = fmt_plain;
	if (!unit)
		return;
	add(b, "--vertical-label=%s", unit);
	if (strcmp(unit, "percent") == 0) {
		b->fmt = fmt_percent;
	} else if (strcmp(unit, "bytes") == 0) {
		b->fmt = fmt_bytes;
		add(b, "--base=1024");
	} else if (strcmp(unit, "bytes/s") == 0) {
		b->fmt = fmt_bytes_rate;
		add(b, "--base=1024");
	} else if (strcmp(unit, "ms") == 0) {
		b->fmt = fmt_ms;
	}
}

/* One LINE2 per field, with the thresholds of checks on those fields. */
static void
build_lines(struct builder *b, char *const *fields)
{
	unsigned w = 0, n = (unsigned)strv_length(fields), rows = 0;

	for (size_t i = 0; fields[i]; i++) {
		w = MAX(w, (unsigned)strlen(fields[i]));
		rows += extra_rows(b, fields[i], "", 0);
	}
	generic_units(b, common_unit(b->req->series, fields));
	legend_plan(b, n, w, rows);
	legend_header(b);
	for (size_t i = 0; fields[i]; i++) {
		char vname[24];

		(void)snprintf(vname, sizeof(vname), "f%zu", i);
		def(b, vname, fields[i]);
		entry(b, "LINE2", vname, palette[i % ELEMENTSOF(palette)], fields[i],
			vname, 0);
	}
	for (size_t i = 0; fields[i]; i++)
		rows += thresholds(b, fields[i], "");
	if (rows > 0)
		extras_end(b);
}

static const struct kind {
	const char *name; /* series "name" and "name-<instance>" */
	int (*build)(struct builder *b);
} kinds[] = {
	{ "cpu", build_cpu }, { "memory", build_memory }, { "swap", build_swap },
	{ "load", build_load }, { "df", build_df }, { "if", build_if },
	{ "disk", build_disk }, { "probe", build_probe },
};

static const struct kind *
kind_of(const char *series)
{
	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		size_t n = strlen(kinds[i].name);

		if (strncmp(series, kinds[i].name, n) == 0 &&
			(series[n] == '\0' || series[n] == '-'))
			return &kinds[i];
	}
	return NULL;
}

/* "cpu on web1, last day", shortened until it fits the width. */
static char *
default_title(const struct graph_request *r)
{
	char *t = xasprintf("%s on %s, %s", r->series, r->host, r->period.label);

	if (strlen(t) * TITLE_CHAR_PX > r->width - 2 * LEGEND_BORDER_PX) {
		free(t);
		t = xasprintf("%s, %s", r->series, r->period.label);
	}
	if (strlen(t) * TITLE_CHAR_PX > r->width - 2 * LEGEND_BORDER_PX) {
		free(t);
		t = xstrdup(r->series);
	}
	return t;
}

/* Options every graph has: time span, size, title, a plain white look. */
static void
common_options(struct builder *b)
{
	const struct graph_request *r = b->req;
	_cleanup_free_ char *title = r->title ? xstrdup(r->title) : default_title(r);

	add(b, "graph");
	add(b, "-");
	add(b, "--imgformat=PNG");
	add(b, "--start=%lld", (long long)(r->end - (int64_t)r->period.seconds));
	add(b, "--end=%lld", (long long)r->end);
	add(b, "--width=%u", r->width);
	add(b, "--height=%u", r->height);
	add(b, "--full-size-mode");
	add(b, "--title=%s", title);
	add(b, "--slope-mode");
	add(b, "--disable-rrdtool-tag");
	add(b, "--border=0");
	add(b, "--color=BACK#ffffff");
	add(b, "--color=CANVAS#ffffff");
	add(b, "--color=GRID#d0d0d0");
	add(b, "--color=MGRID#a0a0a0");
}

int
graph_build_args(const struct graph_request *req, char *const *ds_names,
	char ***ret_argv, const char **ret_unknown)
{
	_cleanup_free_ char *path = escape_colons(req->rrd_path);
	struct builder b = { .req = req, .ds = ds_names, .path = path };
	const struct kind *k = kind_of(req->series);
	bool explicit = req->fields && req->fields[0];

	for (size_t i = 0; explicit && req->fields[i]; i++)
		if (!strv_contains(ds_names, req->fields[i])) {
			*ret_unknown = req->fields[i];
			return -ENOENT;
		}
	common_options(&b);
	if (explicit) {
		build_lines(&b, req->fields);
	} else if (!k || k->build(&b) < 0) {
		/* The kind's fields are missing: draw what the file has. */
		b.argv = strv_free(b.argv);
		b.n_rules = b.n_drawn = 0;
		common_options(&b);
		build_lines(&b, ds_names);
	}
	if (b.legend == LEGEND_NONE)
		add(&b, "--no-legend");
	*ret_argv = TAKE_PTR(b.argv);
	return 0;
}
