# The build's third-party headers and libraries from a bundle made by scripts/gpu_bundle.sh
# (-DUNIAD_DEPS_DIR=.gpu_deps), for machines without the Debian -dev packages (the GPU machine:
# CUDA toolkit, CMake, ninja and gcc only). Defines what the system's find_package calls would:
#   Eigen3::Eigen, ZLIB::ZLIB, CLI11::CLI11, doctest::doctest,  imported targets
#   hdf5::hdf5 (static, with szip/aec/zlib)
#   HDF5_INCLUDE_DIRS, HDF5_C_LIBRARIES                         as FindHDF5 sets them
#   UNIAD_STB_INCLUDE_DIR, doctest_DIR                          stb_image*.h, doctest.cmake
# Nothing here searches the system: every path points into the bundle.
get_filename_component(UNIAD_DEPS_DIR "${UNIAD_DEPS_DIR}" ABSOLUTE BASE_DIR "${CMAKE_SOURCE_DIR}")
set(_deps_inc "${UNIAD_DEPS_DIR}/include")
set(_deps_lib "${UNIAD_DEPS_DIR}/lib")
foreach(_f Eigen/Core hdf5.h zlib.h doctest/doctest.h nlohmann/json.hpp CLI/CLI.hpp stb/stb_image.h)
  if(NOT EXISTS "${_deps_inc}/${_f}")
    message(FATAL_ERROR "UNIAD_DEPS_DIR=${UNIAD_DEPS_DIR} has no include/${_f}: make it with scripts/gpu_bundle.sh")
  endif()
endforeach()
foreach(_f libhdf5.a libsz.a libaec.a libz.a)
  if(NOT EXISTS "${_deps_lib}/${_f}")
    message(FATAL_ERROR "UNIAD_DEPS_DIR=${UNIAD_DEPS_DIR} has no lib/${_f}: make it with scripts/gpu_bundle.sh")
  endif()
endforeach()
message(STATUS "UniAD: third-party headers and libraries from ${UNIAD_DEPS_DIR}")

# The bundle's include/ stands in for /usr/include's -dev headers, header-only ones
# (nlohmann/json) included.
include_directories(SYSTEM "${_deps_inc}")

add_library(Eigen3::Eigen INTERFACE IMPORTED)
set_target_properties(Eigen3::Eigen PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_deps_inc}")
add_library(CLI11::CLI11 INTERFACE IMPORTED)
set_target_properties(CLI11::CLI11 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_deps_inc}")
add_library(doctest::doctest INTERFACE IMPORTED)
set_target_properties(doctest::doctest PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_deps_inc}")
set(doctest_DIR "${UNIAD_DEPS_DIR}/cmake/doctest")
set(UNIAD_STB_INCLUDE_DIR "${_deps_inc}/stb")

add_library(ZLIB::ZLIB STATIC IMPORTED)
set_target_properties(ZLIB::ZLIB PROPERTIES IMPORTED_LOCATION "${_deps_lib}/libz.a"
                      INTERFACE_INCLUDE_DIRECTORIES "${_deps_inc}")

# Static HDF5 and what it needs for our files (deflate via zlib, szip via libaec). Its settings
# also list -lcrypto -lcurl, for the ROS3/HDFS drivers, which we never open: the link and the
# HDF5 tests pass without them (scripts/gpu_bundle.sh checks a write and read back).
# One imported target, so that its static dependencies follow it on every link line (as plain
# list items, an earlier libz.a could come before libhdf5.a and leave compress2 unresolved).
find_package(Threads REQUIRED)
add_library(hdf5::hdf5 STATIC IMPORTED)
set_target_properties(hdf5::hdf5 PROPERTIES IMPORTED_LOCATION "${_deps_lib}/libhdf5.a"
  INTERFACE_INCLUDE_DIRECTORIES "${_deps_inc}"
  INTERFACE_LINK_LIBRARIES "${_deps_lib}/libsz.a;${_deps_lib}/libaec.a;ZLIB::ZLIB;Threads::Threads;${CMAKE_DL_LIBS};m")
set(HDF5_INCLUDE_DIRS "${_deps_inc}")
set(HDF5_C_LIBRARIES hdf5::hdf5)
