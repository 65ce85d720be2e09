/* compiler/options.c — placeholder until its issue lands. */
typedef int mp_placeholder_options;
