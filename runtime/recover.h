/*
 * recover.h — undoing a run from its journal rows and what the kernel shows
 * now, in a process that did not run it: `mrun rollback` (an applied run,
 * outcomes recorded) and `mrun recover` (a run whose executor died, only
 * intents recorded).  Every action is checked against the kernel first and
 * is idempotent, so a rollback or recover that is itself killed can simply
 * be run again.
 */
#ifndef MOUNTPLAN_RECOVER_H
#define MOUNTPLAN_RECOVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "journal.h"
#include "timings.h"

enum recover_mode {
	RECOVER_ROLLBACK, /* outcomes known: undo steps done (or whose undo failed before) */
	RECOVER_CRASHED,  /* executor died: reconcile every step's intent with the kernel */
};

struct recover_result {
	uint32_t undone;     /* steps whose effect was found and undone */
	uint32_t failed;     /* steps whose undo failed (reported on log) */
	enum run_state state; /* the state written to the journal */
};

/* True when the run's executor is gone: another boot, or no process with its pid and start time. */
bool recover_executor_gone(const struct journal_run *run);

/*
 * Undo run (read from j) in reverse step order, as the kernel shows it now:
 *   mounts   unmounted only if it is the one the run made: its recorded
 *            unique id, found wherever a rename has moved it (even out of
 *            the root), or for a crashed run an id above the run's
 *            watermark at the target (or moved away from every target,
 *            with the target's name); without MNT_DETACH: a busy mount is
 *            an undo failure, reported, and stays;
 *   loops    detached only if backed by the recorded image inode (for a
 *            crashed run: tagged with the run's pid, start time and step);
 *   paths    removed only if the run created them (for a crashed run: not
 *            there before and born after the run started), empty and not a
 *            mount point; a mount point where its mount was found, others
 *            by path (a holding directory that is no longer one is
 *            reported, not taken as "already gone");
 *   attrs    restored (the bits the step changed) on the mount at the path.
 * Each step's result and the run's new state go to the journal in one
 * transaction.  The caller holds the root's lock.  One line per step that
 * did something, or failed, goes to log (may be NULL).
 */
int recover_undo_run(struct journal *j, const struct journal_run *run, enum recover_mode mode, FILE *log,
		     struct timings *clock, struct recover_result *ret, struct mp_error *err);

/*
 * Compare applied run with the kernel: one line on out per mount no longer
 * at its target with its recorded unique id (gone, or another mount on
 * top) and per loop device no longer backed by its image; *ret_diffs
 * counts them.
 */
int recover_verify_run(struct journal *j, const struct journal_run *run, FILE *out, uint32_t *ret_diffs,
		       struct mp_error *err);

#endif
