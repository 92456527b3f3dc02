# The lessons' source files, for both builds: the POSIX harness's
# (harness/CMakeLists.txt) and the Win32 track's (harness/win32/), which
# include this file. lessons.def registers the scenarios they define.
set(dir ${CMAKE_CURRENT_LIST_DIR})
set(shmlab_lesson_sources
  ${dir}/01-values-and-structs/broken.c
  ${dir}/01-values-and-structs/fixed.c
  ${dir}/01-values-and-structs/exercise_record.c
  ${dir}/02-raw-pointers/broken_heap.c
  ${dir}/02-raw-pointers/broken_region.c
  ${dir}/02-raw-pointers/fixed.c
  ${dir}/03-offsets/offsets.c
  ${dir}/03-offsets/self_relative.c
  ${dir}/03-offsets/untrusted.c)
if(WIN32)
  list(APPEND shmlab_lesson_sources
    ${dir}/04-handles/win32_raw_handle.c
    ${dir}/04-handles/win32_duplicate.c
    ${dir}/04-handles/win32_close.c
    ${dir}/05-global-names/win32_window.c
    ${dir}/05-global-names/win32_hwnd.c
    ${dir}/05-global-names/win32_gdi.c
    ${dir}/05-global-names/win32_hook.c
    ${dir}/06-functions/shapes.c
    ${dir}/06-functions/win32_load.c
    ${dir}/06-functions/win32_pointers.c
    ${dir}/06-functions/win32_kind_tag.c
    ${dir}/07-locks/win32_critical_section.c
    ${dir}/07-locks/win32_srw.c
    ${dir}/07-locks/win32_wait_on_address.c
    ${dir}/07-locks/win32_named_mutex.c)
else()
  list(APPEND shmlab_lesson_sources
    ${dir}/03-offsets/read_once.c
    ${dir}/03-offsets/seals.c
    ${dir}/04-handles/raw_fd.c
    ${dir}/04-handles/scm_rights.c
    ${dir}/04-handles/pidfd.c
    ${dir}/04-handles/exec.c
    ${dir}/05-global-names/mq_descriptor.c
    ${dir}/05-global-names/sysv_queue.c
    ${dir}/06-functions/shapes.c
    ${dir}/06-functions/function_pointer.c
    ${dir}/06-functions/vtable.c
    ${dir}/06-functions/kind_tag.c
    ${dir}/07-locks/private_mutex.c
    ${dir}/07-locks/init_once.c
    ${dir}/07-locks/atomics.c
    ${dir}/07-locks/owner_died.c)
  # Lab 07's _Atomic struct is too big to be lock-free: GCC calls libatomic
  # for it, which is the lesson (07-locks/atomics.c).
  set(shmlab_lesson_libraries atomic)
endif()
unset(dir)
