# summarize.awk — raw benchtime samples to the markdown results table and
# the plot data (POSIX awk: Debian's mawk runs it).
#
# Input (tab-separated, run-bench.sh prefixes benchtime's lines):
#   workload N round contender step ns maxrss_kb inner_ns status
# Output: the table on stdout; plot data in plotfile (bind workload) and
# plotfile ".mixed", one gnuplot index block per series: a title line,
# then "N µs-per-mount" lines; beside each, FILE.dt: the dash type of
# every block (2 for unmounts and rollbacks, 1 for the rest).
#
# Derived per round: bwrap.net = bwrap.full - bwrap.empty; "inner" series
# from the floor's own clock.  Ratios: per round, against floor.apply (apply
# rows) or floor.umount-each (unmount and rollback rows) of the same
# workload, N and round; the table shows the median of those ratios.

function sort_vals(a, n,    i, j, v) { # insertion sort, n is small
	for (i = 2; i <= n; i++) {
		v = a[i]
		for (j = i - 1; j >= 1 && a[j] > v; j--)
			a[j + 1] = a[j]
		a[j + 1] = v
	}
}

function median(a, n) {
	sort_vals(a, n)
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

# Median over rounds of the per-round ratio a/b (workload w, N n); "" if
# no round has both.
function ratio_med(w, n, a, b,    r, q, c, ka, kb) {
	ka = w SUBSEP n SUBSEP a; kb = w SUBSEP n SUBSEP b; q = 0; split("", c)
	for (r = 0; r <= maxround; r++)
		if ((ka, r) in val && (kb, r) in val && val[kb, r] > 0)
			c[++q] = val[ka, r] / val[kb, r]
	return q ? median(c, q) : ""
}

# Median over rounds of the per-round difference a - b, in ms.
function diff_med(w, n, a, b,    r, q, c, ka, kb) {
	ka = w SUBSEP n SUBSEP a; kb = w SUBSEP n SUBSEP b; q = 0; split("", c)
	for (r = 0; r <= maxround; r++)
		if ((ka, r) in val && (kb, r) in val)
			c[++q] = (val[ka, r] - val[kb, r]) / 1e6
	return q ? median(c, q) : ""
}

# Median of one series in ms; "" if it has no sample.
function series_med(w, n, a,    r, q, c, k) {
	k = w SUBSEP n SUBSEP a; q = 0; split("", c)
	for (r = 0; r <= maxround; r++)
		if ((k, r) in val)
			c[++q] = val[k, r] / 1e6
	return q ? median(c, q) : ""
}

# A row of the shares table: series a, or a - b per round.
function share(what, w, n, a, b,    x) {
	x = b == "" ? series_med(w, n, a) : diff_med(w, n, a, b)
	if (x == "")
		printf "| %s | not measured |\n", what
	else
		printf "| %s | %.3f |\n", what, x
}

function target(what, w, n, a, b, op, goal,    x, y, met) {
	x = ratio_med(w, n, a, b)
	y = ratio_med("cpu" SUBSEP w, n, a, b)
	y = y == "" ? "–" : sprintf("%.2f×", y)
	if (x == "") {
		printf "| %s | not measured | %s | – |\n", what, y
		return
	}
	met = op == "<=" ? x <= goal : x >= goal
	printf "| %s | %.2f× | %s | %s |\n", what, x, y, met ? "met" : "**not met**"
}

function add(key, round, value) {
	val[key, round] = value
	if (!((key, round) in seen_round)) {
		seen_round[key, round] = 1
		cnt[key]++
	}
	if (round > maxround)
		maxround = round
}

BEGIN {
	# Rows in table order: series key, label, ratio reference step.
	nrow = split("floor.apply floor.apply.inner floor.umount-each floor.umount-each.inner floor-lazy.umount-lazy floor-lazy.umount-lazy.inner floor-lazypath.umount-lazypath floor-lazypath.umount-lazypath.inner floor-parent.umount-parent floor-parent.umount-parent.inner mrun.apply mrun-tmpfsjournal.apply mrun-nojournal.apply mrun.rollback mrun-tmpfsjournal.rollback mrun-dryrun.load-verify mrun-exec.exec mount-a.apply mount-loop.apply mount-loop.rollback bwrap.net bwrap.empty true.exec", rows, " ")
	label["floor.apply"] = "floor: apply"
	label["floor.apply.inner"] = "floor: apply, in-process"
	label["floor.umount-each"] = "floor: umount2 each"
	label["floor.umount-each.inner"] = "floor: umount2 each, in-process"
	label["floor-lazy.umount-lazy"] = "floor: umount2 MNT_DETACH each, through the fd"
	label["floor-lazy.umount-lazy.inner"] = "floor: MNT_DETACH each through the fd, in-process"
	label["floor-lazypath.umount-lazypath"] = "floor: umount2 MNT_DETACH each, by path"
	label["floor-lazypath.umount-lazypath.inner"] = "floor: MNT_DETACH each by path, in-process"
	label["floor-parent.umount-parent"] = "floor: one umount2 MNT_DETACH of the parent"
	label["floor-parent.umount-parent.inner"] = "floor: one MNT_DETACH of the parent, in-process"
	label["mrun.apply"] = "mrun apply (default settings)"
	label["mrun-tmpfsjournal.apply"] = "mrun apply --journal (new db on tmpfs)"
	label["mrun-nojournal.apply"] = "mrun apply --journal off (comparison only)"
	label["mrun.rollback"] = "mrun rollback (default settings)"
	label["mrun-tmpfsjournal.rollback"] = "mrun rollback --journal (tmpfs db)"
	label["mrun-dryrun.load-verify"] = "mrun apply --dry-run (load, verify, resolve and print every step)"
	label["mrun-exec.exec"] = "mrun --help (start-up: exec, dynamic linking, exit)"
	label["mount-a.apply"] = "mount -a -T fstab"
	label["mount-loop.apply"] = "mount --bind, N times"
	label["mount-loop.rollback"] = "umount, N times"
	label["bwrap.net"] = "bwrap --bind x N (full - empty)"
	label["bwrap.empty"] = "bwrap --bind / / true (empty)"
	label["true.exec"] = "exec /bin/true (start-up cost)"
	maxround = 0
}

{
	w = $1; n = $2; r = $3; key = w SUBSEP n SUBSEP $4 "." $5
	if (!(w SUBSEP n in wn)) {
		wn[w SUBSEP n] = 1
		order[++nwn] = w SUBSEP n
	}
	if ($9 != "ok") {
		failed[key]++
		next
	}
	add(key, r, $6 + 0)
	if (NF >= 10 && $10 != "-")
		add("cpu" SUBSEP key, r, $10 + 0)
	if ($7 != "-" && $7 + 0 > rss[key])
		rss[key] = $7 + 0
	if ($8 != "-")
		add(key ".inner", r, $8 + 0)
}

END {
	# bwrap.net per round
	for (i = 1; i <= nwn; i++) {
		split(order[i], p, SUBSEP)
		f = p[1] SUBSEP p[2] SUBSEP "bwrap.full"
		e = p[1] SUBSEP p[2] SUBSEP "bwrap.empty"
		for (r = 0; r <= maxround; r++)
			if ((f, r) in val && (e, r) in val)
				add(p[1] SUBSEP p[2] SUBSEP "bwrap.net", r, val[f, r] - val[e, r])
		for (r = 0; r <= maxround; r++)
			if (("cpu" SUBSEP f, r) in val && ("cpu" SUBSEP e, r) in val)
				add("cpu" SUBSEP p[1] SUBSEP p[2] SUBSEP "bwrap.net", r, val["cpu" SUBSEP f, r] - val["cpu" SUBSEP e, r])
		if (failed[f])
			failed[p[1] SUBSEP p[2] SUBSEP "bwrap.net"] = failed[f]
		rss[p[1] SUBSEP p[2] SUBSEP "bwrap.net"] = rss[f]
	}

	print "| workload | N | contender | median ms | min–max ms | µs / mount | × floor | CPU ms | CPU × floor | peak RSS KiB |"
	print "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= nwn; i++) {
		split(order[i], p, SUBSEP)
		w = p[1]; n = p[2]
		for (k = 1; k <= nrow; k++) {
			s = rows[k]; key = w SUBSEP n SUBSEP s
			if (!(key in cnt) && !(key in failed))
				continue
			m = 0; split("", a)
			for (r = 0; r <= maxround; r++)
				if ((key, r) in val)
					a[++m] = val[key, r]
			if (m == 0) {
				printf "| %s | %d | %s | failed (%d runs) | | | | | | |\n", w, n, label[s], failed[key]
				continue
			}
			med = median(a, m)
			lo = a[1]; hi = a[m]
			# ratio against the floor of the same round
			base = s ~ /umount|rollback/ ? "floor.umount-each" : "floor.apply"
			if (s ~ /\.inner$/)
				base = base ".inner"
			rkey = w SUBSEP n SUBSEP base
			q = 0; split("", b)
			for (r = 0; r <= maxround; r++)
				if ((key, r) in val && (rkey, r) in val && val[rkey, r] > 0)
					b[++q] = val[key, r] / val[rkey, r]
			ratio = q ? sprintf("%.2f", median(b, q)) : "–"
			if (key == rkey)
				ratio = "1"
			note = failed[key] ? sprintf(" (%d failed)", failed[key]) : ""
			rs = (key in rss) && s !~ /\.inner$/ ? rss[key] : ""
			per = s ~ /\.exec$/ || s == "bwrap.empty" || s == "mrun-dryrun.load-verify" ? "" : sprintf("%.2f", med / 1000 / n)
			# CPU time (user + sys) of the same runs, and its ratio
			cmed = ""; q = 0; split("", b)
			for (r = 0; r <= maxround; r++)
				if (("cpu" SUBSEP key, r) in val)
					b[++q] = val["cpu" SUBSEP key, r]
			if (q)
				cmed = sprintf("%.3f", median(b, q) / 1e6)
			q = 0; split("", b)
			for (r = 0; r <= maxround; r++)
				if (("cpu" SUBSEP key, r) in val && ("cpu" SUBSEP rkey, r) in val && val["cpu" SUBSEP rkey, r] > 0)
					b[++q] = val["cpu" SUBSEP key, r] / val["cpu" SUBSEP rkey, r]
			cratio = q ? sprintf("%.2f", median(b, q)) : ""
			printf "| %s | %d | %s%s | %.3f | %.3f–%.3f | %s | %s | %s | %s | %s |\n", w, n, label[s], note, med / 1e6, lo / 1e6, hi / 1e6, per, ratio, cmed, cratio, rs
			if (per != "" && s !~ /\.inner$/) {
				pk = w SUBSEP s
				if (!(pk in plotted)) {
					plotted[pk] = 1
					plist[w] = plist[w] " " s
				}
				pts[pk] = pts[pk] sprintf("%d %.4f\n", n, med / 1000 / n)
			}
		}
	}
	for (w in plist) {
		out = w == "bind" ? plotfile : plotfile "." w
		printf "" >out
		dts = ""
		c = split(plist[w], sl, " ")
		for (k = 1; k <= c; k++) {
			printf "\"%s\"\n%s\n\n", label[sl[k]], pts[w SUBSEP sl[k]] >out
			# dashed: unmounts and rollbacks; solid: everything that mounts
			dts = dts (sl[k] ~ /umount|rollback/ ? " 2" : " 1")
		}
		close(out)
		print dts >(out ".dt")
		close(out ".dt")
	}

	# The targets of issue 8, at the largest N of the bind workload.
	tn = 0
	for (i = 1; i <= nwn; i++) {
		split(order[i], p, SUBSEP)
		if (p[1] == "bind" && p[2] + 0 > tn)
			tn = p[2] + 0
	}
	if (tn > 0) {
		printf "\nTargets at N = %d bind mounts (median of per-round ratios):\n\n", tn
		print "| target | measured (wall) | CPU time, for comparison | on wall time |"
		print "|---|---:|---:|---|"
		target("mrun apply (default settings) ≤ 1.25× the floor", "bind", tn, "mrun.apply", "floor.apply", "<=", 1.25)
		target("mrun apply ≥ 5× faster than mount -a -T", "bind", tn, "mount-a.apply", "mrun.apply", ">=", 5)
		target("mrun apply ≥ 100× faster than the mount --bind loop", "bind", tn, "mount-loop.apply", "mrun.apply", ">=", 100)
		target("mrun apply ≥ 100× faster than bubblewrap (full − empty)", "bind", tn, "bwrap.net", "mrun.apply", ">=", 100)
		target("mrun rollback ≤ 1.25× the floor's umount2 each", "bind", tn, "mrun.rollback", "floor.umount-each", "<=", 1.25)
		target("(for comparison) mrun rollback ≤ 1.25× the floor's MNT_DETACH each through the fd", "bind", tn, "mrun.rollback", "floor-lazy.umount-lazy", "<=", 1.25)
		target("(for reference) floor MNT_DETACH of the parent / floor umount2 each", "bind", tn, "floor-parent.umount-parent", "floor.umount-each", "<=", 1)
		printf "\nWhere the time of `mrun apply` goes at N = %d (medians of per-round differences, ms):\n\n", tn
		print "| part | ms |"
		print "|---|---:|"
		share("process start-up (`mrun --help`)", "bind", tn, "mrun-exec.exec", "")
		share("the floor's syscalls in-process", "bind", tn, "floor.apply.inner", "")
		share("mrun apply --journal off − floor apply (load, verify, MKPOINT, interpreter)", "bind", tn, "mrun-nojournal.apply", "floor.apply")
		share("journal: mrun apply (default) − mrun apply --journal off", "bind", tn, "mrun.apply", "mrun-nojournal.apply")
		share("rollback: mrun rollback − floor umount2 each", "bind", tn, "mrun.rollback", "floor.umount-each")
	}
}
