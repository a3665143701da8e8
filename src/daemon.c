/* SPDX-License-Identifier: MIT */
/*
 * The process around the agent: the command line, start and stop order,
 * signals as sd-event sources, sd_notify (READY, STATUS, RELOADING,
 * STOPPING; WATCHDOG through sd_event_set_watchdog), and the reload that
 * parses a new configuration and swaps it in only when it is valid.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "agent.h"
#include "central.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "selfstatus.h"
#include "util.h"
#include "view.h"
#include "web.h"

#define EVENTS_FILE "events.jsonl"

struct options {
	const char *conf_path; /* borrowed: argv; NULL = default file or embedded */
	bool foreground;
	bool check_only;
	bool verbose;
};

struct daemon {
	struct options opt;
	sd_event *event;       /* owned */
	struct hm_conf *conf;  /* owned */
	struct agent *agent;   /* owned */
	struct central *central; /* owned; NULL unless the central role is on */
	struct view *view;     /* owned: what the HTTP face shows; lives across reloads */
	struct web *web;       /* owned; NULL when http is off */
	int64_t started;       /* unix seconds */
	enum log_target log_target;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: healthmond [-c FILE] [-f] [-n [-v]] [--version] [--help]\n"
		"\n"
		"Collects host health metrics into RRD files.\n"
		"\n"
		"  -c, --config FILE  read FILE (default " CONF_DEFAULT_PATH
		",\n"
		"                     or the embedded default when it does not exist)\n"
		"  -f, --foreground   stay in the foreground and log to stderr\n"
		"  -n, --check        check the configuration and exit\n"
		"  -v, --verbose      with -n: print the effective configuration;\n"
		"                     otherwise: log debug messages\n"
		"      --version      print the version and exit\n"
		"  -h, --help         print this help and exit\n");
}

/* Returns 1 to go on, 0 to exit successfully, -EINVAL on a usage error. */
static int
parse_argv(int argc, char *argv[], struct options *opt)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:fnvh", longopts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			opt->conf_path = optarg;
			break;
		case 'f':
			opt->foreground = true;
			break;
		case 'n':
			opt->check_only = true;
			break;
		case 'v':
			opt->verbose = true;
			break;
		case 'V':
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "healthmond: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 1;
}

/* -c FILE, else the default file when it exists, else the embedded default. */
static const char *
config_path(const struct options *opt)
{
	if (opt->conf_path)
		return opt->conf_path;
	return access(CONF_DEFAULT_PATH, F_OK) == 0 ? CONF_DEFAULT_PATH : NULL;
}

/* Sends STATUS=<one line>, after prefix: "READY=1\n" goes in the same
 * datagram, so that the status is there when `systemctl start` returns. */
static void
notify_status(struct daemon *d, const char *prefix)
{
	const struct agent_status *st = agent_get_status(d->agent);
	struct forward_status fs;
	char central[160] = "", link[160] = "";

	/* "; forwarding: connected, spool 3 batches, oldest 12 s" when forwarding. */
	if (agent_get_forward_status(d->agent, &fs))
		(void)snprintf(link, sizeof(link),
			"; forwarding: %s, spool %zu batches, oldest %llu s",
			upload_link_to_string(fs.upload.link), fs.upload.spool_batches,
			(unsigned long long)fs.upload.oldest_age);

	/* "; central: 3 hosts reporting, ..." when the central role is on. */
	if (d->central) {
		central[0] = ';';
		central[1] = ' ';
		central_format_status(d->central, central + 2, sizeof(central) - 2);
	}
	(void)sd_notifyf(0,
		"%sSTATUS=Collecting %zu series every %us; last cycle %.1f ms; %llu errors; "
		"checks: %u critical, %u warning, %u unknown, %u ok%s%s",
		prefix, st->series, d->conf->interval, (double)st->last_cycle_usec / 1000.0,
		(unsigned long long)st->errors, st->checks[CHECK_CRITICAL],
		st->checks[CHECK_WARNING], st->checks[CHECK_UNKNOWN], st->checks[CHECK_OK],
		link, central);
}

static void
on_cycle(struct agent *a, void *userdata)
{
	notify_status(userdata, "");
}

/* healthmond's own figures, for the HTTP face. */
static void
gather_status(struct self_status *ret, void *userdata)
{
	struct daemon *d = userdata;

	ret->host = agent_hostname(d->agent);
	ret->version = PACKAGE_VERSION;
	ret->started = d->started;
	ret->agent = *agent_get_status(d->agent);
	ret->rrd_write = ret->agent.rrd_write;
	ret->forwarding = agent_get_forward_status(d->agent, &ret->forward);
	ret->central = d->central != NULL;
	if (d->central)
		central_get_status(d->central, &ret->fleet);
	view_get_stats(d->view, &ret->view);
}

/* The HTTP face of conf, serving already, or NULL when conf turns it off. */
static int
reload_web(struct daemon *d, const struct hm_conf *conf, struct web **ret)
{
	_cleanup_(web_freep) struct web *w = NULL;
	int r;

	*ret = NULL;
	if (!conf->http.enabled)
		return 0;
	r = web_new(conf, d->view, gather_status, d, d->web, &w);
	if (r < 0)
		return r;
	r = web_start(w, d->event);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(w);
	return 0;
}

/* The view shows the agent and the central of now. */
static void
attach_view(struct daemon *d)
{
	agent_set_view(d->agent, d->view);
	if (d->central)
		central_set_view(d->central, d->view);
}

static int
open_view(struct daemon *d)
{
	_cleanup_free_ char *path = xasprintf("%s/" EVENTS_FILE, agent_datadir(d->agent));
	_cleanup_free_ char *error = NULL;
	int r = view_new(path, d->conf->http.events_keep, &d->view, &error);

	if (r < 0)
		return log_err_errno(r, "Cannot keep recent events: %s", error);
	return 0;
}

static void
apply_log_settings(struct daemon *d)
{
	int level = d->opt.verbose ? LOG_DEBUG : d->conf->log_level;

	d->log_target = log_open(d->conf->log_target, d->opt.foreground);
	log_set_max_level(level);
}

/*
 * The central role of conf, serving already, or NULL when conf turns it off.
 * The running central's sockets, liveness and counters carry over; until
 * the caller frees it, both serve (MHD shares the listening sockets).
 */
static int
reload_central(struct daemon *d, const struct hm_conf *conf, struct central **ret)
{
	_cleanup_(central_freep) struct central *c = NULL;
	int r;

	*ret = NULL;
	if (!conf->central.enabled)
		return 0;
	r = central_new(conf, d->central, &c);
	if (r < 0)
		return r;
	r = central_start(c, d->event);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

static void
reload(struct daemon *d)
{
	_cleanup_(conf_freep) struct hm_conf *conf = NULL;
	_cleanup_(agent_freep) struct agent *agent = NULL;
	_cleanup_(central_freep) struct central *central = NULL;
	_cleanup_(web_freep) struct web *web = NULL;
	_cleanup_free_ char *error = NULL;
	const char *path = config_path(&d->opt);
	int r;

	(void)sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		(unsigned long long)now_usec(CLOCK_MONOTONIC));
	r = conf_load(path, &conf, &error);
	if (r < 0)
		log_err("Reloading failed, keeping the running configuration: %s", error);
	else if (agent_new(conf, &agent) < 0)
		log_err("Reloading failed, keeping the running configuration");
	else if (reload_central(d, conf, &central) < 0)
		log_err("Reloading failed, keeping the running configuration");
	else if (reload_web(d, conf, &web) < 0)
		log_err("Reloading failed, keeping the running configuration");
	else {
		struct agent *old_agent = d->agent;
		struct central *old_central = d->central;
		struct web *old_web = d->web;
		struct hm_conf *old_conf = d->conf;

		d->agent = TAKE_PTR(agent);
		d->central = TAKE_PTR(central);
		d->web = TAKE_PTR(web);
		d->conf = TAKE_PTR(conf);
		agent_free(old_agent);
		/* They borrow old_conf: before it. */
		central_free(old_central);
		web_free(old_web);
		conf_free(old_conf);
		attach_view(d);
		apply_log_settings(d);
		r = agent_start(d->agent, d->event, on_cycle, d);
		if (r < 0)
			log_err_errno(r, "Cannot schedule collection after reload");
		else
			log_notice("Reloaded configuration from '%s'", path ? path : "(embedded default)");
	}
	notify_status(d, "READY=1\n");
}

static int
on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct daemon *d = userdata;

	if (si->ssi_signo == SIGHUP) {
		reload(d);
		return 0;
	}
	log_info("Received %s, stopping", strsignal((int)si->ssi_signo));
	(void)sd_notify(0, "STOPPING=1");
	return sd_event_exit(d->event, 0);
}

static int
setup_loop(struct daemon *d)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
	sigset_t mask;
	int r;

	r = sd_event_new(&d->event);
	if (r < 0)
		return log_err_errno(r, "Cannot create the event loop");
	(void)sigemptyset(&mask);
	for (size_t i = 0; i < ELEMENTSOF(signals); i++)
		(void)sigaddset(&mask, signals[i]);
	/* SIGCHLD too: the graph workers' child sources need it (sd_event_add_child(3)). */
	(void)sigaddset(&mask, SIGCHLD);
	/* Signals must be blocked for sd-event to receive them through a signalfd. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_err_errno(-errno, "Cannot block signals");
	for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
		r = sd_event_add_signal(d->event, NULL, signals[i], on_signal, d);
		if (r < 0)
			return log_err_errno(r, "Cannot watch signal %d", signals[i]);
	}
	r = sd_event_set_watchdog(d->event, true);
	if (r < 0)
		return log_err_errno(r, "Cannot set up the watchdog");
	return 0;
}

/*
 * Goes to the background. The parent waits for the daemon to say, through a
 * pipe, whether it started (0) or failed, and exits with that status, so that
 * a shell or an init script sees startup errors. Returns the write end of
 * that pipe in the daemon.
 */
static int
daemonize(int *ret_ready_fd)
{
	int fds[2], null_fd;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		char status = EXIT_FAILURE;

		(void)close(fds[1]);
		while (read(fds[0], &status, 1) < 0 && errno == EINTR)
			;
		/* The parent's only job was to wait: leave without running cleanups. */
		_exit(status);
	}
	(void)close(fds[0]);
	if (setsid() < 0)
		return -errno;
	/* A second fork: the daemon is no session leader and never regains a tty. */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(EXIT_SUCCESS);
	if (chdir("/") < 0)
		return -errno;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd >= 0) {
		(void)dup2(null_fd, STDIN_FILENO);
		(void)dup2(null_fd, STDOUT_FILENO);
		(void)dup2(null_fd, STDERR_FILENO);
		(void)close(null_fd);
	}
	*ret_ready_fd = fds[1];
	return 0;
}

static void
tell_parent(int *ready_fd, char status)
{
	if (*ready_fd < 0)
		return;
	/* A parent that is gone cannot be told; glibc's warn_unused_result
	 * (with _FORTIFY_SOURCE) is not silenced by a cast to void. */
	if (write(*ready_fd, &status, 1) != 1)
		log_debug("The starting process is gone: %s", strerror(errno));
	(void)close(*ready_fd);
	*ready_fd = -1;
}

/* From the loaded configuration to a serving daemon; logs what fails. */
static int
start(struct daemon *d, int *ready_fd)
{
	const char *path = config_path(&d->opt);
	int r;

	apply_log_settings(d);
	d->started = (int64_t)time(NULL);
	r = agent_new(d->conf, &d->agent);
	if (r < 0)
		return r;
	/* Bound before going to the background, so the shell sees a taken port. */
	if (d->conf->central.enabled) {
		r = central_new(d->conf, NULL, &d->central);
		if (r < 0)
			return r;
	}
	r = open_view(d);
	if (r < 0)
		return r;
	if (d->conf->http.enabled) {
		r = web_new(d->conf, d->view, gather_status, d, NULL, &d->web);
		if (r < 0)
			return r;
	}
	if (!d->opt.foreground) {
		r = daemonize(ready_fd);
		if (r < 0)
			return log_err_errno(r, "Cannot go to the background");
	}
	r = setup_loop(d);
	if (r < 0)
		return r;
	r = agent_start(d->agent, d->event, on_cycle, d);
	if (r < 0)
		return log_err_errno(r, "Cannot schedule collection");
	if (d->central) {
		r = central_start(d->central, d->event);
		if (r < 0)
			return r;
	}
	attach_view(d);
	if (d->web) {
		r = web_start(d->web, d->event);
		if (r < 0)
			return r;
	}
	log_info("healthmond %s started: host '%s', data in '%s', every %us, config %s",
		PACKAGE_VERSION, agent_hostname(d->agent), agent_datadir(d->agent),
		d->conf->interval, path ? path : "(embedded default)");
	notify_status(d, "READY=1\n");
	tell_parent(ready_fd, EXIT_SUCCESS);
	return 0;
}

int
daemon_main(int argc, char *argv[])
{
	struct daemon d = { 0 };
	_cleanup_free_ char *error = NULL;
	_cleanup_close_ int ready_fd = -1;
	int r;

	/*
	 * rrd_create_r works in buffers of about 1 MiB. glibc's default raises its
	 * mmap threshold after the first such free, so the memory would stay in
	 * the heap for good; a fixed threshold hands it back at once.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	r = parse_argv(argc, argv, &d.opt);
	if (r <= 0)
		return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	r = conf_load(config_path(&d.opt), &d.conf, &error);
	if (r < 0) {
		fprintf(stderr, "%s\n", error);
		return EXIT_FAILURE;
	}
	if (d.opt.check_only) {
		if (d.opt.verbose)
			conf_print(d.conf, stdout);
		conf_free(d.conf);
		return EXIT_SUCCESS;
	}
	r = start(&d, &ready_fd);
	if (r >= 0)
		r = sd_event_loop(d.event);
	tell_parent(&ready_fd, EXIT_FAILURE);
	if (r >= 0)
		log_info("Stopped after %llu cycles",
			(unsigned long long)agent_get_status(d.agent)->cycles);
	web_free(d.web);
	central_free(d.central);
	agent_free(d.agent);
	view_free(d.view);
	conf_free(d.conf);
	sd_event_unref(d.event);
	log_close();
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
