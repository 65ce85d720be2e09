/*
 * mpb-builder.h — hand-assembles .mpb bytecode for the reader's unit tests,
 * independent of the compiler, so each test can start from a valid program
 * and break exactly one rule (a header field, a section, one operand).
 *
 *   struct mpb b;
 *   mpb_init(&b, 2, 1);                              // n_regs, n_entries
 *   MPB_INSN(&b, OP_FSOPEN, 0, 0, mpb_str(&b, "tmpfs"));
 *   MPB_INSN(&b, OP_END, 0);
 *   size_t len; uint8_t *bytes = mpb_bytes(&b, &len); // header, crc filled in
 *
 * Every instruction gets the debug record {entry 0, line = index + 1, col 1}
 * unless mpb_debug() changes it.
 */
#ifndef MOUNTPLAN_MPB_BUILDER_H
#define MOUNTPLAN_MPB_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "bytecode.h"

#define MPB_MAX_INSNS 256
#define MPB_MAX_STRTAB 16384

struct mpb {
	struct mp_header hdr;  /* n_regs, n_entries, plan_*, sha256 as the test wants; the rest computed */
	struct mp_insn insns[MPB_MAX_INSNS];
	struct mp_debug debug[MPB_MAX_INSNS];
	uint32_t n_insns;
	char strtab[MPB_MAX_STRTAB];
	uint32_t strtab_len;
};

/* An empty program: strtab "" and "plan.yaml" (the plan_file), no instructions. */
void mpb_init(struct mpb *b, uint32_t n_regs, uint32_t n_entries);

/* Offset of s in the string table, adding it (deduplicated) if needed. */
uint32_t mpb_str(struct mpb *b, const char *s);

/* Append raw bytes to the string table (no NUL added); returns their offset. */
uint32_t mpb_raw(struct mpb *b, const void *data, size_t len);

/* Append an instruction; returns its index.  Operands beyond n are 0. */
uint32_t mpb_insn(struct mpb *b, enum op op, uint8_t flags, int n, const uint32_t *o);

#define MPB_INSN(b, op, flags, ...) \
	mpb_insn((b), (op), (flags), (int)(sizeof((uint32_t[]){ 0, ##__VA_ARGS__ }) / sizeof(uint32_t)) - 1, \
		 (const uint32_t[]){ 0, ##__VA_ARGS__ } + 1)

/* Set the debug record of instruction i. */
void mpb_debug(struct mpb *b, uint32_t i, uint32_t entry, uint32_t line, uint32_t col);

/* The file: header fields computed, crc32 appended.  malloc'd; *len set. */
uint8_t *mpb_bytes(struct mpb *b, size_t *len);

/* Store a little-endian u32 at off and recompute the trailing crc32 (for tampering one field). */
void mpb_poke32(uint8_t *bytes, size_t len, size_t off, uint32_t v);

/* Recompute the crc32 of a tampered buffer. */
void mpb_fix_crc(uint8_t *bytes, size_t len);

/* Offset of instruction i's operand slot in the file. */
size_t mpb_operand_off(uint32_t i, int slot);

#endif
