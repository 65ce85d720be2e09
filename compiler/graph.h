/*
 * graph.h — the plan's dependency graph: which mount must happen before
 * which (schema/expansion.md, "Ordering").
 *
 * Nodes are the units the sort orders: one per plan entry (its steps up to
 * and including its propagation change), one per split read-only remount,
 * one per `masked` path and one per `readonly` path.  Node ids:
 *
 *   [0, n_entries)                      entry i
 *   [n_entries, + n_remounts)           the read-only remount of an entry
 *   then n_masked mask nodes, then n_readonly read-only path nodes
 *
 * Paths are matched by components through a hash map from normalized
 * target to entry: a path's ancestors are found by hashing each of its
 * prefixes that ends at a '/' (one left-to-right pass), so building the
 * graph costs O(total path length), never O(n^2).
 */
#ifndef MOUNTPLAN_GRAPH_H
#define MOUNTPLAN_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ir.h"

#define GRAPH_NONE UINT32_MAX

/* A string -> u32 hash map over strings the caller keeps alive (open addressing). */
struct strmap_slot {
	uint64_t hash;
	const char *key; /* NULL = empty slot */
	uint32_t len;
	uint32_t val;
};

struct strmap {
	struct strmap_slot *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
	size_t n;
};

/* FNV-1a, 64-bit: incremental from the left, so every prefix's hash comes for free. */
#define STRMAP_HASH_INIT 0xcbf29ce484222325ull
static inline uint64_t strmap_hash_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ull;
}
uint64_t strmap_hash(const char *s, size_t len);

/* Make an empty map sized for about `expected` keys. Returns 0 or -ENOMEM. */
int strmap_init(struct strmap *m, size_t expected);
void strmap_free(struct strmap *m);
/* The value stored for key (len bytes, hash h), or NULL. */
uint32_t *strmap_find(const struct strmap *m, const char *key, size_t len, uint64_t h);
/* Insert key -> val; if key is present, *ret_old gets its value and nothing changes. */
int strmap_put(struct strmap *m, const char *key, size_t len, uint64_t h, uint32_t val, uint32_t *ret_old);

/* The most components a path can have (MP_MAX_STRING bytes, "/a" each). */
#define PATH_MAX_COMPONENTS 2050

/* Normalized target -> the entries mounted there (a stack, in file order). */
struct pathidx {
	const struct ir_plan *plan;
	struct strmap map; /* target -> topmost entry (the last one in file order) */
	uint32_t *below;   /* per entry: the entry under it on the same target, or GRAPH_NONE */
};

int pathidx_build(struct pathidx *idx, const struct ir_plan *plan);
void pathidx_free(struct pathidx *idx);

/*
 * Entries whose target is path or an ancestor of path by components,
 * nearest first; only the topmost entry of each target.  include_self:
 * count a target equal to path.  out must hold PATH_MAX_COMPONENTS.
 * Returns how many were found.
 */
size_t pathidx_ancestors(const struct pathidx *idx, const char *path, bool include_self, uint32_t *out);

/* The nearest such entry other than `except`, or GRAPH_NONE. */
uint32_t pathidx_nearest(const struct pathidx *idx, const char *path, bool include_self, uint32_t except);

enum node_kind { NODE_ENTRY, NODE_REMOUNT, NODE_MASK, NODE_READONLY };

enum edge_reason { EDGE_PARENT, EDGE_SOURCE, EDGE_AFTER, EDGE_REMOUNT, EDGE_STACK };

struct node {
	uint8_t kind;  /* enum node_kind */
	uint32_t ref;  /* entry index, or index into plan->masked / plan->readonly */
	uint64_t key;  /* sort key: file order; ties keep it */
};

struct edge {
	uint32_t from, to;
	uint8_t reason; /* enum edge_reason */
};

struct graph {
	const struct ir_plan *plan;
	struct pathidx idx;
	struct node *nodes;
	size_t n_nodes;
	bool *split;          /* per entry: read-only with mounts under it: mounted rw, remounted later */
	uint32_t *remount;    /* per entry: its remount node, or GRAPH_NONE */
	uint32_t *parent;     /* per entry: nearest mount whose target is a strict ancestor, or GRAPH_NONE */
	uint32_t *split_anc;  /* per entry: nearest split ancestor (through parent), or GRAPH_NONE */
	struct edge *edges;   /* sorted by (from, insertion order) */
	size_t n_edges;
	uint32_t *out_start;  /* n_nodes + 1: edges[out_start[v] .. out_start[v+1]) leave v */
};

/* Build nodes and edges for a validated plan. Returns 0 or -ENOMEM. */
int graph_build(struct graph *g, const struct ir_plan *plan);
void graph_free(struct graph *g);

/* Free what only ordering needs (path index, edges, links); nodes and split stay for expansion. */
void graph_release_edges(struct graph *g);

/* "parent", "source", "after", "remount", "stack". */
const char *edge_reason_name(enum edge_reason r);

/* The plan line of a node (its entry, or its masked/readonly word). */
struct ir_loc graph_node_loc(const struct graph *g, uint32_t v);

/* The path a node acts on: the entry's target, or the masked/readonly path. */
const char *graph_node_path(const struct graph *g, uint32_t v);

/*
 * W403: a mount ordered after a unit whose target or in-root source lies
 * on or under the mount's target hides it, unless the mount says
 * `overmount: true`.  order is the sorted node sequence.  (Given the
 * edges, only mounts stacked on one target can do that; see graph.c.)
 */
int graph_check_shadowing(const struct graph *g, const uint32_t *order, struct diag_sink *sink);

#endif
