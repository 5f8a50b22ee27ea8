# rollmat: where the roller pressed on one muscle, over the mat.
#
# Two panels in the mat's true aspect ratio, rows upward, columns to the
# right: left how many seconds each sensel spent at or above a pressure
# (half the limit), right the highest pressure each sensel saw, the limit
# marked on its colour bar and named as what it is not: the limit judges the
# contact-mean pressure. A green double arrow shows the roll axis the
# analysis found (along the rows, or the columns for a mat laid sideways; a
# ball rolls in 2-D and has none). Pauses and holds are drawn across the mat
# where the roller stood (a ball's as rings where it stood); the centre of
# pressure's track over both. Other contacts (a hand or a knee put down,
# not judged) are purple rings labelled with when they were down. A segment
# with no rolling says it was not judged.
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
#                                             (unloaded, or another contact down)
#   axis                                      'rows', 'cols' (a roller's roll axis),
#                                             '2d' (a ball) or 'none' (no rolling)
#   n_pauses; arrays pause_pos (mm along the roll axis; a ball: row mm),
#             pause_row, pause_col (mm on the mat), pause_dur (s), pause_hold (1/0)
#   n_other; arrays other_t0, other_t1 (s), other_row, other_col (mm), other_peak (kPa):
#             the other contacts (a hand, a knee), not judged
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
# The axes say which way the tool rolled: rows upward, columns to the right.
if (axis eq 'cols') {
    set xlabel 'along the roll axis (mm)'
    set ylabel 'across the mat (mm)'
} else {
    if (axis eq 'rows') {
        set xlabel 'across the mat (mm)'
        set ylabel 'along the roll axis (mm)'
    } else {
        set xlabel 'column position (mm)'
        set ylabel 'row position (mm)'
    }
}
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
hold_colour = '#08306b'
pause_colour = '#2166ac'
axis_colour = '#1b7837'
other_colour = '#7b3294'
tick_h = (y_hi - y_lo) * 0.12
# Labels over the pressure stay legible on a light box.
set style textbox opaque fillcolor rgb '#33ffffff' noborder margins 1, 1
do for [panel=1:2] {
    unset arrow
    unset label
    # The roll axis: a double arrow near the mat's edge, along the rows
    # (upward) or the columns (to the right), where the tool rarely is.
    if (axis eq 'rows') {
        set arrow 990 from graph 0.045, graph 0.08 to graph 0.045, graph 0.38 heads \
            size screen 0.01, 25 filled lw 3.5 lc rgb axis_colour front
        set label 990 'roll axis' at graph 0.045, graph 0.23 center rotate by 90 \
            offset 1.3, 0 front textcolor rgb axis_colour font 'DejaVu Sans Bold,12'
    }
    if (axis eq 'cols') {
        set arrow 990 from graph 0.08, graph 0.05 to graph 0.38, graph 0.05 heads \
            size screen 0.01, 25 filled lw 3.5 lc rgb axis_colour front
        set label 990 'roll axis' at graph 0.23, graph 0.05 center offset 0, 1.1 front \
            textcolor rgb axis_colour font 'DejaVu Sans Bold,12'
    }
    if (axis eq '2d') {
        set label 990 'ball: rolled in 2-D (grey: its path)' at graph 0.03, graph 0.04 left \
            front textcolor rgb axis_colour font 'DejaVu Sans Bold,12'
    }
    if (axis eq 'none') {
        set label 990 "not judged\n(no rolling)" at graph 0.5, graph 0.5 center front boxed \
            textcolor rgb '#252525' font 'DejaVu Sans Bold,15'
    }
    # Other contacts: a purple ring where each was put down, with when; the
    # label on the side of the ring with more room.
    do for [i=1:n_other] {
        if (other_row[i] == other_row[i] && other_col[i] == other_col[i]) {
            set label 1100 + i '' at other_col[i], other_row[i] point pt 6 ps 4 lw 3 \
                lc rgb other_colour front
            other_text = sprintf("other contact, not judged\n%.1f–%.1f s", other_t0[i], \
                other_t1[i])
            if (other_col[i] < (x_lo + x_hi) / 2) {
                set label 1200 + i other_text at other_col[i], other_row[i] left \
                    offset 2.6, 0.5 front boxed textcolor rgb other_colour font 'DejaVu Sans Bold,11'
            } else {
                set label 1200 + i other_text at other_col[i], other_row[i] right \
                    offset -2.6, 0.5 front boxed textcolor rgb other_colour font 'DejaVu Sans Bold,11'
            }
        }
    }
    # A ball's pauses: rings where it stood (heavy for a hold).
    do for [i=1:(axis eq '2d' ? n_pauses : 0)] {
        if (pause_row[i] == pause_row[i] && pause_col[i] == pause_col[i]) {
            c = pause_hold[i] ? hold_colour : pause_colour
            set label 1300 + i '' at pause_col[i], pause_row[i] point pt 6 \
                ps (pause_hold[i] ? 3 : 2) lw (pause_hold[i] ? 3 : 1.5) lc rgb c front
            set label 1400 + i sprintf('%s %.0f s', pause_hold[i] ? 'hold' : 'pause', \
                pause_dur[i]) at pause_col[i], pause_row[i] center offset 0, -2 front \
                textcolor rgb c font (pause_hold[i] ? 'DejaVu Sans Bold,12' : 'DejaVu Sans,11')
        }
    }
    # A roller along the columns: its pauses stand across the mat, upright.
    do for [i=1:(axis eq 'cols' ? n_pauses : 0)] {
        c = pause_hold[i] ? hold_colour : pause_colour
        if (pause_hold[i]) {
            set arrow from pause_pos[i], y_lo to pause_pos[i], y_lo + tick_h nohead lw 3 \
                lc rgb c front
            set arrow from pause_pos[i], y_hi - tick_h to pause_pos[i], y_hi nohead lw 3 \
                lc rgb c front
            set arrow from pause_pos[i], y_lo + tick_h to pause_pos[i], y_hi - tick_h nohead \
                lw 1 lc rgb c dt 3 front
        } else {
            set arrow from pause_pos[i], y_lo to pause_pos[i], y_hi nohead lw 1.5 lc rgb c \
                dt 2 front
        }
        # Alternate ends so that two holds close together stay legible.
        set label 1400 + i sprintf('%s %.0f s', pause_hold[i] ? 'hold' : 'pause', \
            pause_dur[i]) at pause_pos[i], (i % 2 ? y_hi : y_lo) left \
            offset 0.6, (i % 2 ? -0.8 : 0.8) front textcolor rgb c \
            font (pause_hold[i] ? 'DejaVu Sans Bold,12' : 'DejaVu Sans,11')
    }
    do for [i=1:(axis eq 'rows' ? n_pauses : 0)] {
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
