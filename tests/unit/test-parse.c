/*
 * test-parse.c — the YAML tree (marks, duplicates, aliases by reference,
 * limits) and the plan parser (every key lands in the IR as documented).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "front.h"
#include "limits.h"
#include "sha256.h"
#include "tap.h"
#include "ytree.h"

static size_t n_dups;
static uint32_t dup_line, first_line;

static void count_dup(void *ctx, const struct ypair *dup, const struct ypair *first)
{
	(void)ctx;
	n_dups++;
	dup_line = dup->key->line;
	first_line = first->key->line;
}

static bool has_code(const struct diag_sink *s, const char *code, uint32_t line, uint32_t col)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(diag_code(s->items[i].id), code) == 0 && s->items[i].line == line && s->items[i].col == col)
			return true;
	return false;
}

static void test_tree(void)
{
	const char *y = "a: 1\nb:\n  - x\n  - \"true\"\n  - true\nc: &anc {k: v}\nd: *anc\na: 2\n";
	struct ydoc doc;
	struct yerror err;
	const struct ynode *b, *c, *d;
	bool v;

	CHECK_INT(ydoc_load(y, strlen(y), NULL, &doc, &err), 0, "a small document loads");
	CHECK(doc.root && doc.root->kind == YNODE_MAP && doc.root->n == 5, "root is a mapping of 5 pairs (duplicates kept)");
	CHECK(doc.root->pairs[1].key->line == 2 && doc.root->pairs[1].key->col == 1, "key 'b' is at 2:1");
	b = ynode_get(doc.root, "b");
	CHECK(b && b->kind == YNODE_SEQ && b->n == 3, "b is a list of 3");
	CHECK(b && b->items[1]->line == 4 && b->items[1]->col == 5, "its second item is at 4:5");
	CHECK(b && ynode_bool(b->items[2], &v) == 0 && v, "plain true is a boolean");
	CHECK(b && ynode_bool(b->items[1], &v) < 0, "quoted \"true\" is a string");
	CHECK_STR(ynode_describe(b->items[1]), "a string", "described as a string");
	CHECK_STR(ynode_describe(ynode_get(doc.root, "a")), "a number", "1 is described as a number");
	CHECK_STR(ynode_get(doc.root, "a")->str, "1", "ynode_get returns the first of duplicated keys");
	{
		const char *kinds = "[x, 0x1F, 1.5, -3, 1e3, 1.2.3, e, '5', ~, yes]";
		struct ydoc k;
		static const char *const want[] = { "a string", "a number", "a number", "a number", "a number",
						    "a string", "a string", "a string", "null", "a boolean" };
		CHECK_INT(ydoc_load(kinds, strlen(kinds), NULL, &k, &err), 0, "a list of scalar kinds loads");
		for (size_t i = 0; i < k.root->n; i++)
			CHECK_STR(ynode_describe(k.root->items[i]), want[i], "describe '%s'", k.root->items[i]->str);
		ydoc_free(&k);
	}
	c = ynode_get(doc.root, "c");
	d = ynode_get(doc.root, "d");
	CHECK(c && c == d, "an alias is the anchored node itself, not a copy");
	n_dups = 0;
	CHECK_INT(ynode_each_duplicate(doc.root, count_dup, NULL), 0, "duplicate scan runs");
	CHECK(n_dups == 1 && dup_line == 8 && first_line == 1, "one duplicate: 'a' at line 8, first at line 1");
	ydoc_free(&doc);
}

static void test_limits(void)
{
	struct ylimits lim;
	struct ydoc doc;
	struct yerror err;
	const char *deep = "[[[[[1]]]]]";
	const char *aliases = "a: &a [x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n";
	const char *two = "a: 1\n---\nb: 2\n";

	ydoc_default_limits(&lim);
	CHECK(lim.max_depth == MP_MAX_YAML_DEPTH && lim.max_aliases == MP_MAX_YAML_ALIASES, "default limits come from limits.h");
	lim.max_depth = 4;
	CHECK(ydoc_load(deep, strlen(deep), &lim, &doc, &err) < 0 && err.kind == YERR_DEPTH, "depth 5 > 4 is refused");
	CHECK(err.line == 1 && err.col == 5, "at the collection that is too deep (1:5)");
	lim.max_depth = 5;
	CHECK_INT(ydoc_load(deep, strlen(deep), &lim, &doc, &err), 0, "depth 5 is allowed with a limit of 5");
	ydoc_free(&doc);

	/* expanded aliases: b holds 3, c holds 3 * (1 + 3) = 12, total 15 */
	ydoc_default_limits(&lim);
	lim.max_aliases = 14;
	CHECK(ydoc_load(aliases, strlen(aliases), &lim, &doc, &err) < 0 && err.kind == YERR_ALIASES, "15 expanded aliases > 14");
	lim.max_aliases = 15;
	CHECK_INT(ydoc_load(aliases, strlen(aliases), &lim, &doc, &err), 0, "15 expanded aliases with a limit of 15");
	ydoc_free(&doc);

	ydoc_default_limits(&lim);
	lim.max_scalar = 3;
	CHECK(ydoc_load("k: abcd", 7, &lim, &doc, &err) < 0 && err.kind == YERR_SCALAR && err.size == 4, "a scalar over the limit");
	lim.max_bytes = 6;
	CHECK(ydoc_load("k: abcd", 7, &lim, &doc, &err) < 0 && err.kind == YERR_SIZE, "input over max_bytes, before parsing");
	CHECK(ydoc_load(two, strlen(two), NULL, &doc, &err) < 0 && err.kind == YERR_SYNTAX && err.line == 2,
	      "a second document is refused at its line");
	CHECK(ydoc_load("", 0, NULL, &doc, &err) < 0 && err.kind == YERR_EMPTY, "no document");
	CHECK(ydoc_load("*nope", 5, NULL, &doc, &err) < 0 && err.kind == YERR_SYNTAX, "an alias to no anchor");
	CHECK(ydoc_load("a: [1, 2", 8, NULL, &doc, &err) < 0 && err.kind == YERR_SYNTAX && err.line == 1,
	      "truncated flow sequence");
	CHECK(ydoc_load("{\"a\": [1, \"x\"]}", 15, NULL, &doc, &err) == 0 && ynode_get(doc.root, "a")->n == 2,
	      "JSON is YAML");
	ydoc_free(&doc);
}

static void test_plan(void)
{
	const char *y = "version: 1\n"
			"root: /srv/r\n"
			"readonly_root: true\n"
			"mounts:\n"
			"  - type: overlay\n"
			"    lower: [/l/a, \"${root}/l/b\"]\n"
			"    upper: /u\n"
			"    work: /w\n"
			"    target: /\n"
			"    options: [noatime, nodiratime]\n"
			"    idmap: {uid: [\"0:1000:10\", \"10:2000:5\"], gid: \"0:1000:15\"}\n"
			"  - id: img\n"
			"    type: ext4\n"
			"    source: /i.img\n"
			"    loop: {readonly: true, offset: 1M, sizelimit: 4096, autoclear: true}\n"
			"    target: /data\n"
			"    options: [ro, nodev, relatime, rshared, noload]\n"
			"  - type: nfs\n"
			"    source: \"fs:/e\"\n"
			"    target: /n\n"
			"    requires: {link: eth0, carrier: false}\n"
			"    after: img\n"
			"    optional: true\n"
			"    when: empty\n"
			"    overmount: true\n"
			"  - type: rbind\n"
			"    source: /h\n"
			"    target: /h/\n"
			"masked: [/proc/kcore]\n"
			"readonly: [/proc/sys]\n";
	struct ir_plan plan;
	struct diag_sink sink;
	uint8_t sum[32];
	const struct ir_entry *e;
	int r;

	diag_sink_init(&sink, "t.yaml");
	r = front_load_plan_bytes("t.yaml", y, strlen(y), &plan, &sink);
	CHECK_INT(r, -1, "a plan with one error fails");
	CHECK(sink.n_errors == 1 && has_code(&sink, "E301", 28, 13), "the only error: E301 for '/h/' at 28:13");
	diag_sink_free(&sink);
	CHECK(plan.entries == NULL, "a failed load leaves the plan empty");

	/* the same plan with the target fixed */
	char *fixed = strdup(y);
	*strstr(fixed, "/h/\n") = ' ';
	memcpy(strstr(fixed, " h/\n"), "/h \n", 4);
	diag_sink_init(&sink, "t.yaml");
	r = front_load_plan_bytes("t.yaml", fixed, strlen(fixed), &plan, &sink);
	CHECK_INT(r, 0, "the fixed plan loads");
	CHECK_INT(sink.n, 0, "without diagnostics");
	diag_sink_free(&sink);
	if (r < 0) {
		free(fixed);
		return;
	}
	sha256_buf(fixed, strlen(fixed), sum);
	CHECK(memcmp(sum, plan.sha256, 32) == 0, "plan.sha256 is the SHA-256 of the bytes");
	CHECK_STR(plan.file, "t.yaml", "file name");
	CHECK(plan.version == 1 && plan.readonly_root && plan.readonly_root_loc.line == 3, "version, readonly_root and its line");
	CHECK_STR(plan.root, "/srv/r", "root");
	CHECK_INT(plan.n_entries, 4, "four entries");

	e = &plan.entries[0];
	CHECK(e->fs_class == FS_OVERLAY && e->n_lower == 2, "overlay with two layers");
	CHECK(!e->lower[0].in_root && e->lower[1].in_root, "${root} marks the second layer in_root");
	CHECK_STR(e->lower[1].path, "/l/b", "${root}/l/b is stored as /l/b");
	CHECK(e->lower[1].loc.line == 6 && e->lower[1].loc.col == 19, "the layer's position (6:19)");
	CHECK_STR(e->upper.path, "/u", "upper");
	CHECK_STR(e->id, "/", "id defaults to the target");
	CHECK(e->target.in_root, "targets are in_root");
	CHECK(e->idmap.present, "idmap present");
	CHECK((e->attr_set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME && (e->attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME,
	      "noatime: NOATIME set, the whole atime field cleared (mount_setattr's rule)");
	CHECK((e->attr_set & MOUNT_ATTR_NODIRATIME) && !(e->attr_clr & MOUNT_ATTR_NODIRATIME), "nodiratime set");
	CHECK_STR(e->idmap.uid, "0:1000:10,10:2000:5", "uid ranges joined with ','");
	CHECK_STR(e->idmap.gid, "0:1000:15", "gid map");

	e = &plan.entries[1];
	CHECK_STR(e->id, "img", "explicit id");
	CHECK(e->id_loc.line == 12 && e->id_loc.col == 9, "id position");
	CHECK(e->fs_class == FS_BLOCK && e->loop.present && e->loop.readonly && !e->loop.direct_io && e->loop.autoclear,
	      "loop flags");
	CHECK(e->loop.offset == 1u << 20 && e->loop.sizelimit == 4096, "loop offset 1M and sizelimit");
	CHECK((e->attr_set & MOUNT_ATTR_RDONLY) && (e->attr_set & MOUNT_ATTR_NODEV), "ro, nodev set");
	CHECK((e->attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME && (e->attr_set & MOUNT_ATTR__ATIME) == 0,
	      "relatime clears the atime field");
	CHECK(e->propagation == MS_SHARED && e->propagation_recursive, "rshared");
	CHECK(e->n_data == 1 && strcmp(e->data[0], "noload") == 0, "noload is filesystem data");
	CHECK(e->n_options == 5 && e->options[4].loc.line == 17, "options as written, with positions");
	CHECK(e->requires.kind == REQUIRE_NONE, "no requires");

	e = &plan.entries[2];
	CHECK(e->fs_class == FS_HELPER, "nfs is a helper type");
	CHECK_STR(e->source.path, "fs:/e", "a helper's source is free-form");
	CHECK(e->requires.kind == REQUIRE_LINK && strcmp(e->requires.name, "eth0") == 0 && !e->requires.carrier,
	      "requires link eth0, carrier false");
	CHECK_INT(e->requires.timeout_ms, MP_DEFAULT_TIMEOUT_MS, "default timeout");
	CHECK(e->n_after == 1 && strcmp(e->after[0].word, "img") == 0, "after: a single string");
	CHECK(e->optional && e->when_empty && e->overmount, "optional, when: empty, overmount");

	e = &plan.entries[3];
	CHECK(e->fs_class == FS_BIND && strcmp(e->type, "rbind") == 0 && e->recursive, "type rbind is a recursive bind");
	CHECK(plan.n_masked == 1 && plan.n_readonly == 1 && strcmp(plan.readonly[0].word, "/proc/sys") == 0, "masked, readonly");
	ir_plan_free(&plan);
	ir_plan_free(&plan);
	CHECK(1, "ir_plan_free twice is safe");
	free(fixed);
}

int main(void)
{
	tap_plan(0);
	test_tree();
	test_limits();
	test_plan();
	return tap_done();
}
