# Boost.Interprocess, for the parts that measure or test it: the benchmark's
# comparison (bench/) and the suite's adapter (conformance/adapters/). Both
# need a C++ compiler and Debian's libboost-dev; SHMLAB_BOOST_INCLUDE is set
# when both are here, empty otherwise, and each part says what it skips.
include(CheckLanguage)
check_language(CXX)
set(SHMLAB_BOOST_INCLUDE "")
if(CMAKE_CXX_COMPILER)
  enable_language(CXX)
  find_path(shmlab_boost_dir boost/interprocess/managed_external_buffer.hpp)
  if(shmlab_boost_dir)
    set(SHMLAB_BOOST_INCLUDE ${shmlab_boost_dir})
  endif()
endif()
