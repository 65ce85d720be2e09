/*
 * front.h — the compiler's front end: read a plan file, parse it with
 * libyaml into the IR (parse.c), and check it (validate.c).
 */
#ifndef MOUNTPLAN_FRONT_H
#define MOUNTPLAN_FRONT_H

#include "diag.h"
#include "ir.h"

/*
 * Read, parse and validate the plan at path ("-" = stdin).  Every problem
 * found goes to sink (all of them, not just the first).  Returns 0 when the
 * plan has no errors (warnings allowed) and *plan is filled; otherwise
 * returns -1 and *plan is left empty (ir_plan_free is still safe).
 */
int front_load_plan(const char *path, struct ir_plan *plan, struct diag_sink *sink);

/* The same, from bytes in memory (fuzzing, tests); name is used in diagnostics. */
int front_load_plan_bytes(const char *name, const char *bytes, size_t len, struct ir_plan *plan,
			  struct diag_sink *sink);

#endif
