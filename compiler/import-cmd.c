/*
 * import-cmd.c — the command line of `mplan import-fstab` and
 * `mplan import-oci`: read the file, run the importer, print the plan on
 * stdout and every problem on stderr as `FILE:LINE[:COL]: error: ...`.
 * main.c's command table calls these; like main.c, this is a place that
 * prints, and nothing below it does.
 *
 * Exit status as for every mplan command: 0 the plan was written, 1 the
 * input has problems (nothing is written), 2 a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
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
	_cleanup_free_ char *text = NULL, *bundle = NULL;
	size_t len = 0;
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
	if (oci) {
		bundle = bundle_of(file);
		r = import_oci(file, text, len, bundle, stdout, &probs, &err);
	} else {
		r = import_fstab(file, text, len, stdout, &probs, &err);
	}
	print_problems(file, &probs);
	import_problems_free(&probs);
	if (r < 0) {
		fprintf(stderr, "mplan: %s: %s\n", cmd, err.msg);
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
