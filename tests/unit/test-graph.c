/*
 * test-graph.c — the dependency edges of schema/expansion.md "Ordering":
 * parent before child by path components, in-root sources and layers after
 * the mount holding them, `after:`, a read-only parent's remount after all
 * its descendants, masked/read-only paths after their mount; and the path
 * index that finds ancestors without comparing every pair.
 */
#include <stdio.h>

#include "back-ir.h"
#include "tap.h"

static size_t count_edges(const struct graph *g, uint32_t from, uint32_t to, enum edge_reason reason)
{
	size_t n = 0;

	for (uint32_t k = g->out_start[from]; k < g->out_start[from + 1]; k++)
		n += g->edges[k].to == to && g->edges[k].reason == reason;
	return n;
}

static size_t count_in(const struct graph *g, uint32_t to)
{
	size_t n = 0;

	for (size_t k = 0; k < g->n_edges; k++)
		n += g->edges[k].to == to;
	return n;
}

static void test_components(void)
{
	struct ir_plan p;
	struct graph g;
	uint32_t anc[PATH_MAX_COMPONENTS];

	tb_plan(&p, 8);
	tb_entry(&p, "tmpfs", "/a/b/c", 1); /* 0 */
	tb_entry(&p, "tmpfs", "/a/b", 3);   /* 1 */
	tb_entry(&p, "tmpfs", "/a", 5);     /* 2 */
	tb_entry(&p, "tmpfs", "/a/bc", 7);  /* 3 */
	tb_entry(&p, "tmpfs", "/", 9);      /* 4 */
	tb_entry(&p, "tmpfs", "/ab", 11);   /* 5 */
	CHECK(graph_build(&g, &p) == 0, "graph builds");
	CHECK_INT(count_edges(&g, 1, 0, EDGE_PARENT), 1, "/a/b before /a/b/c");
	CHECK_INT(count_edges(&g, 2, 1, EDGE_PARENT), 1, "/a before /a/b");
	CHECK_INT(count_edges(&g, 2, 3, EDGE_PARENT), 1, "/a before /a/bc");
	CHECK_INT(count_edges(&g, 1, 3, EDGE_PARENT), 0, "/a/b is unrelated to /a/bc");
	CHECK_INT(count_edges(&g, 2, 0, EDGE_PARENT), 0, "only the nearest ancestor gets an edge");
	CHECK_INT(count_edges(&g, 4, 2, EDGE_PARENT), 1, "/ before /a");
	CHECK_INT(count_edges(&g, 4, 5, EDGE_PARENT), 1, "/ before /ab, not /a");
	CHECK_INT(count_in(&g, 4), 0, "/ comes after nothing");
	CHECK_INT(g.n_edges, 5, "one parent edge per non-root entry, nothing else");
	CHECK_INT(pathidx_ancestors(&g.idx, "/a/b/c/d", false, anc), 4, "four ancestors of /a/b/c/d");
	CHECK(anc[0] == 0 && anc[1] == 1 && anc[2] == 2 && anc[3] == 4, "ancestors come nearest first");
	CHECK_INT(pathidx_ancestors(&g.idx, "/a/b", false, anc), 2, "a path is not its own ancestor");
	CHECK_INT(pathidx_ancestors(&g.idx, "/a/b", true, anc), 3, "unless asked");
	CHECK_INT(pathidx_nearest(&g.idx, "/a/bcd", true, GRAPH_NONE), 2, "/a/bcd is under /a, not /a/bc");
	CHECK_INT(pathidx_nearest(&g.idx, "/zz", true, GRAPH_NONE), 4, "everything is under /");
	graph_free(&g);
	ir_plan_free(&p);
}

static void test_sources(void)
{
	struct ir_plan p;
	struct graph g;
	struct ir_entry *e;

	tb_plan(&p, 8);
	e = tb_entry(&p, "bind", "/etc/app", 1); /* 0: in-root source under /data */
	tb_source(e, "/data/etc", true);
	e = tb_entry(&p, "bind", "/etc/host", 5); /* 1: host path that looks the same: no edge */
	tb_source(e, "/data/etc", false);
	tb_entry(&p, "ext4", "/data", 9);         /* 2 */
	tb_source(&p.entries[2], "/dev/vdb", false);
	e = tb_entry(&p, "overlay", "/merged", 13); /* 3: layers and upper in the root */
	tb_lower(e, "/layers/top", true);
	tb_lower(e, "/data/base", true);
	e->upper = (struct ir_path){ tb_strdup("/rw/upper"), true, { 15, 12 } };
	e->work = (struct ir_path){ tb_strdup("/rw/work"), true, { 16, 11 } };
	tb_entry(&p, "tmpfs", "/layers", 18);    /* 4 */
	tb_entry(&p, "tmpfs", "/rw", 20);        /* 5 */
	e = tb_entry(&p, "bind", "/self", 22);    /* 6: source under its own target */
	tb_source(e, "/self/inner", true);
	e = tb_entry(&p, "squashfs", "/usr", 24); /* 7: image in the root */
	tb_source(e, "/layers/usr.img", true);
	e->loop.present = true;
	CHECK(graph_build(&g, &p) == 0, "graph builds");
	CHECK_INT(count_edges(&g, 2, 0, EDGE_SOURCE), 1, "an in-root source comes after the mount holding it");
	CHECK_INT(count_in(&g, 1), 0, "a host source gives no edge");
	CHECK_INT(count_edges(&g, 4, 3, EDGE_SOURCE), 1, "overlay layer under /layers");
	CHECK_INT(count_edges(&g, 2, 3, EDGE_SOURCE), 1, "overlay layer under /data");
	CHECK_INT(count_edges(&g, 5, 3, EDGE_SOURCE), 1, "upper and work under /rw: one edge");
	CHECK_INT(count_in(&g, 6), 0, "a source under its own target gives no edge");
	CHECK_INT(count_edges(&g, 4, 7, EDGE_SOURCE), 1, "a loop image under /layers");
	graph_free(&g);
	ir_plan_free(&p);
}

static void test_after_remount_paths(void)
{
	struct ir_plan p;
	struct graph g;
	struct ir_entry *e;
	uint32_t r;

	tb_plan(&p, 8);
	e = tb_entry(&p, "ext4", "/srv", 1); /* 0: ro with descendants */
	tb_source(e, "/dev/vdb", false);
	tb_ro(e);
	tb_id(e, "srv");
	e = tb_entry(&p, "tmpfs", "/srv/a", 5);   /* 1 */
	tb_entry(&p, "tmpfs", "/srv/a/b", 9);     /* 2 */
	e = tb_entry(&p, "nfs", "/net", 13);      /* 3: after srv and /srv/a */
	tb_after(e, "srv");
	tb_after(e, "/srv/a");
	e = tb_entry(&p, "tmpfs", "/ro-leaf", 17); /* 4: ro without descendants: not split */
	tb_ro(e);
	tb_entry(&p, "proc", "/proc", 19);        /* 5 */
	tb_masked(&p, "/proc/kcore", 30);
	tb_readonly(&p, "/proc/sys", 31);
	tb_masked(&p, "/nowhere", 32);
	CHECK(graph_build(&g, &p) == 0, "graph builds");
	CHECK(g.split[0] && !g.split[4], "only a read-only entry with mounts under it is split");
	r = g.remount[0];
	CHECK(r != GRAPH_NONE && g.nodes[r].kind == NODE_REMOUNT && g.nodes[r].ref == 0, "the split entry has a remount node");
	CHECK_INT(count_edges(&g, 0, r, EDGE_REMOUNT), 1, "remount after the entry itself");
	CHECK_INT(count_edges(&g, 1, r, EDGE_REMOUNT), 1, "remount after the child");
	CHECK_INT(count_edges(&g, 2, r, EDGE_REMOUNT), 1, "remount after the grandchild too");
	CHECK_INT(count_edges(&g, 0, 3, EDGE_AFTER), 1, "after: srv");
	CHECK_INT(count_edges(&g, 1, 3, EDGE_AFTER), 1, "after: an id that defaults to the target");
	CHECK_INT(g.remount[4], GRAPH_NONE, "no remount node for a leaf");
	graph_free(&g);
	/* An entry that may be skipped is not split: its remount could hit the mount below. */
	p.entries[0].optional = true;
	CHECK(graph_build(&g, &p) == 0 && !g.split[0] && g.remount[0] == GRAPH_NONE, "an optional entry is not split");
	graph_free(&g);
	p.entries[0].optional = false;
	p.entries[0].when_empty = true;
	CHECK(graph_build(&g, &p) == 0 && !g.split[0], "nor a when: empty entry");
	graph_free(&g);
	p.entries[0].when_empty = false;
	CHECK(graph_build(&g, &p) == 0, "graph builds again");
	CHECK_INT(g.n_nodes, 6 + 1 + 3, "entries, one remount, masked and read-only paths");
	CHECK_INT(count_edges(&g, 5, 7, EDGE_SOURCE), 1, "masked path after the mount holding it");
	CHECK_INT(count_edges(&g, 5, 9, EDGE_SOURCE), 1, "read-only path after the mount holding it");
	CHECK_INT(count_in(&g, 8), 0, "a masked path on the bare root waits for nothing");
	CHECK_STR(graph_node_path(&g, 9), "/proc/sys", "node path of a read-only path (after the masked ones)");
	CHECK_INT(graph_node_loc(&g, 7).line, 30, "node line of a masked path");
	graph_free(&g);
	ir_plan_free(&p);
}

static void test_stack(void)
{
	struct ir_plan p;
	struct graph g;

	/* Validation refuses two mounts on one target (E401); the graph still orders them if asked. */
	tb_plan(&p, 4);
	tb_entry(&p, "tmpfs", "/x", 1);
	tb_entry(&p, "tmpfs", "/x/y", 3);
	tb_entry(&p, "tmpfs", "/x", 5);
	CHECK(graph_build(&g, &p) == 0, "graph builds");
	CHECK_INT(count_edges(&g, 0, 2, EDGE_STACK), 1, "a second mount on a target stacks on the first");
	CHECK_INT(count_edges(&g, 2, 1, EDGE_PARENT), 1, "children go on the top of the stack");
	graph_free(&g);
	ir_plan_free(&p);
}

static void test_deep_path(void)
{
	struct ir_plan p;
	struct graph g;
	char path[4000];
	size_t at = 0;

	/* 1,000 components: ancestors are found by prefix hashes, not by comparing pairs. */
	tb_plan(&p, 1001);
	for (int i = 0; i < 1000; i++) {
		at += (size_t)snprintf(path + at, sizeof(path) - at, "/d");
		tb_entry(&p, "tmpfs", path, (uint32_t)(2 * i + 1));
	}
	CHECK(graph_build(&g, &p) == 0, "a 1,000-deep chain builds");
	CHECK_INT(g.n_edges, 999, "one parent edge per level");
	CHECK_INT(count_edges(&g, 998, 999, EDGE_PARENT), 1, "the deepest mount after its parent");
	graph_free(&g);
	ir_plan_free(&p);
}

int main(void)
{
	tap_plan(0);
	test_components();
	test_sources();
	test_after_remount_paths();
	test_stack();
	test_deep_path();
	return tap_done();
}
