/* runtime/op-wait.c — placeholder until its issue lands. */
typedef int mp_placeholder_op_wait;
