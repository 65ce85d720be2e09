/*
 * main.c — the `mplan` command line: one table of commands, each with its
 * usage line, and the only place in the compiler that prints.
 *
 * Exit status: 0 success (warnings allowed), 1 the plan or file has errors,
 * 2 a usage error (the message names the bad word).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "back.h"
#include "cleanup.h"
#include "diag.h"
#include "error.h"
#include "front.h"
#include "options.h"
#include "import.h"
#include "program.h"
#include "validate.h"

#define EXIT_USAGE 2

struct command {
	const char *name;
	const char *args;    /* usage after the command name */
	const char *summary; /* one line for --help; NULL = hidden */
	int (*run)(int argc, char **argv);
};

static const struct command *find_command(const char *name);

static int usage_error(const char *cmd, const char *fmt, const char *word)
{
	const struct command *c = cmd ? find_command(cmd) : NULL;

	fputs("mplan: ", stderr);
	fprintf(stderr, fmt, word);
	fputc('\n', stderr);
	if (c)
		fprintf(stderr, "usage: mplan %s %s\n", c->name, c->args);
	else
		fputs("try 'mplan --help'\n", stderr);
	return EXIT_USAGE;
}

/*
 * The common argument shape: flags (--json, -o OUT, --help) and exactly one
 * operand.  Returns -1 after printing usage help (exit 0), or an exit status
 * > 0 for a usage error, or 0 with *ret_operand set.
 */
struct cmd_args {
	const char *operand;
	const char *output;
	bool json;
};

static int parse_args(const char *cmd, int argc, char **argv, bool allow_json, bool allow_output, struct cmd_args *a)
{
	const struct command *c = find_command(cmd);

	*a = (struct cmd_args){ 0 };
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			printf("usage: mplan %s %s\n", c->name, c->args);
			if (c->summary)
				printf("%s\n", c->summary);
			return -1;
		} else if (allow_json && strcmp(arg, "--json") == 0) {
			a->json = true;
		} else if (allow_output && (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0)) {
			if (i + 1 >= argc)
				return usage_error(cmd, "option '%s' needs a file name", arg);
			a->output = argv[++i];
		} else if (allow_output && strncmp(arg, "--output=", 9) == 0) {
			a->output = arg + 9;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			return usage_error(cmd, "unknown option '%s'", arg);
		} else if (a->operand) {
			return usage_error(cmd, "unexpected argument '%s'", arg);
		} else {
			a->operand = arg;
		}
	}
	if (!a->operand)
		return usage_error(cmd, "%s: missing file operand", cmd);
	if (allow_output && !a->output)
		return usage_error(cmd, "%s: missing '-o OUT'", cmd);
	return 0;
}

static void print_diags(struct diag_sink *sink, bool json)
{
	if (json)
		diag_print_json(stdout, sink);
	else
		diag_print_text(stderr, sink);
}

static int cmd_check(int argc, char **argv)
{
	struct cmd_args a;
	struct diag_sink sink;
	struct ir_plan plan;
	int r = parse_args("check", argc, argv, true, false, &a);

	if (r)
		return r < 0 ? 0 : r;
	diag_sink_init(&sink, a.operand);
	r = front_load_plan(a.operand, &plan, &sink);
	/* the graph checks (cycles E500, shadowing W403, one-page data E501) too,
	 * so check finds everything compile would, without writing anything */
	if (r == 0)
		r = back_check(&plan, &sink);
	print_diags(&sink, a.json);
	diag_sink_free(&sink);
	ir_plan_free(&plan);
	return r < 0 ? 1 : 0;
}

/* Write bytes to path atomically: a temporary file beside it, then rename. */
static int write_atomic(const char *path, const uint8_t *bytes, size_t len, struct mp_error *err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	size_t off = 0;

	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
		return error_set(err, ENOMEM, "out of memory");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "create a temporary file beside '%s'", path);
	while (off < len) {
		ssize_t w = write(fd, bytes + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			unlink(tmp);
			return error_set_errno(err, e, "write '%s'", tmp);
		}
		off += (size_t)w;
	}
	/* mkostemp makes 0600; a program file is readable like any build output. */
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(TAKE_FD(fd)) < 0) {
		int e = errno;
		unlink(tmp);
		return error_set_errno(err, e, "finish '%s'", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return error_set_errno(err, e, "rename '%s' to '%s'", tmp, path);
	}
	return 0;
}

static int cmd_compile(int argc, char **argv)
{
	struct cmd_args a;
	struct diag_sink sink;
	struct ir_plan plan;
	struct mp_error err = { 0 };
	uint8_t *bytes = NULL;
	size_t len = 0;
	int r = parse_args("compile", argc, argv, true, true, &a);

	if (r)
		return r < 0 ? 0 : r;
	diag_sink_init(&sink, a.operand);
	r = front_load_plan(a.operand, &plan, &sink);
	if (r == 0)
		r = back_compile(&plan, &sink, &bytes, &len);
	print_diags(&sink, a.json);
	diag_sink_free(&sink);
	ir_plan_free(&plan);
	if (r < 0) {
		free(bytes);
		return 1;
	}
	r = write_atomic(a.output, bytes, len, &err);
	free(bytes);
	if (r < 0) {
		fprintf(stderr, "mplan: compile: %s\n", err.msg);
		return 1;
	}
	return 0;
}

static int cmd_graph(int argc, char **argv)
{
	struct cmd_args a;
	struct diag_sink sink;
	struct ir_plan plan;
	int r = parse_args("graph", argc, argv, false, false, &a);

	if (r)
		return r < 0 ? 0 : r;
	diag_sink_init(&sink, a.operand);
	r = front_load_plan(a.operand, &plan, &sink);
	if (r == 0)
		r = back_print_graph(stdout, &plan, &sink);
	diag_print_text(stderr, &sink);
	diag_sink_free(&sink);
	ir_plan_free(&plan);
	return r < 0 ? 1 : 0;
}

static int cmd_disasm(int argc, char **argv)
{
	struct cmd_args a;
	struct program prog = { 0 };
	struct mp_error err = { 0 };
	int r = parse_args("disasm", argc, argv, false, false, &a);

	if (r)
		return r < 0 ? 0 : r;
	r = program_load_file(a.operand, &prog, &err);
	if (r == 0)
		r = verify_program(&prog, &err);
	if (r < 0) {
		fprintf(stderr, "mplan: disasm: %s: %s\n", a.operand, err.msg);
		program_free(&prog);
		return 1;
	}
	disasm_print(stdout, &prog);
	program_free(&prog);
	return 0;
}

/*
 * Hidden: the tables behind the plan language, for the JSON Schema
 * consistency test: dotted keys, or (--options) the option words, or
 * (--types) the filesystem types the option table knows.
 */
static int cmd_keys(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (argc > 2)
		return usage_error("keys", "unexpected argument '%s'", argv[2]);
	if (strcmp(what, "--options") == 0) {
		for (size_t i = 0; i < options_count; i++)
			printf("%s\n", options_table[i].word);
	} else if (strcmp(what, "--types") == 0) {
		for (size_t i = 0; i < fs_types_count; i++)
			printf("%s\n", fs_types[i].name);
	} else if (argc == 1) {
		for (size_t i = 0; i < plan_keys_count; i++)
			printf("%s\n", plan_keys[i].dotted);
	} else {
		return usage_error("keys", "unknown option '%s'", what);
	}
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "check", "[--json] PLAN", "check a plan; print every diagnostic (exit 1 on errors)", cmd_check },
	{ "compile", "PLAN -o OUT [--json]", "compile a plan into bytecode OUT (written atomically)", cmd_compile },
	{ "disasm", "FILE", "verify a bytecode file and print its instructions", cmd_disasm },
	{ "graph", "PLAN", "print the plan's dependency graph as Graphviz DOT", cmd_graph },
	{ "import-fstab", "FILE", "convert an fstab(5) file into a plan on stdout", import_cmd_fstab },
	{ "import-oci", "CONFIG.JSON", "convert an OCI config.json's mounts into a plan on stdout", import_cmd_oci },
	{ "help", "[COMMAND]", "show this help, or a command's usage", cmd_help },
	{ "keys", "[--options | --types]", NULL, cmd_keys },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void print_usage(FILE *out)
{
	fputs("usage: mplan COMMAND [ARGS]\n\n"
	      "Compile a YAML mount plan into verified bytecode for mrun.\n\n"
	      "commands:\n",
	      out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char line[64];
		if (!commands[i].summary)
			continue;
		snprintf(line, sizeof(line), "%s %s", commands[i].name, commands[i].args);
		fprintf(out, "  %-28s %s\n", line, commands[i].summary);
	}
	fputs("\nexit status: 0 ok, 1 errors in the input, 2 usage error\n", out);
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		print_usage(stdout);
		return 0;
	}
	c = find_command(argv[1]);
	if (!c)
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	printf("usage: mplan %s %s\n", c->name, c->args);
	if (c->summary)
		printf("%s\n", c->summary);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_usage(stdout);
		return 0;
	}
	c = find_command(argv[1]);
	if (!c)
		return usage_error(NULL, argv[1][0] == '-' ? "unknown option '%s'" : "unknown command '%s'", argv[1]);
	return c->run(argc - 1, argv + 1);
}
