# shmlab_mutant_sources(OUT SOURCE): the sources of the mutant SOURCE, for
# either build that includes this file (CMakeLists.txt here, and the Win32
# track's in cmake/win32/): this system's reference sources
# (reference/sources.cmake) with the one file SOURCE's header names
# (`// Replaces: reference/<file>.c`) swapped for SOURCE. A mutant that
# cannot be built is not built, with a warning, and OUT is empty; the suite
# then fails its test saying so, and the other mutants still run.
include(${CMAKE_CURRENT_LIST_DIR}/../../reference/sources.cmake)

function(shmlab_mutant_sources out source)
  get_filename_component(name ${source} NAME)
  set(${out} "" PARENT_SCOPE)
  file(STRINGS ${source} replaces REGEX "^// Replaces: " LIMIT_COUNT 1)
  if(NOT replaces MATCHES "^// Replaces: reference/([a-z_0-9]+\\.c)$")
    message(WARNING "mutant ${name} not built: its header needs a line `// Replaces: reference/<file>.c`")
    return()
  endif()
  set(sources ${shmlab_reference_sources})
  list(FILTER sources EXCLUDE REGEX "/${CMAKE_MATCH_1}$")
  list(LENGTH shmlab_reference_sources all)
  list(LENGTH sources kept)
  math(EXPR removed "${all} - ${kept}")
  if(NOT removed EQUAL 1)
    message(WARNING "mutant ${name} not built: it replaces reference/${CMAKE_MATCH_1}, which is not one of this system's reference sources")
    return()
  endif()
  set(${out} ${sources} ${source} PARENT_SCOPE)
endfunction()
