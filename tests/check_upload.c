/* SPDX-License-Identifier: MIT */
/*
 * upload and forward: real requests on a real sd-event loop against
 * tests/central-stub.py, a small HTTP/1.1 server on 127.0.0.1 that answers
 * as the test tells it and logs what it got. The uploader: acks and the
 * spool, headers and token, keep-alive, coalescing limits, backoff after
 * failures, Retry-After, the 'central unreachable' event and its recovery,
 * refusals (413 halving, a poison batch dropped, a central refusing
 * everything dropping only a few, a wire version mismatch nothing), bad acks,
 * HTTPS with a CA file and a client certificate (and refused without the
 * CA), an outage remembered across uploaders, cancelling a request in
 * flight, the shared multi handle. Forwarding:
 * records and events reach the central; a clean stop spools the last
 * batch; an overflowing spool becomes an event that is forwarded itself,
 * and its recovery. Backoff is shortened through upload_set_timing(); time
 * is only ever asserted as "not sooner than".
 */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "curlglue.h"
#include "forward.h"
#include "log.h"
#include "spool.h"
#include "upload.h"
#include "util.h"
#include "wire.h"

#define DEADLINE (20 * USEC_PER_SEC)
#define TOKEN "tok-123"
#define MAX_EVENTS 32
#define MAX_LOSSES 16

/*
 * The stubs, started once per test case by the unchecked fixture: one plain,
 * one TLS (certificates by tests/make-certs.sh, and a client certificate
 * for "web1") that asks for a client certificate.
 */
static pid_t stub_pid = -1, tls_pid = -1;
static unsigned stub_port, tls_port;
static char *certdir;

/* One test's world; each test runs in its own process. */
static struct {
	char *dir;
	sd_event *e;
	struct spool *spool;
	struct upload *u;
	struct forward_conf fc;
	struct event events[MAX_EVENTS];
	char event_checks[MAX_EVENTS][32], event_reasons[MAX_EVENTS][32];
	size_t n_events;
	struct spool_loss losses[MAX_LOSSES];
	char loss_reasons[MAX_LOSSES][32];
	size_t n_losses;
	unsigned errors, warnings, notices; /* log lines seen */
	char last_error[1024];
	struct forward *f;                  /* forward tests */
	struct hm_conf *conf;
} t;

/* --- The stub ------------------------------------------------------------ */

static void
make_certs(void)
{
	_cleanup_free_ char *script = test_srcdir_path("tests/make-certs.sh");
	static const char client[] =
		"cd \"$1\" && "
		"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		"-nodes -keyout client.key -out client.csr -subj /CN=web1 "
		"2>/dev/null && "
		"echo extendedKeyUsage=clientAuth >client.ext && "
		"openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
		"-CAcreateserial -days 30 -extfile client.ext -out client.pem "
		"2>/dev/null";

	certdir = test_mkdtemp();
	test_run_command((char *[]){ "sh", script, certdir, NULL });
	test_run_command((char *[]){ "sh", "-c", (char *)client, "sh", certdir, NULL });
}

/* Starts central-stub.py with args; returns its pid and port. */
static pid_t
spawn_stub(char *const args[], unsigned *ret_port)
{
	_cleanup_free_ char *stub = test_srcdir_path("tests/central-stub.py");
	char *argv[16] = { "python3", stub };
	char line[64] = "";
	size_t len = 0, n_args = 2;
	int fds[2];
	pid_t pid;

	for (size_t i = 0; args && args[i]; i++)
		argv[n_args++] = args[i];
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		(void)dup2(fds[1], STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	(void)close(fds[1]);
	while (!memchr(line, '\n', len)) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t n;

		ck_assert_msg(poll(&pfd, 1, 10000) == 1, "the stub said nothing");
		n = read(fds[0], line + len, sizeof(line) - 1 - len);
		ck_assert_msg(n > 0, "central-stub.py exited before saying its port");
		len += (size_t)n;
		ck_assert_uint_lt(len, sizeof(line) - 1);
	}
	(void)close(fds[0]);
	ck_assert_int_eq(sscanf(line, "PORT %u", ret_port), 1);
	return pid;
}

static void
stub_start(void)
{
	_cleanup_free_ char *cert = NULL, *key = NULL, *ca = NULL;

	make_certs();
	cert = xasprintf("%s/leaf.pem", certdir);
	key = xasprintf("%s/leaf.key", certdir);
	ca = xasprintf("%s/ca.pem", certdir);
	stub_pid = spawn_stub(NULL, &stub_port);
	tls_pid = spawn_stub(
		(char *[]){ "--cert", cert, "--key", key, "--client-ca", ca, NULL },
		&tls_port);
	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
}

static void
stub_stop(void)
{
	pid_t *pids[] = { &stub_pid, &tls_pid };

	for (size_t i = 0; i < ELEMENTSOF(pids); i++)
		if (*pids[i] > 0) {
			(void)kill(*pids[i], SIGTERM);
			(void)waitpid(*pids[i], NULL, 0);
			*pids[i] = -1;
		}
	test_rm_rf(certdir);
	free(certdir);
	certdir = NULL;
	curl_global_cleanup();
}

/* A blocking request to a stub with plain libcurl; returns the answer. */
static char *
stub_request_at(bool tls, const char *path, const char *post)
{
	_cleanup_free_ char *url = tls ?
		xasprintf("https://127.0.0.1:%u%s", tls_port, path) :
		xasprintf("http://127.0.0.1:%u%s", stub_port, path);
	_cleanup_free_ char *ca = xasprintf("%s/ca.pem", certdir);
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	CURL *e = curl_easy_init();

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(e);
	(void)curl_easy_setopt(e, CURLOPT_URL, url);
	(void)curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	(void)curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	(void)curl_easy_setopt(e, CURLOPT_CAINFO, ca);
	if (post)
		(void)curl_easy_setopt(e, CURLOPT_POSTFIELDS, post);
	ck_assert_int_eq(curl_easy_perform(e), CURLE_OK);
	curl_easy_cleanup(e);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static void
stub_control(const char *json)
{
	free(stub_request_at(false, "/control", json));
}

/* The requests a stub got, as a JSON array; the caller json_decref()s it. */
static json_t *
stub_log_at(bool tls)
{
	_cleanup_free_ char *text = stub_request_at(tls, "/log", NULL);
	json_t *j = json_loads(text, 0, NULL);

	ck_assert_msg(json_is_array(j), "bad /log: %s", text);
	return j;
}

static json_t *
stub_log(void)
{
	return stub_log_at(false);
}

static size_t
stub_requests(void)
{
	json_t *log = stub_log();
	size_t n = json_array_size(log);

	json_decref(log);
	return n;
}

static json_int_t
req_int(json_t *log, size_t i, const char *key)
{
	return json_integer_value(json_object_get(json_array_get(log, i), key));
}

static const char *
req_str(json_t *log, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(log, i), key));
}

static json_t *
req_seqs(json_t *log, size_t i)
{
	return json_object_get(json_array_get(log, i), "seqs");
}

/* --- Per-test world ------------------------------------------------------ */

static void
on_log(int level, const char *message, void *userdata)
{
	if (level <= LOG_ERR) {
		t.errors++;
		(void)snprintf(t.last_error, sizeof(t.last_error), "%s", message);
	} else if (level == LOG_WARNING)
		t.warnings++;
	else if (level == LOG_NOTICE)
		t.notices++;
}

static void
on_event(const struct event *ev, void *userdata)
{
	size_t i = t.n_events++;

	ck_assert_uint_lt(i, MAX_EVENTS);
	t.events[i] = *ev;
	(void)snprintf(t.event_checks[i], 32, "%s", ev->check ? ev->check : "");
	(void)snprintf(t.event_reasons[i], 32, "%s", ev->reason ? ev->reason : "");
	t.events[i].check = t.event_checks[i];
	t.events[i].reason = t.event_reasons[i];
	t.events[i].host = t.events[i].series = t.events[i].field = NULL;
	t.events[i].url = NULL;
	/* As the agent does: what is journaled is forwarded too. */
	if (t.f)
		forward_event(t.f, ev);
}

static void
on_loss(const struct spool_loss *loss, const char *reason, void *userdata)
{
	size_t i = t.n_losses++;

	ck_assert_uint_lt(i, MAX_LOSSES);
	t.losses[i] = *loss;
	(void)snprintf(t.loss_reasons[i], 32, "%s", reason);
}

static const struct upload_callbacks callbacks = { .event = on_event, .loss = on_loss };

static const struct upload_timing fast = {
	.backoff_min_usec = 20 * USEC_PER_MSEC,
	.backoff_max_usec = 100 * USEC_PER_MSEC,
	.unreachable_usec = 300 * USEC_PER_MSEC,
	.unreachable_failures = 3,
	.poison_tries = 3,
};

static void
setup(void)
{
	memset(&t, 0, sizeof(t));
	stub_control("{\"reset\": true}");
	t.dir = test_mkdtemp();
	test_write_file(t.dir, "token", "  " TOKEN " \n");
	/* Spools that once counted to 0: batches numbered from 1 (check_spool tests a new one). */
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *sub = xasprintf("%s/%s", t.dir, i ? "fwd.spool" : "spool");

		ck_assert_int_eq(mkdir(sub, 0700), 0);
		test_write_file(sub, "state", "0\n");
	}
	t.fc.url = xasprintf("http://127.0.0.1:%u/", stub_port);
	t.fc.token_file = xasprintf("%s/token", t.dir);
	t.fc.timeout = 10;
	ck_assert_int_eq(sd_event_new(&t.e), 0);
	log_set_sink(on_log, NULL);
}

static void
teardown(void)
{
	t.f = forward_free(t.f);
	t.u = upload_free(t.u);
	t.spool = spool_free(t.spool);
	t.e = sd_event_unref(t.e);
	t.conf = conf_free(t.conf);
	log_set_sink(NULL, NULL);
	test_rm_rf(t.dir);
	free(t.dir);
	free(t.fc.url);
	free(t.fc.token_file);
	free(t.fc.ca_file);
	free(t.fc.client_cert);
	free(t.fc.client_key);
}

static int
new_upload_ret(struct upload **ret)
{
	return upload_new(t.e, &t.fc, "web1", t.spool, &callbacks, NULL, ret);
}

/* The uploader on t.spool, with fast timing. */
static void
new_upload(void)
{
	ck_assert_int_eq(new_upload_ret(&t.u), 0);
	upload_set_timing(t.u, &fast);
}

/* The spool and the uploader. */
static void
start(void)
{
	_cleanup_free_ char *path = xasprintf("%s/spool", t.dir);

	ck_assert_int_eq(spool_open(path, 64 << 20, &t.spool), 0);
	new_upload();
}

static void
add_batches(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t seq = spool_next_seq(t.spool);
		_cleanup_free_ char *text = wire_encode_batch(seq, NULL, 0, NULL, 0);

		ck_assert_int_eq(
			spool_append(t.spool, seq, text, strlen(text), 0, NULL), 0);
	}
}

static void
add_padded_batch(size_t size, struct spool_loss *loss)
{
	uint64_t seq = spool_next_seq(t.spool);
	_cleanup_free_ char *pad = xmalloc(size + 1);
	_cleanup_free_ char *text = NULL;

	memset(pad, 'x', size);
	pad[size] = '\0';
	text = xasprintf("{\"seq\":%" PRIu64
			 ",\"records\":[],\"events\":[],\"pad\":\"%s\"}",
		seq, pad);
	ck_assert_int_eq(spool_append(t.spool, seq, text, strlen(text), 0, loss), 0);
}

static struct upload_status
status(void)
{
	struct upload_status st;

	upload_get_status(t.u, &st);
	return st;
}

typedef bool (*pred_fn)(void);

/* Runs the loop until pred() holds; false after DEADLINE. */
static bool
run_until(pred_fn pred)
{
	uint64_t deadline = now_usec(CLOCK_MONOTONIC) + DEADLINE;

	while (!pred()) {
		if (now_usec(CLOCK_MONOTONIC) >= deadline)
			return false;
		ck_assert_int_ge(sd_event_run(t.e, 50 * USEC_PER_MSEC), 0);
	}
	return true;
}

/* Runs the loop for usec, whatever happens. */
static void
run_for(uint64_t usec)
{
	uint64_t end = now_usec(CLOCK_MONOTONIC) + usec;

	while (now_usec(CLOCK_MONOTONIC) < end)
		ck_assert_int_ge(sd_event_run(t.e, 20 * USEC_PER_MSEC), 0);
}

static bool
spool_empty(void)
{
	return status().spool_batches == 0;
}

static bool
failed_6_times(void)
{
	return status().failures >= 6;
}

static bool
failed_many_times(void)
{
	return status().failures >= 2 * UPLOAD_POISON_RUN_MAX + 4;
}

static bool
has_event(void)
{
	return t.n_events > 0;
}

static bool
has_two_events(void)
{
	return t.n_events >= 2;
}

/* --- The uploader -------------------------------------------------------- */

START_TEST(test_send)
{
	json_t *log;
	struct upload_status st;

	start();
	add_batches(3);
	ck_assert_str_eq(upload_link_to_string(status().link), "idle");
	upload_kick(t.u);
	ck_assert(run_until(spool_empty));
	log = stub_log();
	ck_assert_uint_eq(json_array_size(log), 1);
	ck_assert_uint_eq(json_array_size(req_seqs(log, 0)), 3);
	ck_assert_int_eq(json_integer_value(json_array_get(req_seqs(log, 0), 0)), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(req_seqs(log, 0), 2)), 3);
	ck_assert_str_eq(req_str(log, 0, "auth"), "Bearer " TOKEN);
	ck_assert_str_eq(req_str(log, 0, "type"), "application/json");
	ck_assert_str_eq(req_str(log, 0, "host"), "web1");
	json_decref(log);
	st = status();
	ck_assert_str_eq(upload_link_to_string(st.link), "connected");
	ck_assert_uint_eq(st.sent_batches, 3);
	ck_assert_uint_eq(st.requests, 1);
	ck_assert_uint_eq(st.failures, 0);
	ck_assert_int_ge(st.last_success, (int64_t)time(NULL) - 5);
	ck_assert_uint_eq(t.errors + t.warnings, 0);
	/* A kick with nothing to send sends nothing. */
	upload_kick(t.u);
	run_for(100 * USEC_PER_MSEC);
	ck_assert_uint_eq(stub_requests(), 1);
}
END_TEST

/* Three requests, one connection: the easy handle and the connection are kept. */
START_TEST(test_keepalive)
{
	json_t *log;

	start();
	for (unsigned i = 0; i < 3; i++) {
		add_batches(1);
		upload_kick(t.u);
		ck_assert(run_until(spool_empty));
	}
	log = stub_log();
	ck_assert_uint_eq(json_array_size(log), 3);
	ck_assert_int_eq(req_int(log, 0, "conn"), req_int(log, 2, "conn"));
	json_decref(log);
}
END_TEST

START_TEST(test_coalesce_batches)
{
	json_t *log;

	start();
	add_batches(UPLOAD_MAX_BATCHES + 200);
	upload_kick(t.u);
	ck_assert(run_until(spool_empty));
	log = stub_log();
	ck_assert_uint_eq(json_array_size(log), 2);
	ck_assert_uint_eq(json_array_size(req_seqs(log, 0)), UPLOAD_MAX_BATCHES);
	ck_assert_uint_eq(json_array_size(req_seqs(log, 1)), 200);
	json_decref(log);
	ck_assert_uint_eq(status().sent_batches, UPLOAD_MAX_BATCHES + 200);
}
END_TEST

START_TEST(test_coalesce_bytes)
{
	json_t *log;

	start();
	/* 400 KiB each: two fit in a request of 1 MiB, three do not. */
	for (unsigned i = 0; i < 5; i++)
		add_padded_batch(400 * 1024, NULL);
	upload_kick(t.u);
	ck_assert(run_until(spool_empty));
	log = stub_log();
	ck_assert_uint_eq(json_array_size(log), 3);
	ck_assert_uint_eq(json_array_size(req_seqs(log, 0)), 2);
	ck_assert_uint_eq(json_array_size(req_seqs(log, 1)), 2);
	ck_assert_uint_eq(json_array_size(req_seqs(log, 2)), 1);
	json_decref(log);
}
END_TEST

/* Two 503s, then success: backoff, nothing lost, the failure count resets. */
START_TEST(test_retry)
{
	struct upload_status st;

	stub_control("{\"status\": 503, \"fail_count\": 2}");
	start();
	add_batches(2);
	upload_kick(t.u);
	ck_assert(run_until(spool_empty));
	ck_assert_uint_eq(stub_requests(), 3);
	st = status();
	ck_assert_str_eq(upload_link_to_string(st.link), "connected");
	ck_assert_uint_eq(st.failures, 0);
	ck_assert_uint_eq(st.sent_batches, 2);
	ck_assert_msg(strstr(st.last_error, "503") != NULL, "%s", st.last_error);
	/* Logged once when it started (rate-limited), once when it cleared. */
	ck_assert_uint_eq(t.warnings, 1);
	ck_assert_uint_eq(t.notices, 1);
	ck_assert_uint_eq(t.n_events, 0);
	ck_assert_uint_eq(t.n_losses, 0);
}
END_TEST

/* Retry-After is honoured as a lower bound on the delay. */
START_TEST(test_retry_after)
{
	json_t *log;
	double gap;

	stub_control("{\"status\": 429, \"fail_count\": 1, \"retry_after\": 1}");
	start();
	add_batches(1);
	upload_kick(t.u);
	ck_assert(run_until(spool_empty));
	log = stub_log();
	ck_assert_uint_eq(json_array_size(log), 2);
	ck_assert_int_eq(req_int(log, 0, "status"), 429);
	gap = json_real_value(json_object_get(json_array_get(log, 1), "time")) -
		json_real_value(json_object_get(json_array_get(log, 0), "time"));
	ck_assert_msg(gap >= 0.9, "retried after %.3f s", gap);
	json_decref(log);
}
END_TEST

/* Failing long enough: one critical event, however long it lasts; one recovery. */
START_TEST(test_unreachable)
{
	const struct event *ev;

	stub_control("{\"status\": 503}");
	start();
	add_batches(1);
	upload_kick(t.u);
	ck_assert(run_until(has_event));
	ck_assert(status().unreachable);
	ck_assert_uint_ge(status().failures, 3);
	ck_assert(run_until(failed_6_times));
	ck_assert_uint_eq(t.n_events, 1);
	ev = &t.events[0];
	ck_assert_str_eq(ev->check, "central");
	ck_assert_int_eq(ev->kind, EVENT_CENTRAL_UNREACHABLE);
	ck_assert_int_eq(ev->state, CHECK_CRITICAL);
	ck_assert_str_eq(ev->reason, "server_error");
	ck_assert(ev->value >= 0);
	ck_assert_uint_eq(status().spool_batches, 1);

	stub_control("{\"status\": 200}");
	ck_assert(run_until(has_two_events));
	ev = &t.events[1];
	ck_assert_str_eq(ev->check, "central");
	ck_assert_int_eq(ev->kind, EVENT_RECOVERED);
	ck_assert_int_eq(ev->state, CHECK_OK);
	ck_assert_int_eq(ev->prev_state, CHECK_CRITICAL);
	ck_assert(!status().unreachable);
	ck_assert(run_until(spool_empty));
	ck_assert_uint_eq(t.n_events, 2);
}
END_TEST

/* An announced outage outlives the uploader: the next one sends the recovery. */
START_TEST(test_outage_remembered)
{
	_cleanup_free_ char *path = xasprintf("%s/outage", t.dir);

	stub_control("{\"status\": 503}");
	start();
	upload_set_outage_file(t.u, path);
	add_batches(1);
	upload_kick(t.u);
	ck_assert(run_until(has_event));
	ck_assert_int_eq(t.events[0].state, CHECK_CRITICAL);
	ck_assert_int_eq(access(path, F_OK), 0);
	t.u = upload_free(t.u);

	stub_control("{\"status\": 200}");
	new_upload();
	upload_set_outage_file(t.u, path);
	ck_assert(status().unreachable);
	upload_kick(t.u);
	ck_assert(run_until(has_two_events));
	ck_assert_int_eq(t.events[1].kind, EVENT_RECOVERED);
	ck_assert_str_eq(t.events[1].check, "central");
	ck_assert(t.events[1].value >= 0);
	ck_assert_int_ne(access(path, F_OK), 0);

	/* Without an outage, nothing to remember. */
	t.u = upload_free(t.u);
	new_upload();
	upload_set_outage_file(t.u, path);
	ck_assert(!status().unreachable);
}
END_TEST

/* HTTPS: the central's certificate checked against ca_file, ours sent. */
START_TEST(test_tls)
{
	json_t *log;

	free(stub_request_at(true, "/control", "{\"reset\": true}"));
	free(t.fc.url);
	t.fc.url = xasprintf("https://127.0.0.1:%u", tls_port);
	t.fc.ca_file = xasprintf("%s/ca.pem", certdir);
	t.fc.client_cert = xasprintf("%s/client.pem", certdir);
	t.fc.client_key = xasprintf("%s/client.key", certdir);
	start();
	add_batches(2);
	upload_kick(t.u);
	ck_assert(run_until(spool_empty));
	add_batches(1);
	upload_kick(t.u);
	ck_assert(run_until(spool_empty));
	log = stub_log_at(true);
	ck_assert_uint_eq(json_array_size(log), 2);
	ck_assert_str_eq(req_str(log, 0, "client"), "web1");
	ck_assert_str_eq(req_str(log, 0, "auth"), "Bearer " TOKEN);
	/* The TLS connection is kept too. */
	ck_assert_int_eq(req_int(log, 0, "conn"), req_int(log, 1, "conn"));
	json_decref(log);
}
END_TEST

/* Verification is always on: a central the CA did not sign is refused. */
START_TEST(test_tls_untrusted)
{
	free(t.fc.url);
	t.fc.url = xasprintf("https://127.0.0.1:%u", tls_port);
	start();
	add_batches(1);
	upload_kick(t.u);
	ck_assert(run_until(has_event));
	ck_assert_str_eq(t.events[0].reason, "tls");
	ck_assert_uint_eq(status().spool_batches, 1);
	ck_assert_uint_eq(t.n_losses, 0);
}
END_TEST

/* Nobody listens: connect failures, backoff, the data stays. */
START_TEST(test_connect_refused)
{
	free(t.fc.url);
	t.fc.url = xasprintf("http://127.0.0.1:%u", test_free_tcp_port());
	start();
	add_batches(2);
	upload_kick(t.u);
	ck_assert(run_until(has_event));
	ck_assert_str_eq(t.events[0].reason, "connect");
	ck_assert_str_eq(upload_link_to_string(status().link), "retrying");
	ck_assert_uint_eq(status().spool_batches, 2);
	ck_assert_uint_eq(t.n_losses, 0);
	/* Network trouble is a warning; the first one only, then rate-limited. */
	ck_assert_uint_eq(t.errors, 0);
	ck_assert_uint_eq(t.warnings, 1);
}
END_TEST

/* 413: fewer batches per request until the central takes them. */
START_TEST(test_too_large)
{
	json_t *log;

	stub_control("{\"max_batches\": 4}");
	start();
	add_batches(10);
	upload_kick(t.u);
	ck_assert(run_until(spool_empty));
	log = stub_log();
	for (size_t i = 0; i < json_array_size(log); i++)
		if (req_int(log, i, "status") == 200)
			ck_assert_uint_le(json_array_size(req_seqs(log, i)), 4);
	/* 10 refused, 5 refused, then 2, 4, 4 taken. */
	ck_assert_uint_eq(json_array_size(log), 5);
	json_decref(log);
	ck_assert_uint_eq(status().sent_batches, 10);
	ck_assert_uint_eq(t.n_losses, 0);
}
END_TEST

/* Batch 3 is refused, alone too: it is dropped, the rest arrives. */
START_TEST(test_poison)
{
	struct upload_status st;
	json_t *log;

	stub_control("{\"poison\": [3]}");
	start();
	add_batches(5);
	upload_kick(t.u);
	ck_assert(run_until(spool_empty));
	ck_assert_uint_eq(t.n_losses, 1);
	ck_assert_str_eq(t.loss_reasons[0], "rejected");
	ck_assert_uint_eq(t.losses[0].batches, 1);
	ck_assert_uint_eq(t.losses[0].first_seq, 3);
	ck_assert_uint_eq(t.losses[0].last_seq, 3);
	st = status();
	ck_assert_uint_eq(st.dropped_batches, 1);
	ck_assert_uint_eq(st.sent_batches, 4);
	ck_assert_msg(strstr(t.last_error, "Dropped batch 3"), "%s", t.last_error);
	/* Every batch but 3 reached the central. */
	log = stub_log();
	for (json_int_t want = 1; want <= 5; want++) {
		bool seen = false;

		for (size_t i = 0; i < json_array_size(log); i++) {
			json_t *seqs = req_seqs(log, i);
			bool taken = req_int(log, i, "status") == 200;

			for (size_t k = 0; k < json_array_size(seqs); k++) {
				json_t *seq = json_array_get(seqs, k);

				seen |= taken && json_integer_value(seq) == want;
			}
		}
		ck_assert_msg(seen == (want != 3), "batch %lld", (long long)want);
	}
	json_decref(log);
}
END_TEST

/*
 * A central that refuses every batch (say, a kind it does not know yet): a
 * few are dropped as poison, then nothing more until it takes one again.
 */
START_TEST(test_refuses_everything)
{
	stub_control("{\"status\": 400, \"error\": \"name\"}");
	start();
	add_batches(UPLOAD_POISON_RUN_MAX + 2);
	upload_kick(t.u);
	/* Two failures per batch dropped (the third refusal drops it), then more. */
	ck_assert(run_until(failed_many_times));
	ck_assert_uint_eq(t.n_losses, UPLOAD_POISON_RUN_MAX);
	for (size_t i = 0; i < t.n_losses; i++)
		ck_assert_uint_eq(t.losses[i].first_seq, i + 1);
	ck_assert_uint_eq(status().spool_batches, 2);
	ck_assert_uint_eq(status().dropped_batches, UPLOAD_POISON_RUN_MAX);
	/* Refusals are errors, with the central's words. */
	ck_assert_msg(strstr(t.last_error, "name: told to fail") != NULL, "%s",
		t.last_error);

	stub_control("{\"status\": 200}");
	ck_assert(run_until(spool_empty));
	ck_assert_uint_eq(t.n_losses, UPLOAD_POISON_RUN_MAX);
	ck_assert_uint_eq(status().sent_batches, 2);
}
END_TEST

/* A central that does not speak our wire version: nothing is ever dropped. */
START_TEST(test_refuses_version)
{
	stub_control("{\"status\": 400, \"error\": \"version\"}");
	start();
	add_batches(3);
	upload_kick(t.u);
	ck_assert(run_until(failed_6_times));
	ck_assert_uint_eq(t.n_losses, 0);
	ck_assert_uint_eq(status().spool_batches, 3);
	ck_assert_msg(strstr(status().last_error, "wire version 1"), "%s",
		status().last_error);
	stub_control("{\"status\": 200}");
	ck_assert(run_until(spool_empty));
	ck_assert_uint_eq(t.n_losses, 0);
}
END_TEST

START_TEST(test_unauthorized)
{
	stub_control("{\"token\": \"another\"}");
	start();
	add_batches(1);
	upload_kick(t.u);
	ck_assert(run_until(has_event));
	ck_assert_uint_eq(status().spool_batches, 1);
	ck_assert_uint_eq(t.n_losses, 0);
	ck_assert_uint_eq(t.errors, 1);
	ck_assert_msg(strstr(t.last_error, "401"), "%s", t.last_error);
	ck_assert_msg(strstr(t.last_error, "unknown token"), "%s", t.last_error);
	ck_assert_str_eq(t.events[0].reason, "unauthorized");
}
END_TEST

/* 2xx without a usable ack deletes nothing; an ack past what was sent is capped. */
START_TEST(test_bad_ack)
{
	stub_control("{\"ack\": \"none\"}");
	start();
	add_batches(2);
	upload_kick(t.u);
	ck_assert(run_until(failed_6_times));
	ck_assert_uint_eq(status().spool_batches, 2);
	ck_assert_msg(strstr(status().last_error, "without an acknowledgement"), "%s",
		status().last_error);

	/* Acknowledging less than the oldest batch sent: also a failure. */
	stub_control("{\"reset\": true, \"ack\": 0}");
	t.u = upload_free(t.u);
	new_upload();
	upload_kick(t.u);
	ck_assert(run_until(failed_6_times));
	ck_assert_uint_eq(status().spool_batches, 2);

	/* 99 when 1..2 were sent, and 3 came meanwhile: 3 stays. */
	stub_control("{\"reset\": true, \"ack\": 99}");
	t.u = upload_free(t.u);
	new_upload();
	upload_kick(t.u);
	add_batches(1);
	ck_assert(run_until(spool_empty));
	ck_assert_uint_eq(stub_requests(), 2);
}
END_TEST

/* Freed with a request in flight: cancelled, the batches stay. */
START_TEST(test_free_in_flight)
{
	stub_control("{\"delay\": 3}");
	start();
	add_batches(2);
	upload_kick(t.u);
	run_for(300 * USEC_PER_MSEC);
	ck_assert_uint_eq(stub_requests(), 1);
	t.u = upload_free(t.u);
	ck_assert_uint_eq(t.n_events, 0);
	t.spool = spool_free(t.spool);
	start();
	ck_assert_uint_eq(status().spool_batches, 2);
}
END_TEST

/*
 * The spool overflows while a request is in flight and deletes two of its
 * batches. The central takes the request: nothing was lost. (The answer is
 * delayed so that the overflow surely comes first; the request was built
 * and its batches pinned at upload_kick().)
 */
static void
overflow_in_flight(const char *control)
{
	_cleanup_free_ char *path = xasprintf("%s/spool", t.dir);
	struct spool_loss loss;

	stub_control(control);
	ck_assert_int_eq(spool_open(path, 4000, &t.spool), 0);
	new_upload();
	add_padded_batch(1500, NULL);
	add_padded_batch(1500, NULL);
	upload_kick(t.u);
	ck_assert_uint_eq(status().requests, 1);
	for (unsigned i = 0; i < 2; i++) {
		add_padded_batch(1500, &loss);
		/* Pinned: deleted, but not (yet) a loss. */
		ck_assert_uint_eq(loss.batches, 0);
	}
	ck_assert_uint_eq(status().spool_batches, 2);
	ck_assert(run_until(spool_empty));
}

START_TEST(test_overflow_in_flight_taken)
{
	overflow_in_flight("{\"delay\": 1}");
	ck_assert_uint_eq(t.n_losses, 0);
	ck_assert_uint_eq(status().dropped_batches, 0);
	ck_assert_uint_eq(stub_requests(), 2);
}
END_TEST

/* The same, but the central fails the request: now the two are lost. */
START_TEST(test_overflow_in_flight_failed)
{
	overflow_in_flight("{\"delay\": 1, \"status\": 503, \"fail_count\": 1}");
	ck_assert_uint_eq(t.n_losses, 1);
	ck_assert_str_eq(t.loss_reasons[0], "spool_full");
	ck_assert_uint_eq(t.losses[0].batches, 2);
	ck_assert_uint_eq(t.losses[0].first_seq, 1);
	ck_assert_uint_eq(t.losses[0].last_seq, 2);
	ck_assert_uint_eq(status().dropped_batches, 2);
}
END_TEST

START_TEST(test_token_file)
{
	_cleanup_free_ char *path = xasprintf("%s/spool", t.dir);
	struct upload *u = NULL;

	ck_assert_int_eq(spool_open(path, 1 << 20, &t.spool), 0);
	free(t.fc.token_file);
	t.fc.token_file = xasprintf("%s/missing", t.dir);
	ck_assert_int_eq(new_upload_ret(&u), -ENOENT);
	test_write_file(t.dir, "empty", " \n\t\n");
	free(t.fc.token_file);
	t.fc.token_file = xasprintf("%s/empty", t.dir);
	ck_assert_int_eq(new_upload_ret(&u), -EBADMSG);
	test_write_file(t.dir, "two", "one two\n");
	free(t.fc.token_file);
	t.fc.token_file = xasprintf("%s/two", t.dir);
	ck_assert_int_eq(new_upload_ret(&u), -EBADMSG);
	ck_assert_ptr_null(u);
	/* No token at all is fine: client certificates may do instead. */
	free(t.fc.token_file);
	t.fc.token_file = NULL;
	ck_assert_int_eq(new_upload_ret(&u), 0);
	upload_free(u);
}
END_TEST

/* One multi handle per loop, whoever asks. */
START_TEST(test_shared_glue)
{
	struct curlglue *a = NULL, *b = NULL, *c = NULL;
	sd_event *other = NULL;

	ck_assert_int_eq(curlglue_acquire(t.e, &a), 0);
	ck_assert_int_eq(curlglue_acquire(t.e, &b), 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(sd_event_new(&other), 0);
	ck_assert_int_eq(curlglue_acquire(other, &c), 0);
	ck_assert_ptr_ne(a, c);
	ck_assert_uint_eq(curlglue_running(a), 0);
	curlglue_unref(a);
	curlglue_unref(b);
	curlglue_unref(c);
	sd_event_unref(other);
}
END_TEST

/* --- Forwarding ---------------------------------------------------------- */

static void
forward_start(unsigned spool_max_mb)
{
	t.conf = conf_free(t.conf);
	t.conf = conf_new_default();
	t.conf->forward.url = xstrdup(t.fc.url);
	t.conf->forward.token_file = xstrdup(t.fc.token_file);
	t.conf->forward.spool_dir = xasprintf("%s/fwd.spool", t.dir);
	t.conf->forward.spool_max_mb = spool_max_mb;
	t.conf->forward.batch_interval = 3600; /* flushes come from the test */
	ck_assert_int_eq(
		forward_new(t.e, t.conf, "web1", t.dir, on_event, NULL, &t.f), 0);
	forward_set_upload_timing(t.f, &fast);
}

static struct forward_status
fstatus(void)
{
	struct forward_status st;

	forward_get_status(t.f, &st);
	return st;
}

static bool
forward_drained(void)
{
	struct forward_status st = fstatus();

	return st.pending == 0 && st.upload.spool_batches == 0;
}

static void
make_record(struct record_batch *b, const char *instance, int64_t time)
{
	struct record *r;

	b->time = time;
	r = record_batch_add(b, &schema_load, instance);
	(void)record_set(r, "load1", 0.5);
}

START_TEST(test_forward)
{
	struct record_batch b = { 0 };
	char check[32] = "disk_space", series[32] = "df-root";
	struct event ev = { .kind = EVENT_DISK_SPACE, .host = "web1",
		.check = check, .series = series, .field = "bytes_pct",
		.state = CHECK_CRITICAL, .prev_state = CHECK_OK, .value = 96,
		.threshold = 95, .time = 1763715600 };
	json_t *log;

	forward_start(64);
	make_record(&b, NULL, 1763715600);
	forward_record(t.f, &b.records[0]);
	forward_event(t.f, &ev);
	/* The event's strings were the caller's: forward kept copies. */
	strcpy(check, "garbage");
	strcpy(series, "garbage");
	ck_assert_uint_eq(fstatus().pending, 2);
	ck_assert_int_eq(forward_flush(t.f), 0);
	ck_assert(run_until(forward_drained));
	log = stub_log();
	ck_assert_uint_eq(json_array_size(log), 1);
	ck_assert_int_eq(req_int(log, 0, "records"), 1);
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(json_array_get(log, 0), "events"), 0)),
		"disk_space");
	json_decref(log);
	ck_assert_uint_eq(fstatus().batches, 1);
	/* Nothing gathered: a flush makes no batch. */
	ck_assert_int_eq(forward_flush(t.f), 0);
	ck_assert_uint_eq(fstatus().batches, 1);
	record_batch_done(&b);
}
END_TEST

/* A clean stop spools what was gathered; the next start sends it. */
START_TEST(test_forward_stop)
{
	struct record_batch b = { 0 };
	_cleanup_free_ char *spooldir = NULL;
	struct spool_batch *batches = NULL;
	size_t n;

	stub_control("{\"status\": 503}");
	forward_start(64);
	for (int i = 0; i < 3; i++)
		make_record(&b, NULL, 1763715600 + i);
	for (size_t i = 0; i < b.n; i++)
		forward_record(t.f, &b.records[i]);
	t.f = forward_free(t.f);
	spooldir = xasprintf("%s/fwd.spool", t.dir);
	ck_assert_int_eq(spool_open(spooldir, 1 << 20, &t.spool), 0);
	ck_assert_int_eq(spool_peek(t.spool, 10, 1 << 20, &batches, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(batches[0].records, 3);
	ck_assert_ptr_nonnull(strstr(batches[0].text, "\"series\":\"load\""));
	spool_batches_free(batches, n);
	t.spool = spool_free(t.spool);

	stub_control("{\"status\": 200}");
	forward_start(64);
	ck_assert(run_until(forward_drained));
	/* Stopping sent nothing: the batch waited in the spool. */
	ck_assert_uint_eq(stub_requests(), 1);
	record_batch_done(&b);
}
END_TEST

/* The central is down and the spool fills: an event, forwarded once it can be. */
START_TEST(test_forward_overflow)
{
	struct record_batch b = { 0 };
	const struct event *ev;
	bool forwarded = false;
	json_t *log;

	stub_control("{\"status\": 503}");
	forward_start(1);
	make_record(&b, NULL, 1763715600);
	/* Batches of FORWARD_BATCH_MAX records are spooled as they fill. */
	for (unsigned i = 0; i < 100 * FORWARD_BATCH_MAX && t.n_events == 0; i++)
		forward_record(t.f, &b.records[0]);
	ck_assert_uint_ge(t.n_events, 1);
	ev = &t.events[t.n_events - 1];
	ck_assert_str_eq(ev->check, "spool_overflow");
	ck_assert_int_eq(ev->kind, EVENT_SPOOL_OVERFLOW);
	ck_assert_int_eq(ev->state, CHECK_CRITICAL);
	ck_assert_str_eq(ev->reason, "spool_full");
	ck_assert_double_eq(ev->value, FORWARD_BATCH_MAX);
	ck_assert_uint_eq(fstatus().lost_records, FORWARD_BATCH_MAX);

	/* The central comes back: everything left goes, with the event. */
	stub_control("{\"status\": 200}");
	ck_assert_int_eq(forward_flush(t.f), 0);
	ck_assert(run_until(forward_drained));
	log = stub_log();
	for (size_t i = 0; i < json_array_size(log); i++) {
		json_t *evs = json_object_get(json_array_get(log, i), "events");

		for (size_t k = 0; k < json_array_size(evs); k++)
			forwarded |= strcmp(json_string_value(json_array_get(evs, k)),
					     "spool_overflow") == 0;
	}
	json_decref(log);
	ck_assert(forwarded);

	/* The next batch finds room: the episode ends with a recovery. */
	forward_record(t.f, &b.records[0]);
	ck_assert_int_eq(forward_flush(t.f), 0);
	ev = &t.events[t.n_events - 1];
	ck_assert_str_eq(ev->check, "spool_overflow");
	ck_assert_int_eq(ev->kind, EVENT_RECOVERED);
	ck_assert_int_eq(ev->state, CHECK_OK);
	ck_assert_double_eq(ev->value, FORWARD_BATCH_MAX);
	record_batch_done(&b);
}
END_TEST

static Suite *
upload_suite(void)
{
	Suite *s = suite_create("upload");
	TCase *up = tcase_create("upload"), *fwd = tcase_create("forward");

	tcase_add_unchecked_fixture(up, stub_start, stub_stop);
	tcase_add_checked_fixture(up, setup, teardown);
	tcase_set_timeout(up, 60);
	tcase_add_test(up, test_send);
	tcase_add_test(up, test_keepalive);
	tcase_add_test(up, test_coalesce_batches);
	tcase_add_test(up, test_coalesce_bytes);
	tcase_add_test(up, test_retry);
	tcase_add_test(up, test_retry_after);
	tcase_add_test(up, test_unreachable);
	tcase_add_test(up, test_outage_remembered);
	tcase_add_test(up, test_connect_refused);
	tcase_add_test(up, test_tls);
	tcase_add_test(up, test_tls_untrusted);
	tcase_add_test(up, test_too_large);
	tcase_add_test(up, test_poison);
	tcase_add_test(up, test_overflow_in_flight_taken);
	tcase_add_test(up, test_overflow_in_flight_failed);
	tcase_add_test(up, test_refuses_everything);
	tcase_add_test(up, test_refuses_version);
	tcase_add_test(up, test_unauthorized);
	tcase_add_test(up, test_bad_ack);
	tcase_add_test(up, test_free_in_flight);
	tcase_add_test(up, test_token_file);
	tcase_add_test(up, test_shared_glue);
	suite_add_tcase(s, up);

	tcase_add_unchecked_fixture(fwd, stub_start, stub_stop);
	tcase_add_checked_fixture(fwd, setup, teardown);
	tcase_set_timeout(fwd, 60);
	tcase_add_test(fwd, test_forward);
	tcase_add_test(fwd, test_forward_stop);
	tcase_add_test(fwd, test_forward_overflow);
	suite_add_tcase(s, fwd);
	return s;
}

int
main(void)
{
	return test_run_suite(upload_suite());
}
