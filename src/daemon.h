/* SPDX-License-Identifier: MIT */
/*
 * The process: command line, start and stop order, sd_notify, signals and
 * the reload swap.
 */
#ifndef HM_DAEMON_H
#define HM_DAEMON_H

/* Runs healthmond with argv; returns the process exit status. */
int daemon_main(int argc, char *argv[]);

#endif
