/*
 * test-disasm.c — the disassembler (runtime/disasm.c) against a golden
 * listing of a program using every opcode: header block, every operand
 * kind, U32 immediates as words, LO/HI as one number, jumps, flags and debug
 * comments.  The listing is what `mplan disasm` prints, so a change here is
 * a user-visible change.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "mpb-builder.h"
#include "program.h"
#include "tap.h"

static const char golden[] =
#include "disasm-golden.inc"
	;

static void build(struct mpb *b)
{
	uint32_t j;

	mpb_init(b, 6, 3);
	b->hdr.plan_root = mpb_str(b, "/run/c1/rootfs");
	MPB_INSN(b, OP_ROOT_BIND, 0);
	mpb_debug(b, 0, MP_ENTRY_PLAN, 3, 1);
	MPB_INSN(b, OP_USERNS, 0, 0, mpb_str(b, "0:100000:65536"), mpb_str(b, "0:100000:65536"));
	MPB_INSN(b, OP_WAIT_LINK, MP_IF_OPTIONAL, mpb_str(b, "eth0"), 5000, MP_WAIT_NO_CARRIER);
	MPB_INSN(b, OP_WAIT_DEVICE, 0, mpb_str(b, "/dev/disk/by-label/data"), 10000);
	j = MPB_INSN(b, OP_SKIP_UNLESS_EMPTY, 0, mpb_str(b, "/tmp"), 0);
	MPB_INSN(b, OP_MKDIR, 0, mpb_str(b, "/tmp"), 0755);
	MPB_INSN(b, OP_FSOPEN, 0, 1, mpb_str(b, "tmpfs"));
	MPB_INSN(b, OP_FSCONFIG, 0, 1, MP_FSC_STRING, mpb_str(b, "mode"), mpb_str(b, "1777"));
	MPB_INSN(b, OP_FSCONFIG, 0, 1, MP_FSC_FLAG, mpb_str(b, "ro"), 0);
	MPB_INSN(b, OP_FSMOUNT, 0, 2, 1, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	MPB_INSN(b, OP_CLOSE, 0, 1);
	MPB_INSN(b, OP_MOVE, 0, 2, mpb_str(b, "/tmp"));
	MPB_INSN(b, OP_CLOSE, 0, 2);
	b->insns[j].o[1] = b->n_insns;
	MPB_INSN(b, OP_LOOP_ATTACH, 0, 3, mpb_str(b, "/var/lib/images/data.img"),
		 MP_LOOP_READONLY | MP_LOOP_DIRECT_IO | MP_LOOP_AUTOCLEAR, 4096, 0, 0, 1);
	MPB_INSN(b, OP_FSOPEN, 0, 1, mpb_str(b, "ext4"));
	MPB_INSN(b, OP_FSCONFIG_LOOP, 0, 1, mpb_str(b, "source"), 3);
	MPB_INSN(b, OP_FSMOUNT, 0, 2, 1, MOUNT_ATTR_RDONLY);
	MPB_INSN(b, OP_IDMAP, 0, 2, 0);
	MPB_INSN(b, OP_SETATTR, 0, 2, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME, MS_PRIVATE);
	MPB_INSN(b, OP_MOVE, 0, 2, mpb_str(b, "/data"));
	MPB_INSN(b, OP_MKPOINT, 0, mpb_str(b, "/etc/resolv.conf"), mpb_str(b, "/data/etc/resolv.conf"), 0644);
	MPB_INSN(b, OP_BIND, MP_IF_SRC_IN_ROOT, mpb_str(b, "/data/etc/resolv.conf"), mpb_str(b, "/etc/resolv.conf"),
		 MP_TREE_RECURSIVE, MOUNT_ATTR_RDONLY, 0);
	MPB_INSN(b, OP_MOUNT, 0, mpb_str(b, "weird\"fs"), mpb_str(b, "/dev/sdb1"), mpb_str(b, "/w"),
		 MS_NOSUID | MS_NODEV, mpb_str(b, "a=b\tc"));
	MPB_INSN(b, OP_PROPAGATE, 0, mpb_str(b, "/w"), MS_SLAVE, 0);
	MPB_INSN(b, OP_MASK, 0, mpb_str(b, "/proc/kcore"));
	mpb_debug(b, b->n_insns - 1, MP_ENTRY_PLAN, 40, 10);
	MPB_INSN(b, OP_OPEN_TREE, 0, 4, mpb_str(b, "/layers/a"), MP_TREE_RECURSIVE);
	MPB_INSN(b, OP_PARK, 0, 5, 4);
	MPB_INSN(b, OP_CLOSE, 0, 4);
	MPB_INSN(b, OP_FSOPEN, 0, 4, mpb_str(b, "overlay"));
	MPB_INSN(b, OP_FSCONFIG_PARK, 0, 4, mpb_str(b, "lowerdir+"), 5);
	MPB_INSN(b, OP_FSCONFIG_PATH, MP_IF_SRC_IN_ROOT, 4, mpb_str(b, "upperdir"), mpb_str(b, "/data/upper"));
	MPB_INSN(b, OP_UMOUNT, 0, 5);
	MPB_INSN(b, OP_CLOSE, 0, 4);
	MPB_INSN(b, OP_MOUNT_HELPER, MP_IF_OPTIONAL, mpb_str(b, "fuse.sshfs"), mpb_str(b, "u@h:/srv"),
		 mpb_str(b, "/remote"), mpb_str(b, "allow_other"));
	mpb_debug(b, b->n_insns - 1, 2, 30, 5);
	MPB_INSN(b, OP_CLOSE, 0, 2);
	MPB_INSN(b, OP_REMOUNT, 0, mpb_str(b, "/"), MOUNT_ATTR_RDONLY, 0, 0);
	mpb_debug(b, b->n_insns - 1, MP_ENTRY_PLAN, 3, 1);
	MPB_INSN(b, OP_END, 0);
	mpb_debug(b, b->n_insns - 1, MP_ENTRY_PLAN, 1, 1);
}

int main(void)
{
	struct mpb b;
	struct program p = { 0 };
	struct mp_error err = { 0 };
	char *text = NULL, *one = NULL;
	size_t text_len = 0, one_len = 0;
	size_t len;
	uint8_t *bytes;
	FILE *f;
	int r;

	tap_plan(4);
	build(&b);
	bytes = mpb_bytes(&b, &len);
	r = program_load_bytes(bytes, len, &p, &err);
	if (r == 0)
		r = verify_program(&p, &err);
	if (!CHECK(r == 0, "the golden program loads and verifies"))
		tap_diag("%s", err.msg);
	free(bytes);
	if (r < 0)
		return tap_done();

	f = open_memstream(&text, &text_len);
	disasm_print(f, &p);
	fclose(f);
	if (!CHECK_STR(text, golden, "disasm_print matches tests/unit/disasm-golden.inc"))
		fputs(text, stderr);

	f = open_memstream(&one, &one_len);
	disasm_print_insn(f, &p, 11);
	fclose(f);
	CHECK(strchr(one, '\n') == NULL, "disasm_print_insn prints no newline");
	CHECK(strstr(text, one) != NULL && strstr(one, "MOVE") && strstr(one, "r2, \"/tmp\""),
	      "disasm_print_insn prints the same line as disasm_print");
	free(text);
	free(one);
	program_free(&p);
	return tap_done();
}
