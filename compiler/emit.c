/*
 * emit.c — the string table, register allocation and program layout (see
 * emit.h).
 *
 * Registers: a virtual register gets a real one at the step that writes
 * it and gives it back at its CLOSE.  Free registers are reused last-freed
 * first, which is deterministic and keeps n_regs at the most registers
 * alive at once (a handful per entry, plus the user namespaces), however
 * many entries the plan has.  The operand kinds come from opcodes.def
 * through optable.c, so a new opcode needs no change here.
 */
#include "emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "graph.h"
#include "limits.h"
#include "program.h"

int strtab_init(struct strtab *t)
{
	memset(t, 0, sizeof(*t));
	t->cap = 4096;
	t->buf = malloc(t->cap);
	t->slots = calloc(1024, sizeof(*t->slots));
	if (!t->buf || !t->slots) {
		strtab_free(t);
		return -ENOMEM;
	}
	t->mask = 1023;
	t->buf[0] = '\0';
	t->len = 1;
	return 0;
}

void strtab_free(struct strtab *t)
{
	free(t->buf);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static uint32_t *strtab_slot(const struct strtab *t, const char *s, size_t len, uint64_t h)
{
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		uint32_t *slot = &t->slots[i];

		if (!*slot)
			return slot;
		/* strncmp, not memcmp: it stops at the stored string's NUL, so a
		 * shorter string near the end of buf is never read past */
		if (strncmp(t->buf + *slot - 1, s, len + 1) == 0)
			return slot;
	}
}

static int strtab_grow_slots(struct strtab *t)
{
	size_t cap = (t->mask + 1) * 2;
	uint32_t *old = t->slots;
	size_t old_cap = t->mask + 1;

	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -ENOMEM;
	}
	t->mask = cap - 1;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i]) {
			const char *s = t->buf + old[i] - 1;
			size_t len = strlen(s);

			*strtab_slot(t, s, len, strmap_hash(s, len)) = old[i];
		}
	}
	free(old);
	return 0;
}

int strtab_intern(struct strtab *t, const char *s, uint32_t *ret_off)
{
	size_t len = strlen(s);
	uint64_t h;
	uint32_t *slot;

	if (len == 0) {
		*ret_off = 0;
		return 0;
	}
	if (len + 1 > MP_MAX_STRING) {
		if (len + 1 > t->too_long)
			t->too_long = len + 1;
		*ret_off = 0;
		return -E2BIG;
	}
	h = strmap_hash(s, len);
	slot = strtab_slot(t, s, len, h);
	if (*slot) {
		*ret_off = *slot - 1;
		return 0;
	}
	if (t->len + len + 1 > UINT32_MAX - 1)
		return -E2BIG;
	if (t->len + len + 1 > t->cap) {
		size_t cap = t->cap;
		char *buf;

		while (cap < t->len + len + 1)
			cap *= 2;
		buf = realloc(t->buf, cap);
		if (!buf)
			return -ENOMEM;
		t->buf = buf;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, len + 1);
	*slot = (uint32_t)t->len + 1;
	*ret_off = (uint32_t)t->len;
	t->len += len + 1;
	t->n++;
	if (t->n * 2 > t->mask + 1 && strtab_grow_slots(t) < 0)
		return -ENOMEM;
	return 0;
}

int step_add(struct step_list *l, const struct step *s)
{
	if (l->n >= (size_t)INT32_MAX)
		return -E2BIG;
	if (l->n == l->n_blocks * STEP_BLOCK) {
		struct step **blocks = realloc(l->blocks, (l->n_blocks + 1) * sizeof(*blocks));

		if (!blocks)
			return -ENOMEM;
		l->blocks = blocks;
		l->blocks[l->n_blocks] = malloc(STEP_BLOCK * sizeof(struct step));
		if (!l->blocks[l->n_blocks])
			return -ENOMEM;
		l->n_blocks++;
	}
	*step_at(l, l->n) = *s;
	return (int)l->n++;
}

void step_list_free(struct step_list *l)
{
	for (size_t b = 0; b < l->n_blocks; b++)
		free(l->blocks[b]);
	free(l->blocks);
	memset(l, 0, sizeof(*l));
}

void image_free(struct image *img)
{
	free(img->file);
	memset(img, 0, sizeof(*img));
}

struct regalloc {
	uint32_t *phys;  /* per vreg: its real register, or GRAPH_NONE */
	uint32_t *free;  /* stack of free real registers */
	size_t n_free;
	uint32_t n_regs;
};

static bool kind_writes(enum opnd_kind k)
{
	switch (k) {
	case K_WLOOP:
	case K_WUSERNS:
	case K_WTREE:
	case K_WFS:
	case K_WPARK: return true;
	case K_NONE:
	case K_STR:
	case K_PATH:
	case K_SRC:
	case K_MAP:
	case K_U32:
	case K_LO:
	case K_HI:
	case K_JUMP:
	case K_RLOOP:
	case K_RUSERNS:
	case K_RTREE:
	case K_RFS:
	case K_RPARK:
	case K_RANY:
	case K__COUNT: return false;
	}
	return false;
}

static bool kind_reads(enum opnd_kind k)
{
	switch (k) {
	case K_RLOOP:
	case K_RUSERNS:
	case K_RTREE:
	case K_RFS:
	case K_RPARK:
	case K_RANY: return true;
	case K_NONE:
	case K_STR:
	case K_PATH:
	case K_SRC:
	case K_MAP:
	case K_U32:
	case K_LO:
	case K_HI:
	case K_JUMP:
	case K_WLOOP:
	case K_WUSERNS:
	case K_WTREE:
	case K_WFS:
	case K_WPARK:
	case K__COUNT: return false;
	}
	return false;
}

struct emitter {
	struct image *img;
	struct regalloc ra;
	size_t cap; /* instructions the file has room for */
};

/* Append one step as an instruction at the end; base is its node's first instruction. */
static int emit_one(struct emitter *em, const struct step *s, uint32_t base)
{
	struct image *img = em->img;
	struct mp_insn *in;
	uint32_t closed = GRAPH_NONE;

	/* The count is exact (steps plus one CLOSE per user namespace); more is a bug here. */
	if (img->n_insns == em->cap)
		return -EOVERFLOW;
	in = &img->insns[img->n_insns];
	memset(in, 0, sizeof(*in));
	in->op = s->op;
	in->flags = s->flags;
	for (int k = 0; k < MP_NOPERANDS; k++) {
		enum opnd_kind kind = op_operand_kind((enum op)s->op, k);
		uint32_t v = s->o[k];

		if (kind_writes(kind)) {
			uint32_t p = em->ra.n_free ? em->ra.free[--em->ra.n_free] : em->ra.n_regs++;

			em->ra.phys[v] = p;
			in->o[k] = p;
		} else if (kind_reads(kind)) {
			/* expand.c writes every register before it reads it, in the same layout. */
			in->o[k] = em->ra.phys[v];
			if (s->op == OP_CLOSE)
				closed = v;
		} else if (kind == K_JUMP) {
			in->o[k] = base + v;
		} else {
			in->o[k] = v;
		}
	}
	if (closed != GRAPH_NONE) {
		em->ra.free[em->ra.n_free++] = em->ra.phys[closed];
		em->ra.phys[closed] = GRAPH_NONE;
	}
	img->debug[img->n_insns] = (struct mp_debug){ s->entry, s->line, s->col };
	img->n_insns++;
	return 0;
}

static int emit_range(struct emitter *em, const struct expansion *x, uint32_t first, uint32_t n)
{
	uint32_t base = em->img->n_insns;

	for (uint32_t k = 0; k < n; k++) {
		int r = emit_one(em, step_at(&x->steps, first + k), base);

		if (r < 0)
			return r;
	}
	return 0;
}

int emit_program(const struct graph *g, const uint32_t *order, const struct expansion *x, struct image *img,
		 struct diag_sink *sink)
{
	struct emitter em = { .img = img };
	uint32_t *last_user = NULL;
	size_t total = x->steps.n + x->n_userns;
	int r = 0;

	memset(img, 0, sizeof(*img));
	if (total > MP_MAX_INSNS) {
		diag_emit(sink, DIAG_TOO_MANY, 0, 0, "instructions", total, MP_MAX_INSNS);
		return -1;
	}
	em.cap = total;
	img->file_size = MP_HEADER_SIZE + (MP_INSN_SIZE + MP_DEBUG_SIZE) * total + x->strtab.len + 4;
	if (img->file_size > MP_MAX_BYTECODE_BYTES) {
		diag_emit(sink, DIAG_TOO_MANY, 0, 0, "bytes of bytecode", img->file_size, MP_MAX_BYTECODE_BYTES);
		return -1;
	}
	/* Zeroed: reserved header bytes and the insns' zero field stay 0. */
	img->file = calloc(1, img->file_size);
	if (img->file) {
		img->insns = (struct mp_insn *)(img->file + MP_HEADER_SIZE);
		img->debug = (struct mp_debug *)(img->file + MP_HEADER_SIZE + MP_INSN_SIZE * total);
	}
	em.ra.phys = malloc((x->n_vregs ? x->n_vregs : 1) * sizeof(*em.ra.phys));
	em.ra.free = malloc((x->n_vregs ? x->n_vregs : 1) * sizeof(*em.ra.free));
	last_user = malloc((x->n_userns ? x->n_userns : 1) * sizeof(*last_user));
	if (!img->file || !em.ra.phys || !em.ra.free || !last_user) {
		r = -ENOMEM;
		goto out;
	}
	for (uint32_t v = 0; v < x->n_vregs; v++)
		em.ra.phys[v] = GRAPH_NONE;
	for (uint32_t u = 0; u < x->n_userns; u++)
		last_user[u] = GRAPH_NONE;
	for (size_t k = 0; k < g->n_nodes; k++)
		if (x->node_userns[order[k]] != GRAPH_NONE)
			last_user[x->node_userns[order[k]]] = order[k];

	if ((r = emit_range(&em, x, 0, x->prologue_n)) < 0)
		goto out;
	for (size_t k = 0; k < g->n_nodes; k++) {
		uint32_t v = order[k], u = x->node_userns[v];

		if ((r = emit_range(&em, x, x->node_first[v], x->node_n[v])) < 0)
			goto out;
		/*
		 * The user namespace is closed after its last reader, as a
		 * plan-level step of its own: inside the entry, an optional
		 * entry's failure or a when-empty skip would jump over it.
		 */
		if (u != GRAPH_NONE && last_user[u] == v) {
			struct step close = { .op = OP_CLOSE, .o = { u }, .entry = MP_ENTRY_PLAN,
					      .line = x->userns_loc[u].line, .col = x->userns_loc[u].col };

			if ((r = emit_one(&em, &close, img->n_insns)) < 0)
				goto out;
		}
	}
	if ((r = emit_range(&em, x, x->epilogue_first, x->epilogue_n)) < 0)
		goto out;
	if (em.ra.n_regs > MP_MAX_REGS) {
		diag_emit(sink, DIAG_TOO_MANY, 0, 0, "registers", (size_t)em.ra.n_regs, MP_MAX_REGS);
		r = -1;
		goto out;
	}
	img->n_regs = em.ra.n_regs;
	img->n_entries = (uint32_t)g->plan->n_entries;
	img->plan_file = x->plan_file;
	img->plan_root = x->plan_root;
	memcpy(img->plan_sha256, g->plan->sha256, sizeof(img->plan_sha256));
	img->strtab = &x->strtab;
out:
	free(em.ra.phys);
	free(em.ra.free);
	free(last_user);
	if (r < 0)
		image_free(img);
	return r;
}
