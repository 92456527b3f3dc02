# `cmake --install build --prefix DIR`: the reference library and its
# headers, for another project's build, found either way a C project looks:
#   find_package(shmlab CONFIG)  ->  imported target shmlab::shmlab
#   pkg-config --cflags --libs shmlab
# tests/consumer/ builds a program both ways against an installed tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

target_include_directories(shmlab PUBLIC $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
install(TARGETS shmlab EXPORT shmlabTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/shmlab)
install(EXPORT shmlabTargets NAMESPACE shmlab:: DESTINATION ${cmakedir})
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/shmlabConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/shmlabConfig.cmake INSTALL_DESTINATION ${cmakedir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/shmlabConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/shmlabConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/shmlabConfigVersion.cmake
  DESTINATION ${cmakedir})

# pkg-config's file names the prefix it is installed under, so it is made
# at install time, not at configure time (--prefix may differ).
install(CODE "
  set(prefix \"\${CMAKE_INSTALL_PREFIX}\")
  set(libdir \"${CMAKE_INSTALL_LIBDIR}\")
  set(includedir \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(version \"${PROJECT_VERSION}\")
  configure_file(\"${CMAKE_CURRENT_SOURCE_DIR}/shmlab.pc.in\"
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/shmlab.pc\" @ONLY)
")
