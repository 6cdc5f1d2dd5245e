#!/bin/sh
# pkgversion.sh DESCRIBE [COMMITS]: turn `git describe --tags --always --dirty` output into a
# version that dpkg and rpm both accept and that sorts like the history:
#   v1.2.3 / 1.2.3            -> 1.2.3
#   1.2.3-5-gabc1234          -> 1.2.3.git5.gabc1234        (after 1.2.3, before 1.2.4)
#   abc1234 (no tag yet)      -> 0.0.0~git<COMMITS>.gabc1234 (before any 0.0.0 release)
#   1.2.0-rc1                 -> 1.2.0~rc1                  (before 1.2.0)
#   any of these + "-dirty"   -> the same + ".dirty"
# COMMITS defaults to `git rev-list --count HEAD`. Characters other than [0-9A-Za-z.~] never
# pass through (rpm forbids "-", dpkg would read it as a Debian revision).
set -eu
raw=${1:?usage: pkgversion.sh DESCRIBE [COMMITS]}
raw=${raw#v}
dirty=
case $raw in *-dirty) dirty=.dirty; raw=${raw%-dirty} ;; esac
# Pre-release tags (1.2.0-rc1) sort before the release: "~" in both dpkg and rpm.
raw=$(printf '%s\n' "$raw" | sed -E 's/^([0-9][0-9.]*)-(rc|alpha|beta|pre)/\1~\2/')

if printf '%s\n' "$raw" | grep -Eq '^[0-9]+(\.[0-9A-Za-z~]+)*-[0-9]+-g[0-9a-f]+$'; then
  # tag-N-gSHA
  sha=${raw##*-g}; rest=${raw%-g*}; n=${rest##*-}; tag=${rest%-*}
  v="$tag.git$n.g$sha"
elif printf '%s\n' "$raw" | grep -Eq '^[0-9]+(\.[0-9A-Za-z~]+)+$'; then
  v=$raw
elif printf '%s\n' "$raw" | grep -Eq '^[0-9a-f]{4,40}$'; then
  n=${2:-$(git rev-list --count HEAD 2>/dev/null || echo 0)}
  v="0.0.0~git$n.g$raw"
else
  # Anything else (no git: the Makefile's "0.0.0-dev"): below every real version.
  v="0.0.0~dev"
fi
printf '%s%s\n' "$v" "$dirty"
