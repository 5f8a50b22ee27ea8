# rollmat: where one muscle needed holds, session after session.
#
# Date across, position along the muscle up (0 = the start of the stretch
# rolled, 1 = its end), one mark per hold, its area growing with how long
# the hold lasted. A spot held in several sessions is a shaded band across
# the chart; a recurring one (3+ sessions over 14+ days) is shaded red and
# its holds drawn red: a horizontal row of red marks is a spot that keeps
# coming back.
#
# `rollmat history report` runs this with a variables file loaded first
# (history/report.c). It defines:
#   out, term ('png'|'svg'), width, height, title, subtitle
#   data: file of `epoch_s relative_position duration_s in_recurring_spot`
#   t0, t1: the date range (epoch s)
#   n_band; arrays band_lo, band_hi, band_rec (0/1), band_text

if (term eq 'svg') {
    set terminal svg size width,height fixed enhanced font 'DejaVu Sans,12' background rgb 'white'
} else {
    set terminal pngcairo size width,height enhanced font 'DejaVu Sans,12' background rgb 'white'
}
set termoption noenhanced
set encoding utf8
set output out

set title title."\n".subtitle font 'DejaVu Sans,15'
set xdata time
set timefmt '%s'
set format x '%d %b'
set xrange [t0:t1]
set yrange [-0.06:1.06]
set ytics 0, 0.1, 1 format '%.1f'
set ylabel 'position along the muscle'
set grid xtics ytics lc rgb '#e6e6e6'
set border 3 lw 1.2
set tics out nomirror
set key outside bottom center horizontal maxcols 5 samplen 1 width -2 font ',11'

do for [i = 1:n_band] {
    set object i rect from graph 0, first band_lo[i] to graph 1, first band_hi[i] behind \
        fc rgb (band_rec[i] ? '#fbb4ae' : '#e0e0e0') fs solid 0.55 noborder
    set label i band_text[i] at graph 0.005, first band_hi[i] left offset 0, 0.55 \
        tc rgb (band_rec[i] ? '#b2182b' : '#555555') font 'DejaVu Sans,10' front
}

# Mark size: sqrt of the duration, so that a mark's area is the hold's
# length. The key's entries are drawn apart, at their own sizes.
size(d) = 0.55 * sqrt(d)
plot data using 1:($4 == 1 ? $2 : NaN):(size($3)) with points pt 7 ps variable \
        lc rgb '#d7301f' notitle, \
     data using 1:($4 == 1 ? $2 : NaN):(size($3)) with points pt 6 ps variable \
        lc rgb '#67000d' notitle, \
     data using 1:($4 == 0 ? $2 : NaN):(size($3)) with points pt 7 ps variable \
        lc rgb '#6baed6' notitle, \
     data using 1:($4 == 0 ? $2 : NaN):(size($3)) with points pt 6 ps variable \
        lc rgb '#08519c' notitle, \
     NaN with points pt 7 ps 1.8 lc rgb '#d7301f' title 'recurring spot', \
     NaN with points pt 7 ps 1.8 lc rgb '#6baed6' title 'other holds', \
     NaN with points pt 6 ps size(10) lc rgb '#555555' title 'held 10 s', \
     NaN with points pt 6 ps size(30) lc rgb '#555555' title '30 s', \
     NaN with points pt 6 ps size(60) lc rgb '#555555' title '60 s'
