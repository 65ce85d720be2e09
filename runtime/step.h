/*
 * step.h — what the interpreter learns while running one instruction, so
 * that rollback can undo it and the journal can record it.  exec.c fills a
 * struct step_state per instruction; undo.c consumes it in reverse; the
 * journal persists the intent fields before the first syscall and the
 * outcome fields at the end.
 */
#ifndef MOUNTPLAN_STEP_H
#define MOUNTPLAN_STEP_H

#include <stdbool.h>
#include <stdint.h>

#include "resolve.h"

enum step_status {
	STEP_PENDING,     /* not reached */
	STEP_DONE,        /* its syscalls succeeded; undo applies */
	STEP_SKIPPED,     /* jumped over (when: empty) or skipped (optional failure, mask of an absent path) */
	STEP_FAILED,      /* the step that failed */
	STEP_UNDONE,      /* rolled back */
	STEP_UNDO_FAILED, /* rollback tried and failed: see undo_error */
};

struct step_state {
	enum step_status status;
	bool existed_before;        /* MKDIR/MKPOINT: the path was there already (undo does nothing) */
	uint32_t created_components; /* MKDIR/MKPOINT: trailing path components this step created
	                              * (PATH itself and missing parents); undo removes exactly these,
	                              * deepest first, and only while they are empty and not mounted on */
	bool made_mount;            /* ROOT_BIND: false when the root already was a mount point */
	uint64_t mnt_id;            /* unique mount id (STATX_MNT_ID_UNIQUE) of the mount this step made */
	uint32_t prior_attr;        /* REMOUNT: MOUNT_ATTR_* of the mount before */
	uint32_t prior_propagation; /* PROPAGATE: MS_SHARED/... of the mount before */
	int32_t loop_nr;            /* LOOP_ATTACH: N of /dev/loopN, -1 if none */
	uint64_t backing_dev;       /* LOOP_ATTACH: st_dev/st_ino of the image */
	uint64_t backing_ino;
	char *park_path;            /* PARK: the temporary mount point (owned) */
	int err;                    /* errno of the failure (STEP_FAILED / STEP_UNDO_FAILED) */
	char *error;                /* message of the failure or undo failure (owned) */
	uint64_t duration_ns;       /* WAIT_*: how long the wait took */
	struct resolve_made made;   /* MKDIR/MKPOINT, this process only: where each created component
	                             * was made, so undo takes it back there (not journaled) */
};

const char *step_status_name(enum step_status s);

#endif
