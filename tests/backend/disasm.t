#!/bin/sh
# disasm.t — golden listings: two small plans (tests/backend/golden/*.yaml)
# compile to exactly the instructions, operands, registers and plan
# locations in their .disasm files.  After an intended change to the
# expansion, regenerate with: MOUNTPLAN_UPDATE_GOLDEN=1 tests/backend/disasm.t
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
golden=$TOP/tests/backend/golden

tap_plan 0
for plan in "$golden"/*.yaml; do
	name=$(basename "$plan" .yaml)
	# Compile from the golden directory: the listing names the plan as given.
	(cd "$golden" && "$MPLAN" compile "$name.yaml" -o "$tmp/$name.mpb") 2>"$tmp/err"
	ok $? "$name compiles"
	"$MPLAN" disasm "$tmp/$name.mpb" >"$tmp/$name.disasm" 2>"$tmp/err"
	ok $? "$name disassembles"
	if [ "${MOUNTPLAN_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$tmp/$name.disasm" "$golden/$name.disasm"
	fi
	if diff -u "$golden/$name.disasm" "$tmp/$name.disasm" >"$tmp/diff"; then
		ok 0 "$name matches its golden listing"
	else
		ok 1 "$name matches its golden listing"; head -40 "$tmp/diff" | sed 's/^/#   /'
	fi
done
tap_done
