#!/usr/bin/env bash
# host-apt-mirrors.sh: prints the Debian mirrors this machine's apt uses, so
# that an image built here fetches from the same places and no file of the
# project names a package host.
#
#   deploy/host-apt-mirrors.sh [APT_DIR]    (default /etc/apt)
#
# Output, two lines:
#   archive <URI of the suite bookworm>
#   security <URI of the suite bookworm-security>
# read from APT_DIR/sources.list and APT_DIR/sources.list.d/*.list (one-line
# "deb [options] URI SUITE COMPONENTS…") and *.sources (deb822 stanzas with
# URIs: and Suites:). Files with other endings (e.g. ".disabled") and
# deb-src lines are ignored; a stanza with "Enabled: no" too. Exits 1 naming
# what is missing when either suite has no source.
set -euo pipefail

apt_dir=${1:-/etc/apt}
files=()
[ -f "$apt_dir/sources.list" ] && files+=("$apt_dir/sources.list")
for f in "$apt_dir"/sources.list.d/*.list "$apt_dir"/sources.list.d/*.sources; do
  [ -f "$f" ] && files+=("$f")
done
[ "${#files[@]}" -gt 0 ] || {
  echo "host-apt-mirrors: no apt sources under $apt_dir" >&2
  exit 1
}

# One "URI SUITE" pair per line, from both formats.
pairs=$(awk '
  function flush() {
    if (enabled && types ~ /(^| )deb( |$)/)
      for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print uri[i], suite[j]
    nu = ns = 0; types = ""; enabled = 1
  }
  BEGIN { enabled = 1 }
  FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
  /^[[:space:]]*#/ { next }
  !deb822 {
    if ($1 != "deb") next
    f = 2
    if ($f ~ /^\[/) { while (f <= NF && $f !~ /\]$/) f++; f++ }
    print $f, $(f + 1)
    next
  }
  /^[[:space:]]*$/ { flush(); next }
  tolower($1) == "types:" { types = ""; for (i = 2; i <= NF; i++) types = types " " $i; types = types " " }
  tolower($1) == "uris:" { for (i = 2; i <= NF; i++) uri[++nu] = $i }
  tolower($1) == "suites:" { for (i = 2; i <= NF; i++) suite[++ns] = $i }
  tolower($1) == "enabled:" { enabled = (tolower($2) != "no") }
  END { flush() }
' "${files[@]}")

pick() {  # the first URI of suite $1
  awk -v want="$1" '$2 == want { sub(/\/+$/, "", $1); print $1; exit }' <<<"$pairs"
}
archive=$(pick bookworm)
security=$(pick bookworm-security)
[ -n "$archive" ] || {
  echo "host-apt-mirrors: no apt source for suite bookworm under $apt_dir" >&2
  exit 1
}
[ -n "$security" ] || {
  echo "host-apt-mirrors: no apt source for suite bookworm-security under $apt_dir" >&2
  exit 1
}
echo "archive $archive"
echo "security $security"
