# rollmat: one muscle over the weeks: its median rolling speed (top; the
# guidance "roll slowly" is at or below the dashed line) and its score
# (bottom, 0-100), one point per session.
#
# `rollmat history report` runs this with a variables file loaded first
# (history/report.c). It defines:
#   out, term ('png'|'svg'), width, height, title, subtitle
#   data: file of `epoch_s speed_median_mm_s score`
#   t0, t1: the date range (epoch s); slow_max: the slow-rolling limit, mm/s
#   speed_top: the top of the speed axis

if (term eq 'svg') {
    set terminal svg size width,height fixed enhanced font 'DejaVu Sans,12' background rgb 'white'
} else {
    set terminal pngcairo size width,height enhanced font 'DejaVu Sans,12' background rgb 'white'
}
set termoption noenhanced
set encoding utf8
set output out

set multiplot layout 2, 1 title title."\n".subtitle font 'DejaVu Sans,15'
set xdata time
set timefmt '%s'
set format x '%d %b'
set xrange [t0:t1]
set grid xtics ytics lc rgb '#e6e6e6'
set border 3 lw 1.2
set tics out nomirror
unset key
set lmargin 10
set rmargin 14

set ylabel 'median speed (mm/s)'
set yrange [0:speed_top]
set format x ''
set arrow 1 from graph 0, first slow_max to graph 1, first slow_max nohead dt 2 lw 1.5 \
    lc rgb '#1a9850' back
set label 1 sprintf('slow: %g mm/s', slow_max) at graph 1, first slow_max left offset 0.6, 0 \
    tc rgb '#1a9850' font ',10'
plot data using 1:2 with linespoints pt 7 ps 0.9 lw 1.5 lc rgb '#2166ac'

unset arrow 1
unset label 1
set format x '%d %b'
set xlabel 'session date (UTC)'
set ylabel 'score (0-100)'
set yrange [0:105]
set ytics 0, 20, 100
set palette defined (0 '#d73027', 50 '#fdae61', 75 '#fee08b', 90 '#a6d96a', 100 '#1a9850')
set cbrange [0:100]
unset colorbox
plot data using 1:3 with lines lw 1 lc rgb '#bbbbbb', \
     data using 1:3:3 with points pt 7 ps 1.1 lc palette
unset multiplot
