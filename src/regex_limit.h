/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A bound on what a POSIX extended regular expression may cost to compile.
 * glibc's regcomp() copies a repeated subexpression once per repetition
 * ("a+" as "aa*", "a{3}" as "aaa"), and repetitions of repetitions
 * multiply: "(x)++++…" or "((a{99}){99}){99}" need memory exponential in
 * their length. Patterns come from configuration files, which must not be
 * able to exhaust memory of `healthmond -n` or a reload.
 */
#include <stddef.h>

/* The most pattern nodes a pattern may expand to (see regex_check_size). */
#define REGEX_WEIGHT_MAX 20000
#define REGEX_LENGTH_MAX 1024

/*
 * 0 when pattern is within both limits, else -E2BIG with *ret_reason set to
 * a static description. The weight is an upper estimate: each atom counts 1,
 * a group the sum of what it holds, and a repetition multiplies what it
 * repeats ("+", "*" and "?" by 2, "{n,m}" by m, or n + 1 when open). A
 * repetition right after another is refused. It does not check syntax:
 * regcomp() does that.
 */
int regex_check_size(const char *pattern, const char **ret_reason);
