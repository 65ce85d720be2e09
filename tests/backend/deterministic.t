#!/bin/sh
# deterministic.t — the same plan always compiles to the same bytes: every
# example compiled twice (to different output paths, from a fresh process)
# gives identical files, and each one verifies (`mplan disasm` runs the
# reader's loader and verifier first).
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

tap_plan 0
n=0
for plan in "$TOP"/examples/*.yaml; do
	name=$(basename "$plan" .yaml)
	n=$((n + 1))
	if ! (cd "$TOP/examples" && "$MPLAN" compile "$name.yaml" -o "$tmp/$name.1.mpb") 2>"$tmp/err"; then
		ok 1 "$name compiles"; sed 's/^/#   /' "$tmp/err"; continue
	fi
	ok 0 "$name compiles"
	(cd "$TOP/examples" && "$MPLAN" compile "$name.yaml" -o "$tmp/$name.2.mpb") 2>/dev/null
	cmp -s "$tmp/$name.1.mpb" "$tmp/$name.2.mpb"
	ok $? "$name: two compilations are byte-identical"
	"$MPLAN" disasm "$tmp/$name.1.mpb" >"$tmp/$name.lst" 2>"$tmp/err"
	ok $? "$name: the bytecode verifies and disassembles"
	tail -n 1 "$tmp/$name.lst" | grep -q ' END '
	ok $? "$name: the program ends with END"
done
[ "$n" -ge 5 ] 
ok $? "at least five example plans ($n)"

# The generator's plans have real reordering to do; the bytes still do not vary.
if command -v python3 >/dev/null 2>&1; then
	python3 "$TOP/tests/bench/gen-plan.py" 3000 7 >"$tmp/gen.yaml"
	"$MPLAN" compile "$tmp/gen.yaml" -o "$tmp/gen.1.mpb" && "$MPLAN" compile "$tmp/gen.yaml" -o "$tmp/gen.2.mpb" &&
		cmp -s "$tmp/gen.1.mpb" "$tmp/gen.2.mpb"
	ok $? "a generated 3,000-mount plan compiles to identical bytes twice"
fi
tap_done
