/*
 * exec.c — the interpreter (see exec.h for the life of a run and where
 * the journal hooks in).
 *
 * One `switch` names every opcode of schema/opcodes.def.  Each case reads
 * its operands by the row's kinds, resolves PATH operands inside the root
 * (resolve.c), does the kernel call (op-*.c) and records in steps[i]
 * exactly what undo.c needs: components created, the unique id of the
 * mount made, the loop device and its backing inode, prior attributes and
 * propagation, the park directory.
 *
 * The root fd is the only anchor: every PATH is resolved relative to it
 * with RESOLVE_IN_ROOT.  A mount onto "/" stacks a new mount over the
 * root's directory, which the old fd does not see (an fd pins the mount it
 * was opened on), so such a step pushes an fd on the new mount as the root
 * and its undo pops it again.
 */
#include "exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "limits.h"
#include "mount-find.h"
#include "op-loop.h"
#include "op-mount.h"
#include "op-userns.h"
#include "op-wait.h"
#include "pathset.h"
#include "resolve.h"
#include "undo.h"

#define PARK_PARENT "/run/mountplan"
/* fsconfig copies at most 256 bytes of a string value (strndup_user limit) */
#define FSCONFIG_VALUE_MAX 256

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void exec_where(const struct exec_ctx *ctx, uint32_t i, char *buf, size_t n)
{
	const struct program *p = ctx->prog;
	const struct mp_debug *d = &p->debug[i];

	snprintf(buf, n, "%s:%" PRIu32 ":%" PRIu32, program_str(p, p->hdr.plan_file), d->line, d->col);
}

static const char *S(const struct exec_ctx *ctx, uint32_t off)
{
	return program_str(ctx->prog, off);
}

void exec_reg_release(struct exec_reg *r)
{
	if (r->fd >= 0)
		close(r->fd);
	for (uint32_t i = 0; i < r->n_held; i++)
		close(r->held[i]);
	for (uint32_t i = 0; i < r->n_layers; i++)
		close(r->layers[i]);
	for (uint32_t i = 0; i < r->n_deferred; i++) {
		free(r->deferred[i].key);
		free(r->deferred[i].value);
		if (r->deferred[i].fd >= 0)
			close(r->deferred[i].fd);
	}
	free(r->deferred);
	free(r->held);
	free(r->layers);
	*r = (struct exec_reg){ .kind = REG_EMPTY, .fd = -1, .loop_nr = -1, .writer = EXEC_NO_STEP };
}

int exec_init(struct exec_ctx *ctx, const struct program *prog, int root_fd, const char *root_path,
	      struct mp_error *err)
{
	uint32_t n = prog->hdr.n_insns, nr = prog->hdr.n_regs;

	*ctx = (struct exec_ctx){ .prog = prog, .root_path = root_path, .root_fd = root_fd,
				  .failed_step = EXEC_NO_STEP, .park_dir_fd = -1, .resolved_fd = -1,
				  .run_root_fd = -1 };
	ctx->regs = calloc(nr ? nr : 1, sizeof(*ctx->regs));
	ctx->steps = calloc(n, sizeof(*ctx->steps));
	ctx->root_pushed = calloc(n, sizeof(*ctx->root_pushed));
	ctx->root_stack = calloc(n, sizeof(*ctx->root_stack));
	ctx->prepared_fd = malloc(n * sizeof(*ctx->prepared_fd));
	if (!ctx->regs || !ctx->steps || !ctx->root_pushed || !ctx->root_stack || !ctx->prepared_fd) {
		exec_fini(ctx);
		return error_set(err, ENOMEM, "out of memory for %" PRIu32 " steps", n);
	}
	for (uint32_t i = 0; i < nr; i++)
		exec_reg_release(&ctx->regs[i]);
	for (uint32_t i = 0; i < n; i++) {
		ctx->steps[i].loop_nr = -1;
		ctx->prepared_fd[i] = -1;
	}
	return 0;
}

void exec_prepared_invalidate(struct exec_ctx *ctx)
{
	if (ctx->prepared_fd)
		for (uint32_t i = 0; i < ctx->prog->hdr.n_insns; i++)
			if (ctx->prepared_fd[i] >= 0) {
				close(ctx->prepared_fd[i]);
				ctx->prepared_fd[i] = -1;
			}
	ctx->prepared_valid = false;
}

void exec_fini(struct exec_ctx *ctx)
{
	if (ctx->regs)
		for (uint32_t i = 0; i < ctx->prog->hdr.n_regs; i++)
			exec_reg_release(&ctx->regs[i]);
	if (ctx->steps)
		for (uint32_t i = 0; i < ctx->prog->hdr.n_insns; i++) {
			free(ctx->steps[i].error);
			free(ctx->steps[i].park_path);
			resolve_made_free(&ctx->steps[i].made);
		}
	for (uint32_t i = 0; i < ctx->n_root_stack; i++)
		close(ctx->root_stack[i]);
	if (ctx->root_fd >= 0)
		close(ctx->root_fd);
	if (ctx->park_dir_fd >= 0)
		close(ctx->park_dir_fd);
	if (ctx->run_root_fd >= 0)
		close(ctx->run_root_fd);
	free(ctx->root_copies);
	ctx->root_copies = NULL;
	if (ctx->resolved_fd >= 0)
		close(ctx->resolved_fd);
	ctx->resolved_fd = -1;
	exec_prepared_invalidate(ctx);
	free(ctx->prepared_fd);
	ctx->prepared_fd = NULL;
	free(ctx->regs);
	free(ctx->steps);
	free(ctx->root_pushed);
	free(ctx->root_stack);
	ctx->regs = NULL;
	ctx->steps = NULL;
	ctx->root_fd = -1;
	ctx->park_dir_fd = -1;
}

/* Make new_root_fd the root (and cwd) from step on; the fds exec_prepare kept stay valid. */
static int root_push(struct exec_ctx *ctx, uint32_t step, int new_root_fd)
{
	ctx->root_stack[ctx->n_root_stack++] = ctx->root_fd;
	ctx->root_fd = new_root_fd;
	ctx->root_known = false;
	ctx->root_pushed[step] = 1;
	/* cwd follows the root, so nothing relative can reach the covered directory */
	if (fchdir(new_root_fd) < 0)
		return -errno;
	return 0;
}

int exec_push_root(struct exec_ctx *ctx, uint32_t step, int new_root_fd)
{
	exec_prepared_invalidate(ctx);
	return root_push(ctx, step, new_root_fd);
}

void exec_pop_root(struct exec_ctx *ctx, uint32_t step)
{
	if (!ctx->root_pushed[step] || ctx->n_root_stack == 0)
		return;
	exec_prepared_invalidate(ctx);
	close(ctx->root_fd);
	ctx->root_fd = ctx->root_stack[--ctx->n_root_stack];
	ctx->root_pushed[step] = 0;
	ctx->root_known = false;
	(void)!fchdir(ctx->root_fd);
}

/* A register of the expected kind, or an error (the verifier should have made this impossible). */
static int reg_get(struct exec_ctx *ctx, uint32_t idx, enum reg_kind kind, struct exec_reg **ret,
		   struct mp_error *err)
{
	struct exec_reg *r;

	if (idx >= ctx->prog->hdr.n_regs)
		return error_set(err, EINVAL, "register r%" PRIu32 " out of range", idx);
	r = &ctx->regs[idx];
	if (r->kind != kind)
		return error_set(err, EINVAL, "register r%" PRIu32 " is empty or of another type", idx);
	*ret = r;
	return 0;
}

/* The register a W* operand writes; whatever it held is released first. */
static struct exec_reg *reg_put(struct exec_ctx *ctx, uint32_t idx, uint32_t step, enum reg_kind kind)
{
	struct exec_reg *r = &ctx->regs[idx];

	exec_reg_release(r);
	r->kind = kind;
	r->writer = step;
	return r;
}

static int fd_list_add(int **list, uint32_t *n, uint32_t *cap, int fd)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 4;
		int *l = realloc(*list, c * sizeof(int));

		if (!l)
			return -ENOMEM;
		*list = l;
		*cap = c;
	}
	(*list)[(*n)++] = fd;
	return 0;
}

/* Open a SRC operand: inside the root with MP_IF_SRC_IN_ROOT, else on the host. */
static int open_src(struct exec_ctx *ctx, const struct mp_insn *in, uint32_t off, int *ret_fd,
		    struct mp_error *err)
{
	if (in->flags & MP_IF_SRC_IN_ROOT)
		return resolve_in_root(ctx->root_fd, S(ctx, off), ret_fd, err);
	return resolve_host(S(ctx, off), ret_fd, err);
}

/*
 * Whether every path in the root still resolves as it did before op ran: op
 * creates directories or works on detached objects only.  The others attach,
 * detach or change mounts in the root, so a target resolved before them may
 * now be covered.
 */
static bool op_keeps_paths(enum op op)
{
	switch (op) {
	case OP_MKDIR: case OP_MKPOINT: case OP_LOOP_ATTACH: case OP_USERNS: case OP_OPEN_TREE:
	case OP_IDMAP: case OP_SETATTR: case OP_FSOPEN: case OP_FSCONFIG: case OP_FSCONFIG_PATH:
	case OP_FSCONFIG_LOOP: case OP_FSCONFIG_PARK: case OP_FSMOUNT: case OP_WAIT_LINK:
	case OP_WAIT_DEVICE: case OP_SKIP_UNLESS_EMPTY: case OP_CLOSE:
		return true;
	case OP_END: case OP_ROOT_BIND: case OP_MOVE: case OP_PARK: case OP_UMOUNT: case OP_BIND:
	case OP_MOUNT: case OP_MOUNT_HELPER: case OP_REMOUNT: case OP_PROPAGATE: case OP_MASK:
	case OP__COUNT:
		break;
	}
	return false;
}

static void resolved_drop(struct exec_ctx *ctx)
{
	if (ctx->resolved_fd >= 0)
		close(ctx->resolved_fd);
	ctx->resolved_fd = -1;
}

/*
 * Keep fd (taken over), what the target PATH at strtab offset path resolves
 * to, for the step mounting there; plain: reached without a symlink.
 */
static void resolved_keep(struct exec_ctx *ctx, uint32_t path, int fd, bool plain)
{
	resolved_drop(ctx);
	ctx->resolved_fd = fd;
	ctx->resolved_path = path;
	ctx->resolved_plain = plain;
}

/*
 * The target of a mounting step: the fd MKDIR/MKPOINT kept for this very
 * path, else a fresh lookup.  *ret_maybe_root is false when the target
 * cannot be the root directory itself: a path other than "/" reached
 * without a symlink (normalized paths have no "..").
 */
static int resolve_target(struct exec_ctx *ctx, uint32_t path, int *ret_fd, bool *ret_maybe_root,
			  struct mp_error *err)
{
	*ret_maybe_root = true;
	if (ctx->resolved_fd >= 0 &&
	    (ctx->resolved_path == path || strcmp(S(ctx, ctx->resolved_path), S(ctx, path)) == 0)) {
		*ret_fd = ctx->resolved_fd;
		*ret_maybe_root = !ctx->resolved_plain || strcmp(S(ctx, path), "/") == 0;
		ctx->resolved_fd = -1;
		return 0;
	}
	return resolve_in_root(ctx->root_fd, S(ctx, path), ret_fd, err);
}

/* Whether fd is the root directory itself (a target like "/x -> /" lands there too). */
static bool is_root_dir(struct exec_ctx *ctx, int fd)
{
	struct statx a, b;

	if (!ctx->root_known) {
		if (statx(ctx->root_fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID_UNIQUE, &b) < 0)
			return false;
		ctx->root_ino = b.stx_ino;
		ctx->root_mnt = b.stx_mnt_id;
		ctx->root_dev_major = b.stx_dev_major;
		ctx->root_dev_minor = b.stx_dev_minor;
		ctx->root_known = true;
	}
	if (statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID_UNIQUE, &a) < 0)
		return false;
	return a.stx_ino == ctx->root_ino && a.stx_dev_major == ctx->root_dev_major &&
	       a.stx_dev_minor == ctx->root_dev_minor && a.stx_mnt_id == ctx->root_mnt;
}

/*
 * Attach tree at the resolved target and record the mount's unique id.
 * Onto the root directory: the mount now covering it becomes the root.
 */
static int attach_tree(struct exec_ctx *ctx, uint32_t i, int tree, int target_fd, bool maybe_root,
		       struct mp_error *err)
{
	struct step_state *st = &ctx->steps[i];
	bool onto_root = maybe_root && is_root_dir(ctx, target_fd);
	int r;

	r = mount_move(tree, target_fd, err);
	if (r < 0)
		return r;
	r = resolve_mount_of(tree, &st->mnt_id, NULL, err);
	if (r < 0)
		return r;
	if (onto_root) {
		int nr = openat(tree, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (nr < 0)
			return error_set_errno(err, errno, "re-open the root on its new mount");
		r = exec_push_root(ctx, i, nr);
		if (r < 0)
			return error_set_errno(err, -r, "fchdir to the new root");
	}
	return 0;
}

/* After mount(2) or a helper on target_fd: find the new mount and record its id. */
static int record_new_mount(struct exec_ctx *ctx, uint32_t i, const char *path, bool onto_root,
			    struct mp_error *err)
{
	_cleanup_close_ int fd = -1;
	bool is_root = false;
	int r;

	if (onto_root)
		/* the old root fd does not see what covers it; the admin's root path does */
		fd = open(ctx->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	else
		r = resolve_in_root(ctx->root_fd, path, &fd, err);
	if (fd < 0)
		return onto_root ? error_set_errno(err, errno, "re-open root '%s'", ctx->root_path) : r;
	r = resolve_mount_of(fd, &ctx->steps[i].mnt_id, &is_root, err);
	if (r < 0)
		return r;
	if (!is_root)
		return error_set(err, EIO, "no mount appeared on '%s'", path);
	if (onto_root) {
		r = exec_push_root(ctx, i, TAKE_FD(fd));
		if (r < 0)
			return error_set_errno(err, -r, "fchdir to the new root");
	}
	return 0;
}

/* REMOUNT and PROPAGATE change the mount at PATH; refuse a path inside a mount, which
 * would change the mount that contains it (the host's, for a root that is not a mount). */
static int resolve_mount_root(struct exec_ctx *ctx, const char *path, int *ret_fd, struct mp_error *err)
{
	_cleanup_close_ int fd = -1;
	bool is_root = false;
	int r;

	r = resolve_in_root(ctx->root_fd, path, &fd, err);
	if (r < 0)
		return r;
	r = resolve_mount_of(fd, NULL, &is_root, err);
	if (r < 0)
		return r;
	if (!is_root)
		return error_set(err, EINVAL, "'%s' is not a mount point: refusing to change the mount holding it",
				 path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int park_dir(struct exec_ctx *ctx, struct mp_error *err)
{
	const char *dir = ctx->park_dir ? ctx->park_dir : EXEC_PARK_DIR;
	struct stat st;
	int fd;

	if (ctx->park_dir_fd >= 0)
		return ctx->park_dir_fd;
	if (!ctx->park_dir && mkdir(PARK_PARENT, 0700) < 0 && errno != EEXIST)
		return error_set_errno(err, errno, "mkdir " PARK_PARENT);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set_errno(err, errno, "mkdir %s", dir);
	fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "open %s", dir);
	/* only ours: in a directory others could write to, a park could be swapped for a symlink */
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0022)) {
		close(fd);
		return error_set(err, EPERM, "%s is not a private directory of this user", dir);
	}
	ctx->park_dir_fd = fd;
	return fd;
}

static int do_park(struct exec_ctx *ctx, uint32_t i, const struct mp_insn *in, struct mp_error *err)
{
	struct step_state *st = &ctx->steps[i];
	_cleanup_close_ int point = -1;
	struct exec_reg *tree, *park;
	char name[64];
	int dir, r;

	r = reg_get(ctx, in->o[1], REG_TREE, &tree, err);
	if (r < 0)
		return r;
	dir = park_dir(ctx, err);
	if (dir < 0)
		return dir;
	for (int attempt = 0;; attempt++) {
		uint64_t rnd = now_ns() ^ ((uint64_t)getpid() << 32) ^ ((uint64_t)attempt * 0x9E3779B97F4A7C15u);

		snprintf(name, sizeof(name), "p%d-%" PRIu32 "-%016" PRIx64, (int)getpid(), i, rnd);
		if (mkdirat(dir, name, 0700) == 0)
			break;
		if (errno != EEXIST || attempt > 100)
			return error_set_errno(err, errno, "mkdir %s/%s", ctx->park_dir ? ctx->park_dir : EXEC_PARK_DIR,
					       name);
	}
	if (asprintf(&st->park_path, "%s/%s", ctx->park_dir ? ctx->park_dir : EXEC_PARK_DIR, name) < 0) {
		st->park_path = NULL;
		unlinkat(dir, name, AT_REMOVEDIR);
		return error_set(err, ENOMEM, "out of memory");
	}
	point = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (point < 0) {
		r = error_set_errno(err, errno, "open %s", st->park_path);
		unlinkat(dir, name, AT_REMOVEDIR);
		return r;
	}
	r = mount_move(tree->fd, point, err);
	if (r == 0)
		r = resolve_mount_of(tree->fd, &st->mnt_id, NULL, err);
	if (r < 0) {
		unlinkat(dir, name, AT_REMOVEDIR);
		return error_wrap(err, "park at %s", st->park_path);
	}
	park = reg_put(ctx, in->o[0], i, REG_PARK);
	park->fd = fcntl(tree->fd, F_DUPFD_CLOEXEC, 3);
	if (park->fd < 0)
		return error_set_errno(err, errno, "dup");
	return 0;
}

/* Unmount a parked tree and remove its directory, only when the unmount worked. */
static int do_unpark(struct exec_ctx *ctx, struct exec_reg *park, const char *park_path, struct mp_error *err)
{
	const char *name = strrchr(park_path, '/') + 1;
	_cleanup_close_ int point = -1;
	bool is_root = true;
	int r;

	r = mount_detach_fd(park->fd, err);
	if (r < 0)
		return error_wrap(err, "unmount %s", park_path);
	close(park->fd);
	park->fd = -1;
	point = openat(ctx->park_dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (point < 0)
		return error_set_errno(err, errno, "open %s", park_path);
	r = resolve_mount_of(point, NULL, &is_root, err);
	if (r < 0)
		return r;
	if (is_root)
		return error_set(err, EBUSY, "%s is still a mount point: not removed", park_path);
	if (unlinkat(ctx->park_dir_fd, name, AT_REMOVEDIR) < 0)
		return error_set_errno(err, errno, "rmdir %s", park_path);
	return 0;
}

/*
 * fsconfig KEY = the object at fd.  Overlay (6.13+) takes the fd itself
 * (FSCONFIG_SET_FD) and shows the layer's real path in mountinfo; other
 * filesystems and older kernels get "/proc/self/fd/N", which the kernel
 * follows to the same inode.  Either way no path string is walked again.
 */
static int fs_set_path(struct exec_reg *fs, const char *key, int fd, struct mp_error *err)
{
	char proc[RESOLVE_PROC_FD_MAX];
	int r;

	if (fs->is_overlay && !fs->no_set_fd) {
		r = mount_fs_set_fd(fs->fd, key, fd, err);
		if (r != -EINVAL)
			return r;
		fs->no_set_fd = true;
	}
	resolve_proc_fd(fd, proc);
	return mount_fs_set(fs->fd, false, key, proc, err);
}

/*
 * An overlay layer (lowerdir+).  Given as /proc/self/fd/N, one per
 * fsconfig call, so no one-page or 256-byte limit applies.  A kernel
 * before 6.8 does not know lowerdir+ (EINVAL, "Unknown parameter"): then
 * the layers are collected and given as one lowerdir= at FSMOUNT.
 */
static int fs_add_layer(struct exec_ctx *ctx, struct exec_reg *fs, int layer_fd, struct mp_error *err)
{
	int dup_fd, r;

	if (!fs->lowerdir_fallback) {
		if (ctx->no_lowerdir_plus && fs->n_held == 0 && fs->n_layers == 0)
			fs->lowerdir_fallback = true;
		else {
			r = fs_set_path(fs, "lowerdir+", layer_fd, err);
			if (r == 0)
				return fd_list_add(&fs->held, &fs->n_held, &fs->cap_held,
						   fcntl(layer_fd, F_DUPFD_CLOEXEC, 3));
			if (r != -EINVAL || fs->n_held > 0 || !strstr(err->msg, "Unknown parameter"))
				return r;
			fs->lowerdir_fallback = true;
		}
	}
	dup_fd = fcntl(layer_fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return error_set_errno(err, errno, "dup");
	if (fd_list_add(&fs->layers, &fs->n_layers, &fs->cap_layers, dup_fd) < 0) {
		close(dup_fd);
		return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/*
 * The lowerdir= fallback of kernels without lowerdir+ (before 6.8).  Once
 * the first lowerdir+ is refused, the layers and every later parameter of
 * the context are held back, and FSMOUNT gives them in the one form such a
 * kernel takes:
 *   1. "lowerdir=/proc/self/fd/A:/proc/self/fd/B:..." through fsconfig, if
 *      it fits fsconfig's 256-byte value;
 *   2. else the same compacted relative to the layers' common parent,
 *      /proc/self/fd ("A:B:..."), with the cwd moved there until the
 *      superblock exists (the kernel resolves relative layers against it);
 *   3. else, past 256 bytes even so, classic mount(2) with the whole option
 *      string (one page) on a private park directory, cloned into a
 *      detached tree (open_tree) and the park unmounted: the result is the
 *      same detached mount FSMOUNT would have made.
 */
static int fs_defer(struct exec_reg *fs, bool flag, const char *key, const char *value, int fd, struct mp_error *err)
{
	struct fs_param *p;

	if (fs->n_deferred == fs->cap_deferred) {
		uint32_t c = fs->cap_deferred ? fs->cap_deferred * 2 : 4;
		struct fs_param *l = realloc(fs->deferred, c * sizeof(*l));

		if (!l)
			return error_set(err, ENOMEM, "out of memory");
		fs->deferred = l;
		fs->cap_deferred = c;
	}
	p = &fs->deferred[fs->n_deferred];
	*p = (struct fs_param){ .flag = flag, .fd = -1 };
	p->key = strdup(key);
	p->value = value ? strdup(value) : NULL;
	if (fd >= 0)
		p->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (!p->key || (value && !p->value) || (fd >= 0 && p->fd < 0)) {
		free(p->key);
		free(p->value);
		if (p->fd >= 0)
			close(p->fd);
		return error_set(err, ENOMEM, "out of memory");
	}
	fs->n_deferred++;
	return 0;
}

/* Give the held-back parameters to the context (after lowerdir=). */
static int fs_replay(struct exec_reg *fs, struct mp_error *err)
{
	for (uint32_t k = 0; k < fs->n_deferred; k++) {
		const struct fs_param *p = &fs->deferred[k];
		int r;

		if (p->fd >= 0)
			r = fs_set_path(fs, p->key, p->fd, err);
		else
			r = mount_fs_set(fs->fd, p->flag, p->key, p->value, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Layer names: "/proc/self/fd/N" (absolute) or "N" (relative to /proc/self/fd), joined with ':'. */
static int fs_layer_list(const struct exec_reg *fs, bool relative, char *buf, size_t size)
{
	char(*names)[RESOLVE_PROC_FD_MAX] = calloc(fs->n_layers, sizeof(*names));
	const char **ptrs = calloc(fs->n_layers, sizeof(*ptrs));
	int r = -ENOMEM;

	if (names && ptrs) {
		for (uint32_t k = 0; k < fs->n_layers; k++) {
			if (relative)
				snprintf(names[k], sizeof(names[k]), "%d", fs->layers[k]);
			else
				resolve_proc_fd(fs->layers[k], names[k]);
			ptrs[k] = names[k];
		}
		r = mount_join_layers(ptrs, fs->n_layers, buf, size);
	}
	free(names);
	free(ptrs);
	return r;
}

/* mount(2) data for step 3: lowerdir= and the held-back parameters, fds relative to /proc/self/fd. */
static int fs_classic_data(const struct exec_reg *fs, char *buf, size_t size)
{
	size_t len;
	int r;

	if (size < 10)
		return -E2BIG;
	strcpy(buf, "lowerdir=");
	len = strlen(buf);
	r = fs_layer_list(fs, true, buf + len, size - len);
	if (r < 0)
		return r;
	len = strlen(buf);
	for (uint32_t k = 0; k < fs->n_deferred; k++) {
		const struct fs_param *p = &fs->deferred[k];
		int w;

		if (p->fd >= 0)
			w = snprintf(buf + len, size - len, ",%s=%d", p->key, p->fd);
		else if (p->flag)
			w = snprintf(buf + len, size - len, ",%s", p->key);
		else
			w = snprintf(buf + len, size - len, ",%s=%s", p->key, p->value);
		if (w < 0 || (size_t)w >= size - len)
			return -E2BIG;
		len += (size_t)w;
	}
	return 0;
}

/* Step 3: mount(2) on a private park point, cloned into a detached tree; the park goes again. */
static int fs_mount_classic(struct exec_ctx *ctx, struct exec_reg *fs, uint32_t attr, int *ret_tree,
			    struct mp_error *err)
{
	_cleanup_close_ int point = -1, fddir = -1, tree = -1;
	char data[MP_MOUNT_DATA_MAX], name[64], target[RESOLVE_PROC_FD_MAX];
	int dir, r, m;

	r = fs_classic_data(fs, data, sizeof(data));
	if (r < 0)
		return error_set(err, E2BIG, "%" PRIu32 " overlay layers do not fit one page of mount(2) options",
				 fs->n_layers);
	dir = park_dir(ctx, err);
	if (dir < 0)
		return dir;
	snprintf(name, sizeof(name), "o%d-%016" PRIx64, (int)getpid(), now_ns());
	if (mkdirat(dir, name, 0700) < 0)
		return error_set_errno(err, errno, "mkdir park for the overlay");
	point = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	fddir = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (point < 0 || fddir < 0) {
		r = error_set_errno(err, errno, "open park or /proc/self/fd");
		unlinkat(dir, name, AT_REMOVEDIR);
		return r;
	}
	resolve_proc_fd(point, target);
	/* the layer names are relative to /proc/self/fd: the kernel resolves them against the cwd */
	if (fchdir(fddir) < 0) {
		r = error_set_errno(err, errno, "chdir /proc/self/fd");
		unlinkat(dir, name, AT_REMOVEDIR);
		return r;
	}
	m = mount("overlay", target, "overlay", 0, data);
	r = m < 0 ? -errno : 0;
	if (fchdir(ctx->root_fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		error_set_errno(err, -r, "mount(2) overlay (%" PRIu32 " layers, no lowerdir+)", fs->n_layers);
		if (m == 0) {
			struct mp_error e2;
			int top = openat(dir, name, O_PATH | O_CLOEXEC);

			if (top >= 0) {
				mount_detach_fd(top, &e2);
				close(top);
			}
		}
		unlinkat(dir, name, AT_REMOVEDIR);
		return r;
	}
	{
		int top = openat(dir, name, O_PATH | O_DIRECTORY | O_CLOEXEC); /* crosses into the new mount */
		struct mp_error e2;

		r = top < 0 ? error_set_errno(err, errno, "open the parked overlay") : mount_clone(top, false, &tree, err);
		if (r == 0)
			r = mount_setattr_fd(tree, false, attr, 0, 0, -1, err);
		if (top >= 0 && mount_detach_fd(top, &e2) == 0)
			unlinkat(dir, name, AT_REMOVEDIR);
		if (top >= 0)
			close(top);
	}
	if (r < 0)
		return r;
	*ret_tree = TAKE_FD(tree);
	return 0;
}

static int do_fsmount(struct exec_ctx *ctx, uint32_t i, const struct mp_insn *in, struct mp_error *err)
{
	char value[FSCONFIG_VALUE_MAX];
	struct exec_reg *fs, *tree;
	bool moved_cwd = false;
	int r, tfd = -1;

	r = reg_get(ctx, in->o[1], REG_FS, &fs, err);
	if (r < 0)
		return r;
	if (fs->lowerdir_fallback && fs->n_layers > 0) {
		if (fs_layer_list(fs, false, value, sizeof(value)) < 0) {
			if (fs_layer_list(fs, true, value, sizeof(value)) < 0) {
				r = fs_mount_classic(ctx, fs, in->o[2], &tfd, err);
				goto done;
			}
			_cleanup_close_ int fddir = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);

			if (fddir < 0 || fchdir(fddir) < 0)
				return error_set_errno(err, errno, "chdir /proc/self/fd");
			moved_cwd = true;
		}
		r = mount_fs_set(fs->fd, false, "lowerdir", value, err);
		if (r == 0)
			r = fs_replay(fs, err);
	}
	if (r == 0)
		r = mount_fs_create(fs->fd, in->o[2], &tfd, err);
	if (moved_cwd && fchdir(ctx->root_fd) < 0 && r == 0)
		r = error_set_errno(err, errno, "fchdir back to the root");
done:
	if (r < 0) {
		if (tfd >= 0)
			close(tfd);
		return r;
	}
	/* the superblock holds its own references now */
	for (uint32_t k = 0; k < fs->n_held; k++)
		close(fs->held[k]);
	fs->n_held = 0;
	tree = reg_put(ctx, in->o[0], i, REG_TREE);
	tree->fd = tfd;
	return 0;
}

/* Is the directory at PATH empty?  A missing one counts as empty. */
static int dir_is_empty(struct exec_ctx *ctx, const char *path, bool *ret, struct mp_error *err)
{
	_cleanup_close_ int fd = -1;
	char buf[4096];
	long n;
	int r;

	r = resolve_in_root_flags(ctx->root_fd, path, O_RDONLY | O_DIRECTORY, &fd, err);
	if (r == -ENOENT) {
		*ret = true;
		return 0;
	}
	if (r < 0)
		return r;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
				*ret = false;
				return 0;
			}
			off += d->d_reclen;
		}
	}
	if (n < 0)
		return error_set_errno(err, errno, "read directory '%s'", path);
	*ret = true;
	return 0;
}

/* WAIT_LINK / WAIT_DEVICE (op-wait.c); a timeout is a failure, which an optional entry survives. */
static int do_wait(struct exec_ctx *ctx, uint32_t i, const struct mp_insn *in, struct mp_error *err)
{
	if (in->op == OP_WAIT_LINK)
		return wait_link(S(ctx, in->o[0]), in->o[1], in->o[2], &ctx->steps[i].duration_ns, err);
	return wait_device(S(ctx, in->o[0]), in->o[1], &ctx->steps[i].duration_ns, err);
}

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

int exec_block_signals(struct mp_error *err)
{
	sigset_t set;

	stop_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return error_set_errno(err, errno, "sigprocmask");
	return 0;
}

/* A stop signal that arrived while blocked: its number, or 0. */
static int pending_stop(void)
{
	static const int stops[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	sigset_t pending;

	if (sigpending(&pending) < 0)
		return 0;
	for (size_t k = 0; k < sizeof(stops) / sizeof(stops[0]); k++)
		if (sigismember(&pending, stops[k]) == 1)
			return stops[k];
	return 0;
}

/* Run instruction i; *next is where to go on (i + 1 unless it jumps); *skipped when it did nothing. */
static int exec_step(struct exec_ctx *ctx, uint32_t i, uint32_t *next, bool *skipped, struct mp_error *err)
{
	const struct mp_insn *in = &ctx->prog->insns[i];
	struct step_state *st = &ctx->steps[i];
	_cleanup_close_ int fd = -1, src = -1, tree = -1;
	struct exec_reg *a, *b;
	enum op op = (enum op)in->op;
	bool rec = false, maybe_root = true;
	int r = 0;

	switch (op) {
	case OP_END:
		*next = ctx->prog->hdr.n_insns;
		return 0;
	case OP_MKDIR:
	case OP_MKPOINT: {
		const char *path = S(ctx, in->o[0]);
		uint32_t mode = op == OP_MKDIR ? in->o[1] : in->o[2];
		struct resolve_made *made;
		bool as_file = false, plain;
		struct stat sst;

		/* the common case: it is all there already: the fd prepare kept, or one lookup, and
		 * no look at the source */
		if (ctx->prepared_valid && ctx->prepared_fd[i] >= 0) {
			fd = ctx->prepared_fd[i];
			ctx->prepared_fd[i] = -1;
			r = 0;
		} else
			r = resolve_in_root_plain(ctx->root_fd, path, &fd, err);
		plain = r == 0;
		if (r == -ELOOP)
			r = resolve_in_root(ctx->root_fd, path, &fd, err);
		if (r == 0) {
			st->created_components = 0;
			st->existed_before = true;
			resolved_keep(ctx, in->o[0], TAKE_FD(fd), plain);
			return 0;
		}
		if (r != -ENOENT)
			return error_wrap(err, "create '%s'", path);
		if (op == OP_MKPOINT) {
			/* a host source is the admin's path: a stat is enough; an in-root one is resolved */
			if (!(in->flags & MP_IF_SRC_IN_ROOT)) {
				if (stat(S(ctx, in->o[1]), &sst) < 0)
					return error_set_errno(err, errno, "source '%s': stat", S(ctx, in->o[1]));
			} else {
				r = open_src(ctx, in, in->o[1], &src, err);
				if (r < 0)
					return error_wrap(err, "source '%s'", S(ctx, in->o[1]));
				if (fstat(src, &sst) < 0)
					return error_set_errno(err, errno, "stat source '%s'", S(ctx, in->o[1]));
			}
			as_file = !S_ISDIR(sst.st_mode);
		}
		/* where each component is made is kept for undo while the fd budget lasts */
		made = ctx->fd_budget >= path_components(path) ? &st->made : NULL;
		r = resolve_create_in_root(ctx->root_fd, path, as_file, mode & 07777, (mode & 0666) | 0600,
					   &st->created_components, &fd, made, err);
		ctx->fd_budget -= st->made.n;
		st->existed_before = st->created_components == 0;
		if (r < 0 && st->created_components > 0) {
			/* take back what this failed step made; the error stays the step's */
			struct mp_error e2;

			resolve_remove_created(ctx->root_fd, path, st->created_components, NULL, &e2);
			st->created_components = 0;
		}
		if (r < 0)
			return error_wrap(err, "create '%s'", path);
		resolved_keep(ctx, in->o[0], TAKE_FD(fd), false);
		return 0;
	}
	case OP_ROOT_BIND: {
		/* always a mount of the run's own, also on a root that is a mount point already */
		bool prepared = ctx->run_root_fd >= 0 && i == 0;
		int mnt;

		if (!prepared) {
			r = mount_clone(ctx->root_fd, true, &tree, err);
			if (r < 0)
				return error_wrap(err, "bind the root onto itself");
		}
		mnt = prepared ? ctx->run_root_fd : tree;
		r = mount_move(mnt, ctx->root_fd, err);
		if (r < 0)
			return error_wrap(err, "bind the root onto itself");
		st->made_mount = true;
		r = resolve_mount_of(mnt, &st->mnt_id, NULL, err);
		if (r < 0)
			return r;
		fd = openat(mnt, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return error_set_errno(err, errno, "re-open the root");
		if (i == 0 && !prepared)
			ctx->run_root_fd = TAKE_FD(tree); /* for undo_run */
		/* what is below it now came with the clone: the mounts that were in the root */
		r = mount_list_below(st->mnt_id, &ctx->root_copies, &ctx->n_root_copies, err);
		if (r < 0)
			return error_wrap(err, "list the mounts below the root's");
		/* prepared: what exec_prepare resolved in the clone is inside this very mount now */
		r = prepared ? root_push(ctx, i, TAKE_FD(fd)) : exec_push_root(ctx, i, TAKE_FD(fd));
		if (r < 0)
			return error_set_errno(err, -r, "fchdir to the new root");
		return 0;
	}
	case OP_LOOP_ATTACH: {
		char tag[EXEC_LOOP_TAG_MAX] = "";

		r = open_src(ctx, in, in->o[1], &src, err);
		if (r < 0)
			return error_wrap(err, "image");
		if (ctx->hooks.loop_tag)
			ctx->hooks.loop_tag(ctx->hooks.data, i, tag);
		r = loop_attach(src, in->o[2], in->o[3] | (uint64_t)in->o[4] << 32, in->o[5] | (uint64_t)in->o[6] << 32,
				tag, &st->loop_nr, &st->backing_dev, &st->backing_ino, &fd, err);
		if (r < 0)
			return error_wrap(err, "loop attach '%s'", S(ctx, in->o[1]));
		a = reg_put(ctx, in->o[0], i, REG_LOOP);
		a->loop_nr = st->loop_nr;
		a->fd = TAKE_FD(fd); /* held until CLOSE: an autoclear device goes away on its last close */
		return 0;
	}
	case OP_USERNS:
		r = userns_create(S(ctx, in->o[1]), S(ctx, in->o[2]), &fd, err);
		if (r < 0)
			return error_wrap(err, "user namespace");
		a = reg_put(ctx, in->o[0], i, REG_USERNS);
		a->fd = TAKE_FD(fd);
		return 0;
	case OP_OPEN_TREE:
		r = open_src(ctx, in, in->o[1], &src, err);
		if (r == 0)
			r = mount_clone(src, in->o[2] & MP_TREE_RECURSIVE, &tree, err);
		if (r < 0)
			return error_wrap(err, "clone '%s'", S(ctx, in->o[1]));
		a = reg_put(ctx, in->o[0], i, REG_TREE);
		a->fd = TAKE_FD(tree);
		a->recursive = in->o[2] & MP_TREE_RECURSIVE;
		return 0;
	case OP_IDMAP:
		r = reg_get(ctx, in->o[0], REG_TREE, &a, err);
		if (r == 0)
			r = reg_get(ctx, in->o[1], REG_USERNS, &b, err);
		if (r == 0)
			r = mount_setattr_fd(a->fd, a->recursive, 0, 0, 0, b->fd, err);
		return r < 0 ? error_wrap(err, "idmap") : 0;
	case OP_SETATTR:
		r = reg_get(ctx, in->o[0], REG_TREE, &a, err);
		if (r == 0)
			r = mount_setattr_fd(a->fd, a->recursive, in->o[1], in->o[2], in->o[3], -1, err);
		return r;
	case OP_FSOPEN:
		r = mount_fs_open(S(ctx, in->o[1]), &fd, err);
		if (r < 0)
			return r;
		a = reg_put(ctx, in->o[0], i, REG_FS);
		a->fd = TAKE_FD(fd);
		a->is_overlay = strcmp(S(ctx, in->o[1]), "overlay") == 0;
		return 0;
	case OP_FSCONFIG:
		r = reg_get(ctx, in->o[0], REG_FS, &a, err);
		if (r == 0 && a->lowerdir_fallback) /* held back until lowerdir= is given at FSMOUNT */
			return fs_defer(a, in->o[1] == MP_FSC_FLAG, S(ctx, in->o[2]), S(ctx, in->o[3]), -1, err);
		if (r == 0)
			r = mount_fs_set(a->fd, in->o[1] == MP_FSC_FLAG, S(ctx, in->o[2]), S(ctx, in->o[3]), err);
		return r;
	case OP_FSCONFIG_PATH:
	case OP_FSCONFIG_PARK: {
		const char *key = S(ctx, in->o[1]);
		int pfd;

		r = reg_get(ctx, in->o[0], REG_FS, &a, err);
		if (r < 0)
			return r;
		if (op == OP_FSCONFIG_PATH) {
			r = open_src(ctx, in, in->o[2], &src, err);
			if (r < 0)
				return error_wrap(err, "%s", key);
			pfd = src;
		} else {
			r = reg_get(ctx, in->o[2], REG_PARK, &b, err);
			if (r < 0)
				return r;
			pfd = b->fd;
		}
		if (a->is_overlay && strcmp(key, "lowerdir+") == 0)
			return fs_add_layer(ctx, a, pfd, err);
		if (a->lowerdir_fallback)
			return fs_defer(a, false, key, NULL, pfd, err);
		r = fs_set_path(a, key, pfd, err);
		if (r < 0)
			return r;
		if (op == OP_FSCONFIG_PATH) /* looked up again at FSCONFIG_CMD_CREATE by most filesystems */
			return fd_list_add(&a->held, &a->n_held, &a->cap_held, TAKE_FD(src)) < 0
				       ? error_set(err, ENOMEM, "out of memory") : 0;
		return 0;
	}
	case OP_FSCONFIG_LOOP: {
		char dev[32];

		r = reg_get(ctx, in->o[0], REG_FS, &a, err);
		if (r == 0)
			r = reg_get(ctx, in->o[2], REG_LOOP, &b, err);
		if (r < 0)
			return r;
		loop_dev_path(b->loop_nr, dev, sizeof(dev));
		return mount_fs_set(a->fd, false, S(ctx, in->o[1]), dev, err);
	}
	case OP_FSMOUNT:
		return do_fsmount(ctx, i, in, err);
	case OP_MOVE:
		r = reg_get(ctx, in->o[0], REG_TREE, &a, err);
		if (r == 0)
			r = resolve_target(ctx, in->o[1], &fd, &maybe_root, err);
		if (r == 0)
			r = attach_tree(ctx, i, a->fd, fd, maybe_root, err);
		return r < 0 ? error_wrap(err, "attach at '%s'", S(ctx, in->o[1])) : 0;
	case OP_PARK:
		return do_park(ctx, i, in, err);
	case OP_UMOUNT: {
		const char *path = NULL;

		r = reg_get(ctx, in->o[0], REG_PARK, &a, err);
		if (r < 0)
			return r;
		path = ctx->steps[a->writer].park_path;
		r = do_unpark(ctx, a, path ? path : "?", err);
		if (r == 0)
			exec_reg_release(a);
		return r;
	}
	case OP_BIND: {
		const char *path = S(ctx, in->o[1]);

		rec = in->o[2] & MP_TREE_RECURSIVE;
		if (in->flags & MP_IF_SRC_IN_ROOT) {
			r = open_src(ctx, in, in->o[0], &src, err);
			if (r < 0)
				return error_wrap(err, "bind source");
			r = mount_clone(src, rec, &tree, err);
		} else
			r = mount_clone_path(S(ctx, in->o[0]), rec, &tree, err);
		if (r == 0)
			r = mount_setattr_fd(tree, rec, in->o[3], in->o[4], 0, -1, err);
		if (r == 0)
			r = resolve_target(ctx, in->o[1], &fd, &maybe_root, err);
		if (r == 0)
			r = attach_tree(ctx, i, tree, fd, maybe_root, err);
		return r < 0 ? error_wrap(err, "bind '%s' at '%s'", S(ctx, in->o[0]), path) : 0;
	}
	case OP_MOUNT:
	case OP_MOUNT_HELPER: {
		const char *type = S(ctx, in->o[0]), *path = S(ctx, in->o[2]);
		char srcbuf[RESOLVE_PROC_FD_MAX];
		const char *source = S(ctx, in->o[1]);
		bool onto_root;

		r = resolve_target(ctx, in->o[2], &fd, &maybe_root, err);
		if (r < 0)
			return error_wrap(err, "target");
		onto_root = maybe_root && is_root_dir(ctx, fd);
		if (op == OP_MOUNT) {
			if (in->flags & MP_IF_SRC_IN_ROOT) {
				r = resolve_in_root(ctx->root_fd, source, &src, err);
				if (r < 0)
					return error_wrap(err, "source");
				resolve_proc_fd(src, srcbuf);
				source = srcbuf;
			}
			r = mount_classic(type, *source ? source : NULL, fd, in->o[3], S(ctx, in->o[4]), err);
		} else
			r = mount_helper(type, source, fd, S(ctx, in->o[3]), err);
		if (r == 0)
			r = record_new_mount(ctx, i, path, onto_root, err);
		return r < 0 ? error_wrap(err, "%s '%s' at '%s'", type, source, path) : 0;
	}
	case OP_REMOUNT:
	case OP_PROPAGATE: {
		const char *path = S(ctx, in->o[0]);

		rec = (op == OP_REMOUNT ? in->o[3] : in->o[2]) & MP_TREE_RECURSIVE;
		r = resolve_mount_root(ctx, path, &fd, err);
		if (r == 0 && op == OP_REMOUNT)
			r = mount_attr_of(fd, &st->prior_attr, err);
		if (r == 0 && op == OP_PROPAGATE)
			r = mount_propagation_of(fd, &st->prior_propagation, err);
		if (r == 0 && op == OP_REMOUNT)
			r = mount_setattr_fd(fd, rec, in->o[1], in->o[2], 0, -1, err);
		if (r == 0 && op == OP_PROPAGATE)
			r = mount_setattr_fd(fd, rec, 0, 0, in->o[1], -1, err);
		return r < 0 ? error_wrap(err, "'%s'", path) : 0;
	}
	case OP_MASK: {
		const char *path = S(ctx, in->o[0]);

		r = resolve_target(ctx, in->o[0], &fd, &maybe_root, err);
		if (r == -ENOENT) { /* nothing there to hide */
			*skipped = true;
			return 0;
		}
		if (r == 0)
			r = mount_mask(fd, &tree, err);
		if (r == 0)
			r = attach_tree(ctx, i, tree, fd, maybe_root, err);
		return r < 0 ? error_wrap(err, "mask '%s'", path) : 0;
	}
	case OP_WAIT_LINK:
	case OP_WAIT_DEVICE:
		return do_wait(ctx, i, in, err);
	case OP_SKIP_UNLESS_EMPTY: {
		bool empty = true;

		r = dir_is_empty(ctx, S(ctx, in->o[0]), &empty, err);
		if (r < 0)
			return r;
		if (!empty)
			*next = in->o[1];
		return 0;
	}
	case OP_CLOSE:
		if (in->o[0] < ctx->prog->hdr.n_regs)
			exec_reg_release(&ctx->regs[in->o[0]]);
		return 0;
	case OP__COUNT:
		break;
	}
	return error_set(err, EINVAL, "unknown opcode %u", in->op);
}

/* The instructions [start, end) of the optional plan entry around i. */
static void optional_group(const struct exec_ctx *ctx, uint32_t i, uint32_t *start, uint32_t *end)
{
	const struct mp_debug *d = ctx->prog->debug;
	uint32_t n = ctx->prog->hdr.n_insns, e = d[i].entry, s = i, t = i + 1;

	/* top-level keys share one entry number: there each instruction is its own group */
	if (e != MP_ENTRY_PLAN) {
		while (s > 0 && d[s - 1].entry == e && (ctx->prog->insns[s - 1].flags & MP_IF_OPTIONAL))
			s--;
		while (t < n && d[t].entry == e && ctx->prog->insns[t].op != OP_END)
			t++;
	}
	*start = s;
	*end = t;
}

static void step_fail(struct step_state *st, int r, const struct mp_error *e)
{
	st->status = STEP_FAILED;
	st->err = -r;
	free(st->error);
	st->error = strdup(e->msg);
}

/*
 * Fault injection for the journal's crash tests, read here and only here:
 *   MOUNTPLAN_FAULT_STEP=K MOUNTPLAN_FAULT_ERRNO=E  step K fails with errno E
 *                                                  before its syscall
 *   MOUNTPLAN_KILL_STEP=K:before|K:after           SIGKILL ourselves right
 *                                                  before / after step K
 * They can only make a run fail or die, which is what it must survive.
 */
struct exec_fault {
	uint32_t fail_at, kill_at;
	int fail_errno;
	bool kill_after;
};

static void exec_fault_from_env(struct exec_fault *f)
{
	const char *s;
	char *end;

	*f = (struct exec_fault){ .fail_at = EXEC_NO_STEP, .kill_at = EXEC_NO_STEP, .fail_errno = EIO };
	if ((s = getenv("MOUNTPLAN_FAULT_STEP")) && *s)
		f->fail_at = (uint32_t)strtoul(s, NULL, 10);
	if ((s = getenv("MOUNTPLAN_FAULT_ERRNO")) && *s)
		f->fail_errno = (int)strtol(s, NULL, 10) > 0 ? (int)strtol(s, NULL, 10) : EIO;
	if ((s = getenv("MOUNTPLAN_KILL_STEP")) && *s) {
		f->kill_at = (uint32_t)strtoul(s, &end, 10);
		f->kill_after = strcmp(end, ":after") == 0;
	}
}

int exec_run(struct exec_ctx *ctx, struct mp_error *err)
{
	const struct program *p = ctx->prog;
	uint32_t n = p->hdr.n_insns;
	char where[300];
	struct exec_fault fault;

	exec_fault_from_env(&fault);

	if (fchdir(ctx->root_fd) < 0)
		return error_set_errno(err, errno, "fchdir to the root");
	for (uint32_t i = 0; i < n;) {
		const struct mp_insn *in = &p->insns[i];
		struct step_state *st = &ctx->steps[i];
		uint32_t next = i + 1;
		bool skipped = false;
		struct mp_error serr;
		uint64_t t0 = now_ns();
		int r, sig = 0;

		error_clear(&serr);
		if (i == fault.kill_at && !fault.kill_after)
			raise(SIGKILL);
		/* a pending signal costs a syscall to see: looked for once per EXEC_SIGNAL_CHECK_NS */
		if (ctx->check_signals && t0 - ctx->signals_checked_ns >= EXEC_SIGNAL_CHECK_NS) {
			ctx->signals_checked_ns = t0;
			sig = pending_stop();
		}
		if (sig != 0)
			/* a signal between steps stops the run; undo runs before it is delivered */
			r = error_set(&serr, EINTR, "interrupted by %s before this step", strsignal(sig));
		else if (i == fault.fail_at)
			r = error_set_errno(&serr, fault.fail_errno, "injected failure (MOUNTPLAN_FAULT_STEP)");
		else
			r = exec_step(ctx, i, &next, &skipped, &serr);
		if (i == fault.kill_at && fault.kill_after)
			raise(SIGKILL);
		if (r < 0 || !op_keeps_paths((enum op)in->op))
			resolved_drop(ctx);
		if (r < 0) /* what the failure or its undo changed was not foreseen by exec_prepare */
			exec_prepared_invalidate(ctx);
		if (in->op != OP_WAIT_LINK && in->op != OP_WAIT_DEVICE)
			st->duration_ns = now_ns() - t0;
		/* the plan location is formatted only when something is said about the step */
		if (r < 0 || (ctx->verbose && ctx->log))
			exec_where(ctx, i, where, sizeof(where));
		if (r == 0) {
			st->status = skipped ? STEP_SKIPPED : STEP_DONE;
			if (ctx->verbose && ctx->log)
				fprintf(ctx->log, "mrun: step %" PRIu32 " %s (%s) %s in %.1f us\n", i,
					op_name((enum op)in->op), where, skipped ? "skipped" : "done",
					st->duration_ns / 1000.0);
			for (uint32_t k = i + 1; k < next && k < n; k++)
				ctx->steps[k].status = STEP_SKIPPED; /* jumped over */
		} else if (in->flags & MP_IF_OPTIONAL) {
			uint32_t gs, ge, failed;

			step_fail(st, r, &serr);
			optional_group(ctx, i, &gs, &ge);
			failed = undo_range(ctx, gs, i);
			if (ctx->log)
				fprintf(ctx->log,
					"mrun: optional step %" PRIu32 " %s (%s) failed: %s; its entry's done steps "
					"undone%s, going on at step %" PRIu32 "\n",
					i, op_name((enum op)in->op), where, serr.msg,
					failed ? " (some undo FAILED)" : "", ge);
			for (uint32_t k = i + 1; k < ge; k++)
				ctx->steps[k].status = STEP_SKIPPED;
			next = ge;
		} else {
			step_fail(st, r, &serr);
			ctx->failed_step = i;
			*err = serr;
			return error_wrap(err, "step %" PRIu32 " (%s) at %s", i, op_name((enum op)in->op), where);
		}
		if (ctx->hooks.after_step) {
			r = ctx->hooks.after_step(ctx->hooks.data, i, st);
			if (r < 0) {
				ctx->failed_step = i + 1 < n ? i + 1 : i;
				return error_set(err, -r, "after step %" PRIu32 ": hook failed", i);
			}
		}
		if (in->op == OP_END)
			break;
		i = next;
	}
	/* END: registers still open are closed (the mounts they led to stay) */
	resolved_drop(ctx);
	for (uint32_t k = 0; k < p->hdr.n_regs; k++)
		exec_reg_release(&ctx->regs[k]);
	return 0;
}

/* The PATH operand of an instruction, or NULL. */
static const char *insn_path(const struct exec_ctx *ctx, const struct mp_insn *in)
{
	for (int k = 0; k < MP_NOPERANDS; k++)
		if (op_operand_kind((enum op)in->op, k) == K_PATH)
			return S(ctx, in->o[k]);
	return NULL;
}

/*
 * The prepare scan's view of the mounts the run will make, in program
 * order (a jump only skips mounts, so this is an over-estimate): which
 * targets were reached without a symlink, where mounts will be attached,
 * and whether every attach so far had such a target.  While that holds, a
 * mount point's prepared fd stays right for its step unless a mount goes on
 * its path or a textual prefix of it.
 */
struct prepare_scan {
	struct pathset plain;    /* MKDIR/MKPOINT paths whose existing part has no symlink */
	struct pathset attached; /* targets of the attaching steps so far */
	bool all_plain;          /* every attach so far was on a path in `plain` */
	uint32_t fd_budget;      /* prepared fds we may still keep open */
};

/* Open fds the prepare scan may keep: raise the soft RLIMIT_NOFILE towards the hard one if needed. */
static uint32_t prepare_fd_budget(uint32_t wanted)
{
	struct rlimit rl;

	rlim_t need = (rlim_t)wanted + EXEC_FD_RESERVE, room;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
		struct rlimit more = { .rlim_cur = need < rl.rlim_max ? need : rl.rlim_max, .rlim_max = rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			rl = more;
	}
	if (rl.rlim_cur <= EXEC_FD_RESERVE)
		return 0;
	room = rl.rlim_cur - EXEC_FD_RESERVE;
	return room < wanted ? (uint32_t)room : wanted;
}

/*
 * MKDIR/MKPOINT intent: does PATH exist now, and if not how many trailing
 * components are missing.  An existing PATH that no mount of the run can
 * cover before its step keeps its fd (ctx->prepared_fd[i]).
 */
static void prepare_mount_point(struct exec_ctx *ctx, struct prepare_scan *scan, uint32_t i, const char *path)
{
	struct step_state *st = &ctx->steps[i];
	uint32_t k = path_components(path);
	struct mp_error e;
	int fd = -1, r;
	bool plain;

	r = resolve_in_root_plain(ctx->root_fd, path, &fd, &e);
	plain = r == 0 || r == -ENOENT;
	if (r == -ELOOP)
		r = resolve_in_root(ctx->root_fd, path, &fd, &e);
	st->existed_before = r == 0;
	st->created_components = 0;
	if (plain && pathset_add(&scan->plain, path) < 0)
		plain = false;
	if (r == 0 && plain && scan->all_plain && scan->fd_budget > 0 &&
	    !pathset_has_prefix_of(&scan->attached, path)) {
		ctx->prepared_fd[i] = TAKE_FD(fd);
		scan->fd_budget--;
	}
	if (fd >= 0)
		close(fd);
	/* how many trailing components are missing now */
	while (!st->existed_before && k > 0) {
		char prefix[4096];
		int pfd = -1;

		if (path_prefix(path, k, prefix, sizeof(prefix)) < 0 ||
		    resolve_in_root(ctx->root_fd, prefix, &pfd, &e) == 0) {
			if (pfd >= 0)
				close(pfd);
			break;
		}
		st->created_components++;
		k--;
	}
}

/* A step will attach a mount at target. */
static void prepare_attach(struct prepare_scan *scan, const char *target)
{
	if (!pathset_has(&scan->plain, target) || pathset_add(&scan->attached, target) < 0)
		scan->all_plain = false;
}

/* REMOUNT/PROPAGATE intent: the mount's attributes or propagation before the step. */
static void prepare_prior_state(struct exec_ctx *ctx, uint32_t i, const char *path)
{
	struct step_state *st = &ctx->steps[i];
	_cleanup_close_ int fd = -1;
	struct mp_error e;

	if (resolve_mount_root(ctx, path, &fd, &e) < 0)
		return;
	if (ctx->prog->insns[i].op == OP_REMOUNT)
		mount_attr_of(fd, &st->prior_attr, &e);
	else
		mount_propagation_of(fd, &st->prior_propagation, &e);
}

/*
 * The detached clone of the root (with the mounts below it) that ROOT_BIND
 * will attach, in ctx->run_root_fd.  Nothing is visible until then, and the
 * clone goes away with its fd if the run never gets there.
 */
static int prepare_clone_root(struct exec_ctx *ctx)
{
	struct mp_error e;
	int tree = -1;

	if (mount_clone(ctx->root_fd, true, &tree, &e) < 0)
		return -1; /* ROOT_BIND tries again and reports */
	if (resolve_mount_of(tree, &ctx->run_root_id, NULL, &e) < 0) {
		close(tree);
		return -1;
	}
	ctx->run_root_fd = tree;
	return 0;
}

int exec_prepare(struct exec_ctx *ctx, struct mp_error *err)
{
	const struct program *p = ctx->prog;
	struct prepare_scan scan = { .all_plain = true };
	uint32_t n = p->hdr.n_insns, points = 0, components = 0;
	int outer_root = -1;

	for (uint32_t i = 0; i < n; i++)
		if (p->insns[i].op == OP_MKDIR || p->insns[i].op == OP_MKPOINT) {
			points++;
			components += path_components(S(ctx, p->insns[i].o[0]));
		}
	if (pathset_init(&scan.plain, points) < 0 || pathset_init(&scan.attached, n) < 0) {
		pathset_free(&scan.plain);
		return error_set(err, ENOMEM, "out of memory for %" PRIu32 " steps", n);
	}
	/* a kept mount point or a made component (undo's record of where it was made) costs one fd */
	scan.fd_budget = prepare_fd_budget(components);
	if (n > 0 && p->insns[0].op == OP_ROOT_BIND && ctx->run_root_fd < 0 && prepare_clone_root(ctx) == 0) {
		/* look at the tree the steps will see: the clone ROOT_BIND attaches */
		outer_root = ctx->root_fd;
		ctx->root_fd = ctx->run_root_fd;
		ctx->root_known = false;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct mp_insn *in = &p->insns[i];

		switch ((enum op)in->op) {
		case OP_MKDIR:
		case OP_MKPOINT:
			prepare_mount_point(ctx, &scan, i, S(ctx, in->o[0]));
			break;
		case OP_REMOUNT:
		case OP_PROPAGATE:
			prepare_prior_state(ctx, i, S(ctx, in->o[0]));
			break;
		case OP_MOVE:
		case OP_BIND:
			prepare_attach(&scan, S(ctx, in->o[1]));
			break;
		case OP_MOUNT:
		case OP_MOUNT_HELPER:
			prepare_attach(&scan, S(ctx, in->o[2]));
			break;
		case OP_MASK:
			prepare_attach(&scan, S(ctx, in->o[0]));
			break;
		case OP_ROOT_BIND: /* a new mount on the root: what was resolved before is under it */
			if (i > 0 || outer_root < 0)
				scan.all_plain = false;
			break;
		case OP_PARK:
		case OP_UMOUNT:
			scan.all_plain = false;
			break;
		case OP_END: case OP_LOOP_ATTACH: case OP_USERNS: case OP_OPEN_TREE: case OP_IDMAP:
		case OP_SETATTR: case OP_FSOPEN: case OP_FSCONFIG: case OP_FSCONFIG_PATH: case OP_FSCONFIG_LOOP:
		case OP_FSCONFIG_PARK: case OP_FSMOUNT: case OP_WAIT_LINK: case OP_WAIT_DEVICE:
		case OP_SKIP_UNLESS_EMPTY: case OP_CLOSE: case OP__COUNT:
			break;
		}
	}
	pathset_free(&scan.plain);
	pathset_free(&scan.attached);
	if (outer_root >= 0) {
		ctx->root_fd = outer_root;
		ctx->root_known = false;
	}
	ctx->prepared_valid = true;
	ctx->fd_budget = scan.fd_budget;
	return 0;
}

int exec_dry_run(struct exec_ctx *ctx, FILE *out, struct mp_error *err)
{
	const struct program *p = ctx->prog;
	int r = exec_prepare(ctx, err);

	if (r < 0)
		return r;
	for (uint32_t i = 0; i < p->hdr.n_insns; i++) {
		const struct mp_insn *in = &p->insns[i];
		const struct step_state *st = &ctx->steps[i];
		const char *path = insn_path(ctx, in);
		struct mp_error e;
		int fd = -1;

		disasm_print_insn(out, p, i);
		if (in->op == OP_ROOT_BIND)
			fprintf(out, "\n       -> %s: would be bound onto itself (the run's own mount)", ctx->root_path);
		if (path) {
			r = resolve_in_root(ctx->root_fd, path, &fd, &e);
			if (r == 0) {
				bool is_root = false;

				resolve_mount_of(fd, NULL, &is_root, &e);
				fprintf(out, "\n       -> %s%s: exists%s", ctx->root_path, strcmp(path, "/") ? path : "",
					is_root ? ", a mount point" : "");
				close(fd);
			} else if (r == -ENOENT)
				fprintf(out, "\n       -> %s%s: absent", ctx->root_path, path);
			else
				fprintf(out, "\n       -> %s%s: %s", ctx->root_path, path, e.msg);
			if ((in->op == OP_MKDIR || in->op == OP_MKPOINT) && !st->existed_before)
				fprintf(out, " (would create %" PRIu32 " component%s)", st->created_components,
					st->created_components == 1 ? "" : "s");
			if (in->op == OP_SKIP_UNLESS_EMPTY) {
				bool empty = true;

				if (dir_is_empty(ctx, path, &empty, &e) == 0)
					fprintf(out, " (%s)", empty ? "empty: would go on"
								     : "not empty: would skip the entry");
			}
			if (in->op == OP_MASK && r == -ENOENT)
				fprintf(out, " (nothing to mask unless an earlier step makes it)");
		}
		fputc('\n', out);
	}
	return 0;
}
