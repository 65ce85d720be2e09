#!/bin/sh
# fstab.t — `mplan import-fstab` against fstab files in the styles of
# Debian, Ubuntu and Fedora installers (fixtures/*.fstab): the plan text is
# compared with a golden file (fixtures/NAME.plan) and must pass
# `mplan check`; a file with bad lines fails with one error per bad line,
# each naming FILE:LINE and what is wrong (fixtures/NAME.err).
# MOUNTPLAN_REGEN=1 rewrites the golden files instead of comparing.
. "$(dirname "$0")/../lib.sh"
FIX=$TOP/tests/import/fixtures
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

tap_plan 0
cd "$FIX" || exit 1

golden() { # golden GOT_FILE WANT_FILE DESC
	if [ "${MOUNTPLAN_REGEN:-}" = 1 ]; then cp "$1" "$2"; fi
	if cmp -s "$1" "$2"; then ok 0 "$3"; else
		ok 1 "$3"; diff -u "$2" "$1" | head -40 | sed 's/^/#   /'
	fi
}

for f in *.fstab; do
	name=${f%.fstab}
	if [ -f "$name.fstab.err" ]; then
		"$MPLAN" import-fstab "$f" >"$tmp/out" 2>"$tmp/err"; st=$?
		is "$st" 1 "$f: import fails with exit status 1"
		is "$(wc -c <"$tmp/out" | tr -d ' ')" 0 "$f: nothing on stdout when the input has errors"
		golden "$tmp/err" "$name.fstab.err" "$f: every bad line reported with FILE:LINE"
		continue
	fi
	"$MPLAN" import-fstab "$f" >"$tmp/$name.yaml" 2>"$tmp/err"; st=$?
	is "$st" 0 "$f: import succeeds"
	golden "$tmp/$name.yaml" "$name.fstab.plan" "$f: plan matches the golden file"
	out=$("$MPLAN" check "$tmp/$name.yaml" 2>&1); st=$?
	is "$st" 0 "$f: the imported plan passes mplan check"
	case $out in *error*) ok 1 "$f: mplan check reports no error"; diag "$out" ;; *) ok 0 "$f: mplan check reports no error" ;; esac
done

# Nothing fstab-only may reach the kernel: no such word is left in options.
opts=$(grep -h '^    options:' "$tmp"/*.yaml)
like "$opts" '.' "the imported plans have options at all"
if printf '%s\n' "$opts" | grep -Eq '(^|[[, ])(defaults|auto|noauto|user|users|nouser|nofail|_netdev|loop|comment=[^],]*|x-[^],]*|X-[^],]*)([],]|$)'; then
	ok 1 "no fstab-only word is left in any options list"
	printf '%s\n' "$opts" | sed 's/^/#   /'
else
	ok 0 "no fstab-only word is left in any options list"
fi

# Translations the plan language has keys for.
plan=$(cat "$tmp/debian.yaml")
like "$plan" 'source: /dev/disk/by-uuid/5f1c9a3e-2b7d-4c1e-9f0a-8d3b6e2a7c41' "UUID= becomes the by-uuid link"
like "$plan" 'requires: \{device: /dev/disk/by-label/backup, timeout: 5s\}' "LABEL= waits for its device, x-systemd.device-timeout gives the timeout"
like "$plan" 'source: "/dev/disk/by-label/My\\\\x20Photos"' "a label with a space is udev-encoded"
like "$plan" 'requires: \{link: enp3s0\}' "x-systemd.requires on a net device unit waits for that link"
like "$plan" 'names no interface' "_netdev without an interface explains why there is no requires"
like "$plan" 'loop: \{offset: 1048576\}' "loop with offset= becomes loop: {offset}"
like "$plan" 'idmap: \{uid: "1000:0:1", gid: "1000:0:1"\}' "X-mount.idmap becomes idmap"
like "$plan" 'skipped: swap space' "the swap line is kept as a comment"
like "$plan" 'skipped: noauto' "a noauto line is kept as a comment"
like "$plan" '# / was on /dev/nvme0n1p2 during installation' "fstab comments are kept"
like "$plan" 'type: rbind' "rbind becomes the rbind type"

# Usage errors exit 2.
"$MPLAN" import-fstab >/dev/null 2>&1; is "$?" 2 "a missing operand is a usage error"
"$MPLAN" import-fstab --bogus x >/dev/null 2>&1; is "$?" 2 "an unknown option is a usage error"
"$MPLAN" import-fstab /nonexistent/fstab >/dev/null 2>"$tmp/err"; is "$?" 1 "an unreadable file exits 1"
like "$(cat "$tmp/err")" '/nonexistent/fstab' "and names the file"
printf 'tmpfs /t tmpfs size=1m 0 0\n' | "$MPLAN" import-fstab - >"$tmp/stdin.yaml"; is "$?" 0 "'-' reads stdin"
like "$(cat "$tmp/stdin.yaml")" 'target: /t' "the plan from stdin has the entry"
tap_done
