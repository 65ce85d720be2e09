/*
 * fuzzlib.c — the verdict and invariant helpers of fuzz.h, linked into
 * every fuzz target (libFuzzer and replay builds alike).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"

char fuzz_last_verdict[512];

void fuzz_verdict(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fuzz_last_verdict, sizeof(fuzz_last_verdict), fmt, ap);
	va_end(ap);
}

/* Does msg contain one of the '|'-separated substrings of known? */
static bool fuzz_known(const char *msg, const char *known)
{
	while (known && *known) {
		const char *bar = strchr(known, '|');
		size_t n = bar ? (size_t)(bar - known) : strlen(known);

		if (n > 0 && memmem(msg, strlen(msg), known, n))
			return true;
		known = bar ? bar + 1 : NULL;
	}
	return false;
}

void fuzz_bug(const char *fmt, ...)
{
	char msg[sizeof(fuzz_last_verdict) - 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fuzz_known(msg, getenv("MP_FUZZ_KNOWN"))) {
		fuzz_verdict("known bug: %s", msg);
		return;
	}
	fprintf(stderr, "fuzz: invariant broken: %s\n", msg);
	abort();
}

void fuzz_fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
