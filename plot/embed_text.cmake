# Embeds one text file as a C string: the report's script, so that an
# installed `rollmat` writes the same report without the source tree.
#   cmake -DIN=file -DVAR=name -DOUT=file.c -P embed_text.cmake
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}.tmp" "/* Generated from ${IN} by plot/embed_text.cmake: do not edit. */\nconst char ${VAR}[] = {${bytes}0x00};\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
