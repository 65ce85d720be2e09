#!/bin/bash
# examples.t — every plan in examples/ compiled with mplan and applied by
# mrun onto /srv/mountplan/rootfs (a tmpfs on /srv in this private mount
# namespace holds every host source the examples name), then its mounts
# checked in /proc/self/mountinfo.  container.yaml runs in a new cgroup
# namespace so its cgroup2 mount options cannot touch the host's
# hierarchy; network.yaml runs in a new network namespace with an eth0
# that has a carrier.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/env.sh"

tap_plan 0
setup_srv
W=$(mktemp -d /tmp/mrun-plan.XXXXXX)
_roots="$_roots $W"
R=$S/rootfs

teardown() {
	awk -v r="$R" '$5 == r || index($5, r "/") == 1 { print length($5), $5 }' /proc/self/mountinfo |
		sort -rn | cut -d' ' -f2- | while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf --one-file-system "$R"
	mkdir -p "$R"
}

apply_example() { # apply_example NAME [wrapper...]: sets $out, $st
	local name=$1
	shift
	teardown
	compile "$TOP/examples/$name.yaml" "$W/$name.mpb"
	out=$("$@" "$MRUN" apply "$W/$name.mpb" 2>&1)
	st=$?
	is "$st" 0 "$name: apply exits 0"
	[ "$st" -eq 0 ] || diag "$out"
}

count=0
for f in "$TOP"/examples/*.yaml; do count=$((count + 1)); done
ok "$([ "$count" -ge 6 ]; echo $?)" "examples/ has the plans this test knows ($count)"

# container.yaml
apply_example container unshare -C
like "$(mnt "$R/proc")" '^proc rw,nosuid,nodev,noexec,relatime ' "container: /proc"
like "$(mnt "$R/dev")" '^tmpfs rw,nosuid rw,size=65536k,mode=755 ' "container: /dev tmpfs, strictatime, mode, size"
like "$(mnt "$R/dev/pts")" '^devpts rw,nosuid,noexec,relatime rw,gid=5,mode=620,ptmxmode=666 ' "container: /dev/pts"
like "$(mnt "$R/dev/shm")" '^tmpfs rw,nosuid,nodev,noexec,relatime rw,size=65536k ' "container: /dev/shm"
like "$(mnt "$R/dev/mqueue")" '^mqueue rw,nosuid,nodev,noexec' "container: /dev/mqueue"
like "$(mnt "$R/sys")" '^sysfs ro,nosuid,nodev,noexec' "container: /sys read-only"
like "$(mnt "$R/sys/fs/cgroup")" '^cgroup2 ro,nosuid,nodev,noexec' "container: cgroup2 read-only"
[ -e /proc/keys ] && is "$(stat -c '%t:%T' "$R/proc/keys")" "1:3" "container: /proc/keys masked with /dev/null"
like "$(mnt "$R/sys/firmware")" '^tmpfs ro,' "container: /sys/firmware masked with a read-only tmpfs"
like "$(mnt "$R/proc/sys")" '^proc ro,' "container: /proc/sys read-only"
like "$(mnt "$R/proc/sysrq-trigger")" "^(proc ro,|$)" "container: /proc/sysrq-trigger read-only (or absent)"

# idmapped-overlay.yaml
mkdir -p "$S/volumes/data"
touch "$S/volumes/data/root-file" "$S/volumes/data/user-file"
chown 1000:1000 "$S/volumes/data/user-file"
apply_example idmapped-overlay
like "$(mnt "$R")" "^overlay rw,relatime rw,lowerdir\+=$PARK/[^,]+,lowerdir\+=$PARK/[^,]+,upperdir=$S/c1/upper,workdir=$S/c1/work" \
	"idmapped-overlay: the root is the overlay of two parked layers"
is "$(stat -c %u:%g "$R/app" "$R/etc/os-release" | tr '\n' ' ')" "100000:100000 100000:100000 " "idmapped-overlay: layer files show as 100000"
is "$(cat "$R/app" "$R/etc/os-release" | tr '\n' ' ')" "app base " "idmapped-overlay: both layers visible, top first"
is "$(awk -v park="$PARK" 'index($5, park "/") == 1' /proc/self/mountinfo | wc -l)" 0 "idmapped-overlay: the parked layer mounts are gone"
like "$(mnt "$R/var/lib/app")" '^tmpfs rw,nosuid,nodev,relatime,idmapped ' "idmapped-overlay: the volume is an idmapped bind"
is "$(stat -c %u "$R/var/lib/app/root-file") $(stat -c %u "$R/var/lib/app/user-file")" "100000 1000" \
	"idmapped-overlay: volume ids 0 -> 100000, 1000 kept as 1000"
like "$(mnt "$R/tmp")" '^tmpfs rw,nosuid,nodev' "idmapped-overlay: /tmp inside the overlay"

# loop-image.yaml
apply_example loop-image
like "$(mnt "$R/data")" '^ext4 ro,nosuid,nodev,relatime ro,norecovery ' "loop-image: ext4 read-only, noload"
dev=$(awk -v p="$R/data" '$5 == p { for (i = 7; $i != "-"; i++); print $(i + 2) }' /proc/self/mountinfo)
is "$(cat "/sys/block/${dev#/dev/}/loop/backing_file" 2>&1)" "$S/images/data.img" "loop-image: backed by the image"
is "$(cat "/sys/block/${dev#/dev/}/loop/autoclear" 2>&1)" 1 "loop-image: autoclear"
is "$(cat "/sys/block/${dev#/dev/}/ro" 2>&1)" 1 "loop-image: read-only loop device"
like "$(mnt "$R/etc/app")" '^ext4 ro,nosuid,nodev' "loop-image: \${root}/data/etc bound at /etc/app"
is "$(cat "$R/etc/app/conf" 2>&1)" inimage "loop-image: the bind shows the image's directory"
teardown
sleep 0.1
is "$(losetup -n -j "$S/images/data.img" | wc -l)" 0 "loop-image: the autoclear device went away with its mounts"

# network.yaml: eth0 with a carrier in a fresh network namespace; no mount.nfs -> optional failure
if command -v ip >/dev/null; then
	teardown
	compile "$TOP/examples/network.yaml" "$W/network.mpb"
	out=$(unshare -n sh -c 'ip link add eth0 type veth peer name eth0p && ip link set eth0p up && ip link set eth0 up &&
		exec "$0" apply "$1"' "$MRUN" "$W/network.mpb" 2>&1); st=$?
	is "$st" 0 "network: apply exits 0"
	like "$out" 'optional step [0-9]+ (MOUNT_HELPER|WAIT_LINK) .*going on' "network: the NFS entry's failure is logged and skipped"
	is "$(mnt "$R/srv/shared")" "" "network: no NFS mount"
	like "$(mnt "$R/var/cache/app")" '^tmpfs rw,nosuid,nodev,relatime rw,size=262144k,mode=750,uid=1000,gid=1000 ' "network: the cache tmpfs"
	like "$(mnt "$R/etc/app")" '^tmpfs ro,' "network: the config bind, after the skipped entry"
else
	ok 0 "network: skipped # SKIP no ip(8)"
fi

# readonly-root.yaml
mkdir -p "$R/tmp"
apply_example readonly-root
like "$(mnt "$R")" '^tmpfs ro,' "readonly-root: the root is read-only"
like "$(mnt "$R/proc")" '^proc rw,nosuid,nodev,noexec' "readonly-root: /proc"
like "$(mnt "$R/run")" '^tmpfs rw,nosuid,nodev,relatime rw,size=16384k,mode=755 ' "readonly-root: /run"
like "$(mnt "$R/tmp")" '^tmpfs rw,nosuid,nodev' "readonly-root: /tmp (when: empty, it was empty)"
like "$(mnt "$R/var/lib/app")" '^tmpfs rw,nosuid,nodev,noexec' "readonly-root: the state bind"
is "$(stat -c %F "$R/etc/resolv.conf")" "regular file" "readonly-root: resolv.conf mount point is a file"
like "$(mnt "$R/etc/resolv.conf")" '^tmpfs ro,' "readonly-root: resolv.conf bound read-only"
like "$(mnt "$R/etc/app")" '^tmpfs ro,' "readonly-root: /etc/app bound read-only"
like "$(mnt "$R/etc/app/sub")" '^tmpfs ' "readonly-root: the rbind carries the source's submount"
ok "$(touch "$R/tmp/x"; echo $?)" "readonly-root: /tmp writable under the read-only root"

# A failure injected at every step of the examples that build on the root
# itself (an overlay onto "/", the root bound onto itself and remounted
# read-only, a loop image) is rolled back to exactly the state before.
snap() {
	awk '{ $1 = ""; $2 = ""; $3 = ""; print }' /proc/self/mountinfo | sort
	loops
	tree_of "$R"
	tree_of "$S/c1"
	ls -A "$PARK" 2>/dev/null
}
for name in idmapped-overlay readonly-root loop-image; do
	teardown
	mkdir -p "$R/tmp"
	before=$(snap)
	n=$("$MPLAN" disasm "$W/$name.mpb" | awk '/^; insns/ { sub(",", "", $3); print $3 }')
	bad=0
	for k in $(seq 0 $((n - 2))); do
		out=$(MOUNTPLAN_JOURNAL=$W/fault-$name.db MOUNTPLAN_FAULT_STEP=$k "$MRUN" apply "$W/$name.mpb" 2>&1); st=$?
		for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(snap)" = "$before" ] && break; sleep 0.05; done
		if [ "$st" -ne 1 ] || [ "$(snap)" != "$before" ]; then
			bad=$((bad + 1))
			diag "$name: failure at step $k: exit $st"
			diff <(printf '%s\n' "$before") <(snap) | head -5 | sed 's/^/#   /'
		fi
	done
	is "$bad" 0 "$name: a failure at each of its $((n - 1)) steps leaves everything as before"
done

# removable.yaml: no such disk -> the wait times out and the optional entry is skipped
teardown
compile "$TOP/examples/removable.yaml" "$W/removable.mpb"
t0=$(date +%s%N)
out=$("$MRUN" apply "$W/removable.mpb" 2>&1); st=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$st" 0 "removable: apply exits 0 without the disk"
like "$out" 'optional step [0-9]+ WAIT_DEVICE .*BACKUP.*going on' "removable: the timed-out wait skips the entry"
ok "$([ "$ms" -ge 450 ] && [ "$ms" -lt 3000 ]; echo $?)" "removable: it waited about the plan's 500 ms ($ms ms)"
is "$(mounts_under "$R")" 1 "removable: nothing mounted but the run's root bind"
ok "$([ ! -e "$R/mnt" ]; echo $?)" "removable: no mount point left behind"
teardown
tap_done
