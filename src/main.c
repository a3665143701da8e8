/* SPDX-License-Identifier: MIT */
/* healthmond's entry point: everything else lives in libhealthmond.a. */
#include "daemon.h"

int
main(int argc, char *argv[])
{
	return daemon_main(argc, argv);
}
