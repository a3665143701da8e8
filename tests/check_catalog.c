/* SPDX-License-Identifier: MIT */
/*
 * Tests of catalog.c: every event kind has an entry that renders with its
 * fields filled in, as journalctl -x would; the remedy ("To fix ...") is
 * found where the catalog has one; headers and comments stay out of the
 * text; unknown kinds are refused.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "common.h"
#include "event.h"
#include "util.h"

/* An event of kind k with every field set, so that nothing stays "@NAME@". */
static struct event
full_event(enum event_kind k)
{
	return (struct event){
		.kind = k,
		.host = "db1",
		.check = "disk_space",
		.series = "df-root",
		.field = "bytes_pct",
		.state = CHECK_CRITICAL,
		.prev_state = CHECK_WARNING,
		.value = 96.2,
		.threshold = 95,
		.url = "https://shop.example/health",
		.reason = "timeout",
		.time = 1763715000,
		.repeat = false,
	};
}

/* The text of kind k's entry in the shipped catalog file, for comparison. */
static char *
raw_entry(enum event_kind k)
{
	_cleanup_free_ char *path = test_srcdir_path("catalog/healthmond.catalog");
	_cleanup_free_ char *text = NULL, *marker = NULL;
	char *start, *end;

	ck_assert_int_eq(read_file_at(NULL, path, 1 << 20, &text, NULL), 0);
	marker = xasprintf("-- %s\n", event_message_id(k));
	start = strstr(text, marker);
	ck_assert_ptr_nonnull(start);
	start += strlen(marker);
	end = strstr(start, "\n-- ");
	return end ? xstrndup(start, (size_t)(end - start)) : xstrdup(start);
}

START_TEST(test_every_kind)
{
	enum event_kind k = (enum event_kind)_i;
	struct event ev = full_event(k);
	_cleanup_free_ char *raw = raw_entry(k);
	struct catalog_text t = { 0 };

	ck_assert_int_eq(catalog_render(&ev, &t), 0);
	ck_assert_ptr_nonnull(t.subject);
	ck_assert_ptr_nonnull(t.body);
	ck_assert_uint_gt(strlen(t.subject), 10);
	ck_assert_uint_gt(strlen(t.body), 100);
	ck_assert_msg(!strstr(t.subject, "@HEALTHMOND_"), "%s", t.subject);
	ck_assert_msg(!strstr(t.body, "@HEALTHMOND_"), "%s", t.body);
	ck_assert_msg(!strchr(t.subject, '\n'), "%s", t.subject);
	/* Headers stay out of the body, which neither starts nor ends blank. */
	ck_assert_ptr_null(strstr(t.body, "Subject:"));
	ck_assert_ptr_null(strstr(t.body, "Defined-By:"));
	ck_assert_ptr_null(strstr(t.body, "Documentation:"));
	ck_assert_int_ne(t.body[0], '\n');
	ck_assert_int_ne(t.body[strlen(t.body) - 1], '\n');
	ck_assert_ptr_null(strstr(t.body, "\n#"));
	/* The remedy: there exactly when the entry has a "To fix" paragraph. */
	if (strstr(raw, "\n\nTo fix")) {
		size_t lb = strlen(t.body), lf;

		ck_assert_msg(t.fix, "no fix for %s", event_kind_to_string(k));
		lf = strlen(t.fix);
		ck_assert_msg(strncmp(t.fix, "To fix", 6) == 0, "%s", t.fix);
		ck_assert_uint_le(lf, lb);
		ck_assert_str_eq(t.body + lb - lf, t.fix);
		ck_assert_ptr_null(strstr(t.fix, "@HEALTHMOND_"));
	} else
		ck_assert_ptr_null(t.fix);
	catalog_text_done(&t);
	ck_assert_ptr_null(t.subject);
	ck_assert_ptr_null(t.body);
	ck_assert_ptr_null(t.fix);
}
END_TEST

START_TEST(test_fields_substituted)
{
	struct event ev = full_event(EVENT_DISK_SPACE);
	struct catalog_text t;

	ck_assert_int_eq(catalog_render(&ev, &t), 0);
	ck_assert_str_eq(t.subject, "Disk space on df-root of db1 is critical");
	ck_assert_ptr_nonnull(strstr(t.body,
		"The filesystem of series df-root on db1 is\n"
		"filling up: bytes_pct is 96.2 (threshold\n95)."));
	ck_assert_ptr_nonnull(t.fix);
	ck_assert_ptr_nonnull(strstr(t.fix, "To fix: delete or compress"));
	ck_assert_ptr_nonnull(strstr(t.fix, "journalctl --vacuum-size=500M"));
	/* The fix runs to the end of the body. */
	ck_assert_ptr_nonnull(strstr(t.fix, "move the data elsewhere."));
	/* "To confirm" comes before the fix and is not part of it. */
	ck_assert_ptr_nonnull(strstr(t.body, "To confirm"));
	ck_assert_ptr_null(strstr(t.fix, "To confirm"));
	catalog_text_done(&t);
}
END_TEST

START_TEST(test_probe_fields)
{
	struct event ev = full_event(EVENT_URL_DOWN);
	struct catalog_text t;

	ev.check = "probe_up";
	ev.series = "probe-shop";
	ev.field = "up";
	ev.value = 0;
	ev.threshold = NAN;
	ck_assert_int_eq(catalog_render(&ev, &t), 0);
	ck_assert_str_eq(t.subject,
		"URL https://shop.example/health is down (timeout)");
	ck_assert_ptr_nonnull(strstr(t.body, "curl -sS -v -o /dev/null --max-time 10 "
					     "https://shop.example/health\n"));
	/* Backslashes and quotes of the catalog come through the build intact. */
	catalog_text_done(&t);
	ev.kind = EVENT_URL_STATUS;
	ck_assert_int_eq(catalog_render(&ev, &t), 0);
	ck_assert_ptr_nonnull(strstr(t.body, "-w '%{http_code} %{redirect_url}\\n' "
					     "https://shop.example/health"));
	catalog_text_done(&t);
	ev.kind = EVENT_URL_CONTENT;
	ck_assert_int_eq(catalog_render(&ev, &t), 0);
	ck_assert_ptr_nonnull(strstr(t.body, "(no \\d or lookahead)"));
	catalog_text_done(&t);
}
END_TEST

/* A field the event lacks stays as "@NAME@", as the header promises. */
START_TEST(test_missing_field)
{
	struct event ev = full_event(EVENT_URL_DOWN);
	struct catalog_text t;

	ev.url = NULL;
	ev.reason = NULL;
	ck_assert_int_eq(catalog_render(&ev, &t), 0);
	ck_assert_str_eq(t.subject,
		"URL @HEALTHMOND_URL@ is down (@HEALTHMOND_REASON@)");
	catalog_text_done(&t);
	ev = full_event(EVENT_DISK_SPACE);
	ev.threshold = NAN;
	ck_assert_int_eq(catalog_render(&ev, &t), 0);
	ck_assert_ptr_nonnull(strstr(t.body, "(threshold\n@HEALTHMOND_THRESHOLD@)"));
	catalog_text_done(&t);
}
END_TEST

/* Values are not substituted again: a value holding "@NAME@" stays as sent. */
START_TEST(test_no_resubstitution)
{
	struct event ev = full_event(EVENT_URL_SLOW);
	struct catalog_text t;

	ev.url = "https://x.example/@HEALTHMOND_HOST@/a@b";
	ck_assert_int_eq(catalog_render(&ev, &t), 0);
	ck_assert_str_eq(t.subject,
		"URL https://x.example/@HEALTHMOND_HOST@/a@b is slow");
	catalog_text_done(&t);
}
END_TEST

/* The recovery has no remedy: nothing needs to be done. */
START_TEST(test_recovered_no_fix)
{
	struct event ev = full_event(EVENT_RECOVERED);
	struct catalog_text t;

	ev.state = CHECK_OK;
	ck_assert_int_eq(catalog_render(&ev, &t), 0);
	ck_assert_str_eq(t.subject, "disk_space on db1 is ok again");
	ck_assert_ptr_nonnull(strstr(t.body, "back to ok from\nwarning;"));
	ck_assert_ptr_null(t.fix);
	catalog_text_done(&t);
}
END_TEST

START_TEST(test_unknown_kind)
{
	struct event ev = full_event(EVENT_DISK_SPACE);
	struct catalog_text t = { .subject = (char *)"untouched" };

	ev.kind = _EVENT_KIND_MAX;
	ck_assert_int_eq(catalog_render(&ev, &t), -ENOENT);
	ck_assert_str_eq(t.subject, "untouched");
	ev.kind = (enum event_kind)-1;
	ck_assert_int_eq(catalog_render(&ev, &t), -ENOENT);
	ck_assert_str_eq(t.subject, "untouched");
	/* Done on an empty text, and on NULL, is harmless. */
	t = (struct catalog_text){ 0 };
	catalog_text_done(&t);
	catalog_text_done(NULL);
}
END_TEST

static Suite *
catalog_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_every_kind, 0, _EVENT_KIND_MAX);
	tcase_add_test(tc, test_fields_substituted);
	tcase_add_test(tc, test_probe_fields);
	tcase_add_test(tc, test_missing_field);
	tcase_add_test(tc, test_no_resubstitution);
	tcase_add_test(tc, test_recovered_no_fix);
	tcase_add_test(tc, test_unknown_kind);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(catalog_suite());
}
