# rollmat: one muscle in two sessions, and what changed.
#
# Three panels of the mat in its true aspect ratio, the roll axis upward:
# the seconds each sensel spent at or above a pressure in session A, the
# same in session B (one colour scale for both), and B minus A on a
# diverging scale (blue: less time under pressure in B, red: more).
#
# `rollmat plot --compare` runs this with a variables file loaded first
# (see plot/plot_compare.c). It defines:
#   out, term ('png'|'svg'), width, height, title, subtitle
#   rows, cols, pitch_row, pitch_col     (grid, mm)
#   a_file, b_file, diff_file            float32 [rows][cols], native endian
#   a_title, b_title                     the panels' titles (the sessions' names)
#   a_axis, b_axis                       each session's roll axis: 'rows', 'cols',
#                                        '2d' (a ball) or 'none' (no rolling)
#   a_n_other, a_other_row, a_other_col  A's other contacts (a hand, a knee), mm;
#   (and a_other_t0, a_other_t1, a_other_peak; the same for b_)
#   value_title                          'seconds at 30 kPa or more'
#   value_max, diff_max                  colour-bar tops (> 0); the difference runs
#                                        -diff_max .. diff_max

if (term eq 'svg') {
    set terminal svg size width,height fixed enhanced font 'DejaVu Sans,13' background rgb 'white'
} else {
    set terminal pngcairo size width,height enhanced font 'DejaVu Sans,13' background rgb 'white'
}
set termoption noenhanced
set encoding utf8
set output out

img_style = (term eq 'svg') ? 'image pixels' : 'image'
x_lo = -pitch_col / 2.0
x_hi = (cols - 0.5) * pitch_col
y_lo = -pitch_row / 2.0
y_hi = (rows - 0.5) * pitch_row

set multiplot layout 1,3 title title."\n".subtitle font 'DejaVu Sans,16' \
    margins 0.06, 0.93, 0.1, 0.8 spacing 0.09, 0.1
set size ratio -1
set xrange [x_lo:x_hi] noextend
set yrange [y_lo:y_hi] noextend
set tics out nomirror
set border lw 1.5
set colorbox vertical user origin graph 1.04, graph 0 size graph 0.07, graph 1
matrix = "binary array=(cols,rows) format='%float' dx=pitch_col dy=pitch_row origin=(0,0)"

set palette defined (0 '#ffffff', 0.03 '#ffffcc', 0.15 '#ffeda0', 0.28 '#fed976', \
    0.41 '#feb24c', 0.54 '#fd8d3c', 0.67 '#fc4e2a', 0.80 '#e31a1c', 0.90 '#bd0026', 1 '#800026')
set cbrange [0:value_max]

# A panel's axes, roll-axis arrow and other contacts (purple rings, not
# judged), for a session: its axis name and its contacts.
other_colour = '#7b3294'
set_marks = 'unset arrow; unset label; '. \
    'set xlabel (marks_axis eq "cols" ? "along the roll axis (mm)" : (marks_axis eq "rows" ? "across the mat (mm)" : "columns (mm)")); '. \
    'set ylabel (marks_axis eq "rows" ? "along the roll axis (mm)" : (marks_axis eq "cols" ? "across the mat (mm)" : "rows (mm)")); '. \
    'if (marks_axis eq "rows") { set arrow 990 from graph 0.06, graph 0.08 to graph 0.06, graph 0.38 heads size screen 0.012,25 filled lw 3 lc rgb "#1b7837" front; set label 990 "roll axis" at graph 0.06, graph 0.23 center rotate by 90 offset 1.3, 0 front textcolor rgb "#1b7837" font "DejaVu Sans Bold,11" }; '. \
    'if (marks_axis eq "cols") { set arrow 990 from graph 0.08, graph 0.05 to graph 0.38, graph 0.05 heads size screen 0.012,25 filled lw 3 lc rgb "#1b7837" front; set label 990 "roll axis" at graph 0.23, graph 0.05 center offset 0, 1.1 front textcolor rgb "#1b7837" font "DejaVu Sans Bold,11" }; '. \
    'if (marks_axis eq "2d") { set label 990 "ball: rolled in 2-D" at graph 0.03, graph 0.04 left front textcolor rgb "#1b7837" font "DejaVu Sans Bold,11" }; '. \
    'if (marks_axis eq "none") { set label 990 "not judged (no rolling)" at graph 0.03, graph 0.04 left front font "DejaVu Sans Bold,11" }'

marks_axis = a_axis
eval set_marks
do for [i=1:a_n_other] {
    # The label on the side of the ring with more room.
    if (a_other_row[i] == a_other_row[i] && a_other_col[i] < (x_lo + x_hi) / 2) {
        set label 1100 + i 'other contact' at a_other_col[i], a_other_row[i] point pt 6 \
            ps 3 lw 3 lc rgb other_colour front left offset 1.8, 0 textcolor rgb other_colour \
            font 'DejaVu Sans Bold,10'
    }
    if (a_other_row[i] == a_other_row[i] && a_other_col[i] >= (x_lo + x_hi) / 2) {
        set label 1100 + i 'other contact' at a_other_col[i], a_other_row[i] point pt 6 \
            ps 3 lw 3 lc rgb other_colour front right offset -1.8, 0 textcolor rgb other_colour \
            font 'DejaVu Sans Bold,10'
    }
}
set title a_title."\n".value_title
plot a_file @matrix with @img_style notitle
marks_axis = b_axis
eval set_marks
do for [i=1:b_n_other] {
    # The label on the side of the ring with more room.
    if (b_other_row[i] == b_other_row[i] && b_other_col[i] < (x_lo + x_hi) / 2) {
        set label 1100 + i 'other contact' at b_other_col[i], b_other_row[i] point pt 6 \
            ps 3 lw 3 lc rgb other_colour front left offset 1.8, 0 textcolor rgb other_colour \
            font 'DejaVu Sans Bold,10'
    }
    if (b_other_row[i] == b_other_row[i] && b_other_col[i] >= (x_lo + x_hi) / 2) {
        set label 1100 + i 'other contact' at b_other_col[i], b_other_row[i] point pt 6 \
            ps 3 lw 3 lc rgb other_colour front right offset -1.8, 0 textcolor rgb other_colour \
            font 'DejaVu Sans Bold,10'
    }
}
set title b_title."\n".value_title
plot b_file @matrix with @img_style notitle
unset arrow
unset label

# ColorBrewer RdBu reversed: white is no change.
set palette defined (0 '#2166ac', 0.25 '#92c5de', 0.5 '#ffffff', 0.75 '#f4a582', 1 '#b2182b')
set cbrange [-diff_max:diff_max]
set title "B − A (s)\nred: longer in B, blue: shorter"
set ylabel ''
plot diff_file @matrix with @img_style notitle
unset multiplot
