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
#include "timings.h"

struct runctl_opts {
	const char *journal;  /* database path (JOURNAL_DEFAULT_PATH if NULL) */
	int lock_timeout_ms;  /* how long to wait for a busy root, and for a journal another process holds */
	bool json;
	struct timings *clock; /* rollback marks its phases here (--timings), or NULL */
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

/* Delete the rolled back and recovered runs but the newest `keep` (journal_prune). */
int runctl_prune(FILE *out, const struct runctl_opts *o, unsigned keep, struct mp_error *err);

/*
 * Does the kernel still match applied run `run`: every mount it made still
 * at its target with its unique id, every loop still backed by its image.
 * -ESTALE with the first difference in err, every difference on out.
 */
int runctl_verify(FILE *out, const struct runctl_opts *o, int64_t run, struct mp_error *err);

/*
 * `mrun apply` with the journal, in the order of the protocol:
 *   runctl_apply_open    open the journal (a bad one stops the apply before
 *                        any mount), lock the root, and check for a re-apply:
 *                        1 with *ret_already when this plan is applied there
 *                        and still matches the kernel (nothing to do),
 *                        -EEXIST when it is applied but drifted (conflict);
 *   runctl_apply_begin   after exec_prepare, before exec_run: the run facts
 *                        (watermark last, kept below first_mnt_id: the
 *                        clone exec_prepare made for ROOT_BIND, 0 if none)
 *                        and ONE transaction of intents;
 *   runctl_loop_tag      exec_hooks.loop_tag: names each loop device after
 *                        the run's pid, start time and step;
 *   runctl_apply_finish  ONE transaction with the outcome;
 *   runctl_apply_close   releases the lock and the journal.
 * With o->journal "off" (the benchmark baseline), every call does nothing.
 */
struct journal;
struct program;
struct step_state;
struct runctl_apply {
	struct journal *j;
	int lock_fd, path_lock_fd; /* the root's locks (rootlock.h) */
	int64_t run;
	bool off;
	int pid;
	uint64_t pid_start;
};

#define RUNCTL_APPLY_INIT { .lock_fd = -1, .path_lock_fd = -1 }

int runctl_apply_open(struct runctl_apply *a, const struct runctl_opts *o, const struct program *p,
		      const char *root, int64_t *ret_already, struct mp_error *err);
int runctl_apply_begin(struct runctl_apply *a, const struct program *p, const char *root, const char *bytecode,
		       const char *park_dir, const struct step_state *steps, uint64_t first_mnt_id,
		       struct mp_error *err);
void runctl_loop_tag(void *data, uint32_t index, char buf[64]);
int runctl_apply_finish(struct runctl_apply *a, const struct step_state *steps, uint32_t n, int64_t failed_step,
			const char *error, struct mp_error *err);
void runctl_apply_close(struct runctl_apply *a);

#endif
