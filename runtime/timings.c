/*
 * timings.c — phase clocks for `mrun apply --timings` and
 * `mrun rollback --timings` (see timings.h).
 */
#include "timings.h"

#include <time.h>

static uint64_t timings_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void timings_start(struct timings *t, bool on)
{
	*t = (struct timings){ .on = on };
	if (on)
		t->start_ns = t->last_ns = timings_now_ns();
}

void timings_mark(struct timings *t, const char *name)
{
	uint64_t now;

	if (!t || !t->on || t->n == TIMINGS_MAX)
		return;
	now = timings_now_ns();
	t->name[t->n] = name;
	t->ns[t->n++] = now - t->last_ns;
	t->last_ns = now;
}

void timings_print(const struct timings *t, FILE *out, const char *prefix)
{
	char line[64 + TIMINGS_MAX * 48];
	size_t len;

	if (!t || !t->on || t->n == 0)
		return;
	/* built whole, so an unbuffered stderr gets one write */
	len = (size_t)snprintf(line, sizeof(line), "%s: timings (ms):", prefix);
	for (unsigned i = 0; i < t->n && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=%.3f", t->name[i], (double)t->ns[i] / 1e6);
	if (len < sizeof(line))
		snprintf(line + len, sizeof(line) - len, " total=%.3f\n", (double)(t->last_ns - t->start_ns) / 1e6);
	fputs(line, out);
}
