/*
 * test-emit.c — the string table (dedup, offset 0 is "", the length
 * limit), register allocation (reuse after CLOSE keeps n_regs tiny for
 * 100,000 mounts), jump resolution after reordering, and determinism.
 */
#include <errno.h>
#include <stdio.h>

#include "back-ir.h"
#include "limits.h"
#include "tap.h"

static void test_strtab(void)
{
	struct strtab t;
	uint32_t a, b, a2, empty, big;
	char *huge;
	bool all_same = true;

	CHECK(strtab_init(&t) == 0, "string table starts");
	CHECK(strtab_intern(&t, "/data", &a) == 0 && a == 1, "first string at offset 1");
	CHECK(strtab_intern(&t, "tmpfs", &b) == 0 && b == 7, "second string after the first's NUL");
	CHECK(strtab_intern(&t, "/data", &a2) == 0 && a2 == a, "a repeated string is stored once");
	CHECK(strtab_intern(&t, "", &empty) == 0 && empty == 0, "\"\" is offset 0");
	CHECK(t.len == 13 && memcmp(t.buf, "\0/data\0tmpfs\0", 13) == 0, "table bytes");
	/* Enough strings to grow the hash table several times; interning them again adds nothing. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 20000; i++) {
			char s[32];
			uint32_t off;

			snprintf(s, sizeof(s), "/mnt/%d", i);
			if (strtab_intern(&t, s, &off) < 0 || strcmp(t.buf + off, s) != 0)
				all_same = false;
		}
	}
	CHECK(all_same, "20,000 strings intern and read back");
	CHECK_INT(t.n, 2 + 20000, "and are stored once each");
	huge = malloc(MP_MAX_STRING + 1);
	memset(huge, 'a', MP_MAX_STRING);
	huge[MP_MAX_STRING] = '\0';
	CHECK(strtab_intern(&t, huge, &big) == -E2BIG && big == 0, "a string over MP_MAX_STRING is refused");
	huge[MP_MAX_STRING - 1] = '\0';
	CHECK(strtab_intern(&t, huge, &big) == 0, "a string of MP_MAX_STRING with its NUL fits");
	free(huge);
	strtab_free(&t);
}

static void test_registers(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct diag_sink sink;
	const size_t n = 100000;
	char path[64];

	/* 100,000 mounts of every register-using kind, three user namespaces. */
	tb_plan(&p, n);
	for (size_t i = 0; i < n; i++) {
		struct ir_entry *e;
		static const char *const maps[] = { "0:100000:65536", "0:200000:65536", "0:300000:65536" };

		snprintf(path, sizeof(path), "/m/%zu/%zu", i / 100, i);
		switch (i % 4) {
		case 0:
			e = tb_entry(&p, "tmpfs", path, (uint32_t)(i + 1));
			break;
		case 1:
			e = tb_entry(&p, "bind", path, (uint32_t)(i + 1));
			tb_source(e, "/srv/x", false);
			tb_idmap(e, maps[i % 3], maps[i % 3]);
			break;
		case 2:
			e = tb_entry(&p, "ext4", path, (uint32_t)(i + 1));
			tb_source(e, "/img/x.img", false);
			e->loop.present = true;
			break;
		default:
			e = tb_entry(&p, "overlay", path, (uint32_t)(i + 1));
			tb_lower(e, "/l/a", false);
			tb_lower(e, "/l/b", false);
			tb_idmap(e, maps[i % 3], maps[i % 3]);
			break;
		}
	}
	diag_sink_init(&sink, "plan.yaml");
	CHECK(tb_compile(&p, &sink, &o) == 0, "100,000 mounts compile");
	CHECK(o.img.n_regs <= 3 + 4, "registers are reused after CLOSE: n_regs = %u", o.img.n_regs);
	CHECK(o.img.n_regs <= MP_MAX_REGS, "within MP_MAX_REGS");
	if (!CHECK(o.r_verify == 0, "the verifier accepts the program"))
		tap_diag("%s", o.err.msg);
	tb_out_free(&o);
	diag_sink_free(&sink);
	ir_plan_free(&p);
}

static void test_jumps_after_reordering(void)
{
	struct ir_plan p;
	struct tb_out o;
	struct diag_sink sink;
	struct ir_entry *e;

	tb_plan(&p, 4);
	e = tb_entry(&p, "tmpfs", "/a/b", 1); /* sorted after /a: its jump must follow it */
	e->when_empty = true;
	tb_entry(&p, "tmpfs", "/a", 5);
	diag_sink_init(&sink, "plan.yaml");
	CHECK(tb_compile(&p, &sink, &o) == 0, "compiles");
	{
		int s = tb_find(&o.img, OP_SKIP_UNLESS_EMPTY, 0);

		CHECK(s == 8 && o.img.debug[s].entry == 0, "the skip is at 8, after ROOT_BIND and /a's seven steps");
		CHECK(s >= 0 && o.img.insns[s].o[1] == 16 && o.img.insns[15].op == OP_CLOSE && o.img.insns[16].op == OP_END,
		      "its target is absolute: just after its entry's last step");
	}
	CHECK(o.r_verify == 0, "the verifier accepts the jump");
	tb_out_free(&o);
	diag_sink_free(&sink);
	ir_plan_free(&p);
}

static void build_mixed(struct ir_plan *p)
{
	struct ir_entry *e;

	tb_plan(p, 8);
	p->readonly_root = true;
	p->readonly_root_loc = (struct ir_loc){ 2, 16 };
	e = tb_entry(p, "overlay", "/", 3);
	tb_lower(e, "/l/app", false);
	tb_idmap(e, "0:1000:1", "0:1000:1");
	e = tb_entry(p, "bind", "/etc/x", 8);
	tb_source(e, "/data/x", true);
	e = tb_entry(p, "ext4", "/data", 12);
	tb_source(e, "/dev/vdb", false);
	tb_ro(e);
	tb_entry(p, "tmpfs", "/data/tmp", 16);
	tb_masked(p, "/proc/kcore", 20);
}

static void test_determinism(void)
{
	struct ir_plan p1, p2;
	struct tb_out o1, o2;
	struct diag_sink s1, s2;
	void *noise[64];

	build_mixed(&p1);
	/* Different heap layout for the second plan: output must not depend on pointers. */
	for (int i = 0; i < 64; i++)
		noise[i] = malloc((size_t)(i * 37 + 1));
	build_mixed(&p2);
	diag_sink_init(&s1, "plan.yaml");
	diag_sink_init(&s2, "plan.yaml");
	CHECK(tb_compile(&p1, &s1, &o1) == 0 && tb_compile(&p2, &s2, &o2) == 0, "the same plan compiles twice");
	CHECK(o1.len == o2.len && memcmp(o1.bytes, o2.bytes, o1.len) == 0, "to identical bytes");
	CHECK(o1.r_verify == 0, "which verify");
	for (int i = 0; i < 64; i++)
		free(noise[i]);
	tb_out_free(&o1);
	tb_out_free(&o2);
	diag_sink_free(&s1);
	diag_sink_free(&s2);
	ir_plan_free(&p1);
	ir_plan_free(&p2);
}

int main(void)
{
	tap_plan(0);
	test_strtab();
	test_registers();
	test_jumps_after_reordering();
	test_determinism();
	return tap_done();
}
