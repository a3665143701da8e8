/* SPDX-License-Identifier: MIT */
/*
 * Writing the effective configuration back as libconfig text (`-nv`), and
 * comparing two configurations, both by walking the same key table the
 * loader uses. The output parses back to an equal configuration.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf_table.h"
#include "util.h"

/* Writes s as a libconfig string literal. */
static void
print_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* Writes a list, wrapped so that no line grows much past 80 columns. */
static void
print_strv(FILE *f, const char *name, char *const *v, int depth)
{
	size_t column = (size_t)depth * 8 + strlen(name) + 4;

	fprintf(f, "%s = [", name);
	for (size_t i = 0; v && v[i]; i++) {
		size_t width = strlen(v[i]) + 4;

		if (i > 0 && column + width > 80) {
			fprintf(f, ",\n%*s", (depth + 1) * 8, "");
			column = (size_t)(depth + 1) * 8;
		} else
			fputs(i > 0 ? ", " : " ", f);
		print_string(f, v[i]);
		column += width;
	}
	fputs(" ];\n", f);
}

static void
print_keys(const struct hm_conf *c, const struct conf_key *keys, FILE *f, int depth)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		const void *field = (const char *)c + k->offset;

		fprintf(f, "%*s", depth * 8, "");
		switch (k->type) {
		case CONF_BOOL:
			fprintf(f, "%s = %s;\n", k->name, *(const bool *)field ? "true" : "false");
			break;
		case CONF_UINT:
			fprintf(f, "%s = %u;\n", k->name, *(const unsigned *)field);
			break;
		case CONF_NAME:
		case CONF_PATH:
			if (!*(char *const *)field) {
				fprintf(f, "# %s is unset: %s\n", k->name, k->unset_note);
				break;
			}
			fprintf(f, "%s = ", k->name);
			print_string(f, *(char *const *)field);
			fputs(";\n", f);
			break;
		case CONF_STRV:
			print_strv(f, k->name, *(char **const *)field, depth);
			break;
		case CONF_LOG_TARGET:
			fprintf(f, "%s = \"%s\";\n", k->name,
				log_target_to_string(*(const enum log_target *)field));
			break;
		case CONF_LOG_LEVEL:
			fprintf(f, "%s = \"%s\";\n", k->name,
				log_level_to_string(*(const int *)field));
			break;
		case CONF_GROUP:
			fprintf(f, "%s = {\n", k->name);
			print_keys(c, k->children, f, depth + 1);
			fprintf(f, "%*s};\n", depth * 8, "");
			break;
		}
	}
}

void
conf_print(const struct hm_conf *c, FILE *f)
{
	fputs("# healthmond effective configuration\n", f);
	print_keys(c, conf_keys, f, 0);
}

static bool
strings_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool
keys_equal(const struct hm_conf *a, const struct hm_conf *b, const struct conf_key *keys)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		const void *fa = (const char *)a + k->offset;
		const void *fb = (const char *)b + k->offset;
		bool same = true;

		switch (k->type) {
		case CONF_BOOL:
			same = *(const bool *)fa == *(const bool *)fb;
			break;
		case CONF_UINT:
		case CONF_LOG_TARGET:
		case CONF_LOG_LEVEL:
			same = *(const int *)fa == *(const int *)fb;
			break;
		case CONF_NAME:
		case CONF_PATH:
			same = strings_equal(*(char *const *)fa, *(char *const *)fb);
			break;
		case CONF_STRV:
			same = strv_equal(*(char **const *)fa, *(char **const *)fb);
			break;
		case CONF_GROUP:
			same = keys_equal(a, b, k->children);
			break;
		}
		if (!same)
			return false;
	}
	return true;
}

bool
conf_equal(const struct hm_conf *a, const struct hm_conf *b)
{
	return keys_equal(a, b, conf_keys);
}
