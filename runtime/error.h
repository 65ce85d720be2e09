/*
 * error.h — the one error contract of mountplan's C code.
 *
 * A fallible function returns int: 0 on success, a negative errno-style
 * value on failure, and takes `struct mp_error *err` as its last argument.
 * On failure it fills err with a message; callers that add context wrap it
 * with error_wrap(), which prefixes "outer: " to the existing message, so a
 * report reads from the outermost operation to the syscall that failed.
 * Library code never prints and never exits; only main.c does.
 */
#ifndef MOUNTPLAN_ERROR_H
#define MOUNTPLAN_ERROR_H

#define MP_ERROR_MSG_MAX 1024

struct mp_error {
	int code;                   /* positive errno value, 0 if none */
	char msg[MP_ERROR_MSG_MAX]; /* "context: ...: strerror" */
};

/* Set err to the formatted message; returns -code (code > 0), for `return error_set(...)`. */
int error_set(struct mp_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like error_set, with ": strerror(code)" appended. */
int error_set_errno(struct mp_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the existing message with the formatted context and ": "; returns -err->code. */
int error_wrap(struct mp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Forget any error. */
void error_clear(struct mp_error *err);

#endif
