#!/usr/bin/env bash
# install.sh - `meson install` into a scratch DESTDIR installs the five
# programs and their man pages, nothing else, and the installed programs
# run: framefs --version, framesim --help, mapview, mmload and compare
# --version.
# The scratch directory is removed however the test ends.
#
#   tests/install.sh BUILD_DIR BINDIR MANDIR    (absolute, prefix included)
set -euo pipefail

build=$1 bindir=$2 mandir=$3
dest=$(mktemp -d "${TMPDIR:-/tmp}/framefs-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
fail() { echo "install: $*" >&2; exit 1; }

meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >/dev/null ||
	fail "meson install --destdir $dest failed"

want=()
for p in framefs mapview mmload framesim compare; do
	want+=("$bindir/$p" "$mandir/man1/$p.1")
done
got=$(cd "$dest" && find . -type f -o -type l | sed 's/^\.//' | sort)
expected=$(printf '%s\n' "${want[@]}" | sort)
[ "$got" = "$expected" ] ||
	fail "installed files differ from the programs and man pages:"$'\n'"$(
	      diff <(echo "$expected") <(echo "$got") || true)"

bin=$dest$bindir
out=$("$bin/framefs" --version) || fail "framefs --version: exit $?"
[[ $out == "framefs "* ]] || fail "framefs --version printed: $out"
"$bin/framesim" --help | grep -q '^usage: framesim' ||
	fail "framesim --help: no usage line"
for p in mapview mmload compare; do
	out=$("$bin/$p" --version) || fail "$p --version: exit $?"
	[[ $out == "$p "* ]] || fail "$p --version printed: $out"
done
echo "install: $(wc -l <<<"$got") files under DESTDIR, the programs run"
echo "[  PASSED  ] 1 test(s)."
