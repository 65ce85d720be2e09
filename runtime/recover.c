/*
 * recover.c — undo a run from the journal and the kernel (see recover.h).
 *
 * The executor commits nothing between the run's intent and its end, so
 * for a crashed run the kernel is the record of how far it got:
 *   - a mount at a step's target whose unique mount id is above the run's
 *     watermark was made after the run began (ids are never reused);
 *   - a loop device whose lo_file_name is the run's tag (pid, start time,
 *     step) was attached by that step;
 *   - a path that was missing at the start and now exists with a birth
 *     time after the start was created by the run.
 * For an applied run the outcomes are exact (mount ids, loop numbers,
 * components created) and are used instead.
 *
 * Finding a mount: by its recorded unique id where the kernel says it is
 * now (mount-find.h), so a directory above it renamed or replaced by the
 * root's owner does not hide it; a crashed run recorded no ids, and its
 * mount is looked for at the plan path, then among the mounts above the
 * watermark that a rename moved away from every plan path, by name.
 *
 * Unmounting: the mount is named as /proc/self/fd/PARENT/NAME, so no fd
 * of ours pins the mount, and umount2 is called WITHOUT MNT_DETACH: a
 * mount some process still uses (a cwd, an open file) answers EBUSY, which
 * is reported as an undo failure and leaves the mount — and everything
 * under it — in place.  A later rollback retries it.
 *
 * Paths resolve inside the root with runtime/resolve.h (openat2
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).  The root itself is re-opened
 * by path after a mount on "/" is removed, to see what is under it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec.h" /* EXEC_PARK_DIR */
#include "mount-find.h"
#include "op-loop.h"
#include "op-mount.h"
#include "pathset.h"
#include "probe.h"
#include "recover.h"
#include "resolve.h"

struct recover_ctx {
	const struct journal_run *run;
	enum recover_mode mode;
	bool same_boot;
	bool ns_gone;       /* the run's mount namespace no longer exists */
	bool in_foreign_ns; /* joined the run's mount namespace */
	int root_fd;
	FILE *log;
	/* the run's steps and their new outcomes: a mount's undo also undoes the step that made its mount point */
	const struct journal_step *steps;
	struct step_state *out;
	bool *handled;       /* steps already undone by another step's undo */
	uint32_t n_steps;
	uint32_t extra_undone;
	/* rollback: the unique ids of the run's mounts its steps recorded (sorted), and the lowest of
	 * them but ROOT_BIND's: what lies between ROOT_BIND's id and it came with ROOT_BIND's
	 * recursive clone (copies of the mounts that were in the root) */
	uint64_t *own;
	size_t n_own;
	uint64_t first_step_id;
	/* crashed run: its mounts that are no longer at any plan path (moved by a rename), looked up once */
	struct mount_newer *moved;
	size_t n_moved;
	bool moved_known;
};

static void closedirp_(DIR **d)
{
	if (*d)
		closedir(*d);
}

bool recover_executor_gone(const struct journal_run *run)
{
	char boot[PROBE_BOOT_ID_LEN + 1];
	struct mp_error err;

	if (probe_boot_id(boot, &err) == 0 && strcmp(boot, run->facts.boot_id) != 0)
		return true;
	return !probe_pid_is(run->facts.pid, run->facts.pid_start);
}

/*
 * Open the run's root.  After a mount on "/" the path shows that mount,
 * not the recorded directory: accept it when it is a mount root made after
 * the watermark (one of the run's), else insist on the recorded dev:ino.
 */
static int recover_open_root(struct recover_ctx *c, struct mp_error *err)
{
	_cleanup_close_ int fd = open(c->run->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	uint64_t id = 0;
	bool is_root = false;

	/* a container that has pivoted into its root shows the run's root as "/" */
	if (fd < 0 && errno == ENOENT && c->in_foreign_ns)
		fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "root '%s'", c->run->root);
	if (fstat(fd, &st) < 0)
		return error_set_errno(err, errno, "root '%s'", c->run->root);
	if ((uint64_t)st.st_dev != c->run->root_dev || (uint64_t)st.st_ino != c->run->root_ino) {
		if (probe_mount_id(fd, &id, &is_root, err) < 0)
			return error_wrap(err, "root '%s'", c->run->root);
		if (!is_root || id <= c->run->facts.mnt_watermark)
			return error_set(err, ESTALE,
					 "root '%s' is no longer the directory run %" PRId64 " was applied to (dev:ino %" PRIx64
					 ":%" PRIu64 ")",
					 c->run->root, c->run->id, c->run->root_dev, c->run->root_ino);
	}
	if (c->root_fd >= 0)
		close(c->root_fd);
	c->root_fd = TAKE_FD(fd);
	return 0;
}

/* The directory holding path's last component (O_PATH) and that component; "/" is the root path on the host. */
static int recover_locate(struct recover_ctx *c, const char *path, int *ret_parent, char *name, size_t n,
			  struct mp_error *err)
{
	char buf[4096];
	const char *slash;
	int r;

	if (strcmp(path, "/") == 0) {
		_cleanup_free_ char *a = strdup(c->run->root), *b = strdup(c->run->root);
		int fd;

		if (!a || !b)
			return error_set(err, ENOMEM, "out of memory");
		fd = open(dirname(a), O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return error_set_errno(err, errno, "open the parent of the root '%s'", c->run->root);
		snprintf(name, n, "%s", basename(b));
		*ret_parent = fd;
		return 0;
	}
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) >= sizeof(buf))
		return error_set(err, EINVAL, "bad path '%s'", path);
	memcpy(buf, path, (size_t)(slash - path));
	buf[slash - path] = '\0';
	snprintf(name, n, "%s", slash + 1);
	r = resolve_in_root(c->root_fd, buf[0] ? buf : "/", ret_parent, err);
	return r;
}

/*
 * Whether every mount below mount `id` may go with it.  For a crashed run
 * (no ids recorded): any mount newer than its watermark.  In a rollback: a
 * mount the run's steps made is still there only because its own undo
 * failed (busy, or covered by another's), so it stays; below ROOT_BIND's
 * mount the others must be the copies its clone made of the mounts that
 * were in the root (ids between its own and the run's next mount's);
 * below another mount, anything newer than the watermark (the copies a
 * recursive bind made).  False when none is below (EBUSY then means a
 * process uses the mount).
 */
static bool recover_below_all_run(const struct recover_ctx *c, uint64_t id, bool root_bind)
{
	_cleanup_free_ uint64_t *below = NULL;
	size_t n = 0;
	struct mp_error e;

	if (mount_list_below(id, &below, &n, &e) < 0 || n == 0)
		return false;
	for (size_t k = 0; k < n; k++) {
		bool ours = below[k] > c->run->facts.mnt_watermark;

		if (c->mode == RECOVER_ROLLBACK)
			ours = ours && !mount_id_in(c->own, c->n_own, below[k]) &&
			       (!root_bind || (below[k] > id && below[k] < c->first_step_id));
		if (!ours)
			return false;
	}
	return true;
}

/*
 * Unmount the mount at path if it is the run's: exactly `want` when known,
 * else any id above the watermark.  Returns 1 when unmounted, 0 when there
 * was nothing of the run's there, negative on failure.  Used for "/" (a
 * mount on the root itself, whose path is the run's root on the host);
 * every other mount goes through recover_umount.
 */
static int recover_umount_root(struct recover_ctx *c, const char *path, uint64_t want, struct mp_error *err)
{
	_cleanup_close_ int parent = -1;
	char name[256], proc[RESOLVE_PROC_FD_MAX + 300];
	struct statx stx;
	int r;

	r = recover_locate(c, path, &parent, name, sizeof(name), err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (statx(parent, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID_UNIQUE, &stx) < 0)
		return errno == ENOENT ? 0 : error_set_errno(err, errno, "statx '%s'", path);
	if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE))
		return error_set(err, ENOSYS, "'%s': no unique mount id (needs Linux 6.8)", path);
	if (!(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) || stx.stx_mnt_id <= c->run->facts.mnt_watermark)
		return 0; /* what is there predates the run: the run's mount is not (or no longer) there */
	if (want && stx.stx_mnt_id != want)
		return error_set(err, ESTALE,
				 "'%s': the mount on top (id %" PRIu64 ") is not the one this run made (id %" PRIu64 "): left alone",
				 path, (uint64_t)stx.stx_mnt_id, want);
	resolve_proc_fd(parent, proc);
	snprintf(proc + strlen(proc), sizeof(proc) - strlen(proc), "/%s", name);
	if (strcmp(path, "/") == 0 && c->root_fd >= 0) {
		/* our own root fd is on that mount and would make it busy; reopened below */
		close(c->root_fd);
		c->root_fd = -1;
	}
	if (umount2(proc, UMOUNT_NOFOLLOW) < 0) {
		int saved = errno;

		if (c->root_fd < 0 && recover_open_root(c, err) < 0)
			return -err->code;
		errno = saved;
		/*
		 * EBUSY also comes from mounts below this one.  When every one of
		 * them is the run's (its root bind's copies, a mount left by a
		 * failed undo): detach the tree as a whole.
		 */
		if (errno == EBUSY &&
		    recover_below_all_run(c, stx.stx_mnt_id, c->n_steps > 0 && c->steps[0].st.mnt_id == stx.stx_mnt_id) &&
		    umount2(proc, UMOUNT_NOFOLLOW | MNT_DETACH) == 0)
			goto unmounted;
		if (errno == EBUSY)
			return error_set(err, EBUSY, "unmount '%s': busy (a process has its cwd or a file in it): kept mounted", path);
		return error_set_errno(err, errno, "unmount '%s'", path);
	}
unmounted:
	if (strcmp(path, "/") == 0) {
		r = recover_open_root(c, err);
		if (r < 0)
			return r;
	}
	return 1;
}

static int recover_step_remove(struct recover_ctx *c, const struct journal_step *s, struct mp_error *err);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A crashed run recorded no mount ids.  Its mounts are among those with an
 * id above its watermark below the root; the ones at a plan path are found
 * there.  Left: the ones a rename moved away from their plan path (listed
 * once, here).
 */
/* The directory recover_mount_idle last looked in: its path ("/a/" with the slash) and fd. */
struct recover_dir {
	char path[4096];
	size_t len;
	int fd;
};

/*
 * Whether the mount at path (inside the root) holds no process: umount2
 * with MNT_EXPIRE answers EAGAIN for an unused mount that has no mount
 * below it (and only marks it: a second call would unmount it) and EBUSY
 * for one in use.  The name is looked up from its directory (opened
 * without following symlinks) made the cwd, and UMOUNT_NOFOLLOW, so the
 * question cannot be asked of a mount outside the root.  False also when
 * the answer is anything else.
 */
static bool recover_mount_idle(struct recover_ctx *c, const char *path, uint64_t id, struct recover_dir *dir)
{
	const char *name = strrchr(path, '/') + 1;
	size_t dlen = (size_t)(name - path);
	struct statx stx;
	struct mp_error e;

	/* the directory: the previous one again when it is the same (the leaves come in path order) */
	if (dir->fd < 0 || dlen != dir->len || strncmp(path, dir->path, dlen) != 0) {
		char buf[4096];

		if (dir->fd >= 0)
			close(dir->fd);
		dir->fd = -1;
		if (path_prefix(path, path_components(path) - 1, buf, sizeof(buf)) < 0 || dlen >= sizeof(dir->path) ||
		    resolve_in_root_plain(c->root_fd, buf, &dir->fd, &e) < 0 || fchdir(dir->fd) < 0)
			return false;
		memcpy(dir->path, path, dlen);
		dir->len = dlen;
	}
	/* the very mount (not one a rename put there) */
	if (statx(dir->fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID_UNIQUE, &stx) < 0 ||
	    !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) || stx.stx_mnt_id != id)
		return false;
	return umount2(name, UMOUNT_NOFOLLOW | MNT_EXPIRE) < 0 && errno == EAGAIN;
}

/* qsort: journal steps (pointers) by path, '/' before any other byte, so what is below a path follows it */
static int cmp_step_path(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)(*(const struct journal_step *const *)a)->path;
	const unsigned char *y = (const unsigned char *)(*(const struct journal_step *const *)b)->path;

	for (; *x && *x == *y; x++, y++)
		;
	return (*x == '\0' ? 0 : *x == '/' ? 1 : *x + 1) - (*y == '\0' ? 0 : *y == '/' ? 1 : *y + 1);
}

static int recover_list_moved(struct recover_ctx *c, struct mp_error *err)
{
	_cleanup_free_ const char **paths = NULL;
	uint32_t np = 0;
	size_t keep = 0;
	int r;

	if (c->moved_known)
		return 0;
	r = mount_list_newer(c->root_fd, c->run->facts.mnt_watermark, &c->moved, &c->n_moved, err);
	if (r < 0)
		return r;
	c->moved_known = true;
	paths = calloc(c->n_steps ? c->n_steps : 1, sizeof(*paths));
	if (!paths)
		return error_set(err, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < c->n_steps; i++)
		if (op_undo(c->steps[i].op) == UNDO_UMOUNT && c->steps[i].path)
			paths[np++] = c->steps[i].path;
	qsort(paths, np, sizeof(*paths), cmp_str);
	for (size_t i = 0; i < c->n_moved; i++) {
		const char *rel = c->moved[i].rel;

		if (np && bsearch(&rel, paths, np, sizeof(*paths), cmp_str)) {
			free(c->moved[i].rel);
			continue;
		}
		c->moved[keep++] = c->moved[i];
	}
	c->n_moved = keep;
	return 0;
}

/*
 * A crashed run's mount for the step on path: at the path, the mount on top
 * when its id is above the watermark; else, when the path no longer leads
 * there (a directory above renamed or replaced), the one mount of the run
 * moved away from its plan path whose mount point has the same name (the
 * kernel refuses to rename a mount point itself).  0 and *f filled, or
 * -ENOENT when there is none.
 */
static int recover_find_crashed(struct recover_ctx *c, const char *path, struct mount_found *f, struct mp_error *err)
{
	_cleanup_close_ int parent = -1;
	const char *base = strrchr(path, '/') + 1;
	uint64_t found = 0;
	char name[256];
	struct statx stx;
	size_t hits = 0;
	int r;

	r = recover_locate(c, path, &parent, name, sizeof(name), err);
	if (r == 0 && statx(parent, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID_UNIQUE, &stx) == 0) {
		if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE))
			return error_set(err, ENOSYS, "'%s': no unique mount id (needs Linux 6.8)", path);
		if (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) {
			if (stx.stx_mnt_id <= c->run->facts.mnt_watermark)
				return -ENOENT; /* what is there predates the run */
			f->parent_fd = TAKE_FD(parent);
			snprintf(f->name, sizeof(f->name), "%s", name);
			f->in_root = true;
			f->rel = strdup(path);
			f->path = strdup(path);
			if (!f->rel || !f->path)
				return error_set(err, ENOMEM, "out of memory");
			return 0;
		}
	} else if (r < 0 && r != -ENOENT && r != -ENOTDIR && r != -ELOOP) {
		return r;
	}
	r = recover_list_moved(c, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_moved; i++) {
		const char *slash = strrchr(c->moved[i].rel, '/');

		if (c->moved[i].id && slash && strcmp(slash + 1, base) == 0) {
			hits++;
			found = c->moved[i].id;
		}
	}
	if (hits == 0)
		return -ENOENT;
	if (hits > 1)
		return error_set(err, EEXIST,
				 "'%s' no longer leads to a mount, and %zu mounts made since the run began are named '%s' "
				 "elsewhere in the root: cannot tell which is the run's, left alone",
				 path, hits, base);
	for (size_t i = 0; i < c->n_moved; i++)
		if (c->moved[i].id == found)
			c->moved[i].id = 0; /* taken: no other step's */
	return mount_find(c->root_fd, found, NULL, true, f, err);
}

/*
 * The step that made the mount point of step `index`, on the same path in
 * the same plan entry (the compiler puts MKDIR/MKPOINT before the mount),
 * if it is one this mode undoes; else UINT32_MAX.
 */
static uint32_t recover_maker_of(const struct recover_ctx *c, uint32_t index)
{
	const struct journal_step *m = &c->steps[index];

	for (uint32_t j = index; j-- > 0 && c->steps[j].entry == m->entry;) {
		const struct journal_step *s = &c->steps[j];

		if ((s->op != OP_MKDIR && s->op != OP_MKPOINT) || !s->path || strcmp(s->path, m->path) != 0)
			continue;
		if (c->handled[j] || s->st.existed_before || s->st.status == STEP_UNDONE)
			return UINT32_MAX;
		if (c->mode == RECOVER_ROLLBACK &&
		    (s->st.created_components == 0 || (s->st.status != STEP_DONE && s->st.status != STEP_UNDO_FAILED)))
			return UINT32_MAX;
		if (c->mode == RECOVER_CRASHED && s->would_create == 0)
			return UINT32_MAX;
		return j;
	}
	return UINT32_MAX;
}

/*
 * The mount at f is gone: remove what its maker step j created, where the
 * mount point is now (a rename may have moved it).  The mount point itself
 * through the parent fd the lookup holds (for a crashed run only if it was
 * born after the run began); its created parents by the path it has now,
 * with recover_step_remove's rules.  Step j is then undone here; when any
 * of this fails it stays as it is and its own undo tries the plan's path.
 */
static void recover_remove_point(struct recover_ctx *c, uint32_t j, const struct mount_found *f)
{
	const struct journal_step *s = &c->steps[j];
	struct journal_step moved = *s;
	struct mp_error e;
	struct statx stx;
	int r;

	if (!f->in_root)
		return;
	if (c->mode == RECOVER_CRASHED) {
		/* timestamps come from a coarse clock: allow it to lag the run's start (as recover_removable) */
		int64_t since = c->run->started_ns - 20 * 1000000;

		if (statx(f->parent_fd, f->name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BTIME, &stx) < 0 ||
		    !(stx.stx_mask & STATX_BTIME) ||
		    (int64_t)stx.stx_btime.tv_sec * 1000000000 + stx.stx_btime.tv_nsec < since)
			return;
	}
	r = mount_point_remove(f, s->op == OP_MKPOINT, &e);
	if (r < 0 && r != -ENOENT)
		return;
	moved.path = f->rel;
	if (recover_step_remove(c, &moved, &e) < 0)
		return;
	c->handled[j] = true;
	c->out[j].status = STEP_UNDONE;
	c->out[j].err = 0;
	c->extra_undone++;
	if (c->log)
		fprintf(c->log, "step %" PRIu32 " %s %s: undone%s%s\n", j, op_name(s->op), s->path,
			strcmp(f->rel, s->path) ? ", found at " : "", strcmp(f->rel, s->path) ? f->rel : "");
}

/*
 * Unmount the run's mount of step `index` (target path, not "/"): found by
 * its recorded unique id wherever a rename has put it (mount-find.h), or
 * for a crashed run by recover_find_crashed.  Named as
 * /proc/self/fd/PARENT/NAME, without MNT_DETACH (see the top).  A mount
 * moved out of the root is still the run's, by its id, and is unmounted
 * too; nothing is removed there.  Returns 1 when unmounted, 0 when there
 * was nothing of the run's, negative on failure.
 */
static int recover_umount(struct recover_ctx *c, uint32_t index, const char *path, uint64_t want,
			  struct mp_error *err)
{
	struct mount_found f = { .parent_fd = -1, .fd = -1 };
	uint64_t id = want;
	int q;
	struct statx stx;
	uint32_t maker;
	bool moved;
	int r;

	r = want ? mount_find(c->root_fd, want, path, false, &f, err) : recover_find_crashed(c, path, &f, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		mount_found_release(&f);
		return error_wrap(err, "find the mount on '%s'", path);
	}
	/* our fd on the mount would make it busy */
	if (f.fd >= 0) {
		close(f.fd);
		f.fd = -1;
	}
	/* the name may now show another mount on top of ours: checked once more right before
	 * (the plan path's lookup has just done exactly that) */
	if (!f.checked) {
		if (statx(f.parent_fd, f.name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID_UNIQUE, &stx) < 0) {
			r = error_set_errno(err, errno, "statx '%s'", f.path);
			goto out;
		}
		if (!(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) || stx.stx_mnt_id <= c->run->facts.mnt_watermark ||
		    (want && stx.stx_mnt_id != want)) {
			r = error_set(err, ESTALE,
				      "'%s': the mount there (id %" PRIu64 ") is not the one this run made (id %" PRIu64
				      "): left alone",
				      path, (uint64_t)stx.stx_mnt_id, want);
			goto out;
		}
		id = stx.stx_mnt_id;
	}
	moved = !f.rel || strcmp(f.rel, path) != 0;
	/*
	 * By its name, from its directory made the cwd: the same one lookup as
	 * /proc/self/fd/PARENT/NAME without the walk through /proc (1,000
	 * unmounts: 10.7 ms against 14.5 ms).  The cwd is outside the mount;
	 * it stays in the root until recover_umount_root or the end of the
	 * run's undo moves it back to / (there it would make a mount on the
	 * root busy).
	 */
	if (fchdir(f.parent_fd) < 0) {
		r = error_set_errno(err, errno, "chdir to the directory of '%s'", f.path);
		goto out;
	}
	q = umount2(f.name, UMOUNT_NOFOLLOW);
	if (q < 0 && errno == EBUSY && recover_below_all_run(c, id, false))
		/* EBUSY from mounts below this one, all the run's: detach the tree as a whole */
		q = umount2(f.name, UMOUNT_NOFOLLOW | MNT_DETACH);
	if (q < 0) {
		if (errno == EBUSY)
			r = error_set(err, EBUSY, "unmount '%s'%s%s%s: busy (a process has its cwd or a file in it): kept mounted",
				      path, moved ? " (now at '" : "", moved ? f.path : "", moved ? "')" : "");
		else
			r = error_set_errno(err, errno, "unmount '%s'%s%s%s", path, moved ? " (now at '" : "",
					    moved ? f.path : "", moved ? "')" : "");
		goto out;
	}
	if (c->log && moved && f.in_root)
		fprintf(c->log, "step %" PRIu32 " %s: its mount was found at '%s' (moved by a rename)\n", index, path,
			f.rel);
	else if (c->log && moved)
		fprintf(c->log, "step %" PRIu32 " %s: its mount was found OUTSIDE the root, at '%s'\n", index, path,
			f.path);
	maker = recover_maker_of(c, index);
	if (maker != UINT32_MAX)
		recover_remove_point(c, maker, &f);
	r = 1;
out:
	mount_found_release(&f);
	return r;
}

/* Where the run parked: recorded with the run (older runs: the executor's default). */
static const char *recover_park_dir(const struct recover_ctx *c)
{
	return c->run->park_dir ? c->run->park_dir : EXEC_PARK_DIR;
}

/* The park point of a crashed run's PARK step: PARK_DIR/p<pid>-<step>-* (exec.c's names), or NULL. */
static char *recover_find_park(const struct recover_ctx *c, uint32_t index)
{
	_cleanup_(closedirp_) DIR *d = NULL;
	char prefix[64];
	struct dirent *e;

	snprintf(prefix, sizeof(prefix), "p%d-%" PRIu32 "-", (int)c->run->facts.pid, index);
	d = opendir(recover_park_dir(c));
	if (!d)
		return NULL;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			char *path;

			if (asprintf(&path, "%s/%s", recover_park_dir(c), e->d_name) < 0)
				return NULL;
			return path;
		}
	return NULL;
}

/* A park point: unmount the run's mount there, then remove the empty directory. */
static int recover_unpark(struct recover_ctx *c, const char *park, uint64_t want, struct mp_error *err)
{
	_cleanup_free_ char *copy = strdup(park);
	_cleanup_close_ int dir = copy ? open(dirname(copy), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	const char *name = strrchr(park, '/') + 1;
	char proc[RESOLVE_PROC_FD_MAX + 300];
	struct statx stx;
	int done = 0;

	if (dir < 0)
		return errno == ENOENT ? 0 : error_set_errno(err, errno, "open the parent of %s", park);
	if (statx(dir, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID_UNIQUE, &stx) < 0)
		return errno == ENOENT ? 0 : error_set_errno(err, errno, "statx %s", park);
	resolve_proc_fd(dir, proc);
	snprintf(proc + strlen(proc), sizeof(proc) - strlen(proc), "/%s", name);
	if ((stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) && stx.stx_mnt_id > c->run->facts.mnt_watermark &&
	    (!want || stx.stx_mnt_id == want)) {
		if (umount2(proc, UMOUNT_NOFOLLOW) < 0)
			return error_set_errno(err, errno, "unmount %s", park);
		done = 1;
	}
	if (unlinkat(dir, name, AT_REMOVEDIR) == 0)
		done = 1;
	else if (errno != ENOENT)
		return error_set_errno(err, errno, "rmdir %s", park);
	return done;
}

static int recover_step_umount(struct recover_ctx *c, const struct journal_step *s, struct mp_error *err)
{
	uint64_t want = c->mode == RECOVER_ROLLBACK ? s->st.mnt_id : 0;

	if (!c->same_boot || c->ns_gone)
		return 0; /* the mounts went with the reboot, or with their namespace */
	if (c->mode == RECOVER_ROLLBACK && ((s->op == OP_ROOT_BIND && !s->st.made_mount) || s->st.mnt_id == 0))
		return 0; /* the step made no mount (root already one, MASK of an absent path) */
	if (s->op == OP_PARK) {
		_cleanup_free_ char *found = NULL;
		const char *park = s->st.park_path;

		if (!park)
			park = found = recover_find_park(c, s->index);
		return park ? recover_unpark(c, park, want, err) : 0;
	}
	if (!s->path)
		return error_set(err, EINVAL, "step %" PRIu32 " %s has no target", s->index, op_name(s->op));
	if (strcmp(s->path, "/") == 0) {
		(void)!chdir("/"); /* recover_umount leaves the cwd in the root */
		return recover_umount_root(c, s->path, want, err);
	}
	return recover_umount(c, s->index, s->path, want, err);
}

/* Loop devices the step attached and that are still bound to the image. */
static int recover_step_loop(struct recover_ctx *c, const struct journal_step *s, struct mp_error *err)
{
	char tag[PROBE_LOOP_NAME_MAX], name[PROBE_LOOP_NAME_MAX];
	_cleanup_(closedirp_) DIR *d = NULL;
	struct dirent *e;
	int done = 0, r;

	if (!c->same_boot)
		return 0;
	if (c->mode == RECOVER_ROLLBACK) {
		if (s->st.loop_nr < 0)
			return 0;
		r = loop_detach(s->st.loop_nr, s->st.backing_dev, s->st.backing_ino, err);
		if (r == -ENXIO || r == -ESTALE || r == -ENOENT)
			return 0; /* already detached (autoclear), or reused by someone else: not ours now */
		return r < 0 ? r : 1;
	}
	/* Crashed: the loop number was never recorded; find the device by its tag. */
	probe_loop_tag(tag, c->run->facts.pid, c->run->facts.pid_start, s->index);
	d = opendir("/sys/block");
	if (!d)
		return error_set_errno(err, errno, "open /sys/block");
	while ((e = readdir(d))) {
		uint64_t dev, ino;
		int nr;
		struct mp_error e2;

		if (sscanf(e->d_name, "loop%d", &nr) != 1)
			continue;
		if (probe_loop(nr, &dev, &ino, name, &e2) < 0)
			continue;
		/*
		 * The tag names this executor (pid + start time) and this step:
		 * no one else's device carries it.  The image inode is known only
		 * after the attach, so for a crashed run it was never recorded;
		 * when it was, it must match too.
		 */
		if (strcmp(name, tag) != 0 || (s->st.backing_ino && (dev != s->st.backing_dev || ino != s->st.backing_ino)))
			continue;
		r = loop_detach(nr, dev, ino, err);
		if (r < 0 && r != -ENXIO)
			return r;
		done = 1;
	}
	return done;
}

/*
 * Birth time of parent/name in ns; -ENOENT if it is gone, -EBUSY if it is a
 * mount point (the root of a mount the run made, whose own step removes
 * the directory once the mount is gone), -ENODATA if the filesystem does
 * not tell.
 */
static int64_t recover_birth_ns(int parent, const char *name)
{
	struct statx stx;

	if (statx(parent, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BTIME, &stx) < 0)
		return errno == ENOENT ? -ENOENT : -ENODATA;
	if (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)
		return -EBUSY;
	if (!(stx.stx_mask & STATX_BTIME))
		return -ENODATA;
	return (int64_t)stx.stx_btime.tv_sec * 1000000000 + stx.stx_btime.tv_nsec;
}

/*
 * Which of the n trailing components of s->path to remove: the deepest
 * ones that are gone already are skipped (*ret_skip of them), then, for a
 * crashed run, only the consecutive ones born after the run started are
 * taken (a component older than the run, or whose birth time the
 * filesystem does not tell, stops the count and is left alone).  This is
 * what keeps a directory that already existed inside a filesystem the run
 * mounted, invisible when the intent was taken, from being removed.
 * Returns how many to remove, starting at the component after the skipped.
 */
static uint32_t recover_removable(struct recover_ctx *c, const struct journal_step *s, uint32_t n,
				  uint32_t *ret_skip)
{
	uint32_t total = path_components(s->path), skip = 0, take = 0;
	/* timestamps come from a coarse clock: allow it to lag the run's start */
	int64_t since = c->run->started_ns - 20 * 1000000;

	for (uint32_t i = 0; i < n && i < total; i++) {
		char prefix[4096], name[256];
		_cleanup_close_ int parent = -1;
		struct mp_error e;
		int64_t born;
		int r;

		if (path_prefix(s->path, total - i, prefix, sizeof(prefix)) < 0)
			break;
		r = recover_locate(c, prefix, &parent, name, sizeof(name), &e);
		born = r < 0 ? (r == -ENOENT ? -ENOENT : -ENODATA) : recover_birth_ns(parent, name);
		if (born == -ENOENT) {
			if (take)
				break; /* a gap: what is above it is not ours to judge */
			skip++;
			continue;
		}
		if (born == -EBUSY) {
			/*
			 * Mounted on.  A parent in a crashed run's over-counted intent
			 * may be an earlier step's mount point, still mounted: its own
			 * steps come later.  Anywhere else the mount should be gone
			 * by now: take it, so the removal reports it as an undo failure.
			 */
			if (c->mode == RECOVER_ROLLBACK || skip + i == 0)
				take++;
			break;
		}
		if (c->mode == RECOVER_CRASHED && (born == -ENODATA || born < since))
			break;
		take++;
	}
	*ret_skip = skip;
	return take;
}

static int recover_step_remove(struct recover_ctx *c, const struct journal_step *s, struct mp_error *err)
{
	uint32_t n, skip = 0, removed = 0, total;
	char path[4096];
	int r;

	if (s->st.existed_before || !s->path)
		return 0;
	total = path_components(s->path);
	/*
	 * An applied run created these for sure.  The directory that held the
	 * shallowest of them was there before the run; when it no longer leads
	 * to a directory (renamed, replaced by a FIFO or a symlink), what was
	 * created went with it, and "missing at the path" proves nothing.
	 * Unless the run's mounts are gone with a reboot or their namespace:
	 * then a holder inside one of them (an overlay on "/") is gone too, and
	 * what was created in it with it.
	 */
	if (c->mode == RECOVER_ROLLBACK && c->same_boot && !c->ns_gone && s->st.created_components > 0 &&
	    s->st.created_components <= total &&
	    path_prefix(s->path, total - s->st.created_components, path, sizeof(path)) == 0) {
		_cleanup_close_ int holder = -1;

		r = resolve_in_root_flags(c->root_fd, path, O_PATH | O_DIRECTORY, &holder, err);
		if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)
			return error_set(err, -r,
					 "'%s', which held what the run created of '%s', no longer leads to a directory "
					 "(renamed or replaced?): not removed",
					 path, s->path);
	}
	n = recover_removable(c, s, c->mode == RECOVER_ROLLBACK ? s->st.created_components : s->would_create, &skip);
	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		if (path_prefix(s->path, total - skip - i, path, sizeof(path)) < 0)
			return error_set(err, ENAMETOOLONG, "path '%s' too long", s->path);
		r = resolve_remove_created(c->root_fd, path, 1, NULL, err);
		/*
		 * A crashed run's intent counts every component missing at the
		 * start, also parents a later step shares with an earlier one
		 * (/etc for /etc/app and /etc/resolv.conf): a parent still holding
		 * the earlier step's entry is that step's to remove.
		 */
		if (r == -ENOTEMPTY && skip + i > 0 && c->mode == RECOVER_CRASHED)
			break;
		if (r < 0)
			return error_wrap(err, "remove what was created of '%s' (%" PRIu32 " of %" PRIu32 " removed)",
					  s->path, removed, n);
		removed++;
	}
	return 1;
}

/*
 * The step of index's plan entry that made the mount on its path, when its
 * unique id is known (an applied run) and its mount may still be there;
 * else UINT32_MAX.
 */
static uint32_t recover_mount_of(const struct recover_ctx *c, uint32_t index)
{
	const struct journal_step *m = &c->steps[index];

	if (c->mode != RECOVER_ROLLBACK)
		return UINT32_MAX;
	for (uint32_t j = index; j-- > 0 && c->steps[j].entry == m->entry;) {
		const struct journal_step *s = &c->steps[j];

		if (op_undo(s->op) != UNDO_UMOUNT || s->op == OP_PARK || s->op == OP_ROOT_BIND || !s->path ||
		    strcmp(s->path, m->path) != 0)
			continue;
		return (s->st.status == STEP_DONE || s->st.status == STEP_UNDO_FAILED) && s->st.mnt_id ? j : UINT32_MAX;
	}
	return UINT32_MAX;
}

/* REMOUNT / PROPAGATE: put back the attributes or propagation the mount at the path had. */
static int recover_step_attr(struct recover_ctx *c, const struct journal_step *s, struct mp_error *err)
{
	_cleanup_close_ int fd = -1;
	uint64_t id = 0;
	bool is_root = false;
	uint32_t maker;
	int r;

	if (!c->same_boot || c->ns_gone || !s->path)
		return 0;
	maker = strcmp(s->path, "/") == 0 ? UINT32_MAX : recover_mount_of(c, s->index);
	if (maker != UINT32_MAX) {
		/* the entry's own mount (bind + propagation): by its id, wherever a rename has put it */
		struct mount_found f = { .parent_fd = -1, .fd = -1 };

		r = mount_find(c->root_fd, c->steps[maker].st.mnt_id, s->path, true, &f, err);
		if (r == -ENOENT)
			return 0; /* gone: nothing to restore */
		if (r < 0)
			return error_wrap(err, "find the mount on '%s'", s->path);
		fd = TAKE_FD(f.fd);
		mount_found_release(&f);
		is_root = true;
	} else {
		r = resolve_in_root(c->root_fd, s->path, &fd, err);
		if (r == -ENOENT)
			return 0;
		if (r == 0)
			r = probe_mount_id(fd, &id, &is_root, err);
		if (r < 0)
			return r;
	}
	if (!is_root)
		return 0; /* no mount there any more */
	/*
	 * Also on the run's own mounts (id above the watermark): a read-only
	 * REMOUNT of the root bind must be undone before the mount points
	 * created under it can be removed; the mount itself goes later.
	 */
	if (s->op == OP_REMOUNT) {
		uint32_t changed = (s->operand[1] | s->operand[2]) & MOUNT_ATTRS_RESTORABLE;
		uint32_t set = s->st.prior_attr & changed, clr = changed & ~s->st.prior_attr;

		if (changed & MOUNT_ATTR__ATIME) {
			set = (set & ~MOUNT_ATTR__ATIME) | (s->st.prior_attr & MOUNT_ATTR__ATIME);
			clr |= MOUNT_ATTR__ATIME;
		}
		r = mount_setattr_fd(fd, s->operand[3] & MP_TREE_RECURSIVE, set, clr, 0, -1, err);
	} else {
		r = mount_setattr_fd(fd, s->operand[2] & MP_TREE_RECURSIVE, 0, 0,
				     s->st.prior_propagation ? s->st.prior_propagation : MS_PRIVATE, -1, err);
	}
	return r < 0 ? error_wrap(err, "restore '%s'", s->path) : 1;
}

static int recover_step(struct recover_ctx *c, const struct journal_step *s, struct mp_error *err)
{
	switch (op_undo(s->op)) {
	case UNDO_UMOUNT:
		return recover_step_umount(c, s, err);
	case UNDO_LOOP_DETACH:
		return recover_step_loop(c, s, err);
	case UNDO_REMOVE_CREATED:
		return recover_step_remove(c, s, err);
	case UNDO_RESTORE_ATTR:
	case UNDO_RESTORE_PROPAGATION:
		return recover_step_attr(c, s, err);
	case UNDO_NONE:
	case UNDO_CLOSE: /* fds died with the executor */
	case UNDO__COUNT:
		break;
	}
	return 0;
}

/*
 * The run was made in another mount namespace (an OCI hook applies inside
 * the container's).  While a process is in it, join it (setns; *ret_home
 * keeps ours to return to) and undo there.  When it is gone, so are the
 * mounts that were only in it and the loop devices that only they held
 * (autoclear): what may remain are the loop devices of non-autoclear
 * attaches and the paths the run created in the root, which this
 * namespace shows too — c->ns_gone makes the mount steps count as undone.
 */
static int recover_enter_ns(struct recover_ctx *c, int *ret_home, struct mp_error *err)
{
	_cleanup_close_ int ns = -1, home = -1;
	int r;

	r = probe_find_mntns(c->run->facts.mntns_ino, &ns, err);
	if (r == -ENOENT) {
		c->ns_gone = true;
		return 0;
	}
	if (r < 0)
		return r;
	home = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return error_set_errno(err, errno, "open /proc/self/ns/mnt");
	if (setns(ns, CLONE_NEWNS) < 0)
		return error_set_errno(err, errno, "joining the run's mount namespace %" PRIu64, c->run->facts.mntns_ino);
	/* setns moved our root and cwd to the namespace's root */
	c->in_foreign_ns = true;
	*ret_home = TAKE_FD(home);
	return 0;
}

/* Which steps this mode looks at. */
static bool recover_wants(enum recover_mode mode, const struct journal_step *s)
{
	if (mode == RECOVER_CRASHED)
		return s->st.status != STEP_UNDONE; /* nothing recorded: ask the kernel about every step */
	return s->st.status == STEP_DONE || s->st.status == STEP_UNDO_FAILED;
}

/*
 * Batched rollback (the idea: undo.c, undo_run).  ROOT_BIND's mount goes
 * with everything below it in one detach, instead of one umount2 (and one
 * RCU grace period) per mount, when
 *  - everything below it is the run's own: the ids its steps recorded;
 *  - no path the run created lies inside another of the run's mounts: those
 *    are removed by path afterwards, which would then lead into the root's
 *    own directories instead;
 *  - no process uses a mount of the run that holds no other: umount2 with
 *    MNT_EXPIRE answers EBUSY for such a mount and unmounts nothing (then
 *    the rollback goes one by one and reports that mount busy, as always).
 *    A mount that holds others cannot be asked so: a process whose cwd is
 *    in one sees it detached lazily.
 * Returns the steps whose mounts go with it, or NULL (one by one).
 */
/* c->own and c->first_step_id: the mounts the run's steps recorded (a rollback; none for a crashed run). */
static int recover_own_ids(struct recover_ctx *c, struct mp_error *err)
{
	c->first_step_id = UINT64_MAX;
	if (c->mode != RECOVER_ROLLBACK)
		return 0;
	c->own = malloc((c->n_steps + 1) * sizeof(*c->own));
	if (!c->own)
		return error_set(err, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < c->n_steps; i++) {
		const struct journal_step *s = &c->steps[i];

		if (!recover_wants(c->mode, s) || op_undo(s->op) != UNDO_UMOUNT || !s->st.mnt_id)
			continue;
		c->own[c->n_own++] = s->st.mnt_id;
		if (s->op != OP_ROOT_BIND && s->st.mnt_id < c->first_step_id)
			c->first_step_id = s->st.mnt_id;
	}
	mount_ids_sort(c->own, c->n_own);
	return 0;
}

static bool *recover_batch_plan(struct recover_ctx *c)
{
	const struct journal_step *rb = &c->steps[0];
	_cleanup_free_ uint64_t *below = NULL;
	_cleanup_free_ const struct journal_step **leaf = NULL;
	struct pathset targets = { 0 };
	size_t n_below = 0, n_leaf = 0;
	struct recover_dir dir = { .fd = -1 };
	bool *in_batch = NULL, ok = true;
	struct mp_error e;

	if (c->mode != RECOVER_ROLLBACK || !c->same_boot || c->ns_gone || c->n_steps == 0 || rb->op != OP_ROOT_BIND ||
	    !recover_wants(c->mode, rb) || !rb->st.made_mount || !rb->st.mnt_id)
		return NULL;
	in_batch = calloc(c->n_steps, sizeof(*in_batch));
	if (!in_batch || pathset_init(&targets, c->n_steps) < 0)
		goto no;
	if (mount_list_below(rb->st.mnt_id, &below, &n_below, &e) < 0)
		goto no;
	for (size_t k = 0; k < n_below; k++)
		if (!mount_id_in(c->own, c->n_own, below[k]))
			goto no; /* another's mount (or a copy of one that was in the root) is below */
	for (uint32_t i = 1; i < c->n_steps; i++) {
		const struct journal_step *s = &c->steps[i];

		in_batch[i] = recover_wants(c->mode, s) && op_undo(s->op) == UNDO_UMOUNT && s->st.mnt_id &&
			      mount_id_in(below, n_below, s->st.mnt_id);
		if (in_batch[i] && (!s->path || pathset_add(&targets, s->path) < 0))
			goto no;
	}
	for (uint32_t i = 1; i < c->n_steps && ok; i++) {
		const struct journal_step *s = &c->steps[i];
		char holder[4096];

		if (op_undo(s->op) != UNDO_REMOVE_CREATED || !recover_wants(c->mode, s) || s->st.created_components == 0)
			continue;
		ok = s->path && s->st.created_components <= path_components(s->path) &&
		     path_prefix(s->path, path_components(s->path) - s->st.created_components, holder, sizeof(holder)) == 0 &&
		     !pathset_has_prefix_of(&targets, holder);
	}
	if (!ok)
		goto no;
	/* the mounts that hold no other: in path order, those whose path is no prefix of the next one */
	leaf = malloc(c->n_steps * sizeof(*leaf));
	if (!leaf)
		goto no;
	for (uint32_t i = 1; i < c->n_steps; i++)
		if (in_batch[i])
			leaf[n_leaf++] = &c->steps[i];
	qsort(leaf, n_leaf, sizeof(*leaf), cmp_step_path);
	for (size_t k = 0; k < n_leaf && ok; k++) {
		const char *path = leaf[k]->path, *next = k + 1 < n_leaf ? leaf[k + 1]->path : NULL;
		size_t len = strlen(path);

		if (strcmp(path, "/") == 0 || (next && strncmp(next, path, len) == 0 && next[len] == '/'))
			continue;
		ok = recover_mount_idle(c, path, leaf[k]->st.mnt_id, &dir);
	}
	if (dir.fd >= 0)
		close(dir.fd);
	(void)!chdir("/");
	if (!ok)
		goto no;
	pathset_free(&targets);
	return in_batch;
no:
	pathset_free(&targets);
	free(in_batch);
	return NULL;
}

/* After the batch detach: did step i's mount, or the one its undo acts on, go with it?  (undo.c: the same) */
static bool recover_went_with_batch(const struct recover_ctx *c, uint32_t i, const bool *in_batch)
{
	enum op op = c->steps[i].op;

	return in_batch[i] || op == OP_ROOT_BIND || op_undo(op) == UNDO_RESTORE_ATTR ||
	       op_undo(op) == UNDO_RESTORE_PROPAGATION;
}

/*
 * Detach ROOT_BIND's mount with all below it, and reopen the root under
 * it.  The root path shows the topmost mount there: the run's mounts on
 * "/" (batched, so its own) go first, one detach each, then ROOT_BIND's.
 */
static int recover_batch_detach(struct recover_ctx *c, const bool *in_batch, struct mp_error *err)
{
	char proc[RESOLVE_PROC_FD_MAX];

	for (;;) {
		uint64_t id = 0;
		bool is_root = false, ours = false;
		int r = probe_mount_id(c->root_fd, &id, &is_root, err);

		if (r < 0)
			return r;
		for (uint32_t i = 0; i < c->n_steps && !ours; i++)
			ours = (i == 0 || (in_batch[i] && c->steps[i].path && strcmp(c->steps[i].path, "/") == 0)) &&
			       c->steps[i].st.mnt_id == id;
		if (!is_root || !ours)
			return error_set(err, ESTALE, "the mount on the root (id %" PRIu64 ") is not the run's", id);
		resolve_proc_fd(c->root_fd, proc);
		if (umount2(proc, MNT_DETACH) < 0)
			return error_set_errno(err, errno, "detach the mount on the root");
		r = recover_open_root(c, err);
		if (r < 0 || id == c->steps[0].st.mnt_id)
			return r;
	}
}

int recover_undo_run(struct journal *j, const struct journal_run *run, enum recover_mode mode, FILE *log,
		     struct timings *clock, struct recover_result *ret, struct mp_error *err)
{
	struct recover_ctx c = { .run = run, .mode = mode, .root_fd = -1, .log = log };
	_cleanup_free_ bool *in_batch = NULL;
	bool detached = false;
	struct journal_step *steps = NULL;
	struct step_state *out = NULL;
	struct recover_result res = { 0 };
	char boot[PROBE_BOOT_ID_LEN + 1], msg[160];
	uint64_t mntns;
	uint32_t n = 0;
	int r, home = -1;

	r = probe_boot_id(boot, err);
	if (r == 0)
		r = probe_mntns_ino(&mntns, err);
	if (r < 0)
		return r;
	c.same_boot = strcmp(boot, run->facts.boot_id) == 0;
	if (c.same_boot && mntns != run->facts.mntns_ino) {
		r = recover_enter_ns(&c, &home, err);
		if (r < 0)
			return r;
	}
	r = recover_open_root(&c, err);
	if (r < 0)
		goto out;
	r = journal_get_steps(j, run->id, &steps, &n, err);
	if (r < 0)
		goto out;
	for (uint32_t i = 0; i < n; i++)
		if (steps[i].index != i) {
			r = error_set(err, EUCLEAN, "journal %s: run %" PRId64 " has no row for step %" PRIu32 ": not touched",
				      journal_path(j), run->id, i);
			goto out;
		}
	out = calloc(n ? n : 1, sizeof(*out));
	c.handled = calloc(n ? n : 1, sizeof(*c.handled));
	if (!out || !c.handled) {
		r = error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		out[i] = steps[i].st;
		out[i].error = NULL;
		out[i].park_path = steps[i].st.park_path;
	}
	c.steps = steps;
	c.n_steps = n;
	c.out = out;
	timings_mark(clock, "read-steps");
	r = recover_own_ids(&c, err);
	if (r < 0)
		goto out;
	in_batch = recover_batch_plan(&c);
	timings_mark(clock, "batch-plan");
	for (uint32_t i = n; i-- > 0;) {
		const struct journal_step *s = &steps[i];
		struct mp_error e = { 0 };
		int q;

		if (c.handled[i])
			continue; /* undone with the mount on its path (recover_remove_point) */
		if (!recover_wants(mode, s)) {
			if (s->st.status == STEP_PENDING)
				out[i].status = STEP_PENDING; /* not rewritten */
			continue;
		}
		if (in_batch && !detached && in_batch[i]) {
			if (recover_batch_detach(&c, in_batch, &e) == 0)
				detached = true;
			else
				in_batch = (free(in_batch), NULL); /* one by one then */
		}
		if (detached && recover_went_with_batch(&c, i, in_batch))
			q = 1;
		else
			q = recover_step(&c, s, &e);
		if (q < 0) {
			out[i].status = STEP_UNDO_FAILED;
			out[i].err = e.code;
			out[i].error = strdup(e.msg);
			res.failed++;
			if (log)
				fprintf(log, "step %" PRIu32 " %s (%s:%" PRIu32 ":%" PRIu32 "): undo FAILED: %s\n", i,
					op_name(s->op), run->plan_file, s->line, s->col, e.msg);
		} else if (q > 0 || mode == RECOVER_ROLLBACK) {
			out[i].status = STEP_UNDONE;
			out[i].err = 0;
			if (q > 0)
				res.undone++;
			if (q > 0 && log)
				fprintf(log, "step %" PRIu32 " %s %s: undone\n", i, op_name(s->op),
					s->path ? s->path : s->src ? s->src : "");
		} else {
			out[i].status = STEP_PENDING; /* the kernel shows nothing of it: never reached */
		}
	}
	res.undone += c.extra_undone;
	timings_mark(clock, "undo");
	if (mode == RECOVER_ROLLBACK)
		res.state = res.failed ? RUN_FAILED : RUN_ROLLED_BACK;
	else
		res.state = res.failed ? RUN_FAILED : RUN_RECOVERED;
	snprintf(msg, sizeof(msg), "%s: %" PRIu32 " step%s undone, %" PRIu32 " undo failure%s",
		 mode == RECOVER_ROLLBACK ? "rollback" : "recover", res.undone, res.undone == 1 ? "" : "s", res.failed,
		 res.failed == 1 ? "" : "s");
	/* Steps still pending are skipped by finish_run: mark them explicitly only when they were re-examined. */
	r = journal_finish_run(j, run->id, res.state, out, n, -1, res.failed || mode == RECOVER_CRASHED ? msg : NULL, err);
	timings_mark(clock, "journal-finish");
	if (r == 0 && ret)
		*ret = res;
out:
	if (out)
		for (uint32_t i = 0; i < n; i++)
			free(out[i].error);
	free(out);
	free(c.handled);
	free(c.own);
	mount_newer_free(c.moved, c.n_moved);
	journal_steps_free(steps, n);
	if (c.root_fd >= 0)
		close(c.root_fd);
	(void)!chdir("/"); /* recover_umount leaves the cwd in the root */
	if (home >= 0 && setns(home, CLONE_NEWNS) < 0 && r == 0)
		r = error_set_errno(err, errno, "returning to our mount namespace");
	if (home >= 0)
		close(home);
	return r;
}

int recover_verify_run(struct journal *j, const struct journal_run *run, FILE *out, uint32_t *ret_diffs,
		       struct mp_error *err)
{
	struct recover_ctx c = { .run = run, .mode = RECOVER_ROLLBACK, .root_fd = -1, .same_boot = true };
	struct journal_step *steps = NULL;
	uint32_t n = 0, diffs = 0;
	int r;

	r = recover_open_root(&c, err);
	if (r == 0)
		r = journal_get_steps(j, run->id, &steps, &n, err);
	if (r < 0)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		const struct journal_step *s = &steps[i];
		struct mp_error e;

		if (s->st.status != STEP_DONE)
			continue;
		if (op_undo(s->op) == UNDO_UMOUNT && s->st.mnt_id && s->op != OP_PARK && s->path) {
			_cleanup_close_ int parent = -1;
			char name[256];
			struct statx stx;

			if (recover_locate(&c, s->path, &parent, name, sizeof(name), &e) < 0 ||
			    statx(parent, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID_UNIQUE, &stx) < 0) {
				fprintf(out, "step %" PRIu32 " %s %s: target gone\n", i, op_name(s->op), s->path);
				diffs++;
			} else if (stx.stx_mnt_id != s->st.mnt_id) {
				fprintf(out, "step %" PRIu32 " %s %s: mount id %" PRIu64 " there, the run made %" PRIu64 "\n", i,
					op_name(s->op), s->path, (uint64_t)stx.stx_mnt_id, s->st.mnt_id);
				diffs++;
			}
		} else if (s->op == OP_LOOP_ATTACH && s->st.loop_nr >= 0) {
			uint64_t dev = 0, ino = 0;

			if (probe_loop(s->st.loop_nr, &dev, &ino, NULL, &e) < 0 || dev != s->st.backing_dev ||
			    ino != s->st.backing_ino) {
				fprintf(out, "step %" PRIu32 " LOOP_ATTACH: /dev/loop%d is no longer backed by %s\n", i,
					s->st.loop_nr, s->src ? s->src : "the image");
				diffs++;
			}
		}
	}
	*ret_diffs = diffs;
out:
	journal_steps_free(steps, n);
	if (c.root_fd >= 0)
		close(c.root_fd);
	return r;
}
