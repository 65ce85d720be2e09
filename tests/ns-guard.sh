#!/bin/sh
# ns-guard.sh SCRIPT ARGS... — run inside the fresh private mount namespace
# that in_private_ns (lib.sh) made, before the test itself.
#
# A private mount namespace keeps a test's MOUNTS off the host, but not its
# writes: a bind of a host directory left under a temporary root makes a
# later `rm -rf` of that root delete host files (this emptied the machine's
# /etc once).  So, in this namespace only:
#   - the project tree stays writable (bind-mounted onto itself),
#   - /tmp and /run are fresh tmpfs (temporary roots, journals, locks),
#   - every other host path is read-only: "/" is remounted MS_RDONLY per
#     mount, so a stray bind of /etc is read-only too and nothing can
#     delete through it.
# Mounts made afterwards by the test (on /srv, /tmp, ...) are the test's own.
set -e
script=$1
shift
top=$TOP
case $script in /*) ;; *) script=$PWD/$script ;; esac
case $top in
/tmp | /tmp/* | /run | /run/*)
	# the tree would vanish under the new tmpfs: park a bind of it, then move it back
	park=/media
	[ -d "$park" ] || park=/mnt
	mount --bind "$top" "$park"
	mount -t tmpfs -o mode=1777 mountplan-test-tmp /tmp
	mount -t tmpfs -o mode=0755 mountplan-test-run /run
	mkdir -p "$top"
	mount --move "$park" "$top"
	;;
*)
	mount --bind "$top" "$top"
	mount -t tmpfs -o mode=1777 mountplan-test-tmp /tmp
	mount -t tmpfs -o mode=0755 mountplan-test-run /run
	;;
esac
mount -o remount,bind,ro /
cd "$top"
exec "$script" "$@"
