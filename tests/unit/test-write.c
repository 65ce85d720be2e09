/*
 * test-write.c — the writer produces exactly the layout of
 * schema/bytecode.h: read back byte by byte here (little-endian header
 * fields, section offsets, instruction and debug encodings, string table,
 * crc32), then through the reader (runtime/load.c) as the executor would.
 * back_compile, the whole back end in one call, gives the same bytes.
 */
#include <stdio.h>

#include "back-ir.h"
#include "crc32.h"
#include "tap.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void build(struct ir_plan *p)
{
	struct ir_entry *e;

	tb_plan(p, 4);
	p->root = tb_strdup("/run/c1/rootfs");
	e = tb_entry(p, "tmpfs", "/tmp", 4);
	tb_data(e, "mode=1777");
	e->optional = true;
	e = tb_entry(p, "bind", "/etc/hosts", 9);
	tb_source(e, "/etc/c1/hosts", false);
	tb_ro(e);
}

int main(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct diag_sink sink;
	const uint8_t *b;
	uint32_t n, debug_off, strtab_off, strtab_len, size;
	uint8_t *bytes = NULL;
	size_t len = 0;

	tap_plan(0);
	build(&p);
	diag_sink_init(&sink, "plan.yaml");
	if (!CHECK(tb_compile(&p, &sink, &o) == 0, "compiles"))
		return tap_done();
	b = o.bytes;
	n = o.img.n_insns;
	CHECK_STR(tb_ops(&o.img), "ROOT_BIND MKDIR FSOPEN FSCONFIG FSCONFIG FSMOUNT CLOSE MOVE CLOSE MKPOINT BIND END", "program");

	/* Header, field by field at its documented offset. */
	CHECK(memcmp(b, "MPLANBC\n", 8) == 0, "magic");
	CHECK_INT(le32(b + 8), MP_FORMAT_VERSION, "version");
	CHECK_INT(le32(b + 12), 0, "flags");
	size = le32(b + 16);
	CHECK_INT(size, o.len, "file_size is the length");
	CHECK_INT(le32(b + 20), 12, "n_insns");
	CHECK_INT(le32(b + 24), 2, "n_regs");
	CHECK_INT(le32(b + 28), 2, "n_entries");
	CHECK_INT(le32(b + 32), 96, "insn_off");
	debug_off = le32(b + 36);
	strtab_off = le32(b + 40);
	strtab_len = le32(b + 44);
	CHECK_INT(debug_off, 96 + 32 * n, "debug_off follows the instructions");
	CHECK_INT(strtab_off, debug_off + 12 * n, "strtab_off follows the debug records");
	CHECK_INT(strtab_off + strtab_len + 4, size, "crc32 follows the string table, then the file ends");
	CHECK(strtab_len >= 1 && b[strtab_off] == 0, "string table starts with \"\"");
	CHECK(b[strtab_off + strtab_len - 1] == 0, "string table ends with a NUL");
	CHECK_STR((const char *)b + strtab_off + le32(b + 48), "plan.yaml", "plan_file");
	CHECK_STR((const char *)b + strtab_off + le32(b + 52), "/run/c1/rootfs", "plan_root");
	CHECK(b[56] == 0xa0 && b[87] == 0xa0 + 31, "plan_sha256 copied from the IR");
	CHECK(le32(b + 88) == 0 && le32(b + 92) == 0, "reserved is zero");

	/* Instruction 0 (ROOT_BIND), 1 (MKDIR "/tmp", 0755) and 10 (BIND ..., ro) byte by byte. */
	CHECK(b[96] == OP_ROOT_BIND && b[97] == 0 && le32(b + 100) == 0, "insn 0: the run's own root mount");
	CHECK(b[128] == OP_MKDIR && b[129] == MP_IF_OPTIONAL && b[130] == 0 && b[131] == 0, "insn 1: op, flags, zero");
	CHECK_STR((const char *)b + strtab_off + le32(b + 132), "/tmp", "insn 1 operand 0 is a string offset");
	CHECK_INT(le32(b + 136), 0755, "insn 1 operand 1");
	CHECK(le32(b + 140) == 0 && le32(b + 156) == 0, "unused operands are 0");
	CHECK(b[96 + 32 * 10] == OP_BIND && b[97 + 32 * 10] == 0, "insn 10 is a plain BIND");
	CHECK_INT(le32(b + 96 + 32 * 10 + 4 + 12), MOUNT_ATTR_RDONLY, "insn 10 attr_set");
	CHECK(b[96 + 32 * 11] == OP_END, "last insn is END");

	/* Debug records. */
	CHECK_INT(le32(b + debug_off), MP_ENTRY_PLAN, "debug 0: ROOT_BIND belongs to the plan");
	CHECK(le32(b + debug_off + 12) == 0 && le32(b + debug_off + 12 + 4) == 5 && le32(b + debug_off + 12 + 8) == 13,
	      "debug 1: entry 0 at 5:13");
	CHECK(le32(b + debug_off + 12 * 10) == 1 && le32(b + debug_off + 12 * 10 + 4) == 9,
	      "debug 10: entry 1 at line 9");
	CHECK_INT(le32(b + debug_off + 12 * 11), MP_ENTRY_PLAN, "END's debug entry is the plan");

	/* Checksum. */
	CHECK_INT(le32(b + size - 4), crc32_bytes(b, size - 4), "crc32 of everything before it");
	CHECK_INT(crc32_bytes("123456789", 9), 0xCBF43926u, "crc32 check value");

	/* The reader agrees. */
	if (!CHECK(o.r_load == 0, "runtime/load.c loads it"))
		tap_diag("%s", o.err.msg);
	if (!CHECK(o.r_verify == 0, "runtime/verify.c accepts it"))
		tap_diag("%s", o.err.msg);
	if (o.r_load == 0)
		CHECK(o.prog.hdr.n_insns == n && o.prog.hdr.n_regs == 2 && o.prog.insns[5].op == OP_FSMOUNT,
		      "the loaded program matches");
	{
		struct program bad;
		struct mp_error err;
		uint8_t *copy = malloc(o.len);

		memcpy(copy, o.bytes, o.len);
		copy[100] ^= 1;
		CHECK(program_load_bytes(copy, o.len, &bad, &err) < 0, "a flipped bit is refused by the crc");
		free(copy);
	}

	/* back_compile: the same bytes in one call. */
	CHECK(back_compile(&p, &sink, &bytes, &len) == 0, "back_compile succeeds");
	CHECK(len == o.len && bytes && memcmp(bytes, o.bytes, len) == 0, "back_compile gives the same bytes");
	free(bytes);
	CHECK(back_check(&p, &sink) == 0 && sink.n_errors == 0, "back_check: no problem in a good plan");
	{
		struct ir_plan c;
		struct diag_sink cs;
		struct ir_entry *e;

		tb_plan(&c, 2);
		e = tb_entry(&c, "tmpfs", "/a", 3);
		tb_after(e, "/b");
		e = tb_entry(&c, "tmpfs", "/b", 6);
		tb_after(e, "/a");
		diag_sink_init(&cs, "plan.yaml");
		CHECK(back_check(&c, &cs) == -1 && tb_has_diag(&cs, "E500", "'/a' (line 3) -> '/b' (line 6)"),
		      "back_check reports a cycle");
		bytes = NULL;
		CHECK(back_compile(&c, &cs, &bytes, &len) == -1 && bytes == NULL, "back_compile makes no bytes for it");
		diag_sink_free(&cs);
		ir_plan_free(&c);
	}

	tb_out_free(&o);
	diag_sink_free(&sink);
	ir_plan_free(&p);
	return tap_done();
}
