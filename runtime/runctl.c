/* runtime/runctl.c — placeholder, written next by the journal part. */
typedef int mp_placeholder_runctl;
