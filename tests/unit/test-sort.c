/*
 * test-sort.c — the stable topological sort (ties keep file order),
 * cycle reports (E500 naming every member with its line, in cycle order)
 * and the shadowing warning (W403).
 */
#include <stdio.h>

#include "back-ir.h"
#include "tap.h"

/* Sort p; write the order as "0 2 1" into buf. Returns sort_nodes' result. */
static int sorted(const struct ir_plan *p, struct diag_sink *sink, char *buf, size_t len)
{
	struct graph g;
	uint32_t *order;
	size_t at = 0;
	int r;

	if (graph_build(&g, p) < 0)
		abort();
	order = calloc(g.n_nodes ? g.n_nodes : 1, sizeof(*order));
	if (!order)
		abort();
	r = sort_nodes(&g, order, sink);
	buf[0] = '\0';
	if (r == 0) {
		for (size_t k = 0; k < g.n_nodes && at + 16 < len; k++)
			at += (size_t)snprintf(buf + at, len - at, "%s%u", k ? " " : "", order[k]);
		graph_check_shadowing(&g, order, sink);
	}
	free(order);
	graph_free(&g);
	return r;
}

static void test_stable(void)
{
	struct ir_plan p;
	struct diag_sink sink;
	char buf[256];

	tb_plan(&p, 8);
	tb_entry(&p, "tmpfs", "/c", 1);
	tb_entry(&p, "tmpfs", "/a", 3);
	tb_entry(&p, "tmpfs", "/b", 5);
	diag_sink_init(&sink, "plan.yaml");
	CHECK(sorted(&p, &sink, buf, sizeof(buf)) == 0, "unrelated entries sort");
	CHECK_STR(buf, "0 1 2", "unrelated entries keep file order (not path order)");
	diag_sink_free(&sink);
	ir_plan_free(&p);

	tb_plan(&p, 8);
	tb_entry(&p, "tmpfs", "/a/b", 1); /* 0 */
	tb_entry(&p, "tmpfs", "/x", 3);   /* 1 */
	tb_entry(&p, "tmpfs", "/a", 5);   /* 2 */
	tb_entry(&p, "tmpfs", "/y", 7);   /* 3 */
	tb_entry(&p, "tmpfs", "/a/bc", 9); /* 4 */
	diag_sink_init(&sink, "plan.yaml");
	CHECK(sorted(&p, &sink, buf, sizeof(buf)) == 0, "child before parent in the file sorts");
	CHECK_STR(buf, "1 2 0 3 4", "the parent moves up, everything else keeps its place");
	diag_sink_free(&sink);
	ir_plan_free(&p);
}

static void test_after_and_remount(void)
{
	struct ir_plan p;
	struct diag_sink sink;
	struct ir_entry *e;
	char buf[256];

	tb_plan(&p, 8);
	e = tb_entry(&p, "tmpfs", "/first", 1); /* 0: after /last */
	tb_after(e, "/last");
	e = tb_entry(&p, "ext4", "/ro", 4);     /* 1: read-only, split */
	tb_source(e, "/dev/vdb", false);
	tb_ro(e);
	tb_entry(&p, "tmpfs", "/ro/kid", 8);    /* 2 */
	tb_entry(&p, "tmpfs", "/other", 10);    /* 3 */
	tb_entry(&p, "tmpfs", "/last", 12);     /* 4 */
	tb_entry(&p, "tmpfs", "/ro/kid/g", 14); /* 5 */
	tb_masked(&p, "/ro/kid/secret", 20);    /* node 7 */
	diag_sink_init(&sink, "plan.yaml");
	CHECK(sorted(&p, &sink, buf, sizeof(buf)) == 0, "after: and remount sort");
	/* Node 6 is /ro's remount: after /ro/kid/g (5), before later-ready nodes by key. */
	CHECK_STR(buf, "1 2 3 4 0 5 6 7", "after: moves an entry down; the remount waits for every descendant");
	diag_sink_free(&sink);
	ir_plan_free(&p);
}

static void test_cycles(void)
{
	struct ir_plan p;
	struct diag_sink sink;
	struct ir_entry *e;
	char buf[256];

	tb_plan(&p, 8);
	e = tb_entry(&p, "tmpfs", "/a", 3); /* 0 */
	tb_id(e, "a");
	tb_after(e, "c");
	e = tb_entry(&p, "tmpfs", "/b", 7); /* 1 */
	tb_id(e, "b");
	tb_after(e, "a");
	e = tb_entry(&p, "tmpfs", "/c", 11); /* 2 */
	tb_id(e, "c");
	tb_after(e, "b");
	tb_entry(&p, "tmpfs", "/c/d", 15); /* 3: downstream of the cycle, not in it */
	diag_sink_init(&sink, "plan.yaml");
	CHECK(sorted(&p, &sink, buf, sizeof(buf)) == -1, "a cycle fails the sort");
	CHECK_INT(tb_count_diag(&sink, "E500"), 1, "one E500 for one cycle");
	CHECK(tb_has_diag(&sink, "E500", "'a' (line 3) -> 'b' (line 7) -> 'c' (line 11) -> 'a' (line 3)"),
	      "E500 names every member with its line, in cycle order");
	CHECK(!tb_has_diag(&sink, "E500", "/c/d"), "an entry merely after the cycle is not named");
	CHECK(sink.n && sink.items[0].line == 3, "E500 is located at the cycle's first entry");
	diag_sink_free(&sink);
	ir_plan_free(&p);

	/* after: against the parent rule, a self-loop, and two cycles at once. */
	tb_plan(&p, 8);
	e = tb_entry(&p, "tmpfs", "/p", 1); /* 0: after its own child */
	tb_after(e, "/p/q");
	tb_entry(&p, "tmpfs", "/p/q", 4); /* 1 */
	e = tb_entry(&p, "tmpfs", "/s", 6); /* 2: after itself */
	tb_after(e, "/s");
	diag_sink_init(&sink, "plan.yaml");
	CHECK(sorted(&p, &sink, buf, sizeof(buf)) == -1, "cycles fail the sort");
	CHECK_INT(tb_count_diag(&sink, "E500"), 2, "each cycle reported once");
	CHECK(tb_has_diag(&sink, "E500", "'/p' (line 1) -> '/p/q' (line 4) -> '/p' (line 1)"), "after: against parent order");
	CHECK(tb_has_diag(&sink, "E500", "'/s' (line 6) -> '/s' (line 6)"), "an entry after itself");
	diag_sink_free(&sink);
	ir_plan_free(&p);
}

static void test_long_cycle(void)
{
	struct ir_plan p;
	struct diag_sink sink;
	char buf[64], id[32], prev[32];
	const size_t n = 50000;

	/* A 50,000-long after: ring: the SCC search is iterative, not recursive. */
	tb_plan(&p, n);
	for (size_t i = 0; i < n; i++) {
		struct ir_entry *e;

		snprintf(id, sizeof(id), "/m%zu", i);
		snprintf(prev, sizeof(prev), "/m%zu", (i + n - 1) % n);
		e = tb_entry(&p, "tmpfs", id, (uint32_t)(i + 1));
		tb_after(e, prev);
	}
	diag_sink_init(&sink, "plan.yaml");
	CHECK(sorted(&p, &sink, buf, sizeof(buf)) == -1, "a 50,000-member ring is a cycle");
	CHECK(tb_has_diag(&sink, "E500", "'/m0' (line 1) -> '/m1' (line 2)") &&
		      tb_has_diag(&sink, "E500", "'/m49999' (line 50000) -> '/m0' (line 1)"),
	      "and is named whole");
	diag_sink_free(&sink);
	ir_plan_free(&p);
}

static void test_shadowing(void)
{
	struct ir_plan p;
	struct diag_sink sink;
	struct ir_entry *e;
	char buf[256];

	/* Validation refuses two mounts on one target (E401); if it ever lets one through, W403. */
	tb_plan(&p, 8);
	tb_entry(&p, "tmpfs", "/x", 1);
	tb_entry(&p, "tmpfs", "/x", 5);
	diag_sink_init(&sink, "plan.yaml");
	CHECK(sorted(&p, &sink, buf, sizeof(buf)) == 0 && !strcmp(buf, "0 1"), "stacked mounts sort in file order");
	CHECK(tb_has_diag(&sink, "W403", "mount on '/x' hides the target of the entry at line 1"),
	      "the later mount hides the earlier: W403");
	CHECK(sink.n && sink.items[0].line == 6, "W403 is located at the hiding mount's target");
	diag_sink_free(&sink);
	ir_plan_free(&p);

	tb_plan(&p, 8);
	tb_entry(&p, "tmpfs", "/x", 1);
	e = tb_entry(&p, "tmpfs", "/x", 5);
	e->overmount = true;
	tb_entry(&p, "tmpfs", "/x/y", 9);
	e = tb_entry(&p, "bind", "/z", 13);
	tb_source(e, "/x/y/file", true);
	diag_sink_init(&sink, "plan.yaml");
	CHECK(sorted(&p, &sink, buf, sizeof(buf)) == 0, "overmount sorts");
	CHECK_INT(tb_count_diag(&sink, "W403"), 0, "overmount: true silences W403; children and sources are not hidden");
	diag_sink_free(&sink);
	ir_plan_free(&p);
}

int main(void)
{
	tap_plan(0);
	test_stable();
	test_after_and_remount();
	test_cycles();
	test_long_cycle();
	test_shadowing();
	return tap_done();
}
