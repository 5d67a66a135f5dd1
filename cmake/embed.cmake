# embed_lua(TARGET_VAR OUTPUT SYMBOL INPUT): turns a Lua source file into a C
# file that defines `const char SYMBOL[]` (NUL-terminated) and `SYMBOL_len`.
function(embed_lua out_c symbol input)
  add_custom_command(
    OUTPUT ${out_c}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${out_c} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    COMMENT "Embedding ${input}")
endfunction()
