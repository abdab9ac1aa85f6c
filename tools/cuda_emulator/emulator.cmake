# -DUNIAD_CUDA_EMULATOR=ON: the CUDA back end's .cu files, rewritten by cu_to_cpp.py into C++ and
# compiled by the host compiler against the emulator's cuda_runtime.h / cublas_v2.h, in place of
# tensor/cuda/no_cuda.cpp. The GPU device then exists (one emulated GPU) and the CPU-vs-GPU
# table (tests/test_cuda_ops.cpp) runs its comparisons. See tools/cuda_emulator/README.md.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(_emu_dir ${CMAKE_SOURCE_DIR}/tools/cuda_emulator)
file(GLOB _emu_cu CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tensor/cuda/*.cu)
set(UNIAD_TENSOR_EMULATED_SOURCES ${_emu_dir}/emulator.cpp ${_emu_dir}/cublas.cpp ${_emu_dir}/poison_allocations.cpp)
foreach(_cu ${_emu_cu})
  get_filename_component(_name ${_cu} NAME_WE)
  set(_cpp ${CMAKE_BINARY_DIR}/cuda_emulated/${_name}.cpp)
  add_custom_command(OUTPUT ${_cpp}
                     COMMAND ${Python3_EXECUTABLE} ${_emu_dir}/cu_to_cpp.py ${_cu} ${_cpp}
                     DEPENDS ${_cu} ${_emu_dir}/cu_to_cpp.py
                     COMMENT "cu_to_cpp ${_name}.cu")
  list(APPEND UNIAD_TENSOR_EMULATED_SOURCES ${_cpp})
endforeach()
# The emulator's headers come before any real CUDA installation; nvcc's default of contracting
# a * b + c into an fma is the host compiler's default here too (-ffp-contract=fast).
set_source_files_properties(${UNIAD_TENSOR_EMULATED_SOURCES} PROPERTIES
                            INCLUDE_DIRECTORIES ${_emu_dir}/include
                            COMPILE_OPTIONS "-ffp-contract=fast;-Wno-unused-function")
# Every device block a tensor gets is poisoned, reused ones too (emulator.cpp, wrapped_allocate).
add_link_options("LINKER:--wrap=_ZN5uniad4cuda8allocateEmi")
# UNIAD_WITH_CUDA (defined by the real CUDA build) is left undefined: no source reads it, and
# dispatch to the back end depends only on cuda_available(), which is true here. Defining it
# would change every file's flags and forfeit ccache hits from the CPU build.
message(STATUS "UniAD: CUDA back end EMULATED on the CPU (tools/cuda_emulator)")

# The emulator's self-test (barriers, shuffles, shared memory, and the mistakes it must catch).
if(UNIAD_BUILD_TESTS)
  set(_emu_selftest ${CMAKE_BINARY_DIR}/cuda_emulated/selftest.cpp)
  add_custom_command(OUTPUT ${_emu_selftest}
                     COMMAND ${Python3_EXECUTABLE} ${_emu_dir}/cu_to_cpp.py ${_emu_dir}/selftest.cu ${_emu_selftest}
                     DEPENDS ${_emu_dir}/selftest.cu ${_emu_dir}/cu_to_cpp.py
                     COMMENT "cu_to_cpp selftest.cu")
  add_executable(cuda_emulator_selftest ${_emu_selftest} ${_emu_dir}/emulator.cpp)
  target_include_directories(cuda_emulator_selftest PRIVATE ${_emu_dir}/include)
  add_test(NAME cuda_emulator_selftest COMMAND cuda_emulator_selftest)
endif()
