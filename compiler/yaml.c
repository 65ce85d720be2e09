/*
 * yaml.c — libyaml events in, a node tree with line:col marks out.
 *
 * We use libyaml's event parser rather than its document loader because
 * the loader copies nothing but also checks nothing: it has no depth
 * limit, expands no aliases but gives no way to bound them, and drops the
 * information we need to refuse a bomb early.  Here every collection event
 * is checked against the limits the moment it arrives, so a 10,000-deep
 * document stops at level max_depth+1 and a billion-laughs document stops
 * at the first collection whose expanded alias count passes the limit,
 * without ever building the expansion.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "limits.h"
#include "ytree.h"

void ydoc_default_limits(struct ylimits *lim)
{
	lim->max_bytes = MP_MAX_PLAN_BYTES;
	lim->max_depth = MP_MAX_YAML_DEPTH;
	lim->max_aliases = MP_MAX_YAML_ALIASES;
	lim->max_scalar = 16 * MP_MAX_STRING; /* a path, or an id map of many ranges */
}

/* --- anchors: name -> node, open addressing, later definitions win --- */

struct anchor {
	char *name;
	struct ynode *node;
};

struct anchors {
	struct anchor *slots;
	size_t cap, n; /* cap is a power of two */
};

static size_t anchor_hash(const char *s)
{
	size_t h = 14695981039346656037ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct anchor *anchors_slot(struct anchors *a, const char *name)
{
	size_t i = anchor_hash(name) & (a->cap - 1);
	while (a->slots[i].name && strcmp(a->slots[i].name, name) != 0)
		i = (i + 1) & (a->cap - 1);
	return &a->slots[i];
}

static int anchors_put(struct anchors *a, const char *name, struct ynode *node)
{
	if (2 * (a->n + 1) > a->cap) {
		struct anchors bigger = { .cap = a->cap ? 2 * a->cap : 64 };
		bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
		if (!bigger.slots)
			return -ENOMEM;
		for (size_t i = 0; i < a->cap; i++)
			if (a->slots[i].name)
				*anchors_slot(&bigger, a->slots[i].name) = a->slots[i];
		bigger.n = a->n;
		free(a->slots);
		*a = bigger;
	}
	struct anchor *slot = anchors_slot(a, name);
	if (!slot->name) {
		slot->name = strdup(name);
		if (!slot->name)
			return -ENOMEM;
		a->n++;
	}
	slot->node = node;
	return 0;
}

static struct ynode *anchors_get(struct anchors *a, const char *name)
{
	if (!a->cap)
		return NULL;
	return anchors_slot(a, name)->node;
}

static void anchors_free(struct anchors *a)
{
	for (size_t i = 0; i < a->cap; i++)
		free(a->slots[i].name);
	free(a->slots);
}

/* --- the loader --- */

struct frame {
	struct ynode *node;
	struct ynode *key; /* mapping: a key waiting for its value */
	char *anchor;      /* registered when the collection ends: no alias can point into an open one */
	size_t cap;
};

struct loader {
	const struct ylimits *lim;
	struct ydoc *doc;
	struct yerror *err;
	struct frame *stack;
	size_t depth, cap_stack;
	struct anchors anchors;
};

static int fail(struct loader *l, enum yerror_kind kind, uint32_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(struct loader *l, enum yerror_kind kind, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	l->err->kind = kind;
	l->err->line = line;
	l->err->col = col;
	va_start(ap, fmt);
	vsnprintf(l->err->msg, sizeof(l->err->msg), fmt, ap);
	va_end(ap);
	return kind == YERR_NOMEM ? -ENOMEM : -EINVAL;
}

/*
 * Nodes and scalar text come from blocks of 64 KiB: a plan of 100,000
 * mounts has about a million nodes, and a malloc and free for each would
 * cost more than parsing them.
 */
struct yblock {
	struct yblock *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

/*
 * 1 MiB: above glibc's mmap threshold (128 KiB), so each block is its own
 * mapping and ydoc_free gives the whole tree back to the kernel.  64 KiB
 * blocks came from the heap, interleaved with the strings the parser keeps,
 * and stayed resident after the tree was freed: at 100,000 mounts the peak
 * RSS of `mplan compile` went from 220 MB to 164 MB (/usr/bin/time -v).
 */
#define YBLOCK_SIZE (1024u * 1024u)

/* align: 8 for nodes, 1 for scalar text (a plan is mostly short scalars). */
static void *block_alloc(struct ydoc *d, size_t n, size_t align)
{
	struct yblock *b = d->blocks;
	size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;

	if (!b || at > b->size || b->size - at < n) {
		struct yblock *nb;

		if (n > YBLOCK_SIZE / 4) {
			/* a big one-off behind the current block, which keeps filling */
			nb = malloc(sizeof(*nb) + n);
			if (!nb)
				return NULL;
			nb->used = nb->size = n;
			nb->next = b ? b->next : NULL;
			if (b)
				b->next = nb;
			else
				d->blocks = nb;
			return nb->data;
		}
		nb = malloc(sizeof(*nb) + YBLOCK_SIZE);
		if (!nb)
			return NULL;
		nb->used = 0;
		nb->size = YBLOCK_SIZE;
		nb->next = b;
		d->blocks = b = nb;
		at = 0;
	}
	b->used = at + n;
	return b->data + at;
}

static struct ynode *node_new(struct loader *l, enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ydoc *d = l->doc;
	struct ynode *n;

	if (kind != YNODE_SCALAR && d->n_all == d->cap_all) {
		size_t cap = d->cap_all ? 2 * d->cap_all : 64;
		struct ynode **all = realloc(d->all, cap * sizeof(*all));
		if (!all)
			return NULL;
		d->all = all;
		d->cap_all = cap;
	}
	n = block_alloc(d, sizeof(*n), _Alignof(struct ynode));
	if (!n)
		return NULL;
	*n = (struct ynode){ .kind = kind, .line = (uint32_t)mark->line + 1, .col = (uint32_t)mark->column + 1 };
	if (kind != YNODE_SCALAR)
		d->all[d->n_all++] = n; /* collections own item arrays to free */
	return n;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/*
 * Hang a finished node (or, for an alias, the node it names) under the
 * innermost open collection.  contribution is what it adds to the alias
 * count once expanded: its own weight, plus one if it is an alias.
 */
static int attach(struct loader *l, struct ynode *child, uint64_t contribution, const yaml_mark_t *mark)
{
	if (l->depth == 0) {
		l->doc->root = child;
		if (contribution > l->lim->max_aliases)
			return fail(l, YERR_ALIASES, (uint32_t)mark->line + 1, (uint32_t)mark->column + 1, "aliases");
		return 0;
	}
	struct frame *f = &l->stack[l->depth - 1];
	struct ynode *p = f->node;

	p->weight = sat_add(p->weight, contribution);
	if (p->weight > l->lim->max_aliases)
		return fail(l, YERR_ALIASES, (uint32_t)mark->line + 1, (uint32_t)mark->column + 1, "aliases");
	if (child->height + 1 > p->height)
		p->height = child->height + 1;

	if (p->kind == YNODE_MAP && !f->key) {
		f->key = child;
		return 0;
	}
	if (p->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 4;
		if (p->kind == YNODE_MAP) {
			struct ypair *pairs = realloc(p->pairs, cap * sizeof(*pairs));
			if (!pairs)
				return fail(l, YERR_NOMEM, 0, 0, "out of memory");
			p->pairs = pairs;
		} else {
			struct ynode **items = realloc(p->items, cap * sizeof(*items));
			if (!items)
				return fail(l, YERR_NOMEM, 0, 0, "out of memory");
			p->items = items;
		}
		f->cap = cap;
	}
	if (p->kind == YNODE_MAP) {
		p->pairs[p->n++] = (struct ypair){ f->key, child };
		f->key = NULL;
	} else {
		p->items[p->n++] = child;
	}
	return 0;
}

static int push(struct loader *l, struct ynode *node, const yaml_char_t *anchor)
{
	if (l->depth + 1 > l->lim->max_depth)
		return fail(l, YERR_DEPTH, node->line, node->col, "too deep");
	if (l->depth == l->cap_stack) {
		size_t cap = l->cap_stack ? 2 * l->cap_stack : 16;
		struct frame *s = realloc(l->stack, cap * sizeof(*s));
		if (!s)
			return fail(l, YERR_NOMEM, 0, 0, "out of memory");
		l->stack = s;
		l->cap_stack = cap;
	}
	struct frame *f = &l->stack[l->depth];
	*f = (struct frame){ .node = node };
	if (anchor) {
		f->anchor = strdup((const char *)anchor);
		if (!f->anchor)
			return fail(l, YERR_NOMEM, 0, 0, "out of memory");
	}
	l->depth++;
	node->height = 1;
	return 0;
}

static int pop(struct loader *l, const yaml_mark_t *mark)
{
	struct frame f = l->stack[--l->depth];
	int r = 0;

	if (f.anchor) {
		r = anchors_put(&l->anchors, f.anchor, f.node);
		free(f.anchor);
		if (r < 0)
			return fail(l, YERR_NOMEM, 0, 0, "out of memory");
	}
	return attach(l, f.node, f.node->weight, mark);
}

static int on_scalar(struct loader *l, const yaml_event_t *ev)
{
	size_t len = ev->data.scalar.length;
	struct ynode *n;

	if (len > l->lim->max_scalar) {
		l->err->size = len;
		return fail(l, YERR_SCALAR, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
			    "scalar too long");
	}
	if (memchr(ev->data.scalar.value, '\0', len))
		return fail(l, YERR_SYNTAX, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
			    "a string contains a NUL character");
	n = node_new(l, YNODE_SCALAR, &ev->start_mark);
	if (!n)
		return fail(l, YERR_NOMEM, 0, 0, "out of memory");
	n->str = block_alloc(l->doc, len + 1, 1);
	if (!n->str)
		return fail(l, YERR_NOMEM, 0, 0, "out of memory");
	memcpy(n->str, ev->data.scalar.value, len);
	n->str[len] = '\0';
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
	if (ev->data.scalar.anchor && anchors_put(&l->anchors, (const char *)ev->data.scalar.anchor, n) < 0)
		return fail(l, YERR_NOMEM, 0, 0, "out of memory");
	return attach(l, n, 0, &ev->start_mark);
}

static int on_alias(struct loader *l, const yaml_event_t *ev)
{
	uint32_t line = (uint32_t)ev->start_mark.line + 1, col = (uint32_t)ev->start_mark.column + 1;
	struct ynode *target = anchors_get(&l->anchors, (const char *)ev->data.alias.anchor);

	if (!target)
		return fail(l, YERR_SYNTAX, line, col, "alias '*%.64s' names no anchor defined before it",
			    (const char *)ev->data.alias.anchor);
	/* The aliased subtree appears here in full: it must fit the depth limit at this depth. */
	if (l->depth + target->height > l->lim->max_depth)
		return fail(l, YERR_DEPTH, line, col, "too deep");
	return attach(l, target, sat_add(target->weight, 1), &ev->start_mark);
}

/* Line and column of a byte offset, for libyaml's reader errors (which give only the offset). */
static void offset_mark(const char *bytes, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
	uint32_t ln = 1, c = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (bytes[i] == '\n') {
			ln++;
			c = 1;
		} else if (((unsigned char)bytes[i] & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = ln;
	*col = c;
}

static int parser_fail(struct loader *l, yaml_parser_t *p, const char *bytes, size_t len)
{
	uint32_t line, col;

	if (p->error == YAML_MEMORY_ERROR)
		return fail(l, YERR_NOMEM, 0, 0, "out of memory");
	if (p->error == YAML_READER_ERROR) {
		offset_mark(bytes, len, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			return fail(l, YERR_SYNTAX, line, col, "%s (byte #x%02X)", p->problem ? p->problem : "unreadable input",
				    (unsigned)p->problem_value & 0xFF);
		return fail(l, YERR_SYNTAX, line, col, "%s", p->problem ? p->problem : "unreadable input");
	}
	line = (uint32_t)p->problem_mark.line + 1;
	col = (uint32_t)p->problem_mark.column + 1;
	/* At the end of the input libyaml counts a newline that may not be there: point at the real end. */
	if (p->problem_mark.index >= len)
		offset_mark(bytes, len, len, &line, &col);
	if (p->context)
		return fail(l, YERR_SYNTAX, line, col, "%s %s (line %zu)", p->problem ? p->problem : "syntax error",
			    p->context, p->context_mark.line + 1);
	return fail(l, YERR_SYNTAX, line, col, "%s", p->problem ? p->problem : "syntax error");
}

int ydoc_load(const char *bytes, size_t len, const struct ylimits *lim, struct ydoc *doc, struct yerror *err)
{
	struct ylimits deflim;
	struct loader l = { .lim = lim, .doc = doc, .err = err };
	yaml_parser_t parser;
	bool done = false, seen_doc = false;
	int r = 0;

	*doc = (struct ydoc){ 0 };
	*err = (struct yerror){ 0 };
	if (!lim) {
		ydoc_default_limits(&deflim);
		l.lim = &deflim;
	}
	if (len > l.lim->max_bytes) {
		err->kind = YERR_SIZE;
		err->size = len;
		snprintf(err->msg, sizeof(err->msg), "input too large");
		return -EFBIG;
	}
	if (!yaml_parser_initialize(&parser))
		return fail(&l, YERR_NOMEM, 0, 0, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)bytes, len);

	while (!done && r == 0) {
		yaml_event_t ev;
		struct ynode *n;

		if (!yaml_parser_parse(&parser, &ev)) {
			r = parser_fail(&l, &parser, bytes, len);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
		case YAML_NO_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (seen_doc)
				r = fail(&l, YERR_SYNTAX, (uint32_t)ev.start_mark.line + 1, (uint32_t)ev.start_mark.column + 1,
					 "a second YAML document: a plan is one document");
			seen_doc = true;
			break;
		case YAML_SCALAR_EVENT:
			r = on_scalar(&l, &ev);
			break;
		case YAML_ALIAS_EVENT:
			r = on_alias(&l, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = node_new(&l, ev.type == YAML_MAPPING_START_EVENT ? YNODE_MAP : YNODE_SEQ, &ev.start_mark);
			if (!n)
				r = fail(&l, YERR_NOMEM, 0, 0, "out of memory");
			else
				r = push(&l, n,
					 ev.type == YAML_MAPPING_START_EVENT ? ev.data.mapping_start.anchor
									     : ev.data.sequence_start.anchor);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			r = pop(&l, &ev.start_mark);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);

	while (l.depth > 0)
		free(l.stack[--l.depth].anchor);
	free(l.stack);
	anchors_free(&l.anchors);

	if (r == 0 && !doc->root)
		r = fail(&l, YERR_EMPTY, 0, 0, "no YAML document");
	if (r < 0)
		ydoc_free(doc);
	return r;
}

void ydoc_free(struct ydoc *doc)
{
	for (size_t i = 0; i < doc->n_all; i++)
		free(doc->all[i]->items); /* or pairs: the same pointer */
	free(doc->all);
	while (doc->blocks) {
		struct yblock *next = doc->blocks->next;
		free(doc->blocks);
		doc->blocks = next;
	}
	*doc = (struct ydoc){ 0 };
}

const char *ynode_key(const struct ypair *pair)
{
	return pair->key->kind == YNODE_SCALAR ? pair->key->str : "";
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(ynode_key(&map->pairs[i]), key) == 0)
			return map->pairs[i].value;
	return NULL;
}

bool ynode_is_null(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
		strcmp(n->str, "NULL") == 0);
}

int ynode_bool(const struct ynode *n, bool *ret)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF" };

	if (n->kind != YNODE_SCALAR || !n->plain)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(n->str, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(n->str, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* YAML 1.1 numbers as a reader sees them: 12, -3, 0x1F, 0o17, 1.5, 1e3, .5 (not "x", not "1.2.3"). */
static bool looks_numeric(const char *s)
{
	bool digits = false, dot = false, exp = false;

	if (*s == '-' || *s == '+')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o') && s[2]) {
		for (s += 2; *s; s++)
			if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F') || *s == '_'))
				return false;
		return true;
	}
	for (; *s; s++) {
		if ((*s >= '0' && *s <= '9') || (*s == '_' && digits)) {
			digits = true;
		} else if (*s == '.' && !dot && !exp) {
			dot = true;
		} else if ((*s == 'e' || *s == 'E') && digits && !exp) {
			exp = true;
			if (s[1] == '-' || s[1] == '+')
				s++;
			if (!s[1])
				return false;
		} else {
			return false;
		}
	}
	return digits;
}

const char *ynode_describe(const struct ynode *n)
{
	bool b;

	switch (n->kind) {
	case YNODE_SEQ:
		return "a list";
	case YNODE_MAP:
		return "a mapping";
	case YNODE_SCALAR:
		break;
	}
	if (ynode_is_null(n))
		return "null";
	if (ynode_bool(n, &b) == 0)
		return "a boolean";
	if (n->plain && looks_numeric(n->str))
		return "a number";
	return "a string";
}

struct keyref {
	const char *key;
	size_t index;
};

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

int ynode_each_duplicate(const struct ynode *map, void (*fn)(void *ctx, const struct ypair *dup, const struct ypair *first),
			 void *ctx)
{
	struct keyref *refs;

	if (!map || map->kind != YNODE_MAP || map->n < 2)
		return 0;
	refs = malloc(map->n * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < map->n; i++)
		refs[i] = (struct keyref){ ynode_key(&map->pairs[i]), i };
	qsort(refs, map->n, sizeof(*refs), keyref_cmp);
	/* Sorted by (key, file position): each run's first element is the original. */
	for (size_t i = 1, first = 0; i < map->n; i++) {
		if (strcmp(refs[i].key, refs[first].key) != 0 || map->pairs[refs[i].index].key->kind != YNODE_SCALAR) {
			first = i;
			continue;
		}
		fn(ctx, &map->pairs[refs[i].index], &map->pairs[refs[first].index]);
	}
	free(refs);
	return 0;
}
