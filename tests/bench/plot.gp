# plot.gp — time per mount against N for every contender (log–log), from
# the data summarize.awk writes: one index block per series, its title on
# the block's first line.  run-bench.sh calls
#   gnuplot -e "datafile='build/bench/plot.dat'; outfile='tests/bench/results.svg'" tests/bench/plot.gp
# The mixed workload's data, in datafile.'.mixed', is the lower plot when
# it exists.

set terminal svg size 1100,1100 dynamic enhanced font 'sans,11' background rgb 'white'
set output outfile
set logscale xy
set xlabel 'N (mounts in the plan)'
set ylabel 'µs per mount (median, whole command)'
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top vertical font ',10' noenhanced
set xrange [7:1500]
set style data linespoints

mixed = datafile.'.mixed'
has_mixed = system('test -s '.mixed.' && echo 1 || echo 0') + 0
nblocks(f) = system('grep -c "^\"" '.f) + 0
# Dash type per block (summarize.awk: dashed = unmounts and rollbacks) and
# 16 colours, so no two series of one plot look alike.
dts(f) = system('cat '.f.'.dt 2>/dev/null')
colors = '#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf #000000 #aec7e8 #98df8a #ff9896 #c5b0d5 #c49c94'
dt_bind = dts(datafile)
dt_mixed = dts(mixed)
dtof(s, i) = words(s) > i ? int(word(s, i + 1)) : 1

if (has_mixed) set multiplot layout 2,1
set title 'bind mounts'
plot for [i=0:nblocks(datafile)-1] datafile index i using 1:2 title columnheader(1) lw 2 pt (i%13+1) ps 0.8 lc rgb word(colors, i%16+1) dashtype dtof(dt_bind, i)
if (has_mixed) {
	set title 'mixed plan (tmpfs, ro binds, binds, overlay, idmapped bind)'
	plot for [i=0:nblocks(mixed)-1] mixed index i using 1:2 title columnheader(1) lw 2 pt (i%13+1) ps 0.8 lc rgb word(colors, i%16+1) dashtype dtof(dt_mixed, i)
	unset multiplot
}
