#!/usr/bin/env bash
# host_apt_mirrors_test.sh: deploy/host-apt-mirrors.sh on apt directories
# made here: one-line and deb822 sources, options, deb-src, comments,
# disabled stanzas and files, and the error when a suite has no source.
set -euo pipefail
script=${1:?usage: host_apt_mirrors_test.sh deploy/host-apt-mirrors.sh}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# One-line format, with options, deb-src and a commented-out line.
mkdir -p "$dir/a/sources.list.d"
cat >"$dir/a/sources.list" <<'LIST'
# deb http://old.invalid/debian bookworm main
deb-src http://src.invalid/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://one.invalid/debian/ bookworm main
deb http://sec.invalid/debian-security bookworm-security main
LIST
printf 'Types: deb\nURIs: http://disabled.invalid\nSuites: bookworm\n' \
  >"$dir/a/sources.list.d/x.sources.disabled"
got=$("$script" "$dir/a")
[ "$got" = $'archive http://one.invalid/debian\nsecurity http://sec.invalid/debian-security' ] ||
  fail "one-line sources gave: $got"

# deb822 stanzas; an "Enabled: no" stanza comes first and is skipped.
mkdir -p "$dir/b/sources.list.d"
cat >"$dir/b/sources.list.d/debian.sources" <<'SOURCES'
Types: deb
URIs: http://off.invalid/debian
Suites: bookworm
Enabled: no

Types: deb deb-src
URIs: http://two.invalid/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://two.invalid/debian-security
Suites: bookworm-security
Components: main
SOURCES
got=$("$script" "$dir/b")
[ "$got" = $'archive http://two.invalid/debian\nsecurity http://two.invalid/debian-security' ] ||
  fail "deb822 sources gave: $got"

# No security suite: exit 1 with a message naming it.
mkdir -p "$dir/c"
echo "deb http://three.invalid/debian bookworm main" >"$dir/c/sources.list"
if err=$("$script" "$dir/c" 2>&1); then fail "no security suite: exit 0"; fi
[[ "$err" == *bookworm-security* ]] || fail "no security suite said: $err"
echo "ok: one-line, deb822, disabled and missing sources"
