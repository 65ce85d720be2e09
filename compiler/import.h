/*
 * import.h — turning other projects' mount descriptions into plans.
 *
 * `mplan import-fstab FILE` and `mplan import-oci config.json` write a plan
 * (YAML text) that `mplan check` accepts.  The plan is for a person to read
 * and keep: every entry has a comment naming the line or JSON element it
 * came from, and everything the source said that the plan cannot say (an
 * fstab-only option, a runtime extension) is dropped with a comment saying
 * so, never passed to the kernel.
 *
 * An importer reads all of its input and collects every problem (bad line,
 * wrong JSON type, ...) before it gives up, so a user fixes them in one go.
 * Problems are collected, never printed: main.c prints them as
 * `FILE:LINE[:COL]: error: message`.
 *
 * Before an entry is written, import_entry_check asks it the plan
 * language's per-entry rules, so a source the plan cannot say is a
 * problem of its line; the command (import-cmd.c) then runs the compiler's
 * own checks on the whole plan text, so a rule the importers miss still
 * cannot print a plan `mplan check` refuses.
 *
 * import-plan.c holds what both importers share: string lists, the entry
 * record, the per-entry check and the YAML writer (quoting, comments), and
 * path normalization; import-cmd.c is their command line.
 */
#ifndef MOUNTPLAN_IMPORT_H
#define MOUNTPLAN_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "ir.h"

/* One problem of the input, at line:col (col 0 = the whole line). */
struct import_problem {
	unsigned line, col;
	char *msg;
};

struct import_problems {
	struct import_problem *items;
	size_t n, cap;
	bool nomem; /* a problem could not be recorded: report ENOMEM */
};

void import_problems_free(struct import_problems *probs);

/* Record a problem; on allocation failure sets probs->nomem. */
void import_problem(struct import_problems *probs, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A growable list of owned strings. */
struct import_strv {
	char **v;
	size_t n;
};

/* Append a copy of s (of len bytes with _n); returns 0 or -ENOMEM. */
int import_strv_add(struct import_strv *sv, const char *s);
int import_strv_addn(struct import_strv *sv, const char *s, size_t len);
int import_strv_addf(struct import_strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void import_strv_free(struct import_strv *sv);

/* One plan entry as an importer builds it.  All strings are owned. */
struct import_entry {
	struct import_strv comments; /* lines written as "# ..." above the entry */
	char *type, *source, *target;
	struct import_strv lower;    /* overlay layers, top first */
	char *upper, *work;
	struct import_strv options;
	char *idmap_uid, *idmap_gid; /* "inside:outside:count[,...]", NULL = none */
	bool loop, loop_readonly;
	char *loop_offset, *loop_sizelimit; /* decimal bytes, NULL = none */
	enum ir_require_kind requires;
	char *requires_name;
	char *requires_timeout; /* "5s", NULL = the default */
	bool optional;
	char *id;       /* NULL = the default id, the target */
	bool overmount; /* stacked on an earlier entry's target on purpose */
};

void import_entry_free(struct import_entry *e);

/*
 * Append option word w to e->options the way mount(8) and the OCI runtimes
 * apply words, in order: an earlier word w contradicts (ro before rw, two
 * atime words, two propagation words), which a plan refuses (E207, E208),
 * is taken out, with a line in notes ending in `how`.  Returns 0 or -ENOMEM.
 */
int import_option_add(struct import_entry *e, const char *w, struct import_strv *notes, const char *how);

/*
 * An overlay layer word (lowerdir=/a:/b, upperdir=, workdir=) into e's
 * lower/upper/work.  Returns 1 when w was one, 0 when it is not a layer
 * word, -EINVAL with *why (malloc'd) for a bad path, -ENOMEM.
 */
int import_overlay_option(struct import_entry *e, const char *w, char **why);

/*
 * Would the plan language refuse this entry on its own (an option the type
 * does not take, a loop on a type that is no block filesystem, a source on
 * an overlay, a relative bind source, an idmap with count 0, ...)?  Returns
 * 0, -EINVAL with *why (malloc'd) saying what is wrong in the source's
 * terms, or -ENOMEM.  Importers call it before writing an entry.
 */
int import_entry_check(const struct import_entry *e, char **why);

/*
 * The YAML writer.  Scalars are written plain when that cannot change their
 * meaning, double-quoted otherwise; comment text has control characters and
 * invalid UTF-8 replaced so it cannot end the comment or break the file.
 */
void import_write_scalar(FILE *out, const char *s);
void import_write_comment(FILE *out, const char *indent, const char *text);
void import_write_entry(FILE *out, const struct import_entry *e);

/* True when s[0..len) is valid UTF-8 without NUL bytes. */
bool import_utf8_valid(const char *s, size_t len);

/*
 * Normalize an absolute path: collapse "//", drop "." components and a
 * trailing "/".  Returns 0 and a new string in *ret, -EINVAL when path is
 * not absolute, -ELOOP when it has a ".." component, -ENOMEM.
 */
int import_path_normalize(const char *path, char **ret);

/*
 * Convert fstab text (name is used in comments and problems) into a plan
 * written to out.  Returns 0 on success; -EINVAL when the input has
 * problems (all of them in probs; nothing written); another negative errno
 * when writing fails (err says why).
 */
int import_fstab(const char *name, const char *text, size_t len, FILE *out, struct import_problems *probs,
		 struct mp_error *err);

/*
 * Convert an OCI runtime-spec config.json into a plan written to out.
 * bundle_dir (absolute, or NULL) resolves relative bind sources, as the
 * runtime does.  Same return contract as import_fstab.
 */
int import_oci(const char *name, const char *text, size_t len, const char *bundle_dir, FILE *out,
	       struct import_problems *probs, struct mp_error *err);

/* The commands (import-cmd.c), called from main.c's table: argv[0] is the command. */
int import_cmd_fstab(int argc, char **argv);
int import_cmd_oci(int argc, char **argv);

#endif
