/* SPDX-License-Identifier: MIT */
/*
 * The central's sequence mark of one host: the highest batch number it has
 * handled for it, in <datadir>/<host>/.ingest-seq, durable before the agent
 * is told (see docs/protocol.md).
 */
#pragma once

#include <stdint.h>

#define MARK_FILE ".ingest-seq"

/*
 * Reads the mark in the directory host_dir. -ENOENT when there is none,
 * -EBADMSG when the file is damaged (a torn write fails its check), other
 * -errno when it cannot be read.
 */
int mark_read(const char *host_dir, uint64_t *ret);

/* Writes the mark in host_dir (which must exist) and flushes it to disk. -errno. */
int mark_write(const char *host_dir, uint64_t mark);
