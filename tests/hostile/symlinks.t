#!/bin/bash
# symlinks.t — a root full of symlinks that point outside it.  Absolute
# and ../.. links (to /etc, /tmp, the host's /) must resolve inside the
# root, the way the container will see them; links through /proc (once
# the plan itself mounts proc in the root) are magic links — /proc/self/root,
# /proc/self/cwd, /proc/self/fd/N, /proc/thread-self/root, /proc/1/root —
# and must be refused, not followed, with the step and the path named and
# the proc mount rolled back.  Every time: no mount outside the root, no
# host path created, and after the failure (or after `mrun rollback` of a
# success) the root's tree exactly as before.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/hostile.sh"

tap_plan 0
tag=mp-hostile-$$
OUT=$H/outside
mkdir -p "$OUT"

# --- links that look outward but are resolved inside the root
new_root
mkdir -p "$ROOT/etc" "$ROOT/tmp" "$ROOT$OUT"
echo inroot >"$ROOT/etc/marker"
ln -s /etc "$ROOT/etclink"
ln -s ../.. "$ROOT/up"
ln -s ../../../../../../../../tmp "$ROOT/rel"
ln -s "$OUT" "$ROOT/abs"
ln -s / "$ROOT/slash"
plan outward <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /etclink/$tag
  - type: tmpfs
    target: /up/$tag-up
  - type: tmpfs
    target: /rel/$tag-rel
  - type: tmpfs
    target: /abs/m
  - type: bind
    source: \${root}/slash/up/etc
    target: /srcbind
PLAN
before=$(snapshot)
apply outward
is "$st" 0 "links to /etc, ../.., a deep ../ chain, an absolute host dir and / apply inside the root"
[ "$st" -eq 0 ] || diag "$out"
ok "$(findmnt -rn -o FSTYPE -M "$ROOT/etc/$tag" >/dev/null; echo $?)" "/etclink/$tag is mounted at the root's /etc"
ok "$(findmnt -rn -M "$ROOT/$tag-up" >/dev/null && findmnt -rn -M "$ROOT/tmp/$tag-rel" >/dev/null && findmnt -rn -M "$ROOT$OUT/m" >/dev/null; echo $?)" \
	"../.., the deep ../ chain and the absolute link all stop at the root"
is "$(cat "$ROOT/srcbind/marker" 2>&1)" inroot "a \${root} source through / and ../.. binds the root's /etc, not the host's"
ok "$([ ! -e "/etc/$tag" ] && [ ! -e "/$tag-up" ] && [ ! -e "/tmp/$tag-rel" ] && [ -z "$(ls -A "$OUT")" ]; echo $?)" \
	"no host path named by a link was created"
is "$(outside_mounts)" "$(printf '%s\n' "$before" | sed -n '/^== mounts outside/,/^== mounts in/p' | sed '1d;$d')" \
	"no mount outside the root"
out=$("$MRUN" rollback --root "$ROOT" 2>&1)
is "$?" 0 "mrun rollback of that run succeeds"
is "$(snapshot)" "$before" "after rollback the root's tree and the mount table are as before"

# --- magic links: refused once proc is in the root, dangling before
for link in /proc/self/root /proc/self/cwd /proc/self/fd/0 /proc/thread-self/root /proc/1/root; do
	new_root
	mkdir -p "$ROOT/proc"
	ln -s "$link" "$ROOT/magic"
	plan magic <<PLAN
version: 1
mounts:
  - type: proc
    target: /proc
  - type: tmpfs
    target: /magic/$tag
PLAN
	before=$(snapshot)
	apply magic
	[ "$link" = /proc/self/fd/0 ] && diag "mrun says: $out"
	check_failed_cleanly "$before" "magic link $link"
	like "$out" "step [0-9]+ .*/magic" "magic link $link: the error names the step and the path"
	like "$out" "(Too many levels of symbolic links|Invalid cross-device link|No such device or address|magic)" \
		"magic link $link: refused as a magic link (RESOLVE_NO_MAGICLINKS)"
	ok "$([ ! -e "/$tag" ] && [ ! -e "/proc/self/$tag" ]; echo $?)" "magic link $link: nothing created outside the root"
done

# the same link without proc in the root dangles inside the root: refused, nothing created
new_root
ln -s /proc/self/fd/0 "$ROOT/magic"
plan dangling <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /magic/$tag
PLAN
before=$(snapshot)
apply dangling
check_failed_cleanly "$before" "/proc/self/fd/0 without proc in the root"
like "$out" "/magic" "the dangling link's error names the path"

# a link whose target is the mount point itself (the last component)
new_root
mkdir -p "$ROOT/real"
ln -s /proc/self/root/etc "$ROOT/last"
plan last <<PLAN
version: 1
mounts:
  - type: proc
    target: /proc
  - type: tmpfs
    target: /last
PLAN
mkdir -p "$ROOT/proc"
before=$(snapshot)
apply last
check_failed_cleanly "$before" "a target that is itself a magic link"
tap_done
