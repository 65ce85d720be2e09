/*
 * import-fstab.c — `mplan import-fstab FILE`: an fstab(5) file as a plan.
 *
 * Each line becomes one plan entry under a comment `# FILE:LINE: <line>`.
 * fstab mixes three kinds of option words, and only one of them may reach
 * the kernel:
 *   - words for the kernel (ro, nodev, noatime, mode=1777, errors=...):
 *     kept in `options`;
 *   - words for mount(8)/systemd that the plan says with its own keys:
 *     nofail -> optional, loop/offset=/sizelimit= -> loop, X-mount.idmap ->
 *     idmap, bind/rbind -> the type, x-systemd.requires=<net device unit>
 *     -> requires: {link}, x-systemd.device-timeout -> the wait's timeout;
 *   - words with no meaning for a plan (defaults, auto, user, comment=,
 *     other x-*): dropped, and a comment lists them.
 * Sources given by tag (UUID=, LABEL=, PARTUUID=, PARTLABEL=, ID=) become
 * the udev links under /dev/disk/by-*, resolved when the plan is applied,
 * with a `requires: {device}` so the executor waits for udev to make them.
 * Overlay layers (lowerdir=, upperdir=, workdir=) become the plan's keys;
 * of option words that contradict each other the last wins, as in mount(8).
 * Lines that are not mounts (swap, mount point "none", noauto) are kept as
 * comments saying why; two lines on one mount point are refused (see
 * check_duplicate_targets).  Every malformed line is reported, with its line
 * number and what is wrong, before the import fails.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "import.h"
#include "limits.h"
#include "options.h"

#define FSTAB_MAX_FIELDS 6

/* A mount point an entry was written for, and its line. */
struct fstab_target {
	char *path;
	unsigned lineno;
};

struct fstab_ctx {
	const char *name;
	struct import_problems *probs;
	FILE *body;        /* the mounts: section, written into memory */
	size_t n_entries;
	struct fstab_target *targets; /* one per written entry, for the duplicate check */
	size_t n_targets, cap_targets;
	bool nomem;
};

/* What one line says, after unescaping and option sorting. */
struct fstab_line {
	unsigned lineno;
	char *field[FSTAB_MAX_FIELDS];
	size_t n_fields;
	struct import_strv dropped; /* fstab-only words, for the comment */
	struct import_strv notes;   /* extra comment lines */
	bool noauto, bind, rbind, netdev;
	char *net_link;             /* interface named by x-systemd.requires */
	char *device_timeout;       /* converted to the plan's duration */
	bool ok;                    /* false once a problem was recorded */
};

static void line_free(struct fstab_line *l)
{
	for (size_t i = 0; i < l->n_fields; i++)
		free(l->field[i]);
	import_strv_free(&l->dropped);
	import_strv_free(&l->notes);
	free(l->net_link);
	free(l->device_timeout);
}

static void problem(struct fstab_ctx *c, struct fstab_line *l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct fstab_ctx *c, struct fstab_line *l, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		c->nomem = true;
		return;
	}
	import_problem(c->probs, l->lineno, 0, "%s", msg);
	l->ok = false;
}

static void check_mem(struct fstab_ctx *c, int r)
{
	if (r < 0)
		c->nomem = true;
}

/*
 * fstab escapes blanks and backslashes in fields as \ooo octal (\040 is a
 * space); other backslashes stay as they are, as libmount does.
 */
static char *unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
		    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * systemd time span ("5s", "500ms", "2min", "90") -> the plan's duration,
 * "Ns" or "Nms".  Returns NULL for what the plan cannot say.
 */
static char *convert_timeout(const char *v, bool *clamped)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (end == v || errno || *v == '-')
		return NULL;
	unsigned long long ms;
	if (!*end || !strcmp(end, "s") || !strcmp(end, "sec"))
		ms = n * 1000;
	else if (!strcmp(end, "ms") || !strcmp(end, "msec"))
		ms = n;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		ms = n * 60000;
	else if (!strcmp(end, "h") || !strcmp(end, "hr"))
		ms = n * 3600000;
	else
		return NULL;
	/* 0 means "wait forever" to systemd; a plan waits at most an hour */
	*clamped = ms == 0 || ms > MP_MAX_TIMEOUT_MS || n > MP_MAX_TIMEOUT_MS;
	if (*clamped)
		ms = MP_MAX_TIMEOUT_MS;
	char *out = NULL;
	if (ms % 1000 == 0 ? asprintf(&out, "%llus", ms / 1000) < 0 : asprintf(&out, "%llums", ms) < 0)
		return NULL;
	return out;
}

/*
 * x-systemd.requires=sys-subsystem-net-devices-IF.device is how a
 * systemd fstab names a network interface; the unit name escapes '-' in
 * the interface name as \x2d.  Returns the interface, or NULL.
 */
static char *net_device_unit(const char *unit)
{
	static const char prefix[] = "sys-subsystem-net-devices-", suffix[] = ".device";
	size_t len = strlen(unit), pl = sizeof(prefix) - 1, sl = sizeof(suffix) - 1;
	if (len <= pl + sl || !has_prefix(unit, prefix) || strcmp(unit + len - sl, suffix) != 0)
		return NULL;
	char *out = malloc(len), *o = out;
	if (!out)
		return NULL;
	for (const char *p = unit + pl; p < unit + len - sl; p++) {
		if (p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) && isxdigit((unsigned char)p[3])) {
			char hex[3] = { p[2], p[3], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/*
 * X-mount.idmap as mount(8) takes it: space-separated
 * [u:|g:|b:]inside:outside:count (no prefix = both), the same order as
 * /proc/PID/uid_map and as the plan's maps.
 */
static int parse_idmap(const char *v, char **uid, char **gid, const char **why)
{
	_cleanup_free_ char *copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	size_t cl = strlen(copy);
	if (cl >= 2 && copy[0] == '"' && copy[cl - 1] == '"') {
		memmove(copy, copy + 1, cl - 2);
		copy[cl - 2] = '\0';
	}
	if (copy[0] == '/') {
		*why = "a user namespace file cannot be compiled into a plan: write the ranges, like "
		       "u:0:100000:65536";
		return -EINVAL;
	}
	char *save = NULL;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char kind = 'b';
		if ((tok[0] == 'u' || tok[0] == 'g' || tok[0] == 'b') && tok[1] == ':') {
			kind = tok[0];
			tok += 2;
		}
		unsigned long a, b, n;
		int used = 0;
		if (sscanf(tok, "%lu:%lu:%lu%n", &a, &b, &n, &used) != 3 || tok[used] != '\0' || !isdigit((unsigned char)tok[0])) {
			*why = "each range is [u:|g:|b:]inside:outside:count";
			return -EINVAL;
		}
		for (int pass = 0; pass < 2; pass++) {
			char **dst = pass == 0 ? uid : gid;
			if ((pass == 0 && kind == 'g') || (pass == 1 && kind == 'u'))
				continue;
			char *next = NULL;
			if (asprintf(&next, "%s%s%lu:%lu:%lu", *dst ? *dst : "", *dst ? "," : "", a, b, n) < 0)
				return -ENOMEM;
			free(*dst);
			*dst = next;
		}
	}
	if (!*uid && !*gid) {
		*why = "no range given";
		return -EINVAL;
	}
	return 0;
}

/* Split fstab options at commas outside double quotes (context="a,b"). */
static int split_options(const char *s, struct import_strv *out)
{
	bool quoted = false;
	const char *start = s;
	for (const char *p = s;; p++) {
		if (*p == '"')
			quoted = !quoted;
		if (*p == '\0' || (*p == ',' && !quoted)) {
			if (p > start) {
				int r = import_strv_addn(out, start, (size_t)(p - start));
				if (r < 0)
					return r;
			}
			if (!*p)
				return 0;
			start = p + 1;
		}
	}
}

/* Filesystems that are useless until the network is up, as systemd assumes. */
static bool network_type(const char *t)
{
	static const char *const v[] = { "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs",
					 "fuse.sshfs", "fuse.glusterfs", "fuse.s3fs", "davfs", "ncpfs", NULL };
	for (size_t i = 0; v[i]; i++)
		if (!strcmp(t, v[i]))
			return true;
	return false;
}

/* UUID=... and friends -> the udev link; NULL (no error) when s is no tag. */
static int tag_to_path(const char *s, char **ret, const char **why)
{
	static const struct {
		const char *tag, *dir;
	} tags[] = {
		{ "UUID=", "by-uuid" },         { "LABEL=", "by-label" }, { "PARTUUID=", "by-partuuid" },
		{ "PARTLABEL=", "by-partlabel" }, { "ID=", "by-id" },
	};
	*ret = NULL;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		if (!has_prefix(s, tags[i].tag))
			continue;
		const char *v = s + strlen(tags[i].tag);
		size_t vl = strlen(v);
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
			v++, vl -= 2;
		if (vl == 0) {
			*why = "is empty";
			return -EINVAL;
		}
		/* udev writes the links with every byte outside this set, and
		 * any '/', as \xHH (udev_util_encode_string), so "My Photos"
		 * is /dev/disk/by-label/My\x20Photos */
		_cleanup_free_ char *enc = malloc(vl * 4 + 1);
		if (!enc)
			return -ENOMEM;
		char *o = enc;
		for (size_t k = 0; k < vl; k++) {
			unsigned char c = (unsigned char)v[k];
			if (isalnum(c) || strchr("#+-.:=@_", c) || c >= 0x80)
				*o++ = (char)c;
			else
				o += sprintf(o, "\\x%02x", c);
		}
		*o = '\0';
		if (asprintf(ret, "/dev/disk/%s/%s", tags[i].dir, enc) < 0)
			return -ENOMEM;
		return 0;
	}
	return 0;
}

/* Sort one option word into kept, translated or dropped. */
static void take_option(struct fstab_ctx *c, struct fstab_line *l, struct import_entry *e, const char *w)
{
	static const char *const fstab_only[] = { "defaults", "auto", "user", "users", "nouser", "owner",
						  "group", "sw", NULL };
	for (size_t i = 0; fstab_only[i]; i++)
		if (!strcmp(w, fstab_only[i])) {
			check_mem(c, import_strv_add(&l->dropped, w));
			return;
		}
	if (!strcmp(w, "noauto")) {
		l->noauto = true;
	} else if (!strcmp(w, "nofail")) {
		e->optional = true;
	} else if (!strcmp(w, "_netdev")) {
		l->netdev = true;
	} else if (!strcmp(w, "bind")) {
		l->bind = true;
	} else if (!strcmp(w, "rbind")) {
		l->rbind = true;
	} else if (!strcmp(w, "move") || !strcmp(w, "rmove") || !strcmp(w, "remount")) {
		problem(c, l, "option '%s' is an action of mount(8), not a mount to make", w);
	} else if (!strcmp(w, "loop")) {
		e->loop = true;
	} else if (has_prefix(w, "offset=") || has_prefix(w, "sizelimit=")) {
		/* mount(8): these two imply loop */
		const char *v = strchr(w, '=') + 1;
		if (!all_digits(v)) {
			problem(c, l, "option '%s' needs a number of bytes", w);
			return;
		}
		e->loop = true;
		char **dst = w[0] == 'o' ? &e->loop_offset : &e->loop_sizelimit;
		free(*dst);
		*dst = strdup(v);
		if (!*dst)
			c->nomem = true;
	} else if (has_prefix(w, "X-mount.idmap=")) {
		const char *why = NULL;
		int r = parse_idmap(w + strlen("X-mount.idmap="), &e->idmap_uid, &e->idmap_gid, &why);
		if (r == -ENOMEM)
			c->nomem = true;
		else if (r < 0)
			problem(c, l, "bad X-mount.idmap '%s': %s", w + strlen("X-mount.idmap="), why);
	} else if (has_prefix(w, "x-systemd.requires=")) {
		const char *unit = w + strlen("x-systemd.requires=");
		char *ifname = net_device_unit(unit);
		/* systemd's own names for "the network is up": a need, but no link named */
		if (!strcmp(unit, "network-online.target") || !strcmp(unit, "network.target"))
			l->netdev = true;
		if (ifname) {
			free(l->net_link);
			l->net_link = ifname;
		} else {
			check_mem(c, import_strv_add(&l->dropped, w));
		}
	} else if (has_prefix(w, "x-systemd.device-timeout=")) {
		const char *v = w + strlen("x-systemd.device-timeout=");
		bool clamped = false;
		char *t = convert_timeout(!strcmp(v, "infinity") ? "0" : v, &clamped);
		if (!t) {
			problem(c, l, "bad x-systemd.device-timeout '%s': a time span like 5s, 500ms or 2min", v);
			return;
		}
		if (clamped)
			check_mem(c, import_strv_addf(&l->notes, "x-systemd.device-timeout=%s: a plan waits at most %s", v, t));
		free(l->device_timeout);
		l->device_timeout = t;
	} else if (has_prefix(w, "X-mount.mkdir")) {
		check_mem(c, import_strv_addf(&l->dropped, "%s (mountplan always creates missing mount points)", w));
	} else if (has_prefix(w, "x-") || has_prefix(w, "X-") || has_prefix(w, "comment=") ||
		   has_prefix(w, "loop=") || has_prefix(w, "encryption=") || has_prefix(w, "helper=") ||
		   has_prefix(w, "uhelper=")) {
		check_mem(c, import_strv_add(&l->dropped, w));
	} else {
		/* mount(8) applies option words in order: of "ro,rw" the last wins */
		check_mem(c, import_option_add(e, w, &l->notes, "as in mount(8)"));
	}
}

static bool has_option(const struct import_strv *sv, const char *w)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], w))
			return true;
	return false;
}

/* Build the entry for a mount line; leaves problems in c->probs. */
static void translate(struct fstab_ctx *c, struct fstab_line *l, struct import_entry *e)
{
	const char *spec = l->field[0], *file = l->field[1], *type = l->field[2];
	const char *opts = l->n_fields > 3 ? l->field[3] : "defaults";

	for (size_t i = 4; i < l->n_fields; i++)
		if (!all_digits(l->field[i]))
			problem(c, l, "%s field '%s' is not a number", i == 4 ? "dump (5th)" : "pass (6th)",
				l->field[i]);

	struct import_strv words = { 0 };
	check_mem(c, split_options(opts, &words));
	for (size_t i = 0; i < words.n; i++)
		take_option(c, l, e, words.v[i]);
	import_strv_free(&words);
	if (l->noauto || !l->ok)
		return;

	int r = import_path_normalize(file, &e->target);
	if (r == -EINVAL)
		problem(c, l, "mount point '%s' is not an absolute path", file);
	else if (r == -ELOOP)
		problem(c, l, "mount point '%s' has a '..' component", file);
	else
		check_mem(c, r);

	/* mount -t bind/rbind is the same as -o bind/rbind */
	if (!strcmp(type, "rbind"))
		l->rbind = true;
	else if (!strcmp(type, "bind"))
		l->bind = true;
	if (l->bind || l->rbind) {
		e->type = strdup(l->rbind ? "rbind" : "bind");
		r = import_path_normalize(spec, &e->source);
		if (r == -EINVAL || r == -ELOOP)
			problem(c, l, "bind source '%s' is not an absolute, normalized path", spec);
		else
			check_mem(c, r);
		if (e->loop)
			problem(c, l, "a bind mount cannot also be a loop mount");
		if (!e->type)
			c->nomem = true;
		return;
	}
	if (!strcmp(type, "none")) {
		problem(c, l, "type 'none' without bind or rbind: nothing to mount");
		return;
	}
	if (!strcmp(type, "auto") || strchr(type, ',')) {
		problem(c, l, "type '%s' asks mount(8) to probe the filesystem; a plan names one type (ext4, xfs, ...)",
			type);
		return;
	}
	e->type = strdup(type);
	if (!e->type) {
		c->nomem = true;
		return;
	}
	if (options_fs_class(type) == FS_VIRTUAL)
		return; /* the source field ("tmpfs", "proc") only names it in mountinfo */
	if (options_fs_class(type) == FS_OVERLAY) {
		/* The same for an overlay's source ("overlay"); its layers are
		 * option words for mount(8) and keys for a plan. */
		size_t k = 0;
		for (size_t i = 0; i < e->options.n; i++) {
			_cleanup_free_ char *why = NULL;
			r = import_overlay_option(e, e->options.v[i], &why);
			if (r == -ENOMEM)
				c->nomem = true;
			else if (r < 0)
				problem(c, l, "%s", why);
			if (r != 0)
				free(e->options.v[i]);
			else
				e->options.v[k++] = e->options.v[i];
		}
		e->options.n = k;
		if (e->options.v)
			e->options.v[k] = NULL;
		return;
	}

	const char *why = NULL;
	_cleanup_free_ char *dev = NULL;
	r = tag_to_path(spec, &dev, &why);
	if (r == -ENOMEM) {
		c->nomem = true;
		return;
	}
	if (r < 0) {
		problem(c, l, "source '%s' %s", spec, why);
		return;
	}
	if (dev) {
		check_mem(c, import_strv_addf(&l->notes, "%s: udev's link, resolved when the plan is applied", spec));
		e->source = TAKE_PTR(dev);
	} else if (spec[0] == '/' && !network_type(type)) {
		r = import_path_normalize(spec, &e->source);
		if (r < 0 && r != -ENOMEM)
			problem(c, l, "source '%s' has a '..' component", spec);
		check_mem(c, r == -ENOMEM ? r : 0);
	} else if (options_fs_class(type) == FS_BLOCK) {
		/* a block filesystem's source is a device, an image (loop) or a tag: a
		 * plan would refuse anything else (E300), so the import says so here */
		problem(c, l, "source '%s' of type %s is not a device path, an image or UUID=/LABEL=/PARTUUID=/PARTLABEL=/ID=",
			spec, type);
		return;
	} else {
		e->source = strdup(spec); /* host:/export, //server/share, a helper's own syntax */
		if (!e->source)
			c->nomem = true;
	}
	if (!e->source)
		return;

	if (e->loop) {
		if (e->source[0] != '/')
			problem(c, l, "loop source '%s' must be an absolute path to an image file", spec);
		e->loop_readonly = has_option(&e->options, "ro");
	} else if (has_prefix(e->source, "/dev/")) {
		e->requires = REQUIRE_DEVICE;
		e->requires_name = strdup(e->source);
		if (!e->requires_name)
			c->nomem = true;
		if (l->device_timeout)
			e->requires_timeout = TAKE_PTR(l->device_timeout);
	}
}

/* Network needs: a link wait only where the line names the interface. */
static void network_needs(struct fstab_ctx *c, struct fstab_line *l, struct import_entry *e)
{
	bool needs = l->netdev || network_type(l->field[2]) || l->net_link;
	if (!needs)
		return;
	if (l->net_link && e->requires == REQUIRE_NONE) {
		e->requires = REQUIRE_LINK;
		e->requires_name = TAKE_PTR(l->net_link);
		if (!e->requires_name)
			c->nomem = true;
	} else if (l->net_link) {
		check_mem(c, import_strv_addf(&l->notes, "also needs link %s; a plan entry waits for one thing: "
						       "the device", l->net_link));
	} else {
		check_mem(c, import_strv_add(&l->notes, "needs the network, but the line names no interface, so no "
							 "requires: add requires: {link: IF} to wait for one"));
	}
}

static void add_target(struct fstab_ctx *c, const char *path, unsigned lineno)
{
	if (c->n_targets == c->cap_targets) {
		size_t cap = c->cap_targets ? c->cap_targets * 2 : 32;
		struct fstab_target *t = realloc(c->targets, cap * sizeof(*t));
		if (!t) {
			c->nomem = true;
			return;
		}
		c->targets = t;
		c->cap_targets = cap;
	}
	char *copy = strdup(path);
	if (!copy) {
		c->nomem = true;
		return;
	}
	c->targets[c->n_targets++] = (struct fstab_target){ .path = copy, .lineno = lineno };
}

static int target_cmp(const void *a, const void *b)
{
	const struct fstab_target *x = a, *y = b;
	int d = strcmp(x->path, y->path);
	return d ? d : (x->lineno > y->lineno) - (x->lineno < y->lineno);
}

static int problem_cmp(const void *a, const void *b)
{
	const struct import_problem *x = a, *y = b;
	return (x->line > y->line) - (x->line < y->line);
}

/*
 * Two lines on one mount point.  `mount -a` would stack the second mount
 * over the first, hiding it; systemd-fstab-generator makes one unit per
 * mount point and ignores the duplicate line.  Since the two readers of an
 * fstab disagree, and the first mount is useless under the second either
 * way, the import refuses the later line instead of guessing: the user
 * removes one, or writes the stack on purpose (overmount: true, distinct
 * ids) in the plan.  Sorting keeps this O(n log n) for huge files.
 */
static void check_duplicate_targets(struct fstab_ctx *c)
{
	if (c->n_targets < 2)
		return;
	qsort(c->targets, c->n_targets, sizeof(*c->targets), target_cmp);
	size_t before = c->probs->n, first = 0;
	for (size_t i = 1; i < c->n_targets; i++) {
		if (strcmp(c->targets[first].path, c->targets[i].path) != 0) {
			first = i;
			continue;
		}
		import_problem(c->probs, c->targets[i].lineno, 0,
			       "mount point %s is also line %u's: mount(8) would stack this mount over it and systemd "
			       "ignores the duplicate; a plan mounts one thing per target (remove one line)",
			       c->targets[i].path, c->targets[first].lineno);
	}
	if (c->probs->n == before || c->probs->nomem)
		return;
	/* The file's problems are reported in line order: the earlier ones
	 * are (lines are read in order), the new ones get sorted (one per
	 * line), then the two runs are merged, the earlier run first on a tie. */
	struct import_problem *p = c->probs->items, *tmp = malloc(c->probs->n * sizeof(*tmp));
	if (!tmp) {
		c->nomem = true;
		return;
	}
	qsort(p + before, c->probs->n - before, sizeof(*p), problem_cmp);
	size_t i = 0, j = before, o = 0;
	while (i < before || j < c->probs->n)
		tmp[o++] = j == c->probs->n || (i < before && problem_cmp(&p[i], &p[j]) <= 0) ? p[i++] : p[j++];
	memcpy(p, tmp, c->probs->n * sizeof(*p));
	free(tmp);
}

static void emit_comment(struct fstab_ctx *c, const char *text)
{
	import_write_comment(c->body, "  ", text);
}

static void do_line(struct fstab_ctx *c, unsigned lineno, const char *line, size_t len)
{
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	_cleanup_free_ char *orig = strndup(line, len);
	if (!orig) {
		c->nomem = true;
		return;
	}
	if (i == len) {
		fputc('\n', c->body);
		return;
	}
	if (line[i] == '#') {
		import_write_comment(c->body, "  ", orig + i + 1 + (orig[i + 1] == ' '));
		return;
	}

	struct fstab_line l = { .lineno = lineno, .ok = true };
	struct import_entry e = { 0 };
	_cleanup_free_ char *head = NULL; /* before the first goto: cleanup must see NULL */
	if (!import_utf8_valid(line, len)) {
		problem(c, &l, "the line is not valid UTF-8 (a plan is UTF-8 text)");
		goto out;
	}
	while (i < len) {
		size_t start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		if (l.n_fields == FSTAB_MAX_FIELDS) {
			problem(c, &l, "more than %d fields (source, mount point, type, options, dump, pass); "
				       "blanks inside a field are written \\040",
				FSTAB_MAX_FIELDS);
			goto out;
		}
		l.field[l.n_fields] = unescape(line + start, i - start);
		if (!l.field[l.n_fields]) {
			c->nomem = true;
			goto out;
		}
		l.n_fields++;
		/* \ooo escapes can spell any byte: the decoded field must be UTF-8 too */
		if (!import_utf8_valid(l.field[l.n_fields - 1], strlen(l.field[l.n_fields - 1]))) {
			problem(c, &l, "field %zu is not valid UTF-8 once its \\ooo escapes are decoded (a plan is UTF-8 "
				       "text)",
				l.n_fields);
			goto out;
		}
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
	}
	if (l.n_fields < 3) {
		problem(c, &l, "%zu field%s, a mount line needs at least 3 (source, mount point, type)", l.n_fields,
			l.n_fields == 1 ? "" : "s");
		goto out;
	}

	if (asprintf(&head, "%s:%u: %s", c->name, lineno, orig) < 0) {
		c->nomem = true;
		goto out;
	}
	if (!strcmp(l.field[2], "swap") || !strcmp(l.field[1], "swap")) {
		emit_comment(c, head);
		emit_comment(c, "  skipped: swap space is not a mount");
		goto out;
	}
	if (!strcmp(l.field[1], "none")) {
		emit_comment(c, head);
		emit_comment(c, "  skipped: mount point 'none' is not a mount");
		goto out;
	}
	if (!strcmp(l.field[2], "ignore")) {
		emit_comment(c, head);
		emit_comment(c, "  skipped: type 'ignore' (a placeholder line)");
		goto out;
	}

	translate(c, &l, &e);
	if (!l.ok)
		goto out;
	if (l.noauto) {
		emit_comment(c, head);
		emit_comment(c, "  skipped: noauto (not mounted at boot; a plan mounts every entry)");
		goto out;
	}
	network_needs(c, &l, &e);
	{
		_cleanup_free_ char *why = NULL;
		int r = import_entry_check(&e, &why);
		if (r == -ENOMEM) {
			c->nomem = true;
			goto out;
		}
		if (r < 0) {
			problem(c, &l, "%s", why);
			goto out;
		}
	}
	add_target(c, e.target, lineno);

	check_mem(c, import_strv_add(&e.comments, head));
	if (l.dropped.n) {
		_cleanup_free_ char *list = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&list, &n);
		if (!f) {
			c->nomem = true;
			goto out;
		}
		for (size_t k = 0; k < l.dropped.n; k++)
			fprintf(f, "%s%s", k ? ", " : "", l.dropped.v[k]);
		if (fclose(f) != 0) {
			c->nomem = true;
			goto out;
		}
		check_mem(c, import_strv_addf(&e.comments, "  dropped, fstab-only: %s", list));
	}
	for (size_t k = 0; k < l.notes.n; k++)
		check_mem(c, import_strv_addf(&e.comments, "  %s", l.notes.v[k]));
	import_write_entry(c->body, &e);
	c->n_entries++;
out:
	import_entry_free(&e);
	line_free(&l);
}

int import_fstab(const char *name, const char *text, size_t len, FILE *out, struct import_problems *probs,
		 struct mp_error *err)
{
	_cleanup_free_ char *body = NULL;
	size_t body_len = 0;
	struct fstab_ctx c = { .name = name, .probs = probs };

	c.body = open_memstream(&body, &body_len);
	if (!c.body)
		return error_set_errno(err, errno, "import-fstab: memory stream");

	unsigned lineno = 0;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		do_line(&c, ++lineno, text + pos, end - pos);
		pos = end + 1;
	}
	if (fclose(c.body) != 0)
		c.nomem = true;
	check_duplicate_targets(&c);
	for (size_t i = 0; i < c.n_targets; i++)
		free(c.targets[i].path);
	free(c.targets);

	if (c.nomem || probs->nomem)
		return error_set_errno(err, ENOMEM, "import-fstab: %s", name);
	if (probs->n)
		return error_set(err, EINVAL, "%s: %zu line%s cannot be imported", name, probs->n,
				 probs->n == 1 ? "" : "s");

	fprintf(out, "# A mount plan imported by `mplan import-fstab` from %s.\n", name);
	fputs("# Every entry names the fstab line it came from; options that only mean\n"
	      "# something to mount(8) or systemd are translated or listed as dropped.\n"
	      "version: 1\n",
	      out);
	if (c.n_entries == 0)
		fputs("mounts: []\n", out);
	else
		fputs("mounts:\n", out);
	fwrite(body, 1, body_len, out);
	if (fflush(out) != 0 || ferror(out))
		return error_set_errno(err, errno ? errno : EIO, "writing the plan");
	return 0;
}
