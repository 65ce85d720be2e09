/*
 * verify.c — proves a loaded program (load.c) safe to hand to the
 * interpreter, before its first syscall.  The compiler is a different trust
 * domain: anything it wrote may be wrong or hostile, so every rule the
 * interpreter relies on is checked here and a program that breaks one is
 * refused as a whole.
 *
 * The checks are driven by schema/opcodes.def: every operand slot is
 * checked by its enum opnd_kind (strings inside the table, paths absolute
 * and normalized, id maps well formed, registers in range and typed, jumps
 * forward), then the U32 immediates whose meaning is fixed by the opcode
 * are checked against the values the interpreter knows.
 *
 * Registers: a single forward pass, because jumps only go forward.  The
 * state of each register (unwritten, its type, closed, or "differs between
 * paths") at instruction i is the intersection of the state falling through
 * from i-1 and the states of every jump that targets i; those jump states
 * are kept, one copy per pending target, until the pass reaches it.  An
 * MP_IF_OPTIONAL step is an edge too: on failure the interpreter undoes its
 * entry and continues after the entry's last instruction (bytecode.h), so
 * registers written in an optional entry are not readable after it.  The
 * cost is bounded up front (MP_MAX_VERIFY_WORK) so that a hostile file with
 * millions of jumps and registers cannot make the verifier the attack.
 *
 * Every error names the instruction index, its opcode, the operand slot and
 * the reason: "insn 12 (MOVE): operand 0: register r3 read before it is
 * written".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "limits.h"
#include "program.h"

/* What the pass knows about one register at one point of the program. */
enum reg_state {
	REG_UNSET = 0, /* no path to here wrote it */
	REG_LOOP,
	REG_USERNS,
	REG_TREE,
	REG_FS,
	REG_PARK,
	REG_CLOSED, /* every path closed it */
	REG_MIXED,  /* the paths to here disagree (written on some only, or with different types) */
};

/* MOUNT_ATTR_* bits mount_setattr/fsmount may get from the bytecode.  IDMAP is
 * not among them: it needs a userns fd, which only the IDMAP opcode carries. */
#define VERIFY_ATTR_KNOWN \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | \
	 MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW)

/* MS_* flags a classic mount(2) of a new filesystem may get.  MS_BIND,
 * MS_MOVE, MS_REMOUNT, MS_REC and the propagation flags would change what the
 * call does; other opcodes exist for those. */
#define VERIFY_MS_KNOWN \
	((uint32_t)(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK | \
		    MS_DIRSYNC | MS_NOSYMFOLLOW | MS_NOATIME | MS_NODIRATIME | MS_SILENT | \
		    MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME))

#define VERIFY_IFNAMSIZ 16 /* IFNAMSIZ, NUL included */

struct verifier {
	const struct program *p;
	struct mp_error *err;
	uint32_t index;         /* the instruction being checked */
	uint8_t *regs;          /* enum reg_state per register, falling through to index */
	uint32_t *pending;      /* per instruction: 1 + slot in states[] of its jump state, or 0 */
	uint8_t **states;       /* jump states not yet reached */
	uint32_t n_states;
	uint32_t *free_slots;   /* reusable slots of states[] */
	uint32_t n_free;
	uint8_t *tmp;           /* n_regs: the state along an optional step's failure path */
	uint32_t *entry_last;   /* per entry: its last instruction (optional failures continue after it) */
	uint32_t *entry_wstart; /* per entry + 1: where its written registers start in entry_writes */
	uint32_t *entry_writes; /* every register each entry writes, grouped by entry */
};

static const char *reg_state_name(enum reg_state s)
{
	switch (s) {
	case REG_UNSET: return "unwritten";
	case REG_LOOP: return "a loop register";
	case REG_USERNS: return "a user-namespace register";
	case REG_TREE: return "a mount tree register";
	case REG_FS: return "a filesystem-context register";
	case REG_PARK: return "a parked-tree register";
	case REG_CLOSED: return "closed";
	case REG_MIXED: return "not the same on every path";
	}
	return "?";
}

static int verify_fail(struct verifier *v, int slot, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "insn N (OP): operand S: reason", or without the operand part if slot < 0. */
static int verify_fail(struct verifier *v, int slot, const char *fmt, ...)
{
	const struct mp_insn *in = &v->p->insns[v->index];
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (slot >= 0)
		return error_set(v->err, EINVAL, "insn %u (%s): operand %d: %s", v->index, op_name(in->op), slot, reason);
	return error_set(v->err, EINVAL, "insn %u (%s): %s", v->index, op_name(in->op), reason);
}

/* ---- strings ---- */

/* The string at off, or NULL (with the error set) if off is not a valid string offset. */
static const char *verify_string(struct verifier *v, int slot, uint32_t off)
{
	const struct program *p = v->p;
	size_t room, len;

	if (off >= p->strtab_len) {
		verify_fail(v, slot, "string offset %u outside the string table (%u bytes)", off, p->strtab_len);
		return NULL;
	}
	room = p->strtab_len - off;
	len = strnlen(p->strtab + off, room);
	if (len == room) {
		verify_fail(v, slot, "string at offset %u is not NUL-terminated inside the string table", off);
		return NULL;
	}
	if (len + 1 > MP_MAX_STRING) {
		verify_fail(v, slot, "string at offset %u is %zu bytes, over the limit of %u", off, len + 1, MP_MAX_STRING);
		return NULL;
	}
	return p->strtab + off;
}

/* NULL if s is an absolute normalized path, else why not. */
static const char *path_problem(const char *s)
{
	const char *c;

	if (s[0] != '/')
		return "is not absolute";
	if (s[1] == '\0')
		return NULL;
	for (c = s; *c; ) {
		size_t n;

		c++; /* past the '/' */
		n = strcspn(c, "/");
		if (n == 0)
			return c[0] == '\0' ? "has a trailing '/'" : "has an empty component ('//')";
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return "has a '.' or '..' component";
		c += n;
	}
	return NULL;
}

static int verify_path(struct verifier *v, int slot, uint32_t off, const char *what)
{
	const char *s = verify_string(v, slot, off);
	const char *why;

	if (!s)
		return -v->err->code;
	why = path_problem(s);
	if (why)
		return verify_fail(v, slot, "%s '%s' %s (paths must be absolute and normalized)", what, s, why);
	return 0;
}

/* Parse a decimal u32 at *s (no sign, no leading '+', no overflow). */
static bool parse_u32(const char **s, uint32_t *ret)
{
	uint64_t val = 0;
	const char *c = *s;

	if (*c < '0' || *c > '9')
		return false;
	while (*c >= '0' && *c <= '9') {
		val = val * 10 + (uint64_t)(*c - '0');
		if (val > UINT32_MAX)
			return false;
		c++;
	}
	*s = c;
	*ret = (uint32_t)val;
	return true;
}

static bool ranges_overlap(uint32_t a, uint32_t an, uint32_t b, uint32_t bn)
{
	return (uint64_t)a < (uint64_t)b + bn && (uint64_t)b < (uint64_t)a + an;
}

/* An id map "inside:outside:count[,inside:outside:count...]" as the kernel's uid_map takes it. */
static int verify_map(struct verifier *v, int slot, uint32_t off)
{
	uint32_t in[MP_MAX_IDMAP_RANGES], out[MP_MAX_IDMAP_RANGES], cnt[MP_MAX_IDMAP_RANGES];
	const char *s = verify_string(v, slot, off);
	const char *c;
	unsigned n = 0;

	if (!s)
		return -v->err->code;
	if (!*s)
		return verify_fail(v, slot, "id map is empty");
	for (c = s;; c++) {
		if (n == MP_MAX_IDMAP_RANGES)
			return verify_fail(v, slot, "id map '%s' has more than %u ranges", s, MP_MAX_IDMAP_RANGES);
		if (!parse_u32(&c, &in[n]) || *c++ != ':' || !parse_u32(&c, &out[n]) || *c++ != ':' ||
		    !parse_u32(&c, &cnt[n]) || (*c != ',' && *c != '\0'))
			return verify_fail(v, slot, "id map '%s' is not inside:outside:count[,...] (range %u)", s, n + 1);
		if (cnt[n] == 0)
			return verify_fail(v, slot, "id map '%s': range %u has count 0", s, n + 1);
		if ((uint64_t)in[n] + cnt[n] > UINT32_MAX || (uint64_t)out[n] + cnt[n] > UINT32_MAX)
			return verify_fail(v, slot, "id map '%s': range %u runs past the largest id", s, n + 1);
		for (unsigned k = 0; k < n; k++)
			if (ranges_overlap(in[k], cnt[k], in[n], cnt[n]) || ranges_overlap(out[k], cnt[k], out[n], cnt[n]))
				return verify_fail(v, slot, "id map '%s': range %u overlaps range %u", s, n + 1, k + 1);
		n++;
		if (*c == '\0')
			break;
	}
	return 0;
}

/* ---- registers ---- */

static enum reg_state reg_state_of_kind(enum opnd_kind k)
{
	switch (k) {
	case K_WLOOP: case K_RLOOP: return REG_LOOP;
	case K_WUSERNS: case K_RUSERNS: return REG_USERNS;
	case K_WTREE: case K_RTREE: return REG_TREE;
	case K_WFS: case K_RFS: return REG_FS;
	case K_WPARK: case K_RPARK: return REG_PARK;
	case K_NONE: case K_STR: case K_PATH: case K_SRC: case K_MAP: case K_U32:
	case K_LO: case K_HI: case K_JUMP: case K_RANY: case K__COUNT:
		break;
	}
	return REG_UNSET;
}

static int verify_reg_index(struct verifier *v, int slot, uint32_t r)
{
	if (r >= v->p->hdr.n_regs)
		return verify_fail(v, slot, "register r%u out of range (n_regs %u)", r, v->p->hdr.n_regs);
	return 0;
}

/* A read of register r as kind k (RANY: any live register). */
static int verify_read(struct verifier *v, int slot, uint32_t r, enum opnd_kind k)
{
	enum reg_state s, want;
	int ret = verify_reg_index(v, slot, r);

	if (ret < 0)
		return ret;
	s = v->regs[r];
	switch (s) {
	case REG_UNSET:
		return verify_fail(v, slot, "register r%u read before it is written", r);
	case REG_CLOSED:
		return verify_fail(v, slot, "register r%u read after it is closed", r);
	case REG_MIXED:
		return verify_fail(v, slot,
				   "register r%u is not written (with one type) on every path to here "
				   "(a jump or an optional step's failure skips its write)", r);
	case REG_LOOP: case REG_USERNS: case REG_TREE: case REG_FS: case REG_PARK:
		break;
	}
	if (k == K_RANY)
		return 0;
	want = reg_state_of_kind(k);
	if (s != want)
		return verify_fail(v, slot, "register r%u read as %s but holds %s", r,
				   reg_state_name(want), reg_state_name(s));
	return 0;
}

/* Intersect the jump state js into the current state. */
static void verify_merge(struct verifier *v, const uint8_t *js)
{
	for (uint32_t r = 0; r < v->p->hdr.n_regs; r++)
		if (v->regs[r] != js[r])
			v->regs[r] = REG_MIXED;
}

/* Record that state `from` flows to instruction t (t > the current index). */
static int verify_flow_to(struct verifier *v, int jslot, uint32_t t, const uint8_t *from)
{
	uint32_t n_regs = v->p->hdr.n_regs;
	uint32_t slot;

	if (v->pending[t]) {
		uint8_t *js = v->states[v->pending[t] - 1];

		for (uint32_t r = 0; r < n_regs; r++)
			if (js[r] != from[r])
				js[r] = REG_MIXED;
		return 0;
	}
	if (v->n_free) {
		slot = v->free_slots[--v->n_free];
	} else {
		if ((uint64_t)(v->n_states + 1) * n_regs > MP_MAX_VERIFY_STATE_BYTES)
			return verify_fail(v, jslot, "too many jumps pending at once for %u registers (verifier limit %u bytes)",
					   n_regs, MP_MAX_VERIFY_STATE_BYTES);
		slot = v->n_states;
		v->states[slot] = malloc(n_regs ? n_regs : 1);
		if (!v->states[slot])
			return error_set_errno(v->err, ENOMEM, "verify");
		v->n_states++;
	}
	memcpy(v->states[slot], from, n_regs);
	v->pending[t] = slot + 1;
	return 0;
}

/*
 * An MP_IF_OPTIONAL step that fails (or a WAIT_* of it that times out) makes
 * the interpreter undo its entry's done steps and continue after the entry's
 * last instruction: an edge the program does not spell as a JUMP.  Along it
 * the step's own writes did not happen and every register its entry writes
 * is undone (closed), so a later read of one is refused like any read on a
 * path that skipped the write.  A top-level step (MP_ENTRY_PLAN) is skipped
 * alone.  Called before the step's writes are applied.
 */
static int verify_optional_edge(struct verifier *v, uint32_t entry)
{
	const struct program *p = v->p;
	uint32_t t;

	if (entry == MP_ENTRY_PLAN) {
		t = v->index + 1;
		memcpy(v->tmp, v->regs, p->hdr.n_regs);
	} else {
		t = v->entry_last[entry] + 1;
		memcpy(v->tmp, v->regs, p->hdr.n_regs);
		for (uint32_t k = v->entry_wstart[entry]; k < v->entry_wstart[entry + 1]; k++)
			v->tmp[v->entry_writes[k]] = REG_CLOSED;
	}
	if (t >= p->hdr.n_insns)
		return 0; /* nothing runs after it but the final close of every register */
	return verify_flow_to(v, -1, t, v->tmp);
}

static bool is_write_kind(enum opnd_kind k)
{
	switch (k) {
	case K_WLOOP: case K_WUSERNS: case K_WTREE: case K_WFS: case K_WPARK:
		return true;
	case K_NONE: case K_STR: case K_PATH: case K_SRC: case K_MAP: case K_U32: case K_LO: case K_HI:
	case K_JUMP: case K_RLOOP: case K_RUSERNS: case K_RTREE: case K_RFS: case K_RPARK: case K_RANY:
	case K__COUNT:
		break;
	}
	return false;
}

/* The registers instruction in writes, those in range (the rest is refused by the pass). */
static uint32_t insn_writes(const struct program *p, const struct mp_insn *in, uint32_t out[MP_NOPERANDS])
{
	uint32_t n = 0;

	if (in->op >= OP__COUNT)
		return 0;
	for (int slot = 0; slot < MP_NOPERANDS; slot++)
		if (is_write_kind(op_operand_kind(in->op, slot)) && in->o[slot] < p->hdr.n_regs)
			out[n++] = in->o[slot];
	return n;
}

/* Index each entry's last instruction and the registers it writes (for verify_optional_edge). */
static int verify_index_entries(struct verifier *v)
{
	const struct program *p = v->p;
	uint32_t n_entries = p->hdr.n_entries, n_insns = p->hdr.n_insns;
	_cleanup_free_ uint32_t *fill = NULL;
	uint32_t w[MP_NOPERANDS];
	uint64_t total;

	v->entry_last = calloc(n_entries ? n_entries : 1, sizeof(*v->entry_last));
	v->entry_wstart = calloc((size_t)n_entries + 1, sizeof(*v->entry_wstart));
	if (!v->entry_last || !v->entry_wstart)
		return error_set_errno(v->err, ENOMEM, "verify");
	/* Count writes per entry (entries out of range are refused later by verify_debug). */
	for (uint32_t i = 0; i < n_insns; i++) {
		uint32_t e = p->debug[i].entry;

		if (e >= n_entries)
			continue;
		v->entry_last[e] = i;
		v->entry_wstart[e + 1] += insn_writes(p, &p->insns[i], w);
	}
	for (uint32_t e = 0; e < n_entries; e++)
		v->entry_wstart[e + 1] += v->entry_wstart[e];
	total = v->entry_wstart[n_entries];
	v->entry_writes = calloc(total ? total : 1, sizeof(*v->entry_writes));
	fill = calloc(n_entries ? n_entries : 1, sizeof(*fill));
	if (!v->entry_writes || !fill)
		return error_set_errno(v->err, ENOMEM, "verify");
	for (uint32_t i = 0; i < n_insns; i++) {
		uint32_t e = p->debug[i].entry, n;

		if (e >= n_entries)
			continue;
		n = insn_writes(p, &p->insns[i], w);
		for (uint32_t k = 0; k < n; k++)
			v->entry_writes[v->entry_wstart[e] + fill[e]++] = w[k];
	}
	return 0;
}

/* ---- operands by kind ---- */

static int verify_slot(struct verifier *v, const struct mp_insn *in, int slot)
{
	enum opnd_kind k = op_operand_kind(in->op, slot);
	uint32_t o = in->o[slot];
	uint32_t n_insns = v->p->hdr.n_insns;

	switch (k) {
	case K_NONE:
		if (o != 0)
			return verify_fail(v, slot, "unused operand is %u, must be 0", o);
		return 0;
	case K_STR:
		return verify_string(v, slot, o) ? 0 : -v->err->code;
	case K_PATH:
		return verify_path(v, slot, o, "path");
	case K_SRC:
		return verify_path(v, slot, o, in->flags & MP_IF_SRC_IN_ROOT ? "source (inside the root)" : "source");
	case K_MAP:
		return verify_map(v, slot, o);
	case K_U32: case K_LO: case K_HI:
		return 0; /* meanings are per opcode: verify_immediates */
	case K_JUMP:
		if (o <= v->index)
			return verify_fail(v, slot, "jump to %u is not forward", o);
		if (o > n_insns - 1)
			return verify_fail(v, slot, "jump to %u is out of range (last instruction %u)", o, n_insns - 1);
		return 0;
	case K_RLOOP: case K_RUSERNS: case K_RTREE: case K_RFS: case K_RPARK: case K_RANY:
		return verify_read(v, slot, o, k);
	case K_WLOOP: case K_WUSERNS: case K_WTREE: case K_WFS: case K_WPARK:
		return verify_reg_index(v, slot, o);
	case K__COUNT:
		break;
	}
	return verify_fail(v, slot, "operand kind %d unknown to the verifier", (int)k);
}

/* Writes and CLOSE take effect after every read of the instruction was checked. */
static void verify_apply_writes(struct verifier *v, const struct mp_insn *in)
{
	for (int slot = 0; slot < MP_NOPERANDS; slot++) {
		enum opnd_kind k = op_operand_kind(in->op, slot);
		enum reg_state s = reg_state_of_kind(k);

		switch (k) {
		case K_WLOOP: case K_WUSERNS: case K_WTREE: case K_WFS: case K_WPARK:
			v->regs[in->o[slot]] = (uint8_t)s;
			break;
		case K_NONE: case K_STR: case K_PATH: case K_SRC: case K_MAP: case K_U32:
		case K_LO: case K_HI: case K_JUMP: case K_RLOOP: case K_RUSERNS: case K_RTREE:
		case K_RFS: case K_RPARK: case K_RANY: case K__COUNT:
			break;
		}
	}
	if (in->op == OP_CLOSE)
		v->regs[in->o[0]] = REG_CLOSED;
}

/* ---- immediates whose meaning the opcode fixes ---- */

static int verify_attr(struct verifier *v, int slot, uint32_t attr, const char *what)
{
	if (attr & ~(uint32_t)VERIFY_ATTR_KNOWN)
		return verify_fail(v, slot, "%s 0x%x has unknown MOUNT_ATTR bits 0x%x", what, attr,
				   attr & ~(uint32_t)VERIFY_ATTR_KNOWN);
	return 0;
}

/* For attr_set: the atime field holds one value (relatime, noatime, strictatime). */
static int verify_attr_set(struct verifier *v, int slot, uint32_t attr)
{
	int r = verify_attr(v, slot, attr, "attr set");
	uint32_t atime = attr & MOUNT_ATTR__ATIME;

	if (r < 0)
		return r;
	if (atime != MOUNT_ATTR_RELATIME && atime != MOUNT_ATTR_NOATIME && atime != MOUNT_ATTR_STRICTATIME)
		return verify_fail(v, slot, "attr set has atime value 0x%x (not relatime, noatime or strictatime)", atime);
	return 0;
}

static int verify_tree_flags(struct verifier *v, int slot, uint32_t flags)
{
	if (flags & ~MP_TREE_RECURSIVE)
		return verify_fail(v, slot, "flags 0x%x: only MP_TREE_RECURSIVE (0x%x) is known", flags, MP_TREE_RECURSIVE);
	return 0;
}

static bool is_propagation(uint32_t x)
{
	return x == MS_SHARED || x == MS_PRIVATE || x == MS_SLAVE || x == MS_UNBINDABLE;
}

static int verify_timeout(struct verifier *v, int slot, uint32_t ms)
{
	if (ms > MP_MAX_TIMEOUT_MS)
		return verify_fail(v, slot, "timeout %u ms is over the limit of %u ms", ms, MP_MAX_TIMEOUT_MS);
	return 0;
}

static int verify_mode(struct verifier *v, int slot, uint32_t mode)
{
	if (mode & ~07777u)
		return verify_fail(v, slot, "mode 0%o has bits outside 07777", mode);
	return 0;
}

static int verify_nonempty(struct verifier *v, int slot, const char *what)
{
	if (*program_str(v->p, v->p->insns[v->index].o[slot]) == '\0')
		return verify_fail(v, slot, "%s is empty", what);
	return 0;
}

/* Runs after verify_slot accepted every slot, so string offsets are valid. */
static int verify_immediates(struct verifier *v, const struct mp_insn *in)
{
	const uint32_t *o = in->o;
	int r = 0;

	switch ((enum op)in->op) {
	case OP_END: case OP_ROOT_BIND: case OP_USERNS: case OP_IDMAP: case OP_FSCONFIG_LOOP:
	case OP_FSCONFIG_PARK: case OP_MOVE: case OP_PARK: case OP_UMOUNT: case OP_MASK:
	case OP_SKIP_UNLESS_EMPTY: case OP_CLOSE:
		break;
	case OP_MKDIR:
		r = verify_mode(v, 1, o[1]);
		break;
	case OP_MKPOINT:
		r = verify_mode(v, 2, o[2]);
		break;
	case OP_LOOP_ATTACH:
		if (o[2] & ~MP_LOOP_KNOWN)
			r = verify_fail(v, 2, "loop flags 0x%x have unknown bits 0x%x", o[2], o[2] & ~MP_LOOP_KNOWN);
		break;
	case OP_OPEN_TREE:
		r = verify_tree_flags(v, 2, o[2]);
		break;
	case OP_SETATTR:
		r = verify_attr_set(v, 1, o[1]);
		if (r == 0)
			r = verify_attr(v, 2, o[2], "attr clear");
		if (r == 0 && o[3] != 0 && !is_propagation(o[3]))
			r = verify_fail(v, 3, "propagation 0x%x is not 0, MS_SHARED, MS_PRIVATE, MS_SLAVE or MS_UNBINDABLE", o[3]);
		break;
	case OP_FSOPEN:
		r = verify_nonempty(v, 1, "filesystem type");
		break;
	case OP_FSCONFIG:
		if (o[1] != MP_FSC_FLAG && o[1] != MP_FSC_STRING)
			r = verify_fail(v, 1, "fsconfig command %u is not MP_FSC_FLAG (0) or MP_FSC_STRING (1)", o[1]);
		else if (o[1] == MP_FSC_FLAG && *program_str(v->p, o[3]) != '\0')
			r = verify_fail(v, 3, "a flag (MP_FSC_FLAG) takes no value, got '%s'", program_str(v->p, o[3]));
		if (r == 0)
			r = verify_nonempty(v, 2, "fsconfig key");
		break;
	case OP_FSCONFIG_PATH:
		r = verify_nonempty(v, 1, "fsconfig key");
		break;
	case OP_FSMOUNT:
		r = verify_attr_set(v, 2, o[2]);
		break;
	case OP_BIND:
		r = verify_tree_flags(v, 2, o[2]);
		if (r == 0)
			r = verify_attr_set(v, 3, o[3]);
		if (r == 0)
			r = verify_attr(v, 4, o[4], "attr clear");
		break;
	case OP_MOUNT:
		r = verify_nonempty(v, 0, "filesystem type");
		if (r == 0 && (o[3] & ~VERIFY_MS_KNOWN))
			r = verify_fail(v, 3, "mount flags 0x%x have bits 0x%x that are not plain MS_* options", o[3],
					o[3] & ~VERIFY_MS_KNOWN);
		if (r == 0 && strlen(program_str(v->p, o[4])) >= MP_MOUNT_DATA_MAX)
			r = verify_fail(v, 4, "mount data is over the one-page limit of %u bytes", MP_MOUNT_DATA_MAX);
		break;
	case OP_MOUNT_HELPER:
		r = verify_nonempty(v, 0, "filesystem type");
		break;
	case OP_REMOUNT:
		r = verify_attr_set(v, 1, o[1]);
		if (r == 0)
			r = verify_attr(v, 2, o[2], "attr clear");
		if (r == 0)
			r = verify_tree_flags(v, 3, o[3]);
		break;
	case OP_PROPAGATE:
		if (!is_propagation(o[1]))
			r = verify_fail(v, 1, "propagation 0x%x is not MS_SHARED, MS_PRIVATE, MS_SLAVE or MS_UNBINDABLE", o[1]);
		else
			r = verify_tree_flags(v, 2, o[2]);
		break;
	case OP_WAIT_LINK: {
		const char *ifname = program_str(v->p, o[0]);
		size_t len = strlen(ifname);

		if (len == 0 || len >= VERIFY_IFNAMSIZ || strpbrk(ifname, "/: \t\n"))
			r = verify_fail(v, 0, "'%s' is not an interface name", ifname);
		else if (o[2] & ~MP_WAIT_NO_CARRIER)
			r = verify_fail(v, 2, "wait flags 0x%x: only MP_WAIT_NO_CARRIER (0x%x) is known", o[2],
					MP_WAIT_NO_CARRIER);
		if (r == 0)
			r = verify_timeout(v, 1, o[1]);
		break;
	}
	case OP_WAIT_DEVICE:
		/* The device is waited for on the host (uevents, /dev): never a path inside the root. */
		if (in->flags & MP_IF_SRC_IN_ROOT)
			r = verify_fail(v, 0, "a device to wait for is a host path, not src-in-root");
		else
			r = verify_timeout(v, 1, o[1]);
		break;
	case OP__COUNT:
		r = verify_fail(v, -1, "unknown opcode");
		break;
	}
	return r;
}

static bool op_has_src(enum op op)
{
	for (int slot = 0; slot < MP_NOPERANDS; slot++)
		if (op_operand_kind(op, slot) == K_SRC)
			return true;
	return false;
}

static bool op_has_jump(enum op op)
{
	for (int slot = 0; slot < MP_NOPERANDS; slot++)
		if (op_operand_kind(op, slot) == K_JUMP)
			return true;
	return false;
}

static int verify_insn(struct verifier *v, const struct mp_insn *in)
{
	uint32_t last = v->p->hdr.n_insns - 1;
	int r;

	if (in->op >= OP__COUNT)
		return error_set(v->err, EINVAL, "insn %u: unknown opcode %u (this reader knows 0..%d)", v->index, in->op,
				 OP__COUNT - 1);
	if (in->flags & ~MP_IF_KNOWN)
		return verify_fail(v, -1, "unknown instruction flags 0x%x", in->flags & ~MP_IF_KNOWN);
	if ((in->flags & MP_IF_SRC_IN_ROOT) && !op_has_src(in->op))
		return verify_fail(v, -1, "flag src-in-root on an opcode without a SRC operand");
	if (in->zero != 0)
		return verify_fail(v, -1, "reserved field (bytes 2-3) is 0x%x, must be 0", in->zero);
	if (in->op == OP_END && v->index != last)
		return verify_fail(v, -1, "END before the last instruction (%u)", last);
	if (in->op != OP_END && v->index == last)
		return verify_fail(v, -1, "the last instruction is not END");
	for (int slot = 0; slot < MP_NOPERANDS; slot++) {
		r = verify_slot(v, in, slot);
		if (r < 0)
			return r;
	}
	return verify_immediates(v, in);
}

static int verify_debug(const struct program *p, uint32_t i, struct mp_error *err)
{
	const struct mp_debug *d = &p->debug[i];

	if (d->entry != MP_ENTRY_PLAN && d->entry >= p->hdr.n_entries)
		return error_set(err, EINVAL, "insn %u (%s): debug record: entry %u out of range (n_entries %u)", i,
				 op_name(p->insns[i].op), d->entry, p->hdr.n_entries);
	if (d->line == 0)
		return error_set(err, EINVAL, "insn %u (%s): debug record: line 0 (lines start at 1)", i,
				 op_name(p->insns[i].op));
	return 0;
}

static void verifier_free(struct verifier *v)
{
	for (uint32_t i = 0; i < v->n_states; i++)
		free(v->states[i]);
	free(v->states);
	free(v->free_slots);
	free(v->pending);
	free(v->regs);
	free(v->tmp);
	free(v->entry_last);
	free(v->entry_wstart);
	free(v->entry_writes);
}

static int verify_header_strings(const struct program *p, struct mp_error *err)
{
	const char *root = program_str(p, p->hdr.plan_root);
	const char *why;

	if (*root && (why = path_problem(root)))
		return error_set(err, EINVAL, "bytecode: plan_root '%s' %s (must be absolute and normalized, or empty)",
				 root, why);
	return 0;
}

static int verify_run(struct verifier *v)
{
	const struct program *p = v->p;
	uint32_t n_insns = p->hdr.n_insns, n_regs = p->hdr.n_regs;
	uint64_t n_edges = 0;
	bool optional = false;
	int r;

	for (uint32_t i = 0; i < n_insns; i++) {
		if (p->insns[i].op < OP__COUNT && op_has_jump(p->insns[i].op))
			n_edges++;
		if (p->insns[i].flags & MP_IF_OPTIONAL) {
			n_edges++;
			optional = true;
		}
	}
	/* Each edge (jump or optional failure) costs at most two passes over the register state. */
	if (n_edges * n_regs > MP_MAX_VERIFY_WORK)
		return error_set(v->err, E2BIG,
				 "program too complex to verify: %" PRIu64 " jumps and optional steps over %u registers (limit %u)",
				 n_edges, n_regs, MP_MAX_VERIFY_WORK);

	v->regs = calloc(n_regs ? n_regs : 1, 1);
	v->tmp = calloc(n_regs ? n_regs : 1, 1);
	if (!v->regs || !v->tmp)
		return error_set_errno(v->err, ENOMEM, "verify");
	if (n_edges) {
		v->pending = calloc(n_insns, sizeof(*v->pending));
		v->states = calloc(n_edges, sizeof(*v->states));
		v->free_slots = calloc(n_edges, sizeof(*v->free_slots));
		if (!v->pending || !v->states || !v->free_slots)
			return error_set_errno(v->err, ENOMEM, "verify");
	}
	if (optional) {
		r = verify_index_entries(v);
		if (r < 0)
			return r;
	}

	for (uint32_t i = 0; i < n_insns; i++) {
		const struct mp_insn *in = &p->insns[i];

		v->index = i;
		if (v->pending && v->pending[i]) {
			uint32_t slot = v->pending[i] - 1;

			verify_merge(v, v->states[slot]);
			v->free_slots[v->n_free++] = slot;
			v->pending[i] = 0;
		}
		r = verify_insn(v, in);
		if (r < 0)
			return r;
		r = verify_debug(p, i, v->err);
		if (r < 0)
			return r;
		if (in->flags & MP_IF_OPTIONAL) {
			r = verify_optional_edge(v, p->debug[i].entry);
			if (r < 0)
				return r;
		}
		verify_apply_writes(v, in);
		for (int slot = 0; slot < MP_NOPERANDS; slot++)
			if (op_operand_kind(in->op, slot) == K_JUMP) {
				r = verify_flow_to(v, slot, in->o[slot], v->regs);
				if (r < 0)
					return r;
			}
	}
	return 0;
}

int verify_program(const struct program *p, struct mp_error *err)
{
	struct verifier v = { .p = p, .err = err };
	int r;

	r = verify_header_strings(p, err);
	if (r < 0)
		return r;
	r = verify_run(&v);
	verifier_free(&v);
	return r;
}
