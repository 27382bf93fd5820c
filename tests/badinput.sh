#!/usr/bin/env bash
# badinput.sh - what a program refuses, as a table: one line per case, the
# arguments, the exit status the program must end with and the first line
# it must print on stderr.  Adding a case is adding a line.
#
#   tests/badinput.sh PROGRAM TABLE
#
# A TABLE line is three fields separated by " | ":
#
#   ARGS | STATUS | FIRST STDERR LINE
#
# ARGS are shell words, quoted as in sh, after these substitutions:
# @TMP@ a scratch directory made for the case (removed after it), @PROG@
# the program's path, @SRC@ the source tree.  A case may set up files with
# a command first: ARGS starting with "{ CMD; }" run CMD in @TMP@ with sh
# before the program.  Standard input is /dev/null unless ARGS ends with
# "< FILE".  The expected line is matched exactly after the same
# substitutions, except that a trailing "*" matches any rest of the line.
# Blank lines and lines starting with "#" are skipped.
#
# Prints one "ok"/"not ok" line per case and cmocka's closing lines, so
# tests/summary.py counts the cases.  Exit 0 when every case held.
set -uo pipefail

prog=$(realpath -e "$1") || exit 1
table=$2
src=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$prog" ] || { echo "badinput: $prog: not an executable" >&2; exit 1; }
[ -r "$table" ] || { echo "badinput: $table: cannot read" >&2; exit 1; }

pass=0 fail=0 n=0
scratch=
# A case that should have been refused may have mounted something under
# its scratch directory: unmount it (the daemon exits then) before removal.
cleanup() {
	[ -n "$scratch" ] || return 0
	local m
	for m in $(awk -v d="$scratch" 'index($2, d) == 1 { print $2 }' \
		   /proc/mounts | sort -r); do
		fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	rm -rf "$scratch"
}
trap cleanup EXIT
sub() {
	local s=$1
	s=${s//@TMP@/$scratch}
	s=${s//@PROG@/$prog}
	s=${s//@SRC@/$src}
	printf '%s' "$s"
}

while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	case $line in '' | '#'*) continue ;; esac
	args=${line%% | *}
	rest=${line#* | }
	want_rc=${rest%% | *}
	want=${rest#* | }
	if [ "$args" = "$line" ] || [ "$want" = "$rest" ]; then
		echo "badinput: $table:$n: not ARGS | STATUS | LINE" >&2
		fail=$((fail + 1))
		continue
	fi
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/badinput.XXXXXX")
	args=$(sub "$args")
	want=$(sub "$want")
	setup=
	if [[ $args == "{ "*"; }"* ]]; then
		setup=${args%%; \}*}
		setup=${setup#\{ }
		args=${args#*; \}}
	fi
	input=/dev/null
	if [[ $args == *" < "* ]]; then
		input=${args##* < }
		args=${args% < *}
	fi
	if [ -n "$setup" ] && ! (cd "$scratch" && sh -c "$setup"); then
		echo "not ok $n - setup failed: $setup"
		fail=$((fail + 1))
		cleanup
		scratch=
		continue
	fi
	eval "set -- $args"
	err=$(cd "$scratch" && timeout 60 "$prog" "$@" <"$input" 2>&1 >/dev/null)
	rc=$?
	first=${err%%$'\n'*}
	ok=1
	[ "$rc" = "$want_rc" ] || ok=0
	if [[ $want == *'*' ]]; then
		[[ $first == "${want%\*}"* ]] || ok=0
	else
		[ "$first" = "$want" ] || ok=0
	fi
	if [ $ok = 1 ]; then
		echo "ok $n - $(basename "$prog") $args"
		pass=$((pass + 1))
	else
		echo "not ok $n - $(basename "$prog") $args"
		echo "#   want: exit $want_rc, first line: $want"
		echo "#   got:  exit $rc, first line: $first"
		fail=$((fail + 1))
	fi
	cleanup
	scratch=
done <"$table"

echo "[  PASSED  ] $pass test(s)."
[ $fail = 0 ] || echo "[  FAILED  ] $fail test(s), listed above."
[ $fail = 0 ]
