/*
 * disasm.c — the human form of a verified program, printed by
 * `mplan disasm` and `mrun --dry-run`, and pinned by golden tests: the
 * output is stable (no addresses, no locale, fixed columns).
 *
 *   ; mountplan bytecode, format version 1
 *   ; plan    plan.yaml
 *   ; sha256  5d41402a...
 *   ; root    /run/c1/rootfs
 *   ; insns 3, regs 1, entries 1, strtab 24 bytes
 *      0  FSOPEN            r0, "tmpfs"                       ; plan.yaml:4:5 entry 0
 *      1  MOVE              r0, "/tmp" [optional]             ; plan.yaml:4:5 entry 0
 *
 * Operands are decoded by their opcodes.def kind: strings quoted with C
 * escapes, registers as rN, jumps as "-> N", LO/HI pairs as one 64-bit
 * number, and the U32 immediates whose meaning the opcode fixes as words
 * (mount attributes, propagation, fsconfig command, loop and tree flags,
 * timeouts, modes).  Bits no word names are printed in hex, so nothing is
 * ever hidden, even though a verified program has none.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>

#include "program.h"

#define DISASM_NAME_WIDTH 18    /* longest opcode name (SKIP_UNLESS_EMPTY) + 1 */
#define DISASM_COMMENT_COLUMN 56

struct bit_name {
	uint32_t bit;
	const char *name;
};

static const struct bit_name attr_names[] = {
	{ MOUNT_ATTR_RDONLY, "ro" },
	{ MOUNT_ATTR_NOSUID, "nosuid" },
	{ MOUNT_ATTR_NODEV, "nodev" },
	{ MOUNT_ATTR_NOEXEC, "noexec" },
	{ MOUNT_ATTR_NOATIME, "noatime" },
	{ MOUNT_ATTR_STRICTATIME, "strictatime" },
	{ MOUNT_ATTR_NODIRATIME, "nodiratime" },
	{ MOUNT_ATTR_IDMAP, "idmap" },
	{ MOUNT_ATTR_NOSYMFOLLOW, "nosymfollow" },
	{ 0, NULL },
};

static const struct bit_name ms_names[] = {
	{ MS_RDONLY, "ro" },
	{ MS_NOSUID, "nosuid" },
	{ MS_NODEV, "nodev" },
	{ MS_NOEXEC, "noexec" },
	{ MS_SYNCHRONOUS, "sync" },
	{ MS_MANDLOCK, "mand" },
	{ MS_DIRSYNC, "dirsync" },
	{ MS_NOSYMFOLLOW, "nosymfollow" },
	{ MS_NOATIME, "noatime" },
	{ MS_NODIRATIME, "nodiratime" },
	{ MS_SILENT, "silent" },
	{ MS_RELATIME, "relatime" },
	{ MS_STRICTATIME, "strictatime" },
	{ MS_LAZYTIME, "lazytime" },
	{ 0, NULL },
};

static const struct bit_name loop_names[] = {
	{ MP_LOOP_READONLY, "ro" },
	{ MP_LOOP_DIRECT_IO, "direct-io" },
	{ MP_LOOP_AUTOCLEAR, "autoclear" },
	{ 0, NULL },
};

static const struct bit_name tree_names[] = {
	{ MP_TREE_RECURSIVE, "recursive" },
	{ 0, NULL },
};

static const struct bit_name wait_names[] = {
	{ MP_WAIT_NO_CARRIER, "no-carrier" },
	{ 0, NULL },
};

/* How the U32 slot `slot` of `op` reads. */
enum u32_meaning {
	U32_PLAIN,
	U32_MODE,
	U32_ATTR_SET,
	U32_ATTR_CLR,
	U32_MS_FLAGS,
	U32_PROPAGATION,
	U32_FSC_CMD,
	U32_LOOP_FLAGS,
	U32_TREE_FLAGS,
	U32_WAIT_FLAGS,
	U32_TIMEOUT,
};

static enum u32_meaning u32_meaning_of(enum op op, int slot)
{
	switch (op) {
	case OP_MKDIR: return slot == 1 ? U32_MODE : U32_PLAIN;
	case OP_MKPOINT: return slot == 2 ? U32_MODE : U32_PLAIN;
	case OP_LOOP_ATTACH: return slot == 2 ? U32_LOOP_FLAGS : U32_PLAIN;
	case OP_OPEN_TREE: return slot == 2 ? U32_TREE_FLAGS : U32_PLAIN;
	case OP_SETATTR:
		return slot == 1 ? U32_ATTR_SET : slot == 2 ? U32_ATTR_CLR : slot == 3 ? U32_PROPAGATION : U32_PLAIN;
	case OP_FSCONFIG: return slot == 1 ? U32_FSC_CMD : U32_PLAIN;
	case OP_FSMOUNT: return slot == 2 ? U32_ATTR_SET : U32_PLAIN;
	case OP_BIND:
		return slot == 2 ? U32_TREE_FLAGS : slot == 3 ? U32_ATTR_SET : slot == 4 ? U32_ATTR_CLR : U32_PLAIN;
	case OP_MOUNT: return slot == 3 ? U32_MS_FLAGS : U32_PLAIN;
	case OP_REMOUNT:
		return slot == 1 ? U32_ATTR_SET : slot == 2 ? U32_ATTR_CLR : slot == 3 ? U32_TREE_FLAGS : U32_PLAIN;
	case OP_PROPAGATE: return slot == 1 ? U32_PROPAGATION : slot == 2 ? U32_TREE_FLAGS : U32_PLAIN;
	case OP_WAIT_LINK: return slot == 1 ? U32_TIMEOUT : slot == 2 ? U32_WAIT_FLAGS : U32_PLAIN;
	case OP_WAIT_DEVICE: return slot == 1 ? U32_TIMEOUT : U32_PLAIN;
	case OP_END: case OP_ROOT_BIND: case OP_USERNS: case OP_IDMAP: case OP_FSOPEN:
	case OP_FSCONFIG_PATH: case OP_FSCONFIG_LOOP: case OP_FSCONFIG_PARK: case OP_MOVE:
	case OP_PARK: case OP_UMOUNT: case OP_MOUNT_HELPER: case OP_MASK:
	case OP_SKIP_UNLESS_EMPTY: case OP_CLOSE: case OP__COUNT:
		break;
	}
	return U32_PLAIN;
}

/* A growing line; output is cut (never overflowed) at the buffer's end. */
struct line {
	char buf[8192];
	size_t len;
};

static void line_add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->buf) - l->len ? (size_t)n : sizeof(l->buf) - 1 - l->len;
}

static void line_quoted(struct line *l, const char *s)
{
	line_add(l, "\"");
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"': line_add(l, "\\\""); break;
		case '\\': line_add(l, "\\\\"); break;
		case '\n': line_add(l, "\\n"); break;
		case '\t': line_add(l, "\\t"); break;
		default:
			if (*c < 0x20 || *c >= 0x7f)
				line_add(l, "\\x%02x", *c);
			else
				line_add(l, "%c", *c);
		}
	}
	line_add(l, "\"");
}

/* Words for the set bits, comma-separated; leftover bits in hex; "0" when none. */
static void line_bits(struct line *l, uint32_t v, const struct bit_name *names)
{
	bool first = true;

	for (const struct bit_name *b = names; b->name; b++)
		if (v & b->bit) {
			line_add(l, "%s%s", first ? "" : ",", b->name);
			v &= ~b->bit;
			first = false;
		}
	if (v)
		line_add(l, "%s0x%x", first ? "" : ",", v);
	else if (first)
		line_add(l, "0");
}

static void line_attr_clr(struct line *l, uint32_t v)
{
	/* Clearing the whole atime field is how a new atime value is set. */
	if ((v & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME) {
		line_add(l, "atime");
		v &= ~(uint32_t)MOUNT_ATTR__ATIME;
		if (v) {
			line_add(l, ",");
			line_bits(l, v, attr_names);
		}
		return;
	}
	line_bits(l, v, attr_names);
}

static void line_propagation(struct line *l, uint32_t v)
{
	switch (v) {
	case 0: line_add(l, "keep"); break;
	case MS_SHARED: line_add(l, "shared"); break;
	case MS_PRIVATE: line_add(l, "private"); break;
	case MS_SLAVE: line_add(l, "slave"); break;
	case MS_UNBINDABLE: line_add(l, "unbindable"); break;
	default: line_add(l, "0x%x", v); break;
	}
}

static void line_u32(struct line *l, enum op op, int slot, uint32_t v)
{
	switch (u32_meaning_of(op, slot)) {
	case U32_PLAIN: line_add(l, "%u", v); break;
	case U32_MODE: line_add(l, "0%o", v); break;
	case U32_ATTR_SET: line_bits(l, v, attr_names); break;
	case U32_ATTR_CLR: line_attr_clr(l, v); break;
	case U32_MS_FLAGS: line_bits(l, v, ms_names); break;
	case U32_PROPAGATION: line_propagation(l, v); break;
	case U32_FSC_CMD:
		if (v == MP_FSC_FLAG)
			line_add(l, "flag");
		else if (v == MP_FSC_STRING)
			line_add(l, "string");
		else
			line_add(l, "%u", v);
		break;
	case U32_LOOP_FLAGS: line_bits(l, v, loop_names); break;
	case U32_TREE_FLAGS: line_bits(l, v, tree_names); break;
	case U32_WAIT_FLAGS: line_bits(l, v, wait_names); break;
	case U32_TIMEOUT: line_add(l, "%ums", v); break;
	}
}

/* A string operand; the offset is checked again so an unverified program cannot make us read out of the table. */
static void line_string(struct line *l, const struct program *p, uint32_t off)
{
	if (off >= p->strtab_len || !memchr(p->strtab + off, '\0', p->strtab_len - off)) {
		line_add(l, "<bad string %u>", off);
		return;
	}
	line_quoted(l, program_str(p, off));
}

static void line_insn(struct line *l, const struct program *p, uint32_t index)
{
	const struct mp_insn *in = &p->insns[index];
	const struct mp_debug *d = &p->debug[index];
	enum op op = in->op;
	const char *sep = "";

	line_add(l, "%6u  %-*s", index, DISASM_NAME_WIDTH, op_name(op));
	for (int slot = 0; slot < MP_NOPERANDS; slot++) {
		enum opnd_kind k = op_operand_kind(op, slot);
		uint32_t o = in->o[slot];

		if (k == K_NONE || k == K_HI)
			continue; /* HI is printed with its LO */
		line_add(l, "%s", sep);
		sep = ", ";
		switch (k) {
		case K_STR: case K_PATH: case K_SRC: case K_MAP:
			line_string(l, p, o);
			break;
		case K_U32:
			line_u32(l, op, slot, o);
			break;
		case K_LO:
			if (slot + 1 < MP_NOPERANDS)
				line_add(l, "%llu", (unsigned long long)o | (unsigned long long)in->o[slot + 1] << 32);
			break;
		case K_JUMP:
			line_add(l, "-> %u", o);
			break;
		case K_WLOOP: case K_RLOOP: case K_WUSERNS: case K_RUSERNS: case K_WTREE:
		case K_RTREE: case K_WFS: case K_RFS: case K_WPARK: case K_RPARK: case K_RANY:
			line_add(l, "r%u", o);
			break;
		case K_NONE: case K_HI: case K__COUNT:
			break;
		}
	}
	if (in->flags & MP_IF_OPTIONAL)
		line_add(l, " [optional]");
	if (in->flags & MP_IF_SRC_IN_ROOT)
		line_add(l, " [src-in-root]");
	/* Strip the padding of an operand-less name before aligning the comment. */
	while (l->len > 0 && l->buf[l->len - 1] == ' ')
		l->buf[--l->len] = '\0';
	line_add(l, "%*s; ", l->len < DISASM_COMMENT_COLUMN ? (int)(DISASM_COMMENT_COLUMN - l->len) : 1, "");
	line_add(l, "%s:%u:%u ", program_str(p, p->hdr.plan_file), d->line, d->col);
	if (d->entry == MP_ENTRY_PLAN)
		line_add(l, "plan");
	else
		line_add(l, "entry %u", d->entry);
}

void disasm_print_insn(FILE *out, const struct program *p, uint32_t index)
{
	struct line l = { .len = 0 };

	l.buf[0] = '\0';
	line_insn(&l, p, index);
	fputs(l.buf, out);
}

void disasm_print(FILE *out, const struct program *p)
{
	const struct mp_header *h = &p->hdr;
	const char *root = program_str(p, h->plan_root);

	fprintf(out, "; mountplan bytecode, format version %u\n", h->version);
	fprintf(out, "; plan    %s\n", program_str(p, h->plan_file));
	fputs("; sha256  ", out);
	for (size_t i = 0; i < sizeof(h->plan_sha256); i++)
		fprintf(out, "%02x", h->plan_sha256[i]);
	fputc('\n', out);
	fprintf(out, "; root    %s\n", *root ? root : "(none)");
	fprintf(out, "; insns %u, regs %u, entries %u, strtab %u bytes\n", h->n_insns, h->n_regs, h->n_entries,
		h->strtab_len);
	for (uint32_t i = 0; i < h->n_insns; i++) {
		disasm_print_insn(out, p, i);
		fputc('\n', out);
	}
}
