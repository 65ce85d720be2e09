#!/bin/sh
# smoke.sh — the CI fuzz smoke run (`ninja fuzz-smoke`): each libFuzzer
# target in build/fuzz/ gets a short fixed budget on a scratch copy of its
# seed corpus (tests/fuzz/corpus/NAME/ stays as committed), and its crash
# regressions (tests/fuzz/crashes/NAME/, except known open bugs "open-*")
# are replayed first.  Open invariant bugs listed in tests/fuzz/crashes/KNOWN
# are passed to the target ($MP_FUZZ_KNOWN, see fuzz.h) so they do not stop
# it.  Exits non-zero if a target crashes; the crash input is kept in the
# scratch directory named in the output.
#
#   FUZZ_SECONDS=N   budget per target (default 20)
#   FUZZ_TARGETS="plan journal ..."   the targets (default: every one built)
set -u
cd "$(dirname "$0")/../.." || exit 1
seconds=${FUZZ_SECONDS:-20}
targets=${FUZZ_TARGETS:-}
if [ -z "$targets" ]; then
	for bin in build/fuzz/fuzz-*; do
		[ -x "$bin" ] && targets="$targets ${bin#build/fuzz/fuzz-}"
	done
fi
# corpus directory of each target (the reader's target names its corpus bytecode)
corpus_of() { echo "tests/fuzz/corpus/$1"; }

work=$(mktemp -d /tmp/mp-fuzz-smoke.XXXXXX) || exit 1
status=0
for t in $targets; do
	bin=build/fuzz/fuzz-$t
	[ -x "$bin" ] || { echo "fuzz-smoke: $bin is not built (ninja fuzz)"; status=1; continue; }
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	seeds=$(corpus_of "$t")
	[ -d "$seeds" ] && cp -r "$seeds/." "$work/$t/corpus/"
	regress=
	if [ -d "tests/fuzz/crashes/$t" ]; then
		regress=$(find "tests/fuzz/crashes/$t" -type f ! -name 'open-*' | sort)
	fi
	if [ -n "$regress" ]; then
		# shellcheck disable=SC2086 # one argument per file
		"$bin" -runs=0 $regress >"$work/$t/regress.log" 2>&1 || {
			echo "fuzz-smoke: $t: a crash regression fails again (log: $work/$t/regress.log)"
			status=1
			continue
		}
	fi
	known=$(awk -F'\t' -v t="$t" '$1 == t { printf "%s%s", sep, $2; sep = "|" }' tests/fuzz/crashes/KNOWN 2>/dev/null)
	MP_FUZZ_KNOWN=$known "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" >"$work/$t/fuzz.log" 2>&1
	st=$?
	last=$(grep -E '^#[0-9]+' "$work/$t/fuzz.log" | tail -1)
	echo "fuzz-smoke: $t: exit $st: $last"
	if [ "$st" -ne 0 ]; then
		echo "fuzz-smoke: $t: CRASH, input in $work/$t/artifacts/, log $work/$t/fuzz.log"
		grep -E 'ERROR|SUMMARY|invariant|runtime error|#[0-9] 0x' "$work/$t/fuzz.log" | head -12
		status=1
	fi
done
[ "$status" -eq 0 ] && rm -rf "$work"
exit "$status"
