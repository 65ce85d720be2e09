/*
 * validate.h — the plan language's key table and the checks on a parsed
 * plan.
 *
 * The key table is the one list of keys plan language v1 has: parse.c
 * walks YAML mappings with it (unknown keys, did-you-mean, keys that do
 * not apply to an entry's filesystem class), `mplan keys` prints it, and
 * tests/compiler/schema.t compares it with schema/plan.schema.json.
 *
 * validate_plan() then checks what needs the whole IR: paths, option
 * words through the option table, ids, targets, `after` references.  It
 * leaves graph checks (shadowing, cycles, data size) to the back end.
 */
#ifndef MOUNTPLAN_VALIDATE_H
#define MOUNTPLAN_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ir.h"

/* Which mapping a key lives in. */
enum key_ctx { KCTX_PLAN, KCTX_ENTRY, KCTX_IDMAP, KCTX_LOOP, KCTX_REQUIRES };

/* What a key holds (for messages and the schema test). */
enum key_type {
	KT_VERSION, KT_PATH, KT_BOOL, KT_STRING, KT_PATHS, KT_ENTRIES, KT_WORDS, KT_STRINGS, /* string or list */
	KT_IDMAP_RANGES, /* string or list of "inside:outside:count" */
	KT_MAPPING, KT_BYTES, KT_DURATION,
};

/* Bits of enum ir_fs_class, for the classes a key applies to. */
#define KCLASS(c) (1u << (c))
#define KCLASS_ALL 0x3fu

struct plan_key {
	enum key_ctx ctx;
	const char *name;    /* as written in YAML */
	const char *dotted;  /* "mounts[].loop.offset", printed by `mplan keys` */
	enum key_type type;
	unsigned classes;    /* KCTX_ENTRY: the fs classes it applies to (E209 otherwise) */
};

extern const struct plan_key plan_keys[];
extern const size_t plan_keys_count;

/* The row of key name in ctx, or NULL. */
const struct plan_key *validate_key(enum key_ctx ctx, const char *name);

/* The closest key of ctx to a misspelt name, or NULL when none is close. */
const char *validate_key_suggest(enum key_ctx ctx, const char *name);

/* Levenshtein distance, counting at most the first 64 bytes of each. */
size_t validate_distance(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Did-you-mean costs a distance per candidate; a plan with thousands of
 * mistakes gets suggestions only for its first ones (a person reads those).
 */
#define VALIDATE_MAX_SUGGESTING_ERRORS 100u

/* Whether a word is close enough to a candidate to suggest it. */
bool validate_close(size_t dist, size_t len);

/*
 * Check one id map written as "inside:outside:count" ranges (the list
 * joined with ','): syntax (E214), over 2^32 (E216), overlaps (E215), more
 * than MP_MAX_IDMAP_RANGES (E214).  Diagnostics at line:col.  Returns
 * true when it is good.
 */
bool validate_idmap(struct diag_sink *sink, const char *map, uint32_t line, uint32_t col);

/*
 * Parse a duration ("500ms", "5s", at most MP_MAX_TIMEOUT_MS) into
 * milliseconds.  Returns 0 or -EINVAL.
 */
int validate_duration(const char *s, uint32_t *ret_ms);

/*
 * Check one path operand and normalize it in place: too long (E304), an
 * unknown ${...} (E303), relative (E300), escaping the root with ".."
 * when in_root (E302), not normalized (E301, naming the normal form).
 * what names it in messages ("target", "source", ...).
 */
void validate_path(struct diag_sink *sink, const char *what, struct ir_path *p);

/*
 * Check a parsed plan, normalizing its paths in place and resolving each
 * entry's options (attr_set/attr_clr, propagation, recursive, data).
 * Every problem goes to sink.  Returns the number of errors found.
 */
size_t validate_plan(struct ir_plan *plan, struct diag_sink *sink);

#endif
