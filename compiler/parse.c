/*
 * parse.c — a plan file's YAML tree into the IR (ir.h), and the front
 * end's entry points (front.h): read, parse, validate.
 *
 * The walk is driven by the key table in validate.c: every mapping's keys
 * are looked up there, so an unknown key gets a did-you-mean, a key that
 * does not fit the entry's filesystem class is named (E209), and a
 * repeated key is reported once (E201) and otherwise ignored: the first
 * occurrence wins, as a reader of the file would expect.  Scalar values are
 * typed here (booleans, durations, byte counts, id maps); checks that need
 * the whole plan are in validate.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "front.h"
#include "limits.h"
#include "options.h"
#include "sha256.h"
#include "validate.h"
#include "ytree.h"

struct parser {
	struct diag_sink *sink;
	struct ir_plan *plan;
};

static struct ir_loc loc_of(const struct ynode *n)
{
	return (struct ir_loc){ n->line, n->col };
}

static void wrong_type(struct parser *p, const char *what, const char *want, const struct ynode *n)
{
	diag_emit(p->sink, DIAG_WRONG_TYPE, n->line, n->col, what, want, ynode_describe(n));
}

static bool is_string(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && !ynode_is_null(n);
}

static void on_duplicate(void *ctx, const struct ypair *dup, const struct ypair *first)
{
	struct parser *p = ctx;
	diag_emit(p->sink, DIAG_DUPLICATE_KEY, dup->key->line, dup->key->col, ynode_key(dup), first->key->line);
}

/*
 * Iterate a mapping's known keys of ctx: reports duplicate keys, non-string
 * and unknown keys; returns the row for each pair to handle, NULL to skip.
 * *seen has one bit per plan_keys row.
 */
static const struct plan_key *map_key(struct parser *p, enum key_ctx ctx, const struct ypair *pair, uint64_t *seen)
{
	const struct plan_key *row;
	const char *name;
	size_t bit;

	if (pair->key->kind != YNODE_SCALAR) {
		wrong_type(p, "a key", "a string", pair->key);
		return NULL;
	}
	name = ynode_key(pair);
	row = validate_key(ctx, name);
	if (!row) {
		const char *best =
			p->sink->n_errors < VALIDATE_MAX_SUGGESTING_ERRORS ? validate_key_suggest(ctx, name) : NULL;
		char hint[64] = "";
		if (best)
			snprintf(hint, sizeof(hint), "; did you mean '%s'?", best);
		diag_emit(p->sink, DIAG_UNKNOWN_KEY, pair->key->line, pair->key->col, name, hint);
		return NULL;
	}
	bit = (size_t)(row - plan_keys);
	if (*seen & (1ull << bit))
		return NULL; /* a duplicate: E201 already said so */
	*seen |= 1ull << bit;
	return row;
}

static bool check_map(struct parser *p, const char *what, const struct ynode *n)
{
	if (n->kind != YNODE_MAP) {
		wrong_type(p, what, "a mapping", n);
		return false;
	}
	if (ynode_each_duplicate(n, on_duplicate, p) < 0)
		diag_emit(p->sink, DIAG_PLAN_UNREADABLE, 0, 0, "out of memory");
	return true;
}

static bool get_string(struct parser *p, const char *what, const struct ynode *n, char **ret)
{
	if (!is_string(n)) {
		wrong_type(p, what, "a string", n);
		return false;
	}
	free(*ret);
	*ret = strdup(n->str);
	return *ret != NULL;
}

static bool get_bool(struct parser *p, const char *what, const struct ynode *n, bool *ret)
{
	if (ynode_bool(n, ret) < 0) {
		wrong_type(p, what, "true or false", n);
		return false;
	}
	return true;
}

/*
 * A path operand.  With allow_root, "${root}" followed by "/" or nothing
 * names a path inside the root ("${root}/x" -> "/x", in_root).  Any other
 * "${" stays in the path for validate.c to report (E303).
 */
static bool get_path(struct parser *p, const char *what, const struct ynode *n, struct ir_path *ret, bool allow_root)
{
	const char *s;

	if (!is_string(n)) {
		wrong_type(p, what, "a path", n);
		return false;
	}
	s = n->str;
	free(ret->path);
	ret->loc = loc_of(n);
	ret->in_root = false;
	if (allow_root && strncmp(s, "${root}", 7) == 0 && (s[7] == '/' || s[7] == '\0')) {
		ret->in_root = true;
		s = s[7] ? s + 7 : "/";
	}
	ret->path = strdup(s);
	return ret->path != NULL;
}

/* A list of strings into ir_words (a single string too when allow_one). */
static bool get_words(struct parser *p, const char *what, const struct ynode *n, bool allow_one, struct ir_word **ret,
		      size_t *ret_n)
{
	size_t count = n->kind == YNODE_SEQ ? n->n : 1;
	struct ir_word *w;

	if (n->kind != YNODE_SEQ && !(allow_one && is_string(n))) {
		wrong_type(p, what, allow_one ? "a string or a list of strings" : "a list of strings", n);
		return false;
	}
	w = calloc(count ? count : 1, sizeof(*w));
	if (!w)
		return false;
	*ret = w;
	*ret_n = 0;
	for (size_t i = 0; i < count; i++) {
		const struct ynode *item = n->kind == YNODE_SEQ ? n->items[i] : n;
		if (!is_string(item)) {
			wrong_type(p, what, "a list of strings", item);
			continue;
		}
		w[*ret_n].word = strdup(item->str);
		w[*ret_n].loc = loc_of(item);
		if (w[*ret_n].word)
			(*ret_n)++;
	}
	return true;
}

/* Decimal digits with an optional K, M, G or T (powers of 1024); false if not, or past 2^64. */
static bool parse_bytes(const char *s, uint64_t *ret)
{
	uint64_t v = 0, mul = 1;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	switch (*s) {
	case 'K': mul = 1ull << 10; s++; break;
	case 'M': mul = 1ull << 20; s++; break;
	case 'G': mul = 1ull << 30; s++; break;
	case 'T': mul = 1ull << 40; s++; break;
	default: break;
	}
	if (*s || (v && mul > UINT64_MAX / v))
		return false;
	*ret = v * mul;
	return true;
}

static bool get_bytes(struct parser *p, const char *what, const struct ynode *n, uint64_t *ret)
{
	if (!is_string(n)) {
		wrong_type(p, what, "a number of bytes", n);
		return false;
	}
	if (!parse_bytes(n->str, ret)) {
		diag_emit(p->sink, DIAG_BAD_VALUE, n->line, n->col, what, "a number of bytes, like 4096 or 64M");
		return false;
	}
	return true;
}

/* uid/gid of idmap: "inside:outside:count" or a list of them, joined with ','. */
static bool get_idmap(struct parser *p, const char *what, const struct ynode *n, char **ret)
{
	size_t len = 0, count = n->kind == YNODE_SEQ ? n->n : 1;
	char *s;

	if (n->kind != YNODE_SEQ && !is_string(n)) {
		wrong_type(p, what, "a range \"inside:outside:count\" or a list of them", n);
		return false;
	}
	if (count == 0) {
		diag_emit(p->sink, DIAG_BAD_IDMAP, n->line, n->col, "", "an id map needs at least one range");
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		const struct ynode *item = n->kind == YNODE_SEQ ? n->items[i] : n;
		if (!is_string(item)) {
			wrong_type(p, what, "a range \"inside:outside:count\"", item);
			return false;
		}
		len += item->len + 1;
	}
	s = malloc(len);
	if (!s)
		return false;
	len = 0;
	for (size_t i = 0; i < count; i++) {
		const struct ynode *item = n->kind == YNODE_SEQ ? n->items[i] : n;
		if (i)
			s[len++] = ',';
		memcpy(s + len, item->str, item->len);
		len += item->len;
	}
	s[len] = '\0';
	if (!validate_idmap(p->sink, s, n->line, n->col)) {
		free(s);
		return false;
	}
	free(*ret);
	*ret = s;
	return true;
}

static void parse_idmap(struct parser *p, const struct ynode *n, struct ir_entry *e)
{
	uint64_t seen = 0;

	e->idmap.loc = loc_of(n);
	if (!check_map(p, "idmap", n))
		return;
	for (size_t i = 0; i < n->n; i++) {
		const struct plan_key *row = map_key(p, KCTX_IDMAP, &n->pairs[i], &seen);
		if (!row)
			continue;
		get_idmap(p, row->dotted + 9, n->pairs[i].value, strcmp(row->name, "uid") == 0 ? &e->idmap.uid : &e->idmap.gid);
	}
	if (!ynode_get(n, "uid"))
		diag_emit(p->sink, DIAG_MISSING_KEY, n->line, n->col, "idmap", "uid");
	if (!ynode_get(n, "gid"))
		diag_emit(p->sink, DIAG_MISSING_KEY, n->line, n->col, "idmap", "gid");
	e->idmap.present = true;
}

static void parse_loop(struct parser *p, const struct ynode *n, struct ir_entry *e)
{
	uint64_t seen = 0;

	e->loop.loc = loc_of(n);
	e->loop.present = true;
	if (!check_map(p, "loop", n))
		return;
	for (size_t i = 0; i < n->n; i++) {
		const struct plan_key *row = map_key(p, KCTX_LOOP, &n->pairs[i], &seen);
		const struct ynode *v = n->pairs[i].value;
		const char *what;

		if (!row)
			continue;
		what = row->dotted + 9; /* "loop.offset" */
		if (strcmp(row->name, "readonly") == 0)
			get_bool(p, what, v, &e->loop.readonly);
		else if (strcmp(row->name, "direct_io") == 0)
			get_bool(p, what, v, &e->loop.direct_io);
		else if (strcmp(row->name, "autoclear") == 0)
			get_bool(p, what, v, &e->loop.autoclear);
		else if (strcmp(row->name, "offset") == 0)
			get_bytes(p, what, v, &e->loop.offset);
		else if (strcmp(row->name, "sizelimit") == 0)
			get_bytes(p, what, v, &e->loop.sizelimit);
	}
}

/* An interface name as the kernel takes it: 1..15 bytes, no '/', ':' or white space. */
static bool link_name_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 15 && strcspn(s, "/: \t\n") == n && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static void parse_requires(struct parser *p, const struct ynode *n, struct ir_entry *e)
{
	uint64_t seen = 0;
	const struct ynode *link = NULL, *device = NULL, *carrier = NULL;

	e->requires.loc = loc_of(n);
	if (!check_map(p, "requires", n))
		return;
	for (size_t i = 0; i < n->n; i++) {
		const struct plan_key *row = map_key(p, KCTX_REQUIRES, &n->pairs[i], &seen);
		const struct ynode *v = n->pairs[i].value;

		if (!row)
			continue;
		if (strcmp(row->name, "link") == 0) {
			link = n->pairs[i].key;
			if (get_string(p, "requires.link", v, &e->requires.name) && !link_name_ok(e->requires.name))
				diag_emit(p->sink, DIAG_BAD_VALUE, v->line, v->col, "requires.link",
					  "an interface name is 1 to 15 characters without '/', ':' or spaces");
		} else if (strcmp(row->name, "device") == 0) {
			struct ir_path dev = { 0 };
			device = n->pairs[i].key;
			if (get_path(p, "requires.device", v, &dev, false)) {
				free(e->requires.name);
				e->requires.name = dev.path;
				e->requires.loc = dev.loc;
			}
		} else if (strcmp(row->name, "timeout") == 0) {
			if (!is_string(v))
				wrong_type(p, "requires.timeout", "a duration", v);
			else if (validate_duration(v->str, &e->requires.timeout_ms) < 0)
				diag_emit(p->sink, DIAG_BAD_DURATION, v->line, v->col, v->str);
		} else if (strcmp(row->name, "carrier") == 0) {
			carrier = n->pairs[i].key;
			get_bool(p, "requires.carrier", v, &e->requires.carrier);
		}
	}
	if (link && device) {
		diag_emit(p->sink, DIAG_BAD_VALUE, device->line, device->col, "requires", "give link or device, not both");
	} else if (!link && !device) {
		diag_emit(p->sink, DIAG_MISSING_KEY, n->line, n->col, "requires", "link' or 'device");
	}
	if (carrier && !link)
		diag_emit(p->sink, DIAG_BAD_VALUE, carrier->line, carrier->col, "requires.carrier",
			  "only a link has a carrier");
	e->requires.kind = link ? REQUIRE_LINK : device ? REQUIRE_DEVICE : REQUIRE_NONE;
	if (e->requires.kind == REQUIRE_NONE) {
		free(e->requires.name);
		e->requires.name = NULL;
	}
}

static void parse_entry(struct parser *p, const struct ynode *n, struct ir_entry *e)
{
	char label[32];
	uint64_t seen = 0;
	const struct ynode *type = ynode_get(n, "type");
	const struct fs_type *fs = NULL;
	const struct ynode *upper = NULL, *work = NULL;
	bool have_lower = false, have_target = false;

	e->loc = loc_of(n);
	e->fs_class = FS_UNKNOWN;
	e->requires.timeout_ms = MP_DEFAULT_TIMEOUT_MS;
	e->requires.carrier = true;
	snprintf(label, sizeof(label), "mounts[%u]", e->index);
	if (!check_map(p, label, n))
		return;

	/* The type first: which other keys apply depends on it. */
	if (type && get_string(p, "type", type, &e->type)) {
		e->type_loc = loc_of(type);
		fs = options_fs_type(e->type);
		e->recursive = strcmp(e->type, "rbind") == 0;
		if (fs) {
			e->fs_class = fs->fs_class;
		} else {
			diag_emit(p->sink, DIAG_UNKNOWN_FSTYPE, type->line, type->col, e->type);
		}
	} else if (!type) {
		diag_emit(p->sink, DIAG_MISSING_KEY, n->line, n->col, "a mount entry", "type");
	}

	for (size_t i = 0; i < n->n; i++) {
		const struct ypair *pair = &n->pairs[i];
		const struct plan_key *row = map_key(p, KCTX_ENTRY, pair, &seen);
		const struct ynode *v = pair->value;
		const char *k;

		if (!row)
			continue;
		k = row->name;
		if (e->type) {
			bool applies = row->classes & KCLASS(e->fs_class);
			if (applies && strcmp(k, "idmap") == 0)
				applies = fs && (fs->flags & FSF_IDMAP);
			if (!applies) {
				diag_emit(p->sink, DIAG_KEY_NOT_FOR_TYPE, pair->key->line, pair->key->col, k, e->type);
				continue;
			}
		}
		if (strcmp(k, "type") == 0) {
			continue;
		} else if (strcmp(k, "id") == 0) {
			if (get_string(p, "id", v, &e->id))
				e->id_loc = loc_of(v);
		} else if (strcmp(k, "target") == 0) {
			have_target = get_path(p, "target", v, &e->target, false);
			e->target.in_root = true;
		} else if (strcmp(k, "source") == 0) {
			/* helper and unknown types take a free-form source ("fs1:/export") */
			bool path_like = e->fs_class == FS_BIND || e->fs_class == FS_BLOCK;
			get_path(p, "source", v, &e->source, path_like);
		} else if (strcmp(k, "lower") == 0) {
			have_lower = true;
			if (v->kind != YNODE_SEQ) {
				wrong_type(p, "lower", "a list of paths", v);
				continue;
			}
			e->lower = calloc(v->n ? v->n : 1, sizeof(*e->lower));
			if (!e->lower)
				continue;
			for (size_t j = 0; j < v->n; j++)
				if (get_path(p, "lower", v->items[j], &e->lower[e->n_lower], true))
					e->n_lower++;
		} else if (strcmp(k, "upper") == 0) {
			upper = pair->key;
			get_path(p, "upper", v, &e->upper, true);
		} else if (strcmp(k, "work") == 0) {
			work = pair->key;
			get_path(p, "work", v, &e->work, true);
		} else if (strcmp(k, "options") == 0) {
			get_words(p, "options", v, false, &e->options, &e->n_options);
		} else if (strcmp(k, "after") == 0) {
			get_words(p, "after", v, true, &e->after, &e->n_after);
		} else if (strcmp(k, "idmap") == 0) {
			parse_idmap(p, v, e);
		} else if (strcmp(k, "loop") == 0) {
			parse_loop(p, v, e);
		} else if (strcmp(k, "requires") == 0) {
			parse_requires(p, v, e);
		} else if (strcmp(k, "when") == 0) {
			char *w = NULL;
			if (get_string(p, "when", v, &w)) {
				if (strcmp(w, "empty") == 0)
					e->when_empty = true;
				else
					diag_emit(p->sink, DIAG_BAD_VALUE, v->line, v->col, "when", "only 'empty' is known");
			}
			free(w);
		} else if (strcmp(k, "optional") == 0) {
			get_bool(p, "optional", v, &e->optional);
		} else if (strcmp(k, "overmount") == 0) {
			get_bool(p, "overmount", v, &e->overmount);
		}
	}

	if (!ynode_get(n, "target"))
		diag_emit(p->sink, DIAG_MISSING_KEY, n->line, n->col, "a mount entry", "target");
	if (e->type && !ynode_get(n, "source") &&
	    (e->fs_class == FS_BIND || e->fs_class == FS_BLOCK || e->fs_class == FS_HELPER)) {
		char what[96];
		snprintf(what, sizeof(what), "type %.64s", e->type);
		diag_emit(p->sink, DIAG_MISSING_KEY, e->type_loc.line, e->type_loc.col, what, "source");
	}
	if (e->fs_class == FS_OVERLAY) {
		if (!have_lower || (ynode_get(n, "lower") && ynode_get(n, "lower")->kind == YNODE_SEQ &&
				    ynode_get(n, "lower")->n == 0))
			diag_emit(p->sink, DIAG_OVERLAY_NO_LOWER, e->type_loc.line, e->type_loc.col);
		if (upper && !work)
			diag_emit(p->sink, DIAG_MISSING_KEY, upper->line, upper->col, "overlay with 'upper'", "work");
		if (work && !upper)
			diag_emit(p->sink, DIAG_MISSING_KEY, work->line, work->col, "overlay with 'work'", "upper");
	}
	if (!e->id && have_target) {
		/* The default id is the target; validate.c replaces it with the normalized target. */
		e->id = strdup(e->target.path);
		e->id_loc = e->target.loc;
	}
}

static void parse_plan(struct parser *p, const struct ynode *root)
{
	struct ir_plan *plan = p->plan;
	uint64_t seen = 0;
	const struct ynode *mounts = NULL;

	if (root->kind != YNODE_MAP) {
		diag_emit(p->sink, DIAG_PLAN_NOT_MAPPING, root->line, root->col, ynode_describe(root));
		return;
	}
	check_map(p, "the plan", root);
	for (size_t i = 0; i < root->n; i++) {
		const struct plan_key *row = map_key(p, KCTX_PLAN, &root->pairs[i], &seen);
		const struct ynode *v = root->pairs[i].value;

		if (!row)
			continue;
		if (strcmp(row->name, "version") == 0) {
			if (v->kind != YNODE_SCALAR || !v->plain)
				wrong_type(p, "version", "the number 1", v);
			else if (strcmp(v->str, "1") != 0)
				diag_emit(p->sink, DIAG_BAD_VERSION, v->line, v->col, v->str);
			else
				plan->version = 1;
		} else if (strcmp(row->name, "root") == 0) {
			struct ir_path r = { 0 };
			if (get_path(p, "root", v, &r, false)) {
				validate_path(p->sink, "root", &r);
				plan->root = r.path;
			}
		} else if (strcmp(row->name, "readonly_root") == 0) {
			get_bool(p, "readonly_root", v, &plan->readonly_root);
			plan->readonly_root_loc = loc_of(v);
		} else if (strcmp(row->name, "masked") == 0) {
			get_words(p, "masked", v, false, &plan->masked, &plan->n_masked);
		} else if (strcmp(row->name, "readonly") == 0) {
			get_words(p, "readonly", v, false, &plan->readonly, &plan->n_readonly);
		} else if (strcmp(row->name, "mounts") == 0) {
			mounts = v;
		}
	}
	if (!ynode_get(root, "version"))
		diag_emit(p->sink, DIAG_MISSING_KEY, root->line, root->col, "the plan", "version");
	if (!ynode_get(root, "mounts")) {
		diag_emit(p->sink, DIAG_MISSING_KEY, root->line, root->col, "the plan", "mounts");
		return;
	}
	if (!mounts)
		return;
	if (mounts->kind != YNODE_SEQ) {
		wrong_type(p, "mounts", "a list of mount entries", mounts);
		return;
	}
	if (mounts->n > MP_MAX_ENTRIES) {
		diag_emit(p->sink, DIAG_TOO_MANY, mounts->line, mounts->col, "mounts", mounts->n, MP_MAX_ENTRIES);
		return;
	}
	plan->entries = calloc(mounts->n ? mounts->n : 1, sizeof(*plan->entries));
	if (!plan->entries) {
		diag_emit(p->sink, DIAG_PLAN_UNREADABLE, 0, 0, strerror(ENOMEM));
		return;
	}
	for (size_t i = 0; i < mounts->n; i++) {
		struct ir_entry *e = &plan->entries[plan->n_entries++];
		e->index = (uint32_t)i;
		parse_entry(p, mounts->items[i], e);
	}
}

static void yaml_diag(struct diag_sink *sink, const struct yerror *err)
{
	switch (err->kind) {
	case YERR_SYNTAX:
		diag_emit(sink, DIAG_YAML_SYNTAX, err->line, err->col, err->msg);
		break;
	case YERR_DEPTH:
		diag_emit(sink, DIAG_YAML_TOO_DEEP, err->line, err->col, MP_MAX_YAML_DEPTH);
		break;
	case YERR_ALIASES:
		diag_emit(sink, DIAG_YAML_ALIASES, err->line, err->col, MP_MAX_YAML_ALIASES);
		break;
	case YERR_SIZE:
		diag_emit(sink, DIAG_PLAN_TOO_LARGE, 0, 0, err->size, MP_MAX_PLAN_BYTES);
		break;
	case YERR_SCALAR: {
		struct ylimits lim;
		ydoc_default_limits(&lim);
		diag_emit(sink, DIAG_YAML_SCALAR_TOO_LONG, err->line, err->col, err->size, lim.max_scalar);
		break;
	}
	case YERR_EMPTY:
		diag_emit(sink, DIAG_PLAN_NOT_MAPPING, 0, 0, "an empty document");
		break;
	case YERR_NOMEM:
		diag_emit(sink, DIAG_PLAN_UNREADABLE, 0, 0, "out of memory");
		break;
	case YERR_NONE:
		diag_emit(sink, DIAG_YAML_SYNTAX, err->line, err->col, "unknown error");
		break;
	}
}

int front_load_plan_bytes(const char *name, const char *bytes, size_t len, struct ir_plan *plan,
			  struct diag_sink *sink)
{
	size_t errors_before = sink->n_errors;
	struct ydoc doc;
	struct yerror yerr;
	struct parser p = { .sink = sink, .plan = plan };

	*plan = (struct ir_plan){ 0 };
	plan->file = strdup(name);
	if (!plan->file) {
		diag_emit(sink, DIAG_PLAN_UNREADABLE, 0, 0, "out of memory");
		return -1;
	}
	if (len > MP_MAX_PLAN_BYTES) {
		diag_emit(sink, DIAG_PLAN_TOO_LARGE, 0, 0, len, MP_MAX_PLAN_BYTES);
		ir_plan_free(plan);
		return -1;
	}
	sha256_buf(bytes, len, plan->sha256);
	if (ydoc_load(bytes, len, NULL, &doc, &yerr) < 0) {
		yaml_diag(sink, &yerr);
		ir_plan_free(plan);
		return -1;
	}
	parse_plan(&p, doc.root);
	ydoc_free(&doc);
	/* Validate even after parse errors: all problems are reported in one run. */
	validate_plan(plan, sink);
	if (sink->n_errors != errors_before) {
		ir_plan_free(plan);
		return -1;
	}
	return 0;
}

int front_load_plan(const char *path, struct ir_plan *plan, struct diag_sink *sink)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap;
	struct stat st;

	*plan = (struct ir_plan){ 0 };
	if (strcmp(path, "-") == 0) {
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0) {
		diag_emit(sink, DIAG_PLAN_UNREADABLE, 0, 0, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		diag_emit(sink, DIAG_PLAN_UNREADABLE, 0, 0, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		diag_emit(sink, DIAG_PLAN_UNREADABLE, 0, 0, strerror(EISDIR));
		return -1;
	}
	/* Refuse a large file before reading it; a pipe is cut off at the limit instead. */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > MP_MAX_PLAN_BYTES) {
		diag_emit(sink, DIAG_PLAN_TOO_LARGE, 0, 0, (size_t)st.st_size, MP_MAX_PLAN_BYTES);
		return -1;
	}
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	buf = malloc(cap);
	if (!buf) {
		diag_emit(sink, DIAG_PLAN_UNREADABLE, 0, 0, strerror(ENOMEM));
		return -1;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			/* at most one byte over the limit is ever read: that byte is the refusal */
			size_t more = 2 * cap < (size_t)MP_MAX_PLAN_BYTES + 1 ? 2 * cap : (size_t)MP_MAX_PLAN_BYTES + 1;
			char *bigger;

			if (len > MP_MAX_PLAN_BYTES) {
				diag_emit(sink, DIAG_PLAN_TOO_LARGE, 0, 0, len, MP_MAX_PLAN_BYTES);
				return -1;
			}
			bigger = realloc(buf, more);
			if (!bigger) {
				diag_emit(sink, DIAG_PLAN_UNREADABLE, 0, 0, strerror(ENOMEM));
				return -1;
			}
			buf = bigger;
			cap = more;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			diag_emit(sink, DIAG_PLAN_UNREADABLE, 0, 0, strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	return front_load_plan_bytes(path, buf, len, plan, sink);
}
