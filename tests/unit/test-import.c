/*
 * test-import.c — the importers' shared pieces: every string written as a
 * YAML scalar reads back as the same string (through the same tree loader
 * the plan parser uses), comments cannot break out of their line, paths
 * normalize, UTF-8 is checked; the fstab importer's option sorting on
 * small inputs; and the per-entry check that keeps an importer from
 * writing an entry the plan language refuses (import_entry_check).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "tap.h"
#include "ytree.h"

static char *scalar_roundtrip(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ydoc doc = { 0 };
	struct yerror yerr = { 0 };
	char *got = NULL;

	fputs("k: ", f);
	import_write_scalar(f, s);
	fputs("\nl: [", f);
	import_write_scalar(f, s);
	fputs(", x]\n", f);
	fclose(f);
	if (ydoc_load(buf, len, NULL, &doc, &yerr) == 0) {
		const struct ynode *k = ynode_get(doc.root, "k"), *l = ynode_get(doc.root, "l");
		/* plain scalars must also not be read as a bool, null or number */
		if (k && l && l->kind == YNODE_SEQ && l->n == 2 && !strcmp(k->str, l->items[0]->str) &&
		    !strcmp(ynode_describe(k), "a string"))
			got = strdup(k->str);
	}
	ydoc_free(&doc);
	free(buf);
	return got;
}

static char *plan_of(const char *fstab)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct import_problems probs = { 0 };
	struct mp_error err = { 0 };
	int r = import_fstab("t", fstab, strlen(fstab), f, &probs, &err);
	fclose(f);
	import_problems_free(&probs);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The problems of importing fstab text: "LINE:message|LINE:message". */
static char *problems_of(const char *fstab)
{
	char *buf = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	FILE *f = open_memstream(&buf, &len), *o = open_memstream(&out, &olen);
	struct import_problems probs = { 0 };
	struct mp_error err = { 0 };
	import_fstab("t", fstab, strlen(fstab), f, &probs, &err);
	fclose(f);
	for (size_t i = 0; i < probs.n; i++)
		fprintf(o, "%s%u:%s", i ? "|" : "", probs.items[i].line, probs.items[i].msg);
	fclose(o);
	import_problems_free(&probs);
	free(buf);
	return out;
}

/* import_entry_check on a small entry: NULL when it passes, else why. */
static char *why_of(const char *type, const char *source, const char *option, bool loop, const char *uid,
		    const char *gid)
{
	struct import_entry e = { 0 };
	char *why = NULL;
	e.type = strdup(type);
	e.target = strdup("/t");
	e.source = source ? strdup(source) : NULL;
	if (option)
		import_strv_add(&e.options, option);
	e.loop = loop;
	e.idmap_uid = uid ? strdup(uid) : NULL;
	e.idmap_gid = gid ? strdup(gid) : NULL;
	int r = import_entry_check(&e, &why);
	import_entry_free(&e);
	if (r == 0 && why) {
		free(why);
		return strdup("(a reason with return 0)");
	}
	return why;
}

static void entry_checks(void)
{
	struct {
		const char *type, *source, *option;
		bool loop;
		const char *uid, *gid, *want; /* want: NULL = passes, else a part of the reason */
	} cases[] = {
		{ "tmpfs", NULL, "size=1m", false, NULL, NULL, NULL },
		{ "tmpfs", NULL, "bogus", false, NULL, NULL, "unknown option 'bogus' for type tmpfs" },
		{ "tmpfs", NULL, "lowerdir=/a", false, NULL, NULL, "overlay layer" },
		{ "ext4", "/dev/vdb", "rbind", false, NULL, NULL, "only applies to a bind mount" },
		{ "bind", "/a", "sync", false, NULL, NULL, "a bind mount cannot change it" },
		{ "tmpfs", "tmpfs", NULL, false, NULL, NULL, "takes no source" },
		{ "ext4", NULL, NULL, false, NULL, NULL, "needs a source" },
		{ "bind", "rel", NULL, false, NULL, NULL, "not an absolute path" },
		{ "ext4", "/img/a.img", NULL, true, NULL, NULL, NULL },
		{ "3", "/img/a.img", NULL, true, NULL, NULL, "not type 3" },
		{ "overlay", NULL, NULL, false, NULL, NULL, "at least one lower layer" },
		{ "bind", "/a", NULL, false, "0:1000:1", "0:1000:1", NULL },
		{ "bind", "/a", NULL, false, NULL, "0:1000:1", "only the gid map" },
		{ "bind", "/a", NULL, false, "0:1000:0", "0:1000:1", "count 0" },
		{ "bind", "/a", NULL, false, "0:1000:10,5:2000:10", "0:1000:1", "overlap" },
		{ "bind", "/a", NULL, false, "0:4294967295:2", "0:1000:1", "past 2^32" },
		{ "proc", NULL, NULL, false, "0:1000:1", "0:1000:1", "cannot be an idmapped mount" },
		{ "nfs", "h:/e", "anything=goes", false, NULL, NULL, NULL },
		{ "bind", "/a/${root}", NULL, false, NULL, NULL, "holds '${'" },
		{ "nfs", "h:/${x}", NULL, false, NULL, NULL, NULL }, /* a helper's source is no path */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *why = why_of(cases[i].type, cases[i].source, cases[i].option, cases[i].loop, cases[i].uid,
				   cases[i].gid);
		if (!cases[i].want)
			CHECK(!why, "entry check %zu (%s): passes%s%s", i, cases[i].type, why ? ", but: " : "",
			      why ? why : "");
		else
			CHECK(why && strstr(why, cases[i].want), "entry check %zu (%s): refused with '%s' (got '%s')", i,
			      cases[i].type, cases[i].want, why ? why : "(passes)");
		free(why);
	}

	struct import_entry ov = { 0 };
	char *ovwhy = NULL;
	ov.type = strdup("overlay");
	ov.target = strdup("/t");
	import_overlay_option(&ov, "lowerdir=/var", &ovwhy);
	import_overlay_option(&ov, "upperdir=/var/u", &ovwhy);
	import_overlay_option(&ov, "workdir=/w", &ovwhy);
	CHECK_INT(import_entry_check(&ov, &ovwhy), -EINVAL, "a lower layer holding upper is refused");
	CHECK(ovwhy && strstr(ovwhy, "'/var' may not be inside upper"), "and the reason names the layer");
	free(ovwhy);
	ovwhy = NULL;
	free(ov.upper);
	ov.upper = strdup("/w/up");
	CHECK_INT(import_entry_check(&ov, &ovwhy), -EINVAL, "upper inside work is refused");
	free(ovwhy);
	ovwhy = NULL;
	free(ov.upper);
	ov.upper = strdup("/varx");
	CHECK_INT(import_entry_check(&ov, &ovwhy), 0, "/varx is not inside /var");
	free(ovwhy);
	import_entry_free(&ov);

	struct import_entry e = { 0 };
	char *why = NULL;
	CHECK_INT(import_overlay_option(&e, "lowerdir=/a//x:/b", &why), 1, "lowerdir= is a layer word");
	CHECK(e.lower.n == 2 && !strcmp(e.lower.v[0], "/a/x") && !strcmp(e.lower.v[1], "/b"),
	      "lowerdir= gives the lower layers, top first, normalized");
	CHECK_INT(import_overlay_option(&e, "size=1m", &why), 0, "size= is no layer word");
	CHECK_INT(import_overlay_option(&e, "upperdir=up", &why), -EINVAL, "a relative upperdir= is refused");
	CHECK(why && strstr(why, "upperdir=up"), "and the reason names it");
	free(why);
	import_entry_free(&e);
}

int main(void)
{
	static const char *const tricky[] = {
		"ro",       "yes",   "No",  "null",  "~",       "0755",       "1e3",        "-x",   ".inf",
		"a: b",     "a,b",   "[x]", "{y}",   "#c",      "say \"hi\"", "back\\slash", "tab\there",
		"new\nline", "é ü", "",    "0:100000:65536", "/dev/disk/by-label/My\\x20Photos", "*alias", "&a", "!tag",
		"%percent", "@at",  "`tick", "size=64m", "mode=1777", "lowerdir+",
		"c1\xc2\x82" "control", "bom\xef\xbb\xbf", "non\xef\xbf\xbe" "char", "nel\xc2\x85", "\xc2\x9f", "ls\xe2\x80\xa8" "x", "\xe2\x80\xa9",
	};
	tap_plan(0);

	for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		char *got = scalar_roundtrip(tricky[i]);
		CHECK_STR(got, tricky[i], "scalar %zu reads back unchanged", i);
		free(got);
	}

	/* comments stay on their line and stay UTF-8 */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		import_write_comment(f, "  ", "one\ntwo\r\xff\xfe end");
		fclose(f);
		CHECK_STR(buf, "  # one?two??? end\n", "control bytes and invalid UTF-8 in a comment become '?'");
		free(buf);
	}
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		import_write_comment(f, "", "a\xc2\x82" "b\xef\xbb\xbf" "c \xc3\xa9");
		fclose(f);
		CHECK_STR(buf, "# a??b???c \xc3\xa9\n",
			  "a C1 control or a byte-order mark in a comment is not written as such (libyaml refuses them)");
		free(buf);
	}

	struct {
		const char *in, *out;
		int r;
	} paths[] = {
		{ "/", "/", 0 },         { "//a//b/", "/a/b", 0 }, { "/a/./b/.", "/a/b", 0 },
		{ "a/b", NULL, -EINVAL }, { "/a/../b", NULL, -ELOOP }, { "/a/..b", "/a/..b", 0 },
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *got = NULL;
		CHECK_INT(import_path_normalize(paths[i].in, &got), paths[i].r, "normalize '%s' returns %d", paths[i].in,
			  paths[i].r);
		CHECK_STR(got, paths[i].out, "normalize '%s'", paths[i].in);
		free(got);
	}

	CHECK(import_utf8_valid("plain é", strlen("plain é")), "UTF-8 accepted");
	CHECK(!import_utf8_valid("\xc0\xaf", 2), "an overlong form is refused");
	CHECK(!import_utf8_valid("\xed\xa0\x80", 3), "a surrogate is refused");
	CHECK(!import_utf8_valid("a\0b", 3), "a NUL byte is refused");

	/* fstab: the kernel never sees fstab-only words; escapes are decoded */
	char *p = plan_of("/dev/vdb1 /mnt/my\\040dir ext4 defaults,nofail,noatime,x-systemd.automount 0 2\n");
	CHECK(p && strstr(p, "target: \"/mnt/my dir\"\n"), "\\040 in the mount point is a space");
	CHECK(p && strstr(p, "options: [noatime]\n"), "only noatime reaches options");
	CHECK(p && strstr(p, "optional: true\n"), "nofail is optional: true");
	CHECK(p && strstr(p, "requires: {device: /dev/vdb1}\n"), "a /dev source waits for its device");
	CHECK(p && strstr(p, "dropped, fstab-only: defaults, x-systemd.automount"), "the dropped words are named");
	free(p);
	p = plan_of("/dev/vdc /srv ext4 x-systemd.device-timeout=0 0 0\n");
	CHECK(p && strstr(p, "timeout: 3600s}"), "device-timeout 0 (forever) becomes the longest wait a plan has");
	free(p);
	p = plan_of("/dev/vdc /srv ext4 x-systemd.device-timeout=2min 0 0\n");
	CHECK(p && strstr(p, "timeout: 120s}"), "2min is 120s");
	free(p);
	p = plan_of("# only a comment\n\n");
	CHECK(p && strstr(p, "mounts: []\n"), "a file without mounts gives an empty mounts list");
	free(p);
	CHECK(plan_of("/dev/vdc /srv ext4 remount 0 0\n") == NULL, "remount is refused");
	CHECK(plan_of("/dev/vdc /srv ext4 x-systemd.device-timeout=soon 0 0\n") == NULL, "a bad time span is refused");
	CHECK(plan_of("/a /b none bind,loop 0 0\n") == NULL, "bind with loop is refused");
	CHECK(plan_of("/dev/vdc /srv ext4 defaults 0 0 \xff\n") == NULL, "a line that is not UTF-8 is refused");
	CHECK(plan_of("LABEL=My\\216Photos /m ext4\n") == NULL, "a field that decodes to bytes that are not UTF-8 is refused");

	entry_checks();

	/* translations of the fuzzer's findings (tests/fuzz/crashes/import-fstab) */
	p = plan_of("overlay /x overlay lowerdir=/a:/b,upperdir=/u,workdir=/w,index=off\n");
	CHECK(p && strstr(p, "lower: [/a, /b]\n    upper: /u\n    work: /w\n"), "overlay layer words become keys");
	CHECK(p && !strstr(p, "source:"), "an overlay's fstab source only names it");
	CHECK(p && strstr(p, "options: [index=off]\n"), "its other options stay");
	free(p);
	p = plan_of("/srv/a /b bind defaults\n");
	CHECK(p && strstr(p, "type: bind\n    source: /srv/a\n"), "the type bind is a bind mount");
	free(p);
	p = plan_of("/dev/a /x ext4 ro,nosuid,rw,shared,private\n");
	CHECK(p && strstr(p, "options: [nosuid, rw, private]\n"), "of contradicting words the last wins, as in mount(8)");
	CHECK(p && strstr(p, "option ro dropped: the later rw overrides it"), "with a note");
	free(p);
	p = problems_of("/dev/a /x ext4 defaults\ntmpfs /y tmpfs bogus\n/dev/b /x/ ext4 defaults\ntmpfs /y/. tmpfs\n");
	CHECK_STR(p,
		  "2:unknown option 'bogus' for type tmpfs|3:mount point /x is also line 1's: mount(8) would stack this "
		  "mount over it and systemd ignores the duplicate; a plan mounts one thing per target (remove one line)",
		  "a second line on one mount point is refused; problems come in line order");
	free(p);
	p = problems_of("/i /x 3 loop\ne /e bind\n");
	CHECK(p && strstr(p, "1:a loop device holds a block filesystem") && strstr(p, "|2:bind source 'e'"),
	      "loop on a non-block type and a relative bind source are errors of their lines");
	free(p);
	return tap_done();
}
