# rollmat: where the roller pressed on one muscle, over the mat.
#
# Two panels in the mat's true aspect ratio, the roll axis upward as in the
# timeline picture: left how many seconds each sensel spent at or above a
# pressure (half the limit), right the highest pressure each sensel saw, the
# limit marked on its colour bar and named as what it is not: the limit
# judges the contact-mean pressure. Pauses and holds are drawn across the
# mat where the roller stood; the centre of pressure's track over both.
#
# `rollmat plot` runs this with a variables file loaded first (see
# plot/plot_run.c). It defines:
#   out, term ('png'|'svg'), width, height, title, subtitle
#   rows, cols, pitch_row, pitch_col          (grid, mm)
#   stacked                                   1: panels one above the other (wide mats)
#   top_px, bottom_px, gap_px                 room for the titles above the (upper) panel,
#                                             the axis labels below the (lower) one, and
#                                             between stacked panels, in pixels
#   above_file, peak_file                     float32 [rows][cols], native endian
#   above_title                               'seconds at 30 kPa or more'
#   peak_unit                                 'kPa' or 'counts'
#   above_max, peak_max                       colour-bar tops (> 0)
#   limit, limit_note                         the contact-mean limit (kPa; NaN: none) and
#                                             what the peak panel says of it
#   cop_file, n_cop                           float32 records (col mm, row mm); NaN breaks
#   n_pauses; arrays pause_pos (mm), pause_dur (s), pause_hold (1/0)
#   n_dead; arrays dead_x, dead_y (mm): sensels the calibration marks dead

if (term eq 'svg') {
    set terminal svg size width,height fixed enhanced font 'DejaVu Sans,13' background rgb 'white'
} else {
    set terminal pngcairo size width,height enhanced font 'DejaVu Sans,13' background rgb 'white'
}
set termoption noenhanced
set encoding utf8
set output out

# A sequential heat palette (ColorBrewer YlOrRd) from white: an untouched
# sensel is white, more pressure is darker and redder, and the order reads
# the same in grey print.
set palette defined (0 '#ffffff', 0.03 '#ffffcc', 0.15 '#ffeda0', 0.28 '#fed976', \
    0.41 '#feb24c', 0.54 '#fd8d3c', 0.67 '#fc4e2a', 0.80 '#e31a1c', 0.90 '#bd0026', 1 '#800026')
set palette maxcolors 0

# Sensels are drawn as sharp squares: a browser scaling an SVG would blur an
# embedded bitmap into a resolution the mat does not have.
img_style = (term eq 'svg') ? 'image pixels' : 'image'

x_lo = -pitch_col / 2.0
x_hi = (cols - 0.5) * pitch_col
y_lo = -pitch_row / 2.0
y_hi = (rows - 0.5) * pitch_row

# Side by side for a mat longer than wide (the usual strip under a roller),
# one above the other for a wide one: either way each panel's cell has about
# the mat's shape, and `rollmat plot` chose the canvas height to match.
# The room for titles and labels is in pixels, the same on any canvas.
m_bottom = bottom_px * 1.0 / height
m_top = 1.0 - top_px * 1.0 / height
if (stacked) {
    set multiplot layout 2,1 title title."\n".subtitle font 'DejaVu Sans,16' \
        margins 0.1, 0.86, m_bottom, m_top spacing 0.1, gap_px * 1.0 / height
} else {
    set multiplot layout 1,2 title title."\n".subtitle font 'DejaVu Sans,16' \
        margins 0.1, 0.88, m_bottom, m_top spacing 0.19, 0.1
}

set size ratio -1
set xrange [x_lo:x_hi] noextend
set yrange [y_lo:y_hi] noextend
set xlabel 'across the mat (mm)'
set ylabel 'along the roll axis (mm)'
set tics out nomirror
set mxtics 2
set mytics 2
set border lw 1.5
set colorbox vertical user origin graph 1.03, graph 0 size graph 0.06, graph 1

# The holds: heavy ticks on both edges of the mat where the roller stood,
# joined by a dotted line that leaves the pressure under it visible, and
# labelled with how long; shorter pauses dashed, in a lighter blue.
tick_w = (x_hi - x_lo) * 0.12
dead_note = n_dead > 0 ? "\n× dead sensel: reads nothing" : ''
do for [panel=1:2] {
    unset arrow
    unset label
    do for [i=1:n_pauses] {
        if (pause_hold[i]) {
            set arrow from x_lo, pause_pos[i] to x_lo + tick_w, pause_pos[i] nohead lw 3 \
                lc rgb '#08306b' front
            set arrow from x_hi - tick_w, pause_pos[i] to x_hi, pause_pos[i] nohead lw 3 \
                lc rgb '#08306b' front
            set arrow from x_lo + tick_w, pause_pos[i] to x_hi - tick_w, pause_pos[i] nohead \
                lw 1 lc rgb '#08306b' dt 3 front
            # Alternate sides so that two holds close together stay legible.
            if (i % 2) {
                set label sprintf('hold %.0f s', pause_dur[i]) at x_hi, pause_pos[i] \
                    right offset -0.5, 0.7 front textcolor rgb '#08306b' font 'DejaVu Sans Bold,12'
            } else {
                set label sprintf('hold %.0f s', pause_dur[i]) at x_lo, pause_pos[i] \
                    left offset 0.5, 0.7 front textcolor rgb '#08306b' font 'DejaVu Sans Bold,12'
            }
        } else {
            set arrow from x_lo, pause_pos[i] to x_hi, pause_pos[i] nohead lw 1.5 \
                lc rgb '#2166ac' dt 2 front
            if (i % 2) {
                set label sprintf('pause %.0f s', pause_dur[i]) at x_hi, pause_pos[i] \
                    right offset -0.5, 0.7 front textcolor rgb '#2166ac' font 'DejaVu Sans,11'
            } else {
                set label sprintf('pause %.0f s', pause_dur[i]) at x_lo, pause_pos[i] \
                    left offset 0.5, 0.7 front textcolor rgb '#2166ac' font 'DejaVu Sans,11'
            }
        }
    }
    do for [i=1:n_dead] {
        set label 1000 + i '' at dead_x[i], dead_y[i] point pt 2 ps 1.5 lw 2 \
            lc rgb '#666666' front
    }
    if (panel == 1) {
        set title sprintf('%s%s', above_title, dead_note)
        set cbrange [0:above_max]
        set cbtics auto
        set cblabel 's'
        plot above_file binary array=(cols,rows) format='%float' \
            dx=pitch_col dy=pitch_row origin=(0,0) with @img_style notitle, \
            cop_file binary format='%float%float' using 1:2 every ::0::(n_cop - 1) \
            with lines lw 1.5 lc rgb '#60202020' notitle
    } else {
        set title sprintf("peak pressure (%s)\n%s%s", peak_unit, limit_note, dead_note)
        set cbrange [0:peak_max]
        set cbtics auto
        unset cblabel
        # The limit on the colour bar, where a reader looks for "too much".
        if (limit == limit && limit < peak_max) {
            set cbtics add (sprintf('limit %g', limit) limit)
            set arrow 999 from graph 1.02, graph limit * 1.0 / peak_max to graph 1.10, \
                graph limit * 1.0 / peak_max nohead lw 3 lc rgb '#000000' front
        }
        plot peak_file binary array=(cols,rows) format='%float' \
            dx=pitch_col dy=pitch_row origin=(0,0) with @img_style notitle, \
            cop_file binary format='%float%float' using 1:2 every ::0::(n_cop - 1) \
            with lines lw 1.5 lc rgb '#60202020' notitle
    }
}
unset multiplot
