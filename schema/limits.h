/*
 * limits.h — every size limit of mountplan in one place.  The compiler
 * enforces them when it writes, the verifier when it reads, the importers
 * and the journal reader when they parse.
 */
#ifndef MOUNTPLAN_LIMITS_H
#define MOUNTPLAN_LIMITS_H

#define MP_MAX_PLAN_BYTES (64u << 20)      /* a plan file larger is refused before parsing */
#define MP_MAX_BYTECODE_BYTES (256u << 20) /* a .mpb larger is refused before reading it all */
#define MP_MAX_INSNS 4000000u               /* instructions in one program */
#define MP_MAX_ENTRIES 1000000u             /* mounts in one plan */
#define MP_MAX_REGS 65536u                  /* registers in one program */
#define MP_MAX_STRING 4096u                 /* one string, NUL included (PATH_MAX) */
#define MP_MAX_YAML_DEPTH 32u               /* nesting of YAML collections */
#define MP_MAX_YAML_ALIASES 1000u           /* alias nodes in one plan (billion laughs) */
#define MP_MAX_IDMAP_RANGES 340u            /* the kernel's uid_map limit */
#define MP_MOUNT_DATA_MAX 4096u             /* one page: the classic mount(2) data limit */
#define MP_MAX_TIMEOUT_MS 3600000u          /* one hour */
#define MP_DEFAULT_TIMEOUT_MS 10000u        /* readiness waits */
#define MP_MAX_OVERLAY_LOWER 500u           /* the kernel's OVL_MAX_STACK */
#define MP_MAX_VERIFY_STATE_BYTES (64u << 20) /* verifier: register states kept for pending jump targets */
#define MP_MAX_VERIFY_WORK (1u << 31)      /* verifier: jumps x registers (bytes of state merged) */

_Static_assert(MP_MAX_INSNS * 32ull < MP_MAX_BYTECODE_BYTES * 1ull, "insns fit the bytecode limit");

#endif
