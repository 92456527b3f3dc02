# shmlab_add_implementation(NAME SOURCES... [OUTPUT_DIRECTORY DIR]
#                           [INCLUDE_DIRECTORIES DIRS...])
#
# Builds sources into lib<NAME>.so, a library the conformance suite can load
# with --impl or SHMLAB_IMPL without being rebuilt. The sources implement the
# functions declared in reference/include/shmlab.h (conformance/CONTRACT.md);
# they are compiled with the project's warnings, and the library is linked
# with -z defs so that a function left out fails the build, not the suite.
# Where the i386 worker is built, the same sources are built again as its
# i386 twin (shmlab_add_i386_twin below).
function(shmlab_add_implementation name)
  cmake_parse_arguments(arg "" "OUTPUT_DIRECTORY" "INCLUDE_DIRECTORIES" ${ARGN})
  add_library(${name} SHARED ${arg_UNPARSED_ARGUMENTS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/reference/include ${arg_INCLUDE_DIRECTORIES})
  target_link_libraries(${name} PRIVATE shmlab_warnings)
  # A sanitizer's runtime lives in the executable that loads the library, so
  # its symbols are undefined in the library itself: -z defs only without one.
  if(NOT SHMLAB_SANITIZE)
    target_link_options(${name} PRIVATE -Wl,-z,defs)
  endif()
  if(arg_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${arg_OUTPUT_DIRECTORY})
  endif()
  shmlab_add_i386_twin(${name} ${ARGN})
endfunction()

# shmlab_add_i386_twin(NAME SOURCES... [OUTPUT_DIRECTORY DIR]
#                      [INCLUDE_DIRECTORIES DIRS...])
#
# The i386 twin of the library NAME: the same sources compiled with -m32 into
# DIR/i386/lib<NAME>.so (DIR: the library's own directory, lib/ unless
# given), target NAME-i386. A mixed-ABI contract scenario's i386 workers
# cannot load a 64-bit library; given --impl DIR/libX.so they load
# DIR/i386/libX.so (harness/other_abi.h). Built only where the i386 worker is
# (cmake/i386.cmake: the compiler has 32-bit libraries).
function(shmlab_add_i386_twin name)
  if(NOT SHMLAB_HAVE_M32)
    return()
  endif()
  cmake_parse_arguments(arg "" "OUTPUT_DIRECTORY" "INCLUDE_DIRECTORIES" ${ARGN})
  set(dir ${CMAKE_LIBRARY_OUTPUT_DIRECTORY})
  if(arg_OUTPUT_DIRECTORY)
    set(dir ${arg_OUTPUT_DIRECTORY})
  endif()
  add_library(${name}-i386 SHARED ${arg_UNPARSED_ARGUMENTS})
  target_include_directories(${name}-i386 PRIVATE ${PROJECT_SOURCE_DIR}/reference/include ${arg_INCLUDE_DIRECTORIES})
  target_compile_options(${name}-i386 PRIVATE -m32)
  target_link_options(${name}-i386 PRIVATE -m32)
  target_link_libraries(${name}-i386 PRIVATE shmlab_warnings)
  if(NOT SHMLAB_SANITIZE)
    target_link_options(${name}-i386 PRIVATE -Wl,-z,defs)
  endif()
  set_target_properties(${name}-i386 PROPERTIES OUTPUT_NAME ${name} LIBRARY_OUTPUT_DIRECTORY ${dir}/i386)
endfunction()
