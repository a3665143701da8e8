/* SPDX-License-Identifier: MIT */
/*
 * A replay driver for the libFuzzer targets (tests/fuzz_*.c), so that a
 * plain gcc build runs the corpora under `make check`: every file named on
 * the command line, and every regular file inside a named directory (sorted,
 * not recursive, dot files skipped), is passed to LLVMFuzzerTestOneInput()
 * in a buffer of exactly its size, so that ASan sees a read past the end.
 * A failing input aborts, as under libFuzzer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (16 << 20)

static int
run_file(const char *path)
{
	_cleanup_free_ char *text = NULL;
	uint8_t *data;
	size_t len;
	int r;

	r = read_file_at(NULL, path, INPUT_MAX, &text, &len);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return r;
	}
	data = xmalloc(len);
	memcpy(data, text, len);
	(void)LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 1;
}

static int
not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Runs every regular file in dir; returns how many, or -errno. */
static int
run_dir(const char *dir)
{
	struct dirent **names;
	int n, count = 0, r = 0;

	n = scandir(dir, &names, not_hidden, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = path_join(dir, names[i]->d_name);
		struct stat st;

		if (r >= 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			r = run_file(path);
			count++;
		}
		free(names[i]);
	}
	free(names);
	return r < 0 ? r : count;
}

int
main(int argc, char **argv)
{
	int total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return EXIT_FAILURE;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int r;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return EXIT_FAILURE;
		}
		r = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
		if (r < 0)
			return EXIT_FAILURE;
		total += r;
	}
	printf("%s: %d inputs replayed\n", argv[0], total);
	return EXIT_SUCCESS;
}
