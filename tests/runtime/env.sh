# env.sh — shared set-up of the executor's integration tests (sourced after
# ../lib.sh, inside the private mount namespace that in_private_ns made).
#
#   setup_srv          a tmpfs on /srv (this namespace only) with the host
#                      sources the examples name: layers, images, files
#   new_root           a fresh temporary root directory -> $ROOT
#   compile Y OUT      mplan compile, failing the test with its output
#   mnt PATH           "fstype mount-options super-options propagation" of
#                      the top mount at PATH from /proc/self/mountinfo
#   outside_root       every mount not under $ROOT (to compare before/after)
#   tree_of DIR        a listing of DIR's tree (paths, types, modes)
#   timings_phases E   the phase names of the `--timings` line in stderr E
#   timings_sum E      "sums" when that line's phases add up to its total
# A trap detaches every loop device backed by a file under /srv/mountplan
# and removes the temporary roots.

S=/srv/mountplan
# each test file journals to its own database, never the host's /run/mountplan
_jdir=$(mktemp -d /tmp/mrun-journal.XXXXXX)
export MOUNTPLAN_JOURNAL=$_jdir/journal.db
# and parks its temporary layer mounts in its own directory, so concurrent runs elsewhere do not show up
export MOUNTPLAN_PARK_DIR=$_jdir/park
PARK=$MOUNTPLAN_PARK_DIR
_roots="$_jdir"
_cleanup() {
	for img in $(find "$S" -type f \( -name '*.img' -o -name '*.ext4' -o -name '*.sqfs' -o -name '*.erofs' \) 2>/dev/null); do
		for dev in $(losetup -n -O NAME -j "$img" 2>/dev/null); do
			losetup -d "$dev" 2>/dev/null
		done
	done
	for r in $_roots; do
		# deepest first, again while any is left (a recursive bind copies mounts under itself);
		# rm must never descend into a mount: binds show host sources
		for _ in 1 2 3 4 5; do
			[ "$(mounts_under "$r")" -eq 0 ] && break
			awk -v r="$r" '$5 == r || index($5, r "/") == 1 { print length($5), $5 }' /proc/self/mountinfo |
				sort -rn | cut -d' ' -f2- | while read -r m; do umount -l "$m" 2>/dev/null; done
		done
		[ "$(mounts_under "$r")" -eq 0 ] && rm -rf --one-file-system "$r"
	done
}
trap _cleanup EXIT

setup_srv() {
	mount -t tmpfs -o mode=0755 srv /srv || { echo "Bail out! cannot mount a tmpfs on /srv"; exit 1; }
	mkdir -p $S/src $S/tree/sub $S/img $S/images $S/layers/l1 $S/layers/l2 $S/layers/l3 \
		$S/layers/app $S/layers/base $S/ovl/upper $S/ovl/work $S/ovl2/upper $S/ovl2/work \
		$S/c1/upper $S/c1/work $S/files $S/volumes/data $S/state/app $S/config/app/sub \
		$S/rootfs
	mount -t tmpfs -o nosuid,nodev srcfs $S/src
	echo hello >$S/src/hello
	mount -t tmpfs subfs $S/tree/sub
	echo sub >$S/tree/sub/f
	echo one >$S/layers/l1/a
	echo two >$S/layers/l2/b
	echo three >$S/layers/l3/c
	echo low >$S/layers/l3/a
	echo app >$S/layers/app/app
	mkdir -p $S/layers/base/etc $S/layers/base/var/lib/app $S/layers/base/tmp
	echo base >$S/layers/base/etc/os-release
	echo "nameserver 192.0.2.1" >$S/files/resolv.conf
	cp $S/files/resolv.conf $S/config/resolv.conf
	echo conf >$S/config/app/app.conf
	mount -t tmpfs cfgsub $S/config/app/sub
	truncate -s 16M $S/img/data.ext4
	mkfs.ext4 -q -F $S/img/data.ext4
	local d
	d=$(mktemp -d)
	mkdir -p "$d/etc"
	echo app >"$d/app"
	echo inimage >"$d/etc/conf"
	mksquashfs "$d" $S/img/app.sqfs -quiet -noappend >/dev/null 2>&1
	if command -v mkfs.erofs >/dev/null; then mkfs.erofs -q $S/img/app.erofs "$d" >/dev/null 2>&1; fi
	truncate -s 16M $S/images/data.img
	mkfs.ext4 -q -F -d "$d" $S/images/data.img
	rm -rf "$d"
}

new_root() {
	ROOT=$(mktemp -d /tmp/mrun-root.XXXXXX)
	chmod 0755 "$ROOT"
	_roots="$_roots $ROOT"
}

compile() { # compile PLAN.yaml OUT.mpb
	if ! out=$("$MPLAN" compile "$1" -o "$2" 2>&1); then
		echo "Bail out! mplan compile $1 failed: $out"
		exit 1
	fi
}

# mnt PATH: fstype, per-mount options, super options, propagation tags of the top mount at PATH
mnt() {
	awk -v p="$1" '{
		tags = ""; i = 7
		while ($i != "-") { tags = tags (tags ? "," : "") $i; i++ }
		if ($5 == p) line = $(i + 1) " " $6 " " $(i + 3) " " (tags ? tags : "private")
	} END { print line }' /proc/self/mountinfo
}

# timings_phases STDERR: the phase names of its "mrun: timings (ms): ..." line, in order
timings_phases() { echo "$1" | sed -n 's/^mrun: timings (ms): //p' | sed 's/=[0-9.]*//g'; }
# timings_sum STDERR: "sums" when the phases of that line add up to its total (to 0.01 ms)
timings_sum() {
	echo "$1" | sed -n 's/^mrun: timings (ms): //p' | tr ' ' '\n' | awk -F= '
		$1 != "total" { s += $2 } $1 == "total" { t = $2 }
		END { d = s - t; if (d < 0) d = -d; print ((d < 0.01 && t > 0) ? "sums" : "off by " d) }'
}

# every mount outside $ROOT: mount point, fs, options (ids left out: they change)
outside_root() {
	awk -v r="$ROOT" '$5 != r && index($5, r "/") != 1 { print $5, $6, $9, $10 }' /proc/self/mountinfo | sort
}

mounts_under() { # number of mounts at or under DIR
	awk -v r="$1" '$5 == r || index($5, r "/") == 1' /proc/self/mountinfo | wc -l
}

tree_of() {
	(cd "$1" && find . -xdev -printf '%p %y %m %s\n' | sort)
}

# loop devices backed by a file on this test's /srv (other tests on the host attach their own meanwhile)
loops() {
	local dev
	dev=$(stat -c '%Hd:%Ld' /srv)
	losetup -n -O NAME,BACK-FILE,BACK-MAJ:MIN 2>/dev/null | awk -v d="$dev" '{ split($3, a, ":"); if (a[1] + 0 ":" a[2] + 0 == d) print $1, $2 }' | sort
}
