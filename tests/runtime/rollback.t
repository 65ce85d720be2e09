#!/bin/bash
# rollback.t — a failure at any step undoes everything before it.  The
# same plan (root bind, loop images, overlays with parked idmapped layers,
# an idmapped tmpfs, a file mount point, deep mount points, a read-only
# parent remounted after its child, propagation, masks, the final
# read-only root) is applied once with a failure injected at each step in
# turn (MOUNTPLAN_FAULT_STEP); every time mountinfo, the loop device
# list, the root's directory tree and the park directory must be exactly
# as before.  Then a real kernel failure (a bad tmpfs option): its message
# must carry the kernel's own text from the fs context.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/env.sh"

tap_plan 0
setup_srv
new_root
W=$(mktemp -d /tmp/mrun-plan.XXXXXX)
_roots="$_roots $W"
mkdir -p "$ROOT/etc" "$ROOT/proc"
echo x >"$ROOT/etc/secret"

cat >"$W/plan.yaml" <<PLAN
version: 1
readonly_root: true
mounts:
  - type: ext4
    source: $S/img/data.ext4
    loop: {}
    target: /data
  - type: squashfs
    source: $S/img/app.sqfs
    loop: { readonly: true }
    target: /app
    options: [ro]
  - type: overlay
    lower: [$S/layers/l1, $S/layers/l2]
    upper: $S/ovl/upper
    work: $S/ovl/work
    idmap: { uid: "0:100000:65536", gid: "0:100000:65536" }
    target: /ovl
  - type: tmpfs
    target: /idtmp
    idmap: { uid: "0:200000:65536", gid: "0:200000:65536" }
  - type: bind
    source: $S/files/resolv.conf
    target: /etc/resolv.conf
    options: [ro]
  - type: tmpfs
    target: /ro
    options: [ro]
  - type: tmpfs
    target: /ro/child/deeper
  - type: tmpfs
    target: /a/b/c/d
    options: [shared]
    when: empty
  - type: bind
    source: $S/src
    target: /srcbind
    options: [ro, nosuid]
masked: [/etc/secret, /data/lost+found]
PLAN
compile "$W/plan.yaml" "$W/plan.mpb"
n=$("$MPLAN" disasm "$W/plan.mpb" | awk '/^; insns/ { sub(",", "", $3); print $3 }')

snapshot() {
	awk '{ $1 = ""; $2 = ""; $3 = ""; print }' /proc/self/mountinfo | sort
	echo ---
	loops
	echo ---
	tree_of "$ROOT"
	echo ---
	ls -A "$PARK" 2>/dev/null
}
before=$(snapshot)

# the whole plan applies, and is what the injection runs start from
out=$("$MRUN" apply "$W/plan.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 0 "the plan applies without injected failures"
[ "$st" -eq 0 ] || diag "$out"
like "$(mnt "$ROOT")" '^[a-z0-9]+ ro,' "the root is read-only after the full run"
# take the full run down again (deepest first) so the injection runs start from the same state
awk -v r="$ROOT" '$5 == r || index($5, r "/") == 1 { print length($5), $5 }' /proc/self/mountinfo |
	sort -rn | cut -d' ' -f2- | while read -r m; do umount -l "$m"; done
for dev in $(losetup -n -O NAME -j "$S/img/data.ext4") $(losetup -n -O NAME -j "$S/img/app.sqfs"); do losetup -d "$dev"; done
rm -rf --one-file-system "$ROOT"/{data,app,ovl,idtmp,ro,a,srcbind} "$ROOT/etc/resolv.conf"
settle() { for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(snapshot)" = "$before" ] && return; sleep 0.05; done; }
settle
is "$(snapshot)" "$before" "manual teardown restores the starting state"
# the journal knows the full run as applied: start the injection runs on a fresh one
export MOUNTPLAN_JOURNAL=$W/journal2.db

bad=0
for k in $(seq 0 $((n - 2))); do
	out=$(MOUNTPLAN_FAULT_STEP=$k "$MRUN" apply "$W/plan.mpb" --root "$ROOT" 2>&1); st=$?
	settle
	now=$(snapshot)
	if [ "$st" -ne 1 ] || [ "$now" != "$before" ] || ! printf '%s' "$out" | grep -q "rolled back: .* 0 undo failures"; then
		bad=$((bad + 1))
		diag "failure injected at step $k: exit $st"
		printf '%s\n' "$out" | tail -5 | sed 's/^/#   /'
		diff <(printf '%s\n' "$before") <(printf '%s\n' "$now") | head -10 | sed 's/^/#   /'
	fi
done
is "$bad" 0 "a failure at each of the $((n - 1)) steps is rolled back to the exact starting state"

# a failure the kernel explains: its fs-context message is in the error
cat >"$W/bad.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /fine
  - type: tmpfs
    target: /bad
    options: [size=lots]
PLAN
compile "$W/bad.yaml" "$W/bad.mpb"
out=$("$MRUN" apply "$W/bad.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 1 "a bad tmpfs option fails the run"
like "$out" "step [0-9]+ \(FSCONFIG\) at [^ ]*bad.yaml:[0-9]+:[0-9]+: fsconfig 'size' = lots: Invalid argument \(kernel: e tmpfs: Bad value for 'size'\)" \
	"the error carries the kernel's fs-context message"
like "$out" 'undo step [0-9]+ MOVE .*undone' "the earlier tmpfs was unmounted"
settle
is "$(snapshot)" "$before" "and the state is as before"
tap_done
