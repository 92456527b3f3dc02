# The reference's source files, for every build that compiles them: the
# library (CMakeLists.txt here), the i386 and kill workers (harness/), the
# fuzzers, the mutants, and the Win32 track (harness/win32/), each of which
# includes this file.
#
#   shmlab_reference_core      the portable core with this system's region
#                              backend; it declares no optional feature set
#   shmlab_reference_sources   the core and the feature sets this system has
set(dir ${CMAKE_CURRENT_LIST_DIR})
set(shmlab_reference_core ${dir}/offset.c ${dir}/relptr.c ${dir}/root.c ${dir}/alloc.c ${dir}/contract.c)
if(WIN32)
  list(PREPEND shmlab_reference_core ${dir}/region_win32.c)
  set(shmlab_reference_sources ${shmlab_reference_core} ${dir}/handles_win32.c)
else()
  list(PREPEND shmlab_reference_core ${dir}/region.c ${dir}/seal.c)
  set(shmlab_reference_sources ${shmlab_reference_core}
    ${dir}/process.c ${dir}/handles.c ${dir}/mailbox.c ${dir}/function_table.c ${dir}/sync.c)
endif()
unset(dir)
