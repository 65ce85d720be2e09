/*
 * validate.c — the key table of plan language v1 and the checks that need
 * a whole parsed plan: paths, option words, ids, targets, `after`.
 *
 * Every check reports and goes on, so one run lists every problem.  Paths
 * are normalized in place even when they were written badly, so that the
 * cross-entry checks compare what the kernel would see: `/data/`, `//data`
 * and `/./data` are one target.  Cross-entry checks sort instead of
 * comparing pairs, so a plan of 100,000 entries costs n log n.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "limits.h"
#include "options.h"
#include "paths.h"
#include "validate.h"

#define C_ALL KCLASS_ALL
#define C_SOURCE (KCLASS(FS_BIND) | KCLASS(FS_BLOCK) | KCLASS(FS_HELPER) | KCLASS(FS_UNKNOWN))
#define C_OVERLAY KCLASS(FS_OVERLAY)
#define C_IDMAP (KCLASS(FS_BIND) | KCLASS(FS_OVERLAY) | KCLASS(FS_BLOCK) | KCLASS(FS_VIRTUAL))

const struct plan_key plan_keys[] = {
	{ KCTX_PLAN, "version", "version", KT_VERSION, C_ALL },
	{ KCTX_PLAN, "root", "root", KT_PATH, C_ALL },
	{ KCTX_PLAN, "readonly_root", "readonly_root", KT_BOOL, C_ALL },
	{ KCTX_PLAN, "mounts", "mounts", KT_ENTRIES, C_ALL },
	{ KCTX_PLAN, "masked", "masked", KT_PATHS, C_ALL },
	{ KCTX_PLAN, "readonly", "readonly", KT_PATHS, C_ALL },
	{ KCTX_ENTRY, "id", "mounts[].id", KT_STRING, C_ALL },
	{ KCTX_ENTRY, "type", "mounts[].type", KT_STRING, C_ALL },
	{ KCTX_ENTRY, "source", "mounts[].source", KT_PATH, C_SOURCE },
	{ KCTX_ENTRY, "target", "mounts[].target", KT_PATH, C_ALL },
	{ KCTX_ENTRY, "lower", "mounts[].lower", KT_PATHS, C_OVERLAY },
	{ KCTX_ENTRY, "upper", "mounts[].upper", KT_PATH, C_OVERLAY },
	{ KCTX_ENTRY, "work", "mounts[].work", KT_PATH, C_OVERLAY },
	{ KCTX_ENTRY, "options", "mounts[].options", KT_WORDS, C_ALL },
	{ KCTX_ENTRY, "idmap", "mounts[].idmap", KT_MAPPING, C_IDMAP },
	{ KCTX_ENTRY, "loop", "mounts[].loop", KT_MAPPING, KCLASS(FS_BLOCK) },
	{ KCTX_ENTRY, "requires", "mounts[].requires", KT_MAPPING, C_ALL },
	{ KCTX_ENTRY, "after", "mounts[].after", KT_STRINGS, C_ALL },
	{ KCTX_ENTRY, "when", "mounts[].when", KT_STRING, C_ALL },
	{ KCTX_ENTRY, "optional", "mounts[].optional", KT_BOOL, C_ALL },
	{ KCTX_ENTRY, "overmount", "mounts[].overmount", KT_BOOL, C_ALL },
	{ KCTX_IDMAP, "uid", "mounts[].idmap.uid", KT_IDMAP_RANGES, C_ALL },
	{ KCTX_IDMAP, "gid", "mounts[].idmap.gid", KT_IDMAP_RANGES, C_ALL },
	{ KCTX_LOOP, "readonly", "mounts[].loop.readonly", KT_BOOL, C_ALL },
	{ KCTX_LOOP, "direct_io", "mounts[].loop.direct_io", KT_BOOL, C_ALL },
	{ KCTX_LOOP, "offset", "mounts[].loop.offset", KT_BYTES, C_ALL },
	{ KCTX_LOOP, "sizelimit", "mounts[].loop.sizelimit", KT_BYTES, C_ALL },
	{ KCTX_LOOP, "autoclear", "mounts[].loop.autoclear", KT_BOOL, C_ALL },
	{ KCTX_REQUIRES, "link", "mounts[].requires.link", KT_STRING, C_ALL },
	{ KCTX_REQUIRES, "device", "mounts[].requires.device", KT_PATH, C_ALL },
	{ KCTX_REQUIRES, "timeout", "mounts[].requires.timeout", KT_DURATION, C_ALL },
	{ KCTX_REQUIRES, "carrier", "mounts[].requires.carrier", KT_BOOL, C_ALL },
};
const size_t plan_keys_count = sizeof(plan_keys) / sizeof(plan_keys[0]);
_Static_assert(sizeof(plan_keys) / sizeof(plan_keys[0]) <= 64, "parse.c marks seen keys in a 64-bit mask");

const struct plan_key *validate_key(enum key_ctx ctx, const char *name)
{
	for (size_t i = 0; i < plan_keys_count; i++)
		if (plan_keys[i].ctx == ctx && strcmp(plan_keys[i].name, name) == 0)
			return &plan_keys[i];
	return NULL;
}

size_t validate_distance(const char *a, size_t alen, const char *b, size_t blen)
{
	/* Optimal string alignment: Levenshtein plus adjacent transpositions ("nodve" -> "nodev" is 1). */
	size_t prev2[65], prev[65], cur[65];

	if (alen > 64)
		alen = 64;
	if (blen > 64)
		blen = 64;
	for (size_t j = 0; j <= blen; j++)
		prev[j] = j;
	for (size_t i = 1; i <= alen; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= blen; j++) {
			size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		memcpy(prev2, prev, sizeof(prev));
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[blen];
}

bool validate_close(size_t dist, size_t len)
{
	return dist > 0 && dist <= (len < 6 ? 1 : len < 10 ? 2 : 3);
}

const char *validate_key_suggest(enum key_ctx ctx, const char *name)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, len = strlen(name);

	for (size_t i = 0; i < plan_keys_count; i++) {
		size_t d;
		if (plan_keys[i].ctx != ctx)
			continue;
		d = validate_distance(name, len, plan_keys[i].name, strlen(plan_keys[i].name));
		if (d < best_d) {
			best_d = d;
			best = plan_keys[i].name;
		}
	}
	return best && validate_close(best_d, len) ? best : NULL;
}

/* --- id maps --- */

struct idrange {
	uint64_t inside, outside, count;
	const char *text;
	size_t len;
};

static bool parse_u64(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

static bool ranges_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

bool validate_idmap(struct diag_sink *sink, const char *map, uint32_t line, uint32_t col)
{
	struct idrange r[MP_MAX_IDMAP_RANGES];
	size_t n = 0;
	bool good = true;

	for (const char *p = map;;) {
		size_t len = strcspn(p, ",");
		const char *c1 = memchr(p, ':', len), *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p)) : NULL;
		struct idrange x = { .text = p, .len = len };

		if (n == MP_MAX_IDMAP_RANGES) {
			char why[64];
			snprintf(why, sizeof(why), "more than the kernel's limit of %u ranges", MP_MAX_IDMAP_RANGES);
			diag_emit(sink, DIAG_BAD_IDMAP, line, col, "...", why);
			return false;
		}
		if (!c2 || !parse_u64(p, (size_t)(c1 - p), &x.inside) ||
		    !parse_u64(c1 + 1, (size_t)(c2 - c1 - 1), &x.outside) ||
		    !parse_u64(c2 + 1, len - (size_t)(c2 + 1 - p), &x.count)) {
			char *bad = strndup(p, len);
			diag_emit(sink, DIAG_BAD_IDMAP, line, col, bad ? bad : map,
				  "a range is inside:outside:count, three decimal numbers");
			free(bad);
			good = false;
		} else if (x.count == 0) {
			char *bad = strndup(p, len);
			diag_emit(sink, DIAG_BAD_IDMAP, line, col, bad ? bad : map, "the count must be at least 1");
			free(bad);
			good = false;
		} else if (x.inside + x.count > (1ull << 32) || x.outside + x.count > (1ull << 32)) {
			char *bad = strndup(p, len);
			diag_emit(sink, DIAG_IDMAP_RANGE, line, col, bad ? bad : map);
			free(bad);
			good = false;
		} else {
			r[n++] = x;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	/* At most 340 ranges: the pairwise check is cheap and gives both names. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (ranges_overlap(r[i].inside, r[i].count, r[j].inside, r[j].count) ||
			    ranges_overlap(r[i].outside, r[i].count, r[j].outside, r[j].count)) {
				char both[128];
				snprintf(both, sizeof(both), "%.*s and %.*s", (int)(r[i].len > 40 ? 40 : r[i].len), r[i].text,
					 (int)(r[j].len > 40 ? 40 : r[j].len), r[j].text);
				diag_emit(sink, DIAG_IDMAP_OVERLAP, line, col, both);
				good = false;
			}
	return good;
}

int validate_duration(const char *s, uint32_t *ret_ms)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > MP_MAX_TIMEOUT_MS)
			return -EINVAL;
	}
	if (strcmp(p, "ms") == 0)
		;
	else if (strcmp(p, "s") == 0)
		v *= 1000;
	else
		return -EINVAL;
	if (v > MP_MAX_TIMEOUT_MS)
		return -EINVAL;
	*ret_ms = (uint32_t)v;
	return 0;
}

/* --- paths --- */

/*
 * Check and normalize one path operand in place.  what names it in
 * messages ("target", "source", ...).  in_root paths may not climb above
 * "/" with "..": that would leave the root.
 */
void validate_path(struct diag_sink *sink, const char *what, struct ir_path *p)
{
	char *norm = NULL, *shown = NULL;
	bool escapes = false;
	bool var = p->in_root && strcmp(what, "target") != 0 && strcmp(what, "masked path") != 0 &&
		   strcmp(what, "readonly path") != 0; /* written as ${root}/... */
	size_t len;

	if (!p->path)
		return;
	len = strlen(p->path);
	if (len >= MP_MAX_STRING) {
		diag_emit(sink, DIAG_PATH_TOO_LONG, p->loc.line, p->loc.col, what, len, MP_MAX_STRING - 1);
		return;
	}
	if (strstr(p->path, "${")) {
		diag_emit(sink, DIAG_BAD_ROOT_VAR, p->loc.line, p->loc.col, p->path);
		return;
	}
	if (p->path[0] != '/') {
		diag_emit(sink, DIAG_RELATIVE_PATH, p->loc.line, p->loc.col, what, p->path);
		return;
	}
	if (path_normalize(p->path, &norm, &escapes) < 0)
		return;
	/* Messages quote the path as written: ${root}/x, not /x. */
	if ((escapes && p->in_root) || strcmp(norm, p->path) != 0)
		if (asprintf(&shown, "%s%s", var ? "${root}" : "", p->path) < 0)
			shown = NULL;
	if (escapes && p->in_root) {
		diag_emit(sink, DIAG_ESCAPES_ROOT, p->loc.line, p->loc.col, what, shown ? shown : p->path);
	} else if (strcmp(norm, p->path) != 0) {
		char *want = NULL;
		if (asprintf(&want, "%s%s", var ? "${root}" : "", norm) < 0)
			want = NULL;
		diag_emit(sink, DIAG_NOT_NORMALIZED, p->loc.line, p->loc.col, what, shown ? shown : p->path,
			  want ? want : norm);
		free(want);
	}
	free(shown);
	free(p->path);
	p->path = norm;
}

/* Two layer paths nested in each other (same side of the root)? */
static bool layers_nest(const struct ir_path *a, const struct ir_path *b)
{
	return a->path && b->path && a->in_root == b->in_root &&
	       (path_is_under(a->path, b->path) || path_is_under(b->path, a->path));
}

/*
 * overlayfs refuses layers inside one another: workdir and upperdir must be
 * separate subtrees (EINVAL), and a lower layer may not overlap the upper
 * one (ELOOP).  Paths are normalized by now, so this is lexical and exact.
 */
static void check_overlay_layers(struct diag_sink *sink, const struct ir_entry *e)
{
	if (layers_nest(&e->upper, &e->work))
		diag_emit(sink, DIAG_BAD_VALUE, e->work.loc.line, e->work.loc.col, "work",
			  "upper and work must be separate directories, neither inside the other");
	for (size_t i = 0; i < e->n_lower; i++)
		if (layers_nest(&e->lower[i], &e->upper))
			diag_emit(sink, DIAG_BAD_VALUE, e->lower[i].loc.line, e->lower[i].loc.col, "lower",
				  "a lower layer may not be inside upper, or hold it");
}

/* masked/readonly entries: paths inside the root, kept as ir_word. */
static void check_word_path(struct diag_sink *sink, const char *what, struct ir_word *w)
{
	struct ir_path p = { .path = w->word, .in_root = true, .loc = w->loc };

	validate_path(sink, what, &p);
	w->word = p.path;
}

/* --- options --- */

struct suggest {
	const char *word;
	size_t len;
	const char *best;
	size_t best_len, best_d;
};

static void suggest_one(void *ctx, const char *cand, size_t len)
{
	struct suggest *s = ctx;
	size_t d = validate_distance(s->word, s->len, cand, len);

	if (d < s->best_d) {
		s->best_d = d;
		s->best = cand;
		s->best_len = len;
	}
}

static bool is_layer_option(const char *w)
{
	static const char *const layer[] = { "lowerdir", "upperdir", "workdir", "datadir" };
	for (size_t i = 0; i < sizeof(layer) / sizeof(layer[0]); i++) {
		size_t n = strlen(layer[i]);
		if (strncmp(w, layer[i], n) == 0 && (w[n] == '=' || w[n] == '+' || w[n] == '\0'))
			return true;
	}
	return false;
}

static void resolve_options(struct diag_sink *sink, struct ir_entry *e)
{
	const struct fs_type *fs = options_fs_type(e->type ? e->type : "");
	const struct ir_word *group_first[16] = { 0 };
	const struct mount_option *group_row[16] = { 0 };
	const struct ir_word *prop_word = NULL;

	e->data = calloc(e->n_options ? e->n_options : 1, sizeof(*e->data));
	if (!e->data)
		return;
	for (size_t i = 0; i < e->n_options; i++) {
		const struct ir_word *w = &e->options[i];
		const struct mount_option *o = options_lookup(w->word);

		if (is_layer_option(w->word)) {
			diag_emit(sink, DIAG_LAYER_AS_OPTION, w->loc.line, w->loc.col, w->word);
			continue;
		}
		if (!o) {
			/* Filesystem data: checked against the type's keys when the type is known. */
			if (w->word[0] == '\0' || (fs && !options_fs_accepts(fs, w->word))) {
				struct suggest s = { .word = w->word, .best_d = SIZE_MAX };
				char hint[96] = "";
				const char *eq = strchr(w->word, '=');

				s.len = eq ? (size_t)(eq - w->word) + 1 : strlen(w->word);
				if (sink->n_errors < VALIDATE_MAX_SUGGESTING_ERRORS)
					options_each_candidate(fs, suggest_one, &s);
				if (s.best && validate_close(s.best_d, s.len))
					snprintf(hint, sizeof(hint), "; did you mean '%.*s'?", (int)s.best_len, s.best);
				diag_emit(sink, DIAG_UNKNOWN_OPTION, w->loc.line, w->loc.col, w->word, e->type, hint);
				continue;
			}
			e->data[e->n_data] = strdup(w->word);
			if (e->data[e->n_data])
				e->n_data++;
			continue;
		}
		if (o->group) {
			const struct ir_word *first = group_first[o->group];
			const struct mount_option *frow = group_row[o->group];

			if (first && strcmp(frow->word, o->word) != 0) {
				diag_emit(sink, DIAG_CONTRADICTORY_OPTIONS, w->loc.line, w->loc.col, first->word, w->word);
				continue;
			}
			group_first[o->group] = w;
			group_row[o->group] = o;
		}
		switch (o->kind) {
		case OPT_ATTR:
			/*
			 * No bit is both set and cleared: words that disagree share a group
			 * (E207 above).  The atime words clear the whole MOUNT_ATTR__ATIME
			 * field and set one value in it, as mount_setattr(2) requires.
			 */
			e->attr_set = (e->attr_set & ~o->attr_clr) | o->attr_set;
			e->attr_clr |= o->attr_clr;
			break;
		case OPT_PROPAGATION:
			if (prop_word && strcmp(prop_word->word, w->word) != 0) {
				diag_emit(sink, DIAG_TWO_PROPAGATIONS, w->loc.line, w->loc.col, prop_word->word, w->word);
				break;
			}
			prop_word = w;
			e->propagation = o->propagation;
			e->propagation_recursive = o->recursive;
			break;
		case OPT_RECURSIVE:
			if (e->fs_class != FS_BIND)
				diag_emit(sink, DIAG_KEY_NOT_FOR_TYPE, w->loc.line, w->loc.col, w->word, e->type);
			else
				e->recursive = true;
			break;
		case OPT_NOP:
			if (strcmp(o->word, "bind") == 0 && e->fs_class != FS_BIND)
				diag_emit(sink, DIAG_KEY_NOT_FOR_TYPE, w->loc.line, w->loc.col, w->word, e->type);
			break;
		case OPT_SBFLAG:
			if (e->fs_class == FS_BIND) {
				diag_emit(sink, DIAG_KEY_NOT_FOR_TYPE, w->loc.line, w->loc.col, w->word, e->type);
				break;
			}
			e->data[e->n_data] = strdup(w->word);
			if (e->data[e->n_data])
				e->n_data++;
			break;
		}
	}
}

/* --- cross-entry checks, through a hash index: linear in the entries --- */

struct index {
	const char **keys;
	size_t *first; /* entry index of the first entry with this key */
	size_t cap;    /* a power of two, at least twice the keys */
};

static size_t str_hash(const char *s)
{
	size_t h = 14695981039346656037ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int index_init(struct index *ix, size_t n)
{
	ix->cap = 16;
	while (ix->cap < 2 * n)
		ix->cap *= 2;
	ix->keys = calloc(ix->cap, sizeof(*ix->keys));
	ix->first = calloc(ix->cap, sizeof(*ix->first));
	return ix->keys && ix->first ? 0 : -ENOMEM;
}

static void index_free(struct index *ix)
{
	free(ix->keys);
	free(ix->first);
}

/* The slot of key: where it is, or the empty slot where it would go. */
static size_t index_slot(const struct index *ix, const char *key)
{
	size_t i = str_hash(key) & (ix->cap - 1);
	while (ix->keys[i] && strcmp(ix->keys[i], key) != 0)
		i = (i + 1) & (ix->cap - 1);
	return i;
}

/* An id that was not written: parse.c gives it the target's position. */
static bool is_default_id(const struct ir_entry *e)
{
	return e->id_loc.line == e->target.loc.line && e->id_loc.col == e->target.loc.col;
}

/* Entries in file order: the first holder of a key is the one reported as "the other". */
static void check_duplicates(struct ir_plan *plan, struct diag_sink *sink, bool ids, struct index *ix)
{
	if (index_init(ix, plan->n_entries) < 0)
		return;
	for (size_t i = 0; i < plan->n_entries; i++) {
		const struct ir_entry *a, *b = &plan->entries[i];
		const char *k = ids ? b->id : b->target.path;
		size_t slot;

		if (!k)
			continue;
		slot = index_slot(ix, k);
		if (!ix->keys[slot]) {
			ix->keys[slot] = k;
			ix->first[slot] = i;
			continue;
		}
		a = &plan->entries[ix->first[slot]];
		if (ids && is_default_id(a) && is_default_id(b) && !b->overmount)
			continue; /* both ids are their targets: E401 says it */
		if (!ids && b->overmount)
			continue; /* stacked on purpose (the ids must still differ) */
		if (ids)
			diag_emit(sink, DIAG_DUPLICATE_ID, b->id_loc.line, b->id_loc.col, b->id, a->id_loc.line);
		else
			diag_emit(sink, DIAG_DUPLICATE_TARGET, b->target.loc.line, b->target.loc.col, b->target.path,
				  a->target.loc.line);
	}
}

static void check_after(struct ir_plan *plan, struct diag_sink *sink, const struct index *ids)
{
	if (!ids->keys)
		return;
	for (size_t i = 0; i < plan->n_entries; i++) {
		const struct ir_entry *e = &plan->entries[i];

		for (size_t j = 0; j < e->n_after; j++) {
			const struct ir_word *w = &e->after[j];
			size_t best_d = SIZE_MAX, len = strlen(w->word);
			const char *best = NULL;
			char hint[96] = "";

			if (ids->keys[index_slot(ids, w->word)])
				continue;
			/* did-you-mean over every id: only on this error path, and not for huge plans */
			for (size_t k = 0; k < plan->n_entries && plan->n_entries <= 10000 &&
					   sink->n_errors < VALIDATE_MAX_SUGGESTING_ERRORS;
			     k++) {
				const char *id = plan->entries[k].id;
				size_t idlen = id ? strlen(id) : 0;
				/* ids of very different lengths are never close: skip the distance */
				size_t d = id && idlen + 3 >= len && len + 3 >= idlen ? validate_distance(w->word, len, id, idlen)
										     : SIZE_MAX;
				if (d < best_d) {
					best_d = d;
					best = id;
				}
			}
			if (best && validate_close(best_d, len))
				snprintf(hint, sizeof(hint), "; did you mean '%.64s'?", best);
			diag_emit(sink, DIAG_AFTER_UNKNOWN, w->loc.line, w->loc.col, w->word, hint);
		}
	}
}

size_t validate_plan(struct ir_plan *plan, struct diag_sink *sink)
{
	size_t before = sink->n_errors;


	for (size_t i = 0; i < plan->n_entries; i++) {
		struct ir_entry *e = &plan->entries[i];
		bool id_is_target = e->id && e->target.path && strcmp(e->id, e->target.path) == 0 &&
				    e->id_loc.line == e->target.loc.line && e->id_loc.col == e->target.loc.col;

		validate_path(sink, "target", &e->target);
		if (id_is_target) {
			/* the default id is the normalized target */
			free(e->id);
			e->id = e->target.path ? strdup(e->target.path) : NULL;
		}
		if (e->fs_class == FS_BIND || e->fs_class == FS_BLOCK)
			validate_path(sink, "source", &e->source);
		for (size_t j = 0; j < e->n_lower; j++)
			validate_path(sink, "lower", &e->lower[j]);
		if (e->n_lower > MP_MAX_OVERLAY_LOWER)
			diag_emit(sink, DIAG_TOO_MANY, e->lower[0].loc.line, e->lower[0].loc.col, "lower layers", e->n_lower,
				  MP_MAX_OVERLAY_LOWER);
		validate_path(sink, "upper", &e->upper);
		validate_path(sink, "work", &e->work);
		if (e->fs_class == FS_OVERLAY)
			check_overlay_layers(sink, e);
		if (e->requires.kind == REQUIRE_DEVICE) {
			struct ir_path dev = { .path = e->requires.name, .loc = e->requires.loc };
			validate_path(sink, "device", &dev);
			e->requires.name = dev.path;
		}
		if (e->type)
			resolve_options(sink, e);
		/* A filesystem on a read-only device cannot be mounted read-write: say so now, not at EACCES. */
		if (e->loop.present && e->loop.readonly && e->fs_class == FS_BLOCK && !(e->attr_set & MOUNT_ATTR_RDONLY))
			diag_emit(sink, DIAG_BAD_VALUE, e->loop.loc.line, e->loop.loc.col, "loop.readonly",
				  "a read-only loop device needs the option ro");
	}
	for (size_t i = 0; i < plan->n_masked; i++)
		check_word_path(sink, "masked path", &plan->masked[i]);
	for (size_t i = 0; i < plan->n_readonly; i++)
		check_word_path(sink, "readonly path", &plan->readonly[i]);

	{
		struct index ids = { 0 }, targets = { 0 };
		check_duplicates(plan, sink, true, &ids);
		check_duplicates(plan, sink, false, &targets);
		check_after(plan, sink, &ids);
		index_free(&ids);
		index_free(&targets);
	}
	return sink->n_errors - before;
}
