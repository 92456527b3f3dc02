# Lab 01 runs one writer and readers of another ABI against the same region.
# On x86-64 Linux one other ABI is i386 (-m32), which needs the compiler's
# 32-bit libraries (Debian: gcc-multilib) to build, and a kernel that runs
# 32-bit x86 programs to run: Linux lets IA-32 emulation be compiled out, or
# switched off with the ia32_emulation= boot parameter, and many VM and
# container kernels ship that way. The worker is built whenever it compiles;
# whether it runs is asked again by the harness at every run (a build can
# move to another kernel), and SHMLAB_NO_I386 in the environment makes both
# answer no. Where i386 cannot run, lab 01's readers are 64-bit Windows
# programs under Wine instead (harness/other_abi.h).
include(CheckCSourceCompiles)
include(CheckCSourceRuns)
if(NOT SHMLAB_HAVE_M32)
  unset(SHMLAB_HAVE_M32 CACHE)      # look again: gcc-multilib may have been installed since
endif()
unset(SHMLAB_I386_RUNS CACHE)       # the kernel may differ from the last configure's
set(CMAKE_REQUIRED_FLAGS -m32)
set(CMAKE_REQUIRED_LINK_OPTIONS -m32)
set(CMAKE_REQUIRED_QUIET ON)
check_c_source_compiles("#include <stdio.h>\nint main(void) { return puts(\"\") < 0; }" SHMLAB_HAVE_M32)
if(SHMLAB_HAVE_M32 AND NOT "$ENV{SHMLAB_NO_I386}")
  check_c_source_runs("int main(void) { return sizeof(void *) != 4; }" SHMLAB_I386_RUNS)
endif()
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
unset(CMAKE_REQUIRED_QUIET)
# ThreadSanitizer has no i386 runtime: the tsan preset goes without.
if(SHMLAB_SANITIZE MATCHES "thread")
  set(SHMLAB_HAVE_M32 OFF)
  set(SHMLAB_I386_RUNS OFF)
endif()

if(NOT SHMLAB_HAVE_M32)
  set(SHMLAB_I386_STATE "not built: no -m32 support (Debian: gcc-multilib)")
elseif("$ENV{SHMLAB_NO_I386}")
  set(SHMLAB_I386_STATE "built, and treated as unable to run: SHMLAB_NO_I386 is set")
elseif(NOT SHMLAB_I386_RUNS)
  set(SHMLAB_I386_STATE "built, but this kernel cannot run 32-bit x86 programs (IA-32 emulation is off)")
else()
  set(SHMLAB_I386_STATE "built, and this kernel runs it")
endif()
message(STATUS "shmlab: lab 01's i386 reader: ${SHMLAB_I386_STATE}")
