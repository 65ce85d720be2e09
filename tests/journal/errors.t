#!/bin/bash
# errors.t — a journal mrun cannot trust or cannot write stops `mrun apply`
# before its first mount, with a clear message naming the file: garbage,
# a truncated database, a read-only file (a read-only bind of it), a
# database another process holds locked, a foreign SQLite database.  The
# mount table must not change.  Then a healthy journal in a directory that
# does not exist yet is created (0700) and used.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"

tap_plan 0
W=$(mktemp -d /tmp/mrun-jerr.XXXXXX)
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	umount "$W/ro.db" 2>/dev/null
	umount -R "$W/root" 2>/dev/null
	rm -rf --one-file-system "$W"
}
trap cleanup EXIT
mkdir -p "$W/root" "$W/src"
printf 'version: 1\nmounts:\n  - type: bind\n    source: %s/src\n    target: /a\n  - type: tmpfs\n    target: /b\n' "$W" >"$W/plan.yaml"
"$MPLAN" compile "$W/plan.yaml" -o "$W/plan.mpb" || { echo "Bail out! mplan compile failed"; exit 1; }
mounts() { awk '{ $1 = ""; print }' /proc/self/mountinfo | sort; }
before=$(mounts)

try() { # try JOURNAL WORD DESC: apply must fail, say WORD, name the file, mount nothing
	out=$("$MRUN" apply "$W/plan.mpb" --root "$W/root" --journal "$1" --lock-timeout 300 2>&1); st=$?
	is "$st" 1 "$3: apply fails"
	like "$out" "$2" "$3: the message says so"
	like "$out" "journal $1" "$3: and names the journal file"
	is "$(mounts)" "${base:-$before}" "$3: no mount was made"
	ok "$([ ! -e "$W/root/a" ] && [ ! -e "$W/root/b" ]; echo $?)" "$3: no mount point was created"
}

head -c 8192 /dev/urandom >"$W/garbage.db"
try "$W/garbage.db" "corrupt or not a database" "a file of garbage"

"$MRUN" apply "$W/plan.mpb" --root "$W/root" --journal "$W/good.db" >/dev/null 2>&1
"$MRUN" rollback --root "$W/root" --journal "$W/good.db" >/dev/null 2>&1
is "$(mounts)" "$before" "a real journal is made by an apply and a rollback"
cp "$W/good.db" "$W/trunc.db"
truncate -s $(($(stat -c %s "$W/good.db") / 2)) "$W/trunc.db"
try "$W/trunc.db" "truncated" "a truncated journal"

cp "$W/good.db" "$W/ro.db"
mount --bind -o ro "$W/ro.db" "$W/ro.db"
base=$(mounts)
try "$W/ro.db" "read-only" "a read-only journal"
base=
umount "$W/ro.db"

sqlite3 "$W/foreign.db" "CREATE TABLE photos (id INTEGER)"
try "$W/foreign.db" "not a mountplan journal" "someone else's SQLite database"

cp "$W/good.db" "$W/locked.db"
# the holder: sqlite3 reading a fifo we keep open; closing it ends sqlite3
mkfifo "$W/fifo"
sqlite3 "$W/locked.db" <"$W/fifo" >/dev/null 2>&1 &
holder=$!
exec 9>"$W/fifo"
echo "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE runs SET error = error;" >&9
sleep 0.3
try "$W/locked.db" "locked by another process" "a journal another process holds locked"
exec 9>&-
wait "$holder"
holder=
out=$("$MRUN" history --journal "$W/locked.db" 2>&1); st=$?
is "$st" 0 "once the holder is gone the journal reads again"

out=$("$MRUN" apply "$W/plan.mpb" --root "$W/root" --journal "$W/no/such/dir.db" 2>&1); st=$?
is "$st" 1 "a journal whose directory's parent is missing is refused"
like "$out" "journal $W/no/such/dir.db: creating directory" "with a message naming the directory"
is "$(mounts)" "$before" "and no mount was made"
out=$("$MRUN" apply "$W/plan.mpb" --root "$W/root" --journal "$W/fresh/journal.db" 2>&1); st=$?
is "$st" 0 "a journal in a missing directory is created"
is "$(stat -c %a "$W/fresh")" 700 "its directory is 0700"
is "$(sqlite3 "$W/fresh/journal.db" "SELECT state FROM runs")" applied "and the run is recorded applied"
"$MRUN" rollback --root "$W/root" --journal "$W/fresh/journal.db" >/dev/null 2>&1
is "$(mounts)" "$before" "rolled back"

# the journal fills up during the run: the outcome cannot be recorded, so
# the run is undone as a failure (a run the journal does not call applied
# is not applied), and recover later finds nothing left to do
mkdir -p "$W/small" "$W/dev"
mount -t tmpfs -o size=512k small "$W/small"
base=$(mounts)
cat >"$W/slow.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /a
  - type: ext4
    source: $W/dev/none
    target: /waits
    requires: { device: $W/dev/none, timeout: 1500ms }
    optional: true
PLAN
"$MPLAN" compile "$W/slow.yaml" -o "$W/slow.mpb" || { echo "Bail out! mplan compile failed"; exit 1; }
"$MRUN" apply "$W/slow.mpb" --root "$W/root" --journal "$W/small/j.db" >"$W/slow.out" 2>&1 &
slow=$!
sleep 0.5
dd if=/dev/zero of="$W/small/fill" bs=4k >/dev/null 2>&1
wait "$slow"; st=$?
out=$(cat "$W/slow.out")
is "$st" 1 "a run whose outcome cannot be recorded (journal full) fails"
like "$out" "recording the applied run failed: .*undoing it" "saying why"
is "$(mounts)" "$base" "and is undone"
rm -f "$W/small/fill"
out=$("$MRUN" recover --journal "$W/small/j.db" 2>&1); st=$?
is "$st" 0 "recover afterwards"
[ "$st" -eq 0 ] || diag "$out"
like "$(sqlite3 "$W/small/j.db" "SELECT state FROM runs")" "^(recovered|rolled_back)$" "leaves the run recovered or rolled back"
is "$(mounts)" "$base" "with nothing mounted"
base=
umount "$W/small"
tap_done
