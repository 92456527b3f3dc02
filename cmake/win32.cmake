# The Win32 track (harness/win32/, built by cmake/win32/): cross-compiled with mingw-w64 as an
# ExternalProject whose toolchain is cmake/mingw-w64.cmake, into
# <build>/win32/bin, and tested under Wine (conformance/win32/). Without the
# cross compiler or Wine the Win32 tests are registered as skipped with the
# reason (SHMLAB_WIN32_SKIP), never as passed. -DSHMLAB_MINGW=OFF turns the
# track off.
option(SHMLAB_MINGW "build the Win32 track with mingw-w64 and test it under Wine" ON)
set(SHMLAB_WIN32_SKIP "")
if(NOT SHMLAB_MINGW)
  set(SHMLAB_WIN32_SKIP "the Win32 track is turned off (configured with -DSHMLAB_MINGW=OFF)")
else()
  find_program(SHMLAB_MINGW_CC NAMES x86_64-w64-mingw32-gcc)
  if(NOT SHMLAB_MINGW_CC)
    set(SHMLAB_WIN32_SKIP "no mingw-w64 cross compiler (x86_64-w64-mingw32-gcc; Debian: gcc-mingw-w64-x86-64) when CMake configured")
  elseif(NOT SHMLAB_WINE64 OR NOT SHMLAB_WINESERVER)
    set(SHMLAB_WIN32_SKIP "no 64-bit Wine (wine64 and wineserver; Debian: wine wine64) when CMake configured")
  endif()
endif()

if(SHMLAB_MINGW AND SHMLAB_MINGW_CC)
  include(ExternalProject)
  # A build tree configured when the cross-build lived in harness/win32/
  # keeps that folder in its caches, which CMake then refuses: start them anew.
  foreach(dir win32 win32-i686)
    if(EXISTS ${PROJECT_BINARY_DIR}/${dir}/CMakeCache.txt)
      file(STRINGS ${PROJECT_BINARY_DIR}/${dir}/CMakeCache.txt home REGEX "^CMAKE_HOME_DIRECTORY:")
      if(NOT home MATCHES "/cmake/win32$")
        file(REMOVE ${PROJECT_BINARY_DIR}/${dir}/CMakeCache.txt)
      endif()
    endif()
  endforeach()
  ExternalProject_Add(shmlab_win32
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/cmake/win32
    BINARY_DIR ${PROJECT_BINARY_DIR}/win32
    CMAKE_ARGS
      -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/mingw-w64.cmake
      -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
    BUILD_ALWAYS ON                 # its own build decides what is out of date
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)
  message(STATUS "shmlab: Win32 track: ${SHMLAB_MINGW_CC} into ${PROJECT_BINARY_DIR}/win32/bin")
endif()

# Lab 01's 32-bit reader on this track: the worker alone, built for i686 into
# the same bin directory as shmlab-worker32.exe. Without the compiler the
# harness reports lab 01's runs SKIP, naming it; the worker runs only where
# Wine has its 32-bit half (Debian: wine32), which the harness checks.
find_program(SHMLAB_MINGW32_CC NAMES i686-w64-mingw32-gcc)
if(SHMLAB_MINGW AND SHMLAB_MINGW_CC AND SHMLAB_MINGW32_CC)
  ExternalProject_Add(shmlab_win32_i686
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/cmake/win32
    BINARY_DIR ${PROJECT_BINARY_DIR}/win32-i686
    CMAKE_ARGS
      -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/mingw-w64.cmake
      -DSHMLAB_MINGW_PREFIX=i686-w64-mingw32
      -DSHMLAB_WIN32_WORKER_ONLY=shmlab-worker32
      -DSHMLAB_WIN32_BIN=${PROJECT_BINARY_DIR}/win32/bin
      -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)
endif()
if(SHMLAB_WIN32_SKIP)
  message(STATUS "shmlab: the Win32 tests will SKIP: ${SHMLAB_WIN32_SKIP}")
endif()
