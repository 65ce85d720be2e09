/*
 * ir.h — the compiler's intermediate representation of a plan.
 *
 * parse.c builds it from YAML (every node keeps its line:col), validate.c
 * checks it, expand.c turns each entry into steps, graph.c orders them,
 * emit.c lowers them to bytecode.  Paths in the IR are already normalized
 * when validation succeeded: targets are absolute inside the root; host
 * paths are absolute on the host; a `${root}/x` path is stored as "/x"
 * with in_root set.  All strings are owned by the plan (ir_plan_free).
 */
#ifndef MOUNTPLAN_IR_H
#define MOUNTPLAN_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ir_loc {
	uint32_t line, col; /* 1-based; 0:0 = unknown */
};

/* A path operand: host path, or (in_root) a path inside the root. */
struct ir_path {
	char *path;
	bool in_root;
	struct ir_loc loc;
};

/* An option word as written, with where it was written. */
struct ir_word {
	char *word;
	struct ir_loc loc;
};

struct ir_idmap {
	bool present;
	char *uid; /* "inside:outside:count[,...]", validated, ranges in file order */
	char *gid;
	struct ir_loc loc;
};

struct ir_loop {
	bool present;
	bool readonly, direct_io, autoclear;
	uint64_t offset, sizelimit; /* bytes; 0 = none */
	struct ir_loc loc;
};

enum ir_require_kind { REQUIRE_NONE, REQUIRE_LINK, REQUIRE_DEVICE };

struct ir_requires {
	enum ir_require_kind kind;
	char *name;           /* interface name, or device path (host path) */
	uint32_t timeout_ms;  /* MP_DEFAULT_TIMEOUT_MS unless given */
	bool carrier;         /* link: wait for operational up too (default true) */
	struct ir_loc loc;
};

/* What kind of filesystem an entry's `type` names (the option table's classes). */
enum ir_fs_class {
	FS_BIND,     /* bind, rbind */
	FS_VIRTUAL,  /* tmpfs proc sysfs devpts mqueue cgroup2: no source */
	FS_OVERLAY,  /* lower/upper/work */
	FS_BLOCK,    /* ext4 xfs btrfs squashfs erofs vfat: source is a device or (loop) an image */
	FS_HELPER,   /* fuse.*, nfs, nfs4, cifs: the mount helper does it */
	FS_UNKNOWN,  /* anything else: warned, options unchecked; mount(2) for a path source, fsopen otherwise */
};

struct ir_entry {
	uint32_t index;          /* position in `mounts`, 0-based */
	struct ir_loc loc;       /* the entry's mapping */
	char *id;                /* `id`, or the target when absent */
	struct ir_loc id_loc;
	char *type;              /* "bind", "tmpfs", "fuse.sshfs", ... */
	enum ir_fs_class fs_class;
	struct ir_loc type_loc;
	struct ir_path source;   /* path==NULL when absent; for FS_HELPER a free-form string */
	struct ir_path target;   /* in_root is always true */
	struct ir_path *lower;   /* overlay layers, top first as written */
	size_t n_lower;
	struct ir_path upper, work;
	struct ir_word *options; /* as written, in order */
	size_t n_options;
	/* options resolved by validate.c through the option table: */
	uint32_t attr_set, attr_clr; /* MOUNT_ATTR_* to set / clear */
	uint32_t propagation;        /* MS_SHARED|MS_PRIVATE|MS_SLAVE|MS_UNBINDABLE, 0 = none */
	bool propagation_recursive;  /* rshared, rprivate, ... */
	bool recursive;              /* rbind, or the `rbind` option */
	char **data;                 /* filesystem data words ("mode=1777"), in order */
	size_t n_data;
	struct ir_idmap idmap;
	struct ir_loop loop;
	struct ir_requires requires;
	struct ir_word *after;       /* ids this entry comes after */
	size_t n_after;
	bool when_empty, optional, overmount;
};

struct ir_plan {
	char *file;               /* as given on the command line */
	uint8_t sha256[32];       /* of the plan file's bytes */
	uint32_t version;
	char *root;               /* `root:` or NULL */
	bool readonly_root;
	struct ir_loc readonly_root_loc;
	struct ir_entry *entries;
	size_t n_entries;
	struct ir_word *masked;   /* normalized paths inside the root */
	size_t n_masked;
	struct ir_word *readonly; /* normalized paths inside the root */
	size_t n_readonly;
};

void ir_plan_free(struct ir_plan *plan);

#endif
