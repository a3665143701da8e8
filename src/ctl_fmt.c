/* SPDX-License-Identifier: MIT */
/*
 * healthmondctl's text for people: state words and their colours, times,
 * durations and values, and the JSON printed for scripts. Strings from the
 * daemon pass through ctl_fmt_clean() before they reach a terminal, so an
 * answer cannot send escape sequences to it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ctl_internal.h"
#include "util.h"

static const char *const state_names[_CTL_STATE_MAX] = {
	[CTL_STATE_OK] = "ok",
	[CTL_STATE_WARNING] = "warning",
	[CTL_STATE_CRITICAL] = "critical",
	[CTL_STATE_UNKNOWN] = "unknown",
};

static const char *const state_upper[_CTL_STATE_MAX] = {
	[CTL_STATE_OK] = "OK",
	[CTL_STATE_WARNING] = "WARNING",
	[CTL_STATE_CRITICAL] = "CRITICAL",
	[CTL_STATE_UNKNOWN] = "UNKNOWN",
};

/* Green, yellow, bold red, magenta. */
static const char *const state_colors[_CTL_STATE_MAX] = {
	[CTL_STATE_OK] = "\033[32m",
	[CTL_STATE_WARNING] = "\033[33m",
	[CTL_STATE_CRITICAL] = "\033[1;31m",
	[CTL_STATE_UNKNOWN] = "\033[35m",
};

int
ctl_state_from_string(const char *s)
{
	for (size_t i = 0; i < _CTL_STATE_MAX; i++)
		if (strcasecmp(s, state_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *
ctl_state_to_string(enum ctl_state s)
{
	return (unsigned)s < _CTL_STATE_MAX ? state_names[s] : NULL;
}

const char *
ctl_state_to_upper(enum ctl_state s)
{
	return (unsigned)s < _CTL_STATE_MAX ? state_upper[s] : NULL;
}

const char *
ctl_state_color(enum ctl_state s)
{
	return (unsigned)s < _CTL_STATE_MAX ? state_colors[s] : "";
}

bool
ctl_fmt_use_color(void)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

	/* no-color.org: set and not empty means no colour. */
	if (no_color && *no_color)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO) == 1;
}

char *
ctl_fmt_colored(const char *s, const char *sgr, bool color)
{
	if (!color || !sgr || !*sgr)
		return xstrdup(s);
	return xasprintf("%s%s\033[0m", sgr, s);
}

char *
ctl_fmt_clean(const char *s)
{
	char *copy = xstrdup(s ? s : "");
	unsigned char *p = (unsigned char *)copy;

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* U+0080..U+009F, the C1 controls (CSI is U+009B). */
			p[0] = '?';
			p[1] = '?';
			p++;
		}
	}
	return copy;
}

void
ctl_fmt_time(int64_t t, char buf[static 32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t < 0 || !localtime_r(&tt, &tm) ||
		strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		strcpy(buf, "-");
}

void
ctl_fmt_duration(int64_t seconds, char buf[static 32])
{
	int64_t s = seconds < 0 ? 0 : seconds;

	if (s < 60)
		(void)snprintf(buf, 32, "%llds", (long long)s);
	else if (s < 3600)
		(void)snprintf(buf, 32, "%lldm %llds", (long long)(s / 60),
			(long long)(s % 60));
	else if (s < 86400)
		(void)snprintf(buf, 32, "%lldh %lldm", (long long)(s / 3600),
			(long long)(s % 3600 / 60));
	else
		(void)snprintf(buf, 32, "%lldd %lldh", (long long)(s / 86400),
			(long long)(s % 86400 / 3600));
}

void
ctl_fmt_value(double v, char buf[static 32])
{
	if (isnan(v))
		strcpy(buf, "-");
	else if (v == floor(v) && fabs(v) < 1e15)
		(void)snprintf(buf, 32, "%.0f", v);
	else
		(void)snprintf(buf, 32, "%.6g", v);
}

/* The shortest text that reads back as v, and that reads as a real (jansson's way). */
static void
print_real(double v, FILE *f)
{
	char buf[40];

	for (int p = 1; p <= 17; p++) {
		(void)snprintf(buf, sizeof(buf), "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
	if (!strpbrk(buf, ".eEn"))
		fputs(".0", f);
}

static void print_value(const json_t *j, unsigned indent, FILE *f);

static void
print_container(const json_t *j, unsigned indent, FILE *f)
{
	bool object = json_is_object(j);
	size_t n = object ? json_object_size(j) : json_array_size(j), i = 0;
	const char *key;
	json_t *v;

	if (n == 0) {
		fputs(object ? "{}" : "[]", f);
		return;
	}
	fputs(object ? "{\n" : "[\n", f);
	if (object) {
		json_object_foreach ((json_t *)j, key, v) {
			json_t *k = json_string(key);

			fprintf(f, "%*s", (int)indent + 2, "");
			print_value(k, indent + 2, f);
			fputs(": ", f);
			print_value(v, indent + 2, f);
			fputs(++i < n ? ",\n" : "\n", f);
			json_decref(k);
		}
	} else {
		json_array_foreach (j, i, v) {
			fprintf(f, "%*s", (int)indent + 2, "");
			print_value(v, indent + 2, f);
			fputs(i + 1 < n ? ",\n" : "\n", f);
		}
	}
	fprintf(f, "%*s%c", (int)indent, "", object ? '}' : ']');
}

static void
print_value(const json_t *j, unsigned indent, FILE *f)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		print_container(j, indent, f);
		break;
	case JSON_REAL:
		print_real(json_real_value(j), f);
		break;
	default: {
		/* Strings (escaped), integers, true, false, null: as jansson writes
		 * them. */
		_cleanup_free_ char *text = json_dumps(j, JSON_ENCODE_ANY);

		fputs(text ? text : "null", f);
		break;
	}
	}
}

int
ctl_fmt_print_json(const json_t *j)
{
	/*
	 * Our own printer rather than json_dumpf(): that writes reals with 17
	 * digits, so the daemon's 96.2 would come out as 96.200000000000003.
	 */
	print_value(j, 0, stdout);
	if (fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
		return -EIO;
	return 0;
}
