/*
 * error.c — building and wrapping error messages (see error.h).
 * Messages are truncated, never overflowed, when context piles up.
 */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int error_code_or_default(int code)
{
	return code > 0 ? code : EINVAL;
}

int error_set(struct mp_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = error_code_or_default(code);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -err->code;
}

int error_set_errno(struct mp_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	err->code = error_code_or_default(code);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(err->code));
	return -err->code;
}

int error_wrap(struct mp_error *err, const char *fmt, ...)
{
	char inner[MP_ERROR_MSG_MAX];
	va_list ap;
	int n;

	memcpy(inner, err->msg, sizeof(inner));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", inner);
	err->code = error_code_or_default(err->code);
	return -err->code;
}

void error_clear(struct mp_error *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
