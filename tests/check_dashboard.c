/* SPDX-License-Identifier: MIT */
/*
 * Tests of the dashboard (dashboard*.c): the fleet and host pages of a
 * synthetic fleet name the hosts with their state classes, link to the
 * host pages, show the remedy of a failing check from the catalog, the
 * probes with their availability, and a graph for each usual series; a
 * hostile-looking value is escaped; no script and nothing from elsewhere
 * is loaded; and the tags balance (python3's html.parser, skipped with a
 * note when python3 is missing).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "dashboard.h"
#include "util.h"

#define HOSTILE_URL "https://shop.example/<script>alert(1)</script>?a=1&b=\"2\""
#define HOSTILE_ESCAPED                                                              \
	"https://shop.example/&lt;script&gt;alert(1)&lt;/script&gt;"                 \
	"?a=1&amp;b=&quot;2&quot;"

static int64_t t0;

static struct record *
add(struct record_batch *b, const struct schema *s, const char *instance)
{
	struct record *r = record_batch_add(b, s, instance);

	r->time = t0;
	return r;
}

/* web1's series: cpu, load, memory, df-root, if-eth0 and the probe shop. */
static void
feed_web1(struct view *v)
{
	struct record_batch b = { .time = t0 };
	struct record *r;

	r = add(&b, &schema_cpu, NULL);
	(void)record_set(r, "user", 12.5);
	(void)record_set(r, "idle", 80);
	r = add(&b, &schema_load, NULL);
	(void)record_set(r, "load1", 0.42);
	r = add(&b, &schema_memory, NULL);
	(void)record_set(r, "total", 8.0 * 1024 * 1024 * 1024);
	(void)record_set(r, "used_pct", 91.25);
	r = add(&b, &schema_df, "root");
	(void)record_set(r, "bytes_pct", 40);
	r = add(&b, &schema_if, "eth0");
	(void)record_set(r, "rx_bytes", 1536);
	r = add(&b, &schema_probe, "shop");
	(void)record_set(r, "up", 0);
	(void)record_set(r, "status", 503);
	(void)record_set(r, "total_ms", 250);
	(void)record_set(r, "cert_days", 42);
	(void)record_set(r, "reason", 5);
	for (size_t i = 0; i < b.n; i++)
		view_feed_record(v, "web1", &b.records[i]);
	record_batch_done(&b);
}

/*
 * Two hosts: db1 with a full root filesystem (critical, with its event),
 * web1 (this host) with a memory warning set by its rules and a probe
 * whose URL looks hostile, down with an unexpected status.
 */
static struct view *
make_view(void)
{
	struct record_batch b = { .time = t0 };
	_cleanup_free_ char *error = NULL;
	struct view *v = NULL;
	struct record *r;
	struct event disk = {
		.kind = EVENT_DISK_SPACE, .host = "db1", .check = "disk_space",
		.series = "df-root", .field = "bytes_pct", .state = CHECK_CRITICAL,
		.prev_state = CHECK_WARNING, .value = 96.2, .threshold = 95,
	};
	struct event probe = {
		.kind = EVENT_URL_STATUS, .host = "web1", .check = "probe_up",
		.series = "probe-shop", .field = "up", .state = CHECK_CRITICAL,
		.prev_state = CHECK_OK, .value = 0, .threshold = NAN,
		.url = HOSTILE_URL, .reason = "status",
	};

	t0 = (int64_t)time(NULL) - 30;
	disk.time = t0 - 600;
	probe.time = t0 - 300;
	ck_assert_int_eq(view_new(NULL, 100, &v, &error), 0);
	(void)view_add_host(v, "web1", true);
	feed_web1(v);
	r = add(&b, &schema_df, "root");
	(void)record_set(r, "bytes_pct", 96.2);
	(void)record_set(r, "bytes_free", 1.2e9);
	view_feed_record(v, "db1", r);
	record_batch_done(&b);
	view_feed_event(v, &disk);
	view_feed_event(v, &probe);
	view_set_check(v, "web1", "memory", "memory", "used_pct", CHECK_WARNING, 91.25,
		90, 95, t0 - 60);
	view_set_check(v, "web1", "disk_space", "df-root", "bytes_pct", CHECK_OK, 40,
		90, 95, t0 - 86400);
	return v;
}

static void
make_self(struct self_status *s)
{
	*s = (struct self_status){
		.host = "web1",
		.version = "0.1.0",
		.central = true,
		.started = t0 - 7200,
		.forwarding = true,
	};
	s->forward.upload.link = UPLOAD_CONNECTED;
	s->fleet.hosts = 2;
}

struct avail_calls {
	unsigned n;
};

static bool
fake_avail(const char *host, const char *series, const char *period, double *ret,
	void *userdata)
{
	struct avail_calls *calls = userdata;

	calls->n++;
	ck_assert_str_eq(host, "web1");
	ck_assert_str_eq(series, "probe-shop");
	if (strcmp(period, "1d") != 0)
		return false;
	*ret = 0.9995;
	return true;
}

static size_t
count(const char *html, const char *part)
{
	size_t n = 0;

	for (const char *p = strstr(html, part); p; p = strstr(p + 1, part))
		n++;
	return n;
}

/* a and b are in the page, a before b. */
static void
assert_before(const char *html, const char *a, const char *b)
{
	const char *pa = strstr(html, a), *pb = strstr(html, b);

	ck_assert_msg(pa && pb && pa < pb, "'%s' is not before '%s'", a, b);
}

static void
assert_has(const char *html, const char *part)
{
	ck_assert_msg(strstr(html, part), "missing: %s", part);
}

/* Nothing runs or loads from elsewhere, and the hostile URL is escaped. */
static void
assert_safe(const char *html)
{
	const char *forbidden[] = { "<script", "src=\"http", "href=\"http", "src=\"//",
		"href=\"//", "@import", "url(" };

	for (size_t i = 0; i < ELEMENTSOF(forbidden); i++) {
		const char *f = forbidden[i];

		for (const char *p = html; (p = strchr(p, f[0])); p++)
			ck_assert_msg(strncasecmp(p, f, strlen(f)) != 0, "found %s", f);
	}
	ck_assert_ptr_null(strstr(html, "alert(1)</script>"));
}

static char *
render_fleet(struct avail_calls *calls)
{
	_cleanup_(view_freep) struct view *v = make_view();
	struct self_status self;
	size_t len;
	char *html;

	make_self(&self);
	html = dashboard_render_fleet(v, &self, fake_avail, calls, &len);
	ck_assert_uint_eq(len, strlen(html));
	return html;
}

static char *
render_host(const char *name, const char *period)
{
	_cleanup_(view_freep) struct view *v = make_view();
	struct avail_calls calls = { 0 };
	struct self_status self;
	const struct view_host *h = view_find_host(v, name);

	ck_assert_ptr_nonnull(h);
	make_self(&self);
	return dashboard_render_host(v, h, &self, period, fake_avail, &calls, NULL);
}

START_TEST(test_fleet)
{
	struct avail_calls calls = { 0 };
	_cleanup_free_ char *html = render_fleet(&calls);

	assert_has(html, "<!DOCTYPE html>");
	assert_has(html, "<meta http-equiv=\"refresh\" content=\"30\">");
	assert_has(html, "<meta name=\"viewport\"");
	assert_has(html, "<title>[critical] Fleet");
	/* The header: our own status, with the fleet's worst state. */
	assert_has(html, "<header class=\"top critical\">");
	assert_has(html, "<dt>role</dt><dd>central</dd>");
	assert_has(html, "<dt>version</dt><dd>0.1.0</dd>");
	assert_has(html, "<dt>central link</dt><dd>connected</dd>");
	/* Tiles. */
	assert_has(html, "<h2>Hosts</h2><div class=\"big\">2</div>");
	assert_has(html, "<span class=\"badge critical\">2 critical</span>");
	assert_has(html, "<h2>URL probes up</h2><div class=\"big\">0 / 1</div>");
	/* The host cards, coloured by state, linking to the host pages. */
	assert_has(html, "<a class=\"card critical\" href=\"/host?host=db1\">"
			 "<span class=\"name\">db1</span>");
	assert_has(html, "<a class=\"card critical\" href=\"/host?host=web1\">"
			 "<span class=\"name\">web1</span>");
	assert_has(html, "memory on memory: "
			 "<span class=\"badge warning\">warning</span>");
	assert_has(html, " \u00b7 this host");
	/* The remedies, worst first, from the catalog. */
	assert_has(html, "<article class=\"card problem critical\">");
	assert_has(html, "Disk space on df-root of db1 is critical</h3>");
	assert_has(html, "<pre>To fix: delete or compress what is not needed");
	assert_has(html, "<details><summary>");
	assert_has(html, "The filesystem of series df-root on db1 is\n"
			 "filling up: bytes_pct is 96.2 (threshold\n95).");
	assert_has(html, "URL " HOSTILE_ESCAPED
			 " answers with an unexpected HTTP status");
	assert_has(html, "<article class=\"card problem warning\">");
	assert_before(html, "critical\">\n<h3>", "warning\">\n<h3>");
	/* The probe: down, its escaped URL, availability, latency graph. */
	assert_has(html, "<strong>shop</strong><br><span class=\"muted\">"
		HOSTILE_ESCAPED);
	assert_has(html, "<span class=\"badge critical\">down: status</span>");
	assert_has(html, "<td class=\"num\">250 ms</td>");
	assert_has(html, "<td class=\"num\">99.95 %</td><td class=\"num\">\u2013</td>");
	assert_has(html, "<td class=\"num\">503</td><td class=\"num\">42.0 days</td>");
	ck_assert_uint_eq(calls.n, 2);
	assert_has(html, "<img src=\"/api/v1/graph?host=web1&amp;series=probe-shop&amp;"
			 "period=1d&amp;size=600x200\" width=\"600\" height=\"200\"");
	/* The recent events, with their one-line messages. */
	assert_has(html, "Disk space on df-root is critical: bytes_pct 96.2 "
			 "(threshold 95)");
	assert_safe(html);
}
END_TEST

START_TEST(test_host_page)
{
	static const char *const series[] = { "cpu", "load", "memory", "df-root",
		"if-eth0", "probe-shop" };
	_cleanup_free_ char *html = render_host("web1", "1w");
	char buf[256];

	assert_has(html, "<title>[critical] web1 \u2013 healthmond</title>");
	assert_has(html, "<h2><span class=\"name\">web1</span><span class=\"badge "
			 "critical\">critical</span></h2>");
	for (size_t i = 0; i < ELEMENTSOF(series); i++) {
		(void)snprintf(buf, sizeof(buf),
			"<img src=\"/api/v1/graph?host=web1&amp;series=%s&amp;period=1w"
			"&amp;size=600x200\" width=\"600\" height=\"200\"",
			series[i]);
		assert_has(html, buf);
	}
	/* The graphs in the usual order: cpu, load, memory, then the rest. */
	assert_before(html, "series=cpu&amp;", "series=load&amp;");
	assert_before(html, "series=load&amp;", "series=memory&amp;");
	assert_before(html, "series=memory&amp;", "series=df-root");
	assert_before(html, "series=df-root", "series=if-eth0");
	assert_before(html, "series=if-eth0", "series=probe-shop");
	/* Period links, the current one marked. */
	assert_has(html, "<a href=\"/host?host=web1&amp;period=1w#graphs\" "
			 "aria-current=\"page\">1w</a>");
	assert_has(html, "<a href=\"/host?host=web1&amp;period=1y#graphs\">1y</a>");
	/* Checks with values and thresholds in their units. */
	assert_has(html, "<tr><td>memory</td><td class=\"url\">memory</td>"
			 "<td>used_pct</td>"
			 "<td><span class=\"badge warning\">warning</span></td>"
			 "<td class=\"num\">91.2 %</td><td class=\"num\">90.0 %</td>"
			 "<td class=\"num\">95.0 %</td>");
	assert_has(html, "<td class=\"url\">probe-shop<br><span class=\"muted\">"
		HOSTILE_ESCAPED "</span>");
	/* Latest values. */
	assert_has(html, "<tr><th>total</th><td class=\"num\">8.0 GiB</td></tr>");
	assert_has(html, "<tr><th>rx_bytes</th><td class=\"num\">1.5 KiB/s</td></tr>");
	assert_has(html, "<tr><th>load1</th><td class=\"num\">0.42</td></tr>");
	/* Its remedies, not db1's. */
	assert_has(html, "Memory use on web1 is warning</h3>");
	ck_assert_ptr_null(strstr(html, "of db1 is critical"));
	/* Its probe, with availability, but the latency graph only once. */
	assert_has(html, "<td class=\"num\">99.95 %</td>");
	ck_assert_uint_eq(count(html, "series=probe-shop"), 1);
	assert_safe(html);
}
END_TEST

/* db1: only its df-root graph, and its own remedy. An unknown period is 1d. */
START_TEST(test_host_page_db1)
{
	_cleanup_free_ char *html = render_host("db1", "17x");

	assert_has(html, "<img src=\"/api/v1/graph?host=db1&amp;series=df-root&amp;"
			 "period=1d&amp;size=600x200\"");
	ck_assert_ptr_null(strstr(html, "series=cpu"));
	assert_has(html, "Disk space on df-root of db1 is critical</h3>");
	assert_has(html, "aria-current=\"page\">1d</a>");
	ck_assert_ptr_null(strstr(html, "id=\"probes\""));
	assert_safe(html);
}
END_TEST

/* An empty view renders too, and says so. */
START_TEST(test_empty)
{
	_cleanup_(view_freep) struct view *v = NULL;
	_cleanup_free_ char *error = NULL, *html = NULL;
	struct self_status self = { 0 };

	ck_assert_int_eq(view_new(NULL, 10, &v, &error), 0);
	html = dashboard_render_fleet(v, &self, NULL, NULL, NULL);
	assert_has(html, "No host has reported yet.");
	assert_has(html, "No events yet.");
	assert_has(html, "<title>Fleet \u2013 healthmond</title>");
	assert_has(html, "<header class=\"top ok\">");
}
END_TEST

/* A fleet in trouble: the worst 20 failing checks with remedies, the rest listed. */
START_TEST(test_many_failing)
{
	_cleanup_(view_freep) struct view *v = NULL;
	_cleanup_free_ char *error = NULL, *html = NULL;
	struct self_status self = { 0 };

	ck_assert_int_eq(view_new(NULL, 10, &v, &error), 0);
	for (int i = 0; i < 25; i++) {
		char host[16];

		(void)snprintf(host, sizeof(host), "h%02d", i);
		view_set_check(v, host, "disk_space", "df-root", "bytes_pct", CHECK_CRITICAL,
			97, 90, 95, t0);
	}
	html = dashboard_render_fleet(v, &self, NULL, NULL, NULL);
	assert_has(html, "Failing checks (25)");
	ck_assert_uint_eq(count(html, "<article class=\"card problem"), 20);
	assert_has(html, "5 more; their remedies are on the host pages:");
	ck_assert_uint_eq(count(html, "To fix:"), 20);
}
END_TEST

/*
 * Parses the page with python3's html.parser and fails on an end tag that
 * closes nothing or the wrong element, an element left open, an end tag of
 * a void element, or an id given twice.
 */
static const char checker[] =
	"import sys, html.parser\n"
	"VOID = {'area','base','br','col','embed','hr','img','input','link','meta',"
	"'source','track','wbr'}\n"
	"class P(html.parser.HTMLParser):\n"
	"    def __init__(self):\n"
	"        super().__init__(convert_charrefs=True)\n"
	"        self.stack, self.ids, self.errors, self.count = [], set(), [], {}\n"
	"    def handle_starttag(self, tag, attrs):\n"
	"        self.count[tag] = self.count.get(tag, 0) + 1\n"
	"        for k, v in attrs:\n"
	"            if k == 'id':\n"
	"                if v in self.ids: self.errors.append('id twice: ' + v)\n"
	"                self.ids.add(v)\n"
	"        if tag not in VOID: self.stack.append(tag)\n"
	"    def handle_startendtag(self, tag, attrs):\n"
	"        self.errors.append('self-closing ' + tag)\n"
	"    def handle_endtag(self, tag):\n"
	"        if tag in VOID: self.errors.append('end tag of void ' + tag); return\n"
	"        if not self.stack or self.stack[-1] != tag:\n"
	"            self.errors.append('</%s> closes %s at %s' %\n"
	"                               (tag, self.stack[-1:], self.getpos()))\n"
	"            return\n"
	"        self.stack.pop()\n"
	"p = P()\n"
	"p.feed(open(sys.argv[1], encoding='utf-8').read()); p.close()\n"
	"if p.stack: p.errors.append('left open: %s' % p.stack)\n"
	"for t in ('html', 'head', 'body', 'main', 'header', 'footer'):\n"
	"    if p.count.get(t) != 1:\n"
	"        p.errors.append('%s %d times' % (t, p.count.get(t, 0)))\n"
	"for e in p.errors[:20]: print(e)\n"
	"sys.exit(1 if p.errors else 0)\n";

static bool
have_python3(void)
{
	return system("python3 -c 'import html.parser' >/dev/null 2>&1") == 0;
}

static void
check_well_formed(const char *html)
{
	_cleanup_free_ char *dir = test_mkdtemp(), *path = NULL;
	pid_t pid;
	int status;

	test_write_file(dir, "page.html", html);
	path = xasprintf("%s/page.html", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execlp("python3", "python3", "-c", checker, path, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	test_rm_rf(dir);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"the page is not well-formed (see above)");
}

START_TEST(test_well_formed)
{
	struct avail_calls calls = { 0 };
	_cleanup_free_ char *fleet = render_fleet(&calls);
	_cleanup_free_ char *web1 = render_host("web1", "1d");
	_cleanup_free_ char *db1 = render_host("db1", "1h");

	if (!have_python3()) {
		fprintf(stderr, "NOTE: python3 not found: skipping the "
				"well-formedness check\n");
		return;
	}
	check_well_formed(fleet);
	check_well_formed(web1);
	check_well_formed(db1);
}
END_TEST

static Suite *
dashboard_suite(void)
{
	Suite *s = suite_create("dashboard");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fleet);
	tcase_add_test(tc, test_host_page);
	tcase_add_test(tc, test_host_page_db1);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_many_failing);
	tcase_add_test(tc, test_well_formed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(dashboard_suite());
}
