#!/usr/bin/env bash
# distributed_bench.sh: data-parallel training speed of jkoflow-train-worker
# on this machine, as JSON lines on stdout.
#
#   bench/distributed_bench.sh [BUILD_DIR]
#
# 1. Iteration time (median over one block's iterations) for 1 and 2 ranks
#    of one LibTorch thread each, at global batch 2000 and 20,000 (8gaussians,
#    the default field: 33,666 parameters per block), with the speed-up.
# 2. All-reduce time (median of 30) of float32 buffers of 1e3 to 1e6
#    elements between 2 ranks over loopback (Gloo): how the per-iteration
#    cost grows with the parameter count.
set -euo pipefail
build=${1:-build}
worker="$build/worker/jkoflow-train-worker"
[ -x "$worker" ] || { echo "distributed_bench: build $worker first" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
port=$((20000 + RANDOM % 20000))

# run_job RANKS BATCH ITERATIONS: rank 0's summary line.
run_job() {
  local ranks=$1 batch=$2 iterations=$3 pids=()
  port=$((port + 1))
  for ((r = 0; r < ranks; r++)); do
    "$worker" --rank=$r --world_size="$ranks" \
      --rendezvous=127.0.0.1:$port --threads=1 --points=40000 \
      --set="max_blocks=1,iterations_per_block=$iterations,batch_size=$batch,diagnostic_points=0,stats_points=500" \
      >"$scratch/rank$r.out" 2>"$scratch/rank$r.err" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || { cat "$scratch"/rank*.err >&2; exit 1; }
  done
  tail -n 1 "$scratch/rank0.out"
}

for batch in 2000 20000; do
  iterations=$((batch == 2000 ? 40 : 12))
  one=$(run_job 1 $batch $iterations)
  two=$(run_job 2 $batch $iterations)
  /usr/bin/python3 - "$batch" "$one" "$two" <<'PY'
import json, sys
batch, one, two = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
for s in (one, two):
    print(json.dumps({"bench": "data_parallel_iteration", "ranks": s["world_size"],
                      "threads_per_rank": s["threads"], "batch": batch,
                      "params_per_block": s["params_per_block"],
                      "iteration_ms_median": round(s["iteration_ms_median"], 2),
                      "allreduce_ms_mean": round(s["allreduce_ms_mean"], 3)}))
print(json.dumps({"bench": "data_parallel_speedup", "batch": batch,
                  "speedup_2_ranks": round(one["iteration_ms_median"] /
                                           two["iteration_ms_median"], 3)}))
PY
done

port=$((port + 1))
"$worker" --allreduce_bench --rank=1 --world_size=2 \
  --rendezvous=127.0.0.1:$port --threads=1 \
  --allreduce_sizes=1000,10000,33666,100000,1000000 >/dev/null &
peer=$!
"$worker" --allreduce_bench --rank=0 --world_size=2 \
  --rendezvous=127.0.0.1:$port --threads=1 \
  --allreduce_sizes=1000,10000,33666,100000,1000000
wait $peer
