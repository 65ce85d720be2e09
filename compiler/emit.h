/*
 * emit.h — lowering expanded steps to instructions: the string table,
 * register allocation, jump resolution and the limits of schema/limits.h.
 *
 * expand.c produces `struct step`s whose string operands are already
 * string-table offsets, whose register operands are virtual registers
 * (one per value written), and whose JUMP operand counts steps from the
 * start of its graph node.  emit.c lays the nodes out in sorted order,
 * maps virtual registers to the fewest real ones (a register is free again
 * after its CLOSE) and produces the instruction and debug arrays that
 * write.c puts in the file.
 */
#ifndef MOUNTPLAN_EMIT_H
#define MOUNTPLAN_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "bytecode.h"
#include "diag.h"

/* NUL-terminated strings, deduplicated; offset 0 is "". */
struct strtab {
	char *buf;
	size_t len, cap;
	uint32_t *slots; /* open addressing: offset + 1, 0 = empty */
	size_t mask, n;
	size_t too_long; /* longest string refused for being over MP_MAX_STRING, 0 if none */
};

int strtab_init(struct strtab *t);
void strtab_free(struct strtab *t);

/*
 * Intern s; *ret_off gets its offset.  Returns 0, -ENOMEM, or -E2BIG for a
 * string over MP_MAX_STRING bytes (remembered in too_long; offset 0 given).
 */
int strtab_intern(struct strtab *t, const char *s, uint32_t *ret_off);

/* One instruction before register allocation and layout. */
struct step {
	uint8_t op;    /* enum op */
	uint8_t flags; /* MP_IF_* */
	uint32_t o[MP_NOPERANDS];
	uint32_t entry, line, col;
};

/* Steps in fixed-size blocks: appending never copies, and never over-allocates by more than a block. */
#define STEP_BLOCK 16384u
struct step_list {
	struct step **blocks;
	size_t n, n_blocks;
};

/* Append a step; returns its index, or -ENOMEM. */
int step_add(struct step_list *l, const struct step *s);
void step_list_free(struct step_list *l);

static inline struct step *step_at(const struct step_list *l, size_t i)
{
	return &l->blocks[i / STEP_BLOCK][i % STEP_BLOCK];
}

/*
 * The program as it goes into the file.  emit.c allocates the whole file
 * (its size is known once the steps and strings are) and writes the
 * instructions and debug records in place; write.c adds header, string
 * table and checksum: no copy of the largest sections, no second buffer.
 */
struct image {
	uint8_t *file;           /* the whole file, owned; NULL after write_image took it */
	size_t file_size;
	struct mp_insn *insns;   /* inside file, at MP_HEADER_SIZE */
	struct mp_debug *debug;  /* inside file, after the instructions */
	uint32_t n_insns, n_regs, n_entries;
	uint32_t plan_file, plan_root; /* string offsets */
	uint8_t plan_sha256[32];
	const struct strtab *strtab;
};

struct graph;
struct expansion;

/*
 * Lay out prologue, the nodes in `order`, a CLOSE for each user-namespace
 * register after the last node reading it, and the epilogue; allocate
 * registers.  Returns 0, -1 with E502 in sink, or -ENOMEM.
 */
int emit_program(const struct graph *g, const uint32_t *order, const struct expansion *x, struct image *img,
		 struct diag_sink *sink);
void image_free(struct image *img);

#endif
