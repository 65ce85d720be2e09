/*
 * expand.h — turning each plan entry into steps (schema/expansion.md,
 * "One entry, in order"), plus the program's prologue and epilogue.
 *
 * Steps are grouped by graph node (graph.h) so the sort can move whole
 * entries; their strings are interned into the string table as they are
 * made, in node-id order, so the table never depends on the sort.
 */
#ifndef MOUNTPLAN_EXPAND_H
#define MOUNTPLAN_EXPAND_H

#include <stdint.h>

#include "diag.h"
#include "emit.h"
#include "graph.h"
#include "ir.h"

struct expansion {
	struct step_list steps;
	struct strtab strtab;
	uint32_t prologue_n;               /* steps [0, prologue_n): ROOT_BIND, USERNS */
	uint32_t *node_first, *node_n;     /* per graph node: its steps */
	uint32_t *node_userns;             /* per graph node: the user-namespace vreg it reads, or GRAPH_NONE */
	uint32_t epilogue_first, epilogue_n; /* REMOUNT "/", END */
	uint32_t n_vregs;                  /* virtual registers: [0, n_userns) are the user namespaces */
	uint32_t n_userns;
	struct ir_loc *userns_loc;         /* per user namespace: the first idmap that made it */
	uint32_t plan_file, plan_root;     /* string offsets for the header */
};

/*
 * Expand every node of g (built from plan).  Returns 0; -1 with E501/E502
 * in sink; -ENOMEM.  x is always safe to expansion_free.
 */
int expand_plan(const struct ir_plan *plan, const struct graph *g, struct expansion *x, struct diag_sink *sink);
void expansion_free(struct expansion *x);

#endif
