# rollmat: sessions per week against the guidance to roll "each week;
# consistency is key" (seed 000): a week without a bar is a week missed.
#
# `rollmat history report` runs this with a variables file loaded first
# (history/report.c). It defines:
#   out, term ('png'|'svg'), width, height, title, subtitle
#   data: file of `index sessions "label"` (label: the week's Monday)
#   n_weeks; top: the top of the count axis

if (term eq 'svg') {
    set terminal svg size width,height fixed enhanced font 'DejaVu Sans,12' background rgb 'white'
} else {
    set terminal pngcairo size width,height enhanced font 'DejaVu Sans,12' background rgb 'white'
}
set termoption noenhanced
set encoding utf8
set output out

set title title."\n".subtitle font 'DejaVu Sans,15'
set xrange [-0.6:n_weeks - 0.4]
set xlabel 'week (starting Monday, UTC)'
if (n_weeks > 12) { set xtics rotate by -45 left } else { set xtics norotate center }
set yrange [0:top]
set ytics 1
set ylabel 'sessions'
set grid ytics lc rgb '#e6e6e6'
set border 3 lw 1.2
set tics out nomirror
unset key
set boxwidth 0.7
set style fill solid 0.85 noborder
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb '#1a9850' front
set rmargin 12
set label 1 'each week' at graph 1, first 1 left offset 0.8, 0 tc rgb '#1a9850' font ',10'
plot data using 1:2:($2 > 0 ? 0x4575b4 : 0xd73027):xtic(3) with boxes lc rgb variable, \
     data using 1:2:(sprintf('%d', $2)) with labels offset 0, 0.7 font ',10'
