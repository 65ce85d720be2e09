/*
 * mount-find.h — finding a mount again by its unique mount id, wherever
 * its mount point is now, for undo (undo.c) and recovery (recover.c).
 *
 * A run records the unique id (STATX_MNT_ID_UNIQUE) of every mount it
 * makes.  Finding the mount again by its recorded PATH fails when the
 * root's owner renames or exchanges a parent directory meanwhile (a
 * rename moves the mounts below with the directory): the path then shows
 * a FIFO, a symlink, or nothing.  The kernel knows where the mount is:
 * statmount(2) (Linux 6.8) gives its mount point's path now, and the
 * mount is then opened there and checked to be the very mount with that
 * id, so a path swapped between the two is detected and the lookup
 * retried.  Nothing here unmounts or removes anything but
 * mount_point_remove, which removes an empty directory or file only.
 */
#ifndef MOUNTPLAN_MOUNT_FIND_H
#define MOUNTPLAN_MOUNT_FIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* How often a lookup raced by a rename is tried again before it fails. */
#define MOUNT_FIND_TRIES 200

/* A mount found by id: the directory its mount point is in, and the mount itself. */
struct mount_found {
	int parent_fd;  /* O_PATH|O_DIRECTORY: the directory holding the mount point */
	char name[256]; /* the mount point's name in it (the kernel refuses to rename a mount point) */
	int fd;         /* O_PATH on the mount's root, checked to carry the id */
	bool in_root;   /* the mount point is below the root it was looked up from */
	bool checked;   /* parent_fd + name was just statx'ed and showed the mount (the hint, without fd) */
	char *rel;      /* in_root: the mount point's path now, relative to that root ("/t2/m1"); else NULL */
	char *path;     /* the mount point's path now, as this process sees it (for messages) */
	uint64_t shown; /* -ESTALE only: the mount seen where this one is (0: none) */
};

/* Close and free what f holds (accepts a zeroed or already released f with fds -1). */
void mount_found_release(struct mount_found *f);

/*
 * Find the mount with unique id `id` in this mount namespace: its mount
 * point's path from statmount, the parent directory opened without
 * following any symlink (from root_fd when the mount point is below the
 * root, else from "/"), and the mount there checked to be the root of
 * mount `id`.  A path that changes under the lookup is tried again
 * (MOUNT_FIND_TRIES).  -ENOENT: no such mount here (gone); -ESTALE:
 * another mount covers it (ret->shown: that mount's id, the only field
 * then written); -EAGAIN: its path kept changing; -EBUSY: it is mounted
 * on the root itself (callers handle "/" on their own).
 * hint (may be NULL): the path inside the root the mount was made on,
 * looked at first and checked the same way, which spares the statmount
 * when nothing was renamed.  need_fd: also return ret->fd (else -1).
 */
int mount_find(int root_fd, uint64_t id, const char *hint, bool need_fd, struct mount_found *ret,
	       struct mp_error *err);

/*
 * Remove the entry f->name in f->parent_fd once the mount is gone: an
 * empty directory (rmdir), or when file_ok an empty regular file; never
 * a symlink, anything else, anything not empty, a mount point.  Only
 * when f->in_root.  -ENOENT when it is gone already.
 */
int mount_point_remove(const struct mount_found *f, bool file_ok, struct mp_error *err);

/* A mount newer than a watermark, below the root, and where its mount point is now. */
struct mount_newer {
	uint64_t id;
	char *rel; /* relative to the root: "/t2/m1" */
};

/*
 * Every mount of this mount namespace with a unique id above watermark
 * (listmount(2)) whose mount point is below root_fd (statmount), in
 * *ret (malloc'd, mount_newer_free).  For a crashed run, whose mount ids
 * were never recorded: its mounts are among these.
 */
int mount_list_newer(int root_fd, uint64_t watermark, struct mount_newer **ret, size_t *ret_n,
		     struct mp_error *err);
void mount_newer_free(struct mount_newer *m, size_t n);

/*
 * The unique ids of every mount below mount `id`, at any depth
 * (listmount(2) walks the whole subtree), sorted ascending, in *ret
 * (malloc'd).  -ENOENT when there is no such mount in this namespace.
 */
int mount_list_below(uint64_t id, uint64_t **ret, size_t *ret_n, struct mp_error *err);

/* Whether mount id is (still) in this mount namespace (statmount does not answer ENOENT). */
bool mount_is_attached(uint64_t id);

/* Sort ids ascending, for mount_id_in. */
void mount_ids_sort(uint64_t *ids, size_t n);

/* Whether id is in the ascending array sorted[0..n). */
bool mount_id_in(const uint64_t *sorted, size_t n, uint64_t id);

#endif
