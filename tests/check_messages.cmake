# check_messages.cmake — the library names settings, never command-line flags: no string
# literal in src/ outside cli/ starts with "--" (cmake -DSRC=<src> -P this file). A setting in
# a message is written {name} and spelled by the caller (--name, name, ...): see error.h.
file(GLOB files ${SRC}/*/*.h ${SRC}/*/*.cpp)
set(bad 0)
foreach(path ${files})
  if(path MATCHES "/cli/")
    continue()
  endif()
  file(STRINGS ${path} lines REGEX "\"--[a-z]")
  foreach(line ${lines})
    message("a flag in a library message: ${path}: ${line}")
    math(EXPR bad "${bad} + 1")
  endforeach()
endforeach()
message("check_messages: ${bad} flag(s) named outside the command line")
if(bad GREATER 0)
  message(FATAL_ERROR "library messages name flags")
endif()
