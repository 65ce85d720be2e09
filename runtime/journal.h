/*
 * journal.h — mountplan's run journal in SQLite (schema: schema/journal.sql).
 *
 * Protocol v4 ("intent ahead, reconcile on recovery", DESIGN.md; the
 * tables and blob formats in schema/journal.sql, migration 4):
 *   journal_begin_run    ONE transaction before the executor's first
 *                        syscall: the run (plan hash, root, namespace, boot,
 *                        pid + start time, mount-id watermark), its program
 *                        (the verified .mpb bytes, once) and the intent of
 *                        each step whose intent is not the default (struct
 *                        step_state as exec_prepare filled it: a missing
 *                        mount point, prior attributes or propagation), one
 *                        packed blob for all of them.
 *   journal_finish_run   ONE transaction at the end: the run's state, every
 *                        step's status, mount id, duration and created
 *                        components packed in one blob, and a full row
 *                        only for a step that carries more (a loop device,
 *                        a park path, an error, made_mount, what it learnt
 *                        while running).  Rollback and recover write their
 *                        results the same way; each finish replaces every
 *                        outcome of the one before.
 * Nothing is committed between the two: the kernel itself (unique mount
 * ids above the watermark, loop backing inodes, paths that were missing)
 * tells recover.c how far a killed run got.  Runs recorded by older
 * versions (a row per step) read back as they always did.
 *
 * Durability: the database must survive the death of the process at any
 * instruction, not a power cut (the mounts it describes do not survive one
 * either); journal.c picks journal_mode and synchronous for that, see the
 * figures in its header comment.
 */
#ifndef MOUNTPLAN_JOURNAL_H
#define MOUNTPLAN_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "probe.h"
#include "program.h"
#include "step.h"

#define JOURNAL_DEFAULT_PATH "/run/mountplan/journal.db"
#define JOURNAL_DEFAULT_BUSY_MS 10000

/* journal_open flags */
#define JOURNAL_CREATE 0x1u   /* create the file (and its directory, 0700) if missing; migrate */
#define JOURNAL_READONLY 0x2u /* only read: status, history, show */

#define JOURNAL_RUN_STATES(X) \
	X(RUN_RUNNING, "running") X(RUN_APPLIED, "applied") X(RUN_ROLLED_BACK, "rolled_back") \
	X(RUN_FAILED, "failed") X(RUN_RECOVERED, "recovered")

enum run_state {
#define JOURNAL_STATE_ENUM(e, s) e,
	JOURNAL_RUN_STATES(JOURNAL_STATE_ENUM)
#undef JOURNAL_STATE_ENUM
	RUN__COUNT
};

struct journal;

/* What the caller knows about a run; journal_begin_run adds nothing else. */
struct journal_run_info {
	const char *plan_file;
	const uint8_t *plan_sha256; /* 32 bytes */
	const char *bytecode;       /* path of the .mpb, or NULL */
	const char *root;
	uint64_t root_dev, root_ino;
	const char *container_id;   /* or NULL */
	const char *park_dir;       /* where PARK makes its mount points, or NULL */
	struct run_facts facts;     /* probe_run_facts(), taken just before begin */
};

/* One run as read back. Strings are owned; journal_run_free releases them. */
struct journal_run {
	int64_t id;
	enum run_state state;
	char plan_sha256[65];
	char *plan_file, *bytecode, *root, *container_id, *error, *park_dir;
	uint64_t root_dev, root_ino;
	struct run_facts facts;
	uint32_t n_steps;
	int64_t started_ns, finished_ns; /* finished_ns 0 while running */
	int64_t failed_step;             /* -1 if none */
};

/* One step as read back: the instruction decoded, its intent and outcome. */
struct journal_step {
	uint32_t index;
	enum op op;
	uint32_t flags, entry, line, col;
	uint32_t operand[MP_NOPERANDS]; /* numeric operands (string operands: 0) */
	char *path, *src;               /* owned, NULL if the op has none */
	uint32_t would_create;          /* intent: components missing at begin */
	struct step_state st;           /* intent + outcome; st.error and st.park_path owned */
};

const char *run_state_name(enum run_state s);
int run_state_parse(const char *s, enum run_state *ret);

/*
 * Open (and with JOURNAL_CREATE create and migrate) the journal at path.
 * A corrupt, truncated, foreign, too-new, read-only (when writing) or
 * locked file gives a clear error naming the path; nothing is changed.
 */
int journal_open(const char *path, unsigned flags, int busy_timeout_ms, struct journal **ret,
		 struct mp_error *err);
void journal_close(struct journal *j);
static inline void journal_closep(struct journal **j)
{
	if (*j)
		journal_close(*j);
}
const char *journal_path(const struct journal *j);

/*
 * Override journal_mode and synchronous for the connections opened after
 * this call (the benchmark compares them; mrun never calls it).
 */
void journal_set_tuning(const char *journal_mode, const char *synchronous);

/* The schema version of the open database, and the newest this build knows. */
int journal_schema_version(struct journal *j, int *ret, struct mp_error *err);
int journal_schema_latest(void);

/* PRAGMA quick_check: -EIO with the first problem if the file is damaged. */
int journal_check(struct journal *j, struct mp_error *err);

/*
 * Record a run, its program (p->bytes, which must be set: a program from
 * program_load_file or program_load_bytes) and the intent of its
 * n = p->hdr.n_insns steps in one transaction; *ret_run is its id.
 * steps[i] is the intent of instruction i (created_components: the
 * components missing at begin).
 */
int journal_begin_run(struct journal *j, const struct journal_run_info *info, const struct program *p,
		      const struct step_state *steps, int64_t *ret_run, struct mp_error *err);

/*
 * Record the run's state, the failing step (or -1) and error text (or NULL)
 * and the outcome of every step that is not STEP_PENDING, in one
 * transaction.  Rollback and recover call it too, with the new outcomes.
 */
int journal_finish_run(struct journal *j, int64_t run, enum run_state state, const struct step_state *steps,
		       uint32_t n, int64_t failed_step, const char *error, struct mp_error *err);

/* Change only the run's state (and error text, if not NULL). */
int journal_mark(struct journal *j, int64_t run, enum run_state state, const char *error, struct mp_error *err);

/* Read one run; -ENOENT if there is none with that id. */
int journal_get_run(struct journal *j, int64_t run, struct journal_run *ret, struct mp_error *err);
void journal_run_free(struct journal_run *r);

/*
 * Read a run's steps in index order (*ret_n of them); free with
 * journal_steps_free.  A v4 run whose program, intents or outcomes do not
 * hold together is -EUCLEAN, the message naming the journal and the run.
 */
int journal_get_steps(struct journal *j, int64_t run, struct journal_step **ret, uint32_t *ret_n,
		      struct mp_error *err);
void journal_steps_free(struct journal_step *s, uint32_t n);

/*
 * The newest run on the root dev:ino in state `state` (any state when
 * RUN__COUNT); -ENOENT if none.
 */
int journal_last_run_on_root(struct journal *j, uint64_t dev, uint64_t ino, enum run_state state, int64_t *ret,
			     struct mp_error *err);

/*
 * The same, also matching runs recorded with the absolute root path `path`
 * (after a mount on "/" the path shows that mount, not the directory).
 */
int journal_last_run_on_root_path(struct journal *j, uint64_t dev, uint64_t ino, const char *path,
				  enum run_state state, int64_t *ret, struct mp_error *err);

/*
 * Call fn for runs, newest first: those in `state` (RUN__COUNT: all), at
 * most limit of them (0: no limit).  fn returning non-zero stops the walk
 * and is returned.
 */
int journal_list_runs(struct journal *j, enum run_state state, unsigned limit,
		      int (*fn)(const struct journal_run *r, void *ud), void *ud, struct mp_error *err);

/* Write the runs journal_list_runs would visit as one JSON array (SQLite's json functions). */
int journal_runs_json(struct journal *j, enum run_state state, unsigned limit, FILE *out, struct mp_error *err);

/*
 * Delete the runs that are over (rolled_back, recovered) but the newest
 * `keep` of them, with their steps, in one transaction; *ret_pruned says
 * how many.  Applied, running and failed runs still describe the kernel
 * and are never deleted.
 */
int journal_prune(struct journal *j, unsigned keep, unsigned *ret_pruned, struct mp_error *err);

/*
 * Write the run and its steps as one JSON object: the steps as
 * journal_get_steps reads them, every object built by SQLite's json
 * functions (no hand-written escaping), the same shape for every protocol.
 */
int journal_run_json(struct journal *j, int64_t run, FILE *out, struct mp_error *err);

#endif
