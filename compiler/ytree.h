/*
 * ytree.h — a YAML (and so JSON) document as a small tree of nodes that
 * remember where they were written.
 *
 * libyaml's event parser feeds ydoc_load(), which builds scalars,
 * sequences and mappings, each with its 1-based line:col.  An alias is
 * resolved by reference: it points at the anchored node, never copies it,
 * so a "billion laughs" document stays small; the loader also bounds the
 * nesting depth, the number of aliases after expansion and the length of
 * one scalar, and refuses a document over a byte limit before parsing.
 * Mapping keys are kept in file order, duplicates included: libyaml does
 * not reject them, ynode_each_duplicate() finds them.
 *
 * Users: the plan parser (parse.c) and the OCI importer (config.json).
 * Named ytree.h, not yaml.h: with -Icompiler, <yaml.h> would find this
 * file instead of libyaml's header.
 */
#ifndef MOUNTPLAN_YTREE_H
#define MOUNTPLAN_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode;

struct ypair {
	struct ynode *key, *value;
};

struct ynode {
	uint32_t line, col;  /* 1-based position of the node's first character */
	uint8_t kind;        /* enum ynode_kind */
	bool plain;          /* scalar: unquoted, untagged: may be a number, bool or null */
	uint32_t height;     /* loader bookkeeping: nesting levels at and below this node */
	char *str;           /* scalar: NUL-terminated (a scalar with a NUL byte is refused) */
	union {
		size_t len;  /* scalar: bytes in str */
		size_t n;    /* sequence: items; mapping: pairs */
	};
	union {
		struct ynode **items; /* sequence, in file order */
		struct ypair *pairs;  /* mapping, in file order, duplicates kept */
	};
	uint64_t weight;     /* loader bookkeeping: aliases inside this node once expanded (saturating) */
};

/* 48 bytes: a plan of 100,000 mounts has more than a million nodes. */
_Static_assert(sizeof(struct ynode) <= 48, "ynode stays small");

/* Limits the loader enforces; ydoc_default_limits() gives the plan's (schema/limits.h). */
struct ylimits {
	size_t max_bytes;     /* the input, checked before parsing */
	uint32_t max_depth;   /* collection nesting, aliases counted as expanded */
	uint32_t max_aliases; /* alias nodes after expansion */
	size_t max_scalar;    /* bytes in one scalar */
};

enum yerror_kind {
	YERR_NONE,
	YERR_SYNTAX,  /* libyaml's complaint, an unknown anchor, a second document */
	YERR_DEPTH,   /* limit: max_depth */
	YERR_ALIASES, /* limit: max_aliases */
	YERR_SIZE,    /* input over max_bytes (line:col 0:0) */
	YERR_SCALAR,  /* a scalar over max_scalar */
	YERR_EMPTY,   /* no document at all */
	YERR_NOMEM,
};

struct yerror {
	enum yerror_kind kind;
	uint32_t line, col; /* 1-based, 0 when unknown */
	size_t size;        /* YERR_SIZE, YERR_SCALAR: the offending size */
	char msg[256];      /* YERR_SYNTAX: libyaml's words with context */
};

struct yblock;

struct ydoc {
	struct ynode *root;
	struct ynode **all; /* every collection, to free its item arrays */
	size_t n_all, cap_all;
	struct yblock *blocks; /* nodes and scalar text live in these, freed at once */
};

void ydoc_default_limits(struct ylimits *lim);

/*
 * Parse the first (only) document of bytes[len] into doc.  lim NULL means
 * ydoc_default_limits().  Returns 0, or a negative errno with err filled
 * (doc is then empty; ydoc_free is safe either way).
 */
int ydoc_load(const char *bytes, size_t len, const struct ylimits *lim, struct ydoc *doc, struct yerror *err);

void ydoc_free(struct ydoc *doc);

/* The value of key in a mapping (the first one if duplicated), or NULL. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);

/* The key of a mapping pair as a string, "" when the key is not a scalar. */
const char *ynode_key(const struct ypair *pair);

/* A short noun for a node, for messages: "a string", "a list", "a mapping", "null", "a number", "a boolean". */
const char *ynode_describe(const struct ynode *node);

/* A plain scalar YAML 1.1 reads as null (~, null, empty), or as a boolean (true/false/yes/no/on/off). */
bool ynode_is_null(const struct ynode *node);
int ynode_bool(const struct ynode *node, bool *ret); /* 0, or -EINVAL if not a boolean */

/*
 * Call fn for every key of a mapping that repeats an earlier key (compared
 * as strings), with the first occurrence.  O(n log n) in the keys.
 * Returns 0, or -ENOMEM.
 */
int ynode_each_duplicate(const struct ynode *map, void (*fn)(void *ctx, const struct ypair *dup, const struct ypair *first),
			 void *ctx);

#endif
