/*
 * optable.c — names, operand kinds, undo kinds and synopses of every
 * opcode, expanded from schema/opcodes.def.
 */
#include "program.h"

struct op_info {
	const char *name;
	enum opnd_kind kinds[MP_NOPERANDS];
	enum undo_kind undo;
	const char *synopsis;
};

static const struct op_info op_table[OP__COUNT] = {
#define OP(name, k0, k1, k2, k3, k4, k5, k6, undo, syn) \
	[OP_##name] = { #name, { K_##k0, K_##k1, K_##k2, K_##k3, K_##k4, K_##k5, K_##k6 }, undo, syn },
#include "opcodes.def"
#undef OP
};

const char *op_name(enum op op)
{
	return (unsigned)op < OP__COUNT ? op_table[op].name : "?";
}

enum opnd_kind op_operand_kind(enum op op, int slot)
{
	if ((unsigned)op >= OP__COUNT || slot < 0 || slot >= MP_NOPERANDS)
		return K_NONE;
	return op_table[op].kinds[slot];
}

enum undo_kind op_undo(enum op op)
{
	return (unsigned)op < OP__COUNT ? op_table[op].undo : UNDO_NONE;
}

const char *op_synopsis(enum op op)
{
	return (unsigned)op < OP__COUNT ? op_table[op].synopsis : "";
}
