/*
 * import-oci.c — `mplan import-oci config.json`: the mounts of an OCI
 * runtime-spec bundle config as a plan.
 *
 * JSON is YAML 1.1 flow syntax, so the front end's tree loader (ytree.h,
 * libyaml underneath) reads config.json with every node's line:col; no JSON
 * parser of our own.  What is translated, and from where:
 *
 *   mounts[i]                    -> one entry, commented "config.json mounts[i]"
 *     type / source / destination   type / source / target
 *     options bind, rbind           the entry's type (bind / rbind)
 *     options lowerdir=, upperdir=, workdir= (overlay) -> lower / upper / work
 *     options idmap, ridmap, or
 *     uidMappings / gidMappings     idmap (the mount's maps, else linux's)
 *     options rro, rnosuid, ...     the attribute (the plan applies a bind's
 *                                   attributes to its whole tree)
 *     crun/runc extensions          dropped with a comment (tmpcopyup, ...)
 *   root.readonly                -> readonly_root
 *   linux.maskedPaths            -> masked
 *   linux.readonlyPaths          -> readonly
 *   linux.rootfsPropagation      -> a comment: the runtime sets it on the
 *                                   container's root before hooks run
 *   root.path (absolute)         -> root
 *
 * Sources of virtual filesystems ("proc", "shm") only name the mount in
 * mountinfo; the plan mounts them without one, and says so when the name
 * differs from the type.  Relative bind sources are relative to the
 * bundle, as the runtime reads them.  Two mounts on one destination are
 * stacked in list order, as the runtime mounts them (overmount: true).  Every problem (a missing destination,
 * a value of the wrong JSON type, an idmap without maps) is collected with
 * its line:col before the import fails.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "import.h"
#include "paths.h"
#include "limits.h"
#include "options.h"
#include "ytree.h"

struct oci_ctx {
	const char *name;
	const char *bundle_dir;
	struct import_problems *probs;
	const struct ynode *linux_;
	bool nomem;
};

static void oci_problem(struct oci_ctx *c, const struct ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void oci_problem(struct oci_ctx *c, const struct ynode *at, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		c->nomem = true;
		return;
	}
	import_problem(c->probs, at ? at->line : 0, at ? at->col : 0, "%s", msg);
}

static void mem(struct oci_ctx *c, int r)
{
	if (r < 0)
		c->nomem = true;
}

/* A JSON string: a scalar that was quoted (or plain and not null/number/bool). */
static bool is_string(const struct ynode *n)
{
	if (!n || n->kind != YNODE_SCALAR)
		return false;
	if (!n->plain)
		return true;
	return strcmp(ynode_describe(n), "a string") == 0;
}

/* A string member of a mapping, or NULL; a wrong type is a problem. */
static const char *get_string(struct oci_ctx *c, const struct ynode *map, const char *key, const char *where)
{
	const struct ynode *v = ynode_get(map, key);
	if (!v || ynode_is_null(v))
		return NULL;
	if (!is_string(v)) {
		oci_problem(c, v, "%s.%s must be a string, not %s", where, key, ynode_describe(v));
		return NULL;
	}
	return v->str;
}

static bool parse_uint32(const struct ynode *n, unsigned long *ret)
{
	if (!n || n->kind != YNODE_SCALAR || !n->plain || !n->len || n->len > 10)
		return false;
	unsigned long v = 0;
	for (size_t i = 0; i < n->len; i++) {
		if (n->str[i] < '0' || n->str[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(n->str[i] - '0');
	}
	if (v > 0xffffffffUL)
		return false;
	*ret = v;
	return true;
}

/*
 * OCI id mappings [{containerID, hostID, size}, ...] -> "c:h:s,...", the
 * order of /proc/PID/uid_map, which is what the plan's maps are.
 */
static char *mappings(struct oci_ctx *c, const struct ynode *seq, const char *where)
{
	if (!seq || ynode_is_null(seq))
		return NULL;
	if (seq->kind != YNODE_SEQ) {
		oci_problem(c, seq, "%s must be a list, not %s", where, ynode_describe(seq));
		return NULL;
	}
	if (seq->n == 0)
		return NULL;
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f) {
		c->nomem = true;
		return NULL;
	}
	bool ok = true;
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *m = seq->items[i];
		unsigned long cid, hid, size;
		if (m->kind != YNODE_MAP || !parse_uint32(ynode_get(m, "containerID"), &cid) ||
		    !parse_uint32(ynode_get(m, "hostID"), &hid) || !parse_uint32(ynode_get(m, "size"), &size)) {
			oci_problem(c, m, "%s[%zu] needs containerID, hostID and size, numbers below 2^32", where, i);
			ok = false;
			continue;
		}
		if (size == 0) {
			/* the kernel refuses a range of no ids when the map is written */
			oci_problem(c, m, "%s[%zu].size is 0: a range maps at least one id", where, i);
			ok = false;
			continue;
		}
		fprintf(f, "%s%lu:%lu:%lu", i ? "," : "", cid, hid, size);
	}
	if (fclose(f) != 0) {
		c->nomem = true;
		return NULL;
	}
	return ok ? TAKE_PTR(out) : NULL;
}

/* Options crun or runc understand that are not mounts of their own. */
static const char *runtime_extension(const char *w)
{
	static const struct {
		const char *word, *why;
	} ext[] = {
		{ "tmpcopyup", "crun/runc copy the image's files into the new tmpfs; mountplan mounts it empty" },
		{ "notmpcopyup", "the default here" },
		{ "copy-symlink", "crun copies a symlink source as a symlink; mountplan binds what it points to" },
		{ "src-nofollow", "runc opens the source without following a final symlink" },
		{ "dest-nofollow", "crun does not follow a final symlink at the destination; mountplan never follows "
				   "one out of the root" },
		{ "r", "not a mount option" },
	};
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (!strcmp(w, ext[i].word))
			return ext[i].why;
	return NULL;
}

/*
 * bundle + "/" + rel, with ".." taken lexically, as the runtime's
 * filepath.Join / realpath of a bundle-relative source would: the result
 * is a host path, which may well lie outside the bundle.
 */
static int join_bundle(const char *bundle, const char *rel, char **ret)
{
	_cleanup_free_ char *joined = NULL;
	bool escapes; /* ".." stops at "/", as the runtime resolves it */

	if (asprintf(&joined, "%s/%s", bundle, rel) < 0)
		return -ENOMEM;
	return path_normalize(joined, ret, &escapes);
}

/* One mounts[i] -> e; false when it has a problem. */
static bool translate_mount(struct oci_ctx *c, const struct ynode *m, size_t i, struct import_entry *e)
{
	char where[64];
	snprintf(where, sizeof(where), "mounts[%zu]", i);
	size_t before = c->probs->n;
	if (m->kind != YNODE_MAP) {
		oci_problem(c, m, "%s must be an object, not %s", where, ynode_describe(m));
		return false;
	}
	const char *dest = get_string(c, m, "destination", where);
	const char *type = get_string(c, m, "type", where);
	const char *source = get_string(c, m, "source", where);
	const struct ynode *opts = ynode_get(m, "options");
	const struct ynode *dest_node = ynode_get(m, "destination");
	if (!dest && (!dest_node || ynode_is_null(dest_node))) /* absent, or `"destination": null` */
		oci_problem(c, m, "%s has no destination", where);
	if (opts && ynode_is_null(opts))
		opts = NULL; /* "options": null is no options (a null scalar has no items) */
	if (opts && opts->kind != YNODE_SEQ) {
		oci_problem(c, opts, "%s.options must be a list of strings, not %s", where, ynode_describe(opts));
		opts = NULL;
	}

	bool bind = type && (!strcmp(type, "bind") || !strcmp(type, "rbind"));
	bool rbind = type && !strcmp(type, "rbind");
	bool want_idmap = false, ridmap = false;
	const struct ynode *idmap_at = m;
	struct import_strv dropped = { 0 }, words = { 0 };

	for (size_t k = 0; opts && k < opts->n; k++) {
		const struct ynode *o = opts->items[k];
		if (!is_string(o)) {
			oci_problem(c, o, "%s.options[%zu] must be a string, not %s", where, k, ynode_describe(o));
			continue;
		}
		const char *w = o->str;
		const struct mount_option *row = options_lookup(w);
		const char *why;
		if (!strcmp(w, "bind")) {
			bind = true;
		} else if (!strcmp(w, "rbind")) {
			bind = rbind = true;
		} else if (!strcmp(w, "idmap") || !strcmp(w, "ridmap")) {
			want_idmap = true;
			ridmap |= w[0] == 'r';
			idmap_at = o;
		} else if (!strcmp(w, "defaults")) {
			continue; /* no meaning at all */
		} else if ((why = runtime_extension(w))) {
			mem(c, import_strv_addf(&dropped, "dropped option %s: %s", w, why));
		} else if (w[0] == 'r' && !row && options_lookup(w + 1) && options_lookup(w + 1)->kind == OPT_ATTR) {
			/* runc's recursive attributes (rro, rnosuid, ...): mount_setattr
			 * with AT_RECURSIVE; the plan sets a bind's attributes on its
			 * whole tree already */
			mem(c, import_strv_add(&words, w + 1));
			mem(c, import_strv_addf(&dropped, "%s: recursive %s; the plan applies it to the whole bound tree", w,
						w + 1));
		} else {
			mem(c, import_strv_add(&words, w));
		}
	}

	if (dest) {
		int r = import_path_normalize(dest, &e->target);
		if (r == -EINVAL)
			oci_problem(c, ynode_get(m, "destination"), "%s.destination '%s' is not an absolute path", where, dest);
		else if (r == -ELOOP)
			oci_problem(c, ynode_get(m, "destination"), "%s.destination '%s' has a '..' component", where, dest);
		else
			mem(c, r);
	}

	enum ir_fs_class cls;
	if (bind) {
		e->type = strdup(rbind ? "rbind" : "bind");
		cls = FS_BIND;
	} else if (!type) {
		oci_problem(c, m, "%s has no type and no bind or rbind option", where);
		goto out;
	} else if (!strcmp(type, "none")) {
		oci_problem(c, ynode_get(m, "type"), "%s: type 'none' without a bind or rbind option", where);
		goto out;
	} else if (!strcmp(type, "cgroup")) {
		/* On a cgroup v2 host crun and runc mount cgroup2 for "cgroup" */
		e->type = strdup("cgroup2");
		mem(c, import_strv_add(&dropped, "type cgroup: mounted as cgroup2 (the unified hierarchy), as crun and "
						 "runc do on a cgroup v2 host"));
		cls = FS_VIRTUAL;
	} else {
		e->type = strdup(type);
		cls = options_fs_class(type);
	}
	if (!e->type) {
		c->nomem = true;
		goto out;
	}

	switch (cls) {
	case FS_BIND:
		if (!source) {
			oci_problem(c, m, "%s: a bind mount needs a source", where);
		} else if (source[0] == '/') {
			int r = import_path_normalize(source, &e->source);
			if (r == -ELOOP)
				oci_problem(c, ynode_get(m, "source"), "%s.source '%s' has a '..' component", where, source);
			else
				mem(c, r);
		} else if (c->bundle_dir) {
			mem(c, join_bundle(c->bundle_dir, source, &e->source));
			mem(c, import_strv_addf(&dropped, "source '%s' is relative to the bundle directory", source));
		} else {
			oci_problem(c, ynode_get(m, "source"), "%s.source '%s' is relative and the bundle is unknown", where,
				    source);
		}
		break;
	case FS_VIRTUAL:
		if (source && strcmp(source, type) != 0)
			mem(c, import_strv_addf(&dropped, "source '%s' only names the mount in mountinfo; the plan's shows "
							 "'%s'",
						source, e->type));
		break;
	case FS_OVERLAY:
		break;
	case FS_BLOCK:
	case FS_HELPER:
	case FS_UNKNOWN:
		if (source) {
			e->source = strdup(source);
			if (!e->source)
				c->nomem = true;
		}
		break;
	}

	for (size_t k = 0; k < words.n; k++) {
		const char *w = words.v[k];
		_cleanup_free_ char *why = NULL;
		int r = cls == FS_OVERLAY ? import_overlay_option(e, w, &why) : 0;
		if (r == -ENOMEM)
			c->nomem = true;
		else if (r < 0)
			oci_problem(c, opts, "%s: %s", where, why);
		else if (r == 0) /* the runtimes apply the words in order too: the last wins */
			mem(c, import_option_add(e, w, &dropped, "as the runtime applies options in order"));
	}

	/* OCI 1.1: maps on the mount itself make it idmapped; `idmap` without
	 * them borrows the container's user namespace maps, as crun does */
	const struct ynode *mu = ynode_get(m, "uidMappings"), *mg = ynode_get(m, "gidMappings");
	if (mu || mg || want_idmap) {
		char uw[96], gw[96];
		snprintf(uw, sizeof(uw), "%s.uidMappings", where);
		snprintf(gw, sizeof(gw), "%s.gidMappings", where);
		e->idmap_uid = mappings(c, mu, uw);
		e->idmap_gid = mappings(c, mg, gw);
		if (!e->idmap_uid && !e->idmap_gid && !mu && !mg && c->linux_) {
			e->idmap_uid = mappings(c, ynode_get(c->linux_, "uidMappings"), "linux.uidMappings");
			e->idmap_gid = mappings(c, ynode_get(c->linux_, "gidMappings"), "linux.gidMappings");
			if (e->idmap_uid || e->idmap_gid)
				mem(c, import_strv_add(&dropped, "idmap: the container's maps (linux.uidMappings, "
								 "linux.gidMappings)"));
		}
		if (!e->idmap_uid && !e->idmap_gid && c->probs->n == before)
			oci_problem(c, idmap_at, "%s asks for an idmapped mount, but neither it nor linux has "
						 "uidMappings or gidMappings",
				    where);
		if (ridmap && !rbind)
			mem(c, import_strv_add(&dropped, "ridmap on a non-recursive mount: the same as idmap"));
	}

	if (c->probs->n == before && !c->nomem) {
		_cleanup_free_ char *why = NULL;
		int r = import_entry_check(e, &why);
		if (r == -ENOMEM)
			c->nomem = true;
		else if (r < 0)
			oci_problem(c, m, "%s: %s", where, why);
	}
	if (e->target) {
		mem(c, import_strv_addf(&e->comments, "%s %s: %s on %s", c->name, where, type ? type : e->type,
					e->target));
		for (size_t k = 0; k < dropped.n; k++)
			mem(c, import_strv_addf(&e->comments, "  %s", dropped.v[k]));
	}
out:
	import_strv_free(&dropped);
	import_strv_free(&words);
	return c->probs->n == before;
}

/* A translated mounts[index]. */
struct oci_mount {
	struct import_entry e;
	size_t index;
};

static int by_target(const void *a, const void *b)
{
	const struct oci_mount *x = *(const struct oci_mount *const *)a, *y = *(const struct oci_mount *const *)b;
	int d = strcmp(x->e.target, y->e.target);
	return d ? d : (x->index > y->index) - (x->index < y->index);
}

/*
 * Two mounts on one destination.  The runtimes (runc, crun) mount the list
 * in order, so a later mount is stacked over the earlier one: that is what
 * the config means, and the plan says it with overmount: true (its stack
 * edges keep the file order, below first) and an id of its own, the
 * mount's index, which no target-named default id can equal.
 */
static void stack_duplicates(struct oci_ctx *c, struct oci_mount *ents, size_t n)
{
	if (n < 2)
		return;
	_cleanup_free_ struct oci_mount **v = malloc(n * sizeof(*v));
	if (!v) {
		c->nomem = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = &ents[i];
	qsort(v, n, sizeof(*v), by_target);
	for (size_t i = 1; i < n; i++) {
		struct import_entry *e = &v[i]->e;
		if (strcmp(v[i - 1]->e.target, e->target) != 0)
			continue;
		e->overmount = true;
		if (asprintf(&e->id, "mounts[%zu]", v[i]->index) < 0) {
			e->id = NULL;
			c->nomem = true;
		}
		mem(c, import_strv_addf(&e->comments, "  stacked over mounts[%zu] on the same destination, as the runtime "
						       "mounts them in order",
					v[i - 1]->index));
	}
}

static bool has_target(const struct oci_mount *ents, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ents[i].e.target, path))
			return true;
	return false;
}

/* maskedPaths / readonlyPaths -> normalized list; problems for bad items. */
static void path_list(struct oci_ctx *c, const struct ynode *seq, const char *where, struct import_strv *out)
{
	if (!seq || ynode_is_null(seq))
		return;
	if (seq->kind != YNODE_SEQ) {
		oci_problem(c, seq, "%s must be a list of paths, not %s", where, ynode_describe(seq));
		return;
	}
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *p = seq->items[i];
		char *norm = NULL;
		if (!is_string(p)) {
			oci_problem(c, p, "%s[%zu] must be a string, not %s", where, i, ynode_describe(p));
			continue;
		}
		int r = import_path_normalize(p->str, &norm);
		if (r == -ENOMEM) {
			c->nomem = true;
		} else if (r < 0) {
			oci_problem(c, p, "%s[%zu] '%s' is not an absolute path without '..'", where, i, p->str);
		} else if (strstr(norm, "${")) {
			oci_problem(c, p, "%s[%zu] '%s' holds '${', which a plan reads as its ${root} variable", where, i,
				    p->str);
			free(norm);
		} else {
			mem(c, import_strv_add(out, norm));
			free(norm);
		}
	}
}

static void write_paths(FILE *out, const char *key, const struct import_strv *sv)
{
	fprintf(out, "%s:\n", key);
	for (size_t i = 0; i < sv->n; i++) {
		fputs("  - ", out);
		import_write_scalar(out, sv->v[i]);
		fputc('\n', out);
	}
}

int import_oci(const char *name, const char *text, size_t len, const char *bundle_dir, FILE *out,
	       struct import_problems *probs, struct mp_error *err)
{
	struct ydoc doc = { 0 };
	struct yerror yerr = { 0 };
	struct ylimits lim;
	struct oci_ctx c = { .name = name, .bundle_dir = bundle_dir, .probs = probs };
	struct import_strv masked = { 0 }, readonly = { 0 };
	_cleanup_free_ char *body = NULL, *line = NULL; /* before the first goto */
	size_t body_len = 0;
	FILE *bodyf = NULL;
	struct oci_mount *ents = NULL;
	size_t n_ents = 0;
	int r = 0;

	ydoc_default_limits(&lim);
	r = ydoc_load(text, len, &lim, &doc, &yerr);
	if (r == -ENOMEM) {
		r = error_set_errno(err, ENOMEM, "import-oci: %s", name);
		goto out;
	}
	if (r < 0) {
		switch (yerr.kind) {
		case YERR_SYNTAX:
			import_problem(probs, yerr.line, yerr.col, "not valid JSON: %s", yerr.msg);
			break;
		case YERR_EMPTY:
			import_problem(probs, 0, 0, "empty file: a config.json is one JSON object");
			break;
		case YERR_SIZE:
			import_problem(probs, 0, 0, "%zu bytes, over the limit of %zu", yerr.size, lim.max_bytes);
			break;
		case YERR_DEPTH:
		case YERR_ALIASES:
		case YERR_SCALAR:
		case YERR_NOMEM:
		case YERR_NONE:
			import_problem(probs, yerr.line, yerr.col, "cannot read: %s",
				       yerr.msg[0] ? yerr.msg : "nested too deep or too large");
			break;
		}
		r = error_set(err, EINVAL, "%s: not a config.json", name);
		goto out;
	}

	const struct ynode *root = doc.root;
	if (root->kind != YNODE_MAP) {
		oci_problem(&c, root, "a config.json is a JSON object, not %s", ynode_describe(root));
		r = error_set(err, EINVAL, "%s: not a config.json", name);
		goto out;
	}
	c.linux_ = ynode_get(root, "linux");
	if (c.linux_ && c.linux_->kind != YNODE_MAP) {
		oci_problem(&c, c.linux_, "linux must be an object, not %s", ynode_describe(c.linux_));
		c.linux_ = NULL;
	}

	bodyf = open_memstream(&body, &body_len);
	if (!bodyf) {
		r = error_set_errno(err, errno, "import-oci: memory stream");
		goto out;
	}

	/* root */
	const struct ynode *rootcfg = ynode_get(root, "root");
	const char *root_path = NULL, *propagation = NULL;
	bool readonly_root = false;
	if (rootcfg && rootcfg->kind == YNODE_MAP) {
		root_path = get_string(&c, rootcfg, "path", "root");
		if (root_path && strstr(root_path, "${"))
			oci_problem(&c, ynode_get(rootcfg, "path"), "root.path '%s' holds '${', which a plan reads as its ${root} "
								    "variable",
				    root_path);
		const struct ynode *ro = ynode_get(rootcfg, "readonly");
		if (ro && !ynode_is_null(ro) && ynode_bool(ro, &readonly_root) < 0)
			oci_problem(&c, ro, "root.readonly must be true or false, not %s", ynode_describe(ro));
	} else if (rootcfg && !ynode_is_null(rootcfg)) {
		oci_problem(&c, rootcfg, "root must be an object, not %s", ynode_describe(rootcfg));
	}
	if (c.linux_)
		propagation = get_string(&c, c.linux_, "rootfsPropagation", "linux");

	/* mounts */
	const struct ynode *mounts = ynode_get(root, "mounts");
	size_t n_entries = 0, n_devices = 0;
	bool dev_fs = false;
	if (mounts && !ynode_is_null(mounts) && mounts->kind != YNODE_SEQ) {
		oci_problem(&c, mounts, "mounts must be a list, not %s", ynode_describe(mounts));
	} else if (mounts && mounts->kind == YNODE_SEQ) {
		ents = calloc(mounts->n ? mounts->n : 1, sizeof(*ents));
		if (!ents)
			c.nomem = true;
		for (size_t i = 0; ents && i < mounts->n; i++) {
			struct oci_mount *om = &ents[n_ents];
			om->index = i;
			if (translate_mount(&c, mounts->items[i], i, &om->e) && !c.nomem && om->e.target)
				n_ents++;
			else
				import_entry_free(&om->e);
		}
		stack_duplicates(&c, ents, n_ents);
		for (size_t i = 0; i < n_ents; i++) {
			const struct import_entry *e = &ents[i].e;
			import_write_entry(bodyf, e);
			n_entries++;
			if (!strcmp(e->target, "/dev") && strcmp(e->type, "bind") != 0 && strcmp(e->type, "rbind") != 0)
				dev_fs = true;
		}
	}
	/* The runtime-spec's default devices: a runtime creates them in the
	 * container's /dev after mounting it.  A plan applied from a hook
	 * mounts /dev after the runtime made them, hiding them, so the plan
	 * brings its own: the host's nodes, bound (what crun and runc do in a
	 * user namespace, where mknod is not allowed).  A device the config
	 * mounts itself is left to that mount. */
	if (dev_fs) {
		static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };
		for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
			struct import_entry e = { 0 };
			char path[32];
			snprintf(path, sizeof(path), "/dev/%s", devices[i]);
			if (has_target(ents, n_ents, path))
				continue;
			mem(&c, import_strv_addf(&e.comments, "runtime-spec default device /dev/%s (crun makes it with "
							      "mknod; the plan binds the host's)",
						 devices[i]));
			e.type = strdup("bind");
			e.source = strdup(path);
			e.target = strdup(path);
			if (!e.type || !e.source || !e.target)
				c.nomem = true;
			else
				import_write_entry(bodyf, &e);
			n_entries++;
			import_entry_free(&e);
		}
	}
	if (c.linux_) {
		const struct ynode *devs = ynode_get(c.linux_, "devices");
		if (devs && devs->kind == YNODE_SEQ && devs->n)
			n_devices = devs->n;
	}
	if (c.linux_) {
		path_list(&c, ynode_get(c.linux_, "maskedPaths"), "linux.maskedPaths", &masked);
		path_list(&c, ynode_get(c.linux_, "readonlyPaths"), "linux.readonlyPaths", &readonly);
	}
	if (fclose(bodyf) != 0)
		c.nomem = true;
	bodyf = NULL;

	if (c.nomem || probs->nomem) {
		r = error_set_errno(err, ENOMEM, "import-oci: %s", name);
		goto out;
	}
	if (probs->n) {
		r = error_set(err, EINVAL, "%s: %zu problem%s, nothing imported", name, probs->n, probs->n == 1 ? "" : "s");
		goto out;
	}

	if (asprintf(&line, "A mount plan imported by `mplan import-oci` from %s.", name) < 0) {
		r = error_set_errno(err, ENOMEM, "import-oci: %s", name);
		goto out;
	}
	import_write_comment(out, "", line);
	import_write_comment(out, "", "Each entry names the element of the config it came from.");
	if (root_path && root_path[0] != '/') {
		free(line);
		line = NULL;
		if (asprintf(&line, "root.path '%s' is relative to the bundle: give `mrun apply --root DIR`,", root_path) < 0)
			c.nomem = true;
		else
			import_write_comment(out, "", line);
		import_write_comment(out, "", "or run `mrun apply --oci-hook` as a createRuntime hook, which finds it.");
	}
	if (propagation) {
		free(line);
		line = NULL;
		if (asprintf(&line, "linux.rootfsPropagation '%s': the runtime sets it on the container's root", propagation) < 0)
			c.nomem = true;
		else
			import_write_comment(out, "", line);
		import_write_comment(out, "", "mount before hooks run; it is not repeated here.");
	}
	if (n_devices) {
		free(line);
		line = NULL;
		if (asprintf(&line, "linux.devices: %zu device node%s the runtime creates; not a mount, not in the plan",
			     n_devices, n_devices == 1 ? "" : "s") < 0)
			c.nomem = true;
		else
			import_write_comment(out, "", line);
	}
	fputs("version: 1\n", out);
	if (root_path && root_path[0] == '/') {
		_cleanup_free_ char *norm = NULL;
		if (import_path_normalize(root_path, &norm) == 0) {
			fputs("# root.path\nroot: ", out);
			import_write_scalar(out, norm);
			fputc('\n', out);
		}
	}
	if (readonly_root)
		fputs("# root.readonly\nreadonly_root: true\n", out);
	fputs(n_entries ? "mounts:\n" : "mounts: []\n", out);
	fwrite(body, 1, body_len, out);
	if (masked.n) {
		fputs("# linux.maskedPaths\n", out);
		write_paths(out, "masked", &masked);
	}
	if (readonly.n) {
		fputs("# linux.readonlyPaths\n", out);
		write_paths(out, "readonly", &readonly);
	}
	if (fflush(out) != 0 || ferror(out))
		r = error_set_errno(err, errno ? errno : EIO, "writing the plan");
out:
	if (bodyf)
		fclose(bodyf);
	for (size_t i = 0; i < n_ents; i++)
		import_entry_free(&ents[i].e);
	free(ents);
	import_strv_free(&masked);
	import_strv_free(&readonly);
	ydoc_free(&doc);
	return r;
}
