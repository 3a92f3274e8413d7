#!/usr/bin/env bash
# fuzz.sh (make fuzz): builds the libFuzzer targets of fuzz/ with clang,
# ASan and UBSan in build-fuzz, then runs each on its seed corpus
# (fuzz/corpus/<name>/, read only; new inputs go to
# build-fuzz/corpus/<name>/) for FUZZ_RUNS executions or FUZZ_SECONDS
# seconds, whichever ends first, and prints executions and crashes per
# target. A crashing input is written to build-fuzz/findings/<name>/.
# Exit status 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
runs=${FUZZ_RUNS:-1000000}
seconds=${FUZZ_SECONDS:-600}
jobs=${JOBS:-$(nproc)}
targets=${FUZZ_TARGETS:-"flow_request csv npy manifest job_record"}

# clang and its libFuzzer runtime (libclang_rt.fuzzer, which Debian ships
# in libclang-rt-14-dev, a dependency of clang) are needed here only: CI
# replays the corpora with the normal compiler, so install-deps.sh leaves
# them out.
if ! command -v clang++ >/dev/null; then
  echo "fuzz: installing clang" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi

binaries=()
for t in $targets; do binaries+=("${t}_fuzz"); done
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DJKOFLOW_FUZZ=ON \
  -DJKOFLOW_SANITIZE=address,undefined >/dev/null
cmake --build "$build_dir" -j "$jobs" --target "${binaries[@]}"

# Leaks are not findings here: LibTorch and protobuf keep caches for the
# life of the process.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export OMP_NUM_THREADS=1

failed=0
summary=()
for t in $targets; do
  work="$build_dir/corpus/$t"
  findings="$build_dir/findings/$t"
  log="$build_dir/fuzz-$t.log"
  mkdir -p "$work" "$findings"
  start=$(date +%s)
  status=0
  "$build_dir/fuzz/${t}_fuzz" -runs="$runs" -max_total_time="$seconds" \
    -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$work" "fuzz/corpus/$t" \
    >"$log" 2>&1 || status=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  crashes=$(find "$findings" -type f | wc -l)
  line=$(printf '%-13s %9s executions %3s crashes %5ss exit %s' "$t" \
    "${execs:-?}" "$crashes" "$(($(date +%s) - start))" "$status")
  echo "fuzz: $line (log: $log)"
  summary+=("$line")
  if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then failed=1; fi
done

echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
exit "$failed"
