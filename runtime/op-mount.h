/*
 * op-mount.h — the mount operations, each on fds: clone, set attributes,
 * attach, filesystem contexts, classic mount(2), helpers, unmount and the
 * inspection undo needs (prior attributes and propagation).
 *
 * Attribute words are MOUNT_ATTR_* (what mount_setattr and fsmount take);
 * propagation words are MS_SHARED / MS_PRIVATE / MS_SLAVE / MS_UNBINDABLE.
 */
#ifndef MOUNTPLAN_OP_MOUNT_H
#define MOUNTPLAN_OP_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The attribute bits undo can restore (the rest of MOUNT_ATTR_* is not a per-mount flag). */
#define MOUNT_ATTRS_RESTORABLE 0x002000FFu

/* Clone the mount tree at fd (open_tree OPEN_TREE_CLONE [AT_RECURSIVE]) as a detached tree. */
int mount_clone(int fd, bool recursive, int *ret_tree, struct mp_error *err);

/* Clone the mount tree at a host path (the admin's path: symlinks followed, as open(2) would). */
int mount_clone_path(const char *path, bool recursive, int *ret_tree, struct mp_error *err);

/*
 * mount_setattr on fd itself (AT_EMPTY_PATH), [AT_RECURSIVE]: attr set,
 * attr clear, propagation (0 = keep), userns_fd (-1 = no idmap).  An atime
 * mode in attr_set also clears MOUNT_ATTR__ATIME, as the kernel requires.
 */
int mount_setattr_fd(int fd, bool recursive, uint32_t attr_set, uint32_t attr_clr, uint32_t propagation,
		     int userns_fd, struct mp_error *err);

/* Attach the detached (or attached) tree onto target_fd with move_mount. */
int mount_move(int tree_fd, int target_fd, struct mp_error *err);

/* fsopen(type) with FSOPEN_CLOEXEC. */
int mount_fs_open(const char *type, int *ret_fs, struct mp_error *err);

/* fsconfig SET_FLAG (value NULL) or SET_STRING; on failure the kernel's own messages are in err. */
int mount_fs_set(int fs_fd, bool flag, const char *key, const char *value, struct mp_error *err);

/*
 * fsconfig SET_FD key = fd (overlay takes its layers this way since 6.13 and
 * then shows their real paths); -EINVAL (messages drained) when the
 * filesystem does not take an fd for key, so the caller can pass
 * /proc/self/fd/N as a string instead.
 */
int mount_fs_set_fd(int fs_fd, const char *key, int fd, struct mp_error *err);

/* fsconfig CMD_CREATE then fsmount with attr (MOUNT_ATTR_*): the detached mount in *ret_tree. */
int mount_fs_create(int fs_fd, uint32_t attr, int *ret_tree, struct mp_error *err);

/* Drain the fs context's message log ("e ...", "w ...", "i ..." lines) into buf, "; "-separated. */
void mount_fs_messages(int fs_fd, char *buf, size_t n);

/* Classic mount(2) of source (may be NULL) onto /proc/self/fd/target_fd. */
int mount_classic(const char *type, const char *source, int target_fd, unsigned long flags, const char *data,
		  struct mp_error *err);

/*
 * Run the mount helper for type (/sbin/mount.TYPE, for fuse.X also
 * /sbin/mount.fuse -t TYPE) with the target as /proc/self/fd/N of
 * target_fd, inherited by the helper only.  Waits for it by PID; a non-zero
 * exit puts its status and stderr in err.
 */
int mount_helper(const char *type, const char *source, int target_fd, const char *options, struct mp_error *err);

/* umount2 of the mount fd is the root of, through /proc/self/fd (so with MNT_DETACH: the fd is a user). */
int mount_detach_fd(int fd, struct mp_error *err);

/* MOUNT_ATTR_* bits of the mount fd is on (from statfs f_flags). */
int mount_attr_of(int fd, uint32_t *ret_attr, struct mp_error *err);

/* Propagation (MS_SHARED/MS_SLAVE/MS_UNBINDABLE/MS_PRIVATE) of the mount fd is on, from mountinfo. */
int mount_propagation_of(int fd, uint32_t *ret_prop, struct mp_error *err);

/* Mask: /dev/null (checked to be the char device 1:3) over a file, an empty read-only tmpfs over a directory. */
int mount_mask(int target_fd, int *ret_tree, struct mp_error *err);

/* Build "lowerdir=" value from layer names joined with ':' into buf; -E2BIG if it does not fit. */
int mount_join_layers(const char *const *names, size_t n, char *buf, size_t size);

#endif
