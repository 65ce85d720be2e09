/*
 * test-expand.c — every entry kind expands into the steps
 * schema/expansion.md specifies, with its debug records and flags, and
 * the result passes the executor's verifier (runtime/verify.c).
 */
#include <stdio.h>

#include "limits.h"

#include "back-ir.h"
#include "tap.h"

/* Compile p; check it verifies and its ops read `want`.  Returns the output for more checks. */
static bool expect_ops(struct ir_plan *p, struct tb_out *o, const char *want, const char *what)
{
	struct diag_sink sink;
	bool ok;

	diag_sink_init(&sink, "plan.yaml");
	ok = CHECK(tb_compile(p, &sink, o) == 0, "%s: compiles", what);
	if (ok) {
		/* every plan that mounts begins with the run's own root mount */
		CHECK_STR(tb_ops(&o->img), want, "%s: steps", what);
		if (!CHECK(o->r_verify == 0, "%s: the verifier accepts it", what))
			tap_diag("%s", o->err.msg);
	} else {
		tap_skip(2, "did not compile");
	}
	diag_sink_free(&sink);
	return ok;
}

static void test_tmpfs(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;

	tb_plan(&p, 4);
	e = tb_entry(&p, "tmpfs", "/tmp", 5);
	tb_data(e, "mode=1777");
	tb_data(e, "noswap");
	tb_option(e, "nosuid");
	e->attr_set |= MOUNT_ATTR_NOSUID;
	if (expect_ops(&p, &o, "ROOT_BIND MKDIR FSOPEN FSCONFIG FSCONFIG FSCONFIG FSMOUNT CLOSE MOVE CLOSE END", "tmpfs")) {
		const struct mp_insn *in = o.img.insns + 1; /* after the prologue's ROOT_BIND */

		CHECK_STR(tb_str(&o, in[0].o[0]), "/tmp", "MKDIR target");
		CHECK_INT(in[0].o[1], 0755, "MKDIR mode");
		CHECK_STR(tb_str(&o, in[1].o[1]), "tmpfs", "FSOPEN type");
		CHECK(in[2].o[1] == MP_FSC_STRING && !strcmp(tb_str(&o, in[2].o[2]), "source") &&
			      !strcmp(tb_str(&o, in[2].o[3]), "tmpfs"),
		      "virtual source is the type name");
		CHECK(in[3].o[1] == MP_FSC_STRING && !strcmp(tb_str(&o, in[3].o[2]), "mode") &&
			      !strcmp(tb_str(&o, in[3].o[3]), "1777"),
		      "key=value data word is a string parameter");
		CHECK(in[4].o[1] == MP_FSC_FLAG && !strcmp(tb_str(&o, in[4].o[2]), "noswap") && in[4].o[3] == 0,
		      "bare data word is a flag with an empty value");
		CHECK_INT(in[5].o[2], MOUNT_ATTR_NOSUID, "FSMOUNT attr");
		CHECK(in[5].o[1] == in[1].o[0] && in[6].o[0] == in[1].o[0], "FSMOUNT reads and CLOSE closes the fs context");
		CHECK(in[7].o[0] == in[5].o[0] && in[8].o[0] == in[5].o[0], "MOVE and CLOSE use the mount register");
		CHECK(o.img.debug[1].entry == 0 && o.img.debug[1].line == 6 && o.img.debug[1].col == 13,
		      "MKDIR's debug record is the target node");
		CHECK(o.img.debug[4].line == 8 && o.img.debug[4].col == 15, "a data word's debug record is the option");
		CHECK(o.img.debug[10].entry == MP_ENTRY_PLAN, "END belongs to the plan");
		CHECK_INT(o.img.n_regs, 2, "two registers");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_bind(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;

	tb_plan(&p, 4);
	e = tb_entry(&p, "rbind", "/etc/app", 5);
	tb_source(e, "/data/etc", true);
	tb_ro(e);
	e = tb_entry(&p, "bind", "/etc/resolv.conf", 10);
	tb_source(e, "/etc/c1/resolv.conf", false);
	if (expect_ops(&p, &o, "ROOT_BIND MKPOINT BIND MKPOINT BIND END", "bind")) {
		const struct mp_insn *in = o.img.insns + 1; /* after the prologue's ROOT_BIND */

		CHECK(in[0].flags == MP_IF_SRC_IN_ROOT && !strcmp(tb_str(&o, in[0].o[1]), "/data/etc"),
		      "MKPOINT looks at the in-root source");
		CHECK(in[1].flags == MP_IF_SRC_IN_ROOT, "BIND of ${root} source is marked in-root");
		CHECK_INT(in[1].o[2], MP_TREE_RECURSIVE, "rbind is recursive");
		CHECK_INT(in[1].o[3], MOUNT_ATTR_RDONLY, "ro is set on the clone");
		CHECK(in[3].flags == 0 && in[3].o[2] == 0, "host source, not recursive");
		CHECK_INT(o.img.n_regs, 0, "a plain bind needs no register");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_bind_idmap(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;

	tb_plan(&p, 4);
	e = tb_entry(&p, "bind", "/home", 5);
	tb_source(e, "/srv/home", false);
	tb_idmap(e, "0:100000:65536", "0:100000:65536");
	e = tb_entry(&p, "bind", "/opt", 12);
	tb_source(e, "/srv/opt", false);
	tb_idmap(e, "0:100000:65536", "0:100000:65536");
	e = tb_entry(&p, "bind", "/var", 20);
	tb_source(e, "/srv/var", false);
	tb_idmap(e, "0:200000:65536", "0:200000:65536");
	if (expect_ops(&p, &o,
		       "ROOT_BIND USERNS USERNS MKPOINT OPEN_TREE IDMAP SETATTR MOVE CLOSE MKPOINT OPEN_TREE IDMAP SETATTR MOVE CLOSE CLOSE "
		       "MKPOINT OPEN_TREE IDMAP SETATTR MOVE CLOSE CLOSE END",
		       "bind with idmap")) {
		const struct mp_insn *in = o.img.insns + 1; /* after the prologue's ROOT_BIND */

		CHECK_STR(tb_str(&o, in[0].o[1]), "0:100000:65536", "USERNS uid map");
		CHECK(in[0].o[0] != in[1].o[0], "two distinct mappings, two user namespaces");
		CHECK(in[4].o[1] == in[0].o[0] && in[10].o[1] == in[0].o[0], "both entries share the first namespace");
		CHECK(in[14].o[0] == in[0].o[0] && o.img.debug[15].entry == MP_ENTRY_PLAN,
		      "the namespace is closed after its last reader, as a plan step");
		CHECK(o.img.debug[1].entry == MP_ENTRY_PLAN && o.img.debug[1].line == 10,
		      "USERNS is a plan step located at the first idmap");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_block(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;

	tb_plan(&p, 4);
	e = tb_entry(&p, "ext4", "/data", 5);
	tb_source(e, "/dev/vdb1", false);
	tb_ro(e);
	tb_option(e, "nodev");
	e->attr_set |= MOUNT_ATTR_NODEV;
	if (expect_ops(&p, &o, "ROOT_BIND MKDIR FSOPEN FSCONFIG_PATH FSCONFIG FSMOUNT CLOSE MOVE CLOSE END", "block device")) {
		const struct mp_insn *in = o.img.insns + 1; /* after the prologue's ROOT_BIND */

		CHECK(!strcmp(tb_str(&o, in[2].o[1]), "source") && !strcmp(tb_str(&o, in[2].o[2]), "/dev/vdb1"),
		      "the device is the source path");
		CHECK(in[3].o[1] == MP_FSC_FLAG && !strcmp(tb_str(&o, in[3].o[2]), "ro"), "ro also sets the superblock ro");
		CHECK_INT(in[4].o[2], MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV, "mount attrs");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_loop(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;

	tb_plan(&p, 4);
	e = tb_entry(&p, "squashfs", "/usr", 5);
	tb_source(e, "/images/usr.img", true);
	e->loop = (struct ir_loop){ true, true, true, true, 0x100000005ull, 4096, { 8, 11 } };
	if (expect_ops(&p, &o, "ROOT_BIND MKDIR LOOP_ATTACH FSOPEN FSCONFIG_LOOP FSMOUNT CLOSE CLOSE MOVE CLOSE END", "loop image")) {
		const struct mp_insn *in = o.img.insns + 1; /* after the prologue's ROOT_BIND */

		CHECK(in[1].flags == MP_IF_SRC_IN_ROOT, "in-root image");
		CHECK_INT(in[1].o[2], MP_LOOP_READONLY | MP_LOOP_DIRECT_IO | MP_LOOP_AUTOCLEAR, "loop flags");
		CHECK(in[1].o[3] == 5 && in[1].o[4] == 1 && in[1].o[5] == 4096 && in[1].o[6] == 0, "offset and sizelimit LO/HI");
		CHECK(in[3].o[2] == in[1].o[0], "FSCONFIG_LOOP reads the loop register");
		CHECK(in[6].o[0] == in[1].o[0], "the loop register closes after FSMOUNT, not before");
		CHECK(o.img.debug[2].line == 8, "LOOP_ATTACH is located at loop:");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_overlay(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;

	tb_plan(&p, 4);
	e = tb_entry(&p, "overlay", "/", 5);
	tb_lower(e, "/layers/app", false);
	tb_lower(e, "/layers/base", false);
	e->upper = (struct ir_path){ tb_strdup("/c1/upper"), false, { 8, 12 } };
	e->work = (struct ir_path){ tb_strdup("/c1/work"), false, { 9, 11 } };
	tb_data(e, "userxattr");
	if (expect_ops(&p, &o,
		       "ROOT_BIND FSOPEN FSCONFIG_PATH FSCONFIG_PATH FSCONFIG_PATH FSCONFIG_PATH FSCONFIG FSMOUNT CLOSE MOVE CLOSE END",
		       "overlay on /")) {
		const struct mp_insn *in = o.img.insns + 1; /* after the prologue's ROOT_BIND */

		CHECK(!strcmp(tb_str(&o, in[1].o[1]), "lowerdir+") && !strcmp(tb_str(&o, in[1].o[2]), "/layers/app") &&
			      !strcmp(tb_str(&o, in[2].o[2]), "/layers/base"),
		      "one lowerdir+ per layer, top first");
		CHECK(!strcmp(tb_str(&o, in[3].o[1]), "upperdir") && !strcmp(tb_str(&o, in[4].o[1]), "workdir"),
		      "upper then work");
		CHECK(tb_find(&o.img, OP_MKDIR, 0) < 0, "no mount point for /");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_overlay_idmap(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;

	tb_plan(&p, 4);
	e = tb_entry(&p, "overlay", "/merged", 5);
	tb_lower(e, "/layers/app", false);
	tb_lower(e, "/layers/base", false);
	tb_idmap(e, "0:100000:65536", "0:100000:65536");
	if (expect_ops(&p, &o,
		       "ROOT_BIND USERNS MKDIR OPEN_TREE IDMAP SETATTR PARK CLOSE OPEN_TREE IDMAP SETATTR PARK CLOSE FSOPEN FSCONFIG_PARK "
		       "FSCONFIG_PARK FSMOUNT CLOSE UMOUNT CLOSE UMOUNT CLOSE MOVE CLOSE CLOSE END",
		       "idmapped overlay layers")) {
		const struct mp_insn *in = o.img.insns + 1; /* after the prologue's ROOT_BIND */

		CHECK_INT(in[4].o[1], MOUNT_ATTR_RDONLY, "temporary layer mount is read-only");
		CHECK(in[13].o[2] == in[5].o[0] && in[14].o[2] == in[10].o[0], "FSCONFIG_PARK reads each parked layer");
		CHECK(in[17].o[0] == in[5].o[0] && in[19].o[0] == in[10].o[0], "each parked layer is unmounted after FSMOUNT");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_helper_and_unknown(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;

	tb_plan(&p, 8);
	e = tb_entry(&p, "fuse.sshfs", "/mnt/remote", 5);
	tb_source(e, "user@host:/export", false);
	tb_option(e, "ro");
	tb_option(e, "rshared");
	tb_option(e, "allow_other");
	e->attr_set |= MOUNT_ATTR_RDONLY;
	e->propagation = MS_SHARED;
	e->propagation_recursive = true;
	e = tb_entry(&p, "9p", "/mnt/host", 12);
	tb_source(e, "/dev/host0", false);
	tb_data(e, "trans=virtio");
	tb_option(e, "nosuid");
	e->attr_set |= MOUNT_ATTR_NOSUID | MOUNT_ATTR_RDONLY;
	tb_entry(&p, "binfmt_misc", "/proc/sys/fs/binfmt_misc", 16); /* unknown, no source */
	e = tb_entry(&p, "nfs", "/srv", 20);                          /* helper without options */
	tb_source(e, "fs1:/export", false);
	if (expect_ops(&p, &o,
		       "ROOT_BIND MKDIR MOUNT_HELPER PROPAGATE MKDIR MOUNT MKDIR FSOPEN FSCONFIG FSMOUNT CLOSE MOVE CLOSE MKDIR MOUNT_HELPER END",
		       "helper and unknown types")) {
		const struct mp_insn *in = o.img.insns + 1; /* after the prologue's ROOT_BIND */

		CHECK_STR(tb_str(&o, in[1].o[0]), "fuse.sshfs", "helper type");
		CHECK_STR(tb_str(&o, in[1].o[1]), "user@host:/export", "helper source is free-form");
		CHECK_STR(tb_str(&o, in[1].o[3]), "ro,allow_other", "helper options without the propagation word");
		CHECK(in[2].o[1] == MS_SHARED && in[2].o[2] == MP_TREE_RECURSIVE, "rshared becomes PROPAGATE");
		CHECK(o.img.debug[3].line == 8 && o.img.debug[3].col == 19, "PROPAGATE is located at its word");
		CHECK_INT(in[4].o[3], MS_NOSUID | MS_RDONLY, "mount(2) flags from the attrs");
		CHECK_STR(tb_str(&o, in[4].o[4]), "trans=virtio", "mount(2) data");
		CHECK(!strcmp(tb_str(&o, in[6].o[1]), "binfmt_misc") && !strcmp(tb_str(&o, in[7].o[3]), "binfmt_misc"),
		      "an unknown type without a source goes through fsopen, the type as source");
		CHECK(in[13].op == OP_MOUNT_HELPER && in[13].o[3] == 0, "a helper without options gets \"\"");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_requires_when_optional(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;

	tb_plan(&p, 4);
	e = tb_entry(&p, "tmpfs", "/scratch", 5);
	e->requires = (struct ir_requires){ REQUIRE_LINK, tb_strdup("eth0"), 5000, false, { 9, 15 } };
	e->when_empty = true;
	e->optional = true;
	e = tb_entry(&p, "ext4", "/data", 12);
	tb_source(e, "/dev/disk/by-label/data", false);
	e->requires = (struct ir_requires){ REQUIRE_DEVICE, tb_strdup("/dev/disk/by-label/data"), 30000, true, { 16, 15 } };
	if (expect_ops(&p, &o,
		       "ROOT_BIND WAIT_LINK SKIP_UNLESS_EMPTY MKDIR FSOPEN FSCONFIG FSMOUNT CLOSE MOVE CLOSE "
		       "WAIT_DEVICE MKDIR FSOPEN FSCONFIG_PATH FSMOUNT CLOSE MOVE CLOSE END",
		       "requires, when: empty, optional")) {
		const struct mp_insn *in = o.img.insns + 1; /* after the prologue's ROOT_BIND */
		bool all_optional = true;

		CHECK(!strcmp(tb_str(&o, in[0].o[0]), "eth0") && in[0].o[1] == 5000 && in[0].o[2] == MP_WAIT_NO_CARRIER,
		      "WAIT_LINK operands");
		CHECK_INT(in[1].o[1], 10, "the skip lands after the entry's last step");
		for (int i = 0; i < 9; i++)
			all_optional &= (in[i].flags & MP_IF_OPTIONAL) != 0 && o.img.debug[i + 1].entry == 0;
		CHECK(all_optional, "every step of the optional entry is optional and belongs to it");
		CHECK(!(in[9].flags & MP_IF_OPTIONAL), "the next entry's steps are not");
		CHECK(in[9].o[1] == 30000 && o.img.debug[10].line == 16, "WAIT_DEVICE timeout and location");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_split_readonly(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;

	tb_plan(&p, 4);
	e = tb_entry(&p, "ext4", "/srv", 5);
	tb_source(e, "/dev/vdb", false);
	tb_ro(e);
	tb_entry(&p, "tmpfs", "/srv/cache", 10);
	tb_entry(&p, "tmpfs", "/srv/cache/x", 14);
	if (expect_ops(&p, &o,
		       "ROOT_BIND MKDIR FSOPEN FSCONFIG_PATH FSMOUNT CLOSE MOVE CLOSE MKDIR FSOPEN FSCONFIG FSMOUNT CLOSE MOVE CLOSE "
		       "MKDIR FSOPEN FSCONFIG FSMOUNT CLOSE MOVE CLOSE REMOUNT END",
		       "read-only parent with children")) {
		const struct mp_insn *in = o.img.insns + 1; /* after the prologue's ROOT_BIND */
		int rm = tb_find(&o.img, OP_REMOUNT, 0);

		CHECK_INT(in[3].o[2], 0, "the parent is mounted read-write (no superblock ro either)");
		CHECK(rm > 0 && !strcmp(tb_str(&o, o.img.insns[rm].o[0]), "/srv") && o.img.insns[rm].o[1] == MOUNT_ATTR_RDONLY &&
			      o.img.insns[rm].o[3] == 0,
		      "non-recursive REMOUNT ro of the parent");
		CHECK(rm > 0 && o.img.debug[rm].entry == 0 && o.img.debug[rm].line == 8, "REMOUNT belongs to the parent's ro word");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_prologue_epilogue(void)
{
	struct ir_plan p;
	struct tb_out o;
	tb_plan(&p, 4);
	p.readonly_root = true;
	p.readonly_root_loc = (struct ir_loc){ 3, 16 };
	p.root = tb_strdup("/run/c1/rootfs");
	tb_entry(&p, "proc", "/proc", 5);
	tb_masked(&p, "/proc/kcore", 20);
	tb_readonly(&p, "/proc/sys", 21);
	if (expect_ops(&p, &o, "ROOT_BIND MKDIR FSOPEN FSCONFIG FSMOUNT CLOSE MOVE CLOSE MASK BIND REMOUNT END",
		       "readonly_root, masked, readonly")) {
		const struct mp_insn *in = o.img.insns;

		CHECK(o.img.debug[0].entry == MP_ENTRY_PLAN && o.img.debug[0].line == 3, "ROOT_BIND from readonly_root");
		CHECK(!strcmp(tb_str(&o, in[8].o[0]), "/proc/kcore") && o.img.debug[8].entry == MP_ENTRY_PLAN &&
			      o.img.debug[8].line == 20,
		      "MASK of the masked path");
		CHECK(in[9].flags == (MP_IF_SRC_IN_ROOT | MP_IF_OPTIONAL) && in[9].o[0] == in[9].o[1] &&
			      in[9].o[2] == MP_TREE_RECURSIVE && in[9].o[3] == MOUNT_ATTR_RDONLY,
		      "read-only path is an optional recursive ro self-bind");
		CHECK(!strcmp(tb_str(&o, in[10].o[0]), "/") && in[10].o[1] == MOUNT_ATTR_RDONLY && in[10].o[3] == 0,
		      "readonly_root: non-recursive REMOUNT / last");
		CHECK_STR(tb_str(&o, o.img.plan_root), "/run/c1/rootfs", "header root");
		CHECK_STR(tb_str(&o, o.img.plan_file), "plan.yaml", "header file name");
	}
	tb_out_free(&o);
	ir_plan_free(&p);
}

static void test_data_too_long(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;
	struct diag_sink sink;
	char word[2100];

	tb_plan(&p, 4);
	e = tb_entry(&p, "9p", "/mnt/a", 5);
	tb_source(e, "/dev/host0", false);
	memset(word, 'x', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	memcpy(word, "k=", 2);
	tb_data(e, word);
	tb_data(e, word);
	diag_sink_init(&sink, "plan.yaml");
	CHECK(tb_compile(&p, &sink, &o) < 0, "two 2 KiB data words do not compile for mount(2)");
	CHECK(tb_has_diag(&sink, "E501", "'/mnt/a' is 4200 bytes"), "E501 names the target and the size");
	CHECK(sink.items && sink.items[0].line == 5, "E501 is located at the entry");
	tb_out_free(&o);
	diag_sink_free(&sink);
	ir_plan_free(&p);

	/* Without a source it goes through fsopen, but the kernel's legacy context has the same page. */
	tb_plan(&p, 4);
	e = tb_entry(&p, "9p", "/mnt/b", 5);
	tb_data(e, word);
	tb_data(e, word);
	diag_sink_init(&sink, "plan.yaml");
	CHECK(tb_compile(&p, &sink, &o) < 0 && tb_has_diag(&sink, "E501", "'/mnt/b'"), "E501 for a sourceless unknown type too");
	tb_out_free(&o);
	diag_sink_free(&sink);
	ir_plan_free(&p);

	/* The same words through fsconfig are fine: one parameter each. */
	tb_plan(&p, 4);
	e = tb_entry(&p, "tmpfs", "/mnt/a", 5);
	tb_data(e, word);
	tb_data(e, word);
	diag_sink_init(&sink, "plan.yaml");
	CHECK(tb_compile(&p, &sink, &o) == 0 && sink.n_errors == 0, "fsconfig has no one-page limit");
	CHECK(o.r_verify == 0, "and verifies");
	tb_out_free(&o);
	diag_sink_free(&sink);
	ir_plan_free(&p);
}

static void test_string_limit(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct ir_entry *e;
	struct diag_sink sink;
	char *word = malloc(MP_MAX_STRING + 8);

	/* A single data word longer than a string may be (the front end normally stops it first). */
	memset(word, 'v', MP_MAX_STRING + 7);
	memcpy(word, "k=", 2);
	word[MP_MAX_STRING + 7] = '\0';
	tb_plan(&p, 2);
	e = tb_entry(&p, "tmpfs", "/big", 7);
	tb_data(e, word);
	diag_sink_init(&sink, "plan.yaml");
	CHECK(tb_compile(&p, &sink, &o) < 0, "a string over MP_MAX_STRING does not compile");
	/* The value after "k=" is the string: MP_MAX_STRING + 5 bytes and its NUL. */
	CHECK(tb_has_diag(&sink, "E502", "too many bytes in one string (NUL included): 4102, the limit is 4096"),
	      "E502 names the size and the limit");
	CHECK(sink.n && sink.items[0].line == 7, "at the entry");
	tb_out_free(&o);
	diag_sink_free(&sink);
	ir_plan_free(&p);
	free(word);
}

int main(void)
{
	tap_plan(0);
	test_tmpfs();
	test_bind();
	test_bind_idmap();
	test_block();
	test_loop();
	test_overlay();
	test_overlay_idmap();
	test_helper_and_unknown();
	test_requires_when_optional();
	test_split_readonly();
	test_prologue_epilogue();
	test_data_too_long();
	test_string_limit();
	return tap_done();
}
