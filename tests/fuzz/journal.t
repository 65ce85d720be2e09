#!/bin/sh
# journal.t — the journal reader's fuzz corpus and crash regressions,
# replayed by the gcc build (build/tests/fuzz/replay-journal, see
# fuzz-journal.c): every damaged database gives a run list or an error,
# never a crash.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/replay-lib.sh"

tap_plan 0
TMPDIR=$(mktemp -d) || exit 1
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
replay_suite journal
like "$(verdict_of "$TOP/tests/fuzz/corpus/journal/rolled-back-small.db")" '^read: 2 runs$' "a good journal reads back its two runs"
like "$(verdict_of "$TOP/tests/fuzz/corpus/journal/v4-rolled-back.db")" '^read: 1 runs$' "a journal of protocol v4 reads back its run"
like "$(verdict_of "$TOP/tests/fuzz/corpus/journal/header-only.db")" '^refused: .*truncated' "a journal cut to its header is refused as truncated"
is "$(find "$TMPDIR" -mindepth 1 | wc -l)" 0 "the replay left no file behind"
tap_done
