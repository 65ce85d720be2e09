/*
 * import-plan.c — what the fstab and OCI importers share: problem lists,
 * string lists, the plan entry record, and the YAML writer.
 *
 * The writer never uses a YAML library: a plan is a handful of fixed keys,
 * and the only hard part is quoting.  A scalar is written plain only when it
 * is made of characters that cannot start YAML syntax, cannot be read as a
 * YAML 1.1 bool/null/number, and cannot end a flow sequence; everything
 * else is double-quoted with escapes, so no source text can change the
 * structure of the plan.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "import.h"
#include "limits.h"
#include "options.h"
#include "paths.h"

void import_problems_free(struct import_problems *probs)
{
	for (size_t i = 0; i < probs->n; i++)
		free(probs->items[i].msg);
	free(probs->items);
	probs->items = NULL;
	probs->n = probs->cap = 0;
}

void import_problem(struct import_problems *probs, unsigned line, unsigned col, const char *fmt, ...)
{
	if (probs->n == probs->cap) {
		size_t cap = probs->cap ? probs->cap * 2 : 8;
		struct import_problem *items = realloc(probs->items, cap * sizeof(*items));
		if (!items) {
			probs->nomem = true;
			return;
		}
		probs->items = items;
		probs->cap = cap;
	}
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		probs->nomem = true;
		return;
	}
	probs->items[probs->n++] = (struct import_problem){ .line = line, .col = col, .msg = msg };
}

int import_strv_addn(struct import_strv *sv, const char *s, size_t len)
{
	char **v = realloc(sv->v, (sv->n + 2) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	sv->v = v;
	v[sv->n] = strndup(s, len);
	if (!v[sv->n])
		return -ENOMEM;
	v[++sv->n] = NULL;
	return 0;
}

int import_strv_add(struct import_strv *sv, const char *s)
{
	return import_strv_addn(sv, s, strlen(s));
}

int import_strv_addf(struct import_strv *sv, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	return import_strv_add(sv, s);
}

void import_strv_free(struct import_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void import_entry_free(struct import_entry *e)
{
	import_strv_free(&e->comments);
	import_strv_free(&e->lower);
	import_strv_free(&e->options);
	free(e->type);
	free(e->source);
	free(e->target);
	free(e->upper);
	free(e->work);
	free(e->idmap_uid);
	free(e->idmap_gid);
	free(e->loop_offset);
	free(e->loop_sizelimit);
	free(e->requires_name);
	free(e->requires_timeout);
	free(e->id);
	*e = (struct import_entry){ 0 };
}

bool import_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p++;
		size_t more;
		uint32_t cp, min;
		if (c == 0)
			return false;
		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0)
			more = 1, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			more = 2, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			more = 3, cp = c & 0x07, min = 0x10000;
		else
			return false;
		if ((size_t)(end - p) < more)
			return false;
		for (size_t i = 0; i < more; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		p += more;
	}
	return true;
}

/* Words a YAML 1.1 resolver reads as bool or null when plain. */
static bool yaml11_special(const char *s)
{
	static const char *const words[] = { "y", "n", "yes", "no", "true", "false", "on", "off", "null", NULL };
	for (size_t i = 0; words[i]; i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	return false;
}

static bool plain_safe(const char *s)
{
	if (!*s || yaml11_special(s))
		return false;
	/* a leading digit, sign or dot could read as a number (or .inf/.nan) */
	if (!(s[0] == '/' || s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr("/_.=+@%-", c))
			return false; /* ':' '#' ',' brackets, quotes, spaces, ... */
	}
	return true;
}

/*
 * The length of the UTF-8 sequence at p when it is a character that stays
 * what it is in a YAML file, else 0: libyaml refuses the C1 controls
 * U+0080..U+009F, the byte-order mark U+FEFF, U+FFFE and U+FFFF, and reads
 * NEL (U+0085) and U+2028/U+2029 as line breaks, which would end a comment
 * or fold a quoted scalar.  ASCII is the caller's business.
 */
static size_t yaml_char_len(const char *p)
{
	unsigned char c = (unsigned char)*p;
	size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (!n || strnlen(p, n) < n || !import_utf8_valid(p, n))
		return 0;
	const unsigned char *u = (const unsigned char *)p;
	if (n == 2 && u[0] == 0xc2 && u[1] <= 0x9f)
		return 0;
	if (n == 3 && u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9))
		return 0;
	if (n == 3 && u[0] == 0xef && ((u[1] == 0xbb && u[2] == 0xbf) || (u[1] == 0xbf && u[2] >= 0xbe)))
		return 0;
	return n;
}

void import_write_scalar(FILE *out, const char *s)
{
	if (plain_safe(s)) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\x%02x", *p);
		} else if (*p >= 0x80) {
			/* a character the file may not hold is written as its escape,
			 * which reads back as the same character */
			size_t n = yaml_char_len((const char *)p);
			if (n) {
				fwrite(p, 1, n, out);
			} else if (p[0] >= 0xc2 && p[0] <= 0xdf && p[1]) { /* U+0080..U+009F */
				fprintf(out, "\\x%02x", (unsigned)((p[0] & 0x1f) << 6 | (p[1] & 0x3f)));
				n = 2;
			} else if ((p[0] & 0xf0) == 0xe0 && p[1] && p[2]) { /* U+2028, U+FEFF, ... */
				fprintf(out, "\\u%04x", (unsigned)((p[0] & 0x0f) << 12 | (p[1] & 0x3f) << 6 | (p[2] & 0x3f)));
				n = 3;
			} else {
				fputc(*p, out); /* not UTF-8: the importers refuse such text before */
				n = 1;
			}
			p += n - 1;
		} else {
			fputc(*p, out);
		}
	}
	fputc('"', out);
}

void import_write_comment(FILE *out, const char *indent, const char *text)
{
	fprintf(out, "%s#", indent);
	if (*text)
		fputc(' ', out);
	/* A comment runs to the end of the line: a control character could end
	 * it early, and bytes that are not UTF-8 make the whole file unreadable
	 * for libyaml; both are shown as '?' */
	for (const char *p = text; *p;) {
		size_t n = 1;
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80) {
			/* nor may it hold the characters YAML refuses (C1 controls, BOM) */
			n = yaml_char_len(p);
			if (!n) {
				fputc('?', out);
				p++;
				continue;
			}
			fwrite(p, 1, n, out);
		} else if (c < 0x20 || c == 0x7f) {
			fputc(c == '\t' ? ' ' : '?', out);
		} else {
			fputc(c, out);
		}
		p += n;
	}
	fputc('\n', out);
}

static void write_key(FILE *out, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(out, "    %s: ", key);
	import_write_scalar(out, value);
	fputc('\n', out);
}

static void write_list(FILE *out, const char *key, const struct import_strv *sv)
{
	if (sv->n == 0)
		return;
	fprintf(out, "    %s: [", key);
	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			fputs(", ", out);
		import_write_scalar(out, sv->v[i]);
	}
	fputs("]\n", out);
}

void import_write_entry(FILE *out, const struct import_entry *e)
{
	for (size_t i = 0; i < e->comments.n; i++)
		import_write_comment(out, "  ", e->comments.v[i]);
	fputs("  - type: ", out);
	import_write_scalar(out, e->type);
	fputc('\n', out);
	write_key(out, "source", e->source);
	write_list(out, "lower", &e->lower);
	write_key(out, "upper", e->upper);
	write_key(out, "work", e->work);
	write_key(out, "target", e->target);
	write_key(out, "id", e->id);
	if (e->overmount)
		fputs("    overmount: true\n", out);
	write_list(out, "options", &e->options);
	if (e->idmap_uid || e->idmap_gid) {
		const char *sep = "";
		fputs("    idmap: {", out);
		if (e->idmap_uid) {
			fputs("uid: ", out);
			import_write_scalar(out, e->idmap_uid);
			sep = ", ";
		}
		if (e->idmap_gid) {
			fprintf(out, "%sgid: ", sep);
			import_write_scalar(out, e->idmap_gid);
		}
		fputs("}\n", out);
	}
	if (e->loop) {
		const char *sep = "";
		fputs("    loop: {", out);
		if (e->loop_readonly) {
			fputs("readonly: true", out);
			sep = ", ";
		}
		if (e->loop_offset) {
			fprintf(out, "%soffset: %s", sep, e->loop_offset);
			sep = ", ";
		}
		if (e->loop_sizelimit)
			fprintf(out, "%ssizelimit: %s", sep, e->loop_sizelimit);
		fputs("}\n", out);
	}
	switch (e->requires) {
	case REQUIRE_NONE:
		break;
	case REQUIRE_LINK:
	case REQUIRE_DEVICE:
		fprintf(out, "    requires: {%s: ", e->requires == REQUIRE_LINK ? "link" : "device");
		import_write_scalar(out, e->requires_name);
		if (e->requires_timeout)
			fprintf(out, ", timeout: %s", e->requires_timeout);
		fputs("}\n", out);
		break;
	}
	if (e->optional)
		fputs("    optional: true\n", out);
}

int import_path_normalize(const char *path, char **ret)
{
	bool escapes;

	if (path[0] != '/')
		return -EINVAL;
	/* a ".." component is refused, not resolved: in a foreign config it is
	 * more likely a mistake than a wish to climb (and symlinks would make a
	 * lexical answer wrong); the rest is the compiler's own normalization */
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return -ELOOP;
	return path_normalize(path, ret, &escapes);
}

int import_option_add(struct import_entry *e, const char *w, struct import_strv *notes, const char *how)
{
	const struct mount_option *o = options_lookup(w);
	if (o && (o->group || o->kind == OPT_PROPAGATION)) {
		size_t k = 0;
		int r = 0;
		for (size_t i = 0; i < e->options.n; i++) {
			const char *old = e->options.v[i];
			const struct mount_option *p = options_lookup(old);
			bool overridden = p && strcmp(old, w) != 0 &&
					  ((o->group && p->group == o->group) ||
					   (o->kind == OPT_PROPAGATION && p->kind == OPT_PROPAGATION));
			if (overridden) {
				if (r == 0)
					r = import_strv_addf(notes, "option %s dropped: the later %s overrides it, %s", old, w, how);
				free(e->options.v[i]);
			} else {
				e->options.v[k++] = e->options.v[i];
			}
		}
		e->options.n = k;
		if (e->options.v)
			e->options.v[k] = NULL;
		if (r < 0)
			return r;
	}
	return import_strv_add(&e->options, w);
}

/*
 * overlayfs's own option words: mount(8) and the OCI runtimes pass layers
 * as lowerdir=/a:/b, upperdir=, workdir=, where a plan has the keys lower,
 * upper and work (and refuses the words in options, E211).
 */
int import_overlay_option(struct import_entry *e, const char *w, char **why)
{
	*why = NULL;
	if (!strncmp(w, "lowerdir=", 9)) {
		const char *p = w + 9;
		if (!*p)
			return asprintf(why, "option '%s' names no lower layer", w) < 0 ? -ENOMEM : -EINVAL;
		while (*p) {
			const char *end = strchrnul(p, ':');
			_cleanup_free_ char *layer = strndup(p, (size_t)(end - p)), *norm = NULL;
			if (!layer)
				return -ENOMEM;
			int r = import_path_normalize(layer, &norm);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				return asprintf(why, "overlay lower layer '%s' is not an absolute path without '..'", layer) < 0
					       ? -ENOMEM
					       : -EINVAL;
			if (import_strv_add(&e->lower, norm) < 0)
				return -ENOMEM;
			p = *end ? end + 1 : end;
		}
		return 1;
	}
	char **dst = !strncmp(w, "upperdir=", 9) ? &e->upper : !strncmp(w, "workdir=", 8) ? &e->work : NULL;
	if (!dst)
		return 0;
	free(*dst);
	*dst = NULL;
	int r = import_path_normalize(strchr(w, '=') + 1, dst);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return asprintf(why, "overlay '%s' is not an absolute path without '..'", w) < 0 ? -ENOMEM : -EINVAL;
	return 1;
}

/* lowerdir+=, datadir= and friends: layer words a plan has no key for. */
static bool layer_word(const char *w)
{
	static const char *const layer[] = { "lowerdir", "upperdir", "workdir", "datadir" };
	for (size_t i = 0; i < sizeof(layer) / sizeof(layer[0]); i++) {
		size_t n = strlen(layer[i]);
		if (strncmp(w, layer[i], n) == 0 && (w[n] == '=' || w[n] == '+' || w[n] == '\0'))
			return true;
	}
	return false;
}

/*
 * An id map "inside:outside:count[,...]" as the kernel takes it (and the
 * plan, validate_idmap): at most 340 ranges, each counting at least one
 * id, none past 2^32, none overlapping another on either side.  Returns
 * NULL, or what is wrong.  The importers write only decimal numbers.
 */
static const char *idmap_problem(const char *map)
{
	uint64_t in[MP_MAX_IDMAP_RANGES], out[MP_MAX_IDMAP_RANGES], cnt[MP_MAX_IDMAP_RANGES];
	size_t n = 0;

	for (const char *p = map;;) {
		char *end;
		if (n == MP_MAX_IDMAP_RANGES)
			return "more than the kernel's limit of 340 ranges";
		in[n] = strtoull(p, &end, 10);
		if (*end != ':')
			return "a range is inside:outside:count";
		out[n] = strtoull(end + 1, &end, 10);
		if (*end != ':')
			return "a range is inside:outside:count";
		cnt[n] = strtoull(end + 1, &end, 10);
		if (*end != ',' && *end != '\0')
			return "a range is inside:outside:count";
		if (cnt[n] == 0)
			return "a range with count 0 maps no ids: each count must be at least 1";
		if (in[n] + cnt[n] > (1ull << 32) || out[n] + cnt[n] > (1ull << 32))
			return "a range goes past 2^32";
		for (size_t k = 0; k < n; k++)
			if ((in[k] < in[n] + cnt[n] && in[n] < in[k] + cnt[k]) ||
			    (out[k] < out[n] + cnt[n] && out[n] < out[k] + cnt[k]))
				return "two ranges overlap";
		n++;
		if (!*end)
			return NULL;
		p = end + 1;
	}
}

/* Is one normalized path a, or inside, the other?  (overlayfs refuses that
 * for upper/work with EINVAL, for a lower layer and upper with ELOOP.) */
static bool paths_nest(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > lb)
		return paths_nest(b, a);
	if (la == 1) /* "/" holds every path */
		return true;
	return strncmp(a, b, la) == 0 && (b[la] == '\0' || b[la] == '/');
}

static bool link_name_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 15 && strcspn(s, "/: \t\n") == n && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static int why_set(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int why_set(char **why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(why, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*why = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

/*
 * The rules of the plan language (parse.c, validate.c) that one entry can
 * break on its own, asked of the entry before it is written, so the import
 * names the source line with a message about the source, not the plan.
 * The same table (options.h) decides; cross-entry rules (two mounts on a
 * target) are the importers' own, and the command's check of the whole
 * plan (import-cmd.c) catches whatever this list misses.
 */
int import_entry_check(const struct import_entry *e, char **why)
{
	const struct fs_type *fs = options_fs_type(e->type);
	enum ir_fs_class cls = options_fs_class(e->type);
	bool bind = cls == FS_BIND;

	*why = NULL;
	/* "${root}/x" is a path in the plan's root, and any other "${" is
	 * refused (E303): a source path that holds one cannot be said */
	const char *paths[] = { e->target, e->upper, e->work, (bind || cls == FS_BLOCK) ? e->source : NULL,
				e->requires == REQUIRE_DEVICE ? e->requires_name : NULL };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) + e->lower.n; i++) {
		const char *path = i < sizeof(paths) / sizeof(paths[0]) ? paths[i] : e->lower.v[i - sizeof(paths) / sizeof(paths[0])];
		if (path && strstr(path, "${"))
			return why_set(why, "path '%s' holds '${', which a plan reads as its ${root} variable", path);
	}
	for (size_t i = 0; i < e->options.n; i++) {
		const char *w = e->options.v[i];
		const struct mount_option *o = options_lookup(w);
		if (layer_word(w))
			return why_set(why, "option '%s' is an overlay layer, and type %s is no overlay (or the layer "
					    "word has no plan key)",
				       w, e->type);
		if (!o) {
			if (!*w || (fs && !options_fs_accepts(fs, w)))
				return why_set(why, "unknown option '%s' for type %s", w, e->type);
			continue;
		}
		switch (o->kind) {
		case OPT_RECURSIVE:
		case OPT_NOP:
			if (!bind && (o->kind == OPT_RECURSIVE || !strcmp(o->word, "bind")))
				return why_set(why, "option '%s' only applies to a bind mount, not type %s", w, e->type);
			break;
		case OPT_SBFLAG:
			if (bind)
				return why_set(why, "option '%s' is a filesystem flag: a bind mount cannot change it", w);
			break;
		case OPT_ATTR:
		case OPT_PROPAGATION:
			break;
		}
	}
	if (e->source && (cls == FS_VIRTUAL || cls == FS_OVERLAY))
		return why_set(why, "type %s takes no source", e->type);
	if (!e->source && (cls == FS_BIND || cls == FS_BLOCK || cls == FS_HELPER))
		return why_set(why, "type %s needs a source", e->type);
	if (e->source && (bind || cls == FS_BLOCK) && e->source[0] != '/')
		return why_set(why, "source '%s' of type %s is not an absolute path", e->source, e->type);
	if (e->loop && cls != FS_BLOCK)
		return why_set(why, "a loop device holds a block filesystem (ext4, xfs, squashfs, ...), not type %s",
			       e->type);
	if (cls == FS_OVERLAY && e->lower.n == 0)
		return why_set(why, "an overlay needs at least one lower layer (lowerdir=)");
	if (e->lower.n > MP_MAX_OVERLAY_LOWER)
		return why_set(why, "%zu overlay lower layers, a plan takes at most %u", e->lower.n,
			       (unsigned)MP_MAX_OVERLAY_LOWER);
	if (cls != FS_OVERLAY && (e->lower.n || e->upper || e->work))
		return why_set(why, "overlay layers on type %s", e->type);
	if (e->upper && e->work && paths_nest(e->upper, e->work))
		return why_set(why, "overlay upper '%s' and work '%s' must be separate directories, neither inside the "
				    "other",
			       e->upper, e->work);
	for (size_t i = 0; e->upper && i < e->lower.n; i++)
		if (paths_nest(e->lower.v[i], e->upper))
			return why_set(why, "overlay lower layer '%s' may not be inside upper '%s', or hold it",
				       e->lower.v[i], e->upper);
	if (e->work && !e->upper)
		return why_set(why, "an overlay with a work directory (workdir=) needs an upper one (upperdir=)");
	if (e->upper && !e->work)
		return why_set(why, "an overlay with an upper directory (upperdir=) needs a work one (workdir=)");
	if (e->idmap_uid || e->idmap_gid) {
		bool can = (cls == FS_BIND || cls == FS_OVERLAY || cls == FS_BLOCK || cls == FS_VIRTUAL) && fs &&
			   (fs->flags & FSF_IDMAP);
		if (!can)
			return why_set(why, "type %s cannot be an idmapped mount", e->type);
		if (!e->idmap_uid || !e->idmap_gid)
			return why_set(why, "an idmapped mount needs both a uid and a gid map, this one has only the %s map",
				       e->idmap_uid ? "uid" : "gid");
		const char *bad = idmap_problem(e->idmap_uid);
		if (bad)
			return why_set(why, "uid map '%s': %s", e->idmap_uid, bad);
		if ((bad = idmap_problem(e->idmap_gid)))
			return why_set(why, "gid map '%s': %s", e->idmap_gid, bad);
	}
	if (e->requires == REQUIRE_LINK && !link_name_ok(e->requires_name))
		return why_set(why, "'%s' is not an interface name (1 to 15 characters without '/', ':' or spaces)",
			       e->requires_name);
	return 0;
}
