#!/bin/sh
# tests/unit/test_install.sh [BUILD]: phoneswarm installs like a tool. Lab-free.
#
# `make install DESTDIR=TMP PREFIX=/usr/local` into a temporary directory, then:
# what was installed is listed, and must hold the binary, the lab script
# (executable, under libexec/phoneswarm), every scenario file, every page of
# docs/ and both manual pages; `man --warnings` renders each page at 80
# columns without a single warning, and phoneswarm-scenario(5) names every key
# of docs/scenario.md; the installed binary runs `version`, which names the
# five libraries with their versions and finds the installed lab script beside
# it; `make uninstall` with the same DESTDIR removes every file again.
#
# Prints PASS/FAIL lines; exit 0 (pass), 1 (fail), 77 (skip: no man here).
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

if ! command -v man >/dev/null 2>&1; then
	echo "SKIP: no man on this machine (scripts/deps test installs man-db)"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/psw-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
prefix=/usr/local
failed=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; failed=1; }

if ! make -s --no-print-directory install BUILD="$BUILD" DESTDIR="$dest" PREFIX="$prefix" \
	>"$tmp/install.log" 2>&1; then
	sed 's/^/    | /' "$tmp/install.log"
	echo "FAIL make install DESTDIR=$dest exited non-zero"
	exit 1
fi

echo "installed (DESTDIR=$dest, PREFIX=$prefix):"
(cd "$dest" && find . -type f | sort | sed 's/^\./    /')

# what must be there
missing=""
want="bin/phoneswarm libexec/phoneswarm/lab share/man/man1/phoneswarm.1
share/man/man5/phoneswarm-scenario.5 share/doc/phoneswarm/README.md share/doc/phoneswarm/LICENSE
share/phoneswarm/k8s-shards.yaml share/phoneswarm/grafana-soak.json
share/phoneswarm/scenarios/README.md share/doc/phoneswarm/docs/report.schema.json"
for f in scenarios/*.ini; do want="$want share/phoneswarm/$f"; done
for f in docs/*.md; do want="$want share/doc/phoneswarm/$f"; done
for f in $want; do
	[ -f "$dest$prefix/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then pass "every file in place ($(echo "$want" | wc -w) files)"; else fail "missing:$missing"; fi
if [ -x "$dest$prefix/bin/phoneswarm" ] && [ -x "$dest$prefix/libexec/phoneswarm/lab" ]; then
	pass "binary and lab script executable"
else
	fail "bin/phoneswarm or libexec/phoneswarm/lab not executable"
fi

# the manual pages render without a warning
for page in man1/phoneswarm.1 man5/phoneswarm-scenario.5; do
	MANWIDTH=80 man --warnings -l "$dest$prefix/share/man/$page" >"$tmp/page.txt" 2>"$tmp/page.err"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$tmp/page.err" ] && grep -q '^NAME' "$tmp/page.txt"; then
		pass "man -l $page renders without warnings ($(wc -l <"$tmp/page.txt") lines)"
	else
		fail "man -l $page: exit $rc, warnings: $(head -c 400 "$tmp/page.err")"
	fi
	cp "$tmp/page.txt" "$tmp/$(basename "$page").txt"
done

# every key of docs/scenario.md's tables is in phoneswarm-scenario(5)
keys=$(sed -n '/^## Keys$/,/^## Events/p' docs/scenario.md | grep '^| `' |
	sed 's/^| \([^|]*\)|.*/\1/' | grep -o '`[a-z_]*\.[a-z_0-9]*`' | tr -d '`')
nk=$(echo "$keys" | wc -w)
absent=""
for k in $keys; do
	grep -qF "$k" "$tmp/phoneswarm-scenario.5.txt" || absent="$absent $k"
done
if [ "$nk" -ge 40 ] && [ -z "$absent" ]; then
	pass "phoneswarm-scenario(5) names all $nk keys of docs/scenario.md"
else
	fail "phoneswarm-scenario(5): $nk keys found in docs/scenario.md, absent from the page:$absent"
fi
for c in run certhash probe reflect compare merge version; do
	grep -q "^   $c\$" "$tmp/phoneswarm.1.txt" || absent="$absent $c"
done
if [ -z "$absent" ]; then pass "phoneswarm(1) has a subsection per command"; else fail "phoneswarm(1) lacks:$absent"; fi

# the installed binary: its version, its libraries, its lab script
if "$dest$prefix/bin/phoneswarm" version >"$tmp/version" 2>&1; then
	sed 's/^/    | /' "$tmp/version"
	ok=1
	head -n 1 "$tmp/version" | grep -Eq '^phoneswarm [0-9]+\.[0-9]+\.[0-9]+ \(build [^)]+\)$' || ok=0
	for lib in OpenSSL liburing c-ares inih zlib; do
		grep -Eq "^  $lib +[r0-9][0-9.]* +[r0-9][0-9.]*\$" "$tmp/version" || ok=0
	done
	lab=$(sed -n 's/^lab script: //p' "$tmp/version")
	[ "$lab" = "$(cd "$dest$prefix/libexec/phoneswarm" && pwd -P)/lab" ] || ok=0
	if [ "$ok" = 1 ]; then
		pass "installed phoneswarm version: version, build, 5 libraries, lab script $lab"
	else
		fail "installed phoneswarm version: want version and build, a version for each of the 5 libraries, lab script $dest$prefix/libexec/phoneswarm/lab"
	fi
else
	fail "installed phoneswarm version exited non-zero: $(cat "$tmp/version")"
fi

# and uninstall takes it all away
make -s --no-print-directory uninstall BUILD="$BUILD" DESTDIR="$dest" PREFIX="$prefix" >/dev/null 2>&1
left=$(cd "$dest" && find . -type f | wc -l)
if [ "$left" = 0 ]; then pass "make uninstall removed every file"; else fail "make uninstall left $left files"; fi

exit "$failed"
