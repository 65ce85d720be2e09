#!/bin/bash
# limits.t — inputs and resources at their limits.
#   - a plan over MP_MAX_PLAN_BYTES (64 MiB; a sparse 100 MB file, and an
#     endless stream on stdin) is refused before it is parsed, in well
#     under a second for the file;
#   - a bytecode file over MP_MAX_BYTECODE_BYTES (a sparse 300 MB file) is
#     refused by mrun and mplan disasm before it is read;
#   - loop device exhaustion: every loop busy cannot be arranged safely on
#     a shared host (loop devices are not namespaced), so LOOP_ATTACH is
#     made to fail with EBUSY and with ENOSPC by the executor's fault
#     injection (MOUNTPLAN_FAULT_STEP/ERRNO): the apply fails naming the
#     step, rolls back the mounts before it, leaves no loop device;
#   - a full journal filesystem (a 256 KiB tmpfs, filled): the apply fails
#     before its first mount with a clear error, whether the journal is
#     still to be created or already has runs.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/hostile.sh"

tap_plan 0
# timed CMD...: run CMD, output to $H/last.out; sets $_rc and $ms (wall time)
timed() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$H/last.out" 2>&1
	_rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
}

# --- size limits
truncate -s 100M "$H/big.yaml"
timed "$MPLAN" check "$H/big.yaml"
is "$_rc" 1 "a 100 MB plan file is refused"
like "$(cat "$H/last.out")" "E103.*104857600 bytes, over the limit of 67108864" "with E103 and both sizes"
ok "$([ "$ms" -lt 1000 ]; echo $?)" "in well under a second ($ms ms): by its size, before reading it"
diag "100 MB plan refused in $ms ms"
timed sh -c "timeout 20 '$MPLAN' check - </dev/zero"
is "$_rc" 1 "an endless plan on stdin is cut off and refused (no hang)"
like "$(cat "$H/last.out")" "E103" "with E103"
diag "endless stdin plan refused in $ms ms"
truncate -s 300M "$H/big.mpb"
new_root
before=$(snapshot)
timed "$MRUN" apply "$H/big.mpb" --root "$ROOT"
is "$_rc" 1 "a 300 MB bytecode file is refused by mrun"
like "$(cat "$H/last.out")" "314572800 bytes, over the limit of 268435456" "naming its size and the limit"
ok "$([ "$ms" -lt 1000 ]; echo $?)" "in well under a second ($ms ms)"
is "$(snapshot)" "$before" "nothing mounted, the root untouched"
diag "300 MB bytecode refused by mrun in $ms ms"
timed "$MPLAN" disasm "$H/big.mpb"
is "$_rc" 1 "mplan disasm refuses it too ($ms ms)"
rm -f "$H/big.yaml" "$H/big.mpb"

# --- loop device exhaustion, by fault injection at LOOP_ATTACH
truncate -s 8M "$H/data.img"
mkfs.ext4 -q -F "$H/data.img"
plan loop <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /before
  - type: ext4
    source: $H/data.img
    loop: {}
    target: /data
  - type: tmpfs
    target: /after
PLAN
step=$("$MPLAN" disasm "$H/loop.mpb" | awk '$2 == "LOOP_ATTACH" { print $1; exit }')
ok "$([ -n "$step" ]; echo $?)" "the plan has a LOOP_ATTACH step ($step)"
for e in 16:"Device or resource busy" 28:"No space left on device"; do
	errno=${e%%:*}
	text=${e#*:}
	new_root
	before=$(snapshot)
	out=$(MOUNTPLAN_FAULT_STEP=$step MOUNTPLAN_FAULT_ERRNO=$errno "$MRUN" apply "$H/loop.mpb" --root "$ROOT" 2>&1)
	st=$?
	check_failed_cleanly "$before" "LOOP_ATTACH failing with $text"
	like "$out" "step $step \(LOOP_ATTACH\).*$text" "the error names the LOOP_ATTACH step and says $text"
	like "$out" "rolled back: [1-9][0-9]* steps undone, 0 undo failures" "the tmpfs before it was undone"
	is "$(losetup -n -j "$H/data.img" | wc -l)" 0 "no loop device is left on the image"
done
# and for real, the loop attach right after the failure works: nothing was leaked
new_root
apply loop
is "$st" 0 "the same plan applies without the fault"
[ "$st" -eq 0 ] || diag "$out"
out=$("$MRUN" rollback --root "$ROOT" 2>&1)
is "$?" 0 "and rolls back"
# (Found here first: rollback undid the MOVE and the MKDIR but not the
# LOOP_ATTACH, leaking one device per apply/rollback cycle; fixed.)
is "$(losetup -n -j "$H/data.img" | wc -l)" 0 "and its rollback detaches the loop device"
losetup -n -O NAME -j "$H/data.img" | while read -r dev; do losetup -d "$dev"; done

# a failure after the loop is attached and mounted: the in-process rollback detaches it
move=$("$MPLAN" disasm "$H/loop.mpb" | awk '$2 == "MOVE" && /"\/after"/ { print $1; exit }')
new_root
before=$(snapshot)
out=$(MOUNTPLAN_FAULT_STEP=$move "$MRUN" apply "$H/loop.mpb" --root "$ROOT" 2>&1)
st=$?
check_failed_cleanly "$before" "a failure at step $move, after the loop mount"
is "$(losetup -n -j "$H/data.img" | wc -l)" 0 "the loop device is detached by the rollback"

# --- a full journal filesystem
mkdir -p "$H/jfs"
mount -t tmpfs -o size=256k jfs "$H/jfs"
plan small <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /a
  - type: tmpfs
    target: /b/c
PLAN
fill() { dd if=/dev/zero of="$H/jfs/fill.$1" bs=1k 2>/dev/null; sync; }

export MOUNTPLAN_JOURNAL=$H/jfs/new/journal.db
fill 1
new_root
before=$(snapshot)
apply small
check_failed_cleanly "$before" "a journal to create on a full filesystem"
like "$out" "journal $H/jfs" "the error names the journal"
like "$out" "No space left on device|full" "the error says the filesystem is full"
diag "a journal to create on a full filesystem: $(printf '%s\n' "$out" | head -1)"
rm -f "$H/jfs"/fill.*

export MOUNTPLAN_JOURNAL=$H/jfs/journal.db
new_root
apply small
is "$st" 0 "with room, the plan applies and is journaled"
[ "$st" -eq 0 ] || diag "$out"
"$MRUN" rollback --root "$ROOT" >/dev/null 2>&1
fill 2
before=$(snapshot)
apply small
check_failed_cleanly "$before" "a journal with runs on a full filesystem"
like "$out" "no mount was made: journal $H/jfs" "the error names the journal and says no mount was made"
diag "a journal with runs on a full filesystem: $(printf '%s\n' "$out" | head -1)"
like "$out" "No space left on device" "the error says the filesystem is full (ENOSPC, not just SQLite's disk I/O error)"
ok "$(! printf '%s\n' "$out" | grep -q 'step [0-9]'; echo $?)" "it failed before the first step"
rm -f "$H/jfs"/fill.*
out=$("$MRUN" history 2>&1)
is "$?" 0 "the journal is still readable afterwards"
like "$out" "rolled_back" "and still has the earlier run"
tap_done
