/*
 * test-import.c — the importers' shared pieces: every string written as a
 * YAML scalar reads back as the same string (through the same tree loader
 * the plan parser uses), comments cannot break out of their line, paths
 * normalize, UTF-8 is checked; and the fstab importer's option sorting on
 * small inputs.
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

int main(void)
{
	static const char *const tricky[] = {
		"ro",       "yes",   "No",  "null",  "~",       "0755",       "1e3",        "-x",   ".inf",
		"a: b",     "a,b",   "[x]", "{y}",   "#c",      "say \"hi\"", "back\\slash", "tab\there",
		"new\nline", "é ü", "",    "0:100000:65536", "/dev/disk/by-label/My\\x20Photos", "*alias", "&a", "!tag",
		"%percent", "@at",  "`tick", "size=64m", "mode=1777", "lowerdir+",
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
	return tap_done();
}
