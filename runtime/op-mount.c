/* runtime/op-mount.c — placeholder until its issue lands. */
typedef int mp_placeholder_op_mount;
