# charts.gp: one clustered bar chart. Variables: data, out, title_text, ylabel_text, logscale,
# envs (the data's columns after the label, space-separated), colors (one per env).
set terminal pngcairo size 1200,560 font "DejaVu Sans,10" noenhanced
set output out
set title title_text
set ylabel ylabel_text
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set datafile missing "-"
set datafile separator "\t"
set key top left
set grid ytics
set xtics rotate by -35 left
set bmargin 9
set rmargin 14
if (logscale) set logscale y; set yrange [0.1:*]
if (!logscale) set yrange [0:*]
n = words(envs)
plot for [i = 1:n] data using (column(i + 1)):xtic(1) title word(envs, i) lc rgb word(colors, i)
