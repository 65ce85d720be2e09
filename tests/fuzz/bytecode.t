#!/bin/sh
# bytecode.t — replays the bytecode reader's fuzz corpus
# (tests/fuzz/corpus/bytecode/) through build/tests/fuzz/replay-bytecode, the
# gcc build of tests/fuzz/fuzz-bytecode.c: no file may crash the loader,
# verifier or disassembler; files named ok-* (compiled examples) must be
# accepted and files named bad-* refused, each with its reason.
. "$(dirname "$0")/../lib.sh"

REPLAY=$BUILD/tests/fuzz/replay-bytecode
CORPUS=$TOP/tests/fuzz/corpus/bytecode

tap_plan 0
[ -x "$REPLAY" ] || { ok 1 "$REPLAY is built (run ninja)"; tap_done; exit 1; }
for f in "$CORPUS"/*; do
	name=$(basename "$f")
	out=$("$REPLAY" "$f" 2>&1); st=$?
	is "$st" 0 "$name: replayed without a crash"
	case $name in
	ok-*) like "$out" ": accepted$" "$name: accepted" ;;
	bad-*) like "$out" ": refused: .+" "$name: refused with a reason" ;;
	esac
done
# Every crash the fuzzer ever found stays fixed.
if [ -d "$TOP/tests/fuzz/crashes/bytecode" ]; then
	for f in "$TOP/tests/fuzz/crashes/bytecode"/*; do
		[ -f "$f" ] || continue
		"$REPLAY" "$f" >/dev/null 2>&1
		ok $? "crash regression $(basename "$f") replays cleanly"
	done
fi
tap_done
