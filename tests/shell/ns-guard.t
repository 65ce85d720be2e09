#!/bin/sh
# ns-guard.t — the guard every mounting test runs under (tests/ns-guard.sh):
# inside the test's private namespace the host's files are read-only, so
# even a bind of a host directory under a temporary root cannot be deleted
# through; the tree, /tmp and /run stay writable.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
tap_plan 5
touch /etc/mountplan-ns-guard-probe 2>/dev/null
ok $((! $?)) "host /etc is read-only inside the test namespace"
d=$(mktemp -d)
ok $? "mktemp -d works on the private /tmp"
[ -w "$TOP/build" ]
ok $? "the project tree stays writable"
mount --bind /etc "$d" && rm -f "$d/hostname" 2>/dev/null
[ -e /etc/hostname ]
ok $? "rm through a bind of /etc under a temporary directory deletes nothing"
umount "$d"
like "$(awk '$5 == "/tmp" { for (i = 7; i <= NF; i++) if ($i == "-") print $(i + 1) }' /proc/self/mountinfo | tail -1)" '^tmpfs$' "/tmp is a private tmpfs"
tap_done
