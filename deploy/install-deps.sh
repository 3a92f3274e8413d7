#!/usr/bin/env bash
# install-deps.sh: installs every Debian 12 package that jkoflow's build, tests
# and demo need. Non-interactive and idempotent; when everything is already
# installed it only runs dpkg-query and exits in well under a second.
#
#   deploy/install-deps.sh            everything: build, tests, demo
#   deploy/install-deps.sh --runtime  only the shared libraries that
#                                     jkoflow-server and jkoflow load (the
#                                     container image's runtime stage)
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache
  # core: LibTorch with a fast BLAS (reference BLAS is ~6x slower), Abseil
  libtorch-dev libopenblas0-openmp libabsl-dev nlohmann-json3-dev
  # distributed training: the Gloo headers that c10d's ProcessGroupGloo.hpp
  # includes (the library itself is linked into LibTorch)
  libgloo-dev
  # tcmalloc: glibc malloc page-faults on every large tensor buffer
  libgoogle-perftools-dev
  # tests
  libgtest-dev libgmock-dev
  # service: gRPC, protobuf, metrics, a real Prometheus for tests
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  prometheus-cpp-dev prometheus curl
  # the CLI's PNG figures: cairo draws them, in the DejaVu Sans font
  libcairo2-dev fonts-dejavu-core
  # the Open Inference Protocol over REST (server/http)
  libcpp-httplib-dev
  # the CLI's flag parsing
  libcli11-dev
  # TLS: OpenSSL headers (key/certificate checks) and the openssl command
  # (tests make throwaway certificates with it)
  libssl-dev openssl
  # Python client (client/python) and its test; matplotlib for its example;
  # venv, pip, setuptools and wheel build and install it as a package
  python3-grpcio python3-protobuf python3-numpy python3-matplotlib
  python3-venv python3-pip python3-setuptools python3-wheel
  # the export test opens TorchScript files with PyTorch (the same 1.13 as
  # libtorch-dev)
  python3-torch
  # deploy tests: the Grafana dashboard test is a python3 script (standard
  # library only); the Kubernetes manifest test reads YAML
  python3 python3-yaml
)

# The runtime libraries of the two binaries: every NEEDED library of
# jkoflow-server and jkoflow (readelf -d; dpkg -S on what ldd resolves),
# libc6/libstdc++6/libgcc-s1 aside, which every Debian image has.
runtime_packages=(
  # LibTorch (pulls its own dependencies), OpenMP, the fast BLAS
  libtorch1.13 libgomp1 libopenblas0-openmp
  # tcmalloc (linked when the build finds it)
  libtcmalloc-minimal4 libgoogle-perftools4
  # service: gRPC, protobuf, Abseil, metrics, TLS
  libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623
  libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libssl3
  libcpp-httplib0.11 ca-certificates
  # the CLI's PNG figures (jkoflow sample --plot, jkoflow report)
  libcairo2 fonts-dejavu-core
)

case "${1:-}" in
  "") ;;
  --runtime) packages=("${runtime_packages[@]}") ;;
  *) echo "install-deps: unknown argument '$1' (--runtime or nothing)" >&2
     exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
