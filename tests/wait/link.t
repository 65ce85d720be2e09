#!/bin/sh
# link.t — WAIT_LINK for real (runtime/op-wait.c through build/tests/wait-driver):
# in a network namespace this test creates, with veth pairs only (host
# interfaces are never touched), a link brought up 300 ms after the wait
# starts ends the wait after it is up and not before; a link never up times
# out in about the timeout, naming the interface and what was seen last;
# carrier down is not "up" unless no-carrier is asked for.
. "$(dirname "$0")/../lib.sh"

need_root
command -v ip >/dev/null 2>&1 || skip_all "needs iproute2 (ip)"
in_private_ns "$@" # ip netns add bind-mounts the namespace file: keep that mount private

DRIVER=$BUILD/tests/wait-driver
NS=mp-test-$$
TMP=$(mktemp -d /tmp/mp-wait-link.XXXXXX)
BG=

cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null
	ip netns del "$NS" 2>/dev/null # destroys the veth pairs inside it
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ -x "$DRIVER" ] || { echo "1..1"; echo "not ok 1 - $DRIVER is built (run ninja)"; exit 1; }
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"

tap_plan 0

nsip() { ip -n "$NS" "$@"; }
drive() { ip netns exec "$NS" "$DRIVER" "$@"; } # the wait runs inside the test's netns
field() { printf '%s\n' "$1" | sed -n "s/.*$2=\([0-9]*\).*/\1/p"; }

# Bring $1 up after 300 ms; write the time just before and just after to $TMP/up.
up_later() {
	(sleep 0.3; b=$(date +%s%N); nsip link set "$1" up; a=$(date +%s%N); echo "$b $a" >"$TMP/up") &
	BG=$!
}

# 1. Down link, peer up: brought up 300 ms after the wait starts.
nsip link add mpw0 type veth peer name mpw1
nsip link set mpw1 up
rm -f "$TMP/up"
up_later mpw0
out=$(drive link mpw0 5000 2>"$TMP/err"); st=$?
wait "$BG"; BG=
is "$st" 0 "the wait for a link brought up later succeeds"
end=$(field "$out" end_ns); waited=$(field "$out" waited_ms)
read -r before after <"$TMP/up"
ok "$([ "$end" -ge "$before" ]; echo $?)" "the wait ends after the link is brought up, not before (end $end, up at $before..$after)"
ok "$([ "$waited" -ge 250 ]; echo $?)" "the wait took about the 300 ms before the link came up (waited ${waited} ms)"
ok "$([ $((end - after)) -lt 500000000 ]; echo $?)" "the wait ends right after the link is up, woken by the event ($(( (end - after) / 1000000 )) ms later)"
like "$(nsip -o link show mpw0)" "state UP" "the link is really up"

# 2. Already up: no waiting.
out=$(drive link mpw0 5000 2>&1); st=$?
is "$st" 0 "an already-up link passes"
ok "$([ "$(field "$out" waited_ms)" -lt 100 ]; echo $?)" "an already-up link does not wait ($(field "$out" waited_ms) ms)"

# 3. Never up: a timeout in about the timeout, naming the interface and its last state.
nsip link add mpw2 type veth peer name mpw3
out=$(drive link mpw2 500 2>"$TMP/err"); st=$?
is "$st" 3 "a link never brought up times out"
waited=$(field "$out" waited_ms)
ok "$([ "$waited" -ge 500 ] && [ "$waited" -lt 1500 ]; echo $?)" "the timeout takes about 500 ms (${waited} ms)"
like "$(cat "$TMP/err")" "link 'mpw2': not up within the 500 ms timeout: mpw2 is admin-down" \
	"the error names the interface, the timeout and what was seen last"

# 4. Admin-up but no carrier (peer down): not up, unless no-carrier.
nsip link set mpw2 up
out=$(drive link mpw2 300 2>"$TMP/err"); st=$?
is "$st" 3 "admin-up without carrier is not up"
like "$(cat "$TMP/err")" "mpw2 is admin-up but carrier down" "the error says the carrier is down"
out=$(drive link mpw2 300 no-carrier 2>"$TMP/err"); st=$?
is "$st" 0 "with no-carrier, admin-up is enough"

# 5. An interface that does not exist yet appears and comes up.
(sleep 0.3; nsip link add mpw4 type veth peer name mpw5; nsip link set mpw5 up; nsip link set mpw4 up) &
BG=$!
out=$(drive link mpw4 5000 2>"$TMP/err"); st=$?
wait "$BG"; BG=
is "$st" 0 "a link created and brought up during the wait is waited for"
ok "$([ "$(field "$out" waited_ms)" -ge 250 ]; echo $?)" "it waited for the link to appear ($(field "$out" waited_ms) ms)"

out=$(drive link mpw9 200 2>"$TMP/err"); st=$?
is "$st" 3 "a missing link times out"
like "$(cat "$TMP/err")" "mpw9 does not exist" "the error says it does not exist"

tap_done
