#!/bin/sh
# cli.t — the built programs run, answer --help, and refuse bad usage with
# exit status 2 and a message naming the problem.
. "$(dirname "$0")/../lib.sh"

tap_plan 0
for prog in "$MPLAN" "$MRUN"; do
	name=$(basename "$prog")
	out=$("$prog" --help 2>&1); st=$?
	is "$st" 0 "$name --help exits 0"
	like "$out" "usage: $name" "$name --help prints its usage"
	out=$("$prog" no-such-command 2>&1); st=$?
	is "$st" 2 "$name with an unknown command exits 2"
	like "$out" "no-such-command" "$name names the unknown command"
done
tap_done
