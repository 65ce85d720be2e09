/*
 * expand.c — plan entries to steps, exactly as schema/expansion.md says.
 *
 * Per entry: readiness waits, the `when: empty` skip, the mount point, the
 * mount itself (a fd-based sequence chosen by the filesystem class), the
 * propagation change.  A read-only entry with mounts under it is mounted
 * read-write (its children's mount points must still be creatable) and
 * gets a REMOUNT node the sort places after all of them.
 *
 * Virtual registers: every write gets a fresh number; the user namespaces
 * are [0, n_userns), written once in the prologue so no jump can skip a
 * write that a later entry reads.  Each entry-local register is closed
 * right after its last use inside the entry, so a register never outlives
 * its entry (an undone or skipped entry leaves none open either: the undo
 * of every register-writing step closes it).
 */
#include "expand.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "limits.h"
#include "program.h"

struct xctx {
	const struct ir_plan *plan;
	const struct graph *g;
	struct expansion *x;
	struct diag_sink *sink;
	int err;               /* first -ENOMEM */
	bool failed;           /* a diagnostic was emitted */
	uint32_t entry;        /* debug entry of the steps being made */
	uint8_t flags;         /* MP_IF_OPTIONAL for optional entries */
	struct ir_loc fallback; /* the entry's location, for nodes without their own */
	uint32_t node_start;   /* index of the node's first step */
	const char *pending[MP_NOPERANDS]; /* strings of the step being built (see xs) */
	uint32_t n_pending;
};

/* Handles for strings not yet interned; never a real offset (the file is far smaller). */
#define XS_PENDING 0xFFFFFF00u

/* Intern s now, in the order of the statements calling it. */
static uint32_t xs_now(struct xctx *c, const char *s)
{
	uint32_t off = 0;
	int r = strtab_intern(&c->x->strtab, s ? s : "", &off);

	if (r == -E2BIG) {
		diag_emit(c->sink, DIAG_TOO_MANY, c->fallback.line, c->fallback.col, "bytes in one string (NUL included)",
			  strlen(s) + 1, MP_MAX_STRING);
		c->failed = true;
	} else if (r < 0 && !c->err) {
		c->err = r;
	}
	return off;
}

/*
 * A string operand of the next step.  C leaves the order in which a call's
 * arguments (or an initializer list's items) are evaluated open, so
 * interning here would let the compiler that built mplan decide the
 * string table's order; the step interns its pending strings in operand
 * order instead, and the bytes depend on the plan alone.
 */
static uint32_t xs(struct xctx *c, const char *s)
{
	if (c->n_pending == MP_NOPERANDS)
		return xs_now(c, s); /* not reached: a step has at most seven operands */
	c->pending[c->n_pending] = s;
	return XS_PENDING + c->n_pending++;
}

static uint32_t xreg(struct xctx *c)
{
	return c->x->n_vregs++;
}

/* Append one step; returns its index relative to the current node. */
static uint32_t xstep(struct xctx *c, struct ir_loc loc, enum op op, uint8_t flags, const uint32_t o[MP_NOPERANDS])
{
	struct step s = { .op = (uint8_t)op, .flags = (uint8_t)(c->flags | flags), .entry = c->entry };
	int r;

	if (loc.line == 0)
		loc = c->fallback;
	if (loc.line == 0)
		loc = (struct ir_loc){ 1, 1 };
	s.line = loc.line;
	s.col = loc.col;
	memcpy(s.o, o, sizeof(s.o));
	for (int k = 0; k < MP_NOPERANDS; k++) {
		enum opnd_kind kind = op_operand_kind(op, k);
		bool is_string = kind == K_STR || kind == K_PATH || kind == K_SRC || kind == K_MAP;

		if (is_string && s.o[k] >= XS_PENDING && s.o[k] - XS_PENDING < c->n_pending)
			s.o[k] = xs_now(c, c->pending[s.o[k] - XS_PENDING]);
	}
	c->n_pending = 0;
	r = step_add(&c->x->steps, &s);
	if (r < 0) {
		if (!c->err)
			c->err = r;
		return 0;
	}
	return (uint32_t)r - c->node_start;
}

#define STEP(c, loc, op, flags, ...) xstep((c), (loc), OP_##op, (flags), (const uint32_t[MP_NOPERANDS]){ __VA_ARGS__ })

static uint8_t src_flags(const struct ir_path *p)
{
	return p->in_root ? MP_IF_SRC_IN_ROOT : 0;
}

/* Where an option word was written, or 0:0. */
static struct ir_loc option_loc(const struct ir_entry *e, const char *word)
{
	for (size_t i = 0; i < e->n_options; i++)
		if (strcmp(e->options[i].word, word) == 0)
			return e->options[i].loc;
	return (struct ir_loc){ 0, 0 };
}

static bool is_propagation_word(const char *w)
{
	static const char *const words[] = { "private", "rprivate", "shared", "rshared",
					     "slave", "rslave", "unbindable", "runbindable" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(w, words[i]) == 0)
			return true;
	return false;
}

static struct ir_loc propagation_loc(const struct ir_entry *e)
{
	for (size_t i = 0; i < e->n_options; i++)
		if (is_propagation_word(e->options[i].word))
			return e->options[i].loc;
	return (struct ir_loc){ 0, 0 };
}

/* Join words with ',' (skipping those skip() refuses); NULL on ENOMEM. */
static char *join_words(const char *const *words, size_t n, size_t stride, bool (*skip)(const char *, void *), void *arg)
{
	size_t len = 0, at = 0;
	char *s;

	for (size_t i = 0; i < n; i++) {
		const char *w = *(const char *const *)((const char *)words + i * stride);

		if (!skip || !skip(w, arg))
			len += strlen(w) + 1;
	}
	s = malloc(len + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *w = *(const char *const *)((const char *)words + i * stride);
		size_t wl = strlen(w);

		if (skip && skip(w, arg))
			continue;
		if (at)
			s[at++] = ',';
		memcpy(s + at, w, wl);
		at += wl;
	}
	s[at] = '\0';
	return s;
}

/* Helper options: every word as written but propagation (its own step) and, when split, `ro`. */
static bool helper_skip(const char *w, void *arg)
{
	bool split = *(bool *)arg;

	return is_propagation_word(w) || (split && strcmp(w, "ro") == 0);
}

/* E501: classic mount data must fit one page with its NUL. */
static bool data_fits(struct xctx *c, const struct ir_entry *e, const char *data)
{
	size_t len = strlen(data) + 1;

	if (len <= MP_MOUNT_DATA_MAX)
		return true;
	diag_emit(c->sink, DIAG_DATA_TOO_LONG, e->loc.line, e->loc.col, e->target.path, len, MP_MOUNT_DATA_MAX);
	c->failed = true;
	return false;
}

/* MOUNT_ATTR_* to the MS_* flags of mount(2). */
static uint32_t attr_to_ms(uint32_t set, uint32_t clr)
{
	uint32_t ms = 0;

	if (set & MOUNT_ATTR_RDONLY)
		ms |= MS_RDONLY;
	if (set & MOUNT_ATTR_NOSUID)
		ms |= MS_NOSUID;
	if (set & MOUNT_ATTR_NODEV)
		ms |= MS_NODEV;
	if (set & MOUNT_ATTR_NOEXEC)
		ms |= MS_NOEXEC;
	if (set & MOUNT_ATTR_NODIRATIME)
		ms |= MS_NODIRATIME;
	if (set & MOUNT_ATTR_NOSYMFOLLOW)
		ms |= MS_NOSYMFOLLOW;
	if ((set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME)
		ms |= MS_NOATIME;
	else if ((set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME)
		ms |= MS_STRICTATIME;
	else if (clr & MOUNT_ATTR__ATIME)
		ms |= MS_RELATIME; /* relatime is the atime value 0: set by clearing the field */
	return ms;
}

static void expand_fsconfig_data(struct xctx *c, const struct ir_entry *e, uint32_t rf)
{
	for (size_t i = 0; i < e->n_data; i++) {
		const char *w = e->data[i];
		const char *eq = strchr(w, '=');
		struct ir_loc loc = option_loc(e, w);

		if (eq) {
			char *key = strndup(w, (size_t)(eq - w));

			if (!key) {
				c->err = -ENOMEM;
				return;
			}
			STEP(c, loc, FSCONFIG, 0, rf, MP_FSC_STRING, xs(c, key), xs(c, eq + 1));
			free(key);
		} else {
			STEP(c, loc, FSCONFIG, 0, rf, MP_FSC_FLAG, xs(c, w), xs(c, ""));
		}
	}
}

/* The mount of a bind entry: BIND, or OPEN_TREE → IDMAP → SETATTR → MOVE with an idmap. */
static void expand_bind(struct xctx *c, const struct ir_entry *e, uint32_t attr, uint32_t ru)
{
	uint32_t rec = e->recursive ? MP_TREE_RECURSIVE : 0;
	uint8_t sf = src_flags(&e->source);

	if (ru == GRAPH_NONE) {
		STEP(c, e->type_loc, BIND, sf, xs(c, e->source.path), xs(c, e->target.path), rec, attr, e->attr_clr);
		return;
	}
	uint32_t rt = xreg(c);

	STEP(c, e->idmap.loc, OPEN_TREE, sf, rt, xs(c, e->source.path), rec);
	STEP(c, e->idmap.loc, IDMAP, 0, rt, ru);
	STEP(c, e->type_loc, SETATTR, 0, rt, attr, e->attr_clr, 0);
	STEP(c, e->target.loc, MOVE, 0, rt, xs(c, e->target.path));
	STEP(c, e->target.loc, CLOSE, 0, rt);
}

/* Virtual and block filesystems: FSOPEN → source → data → FSMOUNT → [IDMAP] → MOVE. */
static void expand_fs(struct xctx *c, const struct ir_entry *e, uint32_t attr, bool split, uint32_t ru)
{
	uint32_t rl = GRAPH_NONE, rf, rt;
	bool block = e->fs_class == FS_BLOCK;

	if (block && e->loop.present && e->source.path) {
		uint32_t lf = (e->loop.readonly ? MP_LOOP_READONLY : 0) | (e->loop.direct_io ? MP_LOOP_DIRECT_IO : 0) |
			      (e->loop.autoclear ? MP_LOOP_AUTOCLEAR : 0);

		rl = xreg(c);
		STEP(c, e->loop.loc, LOOP_ATTACH, src_flags(&e->source), rl, xs(c, e->source.path), lf,
		     (uint32_t)e->loop.offset, (uint32_t)(e->loop.offset >> 32), (uint32_t)e->loop.sizelimit,
		     (uint32_t)(e->loop.sizelimit >> 32));
	}
	rf = xreg(c);
	STEP(c, e->type_loc, FSOPEN, 0, rf, xs(c, e->type));
	if (rl != GRAPH_NONE)
		STEP(c, e->source.loc, FSCONFIG_LOOP, 0, rf, xs(c, "source"), rl);
	else if (block && e->source.path)
		STEP(c, e->source.loc, FSCONFIG_PATH, src_flags(&e->source), rf, xs(c, "source"), xs(c, e->source.path));
	else if (!block) /* a virtual type names itself; an unknown type's non-path source is a string */
		STEP(c, e->type_loc, FSCONFIG, 0, rf, MP_FSC_STRING, xs(c, "source"),
		     xs(c, e->source.path ? e->source.path : e->type));
	expand_fsconfig_data(c, e, rf);
	/* Superblock read-only too, unless split: the children's mount points are made in it first. */
	if (block && (e->attr_set & MOUNT_ATTR_RDONLY) && (!split || (e->loop.present && e->loop.readonly)))
		STEP(c, option_loc(e, "ro"), FSCONFIG, 0, rf, MP_FSC_FLAG, xs(c, "ro"), xs(c, ""));
	rt = xreg(c);
	STEP(c, e->type_loc, FSMOUNT, 0, rt, rf, attr);
	STEP(c, e->type_loc, CLOSE, 0, rf);
	/* The loop fd stays open until the superblock holds the device: autoclear detaches on last close. */
	if (rl != GRAPH_NONE)
		STEP(c, e->loop.loc, CLOSE, 0, rl);
	if (ru != GRAPH_NONE)
		STEP(c, e->idmap.loc, IDMAP, 0, rt, ru);
	STEP(c, e->target.loc, MOVE, 0, rt, xs(c, e->target.path));
	STEP(c, e->target.loc, CLOSE, 0, rt);
}

static void expand_overlay(struct xctx *c, const struct ir_entry *e, uint32_t attr, uint32_t ru)
{
	uint32_t rf, rt, *park = NULL;

	if (ru != GRAPH_NONE && e->n_lower) {
		park = malloc(e->n_lower * sizeof(*park));
		if (!park) {
			c->err = -ENOMEM;
			return;
		}
		/* Each layer through a temporary read-only idmapped mount. */
		for (size_t i = 0; i < e->n_lower; i++) {
			const struct ir_path *l = &e->lower[i];
			uint32_t rti = xreg(c);

			park[i] = xreg(c);
			STEP(c, l->loc, OPEN_TREE, src_flags(l), rti, xs(c, l->path), 0);
			STEP(c, l->loc, IDMAP, 0, rti, ru);
			STEP(c, l->loc, SETATTR, 0, rti, MOUNT_ATTR_RDONLY, 0, 0);
			STEP(c, l->loc, PARK, 0, park[i], rti);
			STEP(c, l->loc, CLOSE, 0, rti);
		}
	}
	rf = xreg(c);
	STEP(c, e->type_loc, FSOPEN, 0, rf, xs(c, e->type));
	for (size_t i = 0; i < e->n_lower; i++) {
		const struct ir_path *l = &e->lower[i];

		if (park)
			STEP(c, l->loc, FSCONFIG_PARK, 0, rf, xs(c, "lowerdir+"), park[i]);
		else
			STEP(c, l->loc, FSCONFIG_PATH, src_flags(l), rf, xs(c, "lowerdir+"), xs(c, l->path));
	}
	if (e->upper.path)
		STEP(c, e->upper.loc, FSCONFIG_PATH, src_flags(&e->upper), rf, xs(c, "upperdir"), xs(c, e->upper.path));
	if (e->work.path)
		STEP(c, e->work.loc, FSCONFIG_PATH, src_flags(&e->work), rf, xs(c, "workdir"), xs(c, e->work.path));
	expand_fsconfig_data(c, e, rf);
	rt = xreg(c);
	STEP(c, e->type_loc, FSMOUNT, 0, rt, rf, attr);
	STEP(c, e->type_loc, CLOSE, 0, rf);
	for (size_t i = 0; park && i < e->n_lower; i++) {
		STEP(c, e->lower[i].loc, UMOUNT, 0, park[i]);
		STEP(c, e->lower[i].loc, CLOSE, 0, park[i]);
	}
	STEP(c, e->target.loc, MOVE, 0, rt, xs(c, e->target.path));
	STEP(c, e->target.loc, CLOSE, 0, rt);
	free(park);
}

static void expand_helper(struct xctx *c, const struct ir_entry *e, bool split)
{
	/* The words sit in struct ir_word: walk them with its stride (none when there are no options). */
	char *opts = join_words(e->n_options ? (const char *const *)&e->options[0].word : NULL, e->n_options,
				sizeof(e->options[0]), helper_skip, &split);

	if (!opts) {
		c->err = -ENOMEM;
		return;
	}
	if (data_fits(c, e, opts))
		STEP(c, e->type_loc, MOUNT_HELPER, 0, xs(c, e->type), xs(c, e->source.path), xs(c, e->target.path),
		     xs(c, opts));
	free(opts);
}

/* The data of an unknown filesystem as one string fits a page (E501)? */
static bool unknown_data_fits(struct xctx *c, const struct ir_entry *e)
{
	char *data = join_words((const char *const *)e->data, e->n_data, sizeof(e->data[0]), NULL, NULL);
	bool fits;

	if (!data) {
		c->err = -ENOMEM;
		return false;
	}
	fits = data_fits(c, e, data);
	free(data);
	return fits;
}

static void expand_unknown(struct xctx *c, const struct ir_entry *e, uint32_t attr)
{
	char *data = join_words((const char *const *)e->data, e->n_data, sizeof(e->data[0]), NULL, NULL);

	if (!data) {
		c->err = -ENOMEM;
		return;
	}
	if (data_fits(c, e, data))
		STEP(c, e->type_loc, MOUNT, src_flags(&e->source), xs(c, e->type), xs(c, e->source.path),
		     xs(c, e->target.path), attr_to_ms(attr, e->attr_clr), xs(c, data));
	free(data);
}

static void expand_entry(struct xctx *c, uint32_t i, uint32_t ru)
{
	const struct ir_entry *e = &c->plan->entries[i];
	bool split = c->g->split[i];
	uint32_t attr = split ? e->attr_set & ~(uint32_t)MOUNT_ATTR_RDONLY : e->attr_set;
	uint32_t skip = GRAPH_NONE;
	bool root = strcmp(e->target.path, "/") == 0;

	if (e->requires.kind == REQUIRE_LINK)
		STEP(c, e->requires.loc, WAIT_LINK, 0, xs(c, e->requires.name), e->requires.timeout_ms,
		     e->requires.carrier ? 0 : MP_WAIT_NO_CARRIER);
	else if (e->requires.kind == REQUIRE_DEVICE)
		STEP(c, e->requires.loc, WAIT_DEVICE, 0, xs(c, e->requires.name), e->requires.timeout_ms);
	if (e->when_empty)
		skip = STEP(c, e->loc, SKIP_UNLESS_EMPTY, 0, xs(c, e->target.path), 0);
	if (!root) {
		if (e->fs_class == FS_BIND)
			STEP(c, e->target.loc, MKPOINT, src_flags(&e->source), xs(c, e->target.path), xs(c, e->source.path),
			     0755);
		else
			STEP(c, e->target.loc, MKDIR, 0, xs(c, e->target.path), 0755);
	}
	switch (e->fs_class) {
	case FS_BIND: expand_bind(c, e, attr, ru); break;
	case FS_VIRTUAL:
	case FS_BLOCK: expand_fs(c, e, attr, split, ru); break;
	case FS_OVERLAY: expand_overlay(c, e, attr, ru); break;
	case FS_HELPER: expand_helper(c, e, split); break;
	case FS_UNKNOWN:
		/*
		 * mount(2) takes a source path (SRC is verified absolute); one
		 * without a source, or whose source is not a path (a zfs
		 * dataset "tank/data", a virtiofs tag), goes through fsopen like
		 * a virtual filesystem, the source as a string parameter:
		 * fsopen takes any type, and the kernel's legacy context turns
		 * the parameters back into mount data, with the same one-page
		 * limit (E501).
		 */
		if (e->source.path && (e->source.in_root || e->source.path[0] == '/'))
			expand_unknown(c, e, attr);
		else if (unknown_data_fits(c, e))
			expand_fs(c, e, attr, split, ru);
		break;
	}
	if (e->propagation)
		STEP(c, propagation_loc(e), PROPAGATE, 0, xs(c, e->target.path), e->propagation,
		     e->propagation_recursive ? MP_TREE_RECURSIVE : 0);
	/* The skip lands just after the entry's last step. */
	if (skip != GRAPH_NONE && !c->err)
		step_at(&c->x->steps, c->node_start + skip)->o[1] = (uint32_t)(c->x->steps.n - c->node_start);
}

/* One user namespace per distinct (uid map, gid map), numbered in file order. */
static int expand_userns(struct xctx *c, uint32_t *entry_userns)
{
	const struct ir_plan *plan = c->plan;
	struct strmap seen = { 0 };
	uint64_t *keys = malloc((plan->n_entries ? plan->n_entries : 1) * sizeof(*keys));
	int r = 0;

	if (!keys || strmap_init(&seen, 16) < 0) {
		free(keys);
		return -ENOMEM;
	}
	for (size_t i = 0; i < plan->n_entries; i++) {
		const struct ir_entry *e = &plan->entries[i];
		const char *uid, *gid;
		uint32_t old, u;

		entry_userns[i] = GRAPH_NONE;
		if (!e->idmap.present)
			continue;
		/* A missing half maps like the other one. */
		uid = e->idmap.uid ? e->idmap.uid : e->idmap.gid;
		gid = e->idmap.gid ? e->idmap.gid : e->idmap.uid;
		keys[i] = (uint64_t)xs_now(c, uid) << 32;
		keys[i] |= xs_now(c, gid);
		if ((r = strmap_put(&seen, (const char *)&keys[i], sizeof(keys[i]),
				    strmap_hash((const char *)&keys[i], sizeof(keys[i])), c->x->n_userns, &old)) < 0)
			break;
		if (old != GRAPH_NONE) {
			entry_userns[i] = old;
			continue;
		}
		u = c->x->n_userns++;
		c->x->n_vregs++;
		entry_userns[i] = u;
		c->x->userns_loc[u] = e->idmap.loc.line ? e->idmap.loc : e->loc;
		c->entry = MP_ENTRY_PLAN;
		c->fallback = e->loc;
		STEP(c, e->idmap.loc, USERNS, 0, u, (uint32_t)(keys[i] >> 32), (uint32_t)keys[i]);
	}
	strmap_free(&seen);
	free(keys);
	return r;
}

/*
 * Every plan that mounts anything begins with ROOT_BIND: the run's own
 * bind of the root onto itself, which holds all the run's mounts, so that
 * rollback takes them away with one detach (runtime/undo.c) and a
 * read-only root changes the run's mount, not the one the caller had.
 * Its plan location: readonly_root, else the propagation or remount of
 * "/" that needs it, else the first entry.
 */
static bool needs_root_bind(const struct ir_plan *plan, const struct graph *g, struct ir_loc *ret_loc)
{
	if (plan->readonly_root) {
		*ret_loc = plan->readonly_root_loc;
		return true;
	}
	for (size_t i = 0; i < plan->n_entries; i++) {
		const struct ir_entry *e = &plan->entries[i];

		if (strcmp(e->target.path, "/") == 0 && (e->propagation || g->split[i])) {
			*ret_loc = e->loc;
			return true;
		}
	}
	if (plan->n_entries > 0)
		*ret_loc = plan->entries[0].loc;
	return plan->n_entries > 0 || plan->n_masked > 0 || plan->n_readonly > 0;
}

int expand_plan(const struct ir_plan *plan, const struct graph *g, struct expansion *x, struct diag_sink *sink)
{
	struct xctx c = { .plan = plan, .g = g, .x = x, .sink = sink, .entry = MP_ENTRY_PLAN };
	uint32_t *entry_userns = NULL;
	struct ir_loc loc = { 1, 1 };
	size_t nn = g->n_nodes ? g->n_nodes : 1;
	int r;

	memset(x, 0, sizeof(*x));
	if (plan->n_entries > MP_MAX_ENTRIES) {
		diag_emit(sink, DIAG_TOO_MANY, 0, 0, "mounts", plan->n_entries, MP_MAX_ENTRIES);
		return -1;
	}
	if ((r = strtab_init(&x->strtab)) < 0)
		return r;
	x->node_first = calloc(nn, sizeof(*x->node_first));
	x->node_n = calloc(nn, sizeof(*x->node_n));
	x->node_userns = malloc(nn * sizeof(*x->node_userns));
	x->userns_loc = calloc(plan->n_entries ? plan->n_entries : 1, sizeof(*x->userns_loc));
	entry_userns = malloc((plan->n_entries ? plan->n_entries : 1) * sizeof(*entry_userns));
	if (!x->node_first || !x->node_n || !x->node_userns || !x->userns_loc || !entry_userns) {
		free(entry_userns);
		return -ENOMEM;
	}
	x->plan_file = xs_now(&c, plan->file ? plan->file : "");
	x->plan_root = xs_now(&c, plan->root ? plan->root : "");

	/* Prologue. */
	if (needs_root_bind(plan, g, &loc)) {
		c.fallback = loc;
		STEP(&c, loc, ROOT_BIND, 0, 0);
	}
	if ((r = expand_userns(&c, entry_userns)) < 0)
		goto out;
	x->prologue_n = (uint32_t)x->steps.n;

	/* Body: node by node, in node-id order (strings intern in file order). */
	for (size_t v = 0; v < g->n_nodes; v++) {
		const struct node *nd = &g->nodes[v];

		c.node_start = (uint32_t)x->steps.n;
		x->node_first[v] = c.node_start;
		x->node_userns[v] = GRAPH_NONE;
		switch ((enum node_kind)nd->kind) {
		case NODE_ENTRY: {
			const struct ir_entry *e = &plan->entries[nd->ref];

			c.entry = nd->ref;
			c.flags = e->optional ? MP_IF_OPTIONAL : 0;
			c.fallback = e->loc;
			x->node_userns[v] = entry_userns[nd->ref];
			expand_entry(&c, nd->ref, entry_userns[nd->ref]);
			break;
		}
		case NODE_REMOUNT: {
			const struct ir_entry *e = &plan->entries[nd->ref];

			c.entry = nd->ref;
			c.flags = e->optional ? MP_IF_OPTIONAL : 0;
			c.fallback = e->loc;
			STEP(&c, option_loc(e, "ro"), REMOUNT, 0, xs(&c, e->target.path), MOUNT_ATTR_RDONLY, 0, 0);
			break;
		}
		case NODE_MASK:
			c.entry = MP_ENTRY_PLAN;
			c.flags = 0;
			c.fallback = plan->masked[nd->ref].loc;
			STEP(&c, plan->masked[nd->ref].loc, MASK, 0, xs(&c, plan->masked[nd->ref].word));
			break;
		case NODE_READONLY: {
			uint32_t p;

			c.entry = MP_ENTRY_PLAN;
			c.flags = 0;
			c.fallback = plan->readonly[nd->ref].loc;
			p = xs(&c, plan->readonly[nd->ref].word);
			/* OCI readonlyPaths: an absent path is skipped, not an error. */
			STEP(&c, plan->readonly[nd->ref].loc, BIND, MP_IF_SRC_IN_ROOT | MP_IF_OPTIONAL, p, p,
			     MP_TREE_RECURSIVE, MOUNT_ATTR_RDONLY, 0);
			break;
		}
		}
		x->node_n[v] = (uint32_t)x->steps.n - c.node_start;
	}

	/* Epilogue. */
	c.entry = MP_ENTRY_PLAN;
	c.flags = 0;
	c.node_start = 0;
	x->epilogue_first = (uint32_t)x->steps.n;
	if (plan->readonly_root) {
		c.fallback = plan->readonly_root_loc;
		/* Non-recursive: submounts keep their own flags. */
		STEP(&c, plan->readonly_root_loc, REMOUNT, 0, xs(&c, "/"), MOUNT_ATTR_RDONLY, 0, 0);
	}
	c.fallback = (struct ir_loc){ 1, 1 };
	STEP(&c, c.fallback, END, 0, 0);
	x->epilogue_n = (uint32_t)x->steps.n - x->epilogue_first;
	r = c.err ? c.err : c.failed ? -1 : 0;
out:
	free(entry_userns);
	return r;
}

void expansion_free(struct expansion *x)
{
	step_list_free(&x->steps);
	strtab_free(&x->strtab);
	free(x->node_first);
	free(x->node_n);
	free(x->node_userns);
	free(x->userns_loc);
	memset(x, 0, sizeof(*x));
}
