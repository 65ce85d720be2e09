/*
 * diag.h — collecting and printing the compiler's diagnostics.
 * All diagnostics of a run are collected, then printed at once, sorted by
 * position (ties keep emission order), as
 *   plan.yaml:12:5: error[E401]: two mounts on target '/data' (the other at line 9)
 * or as one JSON array (--json).
 */
#ifndef MOUNTPLAN_DIAG_H
#define MOUNTPLAN_DIAG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum diag_severity { ERROR, WARNING };

enum diag_id {
#define DIAG(id, code, sev, fmt) DIAG_##id,
#include "diag.def"
#undef DIAG
	DIAG__COUNT
};

struct diag {
	enum diag_id id;
	uint32_t line, col; /* 1-based; 0 when the diagnostic is about the whole file */
	char *msg;          /* formatted message */
	char *hint;         /* optional "hint: ..." line, NULL if none */
};

struct diag_sink {
	const char *file; /* plan file name used in every line */
	struct diag *items;
	size_t n, cap;
	size_t n_errors, n_warnings;
};

void diag_sink_init(struct diag_sink *sink, const char *file);
void diag_sink_free(struct diag_sink *sink);

/* Record a diagnostic; the format and severity come from diag.def. */
void diag_emit(struct diag_sink *sink, enum diag_id id, uint32_t line, uint32_t col, ...);

/* Attach a hint to the most recently emitted diagnostic. */
void diag_hint(struct diag_sink *sink, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The stable code ("E401") and severity of a diagnostic id. */
const char *diag_code(enum diag_id id);
enum diag_severity diag_severity(enum diag_id id);

/* Print all diagnostics sorted by position: one line each, or a JSON array. */
void diag_print_text(FILE *out, struct diag_sink *sink);
void diag_print_json(FILE *out, struct diag_sink *sink);

#endif
