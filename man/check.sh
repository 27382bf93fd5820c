#!/usr/bin/env bash
# check.sh - lint the man pages: each must format under groff's man macros
# with every warning on (groff -man -ww -z) and print nothing, and have the
# sections a user looks for.  meson test runs it (suite "unit").
#
#   man/check.sh PAGE...
#
# Exit: 0 every page clean, 1 a warning or a missing section, 77 (meson's
# SKIP) when groff is not installed (tools/deps.sh installs groff-base).
set -u

if ! command -v groff >/dev/null; then
	echo "check: groff: not found (apt-get install groff-base): SKIP"
	exit 77
fi
if [ $# -eq 0 ]; then
	echo "usage: man/check.sh PAGE..." >&2
	exit 2
fi

sections=("NAME" "SYNOPSIS" "DESCRIPTION" "OPTIONS" "EXIT STATUS"
	  "EXAMPLES" "SEE ALSO")
passed=0 failed=0
for page in "$@"; do
	problems=$(LC_ALL=C groff -man -ww -z "$page" 2>&1) ||
		problems="$problems${problems:+$'\n'}groff failed"
	for s in "${sections[@]}"; do
		grep -Eq "^\.SH \"?$s\"?\$" "$page" ||
			problems="$problems${problems:+$'\n'}no $s section"
	done
	if [ -n "$problems" ]; then
		echo "FAIL $page"
		sed 's/^/    /' <<<"$problems"
		failed=$((failed + 1))
	else
		echo "ok   $page"
		passed=$((passed + 1))
	fi
done
# In cmocka's words, so that `make test`'s summary counts the pages.
echo "[  PASSED  ] $passed test(s)."
[ "$failed" -eq 0 ] || echo "[  FAILED  ] $failed test(s)."
[ "$failed" -eq 0 ]
