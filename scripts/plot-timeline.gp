# rollmat: how one muscle was rolled, over time.
#
# Top: a kymograph. Time runs to the right, the roll axis upward, and each
# line of the mat across the roll axis (a row, or a column for a mat laid
# sideways) is coloured by the load it carried (the pressure summed along
# the line times the sensel area), so the roller's contact is a band tracing
# where it was: sloped while rolling, flat while it stood. A ball's picture
# shows its row position; a segment with no rolling says it was not judged.
# Pauses and holds are shaded, with their durations; the times another
# contact (a hand, a knee) was down are hatched purple: the force and the
# band may look odd there, and the analysis did not count it. Bottom: the
# roll speed with the profile's slow and fast thresholds.
#
# `rollmat plot` runs this with a variables file loaded first (see
# plot/plot_run.c). It defines:
#   out, term ('png'|'svg'), width, height, title, subtitle
#   axis                             'rows', 'cols' (a roller), '2d' (a ball), 'none'
#   lines, pitch_line                the kymograph's lines along the roll axis and their
#                                    pitch (mm): rows, or columns for axis 'cols'
#   t0, t1                           the segment (s on the recording clock)
#   ntime, bin_s                     time bins of the kymograph and their width (s)
#   kymo_file                        float32 [lines][ntime], native endian
#   kymo_unit                        'N' or 'counts'
#   kymo_max                         colour-bar top (> 0)
#   speed_file                       float32 records (t, speed mm/s); NaN = not loaded
#   speed_slow, speed_fast           the profile's thresholds (mm/s)
#   speed_max                        top of the speed axis (mm/s)
#   n_pauses; arrays pause_t0, pause_t1, pause_pos (mm), pause_dur (s), pause_hold (1/0)
#   n_marks; arrays mark_t (s), mark_text: the user's `mark` events in the segment
#   n_other; arrays other_t0, other_t1 (s): other contacts down (not judged)

if (term eq 'svg') {
    set terminal svg size width,height fixed enhanced font 'DejaVu Sans,13' background rgb 'white'
} else {
    set terminal pngcairo size width,height enhanced font 'DejaVu Sans,13' background rgb 'white'
}
set termoption noenhanced
set encoding utf8
set output out

# Same palette as the heatmap: white is no load, dark red the most.
set palette defined (0 '#ffffff', 0.03 '#ffffcc', 0.15 '#ffeda0', 0.28 '#fed976', \
    0.41 '#feb24c', 0.54 '#fd8d3c', 0.67 '#fc4e2a', 0.80 '#e31a1c', 0.90 '#bd0026', 1 '#800026')
set palette maxcolors 0

hold_colour = '#2166ac'
pause_colour = '#9e9e9e'
other_colour = '#7b3294'
y_lo = -pitch_line / 2.0
y_hi = (lines - 0.5) * pitch_line
# The other contacts' times: hatched, bordered in purple, over the kymograph
# and behind the speed.
other_key = n_other > 0 ? ", NaN with boxes fs transparent pattern 4 border lc rgb other_colour " \
    . "fc rgb other_colour title 'other contact', keyentry with lines lt nodraw " \
    . "title '(not judged)'" : ''


# Both panels share the same left and right edges so that time lines up.
l_margin = 0.08
r_margin = 0.87

set multiplot title title."\n".subtitle font 'DejaVu Sans,16'

# ---- kymograph --------------------------------------------------------
set lmargin at screen l_margin
set rmargin at screen r_margin
set tmargin at screen 0.88
set bmargin at screen 0.40
set xrange [t0:t1] noextend
set yrange [y_lo:y_hi] noextend
set format x ''
unset xlabel
set ylabel axis eq 'cols' ? 'roll position along the columns (mm)' : \
    (axis eq 'rows' ? 'roll position (mm)' : 'row position (mm)')
set tics out nomirror
set mytics 2
set border lw 1.5
set cbrange [0:kymo_max]
set cblabel sprintf('load on the %s (%s)', axis eq 'cols' ? 'column' : 'row', kymo_unit)
set colorbox vertical user origin screen r_margin + 0.015, screen 0.40 size screen 0.02, screen 0.48
if (axis eq 'cols') {
    set title 'where the roller was, rolling along the columns (colour: load on each column)'
} else {
    if (axis eq 'rows') {
        set title 'where the roller was (colour: load on each row of the mat)'
    } else {
        if (axis eq '2d') {
            set title 'where the ball was along the rows (it rolls in 2-D; colour: load on each row)'
        } else {
            set title 'load on each row of the mat: no rolling, not judged'
        }
    }
}
do for [i=1:n_other] {
    set object 300 + i rect from other_t0[i], y_lo to other_t1[i], y_hi front \
        fc rgb other_colour fs transparent pattern 4 border lc rgb other_colour lw 1
    set label 300 + i 'other contact' at (other_t0[i] + other_t1[i]) / 2, y_lo center \
        offset 0, 2.2 front textcolor rgb other_colour font 'DejaVu Sans Bold,11'
}
do for [i=1:n_pauses] {
    c = pause_hold[i] ? hold_colour : pause_colour
    set object i rect from pause_t0[i], y_lo to pause_t1[i], y_hi front \
        fc rgb c fs transparent solid 0.10 noborder
    set object 100 + i rect from pause_t0[i], y_lo to pause_t1[i], y_hi front \
        fc rgb c fs empty border lc rgb c dt 2 lw 1
    if (pause_hold[i]) {
        set label i sprintf('hold %.0f s', pause_dur[i]) at (pause_t0[i] + pause_t1[i]) / 2, y_hi \
            center offset 0, -1 front textcolor rgb hold_colour font 'DejaVu Sans Bold,12'
    }
}
# The user's marks ("felt tight"): a dotted line and the note, at the bottom
# of the kymograph where the band rarely is.
do for [i=1:n_marks] {
    set arrow 200 + i from mark_t[i], y_lo to mark_t[i], y_hi nohead front \
        lc rgb '#6a3d9a' dt 3 lw 1.5
    set label 200 + i '✎ '.mark_text[i] at mark_t[i], y_lo left offset 0.4, 0.8 front \
        textcolor rgb '#6a3d9a' font 'DejaVu Sans,11'
}
plot kymo_file binary array=(ntime,lines) format='%float' \
    dx=bin_s dy=pitch_line origin=(t0 + bin_s / 2.0, 0) with image notitle

# ---- speed ------------------------------------------------------------
unset object
unset label
unset arrow
unset title
set tmargin at screen 0.36
set bmargin at screen 0.08
set format x '%g'
set xlabel 'time (s)'
set ylabel 'roll speed (mm/s)'
set yrange [0:speed_max]
set grid ytics lc rgb '#dddddd'
set key at screen r_margin + 0.005, screen 0.36 left top vertical Left reverse samplen 2 \
    font ',12'
unset colorbox
# The line is green where rolling is slow enough, amber in between, red when
# too fast; the thresholds are drawn as dashed lines.
zone(v) = v <= speed_slow ? 0x238b45 : (v <= speed_fast ? 0xe08214 : 0xcb181d)
set object 1 rect from t0, 0 to t1, speed_slow behind fc rgb '#f0f9ec' fs solid 1 noborder
do for [i=1:n_other] {
    set object 300 + i rect from other_t0[i], 0 to other_t1[i], speed_max behind \
        fc rgb other_colour fs transparent pattern 4 border lc rgb other_colour lw 1
}
do for [i=1:n_pauses] {
    c = pause_hold[i] ? hold_colour : pause_colour
    set object 10 + i rect from pause_t0[i], 0 to pause_t1[i], speed_max behind \
        fc rgb c fs transparent solid 0.18 noborder
}
set arrow 1 from t0, speed_slow to t1, speed_slow nohead lc rgb '#238b45' lw 1.5 dt 2 front
set arrow 2 from t0, speed_fast to t1, speed_fast nohead lc rgb '#cb181d' lw 1.5 dt 2 front
set label 1 sprintf('slow ≤ %g mm/s', speed_slow) at t1, speed_slow right offset -0.5, 0.6 \
    front textcolor rgb '#238b45'
set label 2 sprintf('too fast > %g mm/s', speed_fast) at t1, speed_fast right offset -0.5, 0.6 \
    front textcolor rgb '#cb181d'
plot speed_file binary format='%float%float' using 1:2:(zone($2)) with lines lw 2.5 \
        lc rgb variable notitle, \
    NaN with lines lw 2.5 lc rgb '#238b45' title 'slow', \
    NaN with lines lw 2.5 lc rgb '#e08214' title 'brisk', \
    NaN with lines lw 2.5 lc rgb '#cb181d' title 'too fast', \
    NaN with boxes fs transparent solid 0.35 noborder fc rgb hold_colour title 'hold', \
    NaN with boxes fs transparent solid 0.35 noborder fc rgb pause_colour title 'pause' \
    @other_key
unset multiplot
