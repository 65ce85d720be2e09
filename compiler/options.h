/*
 * options.h — the mount-option table (schema/options.def) as data: what a
 * word in `options:` does, and which data keys each filesystem type takes.
 * validate.c resolves words through it; the back end reads the results
 * from the IR; tests and the JSON Schema check expand the same table.
 */
#ifndef MOUNTPLAN_OPTIONS_H
#define MOUNTPLAN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir.h"

enum opt_kind { OPT_ATTR, OPT_PROPAGATION, OPT_RECURSIVE, OPT_NOP, OPT_SBFLAG };

struct mount_option {
	const char *word;
	enum opt_kind kind;
	unsigned group;        /* contradiction group, 0 = none */
	uint32_t attr_set;     /* MOUNT_ATTR_* */
	uint32_t attr_clr;
	uint32_t propagation;  /* MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE */
	bool recursive;        /* rbind, or an r* propagation word */
};

#define FSF_IDMAP 0x1u /* idmapped mounts are possible */

struct fs_type {
	const char *name;     /* "fuse.*" for the fuse row */
	enum ir_fs_class fs_class;
	unsigned flags;
	const char *keys;     /* space separated; "key=" takes a value; "*" = anything */
};

extern const struct mount_option options_table[];
extern const size_t options_count;
extern const struct fs_type fs_types[];
extern const size_t fs_types_count;

/* The row of a mount-option word, or NULL (then it is filesystem data). */
const struct mount_option *options_lookup(const char *word);

/* The row of a filesystem type ("fuse.sshfs" finds "fuse.*"), or NULL if unknown. */
const struct fs_type *options_fs_type(const char *type);

/* The class of a type; FS_UNKNOWN when the table does not know it. */
enum ir_fs_class options_fs_class(const char *type);

/* True if the data word ("mode=1777", "newinstance") is accepted by fs. */
bool options_fs_accepts(const struct fs_type *fs, const char *word);

/*
 * Call fn with each candidate a misspelt word of type fs could have meant:
 * every option word, and every data key of fs (written "key=" / "key").
 */
void options_each_candidate(const struct fs_type *fs, void (*fn)(void *ctx, const char *cand, size_t len), void *ctx);

#endif
