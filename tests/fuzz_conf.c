/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the config loader: conf_load_string() on any text
 * must return a config or an error message, never crash, leak or hang. A
 * config that loads is printed with conf_print() and loaded again; the two
 * must be conf_equal(), which is what `healthmond -nv` promises. Built as a
 * libFuzzer binary with --enable-fuzzer (scripts/fuzz), and linked with
 * tests/fuzz_main.c as a replay driver that `make check` runs over the seed
 * corpus in tests/data/fuzz/conf/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXPECT(cond)                                                                 \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz_conf: %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* The effective config in canonical form; the caller frees it. */
static char *
print(const struct hm_conf *c)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	EXPECT(f);
	conf_print(c, f);
	EXPECT(fclose(f) == 0);
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(conf_freep) struct hm_conf *c = NULL, *again = NULL;
	_cleanup_free_ char *text = NULL, *printed = NULL, *error = NULL;
	int r;

	/* Config files are at most 1 MiB (conf_load()); keep runs fast. */
	if (size > 1 << 16)
		return 0;
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	/*
	 * libconfig's @include opens files relative to the working directory:
	 * not the loader under test, and a path like /dev/stdin would hang.
	 */
	if (strstr(text, "@include"))
		return 0;
	r = conf_load_string(text, "fuzz.conf", &c, &error);
	if (r < 0) {
		EXPECT(!c);
		EXPECT(error && *error);
		return 0;
	}
	EXPECT(c);
	printed = print(c);
	free(error);
	error = NULL;
	r = conf_load_string(printed, "printed.conf", &again, &error);
	if (r < 0) {
		fprintf(stderr, "fuzz_conf: printed config refused: %s\n%s\n", error,
			printed);
		abort();
	}
	EXPECT(conf_equal(c, again));
	return 0;
}
