#!/usr/bin/env bash
# service_load.sh: gRPC Sample throughput of jkoflow-server with batching on
# and off, on one machine, on the model shape of `jkoflow-bench --perf`
# (d = 2, 8 blocks of 3 × 128 Softplus(20), 3 RK4 steps; untrained, seeded).
#
# It writes that model into a scratch model store (jkoflow-make-perf-model),
# starts jkoflow-server on free loopback ports with --threads = cores and
# batching on, runs jkoflow-load (16 clients × 100-point requests by
# default), stops the server, does the same with --batching=false, and
# prints both figures and their ratio. With IN_PROCESS=1 it also runs
# `jkoflow-bench --perf` (all of its figures: minutes) and prints the
# service figure as a fraction of the in-process sample_points_per_s.
#
# Usage: bench/service_load.sh [BUILD_DIR]     (default: build)
# Environment: CLIENTS (16), POINTS (100), LOAD_SECONDS (10),
#   WARMUP_SECONDS (2), THREADS (number of cores), IN_PROCESS (0).
set -euo pipefail

build_dir=${1:-build}
clients=${CLIENTS:-16}
points=${POINTS:-100}
load_seconds=${LOAD_SECONDS:-10}
warmup_seconds=${WARMUP_SECONDS:-2}
threads=${THREADS:-$(nproc)}
in_process=${IN_PROCESS:-0}
export OMP_WAIT_POLICY=PASSIVE  # idle OpenMP threads must not spin

server_bin="$build_dir/server/jkoflow-server"
load_bin="$build_dir/bench/jkoflow-load"
model_bin="$build_dir/bench/jkoflow-make-perf-model"
bench_bin="$build_dir/bench/jkoflow-bench"
for bin in "$server_bin" "$load_bin" "$model_bin"; do
  if [[ ! -x "$bin" ]]; then
    echo "service_load.sh: $bin not built (ninja -C $build_dir jkoflow_server jkoflow_load jkoflow_make_perf_model)" >&2
    exit 2
  fi
done

work=$(mktemp -d -t jkoflow-service-load.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$model_bin" --model_dir="$work/models" --name=perf >/dev/null
mkdir -p "$work/jobs" "$work/data"

# start_server BATCHING: starts the server and sets server_pid and address.
start_server() {
  local out="$work/server-$1.out"
  "$server_bin" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
    --model_dir="$work/models" --job_dir="$work/jobs" \
    --data_dir="$work/data" --threads="$threads" --batching="$1" \
    >"$out" 2>"$work/server-$1.err" &
  server_pid=$!
  address=""
  for _ in $(seq 1200); do  # up to 120 s on a busy machine
    address=$(sed -n 's/^listening on \(.*\)$/\1/p' "$out")
    [[ -n "$address" ]] && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "service_load.sh: jkoflow-server exited:" >&2
      cat "$work/server-$1.err" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "service_load.sh: jkoflow-server did not start in 120 s" >&2
  exit 1
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

# value FIGURE FILE: the value of one JSON figure line.
value() {
  sed -n "s/.*\"figure\": \"$1\", \"value\": \([^,]*\),.*/\1/p" "$2" | head -1
}

# run_load BATCHING: one load run against a fresh server.
run_load() {
  start_server "$1"
  local status=0
  "$load_bin" --server="$address" --model=perf --clients="$clients" \
    --points="$points" --seconds="$load_seconds" \
    --warmup_seconds="$warmup_seconds" --tag="batching_$1" \
    | tee "$work/load-$1.json" || status=$?
  stop_server
  if [[ $status -ne 0 ]]; then
    echo "service_load.sh: jkoflow-load failed (batching=$1)" >&2
    exit 1
  fi
}

echo "# $clients clients × $points points, ${load_seconds} s after ${warmup_seconds} s warm-up, server --threads=$threads"
run_load true
run_load false

on=$(value grpc_sample_points_per_s "$work/load-true.json")
off=$(value grpc_sample_points_per_s "$work/load-false.json")
echo "# grpc_sample_points_per_s: batching on $on, off $off," \
  "on/off $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", a / b }')"

if [[ "$in_process" == 1 ]]; then
  if [[ ! -x "$bench_bin" ]]; then
    echo "service_load.sh: $bench_bin not built" >&2
    exit 2
  fi
  "$bench_bin" --perf --threads="$threads" | tee "$work/perf.json"
  local_rate=$(value sample_points_per_s "$work/perf.json")
  echo "# in-process sample_points_per_s $local_rate; service with" \
    "batching / in-process" \
    "$(awk -v a="$on" -v b="$local_rate" 'BEGIN { printf "%.2f", a / b }')"
fi
