#!/bin/bash
# deep.t — a 4096-deep directory chain in the root (/d/d/.../d, 8192
# characters: twice PATH_MAX) as the prefix of target paths.  A target
# longer than a path may be is refused by mplan (E304) before anything
# runs; the longest target the plan allows (4095 bytes) applies at depth
# 2046 and rolls back; a failure injected at its last step rolls back the
# directories made under the chain; a 4095-byte symlink at depth 1000
# pointing 1364 levels up stops at the root.  Nothing lands outside.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/hostile.sh"
command -v python3 >/dev/null || skip_all "needs python3 to build the chain"

tap_plan 0
DEPTH=4096
# The chain's paths run to 8 KiB each: list the tree by depth and name, not
# by full path, or each snapshot is 16 MB of find output to sort.
snapshot() {
	echo "== mounts outside the root"
	_mountinfo outside
	echo "== mounts in the root"
	_mountinfo inside | cut -c1-100 | md5sum
	echo "== the root's tree"
	(cd "$ROOT" && find . -xdev -printf '%d %f %y %m %u:%g %s %l\n' | sort)
}
# chain DIR N [LINK-TARGET]: make DIR/d/d/... N deep (by fd: the path is too
# long for mkdir -p), or walk it where it exists; with LINK-TARGET, put a
# symlink "up" pointing there at the bottom.
chain() {
	python3 - "$@" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
for _ in range(int(sys.argv[2])):
    try:
        os.mkdir("d", dir_fd=fd)
    except FileExistsError:
        pass
    nfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
if len(sys.argv) > 3:
    os.symlink(sys.argv[3], "up", dir_fd=fd)
PY
}
path_of() { printf '/d%.0s' $(seq 1 "$1"); } # path_of N: "/d" N times

# too long for a plan: refused by the compiler, with the code and the length
printf 'version: 1\nmounts:\n  - type: tmpfs\n    target: %s/m\n' "$(path_of $DEPTH)" >"$H/toolong.yaml"
out=$("$MPLAN" compile "$H/toolong.yaml" -o "$H/toolong.mpb" 2>&1)
st=$?
is "$st" 1 "a target 4096 components deep (8194 bytes) is refused by mplan"
like "$out" "E304" "with E304 (path too long)"
ok "$([ ! -e "$H/toolong.mpb" ]; echo $?)" "and no bytecode is written"

new_root
chain "$ROOT" $DEPTH
is "$(cd "$ROOT" && find . -type d | wc -l)" $((DEPTH + 1)) "the root holds a $DEPTH-deep chain"
target="$(path_of 2046)/m"
is "${#target}" 4094 "the deepest allowed target: 2046 components, 4094 bytes"
printf 'version: 1\nmounts:\n  - type: tmpfs\n    target: %s\n' "$target" | plan deepest
before=$(snapshot)
outside=$(outside_mounts)
t0=$(date +%s%N)
apply deepest
diag "apply at depth 2046: $((($(date +%s%N) - t0) / 1000000)) ms"
is "$st" 0 "a tmpfs at depth 2046 applies"
[ "$st" -eq 0 ] || diag "$(printf '%s\n' "$out" | cut -c1-300)"
is "$(_mountinfo inside | awk -v r="$ROOT" '$1 != r' | grep -c ' tmpfs ')" 1 "one mount inside the root (below the run's root bind)"
is "$(outside_mounts)" "$outside" "no mount outside the root"
out=$("$MRUN" rollback --root "$ROOT" 2>&1)
is "$?" 0 "rollback of the deep mount works"
[ -z "$(_mountinfo inside)" ] || diag "$(printf '%s\n' "$out" | cut -c1-300)"
is "$(snapshot)" "$before" "after rollback the chain is as before (m removed)"

# a failure at the last step, with five directories to create under the chain
target="$(path_of 2040)/x/y/z/v/w"
printf 'version: 1\nmounts:\n  - type: tmpfs\n    target: %s\n  - type: tmpfs\n    target: %s/t2\n' "$target" "$(path_of 1000)" | plan deepfail
n=$("$MPLAN" disasm "$H/deepfail.mpb" | awk '/^; insns/ { sub(",", "", $3); print $3 }')
before=$(snapshot)
out=$(MOUNTPLAN_FAULT_STEP=$((n - 2)) MOUNTPLAN_FAULT_ERRNO=5 "$MRUN" apply "$H/deepfail.mpb" --root "$ROOT" 2>&1)
st=$?
check_failed_cleanly "$before" "a failure injected at step $((n - 2)) of $n under the chain"
like "$out" "step $((n - 2)) .*injected" "the error names the injected step"

# a symlink in the chain at depth 1000, 1364 levels up: clamped at the root
mkdir -p "$ROOT/etc"
up=$(printf '../%.0s' $(seq 1 1364))
chain "$ROOT" 1000 "${up%/}/etc"
printf 'version: 1\nmounts:\n  - type: tmpfs\n    target: %s/up/mp-deep-%s\n' "$(path_of 1000)" $$ | plan deepup
outside=$(outside_mounts)
before=$(snapshot)
apply deepup
[ "$st" -eq 0 ] || diag "a 4095-byte ../ link at depth 1000: exit $st: ...$(printf '%s\n' "$out" | head -1 | tail -c 200)"
ok "$([ ! -e "/etc/mp-deep-$$" ]; echo $?)" "nothing created in the host's /etc"
is "$(outside_mounts)" "$outside" "no mount outside the root"
if [ "$st" -eq 0 ]; then
	ok "$(findmnt -rn -M "$ROOT/etc/mp-deep-$$" >/dev/null; echo $?)" "the link stopped at the root: the mount is at the root's /etc"
	"$MRUN" rollback --root "$ROOT" >/dev/null 2>&1
else
	like "$out" "step [0-9]+" "refused with the step named"
fi
is "$(snapshot)" "$before" "afterwards the root is as before"
tap_done
