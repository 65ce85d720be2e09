/*
 * back-ir.h — building IR plans by hand for the back end's unit tests
 * (test-expand, test-graph, test-sort, test-emit, test-write), without the
 * parser: each helper sets what validate.c would have set.  Also runs the
 * back end stage by stage and renders the result compactly ("MKDIR FSOPEN
 * ... END") so a test reads like the expansion contract.
 */
#ifndef MOUNTPLAN_TEST_BACK_IR_H
#define MOUNTPLAN_TEST_BACK_IR_H

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "back.h"
#include "emit.h"
#include "expand.h"
#include "graph.h"
#include "program.h"
#include "sort.h"
#include "write.h"

static inline char *tb_strdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

static inline void *tb_grow(void *p, size_t n, size_t size)
{
	void *q = realloc(p, (n ? n : 1) * size);

	if (!q)
		abort();
	return q;
}

/* An empty plan with room for cap entries (entry pointers stay valid up to cap). */
static inline void tb_plan(struct ir_plan *p, size_t cap)
{
	memset(p, 0, sizeof(*p));
	p->file = tb_strdup("plan.yaml");
	p->version = 1;
	p->entries = calloc(cap ? cap : 1, sizeof(*p->entries));
	if (!p->entries)
		abort();
	for (int i = 0; i < 32; i++)
		p->sha256[i] = (uint8_t)(0xa0 + i);
}

static inline enum ir_fs_class tb_class(const char *type)
{
	static const char *const virt[] = { "tmpfs", "proc", "sysfs", "devpts", "mqueue", "cgroup2" };
	static const char *const block[] = { "ext4", "xfs", "btrfs", "squashfs", "erofs", "vfat" };

	if (!strcmp(type, "bind") || !strcmp(type, "rbind"))
		return FS_BIND;
	if (!strcmp(type, "overlay"))
		return FS_OVERLAY;
	for (size_t i = 0; i < 6; i++) {
		if (!strcmp(type, virt[i]))
			return FS_VIRTUAL;
		if (!strcmp(type, block[i]))
			return FS_BLOCK;
	}
	if (!strncmp(type, "fuse.", 5) || !strcmp(type, "nfs") || !strcmp(type, "nfs4") || !strcmp(type, "cifs"))
		return FS_HELPER;
	return FS_UNKNOWN;
}

/* Entry at `line`: mapping at line:3, type at line:11, target at line+1:13. */
static inline struct ir_entry *tb_entry(struct ir_plan *p, const char *type, const char *target, uint32_t line)
{
	struct ir_entry *e = &p->entries[p->n_entries];

	memset(e, 0, sizeof(*e));
	e->index = (uint32_t)p->n_entries++;
	e->loc = (struct ir_loc){ line, 3 };
	e->id = tb_strdup(target);
	e->id_loc = e->loc;
	e->type = tb_strdup(type);
	e->fs_class = tb_class(type);
	e->type_loc = (struct ir_loc){ line, 11 };
	e->target = (struct ir_path){ tb_strdup(target), true, { line + 1, 13 } };
	e->recursive = !strcmp(type, "rbind");
	e->requires.timeout_ms = 10000;
	e->requires.carrier = true;
	return e;
}

static inline void tb_id(struct ir_entry *e, const char *id)
{
	free(e->id);
	e->id = tb_strdup(id);
}

static inline void tb_source(struct ir_entry *e, const char *path, bool in_root)
{
	e->source = (struct ir_path){ tb_strdup(path), in_root, { e->loc.line + 2, 13 } };
}

static inline void tb_option(struct ir_entry *e, const char *word)
{
	e->options = tb_grow(e->options, e->n_options + 1, sizeof(*e->options));
	e->options[e->n_options] = (struct ir_word){ tb_strdup(word), { e->loc.line + 3, (uint32_t)(15 + 4 * e->n_options) } };
	e->n_options++;
}

/* A filesystem data word ("mode=1777"), also written as an option. */
static inline void tb_data(struct ir_entry *e, const char *word)
{
	tb_option(e, word);
	e->data = tb_grow(e->data, e->n_data + 1, sizeof(*e->data));
	e->data[e->n_data++] = tb_strdup(word);
}

static inline void tb_ro(struct ir_entry *e)
{
	tb_option(e, "ro");
	e->attr_set |= MOUNT_ATTR_RDONLY;
}

static inline void tb_after(struct ir_entry *e, const char *id)
{
	e->after = tb_grow(e->after, e->n_after + 1, sizeof(*e->after));
	e->after[e->n_after++] = (struct ir_word){ tb_strdup(id), { e->loc.line + 4, 12 } };
}

static inline void tb_lower(struct ir_entry *e, const char *path, bool in_root)
{
	e->lower = tb_grow(e->lower, e->n_lower + 1, sizeof(*e->lower));
	e->lower[e->n_lower] = (struct ir_path){ tb_strdup(path), in_root, { e->loc.line + 2, (uint32_t)(13 + 20 * e->n_lower) } };
	e->n_lower++;
}

static inline void tb_idmap(struct ir_entry *e, const char *uid, const char *gid)
{
	e->idmap = (struct ir_idmap){ true, tb_strdup(uid), tb_strdup(gid), { e->loc.line + 5, 12 } };
}

static inline void tb_masked(struct ir_plan *p, const char *path, uint32_t line)
{
	p->masked = tb_grow(p->masked, p->n_masked + 1, sizeof(*p->masked));
	p->masked[p->n_masked++] = (struct ir_word){ tb_strdup(path), { line, 10 } };
}

static inline void tb_readonly(struct ir_plan *p, const char *path, uint32_t line)
{
	p->readonly = tb_grow(p->readonly, p->n_readonly + 1, sizeof(*p->readonly));
	p->readonly[p->n_readonly++] = (struct ir_word){ tb_strdup(path), { line, 12 } };
}

/* The back end, stage by stage, keeping every intermediate result. */
struct tb_out {
	struct graph g;
	uint32_t *order;
	struct expansion x;
	struct image img;
	int r_sort, r_expand, r_emit;
	uint8_t *bytes;
	size_t len;
	struct program prog; /* loaded and verified by the reader */
	int r_load, r_verify;
	struct mp_error err;
};

static inline int tb_compile(const struct ir_plan *p, struct diag_sink *sink, struct tb_out *o)
{
	memset(o, 0, sizeof(*o));
	o->r_load = o->r_verify = -1;
	if (graph_build(&o->g, p) < 0)
		abort();
	o->order = calloc(o->g.n_nodes ? o->g.n_nodes : 1, sizeof(*o->order));
	if (!o->order)
		abort();
	o->r_sort = sort_nodes(&o->g, o->order, sink);
	if (o->r_sort == 0)
		graph_check_shadowing(&o->g, o->order, sink);
	o->r_expand = expand_plan(p, &o->g, &o->x, sink);
	if (o->r_sort < 0 || o->r_expand < 0)
		return -1;
	o->r_emit = emit_program(&o->g, o->order, &o->x, &o->img, sink);
	if (o->r_emit < 0)
		return -1;
	if (write_image(&o->img, &o->bytes, &o->len, sink) < 0)
		return -1;
	/* The file now owns the sections; keep looking at them through the image. */
	o->img.insns = (struct mp_insn *)(o->bytes + MP_HEADER_SIZE);
	o->img.debug = (struct mp_debug *)(o->bytes + MP_HEADER_SIZE + MP_INSN_SIZE * o->img.n_insns);
	o->r_load = program_load_bytes(o->bytes, o->len, &o->prog, &o->err);
	if (o->r_load == 0)
		o->r_verify = verify_program(&o->prog, &o->err);
	return 0;
}

static inline void tb_out_free(struct tb_out *o)
{
	if (o->r_load == 0)
		program_free(&o->prog);
	free(o->bytes);
	image_free(&o->img);
	expansion_free(&o->x);
	graph_free(&o->g);
	free(o->order);
}

/* "OP OP OP" for the emitted program (static buffer). */
static inline const char *tb_ops(const struct image *img)
{
	static char buf[8192];
	size_t at = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < img->n_insns && at + 32 < sizeof(buf); i++)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s", i ? " " : "", op_name((enum op)img->insns[i].op));
	return buf;
}

/* The string at a string-table offset of the expansion. */
static inline const char *tb_str(const struct tb_out *o, uint32_t off)
{
	return o->x.strtab.buf + off;
}

/* Index of the first instruction with op at or after from, or -1. */
static inline int tb_find(const struct image *img, enum op op, int from)
{
	for (uint32_t i = (uint32_t)from; i < img->n_insns; i++)
		if (img->insns[i].op == op)
			return (int)i;
	return -1;
}

/* Whether the sink has a diagnostic with this code whose message contains `part` (NULL: any). */
static inline bool tb_has_diag(const struct diag_sink *sink, const char *code, const char *part)
{
	for (size_t i = 0; i < sink->n; i++)
		if (!strcmp(diag_code(sink->items[i].id), code) && (!part || strstr(sink->items[i].msg, part)))
			return true;
	return false;
}

static inline size_t tb_count_diag(const struct diag_sink *sink, const char *code)
{
	size_t n = 0;

	for (size_t i = 0; i < sink->n; i++)
		n += !strcmp(diag_code(sink->items[i].id), code);
	return n;
}

#endif
