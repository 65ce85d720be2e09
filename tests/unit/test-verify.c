/*
 * test-verify.c — the verifier (runtime/verify.c): a program using every
 * opcode is accepted; each rule refuses a program that breaks it alone,
 * with a message naming the instruction, the operand and the problem.
 * Programs are hand-assembled with mpb-builder and go through the loader
 * first, as in mrun.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>

#include "limits.h"
#include "mpb-builder.h"
#include "program.h"
#include "tap.h"

/* Load and verify b; returns the verifier's rc and leaves the message in err. */
static int check_program(struct mpb *b, struct mp_error *err)
{
	struct program p = { 0 };
	size_t len;
	uint8_t *buf = mpb_bytes(b, &len);
	int r = program_load_bytes(buf, len, &p, err);

	free(buf);
	if (r < 0) {
		tap_diag("load failed: %s", err->msg);
		return 1; /* not a verifier refusal: make the check fail */
	}
	r = verify_program(&p, err);
	program_free(&p);
	return r;
}

static void accepted(struct mpb *b, const char *what)
{
	struct mp_error err = { 0 };
	int r = check_program(b, &err);

	if (!CHECK(r == 0, "accepts %s", what))
		tap_diag("rc %d: %s", r, err.msg);
}

static void refused(struct mpb *b, const char *want, const char *what)
{
	struct mp_error err = { 0 };
	int r = check_program(b, &err);

	if (!CHECK(r < 0 && strstr(err.msg, want), "refuses %s", what))
		tap_diag("rc %d, message '%s', wanted '%s'", r, err.msg, want);
}

/* Every opcode once, registers reused after CLOSE, a jump over an entry. */
static void build_all(struct mpb *b)
{
	uint32_t j;

	mpb_init(b, 5, 4);
	b->hdr.plan_root = mpb_str(b, "/run/c1/rootfs");
	MPB_INSN(b, OP_ROOT_BIND, 0);
	MPB_INSN(b, OP_USERNS, 0, 0, mpb_str(b, "0:100000:65536"), mpb_str(b, "0:100000:65536,65536:300000:1"));
	MPB_INSN(b, OP_WAIT_LINK, MP_IF_OPTIONAL, mpb_str(b, "eth0"), 5000, MP_WAIT_NO_CARRIER);
	MPB_INSN(b, OP_WAIT_DEVICE, 0, mpb_str(b, "/dev/disk/by-label/data"), 10000);
	j = MPB_INSN(b, OP_SKIP_UNLESS_EMPTY, 0, mpb_str(b, "/tmp"), 0);
	MPB_INSN(b, OP_MKDIR, 0, mpb_str(b, "/tmp"), 0755);
	MPB_INSN(b, OP_FSOPEN, 0, 1, mpb_str(b, "tmpfs"));
	MPB_INSN(b, OP_FSCONFIG, 0, 1, MP_FSC_STRING, mpb_str(b, "mode"), mpb_str(b, "1777"));
	MPB_INSN(b, OP_FSCONFIG, 0, 1, MP_FSC_FLAG, mpb_str(b, "ro"), 0);
	MPB_INSN(b, OP_FSMOUNT, 0, 2, 1, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	MPB_INSN(b, OP_CLOSE, 0, 1);
	MPB_INSN(b, OP_MOVE, 0, 2, mpb_str(b, "/tmp"));
	MPB_INSN(b, OP_CLOSE, 0, 2);
	b->insns[j].o[1] = b->n_insns; /* jump to the first step after the entry */
	MPB_INSN(b, OP_LOOP_ATTACH, 0, 3, mpb_str(b, "/var/lib/images/data.img"), MP_LOOP_READONLY | MP_LOOP_DIRECT_IO,
		 4096, 0, 0, 1);
	MPB_INSN(b, OP_FSOPEN, 0, 1, mpb_str(b, "ext4"));
	MPB_INSN(b, OP_FSCONFIG_LOOP, 0, 1, mpb_str(b, "source"), 3);
	MPB_INSN(b, OP_FSCONFIG_PATH, MP_IF_SRC_IN_ROOT, 1, mpb_str(b, "journal_path"), mpb_str(b, "/data/journal"));
	MPB_INSN(b, OP_FSMOUNT, 0, 2, 1, MOUNT_ATTR_RDONLY);
	MPB_INSN(b, OP_IDMAP, 0, 2, 0);
	MPB_INSN(b, OP_MOVE, 0, 2, mpb_str(b, "/data"));
	MPB_INSN(b, OP_CLOSE, 0, 2);
	MPB_INSN(b, OP_CLOSE, 0, 1);
	MPB_INSN(b, OP_OPEN_TREE, 0, 2, mpb_str(b, "/var/lib/layers/a"), MP_TREE_RECURSIVE);
	MPB_INSN(b, OP_IDMAP, 0, 2, 0);
	MPB_INSN(b, OP_SETATTR, 0, 2, MOUNT_ATTR_RDONLY, 0, MS_PRIVATE);
	MPB_INSN(b, OP_PARK, 0, 4, 2);
	MPB_INSN(b, OP_CLOSE, 0, 2);
	MPB_INSN(b, OP_FSOPEN, 0, 1, mpb_str(b, "overlay"));
	MPB_INSN(b, OP_FSCONFIG_PARK, 0, 1, mpb_str(b, "lowerdir+"), 4);
	MPB_INSN(b, OP_FSMOUNT, 0, 2, 1, 0);
	MPB_INSN(b, OP_UMOUNT, 0, 4);
	MPB_INSN(b, OP_MKPOINT, 0, mpb_str(b, "/etc/resolv.conf"), mpb_str(b, "/etc/c1/resolv.conf"), 0644);
	MPB_INSN(b, OP_BIND, 0, mpb_str(b, "/etc/c1/resolv.conf"), mpb_str(b, "/etc/resolv.conf"), 0,
		 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME);
	MPB_INSN(b, OP_MOUNT, 0, mpb_str(b, "weirdfs"), mpb_str(b, "/dev/sdb1"), mpb_str(b, "/w"),
		 MS_NOSUID | MS_NODEV, mpb_str(b, "x=1"));
	MPB_INSN(b, OP_MOUNT_HELPER, MP_IF_OPTIONAL, mpb_str(b, "nfs"), mpb_str(b, "fs1:/export"), mpb_str(b, "/srv"),
		 mpb_str(b, "vers=4"));
	MPB_INSN(b, OP_REMOUNT, 0, mpb_str(b, "/srv"), MOUNT_ATTR_RDONLY, 0, MP_TREE_RECURSIVE);
	MPB_INSN(b, OP_PROPAGATE, 0, mpb_str(b, "/srv"), MS_SLAVE, MP_TREE_RECURSIVE);
	MPB_INSN(b, OP_MASK, 0, mpb_str(b, "/proc/kcore"));
	mpb_debug(b, b->n_insns - 1, MP_ENTRY_PLAN, 40, 10);
	MPB_INSN(b, OP_BIND, MP_IF_SRC_IN_ROOT | MP_IF_OPTIONAL, mpb_str(b, "/proc/sys"), mpb_str(b, "/proc/sys"),
		 MP_TREE_RECURSIVE, MOUNT_ATTR_RDONLY, 0);
	MPB_INSN(b, OP_CLOSE, 0, 2);
	MPB_INSN(b, OP_CLOSE, 0, 0);
	MPB_INSN(b, OP_REMOUNT, 0, mpb_str(b, "/"), MOUNT_ATTR_RDONLY, 0, 0);
	MPB_INSN(b, OP_END, 0);
}

/* A small base: FSOPEN r0; FSMOUNT r1, r0; CLOSE r0; MOVE r1; CLOSE r1; END. */
static void build_small(struct mpb *b)
{
	mpb_init(b, 2, 1);
	MPB_INSN(b, OP_FSOPEN, 0, 0, mpb_str(b, "tmpfs"));
	MPB_INSN(b, OP_FSMOUNT, 0, 1, 0, 0);
	MPB_INSN(b, OP_CLOSE, 0, 0);
	MPB_INSN(b, OP_MOVE, 0, 1, mpb_str(b, "/tmp"));
	MPB_INSN(b, OP_CLOSE, 0, 1);
	MPB_INSN(b, OP_END, 0);
}

/* A program of one instruction before END; operands are evaluated after mpb_init. */
#define ONE(b, n_regs, op, flags, ...) \
	do { \
		mpb_init((b), (n_regs), 1); \
		MPB_INSN((b), (op), (flags), __VA_ARGS__); \
		MPB_INSN((b), OP_END, 0); \
	} while (0)

static void test_valid(void)
{
	struct mpb b;

	build_all(&b);
	accepted(&b, "a program using every opcode");
	build_small(&b);
	accepted(&b, "the small base program");
	mpb_init(&b, 0, 0);
	MPB_INSN(&b, OP_END, 0);
	mpb_debug(&b, 0, MP_ENTRY_PLAN, 1, 1);
	accepted(&b, "a program of one END");
}

static void test_encoding(void)
{
	struct mpb b;

	build_small(&b);
	b.insns[3].op = 200;
	refused(&b, "insn 3: unknown opcode 200", "an unknown opcode");

	build_small(&b);
	b.insns[3].op = OP__COUNT;
	refused(&b, "unknown opcode", "the first opcode past the table");

	build_small(&b);
	b.insns[3].flags = 0x80;
	refused(&b, "insn 3 (MOVE): unknown instruction flags 0x80", "unknown instruction flags");

	build_small(&b);
	b.insns[3].zero = 1;
	refused(&b, "insn 3 (MOVE): reserved field", "a nonzero zero field");

	build_small(&b);
	b.insns[3].o[2] = 7;
	refused(&b, "insn 3 (MOVE): operand 2: unused operand is 7", "a nonzero unused operand");

	build_small(&b);
	b.insns[5].o[6] = 1;
	refused(&b, "insn 5 (END): operand 6: unused operand", "a nonzero operand of END");

	build_small(&b);
	b.insns[3].flags = MP_IF_SRC_IN_ROOT;
	refused(&b, "insn 3 (MOVE): flag src-in-root on an opcode without a SRC", "src-in-root without a SRC slot");
}

static void test_end(void)
{
	struct mpb b;

	build_small(&b);
	b.n_insns--; /* drop END */
	refused(&b, "insn 4 (CLOSE): the last instruction is not END", "a program without END");

	build_small(&b);
	b.insns[2] = (struct mp_insn){ .op = OP_END };
	refused(&b, "insn 2 (END): END before the last instruction", "END before the end");
}

static void test_strings(void)
{
	struct mpb b;
	char big[MP_MAX_STRING + 1];

	build_small(&b);
	b.insns[0].o[1] = b.strtab_len;
	refused(&b, "insn 0 (FSOPEN): operand 1: string offset", "a string offset just past the table");

	build_small(&b);
	b.insns[0].o[1] = 0xFFFFFFFFu;
	refused(&b, "outside the string table", "a string offset far outside the table");

	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	build_small(&b);
	b.insns[3].o[1] = mpb_str(&b, big);
	refused(&b, "insn 3 (MOVE): operand 1: string at offset", "a string over MP_MAX_STRING");

	build_small(&b);
	b.insns[0].o[1] = 0;
	refused(&b, "insn 0 (FSOPEN): operand 1: filesystem type is empty", "an empty filesystem type");
}

/* A string running to the end of the table without NUL: the loader refuses
 * such a table, so build the struct program by hand to prove the verifier
 * does not rely on that. */
static void test_unterminated(void)
{
	static const char table[] = "\0plan.yaml\0/tm"; /* no NUL after "/tm" */
	struct mp_insn insns[2] = { { .op = OP_MASK, .o = { 11 } }, { .op = OP_END } };
	struct mp_debug debug[2] = { { 0, 1, 1 }, { 0, 2, 1 } };
	struct program p = {
		.hdr = { .n_insns = 2, .n_entries = 1, .plan_file = 1 },
		.insns = insns,
		.debug = debug,
		.strtab = table,
		.strtab_len = sizeof(table) - 1,
	};
	struct mp_error err = { 0 };
	int r = verify_program(&p, &err);

	if (!CHECK(r < 0 && strstr(err.msg, "insn 0 (MASK): operand 0: string at offset 11 is not NUL-terminated"),
		   "refuses a string not NUL-terminated inside the table"))
		tap_diag("rc %d: %s", r, err.msg);
}

static void test_paths(void)
{
	static const struct {
		const char *path, *want;
	} bad[] = {
		{ "tmp", "'tmp' is not absolute" },
		{ "", "'' is not absolute" },
		{ "/tmp/", "has a trailing '/'" },
		{ "//tmp", "has an empty component" },
		{ "/a//b", "has an empty component" },
		{ "/a/./b", "has a '.' or '..' component" },
		{ "/a/..", "has a '.' or '..' component" },
		{ "/..", "has a '.' or '..' component" },
	};
	static const char *good[] = { "/", "/a", "/a/b.c/..d/.e", "/a/...", "/a b" };
	struct mpb b;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[128];

		build_small(&b);
		b.insns[3].o[1] = mpb_str(&b, bad[i].path);
		snprintf(what, sizeof(what), "target path '%s'", bad[i].path);
		refused(&b, bad[i].want, what);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char what[128];

		build_small(&b);
		b.insns[3].o[1] = mpb_str(&b, good[i]);
		snprintf(what, sizeof(what), "target path '%s'", good[i]);
		accepted(&b, what);
	}

	ONE(&b, 1, OP_OPEN_TREE, 0, 0, mpb_str(&b, "relative/src"), 0);
	refused(&b, "insn 0 (OPEN_TREE): operand 1: source 'relative/src' is not absolute", "a relative host source");
	ONE(&b, 1, OP_OPEN_TREE, MP_IF_SRC_IN_ROOT, 0, mpb_str(&b, "/a/../b"), 0);
	refused(&b, "source (inside the root) '/a/../b' has a '.' or '..'", "a non-normalized in-root source");
	ONE(&b, 0, OP_WAIT_DEVICE, 0, mpb_str(&b, "dev/sda"), 100);
	refused(&b, "insn 0 (WAIT_DEVICE): operand 0: source 'dev/sda' is not absolute", "a relative device path");

	build_small(&b);
	b.hdr.plan_root = mpb_str(&b, "run/c1");
	refused(&b, "plan_root 'run/c1' is not absolute", "a relative plan root");
}

static void test_maps(void)
{
	static const struct {
		const char *map, *want;
	} bad[] = {
		{ "", "id map is empty" },
		{ "0:100000", "is not inside:outside:count" },
		{ "0:100000:65536,", "is not inside:outside:count" },
		{ "0:-1:5", "is not inside:outside:count" },
		{ "0:100000:65536x", "is not inside:outside:count" },
		{ "0:1:0", "range 1 has count 0" },
		{ "0:4294967295:2", "range 1 runs past the largest id" },
		{ "4294967296:0:1", "is not inside:outside:count" },
		{ "0:1000:10,5:5000:10", "range 2 overlaps range 1" },
		{ "0:1000:10,20:1005:10", "range 2 overlaps range 1" },
	};
	struct mpb b;
	char many[MP_MAX_IDMAP_RANGES * 24];
	size_t len = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[128];

		ONE(&b, 1, OP_USERNS, 0, 0, mpb_str(&b, "0:0:1"), mpb_str(&b, bad[i].map));
		snprintf(what, sizeof(what), "gid map '%s'", bad[i].map);
		refused(&b, bad[i].want, what);
	}
	for (unsigned k = 0; k <= MP_MAX_IDMAP_RANGES; k++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "%s%u:%u:1", k ? "," : "", k, 1000 + k);
	ONE(&b, 1, OP_USERNS, 0, 0, mpb_str(&b, "0:0:1"), mpb_str(&b, many));
	refused(&b, "insn 0 (USERNS): operand 2: id map", "an id map over MP_MAX_IDMAP_RANGES ranges");
	many[strrchr(many, ',') - many] = '\0';
	ONE(&b, 1, OP_USERNS, 0, 0, mpb_str(&b, "0:0:1"), mpb_str(&b, many));
	accepted(&b, "an id map of exactly MP_MAX_IDMAP_RANGES ranges");
}

static void test_immediates(void)
{
	struct mpb b;

	mpb_init(&b, 1, 1);
	MPB_INSN(&b, OP_FSOPEN, 0, 0, mpb_str(&b, "tmpfs"));
	MPB_INSN(&b, OP_FSCONFIG, 0, 0, 2, mpb_str(&b, "size"), mpb_str(&b, "1m"));
	MPB_INSN(&b, OP_END, 0);
	refused(&b, "insn 1 (FSCONFIG): operand 1: fsconfig command 2", "an unknown fsconfig command");
	b.insns[1].o[1] = MP_FSC_FLAG;
	refused(&b, "insn 1 (FSCONFIG): operand 3: a flag (MP_FSC_FLAG) takes no value", "a flag with a value");
	b.insns[1].o[1] = MP_FSC_STRING;
	b.insns[1].o[2] = 0;
	refused(&b, "insn 1 (FSCONFIG): operand 2: fsconfig key is empty", "an empty fsconfig key");

	ONE(&b, 1, OP_LOOP_ATTACH, 0, 0, mpb_str(&b, "/img"), 0x08);
	refused(&b, "insn 0 (LOOP_ATTACH): operand 2: loop flags 0x8 have unknown bits", "unknown loop flags");
	ONE(&b, 1, OP_OPEN_TREE, 0, 0, mpb_str(&b, "/src"), 2);
	refused(&b, "insn 0 (OPEN_TREE): operand 2: flags 0x2: only MP_TREE_RECURSIVE", "unknown tree flags");
	ONE(&b, 0, OP_PROPAGATE, 0, mpb_str(&b, "/srv"), MS_SHARED | MS_SLAVE, 0);
	refused(&b, "insn 0 (PROPAGATE): operand 1: propagation", "two propagation types at once");
	ONE(&b, 0, OP_PROPAGATE, 0, mpb_str(&b, "/srv"), 0, 0);
	refused(&b, "insn 0 (PROPAGATE): operand 1: propagation 0x0", "no propagation type");
	ONE(&b, 0, OP_REMOUNT, 0, mpb_str(&b, "/srv"), 0x400, 0, 0);
	refused(&b, "insn 0 (REMOUNT): operand 1: attr set 0x400 has unknown MOUNT_ATTR bits", "unknown attr bits");
	ONE(&b, 0, OP_REMOUNT, 0, mpb_str(&b, "/srv"), MOUNT_ATTR_IDMAP, 0, 0);
	refused(&b, "unknown MOUNT_ATTR bits 0x100000", "MOUNT_ATTR_IDMAP outside the IDMAP opcode");
	ONE(&b, 0, OP_BIND, 0, mpb_str(&b, "/a"), mpb_str(&b, "/b"), 0, MOUNT_ATTR__ATIME, 0);
	refused(&b, "insn 0 (BIND): operand 3: attr set has atime value 0x70", "an invalid atime value");
	ONE(&b, 0, OP_BIND, 0, mpb_str(&b, "/a"), mpb_str(&b, "/b"), 0, 0, 0x80000000u);
	refused(&b, "insn 0 (BIND): operand 4: attr clear 0x80000000", "unknown attr-clear bits");
	ONE(&b, 0, OP_MOUNT, 0, mpb_str(&b, "xfs"), mpb_str(&b, "/dev/sdb"), mpb_str(&b, "/x"), MS_BIND, 0);
	refused(&b, "insn 0 (MOUNT): operand 3: mount flags 0x1000", "MS_BIND in a classic mount");
	ONE(&b, 0, OP_MKDIR, 0, mpb_str(&b, "/x"), 010000);
	refused(&b, "insn 0 (MKDIR): operand 1: mode 010000", "a mode over 07777");
	ONE(&b, 0, OP_WAIT_LINK, 0, mpb_str(&b, "eth0"), MP_MAX_TIMEOUT_MS + 1, 0);
	refused(&b, "insn 0 (WAIT_LINK): operand 1: timeout 3600001 ms is over the limit", "a timeout over the limit");
	ONE(&b, 0, OP_WAIT_DEVICE, 0, mpb_str(&b, "/dev/sda"), MP_MAX_TIMEOUT_MS + 1);
	refused(&b, "insn 0 (WAIT_DEVICE): operand 1: timeout", "a device timeout over the limit");
	ONE(&b, 0, OP_WAIT_DEVICE, MP_IF_SRC_IN_ROOT, mpb_str(&b, "/dev/sda"), 100);
	refused(&b, "insn 0 (WAIT_DEVICE): operand 0: a device to wait for is a host path", "WAIT_DEVICE with src-in-root");
	ONE(&b, 0, OP_WAIT_LINK, 0, mpb_str(&b, "eth0"), 100, 2);
	refused(&b, "insn 0 (WAIT_LINK): operand 2: wait flags 0x2", "unknown wait flags");
	ONE(&b, 0, OP_WAIT_LINK, 0, mpb_str(&b, "a-very-long-interface-name"), 100, 0);
	refused(&b, "insn 0 (WAIT_LINK): operand 0: 'a-very-long-interface-name' is not an interface name",
		"an interface name over IFNAMSIZ");
	mpb_init(&b, 1, 1);
	MPB_INSN(&b, OP_OPEN_TREE, 0, 0, mpb_str(&b, "/s"), 0);
	MPB_INSN(&b, OP_SETATTR, 0, 0, 0, 0, 0x12345);
	MPB_INSN(&b, OP_END, 0);
	refused(&b, "insn 1 (SETATTR): operand 3: propagation 0x12345", "an unknown SETATTR propagation");
}

static void test_jumps(void)
{
	struct mpb b;

	build_small(&b);
	b.n_insns = 0;
	MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, "/tmp"), 0755);
	MPB_INSN(&b, OP_SKIP_UNLESS_EMPTY, 0, mpb_str(&b, "/tmp"), 0);
	MPB_INSN(&b, OP_END, 0);
	refused(&b, "insn 1 (SKIP_UNLESS_EMPTY): operand 1: jump to 0 is not forward", "a backward jump");
	b.insns[1].o[1] = 1;
	refused(&b, "jump to 1 is not forward", "a jump to itself");
	b.insns[1].o[1] = 3;
	refused(&b, "insn 1 (SKIP_UNLESS_EMPTY): operand 1: jump to 3 is out of range (last instruction 2)",
		"a jump past END");
	b.insns[1].o[1] = 0xFFFFFFFFu;
	refused(&b, "out of range", "a jump far out of range");
	b.insns[1].o[1] = 2;
	accepted(&b, "a jump to END");
}

static void test_registers(void)
{
	struct mpb b;

	build_small(&b);
	b.insns[3].o[0] = 2;
	refused(&b, "insn 3 (MOVE): operand 0: register r2 out of range (n_regs 2)", "a register out of range");

	build_small(&b);
	b.insns[0].o[0] = 2;
	refused(&b, "insn 0 (FSOPEN): operand 0: register r2 out of range", "a written register out of range");

	build_small(&b);
	b.insns[1].o[1] = 1;
	refused(&b, "insn 1 (FSMOUNT): operand 1: register r1 read before it is written", "a read before write");

	build_small(&b);
	b.insns[3].o[0] = 0;
	refused(&b, "insn 3 (MOVE): operand 0: register r0 read after it is closed", "a read after CLOSE");

	build_small(&b);
	b.insns[2].o[0] = 1;
	b.insns[4].o[0] = 0;
	refused(&b, "insn 3 (MOVE): operand 0: register r1 read after it is closed", "a read after CLOSE of it");

	build_small(&b);
	b.insns[3].o[0] = 0;
	b.insns[2].o[0] = 1; /* CLOSE the tree, MOVE the fs context */
	refused(&b, "insn 3 (MOVE): operand 0: register r0 read as a mount tree register but holds a filesystem-context register",
		"a register read with the wrong type");

	/* A register written only when the jump is not taken. */
	mpb_init(&b, 2, 1);
	MPB_INSN(&b, OP_SKIP_UNLESS_EMPTY, 0, mpb_str(&b, "/tmp"), 2);
	MPB_INSN(&b, OP_FSOPEN, 0, 0, mpb_str(&b, "tmpfs"));
	MPB_INSN(&b, OP_FSMOUNT, 0, 1, 0, 0);
	MPB_INSN(&b, OP_END, 0);
	refused(&b, "insn 2 (FSMOUNT): operand 1: register r0 is not written (with one type) on every path",
		"a read of a register written on one path only");
	b.insns[0].o[1] = 3;
	accepted(&b, "a jump over both the write and the read");

	/* Written with different types on the two paths. */
	mpb_init(&b, 2, 1);
	MPB_INSN(&b, OP_FSOPEN, 0, 0, mpb_str(&b, "tmpfs"));
	MPB_INSN(&b, OP_SKIP_UNLESS_EMPTY, 0, mpb_str(&b, "/tmp"), 3);
	MPB_INSN(&b, OP_OPEN_TREE, 0, 0, mpb_str(&b, "/src"), 0);
	MPB_INSN(&b, OP_CLOSE, 0, 0);
	MPB_INSN(&b, OP_END, 0);
	refused(&b, "insn 3 (CLOSE): operand 0: register r0 is not written (with one type) on every path",
		"a register typed differently on two paths");
	b.insns[2] = (struct mp_insn){ .op = OP_FSOPEN, .o = { 0, mpb_str(&b, "proc") } };
	accepted(&b, "a register written with the same type on both paths");

	/* Two jumps to one target: the state there is the intersection of all three paths. */
	mpb_init(&b, 3, 1);
	MPB_INSN(&b, OP_FSOPEN, 0, 0, mpb_str(&b, "tmpfs"));
	MPB_INSN(&b, OP_SKIP_UNLESS_EMPTY, 0, mpb_str(&b, "/a"), 5);
	MPB_INSN(&b, OP_FSOPEN, 0, 1, mpb_str(&b, "tmpfs"));
	MPB_INSN(&b, OP_SKIP_UNLESS_EMPTY, 0, mpb_str(&b, "/b"), 5);
	MPB_INSN(&b, OP_FSOPEN, 0, 2, mpb_str(&b, "tmpfs"));
	MPB_INSN(&b, OP_CLOSE, 0, 0);
	MPB_INSN(&b, OP_CLOSE, 0, 1);
	MPB_INSN(&b, OP_END, 0);
	refused(&b, "insn 6 (CLOSE): operand 0: register r1 is not written", "a register skipped by the first of two jumps");
	b.insns[6].o[0] = 0;
	refused(&b, "insn 6 (CLOSE): operand 0: register r0 read after it is closed", "a double CLOSE");

	/* Rewritten after CLOSE: readable again. */
	build_small(&b);
	b.n_insns = 5;
	MPB_INSN(&b, OP_OPEN_TREE, 0, 1, mpb_str(&b, "/src"), 0);
	MPB_INSN(&b, OP_MOVE, 0, 1, mpb_str(&b, "/tmp"));
	MPB_INSN(&b, OP_CLOSE, 0, 1);
	MPB_INSN(&b, OP_END, 0);
	accepted(&b, "a register reused after CLOSE");
}

/* An optional step's failure continues after its entry: an edge with no JUMP. */
static void test_optional(void)
{
	struct mpb b;

	mpb_init(&b, 3, 2);
	MPB_INSN(&b, OP_USERNS, 0, 2, mpb_str(&b, "0:1000:1"), mpb_str(&b, "0:1000:1"));
	mpb_debug(&b, 0, MP_ENTRY_PLAN, 1, 1);
	MPB_INSN(&b, OP_FSOPEN, MP_IF_OPTIONAL, 0, mpb_str(&b, "tmpfs"));
	MPB_INSN(&b, OP_FSMOUNT, MP_IF_OPTIONAL, 1, 0, 0);
	MPB_INSN(&b, OP_CLOSE, MP_IF_OPTIONAL, 0);
	MPB_INSN(&b, OP_IDMAP, MP_IF_OPTIONAL, 1, 2);
	MPB_INSN(&b, OP_MOVE, 0, 1, mpb_str(&b, "/x"));
	mpb_debug(&b, 5, 1, 6, 1);
	MPB_INSN(&b, OP_END, 0);
	mpb_debug(&b, 6, MP_ENTRY_PLAN, 7, 1);
	refused(&b, "insn 5 (MOVE): operand 0: register r1 is not written (with one type) on every path to here "
		    "(a jump or an optional step's failure skips its write)",
		"a read of a register written in an optional entry, after the entry");
	mpb_debug(&b, 5, 0, 6, 1);
	accepted(&b, "the same read inside the optional entry (prologue register read after it too)");

	mpb_init(&b, 1, 1);
	MPB_INSN(&b, OP_OPEN_TREE, MP_IF_OPTIONAL, 0, mpb_str(&b, "/a"), 0);
	mpb_debug(&b, 0, MP_ENTRY_PLAN, 1, 1);
	MPB_INSN(&b, OP_MOVE, 0, 0, mpb_str(&b, "/b"));
	MPB_INSN(&b, OP_END, 0);
	refused(&b, "insn 1 (MOVE): operand 0: register r0 is not written", "a read after an optional top-level step that writes it");
	b.insns[0].flags = 0;
	accepted(&b, "the same without optional");
}

static void test_debug(void)
{
	struct mpb b;

	build_small(&b);
	mpb_debug(&b, 3, 1, 4, 5);
	refused(&b, "insn 3 (MOVE): debug record: entry 1 out of range (n_entries 1)", "a debug entry out of range");
	build_small(&b);
	mpb_debug(&b, 3, 0, 0, 5);
	refused(&b, "insn 3 (MOVE): debug record: line 0", "a debug line 0");
	build_small(&b);
	mpb_debug(&b, 3, MP_ENTRY_PLAN, 4, 5);
	accepted(&b, "a debug record of a top-level key (MP_ENTRY_PLAN)");
}

/* A program built in memory (past the builder's size): n SKIP_UNLESS_EMPTY
 * each jumping to the next instruction, then END. */
static int verify_jumps(uint32_t n, uint32_t n_regs, struct mp_error *err)
{
	static const char table[] = "\0plan.yaml\0/a";
	struct mp_insn *insns = calloc(n + 1, sizeof(*insns));
	struct mp_debug *debug = calloc(n + 1, sizeof(*debug));
	struct program p = {
		.hdr = { .n_insns = n + 1, .n_regs = n_regs, .n_entries = 1, .plan_file = 1 },
		.insns = insns,
		.debug = debug,
		.strtab = table,
		.strtab_len = sizeof(table),
	};
	int r;

	for (uint32_t i = 0; i < n; i++)
		insns[i] = (struct mp_insn){ .op = OP_SKIP_UNLESS_EMPTY, .o = { 11, i + 1 } };
	insns[n] = (struct mp_insn){ .op = OP_END };
	for (uint32_t i = 0; i <= n; i++)
		debug[i] = (struct mp_debug){ 0, 1, 1 };
	r = verify_program(&p, err);
	free(insns);
	free(debug);
	return r;
}

static void test_limits(void)
{
	struct mp_error err = { 0 };
	struct timespec t0, t1;
	int r;

	r = verify_jumps(40000, MP_MAX_REGS, &err);
	if (!CHECK(r < 0 && strstr(err.msg, "program too complex to verify: 40000 jumps and optional steps over 65536 registers"),
		   "refuses a program whose jumps x registers exceed MP_MAX_VERIFY_WORK"))
		tap_diag("rc %d: %s", r, err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = verify_jumps(1000000, 16, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!CHECK(r == 0, "accepts a million jumps over 16 registers"))
		tap_diag("%s", err.msg);
	tap_diag("verify of 1000001 instructions: %.1f ms",
		 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
}

int main(void)
{
	tap_plan(0);
	test_valid();
	test_encoding();
	test_end();
	test_strings();
	test_unterminated();
	test_paths();
	test_maps();
	test_immediates();
	test_jumps();
	test_registers();
	test_optional();
	test_debug();
	test_limits();
	return tap_done();
}
