#!/bin/sh
# import-oci.t — the OCI importer's fuzz corpus and crash regressions,
# replayed by the gcc build (build/tests/fuzz/replay-import-oci, see
# fuzz-import-oci.c): no crash, and an imported plan passes the front end.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/replay-lib.sh"

tap_plan 0
replay_suite import-oci
like "$(verdict_of "$TOP/tests/import/fixtures/runc-spec.json")" '^accepted: [0-9]+ entries' "runc's spec imports to a plan the front end accepts"
like "$(verdict_of "$TOP/tests/import/fixtures/oci-malformed.json")" '^refused: 1 problems' "malformed JSON is refused with one problem"
tap_done
