#!/bin/bash
# helper.t — MOUNT (classic mount(2) for types the compiler does not know)
# and MOUNT_HELPER (mount.TYPE programs).  Fake helpers are installed on a
# tmpfs over /usr/local/sbin in this private namespace; they record their
# arguments and open fds, so the test sees that the target arrives as
# /proc/self/fd/3 and that no other descriptor of mrun leaks into them.  A
# failing helper's exit status and stderr end up in mrun's error, and the
# run is rolled back.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/env.sh"

tap_plan 0
for h in mount.fuse mount.fuse.fakefs mount.nfs; do
	for d in /sbin /usr/sbin; do
		[ -x "$d/$h" ] && skip_all "a real $d/$h is installed; the fake helpers would not be used"
	done
done
setup_srv
new_root
W=$(mktemp -d /tmp/mrun-plan.XXXXXX)
_roots="$_roots $W"
chmod 0755 "$W"
mkdir -p /usr/local/sbin
mount -t tmpfs helpers /usr/local/sbin

cat >/usr/local/sbin/mount.fuse <<HELPER
#!/bin/sh
echo "\$*" >"$W/fuse.args"
ls /proc/self/fd | sort -n | tr '\n' ' ' >"$W/fuse.fds"
# like a FUSE helper: a daemon stays behind, holding stderr open
sleep 3 </dev/null >/dev/null &
exec mount -t tmpfs -o size=1m fakefs "\$2"
HELPER
cat >/usr/local/sbin/mount.nfs <<'HELPER'
#!/bin/sh
echo "mount.nfs: access denied by server while mounting $1" >&2
exit 32
HELPER
chmod 0755 /usr/local/sbin/mount.fuse /usr/local/sbin/mount.nfs

cat >"$W/ok.yaml" <<PLAN
version: 1
mounts:
  - type: ramfs
    source: /dev/null
    target: /ram
    options: [nosuid, mode=0700]
  - type: fuse.fakefs
    source: fakesrc
    target: /fuse
    options: [ro, allow_other]
PLAN
compile "$W/ok.yaml" "$W/ok.mpb"
# an fd without O_CLOEXEC that mrun inherits must not reach the helper
t0=$(date +%s%N)
out=$("$MRUN" apply "$W/ok.mpb" --root "$ROOT" 2>"$W/ok.err" 7</dev/null); st=$?
ms=$((($(date +%s%N) - t0) / 1000000))
out="$out$(cat "$W/ok.err")"
is "$st" 0 "apply with mount(2) and a helper exits 0"
[ "$st" -eq 0 ] || diag "$out"
like "$(mnt "$ROOT/ram")" '^ramfs rw,nosuid,relatime rw,mode=700 ' "MOUNT: ramfs through mount(2) with flags and data"
like "$(mnt "$ROOT/fuse")" '^tmpfs ' "MOUNT_HELPER: the helper mounted on the target"
is "$(cat "$W/fuse.args")" "fakesrc /proc/self/fd/3 -n -o ro,allow_other -t fuse.fakefs" \
	"mount.fuse gets source, the target as /proc/self/fd/3, options and the fuse type"
like "$(cat "$W/fuse.fds")" '^0 1 2 3 [0-9]+ $' "the helper inherits only stdio and the target fd (plus ls's own)"
ok "$([ "$ms" -lt 2500 ]; echo $?)" "mrun does not wait for a daemon the helper left holding its stderr ($ms ms)"

cat >"$W/bad.yaml" <<PLAN
version: 1
mounts:
  - type: ramfs
    source: /dev/null
    target: /ram
  - type: nfs
    source: "server:/export"
    target: /nfs
    after: [/ram]
PLAN
compile "$W/bad.yaml" "$W/bad.mpb"
new_root
before=$(tree_of "$ROOT")
out=$("$MRUN" apply "$W/bad.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 1 "a failing helper fails the run"
like "$out" 'step [0-9]+ \(MOUNT_HELPER\) at [^ ]*bad.yaml:6:11: .*mount.nfs exited with status 32: mount.nfs: access denied by server while mounting server:/export' \
	"the error has the helper's exit status and stderr"
like "$out" 'undo step [0-9]+ MOUNT .*undone' "the mount(2) mount was undone"
is "$(mounts_under "$ROOT")" 0 "nothing left mounted"
is "$(tree_of "$ROOT")" "$before" "mount points removed"
# Someone mounts over a mount of this run before the run fails: undo must not
# unmount what it did not make, nor remove the directory under a mount.
cat >/usr/local/sbin/mount.nfs <<'HELPER'
#!/bin/sh
mount -t tmpfs intruder "$OVERMOUNT"
echo "mount.nfs: failing after an intruder mounted on $OVERMOUNT" >&2
exit 32
HELPER
cat >"$W/intruder.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /a
  - type: nfs
    source: "server:/export"
    target: /nfs
    after: [/a]
PLAN
compile "$W/intruder.yaml" "$W/intruder.mpb"
new_root
out=$(OVERMOUNT=$ROOT/a "$MRUN" apply "$W/intruder.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 1 "the run fails"
like "$out" "undo step [0-9]+ MOVE .*FAILED: /a: the mount there \(id [0-9]+\) is not the one this run made \(id [0-9]+\): left alone" \
	"undo refuses to unmount a mount it did not make"
like "$out" "undo step [0-9]+ MKDIR .*FAILED: .*'/a' is still a mount point: not removed" "undo keeps a directory that is mounted on"
like "$out" "undo step 0 ROOT_BIND .*FAILED: root bind: 1 mount below it is not this run's \(id [0-9]+\): left mounted" \
	"undo keeps the root bind the intruder's mount is below"
like "$out" "rolled back: [0-9]+ steps undone, 3 undo failures" "the undo failures are counted"
is "$(awk -v p="$ROOT/a" '$5 == p' /proc/self/mountinfo | wc -l)" 2 "both mounts at /a are still there"
# SIGTERM while a (slow) helper runs: the step finishes, the run stops at the
# next step boundary and everything is rolled back before mrun exits.
cat >/usr/local/sbin/mount.slowfs <<'HELPER'
#!/bin/sh
sleep 1
exec mount -t tmpfs slow "$2"
HELPER
chmod 0755 /usr/local/sbin/mount.slowfs
cat >"$W/slow.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /a
  - type: fuse.slowfs
    source: slow
    target: /b
    after: [/a]
  - type: tmpfs
    target: /c
    after: [/b]
PLAN
cp /usr/local/sbin/mount.slowfs /usr/local/sbin/mount.fuse.slowfs
compile "$W/slow.yaml" "$W/slow.mpb"
new_root
before=$(tree_of "$ROOT")
"$MRUN" apply "$W/slow.mpb" --root "$ROOT" >"$W/slow.out" 2>&1 &
pid=$!
sleep 0.4
kill -TERM "$pid"
wait "$pid"; st=$?
out=$(cat "$W/slow.out")
is "$st" 1 "SIGTERM during a run makes it fail (exit 1), not die"
like "$out" "interrupted by Terminated before this step" "the error says it was interrupted"
like "$out" "undo step [0-9]+ MOUNT_HELPER .*undone" "the helper's mount, finished after the signal, is undone"
is "$(mounts_under "$ROOT")" 0 "nothing left mounted"
is "$(tree_of "$ROOT")" "$before" "mount points removed"

umount /usr/local/sbin
tap_done
