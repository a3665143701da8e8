/* SPDX-License-Identifier: MIT */
/*
 * The regular expression size bound (see regex_limit.h): one pass over the
 * pattern with a stack of open groups, each holding the weight of what it
 * has so far and of its last atom, which a following repetition multiplies.
 * Weights saturate just above REGEX_WEIGHT_MAX so nothing overflows.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "regex_limit.h"

#define DEPTH_MAX 64
#define SATURATED (REGEX_WEIGHT_MAX + 1UL)

struct level {
	unsigned long sum;  /* the group's weight so far, last atom included */
	unsigned long last; /* the weight of its last atom, 0 when none */
};

static unsigned long
saturate(unsigned long v)
{
	return v > SATURATED ? SATURATED : v;
}

static unsigned long
mul(unsigned long a, unsigned long b)
{
	if (a != 0 && b > SATURATED / a)
		return SATURATED;
	return saturate(a * b);
}

/* A new atom of weight w ends the group at l. */
static void
add_atom(struct level *l, unsigned long w)
{
	l->sum = saturate(l->sum + w);
	l->last = w;
}

/* The last atom of l repeated copies times. */
static void
repeat_last(struct level *l, unsigned long copies)
{
	unsigned long repeated = mul(l->last, copies);

	l->sum = saturate(l->sum - l->last + repeated);
	l->last = repeated;
}

/*
 * At p, just after '{': parses "n}", "n,}" or "n,m}" and returns the copies
 * glibc makes (the larger bound, or n + 1 when open) with *end just past
 * '}'; 0 when this '{' is no interval (a literal, or regcomp's error).
 */
static unsigned long
interval_copies(const char *p, const char **end)
{
	char *e;
	unsigned long lo, hi;

	if (!isdigit((unsigned char)*p))
		return 0;
	lo = strtoul(p, &e, 10);
	hi = lo;
	if (*e == ',') {
		if (isdigit((unsigned char)e[1]))
			hi = strtoul(e + 1, &e, 10);
		else {
			hi = lo + 1;
			e++;
		}
	}
	if (*e != '}')
		return 0;
	*end = e + 1;
	return hi > lo ? hi : lo;
}

/* At p, just after '[': the character after the closing ']'. */
static const char *
skip_bracket(const char *p)
{
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			const char *close = strchr(p + 2, p[1]);

			while (close && close[1] != ']')
				close = strchr(close + 1, p[1]);
			if (close) {
				p = close + 2;
				continue;
			}
		}
		p++;
	}
	return *p ? p + 1 : p;
}

int
regex_check_size(const char *pattern, const char **ret_reason)
{
	struct level stack[DEPTH_MAX + 1] = { { 0, 0 } };
	size_t depth = 0;
	const char *p = pattern, *end;
	unsigned long copies;
	bool repeated = false; /* the last token was a repetition */

	if (strlen(pattern) > REGEX_LENGTH_MAX) {
		*ret_reason = "is longer than 1024 characters";
		return -E2BIG;
	}
	while (*p) {
		/* A repetition of a repetition ("a**", "a+?", "a{2}{3}"): POSIX
		 * leaves it undefined, and glibc's closure computation on it is
		 * exponential even where the copies are few. */
		bool is_repetition;

		copies = *p == '{' ? interval_copies(p + 1, &end) : 0;
		is_repetition = *p == '+' || *p == '*' || *p == '?' || copies > 0;

		if (is_repetition && repeated) {
			*ret_reason = "repeats a repetition (like \"a**\" or \"a+?\"), "
				      "which POSIX leaves undefined";
			return -E2BIG;
		}
		repeated = is_repetition;
		switch (*p) {
		case '(':
			if (depth == DEPTH_MAX) {
				*ret_reason = "nests groups more than 64 deep";
				return -E2BIG;
			}
			stack[++depth] = (struct level){ 0, 0 };
			p++;
			break;
		case ')':
			if (depth == 0) {
				add_atom(&stack[0], 1);
			} else {
				unsigned long w = stack[depth].sum ? stack[depth].sum : 1;

				depth--;
				add_atom(&stack[depth], w);
			}
			p++;
			break;
		case '|':
			/* Alternatives add up; a repetition after '|' has no atom. */
			stack[depth].last = 0;
			p++;
			break;
		case '+':
		case '*':
		case '?':
			/* "a+" is "aa*"; "*" and "?" add closure nodes: 2 each. */
			repeat_last(&stack[depth], 2);
			p++;
			break;
		case '{':
			if (copies == 0) {
				add_atom(&stack[depth], 1);
				p++;
			} else {
				repeat_last(&stack[depth], copies);
				p = end;
			}
			break;
		case '[':
			add_atom(&stack[depth], 1);
			p = skip_bracket(p + 1);
			break;
		case '\\':
			add_atom(&stack[depth], 1);
			p += p[1] ? 2 : 1;
			break;
		default:
			add_atom(&stack[depth], 1);
			p++;
			break;
		}
	}
	/* Groups left open count as closed: regcomp() refuses them anyway. */
	while (depth > 0) {
		unsigned long w = stack[depth].sum;

		depth--;
		add_atom(&stack[depth], w);
	}
	if (stack[0].sum > REGEX_WEIGHT_MAX) {
		*ret_reason = "repeats too much: compiled it would take too much memory "
			      "(at most 20000 pattern nodes once repetitions are expanded)";
		return -E2BIG;
	}
	return 0;
}
