#!/usr/bin/env bash
# demo.sh: `make demo`, the README's first command. On a fresh Debian 12
# machine it installs the dependencies, builds the server and the CLI, starts
# jkoflow-server on its embedded defaults (gRPC 127.0.0.1:50051, metrics
# 127.0.0.1:9464, state under ./var), trains an 8gaussians model remotely
# through the CLI, samples 10,000 points to samples.csv and samples.png,
# reports the NLL of fresh 8gaussians test points, and stops the server
# (SIGTERM, then wait) — also when a step fails.
#
# Environment: BUILD_DIR (default build), JOBS (default nproc), and the
# training settings DEMO_BLOCKS, DEMO_ITERS, DEMO_WIDTH, DEMO_BATCH (unset:
# the server's defaults, except a width of 32 that keeps the demo quick).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
WIDTH=${DEMO_WIDTH:-32}
# Optional overrides of the server's training defaults.
train_flags=(--width="$WIDTH")
[ -z "${DEMO_BLOCKS:-}" ] || train_flags+=(--blocks="$DEMO_BLOCKS")
[ -z "${DEMO_ITERS:-}" ] || train_flags+=(--iters="$DEMO_ITERS")
[ -z "${DEMO_BATCH:-}" ] || train_flags+=(--batch="$DEMO_BATCH")
GRPC_PORT=50051      # the server's embedded defaults
METRICS_PORT=9464
SERVER=127.0.0.1:${GRPC_PORT}
LOG_DIR=var/demo
start_time=$SECONDS

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# port_busy PORT: true when something accepts connections on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# who_listens PORT: the process holding a port, when ss can tell.
who_listens() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\))).*/\1/p'
  fi
}

check_ports() {
  local port
  for port in "$GRPC_PORT" "$METRICS_PORT"; do
    if port_busy "$port"; then
      local holder
      holder=$(who_listens "$port")
      fail "port ${port} on 127.0.0.1 is already in use${holder:+ by ${holder}}.
  Probably a jkoflow-server from an earlier run is still up; stop it
  (kill <pid>, it exits cleanly on SIGTERM) and run 'make demo' again."
    fi
  done
}

say "dependencies (deploy/install-deps.sh)"
bash deploy/install-deps.sh

# Fail before a long build if the ports are taken.
check_ports

say "build: jkoflow-server and jkoflow (${BUILD_DIR}, ${JOBS} jobs)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target jkoflow_server jkoflow_cli
SERVER_BIN=$BUILD_DIR/server/jkoflow-server
CLI=$BUILD_DIR/client/jkoflow
[ -x "$SERVER_BIN" ] || fail "build produced no $SERVER_BIN"
[ -x "$CLI" ] || fail "build produced no $CLI"
jkoflow() { "$CLI" --server="$SERVER" "$@"; }

check_ports  # again: the build took a while
mkdir -p "$LOG_DIR"
server_pid=""
stop_server() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    say "stopping jkoflow-server (pid ${server_pid}, SIGTERM)"
    kill -TERM "$server_pid"
    local server_status=0
    wait "$server_pid" || server_status=$?
    if [ "$server_status" -ne 0 ]; then
      echo "demo: jkoflow-server exited with status ${server_status}" >&2
      [ "$status" -ne 0 ] || status=$server_status
    else
      echo "jkoflow-server stopped cleanly"
    fi
  fi
  if [ "$status" -ne 0 ] && [ -f "$LOG_DIR/server.log" ]; then
    echo "demo failed; last lines of $LOG_DIR/server.log:" >&2
    tail -n 20 "$LOG_DIR/server.log" >&2
  fi
  exit "$status"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "start jkoflow-server on its defaults (${SERVER}, metrics 127.0.0.1:${METRICS_PORT}, ./var)"
# LibTorch's OpenMP threads spin while they wait; on two cores shared with
# anything else (the CLI, a build, other users) that made training about 8x
# slower. Passive waiting keeps the server on its defaults without the stall.
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} "$SERVER_BIN" >"$LOG_DIR/server.log" 2>&1 &
server_pid=$!
echo "pid ${server_pid}, log ${LOG_DIR}/server.log"

# Healthy = it answers ListModels.
for _ in $(seq 1 120); do
  kill -0 "$server_pid" 2>/dev/null || fail "jkoflow-server exited at start"
  if jkoflow --timeout=2 models >/dev/null 2>&1; then break; fi
  sleep 0.5
done
jkoflow --timeout=2 models >/dev/null || fail "jkoflow-server is not answering on ${SERVER}"
echo "server is up"

say "train 8gaussians remotely: ${train_flags[*]}, the rest the server's defaults"
train_start=$SECONDS
jkoflow train --model=8gaussians --dataset=8gaussians --n=50000 --data_seed=1 \
  "${train_flags[@]}" --seed=1 --wait
echo "trained in $((SECONDS - train_start)) s"
jkoflow models

say "sample 10,000 points -> samples.csv, samples.png"
jkoflow sample --model=8gaussians --n=10000 --seed=7 --out=samples.csv --plot=samples.png

say "test NLL on 10,000 fresh 8gaussians points (seed 2024, not the training data)"
# The 8gaussians law of docs/design.md §10: a uniformly chosen centre
# 4·(cos(jπ/4), sin(jπ/4)) plus 0.5·N(0, I), all divided by 1.414.
awk -v n=10000 -v seed=2024 'BEGIN {
  srand(seed); pi = atan2(0, -1)
  for (i = 0; i < n; i++) {
    j = int(rand() * 8)
    u1 = rand(); if (u1 < 1e-12) u1 = 1e-12
    u2 = rand()
    r = sqrt(-2 * log(u1))
    x = 4 * cos(j * pi / 4) + 0.5 * r * cos(2 * pi * u2)
    y = 4 * sin(j * pi / 4) + 0.5 * r * sin(2 * pi * u2)
    printf "%.7f,%.7f\n", x / 1.414, y / 1.414
  }
}' >"$LOG_DIR/test_points.csv"
loglik_out=$(jkoflow loglik --model=8gaussians --in="$LOG_DIR/test_points.csv" \
  --out="$LOG_DIR/test_logp.csv")
echo "$loglik_out"
[ -s "$LOG_DIR/test_logp.csv" ] || fail "no per-point log-likelihoods"
# The NLL is a mean over 10,000 points: say its standard error, so that a
# KL estimate near or below zero reads as what it is (noise).
awk -F, -v h=2.833 '$1 + 0 == $1 { n++; s += -$1; ss += $1 * $1 }
END {
  if (n < 2) exit 1
  nll = s / n; sd = sqrt((ss - n * nll * nll) / (n - 1)); se = sd / sqrt(n)
  kl = nll - h
  printf "test NLL %.4f ± %.4f nats/point (standard error over %d points)\n", nll, se, n
  printf "the true entropy is about %.3f, so KL(data || model) is about %.4f ± %.4f nats", h, kl, se
  if (kl < 2 * se) printf ": within two standard errors of 0 (a negative value is noise), as good as this test can tell"
  printf "\n"
}' "$LOG_DIR/test_logp.csv" || fail "cannot read $LOG_DIR/test_logp.csv"

say "done in $((SECONDS - start_time)) s: samples.csv, samples.png; the model is in ./var/models/8gaussians"
