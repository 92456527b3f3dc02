# Every target of ours gets the same strict warnings; shmlab_warnings is an
# interface library so the flags stay per target, not global.
add_library(shmlab_warnings INTERFACE)
target_compile_options(shmlab_warnings INTERFACE -Wall -Wextra -Werror -Wshadow
  $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes>)
target_compile_definitions(shmlab_warnings INTERFACE _GNU_SOURCE)

# SHMLAB_SANITIZE=address,undefined (the asan preset) or thread (tsan):
# every target of ours, executables and libraries, built and linked with it.
set(SHMLAB_SANITIZE "" CACHE STRING "sanitizers for every target, as -fsanitize= takes them")
if(SHMLAB_SANITIZE)
  add_compile_options(-fsanitize=${SHMLAB_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SHMLAB_SANITIZE})
endif()
