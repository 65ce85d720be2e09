#!/bin/bash
# images.t — image- and layer-backed mounts: ext4 through a loop device
# (backing file in sysfs, read-only and offset flags), squashfs and erofs
# read-only images, an overlay of three lower layers (also with the
# run-time lowerdir= fallback of kernels without lowerdir+), an idmapped
# overlay whose layers go through temporary parked idmapped mounts that
# are gone afterwards, and an idmapped tmpfs seen with the shifted owner.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/env.sh"

tap_plan 0
setup_srv
new_root
W=$(mktemp -d /tmp/mrun-plan.XXXXXX)
_roots="$_roots $W"
loops_before=$(loops)

cat >"$W/plan.yaml" <<PLAN
version: 1
mounts:
  - type: ext4
    source: $S/img/data.ext4
    loop: { direct_io: true }
    target: /data
    options: [nodev]
  - type: squashfs
    source: $S/img/app.sqfs
    loop: { readonly: true }
    target: /app
    options: [ro]
  - type: overlay
    lower: [$S/layers/l1, $S/layers/l2, $S/layers/l3]
    upper: $S/ovl/upper
    work: $S/ovl/work
    target: /ovl
  - type: overlay
    lower: [$S/layers/l1, $S/layers/l3]
    upper: $S/ovl2/upper
    work: $S/ovl2/work
    idmap: { uid: "0:100000:65536", gid: "0:100000:65536" }
    target: /idovl
  - type: tmpfs
    target: /idtmp
    idmap: { uid: "0:100000:65536", gid: "0:100000:65536" }
PLAN
compile "$W/plan.yaml" "$W/plan.mpb"
out=$("$MRUN" apply "$W/plan.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 0 "apply exits 0"
[ "$st" -eq 0 ] || diag "$out"

m=$(mnt "$ROOT/data")
like "$m" '^ext4 rw,nodev,relatime ' "ext4 image mounted with its options"
dev=$(awk -v p="$ROOT/data" '$5 == p { for (i = 7; $i != "-"; i++); print $(i + 2) }' /proc/self/mountinfo)
like "$dev" '^/dev/loop[0-9]+$' "ext4 is on a loop device"
n=${dev#/dev/loop}
is "$(cat /sys/block/loop$n/loop/backing_file 2>&1)" "$S/img/data.ext4" "the loop device is backed by the image"
is "$(cat /sys/block/loop$n/loop/dio 2>&1)" 1 "direct I/O is on"
is "$(cat /sys/block/loop$n/ro 2>&1)" 0 "a writable image gives a writable loop device"
echo data >"$ROOT/data/file" && sync
is "$(cat "$ROOT/data/file")" data "the ext4 image is writable"

m=$(mnt "$ROOT/app")
like "$m" '^squashfs ro,relatime ' "squashfs image mounted read-only"
sdev=$(awk -v p="$ROOT/app" '$5 == p { for (i = 7; $i != "-"; i++); print $(i + 2) }' /proc/self/mountinfo)
is "$(cat /sys/block/${sdev#/dev/}/ro 2>&1)" 1 "loop: { readonly: true } gives a read-only loop device"
is "$(cat "$ROOT/app/etc/conf")" inimage "the squashfs content is visible"

like "$(mnt "$ROOT/ovl")" "^overlay rw,relatime rw,lowerdir\+=$S/layers/l1,lowerdir\+=$S/layers/l2,lowerdir\+=$S/layers/l3,upperdir=$S/ovl/upper,workdir=$S/ovl/work" \
	"overlay with three lower layers, each given by lowerdir+"
is "$(cat "$ROOT/ovl/a" "$ROOT/ovl/b" "$ROOT/ovl/c" | tr '\n' ' ')" "one two three " "the top layer wins, every layer is visible"
echo up >"$ROOT/ovl/new"
is "$(cat "$S/ovl/upper/new")" up "writes go to the upper layer"

like "$(mnt "$ROOT/idovl")" '^overlay ' "idmapped overlay mounted"
is "$(stat -c %u:%g "$ROOT/idovl/a")" "100000:100000" "a layer file owned by 0 shows as 100000 through the idmapped overlay"
is "$(stat -c %u:%g "$S/layers/l1/a")" "0:0" "the layer itself is unchanged"
is "$(awk -v park="$PARK" 'index($5, park "/") == 1' /proc/self/mountinfo | wc -l)" 0 "the temporary parked layer mounts are gone"
is "$(ls -A "$PARK" 2>/dev/null)" "" "and so are their directories"

like "$(mnt "$ROOT/idtmp")" '^tmpfs rw,relatime,idmapped ' "idmapped tmpfs"
is "$(stat -c %u:%g "$ROOT/idtmp")" "100000:100000" "tmpfs root owned by 0 shows the shifted owner 100000"
setpriv --reuid 100000 --regid 100000 --clear-groups touch "$ROOT/idtmp/byuser" 2>/dev/null
is "$(stat -c %u "$ROOT/idtmp/byuser" 2>&1)" 100000 "a file created by uid 100000 through the idmap shows as 100000"

# The overlay fallback of kernels without lowerdir+: one lowerdir= at FSMOUNT time.
new_root
MOUNTPLAN_TEST_NO_LOWERDIR_PLUS=1 "$MRUN" apply "$W/plan.mpb" --root "$ROOT" >"$W/out" 2>&1; st=$?
is "$st" 0 "apply with the lowerdir+ fallback exits 0"
like "$(mnt "$ROOT/ovl")" '^overlay rw,relatime rw,lowerdir=/proc/self/fd/[0-9]+:/proc/self/fd/[0-9]+:/proc/self/fd/[0-9]+,' \
	"fallback: the layers go in one lowerdir="
is "$(cat "$ROOT/ovl/a" "$ROOT/ovl/b" "$ROOT/ovl/c" | tr '\n' ' ')" "one two three " "fallback: same layer order"
is "$(stat -c %u "$ROOT/idovl/a")" 100000 "fallback: the idmapped overlay too"

# Many layers: over fsconfig's 256-byte value, compacted relative to /proc/self/fd.
lowers=
for i in $(seq 1 40); do mkdir -p "$S/many/l$i"; echo "$i" >"$S/many/l$i/f$i"; lowers="$lowers${lowers:+, }$S/many/l$i"; done
mkdir -p "$S/many/upper" "$S/many/work"
cat >"$W/many.yaml" <<PLAN
version: 1
mounts:
  - type: overlay
    lower: [$lowers]
    upper: $S/many/upper
    work: $S/many/work
    target: /many
PLAN
compile "$W/many.yaml" "$W/many.mpb"
new_root
MOUNTPLAN_TEST_NO_LOWERDIR_PLUS=1 "$MRUN" apply "$W/many.mpb" --root "$ROOT" >"$W/out" 2>&1; st=$?
is "$st" 0 "40 layers with the fallback: apply exits 0"
[ "$st" -eq 0 ] || diag "$(cat "$W/out")"
like "$(mnt "$ROOT/many")" '^overlay rw,relatime rw,lowerdir=[0-9]+:[0-9]+:' "compacted to names relative to /proc/self/fd"
is "$(cat "$ROOT/many/f1" "$ROOT/many/f40" 2>&1 | tr '\n' ' ')" "1 40 " "first and last layer visible"
new_root
"$MRUN" apply "$W/many.mpb" --root "$ROOT" >"$W/out" 2>&1; st=$?
is "$st" 0 "40 layers with lowerdir+: apply exits 0"
is "$(ls "$ROOT/many" | wc -l)" 40 "every layer visible"

# 150 layers without lowerdir+: past 256 bytes even compacted, so mount(2) with one page of options
lowers=
for i in $(seq 1 150); do mkdir -p "$S/more/l$i"; echo "$i" >"$S/more/l$i/f$i"; lowers="$lowers${lowers:+, }$S/more/l$i"; done
mkdir -p "$S/more/upper" "$S/more/work"
cat >"$W/more.yaml" <<PLAN
version: 1
mounts:
  - type: overlay
    lower: [$lowers]
    upper: $S/more/upper
    work: $S/more/work
    target: /more
    options: [nosuid]
PLAN
compile "$W/more.yaml" "$W/more.mpb"
new_root
MOUNTPLAN_TEST_NO_LOWERDIR_PLUS=1 "$MRUN" apply "$W/more.mpb" --root "$ROOT" >"$W/out" 2>&1; st=$?
is "$st" 0 "150 layers with the fallback: apply exits 0"
[ "$st" -eq 0 ] || diag "$(cat "$W/out")"
like "$(mnt "$ROOT/more")" '^overlay rw,nosuid,relatime rw,lowerdir=[0-9]+:[0-9]+:.*,upperdir=[0-9]+,workdir=[0-9]+' \
	"mount(2) with the layers, upper and work relative to /proc/self/fd; FSMOUNT's attributes applied"
is "$(ls "$ROOT/more" | wc -l)" 150 "all 150 layers visible"
echo up >"$ROOT/more/new"
is "$(cat "$S/more/upper/new" 2>&1)" up "writes reach the upper layer"
is "$(ls -A "$PARK" 2>/dev/null)" "" "the temporary mount point of the mount(2) is gone"
new_root
before=$(tree_of "$ROOT")
n=$("$MPLAN" disasm "$W/more.mpb" | awk '/^; insns/ { sub(",", "", $3); print $3 }')
MOUNTPLAN_TEST_NO_LOWERDIR_PLUS=1 MOUNTPLAN_FAULT_STEP=$((n - 1)) "$MRUN" apply "$W/more.mpb" --root "$ROOT" >"$W/out" 2>&1; st=$?
is "$st:$(mounts_under "$ROOT"):$(tree_of "$ROOT" | md5sum)" "1:0:$(printf '%s\n' "$before" | md5sum)" "and a failure after it undoes it"

# Executors racing for free loop devices: LOOP_CTL_GET_FREE hands the same
# number to several of them; LOOP_CONFIGURE's EBUSY makes the losers retry.
cat >"$W/loops.yaml" <<PLAN
version: 1
mounts:
  - type: squashfs
    source: $S/img/app.sqfs
    loop: { readonly: true }
    target: /l1
    options: [ro]
  - type: squashfs
    source: $S/img/app.sqfs
    loop: { readonly: true }
    target: /l2
    options: [ro]
  - type: squashfs
    source: $S/img/app.sqfs
    loop: { readonly: true }
    target: /l3
    options: [ro]
PLAN
compile "$W/loops.yaml" "$W/loops.mpb"
sqdevs() { awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "squashfs") print $(i + 2) }' /proc/self/mountinfo | sort; }
before=$(sqdevs | wc -l)
pids=
for j in 1 2 3 4 5 6; do
	new_root
	MOUNTPLAN_JOURNAL=$W/loops$j.db "$MRUN" apply "$W/loops.mpb" --root "$ROOT" >"$W/loops$j.out" 2>&1 &
	pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
is "$failed" 0 "six executors attaching three loop devices each at once all succeed"
[ "$failed" -eq 0 ] || diag "$(cat "$W"/loops*.out)"
devs=$(sqdevs)
is "$(($(printf '%s\n' "$devs" | grep -c '^/dev/loop') - before))" 18 "18 new squashfs mounts on loop devices"
is "$(printf '%s\n' "$devs" | sort -u | wc -l)" "$(printf '%s\n' "$devs" | wc -l)" "each on its own loop device"

# offset and sizelimit: an ext4 image 1 MiB into a file, followed by junk
truncate -s 16M "$S/img/inner.ext4"
mkfs.ext4 -q -F "$S/img/inner.ext4"
{ head -c 1048576 /dev/zero; cat "$S/img/inner.ext4"; head -c 1048576 /dev/urandom; } >"$S/img/part.img"
rm -f "$S/img/inner.ext4"
cat >"$W/part.yaml" <<PLAN
version: 1
mounts:
  - type: ext4
    source: $S/img/part.img
    loop: { offset: 1048576, sizelimit: 16777216 }
    target: /part
PLAN
compile "$W/part.yaml" "$W/part.mpb"
new_root
out=$("$MRUN" apply "$W/part.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 0 "ext4 at an offset: apply exits 0"
[ "$st" -eq 0 ] || diag "$out"
pdev=$(awk -v p="$ROOT/part" '$5 == p { for (i = 7; $i != "-"; i++); print $(i + 2) }' /proc/self/mountinfo)
is "$(cat /sys/block/${pdev#/dev/}/loop/offset 2>&1) $(cat /sys/block/${pdev#/dev/}/loop/sizelimit 2>&1)" "1048576 16777216" \
	"the loop device has the plan's offset and sizelimit"
like "$(mnt "$ROOT/part")" '^ext4 rw,' "the filesystem inside is mounted"

# erofs, when the kernel has it
if grep -qw erofs /proc/filesystems && [ -f "$S/img/app.erofs" ]; then
	cat >"$W/erofs.yaml" <<PLAN
version: 1
mounts:
  - type: erofs
    source: $S/img/app.erofs
    loop: { readonly: true }
    target: /app
PLAN
	compile "$W/erofs.yaml" "$W/erofs.mpb"
	new_root
	"$MRUN" apply "$W/erofs.mpb" --root "$ROOT" >"$W/out" 2>&1; st=$?
	is "$st" 0 "erofs image: apply exits 0"
	like "$(mnt "$ROOT/app")" '^erofs ro' "erofs image mounted read-only"
	is "$(cat "$ROOT/app/app" 2>&1)" app "erofs content visible"
else
	ok 0 "erofs not in this kernel: skipped # SKIP no erofs"
fi
tap_done
