#!/usr/bin/env bash
# Collects into .gpu_deps/ (git-ignored) the headers and static libraries the build needs that a
# bare GPU machine lacks (a CUDA toolkit, CMake, ninja, gcc and python3 with torch, nothing else),
# taken from this Debian 12 machine's packages. The build uses it with -DUNIAD_DEPS_DIR=.gpu_deps
# (cmake/deps_bundle.cmake); scripts/gpu_check.sh runs on the GPU machine with it.
#
#   scripts/gpu_bundle.sh        (re)creates .gpu_deps/ and prints its size
#
# Layout: include/  Eigen, the HDF5 C headers, doctest, nlohmann/json, CLI11, stb_image*, zlib
#         lib/      libhdf5.a with what it needs for our use (libsz.a, libaec.a, libz.a; HDF5's
#                   settings also list -lcrypto -lcurl, for its ROS3/HDFS drivers, which we never open)
#         cmake/doctest/  doctest.cmake + doctestAddTests.cmake (doctest_discover_tests)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
install_build_deps  # the Debian packages the files below come from

out=.gpu_deps
lib=/usr/lib/x86_64-linux-gnu
rm -rf "$out"
mkdir -p "$out/include" "$out/lib" "$out/cmake/doctest"

# Eigen: the headers only (unsupported/ is not used; its 3 MB stay home).
mkdir -p "$out/include/Eigen"
cp -r /usr/include/eigen3/Eigen/. "$out/include/Eigen/"
cp /usr/include/eigen3/signature_of_eigen3_matrix_library "$out/include/"
# HDF5 (serial) C headers; the C++ wrappers are not used.
cp /usr/include/hdf5/serial/hdf5.h /usr/include/hdf5/serial/H5*.h "$out/include/"
cp -r /usr/include/doctest /usr/include/nlohmann /usr/include/CLI "$out/include/"
mkdir -p "$out/include/stb"
cp /usr/include/stb/stb_image.h /usr/include/stb/stb_image_write.h "$out/include/stb/"
cp /usr/include/zlib.h /usr/include/zconf.h "$out/include/"

cp -L "$lib/hdf5/serial/libhdf5.a" "$lib/libsz.a" "$lib/libaec.a" "$lib/libz.a" "$out/lib/"
cp /usr/lib/cmake/doctest/doctest.cmake /usr/lib/cmake/doctest/doctestAddTests.cmake "$out/cmake/doctest/"

# Prove the static HDF5 link works with exactly these libraries (a chunked, deflated dataset
# written and read back), so that a missing library shows up here and not on the GPU machine.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
cat > "$probe/probe.c" <<'EOF'
#include <hdf5.h>
#include <stdio.h>
int main(int argc, char** argv) {
  hsize_t dims[1] = {100}, chunk[1] = {10};
  float out[100], in[100];
  for (int i = 0; i < 100; ++i) out[i] = (float)i;
  hid_t f = H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t s = H5Screate_simple(1, dims, NULL), p = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(p, 1, chunk);
  H5Pset_shuffle(p);
  H5Pset_deflate(p, 4);
  hid_t d = H5Dcreate2(f, "x", H5T_NATIVE_FLOAT, s, H5P_DEFAULT, p, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
  H5Dclose(d), H5Pclose(p), H5Sclose(s), H5Fclose(f);
  f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
  d = H5Dopen2(f, "x", H5P_DEFAULT);
  H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, in);
  H5Dclose(d), H5Fclose(f);
  return argc == 2 && in[99] == 99.0f && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 ? 0 : 1;
}
EOF
gcc "$probe/probe.c" -I"$out/include" "$out/lib/libhdf5.a" "$out/lib/libsz.a" "$out/lib/libaec.a" \
  "$out/lib/libz.a" -lm -lpthread -ldl -o "$probe/probe"
"$probe/probe" "$probe/probe.h5" || { echo "gpu_bundle.sh: the static HDF5 probe failed" >&2; exit 1; }

echo "gpu_bundle.sh: $out/ is $(du -sh "$out" | cut -f1) ($(du -sb "$out" | cut -f1) bytes): headers and static libraries"
echo "  carry it to the GPU machine (see docs/cuda.md, Running the GPU check)"
