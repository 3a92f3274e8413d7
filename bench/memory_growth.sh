#!/usr/bin/env bash
# memory_growth.sh: server memory under a long mixed load (issue 9 §5,
# after Triton's L0_memory_growth). It writes the `jkoflow-bench --perf`
# model into a scratch store, starts jkoflow-server on free loopback
# ports, runs a warm-up load, reads the server's VmRSS, runs jkoflow-load
# --mode=mixed (Sample and LogLikelihood alternately) for REQUESTS requests
# over CLIENTS clients, reads VmRSS again, and prints the load figures and
# these as JSON lines:
#   server_rss_mb_after_warmup, server_rss_mb_end, server_rss_growth_mb
# It exits 1 when a request failed or the growth reaches LIMIT_MB.
#
# Usage: bench/memory_growth.sh [BUILD_DIR]     (default: build)
# Environment: CLIENTS (32), REQUESTS (100000, in total), POINTS (10),
#   WARMUP_REQUESTS (10000, in total), THREADS (number of cores),
#   LIMIT_MB (50).
set -euo pipefail

build_dir=${1:-build}
clients=${CLIENTS:-32}
requests=${REQUESTS:-100000}
points=${POINTS:-10}
warmup_requests=${WARMUP_REQUESTS:-10000}
threads=${THREADS:-$(nproc)}
limit_mb=${LIMIT_MB:-50}
export OMP_WAIT_POLICY=PASSIVE  # idle OpenMP threads must not spin

server_bin="$build_dir/server/jkoflow-server"
load_bin="$build_dir/bench/jkoflow-load"
model_bin="$build_dir/bench/jkoflow-make-perf-model"
for bin in "$server_bin" "$load_bin" "$model_bin"; do
  if [[ ! -x "$bin" ]]; then
    echo "memory_growth.sh: $bin not built" >&2
    exit 2
  fi
done

work=$(mktemp -d -t jkoflow-memory-growth.XXXXXX)
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
"$server_bin" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
  --model_dir="$work/models" --job_dir="$work/jobs" \
  --data_dir="$work/data" --threads="$threads" \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
address=""
for _ in $(seq 1200); do  # up to 120 s on a busy machine
  address=$(sed -n 's/^listening on \(.*\)$/\1/p' "$work/server.out")
  [[ -n "$address" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "memory_growth.sh: jkoflow-server exited:" >&2
    cat "$work/server.err" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$address" ]]; then
  echo "memory_growth.sh: jkoflow-server did not start in 120 s" >&2
  exit 1
fi

# rss_mb: the server's resident set in MB (VmRSS is in kB).
rss_mb() {
  awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"
}

# load TOTAL TAG: a mixed run of TOTAL requests in all.
load() {
  "$load_bin" --server="$address" --model=perf --mode=mixed \
    --clients="$clients" --points="$points" --warmup_seconds=0 \
    --requests=$(( ($1 + clients - 1) / clients )) --tag="$2"
}

status=0
load "$warmup_requests" warmup >/dev/null || status=$?
warm=$(rss_mb)
start=$(date +%s)
load "$requests" memory_growth || status=$?
end=$(rss_mb)
seconds=$(( $(date +%s) - start ))
growth=$(awk -v a="$warm" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
config="{\"clients\": $clients, \"requests\": $requests,"
config+=" \"points\": $points, \"warmup_requests\": $warmup_requests,"
config+=" \"threads\": $threads, \"seconds\": $seconds}"
for figure in "server_rss_mb_after_warmup $warm" "server_rss_mb_end $end" \
              "server_rss_growth_mb $growth"; do
  set -- $figure
  echo "{\"figure\": \"$1\", \"value\": $2, \"unit\": \"MB\"," \
    "\"config\": $config}"
done
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=""
if [[ $status -ne 0 ]]; then
  echo "memory_growth.sh: requests failed" >&2
  exit 1
fi
if awk -v g="$growth" -v l="$limit_mb" 'BEGIN { exit !(g >= l) }'; then
  echo "memory_growth.sh: RSS grew $growth MB (limit $limit_mb)" >&2
  exit 1
fi
