#!/bin/sh
# import-fstab.t — the fstab importer's fuzz corpus and crash regressions,
# replayed by the gcc build (build/tests/fuzz/replay-import-fstab, see
# fuzz-import-fstab.c): no crash, and an imported plan passes the front end.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/replay-lib.sh"

tap_plan 0
replay_suite import-fstab
like "$(verdict_of "$TOP/tests/import/fixtures/debian.fstab")" '^accepted: 15 entries' "the Debian fstab imports to a plan the front end accepts"
like "$(verdict_of "$TOP/tests/import/fixtures/bad.fstab")" '^refused: [0-9]+ problems' "a bad fstab is refused with its problems"
tap_done
