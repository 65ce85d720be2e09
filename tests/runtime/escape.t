#!/bin/bash
# escape.t — no mount ever lands outside the root.  The rootfs holds
# symlinks to /etc, to ../.., to /proc/self/root (a magic link once proc is
# mounted in the root), and a symlink swapped with a directory in a tight
# loop by another process while apply runs.  After every apply the whole
# mountinfo outside the root is compared with before, and the host paths
# the symlinks name must not have been created or mounted on.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/env.sh"

tap_plan 0
setup_srv
new_root
W=$(mktemp -d /tmp/mrun-plan.XXXXXX)
OUT=$(mktemp -d /tmp/mrun-outside.XXXXXX)
_roots="$_roots $W $OUT"
tag=mrun-escape-$$
outside_before=$(ROOT=/nonexistent-root outside_root | grep -v -e "$W" -e "/tmp/mrun-root")

ln -s /etc "$ROOT/etclink"
ln -s ../.. "$ROOT/up"
ln -s /proc/self/root "$ROOT/procroot"
ln -s "$OUT" "$ROOT/abs"
mkdir -p "$ROOT/etc" "$ROOT$OUT"

cat >"$W/plan.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /etclink/$tag
  - type: tmpfs
    target: /up/$tag
  - type: tmpfs
    target: /up/up/up/$tag-2
  - type: tmpfs
    target: /abs/m
PLAN
compile "$W/plan.yaml" "$W/plan.mpb"
out=$("$MRUN" apply "$W/plan.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 0 "apply through in-root symlinks exits 0"
[ "$st" -eq 0 ] || diag "$out"
like "$(mnt "$ROOT/etc/$tag")" '^tmpfs ' "/etclink -> /etc resolves to the root's /etc"
like "$(mnt "$ROOT/$tag")" '^tmpfs ' "../.. stops at the root"
like "$(mnt "$ROOT/$tag-2")" '^tmpfs ' "../../.. stops at the root, however deep"
like "$(mnt "$ROOT$OUT/m")" '^tmpfs ' "an absolute symlink to a host dir is taken inside the root"
ok "$([ ! -e "/etc/$tag" ] && [ ! -e "/$tag" ] && [ ! -e "/$tag-2" ] && [ -z "$(ls -A "$OUT")" ]; echo $?)" \
	"no host path named by a symlink was created"
is "$(ROOT=/nonexistent-root outside_root | grep -v -e "$W" -e /tmp/mrun-root)" "$outside_before" "mountinfo outside the root is unchanged"

# masked and read-only paths through a symlink to /etc: sources and targets both stay in the root
cat >"$W/paths.yaml" <<PLAN
version: 1
mounts: []
masked: [/etclink/$tag-secret]
readonly: [/etclink]
PLAN
if "$MPLAN" compile "$W/paths.yaml" -o "$W/paths.mpb" >/dev/null 2>&1; then
	new_root
	mkdir -p "$ROOT/etc"
	echo secret >"$ROOT/etc/$tag-secret"
	ln -s /etc "$ROOT/etclink"
	out=$("$MRUN" apply "$W/paths.mpb" --root "$ROOT" 2>&1); st=$?
	is "$st" 0 "masked/readonly through /etclink -> /etc: apply exits 0"
	[ "$st" -eq 0 ] || diag "$out"
	is "$(stat -c '%t:%T' "$ROOT/etc/$tag-secret")" "1:3" "the root's file is masked, not the host's"
	like "$(mnt "$ROOT/etc")" '^[a-z0-9]+ ro,' "the root's /etc is bound read-only onto itself"
	is "$(ROOT=/nonexistent-root outside_root | grep -v -e "$W" -e /tmp/mrun-root)" "$outside_before" "mountinfo outside the root is unchanged"
else
	ok 0 "a plan without mounts does not compile here # SKIP"
fi

# an in-root overlay layer (${root}/...) that is a symlink to /etc is the root's /etc
mkdir -p $S/ovl/upper $S/ovl/work $S/layers/l1
cat >"$W/layer.yaml" <<PLAN
version: 1
mounts:
  - type: overlay
    lower: ["\${root}/layers/a", $S/layers/l1]
    upper: $S/ovl/upper
    work: $S/ovl/work
    target: /ovl
PLAN
compile "$W/layer.yaml" "$W/layer.mpb"
new_root
mkdir -p "$ROOT/etc" "$ROOT/layers"
echo inroot >"$ROOT/etc/$tag-marker"
ln -s /etc "$ROOT/layers/a"
out=$("$MRUN" apply "$W/layer.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 0 "overlay with an in-root layer that is a symlink to /etc: apply exits 0"
[ "$st" -eq 0 ] || diag "$out"
like "$(mnt "$ROOT/ovl")" "lowerdir\+=$ROOT/etc," "the layer is the root's /etc"
is "$(ls "$ROOT/ovl" | tr '\n' ' ')" "a $tag-marker " "the overlay holds the two layers, nothing of the host's /etc"

# dangling symlinks (to /proc/self/root without proc in the root, to a missing
# host file) are refused as mount points: nothing is created through them
for case in "procroot:/proc/self/root:tmpfs:/procroot/$tag" "dangling:/etc/$tag-hostname:bind:/dangling"; do
	IFS=: read -r name link type target <<<"$case"
	new_root
	ln -s "$link" "$ROOT/$name"
	if [ "$type" = bind ]; then src="    source: $S/files/resolv.conf"; else src=; fi
	printf 'version: 1\nmounts:\n  - type: %s\n%s\n    target: %s\n' "$type" "$src" "$target" | grep -v '^$' >"$W/$name.yaml"
	compile "$W/$name.yaml" "$W/$name.mpb"
	out=$("$MRUN" apply "$W/$name.mpb" --root "$ROOT" 2>&1); st=$?
	is "$st" 1 "$name -> $link: refused"
	like "$out" "dangling symlink" "$name: the error says why"
	ok "$([ ! -e "/$tag" ] && [ ! -e "/etc/$tag-hostname" ] && [ ! -e "$link/$tag" ]; echo $?)" "$name: nothing created outside the root"
	is "$(mounts_under "$ROOT")" 0 "$name: nothing mounted"
done

# with proc mounted in the root, /proc/self/root is a magic link: refused, not followed
cat >"$W/magic.yaml" <<PLAN
version: 1
mounts:
  - type: proc
    target: /proc
  - type: tmpfs
    target: /procroot/$tag-magic
PLAN
compile "$W/magic.yaml" "$W/magic.mpb"
new_root
ln -s /proc/self/root "$ROOT/procroot"
out=$("$MRUN" apply "$W/magic.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 1 "a target through a /proc magic link is refused"
like "$out" "openat2 '/procroot[^']*'.*(Too many levels of symbolic links|Invalid cross-device link|No such device or address)" "by openat2's RESOLVE_NO_MAGICLINKS"
ok "$([ ! -e "/$tag-magic" ]; echo $?)" "nothing was created at the host's /"
is "$(mounts_under "$ROOT")" 0 "the proc mount was rolled back"
is "$(ROOT=/nonexistent-root outside_root | grep -v -e "$W" -e /tmp/mrun-root)" "$outside_before" "mountinfo outside the root is unchanged"

# a symlink swapped with a directory in a tight loop while apply runs
new_root
mkdir -p "$ROOT/swdir"
ln -s "$OUT" "$ROOT/sw"
{
	echo "version: 1"
	echo "mounts:"
	for i in $(seq 1 20); do
		printf '  - type: tmpfs\n    target: /sw/m%d\n    optional: true\n' "$i"
		printf '  - type: bind\n    source: %s\n    target: /sw/b%d\n    optional: true\n' "$S/src" "$i"
	done
} >"$W/swap.yaml"
compile "$W/swap.yaml" "$W/swap.mpb"
swapper() {
	if command -v python3 >/dev/null; then
		exec python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
while True:
    libc.renameat2(-100, a, -100, b, 2)   # RENAME_EXCHANGE: dir <-> symlink at /sw
' "$ROOT/swdir" "$ROOT/sw"
	fi
	while :; do
		mv -T "$ROOT/sw" "$ROOT/sw.l" && mv -T "$ROOT/swdir" "$ROOT/sw" && mv -T "$ROOT/sw" "$ROOT/swdir" && mv -T "$ROOT/sw.l" "$ROOT/sw"
	done
}
swapper &
swapper_pid=$!
# wait until the swap runs: /sw is seen both as the symlink and as the directory
for _ in $(seq 1 100); do [ -L "$ROOT/swdir" ] && break; sleep 0.02; done
escaped=0
for round in $(seq 1 6); do
	"$MRUN" apply "$W/swap.mpb" --root "$ROOT" >/dev/null 2>&1
	[ -n "$(ls -A "$OUT")" ] && escaped=$((escaped + 1))
	[ "$(ROOT=/nonexistent-root outside_root | grep -v -e "$W" -e /tmp/mrun-root)" != "$outside_before" ] && escaped=$((escaped + 1))
	awk -v r="$ROOT" 'index($5, r "/") == 1 { print length($5), $5 }' /proc/self/mountinfo |
		sort -rn | cut -d' ' -f2- | while read -r m; do umount -l "$m" 2>/dev/null; done
done
in_root=$(find "$ROOT" -xdev -name 'm*' | wc -l)
kill "$swapper_pid"
wait "$swapper_pid" 2>/dev/null
is "$escaped" 0 "6 applies racing a symlink swap: nothing created or mounted outside the root"
ok "$([ "$in_root" -gt 0 ]; echo $?)" "the race was real: mount points were made inside the root ($in_root)"
is "$(ROOT=/nonexistent-root outside_root | grep -v -e "$W" -e /tmp/mrun-root)" "$outside_before" "mountinfo outside the root is unchanged at the end"
tap_done
