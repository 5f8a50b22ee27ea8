# rollmat: the session at a glance, one bar per muscle.
#
# Each bar is a muscle's score (0-100), coloured red to green, labelled with
# the score and how long the muscle was loaded; the dashed line is the
# session's score (the segments weighted by loaded time).
#
# `rollmat plot` runs this with a variables file loaded first (see
# plot/plot_run.c). It defines:
#   out, term ('png'|'svg'), width, height, title, subtitle
#   n_seg (>= 1); arrays seg_label (strings), seg_score (0-100), seg_loaded (s)
#   right_px                       room right of the bars (the session's label), pixels
#   session_score

if (term eq 'svg') {
    set terminal svg size width,height fixed enhanced font 'DejaVu Sans,13' background rgb 'white'
} else {
    set terminal pngcairo size width,height enhanced font 'DejaVu Sans,13' background rgb 'white'
}
set termoption noenhanced
set encoding utf8
set output out

set title title."\n".subtitle font 'DejaVu Sans,16'
set yrange [0:112]
set ytics 0, 20, 100
set xrange [0.4:n_seg + 0.6]
# Fixed room on the right for the session's label, beside the last bar's
# own label rather than over it, and for the last slanted name.
set rmargin at screen 1.0 - right_px * 1.0 / width
set ylabel 'score (0-100)'
set grid ytics lc rgb '#dddddd'
set border 3 lw 1.5
set tics out nomirror
# Long lists of muscles need slanted names to fit.
if (n_seg > 5) { set xtics rotate by -30 left } else { set xtics norotate center }
unset key
set style fill solid 0.9 border lc rgb '#404040'
set boxwidth 0.6

# Red (poor) through amber to green (good) with the score.
set palette defined (0 '#d73027', 50 '#fdae61', 75 '#fee08b', 90 '#a6d96a', 100 '#1a9850')
set cbrange [0:100]
unset colorbox

# The session line passes behind the bars' labels (opaque boxes), never
# through them, and ends in its own label in the right margin.
set style textbox opaque noborder fillcolor rgb 'white' margins 2, 1
set arrow 1 from 0.4, session_score to n_seg + 0.6, session_score nohead dt 2 lw 2 \
    lc rgb '#252525' back
set label 1 sprintf('session %d', session_score) at graph 1, first session_score \
    left offset 0.8, 0 front font 'DejaVu Sans Bold,12'

plot seg_score using 1:2:2:xtic(seg_label[$1]) with boxes lc palette, \
     seg_score using 1:2:(sprintf("%d\n%.0f s loaded", seg_score[$1], seg_loaded[$1])) \
        with labels boxed offset 0, 1.6 font 'DejaVu Sans,12'
