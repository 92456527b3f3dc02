# Wine, for the Win32 track (cmake/win32.cmake) and lab 01's Windows reader
# (harness/other_abi.h): every 64-bit Windows program is run with Wine's
# 64-bit loader directly. Debian's `wine` command starts the 32-bit loader
# whenever wine32 is installed, and on a kernel that refuses 32-bit x86
# programs that loader cannot start ("Exec format error"): every run would
# fail for want of a part no 64-bit program needs. Wine's 64-bit side starts
# the 32-bit loader itself for a 32-bit program, where it can.
find_program(SHMLAB_WINE64 NAMES wine64 PATHS /usr/lib/wine /usr/lib64/wine NO_DEFAULT_PATH)
find_program(SHMLAB_WINE64 NAMES wine64)
find_program(SHMLAB_WINESERVER NAMES wineserver PATHS /usr/lib/wine)
