/*
 * import-cmd.c — the command line of `mplan import-fstab` and
 * `mplan import-oci`: read the file, run the importer, print the plan on
 * stdout and every problem on stderr as `FILE:LINE[:COL]: error: ...`.
 * main.c's command table calls these; like main.c, this is a place that
 * prints, and nothing below it does.
 *
 * Before the plan is printed, it goes through the compiler's own checks in
 * memory (the front end, then the back end's graph and limit checks), as
 * `mplan check` would run them.  The importers try to write only plans that
 * pass (import_entry_check), but a gap in a translation must never print a
 * plan mplan refuses: each error of the check becomes a problem of the
 * source, found through the provenance comment above the entry it is in
 * ("# FILE:LINE: ..." for fstab, "# FILE mounts[i]: ..." for OCI).
 *
 * Exit status as for every mplan command: 0 the plan was written, 1 the
 * input has problems (nothing is written), 2 a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "back.h"
#include "cleanup.h"
#include "front.h"
#include "import.h"
#include "limits.h"

#define EXIT_USAGE 2

/* Read all of path ("-" = stdin) into memory, refusing more than max bytes. */
static int read_all(const char *path, size_t max, char **ret, size_t *ret_len, struct mp_error *err)
{
	_cleanup_close_ int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return error_set_errno(err, errno, "cannot open '%s'", path);
	for (;;) {
		if (len == cap) {
			if (cap > max)
				return error_set(err, EFBIG, "'%s' is larger than %zu bytes", path, max);
			cap = cap ? cap * 2 : 65536;
			char *n = realloc(buf, cap + 1);
			if (!n)
				return error_set_errno(err, ENOMEM, "reading '%s'", path);
			buf = n;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return error_set_errno(err, errno, "cannot read '%s'", path);
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > max)
		return error_set(err, EFBIG, "'%s' is larger than %zu bytes", path, max);
	if (!buf && !(buf = malloc(1)))
		return error_set_errno(err, ENOMEM, "reading '%s'", path);
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int parse_operand(const char *cmd, int argc, char **argv, const char **ret)
{
	*ret = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: mplan %s FILE\n", cmd);
			return -1;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "mplan: unknown option '%s'\nusage: mplan %s FILE\n", argv[i], cmd);
			return EXIT_USAGE;
		}
		if (*ret) {
			fprintf(stderr, "mplan: unexpected argument '%s'\nusage: mplan %s FILE\n", argv[i], cmd);
			return EXIT_USAGE;
		}
		*ret = argv[i];
	}
	if (!*ret) {
		fprintf(stderr, "mplan: %s: missing file operand\nusage: mplan %s FILE\n", cmd, cmd);
		return EXIT_USAGE;
	}
	return 0;
}

static void print_problems(const char *file, const struct import_problems *probs)
{
	for (size_t i = 0; i < probs->n; i++) {
		const struct import_problem *p = &probs->items[i];
		if (p->line && p->col)
			fprintf(stderr, "%s:%u:%u: error: %s\n", file, p->line, p->col, p->msg);
		else if (p->line)
			fprintf(stderr, "%s:%u: error: %s\n", file, p->line, p->msg);
		else
			fprintf(stderr, "%s: error: %s\n", file, p->msg);
	}
}

/* The plan text split into lines once, so each lookup is O(1). */
struct lines {
	const char *text;
	size_t *start; /* start[i] = offset of line i + 1 */
	size_t n, len;
};

static int lines_init(struct lines *l, const char *text, size_t len)
{
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	*l = (struct lines){ .text = text, .len = len, .start = malloc(n * sizeof(size_t)) };
	if (!l->start)
		return -ENOMEM;
	l->start[l->n++] = 0;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			l->start[l->n++] = i + 1;
	return 0;
}

/* Line n (1-based): its start and length; false past the end. */
static bool nth_line(const struct lines *l, uint32_t n, const char **ret, size_t *ret_len)
{
	if (n == 0 || n > l->n)
		return false;
	size_t pos = l->start[n - 1], end = n < l->n ? l->start[n] - 1 : l->len;
	*ret = l->text + pos;
	*ret_len = end - pos;
	return true;
}

static bool starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

/* Parse one "  # FILE:LINE: ..." or "  # FILE mounts[i]: ..." line. */
static bool provenance_line(const char *s, size_t n, const char *file, unsigned *src_line, char *where,
			    size_t where_size)
{
	size_t off = 4 + strlen(file);
	if (!starts(s, n, "  # ") || n <= off)
		return false;
	const char *p = s + off, *end = s + n;
	if (*p == ':') { /* fstab */
		unsigned v = 0;
		const char *q = p + 1;
		while (q < end && *q >= '0' && *q <= '9' && v < 100000000)
			v = v * 10 + (unsigned)(*q++ - '0');
		if (q == p + 1 || q == end || *q != ':' || v == 0)
			return false;
		*src_line = v;
		return true;
	}
	if (end - p > 8 && !memcmp(p, " mounts[", 8)) { /* OCI */
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close || close + 1 == end || close[1] != ':' || (size_t)(close - p) >= where_size)
			return false;
		snprintf(where, where_size, "%.*s", (int)(close - p), p + 1);
		return true;
	}
	return false;
}

/*
 * Where plan line `line` came from.  Its entry starts at the nearest line
 * above that begins "  - "; the comments right above that start with the
 * provenance line, which the writer began with the file name (its bytes
 * sanitized one for one, so of the same length).  Sets *src_line (fstab)
 * or *where ("mounts[i]", OCI); neither when the line is outside an entry.
 */
static void provenance(const struct lines *l, const char *file, uint32_t line, unsigned *src_line,
		       char *where, size_t where_size)
{
	const char *s = NULL;
	size_t n = 0;
	uint32_t k = line;

	*src_line = 0;
	where[0] = '\0';
	for (; k >= 1; k--) {
		if (!nth_line(l, k, &s, &n))
			return;
		if (starts(s, n, "  - "))
			break;
		if (n && s[0] != ' ' && s[0] != '#')
			return; /* a top-level key: not inside an entry */
	}
	if (k == 0)
		return;
	/* The provenance line is the lowest comment above the entry that has
	 * its form: above it may be comments of the source file (fstab keeps
	 * them), below it only the entry's indented notes. */
	for (uint32_t head = k - 1; head >= 1 && nth_line(l, head, &s, &n) && starts(s, n, "  #"); head--)
		if (provenance_line(s, n, file, src_line, where, where_size))
			return;
}

/*
 * Run the compiler's checks on the plan text; every error becomes a
 * problem of the source.  Returns 0 when the plan passes, -EINVAL when it
 * does not (problems in probs), -ENOMEM.
 */
static int check_imported(const char *file, const char *text, size_t len, struct import_problems *probs)
{
	struct diag_sink sink;
	struct ir_plan plan = { 0 };
	struct lines lines = { 0 };
	int r;

	diag_sink_init(&sink, "imported plan");
	r = front_load_plan_bytes("imported plan", text, len, &plan, &sink);
	if (r == 0)
		r = back_check(&plan, &sink);
	if (sink.n_errors && lines_init(&lines, text, len) < 0)
		r = -ENOMEM;
	for (size_t i = 0; r != -ENOMEM && sink.n_errors && i < sink.n; i++) {
		const struct diag *d = &sink.items[i];
		unsigned src = 0;
		char where[40];
		if (diag_severity(d->id) != ERROR)
			continue;
		provenance(&lines, file, d->line, &src, where, sizeof(where));
		if (src)
			import_problem(probs, src, 0, "the imported entry would not compile: %s [%s]", d->msg,
				       diag_code(d->id));
		else if (where[0])
			import_problem(probs, 0, 0, "%s: the imported entry would not compile: %s [%s]", where, d->msg,
				       diag_code(d->id));
		else
			import_problem(probs, 0, 0, "the imported plan would not compile, at its line %u: %s [%s]",
				       (unsigned)d->line, d->msg, diag_code(d->id));
	}
	if (r == 0 && sink.n_errors)
		r = -1; /* errors without a failed load: refuse all the same */
	free(lines.start);
	ir_plan_free(&plan);
	diag_sink_free(&sink);
	if (r == -ENOMEM || probs->nomem)
		return -ENOMEM;
	if (r < 0 && probs->n == 0)
		import_problem(probs, 0, 0, "the imported plan would not compile (no error named)");
	return r < 0 ? -EINVAL : 0;
}

/* The directory holding path, absolute: where OCI resolves relative sources. */
static char *bundle_of(const char *path)
{
	if (strcmp(path, "-") == 0)
		return NULL;
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return NULL;
	return realpath(dirname(copy), NULL);
}

static int run(const char *cmd, int argc, char **argv, bool oci)
{
	const char *file;
	_cleanup_free_ char *text = NULL, *bundle = NULL, *plan_text = NULL;
	size_t len = 0, plan_len = 0;
	struct mp_error err = { 0 };
	struct import_problems probs = { 0 };
	int r = parse_operand(cmd, argc, argv, &file);

	if (r)
		return r < 0 ? 0 : r;
	r = read_all(file, MP_MAX_PLAN_BYTES, &text, &len, &err);
	if (r < 0) {
		fprintf(stderr, "mplan: %s: %s\n", cmd, err.msg);
		return 1;
	}
	FILE *mem = open_memstream(&plan_text, &plan_len);
	if (!mem) {
		fprintf(stderr, "mplan: %s: %s\n", cmd, strerror(errno));
		return 1;
	}
	if (oci) {
		bundle = bundle_of(file);
		r = import_oci(file, text, len, bundle, mem, &probs, &err);
	} else {
		r = import_fstab(file, text, len, mem, &probs, &err);
	}
	if (fclose(mem) != 0 && r == 0)
		r = error_set_errno(&err, ENOMEM, "the plan text");
	if (r == 0) {
		r = check_imported(file, plan_text, plan_len, &probs);
		if (r == -ENOMEM)
			error_set_errno(&err, ENOMEM, "checking the imported plan");
		else if (r < 0)
			error_set(&err, EINVAL, "%s: the imported plan does not pass mplan check, nothing printed", file);
	}
	print_problems(file, &probs);
	import_problems_free(&probs);
	if (r < 0) {
		fprintf(stderr, "mplan: %s: %s\n", cmd, err.msg);
		return 1;
	}
	if (fwrite(plan_text, 1, plan_len, stdout) != plan_len || fflush(stdout) != 0) {
		fprintf(stderr, "mplan: %s: writing the plan: %s\n", cmd, strerror(errno));
		return 1;
	}
	return 0;
}

int import_cmd_fstab(int argc, char **argv)
{
	return run("import-fstab", argc, argv, false);
}

int import_cmd_oci(int argc, char **argv)
{
	return run("import-oci", argc, argv, true);
}
