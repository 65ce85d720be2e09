/*
 * graph.c — the dependency graph of a plan (see graph.h and the
 * "Ordering" section of schema/expansion.md).
 *
 * Edges, all from "must happen first" to "must happen later":
 *   parent   the nearest mount whose target is an ancestor of an entry's
 *            target (by components) -> the entry; farther ancestors follow
 *            by transitivity, so one edge per entry is enough
 *   stack    an earlier entry on the same target -> the later one
 *   source   the nearest mount holding an in-root source, layer, upper,
 *            work or image -> the entry reading it; the mount holding a
 *            masked or read-only path -> that path's node
 *   after    each `after:` id -> the entry naming it
 *   remount  the split entry itself and every mount under it -> its
 *            remount; every one, not only the children: the remount is a
 *            sink, so no chain of other edges puts a grandchild first
 *
 * The parent and split-ancestor links are computed once per entry, so the
 * remount edges walk only split ancestors; the hash lookups are one per
 * path prefix, one pass per path.
 */
#include "graph.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "limits.h"

/* An entry reads at most its source, every lower layer, upper and work. */
#define ENTRY_MAX_PATHS (MP_MAX_OVERLAY_LOWER + 3)

uint64_t strmap_hash(const char *s, size_t len)
{
	uint64_t h = STRMAP_HASH_INIT;

	for (size_t i = 0; i < len; i++)
		h = strmap_hash_step(h, (unsigned char)s[i]);
	return h;
}

int strmap_init(struct strmap *m, size_t expected)
{
	size_t cap = 16;

	while (cap < expected * 2)
		cap *= 2;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots)
		return -ENOMEM;
	m->mask = cap - 1;
	m->n = 0;
	return 0;
}

void strmap_free(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = 0;
	m->n = 0;
}

static struct strmap_slot *strmap_slot(const struct strmap *m, const char *key, size_t len, uint64_t h)
{
	for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
		struct strmap_slot *s = &m->slots[i];

		if (!s->key)
			return s;
		if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
			return s;
	}
}

uint32_t *strmap_find(const struct strmap *m, const char *key, size_t len, uint64_t h)
{
	struct strmap_slot *s;

	if (!m->slots)
		return NULL;
	s = strmap_slot(m, key, len, h);
	return s->key ? &s->val : NULL;
}

static int strmap_grow(struct strmap *m)
{
	struct strmap old = *m;

	if (strmap_init(m, (old.mask + 1)) < 0) {
		*m = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i <= old.mask; i++) {
		if (old.slots[i].key) {
			*strmap_slot(m, old.slots[i].key, old.slots[i].len, old.slots[i].hash) = old.slots[i];
			m->n++;
		}
	}
	free(old.slots);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, size_t len, uint64_t h, uint32_t val, uint32_t *ret_old)
{
	struct strmap_slot *s;

	if ((m->n + 1) * 2 > m->mask + 1 && strmap_grow(m) < 0)
		return -ENOMEM;
	s = strmap_slot(m, key, len, h);
	if (s->key) {
		if (ret_old)
			*ret_old = s->val;
		return 0;
	}
	*s = (struct strmap_slot){ .hash = h, .key = key, .len = (uint32_t)len, .val = val };
	m->n++;
	if (ret_old)
		*ret_old = GRAPH_NONE;
	return 0;
}

int pathidx_build(struct pathidx *idx, const struct ir_plan *plan)
{
	size_t n = plan->n_entries;

	idx->plan = plan;
	idx->below = malloc((n ? n : 1) * sizeof(*idx->below));
	if (!idx->below || strmap_init(&idx->map, n) < 0) {
		free(idx->below);
		idx->below = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const char *t = plan->entries[i].target.path;
		size_t len = strlen(t);
		uint32_t old;
		uint32_t *slot;

		idx->below[i] = GRAPH_NONE;
		if (strmap_put(&idx->map, t, len, strmap_hash(t, len), (uint32_t)i, &old) < 0)
			return -ENOMEM;
		if (old != GRAPH_NONE) {
			/* A second mount on the same target stacks on the first. */
			slot = strmap_find(&idx->map, t, len, strmap_hash(t, len));
			idx->below[i] = *slot;
			*slot = (uint32_t)i;
		}
	}
	return 0;
}

void pathidx_free(struct pathidx *idx)
{
	strmap_free(&idx->map);
	free(idx->below);
	idx->below = NULL;
}

/* Lengths and hashes of every component prefix of path, shortest first ("/", "/a", "/a/b"). */
static size_t path_prefixes(const char *path, size_t *lens, uint64_t *hashes)
{
	uint64_t h = STRMAP_HASH_INIT;
	size_t n = 0, i;

	if (path[0] != '/')
		return 0;
	for (i = 0; path[i]; i++) {
		if (path[i] == '/' && i > 1 && n < PATH_MAX_COMPONENTS) {
			lens[n] = i;
			hashes[n++] = h;
		}
		h = strmap_hash_step(h, (unsigned char)path[i]);
		if (i == 0 && n < PATH_MAX_COMPONENTS) {
			lens[n] = 1;
			hashes[n++] = h;
		}
	}
	if (i > 1 && n < PATH_MAX_COMPONENTS) {
		lens[n] = i;
		hashes[n++] = h;
	}
	return n;
}

size_t pathidx_ancestors(const struct pathidx *idx, const char *path, bool include_self, uint32_t *out)
{
	size_t lens[PATH_MAX_COMPONENTS];
	uint64_t hashes[PATH_MAX_COMPONENTS];
	size_t n = path_prefixes(path, lens, hashes), found = 0;
	size_t full = strlen(path);

	for (size_t k = n; k-- > 0;) {
		uint32_t *v;

		if (!include_self && lens[k] == full)
			continue;
		v = strmap_find(&idx->map, path, lens[k], hashes[k]);
		if (v)
			out[found++] = *v;
	}
	return found;
}

uint32_t pathidx_nearest(const struct pathidx *idx, const char *path, bool include_self, uint32_t except)
{
	size_t lens[PATH_MAX_COMPONENTS];
	uint64_t hashes[PATH_MAX_COMPONENTS];
	size_t n = path_prefixes(path, lens, hashes);
	size_t full = strlen(path);

	for (size_t k = n; k-- > 0;) {
		uint32_t *v;

		if (!include_self && lens[k] == full)
			continue;
		v = strmap_find(&idx->map, path, lens[k], hashes[k]);
		if (!v)
			continue;
		/* Skip the excepted entry and whatever it stacks on: the path is beside it. */
		if (*v == except)
			continue;
		for (uint32_t b = idx->below[*v]; b != GRAPH_NONE; b = idx->below[b])
			if (b == except)
				goto next;
		return *v;
next:;
	}
	return GRAPH_NONE;
}

const char *edge_reason_name(enum edge_reason r)
{
	switch (r) {
	case EDGE_PARENT: return "parent";
	case EDGE_SOURCE: return "source";
	case EDGE_AFTER: return "after";
	case EDGE_REMOUNT: return "remount";
	case EDGE_STACK: return "stack";
	}
	return "?";
}

struct ir_loc graph_node_loc(const struct graph *g, uint32_t v)
{
	const struct node *nd = &g->nodes[v];

	switch ((enum node_kind)nd->kind) {
	case NODE_ENTRY:
	case NODE_REMOUNT: return g->plan->entries[nd->ref].loc;
	case NODE_MASK: return g->plan->masked[nd->ref].loc;
	case NODE_READONLY: return g->plan->readonly[nd->ref].loc;
	}
	return (struct ir_loc){ 0, 0 };
}

const char *graph_node_path(const struct graph *g, uint32_t v)
{
	const struct node *nd = &g->nodes[v];

	switch ((enum node_kind)nd->kind) {
	case NODE_ENTRY:
	case NODE_REMOUNT: return g->plan->entries[nd->ref].target.path;
	case NODE_MASK: return g->plan->masked[nd->ref].word;
	case NODE_READONLY: return g->plan->readonly[nd->ref].word;
	}
	return "";
}

struct edge_list {
	struct edge *v;
	size_t n, cap;
};

static int edge_add(struct edge_list *l, uint32_t from, uint32_t to, enum edge_reason reason)
{
	if (from == GRAPH_NONE)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct edge *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct edge){ from, to, (uint8_t)reason };
	return 0;
}

/* The in-root paths an entry reads before mounting: source or image, layers, upper, work. */
static size_t entry_inroot_paths(const struct ir_entry *e, const char **out, size_t max)
{
	size_t n = 0;

	if (e->source.path && e->source.in_root && e->fs_class != FS_HELPER && n < max)
		out[n++] = e->source.path;
	for (size_t i = 0; i < e->n_lower && n < max; i++)
		if (e->lower[i].path && e->lower[i].in_root)
			out[n++] = e->lower[i].path;
	if (e->upper.path && e->upper.in_root && n < max)
		out[n++] = e->upper.path;
	if (e->work.path && e->work.in_root && n < max)
		out[n++] = e->work.path;
	return n;
}

static int graph_entry_edges(struct graph *g, struct edge_list *l, const struct strmap *ids, uint32_t i)
{
	const struct ir_plan *plan = g->plan;
	const struct ir_entry *e = &plan->entries[i];
	int r;

	if (g->idx.below[i] != GRAPH_NONE && (r = edge_add(l, g->idx.below[i], i, EDGE_STACK)) < 0)
		return r;
	if ((r = edge_add(l, g->parent[i], i, EDGE_PARENT)) < 0)
		return r;

	{
		const char *paths[ENTRY_MAX_PATHS];
		size_t np = entry_inroot_paths(e, paths, ENTRY_MAX_PATHS);
		uint32_t seen[ENTRY_MAX_PATHS];
		size_t ns = 0;

		for (size_t k = 0; k < np; k++) {
			uint32_t m = pathidx_nearest(&g->idx, paths[k], true, i);
			bool dup = false;

			for (size_t s = 0; s < ns; s++)
				dup |= seen[s] == m;
			if (m == GRAPH_NONE || dup)
				continue;
			seen[ns++] = m;
			if ((r = edge_add(l, m, i, EDGE_SOURCE)) < 0)
				return r;
		}
	}

	for (size_t k = 0; k < e->n_after; k++) {
		const char *id = e->after[k].word;
		uint32_t *j = strmap_find(ids, id, strlen(id), strmap_hash(id, strlen(id)));

		/* An unknown id is E402, reported by validation; nothing to order. */
		if (j && (r = edge_add(l, *j, i, EDGE_AFTER)) < 0)
			return r;
	}

	/* Every split read-only ancestor waits for this mount (only tops of stacks are split). */
	for (uint32_t a = g->split_anc[i]; a != GRAPH_NONE; a = g->split_anc[a])
		if ((r = edge_add(l, i, g->remount[a], EDGE_REMOUNT)) < 0)
			return r;
	/* A split entry's own remount comes after the entry itself. */
	if (g->remount[i] != GRAPH_NONE && (r = edge_add(l, i, g->remount[i], EDGE_REMOUNT)) < 0)
		return r;
	return 0;
}

/*
 * Each entry's nearest strict ancestor mount (the parent edge), which
 * entries are split (read-only with a mount under them), and each entry's
 * nearest split ancestor, so the remount edges walk only split ancestors
 * instead of every path prefix.
 */
static int graph_nodes(struct graph *g)
{
	const struct ir_plan *plan = g->plan;
	size_t n = plan->n_entries, n_remount = 0, v;
	uint32_t *stack = malloc((n ? n : 1) * sizeof(*stack));

	if (!stack)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ir_entry *e = &plan->entries[i];
		uint32_t a = pathidx_nearest(&g->idx, e->target.path, false, (uint32_t)i);

		g->parent[i] = a;
		g->split_anc[i] = GRAPH_NONE - 1; /* not computed yet */
		/*
		 * Only the nearest ancestor matters: farther ones contain that one.
		 * An entry that may not happen (optional, when: empty) is not split:
		 * its later REMOUNT would hit whatever mount holds the path instead.
		 */
		if (a != GRAPH_NONE && (plan->entries[a].attr_set & MOUNT_ATTR_RDONLY) && !g->split[a] &&
		    !plan->entries[a].optional && !plan->entries[a].when_empty) {
			g->split[a] = true;
			n_remount++;
		}
	}
	/* split_anc[i] = parent if split, else split_anc[parent]: iteratively, parents first. */
	for (size_t i = 0; i < n; i++) {
		size_t sp = 0;
		uint32_t v0 = (uint32_t)i;

		while (v0 != GRAPH_NONE && g->split_anc[v0] == GRAPH_NONE - 1) {
			stack[sp++] = v0;
			v0 = g->parent[v0];
		}
		while (sp) {
			uint32_t c = stack[--sp], p = g->parent[c];

			g->split_anc[c] = p == GRAPH_NONE ? GRAPH_NONE : g->split[p] ? p : g->split_anc[p];
		}
	}
	free(stack);
	g->n_nodes = n + n_remount + plan->n_masked + plan->n_readonly;
	g->nodes = calloc(g->n_nodes ? g->n_nodes : 1, sizeof(*g->nodes));
	if (!g->nodes)
		return -ENOMEM;
	for (v = 0; v < n; v++)
		g->nodes[v] = (struct node){ NODE_ENTRY, (uint32_t)v, (uint64_t)v << 1 };
	for (size_t i = 0; i < n; i++) {
		if (!g->split[i])
			continue;
		g->remount[i] = (uint32_t)v;
		g->nodes[v++] = (struct node){ NODE_REMOUNT, (uint32_t)i, ((uint64_t)i << 1) | 1 };
	}
	for (size_t k = 0; k < plan->n_masked; k++, v++)
		g->nodes[v] = (struct node){ NODE_MASK, (uint32_t)k, (uint64_t)(n + k) << 1 };
	for (size_t k = 0; k < plan->n_readonly; k++, v++)
		g->nodes[v] = (struct node){ NODE_READONLY, (uint32_t)k, (uint64_t)(n + plan->n_masked + k) << 1 };
	return 0;
}

static int graph_finish(struct graph *g, struct edge_list *l)
{
	/* Counting sort by source node: a stable CSR keeps insertion order per node. */
	struct edge *sorted;

	g->out_start = calloc(g->n_nodes + 1, sizeof(*g->out_start));
	sorted = malloc((l->n ? l->n : 1) * sizeof(*sorted));
	if (!g->out_start || !sorted) {
		free(sorted);
		return -ENOMEM;
	}
	for (size_t k = 0; k < l->n; k++)
		g->out_start[l->v[k].from + 1]++;
	for (size_t v = 0; v < g->n_nodes; v++)
		g->out_start[v + 1] += g->out_start[v];
	{
		uint32_t *fill = malloc((g->n_nodes ? g->n_nodes : 1) * sizeof(*fill));

		if (!fill) {
			free(sorted);
			return -ENOMEM;
		}
		memcpy(fill, g->out_start, g->n_nodes * sizeof(*fill));
		for (size_t k = 0; k < l->n; k++)
			sorted[fill[l->v[k].from]++] = l->v[k];
		free(fill);
	}
	free(l->v);
	l->v = NULL;
	g->edges = sorted;
	g->n_edges = l->n;
	return 0;
}

int graph_build(struct graph *g, const struct ir_plan *plan)
{
	size_t n = plan->n_entries;
	struct edge_list l = { 0 };
	struct strmap ids = { 0 };
	int r;

	memset(g, 0, sizeof(*g));
	g->plan = plan;
	g->split = calloc(n ? n : 1, sizeof(*g->split));
	g->remount = malloc((n ? n : 1) * sizeof(*g->remount));
	g->parent = malloc((n ? n : 1) * sizeof(*g->parent));
	g->split_anc = malloc((n ? n : 1) * sizeof(*g->split_anc));
	if (!g->split || !g->remount || !g->parent || !g->split_anc) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		g->remount[i] = GRAPH_NONE;
	if ((r = pathidx_build(&g->idx, plan)) < 0 || (r = graph_nodes(g)) < 0 || (r = strmap_init(&ids, n)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *id = plan->entries[i].id;

		/* Duplicate ids are E400 from validation; the first one wins here. */
		if (id && (r = strmap_put(&ids, id, strlen(id), strmap_hash(id, strlen(id)), (uint32_t)i, NULL)) < 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = graph_entry_edges(g, &l, &ids, (uint32_t)i)) < 0)
			goto out;

	/* Masked and read-only paths act on whatever is mounted there: after that mount. */
	{
		for (size_t v = n; v < g->n_nodes; v++) {
			if (g->nodes[v].kind != NODE_MASK && g->nodes[v].kind != NODE_READONLY)
				continue;
			r = edge_add(&l, pathidx_nearest(&g->idx, graph_node_path(g, (uint32_t)v), true, GRAPH_NONE),
				     (uint32_t)v, EDGE_SOURCE);
			if (r < 0)
				goto out;
		}
	}
	r = graph_finish(g, &l);
out:
	free(l.v);
	strmap_free(&ids);
	return r;
}

void graph_release_edges(struct graph *g)
{
	pathidx_free(&g->idx);
	free(g->edges);
	free(g->out_start);
	free(g->parent);
	free(g->split_anc);
	g->edges = NULL;
	g->n_edges = 0;
	g->out_start = NULL;
	g->parent = NULL;
	g->split_anc = NULL;
}

void graph_free(struct graph *g)
{
	pathidx_free(&g->idx);
	free(g->nodes);
	free(g->split);
	free(g->remount);
	free(g->parent);
	free(g->split_anc);
	free(g->edges);
	free(g->out_start);
	memset(g, 0, sizeof(*g));
}

/*
 * W403.  A mount hides what lies on or under its target.  The edges already
 * order every mount after the mount holding its target (parent), every
 * reader of an in-root path after the mount holding that path (source),
 * and masked/read-only paths after their mount, so a mount ordered later
 * can never hide an ancestor's work: an `after:` asking for that makes a
 * cycle (E500) instead.  What is left is a mount stacked on the same target
 * as an earlier one (stack edge): it hides that mount.  So the check walks
 * the stacks only, O(n).
 */
int graph_check_shadowing(const struct graph *g, const uint32_t *order, struct diag_sink *sink)
{
	const struct ir_plan *plan = g->plan;

	(void)order; /* the stack edges fix the order within a stack: below, then above */
	for (size_t i = 0; i < plan->n_entries; i++) {
		const struct ir_entry *top = &plan->entries[i];
		uint32_t b = g->idx.below[i];

		if (b == GRAPH_NONE || top->overmount)
			continue;
		diag_emit(sink, DIAG_SHADOWED, top->target.loc.line, top->target.loc.col, top->target.path, "the target",
			  plan->entries[b].loc.line);
	}
	return 0;
}
