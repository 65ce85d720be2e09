#!/bin/bash
# owners.t — a root whose mount point directories belong to an
# unprivileged user (uid 4242), who may change them at any time.  The
# apply must create what is missing without following anything that user
# planted, mount only inside the root, and a rollback must leave every
# directory with the owner and mode it had.  Then the user races: with
# their own uid (setpriv), they exchange their directory with a symlink to
# the host's / in a tight loop while apply runs.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/hostile.sh"
command -v setpriv >/dev/null || skip_all "needs setpriv (util-linux)"

tap_plan 0
U=4242
tag=mp-hostile-$$
SRC=$H/src
mkdir -p "$SRC/dir"

new_root
mkdir -p "$ROOT/home/app/existing" "$ROOT/var/tmp" "$ROOT/etc"
chown -R $U:$U "$ROOT/home"
chown $U:$U "$ROOT"
chmod 1777 "$ROOT/var/tmp"
ln -s /etc "$ROOT/var/tmp/planted" # a user's symlink in a sticky dir
chown -h $U:$U "$ROOT/var/tmp/planted"
plan owned <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /home/app/data/cache
  - type: bind
    source: $SRC/dir
    target: /home/app/existing
  - type: tmpfs
    target: /var/tmp/planted/$tag
PLAN
before=$(snapshot)
outside=$(outside_mounts)
apply owned
is "$st" 0 "apply into directories owned by uid $U works"
[ "$st" -eq 0 ] || diag "$out"
is "$(stat -c %u:%g "$ROOT/home/app/data" 2>&1)" "0:0" "a directory mrun created is root's"
ok "$(findmnt -rn -M "$ROOT/etc/$tag" >/dev/null; echo $?)" "the user's symlink to /etc resolved to the root's /etc"
ok "$([ ! -e "/etc/$tag" ]; echo $?)" "nothing created in the host's /etc"
is "$(outside_mounts)" "$outside" "no mount outside the root"
out=$("$MRUN" rollback --root "$ROOT" 2>&1)
is "$?" 0 "rollback works"
is "$(snapshot)" "$before" "after rollback every path has its owner, mode and type as before"

# the owner races: their directory /home/app <-> a symlink to / (both theirs)
new_root
mkdir -p "$ROOT/home/app"
ln -s / "$ROOT/home/app.link"
chown -R -h $U:$U "$ROOT/home"
{
	echo "version: 1"
	echo "mounts:"
	for i in $(seq 1 10); do
		printf '  - type: tmpfs\n    target: /home/app/%s-m%d\n' "$tag" "$i"
		printf '  - type: bind\n    source: %s\n    target: /home/app/%s-b%d\n' "$SRC/dir" "$tag" "$i"
	done
} | plan race
outside=$(outside_mounts)
tree_folded() { (cd "$ROOT" && find . -xdev -printf '%p %y %m %u:%g %s %l\n' | sed 's#^\./home/app\.link#./home/app#' | sort); }
tree_before=$(tree_folded)
spawn setpriv --reuid=$U --regid=$U --clear-groups bash -c "$(declare -f swapper); swapper '$ROOT/home/app' '$ROOT/home/app.link'"
for _ in $(seq 1 100); do [ -L "$ROOT/home/app" ] && break; sleep 0.02; done
escaped=0 leftover=0 applied=0
for round in $(seq 1 8); do
	out=$(timeout 20 "$MRUN" apply "$H/race.mpb" --root "$ROOT" 2>&1)
	st=$?
	if [ "$st" -eq 0 ]; then
		applied=$((applied + 1))
		timeout 20 "$MRUN" rollback --root "$ROOT" >/dev/null 2>&1
	fi
	[ "$(outside_mounts)" != "$outside" ] && escaped=$((escaped + 1))
	ls / | grep -q "^$tag" && escaped=$((escaped + 1))
	[ -n "$(_mountinfo inside)" ] && leftover=$((leftover + 1))
done
stop_spawned
diag "race: $applied of 8 applied (and rolled back), the others failed"
is "$escaped" 0 "8 applies racing the owner's dir/symlink exchange: nothing mounted or created outside the root"
ok "$([ "$leftover" -eq 0 ]; echo $?)" "nothing left mounted in the root after each ($leftover)"
# A mount point is removed where its mount was found (by id); a directory
# made for a mount that then failed, where it was made (the executor keeps
# that directory's fd), whichever side of the exchange the path shows now.
ok "$([ "$(tree_folded)" = "$tree_before" ]; echo $?)" "after the race the root's tree is as it was"
[ "$(tree_folded)" = "$tree_before" ] || diff <(printf '%s\n' "$tree_before") <(tree_folded) | head | sed 's/^/#   /'
tap_done
