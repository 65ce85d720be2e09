/*
 * bytecode.h — the mountplan bytecode file (.mpb): the contract between
 * the compiler (compiler/write.c) and the executor (runtime/load.c,
 * runtime/verify.c).  Writer and reader are mirror images; the round-trip
 * test (tests/unit/test-bytecode.c) pins them together.
 *
 * All integers are little-endian.  Sections follow each other in this order
 * with no gaps; every offset is from the start of the file.
 *
 *   0                96            insn_off + 32*n_insns
 *   +----------------+-------------+------------------+-----------+-------+
 *   | header (96 B)  | insns       | debug records    | strtab    | crc32 |
 *   |                | 32 B each   | 12 B each,       | strtab_len| 4 B   |
 *   |                |             | one per insn     | bytes     |       |
 *   +----------------+-------------+------------------+-----------+-------+
 *                                                                 file_size
 *
 * Header (struct mp_header, 96 bytes):
 *
 *   off  size  field
 *     0     8  magic         "MPLANBC\n"
 *     8     4  version       MP_FORMAT_VERSION; anything else is refused
 *    12     4  flags         MP_HF_* bits; unknown bits are refused
 *    16     4  file_size     total bytes, including the trailing crc32
 *    20     4  n_insns       >= 1; the last instruction is END
 *    24     4  n_regs        registers used (<= MP_MAX_REGS)
 *    28     4  n_entries     plan entries the debug records refer to
 *    32     4  insn_off      == MP_HEADER_SIZE
 *    36     4  debug_off     == insn_off + 32 * n_insns
 *    40     4  strtab_off    == debug_off + 12 * n_insns
 *    44     4  strtab_len    >= 1; strtab[0] == '\0' (offset 0 is "")
 *    48     4  plan_file     strtab offset: the plan's file name
 *    52     4  plan_root     strtab offset: the plan's `root:` ("" if none)
 *    56    32  plan_sha256   SHA-256 of the plan file's bytes
 *    88     8  reserved      must be 0
 *
 * Instruction (struct mp_insn, 32 bytes):
 *
 *    byte 0    1    2    3    4 ........ 8 ........ ... 28 ....... 32
 *        +----+----+---------+----------+----------+---+----------+
 *        | op |flg | 0 (u16) |  o[0]    |  o[1]    |...|  o[6]    |
 *        +----+----+---------+----------+----------+---+----------+
 *
 *   op     enum op, the row number in opcodes.def
 *   flg    MP_IF_* bits
 *   o[i]   32-bit operand whose meaning is the row's kind K_i; unused = 0
 *
 * Debug record (struct mp_debug, 12 bytes): the plan entry (0-based index
 * into `mounts`, or MP_ENTRY_PLAN for steps from top-level keys such as
 * readonly_root, masked, readonly) and the 1-based line and column in the
 * plan file of the YAML node that produced the instruction.
 *
 * String table: NUL-terminated strings, deduplicated by the compiler; every
 * string operand is an offset whose string ends (NUL) inside the table.
 *
 * crc32: CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320, init and xorout
 * 0xFFFFFFFF; "123456789" -> 0xCBF43926) of bytes [0, file_size - 4).
 *
 * Execution model: instructions run in order from 0 to END.  A step is one
 * instruction.  Registers hold kernel objects (fds, loop numbers) written
 * by exactly the instructions whose operand kind is W*; the verifier proves
 * every read happens after a write on every path (jumps only go forward).
 * An instruction with MP_IF_OPTIONAL that fails, or a WAIT_* that times out
 * in it, undoes the steps of its plan entry done so far and continues after
 * the entry's last instruction (the debug records' entry field names the
 * group).
 */
#ifndef MOUNTPLAN_BYTECODE_H
#define MOUNTPLAN_BYTECODE_H

#include <stdint.h>

#define MP_MAGIC "MPLANBC\n"
#define MP_MAGIC_LEN 8
#define MP_FORMAT_VERSION 1u
#define MP_HEADER_SIZE 96u
#define MP_INSN_SIZE 32u
#define MP_DEBUG_SIZE 12u
#define MP_NOPERANDS 7
#define MP_ENTRY_PLAN 0xFFFFFFFFu /* debug entry of a step made from a top-level key */

/* Operand kinds.  The order is not part of the file format. */
#define MP_OPND_KINDS(X) \
	X(NONE) X(STR) X(PATH) X(SRC) X(MAP) X(U32) X(LO) X(HI) X(JUMP) \
	X(WLOOP) X(RLOOP) X(WUSERNS) X(RUSERNS) X(WTREE) X(RTREE) \
	X(WFS) X(RFS) X(WPARK) X(RPARK) X(RANY)

enum opnd_kind {
#define MP_KIND_ENUM(k) K_##k,
	MP_OPND_KINDS(MP_KIND_ENUM)
#undef MP_KIND_ENUM
	K__COUNT
};

/* What rollback does for a completed step. */
#define MP_UNDO_KINDS(X) \
	X(UNDO_NONE) X(UNDO_REMOVE_CREATED) X(UNDO_LOOP_DETACH) \
	X(UNDO_CLOSE) X(UNDO_UMOUNT) X(UNDO_RESTORE_ATTR) X(UNDO_RESTORE_PROPAGATION)

enum undo_kind {
#define MP_UNDO_ENUM(u) u,
	MP_UNDO_KINDS(MP_UNDO_ENUM)
#undef MP_UNDO_ENUM
	UNDO__COUNT
};

enum op {
#define OP(name, k0, k1, k2, k3, k4, k5, k6, undo, syn) OP_##name,
#include "opcodes.def"
#undef OP
	OP__COUNT
};

_Static_assert(OP__COUNT <= 255, "opcode must fit in one byte");

/* Instruction flags (mp_insn.flags). */
#define MP_IF_OPTIONAL 0x01u    /* failure skips the rest of this plan entry */
#define MP_IF_SRC_IN_ROOT 0x02u /* the SRC operand is a path inside the root */
#define MP_IF_KNOWN (MP_IF_OPTIONAL | MP_IF_SRC_IN_ROOT)

/* Header flags (mp_header.flags).  None defined in version 1. */
#define MP_HF_KNOWN 0u

/* U32 operand values shared by both sides. */
#define MP_TREE_RECURSIVE 0x01u /* OPEN_TREE, BIND, REMOUNT, PROPAGATE: whole subtree */
#define MP_FSC_FLAG 0u          /* FSCONFIG cmd: FSCONFIG_SET_FLAG, value must be "" */
#define MP_FSC_STRING 1u        /* FSCONFIG cmd: FSCONFIG_SET_STRING */
#define MP_WAIT_NO_CARRIER 0x01u /* WAIT_LINK: admin-up is enough */
#define MP_LOOP_READONLY 0x01u  /* LOOP_ATTACH flags */
#define MP_LOOP_DIRECT_IO 0x02u
#define MP_LOOP_AUTOCLEAR 0x04u
#define MP_LOOP_KNOWN 0x07u

struct mp_header {
	char magic[MP_MAGIC_LEN];
	uint32_t version;
	uint32_t flags;
	uint32_t file_size;
	uint32_t n_insns;
	uint32_t n_regs;
	uint32_t n_entries;
	uint32_t insn_off;
	uint32_t debug_off;
	uint32_t strtab_off;
	uint32_t strtab_len;
	uint32_t plan_file;
	uint32_t plan_root;
	uint8_t plan_sha256[32];
	uint8_t reserved[8];
};
_Static_assert(sizeof(struct mp_header) == MP_HEADER_SIZE, "header layout");

struct mp_insn {
	uint8_t op;
	uint8_t flags;
	uint16_t zero;
	uint32_t o[MP_NOPERANDS];
};
_Static_assert(sizeof(struct mp_insn) == MP_INSN_SIZE, "insn layout");

struct mp_debug {
	uint32_t entry;
	uint32_t line;
	uint32_t col;
};
_Static_assert(sizeof(struct mp_debug) == MP_DEBUG_SIZE, "debug layout");

/* The file is little-endian and read with memcpy into these structs. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "mountplan reads the bytecode in host order: little-endian hosts only");

#endif
