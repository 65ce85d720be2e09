/*
 * mount-find.c — a mount found again by its unique id (see mount-find.h).
 *
 * statmount(2) and listmount(2) (Linux 6.8) are called through syscall():
 * the C library and <linux/mount.h> of the build host may not have them.
 * The layout used here is the kernel's (include/uapi/linux/mount.h),
 * checked against Linux 6.18 by reading back the mount id and the mount
 * point of "/": struct mnt_id_req is 24 bytes (MNT_ID_REQ_SIZE_VER0), and
 * struct statmount has mnt_id at byte 40, the mnt_point string offset at
 * byte 108, and its strings from byte 512 on.
 *
 * Why the lookup can be trusted: statmount gives the mount point's path
 * as the kernel sees it now (d_path: no symlink, no ".." in it).  Its
 * parent directory is opened with RESOLVE_NO_SYMLINKS, so a symlink
 * swapped into the path meanwhile fails the open instead of leading
 * elsewhere, and then the mount point is checked (statx, unique id and
 * STATX_ATTR_MOUNT_ROOT) to be the root of the very mount asked for.  A
 * rename between the two shows as a failed open or a different mount and
 * the lookup starts again from statmount.  The mount point itself cannot
 * be renamed while mounted (the kernel answers EBUSY), so once the parent
 * fd holds it, parent + name keep naming it.
 *
 * Where the mount is found outside the root (a directory of the root
 * renamed out of it, across the root's boundary but on the same
 * filesystem), it is still the run's own mount, by its id: callers may
 * detach it, which only takes a mount away, but nothing is removed there
 * (in_root is false).
 */
#include "mount-find.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "resolve.h"

#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef __NR_listmount
#define __NR_listmount 458
#endif
#define MF_MNT_ID_REQ_SIZE_VER0 24u
#define MF_STATMOUNT_MNT_BASIC 0x02u /* fills mnt_id, read back to check the answer */
#define MF_STATMOUNT_MNT_POINT 0x10u
#define MF_LSMT_ROOT 0xffffffffffffffffULL
/* struct statmount, the fields read here (byte offsets) */
#define MF_SM_MASK 8
#define MF_SM_MNT_ID 40
#define MF_SM_MNT_POINT 108
#define MF_SM_STR 512
/* a path longer than this is opened in pieces (openat2 takes at most PATH_MAX - 1 bytes) */
#define MF_PIECE 3072

struct mf_mnt_id_req {
	uint32_t size;
	uint32_t spare;
	uint64_t mnt_id;
	uint64_t param;
};
_Static_assert(sizeof(struct mf_mnt_id_req) == MF_MNT_ID_REQ_SIZE_VER0, "mnt_id_req layout");

void mount_found_release(struct mount_found *f)
{
	if (f->parent_fd >= 0)
		close(f->parent_fd);
	if (f->fd >= 0)
		close(f->fd);
	free(f->rel);
	free(f->path);
	f->parent_fd = f->fd = -1;
	f->rel = f->path = NULL;
}

/* The mount point of mount id as this process sees it (malloc'd); -ENOENT when no such mount is here. */
static int mf_mount_point(uint64_t id, char **ret, struct mp_error *err)
{
	struct mf_mnt_id_req req = { .size = MF_MNT_ID_REQ_SIZE_VER0, .mnt_id = id,
				     .param = MF_STATMOUNT_MNT_BASIC | MF_STATMOUNT_MNT_POINT };
	size_t size = 4096 + MF_SM_STR;

	for (;;) {
		_cleanup_free_ uint8_t *buf = malloc(size);
		uint64_t mask, got;
		uint32_t off;

		if (!buf)
			return error_set(err, ENOMEM, "out of memory");
		if (syscall(__NR_statmount, &req, buf, size, 0) < 0) {
			if (errno == EOVERFLOW && size < (1u << 20)) {
				size *= 4;
				continue;
			}
			if (errno == ENOENT)
				return -ENOENT;
			if (errno == ENOSYS)
				return error_set(err, ENOSYS, "statmount: not in this kernel (Linux >= 6.8 needed)");
			return error_set_errno(err, errno, "statmount of mount %" PRIu64, id);
		}
		memcpy(&mask, buf + MF_SM_MASK, sizeof(mask));
		memcpy(&got, buf + MF_SM_MNT_ID, sizeof(got));
		memcpy(&off, buf + MF_SM_MNT_POINT, sizeof(off));
		/* no mount point in the answer: it is not reachable from our root (the kernel then leaves it out) */
		if (!(mask & MF_STATMOUNT_MNT_POINT))
			return error_set(err, EXDEV, "mount %" PRIu64 ": its mount point is not reachable from this process's root",
					 id);
		if (!(mask & MF_STATMOUNT_MNT_BASIC) || got != id || MF_SM_STR + (size_t)off >= size ||
		    !memchr(buf + MF_SM_STR + off, '\0', size - MF_SM_STR - off))
			return error_set(err, EIO, "statmount of mount %" PRIu64 ": no mount point in the answer", id);
		*ret = strdup((const char *)buf + MF_SM_STR + off);
		return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
	}
}

/* The root's path as this process sees it ("/" included), malloc'd. */
static int mf_root_path(int root_fd, char **ret, struct mp_error *err)
{
	char proc[RESOLVE_PROC_FD_MAX];
	size_t cap = 4096;

	resolve_proc_fd(root_fd, proc);
	for (;;) {
		_cleanup_free_ char *buf = malloc(cap);
		ssize_t n;

		if (!buf)
			return error_set(err, ENOMEM, "out of memory");
		n = readlink(proc, buf, cap);
		if (n < 0)
			return error_set_errno(err, errno, "readlink %s (the root)", proc);
		if ((size_t)n < cap) {
			buf[n] = '\0';
			*ret = TAKE_PTR(buf);
			return 0;
		}
		cap *= 4;
	}
}

/* path below root ("/" = root itself): the part after root, or NULL when path is not below it. */
static const char *mf_below(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return path;
	if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return NULL;
	return path[n] ? path + n : "/";
}

/*
 * Open directory `path` (absolute, as the kernel prints paths) from base
 * without following any symlink, in pieces when it is long.  With
 * in_root, base is the root and ".." could not leave it either.
 */
static int mf_open_dir(int base, const char *path, bool in_root, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	const char *p = path;

	while (*p == '/')
		p++;
	if (!*p) {
		fd = openat(base, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		*ret_fd = TAKE_FD(fd);
		return 0;
	}
	while (*p) {
		char piece[MF_PIECE + 1];
		size_t len = strlen(p);
		struct open_how how = {
			.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | (in_root ? RESOLVE_IN_ROOT : 0),
		};
		int next;

		if (len > MF_PIECE) {
			len = MF_PIECE;
			while (len > 0 && p[len] != '/')
				len--;
			if (len == 0)
				return -ENAMETOOLONG;
		}
		memcpy(piece, p, len);
		piece[len] = '\0';
		next = (int)syscall(SYS_openat2, fd >= 0 ? fd : base, piece, &how, sizeof(how));
		if (next < 0)
			return -errno;
		if (fd >= 0)
			close(fd);
		fd = next;
		p += len;
		while (*p == '/')
			p++;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/*
 * One try: the mount's path now, its parent opened, the mount there
 * checked.  1 = found; 0 = not there (try again): *why says what was
 * seen, and *stable whether the kernel still gives the same path after
 * (a covered mount looks like that every time, a race only now and then);
 * negative = failed for good.
 */
static int mf_try(int root_fd, const char *root, uint64_t id, struct mount_found *f, char *why, size_t n,
		  bool *stable, uint64_t *shown, struct mp_error *err)
{
	_cleanup_free_ char *path = NULL, *again = NULL;
	_cleanup_close_ int parent = -1, fd = -1, top = -1;
	const char *below, *slash, *base;
	char dir[8192];
	struct statx stx;
	size_t len;
	int r;

	r = mf_mount_point(id, &path, err);
	if (r < 0)
		return r;
	below = mf_below(root, path);
	if (below && strcmp(below, "/") == 0)
		return error_set(err, EBUSY, "mount %" PRIu64 " is on the root itself", id);
	slash = strrchr(path, '/');
	if (!slash || slash[1] == '\0' || strlen(slash + 1) >= sizeof(f->name))
		return error_set(err, EINVAL, "mount %" PRIu64 ": odd mount point '%s'", id, path);
	base = below ? below : path;
	len = (size_t)(strrchr(base, '/') - base);
	if (len >= sizeof(dir))
		return error_set(err, ENAMETOOLONG, "mount %" PRIu64 ": mount point '%s' too long", id, path);
	memcpy(dir, base, len);
	dir[len] = '\0';
	if (below) {
		r = mf_open_dir(root_fd, dir, true, &parent);
	} else {
		top = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (top < 0)
			return error_set_errno(err, errno, "open /");
		r = mf_open_dir(top, dir, false, &parent);
	}
	if (r < 0) {
		/* a swapped-in FIFO or symlink: a race, never counted as stable */
		snprintf(why, n, "'%s': opening its directory: %s", path, strerror(-r));
		return 0;
	}
	fd = openat(parent, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, n, "'%s': %s", path, strerror(errno));
		goto retry;
	}
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID_UNIQUE, &stx) < 0)
		return error_set_errno(err, errno, "statx '%s'", path);
	if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE))
		return error_set(err, ENOSYS, "statx: no unique mount id (Linux >= 6.8 needed)");
	if (!(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) || stx.stx_mnt_id != id) {
		*shown = stx.stx_mnt_id;
		snprintf(why, n, "'%s' shows mount %" PRIu64 " (another mount on top of it, or of a directory above it?)",
			 path, (uint64_t)stx.stx_mnt_id);
		goto retry;
	}
	f->parent_fd = TAKE_FD(parent);
	f->fd = TAKE_FD(fd);
	snprintf(f->name, sizeof(f->name), "%s", slash + 1);
	f->in_root = below != NULL;
	f->rel = below ? strdup(below) : NULL;
	f->path = TAKE_PTR(path);
	if ((f->in_root && !f->rel) || !f->path) {
		mount_found_release(f);
		return error_set(err, ENOMEM, "out of memory");
	}
	return 1;
retry:
	r = mf_mount_point(id, &again, err);
	if (r < 0)
		return r;
	*stable = strcmp(again, path) == 0;
	return 0;
}

/*
 * The first guess: the mount is still at `hint`, the path inside the root it
 * was made on, as it is unless the root's owner renamed something.  Checked
 * like any other answer: the directory opened without following a symlink,
 * and the mount point there the root of mount id.  1 = found there.
 */
static int mf_try_hint(int root_fd, uint64_t id, const char *hint, bool need_fd, struct mount_found *f)
{
	_cleanup_close_ int parent = -1, fd = -1;
	const char *slash = strrchr(hint, '/');
	char dir[4096];
	struct statx stx;
	size_t len;

	if (!slash || slash[1] == '\0' || strlen(slash + 1) >= sizeof(f->name) || strcmp(hint, "/") == 0)
		return 0;
	len = (size_t)(slash - hint);
	if (len >= sizeof(dir))
		return 0;
	memcpy(dir, hint, len);
	dir[len] = '\0';
	if (len == 0)
		parent = fcntl(root_fd, F_DUPFD_CLOEXEC, 3); /* a mount point right in the root */
	else if (mf_open_dir(root_fd, dir, true, &parent) < 0)
		return 0;
	if (parent < 0)
		return 0;
	if (need_fd) {
		fd = openat(parent, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID_UNIQUE,
				    &stx) < 0)
			return 0;
	} else if (statx(parent, slash + 1, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID_UNIQUE, &stx) < 0)
		return 0;
	if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE) || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) ||
	    stx.stx_mnt_id != id)
		return 0;
	f->rel = strdup(hint);
	f->path = strdup(hint);
	if (!f->rel || !f->path) {
		mount_found_release(f);
		return 0;
	}
	f->parent_fd = TAKE_FD(parent);
	f->fd = TAKE_FD(fd);
	snprintf(f->name, sizeof(f->name), "%s", slash + 1);
	f->in_root = true;
	f->checked = !need_fd;
	return 1;
}

/* A mount whose lookup fails this many times with its path unchanged is covered, not raced. */
#define MOUNT_FIND_STABLE 8

int mount_find(int root_fd, uint64_t id, const char *hint, bool need_fd, struct mount_found *ret,
	       struct mp_error *err)
{
	struct mount_found f = { .parent_fd = -1, .fd = -1 };
	_cleanup_free_ char *root = NULL;
	char why[512] = "";
	int r, stable = 0;
	uint64_t shown = 0;

	if (id == 0)
		return error_set(err, EINVAL, "no mount id recorded");
	if (hint && mf_try_hint(root_fd, id, hint, need_fd, &f) == 1) {
		*ret = f;
		return 0;
	}
	r = mf_root_path(root_fd, &root, err);
	if (r < 0)
		return r;
	for (int k = 0; k < MOUNT_FIND_TRIES; k++) {
		bool same = false;

		shown = 0;
		r = mf_try(root_fd, root, id, &f, why, sizeof(why), &same, &shown, err);
		if (r > 0) {
			if (!need_fd) {
				close(f.fd);
				f.fd = -1;
			}
			*ret = f;
			return 0;
		}
		if (r < 0)
			return r;
		if (same && ++stable >= MOUNT_FIND_STABLE) {
			ret->shown = shown;
			return error_set(err, ESTALE, "mount %" PRIu64 " made by this run cannot be reached: %s: left alone",
					 id, why);
		}
		sched_yield(); /* let the rename that raced us finish */
	}
	return error_set(err, EAGAIN,
			 "mount %" PRIu64 ": its mount point kept changing under %d lookups (last: %s): left alone", id,
			 MOUNT_FIND_TRIES, why);
}

int mount_point_remove(const struct mount_found *f, bool file_ok, struct mp_error *err)
{
	struct statx stx;

	if (!f->in_root)
		return error_set(err, EXDEV, "'%s' is outside the root now: not removed", f->path);
	if (statx(f->parent_fd, f->name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_SIZE, &stx) < 0)
		return errno == ENOENT ? -ENOENT : error_set_errno(err, errno, "statx '%s'", f->path);
	if (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)
		return error_set(err, EBUSY, "'%s' is still a mount point: not removed", f->path);
	/* rmdir and unlink act on the name: what is checked here is what they remove, bar a rename in
	 * between, which only the parent's writer can make, and who could remove it as well */
	if (S_ISDIR(stx.stx_mode)) {
		if (unlinkat(f->parent_fd, f->name, AT_REMOVEDIR) < 0)
			return error_set_errno(err, errno, "rmdir '%s'", f->path);
		return 0;
	}
	if (file_ok && S_ISREG(stx.stx_mode) && stx.stx_size == 0) {
		if (unlinkat(f->parent_fd, f->name, 0) < 0)
			return error_set_errno(err, errno, "unlink '%s'", f->path);
		return 0;
	}
	return error_set(err, EEXIST, "'%s' is no longer what was created: not removed", f->path);
}

void mount_newer_free(struct mount_newer *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].rel);
	free(m);
}

int mount_list_newer(int root_fd, uint64_t watermark, struct mount_newer **ret, size_t *ret_n,
		     struct mp_error *err)
{
	struct mf_mnt_id_req req = { .size = MF_MNT_ID_REQ_SIZE_VER0, .mnt_id = MF_LSMT_ROOT, .param = watermark };
	_cleanup_free_ char *root = NULL;
	struct mount_newer *out = NULL;
	size_t n = 0, cap = 0;
	uint64_t ids[256];
	int r;

	r = mf_root_path(root_fd, &root, err);
	if (r < 0)
		return r;
	for (;;) {
		long got = syscall(__NR_listmount, &req, ids, sizeof(ids) / sizeof(ids[0]), 0);

		if (got < 0) {
			r = error_set_errno(err, errno, "listmount");
			goto fail;
		}
		for (long i = 0; i < got; i++) {
			_cleanup_free_ char *path = NULL;
			const char *below;

			r = mf_mount_point(ids[i], &path, err);
			if (r == -ENOENT)
				continue; /* unmounted meanwhile */
			if (r < 0)
				goto fail;
			below = mf_below(root, path);
			if (!below || strcmp(below, "/") == 0)
				continue;
			if (n == cap) {
				struct mount_newer *m = realloc(out, (cap = cap ? 2 * cap : 16) * sizeof(*out));

				if (!m) {
					r = error_set(err, ENOMEM, "out of memory");
					goto fail;
				}
				out = m;
			}
			out[n].id = ids[i];
			out[n].rel = strdup(below);
			if (!out[n].rel) {
				r = error_set(err, ENOMEM, "out of memory");
				goto fail;
			}
			n++;
		}
		if ((size_t)got < sizeof(ids) / sizeof(ids[0]))
			break;
		req.param = ids[got - 1];
	}
	*ret = out;
	*ret_n = n;
	return 0;
fail:
	mount_newer_free(out, n);
	return r;
}

static int mf_cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int mount_list_below(uint64_t id, uint64_t **ret, size_t *ret_n, struct mp_error *err)
{
	struct mf_mnt_id_req req = { .size = MF_MNT_ID_REQ_SIZE_VER0, .mnt_id = id };
	uint64_t *ids = NULL;
	size_t n = 0, cap = 256;

	for (;;) {
		size_t room;
		long got;

		if (!ids || cap - n < 256) {
			uint64_t *m = realloc(ids, (cap *= 2) * sizeof(*ids));

			if (!m) {
				free(ids);
				return error_set(err, ENOMEM, "out of memory");
			}
			ids = m;
		}
		room = cap - n;
		got = syscall(__NR_listmount, &req, ids + n, room, 0);
		if (got < 0) {
			int e = errno;

			free(ids);
			if (e == ENOENT)
				return -ENOENT;
			return error_set_errno(err, e, "listmount below mount %" PRIu64, id);
		}
		n += (size_t)got;
		if ((size_t)got < room)
			break;
		req.param = ids[n - 1];
	}
	qsort(ids, n, sizeof(*ids), mf_cmp_id);
	*ret = ids;
	*ret_n = n;
	return 0;
}

bool mount_id_in(const uint64_t *sorted, size_t n, uint64_t id)
{
	return n > 0 && bsearch(&id, sorted, n, sizeof(*sorted), mf_cmp_id) != NULL;
}

void mount_ids_sort(uint64_t *ids, size_t n)
{
	qsort(ids, n, sizeof(*ids), mf_cmp_id);
}

bool mount_is_attached(uint64_t id)
{
	struct mf_mnt_id_req req = { .size = MF_MNT_ID_REQ_SIZE_VER0, .mnt_id = id, .param = MF_STATMOUNT_MNT_BASIC };
	uint8_t buf[MF_SM_STR + 64];

	return syscall(__NR_statmount, &req, buf, sizeof(buf), 0) == 0 || errno != ENOENT;
}
