# rollmat: how hard one muscle was pressed, over time.
#
# Three panels on one time axis: the force on the roller, the contact-mean
# pressure (what the profile's limit judges, the limit a dashed red line)
# with the highest sensel's pressure faint behind it, and the contact area.
# Holds are shaded blue, shorter pauses grey, as in the timeline; the times
# another contact (a hand, a knee) was down are hatched purple: not judged,
# and the reason a curve may look odd there. Gaps are times the roller
# carried no weight.
#
# `rollmat plot` runs this with a variables file loaded first (see
# plot/plot_run.c). It defines:
#   out, term ('png'|'svg'), width, height, title, subtitle
#   t0, t1                           the segment (s on the recording clock)
#   series_file                      float32 records (t, force, contact-mean, peak, area cm²)
#   force_unit, pressure_unit        'N'/'kPa' or 'counts'
#   limit                            the contact-mean limit (kPa); NaN: none (uncalibrated)
#   n_pauses; arrays pause_t0, pause_t1, pause_pos (mm), pause_dur (s), pause_hold (1/0)
#   n_other; arrays other_t0, other_t1 (s): other contacts down (not judged)

if (term eq 'svg') {
    set terminal svg size width,height fixed enhanced font 'DejaVu Sans,13' background rgb 'white'
} else {
    set terminal pngcairo size width,height enhanced font 'DejaVu Sans,13' background rgb 'white'
}
set termoption noenhanced
set encoding utf8
set output out

hold_colour = '#2166ac'
pause_colour = '#9e9e9e'
other_colour = '#7b3294'
other_key = n_other > 0 ? ", NaN with boxes fs transparent pattern 4 border lc rgb other_colour " \
    . "fc rgb other_colour title 'other contact', keyentry with lines lt nodraw " \
    . "title '(not judged)'" : ''
rec = "binary format='%float%float%float%float%float'"
set multiplot title title."\n".subtitle font 'DejaVu Sans,16'
set lmargin at screen 0.08
set rmargin at screen 0.83
set xrange [t0:t1] noextend
set tics out nomirror
set border lw 1.5
set grid ytics lc rgb '#dddddd'
set key at screen 0.84, graph 1 left top vertical Left reverse samplen 2 font ',12'

# panel p spans [bottom(p), top(p)] of the screen, from the top down
top(p) = 0.86 - (p - 1) * 0.27
bottom(p) = top(p) - 0.22

do for [p=1:3] {
    unset object
    unset arrow
    unset label
    set tmargin at screen top(p)
    set bmargin at screen bottom(p)
    set yrange [0:*]
    do for [i=1:n_pauses] {
        c = pause_hold[i] ? hold_colour : pause_colour
        set object i rect from pause_t0[i], graph 0 to pause_t1[i], graph 1 behind \
            fc rgb c fs transparent solid 0.15 noborder
        if (p == 1 && pause_hold[i]) {
            set label i sprintf('hold %.0f s', pause_dur[i]) at (pause_t0[i] + pause_t1[i]) / 2, \
                graph 1 center offset 0, 0.6 front textcolor rgb hold_colour \
                font 'DejaVu Sans Bold,12'
        }
    }
    do for [i=1:n_other] {
        set object 300 + i rect from other_t0[i], graph 0 to other_t1[i], graph 1 behind \
            fc rgb other_colour fs transparent pattern 4 border lc rgb other_colour lw 1
    }
    if (p < 3) {
        set format x ''
        unset xlabel
    } else {
        set format x '%g'
        set xlabel 'time (s)'
    }
    if (p == 1) {
        set ylabel sprintf('force (%s)', force_unit)
        plot series_file @rec using 1:2 with lines lw 2 lc rgb '#252525' title 'force', \
            NaN with boxes fs transparent solid 0.35 noborder fc rgb hold_colour title 'hold', \
            NaN with boxes fs transparent solid 0.35 noborder fc rgb pause_colour title 'pause' \
            @other_key
    }
    if (p == 2) {
        set ylabel sprintf('pressure (%s)', pressure_unit)
        # The limit stays in view even when the pressure is far below it.
        stats series_file @rec using 4 nooutput
        p_top = (STATS_records > 0 && STATS_max == STATS_max) ? STATS_max : 1
        if (limit == limit) {
            p_top = p_top > 1.15 * limit ? p_top : 1.15 * limit
            set arrow 1 from t0, limit to t1, limit nohead lc rgb '#cb181d' lw 1.5 dt 2 front
            set label 1 sprintf('limit %g kPa (contact mean, held ≥ 1 s)', limit) at t1, limit \
                right offset -0.5, 0.6 front textcolor rgb '#cb181d'
        }
        set yrange [0:p_top * 1.05]
        plot series_file @rec using 1:4 with lines lw 1 lc rgb '#fcae91' title 'peak sensel', \
            '' @rec using 1:3 with lines lw 2.5 lc rgb '#a50f15' title 'contact mean', \
            keyentry with lines lt nodraw title '(judged)'
    }
    if (p == 3) {
        set ylabel 'contact area (cm²)'
        plot series_file @rec using 1:5 with lines lw 2 lc rgb '#08519c' title 'contact area'
    }
}
unset multiplot
