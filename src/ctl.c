/* SPDX-License-Identifier: MIT */
/*
 * healthmondctl's entry point: the options that come before the command,
 * --help and --version, and the dispatch to the commands, each in a file
 * of its own (ctl_status.c, ctl_events.c, ctl_config.c, ctl_graph.c).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "ctl.h"
#include "ctl_internal.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

/* The manual, in the order of a man page. */
/* clang-format off */
static const char help_text[] =
	"NAME\n"
	"    healthmondctl - ask healthmond how its hosts are\n"
	"\n"
	"SYNOPSIS\n"
	"    healthmondctl [--url URL | --socket PATH] [--user USER] [--json] COMMAND ...\n"
	"    healthmondctl status\n"
	"    healthmondctl events [--host H] [--state S] [--check C] [--since T]\n"
	"                         [--until T] [--limit N]\n"
	"    healthmondctl check-config [-v] [FILE]\n"
	"    healthmondctl graph HOST SERIES [FIELD...] [--period P] [--size WxH]\n"
	"                        [--datadir DIR] [-c CONFIG] -o FILE|-\n"
	"    healthmondctl COMMAND --help\n"
	"\n"
	"DESCRIPTION\n"
	"    healthmondctl is the command-line client of healthmond's HTTP API\n"
	"    (docs/api.md). By default it asks the local daemon on its UNIX socket:\n"
	"    $HEALTHMOND_SOCKET, else " CTL_DEFAULT_SOCKET ". With --url it asks\n"
	"    a central (or any healthmond) over TCP. Output is made for people:\n"
	"    aligned columns, states in capitals, in colour on a terminal. With\n"
	"    --json it is the daemon's own JSON objects, pretty-printed, for scripts.\n"
	"\n"
	"OPTIONS\n"
	"    --url URL        Ask the healthmond at URL (http:// or https://, e.g.\n"
	"                     http://central:8090). \"user:password@\" in the URL\n"
	"                     authenticates like --user.\n"
	"    --socket PATH    Ask the healthmond listening on this UNIX socket.\n"
	"    --user USER      HTTP basic auth as USER; the password is read from\n"
	"                     $HEALTHMOND_PASSWORD (never from the command line).\n"
	"    --ca-file FILE   Trust this CA (PEM) for an https:// URL.\n"
	"    --json           Print the daemon's JSON answers instead of tables.\n"
	"    -h, --help       Print this manual.\n"
	"    -V, --version    Print the version.\n"
	"    These options may also follow the command name. Requests time out\n"
	"    after " STRINGIFY(CTL_HTTP_TIMEOUT) " seconds.\n"
	"\n"
	"COMMANDS\n"
	"    status\n"
	"        The daemon's own status (version, host, role, uptime, state),\n"
	"        a table of the hosts it shows (HOST STATE LAST-REPORT CHECKS, the\n"
	"        checks counted ok/warn/crit/unk), and every check that is not ok\n"
	"        on those hosts, with its series, field, value, threshold and the\n"
	"        time it entered that state. With --json: one object,\n"
	"        {\"status\": /api/v1/status, \"hosts\": [/api/v1/hosts],\n"
	"        \"details\": [/api/v1/host of each host that is not ok]}.\n"
	"        Exits with the worst state, like a Nagios plugin (below).\n"
	"\n"
	"    events [--host H] [--state S] [--check C] [--since T] [--until T]\n"
	"           [--limit N]\n"
	"        Recent health events, newest first: TIME HOST STATE CHECK SERIES\n"
	"        VALUE MESSAGE. --state is ok, warning, critical or unknown (the\n"
	"        state entered); --check a check's name (probe_up, disk_space, ...);\n"
	"        --limit 1 to 10000 (default 100). T is unix seconds, an age back\n"
	"        from now (90s, 30m, 1h, 2d, 1w), or a local date and time\n"
	"        (2026-11-21, 2026-11-21T10:00, 2026-11-21 10:00:30). With --json:\n"
	"        the daemon's {\"events\": [...]}. Exits 0 when the query worked,\n"
	"        whatever the events say.\n"
	"\n"
	"    check-config [-v] [FILE]\n"
	"        Checks a configuration file as healthmond would read it (default\n"
	"        " CONF_DEFAULT_PATH ").\n"
	"        Prints \"FILE: ok\", or the error as FILE:LINE: what is wrong, and\n"
	"        exits 1; -v also prints the effective configuration. Needs no\n"
	"        daemon.\n"
	"\n"
	"    graph HOST SERIES [FIELD...] [--period P] [--size WxH] [--datadir DIR]\n"
	"          [-c CONFIG] -o FILE|-\n"
	"        Renders a PNG straight from the RRD files (needs no daemon).\n"
	"        See healthmondctl graph --help.\n"
	"\n"
	"    availability [--datadir DIR] [-c CONFIG] [--period P[,P...]] HOST/SERIES...\n"
	"        The share of time probes were up, as JSON; used by the dashboard.\n"
	"\n"
	"EXIT STATUS\n"
	"    status: 0 ok, 1 warning, 2 critical, 3 unknown: the worst state of the\n"
	"    hosts shown. events, check-config and graph: 0 when they worked;\n"
	"    check-config 1 for an invalid file.\n"
	"    64  bad usage (unknown command or option, invalid argument).\n"
	"    69  the daemon could not be reached, or answered with an error or\n"
	"        with something malformed (the message names the socket or URL).\n"
	"\n"
	"ENVIRONMENT\n"
	"    HEALTHMOND_SOCKET    The socket asked by default.\n"
	"    HEALTHMOND_PASSWORD  The password for --user.\n"
	"    NO_COLOR             When set and not empty, no colour.\n"
	"\n"
	"EXAMPLES\n"
	"    healthmondctl status\n"
	"    healthmondctl --url http://central:8090 --user ops status --json\n"
	"    healthmondctl events --state critical --since 1h\n"
	"    healthmondctl check-config /etc/healthmond/healthmond.conf\n"
	"    healthmondctl graph web1 cpu -o cpu.png\n"
	"\n"
	"SEE ALSO\n"
	"    healthmond(8), healthmond.conf(5), docs/api.md\n";
/* clang-format on */

bool
ctl_common_option(struct ctl_options *o, int c, const char *arg)
{
	switch (c) {
	case CTL_OPT_URL:
		o->url = arg;
		return true;
	case CTL_OPT_SOCKET:
		o->socket = arg;
		return true;
	case CTL_OPT_USER:
		o->user = arg;
		return true;
	case CTL_OPT_CA_FILE:
		o->ca_file = arg;
		return true;
	case CTL_OPT_JSON:
		o->json = true;
		return true;
	default:
		return false;
	}
}

int
ctl_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fputs("healthmondctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'healthmondctl %s%s--help'.\n", command ? command : "",
		command ? " " : "");
	return CTL_EXIT_USAGE;
}

int
ctl_bad_option(const char *command, int c, char *argv[])
{
	/* getopt_long has moved optind past the word it rejected. */
	const char *word = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return ctl_usage_error(command, "option '%s' needs an argument", word);
	if (c == '?' && optopt > ' ' && optopt < 0x7f)
		return ctl_usage_error(command, "unknown option '-%c'", optopt);
	return ctl_usage_error(command, "unknown option '%s'", word);
}

static int
parse_global(struct ctl_options *o, int argc, char *argv[])
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	/* "+": stop at the command's name; what follows is the command's. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) >= 0) {
		if (ctl_common_option(o, c, optarg))
			continue;
		switch (c) {
		case 'h':
			fputs(help_text, stdout);
			return 0;
		case 'V':
			printf("healthmondctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			return -ctl_bad_option(NULL, c, argv);
		}
	}
	return 1;
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char *name;
		int (*main)(struct ctl_options *o, int argc, char *argv[]);
	} commands[] = {
		{"status", ctl_status_main},
		{"events", ctl_events_main},
		{"check-config", ctl_check_config_main},
	};
	struct ctl_options o = {.color = ctl_fmt_use_color()};
	const char *name;
	int r;

	r = parse_global(&o, argc, argv);
	if (r <= 0)
		return -r;
	if (optind >= argc)
		return ctl_usage_error(
			NULL, "no command (status, events, check-config, graph)");
	name = argv[optind];
	argc -= optind;
	argv += optind;
	/* getopt_long starts over (glibc) for the command's own options. */
	optind = 0;
	opterr = 1; /* graph and availability let getopt_long complain */
	if (strcmp(name, "graph") == 0)
		return ctl_graph_main(argc, argv);
	if (strcmp(name, "availability") == 0)
		return ctl_availability_main(argc, argv);
	if (strcmp(name, "help") == 0) {
		fputs(help_text, stdout);
		return CTL_EXIT_OK;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].main(&o, argc, argv);
	return ctl_usage_error(NULL, "unknown command '%s'", name);
}
