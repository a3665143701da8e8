/* SPDX-License-Identifier: MIT */
/*
 * Tests of metrics.c: the exposition of a synthetic view and self status
 * has the expected samples with the right values and labels, every family
 * has HELP and TYPE and is written in one block, names are valid, counters
 * end in _total, label values are escaped, and, when promtool (Debian
 * package prometheus) is installed, `promtool check metrics` accepts it
 * without a complaint.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "metrics.h"
#include "util.h"

#define T0 1763715000

static struct record *
add(struct record_batch *b, const struct schema *s, const char *instance)
{
	struct record *r = record_batch_add(b, s, instance);

	r->time = T0;
	return r;
}

/*
 * Two agents and a silent one: db1 with a full root filesystem (critical,
 * with its event), web1 (this host) with a probe, a memory warning set by
 * its rules and a recovered probe check.
 */
static struct view *
make_view(void)
{
	struct record_batch b = { .time = T0 };
	_cleanup_free_ char *error = NULL;
	struct view *v = NULL;
	struct record *r;
	struct event ev = {
		.kind = EVENT_DISK_SPACE, .host = "db1", .check = "disk_space",
		.series = "df-root", .field = "bytes_pct", .state = CHECK_CRITICAL,
		.prev_state = CHECK_WARNING, .value = 96.2, .threshold = 95, .time = T0,
	};

	ck_assert_int_eq(view_new(NULL, 100, &v, &error), 0);
	(void)view_add_host(v, "web1", true);
	r = add(&b, &schema_df, "root");
	(void)record_set(r, "bytes_used", 9.5e10);
	(void)record_set(r, "bytes_free", 1.2e9);
	(void)record_set(r, "bytes_pct", 96.2);
	view_feed_record(v, "db1", r);
	r = add(&b, &schema_probe, "shop");
	r->time = T0 + 5;
	(void)record_set(r, "up", 1);
	(void)record_set(r, "status", 200);
	(void)record_set(r, "total_ms", 250);
	(void)record_set(r, "dns_ms", 12.5);
	(void)record_set(r, "connect_ms", 20);
	(void)record_set(r, "tls_ms", 80);
	(void)record_set(r, "ttfb_ms", 123.4);
	(void)record_set(r, "cert_days", 30.5);
	(void)record_set(r, "reason", 0);
	view_feed_record(v, "web1", r);
	r = add(&b, &schema_memory, NULL);
	(void)record_set(r, "used_pct", 91);
	view_feed_record(v, "web1", r);
	record_batch_done(&b);
	view_feed_event(v, &ev);
	view_set_check(v, "web1", "memory", "memory", "used_pct", CHECK_WARNING, 91, 90,
		95, T0 - 60);
	view_set_check(v, "web1", "probe_up", "probe-shop", "up", CHECK_OK, 1, NAN, NAN,
		T0 - 3600);
	view_set_silent(v, "db2", true);
	return v;
}

static void
make_self(struct self_status *s, bool central, bool forwarding)
{
	*s = (struct self_status){
		.host = "web1",
		.version = "0.1.0",
		.central = central,
		.started = T0 - 3600,
		.agent = { .cycles = 360, .last_cycle_usec = 1500, .errors = 2,
			.series = 23, .skipped = 1, .probes = 120, .events = 3 },
		.forwarding = forwarding,
	};
	if (forwarding) {
		s->forward.upload.link = UPLOAD_RETRYING;
		s->forward.upload.failures = 4;
		s->forward.upload.spool_batches = 7;
		s->forward.upload.spool_bytes = 12345;
		s->forward.upload.oldest_age = 42;
		s->forward.upload.sent_batches = 355;
		s->forward.upload.dropped_batches = 1;
		s->forward.upload.requests = 400;
		s->forward.upload.last_success = T0 - 42;
		s->forward.lost_records = 9;
		s->forward.batches = 362;
	}
	if (central) {
		s->fleet.hosts = 3;
		s->fleet.silent = 1;
		s->fleet.ingest.requests = 1100;
		s->fleet.ingest.batches = 1022;
		s->fleet.ingest.duplicate_batches = 4;
		s->fleet.ingest.refused_auth = 2;
		s->fleet.ingest.refused_series = 5;
		s->fleet.ingest.refused_malformed[WIRE_SYNTAX] = 6;
		s->fleet.ingest.refused_malformed[WIRE_LIMIT] = 8;
		s->fleet.http.connections = 77;
	}
	s->rrd_write.count = 10;
	s->rrd_write.sum = 0.0125;
	for (size_t i = 0; i < SELF_LATENCY_BUCKETS; i++)
		s->rrd_write.le[i] = i < 2 ? 3 : 9;
	s->view.events = 17;
	s->view.events_kept = 17;
	s->view.events_by_state[CHECK_CRITICAL] = 5;
	s->graphs.runs = 11;
	s->http.requests = 50;
	s->web_refused[WEB_REFUSED_BUSY] = 3;
}

/* The exposition must hold this exact line. */
static void
assert_line(const char *text, const char *line)
{
	_cleanup_free_ char *needle = xasprintf("\n%s\n", line);

	ck_assert_msg(strstr(text, needle), "missing line: %s", line);
}

static void
assert_no(const char *text, const char *part)
{
	ck_assert_msg(!strstr(text, part), "unexpected: %s", part);
}

static char *
render(bool central, bool forwarding)
{
	_cleanup_(view_freep) struct view *v = make_view();
	struct self_status self;
	size_t len;
	char *text;

	make_self(&self, central, forwarding);
	text = metrics_render(v, &self, &len);
	ck_assert_uint_eq(len, strlen(text));
	return text;
}

START_TEST(test_view_samples)
{
	_cleanup_free_ char *t = render(false, false);

	assert_line(t, "healthmond_value{host=\"db1\",series=\"df-root\","
		"field=\"bytes_pct\"} 96.2");
	assert_line(t, "healthmond_value{host=\"db1\",series=\"df-root\","
		"field=\"bytes_free\"} 1200000000");
	/* Unknown values are left out. */
	assert_no(t, "field=\"inodes_used\"");
	assert_line(t, "healthmond_sample_timestamp_seconds{host=\"web1\","
		"series=\"probe-shop\"} 1763715005");
	assert_line(t, "healthmond_host_up{host=\"db2\"} 0");
	assert_line(t, "healthmond_host_up{host=\"web1\"} 1");
	assert_line(t, "healthmond_host_state{host=\"db1\",state=\"critical\"} 1");
	assert_line(t, "healthmond_host_state{host=\"db1\",state=\"ok\"} 0");
	assert_line(t, "healthmond_host_state{host=\"db2\",state=\"unknown\"} 1");
	assert_line(t, "healthmond_host_last_report_timestamp_seconds"
		"{host=\"db1\"} 1763715000");
	assert_no(t, "healthmond_host_last_report_timestamp_seconds{host=\"db2\"}");
	assert_line(t, "healthmond_probe_up{host=\"web1\",probe=\"shop\"} 1");
	assert_line(t, "healthmond_probe_duration_seconds{host=\"web1\",probe=\"shop\","
		"phase=\"dns\"} 0.0125");
	assert_line(t, "healthmond_probe_duration_seconds{host=\"web1\",probe=\"shop\","
		"phase=\"first_byte\"} 0.1234");
	assert_line(t, "healthmond_probe_duration_seconds{host=\"web1\",probe=\"shop\","
		"phase=\"total\"} 0.25");
	assert_line(t, "healthmond_probe_http_status{host=\"web1\","
		"probe=\"shop\"} 200");
	/* 30.5 days after the sample. */
	assert_line(t, "healthmond_probe_cert_expiry_timestamp_seconds{host=\"web1\","
		"probe=\"shop\"} 1766350205");
	assert_line(t, "healthmond_check_state{host=\"db1\",check=\"disk_space\","
		"series=\"df-root\",field=\"bytes_pct\",state=\"critical\"} 1");
	assert_line(t, "healthmond_check_state{host=\"db1\",check=\"disk_space\","
		"series=\"df-root\",field=\"bytes_pct\",state=\"ok\"} 0");
	assert_line(t, "healthmond_check_state{host=\"web1\",check=\"memory\","
		"series=\"memory\",field=\"used_pct\",state=\"warning\"} 1");
	assert_line(t, "healthmond_check_threshold{host=\"web1\",check=\"memory\","
		"series=\"memory\",field=\"used_pct\",level=\"critical\"} 95");
	assert_no(t, "healthmond_check_threshold{host=\"db1\"");
	assert_line(t, "healthmond_check_state_since_timestamp_seconds{host=\"web1\","
		"check=\"memory\",series=\"memory\",field=\"used_pct\"} 1763714940");
}
END_TEST

START_TEST(test_self_samples)
{
	_cleanup_free_ char *t = render(true, true);
	char buf[128];

	assert_line(t, "healthmond_build_info{version=\"0.1.0\",role=\"central\"} 1");
	assert_line(t, "healthmond_start_time_seconds 1763711400");
	assert_line(t, "healthmond_agent_cycles_total 360");
	assert_line(t, "healthmond_agent_cycle_duration_seconds 0.0015");
	assert_line(t, "healthmond_agent_errors_total 2");
	assert_line(t, "healthmond_spool_batches 7");
	assert_line(t, "healthmond_spool_bytes 12345");
	assert_line(t, "healthmond_spool_oldest_unsent_age_seconds 42");
	assert_line(t, "healthmond_upload_batches_sent_total 355");
	assert_line(t, "healthmond_upload_batches_dropped_total 1");
	assert_line(t, "healthmond_upload_link_state{state=\"retrying\"} 1");
	assert_line(t, "healthmond_upload_link_state{state=\"connected\"} 0");
	assert_line(t, "healthmond_forward_lost_records_total 9");
	assert_line(t, "healthmond_central_hosts 3");
	assert_line(t, "healthmond_central_silent_hosts 1");
	assert_line(t, "healthmond_ingest_batches_total 1022");
	assert_line(t, "healthmond_ingest_duplicate_batches_total 4");
	assert_line(t, "healthmond_ingest_refused_total{reason=\"auth\"} 2");
	assert_line(t, "healthmond_ingest_refused_total{reason=\"series\"} 5");
	assert_line(t, "healthmond_ingest_refused_total{reason=\"host\"} 0");
	/* Each wire error class, by the name the error answer gives. */
	for (int e = WIRE_OK + 1; e < _WIRE_ERROR_MAX; e++) {
		(void)snprintf(buf, sizeof(buf),
			"\nhealthmond_ingest_refused_total{reason=\"%s\"} ",
			wire_error_to_string(e));
		ck_assert_msg(strstr(t, buf), "no %s", buf + 1);
	}
	assert_line(t, "healthmond_ingest_refused_total{reason=\"syntax\"} 6");
	assert_line(t, "healthmond_ingest_refused_total{reason=\"limit\"} 8");
	assert_no(t, "reason=\"ok\"");
	assert_line(t, "healthmond_http_connections_total{server=\"ingest\"} 77");
	assert_line(t, "healthmond_http_requests_total{server=\"web\"} 50");
	assert_line(t, "healthmond_http_refused_total{reason=\"busy\"} 3");
	assert_line(t, "healthmond_http_refused_total{reason=\"bad_request\"} 0");
	assert_line(t, "healthmond_rrd_write_duration_seconds_bucket{le=\"0.0001\"} 3");
	assert_line(t, "healthmond_rrd_write_duration_seconds_bucket{le=\"0.5\"} 9");
	assert_line(t, "healthmond_rrd_write_duration_seconds_bucket{le=\"+Inf\"} 10");
	assert_line(t, "healthmond_rrd_write_duration_seconds_sum 0.0125");
	assert_line(t, "healthmond_rrd_write_duration_seconds_count 10");
	assert_line(t, "healthmond_events_total{state=\"critical\"} 5");
	assert_line(t, "healthmond_events_total{state=\"ok\"} 0");
	assert_line(t, "healthmond_graph_runs_total 11");
}
END_TEST

/* Without forwarding or the central role, their families are left out. */
START_TEST(test_roles)
{
	_cleanup_free_ char *t = render(false, false);

	assert_line(t, "healthmond_build_info{version=\"0.1.0\",role=\"agent\"} 1");
	assert_no(t, "healthmond_spool_");
	assert_no(t, "healthmond_upload_");
	assert_no(t, "healthmond_ingest_");
	assert_no(t, "healthmond_central_");
	assert_no(t, "server=\"ingest\"");
	assert_line(t, "healthmond_http_requests_total{server=\"web\"} 50");
}
END_TEST

START_TEST(test_label_escaping)
{
	_cleanup_(view_freep) struct view *v = make_view();
	struct self_status self;
	_cleanup_free_ char *t = NULL;

	make_self(&self, false, false);
	self.version = "1.0 \"beta\"\\x\nz";
	t = metrics_render(v, &self, NULL);
	assert_line(t, "healthmond_build_info{version=\"1.0 \\\"beta\\\"\\\\x\\nz\","
		"role=\"agent\"} 1");
}
END_TEST

/* [a-zA-Z_:][a-zA-Z0-9_:]*, n characters of s. */
static bool
name_ok(const char *s, size_t n)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_:";

	if (n == 0 || !strchr(first, s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!strchr(first, s[i]) && !(s[i] >= '0' && s[i] <= '9'))
			return false;
	return true;
}

/* Does sample name belong to family (histogram suffixes included)? */
static bool
in_family(const char *name, const char *family, const char *type)
{
	size_t n = strlen(family);

	if (strcmp(name, family) == 0)
		return true;
	if (strcmp(type, "histogram") != 0 || strncmp(name, family, n) != 0)
		return false;
	return strcmp(name + n, "_bucket") == 0 || strcmp(name + n, "_sum") == 0 ||
		strcmp(name + n, "_count") == 0;
}

/* "# HELP name text": a new family with a valid name and some help. */
static void
check_help(const char *line, char family[static 256], char ***families)
{
	ck_assert_int_eq(sscanf(line + 7, "%255s", family), 1);
	ck_assert_msg(name_ok(family, strlen(family)), "%s", line);
	ck_assert_msg(!strv_contains(*families, family), "twice: %s", family);
	strv_push(families, family);
	ck_assert_msg(strlen(line) > 8 + strlen(family), "empty help: %s", line);
}

/* "# TYPE name type" of the family just named; _total on counters only. */
static void
check_type(const char *line, const char *family, char *type)
{
	char name[256];
	size_t n = strlen(family);
	bool total = n > 6 && strcmp(family + n - 6, "_total") == 0;

	ck_assert_int_eq(sscanf(line + 7, "%255s %31s", name, type), 2);
	ck_assert_str_eq(name, family);
	ck_assert_msg(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
			strcmp(type, "histogram") == 0,
		"%s", line);
	ck_assert_msg(total == (strcmp(type, "counter") == 0), "%s", line);
}

/* "name{labels} value" of the current family, a number, not seen before. */
static void
check_sample(char *line, const char *family, const char *type, char ***samples)
{
	char name[256], *sp = strrchr(line, ' ');
	size_t n = strcspn(line, "{ ");
	double x;

	ck_assert_msg(line[0] != '#', "stray comment: %s", line);
	ck_assert_msg(type[0], "sample before HELP and TYPE: %s", line);
	ck_assert_ptr_nonnull(sp);
	ck_assert_msg(name_ok(line, n), "%s", line);
	ck_assert_uint_lt(n, sizeof(name));
	memcpy(name, line, n);
	name[n] = '\0';
	ck_assert_msg(in_family(name, family, type), "%s outside family %s", line,
		family);
	ck_assert_msg(safe_atod(sp + 1, &x) == 0 || strcmp(sp + 1, "+Inf") == 0, "%s",
		line);
	*sp = '\0';
	ck_assert_msg(!strv_contains(*samples, line), "duplicate sample %s", line);
	strv_push(samples, line);
}

/*
 * The format's rules, checked line by line: HELP then TYPE for each family,
 * each family once and whole, samples only of the current family, valid
 * names, _total on counters (only), no sample line twice, "name value" or
 * "name{labels} value" with a number.
 */
static void
check_format(const char *text)
{
	_cleanup_free_ char *copy = xstrdup(text);
	_cleanup_(strv_freep) char **families = NULL, **samples = NULL;
	char family[256] = "", type[32] = "", *rest = copy, *line;

	ck_assert(text[strlen(text) - 1] == '\n');
	while ((line = strsep(&rest, "\n")) && (*line || rest)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			check_help(line, family, &families);
			type[0] = '\0';
		} else if (strncmp(line, "# TYPE ", 7) == 0)
			check_type(line, family, type);
		else
			check_sample(line, family, type, &samples);
	}
	ck_assert_uint_gt(strv_length(families), 30);
	ck_assert_uint_gt(strv_length(samples), 80);
}

START_TEST(test_format)
{
	for (int central = 0; central <= 1; central++) {
		_cleanup_free_ char *t = render(central, central);

		check_format(t);
	}
}
END_TEST

/* An empty view and a zero status still make a valid exposition. */
START_TEST(test_empty)
{
	_cleanup_(view_freep) struct view *v = NULL;
	_cleanup_free_ char *error = NULL, *t = NULL;
	struct self_status self = { 0 };

	ck_assert_int_eq(view_new(NULL, 10, &v, &error), 0);
	t = metrics_render(v, &self, NULL);
	assert_line(t, "# TYPE healthmond_value gauge");
	assert_line(t, "healthmond_build_info{version=\"\",role=\"agent\"} 1");
}
END_TEST

static bool
on_path(const char *prog)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = xstrdup(path ? path : "/usr/bin:/bin");
	char *rest = copy, *dir;

	while ((dir = strsep(&rest, ":"))) {
		_cleanup_free_ char *p = xasprintf("%s/%s", *dir ? dir : ".", prog);

		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

/* promtool check metrics < file; its output goes to out. Returns its exit status. */
static int
run_promtool(const char *in, const char *out)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (!freopen(in, "re", stdin) || !freopen(out, "we", stdout) ||
			dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
			_exit(126);
		execlp("promtool", "promtool", "check", "metrics", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_promtool)
{
	_cleanup_free_ char *dir = NULL, *in = NULL, *out = NULL, *report = NULL;

	if (!on_path("promtool")) {
		fprintf(stderr, "NOTE: promtool not found (apt-get install "
				"prometheus): skipping promtool check metrics\n");
		return;
	}
	dir = test_mkdtemp();
	in = xasprintf("%s/metrics.txt", dir);
	out = xasprintf("%s/promtool.out", dir);
	for (int central = 0; central <= 1; central++) {
		_cleanup_free_ char *t = render(central, central);
		int r;

		test_write_file(dir, "metrics.txt", t);
		r = run_promtool(in, out);
		free(report);
		report = NULL;
		ck_assert_int_eq(read_file_at(NULL, out, 1 << 20, &report, NULL), 0);
		ck_assert_msg(r == 0 && report[0] == '\0', "promtool exited %d: %s", r,
			report);
	}
	test_rm_rf(dir);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_view_samples);
	tcase_add_test(tc, test_self_samples);
	tcase_add_test(tc, test_roles);
	tcase_add_test(tc, test_label_escaping);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_promtool);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(metrics_suite());
}
