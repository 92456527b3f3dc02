# `cmake --install`: the conformance harness too, so that the installed
# bin/shmlab-conform runs the contract suite without the source tree.
# LIBEXECDIR/shmlab/ is laid out as the build tree is, because the harness
# finds its workers beside itself and its libraries at ../lib/ (readlink of
# /proc/self/exe, harness/front_posix.c), and scripts/grade.py reads the
# labs' handouts and hints at ../labs/ from its own directory:
#   bin/        shmlab-harness and its workers
#   lib/        libshmlab.so (the default --impl), the preloaded shims, i386/
#   scripts/    conform.py, grade.py
#   labs/NN-*/  README.md, hints.md
#   conformance/CONTRACT.md
include(GNUInstallDirs)
set(private ${CMAKE_INSTALL_LIBEXECDIR}/shmlab)

set(harness_programs shmlab-harness shmlab-worker shmlab-worker-other shmlab-kill-worker)
if(TARGET shmlab-worker-i386)
  list(APPEND harness_programs shmlab-worker-i386)
endif()
install(TARGETS ${harness_programs} RUNTIME DESTINATION ${private}/bin)
install(TARGETS shmlab shmlab-old-kernel shmlab-syscall-faults LIBRARY DESTINATION ${private}/lib)
# The i386 twin beside each copy: mixed-abi's i386 workers load i386/ beside
# the --impl they are given (harness/other_abi.c), the public one included.
if(TARGET shmlab-i386)
  install(TARGETS shmlab-i386 LIBRARY DESTINATION ${private}/lib/i386)
  install(TARGETS shmlab-i386 LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/i386)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/scripts/conform.py ${PROJECT_SOURCE_DIR}/scripts/grade.py
  DESTINATION ${private}/scripts)
file(GLOB lab_dirs LIST_DIRECTORIES true CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/labs/[0-9][0-9]-*)
foreach(lab_dir IN LISTS lab_dirs)
  if(IS_DIRECTORY ${lab_dir})
    cmake_path(GET lab_dir FILENAME lab)
    install(FILES ${lab_dir}/README.md ${lab_dir}/hints.md DESTINATION ${private}/labs/${lab})
  endif()
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/conformance/CONTRACT.md DESTINATION ${private}/conformance)

# bin/shmlab-conform names the prefix it is installed under, so it is made at
# install time (as shmlab.pc is); bin/shmlab-harness is a relative link to
# the private harness, which still finds its workers through it (/proc/self/exe).
install(CODE "
  set(python \"${SHMLAB_PYTHON3}\")
  set(private \"\${CMAKE_INSTALL_PREFIX}/${private}\")
  set(installed \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(bindir \"\$ENV{DESTDIR}\${installed}\")
  message(STATUS \"Installing: \${bindir}/shmlab-conform\")
  configure_file(\"${PROJECT_SOURCE_DIR}/scripts/shmlab-conform-installed.in\" \"\${bindir}/shmlab-conform\" @ONLY
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  file(RELATIVE_PATH link \"\${installed}\" \"\${private}/bin/shmlab-harness\")
  message(STATUS \"Installing: \${bindir}/shmlab-harness -> \${link}\")
  file(CREATE_LINK \"\${link}\" \"\${bindir}/shmlab-harness\" SYMBOLIC)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${installed}/shmlab-conform\" \"\${installed}/shmlab-harness\")
")
unset(private)
unset(harness_programs)
unset(lab_dirs)
unset(lab)
