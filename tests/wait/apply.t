#!/bin/sh
# apply.t — issue 7 end to end: `mrun apply` of a plan with `requires:`.
# In a network namespace the test creates (veth pairs only), the link comes
# up 300 ms after apply starts: the mount it guards happens after the link is
# up and not before (the background process checks the target is not yet a
# mount point right before bringing the link up, in apply's own mount
# namespace); an optional entry whose link never comes up times out, is
# skipped and logged, and the run goes on; the journal records each wait
# with its duration.  The same for a device: a loop device attached 300 ms
# after apply starts.  The mounts live in `ip netns exec`'s private mount
# namespace and vanish with it; the netns, loop device and files are removed.
. "$(dirname "$0")/../lib.sh"

need_root
command -v ip >/dev/null 2>&1 || skip_all "needs iproute2 (ip)"
command -v findmnt >/dev/null 2>&1 || skip_all "needs findmnt"
in_private_ns "$@"

DRIVER=$BUILD/tests/wait-driver
NS=mp-test-$$
TMP=$(mktemp -d /tmp/mp-wait-apply.XXXXXX)
LOOP=

cleanup() {
	ip netns del "$NS" 2>/dev/null
	if [ -n "$LOOP" ]; then
		losetup -d "/dev/loop$LOOP" 2>/dev/null
		"$DRIVER" loop-remove "$LOOP" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for b in "$MPLAN" "$MRUN" "$DRIVER"; do
	[ -x "$b" ] || { echo "1..1"; echo "not ok 1 - $b is built (run ninja)"; exit 1; }
done
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
tap_plan 0

export TMP MRUN NS
ROOT=$TMP/root
export ROOT
mkdir -p "$ROOT"

# ---- link ----
cat >"$TMP/link.yaml" <<'PLAN'
version: 1
mounts:
  - type: tmpfs
    target: /net
    requires: { link: mpw0, timeout: 5s }
  - type: tmpfs
    target: /opt
    requires: { link: mpw9, timeout: 300ms }
    optional: true
PLAN
"$MPLAN" compile "$TMP/link.yaml" -o "$TMP/link.mpb" >"$TMP/compile.out" 2>&1
ok $? "the plan with requires: link compiles"
ip -n "$NS" link add mpw0 type veth peer name mpw1
ip -n "$NS" link set mpw1 up

# apply and the background process share ip netns exec's mount namespace.
ip netns exec "$NS" sh -c '
	(sleep 0.3
	 mountpoint -q "$ROOT/net" && echo early >"$TMP/early"
	 date +%s%N >"$TMP/before"
	 ip link set mpw0 up) &
	"$MRUN" apply "$TMP/link.mpb" --root "$ROOT" --journal "$TMP/journal.db" -v >"$TMP/apply.out" 2>&1
	echo $? >"$TMP/status"
	date +%s%N >"$TMP/end"
	findmnt -n -o FSTYPE --mountpoint "$ROOT/net" >"$TMP/net.fstype"
	findmnt -n -o FSTYPE --mountpoint "$ROOT/opt" >"$TMP/opt.fstype"
	wait'
is "$(cat "$TMP/status")" 0 "apply succeeds"
ok "$([ ! -e "$TMP/early" ]; echo $?)" "/net was not mounted before the link came up"
is "$(cat "$TMP/net.fstype")" tmpfs "/net is mounted once the link is up"
ok "$([ "$(cat "$TMP/end")" -ge "$(cat "$TMP/before")" ]; echo $?)" "apply ends after the link was brought up"
is "$(cat "$TMP/opt.fstype")" "" "the optional entry whose link never came up is not mounted"
like "$(cat "$TMP/apply.out")" "optional step 9 WAIT_LINK \([^)]*link.yaml:8:[0-9]+\) failed: link 'mpw9': not up within the 300 ms timeout: mpw9 does not exist" \
	"the timed-out optional wait is logged with its plan line, interface, timeout and last state, and the run goes on"
json=$("$MRUN" show 1 --journal "$TMP/journal.db" --json 2>&1)
d0=$(printf '%s' "$json" | python3 -c 'import json, sys; print([s for s in json.load(sys.stdin)["steps"] if s["op"] == "WAIT_LINK"][0]["duration_ns"])' 2>/dev/null)
ok "$([ "${d0:-0}" -ge 50000000 ] && [ "${d0:-0}" -lt 2000000000 ]; echo $?)" "the journal records the link wait with its duration (${d0:-none} ns)"
like "$json" '"index":9,"op":"WAIT_LINK".*"status":"failed"' "the journal records the timed-out wait as failed"

# ---- device ----
if [ -c /dev/loop-control ] && command -v losetup >/dev/null 2>&1; then
	n=$(losetup -f | sed 's|/dev/loop||')
	n=$((n + 128 + $$ % 64))
	while [ -e "/dev/loop$n" ] || [ -e "/sys/block/loop$n" ]; do n=$((n + 1)); done
	LOOP=$n
	truncate -s 1M "$TMP/img"
	cat >"$TMP/dev.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /disk
    requires: { device: /dev/loop$LOOP, timeout: 5s }
PLAN
	"$MPLAN" compile "$TMP/dev.yaml" -o "$TMP/dev.mpb" >"$TMP/compile.out" 2>&1
	ok $? "the plan with requires: device compiles"
	export LOOP
	unshare -m --propagation private sh -c '
		(sleep 0.3
		 mountpoint -q "$ROOT/disk" && echo early >"$TMP/dev.early"
		 losetup "/dev/loop$LOOP" "$TMP/img") &
		"$MRUN" apply "$TMP/dev.mpb" --root "$ROOT" --journal "$TMP/journal.db" >"$TMP/dev.out" 2>&1
		echo $? >"$TMP/dev.status"
		findmnt -n -o FSTYPE --mountpoint "$ROOT/disk" >"$TMP/disk.fstype"
		wait'
	is "$(cat "$TMP/dev.status")" 0 "apply waiting for a device succeeds"
	ok "$([ ! -e "$TMP/dev.early" ]; echo $?)" "/disk was not mounted before the loop device was attached"
	is "$(cat "$TMP/disk.fstype")" tmpfs "/disk is mounted once /dev/loop$LOOP exists"
else
	diag "no loop devices here: the device part is not run"
fi
tap_done
