/*
 * back.c — the compiler's back end as one call (back.h): graph, sort,
 * shadowing check, expansion, emission, file.
 *
 * Every check runs even when an earlier one failed (a cycle does not hide
 * an over-long mount data string), so `mplan check` reports everything at
 * once; bytes are produced only when no error was found.
 */
#include "back.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "expand.h"
#include "graph.h"
#include "sort.h"
#include "write.h"

int back_compile(const struct ir_plan *plan, struct diag_sink *sink, uint8_t **ret_bytes, size_t *ret_len)
{
	struct graph g;
	struct expansion x;
	struct image img = { 0 };
	uint32_t *order = NULL;
	int r, rs, rx;

	memset(&x, 0, sizeof(x));
	if ((r = graph_build(&g, plan)) < 0)
		goto out;
	order = malloc((g.n_nodes ? g.n_nodes : 1) * sizeof(*order));
	if (!order) {
		r = -ENOMEM;
		goto out;
	}
	rs = sort_nodes(&g, order, sink);
	if (rs == 0)
		rs = graph_check_shadowing(&g, order, sink);
	/* Ordering is done: give its memory back before expansion makes the steps. */
	graph_release_edges(&g);
	rx = expand_plan(plan, &g, &x, sink);
	if (rs == -ENOMEM || rx == -ENOMEM) {
		r = -ENOMEM;
		goto out;
	}
	if (rs < 0 || rx < 0) {
		r = -1;
		goto out;
	}
	if ((r = emit_program(&g, order, &x, &img, sink)) < 0)
		goto out;
	/* The steps are in the file now: give their memory back before the peak grows. */
	step_list_free(&x.steps);
	r = write_image(&img, ret_bytes, ret_len, sink);
out:
	image_free(&img);
	expansion_free(&x);
	graph_free(&g);
	free(order);
	return r;
}

int back_check(const struct ir_plan *plan, struct diag_sink *sink)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	int r = back_compile(plan, sink, &bytes, &len);

	free(bytes);
	return r;
}
