#!/usr/bin/env bash
# image-smoke.sh: starts the image built by deploy/build-image.sh, waits until
# `jkoflow health` reports SERVING, trains a tiny model through the CLI inside
# the container, samples from it, then sends SIGTERM and expects the server to
# exit 0 (it drains for at most --drain_timeout).
#
#   deploy/image-smoke.sh [IMAGE]      default: localhost/jkoflow:latest
#
# With podman it runs the image as a container (its ENTRYPOINT, CMD, USER and
# VOLUME); without podman, buildah runs the image's ENTRYPOINT and CMD in a
# working container (isolation chroot: the host's network namespace, so the
# server binds ports 50051 and 9464 of this machine while it runs).
set -euo pipefail

IMAGE=${1:-localhost/jkoflow:latest}
STORAGE_DRIVER=${BUILDAH_STORAGE_DRIVER:-vfs}

log() { echo "image-smoke: $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# The scenario, run by bash inside the container. $1 is "server" to start the
# server from the remaining arguments in the background (buildah), or "client"
# when the server is the container's own process (podman).
read -r -d '' scenario <<'EOF' || true
set -euo pipefail
mode=$1; shift
say() { echo "image-smoke (in container): $*" >&2; }
if [ "$mode" = server ]; then
  "$@" &
  server=$!
fi
ok=0
for _ in $(seq 1 60); do
  if jkoflow --timeout=2 health --server=127.0.0.1:50051 >/dev/null 2>&1; then
    ok=1; break
  fi
  sleep 1
done
[ "$ok" -eq 1 ] || { say "jkoflow health never reported SERVING in 60 s"; exit 1; }
say "health: SERVING"
jkoflow --timeout=600 train --model=smoke --dataset=8gaussians --n=2000 \
  --blocks=1 --iters=20 --batch=256 --width=16 --depth=2 --wait
jkoflow models
jkoflow sample --model=smoke --n=100 --seed=1 --out=/tmp/smoke.csv
lines=$(wc -l </tmp/smoke.csv)
[ "$lines" -ge 100 ] || { say "sample wrote $lines lines, expected >= 100"; exit 1; }
say "sampled 100 points"
if [ "$mode" = server ]; then
  kill -TERM "$server"
  rc=0; wait "$server" || rc=$?
  [ "$rc" -eq 0 ] || { say "jkoflow-server exited $rc after SIGTERM, expected 0"; exit 1; }
  say "jkoflow-server exited 0 after SIGTERM"
fi
EOF

start=$(date +%s)
if command -v podman >/dev/null; then
  name=jkoflow-smoke-$$
  log "podman: starting $IMAGE as $name"
  podman run -d --name "$name" "$IMAGE" >/dev/null
  cleanup() { podman rm -f "$name" >/dev/null 2>&1 || true; }
  trap cleanup EXIT
  if ! podman exec "$name" bash -c "$scenario" smoke client; then
    podman logs "$name" >&2 || true
    die "the scenario failed inside $name (server log above)"
  fi
  log "podman stop (SIGTERM, then up to 60 s)"
  podman stop --time 60 "$name" >/dev/null
  rc=$(podman inspect --format '{{.State.ExitCode}}' "$name")
  if [ "$rc" != 0 ]; then
    podman logs "$name" >&2 || true
    die "jkoflow-server exited $rc after SIGTERM, expected 0"
  fi
else
  command -v buildah >/dev/null ||
    die "neither podman nor buildah is installed"
  bh=(buildah --storage-driver "$STORAGE_DRIVER")
  "${bh[@]}" inspect --type image "$IMAGE" >/dev/null 2>&1 ||
    die "no image $IMAGE: run deploy/build-image.sh first"
  # ENTRYPOINT and CMD of the image (no argument has a space).
  read -r -a argv <<<"$("${bh[@]}" inspect --type image --format \
    '{{range .OCIv1.Config.Entrypoint}}{{.}} {{end}}{{range .OCIv1.Config.Cmd}}{{.}} {{end}}' \
    "$IMAGE")"
  [ "${#argv[@]}" -gt 0 ] || die "$IMAGE has no ENTRYPOINT/CMD"
  user=$("${bh[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' \
    "$IMAGE")
  case "${user%%:*}" in
    "" | 0 | root) die "$IMAGE runs as '${user:-root}', expected a non-root USER" ;;
  esac
  ctr=$("${bh[@]}" from --pull=never "$IMAGE")
  cleanup() { "${bh[@]}" rm "$ctr" >/dev/null 2>&1 || true; }
  trap cleanup EXIT
  log "buildah: running '${argv[*]}' as $user in $ctr"
  "${bh[@]}" run --isolation chroot --user "$user" "$ctr" -- \
    bash -c "$scenario" smoke server "${argv[@]}" ||
    die "the scenario failed (output above)"
fi
log "PASS in $(($(date +%s) - start)) s"
