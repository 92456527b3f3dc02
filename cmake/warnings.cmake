# Every target of ours gets the same strict warnings; shmlab_warnings is an
# interface library so the flags stay per target, not global.
add_library(shmlab_warnings INTERFACE)
target_compile_options(shmlab_warnings INTERFACE -Wall -Wextra -Werror -Wshadow
  $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes>)
target_compile_definitions(shmlab_warnings INTERFACE _GNU_SOURCE)
