/* SPDX-License-Identifier: MIT */
/*
 * `healthmondctl check-config [-v] [FILE]`: reads a configuration with the
 * daemon's own conf_load(), as `healthmond -n` does, so that a file is
 * accepted here exactly when the daemon would accept it. Needs no daemon.
 */
#include <stdio.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "ctl_internal.h"

static const char help_text[] =
	"Usage: healthmondctl check-config [-v] [FILE]\n"
	"\n"
	"Checks a healthmond configuration file (default " CONF_DEFAULT_PATH ";\n"
	"when that is absent, healthmond runs on its built-in defaults).\n"
	"Prints \"FILE: ok\" and exits 0, or prints the error as FILE:LINE: what is\n"
	"wrong and exits 1.\n"
	"  -v, --verbose   also print the effective configuration (as healthmond -nv)\n";

int
ctl_check_config_main(struct ctl_options *o, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(conf_freep) struct hm_conf *conf = NULL;
	_cleanup_free_ char *error = NULL;
	const char *path = CONF_DEFAULT_PATH;
	bool verbose = false;
	int c;

	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) >= 0) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(help_text, stdout);
			return CTL_EXIT_OK;
		default:
			return ctl_bad_option("check-config", c, argv);
		}
	}
	if (argc - optind > 1)
		return ctl_usage_error("check-config", "one file at a time");
	if (optind < argc)
		path = argv[optind];
	else if (access(path, F_OK) < 0) {
		/* As healthmond -n: without the file, the built-in defaults apply. */
		printf("%s: absent, healthmond runs on its built-in defaults: ok\n",
			path);
		return CTL_EXIT_OK;
	}
	if (conf_load(path, &conf, &error) < 0) {
		fprintf(stderr, "%s\n", error ? error : path);
		return 1;
	}
	printf("%s: ok\n", path);
	if (verbose)
		conf_print(conf, stdout);
	return fflush(stdout) == EOF ? CTL_EXIT_FAILURE : CTL_EXIT_OK;
}
