/*
 * resolve.h — turning plan paths into O_PATH fds without ever leaving the
 * root.  Every in-root path goes through openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) relative to the root fd, so ".." and absolute
 * symlinks stop at the root and /proc magic links are refused; mounts are
 * then made onto the fd, never onto a path string, so a symlink swapped
 * after the check cannot redirect them.
 */
#ifndef MOUNTPLAN_RESOLVE_H
#define MOUNTPLAN_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U /* Linux 6.8: 64-bit mount id never reused */
#endif

/* Room for "/proc/self/fd/" and any int. */
#define RESOLVE_PROC_FD_MAX 32

/* Open PATH (absolute, normalized, "/" = the root) inside root_fd as an O_PATH fd (symlinks followed, in root). */
int resolve_in_root(int root_fd, const char *path, int *ret_fd, struct mp_error *err);

/*
 * Like resolve_in_root, but every component must be a real directory entry:
 * -ELOOP when a symlink is on the way.  -ENOENT then also means the existing
 * part of PATH has no symlink.  exec.c uses it to know that what PATH resolves
 * to can only be changed by a mount on PATH or on one of its textual prefixes.
 */
int resolve_in_root_plain(int root_fd, const char *path, int *ret_fd, struct mp_error *err);

/* Like resolve_in_root with extra open flags (O_DIRECTORY, O_RDONLY instead of O_PATH...). */
int resolve_in_root_flags(int root_fd, const char *path, uint64_t oflags, int *ret_fd, struct mp_error *err);

/* Open a host path O_PATH (the plan's host sources: the admin's files). */
int resolve_host(const char *path, int *ret_fd, struct mp_error *err);

/*
 * What a create made, so that it can be taken back without walking PATH
 * again (the root's owner may rename or swap a directory on the way
 * meanwhile): for each component made, the directory it was made in and
 * its identity.
 */
struct resolve_made_one {
	int dir_fd;      /* O_PATH|O_DIRECTORY: the directory it was made in */
	uint32_t level;  /* its component number in PATH (1: the first) */
	uint64_t dev, ino;
};

struct resolve_made {
	uint32_t n;
	struct resolve_made_one *one;
};

/* Close and free what m holds (a zeroed m is fine). */
void resolve_made_free(struct resolve_made *m);

/*
 * Remove what m records, deepest first: each entry only while it is still
 * the very inode made (same name in the same directory), empty, and not a
 * mount point; never through a symlink.  Stops at the first that cannot go
 * and says why; *ret_removed: how many went (an entry already gone counts).
 * The removed ones leave m.
 */
int resolve_remove_made(struct resolve_made *m, const char *path, uint32_t *ret_removed, struct mp_error *err);

/*
 * Create PATH inside the root and its missing parents, component by
 * component: each component is created with mkdirat()/openat() on the fd
 * of its parent and then resolved again from the root with openat2, so a
 * component swapped for a symlink meanwhile still resolves inside the
 * root.  The last component is an empty regular file (mode file_mode)
 * when as_file, else a directory (mode dir_mode).  Sets *ret_created to
 * the number of trailing components created (0: it all existed) and
 * returns the O_PATH fd of PATH in *ret_fd (if ret_fd is not NULL).
 * ret_made (may be NULL): what was made, for resolve_remove_made (one fd
 * per component made).  A create that fails half-way takes back what it
 * made itself; *ret_created then counts what it could not.
 */
int resolve_create_in_root(int root_fd, const char *path, bool as_file, uint32_t dir_mode,
			   uint32_t file_mode, uint32_t *ret_created, int *ret_fd, struct resolve_made *ret_made,
			   struct mp_error *err);

/*
 * Remove the n trailing components of PATH that a create made, deepest
 * first: rmdir (or unlink of an empty regular file for the last one) only,
 * and only for a component that is not a mount point.  A holding
 * directory that is not one right now (a rename exchange in progress) is
 * looked up again a bounded number of times first.  Stops at the first
 * one that cannot go and reports it; *ret_removed says how many went.
 */
int resolve_remove_created(int root_fd, const char *path, uint32_t n, uint32_t *ret_removed,
			   struct mp_error *err);

/* "/proc/self/fd/N" of fd into buf (RESOLVE_PROC_FD_MAX bytes). */
void resolve_proc_fd(int fd, char buf[RESOLVE_PROC_FD_MAX]);

/* Unique mount id (STATX_MNT_ID_UNIQUE) of the mount fd is on, and whether fd is that mount's root. */
int resolve_mount_of(int fd, uint64_t *ret_mnt_id, bool *ret_is_root, struct mp_error *err);

/* Old-style mount id (the first field of /proc/self/mountinfo) of the mount fd is on. */
int resolve_mountinfo_id(int fd, uint64_t *ret_id, struct mp_error *err);

/* Number of components of a normalized absolute path ("/" has 0). */
uint32_t path_components(const char *path);

/* Copy into buf (size n) the prefix of PATH made of its first k components ("/" for k == 0). */
int path_prefix(const char *path, uint32_t k, char *buf, size_t n);

#endif
