/*
 * timings.h — where one mrun command's time goes, phase by phase
 * (`mrun apply --timings`).  A phase is the time between two marks on
 * CLOCK_MONOTONIC; the first starts when the clock is started.  Off (or a
 * NULL clock, for code that may be handed none), a mark costs a branch; on,
 * one clock_gettime (vDSO, tens of ns).  `mrun apply` and `mrun rollback`
 * take --timings.  The line is for people and for tests/bench/run-bench.sh,
 * which takes each phase's median over its rounds:
 *
 *   mrun: timings (ms): load+verify=0.351 journal-open=0.512 ... total=7.021
 */
#ifndef MOUNTPLAN_TIMINGS_H
#define MOUNTPLAN_TIMINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TIMINGS_MAX 16

struct timings {
	bool on;
	unsigned n;
	uint64_t start_ns, last_ns;
	const char *name[TIMINGS_MAX];
	uint64_t ns[TIMINGS_MAX];
};

/* Start the clock (nothing is measured unless on). */
void timings_start(struct timings *t, bool on);

/* The time since the previous mark (or the start) was spent in phase NAME (a static string); t may be NULL. */
void timings_mark(struct timings *t, const char *name);

/* One line "PREFIX: timings (ms): NAME=MS ... total=MS" on out, if on and anything was marked; t may be NULL. */
void timings_print(const struct timings *t, FILE *out, const char *prefix);

#endif
