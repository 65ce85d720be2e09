/*
 * tap.c — the TAP producer behind tap.h.  Output goes to stdout, unbuffered
 * with respect to diagnostics so a crash still shows the checks before it.
 */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_planned = -1; /* -1: no plan yet; 0: deferred to tap_done */
static int tap_count;
static int tap_failed;

void tap_plan(int n)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_planned = n;
	if (n > 0)
		printf("1..%d\n", n);
}

static void tap_result(bool cond, const char *fmt, va_list ap)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
}

bool tap_ok(bool cond, const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_result(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   failed at %s:%d: %s\n", file, line, expr);
	return cond;
}

bool tap_ok_str(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
{
	bool cond = (got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0);
	va_list ap;

	va_start(ap, fmt);
	tap_result(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		printf("#   failed at %s:%d\n", file, line);
		printf("#        got: %s%s%s\n", got ? "'" : "", got ? got : "NULL", got ? "'" : "");
		printf("#   expected: %s%s%s\n", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
	}
	return cond;
}

bool tap_ok_int(long long got, long long want, const char *file, int line, const char *fmt, ...)
{
	bool cond = got == want;
	va_list ap;

	va_start(ap, fmt);
	tap_result(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   failed at %s:%d\n#        got: %lld\n#   expected: %lld\n", file, line, got, want);
	return cond;
}

void tap_skip(int n, const char *reason)
{
	for (int i = 0; i < n; i++)
		printf("ok %d # SKIP %s\n", ++tap_count, reason);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void tap_skip_all(const char *reason)
{
	const char *req = getenv("MOUNTPLAN_REQUIRE_ROOT");

	if (req && strcmp(req, "1") == 0) {
		printf("1..1\nnot ok 1 - required test skipped: %s (MOUNTPLAN_REQUIRE_ROOT=1)\n", reason);
		exit(1);
	}
	printf("1..0 # SKIP %s\n", reason);
	exit(0);
}

int tap_done(void)
{
	if (tap_planned <= 0)
		printf("1..%d\n", tap_count);
	if (tap_count == 0) {
		printf("# no check ran: a test that checks nothing fails\n");
		return 1;
	}
	if (tap_planned > 0 && tap_count != tap_planned) {
		printf("# planned %d checks, ran %d\n", tap_planned, tap_count);
		return 1;
	}
	return tap_failed ? 1 : 0;
}
