/* compiler/sha256.c — placeholder until its issue lands. */
typedef int mp_placeholder_sha256;
