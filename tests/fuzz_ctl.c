/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for healthmondctl's handling of the daemon's answers,
 * outside input to the client: the status and events commands
 * (ctl_status.c, ctl_events.c) check every field they print
 * (ctl_json.c) before printing it. The input is one or more answer
 * bodies separated by a line "%%" ("\n%%\n"), served in the order the
 * command asks: status takes /api/v1/status, /api/v1/hosts, then
 * /api/v1/host?host=H for each host not ok; events takes
 * /api/v1/events. A request past the last body is answered 404, an empty
 * body is "nothing". The transport is replaced here (ctl_http_new() and
 * the rest of ctl_http.h's functions, without libcurl): a body is parsed
 * as ctl_http.c's parse_answer() does, JSON with duplicate keys refused,
 * an object or an error. Each command runs on the bodies as tables and
 * with --json, and must either fail (exit 69, nothing on stdout, stderr
 * saying why) or print everything with the exit status its state says;
 * both ways give the same exit status. Tables and messages carry no
 * control characters but the newline; --json prints what the daemon sent,
 * which reads back equal; status asks for the details of exactly the hosts
 * not ok. stdout and stderr are swapped for memory streams while a command
 * runs (glibc lets them be assigned); sanitizers write to fd 2 directly.
 * Built as a libFuzzer binary with --enable-fuzzer (scripts/fuzz), and
 * linked with tests/fuzz_main.c as a replay driver that `make check` runs
 * over tests/data/fuzz/ctl/. Links the commands' sources (not ctl.c, whose
 * main() would clash, nor ctl_http.c and ctl_graph.c with libcurl and
 * librrd): the few functions of ctl.c they call are below too.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_internal.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXPECT(cond)                                                                 \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz_ctl: %s:%d: %s\n", __FILE__, __LINE__,  \
				#cond);                                              \
			abort();                                                     \
		}                                                                    \
	} while (0)

#define SEPARATOR "\n%%\n"
/* As in ctl_status.c. */
#define MAX_DETAILS 100

/* The answers of one run: the input's bodies, served in order. */
static struct {
	const char *body[MAX_DETAILS + 8];
	size_t len[MAX_DETAILS + 8];
	size_t n;       /* bodies */
	size_t next;    /* the next request's */
	size_t details; /* /api/v1/host requests */
	char error[256];
} answers;

/* ctl.c: no command line is parsed here, so these are never reached. */
bool
ctl_common_option(struct ctl_options *o, int c, const char *arg)
{
	return false;
}

int
ctl_bad_option(const char *command, int c, char *argv[])
{
	abort();
}

int
ctl_usage_error(const char *command, const char *fmt, ...)
{
	abort();
}

/* ctl_http.c, answering from the input. */
struct ctl_http {
	int unused;
};

int
ctl_http_new(const struct ctl_options *o, struct ctl_http **ret)
{
	*ret = xcalloc(1, sizeof(**ret));
	return 0;
}

struct ctl_http *
ctl_http_free(struct ctl_http *h)
{
	free(h);
	return NULL;
}

int
ctl_http_get_json(struct ctl_http *h, const char *path, json_t **ret)
{
	size_t i = answers.next++;
	json_error_t error;
	json_t *j;

	EXPECT(path[0] == '/');
	if (strncmp(path, "/api/v1/host?host=", 18) == 0)
		answers.details++;
	if (i >= answers.n) {
		(void)snprintf(answers.error, sizeof(answers.error),
			"healthmond at fuzz answered %s with status 404", path);
		return -ENOENT;
	}
	if (answers.len[i] == 0) {
		(void)snprintf(answers.error, sizeof(answers.error),
			"healthmond at fuzz answered %s with nothing", path);
		return -EBADMSG;
	}
	/* As parse_answer() in ctl_http.c. */
	j = json_loadb(answers.body[i], answers.len[i], JSON_REJECT_DUPLICATES, &error);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		(void)snprintf(answers.error, sizeof(answers.error),
			"malformed answer from healthmond at fuzz to %s", path);
		return -EBADMSG;
	}
	*ret = j;
	return 0;
}

const char *
ctl_http_error(const struct ctl_http *h)
{
	return answers.error;
}

const char *
ctl_http_where(const struct ctl_http *h)
{
	return "fuzz";
}

/* As curl_easy_escape(): all but the unreserved characters as %XX. */
char *
ctl_http_escape(const struct ctl_http *h, const char *s)
{
	char *e = xmalloc(3 * strlen(s) + 1), *p = e;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || strchr("-._~", c))
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return e;
}

/* Splits the input into bodies at SEPARATOR; the rest is dropped. */
static void
split(const char *text, size_t size)
{
	const char *p = text, *end = text + size;

	answers.n = answers.next = answers.details = 0;
	answers.error[0] = '\0';
	while (answers.n < ELEMENTSOF(answers.body)) {
		const char *sep =
			memmem(p, (size_t)(end - p), SEPARATOR, strlen(SEPARATOR));

		answers.body[answers.n] = p;
		answers.len[answers.n] = (size_t)((sep ? sep : end) - p);
		answers.n++;
		if (!sep)
			break;
		p = sep + strlen(SEPARATOR);
	}
}

/* Body i parsed, as the command got it, or NULL; the caller decrefs it. */
static json_t *
body(size_t i)
{
	json_t *j;

	if (i >= answers.n)
		return NULL;
	j = json_loadb(answers.body[i], answers.len[i], JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* What a command printed. */
struct output {
	char *out, *err; /* owned */
	size_t out_len, err_len;
	int status;
};

static void
output_done(struct output *o)
{
	free(o->out);
	free(o->err);
}

/* Runs command (ctl_status_main or ctl_events_main) on the bodies. */
static void
run(int (*command)(struct ctl_options *o, int argc, char *argv[]), const char *name,
	bool json, struct output *ret)
{
	struct ctl_options o = { .json = json };
	char arg0[16];
	char *argv[] = { arg0, NULL };
	FILE *saved_out = stdout, *saved_err = stderr;

	(void)snprintf(arg0, sizeof(arg0), "%s", name);
	answers.next = answers.details = 0;
	*ret = (struct output){ .status = -1 };
	EXPECT(fflush(stdout) == 0 && fflush(stderr) == 0);
	stdout = open_memstream(&ret->out, &ret->out_len);
	stderr = open_memstream(&ret->err, &ret->err_len);
	if (!stdout || !stderr) {
		stdout = saved_out;
		stderr = saved_err;
		EXPECT(!"open_memstream");
	}
	optind = 0; /* as ctl.c does before a command's getopt_long() */
	ret->status = command(&o, 1, argv);
	(void)fclose(stdout);
	(void)fclose(stderr);
	stdout = saved_out;
	stderr = saved_err;
}

/* No byte that a terminal could take as a control: C0 but '\n', DEL, C1. */
static bool
clean(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return false;
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
			(unsigned char)s[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

/* Every line of a failing command's stderr says what it is about. */
static void
expect_messages(const struct output *o)
{
	const char *p = o->err, *end = o->err + o->err_len;

	EXPECT(o->err_len > 0 && o->err[o->err_len - 1] == '\n');
	if (!clean(o->err, o->err_len)) {
		fprintf(stderr, "fuzz_ctl: a control character in a message:\n%s",
			o->err);
		abort();
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		EXPECT(strncmp(p, "healthmondctl: ", 15) == 0);
		p = nl + 1;
	}
}

static void
expect_failure(const struct output *o)
{
	EXPECT(o->status == CTL_EXIT_FAILURE);
	EXPECT(o->out_len == 0);
	expect_messages(o);
}

/* --json: what was printed reads back as one JSON object; the caller decrefs it. */
static json_t *
printed_json(const struct output *o)
{
	json_t *j = json_loadb(o->out, o->out_len, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(j)) {
		fprintf(stderr, "fuzz_ctl: --json printed no JSON object:\n%s", o->out);
		abort();
	}
	return j;
}

/* The hosts of /api/v1/hosts whose state is not "ok" (the details asked). */
static size_t
hosts_not_ok(const json_t *hosts)
{
	const json_t *h;
	size_t i, n = 0;

	json_array_foreach (hosts, i, h)
		n += strcmp(json_string_value(json_object_get(h, "state")), "ok") != 0;
	return n;
}

static void
fuzz_status(void)
{
	struct output table, js;
	json_t *status, *hosts_answer, *printed;
	const char *state;
	size_t details;

	run(ctl_status_main, "status", false, &table);
	details = answers.details;
	run(ctl_status_main, "status", true, &js);
	EXPECT(table.status == js.status);
	EXPECT(details == answers.details);
	if (table.status == CTL_EXIT_FAILURE) {
		expect_failure(&table);
		expect_failure(&js);
		goto done;
	}
	/* Validated: the exit status is the daemon's state. */
	status = body(0);
	hosts_answer = body(1);
	EXPECT(status && hosts_answer);
	state = json_string_value(json_object_get(status, "state"));
	EXPECT(table.status == ctl_state_from_string(state));
	EXPECT(details == MIN(hosts_not_ok(json_object_get(hosts_answer, "hosts")),
				  (size_t)MAX_DETAILS));
	if (!clean(table.out, table.out_len)) {
		fprintf(stderr, "fuzz_ctl: status printed a control character:\n%s",
			table.out);
		abort();
	}
	EXPECT(strncmp(table.out, "healthmond ", 11) == 0);
	if (table.err_len)
		expect_messages(&table);
	printed = printed_json(&js);
	EXPECT(json_equal(json_object_get(printed, "status"), status));
	EXPECT(json_equal(json_object_get(printed, "hosts"),
		json_object_get(hosts_answer, "hosts")));
	EXPECT(json_array_size(json_object_get(printed, "details")) <= details);
	json_decref(printed);
	json_decref(hosts_answer);
	json_decref(status);
done:
	output_done(&js);
	output_done(&table);
}

static void
fuzz_events(void)
{
	struct output table, js;
	json_t *answer, *printed;

	run(ctl_events_main, "events", false, &table);
	run(ctl_events_main, "events", true, &js);
	EXPECT(table.status == js.status);
	if (table.status == CTL_EXIT_FAILURE) {
		expect_failure(&table);
		expect_failure(&js);
		goto done;
	}
	EXPECT(table.status == CTL_EXIT_OK);
	EXPECT(table.err_len == 0 && js.err_len == 0);
	if (!clean(table.out, table.out_len)) {
		fprintf(stderr, "fuzz_ctl: events printed a control character:\n%s",
			table.out);
		abort();
	}
	answer = body(0);
	EXPECT(answer);
	if (json_array_size(json_object_get(answer, "events")) == 0)
		EXPECT(strcmp(table.out, "No events.\n") == 0);
	else
		EXPECT(strncmp(table.out, "TIME ", 5) == 0);
	printed = printed_json(&js);
	EXPECT(json_equal(printed, answer));
	json_decref(printed);
	json_decref(answer);
done:
	output_done(&js);
	output_done(&table);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	split((const char *)data, size);
	fuzz_status();
	fuzz_events();
	return 0;
}
