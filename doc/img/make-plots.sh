#!/usr/bin/env bash
# make-plots.sh - regenerate the README's picture, doc/img/mrc-zipf.png:
# miss ratio against cache size for several eviction policies and Belady's
# OPT on one Zipf(0.9) reference string.
#
#   doc/img/make-plots.sh [BUILD_DIR]      (default: build)
#
# mmload records the string (1,000,000 touches of a 64 MiB file, seed 1:
# the same on every machine), framesim replays it through each policy at
# twelve sizes, gnuplot draws the curves.  The PNG is committed, so nobody
# needs gnuplot to build; run this after changing a policy, and commit the
# new picture.  Needs gnuplot (apt-get install gnuplot-nox).  About 10 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
mmload=$build/workloads/mmload
framesim=$build/tools/framesim
for p in "$mmload" "$framesim"; do
	if [ ! -x "$p" ]; then
		echo "make-plots: $p: not built (make build)" >&2
		exit 1
	fi
done
if ! command -v gnuplot >/dev/null; then
	echo "make-plots: gnuplot: not found (apt-get install gnuplot-nox)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

policies=fifo,clock,lru,arc,lirs,s3fifo,opt
fracs=0.002,0.005,0.01,0.02,0.05,0.1,0.15,0.2,0.3,0.4,0.6,0.8
"$mmload" --create 64M --pattern zipf:0.9 --ops 1000000 --seed 1 \
	--trace-out "$tmp/zipf.trace" "$tmp/data" >/dev/null
"$framesim" -j "$(nproc)" --policy "$policies" --frac "$fracs" --csv \
	"$tmp/zipf.trace" >"$tmp/runs.csv"

# One data block per policy, in the order of $policies: frames, miss ratio.
IFS=, read -r -a names <<<"$policies"
for p in "${names[@]}"; do
	awk -F, -v p="$p" '$5 == p { print $6, $9 }' "$tmp/runs.csv" | sort -n
	printf '\n\n'
done >"$tmp/curves.dat"

gnuplot <<GNUPLOT
set terminal pngcairo size 800,480 font "DejaVu Sans,11"
set output "$here/mrc-zipf.png"
set title "Zipf(0.9) over 16,384 pages, 1,000,000 references (mmload seed 1; framesim)"
set xlabel "cache size (frames, log scale)"
set ylabel "miss ratio"
set logscale x
set xrange [25:16384]
set yrange [0:1]
set grid
set key top right
set linetype 5 linecolor rgb "#8c564b"
plot for [i=0:${#names[@]}-1] "$tmp/curves.dat" index i \
	using 1:2 with linespoints pointsize 0.7 lw 2 \
	title word("${names[*]}", i + 1)
GNUPLOT
echo "make-plots: wrote $here/mrc-zipf.png"
