# Toolchain file: Windows programs with Debian's mingw-w64. Used by the
# Win32 track (cmake/win32.cmake): 64-bit by default (gcc-mingw-w64-x86-64);
# -DSHMLAB_MINGW_PREFIX=i686-w64-mingw32 for the 32-bit worker of lab 01
# (gcc-mingw-w64-i686).
set(CMAKE_SYSTEM_NAME Windows)
set(SHMLAB_MINGW_PREFIX x86_64-w64-mingw32 CACHE STRING "target triplet of the mingw-w64 compiler")
string(REGEX REPLACE "-.*" "" CMAKE_SYSTEM_PROCESSOR ${SHMLAB_MINGW_PREFIX})
set(CMAKE_C_COMPILER ${SHMLAB_MINGW_PREFIX}-gcc)
set(CMAKE_RC_COMPILER ${SHMLAB_MINGW_PREFIX}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${SHMLAB_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
