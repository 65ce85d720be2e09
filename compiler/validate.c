/* compiler/validate.c — placeholder until its issue lands. */
typedef int mp_placeholder_validate;
