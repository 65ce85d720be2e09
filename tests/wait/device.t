#!/bin/sh
# device.t — WAIT_DEVICE for real (runtime/op-wait.c through build/tests/wait-driver):
# a loop device attached by a background process 300 ms after the wait starts
# ends the wait when its node appears, through a by-label-style symlink too;
# a path that never becomes a block device times out in about the timeout,
# naming the path and what it was.  Every loop device is detached and
# removed, every file deleted.
. "$(dirname "$0")/../lib.sh"

need_root
command -v losetup >/dev/null 2>&1 || skip_all "needs losetup"
[ -c /dev/loop-control ] || skip_all "needs /dev/loop-control"
in_private_ns "$@"

DRIVER=$BUILD/tests/wait-driver
TMP=$(mktemp -d /tmp/mp-wait-dev.XXXXXX)
BG=
LOOPS=

cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null && wait "$BG" 2>/dev/null
	for n in $LOOPS; do
		losetup -d "/dev/loop$n" 2>/dev/null
		"$DRIVER" loop-remove "$n" 2>/dev/null # the node this test made appear goes away again
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ -x "$DRIVER" ] || { echo "1..1"; echo "not ok 1 - $DRIVER is built (run ninja)"; exit 1; }
tap_plan 0

field() { printf '%s\n' "$1" | sed -n "s/.*$2=\([0-9]*\).*/\1/p"; }

# A loop number with no node yet.  losetup -f names the first free device,
# but the kernel pre-creates loop0..N-1 (CONFIG_BLK_DEV_LOOP_MIN_COUNT), whose
# nodes exist already: take the first number from there on that has no node,
# so the wait really sees a node appear.
free_loop_number() {
	n=$(losetup -f | sed 's|/dev/loop||')
	n=$((n + 64 + $$ % 64)) # away from numbers other tests take with losetup -f
	while [ -e "/dev/loop$n" ] || [ -e "/sys/block/loop$n" ]; do n=$((n + 1)); done
	echo "$n"
}

truncate -s 1M "$TMP/img"

# Attach $TMP/img to /dev/loop$1 after 300 ms; write the time just before to $TMP/at.
attach_later() {
	(sleep 0.3; date +%s%N >"$TMP/at"; losetup "/dev/loop$1" "$TMP/img") &
	BG=$!
}

# 1. /dev/loopN does not exist; attached 300 ms after the wait starts.
N=$(free_loop_number)
LOOPS="$N"
ok "$([ ! -e "/dev/loop$N" ]; echo $?)" "/dev/loop$N does not exist before the wait"
attach_later "$N"
out=$("$DRIVER" device "/dev/loop$N" 5000 2>"$TMP/err"); st=$?
wait "$BG"; BG=
is "$st" 0 "the wait for /dev/loop$N succeeds once it is attached"
end=$(field "$out" end_ns); waited=$(field "$out" waited_ms)
at=$(cat "$TMP/at")
ok "$([ "$end" -ge "$at" ]; echo $?)" "the wait ends after the attach started, not before"
ok "$([ "$waited" -ge 250 ] && [ "$waited" -lt 1500 ]; echo $?)" "the wait ends when the node appears (${waited} ms)"
ok "$([ -b "/dev/loop$N" ]; echo $?)" "/dev/loop$N is a block device now"
like "$(losetup "/dev/loop$N")" "$TMP/img" "it is the test's image"

# 2. Already a block device: no waiting.
out=$("$DRIVER" device "/dev/loop$N" 5000 2>&1); st=$?
is "$st" 0 "an existing block device passes"
ok "$([ "$(field "$out" waited_ms)" -lt 100 ]; echo $?)" "without waiting ($(field "$out" waited_ms) ms)"

# 3. Through a symlink (as /dev/disk/by-label/x), dangling until the device appears.
M=$(free_loop_number)
[ "$M" = "$N" ] && M=$((N + 1))
LOOPS="$LOOPS $M"
mkdir -p "$TMP/by-label"
ln -s "/dev/loop$M" "$TMP/by-label/data"
attach_later "$M"
out=$("$DRIVER" device "$TMP/by-label/data" 5000 2>"$TMP/err"); st=$?
wait "$BG"; BG=
is "$st" 0 "a symlink to a device that appears is followed"
ok "$([ "$(field "$out" waited_ms)" -ge 250 ]; echo $?)" "it waited for the device behind the link ($(field "$out" waited_ms) ms)"

# 4. Never appears: a timeout in about the timeout, naming the path.
Q=$(free_loop_number)
while [ "$Q" = "$N" ] || [ "$Q" = "$M" ]; do Q=$((Q + 1)); done
out=$("$DRIVER" device "/dev/loop$Q" 400 2>"$TMP/err"); st=$?
is "$st" 3 "a device that never appears times out"
waited=$(field "$out" waited_ms)
ok "$([ "$waited" -ge 400 ] && [ "$waited" -lt 1500 ]; echo $?)" "the timeout takes about 400 ms (${waited} ms)"
like "$(cat "$TMP/err")" "device '/dev/loop$Q': not a block device within the 400 ms timeout: it does not exist" \
	"the error names the path, the timeout and what was seen"

# 5. Exists but is not a block device.
out=$("$DRIVER" device /dev/null 200 2>"$TMP/err"); st=$?
is "$st" 3 "a character device is not accepted"
like "$(cat "$TMP/err")" "is a character device, not a block device" "the error says what it is"

tap_done
