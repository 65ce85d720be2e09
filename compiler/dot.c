/*
 * dot.c — `mplan graph`: the dependency graph (graph.h) as Graphviz DOT.
 *
 * One node per graph node, labelled with the entry's id, type, target and
 * plan line (or what a remount, mask or read-only path node does); one
 * edge per dependency, labelled with its reason.  The graph is printed
 * even when it has a cycle, since that is when one wants to look at it;
 * the cycle is still reported as E500.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "back.h"
#include "graph.h"
#include "sort.h"

/* A DOT double-quoted string body: quotes and backslashes escaped, controls dropped. */
static void dot_quoted(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, out);
	}
}

static void dot_node(FILE *out, const struct graph *g, uint32_t v)
{
	const struct node *nd = &g->nodes[v];
	const struct ir_plan *plan = g->plan;
	struct ir_loc loc = graph_node_loc(g, v);

	fprintf(out, "  n%u [label=\"", v);
	switch ((enum node_kind)nd->kind) {
	case NODE_ENTRY: {
		const struct ir_entry *e = &plan->entries[nd->ref];

		dot_quoted(out, e->id ? e->id : e->target.path);
		fputs("\\n", out);
		dot_quoted(out, e->type);
		fputc(' ', out);
		dot_quoted(out, e->target.path);
		break;
	}
	case NODE_REMOUNT:
		dot_quoted(out, plan->entries[nd->ref].id);
		fputs("\\nremount ro ", out);
		dot_quoted(out, plan->entries[nd->ref].target.path);
		break;
	case NODE_MASK:
		fputs("masked\\n", out);
		dot_quoted(out, plan->masked[nd->ref].word);
		break;
	case NODE_READONLY:
		fputs("readonly\\n", out);
		dot_quoted(out, plan->readonly[nd->ref].word);
		break;
	}
	fprintf(out, "\\nline %u\"%s];\n", loc.line, nd->kind == NODE_ENTRY ? "" : ", style=dashed");
}

int back_print_graph(FILE *out, const struct ir_plan *plan, struct diag_sink *sink)
{
	struct graph g;
	uint32_t *order = NULL;
	int r;

	if ((r = graph_build(&g, plan)) < 0)
		goto out;
	fputs("digraph mountplan {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n", out);
	for (uint32_t v = 0; v < g.n_nodes; v++)
		dot_node(out, &g, v);
	for (size_t k = 0; k < g.n_edges; k++)
		fprintf(out, "  n%u -> n%u [label=\"%s\"];\n", g.edges[k].from, g.edges[k].to,
			edge_reason_name((enum edge_reason)g.edges[k].reason));
	fputs("}\n", out);
	order = malloc((g.n_nodes ? g.n_nodes : 1) * sizeof(*order));
	if (!order) {
		r = -ENOMEM;
		goto out;
	}
	/* The same ordering checks as compile: E500 and W403 go to the sink. */
	r = sort_nodes(&g, order, sink);
	if (r == 0)
		r = graph_check_shadowing(&g, order, sink);
out:
	free(order);
	graph_free(&g);
	return r;
}
