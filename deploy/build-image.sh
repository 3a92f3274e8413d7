#!/usr/bin/env bash
# build-image.sh: builds the jkoflow container image (the top-level Dockerfile)
# with buildah, pulling nothing from any container registry.
#
#   deploy/build-image.sh              base image if missing, then the image
#   deploy/build-image.sh --base-only  only make sure debian:12 exists
#
# The Dockerfile starts FROM debian:12. When buildah's storage has no such
# image, this script makes one with debootstrap (bookworm, minbase) and
# commits it as localhost/debian:12, which is what the short name debian:12
# resolves to with --pull=never. The mirrors are this machine's own
# (deploy/host-apt-mirrors.sh reads them from /etc/apt), or $DEBIAN_MIRROR
# and $DEBIAN_SECURITY_MIRROR where set: no file of the project names a
# package host.
#
# The image is tagged localhost/jkoflow:<project version> and
# localhost/jkoflow:latest; deploy/k8s uses localhost/jkoflow:latest (the
# manifest test checks that the names agree). Push it to your registry and
# change the image in deploy/k8s/kustomization.yaml (images:) for a cluster.
#
# Needs root (or a user with subuids for buildah), buildah and debootstrap
# (Debian packages of the same names). Storage driver: vfs, which works
# everywhere (including inside containers) at the cost of disk space; set
# BUILDAH_STORAGE_DRIVER=overlay to use overlay instead. The image is in
# Docker format (--format docker): the OCI format has no HEALTHCHECK.
set -euo pipefail

IMAGE=localhost/jkoflow
BASE_IMAGE=localhost/debian:12
STORAGE_DRIVER=${BUILDAH_STORAGE_DRIVER:-vfs}

base_only=0
case "${1:-}" in
  "") ;;
  --base-only) base_only=1 ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "build-image: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

log() { echo "build-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v buildah >/dev/null ||
  die "buildah is not installed (Debian package buildah)"
bh=(buildah --storage-driver "$STORAGE_DRIVER")

version=$(sed -n 's/^project(jkoflow VERSION \([0-9.]*\).*/\1/p' \
  "$src_dir/CMakeLists.txt")
[ -n "$version" ] || die "no 'project(jkoflow VERSION x.y.z' in CMakeLists.txt"

# --- base image ------------------------------------------------------------
# host_mirrors sets DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR from this
# machine's apt sources where the environment does not.
host_mirrors() {
  local found
  found=$("$src_dir/deploy/host-apt-mirrors.sh") ||
    die "set DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR, or build on Debian 12"
  DEBIAN_MIRROR=${DEBIAN_MIRROR:-$(awk '$1 == "archive" { print $2 }' <<<"$found")}
  DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-$(awk '$1 == "security" { print $2 }' <<<"$found")}
}

make_base() {
  if [ -z "${DEBIAN_MIRROR:-}" ] || [ -z "${DEBIAN_SECURITY_MIRROR:-}" ]; then
    host_mirrors
  fi
  command -v debootstrap >/dev/null ||
    die "$BASE_IMAGE is missing and debootstrap is not installed (Debian package debootstrap)"
  local tmp ctr start
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/jkoflow-base.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  start=$(date +%s)
  log "debootstrap bookworm (minbase) from $DEBIAN_MIRROR into $tmp/rootfs"
  debootstrap --variant=minbase bookworm "$tmp/rootfs" "$DEBIAN_MIRROR" \
    >"$tmp/debootstrap.log" 2>&1 || {
    tail -n 30 "$tmp/debootstrap.log" >&2
    die "debootstrap failed (full log above: last 30 lines)"
  }
  # The same sources as the official image: bookworm, its updates and
  # security suites.
  cat >"$tmp/rootfs/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR bookworm main
deb $DEBIAN_MIRROR bookworm-updates main
deb $DEBIAN_SECURITY_MIRROR bookworm-security main
EOF
  rm -rf "$tmp/rootfs/var/lib/apt/lists/"* \
    "$tmp/rootfs/var/cache/apt/archives/"*.deb \
    "$tmp/rootfs/dev/"* "$tmp/rootfs/proc/"* "$tmp/rootfs/sys/"*
  tar -C "$tmp/rootfs" --numeric-owner -cf "$tmp/rootfs.tar" .
  log "importing the root file system as $BASE_IMAGE"
  ctr=$("${bh[@]}" from scratch)
  # buildah add unpacks a local tar archive into the destination.
  "${bh[@]}" add "$ctr" "$tmp/rootfs.tar" / >/dev/null
  "${bh[@]}" config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd '["/bin/bash"]' \
    --label org.opencontainers.image.description="Debian 12 (bookworm) minbase, made by jkoflow's deploy/build-image.sh" \
    "$ctr"
  "${bh[@]}" commit --rm --quiet "$ctr" "$BASE_IMAGE" >/dev/null
  rm -rf "$tmp"
  trap - EXIT
  log "made $BASE_IMAGE in $(($(date +%s) - start)) s"
}

if "${bh[@]}" inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  log "base image $BASE_IMAGE present"
else
  make_base
fi
if [ "$base_only" -eq 1 ]; then
  "${bh[@]}" images "$BASE_IMAGE"
  exit 0
fi

# --- the image ---------------------------------------------------------------
start=$(date +%s)
log "building $IMAGE:$version from $src_dir/Dockerfile (this compiles jkoflow)"
"${bh[@]}" build \
  --isolation chroot \
  --pull=never \
  --layers \
  --format docker \
  -f "$src_dir/Dockerfile" \
  -t "$IMAGE:$version" -t "$IMAGE:latest" \
  "$src_dir"
elapsed=$(($(date +%s) - start))

log "built $IMAGE:$version and $IMAGE:latest in ${elapsed} s"
log "image size (uncompressed): $("${bh[@]}" images --format '{{.Size}}' "$IMAGE:latest")"
"${bh[@]}" images "$IMAGE"
