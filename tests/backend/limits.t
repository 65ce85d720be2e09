#!/bin/sh
# limits.t — back-end checks reach the user through mplan: classic mount(2)
# data over one page after expansion is E501 at the entry; the same data
# through fsconfig (one parameter per word) is fine.
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

long=$(head -c 2100 /dev/zero | tr '\0' x)
tap_plan 0
cat >"$tmp/data.yaml" <<PLAN
version: 1
mounts:
  - type: zfs
    source: /dev/zvol/tank
    target: /tank
    options: [a=$long, b=$long]
PLAN
out=$("$MPLAN" compile "$tmp/data.yaml" -o "$tmp/data.mpb" 2>&1)
is "$?" 1 "mount(2) data over one page does not compile"
like "$out" "data.yaml:3:5: error\[E501\]: mount data for '/tank' is 4206 bytes after expansion" "E501 at the entry, with the size"

sed 's/type: zfs/type: tmpfs/; /source:/d; s/a=/huge=/; s/b=/nr_inodes=/' "$tmp/data.yaml" >"$tmp/fs.yaml"
out=$("$MPLAN" compile "$tmp/fs.yaml" -o "$tmp/fs.mpb" 2>&1)
st=$?
# The front end may refuse these as tmpfs values; what matters is that E501 is not the reason.
case $out in *E501*) ok 1 "fsconfig data has no one-page limit"; echo "$out" | sed 's/^/#   /' ;; *) ok 0 "fsconfig data has no one-page limit (status $st)" ;; esac
tap_done
