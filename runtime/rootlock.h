/*
 * rootlock.h — one run at a time per root, many roots at once.
 *
 * A root is named by the st_dev:st_ino of its directory (so two spellings
 * of one path, or a bind mount of it, are the same root) and locked with
 * flock(2) on DIR/locks/DEV:INO, where DIR is the journal's directory.  The
 * kernel drops the lock when the holder dies, so a SIGKILLed executor never
 * leaves a root locked, and recover can take the lock to know the executor
 * is gone.  A second lock on the root's absolute path covers a root
 * that a run has mounted over (rootlock_acquire_path).
 */
#ifndef MOUNTPLAN_ROOTLOCK_H
#define MOUNTPLAN_ROOTLOCK_H

#include <stdint.h>

#include "error.h"

/*
 * Take the lock of root dev:ino, waiting up to timeout_ms (0: do not
 * wait).  *ret_fd holds the lock until closed.  -EBUSY, naming the pid of
 * the holder, when it stays taken.
 */
int rootlock_acquire(const char *journal_path, uint64_t dev, uint64_t ino, int timeout_ms, int *ret_fd,
		     struct mp_error *err);

/*
 * The second lock of a root, on its absolute path: after a mount on "/"
 * the path shows that mount's dev:ino, not the directory's, and two runs
 * on the one path must still exclude each other.  Taken after the dev:ino
 * lock (always in that order: no deadlock).
 */
int rootlock_acquire_path(const char *journal_path, const char *root, int timeout_ms, int *ret_fd,
			  struct mp_error *err);

#endif
