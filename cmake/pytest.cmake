# Finds a pytest that works: Debian's python3-pytest installs `pytest-3` and
# the module for /usr/bin/python3, which need not be the first python3 on
# PATH. SHMLAB_PYTEST becomes a command list, or is left empty (the suite's
# tests then report as not run, with the reason, instead of passing).
set(SHMLAB_PYTEST "" CACHE STRING "command that runs pytest")
if(NOT SHMLAB_PYTEST)
  find_program(SHMLAB_PYTEST_3 NAMES pytest-3)
  if(SHMLAB_PYTEST_3)
    set(SHMLAB_PYTEST ${SHMLAB_PYTEST_3} CACHE STRING "command that runs pytest" FORCE)
  else()
    foreach(py /usr/bin/python3 python3)
      execute_process(COMMAND ${py} -c "import pytest" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
      if(rc EQUAL 0)
        set(SHMLAB_PYTEST "${py};-m;pytest" CACHE STRING "command that runs pytest" FORCE)
        break()
      endif()
    endforeach()
  endif()
endif()
if(NOT SHMLAB_PYTEST)
  message(WARNING "shmlab: pytest not found (Debian: python3-pytest); the conformance tests will not run")
endif()

# pytest's closing line when every test it ran was skipped ("8 skipped, 145
# deselected, 1 warning in 1.08s"), for CTest's SKIP, PASS and FAIL regular
# expressions: a warning (Wine restarted once, say) must not change the verdict.
set(SHMLAB_PYTEST_ALL_SKIPPED "[0-9]+ skipped(, [0-9]+ deselected)?(, [0-9]+ warnings?)? in ")
