/*
 * error.c — building and wrapping error messages (see error.h).
 * Messages are cut, never overflowed, when context piles up: in the
 * middle, so both ends stay readable.
 */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Room to format a message in before it is fitted into struct mp_error (paths are up to 4 KiB). */
#define ERROR_FULL_MAX 16384

static int error_code_or_default(int code)
{
	return code > 0 ? code : EINVAL;
}

/*
 * s into err->msg.  Too long, it loses its middle, not its ends: the
 * outermost context (step, plan file:line:col) and the innermost detail
 * (the errno text) both stay.
 */
static void error_fit(struct mp_error *err, const char *s)
{
	static const char cut[] = " [...] ";
	size_t n = sizeof(err->msg), len = strlen(s), head, tail;

	if (len < n) {
		memcpy(err->msg, s, len + 1);
		return;
	}
	head = (n - sizeof(cut)) / 2;
	tail = n - sizeof(cut) - head;
	memcpy(err->msg, s, head);
	memcpy(err->msg + head, cut, sizeof(cut) - 1);
	memcpy(err->msg + head + sizeof(cut) - 1, s + len - tail, tail);
	err->msg[n - 1] = '\0';
}

int error_set(struct mp_error *err, int code, const char *fmt, ...)
{
	char full[ERROR_FULL_MAX];
	va_list ap;

	err->code = error_code_or_default(code);
	va_start(ap, fmt);
	vsnprintf(full, sizeof(full), fmt, ap);
	va_end(ap);
	error_fit(err, full);
	return -err->code;
}

int error_set_errno(struct mp_error *err, int code, const char *fmt, ...)
{
	char full[ERROR_FULL_MAX];
	va_list ap;
	size_t len;

	err->code = error_code_or_default(code);
	va_start(ap, fmt);
	vsnprintf(full, sizeof(full), fmt, ap);
	va_end(ap);
	len = strlen(full);
	snprintf(full + len, sizeof(full) - len, ": %s", strerror(err->code));
	error_fit(err, full);
	return -err->code;
}

int error_wrap(struct mp_error *err, const char *fmt, ...)
{
	char full[ERROR_FULL_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(full, sizeof(full), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(full))
		snprintf(full + n, sizeof(full) - (size_t)n, ": %s", err->msg);
	error_fit(err, full);
	err->code = error_code_or_default(err->code);
	return -err->code;
}

void error_clear(struct mp_error *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
