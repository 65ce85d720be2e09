/*
 * runctl.h — the journal's commands, as functions main.c calls: rollback,
 * recover, status, history, show, verify, and the re-apply check of apply.
 * They write their report to out (a table, or JSON with json = true) and
 * return 0, or a negative errno with err filled; main.c prints err and
 * picks the exit status.
 */
#ifndef MOUNTPLAN_RUNCTL_H
#define MOUNTPLAN_RUNCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

struct runctl_opts {
	const char *journal;  /* database path (JOURNAL_DEFAULT_PATH if NULL) */
	int lock_timeout_ms;  /* how long to wait for a busy root */
	bool json;
};

/*
 * Tear down run `run` (or, with run <= 0, the last applied run on root) in
 * reverse.  Also retries a run whose earlier undo failed.  -EBUSY when
 * some undo failed: the run is then 'failed' and can be rolled back again.
 */
int runctl_rollback(FILE *out, const struct runctl_opts *o, int64_t run, const char *root, struct mp_error *err);

/* Undo every 'running' run whose executor is gone; -EBUSY if some undo failed. */
int runctl_recover(FILE *out, const struct runctl_opts *o, struct mp_error *err);

/* Runs by state, and the runs in progress with whether their executor lives. */
int runctl_status(FILE *out, const struct runctl_opts *o, struct mp_error *err);

/* The newest runs (limit 0: all). */
int runctl_history(FILE *out, const struct runctl_opts *o, unsigned limit, struct mp_error *err);

/* One run and its steps. */
int runctl_show(FILE *out, const struct runctl_opts *o, int64_t run, struct mp_error *err);

/*
 * Does the kernel still match applied run `run`: every mount it made still
 * at its target with its unique id, every loop still backed by its image.
 * -ESTALE with the first difference in err, every difference on out.
 */
int runctl_verify(FILE *out, const struct runctl_opts *o, int64_t run, struct mp_error *err);

/*
 * Before an apply of plan_sha256 (hex) on root dev:ino: 1 (with *ret_run)
 * when the newest applied run there is this plan and the kernel still
 * matches it (nothing to do), 0 when there is no such run, -EEXIST
 * (conflict) when it is this plan but the mounts drifted.
 */
int runctl_check_reapply(const struct runctl_opts *o, const char *plan_sha256_hex, uint64_t root_dev,
			 uint64_t root_ino, int64_t *ret_run, struct mp_error *err);

#endif
