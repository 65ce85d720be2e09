/*
 * back.h — the compiler's back end: expand entries into steps (expand.c),
 * order them (graph.c, sort.c), lower them to bytecode (emit.c) and write
 * the file (write.c).  Cross-entry checks that need the graph (shadowing,
 * cycles, the one-page data limit after expansion) report into the sink.
 */
#ifndef MOUNTPLAN_BACK_H
#define MOUNTPLAN_BACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "ir.h"

/*
 * Compile a validated plan into bytecode bytes (malloc'd). Returns 0, or -1
 * with diagnostics in sink (-ENOMEM, with nothing in sink, when memory ran out).
 */
int back_compile(const struct ir_plan *plan, struct diag_sink *sink, uint8_t **ret_bytes, size_t *ret_len);

/*
 * The back end's checks without keeping any bytes (for `mplan check`):
 * cycles (E500), shadowing (W403), mount data over a page (E501), limits
 * (E502).  Returns 0, or -1 with diagnostics in sink (-ENOMEM as above).
 */
int back_check(const struct ir_plan *plan, struct diag_sink *sink);

/* Print the plan's dependency graph as Graphviz DOT. Returns 0, or -1 with diagnostics. */
int back_print_graph(FILE *out, const struct ir_plan *plan, struct diag_sink *sink);

#endif
