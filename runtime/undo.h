/*
 * undo.h — rollback of completed steps, driven by struct step_state and
 * the opcode table's undo kind (schema/opcodes.def).
 */
#ifndef MOUNTPLAN_UNDO_H
#define MOUNTPLAN_UNDO_H

#include <stdint.h>

#include "error.h"
#include "exec.h"

/*
 * Undo one done step: unmount what it mounted (found by the unique id
 * recorded, wherever it is now: mount-find.h), detach its loop device (only
 * if still backed by the same inode), restore attributes or propagation,
 * remove the components it created (rmdir only, deepest first, never a
 * mount point), close its register.  Sets steps[i].status to STEP_UNDONE
 * or STEP_UNDO_FAILED (with steps[i].error).  Undoing a mount also removes
 * the mount point its MKDIR/MKPOINT step created, where the mount was
 * found, and marks that step STEP_UNDONE.
 */
int undo_step(struct exec_ctx *ctx, uint32_t i, struct mp_error *err);

/*
 * Undo every STEP_DONE step in [from, to) in reverse order, going on past
 * failures; returns the number of steps whose undo failed (0: all undone).
 */
uint32_t undo_range(struct exec_ctx *ctx, uint32_t from, uint32_t to);

/* Undo everything done before the failed step (or every done step); then close all registers. */
uint32_t undo_run(struct exec_ctx *ctx);

#endif
