/* SPDX-License-Identifier: MIT */
/*
 * healthmondctl's `graph` and `availability` commands: both read the RRD
 * files directly (no daemon needed) under the data directory of the config,
 * or --datadir. `graph` renders a PNG with rrd_graph_v() from the argument
 * vector graph.c builds and writes it to a file or stdout; `availability`
 * averages a probe's `up` field over periods with rrd_fetch_r() and prints
 * JSON. The daemon runs both as child processes (src/grapher.h), so that
 * librrd's graphing stack stays out of its memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <rrd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "graph.h"
#include "util.h"

#define DEFAULT_AVAILABILITY_PERIODS "1d,7d"
/* Not an exit status: --help was asked for and answered. */
#define HELP_SHOWN (-1)

/*
 * rrd_graph_v() leaks: librrd 1.7 some legend strings, and fontconfig, set
 * up by pango in a thread of its own, its configuration. Nothing we could
 * free. Under LeakSanitizer (--enable-sanitizers) what rrd_graph_v()
 * allocates in our thread is not reported, nor is what fontconfig keeps, so
 * that our own leaks still are.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HM_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(HM_LSAN)
#include <sanitizer/lsan_interface.h>
#define LIBRARY_LEAKS_BEGIN() __lsan_disable()
#define LIBRARY_LEAKS_END() __lsan_enable()
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}
const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#else
#define LIBRARY_LEAKS_BEGIN() ((void)0)
#define LIBRARY_LEAKS_END() ((void)0)
#endif

static const struct period_unit {
	const char *suffix;
	uint64_t seconds;
	const char *one, *many; /* "last day", "last 7 days" */
} period_units[] = {
	{ "min", 60, "minute", "minutes" },
	{ "h", 3600, "hour", "hours" },
	{ "d", 86400, "day", "days" },
	{ "w", 7 * 86400, "week", "weeks" },
	{ "m", 31 * 86400, "month", "months" },
	{ "y", 366 * 86400, "year", "years" },
};

/*
 * Parses N followed by a unit of period_units, N in 1..999 and at most ten
 * years in all. -EINVAL when malformed, -ERANGE out of range.
 */
static int
graph_parse_period(const char *s, struct graph_period *ret)
{
	size_t digits = strspn(s, "0123456789");
	struct graph_period p = {};
	const struct period_unit *u = NULL;
	char number[4];
	uint64_t n;

	for (size_t i = 0; i < ELEMENTSOF(period_units); i++)
		if (strcmp(s + digits, period_units[i].suffix) == 0)
			u = &period_units[i];
	if (digits == 0 || !u)
		return -EINVAL;
	if (digits >= sizeof(number))
		return -ERANGE;
	snprintf(number, sizeof(number), "%.*s", (int)digits, s);
	if (safe_atou64(number, &n) < 0)
		return -EINVAL;
	if (n == 0 || n * u->seconds > 10 * 366 * 86400ULL)
		return -ERANGE;
	p.seconds = n * u->seconds;
	snprintf(p.name, sizeof(p.name), "%s", s);
	if (n == 1)
		snprintf(p.label, sizeof(p.label), "last %s", u->one);
	else
		snprintf(p.label, sizeof(p.label), "last %u %s", (unsigned)n, u->many);
	*ret = p;
	return 0;
}

/* Parses "WxH" within the GRAPH_*_MIN/MAX bounds. -EINVAL or -ERANGE. */
static int
graph_parse_size(const char *s, unsigned *ret_width, unsigned *ret_height)
{
	_cleanup_free_ char *w = NULL;
	const char *x = strchr(s, 'x');
	uint64_t width, height;

	if (!x)
		return -EINVAL;
	w = xstrndup(s, (size_t)(x - s));
	if (safe_atou64(w, &width) < 0 || safe_atou64(x + 1, &height) < 0)
		return -EINVAL;
	if (width < GRAPH_WIDTH_MIN || width > GRAPH_WIDTH_MAX ||
		height < GRAPH_HEIGHT_MIN || height > GRAPH_HEIGHT_MAX)
		return -ERANGE;
	*ret_width = (unsigned)width;
	*ret_height = (unsigned)height;
	return 0;
}

/* Options both commands share. */
struct source_opts {
	const char *config; /* -c; NULL: CONF_DEFAULT_PATH when it exists */
	const char *datadir; /* --datadir; NULL: the config's */
};

static void _printf_(2, 3)
complain(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "healthmondctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Loads the config (for the data directory and the checks' thresholds):
 * -c FILE, else the default file when there is one, else the embedded
 * default. An unreadable default file is only fatal when the data
 * directory must come from it. Returns a CTL_EXIT_* status.
 */
static int
load_conf(const char *cmd, const struct source_opts *o, struct hm_conf **ret)
{
	_cleanup_free_ char *error = NULL;
	const char *path = o->config;
	int r;

	if (!path && access(CONF_DEFAULT_PATH, F_OK) == 0)
		path = CONF_DEFAULT_PATH;
	if (!path) {
		*ret = conf_new_default();
		return CTL_EXIT_OK;
	}
	r = conf_load(path, ret, &error);
	if (r >= 0)
		return CTL_EXIT_OK;
	if (!o->config && o->datadir) {
		complain(cmd, "%s; using the default thresholds", error);
		*ret = conf_new_default();
		return CTL_EXIT_OK;
	}
	complain(cmd, "%s", error);
	return CTL_EXIT_FAILURE;
}

static char *
resolve_datadir(const struct source_opts *o, const struct hm_conf *conf)
{
	return o->datadir ? xstrdup(o->datadir) : conf_resolve_datadir(conf);
}

/* The file of host's series; -ENOENT (also for a directory) or -errno. */
static int
series_path(const char *datadir, const char *host, const char *series, char **ret)
{
	_cleanup_free_ char *path = xasprintf("%s/%s/%s.rrd", datadir, host, series);
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOENT;
	*ret = TAKE_PTR(path);
	return 0;
}

/* librrd keeps its last error per thread; an empty one still means failure. */
static const char *
rrd_error(void)
{
	const char *e = rrd_get_error();

	return e && e[0] ? e : "unknown librrd error";
}

/* The names of path's data sources, as a strv. On failure the message is rrd's. */
static int
read_ds_names(const char *path, char ***ret)
{
	char **names = NULL, **last = NULL, **v = NULL;
	unsigned long n = 0;
	time_t t;

	rrd_clear_error();
	if (rrd_lastupdate_r(path, &t, &n, &names, &last) < 0 || rrd_test_error())
		return -EIO;
	for (unsigned long i = 0; i < n; i++) {
		strv_push(&v, names[i]);
		free(names[i]);
		free(last[i]);
	}
	free(names);
	free(last);
	if (!v)
		strv_push(&v, "");
	*ret = v;
	return 0;
}

/* Renders req's PNG into memory. Returns a CTL_EXIT_* status. */
static int
render(const struct graph_request *req, void **ret_png, size_t *ret_len)
{
	_cleanup_(strv_freep) char **ds = NULL, **argv = NULL;
	const char *unknown = NULL;
	rrd_info_t *info;
	int r = CTL_EXIT_FAILURE;

	if (read_ds_names(req->rrd_path, &ds) < 0) {
		complain("graph", "%s: %s", req->rrd_path, rrd_error());
		return CTL_EXIT_FAILURE;
	}
	if (graph_build_args(req, ds, &argv, &unknown) < 0) {
		complain("graph", "series '%s' has no field '%s'", req->series,
			unknown);
		return CTL_EXIT_USAGE;
	}
	rrd_clear_error();
	LIBRARY_LEAKS_BEGIN();
	info = rrd_graph_v((int)strv_length(argv), argv);
	LIBRARY_LEAKS_END();
	if (!info || rrd_test_error()) {
		complain("graph", "%s: %s", req->rrd_path, rrd_error());
		rrd_info_free(info);
		return CTL_EXIT_FAILURE;
	}
	for (rrd_info_t *i = info; i; i = i->next)
		if (i->type == RD_I_BLO && strcmp(i->key, "image") == 0) {
			*ret_len = i->value.u_blo.size;
			*ret_png = xmalloc(*ret_len);
			memcpy(*ret_png, i->value.u_blo.ptr, *ret_len);
			r = CTL_EXIT_OK;
		}
	rrd_info_free(info);
	if (r != CTL_EXIT_OK)
		complain("graph", "librrd rendered no image");
	return r;
}

/* Writes the image to path, or to stdout for "-". Returns a CTL_EXIT_* status. */
static int
write_output(const char *path, const void *png, size_t len)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (strcmp(path, "-") == 0) {
		r = write_all(STDOUT_FILENO, png, len);
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			r = -errno;
		else
			r = write_all(fd, png, len);
		if (r >= 0 && close(TAKE_FD(fd)) < 0)
			r = -errno;
	}
	if (r < 0) {
		complain("graph", "cannot write '%s': %s", path, strerror(-r));
		return CTL_EXIT_FAILURE;
	}
	return CTL_EXIT_OK;
}

static void
graph_usage(FILE *f)
{
	fprintf(f,
		"usage: healthmondctl graph HOST SERIES [FIELD...] [--period P]\n"
		"       [--size WxH] [--datadir DIR] [-c CONFIG] [--title TEXT]\n"
		"       -o FILE|-\n"
		"  --period  the span ending now, 1d by default: N followed by\n"
		"            min(utes), h(ours), d(ays), w(eeks), m(onths) or y(ears)\n"
		"  --size    final image size in pixels, %ux%u to %ux%u (%ux%u)\n",
		GRAPH_WIDTH_MIN, GRAPH_HEIGHT_MIN, GRAPH_WIDTH_MAX, GRAPH_HEIGHT_MAX,
		GRAPH_WIDTH_DEFAULT, GRAPH_HEIGHT_DEFAULT);
}

struct graph_opts {
	struct source_opts src;
	struct graph_request req;
	const char *output;
};

static int
graph_option(int c, const char *arg, struct graph_opts *o)
{
	int r;

	switch (c) {
	case 'p':
		r = graph_parse_period(arg, &o->req.period);
		if (r < 0) {
			complain("graph", "bad period '%s': %s", arg,
				r == -ERANGE ? "out of range" :
					       "not N and min, h, d, w, m or y");
			return CTL_EXIT_USAGE;
		}
		return CTL_EXIT_OK;
	case 's':
		r = graph_parse_size(arg, &o->req.width, &o->req.height);
		if (r < 0) {
			complain("graph", "bad size '%s': %s", arg,
				r == -ERANGE ? "out of range" : "not WIDTHxHEIGHT");
			return CTL_EXIT_USAGE;
		}
		return CTL_EXIT_OK;
	case 'd':
		o->src.datadir = arg;
		return CTL_EXIT_OK;
	case 'c':
		o->src.config = arg;
		return CTL_EXIT_OK;
	case 't':
		o->req.title = arg;
		return CTL_EXIT_OK;
	case 'o':
		o->output = arg;
		return CTL_EXIT_OK;
	case 'h':
		graph_usage(stdout);
		return HELP_SHOWN;
	default:
		graph_usage(stderr);
		return CTL_EXIT_USAGE;
	}
}

static const struct option graph_longopts[] = {
	{ "period", required_argument, NULL, 'p' },
	{ "size", required_argument, NULL, 's' },
	{ "datadir", required_argument, NULL, 'd' },
	{ "config", required_argument, NULL, 'c' },
	{ "title", required_argument, NULL, 't' },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/* Parses argv into o; the positional arguments start at *ret_first. */
static int
graph_parse_args(int argc, char *argv[], struct graph_opts *o, int *ret_first)
{
	int c, r;

	(void)graph_parse_period("1d", &o->req.period);
	o->req.width = GRAPH_WIDTH_DEFAULT;
	o->req.height = GRAPH_HEIGHT_DEFAULT;
	/* optind = 0 makes glibc's getopt start over, whatever ran before. */
	optind = 0;
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, "p:s:d:c:t:o:h", graph_longopts, NULL);
		if (c < 0)
			break;
		if (c == '?') {
			complain("graph", "bad option '%s'", argv[optind - 1]);
			return CTL_EXIT_USAGE;
		}
		r = graph_option(c, optarg, o);
		if (r != CTL_EXIT_OK)
			return r;
	}
	if (argc - optind < 2 || !o->output) {
		complain("graph", argc - optind < 2 ? "HOST and SERIES are needed" :
						      "-o FILE or -o - is needed");
		graph_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	*ret_first = optind;
	return CTL_EXIT_OK;
}

/* HOST, SERIES and FIELDs must be names: nothing can reach outside datadir. */
static int
check_names(const char *cmd, char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!name_is_valid(names[i])) {
			complain(cmd, "'%s' is not a valid name", names[i]);
			return CTL_EXIT_USAGE;
		}
	return CTL_EXIT_OK;
}

int
ctl_graph_main(int argc, char *argv[])
{
	_cleanup_(conf_freep) struct hm_conf *conf = NULL;
	_cleanup_free_ char *datadir = NULL, *path = NULL;
	_cleanup_free_ void *png = NULL;
	struct graph_opts o = {};
	size_t len = 0;
	int first, r;

	r = graph_parse_args(argc, argv, &o, &first);
	if (r == HELP_SHOWN)
		return CTL_EXIT_OK;
	if (r == CTL_EXIT_OK)
		r = check_names("graph", argv + first, (size_t)(argc - first));
	if (r != CTL_EXIT_OK)
		return r;
	o.req.host = argv[first];
	o.req.series = argv[first + 1];
	o.req.fields = argv + first + 2;
	r = load_conf("graph", &o.src, &conf);
	if (r != CTL_EXIT_OK)
		return r;
	datadir = resolve_datadir(&o.src, conf);
	r = series_path(datadir, o.req.host, o.req.series, &path);
	if (r < 0) {
		complain("graph", "no series '%s' of host '%s' in '%s': %s",
			o.req.series, o.req.host, datadir, strerror(-r));
		return CTL_EXIT_FAILURE;
	}
	o.req.rrd_path = path;
	o.req.conf = conf;
	o.req.end = (int64_t)time(NULL);
	r = render(&o.req, &png, &len);
	if (r != CTL_EXIT_OK)
		return r;
	return write_output(o.output, png, len);
}

/* An AVERAGE archive: seconds per row and seconds it spans. */
struct archive {
	unsigned long res;
	unsigned long span;
};

#define ARCHIVES_MAX 32

/* Takes one rra[N].{cf,pdp_per_row,rows} of rrd_info_r() into a. */
static void
archive_info(const rrd_info_t *i, struct archive *a, bool *average)
{
	char field[32];
	unsigned k;

	if (sscanf(i->key, "rra[%u].%31s", &k, field) != 2 || k >= ARCHIVES_MAX)
		return;
	if (strcmp(field, "cf") == 0 && i->type == RD_I_STR)
		average[k] = strcmp(i->value.u_str, "AVERAGE") == 0;
	else if (strcmp(field, "pdp_per_row") == 0 && i->type == RD_I_CNT)
		a[k].res = i->value.u_cnt;
	else if (strcmp(field, "rows") == 0 && i->type == RD_I_CNT)
		a[k].span = i->value.u_cnt;
}

/* The AVERAGE archives of path, finest first. -EIO when librrd fails. */
static int
read_archives(const char *path, struct archive ret[static ARCHIVES_MAX], size_t *ret_n)
{
	struct archive a[ARCHIVES_MAX] = {};
	bool average[ARCHIVES_MAX] = {};
	unsigned long step = 0;
	rrd_info_t *info;
	size_t n = 0;

	rrd_clear_error();
	info = rrd_info_r(path);
	if (!info || rrd_test_error()) {
		rrd_info_free(info);
		return -EIO;
	}
	for (const rrd_info_t *i = info; i; i = i->next)
		if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT)
			step = i->value.u_cnt;
		else
			archive_info(i, a, average);
	rrd_info_free(info);
	for (size_t k = 0; k < ARCHIVES_MAX; k++) {
		size_t j = n++;

		if (!average[k] || a[k].res == 0 || a[k].span == 0 || step == 0) {
			n--;
			continue;
		}
		a[k].res *= step;
		a[k].span *= a[k].res;
		/* Insertion by resolution. */
		for (; j > 0 && ret[j - 1].res > a[k].res; j--)
			ret[j] = ret[j - 1];
		ret[j] = a[k];
	}
	*ret_n = n;
	return 0;
}

/*
 * Adds up the known values of `up` in the rows ending in (from, to] of
 * the archive of `res` seconds per row (or the one librrd picks instead),
 * weighted by their seconds. -ENOENT without `up`, -EIO when librrd fails.
 */
static int
add_segment(const char *path, time_t from, time_t to, unsigned long res, double *sum,
	double *known)
{
	time_t start = from, end = to;
	unsigned long step = res, n_ds = 0;
	rrd_value_t *data = NULL;
	char **names = NULL;
	long up = -1;
	int r;

	rrd_clear_error();
	r = rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &n_ds, &names, &data);
	if (r < 0 || rrd_test_error())
		return -EIO;
	for (unsigned long i = 0; i < n_ds; i++) {
		if (strcmp(names[i], "up") == 0)
			up = (long)i;
		free(names[i]);
	}
	free(names);
	for (time_t t = start + (time_t)step; up >= 0 && step > 0 && t <= end;
		t += (time_t)step) {
		size_t row = (size_t)((t - start) / (time_t)step - 1);
		double v = data[row * n_ds + (size_t)up];

		if (t > from && t <= to && !isnan(v)) {
			*sum += v * (double)step;
			*known += (double)step;
		}
	}
	free(data);
	return up < 0 ? -ENOENT : 0;
}

/*
 * The mean of the known values of path's `up` over the period ending at
 * end, from the finest archive that reaches each part of it (the recent
 * part of a day from the per-step rows, not only from whole minutes):
 * NAN when none is known. -ENOENT when the file has no `up`, -EIO when
 * librrd fails (its message in rrd_get_error()).
 */
static int
availability(const char *path, const struct graph_period *p, time_t end, double *ret)
{
	struct archive a[ARCHIVES_MAX];
	time_t start = end - (time_t)p->seconds, to = end;
	double sum = 0, known = 0;
	size_t n;
	int r;

	r = read_archives(path, a, &n);
	for (size_t k = 0; r >= 0 && k < n && to > start; k++) {
		/* A little short of the span: the archive must reach all of it. */
		time_t from = end - (time_t)a[k].span + 2 * (time_t)a[k].res;

		if (k + 1 == n || from < start)
			from = start;
		if (from >= to)
			continue;
		r = add_segment(path, from, to, a[k].res, &sum, &known);
		to = from;
	}
	if (r < 0)
		return r;
	*ret = known > 0 ? sum / known : NAN;
	return 0;
}

/* Splits "1d,7d" into periods. Returns a CTL_EXIT_* status. */
static int
parse_periods(const char *list, struct graph_period **ret, size_t *ret_n)
{
	_cleanup_free_ char *copy = xstrdup(list);
	_cleanup_free_ struct graph_period *v = NULL;
	size_t n = 0, allocated = 0;
	char *save = NULL;

	for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		v = xgrow(v, &allocated, n, 4, sizeof(*v));
		if (graph_parse_period(s, &v[n]) < 0) {
			complain("availability", "bad period '%s'", s);
			return CTL_EXIT_USAGE;
		}
		n++;
	}
	if (n == 0) {
		complain("availability", "no period in '%s'", list);
		return CTL_EXIT_USAGE;
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return CTL_EXIT_OK;
}

/* Splits "HOST/SERIES" into two valid names. */
static bool
split_key(const char *key, char host[static NAME_MAX_LEN + 1],
	char series[static NAME_MAX_LEN + 1])
{
	const char *slash = strchr(key, '/');

	if (!slash || slash - key > NAME_MAX_LEN || strlen(slash + 1) > NAME_MAX_LEN)
		return false;
	snprintf(host, NAME_MAX_LEN + 1, "%.*s", (int)(slash - key), key);
	snprintf(series, NAME_MAX_LEN + 1, "%s", slash + 1);
	return name_is_valid(host) && name_is_valid(series);
}

/*
 * {"1d": 0.998, "7d": null} for one HOST/SERIES. A series without a file
 * yet (a probe just added) has no data: null. Returns a CTL_EXIT_* status.
 */
static int
availability_of(const char *datadir, const char *key, const struct graph_period *p,
	size_t n, time_t now, json_t **ret)
{
	char host[NAME_MAX_LEN + 1], series[NAME_MAX_LEN + 1];
	_cleanup_free_ char *path = NULL;
	json_t *o;
	int r;

	if (!split_key(key, host, series)) {
		complain("availability", "'%s' is not HOST/SERIES of valid names", key);
		return CTL_EXIT_USAGE;
	}
	r = series_path(datadir, host, series, &path);
	if (r < 0 && r != -ENOENT) {
		complain("availability", "%s/%s/%s.rrd: %s", datadir, host, series,
			strerror(-r));
		return CTL_EXIT_FAILURE;
	}
	o = json_object();
	for (size_t i = 0; i < n; i++) {
		double v = NAN;

		r = path ? availability(path, &p[i], now, &v) : 0;
		if (r < 0) {
			complain("availability", "%s: %s", path,
				r == -ENOENT ? "no field 'up' (not a probe series)" :
					       rrd_error());
			json_decref(o);
			return CTL_EXIT_FAILURE;
		}
		(void)json_object_set_new(o, p[i].name,
			isnan(v) ? json_null() : json_real(v));
	}
	*ret = o;
	return CTL_EXIT_OK;
}

static const struct option availability_longopts[] = {
	{ "period", required_argument, NULL, 'p' },
	{ "datadir", required_argument, NULL, 'd' },
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static int
availability_usage(FILE *f)
{
	fprintf(f, "usage: healthmondctl availability [--datadir DIR] [-c CONFIG]\n"
			"       [--period P[,P...]] HOST/SERIES...\n");
	return CTL_EXIT_USAGE;
}

static int
availability_parse_args(int argc, char *argv[], struct source_opts *src,
	const char **ret_periods)
{
	int c;

	optind = 0;
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, "p:d:c:h", availability_longopts, NULL);
		if (c < 0)
			break;
		if (c == 'p')
			*ret_periods = optarg;
		else if (c == 'd')
			src->datadir = optarg;
		else if (c == 'c')
			src->config = optarg;
		else if (c == 'h') {
			(void)availability_usage(stdout);
			return HELP_SHOWN;
		} else {
			if (c == '?')
				complain("availability", "bad option '%s'",
					argv[optind - 1]);
			return availability_usage(stderr);
		}
	}
	if (optind >= argc) {
		complain("availability", "HOST/SERIES is needed");
		return availability_usage(stderr);
	}
	return CTL_EXIT_OK;
}

int
ctl_availability_main(int argc, char *argv[])
{
	_cleanup_(conf_freep) struct hm_conf *conf = NULL;
	_cleanup_free_ struct graph_period *periods = NULL;
	_cleanup_free_ char *datadir = NULL, *text = NULL;
	const char *period_list = DEFAULT_AVAILABILITY_PERIODS;
	struct source_opts src = {};
	time_t now = time(NULL);
	json_t *result;
	size_t n = 0;
	int r;

	r = availability_parse_args(argc, argv, &src, &period_list);
	if (r == HELP_SHOWN)
		return CTL_EXIT_OK;
	if (r == CTL_EXIT_OK)
		r = parse_periods(period_list, &periods, &n);
	if (r == CTL_EXIT_OK)
		r = load_conf("availability", &src, &conf);
	if (r != CTL_EXIT_OK)
		return r;
	datadir = resolve_datadir(&src, conf);
	result = json_object();
	for (int i = optind; i < argc && r == CTL_EXIT_OK; i++) {
		json_t *o = NULL;

		r = availability_of(datadir, argv[i], periods, n, now, &o);
		if (r == CTL_EXIT_OK)
			(void)json_object_set_new(result, argv[i], o);
	}
	if (r == CTL_EXIT_OK) {
		text = json_dumps(result, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
		if (!text || puts(text) < 0 || fflush(stdout) != 0) {
			complain("availability", "cannot write the result");
			r = CTL_EXIT_FAILURE;
		}
	}
	json_decref(result);
	return r;
}
