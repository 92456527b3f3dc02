# shmlab_add_implementation(NAME SOURCES... [OUTPUT_DIRECTORY DIR])
#
# Builds sources into lib<NAME>.so, a library the conformance suite can load
# with --impl or SHMLAB_IMPL without being rebuilt. The sources implement the
# functions declared in reference/include/shmlab.h (conformance/CONTRACT.md);
# they are compiled with the project's warnings, and the library is linked
# with -z defs so that a function left out fails the build, not the suite.
function(shmlab_add_implementation name)
  cmake_parse_arguments(arg "" "OUTPUT_DIRECTORY" "" ${ARGN})
  add_library(${name} SHARED ${arg_UNPARSED_ARGUMENTS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/reference/include)
  target_link_libraries(${name} PRIVATE shmlab_warnings)
  # A sanitizer's runtime lives in the executable that loads the library, so
  # its symbols are undefined in the library itself: -z defs only without one.
  if(NOT SHMLAB_SANITIZE)
    target_link_options(${name} PRIVATE -Wl,-z,defs)
  endif()
  if(arg_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${arg_OUTPUT_DIRECTORY})
  endif()
endfunction()
