#!/usr/bin/env bash
# build.sh [GIT_DESCRIBE]: build dist/quadlaunch_<version>_<arch>.deb and
# dist/quadlaunch-<version>.<arch>.rpm from bin/ (make package runs `make build bin/nfpm`
# first). The version comes from `git describe` (the Makefile passes it), turned into a
# valid dpkg/rpm version by pkgversion.sh; QUADLAUNCH_PKG_VERSION overrides it (e.g. to
# build two versions for an upgrade test). Generated files (completions, man pages,
# changelog, copyright) are staged under dist/stage/ from the built binary, so they match it.
set -euo pipefail
cd "$(dirname "$0")/.."

for f in bin/quadlaunch bin/quadlaunch-podman bin/quadlaunch-generator bin/nfpm; do
	[ -x "$f" ] || { echo "packaging/build.sh: $f is missing: run make build bin/nfpm (or make package)" >&2; exit 1; }
done

describe=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)}
version=${QUADLAUNCH_PKG_VERSION:-$(packaging/pkgversion.sh "$describe")}
export QUADLAUNCH_PKG_VERSION=$version
export QUADLAUNCH_MAINTAINER=${QUADLAUNCH_MAINTAINER:-quadlaunch authors <quadlaunch@users.noreply.github.com>}
export GOARCH=${GOARCH:-$(go env GOARCH 2>/dev/null || dpkg --print-architecture)}
case $GOARCH in
amd64) rpmarch=x86_64 ;;
arm64) rpmarch=aarch64 ;;
386) rpmarch=i386 ;;
*) rpmarch=$GOARCH ;;
esac
# Reproducible dates in man pages, changelog and archives: the last commit's time.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

stage=dist/stage
rm -rf "$stage"
mkdir -p "$stage/completion" "$stage/man"

bin/quadlaunch completion bash >"$stage/completion/quadlaunch.bash"
bin/quadlaunch completion zsh >"$stage/completion/_quadlaunch"
bin/quadlaunch completion fish >"$stage/completion/quadlaunch.fish"

for page in quadlaunch.1 quadlaunch.yml.5 quadlaunch-generator.8; do
	bin/quadlaunch man --readme README.md "$page" >"$stage/man/$page"
	gzip -9n <"$stage/man/$page" >"$stage/man/$page.gz"
done

gzip -9n <README.md >"$stage/README.md.gz"

# Debian changelog for a native package: one entry for this build.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
	printf 'quadlaunch (%s) unstable; urgency=medium\n\n' "$version"
	printf '  * Build of git %s (%s).\n\n' "$commit" "$describe"
	printf ' -- %s  %s\n' "$QUADLAUNCH_MAINTAINER" "$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$stage/changelog.gz"

# Debian machine-readable copyright with the license text from LICENSE.
{
	printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n'
	printf 'Upstream-Name: quadlaunch\nSource: https://github.com/quadlaunch/quadlaunch\n'
	printf 'Comment: The binaries link Go modules statically: their licenses and notices are in\n'
	printf ' /usr/share/doc/quadlaunch/go-modules-licenses.gz.\n\n'
	printf 'Files: *\n'
	printf 'Copyright: %s\n' "$(sed -n 's/^Copyright (c) //p' LICENSE | head -1)"
	printf 'License: Expat\n'
	# Body lines of the license after the copyright line, indented; blank lines as " .".
	sed -n '/^Permission is hereby granted/,$p' LICENSE | sed -e 's/^$/./' -e 's/^/ /'
} >"$stage/copyright"

# The binaries link their Go modules statically, and those modules' licenses
# (MIT, BSD, Apache-2.0, ...) ask for their notices to ship with the binaries:
# one file with every linked module's license and notice files, from the module
# cache the build used. A module without one fails the build.
{
	printf 'The quadlaunch binaries (/usr/bin/quadlaunch, quadlaunch-podman, quadlaunch-generator) are statically\n'
	printf 'linked with the Go modules below. Each module'"'"'s license and notice files follow.\n'
	go version -m bin/quadlaunch bin/quadlaunch-podman bin/quadlaunch-generator | awk '$1 == "dep" { print $2 "@" $3 }' | sort -u |
		while read -r mod; do
			dir=$(go list -m -f '{{.Dir}}' "$mod")
			files=$(find "$dir" -maxdepth 1 -type f \( -iname '*licen[sc]e*' -o -iname 'copying*' -o -iname 'notice*' -o -iname 'patents*' \) | sort)
			[ -n "$files" ] || { echo "packaging/build.sh: no license file in $mod ($dir)" >&2; exit 1; }
			for f in $files; do
				printf '\n==== %s: %s\n\n' "${mod/@/ }" "$(basename "$f")"
				cat "$f"
			done
		done
} >"$stage/go-modules-licenses"
gzip -9nk "$stage/go-modules-licenses" # Debian compresses docs over 4 kB

mkdir -p dist
deb=dist/quadlaunch_${version}_${GOARCH}.deb
rpm=dist/quadlaunch-${version}.${rpmarch}.rpm
# Only this build's packages in dist/, so dist/*.deb names one file (copy older ones away
# to test upgrades).
rm -f dist/quadlaunch_*.deb dist/quadlaunch-*.rpm
bin/nfpm package --config packaging/nfpm.yaml --packager deb --target "$deb"
bin/nfpm package --config packaging/nfpm.yaml --packager rpm --target "$rpm"
echo "packaging: built $deb $rpm"
