#!/bin/sh
# asan.t — the hostile inputs, the broken plans and the examples through a
# copy of mplan built with AddressSanitizer and UndefinedBehaviorSanitizer
# (build/asan/mplan, see build.ninja): any memory error, leak or undefined
# behaviour makes the sanitized binary exit 99 and the checks here fail.
. "$(dirname "$0")/../lib.sh"

ASAN_MPLAN=$BUILD/asan/mplan
[ -x "$ASAN_MPLAN" ] || skip_all "build/asan/mplan is not built (ninja unit-front)"
export ASAN_OPTIONS=exitcode=99:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99
HERE=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tap_plan 0

# The sanitizers are really in: a heap overflow in this binary would be caught.
nm "$ASAN_MPLAN" 2>/dev/null | grep -q __asan_init; ok $? "build/asan/mplan is built with ASan"
nm "$ASAN_MPLAN" 2>/dev/null | grep -q __ubsan_handle; ok $? "build/asan/mplan is built with UBSan"

# The sanitized copy must be the same program: its link line lists the same objects.
objs() { grep "^build \\\$builddir/$1: " "$TOP/build.ninja" | tr ' ' '\n' | grep '\.o$' | sed 's#.*/\(compiler\|runtime\)/#\1/#'; }
is "$(objs asan/mplan)" "$(objs mplan)" "build/asan/mplan links the same objects as build/mplan"

for t in hostile broken; do
	out=$(MPLAN_UNDER_TEST=$ASAN_MPLAN HOSTILE_LIMIT_MS=5000 "$HERE/$t.t" 2>&1); st=$?
	is "$st" 0 "$t.t passes with the sanitized mplan"
	[ "$st" -eq 0 ] || printf '%s\n' "$out" | grep -v '^ok' | head -20 | sed 's/^/#   /'
	! printf '%s' "$out" | grep -q -e 'Sanitizer' -e 'runtime error:'
	ok $? "$t.t: no sanitizer report"
done

for plan in "$TOP"/examples/*.yaml; do
	name=$(basename "$plan")
	out=$("$ASAN_MPLAN" check "$plan" 2>&1); st=$?
	is "$st" 0 "check $name under the sanitizers"
	out=$("$ASAN_MPLAN" compile "$plan" -o "$tmp/$name.mpb" 2>&1); st=$?
	is "$st" 0 "compile $name under the sanitizers"
	[ "$st" -eq 0 ] || printf '%s\n' "$out" | head -10 | sed 's/^/#   /'
done
tap_done
