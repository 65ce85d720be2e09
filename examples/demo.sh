#!/bin/bash
# demo.sh — mountplan's main job, end to end, on a throwaway root (`ninja demo`).
#
#   1. mplan check: a broken plan gets every problem reported at once
#   2. mplan compile + disasm: a container plan becomes verified bytecode
#   3. mrun apply, inside a private mount namespace (nothing reaches the
#      host): a container's default mounts, then a read-only ext4 image
#      attached to a loop device, onto a temporary root
#   4. the root's mount table as the kernel shows it, and `mrun show`
#   5. mrun rollback of both runs: the mount table, the loop devices and
#      the root's tree are compared with before
# Needs root (mounts, loop devices).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
MPLAN=$TOP/build/mplan
MRUN=$TOP/build/mrun

if [ -z "${MOUNTPLAN_DEMO_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (mounts and loop devices)" >&2; exit 1; }
	W=$(mktemp -d /tmp/mountplan-demo.XXXXXX)
	trap 'rm -rf --one-file-system "$W"' EXIT
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

	say "1. mplan check: a broken plan, every problem at once (no root needed)"
	"$MPLAN" check "$TOP/examples/broken/keys.yaml" || echo "(exit status $?: the plan does not compile)"

	say "2. mplan compile examples/container.yaml, then the first lines of mplan disasm"
	"$MPLAN" compile "$TOP/examples/container.yaml" -o "$W/container.mpb"
	"$MPLAN" compile "$TOP/examples/loop-image.yaml" -o "$W/loop-image.mpb"
	# into a file first: `| head` would end disasm with SIGPIPE now and then, which pipefail reports
	"$MPLAN" disasm "$W/container.mpb" >"$W/container.dis"
	head -24 "$W/container.dis"
	echo "  ..."

	say "3-5. apply, inspect and roll back inside a private mount namespace"
	# not exec: the trap removes $W once the namespace (and its mounts) is gone
	MOUNTPLAN_DEMO_NS=1 W=$W unshare -m --propagation private "$0"
	exit
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
root=$W/rootfs
journal=$W/journal.db
mkdir -p "$root"
# The plans name host sources under /srv/mountplan: make them on a tmpfs that
# exists only in this namespace.
mount -t tmpfs -o mode=0755 demo-srv /srv
mkdir -p /srv/mountplan/images "$W/img/etc"
echo "from the image" >"$W/img/etc/motd"
truncate -s 16M /srv/mountplan/images/data.img
mkfs.ext4 -q -F -d "$W/img" /srv/mountplan/images/data.img
mkdir -p "$root/etc"

mounts_under_root() { awk -v r="$root" '$5 == r || index($5, r "/") == 1' /proc/self/mountinfo | wc -l; }
loops_on_image() { losetup -n -O NAME -j /srv/mountplan/images/data.img | wc -l; }
tree_before=$(cd "$root" && find . -printf '%p %y %m\n' | sort)
echo "before: $(mounts_under_root) mounts under the root, $(loops_on_image) loop devices on the image"

say "3. mrun apply container.yaml, then loop-image.yaml, onto $root"
"$MRUN" apply "$W/container.mpb" --root "$root" --journal "$journal" -v
"$MRUN" apply "$W/loop-image.mpb" --root "$root" --journal "$journal" -v

say "4. the root's mounts, from /proc/self/mountinfo (mount point, type, options)"
awk -v r="$root" '($5 == r || index($5, r "/") == 1) {
	for (i = 7; i <= NF; i++) if ($i == "-") { t = $(i + 1); break }
	p = substr($5, length(r) + 1); if (p == "") p = "/"
	printf "  %-30s %-8s %s\n", p, t, $6 }' /proc/self/mountinfo
echo "  loop device: $(losetup -n -O NAME,BACK-FILE,RO -j /srv/mountplan/images/data.img)"
echo "  /etc/app/motd in the root: $(cat "$root/etc/app/motd")"
"$MRUN" history --journal "$journal"

say "5. mrun rollback (container stop), newest run first"
"$MRUN" rollback --root "$root" --journal "$journal"
"$MRUN" rollback --root "$root" --journal "$journal"
tree_after=$(cd "$root" && find . -printf '%p %y %m\n' | sort)
echo "after:  $(mounts_under_root) mounts under the root, $(loops_on_image) loop devices on the image"
if [ "$(mounts_under_root)" -eq 0 ] && [ "$(loops_on_image)" -eq 0 ] && [ "$tree_before" = "$tree_after" ]; then
	echo "demo: rolled back: no mount, no loop device, and the root's tree is as it was"
else
	echo "demo: rollback left something behind" >&2
	diff <(echo "$tree_before") <(echo "$tree_after") >&2 || true
	exit 1
fi
