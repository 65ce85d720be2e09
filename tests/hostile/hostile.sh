# hostile.sh — shared set-up of the hostile-root tests (tests/hostile/*.t),
# sourced after ../lib.sh, inside the private mount namespace in_private_ns
# made.  Everything a test makes lives under one temporary directory $H,
# removed by the EXIT trap (mounts under it first, deepest first, lazily).
#
#   new_root            a fresh temporary root directory -> $ROOT
#   plan NAME <<EOF     write $H/NAME.yaml from stdin, compile it to
#                       $H/NAME.mpb (bails out if mplan refuses it)
#   apply NAME [ARGS]   mrun apply $H/NAME.mpb --root $ROOT ARGS: sets $out
#                       (stdout + stderr) and $st (exit status)
#   snapshot            what must not change when an apply fails: every mount
#                       outside $ROOT (mount point, fs, source, per-mount and
#                       super options), the mounts at or under $ROOT, and the
#                       root's tree (path, type, mode, owner, size, link)
#   outside_mounts      the first part alone
#   spawn CMD...        start CMD in the background, remembered by PID and
#                       killed by PID in the trap (stop_spawned kills now)
# MOUNTPLAN_JOURNAL and MOUNTPLAN_PARK_DIR point under $H: the host's
# /run/mountplan is never touched.

H=$(mktemp -d /tmp/mp-hostile.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
chmod 0755 "$H"
export MOUNTPLAN_JOURNAL=$H/journal/journal.db
export MOUNTPLAN_PARK_DIR=$H/park
mkdir -p "$H/journal" "$H/park"
_spawned=

stop_spawned() {
	for pid in $_spawned; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	_spawned=
}

_hostile_cleanup() {
	stop_spawned
	# loop devices backed by an image under $H (a test's, or one a bug leaked)
	losetup -n -O NAME,BACK-FILE 2>/dev/null | awk -v h="$H/" 'index($2, h) == 1 { print $1 }' |
		while read -r dev; do losetup -d "$dev" 2>/dev/null; done
	awk -v r="$H" '$5 == r || index($5, r "/") == 1 { print length($5), $5 }' /proc/self/mountinfo |
		sort -rn | cut -d' ' -f2- | while read -r m; do umount -l "$m" 2>/dev/null; done
	chattr -R -i "$H" 2>/dev/null
	rm -rf --one-file-system "$H"
}
trap _hostile_cleanup EXIT

spawn() {
	"$@" &
	_spawned="$_spawned $!"
}

new_root() {
	ROOT=$(mktemp -d "$H/root.XXXXXX")
	chmod 0755 "$ROOT"
}

plan() { # plan NAME, YAML on stdin
	cat >"$H/$1.yaml"
	if ! _o=$("$MPLAN" compile "$H/$1.yaml" -o "$H/$1.mpb" 2>&1); then
		echo "Bail out! mplan compile $1 failed: $_o"
		exit 1
	fi
}

apply() { # apply NAME [ARGS...]
	_n=$1
	shift
	out=$("$MRUN" apply "$H/$_n.mpb" --root "$ROOT" "$@" 2>&1)
	st=$?
}

# mountinfo: field 5 is the mount point; after the "-" separator come fs type, source, super options
_mountinfo() { # _mountinfo inside|outside
	awk -v r="$ROOT" -v want="$1" '{
		i = 7; while ($i != "-") i++
		inside = ($5 == r || index($5, r "/") == 1)
		if ((want == "inside") == inside) print $5, $(i + 1), $(i + 2), $6, $(i + 3)
	}' /proc/self/mountinfo | sort
}

outside_mounts() { _mountinfo outside; }

snapshot() {
	echo "== mounts outside the root"
	_mountinfo outside
	echo "== mounts in the root"
	_mountinfo inside
	echo "== the root's tree"
	(cd "$ROOT" && find . -xdev -printf '%p %y %m %u:%g %s %l\n' | sort)
}

# check_failed_cleanly BEFORE DESC: the apply that just ran ($st, $out)
# failed, and everything is as in BEFORE (a snapshot taken before it).
check_failed_cleanly() {
	ok "$([ "$st" -ne 0 ]; echo $?)" "$2: apply fails (exit $st)"
	after=$(snapshot)
	if [ "$after" = "$1" ]; then
		ok 0 "$2: nothing mounted anywhere, the root's tree as it was"
	else
		ok 1 "$2: nothing mounted anywhere, the root's tree as it was"
		diff <(printf '%s\n' "$1") <(printf '%s\n' "$after") | head -20 | sed 's/^/#   /'
	fi
}

# swapper A B: exchange the two paths (renameat2 RENAME_EXCHANGE) in a tight
# loop until killed; run it with spawn.  A rename never leaves either name
# missing, so every lookup during the race sees one of the two objects.
swapper() {
	exec python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
while True:
    libc.renameat2(-100, a, -100, b, 2)
' "$1" "$2"
}

# mksock PATH: a unix socket bound at PATH (the process exits, the inode stays)
mksock() {
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1"
}

# todo_ok STATUS DESC WHY: a TAP line with a TODO directive — a check of a
# bug that is reported and not fixed yet (it shows, and turns into
# "unexpectedly succeeded" once fixed, without failing the suite).
todo_ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2 # TODO $3"; else echo "not ok $_tap_n - $2 # TODO $3"; fi
}

# check_or_todo STATUS DESC [WHY]: ok, or todo_ok when WHY is given
check_or_todo() {
	if [ -n "${3:-}" ]; then todo_ok "$1" "$2" "$3"; else ok "$1" "$2"; fi
}
