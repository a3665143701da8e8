/* SPDX-License-Identifier: MIT */
/*
 * healthmondctl: the command-line client. ctl.c parses the command and
 * dispatches; each command lives in its own file. Commands return the exit
 * status: for status and events it follows the worst state (0 ok,
 * 1 warning, 2 critical, 3 unknown), like a Nagios plugin; 4 and up mean
 * the command itself failed (CTL_EXIT_*).
 */
#ifndef HM_CTL_H
#define HM_CTL_H

#define CTL_EXIT_OK 0
#define CTL_EXIT_WARNING 1
#define CTL_EXIT_CRITICAL 2
#define CTL_EXIT_UNKNOWN 3
#define CTL_EXIT_USAGE 64   /* bad command line (sysexits EX_USAGE) */
#define CTL_EXIT_FAILURE 69 /* the daemon or a file could not be used */

/*
 * `graph HOST SERIES [FIELD...] [--period P] [--size WxH] [--datadir DIR]
 * [-c CONFIG] -o FILE|-`: renders a PNG straight from the RRD files (no
 * daemon needed). argv[0] is "graph". Also run by the daemon to serve
 * graphs, with -o -.
 */
int ctl_graph_main(int argc, char *argv[]);
/*
 * `availability [--datadir DIR] [-c CONFIG] [--period P[,P...]] HOST/SERIES...`:
 * prints JSON {"HOST/SERIES": {"1d": 0.998, "7d": 0.97}, ...}, the mean of
 * the probe's `up` field over each period (null without data). Run by the
 * daemon for the dashboard.
 */
int ctl_availability_main(int argc, char *argv[]);

#endif
