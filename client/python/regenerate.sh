#!/bin/bash
# Writes the gRPC code of jkoflow.v1 (flow.proto, training.proto) into
# client/python/jkoflow/v1/, or into the directory given as $1. The package
# ships this code, so that `pip install ./client/python` needs no protoc;
# the ctest python_generated_code_test fails when it no longer matches
# proto/. Needs Debian's protobuf-compiler and protobuf-compiler-grpc.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto="$here/../../proto"
out="${1:-$here}"
plugin="$(command -v grpc_python_plugin || echo /usr/bin/grpc_python_plugin)"
mkdir -p "$out/jkoflow/v1"
for name in flow training; do
  protoc --python_out="$out" --grpc_python_out="$out" \
    --plugin=protoc-gen-grpc_python="$plugin" \
    -I "$proto" "$proto/jkoflow/v1/$name.proto"
done
