/*
 * sort.c — stable topological sort of the dependency graph.
 *
 * Kahn's algorithm with a binary min-heap keyed by the node's sort key
 * (file order), so among nodes ready at the same time the one written
 * first goes first: a plan that needs no reordering keeps its order, and
 * the result never depends on pointer values.  O((V + E) log V).
 *
 * Nodes left over have a cycle among them.  Their strongly connected
 * components (Tarjan, iterative: a 100,000-long `after:` chain must not
 * overflow the C stack) each get one E500, naming the shortest cycle
 * through the component's first node in file order.
 */
#include "sort.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct heap {
	uint32_t *v;
	size_t n;
	const struct node *nodes;
};

static bool heap_less(const struct heap *h, uint32_t a, uint32_t b)
{
	uint64_t ka = h->nodes[a].key, kb = h->nodes[b].key;

	return ka != kb ? ka < kb : a < b;
}

static void heap_push(struct heap *h, uint32_t x)
{
	size_t i = h->n++;

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!heap_less(h, x, h->v[p]))
			break;
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = x;
}

static uint32_t heap_pop(struct heap *h)
{
	uint32_t top = h->v[0], x = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && heap_less(h, h->v[c + 1], h->v[c]))
			c++;
		if (!heap_less(h, h->v[c], x))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = x;
	return top;
}

/* Append "'id' (line N)" for node v to a growing string. */
static int cycle_append(char **buf, size_t *len, size_t *cap, const struct graph *g, uint32_t v, bool arrow)
{
	const struct node *nd = &g->nodes[v];
	const char *name = nd->kind == NODE_ENTRY || nd->kind == NODE_REMOUNT ? g->plan->entries[nd->ref].id : NULL;
	struct ir_loc loc = graph_node_loc(g, v);
	size_t need;

	if (!name)
		name = graph_node_path(g, v);
	need = strlen(name) + 64;
	if (*len + need + 1 > *cap) {
		size_t ncap = (*cap + need + 1) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	*len += (size_t)snprintf(*buf + *len, *cap - *len, "%s'%s'%s (line %u)", arrow ? " -> " : "", name,
				 nd->kind == NODE_REMOUNT ? " read-only remount" : "", loc.line);
	return 0;
}

/* Tarjan's SCC over the nodes with left[v] set; comp[v] gets a component number. */
static int sort_scc(const struct graph *g, const bool *left, uint32_t *comp, uint32_t *ret_ncomp)
{
	size_t n = g->n_nodes;
	uint32_t *index = malloc(n * sizeof(*index)), *low = malloc(n * sizeof(*low));
	uint32_t *stack = malloc(n * sizeof(*stack)), *call = malloc(n * sizeof(*call));
	uint32_t *edge_at = malloc(n * sizeof(*edge_at));
	bool *on = calloc(n, sizeof(*on));
	uint32_t next = 0, sp = 0, ncomp = 0;
	int r = 0;

	if (!index || !low || !stack || !call || !edge_at || !on) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t v = 0; v < n; v++)
		index[v] = GRAPH_NONE;
	for (size_t root = 0; root < n; root++) {
		size_t cp = 0;

		if (!left[root] || index[root] != GRAPH_NONE)
			continue;
		call[cp++] = (uint32_t)root;
		index[root] = low[root] = next++;
		edge_at[root] = g->out_start[root];
		stack[sp++] = (uint32_t)root;
		on[root] = true;
		while (cp) {
			uint32_t v = call[cp - 1];

			if (edge_at[v] < g->out_start[v + 1]) {
				uint32_t w = g->edges[edge_at[v]++].to;

				if (!left[w])
					continue;
				if (index[w] == GRAPH_NONE) {
					index[w] = low[w] = next++;
					edge_at[w] = g->out_start[w];
					stack[sp++] = w;
					on[w] = true;
					call[cp++] = w;
				} else if (on[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			cp--;
			if (cp && low[v] < low[call[cp - 1]])
				low[call[cp - 1]] = low[v];
			if (low[v] == index[v]) {
				uint32_t w;

				do {
					w = stack[--sp];
					on[w] = false;
					comp[w] = ncomp;
				} while (w != v);
				ncomp++;
			}
		}
	}
	*ret_ncomp = ncomp;
out:
	free(index);
	free(low);
	free(stack);
	free(call);
	free(edge_at);
	free(on);
	return r;
}

/* Report the shortest cycle through s inside its component (BFS). */
static int sort_report_cycle(const struct graph *g, const uint32_t *comp, uint32_t s, uint32_t *prev,
			     uint32_t *queue, struct diag_sink *sink)
{
	size_t head = 0, tail = 0;
	uint32_t last = GRAPH_NONE;
	char *buf = NULL;
	size_t len = 0, cap = 0, n_path = 0;
	uint32_t *path;
	struct ir_loc loc;
	int r = 0;

	queue[tail++] = s;
	prev[s] = s;
	while (head < tail && last == GRAPH_NONE) {
		uint32_t v = queue[head++];

		for (uint32_t k = g->out_start[v]; k < g->out_start[v + 1]; k++) {
			uint32_t w = g->edges[k].to;

			if (comp[w] != comp[s])
				continue;
			if (w == s) {
				last = v;
				break;
			}
			if (prev[w] == GRAPH_NONE) {
				prev[w] = v;
				queue[tail++] = w;
			}
		}
	}
	/* Walk back from the last node to s; queue's tail end is free for the path. */
	path = queue + tail;
	for (uint32_t v = last; v != s; v = prev[v])
		path[n_path++] = v;
	path[n_path++] = s;
	for (size_t k = n_path; k-- > 0;)
		if ((r = cycle_append(&buf, &len, &cap, g, path[k], k + 1 != n_path)) < 0)
			goto out;
	if ((r = cycle_append(&buf, &len, &cap, g, s, true)) < 0)
		goto out;
	loc = graph_node_loc(g, s);
	diag_emit(sink, DIAG_CYCLE, loc.line, loc.col, buf);
out:
	for (size_t k = 0; k < tail; k++)
		prev[queue[k]] = GRAPH_NONE;
	free(buf);
	return r;
}

static int sort_cycles(const struct graph *g, const uint32_t *indeg, struct diag_sink *sink)
{
	size_t n = g->n_nodes;
	bool *left = calloc(n, sizeof(*left));
	uint32_t *comp = malloc(n * sizeof(*comp)), *first = NULL, *prev = malloc(n * sizeof(*prev));
	uint32_t *queue = malloc(2 * n * sizeof(*queue)) /* BFS queue, then the path behind it */;
	uint32_t ncomp = 0, *size = NULL;
	bool *self = NULL;
	int r;

	if (!left || !comp || !prev || !queue) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t v = 0; v < n; v++) {
		left[v] = indeg[v] > 0;
		prev[v] = GRAPH_NONE;
	}
	if ((r = sort_scc(g, left, comp, &ncomp)) < 0)
		goto out;
	first = malloc((ncomp ? ncomp : 1) * sizeof(*first));
	size = calloc(ncomp ? ncomp : 1, sizeof(*size));
	self = calloc(ncomp ? ncomp : 1, sizeof(*self));
	if (!first || !size || !self) {
		r = -ENOMEM;
		goto out;
	}
	for (uint32_t c = 0; c < ncomp; c++)
		first[c] = GRAPH_NONE;
	for (size_t v = 0; v < n; v++) {
		if (!left[v])
			continue;
		size[comp[v]]++;
		if (first[comp[v]] == GRAPH_NONE || g->nodes[v].key < g->nodes[first[comp[v]]].key)
			first[comp[v]] = (uint32_t)v;
		for (uint32_t k = g->out_start[v]; k < g->out_start[v + 1]; k++)
			if (g->edges[k].to == v)
				self[comp[v]] = true;
	}
	/* Report in file order of each cycle's first member. */
	for (size_t v = 0; v < n; v++) {
		uint32_t c;

		if (!left[v])
			continue;
		c = comp[v];
		if (first[c] != v || (size[c] < 2 && !self[c]))
			continue;
		if ((r = sort_report_cycle(g, comp, (uint32_t)v, prev, queue, sink)) < 0)
			goto out;
	}
	r = 0;
out:
	free(left);
	free(comp);
	free(first);
	free(prev);
	free(queue);
	free(size);
	free(self);
	return r;
}

int sort_nodes(const struct graph *g, uint32_t *order, struct diag_sink *sink)
{
	size_t n = g->n_nodes, done = 0;
	uint32_t *indeg = calloc(n ? n : 1, sizeof(*indeg));
	struct heap h = { malloc((n ? n : 1) * sizeof(uint32_t)), 0, g->nodes };
	int r = 0;

	if (!indeg || !h.v) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < g->n_edges; k++)
		indeg[g->edges[k].to]++;
	for (size_t v = 0; v < n; v++)
		if (indeg[v] == 0)
			heap_push(&h, (uint32_t)v);
	while (h.n) {
		uint32_t v = heap_pop(&h);

		order[done++] = v;
		for (uint32_t k = g->out_start[v]; k < g->out_start[v + 1]; k++)
			if (--indeg[g->edges[k].to] == 0)
				heap_push(&h, g->edges[k].to);
	}
	if (done < n) {
		r = sort_cycles(g, indeg, sink);
		if (r == 0)
			r = -1;
	}
out:
	free(indeg);
	free(h.v);
	return r;
}
