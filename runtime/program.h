/*
 * program.h — a loaded bytecode program (see schema/bytecode.h for the
 * file).  load.c fills it from bytes after checking the header, section
 * bounds and checksum; verify.c proves the instructions safe to run.  Only
 * a program that passed both is given to the interpreter or disassembler.
 */
#ifndef MOUNTPLAN_PROGRAM_H
#define MOUNTPLAN_PROGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bytecode.h"
#include "error.h"

struct program {
	uint8_t *bytes;          /* the whole file, owned */
	size_t size;
	struct mp_header hdr;    /* copied out of bytes */
	struct mp_insn *insns;   /* n_insns, copied (aligned) out of bytes, owned */
	struct mp_debug *debug;  /* n_insns, owned */
	const char *strtab;      /* points into bytes */
	uint32_t strtab_len;
};

/* Read a .mpb file (refusing one over MP_MAX_BYTECODE_BYTES before reading it all) and load it. */
int program_load_file(const char *path, struct program *ret, struct mp_error *err);

/* Check magic, version, sizes, section layout and crc32; copy sections out. Takes a copy of buf. */
int program_load_bytes(const uint8_t *buf, size_t len, struct program *ret, struct mp_error *err);

void program_free(struct program *p);

/* The string at a verified offset. */
static inline const char *program_str(const struct program *p, uint32_t off)
{
	return p->strtab + off;
}

/* Prove every instruction well-formed (opcodes.def kinds); no syscall is made. */
int verify_program(const struct program *p, struct mp_error *err);

/* The table-driven facts about an opcode. */
const char *op_name(enum op op);
enum opnd_kind op_operand_kind(enum op op, int slot);
enum undo_kind op_undo(enum op op);
const char *op_synopsis(enum op op);

/*
 * Print every instruction: index, name, operands decoded by kind (strings
 * quoted, registers as rN, flags and attrs as words, jumps as targets) and
 * the plan file:line:col of its debug record.  The program must be verified.
 */
void disasm_print(FILE *out, const struct program *p);

/* Print one instruction (no newline) in the same form. */
void disasm_print_insn(FILE *out, const struct program *p, uint32_t index);

#endif
