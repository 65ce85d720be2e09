/*
 * sort.h — order the dependency graph (graph.h): a stable topological
 * sort, and cycle reports.
 */
#ifndef MOUNTPLAN_SORT_H
#define MOUNTPLAN_SORT_H

#include <stdint.h>

#include "diag.h"
#include "graph.h"

/*
 * Fill order[0 .. g->n_nodes) with every node so each edge goes forward;
 * among nodes that are ready at once the smallest sort key (file order)
 * goes first.  Returns 0; -1 when the graph has cycles, each reported as
 * E500 naming its members in cycle order; -ENOMEM.
 */
int sort_nodes(const struct graph *g, uint32_t *order, struct diag_sink *sink);

#endif
