#!/usr/bin/env bash
# install-deps.sh: installs every Debian 12 package that jkoflow's build, tests
# and demo need. Non-interactive and idempotent; when everything is already
# installed it only runs dpkg-query and exits in well under a second.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache
  # core: LibTorch with a fast BLAS (reference BLAS is ~6x slower), Abseil
  libtorch-dev libopenblas0-openmp libabsl-dev nlohmann-json3-dev
  # tcmalloc: glibc malloc page-faults on every large tensor buffer
  libgoogle-perftools-dev
  # tests
  libgtest-dev libgmock-dev
  # service: gRPC, protobuf, metrics, plots, a real Prometheus for tests
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  prometheus-cpp-dev libpng-dev prometheus curl
  # TLS: OpenSSL headers (key/certificate checks) and the openssl command
  # (tests make throwaway certificates with it)
  libssl-dev openssl
  # Python client (client/python) and its test; matplotlib for its example
  python3-grpcio python3-protobuf python3-numpy python3-matplotlib
  # deploy tests: the Grafana dashboard test is a python3 script (standard
  # library only)
  python3
)

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
