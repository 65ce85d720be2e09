/*
 * diag.c — the compiler's diagnostics: collected during a run, printed at
 * once, sorted by position so a user reads them top to bottom of the plan.
 * Codes, severities and message formats all come from diag.def; nothing
 * here knows a particular diagnostic.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

/*
 * A hostile plan can hold millions of mistakes; a person reads the first
 * few.  Past this many, diagnostics are counted (the exit status stays
 * right) but not kept, and the listing ends with how many were left out.
 */
#define DIAG_MAX_KEPT 1000u

struct diag_row {
	const char *code;
	enum diag_severity sev;
	const char *fmt;
};

static const struct diag_row diag_rows[] = {
#define DIAG(id, code, sev, fmt) [DIAG_##id] = { code, sev, fmt },
#include "diag.def"
#undef DIAG
};

_Static_assert(sizeof(diag_rows) / sizeof(diag_rows[0]) == DIAG__COUNT, "one row per diagnostic");

void diag_sink_init(struct diag_sink *sink, const char *file)
{
	*sink = (struct diag_sink){ .file = file };
}

void diag_sink_free(struct diag_sink *sink)
{
	for (size_t i = 0; i < sink->n; i++) {
		free(sink->items[i].msg);
		free(sink->items[i].hint);
	}
	free(sink->items);
	sink->items = NULL;
	sink->n = sink->cap = 0;
	sink->n_errors = sink->n_warnings = 0;
}

const char *diag_code(enum diag_id id)
{
	return diag_rows[id].code;
}

enum diag_severity diag_severity(enum diag_id id)
{
	return diag_rows[id].sev;
}

void diag_emit(struct diag_sink *sink, enum diag_id id, uint32_t line, uint32_t col, ...)
{
	va_list ap;
	char *msg = NULL;

	/* Counted first: without memory the diagnostic is lost, but never the failure it means. */
	if (diag_rows[id].sev == ERROR)
		sink->n_errors++;
	else
		sink->n_warnings++;
	if (sink->n >= DIAG_MAX_KEPT)
		return;
	if (sink->n == sink->cap) {
		size_t cap = sink->cap ? 2 * sink->cap : 16;
		struct diag *items = realloc(sink->items, cap * sizeof(*items));
		if (!items)
			return;
		sink->items = items;
		sink->cap = cap;
	}
	va_start(ap, col);
	if (vasprintf(&msg, diag_rows[id].fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	sink->items[sink->n++] = (struct diag){ .id = id, .line = line, .col = col, .msg = msg };
}

void diag_hint(struct diag_sink *sink, const char *fmt, ...)
{
	va_list ap;
	char *hint = NULL;

	if (sink->n == 0)
		return;
	va_start(ap, fmt);
	if (vasprintf(&hint, fmt, ap) < 0)
		hint = NULL;
	va_end(ap);
	free(sink->items[sink->n - 1].hint);
	sink->items[sink->n - 1].hint = hint;
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = *(const struct diag *const *)a, *y = *(const struct diag *const *)b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x < y ? -1 : x > y; /* emission order: items is one array */
}

/* Pointers to the items in print order; NULL when there are none or no memory. */
static const struct diag **diag_sorted(const struct diag_sink *sink)
{
	const struct diag **v;

	if (sink->n == 0)
		return NULL;
	v = malloc(sink->n * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < sink->n; i++)
		v[i] = &sink->items[i];
	qsort(v, sink->n, sizeof(*v), diag_cmp);
	return v;
}

void diag_print_text(FILE *out, struct diag_sink *sink)
{
	const struct diag **v = diag_sorted(sink);

	for (size_t i = 0; v && i < sink->n; i++) {
		const struct diag *d = v[i];
		const char *sev = diag_rows[d->id].sev == ERROR ? "error" : "warning";

		if (d->line)
			fprintf(out, "%s:%u:%u: %s[%s]: %s\n", sink->file, d->line, d->col, sev, diag_rows[d->id].code,
				d->msg ? d->msg : "(out of memory)");
		else
			fprintf(out, "%s: %s[%s]: %s\n", sink->file, sev, diag_rows[d->id].code,
				d->msg ? d->msg : "(out of memory)");
		if (d->hint)
			fprintf(out, "  hint: %s\n", d->hint);
	}
	if (sink->n_errors + sink->n_warnings > sink->n)
		fprintf(out, "%s: %zu more diagnostics not shown\n", sink->file, sink->n_errors + sink->n_warnings - sink->n);
	free(v);
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void diag_print_json(FILE *out, struct diag_sink *sink)
{
	const struct diag **v = diag_sorted(sink);

	fputc('[', out);
	for (size_t i = 0; v && i < sink->n; i++) {
		const struct diag *d = v[i];

		fputs(i ? ",\n {" : "\n {", out);
		fputs("\"file\": ", out);
		json_string(out, sink->file);
		fprintf(out, ", \"line\": %u, \"col\": %u, \"severity\": \"%s\", \"code\": \"%s\", \"message\": ", d->line,
			d->col, diag_rows[d->id].sev == ERROR ? "error" : "warning", diag_rows[d->id].code);
		json_string(out, d->msg ? d->msg : "(out of memory)");
		if (d->hint) {
			fputs(", \"hint\": ", out);
			json_string(out, d->hint);
		}
		fputc('}', out);
	}
	fputs(sink->n ? "\n]\n" : "]\n", out);
	free(v);
}
