# Toolchain file: 64-bit Windows programs with Debian's mingw-w64
# (gcc-mingw-w64-x86-64). Used by the Win32 track (cmake/win32.cmake).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(SHMLAB_MINGW_PREFIX x86_64-w64-mingw32 CACHE STRING "target triplet of the mingw-w64 compiler")
set(CMAKE_C_COMPILER ${SHMLAB_MINGW_PREFIX}-gcc)
set(CMAKE_RC_COMPILER ${SHMLAB_MINGW_PREFIX}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${SHMLAB_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
