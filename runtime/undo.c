/*
 * undo.c — rolling back completed steps (see undo.h).
 *
 * Every undo first re-reads the kernel and acts only if the object is
 * still the one the step made: a mount is unmounted only when the mount at
 * the target has the unique mount id (STATX_MNT_ID_UNIQUE, never reused)
 * recorded when it was made; a loop device is detached only when it is
 * still backed by the recorded inode; a created path is removed with rmdir
 * (never recursively), only when it is not a mount point.  Anything else
 * is reported as an undo failure and left alone: a failed rollback must
 * never destroy data that is not ours.
 *
 * A mount is found by its unique id, not by the plan's path
 * (mount-find.h): the root's owner may have renamed a directory above it
 * meanwhile, which moves the mount with the directory.  Unmounting goes
 * through /proc/self/fd/N of the mount's root found that way, and so uses
 * MNT_DETACH: the fd itself is a user of the mount, a plain umount would
 * always see it busy.  The id check comes first, so only the mount this
 * run made is detached.  The mount point its MKDIR/MKPOINT step created is
 * then removed where the mount was, through the directory fd the lookup
 * holds (undo_remove_point), and that step counts as undone with it.
 */
#include "undo.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cleanup.h"
#include "mount-find.h"
#include "op-loop.h"
#include "op-mount.h"
#include "pathset.h"
#include "resolve.h"

/* The PATH operand of the mount-making ops, or NULL. */
static const char *target_of(const struct exec_ctx *ctx, const struct mp_insn *in)
{
	for (int k = 0; k < MP_NOPERANDS; k++)
		if (op_operand_kind((enum op)in->op, k) == K_PATH)
			return program_str(ctx->prog, in->o[k]);
	return NULL;
}

/* Unmount the mount on top of fd's location if it is the one with id; fd must be that mount's root. */
static int umount_if_ours(int fd, uint64_t id, const char *what, struct mp_error *err)
{
	bool is_root = false;
	uint64_t now = 0;
	int r;

	r = resolve_mount_of(fd, &now, &is_root, err);
	if (r < 0)
		return error_wrap(err, "%s", what);
	if (!is_root || now != id)
		return error_set(err, ESTALE,
				 "%s: the mount there (id %" PRIu64 ") is not the one this run made (id %" PRIu64
				 "): left alone",
				 what, now, id);
	r = mount_detach_fd(fd, err);
	return r < 0 ? error_wrap(err, "%s", what) : 0;
}

/* A parked layer: unmount it if UMOUNT did not (and it is ours), then remove its directory. */
static int undo_park(struct exec_ctx *ctx, uint32_t i, struct mp_error *err)
{
	struct step_state *st = &ctx->steps[i];
	_cleanup_close_ int fd = -1, again = -1;
	bool is_root = false;
	const char *name;
	int r;

	if (!st->park_path || ctx->park_dir_fd < 0)
		return 0;
	name = strrchr(st->park_path, '/') + 1;
	fd = openat(ctx->park_dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : error_set_errno(err, errno, "open %s", st->park_path);
	r = resolve_mount_of(fd, NULL, &is_root, err);
	if (r < 0)
		return r;
	if (is_root) {
		r = umount_if_ours(fd, st->mnt_id, st->park_path, err);
		if (r < 0)
			return r;
	}
	/* the register, if still open, holds the parked mount: release it before the rmdir */
	for (uint32_t k = 0; k < ctx->prog->hdr.n_regs; k++)
		if (ctx->regs[k].kind == REG_PARK && ctx->regs[k].writer == i)
			exec_reg_release(&ctx->regs[k]);
	again = openat(ctx->park_dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (again < 0)
		return 0;
	r = resolve_mount_of(again, NULL, &is_root, err);
	if (r < 0)
		return r;
	if (is_root)
		return error_set(err, EBUSY, "%s is still a mount point: not removed", st->park_path);
	if (unlinkat(ctx->park_dir_fd, name, AT_REMOVEDIR) < 0)
		return error_set_errno(err, errno, "rmdir %s", st->park_path);
	return 0;
}

/*
 * The MKDIR/MKPOINT step of entry-mate i that made step i's mount point, if
 * it is done and created something: the compiler puts it before the mount,
 * in the same plan entry, on the same PATH.
 */
static uint32_t undo_maker_of(const struct exec_ctx *ctx, uint32_t i, const char *path)
{
	uint32_t entry = ctx->prog->debug[i].entry;

	for (uint32_t j = i; j-- > 0 && ctx->prog->debug[j].entry == entry;) {
		const struct mp_insn *in = &ctx->prog->insns[j];

		if ((in->op != OP_MKDIR && in->op != OP_MKPOINT) || strcmp(program_str(ctx->prog, in->o[0]), path) != 0)
			continue;
		if (ctx->steps[j].status != STEP_DONE || ctx->steps[j].created_components == 0)
			return EXEC_NO_STEP;
		return j;
	}
	return EXEC_NO_STEP;
}

/*
 * The mount point is gone from under the mount: remove what step j
 * created of it, where the directory is NOW (f: the mount was found by id
 * there), not where the plan's path leads, which a rename may have
 * changed.  The mount point itself goes through the parent fd the lookup
 * holds; its created parents by the current path.  When all is gone step
 * j is undone here; else it stays done and its own undo tries the plan's
 * path and reports.
 */
static void undo_remove_point(struct exec_ctx *ctx, uint32_t j, const struct mount_found *f)
{
	struct step_state *st = &ctx->steps[j];
	struct mp_error e;
	int r;

	r = mount_point_remove(f, ctx->prog->insns[j].op == OP_MKPOINT, &e);
	if (r < 0 && r != -ENOENT)
		return;
	if (st->created_components > 1 &&
	    resolve_remove_created(ctx->root_fd, f->rel, st->created_components, NULL, &e) < 0)
		return;
	st->status = STEP_UNDONE;
}

/*
 * The unique ids of the run's own mounts still recorded as made (steps
 * done or failing to undo, ROOT_BIND's copies of what was in the root),
 * sorted, for telling them from anything else below ROOT_BIND's mount.
 */
static int undo_own_ids(const struct exec_ctx *ctx, uint64_t **ret, size_t *ret_n)
{
	uint32_t n = ctx->prog->hdr.n_insns;
	size_t k = 0;
	uint64_t *ids = malloc((n + ctx->n_root_copies + 1) * sizeof(*ids));

	if (!ids)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if ((ctx->steps[i].status == STEP_DONE || ctx->steps[i].status == STEP_UNDO_FAILED) &&
		    op_undo((enum op)ctx->prog->insns[i].op) == UNDO_UMOUNT && ctx->steps[i].mnt_id)
			ids[k++] = ctx->steps[i].mnt_id;
	for (size_t c = 0; c < ctx->n_root_copies; c++)
		ids[k++] = ctx->root_copies[c];
	mount_ids_sort(ids, k);
	*ret = ids;
	*ret_n = k;
	return 0;
}

/*
 * ROOT_BIND's mount (id) is detached with everything below it: only when
 * nothing below is another's (a mount someone made in the root during the
 * run, or on top of one of ours).  Else it stays, and so does theirs.
 */
static int undo_check_below_root(const struct exec_ctx *ctx, uint64_t id, struct mp_error *err)
{
	_cleanup_free_ uint64_t *own = NULL, *below = NULL;
	size_t n_own = 0, n_below = 0, foreign = 0;
	uint64_t first = 0;
	int r;

	if (undo_own_ids(ctx, &own, &n_own) < 0)
		return error_set(err, ENOMEM, "out of memory");
	r = mount_list_below(id, &below, &n_below, err);
	if (r == -ENOENT)
		return 0; /* gone already: umount_if_ours says so */
	if (r < 0)
		return error_wrap(err, "root bind");
	for (size_t k = 0; k < n_below; k++)
		if (!mount_id_in(own, n_own, below[k]) && foreign++ == 0)
			first = below[k];
	if (foreign)
		return error_set(err, EBUSY,
				 "root bind: %zu mount%s below it %s not this run's (id %" PRIu64 "%s): left mounted",
				 foreign, foreign == 1 ? "" : "s", foreign == 1 ? "is" : "are", first,
				 foreign == 1 ? "" : ", ...");
	return 0;
}

static int undo_umount(struct exec_ctx *ctx, uint32_t i, const struct mp_insn *in, struct mp_error *err)
{
	struct step_state *st = &ctx->steps[i];
	struct mount_found f = { .parent_fd = -1, .fd = -1 };
	const char *path;
	uint32_t maker;
	int r;

	if (in->op == OP_ROOT_BIND && !st->made_mount)
		return 0;
	if (in->op == OP_PARK)
		return undo_park(ctx, i, err);
	if (in->op == OP_ROOT_BIND || ctx->root_pushed[i]) {
		/* a mount on "/": the current root fd is on it */
		if (in->op == OP_ROOT_BIND) {
			r = undo_check_below_root(ctx, st->mnt_id, err);
			if (r < 0)
				return r;
		}
		r = umount_if_ours(ctx->root_fd, st->mnt_id, in->op == OP_ROOT_BIND ? "root bind" : "mount on '/'",
				   err);
		if (r == 0)
			exec_pop_root(ctx, i);
		return r;
	}
	if (in->op == OP_MASK && st->mnt_id == 0)
		return 0;
	path = target_of(ctx, in);
	if (!path)
		return error_set(err, EINVAL, "no target to unmount");
	/*
	 * By its unique id, not by path: the root's owner may have renamed a
	 * directory above the mount point meanwhile, which moves the mount.
	 * Our own mount is detached wherever it is now, even out of the root.
	 */
	r = mount_find(ctx->root_fd, st->mnt_id, path, true, &f, err);
	if (r == -ENOENT)
		return 0; /* no longer mounted in this namespace: nothing of ours to take away */
	if (r == -ESTALE)
		return error_set(err, ESTALE,
				 "%s: the mount there (id %" PRIu64 ") is not the one this run made (id %" PRIu64
				 "): left alone",
				 path, f.shown, st->mnt_id);
	if (r < 0)
		return error_wrap(err, "find the mount on '%s'", path);
	r = umount_if_ours(f.fd, st->mnt_id, f.path, err);
	if (r == 0) {
		close(f.fd);
		f.fd = -1;
		maker = undo_maker_of(ctx, i, path);
		if (maker != EXEC_NO_STEP && f.in_root)
			undo_remove_point(ctx, maker, &f);
	}
	mount_found_release(&f);
	return r < 0 ? error_wrap(err, "unmount '%s'", path) : 0;
}

/* The step of i's plan entry that made the mount on path (done, its id recorded), or EXEC_NO_STEP. */
static uint32_t undo_mount_of(const struct exec_ctx *ctx, uint32_t i, const char *path)
{
	uint32_t entry = ctx->prog->debug[i].entry;

	for (uint32_t j = i; j-- > 0 && ctx->prog->debug[j].entry == entry;) {
		const struct mp_insn *in = &ctx->prog->insns[j];
		const char *target;

		if (op_undo((enum op)in->op) != UNDO_UMOUNT || in->op == OP_PARK || in->op == OP_ROOT_BIND)
			continue;
		target = target_of(ctx, in);
		if (target && strcmp(target, path) == 0)
			return ctx->steps[j].status == STEP_DONE && ctx->steps[j].mnt_id ? j : EXEC_NO_STEP;
	}
	return EXEC_NO_STEP;
}

static int undo_attr(struct exec_ctx *ctx, uint32_t i, const struct mp_insn *in, struct mp_error *err)
{
	const struct step_state *st = &ctx->steps[i];
	const char *path = program_str(ctx->prog, in->o[0]);
	_cleanup_close_ int fd = -1;
	bool is_root = false;
	uint32_t maker;
	int r;

	maker = strcmp(path, "/") == 0 ? EXEC_NO_STEP : undo_mount_of(ctx, i, path);
	if (maker != EXEC_NO_STEP) {
		/* the entry's own mount (bind + propagation): by its id, wherever a rename has put it */
		struct mount_found f = { .parent_fd = -1, .fd = -1 };

		r = mount_find(ctx->root_fd, ctx->steps[maker].mnt_id, path, true, &f, err);
		if (r == -ENOENT)
			return 0; /* gone: nothing to restore */
		if (r < 0)
			return error_wrap(err, "find the mount on '%s'", path);
		fd = TAKE_FD(f.fd);
		mount_found_release(&f);
		is_root = true;
	} else {
		r = resolve_in_root(ctx->root_fd, path, &fd, err);
		if (r == 0)
			r = resolve_mount_of(fd, NULL, &is_root, err);
		if (r < 0)
			return error_wrap(err, "find '%s'", path);
	}
	if (!is_root)
		return error_set(err, ESTALE, "'%s' is no longer a mount point", path);
	if (in->op == OP_REMOUNT) {
		uint32_t changed = (in->o[1] | in->o[2]) & MOUNT_ATTRS_RESTORABLE;
		uint32_t set = st->prior_attr & changed, clr = changed & ~st->prior_attr;

		if (changed & MOUNT_ATTR__ATIME) { /* the atime field goes back as a whole */
			set = (set & ~MOUNT_ATTR__ATIME) | (st->prior_attr & MOUNT_ATTR__ATIME);
			clr |= MOUNT_ATTR__ATIME;
		}
		r = mount_setattr_fd(fd, in->o[3] & MP_TREE_RECURSIVE, set, clr, 0, -1, err);
	} else
		r = mount_setattr_fd(fd, in->o[2] & MP_TREE_RECURSIVE, 0, 0,
				     st->prior_propagation ? st->prior_propagation : MS_PRIVATE, -1, err);
	return r < 0 ? error_wrap(err, "restore '%s'", path) : 0;
}

int undo_step(struct exec_ctx *ctx, uint32_t i, struct mp_error *err)
{
	const struct mp_insn *in = &ctx->prog->insns[i];
	struct step_state *st = &ctx->steps[i];
	enum op op = (enum op)in->op;
	int r = 0;

	error_clear(err);
	switch (op_undo(op)) {
	case UNDO_NONE:
		break;
	case UNDO_REMOVE_CREATED:
		if (st->created_components > 0) {
			uint32_t removed = 0;
			const char *path = program_str(ctx->prog, in->o[0]);

			/* where each component was made, if that was kept: else by the plan's path */
			if (st->made.n > 0)
				r = resolve_remove_made(&st->made, path, &removed, err);
			else
				r = resolve_remove_created(ctx->root_fd, path, st->created_components, &removed, err);
			if (r < 0)
				error_wrap(err, "remove what was created of '%s' (%" PRIu32 " of %" PRIu32 " removed)",
					   path, removed, st->created_components);
		}
		break;
	case UNDO_LOOP_DETACH:
		for (uint32_t k = 0; k < ctx->prog->hdr.n_regs; k++)
			if (ctx->regs[k].kind == REG_LOOP && ctx->regs[k].writer == i)
				exec_reg_release(&ctx->regs[k]);
		if (st->loop_nr >= 0)
			r = loop_detach(st->loop_nr, st->backing_dev, st->backing_ino, err);
		break;
	case UNDO_CLOSE:
		/* only the object this step put there: the compiler reuses registers after CLOSE */
		if (in->o[0] < ctx->prog->hdr.n_regs && ctx->regs[in->o[0]].writer == i)
			exec_reg_release(&ctx->regs[in->o[0]]);
		break;
	case UNDO_UMOUNT:
		r = undo_umount(ctx, i, in, err);
		break;
	case UNDO_RESTORE_ATTR:
	case UNDO_RESTORE_PROPAGATION:
		r = undo_attr(ctx, i, in, err);
		break;
	case UNDO__COUNT:
		r = error_set(err, EINVAL, "unknown undo kind");
		break;
	}
	if (r < 0) {
		st->status = STEP_UNDO_FAILED;
		st->err = -r;
		free(st->error);
		st->error = strdup(err->msg);
		return r;
	}
	st->status = STEP_UNDONE;
	return 0;
}

uint32_t undo_range(struct exec_ctx *ctx, uint32_t from, uint32_t to)
{
	uint32_t failed = 0;

	for (uint32_t i = to; i-- > from;) {
		struct mp_error e;

		if (ctx->steps[i].status != STEP_DONE)
			continue;
		if (undo_step(ctx, i, &e) < 0)
			failed++;
	}
	return failed;
}

/*
 * Batched undo of a whole run.  ROOT_BIND's mount holds every mount the
 * run made inside the root, and one umount2(MNT_DETACH) of it takes them
 * all away in one RCU grace period, where one umount2 per mount waits for
 * one each (1,000 binds: ~11 ms against ~1.4 ms).  It is done only when
 * everything below ROOT_BIND's mount is the run's own (undo_own_ids) —
 * never a mount someone else made — and at the point where the first of
 * those mounts would be unmounted in reverse order, so the steps undone
 * before it (a read-only root made writable again, attributes put back)
 * have run.  The mounts taken with it count as undone; the mount points
 * they were on are removed afterwards by their MKDIR/MKPOINT steps, as
 * usual.  Returns the set of steps whose mounts are below, or NULL when
 * the run cannot be batched (then every step is undone one by one).
 */
static bool *undo_batch_plan(struct exec_ctx *ctx, uint32_t to)
{
	_cleanup_free_ uint64_t *own = NULL, *below = NULL;
	size_t n_own = 0, n_below = 0;
	const struct step_state *rb = &ctx->steps[0];
	struct pathset targets = { 0 };
	struct mp_error e;
	bool *in_batch;

	if (to == 0 || ctx->prog->insns[0].op != OP_ROOT_BIND || rb->status != STEP_DONE || !rb->mnt_id ||
	    ctx->run_root_fd < 0)
		return NULL;
	if (undo_own_ids(ctx, &own, &n_own) < 0 || mount_list_below(rb->mnt_id, &below, &n_below, &e) < 0)
		return NULL;
	for (size_t k = 0; k < n_below; k++)
		if (!mount_id_in(own, n_own, below[k]))
			return NULL; /* another's mount is below: one by one, theirs is left */
	in_batch = calloc(to, sizeof(*in_batch));
	if (!in_batch || pathset_init(&targets, to) < 0)
		goto no;
	for (uint32_t i = 1; i < to; i++) {
		const char *target = target_of(ctx, &ctx->prog->insns[i]);

		in_batch[i] = ctx->steps[i].status == STEP_DONE && ctx->steps[i].mnt_id &&
			      op_undo((enum op)ctx->prog->insns[i].op) == UNDO_UMOUNT &&
			      mount_id_in(below, n_below, ctx->steps[i].mnt_id);
		if (in_batch[i] && (!target || pathset_add(&targets, target) < 0))
			goto no;
	}
	/* a path created inside one of those mounts must be removed while it is there */
	for (uint32_t i = 1; i < to; i++) {
		const struct step_state *st = &ctx->steps[i];
		const char *path = target_of(ctx, &ctx->prog->insns[i]);
		char holder[4096];

		if (st->status != STEP_DONE || op_undo((enum op)ctx->prog->insns[i].op) != UNDO_REMOVE_CREATED ||
		    st->created_components == 0)
			continue;
		if (st->created_components > path_components(path) ||
		    path_prefix(path, path_components(path) - st->created_components, holder, sizeof(holder)) < 0 ||
		    pathset_has_prefix_of(&targets, holder))
			goto no;
	}
	pathset_free(&targets);
	return in_batch;
no:
	pathset_free(&targets);
	free(in_batch);
	return NULL;
}

/*
 * Detach ROOT_BIND's mount with everything below it.  A lookup of the root
 * ends on the topmost mount there, which is one of the run's mounts on "/"
 * when it made any (all below ROOT_BIND's, all its own: undo_batch_plan):
 * those go first, one detach each, until ROOT_BIND's mount is gone too.
 */
static int undo_batch_detach(struct exec_ctx *ctx, const bool *in_batch, uint32_t to, struct mp_error *err)
{
	uint64_t id = ctx->steps[0].mnt_id;
	uint32_t layers = 1;
	int r;

	for (uint32_t i = 1; i < to; i++)
		layers += in_batch[i] && ctx->root_pushed[i];
	r = umount_if_ours(ctx->run_root_fd, id, "root bind", err); /* the fd is on it, whatever is on top */
	for (uint32_t k = 1; r == 0 && k < layers && mount_is_attached(id); k++)
		r = mount_detach_fd(ctx->run_root_fd, err);
	if (r == 0 && mount_is_attached(id))
		r = error_set(err, EBUSY, "root bind: still mounted after %" PRIu32 " detaches", layers);
	return r;
}

/*
 * After the batch detach: does step i's undo act on a mount that went with
 * it?  Every path of the plan is inside the root, so every mount a REMOUNT
 * or PROPAGATE changed was below ROOT_BIND's mount (the run's own, or its
 * copy of one that was in the root).
 */
static bool undo_went_with_batch(const struct exec_ctx *ctx, uint32_t i, const bool *in_batch)
{
	enum op op = (enum op)ctx->prog->insns[i].op;

	return in_batch[i] || op == OP_ROOT_BIND || op_undo(op) == UNDO_RESTORE_ATTR ||
	       op_undo(op) == UNDO_RESTORE_PROPAGATION;
}

uint32_t undo_run(struct exec_ctx *ctx)
{
	uint32_t n = ctx->prog->hdr.n_insns;
	uint32_t to = ctx->failed_step == EXEC_NO_STEP ? n : ctx->failed_step;
	_cleanup_free_ bool *in_batch = undo_batch_plan(ctx, to);
	bool detached = false;
	uint32_t failed = 0;

	for (uint32_t i = to; i-- > 0;) {
		struct mp_error e;

		if (ctx->steps[i].status != STEP_DONE)
			continue;
		if (in_batch && !detached && in_batch[i]) {
			if (undo_batch_detach(ctx, in_batch, to, &e) == 0)
				detached = true;
			else
				in_batch = (free(in_batch), NULL); /* one by one then */
		}
		if (detached && undo_went_with_batch(ctx, i, in_batch)) {
			ctx->steps[i].status = STEP_UNDONE;
			exec_pop_root(ctx, i);
			continue;
		}
		if (undo_step(ctx, i, &e) < 0)
			failed++;
	}
	for (uint32_t k = 0; k < ctx->prog->hdr.n_regs; k++)
		exec_reg_release(&ctx->regs[k]);
	return failed;
}
