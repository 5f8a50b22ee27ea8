# Embeds the gnuplot scripts of scripts/ into the binary, so that an
# installed or copied `rollmat` draws the same pictures without finding the
# source tree (ROLLMAT_SCRIPTS_DIR still overrides them at run time).
#   cmake -DSCRIPTS_DIR=... -DNAMES="plot-heatmap;..." -DOUT=file.c -P embed_scripts.cmake
# Bytes are written as hex so that no character of a script needs escaping.
set(text "/* Generated from the gnuplot scripts in scripts/ by plot/embed_scripts.cmake: do not edit. */\n")
string(APPEND text "#include \"plot_internal.h\"\n\n")
foreach(name IN LISTS NAMES)
  file(READ "${SCRIPTS_DIR}/${name}.gp" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REPLACE "-" "_" id "${name}")
  string(APPEND text "static const char ${id}[] = {${bytes}0x00};\n")
endforeach()
string(APPEND text "\nconst struct rm_plot_embedded_script rm_plot_embedded_scripts[] = {\n")
foreach(name IN LISTS NAMES)
  string(REPLACE "-" "_" id "${name}")
  string(APPEND text "    {\"${name}\", ${id}},\n")
endforeach()
string(APPEND text "    {0, 0},\n};\n")
file(WRITE "${OUT}.tmp" "${text}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
