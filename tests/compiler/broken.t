#!/bin/sh
# broken.t — every plan in examples/broken/ gets exactly the diagnostics in
# its NAME.expected (codes, positions and wording, sorted by position), and
# the right exit status: 1 when there is an error, 0 for warnings only.
# Also: --json says the same, and every front-end code is covered here or
# in hostile.t.
. "$(dirname "$0")/../lib.sh"

DIR=$TOP/examples/broken
MPLAN=${MPLAN_UNDER_TEST:-$MPLAN}
tap_plan 0

cd "$DIR" || exit 1
for plan in *.yaml; do
	name=${plan%.yaml}
	[ -f "$name.expected" ] || { ok 1 "$plan has $name.expected"; continue; }
	got=$("$MPLAN" check "$plan" 2>&1); st=$?
	is "$got" "$(cat "$name.expected")" "$plan: diagnostics as expected"
	if grep -q 'error\[' "$name.expected"; then want=1; else want=0; fi
	is "$st" "$want" "$plan: exit status $want"
done

# --json: one object per diagnostic, the same codes and positions as the text.
json=$("$MPLAN" check --json options.yaml 2>/dev/null); st=$?
is "$st" 1 "check --json exits 1 on errors"
from_json=$(printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
for d in json.load(sys.stdin):
    print("%s:%d:%d: %s[%s]" % (d["file"], d["line"], d["col"], d["severity"], d["code"]))')
from_text=$(sed -E 's/^([^ ]+) ((error|warning)\[[EW][0-9]+\]).*/\1 \2/' options.expected)
is "$from_json" "$from_text" "--json lists the same diagnostics as the text"

# Every code the front end can emit is exercised: here, or in hostile.t
# (E103 a plan over the size limit, E105 unreadable, E106 a huge string).
# W403, E500, E501, E502 (other than layers) belong to the back end's graph checks.
codes=$(sed -n 's/^DIAG([A-Z_]*, *"\([EW][0-9]*\)".*/\1/p' "$TOP/compiler/diag.def" |
	grep -vx -e W403 -e E500 -e E501 -e E103 -e E105 -e E106)
missing=
for c in $codes; do
	grep -q "\[$c\]" ./*.expected || missing="$missing $c"
done
is "$missing" "" "every front-end diagnostic code appears in some examples/broken/*.expected"
tap_done
