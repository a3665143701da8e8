/* SPDX-License-Identifier: MIT */
/* util: strict number parsing, names, paths, string vectors, file reads. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "util.h"

START_TEST(test_atou64)
{
	uint64_t v = 7;

	ck_assert_int_eq(safe_atou64("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(safe_atou64("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(safe_atou64("18446744073709551616", &v), -ERANGE);
	v = 7;
	ck_assert_int_eq(safe_atou64("-1", &v), -EINVAL);
	ck_assert_int_eq(safe_atou64(" 1", &v), -EINVAL);
	ck_assert_int_eq(safe_atou64("1x", &v), -EINVAL);
	ck_assert_int_eq(safe_atou64("", &v), -EINVAL);
	ck_assert_int_eq(safe_atou64(NULL, &v), -EINVAL);
	ck_assert_uint_eq(v, 7); /* untouched on failure */
}
END_TEST

START_TEST(test_atoi64_atod)
{
	int64_t i = 0;
	double d = 0;

	ck_assert_int_eq(safe_atoi64("-9223372036854775808", &i), 0);
	ck_assert(i == INT64_MIN);
	ck_assert_int_eq(safe_atoi64("9223372036854775808", &i), -ERANGE);
	ck_assert_int_eq(safe_atoi64("--1", &i), -EINVAL);
	ck_assert_int_eq(safe_atod("1.5e3", &d), 0);
	ck_assert_double_eq(d, 1500.0);
	ck_assert_int_eq(safe_atod("nan", &d), -ERANGE);
	ck_assert_int_eq(safe_atod("inf", &d), -ERANGE);
	ck_assert_int_eq(safe_atod("1e999", &d), -ERANGE);
	ck_assert_int_eq(safe_atod("1.5 ", &d), -EINVAL);
	ck_assert_int_eq(safe_atod(" 1.5", &d), -EINVAL);
}
END_TEST

START_TEST(test_names)
{
	char buf[NAME_MAX_LEN + 1];
	char long_name[100];

	ck_assert(name_is_valid("web-1.example_com"));
	ck_assert(!name_is_valid(""));
	ck_assert(!name_is_valid("."));
	ck_assert(!name_is_valid(".."));
	ck_assert(!name_is_valid("../x"));
	ck_assert(!name_is_valid("a/b"));
	ck_assert(!name_is_valid("-a"));
	ck_assert(!name_is_valid("a b"));
	ck_assert(!name_is_valid(NULL));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert(!name_is_valid(long_name));
	long_name[NAME_MAX_LEN] = '\0';
	ck_assert(name_is_valid(long_name));

	name_sanitize("/var/log x", buf, sizeof(buf));
	ck_assert_str_eq(buf, "_var_log_x");
	ck_assert(name_is_valid(buf));
	name_sanitize("..", buf, sizeof(buf));
	ck_assert(name_is_valid(buf));
	name_sanitize("", buf, sizeof(buf));
	ck_assert_str_eq(buf, "_");
	memset(long_name, 'b', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	name_sanitize(long_name, buf, sizeof(buf));
	ck_assert(name_is_valid(buf));
}
END_TEST

START_TEST(test_paths_and_files)
{
	_cleanup_free_ char *dir = test_mkdtemp(), *a = NULL, *b = NULL, *c = NULL;
	_cleanup_free_ char *text = NULL, *deep = NULL;
	size_t len = 0;

	a = path_join("/", "/proc/stat");
	b = path_join("/root//", "/proc/stat");
	c = path_join(NULL, "proc");
	ck_assert_str_eq(a, "/proc/stat");
	ck_assert_str_eq(b, "/root/proc/stat");
	ck_assert_str_eq(c, "proc");

	test_write_file(dir, "proc/x", "hello\n");
	ck_assert_int_eq(read_file_at(dir, "/proc/x", 1024, &text, &len), 0);
	ck_assert_str_eq(text, "hello\n");
	ck_assert_uint_eq(len, 6);
	free(text);
	text = NULL;
	ck_assert_int_eq(read_file_at(dir, "/proc/x", 3, &text, &len), -EFBIG);
	ck_assert_ptr_null(text);
	ck_assert_int_eq(read_file_at(dir, "/proc/missing", 1024, &text, &len), -ENOENT);
	/* /proc files report size 0 and must still be read whole. */
	ck_assert_int_eq(read_file_at(NULL, "/proc/self/status", 1 << 20, &text, &len), 0);
	ck_assert_ptr_nonnull(strstr(text, "Name:"));

	deep = xasprintf("%s/a/b/c", dir);
	ck_assert_int_eq(mkdir_p(deep, 0755), 0);
	ck_assert_int_eq(mkdir_p(deep, 0755), 0);
	test_rm_rf(dir);
}
END_TEST

START_TEST(test_strv)
{
	_cleanup_(strv_freep) char **v = NULL;
	_cleanup_(strv_freep) char **w = NULL;

	ck_assert_uint_eq(strv_length(v), 0);
	ck_assert(!strv_contains(v, "a"));
	strv_push(&v, "a");
	strv_push(&v, "b");
	ck_assert_uint_eq(strv_length(v), 2);
	ck_assert(strv_contains(v, "b"));
	w = strv_copy(v);
	ck_assert(strv_equal(v, w));
	strv_push(&w, "c");
	ck_assert(!strv_equal(v, w));
	ck_assert(strv_equal(NULL, (char *[]){ NULL }));
	ck_assert(strv_fnmatch((char *[]){ "eth0", "veth*", NULL }, "veth1a2b"));
	ck_assert(strv_fnmatch((char *[]){ "eth0", "veth*", NULL }, "eth0"));
	ck_assert(!strv_fnmatch((char *[]){ "eth0", "veth*", NULL }, "eth1"));
	ck_assert(!strv_fnmatch(NULL, "eth0"));
}
END_TEST

static const char *
string_key(const void *element)
{
	return *(char *const *)element;
}

START_TEST(test_sorted_find)
{
	static const char *const names[] = { "a1", "b2", "c3", "d4" };
	size_t i = 99;

	ck_assert(sorted_find(names, 4, sizeof(names[0]), "c3", string_key, &i));
	ck_assert_uint_eq(i, 2);
	ck_assert(!sorted_find(names, 4, sizeof(names[0]), "b", string_key, &i));
	ck_assert_uint_eq(i, 1);
	ck_assert(!sorted_find(names, 4, sizeof(names[0]), "z", string_key, &i));
	ck_assert_uint_eq(i, 4);
	ck_assert(!sorted_find(names, 0, sizeof(names[0]), "a1", string_key, &i));
	ck_assert_uint_eq(i, 0);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_atou64);
	tcase_add_test(tc, test_atoi64_atod);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_paths_and_files);
	tcase_add_test(tc, test_strv);
	tcase_add_test(tc, test_sorted_find);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(util_suite());
}
