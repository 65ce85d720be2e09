/*
 * test-load.c — the loader (runtime/load.c): a valid file loads; each
 * header, layout, size, string-table and checksum rule refuses a file that
 * breaks it alone, with a message that names the problem.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "mpb-builder.h"
#include "program.h"
#include "tap.h"

#define HOFF(field) offsetof(struct mp_header, field)

/* A small valid program: FSOPEN, FSCONFIG, FSMOUNT, CLOSE, MKDIR, MOVE, CLOSE, END. */
static uint8_t *valid(size_t *len)
{
	struct mpb b;

	mpb_init(&b, 2, 1);
	MPB_INSN(&b, OP_FSOPEN, 0, 0, mpb_str(&b, "tmpfs"));
	MPB_INSN(&b, OP_FSCONFIG, 0, 0, MP_FSC_STRING, mpb_str(&b, "source"), mpb_str(&b, "tmpfs"));
	MPB_INSN(&b, OP_FSMOUNT, 0, 1, 0, 0);
	MPB_INSN(&b, OP_CLOSE, 0, 0);
	MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, "/tmp"), 0755);
	MPB_INSN(&b, OP_MOVE, 0, 1, mpb_str(&b, "/tmp"));
	MPB_INSN(&b, OP_CLOSE, 0, 1);
	MPB_INSN(&b, OP_END, 0);
	return mpb_bytes(&b, len);
}

/* Load buf; on refusal check the message contains want. */
static void refused(const uint8_t *buf, size_t len, const char *want, const char *what)
{
	struct program p = { 0 };
	struct mp_error err = { 0 };
	int r = program_load_bytes(buf, len, &p, &err);

	if (!CHECK(r < 0 && strstr(err.msg, want), "refuses %s", what))
		tap_diag("rc %d, message: '%s', wanted '%s'", r, err.msg, want);
	if (r == 0)
		program_free(&p);
}

static void test_valid(void)
{
	struct program p = { 0 };
	struct mp_error err = { 0 };
	size_t len;
	uint8_t *buf = valid(&len);
	int r = program_load_bytes(buf, len, &p, &err);

	if (!CHECK(r == 0, "a valid program loads"))
		tap_diag("%s", err.msg);
	CHECK(r == 0 && p.hdr.n_insns == 8 && p.insns[7].op == OP_END && p.debug[7].line == 8 &&
	      strcmp(program_str(&p, p.hdr.plan_file), "plan.yaml") == 0,
	      "instructions, debug records and strings are copied out");
	CHECK(r == 0 && p.bytes != buf, "the loader keeps its own copy");
	program_free(&p);
	free(buf);
}

static void test_header(void)
{
	size_t len;
	uint8_t *buf;
	uint8_t small[MP_HEADER_SIZE];

	memset(small, 0, sizeof(small));
	memcpy(small, MP_MAGIC, MP_MAGIC_LEN);
	refused(small, 50, "shorter than the 96-byte header", "a file shorter than the header");

	buf = valid(&len);
	buf[0] = 'X';
	mpb_fix_crc(buf, len);
	refused(buf, len, "wrong magic", "a wrong magic");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(version), 2);
	refused(buf, len, "version 2 at offset 8 is not supported", "another format version");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(flags), 0x10);
	refused(buf, len, "unknown header flags 0x10", "unknown header flags");
	free(buf);

	buf = valid(&len);
	buf[HOFF(reserved) + 3] = 1;
	mpb_fix_crc(buf, len);
	refused(buf, len, "reserved byte at offset 91", "a nonzero reserved byte");
	free(buf);
}

static void test_sizes(void)
{
	size_t len;
	uint8_t *buf = valid(&len);
	size_t cuts[] = { MP_HEADER_SIZE + 4, MP_HEADER_SIZE + 40, MP_HEADER_SIZE + 8 * 32 + 5, len - 10, len - 1 };
	uint8_t *longer;

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "truncation to %zu of %zu bytes", cuts[i], len);
		refused(buf, cuts[i], "truncated", what);
	}
	longer = calloc(1, len + 1);
	memcpy(longer, buf, len);
	refused(longer, len + 1, "trailing bytes", "a trailing byte");
	free(longer);
	/* len is checked before the buffer is touched: no need for 256 MiB here. */
	refused(buf, (size_t)MP_MAX_BYTECODE_BYTES + 1, "over the limit", "a buffer over MP_MAX_BYTECODE_BYTES");
	free(buf);
}

static void test_file(void)
{
	char path[] = "/tmp/mp-test-load-XXXXXX";
	struct program p = { 0 };
	struct mp_error err = { 0 };
	size_t len;
	uint8_t *buf = valid(&len);
	int fd = mkstemp(path);
	int r;

	if (fd < 0) {
		tap_skip(7, "mkstemp failed");
		free(buf);
		return;
	}
	CHECK(write(fd, buf, len) == (ssize_t)len, "write the test file");
	r = program_load_file(path, &p, &err);
	if (!CHECK(r == 0 && p.hdr.n_insns == 8, "program_load_file loads a valid file"))
		tap_diag("%s", err.msg);
	program_free(&p);
	/* A sparse file over the limit: refused on its size, before reading it. */
	CHECK(ftruncate(fd, (off_t)MP_MAX_BYTECODE_BYTES + 1) == 0, "grow the file (sparse)");
	r = program_load_file(path, &p, &err);
	if (!CHECK(r == -EFBIG && strstr(err.msg, "over the limit"), "program_load_file refuses a file over the limit"))
		tap_diag("rc %d: %s", r, err.msg);
	close(fd);
	unlink(path);
	r = program_load_file(path, &p, &err);
	CHECK(r == -ENOENT && strstr(err.msg, path), "a missing file is an error naming it");
	r = program_load_file("/tmp", &p, &err);
	CHECK(r == -EINVAL && strstr(err.msg, "bytecode '/tmp': not a regular file"), "a directory is refused");
	r = program_load_file("/dev/zero", &p, &err);
	CHECK(r == -EINVAL && strstr(err.msg, "not a regular file"), "a device (endless /dev/zero) is refused, not read");
	free(buf);
}

static void test_layout(void)
{
	size_t len;
	uint8_t *buf;
	uint32_t strtab_off;

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(n_insns), 0);
	refused(buf, len, "n_insns at offset 20 is 0", "n_insns 0");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(n_insns), MP_MAX_INSNS + 1);
	refused(buf, len, "n_insns at offset 20 is 4000001, over the limit", "n_insns over the limit");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(n_insns), 0xFFFFFFFFu);
	refused(buf, len, "over the limit", "a huge n_insns");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(n_insns), 9);
	refused(buf, len, "debug_off at offset 36", "n_insns inconsistent with the sections");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(n_regs), MP_MAX_REGS + 1);
	refused(buf, len, "n_regs at offset 24 is 65537", "n_regs over the limit");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(n_entries), MP_MAX_ENTRIES + 1);
	refused(buf, len, "n_entries at offset 28", "n_entries over the limit");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(insn_off), 100);
	refused(buf, len, "insn_off at offset 32 is 100", "a gap after the header");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(debug_off), MP_HEADER_SIZE + 8 * 32 - 12);
	refused(buf, len, "debug_off at offset 36", "overlapping insns and debug sections");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(strtab_off), MP_HEADER_SIZE + 8 * 44 + 1);
	refused(buf, len, "strtab_off at offset 40", "a misplaced string table");
	free(buf);

	/* 32 * n_insns wraps to the real section size in 32 bits: must not pass. */
	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(n_insns), 8u + (1u << 27));
	refused(buf, len, "over the limit", "an n_insns whose section size wraps 32-bit arithmetic");
	free(buf);

	buf = valid(&len);
	memcpy(&strtab_off, buf + HOFF(strtab_off), 4);
	mpb_poke32(buf, len, HOFF(strtab_len), 0xFFFFFFFFu - strtab_off);
	refused(buf, len, "sections end at", "a strtab_len running past the end of the file");
	free(buf);

	buf = valid(&len);
	mpb_poke32(buf, len, HOFF(strtab_len), 1);
	refused(buf, len, "sections end at", "a strtab_len shorter than the table");
	free(buf);
}

static void test_strtab(void)
{
	struct mpb b;
	size_t len;
	uint8_t *buf;

	/* strtab_len 0: the builder's table minus everything. */
	mpb_init(&b, 0, 0);
	b.hdr.plan_file = 0;
	b.strtab_len = 0;
	MPB_INSN(&b, OP_END, 0);
	buf = mpb_bytes(&b, &len);
	refused(buf, len, "strtab_len at offset 44 is 0", "an empty string table");
	free(buf);

	mpb_init(&b, 0, 0);
	b.strtab[0] = 'x';
	MPB_INSN(&b, OP_END, 0);
	buf = mpb_bytes(&b, &len);
	refused(buf, len, "does not start with \"\"", "a string table not starting with \"\"");
	free(buf);

	mpb_init(&b, 0, 0);
	mpb_raw(&b, "abc", 3);
	MPB_INSN(&b, OP_END, 0);
	buf = mpb_bytes(&b, &len);
	refused(buf, len, "does not end with a NUL", "a last string without NUL");
	free(buf);

	mpb_init(&b, 0, 0);
	b.hdr.plan_file = 5000;
	MPB_INSN(&b, OP_END, 0);
	buf = mpb_bytes(&b, &len);
	refused(buf, len, "plan_file at offset 48 is 5000", "a plan_file outside the table");
	free(buf);

	mpb_init(&b, 0, 0);
	b.hdr.plan_root = b.strtab_len;
	MPB_INSN(&b, OP_END, 0);
	buf = mpb_bytes(&b, &len);
	refused(buf, len, "plan_root at offset 52", "a plan_root outside the table");
	free(buf);
}

static void test_crc(void)
{
	size_t len;
	uint8_t *buf = valid(&len);

	buf[len - 8] ^= 0x20; /* a letter of the last string */
	refused(buf, len, "crc32 mismatch (file says 0x", "a flipped bit (bad crc32)");
	free(buf);
	buf = valid(&len);
	buf[len - 1] ^= 0xff;
	refused(buf, len, "crc32 mismatch", "a corrupted crc32 field");
	free(buf);
}

int main(void)
{
	tap_plan(0);
	test_valid();
	test_header();
	test_sizes();
	test_file();
	test_layout();
	test_strtab();
	test_crc();
	return tap_done();
}
