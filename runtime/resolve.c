/*
 * resolve.c — plan paths to O_PATH fds, always inside the root (see
 * resolve.h for the contract).
 *
 * Why openat2 and not realpath + open: RESOLVE_IN_ROOT makes the kernel
 * treat the root fd as "/" for the whole walk, including symlink targets
 * and "..", atomically; RESOLVE_NO_MAGICLINKS refuses /proc/<pid>/root
 * style links that would jump out of it.  Any string-based check would be
 * racy against a process rewriting the rootfs while we run.
 */
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define RESOLVE_SCOPE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .mode = 0, .resolve = resolve };

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* "/a/b" -> "a/b"; "/" -> "." (openat2 refuses an empty path). */
static const char *relative_of(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

/* openat2 of PATH inside root_fd with the given resolve flags; what says how, in the error. */
static int open_in_root(int root_fd, const char *path, uint64_t oflags, uint64_t resolve, const char *what,
			int *ret_fd, struct mp_error *err)
{
	int fd;

	do
		fd = sys_openat2(root_fd, relative_of(path), oflags | O_CLOEXEC, resolve);
	while (fd < 0 && errno == EAGAIN); /* the kernel asks for a retry when a rename raced the walk */
	if (fd < 0)
		return error_set_errno(err, errno, "openat2 '%s' %s", path, what);
	*ret_fd = fd;
	return 0;
}

int resolve_in_root_flags(int root_fd, const char *path, uint64_t oflags, int *ret_fd, struct mp_error *err)
{
	return open_in_root(root_fd, path, oflags, RESOLVE_SCOPE, "in root", ret_fd, err);
}

int resolve_in_root(int root_fd, const char *path, int *ret_fd, struct mp_error *err)
{
	return resolve_in_root_flags(root_fd, path, O_PATH, ret_fd, err);
}

int resolve_in_root_plain(int root_fd, const char *path, int *ret_fd, struct mp_error *err)
{
	return open_in_root(root_fd, path, O_PATH, RESOLVE_SCOPE | RESOLVE_NO_SYMLINKS, "in root without symlinks",
			    ret_fd, err);
}

int resolve_host(const char *path, int *ret_fd, struct mp_error *err)
{
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return error_set_errno(err, errno, "open '%s'", path);
	*ret_fd = fd;
	return 0;
}

void resolve_proc_fd(int fd, char buf[RESOLVE_PROC_FD_MAX])
{
	snprintf(buf, RESOLVE_PROC_FD_MAX, "/proc/self/fd/%d", fd);
}

uint32_t path_components(const char *path)
{
	uint32_t n = 0;

	for (const char *p = path; *p; p++)
		if (*p != '/' && (p == path || p[-1] == '/'))
			n++;
	return n;
}

int path_prefix(const char *path, uint32_t k, char *buf, size_t n)
{
	const char *p = path;
	uint32_t seen = 0;
	size_t len;

	if (k == 0) {
		if (n < 2)
			return -ENAMETOOLONG;
		strcpy(buf, "/");
		return 0;
	}
	for (; *p; p++) {
		if (*p != '/' && (p == path || p[-1] == '/'))
			seen++;
		if (seen == k) {
			while (p[1] && p[1] != '/')
				p++;
			p++;
			break;
		}
	}
	if (seen < k)
		return -EINVAL;
	len = (size_t)(p - path);
	if (len + 1 > n)
		return -ENAMETOOLONG;
	memcpy(buf, path, len);
	buf[len] = '\0';
	return 0;
}

/* The last component of a normalized path (no trailing slash). */
static const char *path_last(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int create_component(int parent_fd, const char *name, bool as_file, uint32_t dir_mode,
			    uint32_t file_mode, bool *ret_made, struct mp_error *err)
{
	*ret_made = false;
	if (as_file) {
		/* O_EXCL|O_NOFOLLOW: we create a new inode in this parent or fail, never open through a link */
		int fd = openat(parent_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				(mode_t)file_mode);

		if (fd < 0 && errno != EEXIST)
			return error_set_errno(err, errno, "create file '%s'", name);
		if (fd >= 0) {
			close(fd);
			*ret_made = true;
		}
		return 0;
	}
	if (mkdirat(parent_fd, name, (mode_t)dir_mode) < 0) {
		if (errno != EEXIST)
			return error_set_errno(err, errno, "mkdir '%s'", name);
		return 0;
	}
	*ret_made = true;
	return 0;
}

void resolve_made_free(struct resolve_made *m)
{
	for (uint32_t i = 0; i < m->n; i++)
		close(m->one[i].dir_fd);
	free(m->one);
	m->one = NULL;
	m->n = 0;
}

/* Record that the component at level was made in dir_fd (dup'ed) as name. */
static int made_add(struct resolve_made *m, uint32_t max, int dir_fd, uint32_t level, const char *name,
		    struct mp_error *err)
{
	struct resolve_made_one *o;
	struct stat st;

	if (!m->one && !(m->one = calloc(max, sizeof(*m->one))))
		return error_set(err, ENOMEM, "out of memory");
	if (m->n >= max)
		return error_set(err, EINVAL, "more components made than '%s' has", name);
	o = &m->one[m->n];
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set_errno(err, errno, "stat '%s' just made", name);
	o->dir_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	if (o->dir_fd < 0)
		return error_set_errno(err, errno, "keep the directory of '%s'", name);
	o->level = level;
	o->dev = (uint64_t)st.st_dev;
	o->ino = (uint64_t)st.st_ino;
	m->n++;
	return 0;
}

int resolve_remove_made(struct resolve_made *m, const char *path, uint32_t *ret_removed, struct mp_error *err)
{
	uint32_t removed = 0;
	int r = 0;

	while (m->n > 0) {
		struct resolve_made_one *o = &m->one[m->n - 1];
		char prefix[4096];
		const char *name;
		struct statx stx;

		r = path_prefix(path, o->level, prefix, sizeof(prefix));
		if (r < 0) {
			r = error_set(err, -r, "path '%s' too long", path);
			break;
		}
		name = path_last(prefix);
		if (statx(o->dir_fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_INO | STATX_TYPE | STATX_SIZE,
			  &stx) < 0) {
			if (errno != ENOENT) {
				r = error_set_errno(err, errno, "stat '%s'", prefix);
				break;
			}
		} else if (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) {
			/* what statx sees is the mount on top: the entry made is under it */
			r = error_set(err, EBUSY, "'%s' is still a mount point: not removed", prefix);
			break;
		} else if (makedev(stx.stx_dev_major, stx.stx_dev_minor) != o->dev || stx.stx_ino != o->ino) {
			r = error_set(err, EEXIST, "'%s' is no longer what was created: not removed", prefix);
			break;
		} else if (S_ISDIR(stx.stx_mode)) {
			/* rmdir only: a directory that holds anything (data, a mount) stays */
			if (unlinkat(o->dir_fd, name, AT_REMOVEDIR) < 0) {
				r = error_set_errno(err, errno, "rmdir '%s'", prefix);
				break;
			}
		} else if (S_ISREG(stx.stx_mode) && stx.stx_size == 0) {
			if (unlinkat(o->dir_fd, name, 0) < 0) {
				r = error_set_errno(err, errno, "unlink '%s'", prefix);
				break;
			}
		} else {
			r = error_set(err, EEXIST, "'%s' is no longer what was created: not removed", prefix);
			break;
		}
		close(o->dir_fd);
		m->n--;
		removed++;
	}
	if (ret_removed)
		*ret_removed = removed;
	return r < 0 ? r : 0;
}

int resolve_create_in_root(int root_fd, const char *path, bool as_file, uint32_t dir_mode,
			   uint32_t file_mode, uint32_t *ret_created, int *ret_fd, struct resolve_made *ret_made,
			   struct mp_error *err)
{
	uint32_t n = path_components(path);
	_cleanup_close_ int parent = -1;
	struct resolve_made made = { 0 };
	char prefix[4096];
	int r;

	/* *ret_created is kept current, so a failure half-way still says what to take back */
	*ret_created = 0;
	/* the common case: it is all there already, one lookup */
	r = resolve_in_root(root_fd, path, &parent, err);
	if (r == 0) {
		if (ret_fd)
			*ret_fd = TAKE_FD(parent);
		return 0;
	}
	if (r != -ENOENT)
		return r;
	r = resolve_in_root(root_fd, "/", &parent, err);
	if (r < 0)
		return r;
	for (uint32_t k = 1; k <= n && r == 0; k++) {
		_cleanup_close_ int fd = -1;
		bool last = k == n, made_it = false;

		r = path_prefix(path, k, prefix, sizeof(prefix));
		if (r < 0) {
			r = error_set(err, -r, "path '%s' too long", path);
			break;
		}
		r = resolve_in_root(root_fd, prefix, &fd, err);
		if (r == -ENOENT) {
			/* Missing: make it in the parent we hold, then look it up again from the root. */
			r = create_component(parent, path_last(prefix), last && as_file, dir_mode, file_mode,
					     &made_it, err);
			if (r < 0) {
				error_wrap(err, "create '%s'", prefix);
				break;
			}
			if (made_it) {
				(*ret_created)++;
				r = made_add(&made, n, parent, k, path_last(prefix), err);
				if (r < 0)
					break;
			} else if (*ret_created > 0) {
				/* someone else made a deeper component: created ones would not be trailing */
				r = error_set(err, EEXIST, "'%s' appeared while it was being created", prefix);
				break;
			}
			r = resolve_in_root(root_fd, prefix, &fd, err);
			if (r == -ENOENT && !made_it) {
				/* EEXIST but not resolvable: a dangling symlink sits there */
				r = error_set(err, EEXIST, "'%s' is a dangling symlink", prefix);
				break;
			}
		}
		if (r < 0)
			break;
		if (!last) {
			struct stat st;

			if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
				r = error_set(err, ENOTDIR, "'%s' is not a directory", prefix);
				break;
			}
		}
		close(parent);
		parent = TAKE_FD(fd);
	}
	if (r < 0) {
		/* take back what was made, where it was made: the path may lead elsewhere now */
		struct mp_error e2;
		uint32_t removed = 0;

		resolve_remove_made(&made, path, &removed, &e2);
		*ret_created -= removed < *ret_created ? removed : *ret_created;
		resolve_made_free(&made);
		return r;
	}
	if (ret_made)
		*ret_made = made;
	else
		resolve_made_free(&made);
	if (ret_fd)
		*ret_fd = TAKE_FD(parent);
	return 0;
}

int resolve_mount_of(int fd, uint64_t *ret_mnt_id, bool *ret_is_root, struct mp_error *err)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID_UNIQUE, &stx) < 0)
		return error_set_errno(err, errno, "statx");
	if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE))
		return error_set(err, ENOSYS, "statx: the kernel gives no unique mount id (Linux >= 6.8 needed)");
	if (ret_mnt_id)
		*ret_mnt_id = stx.stx_mnt_id;
	if (ret_is_root)
		*ret_is_root = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
			       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
	return 0;
}

int resolve_mountinfo_id(int fd, uint64_t *ret_id, struct mp_error *err)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return error_set_errno(err, errno, "statx");
	*ret_id = stx.stx_mnt_id;
	return 0;
}

/*
 * The directory holding a created component, for its removal, found the
 * way the create found it (inside the root, its symlinks followed).  The
 * root's owner may be exchanging a directory above it with a FIFO or a
 * symlink right now (rename exchange): while the path does not lead to a
 * directory it is tried again, a bounded number of times, before the
 * failure is reported.
 */
#define RESOLVE_REMOVE_TRIES 64
static int resolve_parent_for_remove(int root_fd, const char *path, int *ret_fd, struct mp_error *err)
{
	int r = 0;

	for (int k = 0; k < RESOLVE_REMOVE_TRIES; k++) {
		r = resolve_in_root_flags(root_fd, path, O_PATH | O_DIRECTORY, ret_fd, err);
		if (r != -ENOTDIR && r != -ENOENT && r != -ELOOP)
			break;
		sched_yield();
	}
	if (r == -ENOTDIR || r == -ENOENT || r == -ELOOP)
		return error_wrap(err, "'%s' no longer leads to a directory (renamed or replaced?)", path);
	return r;
}

int resolve_remove_created(int root_fd, const char *path, uint32_t n, uint32_t *ret_removed,
			   struct mp_error *err)
{
	uint32_t total = path_components(path), removed = 0;
	char prefix[4096];
	int r = 0;

	for (uint32_t i = 0; i < n && i < total; i++) {
		_cleanup_close_ int fd = -1, parent = -1;
		char parent_path[4096];
		const char *name;
		bool is_root = false;
		struct stat st;

		r = path_prefix(path, total - i, prefix, sizeof(prefix));
		if (r == 0)
			r = path_prefix(path, total - i - 1, parent_path, sizeof(parent_path));
		if (r < 0) {
			r = error_set(err, -r, "path '%s' too long", path);
			break;
		}
		name = path_last(prefix);
		r = resolve_parent_for_remove(root_fd, parent_path, &parent, err);
		if (r < 0)
			break;
		/* Open the entry itself, not what a symlink put there meanwhile points to. */
		fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT) { /* already gone: nothing of ours to remove */
				removed++;
				continue;
			}
			r = error_set_errno(err, errno, "open '%s'", prefix);
			break;
		}
		r = resolve_mount_of(fd, NULL, &is_root, err);
		if (r < 0)
			break;
		if (is_root) {
			r = error_set(err, EBUSY, "'%s' is still a mount point: not removed", prefix);
			break;
		}
		if (fstat(fd, &st) < 0) {
			r = error_set_errno(err, errno, "stat '%s'", prefix);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			/* rmdir only: a directory that holds anything (data, a mount) stays */
			if (unlinkat(parent, name, AT_REMOVEDIR) < 0) {
				r = error_set_errno(err, errno, "rmdir '%s'", prefix);
				break;
			}
		} else if (S_ISREG(st.st_mode) && st.st_size == 0 && i == 0) {
			if (unlinkat(parent, name, 0) < 0) {
				r = error_set_errno(err, errno, "unlink '%s'", prefix);
				break;
			}
		} else {
			r = error_set(err, EEXIST, "'%s' is no longer what was created: not removed", prefix);
			break;
		}
		removed++;
	}
	if (ret_removed)
		*ret_removed = removed;
	return r < 0 ? r : 0;
}
