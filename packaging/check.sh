#!/usr/bin/env bash
# check.sh [DEB [RPM]]: check the built packages (default: the ones in dist/) the way an
# operator would meet them: file lists and modes (dpkg-deb -c, rpm -qpl), dependencies,
# conffiles, maintainer scripts, lintian (no errors), bash completion loading and
# completing, man pages rendering without warnings. Prints one line per check; exits 1 if
# any failed, 2 if a tool or a package is missing. Run by packaging's Go test.
set -uo pipefail
cd "$(dirname "$0")/.."

deb=${1:-$(ls -t dist/quadlaunch_*.deb 2>/dev/null | head -1)}
rpm=${2:-$(ls -t dist/quadlaunch-*.rpm 2>/dev/null | head -1)}
[ -f "$deb" ] && [ -f "$rpm" ] || { echo "check.sh: no packages in dist/ (run make package)" >&2; exit 2; }
for t in dpkg-deb rpm lintian man gzip; do
	command -v "$t" >/dev/null || { echo "check.sh: $t not installed (apt-get install lintian rpm man-db)" >&2; exit 2; }
done
[ -f /usr/share/bash-completion/bash_completion ] ||
	{ echo "check.sh: bash-completion not installed (apt-get install bash-completion)" >&2; exit 2; }

failed=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; failed=1; }
# has LIST LINE: LINE is one of LIST's lines.
has() { grep -qxF -- "$2" <<<"$1"; }

tmp=$(mktemp -d)
chmod 755 "$tmp" # man-db drops root privileges to user man before reading pages
trap 'rm -rf "$tmp"' EXIT

echo "== $deb"
# "MODE PATH" or "MODE PATH -> TARGET", paths without the leading "."
deblist=$(dpkg-deb -c "$deb" | awk '{ p = $6; sub(/^\./, "", p); l = $1 " " p; if ($7 == "->") l = l " -> " $8; print l }')
while read -r want; do
	[ -n "$want" ] || continue
	if has "$deblist" "$want"; then ok "deb has: $want"; else bad "deb lacks: $want"; fi
done <<'WANT'
-rwxr-xr-x /usr/bin/quadlaunch
-rwxr-xr-x /usr/libexec/quadlaunch/quadlaunch-podman
-rwxr-xr-x /usr/lib/systemd/system-generators/quadlaunch-generator
drwx------ /etc/quadlaunch/containers/
drwx------ /etc/quadlaunch/templates/
-rw------- /etc/quadlaunch/containers/example.yml.sample
-rw-r--r-- /usr/share/quadlaunch/templates/quadlaunch-http.template.yml
-rw-r--r-- /usr/share/quadlaunch/templates/quadlaunch-hardened.template.yml
-rw-r--r-- /usr/share/bash-completion/completions/quadlaunch
-rw-r--r-- /usr/share/zsh/vendor-completions/_quadlaunch
-rw-r--r-- /usr/share/fish/vendor_completions.d/quadlaunch.fish
-rw-r--r-- /usr/share/man/man1/quadlaunch.1.gz
-rw-r--r-- /usr/share/man/man5/quadlaunch.yml.5.gz
-rw-r--r-- /usr/share/man/man8/quadlaunch-generator.8.gz
-rw-r--r-- /usr/share/doc/quadlaunch/copyright
-rw-r--r-- /usr/share/doc/quadlaunch/go-modules-licenses.gz
-rw-r--r-- /usr/share/doc/quadlaunch/changelog.gz
-rw-r--r-- /usr/share/doc/quadlaunch/README.md.gz
WANT
# dpkg-deb prints symlinks with the mode nfpm stored (unused by Linux): any symlink mode.
link="/usr/lib/systemd/user-generators/quadlaunch-user-generator -> ../system-generators/quadlaunch-generator"
if grep -q "^l[^ ]* $link\$" <<<"$deblist"; then ok "deb has: $link"; else bad "deb lacks: $link"; fi
# The generator tells user mode from its name: the user-generators entry must contain "user".
if grep -q '^l[^ ]* /usr/lib/systemd/user-generators/[^ ]*user[^ ]* -> ' <<<"$deblist"; then ok "user generator link name contains \"user\""; else bad "user generator link name lacks \"user\""; fi

depends=$(dpkg-deb -f "$deb" Depends)
for want in "podman (>= 5.0)" "systemd"; do
	if tr ',' '\n' <<<"$depends" | sed 's/^ *//' | grep -qxF "$want"; then ok "deb Depends: $want"; else bad "deb Depends lacks $want (got: $depends)"; fi
done

mkdir -p "$tmp/control" "$tmp/root"
dpkg-deb -e "$deb" "$tmp/control"
dpkg-deb -x "$deb" "$tmp/root"
conffiles=$(cat "$tmp/control/conffiles" 2>/dev/null)
etcfiles=$(cd "$tmp/root" && find etc -type f | sed 's|^|/|' | sort)
if [ -n "$etcfiles" ] && [ "$etcfiles" = "$(sort <<<"$conffiles")" ]; then ok "deb conffiles = every file under /etc: $(tr '\n' ' ' <<<"$etcfiles")"; else bad "deb conffiles ($conffiles) != files under /etc ($etcfiles)"; fi
# Every Go module linked into the packaged binaries has its license in the package.
lic=$tmp/go-modules-licenses
gzip -dc "$tmp/root/usr/share/doc/quadlaunch/go-modules-licenses.gz" >"$lic"
mods=$(go version -m "$tmp/root/usr/bin/quadlaunch" "$tmp/root/usr/libexec/quadlaunch/quadlaunch-podman" "$tmp/root/usr/lib/systemd/system-generators/quadlaunch-generator" | awk '$1 == "dep" { print $2 " " $3 }' | sort -u)
nolic=$(while read -r m; do grep -qF "==== $m: " "$lic" || echo "$m"; done <<<"$mods")
if [ -n "$mods" ] && [ -z "$nolic" ]; then ok "go-modules-licenses covers the $(wc -l <<<"$mods") modules linked into the binaries"; else bad "go-modules-licenses lacks: $(tr '\n' ';' <<<"$nolic")"; fi
for s in postinst prerm postrm; do
	f=$tmp/control/$s
	if [ -x "$f" ] && sh -n "$f"; then ok "deb $s: executable, sh syntax"; else bad "deb $s: missing, not executable or bad syntax"; fi
	if grep -q 'systemctl' "$f" && ! grep -q '\[ -d /run/systemd/system \]' "$f"; then bad "deb $s calls systemctl without checking [ -d /run/systemd/system ]"; fi
done
for s in postinst postrm; do
	if grep -q 'systemctl daemon-reload' "$tmp/control/$s"; then ok "deb $s runs daemon-reload"; else bad "deb $s lacks daemon-reload"; fi
done

# lintian: no errors (warnings are printed; overrides in the package are justified there).
lintian --fail-on error --display-level '>=warning' "$deb" >"$tmp/lintian.out" 2>&1
lrc=$?
lout=$(grep -v 'running with root privileges' "$tmp/lintian.out")
[ -z "$lout" ] || sed 's/^/     lintian: /' <<<"$lout"
if [ "$lrc" = 0 ] && ! grep -q '^E:' <<<"$lout"; then ok "lintian: no errors"; else bad "lintian: errors (exit $lrc)"; fi

# Completions: bash loads and completes (with the packaged binary), zsh/fish parse if installed.
comp=$tmp/root/usr/share/bash-completion/completions/quadlaunch
if out=$(bash -c "source '$comp' && complete -p quadlaunch" 2>&1) && grep -q ' quadlaunch$' <<<"$out"; then ok "bash: complete -p quadlaunch: $out"; else bad "bash completion does not load: $out"; fi
got=$(PATH="$tmp/root/usr/bin:$PATH" bash -c "source /usr/share/bash-completion/bash_completion; source '$comp'
	COMP_WORDS=(quadlaunch --ro); COMP_CWORD=1; COMP_LINE='quadlaunch --ro'; COMP_POINT=\${#COMP_LINE}
	__quadlaunch_bash_autocomplete; printf '%s\n' \"\${COMPREPLY[@]}\"" 2>&1)
if grep -qx -- '--root' <<<"$got"; then ok "bash completes 'quadlaunch --ro' to --root"; else bad "bash completion of 'quadlaunch --ro': $got"; fi
if command -v zsh >/dev/null; then
	if zsh -n "$tmp/root/usr/share/zsh/vendor-completions/_quadlaunch"; then ok "zsh completion parses"; else bad "zsh completion does not parse"; fi
fi
if command -v fish >/dev/null; then
	if fish -n "$tmp/root/usr/share/fish/vendor_completions.d/quadlaunch.fish"; then ok "fish completion parses"; else bad "fish completion does not parse"; fi
fi

# Man pages render without warnings (lintian's check), and `man quadlaunch` finds the page.
for page in man1/quadlaunch.1.gz man5/quadlaunch.yml.5.gz man8/quadlaunch-generator.8.gz; do
	p=$tmp/root/usr/share/man/$page
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$p" 2>&1 >/dev/null)
	text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$p" 2>/dev/null | col -b)
	if [ -z "$warn" ] && grep -q '^NAME' <<<"$text" && grep -q '^SEE ALSO' <<<"$text"; then ok "man -l $page renders ($(wc -l <<<"$text") lines)"; else bad "man -l $page: ${warn:-missing NAME/SEE ALSO}"; fi
done
text=$(MANPATH="$tmp/root/usr/share/man" LC_ALL=C.UTF-8 man -P cat quadlaunch 2>&1 | col -b)
if grep -q '^GLOBAL OPTIONS' <<<"$text"; then ok "man quadlaunch (MANPATH) renders"; else bad "man quadlaunch does not render: $(head -3 <<<"$text")"; fi

echo "== $rpm"
rpmlist=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm")
while read -r want; do
	[ -n "$want" ] || continue
	if has "$rpmlist" "$want"; then ok "rpm has: $want"; else bad "rpm lacks: $want"; fi
done <<'WANT'
-rwxr-xr-x /usr/bin/quadlaunch
-rwxr-xr-x /usr/libexec/quadlaunch/quadlaunch-podman
-rwxr-xr-x /usr/lib/systemd/system-generators/quadlaunch-generator
drwx------ /etc/quadlaunch/containers
drwx------ /etc/quadlaunch/templates
-rw------- /etc/quadlaunch/containers/example.yml.sample
-rw-r--r-- /usr/share/quadlaunch/templates/quadlaunch-http.template.yml
-rw-r--r-- /usr/share/quadlaunch/templates/quadlaunch-hardened.template.yml
-rw-r--r-- /usr/share/bash-completion/completions/quadlaunch
-rw-r--r-- /usr/share/zsh/site-functions/_quadlaunch
-rw-r--r-- /usr/share/fish/vendor_completions.d/quadlaunch.fish
-rw-r--r-- /usr/share/man/man1/quadlaunch.1.gz
-rw-r--r-- /usr/share/man/man5/quadlaunch.yml.5.gz
-rw-r--r-- /usr/share/man/man8/quadlaunch-generator.8.gz
-rw-r--r-- /usr/share/doc/quadlaunch/LICENSE
-rw-r--r-- /usr/share/doc/quadlaunch/go-modules-licenses
-rw-r--r-- /usr/share/doc/quadlaunch/README.md
WANT
link=$(rpm -qp --qf '[%{FILENAMES} -> %{FILELINKTOS}\n]' "$rpm" | grep '^/usr/lib/systemd/user-generators/')
if [ "$link" = "/usr/lib/systemd/user-generators/quadlaunch-user-generator -> ../system-generators/quadlaunch-generator" ]; then ok "rpm has: $link"; else bad "rpm user generator link: ${link:-missing}"; fi
rpl=$(rpm -qpl "$rpm")
[ -n "$rpl" ] && ok "rpm -qpl: $(wc -l <<<"$rpl") entries" || bad "rpm -qpl empty"
requires=$(rpm -qp --requires "$rpm")
for want in "podman >= 5.0" "systemd"; do
	if has "$requires" "$want"; then ok "rpm requires: $want"; else bad "rpm requires lacks $want (got: $(tr '\n' ';' <<<"$requires"))"; fi
done
flags=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" | grep ' /etc/.*[^/]$' | grep -v ' /etc/quadlaunch$\| /etc/quadlaunch/containers$\| /etc/quadlaunch/templates$')
if [ -n "$flags" ] && ! grep -qv '^cn ' <<<"$flags"; then ok "rpm: every /etc file is %config(noreplace)"; else bad "rpm /etc files not all %config(noreplace): $flags"; fi
scripts=$(rpm -qp --scripts "$rpm")
for want in "postinstall scriptlet" "preuninstall scriptlet" "postuninstall scriptlet"; do
	if grep -q "^$want" <<<"$scripts"; then ok "rpm has $want"; else bad "rpm lacks $want"; fi
done

if [ "$failed" = 0 ]; then echo "check.sh: all checks passed"; else echo "check.sh: some checks FAILED"; fi
exit "$failed"
