/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tap.h - a tiny Test Anything Protocol helper for fvm's C unit tests.
 *
 * Usage:
 *	int main(void)
 *	{
 *		tap_plan(2);
 *		tap_ok(1 + 1 == 2, "addition works");
 *		tap_ok(strcmp(a, b) == 0, "%s equals %s", a, b);
 *		return tap_done();
 *	}
 *
 * Prints "1..N", then one "ok N - what" / "not ok N - what" line per check.
 * tap_done() returns 0 when every check passed and the count matched the
 * plan, 1 otherwise, so the test can return it from main(). Meson runs the
 * test with protocol 'tap'. Header-only: every function is static inline.
 */
#ifndef FVM_TESTS_TAP_H
#define FVM_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_planned = -1;
static int tap_count;
static int tap_failed;

static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* Record one check; returns cond so callers can branch on it. */
__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

/* A diagnostic line, shown by TAP consumers but not counted. */
__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static inline int tap_done(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_count);
	} else if (tap_count != tap_planned) {
		tap_diag("planned %d checks but ran %d", tap_planned, tap_count);
		return 1;
	}
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
