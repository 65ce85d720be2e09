/*
 * exec.h — the interpreter: runs a verified program against a root, one
 * instruction (step) at a time, recording in struct step_state[] what each
 * step did so undo.c can reverse it and the journal can persist it.
 *
 * Life of a run, and where the journal (issue 5) plugs in:
 *
 *   exec_init()        no syscall that changes state.  Allocates registers
 *                      and steps[n_insns] (all STEP_PENDING).
 *   exec_prepare()     resolves and inspects, still changing nothing: for
 *                      MKDIR/MKPOINT whether PATH exists (existed_before,
 *                      and created_components = how many trailing
 *                      components are missing now), for REMOUNT/PROPAGATE
 *                      on an existing mount its current attributes and
 *                      propagation.  These are the step INTENTS.
 *      HOOK 1 ->       journal_begin_run(steps) here: one transaction,
 *                      before the first state-changing syscall.
 *   exec_run()         runs the program.  Each step's outcome (status,
 *                      mount id, loop number and backing inode, prior
 *                      attrs, park path, error) lands in steps[i].  An
 *                      optional entry that fails is undone on the spot and
 *                      skipped.  A failing non-optional step stops the
 *                      run: exec_run returns its error with
 *                      ctx->failed_step set, and has NOT undone anything
 *                      yet, so a caller may record the failure first.
 *      HOOK 2 (opt.)   hooks.after_step(data, i, &steps[i]) after every
 *                      step: for a per-step commit where one is justified.
 *   undo_run()         (undo.c) reverses done steps [0, failed_step) in
 *                      reverse order; each result in steps[i].status
 *                      (STEP_UNDONE / STEP_UNDO_FAILED + error).
 *      HOOK 3 ->       journal_finish_run(steps) after exec_run succeeded
 *                      or after undo_run: one transaction.
 *   exec_fini()        closes every register and the root fds.
 *
 * Registers hold kernel objects by number (opcodes.def: the W and R operands).
 */
#ifndef MOUNTPLAN_EXEC_H
#define MOUNTPLAN_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "program.h"
#include "step.h"

#define EXEC_NO_STEP UINT32_MAX
#define EXEC_LOOP_TAG_MAX 64
#define EXEC_PARK_DIR "/run/mountplan/park"
/* How often exec_run asks for pending stop signals: a step boundary at most this long after one arrives. */
#define EXEC_SIGNAL_CHECK_NS 1000000u
/* Open fds exec_prepare leaves for everything else (overlay layers, the journal, helpers). */
#define EXEC_FD_RESERVE 256u

enum reg_kind {
	REG_EMPTY,
	REG_LOOP,   /* loop_nr, and fd open on /dev/loopN (keeps an autoclear device alive) */
	REG_USERNS, /* fd on a user namespace */
	REG_TREE,   /* fd of a mount (detached or attached) */
	REG_FS,     /* fs context fd, plus the fds its path parameters name */
	REG_PARK,   /* fd on a parked mount + its directory name */
};

/* A filesystem parameter held back by the overlay lowerdir= fallback (exec.c). */
struct fs_param {
	char *key;
	char *value; /* NULL for a flag or an fd */
	int fd;      /* -1 unless the parameter names a path */
	bool flag;
};

struct exec_reg {
	enum reg_kind kind;
	int fd;
	int32_t loop_nr;
	uint32_t writer; /* the instruction that wrote it: UNDO_CLOSE closes only its own object */
	/* REG_FS: fds named by /proc/self/fd/N in fsconfig values; they must live until
	 * FSCONFIG_CMD_CREATE, which is when most filesystems look their source up. */
	int *held;
	uint32_t n_held, cap_held;
	/* REG_FS overlay without lowerdir+: the layer fds, in order, joined at FSMOUNT */
	int *layers;
	uint32_t n_layers, cap_layers;
	bool lowerdir_fallback;
	struct fs_param *deferred; /* REG_FS in the fallback: parameters after the first layer */
	uint32_t n_deferred, cap_deferred;
	bool no_set_fd; /* REG_FS: the filesystem refused FSCONFIG_SET_FD once: use /proc/self/fd strings */
	bool is_overlay; /* REG_FS of type overlay */
	bool recursive;  /* REG_TREE cloned with AT_RECURSIVE: attributes go to the whole clone */
};

struct exec_hooks {
	void *data;
	/* after every step that ran (done, skipped, failed); a non-zero return fails the run */
	int (*after_step)(void *data, uint32_t index, const struct step_state *st);
	/* the lo_file_name to give the loop device step `index` attaches (e.g. probe_loop_tag) */
	void (*loop_tag)(void *data, uint32_t index, char buf[EXEC_LOOP_TAG_MAX]);
};

struct exec_ctx {
	const struct program *prog;
	const char *root_path;  /* for messages */
	int root_fd;            /* O_PATH|O_DIRECTORY: the root as it is now (re-opened after a mount on "/") */
	int *root_stack;        /* the previous root fds, one pushed per mount onto "/" */
	uint32_t n_root_stack;
	uint64_t root_ino, root_mnt; /* identity of root_fd (statx), to spot a target that is the root itself */
	uint32_t root_dev_major, root_dev_minor;
	bool root_known;
	struct exec_reg *regs;  /* hdr.n_regs */
	struct step_state *steps; /* hdr.n_insns */
	uint32_t *root_pushed;  /* per step: 1 if it pushed the root stack */
	uint32_t failed_step;   /* EXEC_NO_STEP while none */
	bool dry_run;
	bool verbose;
	FILE *log;              /* -v lines, optional-entry notices, dry-run output; NULL: quiet */
	const char *park_dir;   /* where PARK makes its temporary mount points (EXEC_PARK_DIR if NULL) */
	int park_dir_fd;        /* park_dir, opened on first PARK */
	bool no_lowerdir_plus;  /* test hook: act as if the kernel lacked overlay lowerdir+ */
	bool check_signals;     /* the caller blocked SIGINT/SIGTERM/SIGHUP/SIGQUIT: a pending one
	                         * fails the run at a step boundary (looked for at most every
	                         * EXEC_SIGNAL_CHECK_NS), so it is rolled back */
	uint64_t signals_checked_ns; /* when exec_run last asked the kernel for pending signals */
	/* The target MKDIR/MKPOINT just resolved (or made), handed over to the step that mounts
	 * on the same PATH: one lookup per mount point, and the mount lands on the very
	 * directory that step checked.  Dropped by every step that may change what a path
	 * resolves to (exec.c: op_keeps_paths). */
	int resolved_fd;
	uint32_t resolved_path; /* strtab offset of its PATH */
	bool resolved_plain;    /* it was reached without a symlink */
	/* Per step: the O_PATH fd exec_prepare found MKDIR/MKPOINT's PATH at, kept when no
	 * mount of the run can cover it before the step (exec.c: prepare_scan), so the step
	 * does not look it up again; -1 otherwise.  All closed once prepared_valid goes false
	 * (a mount on the root, an optional entry undone, a failure). */
	int *prepared_fd;
	bool prepared_valid;
	/* ROOT_BIND as the first step: the run's own mount of the root.  exec_prepare clones
	 * the root (a detached tree, nothing visible yet) and looks at the clone, so what it
	 * resolves is already inside the mount ROOT_BIND then attaches; kept open after, so
	 * undo_run can detach it with every mount of the run below it at once.  -1: none. */
	int run_root_fd;
	uint64_t run_root_id;   /* its unique mount id, taken before the run's watermark (0: none) */
	uint64_t *root_copies;  /* ROOT_BIND: the ids of the copies its recursive clone made of the
	                         * mounts already in the root (sorted; they are the run's too) */
	size_t n_root_copies;
	uint32_t fd_budget;     /* fds the run may still keep open for later steps (prepare_fd_budget) */
	struct exec_hooks hooks;
};

/* Block the signals that should stop a run (exec_run then sees them between steps). */
int exec_block_signals(struct mp_error *err);

/* Set up ctx for prog on root_fd (taken over: exec_fini closes it). No state-changing syscall. */
int exec_init(struct exec_ctx *ctx, const struct program *prog, int root_fd, const char *root_path,
	      struct mp_error *err);

/* Inspect without changing anything: fill the steps' intents (see above). */
int exec_prepare(struct exec_ctx *ctx, struct mp_error *err);

/* Run the program; on failure ctx->failed_step names the step and nothing is undone yet. */
int exec_run(struct exec_ctx *ctx, struct mp_error *err);

/* --dry-run: print each instruction, its resolved path and what it would do; changes nothing. */
int exec_dry_run(struct exec_ctx *ctx, FILE *out, struct mp_error *err);

/* "plan.yaml:12:5" of instruction i into buf. */
void exec_where(const struct exec_ctx *ctx, uint32_t i, char *buf, size_t n);

/* Close every register, the park directory and the root fds; free everything. */
void exec_fini(struct exec_ctx *ctx);

/* Internal to exec.c and undo.c: release what register r holds. */
void exec_reg_release(struct exec_reg *r);

/* Close the fds exec_prepare kept: from now on every step looks its path up itself. */
void exec_prepared_invalidate(struct exec_ctx *ctx);

/* Internal to exec.c and undo.c: make fd the root, pushing the old one (mount onto "/"). */
int exec_push_root(struct exec_ctx *ctx, uint32_t step, int new_root_fd);

/* Internal to exec.c and undo.c: step's mount on "/" is gone: go back to the root before it. */
void exec_pop_root(struct exec_ctx *ctx, uint32_t step);

#endif
