#!/usr/bin/env python3
"""gen-plan.py N [SEED] -- print a mount plan of N mounts for the compile benchmark.

The mounts form a tree that is both deep and wide: mount i > 0 sits under
mount (i - 1) // 4 (a 4-ary tree, depth ~log4 N), and every 500th mount
starts a chain 40 levels deep.  Entries are written in a shuffled (seeded,
so reproducible) order, so the compiler's sort has real reordering to do.
Kinds: tmpfs with data, host binds, read-only binds with mounts under them
(split into bind + later remount), in-root binds whose source lies under
another mount, and some `after:` edges between unrelated entries.
"""
import random
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gen-plan.py N [SEED]")
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 42)
    paths = []
    chain_left = 0
    for i in range(n):
        if i == 0:
            paths.append("/t")
        elif chain_left > 0:
            paths.append(paths[i - 1] + "/c%d" % i)
            chain_left -= 1
        else:
            paths.append(paths[(i - 1) // 4] + "/n%d" % i)
            if i % 500 == 0:
                chain_left = 40
    order = list(range(n))
    rng.shuffle(order)
    out = ["version: 1", "root: /run/bench/rootfs", "mounts:"]
    for i in order:
        kind = i % 7
        out.append("  - id: m%d" % i)
        if kind in (0, 1, 2):
            out.append("    type: tmpfs")
            out.append("    target: %s" % paths[i])
            out.append("    options: [nosuid, nodev, mode=0755, size=%dk]" % (64 + i % 64))
        elif kind == 3:
            out.append("    type: bind")
            out.append("    source: /srv/bench/data/%d" % i)
            out.append("    target: %s" % paths[i])
            out.append("    options: [ro]")
        elif kind == 4:
            out.append("    type: rbind")
            out.append("    source: /srv/bench/host%d" % (i % 100))
            out.append("    target: %s" % paths[i])
        elif kind == 5:
            # The source lies under an earlier mount's target: a source edge.
            src = paths[max(0, i // 3)]
            out.append("    type: bind")
            out.append("    source: ${root}%s/file%d" % (src, i))
            out.append("    target: %s" % paths[i])
        else:
            out.append("    type: tmpfs")
            out.append("    target: %s" % paths[i])
            if i > 10:
                out.append("    after: [m%d]" % rng.randrange(0, i))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
