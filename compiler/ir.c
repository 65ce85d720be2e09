/* compiler/ir.c — placeholder until its issue lands. */
typedef int mp_placeholder_ir;
