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
set xlabel 'across the mat (mm)'
set ylabel 'along the roll axis (mm)'
set tics out nomirror
set border lw 1.5
set colorbox vertical user origin graph 1.04, graph 0 size graph 0.07, graph 1
matrix = "binary array=(cols,rows) format='%float' dx=pitch_col dy=pitch_row origin=(0,0)"

set palette defined (0 '#ffffff', 0.03 '#ffffcc', 0.15 '#ffeda0', 0.28 '#fed976', \
    0.41 '#feb24c', 0.54 '#fd8d3c', 0.67 '#fc4e2a', 0.80 '#e31a1c', 0.90 '#bd0026', 1 '#800026')
set cbrange [0:value_max]
set title a_title."\n".value_title
plot a_file @matrix with @img_style notitle
set title b_title."\n".value_title
plot b_file @matrix with @img_style notitle

# ColorBrewer RdBu reversed: white is no change.
set palette defined (0 '#2166ac', 0.25 '#92c5de', 0.5 '#ffffff', 0.75 '#f4a582', 1 '#b2182b')
set cbrange [-diff_max:diff_max]
set title "B − A (s)\nred: longer in B, blue: shorter"
set ylabel ''
plot diff_file @matrix with @img_style notitle
unset multiplot
