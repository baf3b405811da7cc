# chart.gp: REACHED probes per class and environment (gnuplot -e "data='...'; out='...'; ncols=N").
set terminal pngcairo size 900,480 font ",10"
set output out
set datafile separator "\t"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top right autotitle columnhead
set ylabel "probes REACHED (fewer is better)"
set title "Security battery: probes REACHED per class"
set yrange [0:*]
set offsets 0, 0, 2, 0
set grid ytics
# ncols: the number of environments (the columns after the class; the header row names them).
plot for [i=2:ncols + 1] data using i:xtic(1)
