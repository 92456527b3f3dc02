# Lab 01 runs one writer and readers of another ABI against the same region.
# On x86-64 Linux the other ABI is i386 (-m32), which needs the compiler's
# 32-bit libraries (Debian: gcc-multilib). Without them the 32-bit worker is
# not built and the mixed-ABI scenarios report SKIP with the reason.
include(CheckCSourceCompiles)
if(NOT SHMLAB_HAVE_M32)
  unset(SHMLAB_HAVE_M32 CACHE)      # look again: gcc-multilib may have been installed since
endif()
set(CMAKE_REQUIRED_FLAGS -m32)
set(CMAKE_REQUIRED_LINK_OPTIONS -m32)
check_c_source_compiles("#include <stdio.h>\nint main(void) { return puts(\"\") < 0; }" SHMLAB_HAVE_M32)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
# ThreadSanitizer has no i386 runtime: the tsan preset goes without.
if(SHMLAB_SANITIZE MATCHES "thread")
  set(SHMLAB_HAVE_M32 OFF)
endif()
