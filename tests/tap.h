/*
 * tap.h — a tiny TAP producer for mountplan's C unit tests, run by prove.
 *
 *   int main(void) {
 *           tap_plan(2);
 *           CHECK(add(1, 1) == 2, "one plus one");
 *           CHECK_STR(name(), "mnt", "name of the default");
 *           return tap_done();
 *   }
 *
 * A failed check prints "not ok N - desc" and a "# file:line: expr"
 * diagnostic.  tap_done() fails a test that ran no check or fewer checks
 * than planned.  tap_skip_all() is a whole-file SKIP; when the environment
 * has MOUNTPLAN_REQUIRE_ROOT=1 it is a failure instead, so CI cannot go
 * green by skipping.
 */
#ifndef MOUNTPLAN_TAP_H
#define MOUNTPLAN_TAP_H

#include <stdbool.h>

/* Announce how many checks will run (0 = say it at the end). */
void tap_plan(int n);

/* Record one check; returns cond so callers can stop on failure. */
bool tap_ok(bool cond, const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Record one check comparing strings (NULL-safe); prints both on failure. */
bool tap_ok_str(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Record one check comparing integers; prints both on failure. */
bool tap_ok_int(long long got, long long want, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Record n skipped checks with a reason. */
void tap_skip(int n, const char *reason);

/* Print a "# ..." diagnostic line. */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Skip the whole file (exit status 0), or fail it when MOUNTPLAN_REQUIRE_ROOT=1. */
_Noreturn void tap_skip_all(const char *reason);

/* Finish: prints the plan if it was deferred; returns the process exit status. */
int tap_done(void);

#define CHECK(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
#define CHECK_STR(got, want, ...) tap_ok_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_INT(got, want, ...) tap_ok_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)

#endif
