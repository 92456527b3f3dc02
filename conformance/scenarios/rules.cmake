# The contract scenarios' source files, for both builds: the POSIX harness's
# (harness/CMakeLists.txt) and the Win32 track's (harness/win32/), which
# include this file. rules.def registers the scenarios; every file here
# that defines one is read again by conformance/CMakeLists.txt, which makes
# a CTest test of each rule (a `.rule = "..."` after its `.name`).
if(WIN32)
  set(shmlab_rule_sources ${CMAKE_CURRENT_LIST_DIR}/check.c ${CMAKE_CURRENT_LIST_DIR}/handles_win32.c)
else()
  file(GLOB shmlab_rule_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
  list(FILTER shmlab_rule_sources EXCLUDE REGEX "_win32\\.c$")
endif()
