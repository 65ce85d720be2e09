#!/bin/sh
# plan.t — the plan fuzz target's corpus and crash regressions, replayed by
# the gcc build (build/tests/fuzz/replay-plan, see fuzz-plan.c): no crash,
# compiled bytecode always verifies; the example plans are accepted and the
# broken ones refused with the codes their .expected files name.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/replay-lib.sh"

tap_plan 0
replay_suite plan
for f in "$TOP"/examples/*.yaml; do
	like "$(verdict_of "$f")" '^accepted: [0-9]+ entries' "examples/${f##*/} compiles to bytecode that verifies"
done
for f in "$TOP"/examples/broken/*.yaml; do
	exp=${f%.yaml}.expected
	grep -q 'error\[' "$exp" || continue # warning-only examples compile
	codes=$(grep -o 'error\[E[0-9]*\]' "$exp" | sed 's/error\[\(.*\)\]/\1/' | sort -u | tr '\n' ' ')
	v=$(verdict_of "$f")
	missing=
	for c in $codes; do
		printf '%s\n' "$v" | grep -qw "$c" || missing="$missing $c"
	done
	# graph checks (E500 cycles, E501 data over a page) are the back end's: the front end accepts such plans
	case $codes in E500*|E501*) want="refused by the back end:" ;; *) want="refused by the front end:" ;; esac
	is "${v%%:*}:$missing" "$want" "examples/broken/${f##*/} refused with $codes"
done
tap_done
