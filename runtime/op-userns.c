/* runtime/op-userns.c — placeholder until its issue lands. */
typedef int mp_placeholder_op_userns;
