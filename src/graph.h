/* SPDX-License-Identifier: MIT */
/*
 * Graphs of the RRD files, for healthmondctl only (it links librrd.so; the
 * daemon never links this, see src/grapher.h). graph.c knows the series
 * kinds (docs/rrd-layout.md) and turns a request into the argument vector
 * of rrd_graph_v(): which fields, stacked or mirrored, colours, units,
 * legends and threshold lines from the config's checks. It calls no librrd
 * function itself; ctl_graph.c reads the files and renders.
 */
#ifndef HM_GRAPH_H
#define HM_GRAPH_H

#include <stdint.h>

#include "conf.h"

/* The image's final size in pixels (rrd_graph's --full-size-mode). */
#define GRAPH_WIDTH_MIN 200
#define GRAPH_WIDTH_MAX 4000
#define GRAPH_HEIGHT_MIN 100
#define GRAPH_HEIGHT_MAX 3000
#define GRAPH_WIDTH_DEFAULT 800
#define GRAPH_HEIGHT_DEFAULT 250

/*
 * A span of time ending now, parsed by healthmondctl from N followed by
 * min, h, d, w, m (a month of 31 days) or y (366 days): "1d", "7d", "15min".
 */
struct graph_period {
	uint64_t seconds;
	char name[16];  /* as given, for JSON keys: "7d" */
	char label[32]; /* for titles: "last day", "last 7 days" */
};

struct graph_request {
	const char *rrd_path;        /* borrowed: <datadir>/<host>/<series>.rrd */
	const char *host;            /* borrowed: a valid name */
	const char *series;          /* borrowed: a valid name; picks the kind */
	char *const *fields;         /* borrowed strv; NULL or empty: by kind */
	struct graph_period period;
	int64_t end;                 /* unix time of the right edge */
	unsigned width, height;      /* final PNG size, within bounds */
	const char *title;           /* borrowed; NULL: "<series> on <host>, <label>" */
	const struct hm_conf *conf;  /* borrowed; its checks give threshold lines */
};

/*
 * Builds the argument vector of rrd_graph_v() for req: argv[0] "graph",
 * argv[1] "-" (render into memory), then options and graph elements.
 * ds_names are the data sources the file has (a strv, borrowed). Explicit
 * fields must all be among them: else -ENOENT and the first unknown field
 * in *ret_unknown (borrowed from req). On success hands a new strv to
 * *ret_argv.
 */
int graph_build_args(const struct graph_request *req, char *const *ds_names,
	char ***ret_argv, const char **ret_unknown);

#endif
