# Debian packages the project needs, installed only when missing. Sourced by the scripts.

BUILD_PACKAGES=(cmake ninja-build g++ make pkg-config libeigen3-dev doctest-dev libhdf5-dev nlohmann-json3-dev libstb-dev zlib1g-dev libcli11-dev libplplot-dev plplot-driver-cairo)
# Real data: paper and canvas scans (CC0) for the texture benchmark, Fashion-MNIST (MIT).
DATA_PACKAGES=(mypaint-data-extras dataset-fashion-mnist)
# The PyTorch anchor for benchmarks and for regenerating golden fixtures (torch; scikit-learn and
# SciPy for the metrics fixtures). Not needed by the tests.
# Without OpenBLAS, Debian's torch links the reference BLAS and runs ~80x slower.
TORCH_PACKAGES=(python3 python3-torch python3-numpy python3-h5py python3-pil python3-sklearn python3-scipy libopenblas0-pthread)
# Running the teaching notebooks headless (notebooks/, tests/notebooks_smoke.sh): the `jupyter`
# command, nbconvert with its execution engine, the Python kernel, and what the notebooks import.
NOTEBOOK_PACKAGES=(jupyter-core jupyter-nbconvert python3-nbconvert python3-nbclient python3-ipykernel
                   python3-matplotlib python3-h5py python3-numpy)

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

apt_install() {
  local missing
  missing=$(missing_packages "$@")
  [ -z "$missing" ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "== installing: $missing"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing > /dev/null
}

install_build_deps() { apt_install "${BUILD_PACKAGES[@]}"; }
install_torch_deps() { apt_install "${TORCH_PACKAGES[@]}"; }
install_data_deps() { apt_install "${DATA_PACKAGES[@]}"; }
install_notebook_deps() { apt_install "${NOTEBOOK_PACKAGES[@]}"; }
# npm and node fetch and unpack the MobileNetV2 weights (scripts/fetch_mobilenet_v2.sh). A node
# installed another way (nvm, nodesource) counts: only a missing command installs Debian's.
install_node_deps() {
  command -v node > /dev/null && command -v npm > /dev/null && return 0
  apt_install nodejs npm
}
