/* SPDX-License-Identifier: MIT */
/*
 * Config loader: defaults, every error class with its file:line, canonical
 * printing that parses back equal, and the shipped sample.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "conf.h"
#include "record.h"
#include "regex_limit.h"
#include "util.h"

START_TEST(test_defaults)
{
	_cleanup_(conf_freep) struct hm_conf *c = NULL;
	_cleanup_free_ char *error = NULL;

	ck_assert_int_eq(conf_load(NULL, &c, &error), 0);
	ck_assert_ptr_null(c->path);
	ck_assert_ptr_null(c->hostname);
	ck_assert_ptr_null(c->datadir);
	ck_assert_str_eq(c->root_dir, "/");
	ck_assert_uint_eq(c->interval, 10);
	ck_assert_int_eq(c->log_target, LOG_TARGET_AUTO);
	ck_assert_int_eq(c->log_level, LOG_INFO);
	ck_assert(c->cpu.enabled && c->cpu.per_core && c->memory && c->swap && c->load &&
		c->uptime && c->disk_space.enabled && c->disk_io.enabled &&
		c->network.enabled);
	ck_assert(strv_contains(c->disk_space.ignore_fstypes, "tmpfs"));
	ck_assert(strv_contains(c->disk_space.ignore_fstypes, "proc"));
	ck_assert(!strv_contains(c->disk_space.ignore_fstypes, "ext4"));
	ck_assert_uint_eq(strv_length(c->disk_space.mountpoints), 0);
	ck_assert(strv_contains(c->network.ignore_interfaces, "lo"));
}
END_TEST

START_TEST(test_values)
{
	_cleanup_(conf_freep) struct hm_conf *c = NULL;
	_cleanup_free_ char *error = NULL;
	const char *text = "hostname = \"web-1.example\";\n"
			   "interval = 3600;\n"
			   "datadir = \"/srv/rrd\";\n"
			   "log = \"journal\";\n"
			   "log_level = \"debug\";\n"
			   "cpu = { per_core = false; };\n"
			   "disk_space = { mountpoints = [ \"/\", \"/var\" ]; };\n"
			   "network = { interfaces = ( \"eth0\" ); ignore_interfaces = []; };\n";

	ck_assert_msg(conf_load_string(text, "t.conf", &c, &error) == 0, "%s", error);
	ck_assert_str_eq(c->hostname, "web-1.example");
	ck_assert_uint_eq(c->interval, 3600);
	ck_assert_str_eq(c->datadir, "/srv/rrd");
	ck_assert_int_eq(c->log_target, LOG_TARGET_JOURNAL);
	ck_assert_int_eq(c->log_level, LOG_DEBUG);
	ck_assert(c->cpu.enabled);
	ck_assert(!c->cpu.per_core);
	ck_assert_uint_eq(strv_length(c->disk_space.mountpoints), 2);
	ck_assert_str_eq(c->disk_space.mountpoints[1], "/var");
	/* Keys not given keep their defaults. */
	ck_assert(strv_contains(c->disk_space.ignore_fstypes, "tmpfs"));
	ck_assert_str_eq(c->network.interfaces[0], "eth0");
	ck_assert_uint_eq(strv_length(c->network.ignore_interfaces), 0);
}
END_TEST

/* Each error class, the line it must name, and a piece of its message. */
static const struct {
	const char *text;
	const char *expect;
} errors[] = {
	{ "interval = 10;\nhostname = = \"x\";\n", "t.conf:2: syntax error" },
	{ "\n\nbogus = 1;\n", "t.conf:3: unknown key 'bogus'" },
	{ "cpu = {\n enabled = true;\n colour = 1;\n};\n", "t.conf:3: unknown key 'cpu.colour'" },
	{ "interval = \"10\";\n", "t.conf:1: 'interval' must be an integer" },
	{ "\ninterval = 1.5;\n", "t.conf:2: 'interval' must be an integer" },
	{ "interval = 0;\n", "t.conf:1: 'interval' is 0, must be between 1 and 3600" },
	{ "interval = 3601;\n", "t.conf:1: 'interval' is 3601, must be between 1 and 3600" },
	{ "\n# 99999999999 in a comment is fine\ninterval = 99999999999;\n",
		"t.conf:3: integer 99999999999 is too large" },
	{ "interval = 99999999999L;\n", "t.conf:1: 'interval' is 99999999999, must be" },
	{ "# @include in a comment is fine\nhostname = \"@x\";\n@include \".\"\n",
		"t.conf:3: directives such as @include are not supported" },
	{ "interval = -5;\n", "t.conf:1: 'interval' is -5" },
	{ "memory = true;\n", "t.conf:1: 'memory' must be a group" },
	{ "memory = { enabled = 1; };\n", "t.conf:1: 'memory.enabled' must be true or false" },
	{ "hostname = \"../etc\";\n", "t.conf:1: 'hostname' is '../etc', must be" },
	{ "hostname = \"a/b\";\n", "t.conf:1: 'hostname' is 'a/b'" },
	{ "hostname = \"\";\n", "t.conf:1: 'hostname' is ''" },
	{ "datadir = \"relative/dir\";\n", "t.conf:1: 'datadir' is 'relative/dir', must be an absolute path" },
	{ "log = \"file\";\n", "t.conf:1: 'log' is 'file', must be one of auto, journal" },
	{ "log_level = \"verbose\";\n", "t.conf:1: 'log_level' is 'verbose'" },
	{ "network = { interfaces = \"eth0\"; };\n", "t.conf:1: 'network.interfaces' must be a list" },
	{ "network = {\n interfaces = ( \"eth0\", 5 );\n};\n", "t.conf:2: 'network.interfaces' must be a list of strings, but element 2 is not" },
	{ "disk_io = { devices = [ \"\" ]; };\n", "t.conf:1: 'disk_io.devices' must not hold an empty string" },
	{ "interval = 5;\ninterval = 6;\n", "t.conf:2: duplicate setting name" },
	{ "probes = ( { name = \"a\"; } );\n", "t.conf:1: 'probes[0]' needs 'url'" },
	{ "probes = (\n { name = \"a\"; url = \"ftp://x/\"; } );\n",
		"t.conf:2: 'probes[0].url' must start with http:// or https://" },
	{ "probes = ( { name = \"a\"; url = \"http://x/\"; },\n"
	  "  { name = \"a\"; url = \"http://y/\"; } );\n",
		"t.conf:2: 'probes': a second one named 'a'" },
	{ "probes = ( { name = \"a/b\"; url = \"http://x/\"; } );\n",
		"t.conf:1: 'probes[0].name' is 'a/b'" },
	{ "probes = ( { name = \"a\"; url = \"http://x/\";\n expect_body = \"(\"; } );\n",
		"t.conf:2: 'probes[0].expect_body' is not a valid extended regular expression" },
	{ "probes = ( { name = \"a\"; url = \"http://x/\";\n"
	  " expect_body = \"^ance)++++++++++++++++++++++++++++++++++++++++++++++++++?\"; } );\n",
		"t.conf:2: 'probes[0].expect_body' repeats a repetition" },
	{ "probes = ( { name = \"a\"; url = \"http://x/\";\n"
	  " reject_body = \"((a{99}){99}){99}\"; } );\n",
		"t.conf:2: 'probes[0].reject_body' repeats too much" },
	{ "probes = ( { name = \"a\"; url = \"http://x/\";\n"
	  " expect_status = [ \"200\", \"600-700\" ]; } );\n",
		"t.conf:2: 'probes[0].expect_status' holds '600-700'" },
	{ "probes = ( { name = \"a\"; url = \"http://x/\"; headers = [ \"NoColon\" ]; } );\n",
		"t.conf:1: 'probes[0].headers' holds 'NoColon'" },
	{ "probes = ( { name = \"a\"; url = \"http://x/\"; timeout = 0; } );\n",
		"t.conf:1: 'probes[0].timeout' is 0, must be between 1 and 300" },
	{ "probes = ( { name = \"a\"; url = \"http://x/\"; method = \"POST\"; } );\n",
		"t.conf:1: 'probes[0].method' is 'POST', must be one of GET, HEAD" },
	{ "probes = { name = \"a\"; };\n", "t.conf:1: 'probes' must be a list of groups" },
	{ "checks = {\n disk_space = { colour = 1; };\n};\n",
		"t.conf:2: unknown key 'checks.disk_space.colour'" },
	{ "checks = {\n mine = { field = \"rx_errors\"; };\n};\n",
		"t.conf:2: 'checks.mine' needs 'series'" },
	{ "checks = { mine = { series = \"if-*\"; field = \"rx_colour\"; }; };\n",
		"t.conf:1: 'checks.mine.field' is 'rx_colour', which no series has" },
	{ "checks = { disk_space = { warning = \"high\"; }; };\n",
		"t.conf:1: 'checks.disk_space.warning' must be a number or \"none\"" },
	{ "checks = { disk_space = { direction = \"up\"; }; };\n",
		"t.conf:1: 'checks.disk_space.direction' is 'up', must be one of above, below" },
	{ "checks = { disk_space = true; };\n", "t.conf:1: 'checks.disk_space' must be a group" },
};

START_TEST(test_errors)
{
	_cleanup_(conf_freep) struct hm_conf *c = NULL;
	_cleanup_free_ char *error = NULL;

	ck_assert_int_lt(conf_load_string(errors[_i].text, "t.conf", &c, &error), 0);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, errors[_i].expect) == error,
		"case %d: got '%s', want it to start with '%s'", _i, error,
		errors[_i].expect);
}
END_TEST

/* What an administrator writes passes; what only expands passes up to the bound. */
START_TEST(test_regex_size)
{
	static const char *const fine[] = {
		"^ok$", "\"status\": *\"(ok|up)\"", "[[:digit:]]{1,3}(\\.[[:digit:]]{1,3}){3}",
		"(a|b)+c{255}", "[]+{]+", "x{", "a{2,}b", "((a+)*)?", "a*b*c*d*e*f*g*h*",
	};
	static const char *const costly[] = {
		"(((((((((((((((((x+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+",
		"((((((((((((((((x*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*",
		"((a{99}){99}){99}", "(ab|cd){30000}", "a{1000}{1000}", "x**", "a+?", "b{2}*",
	};
	const char *reason = NULL;
	char long_one[REGEX_LENGTH_MAX + 2];

	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		ck_assert_msg(regex_check_size(fine[i], &reason) == 0, "%s: %s", fine[i], reason);
	for (size_t i = 0; i < sizeof(costly) / sizeof(costly[0]); i++) {
		reason = NULL;
		ck_assert_msg(regex_check_size(costly[i], &reason) == -E2BIG, "%s passed", costly[i]);
		ck_assert_ptr_nonnull(reason);
	}
	memset(long_one, 'a', sizeof(long_one) - 1);
	long_one[sizeof(long_one) - 1] = '\0';
	ck_assert_int_eq(regex_check_size(long_one, &reason), -E2BIG);
	ck_assert_str_eq(reason, "is longer than 1024 characters");
	long_one[REGEX_LENGTH_MAX] = '\0';
	ck_assert_int_eq(regex_check_size(long_one, &reason), 0);
}
END_TEST

START_TEST(test_probes_and_checks)
{
	_cleanup_(conf_freep) struct hm_conf *c = NULL;
	_cleanup_free_ char *error = NULL;
	const struct probe_conf *p;
	const struct check_conf *k;
	const char *text =
		"probes = (\n"
		"  { name = \"web\"; url = \"https://example.org/health\"; interval = 30;\n"
		"    method = \"HEAD\"; expect_status = [ \"200-299\", \"401\" ];\n"
		"    expect_body = \"^ok\"; headers = [ \"Host: x\" ]; verify_tls = false; },\n"
		"  { name = \"api\"; url = \"http://127.0.0.1:8080/\"; }\n"
		");\n"
		"checks = {\n"
		"  disk_space = { warning = 80; critical = \"none\"; };\n"
		"  swap = { enabled = false; };\n"
		"  rx_errors = { series = \"if-*\"; field = \"rx_errors\"; warning = 0.5;\n"
		"    for = 3; };\n"
		"};\n";

	ck_assert_msg(conf_load_string(text, "t.conf", &c, &error) == 0, "%s", error);
	ck_assert_uint_eq(c->n_probes, 2);
	p = conf_find_probe(c, "web");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->url, "https://example.org/health");
	ck_assert_uint_eq(p->interval, 30);
	ck_assert_int_eq(p->method, PROBE_HEAD);
	ck_assert_str_eq(p->expect_status[1], "401");
	ck_assert_str_eq(p->expect_body, "^ok");
	ck_assert(!p->verify_tls);
	/* The second probe has every default. */
	p = conf_find_probe(c, "api");
	ck_assert_uint_eq(p->interval, 0);
	ck_assert_uint_eq(p->timeout, 10);
	ck_assert(p->follow_redirects && p->verify_tls);
	ck_assert_uint_eq(p->max_redirects, 5);
	ck_assert_uint_eq(p->max_body, 1024 * 1024);
	ck_assert_ptr_null(p->expect_body);

	/* A default changed in part keeps the rest; a new check is added at the end. */
	k = conf_find_check(c, "disk_space");
	ck_assert_double_eq(k->warning, 80);
	ck_assert(isnan(k->critical));
	ck_assert_double_eq(k->clear, 85);
	ck_assert_str_eq(k->series, "df-*");
	ck_assert(!conf_find_check(c, "swap")->enabled);
	k = conf_find_check(c, "rx_errors");
	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_eq(k, &c->checks[c->n_checks - 1]);
	ck_assert(k->enabled);
	ck_assert_int_eq(k->direction, CHECK_ABOVE);
	ck_assert_uint_eq(k->for_samples, 3);
	ck_assert(isnan(k->critical));
	ck_assert_ptr_null(conf_find_probe(c, "nope"));
}
END_TEST

START_TEST(test_default_checks)
{
	_cleanup_(conf_freep) struct hm_conf *c = conf_new_default();
	static const char *const names[] = { "disk_space", "disk_inodes", "memory", "swap",
		"cpu", "load", "probe_up", "probe_latency", "cert_expiry" };

	ck_assert_uint_eq(c->n_checks, ELEMENTSOF(names));
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		const struct check_conf *k = conf_find_check(c, names[i]);

		ck_assert_msg(k && k->enabled, "%s", names[i]);
		ck_assert(record_field_exists(k->field));
		ck_assert(!isnan(k->critical));
	}
	ck_assert_str_eq(conf_find_check(c, "load")->per, "cpus");
	ck_assert_str_eq(conf_find_check(c, "probe_latency")->only_if, "up");
	ck_assert_int_eq(conf_find_check(c, "probe_up")->direction, CHECK_BELOW);
}
END_TEST

START_TEST(test_file_errors)
{
	_cleanup_free_ char *dir = test_mkdtemp(), *path = NULL, *error = NULL;
	_cleanup_(conf_freep) struct hm_conf *c = NULL;
	_cleanup_free_ char *missing = xasprintf("%s/missing.conf", dir);

	ck_assert_int_lt(conf_load(missing, &c, &error), 0);
	ck_assert_ptr_nonnull(strstr(error, "No such file or directory"));
	ck_assert_ptr_nonnull(strstr(error, missing));
	free(error);
	error = NULL;

	test_write_file(dir, "bad.conf", "# comment\ninterval = 10;\nswap = { on = true; };\n");
	path = xasprintf("%s/bad.conf", dir);
	ck_assert_int_lt(conf_load(path, &c, &error), 0);
	_cleanup_free_ char *want = xasprintf("%s:3: unknown key 'swap.on'", path);
	ck_assert_str_eq(error, want);
	test_rm_rf(dir);
}
END_TEST

static char *
print_to_string(const struct hm_conf *c)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(f);
	conf_print(c, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

START_TEST(test_print_round_trip)
{
	const char *text = "hostname = \"h\";\ninterval = 7;\n"
			   "probes = ( { name = \"a\"; url = \"http://x/\"; },\n"
			   "  { name = \"b\"; url = \"http://y/\"; expect_status = [ \"404\" ]; } );\n"
			   "checks = { disk_space = { clear = 0.1; critical = \"none\"; };\n"
			   "  mine = { series = \"cpu\"; field = \"steal\"; warning = 1e-3; }; };\n"
			   "datadir = \"/d \\\"q\\\"\";\nlog = \"syslog\";\n"
			   "disk_io = { enabled = false; devices = [ \"sda\", \"nvme0n1\" ]; };\n"
			   "network = { interfaces = [ \"a\\\\b\" ]; };\n";
	_cleanup_(conf_freep) struct hm_conf *a = NULL, *b = NULL, *d = NULL, *e = NULL;
	_cleanup_free_ char *error = NULL, *pa = NULL, *pb = NULL, *pd = NULL;

	ck_assert_msg(conf_load_string(text, "t", &a, &error) == 0, "%s", error);
	pa = print_to_string(a);
	ck_assert_msg(conf_load_string(pa, "printed", &b, &error) == 0, "%s\n%s", error, pa);
	ck_assert(conf_equal(a, b));
	pb = print_to_string(b);
	ck_assert_str_eq(pa, pb);

	/* The default prints its unset keys as comments and parses back equal. */
	ck_assert_int_eq(conf_load(NULL, &d, &error), 0);
	pd = print_to_string(d);
	ck_assert_ptr_nonnull(strstr(pd, "# hostname is unset"));
	ck_assert_int_eq(conf_load_string(pd, "printed", &e, &error), 0);
	ck_assert(conf_equal(d, e));
	ck_assert(!conf_equal(a, d));
}
END_TEST

START_TEST(test_shipped_sample)
{
	_cleanup_free_ char *path = NULL, *error = NULL;
	_cleanup_(conf_freep) struct hm_conf *c = NULL, *d = NULL;
	path = test_srcdir_path("conf/healthmond.conf");
	ck_assert_msg(conf_load(path, &c, &error) == 0, "%s", error);
	ck_assert_str_eq(c->path, path);
	/* The sample documents the defaults: it must say exactly what they are. */
	d = conf_new_default();
	ck_assert(conf_equal(c, d));
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_loop_test(tc, test_errors, 0, (int)ELEMENTSOF(errors));
	tcase_add_test(tc, test_regex_size);
	tcase_add_test(tc, test_probes_and_checks);
	tcase_add_test(tc, test_default_checks);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_print_round_trip);
	tcase_add_test(tc, test_shipped_sample);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(conf_suite());
}
