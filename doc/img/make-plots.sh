#!/usr/bin/env bash
# make-plots.sh - regenerate the pictures of the docs:
#   doc/img/mrc-zipf.png (the README): miss ratio against cache size for
#     several eviction policies and Belady's OPT on one Zipf(0.9) reference
#     string;
#   doc/img/framesim-scan-hot.png (doc/framesim.md): the same axes drawn by
#     framesim --plot itself, on a hot set with a scan of the rest of the
#     file every 20,000 touches;
#   doc/img/compare-zipf.png (the README, doc/compare.md): compare's
#     picture of five policies on real mounts with refscan, OPT and the
#     one-pass LRU curve;
#   doc/img/kernel-zipf.png (doc/benchmarks.md): the live kernel (mmload
#     --memcg) at six sizes beside its model and the textbook policies on
#     one string.  Needs root and a cgroup v1 memory controller (else it
#     is left as it is) and a disk's file system under /var/tmp; 30 s.
#
#   doc/img/make-plots.sh [BUILD_DIR]      (default: build)
#
# mmload records the strings (seed 1: the same on every machine), framesim
# replays them through each policy at a dozen sizes, gnuplot draws the
# curves.  The PNGs are committed, so nobody needs gnuplot to build; run
# this after changing a policy or --plot, and commit the new pictures.
# Needs gnuplot (apt-get install gnuplot-nox), and for compare /dev/fuse.
# About 10 s, and 3 minutes for compare's mounts.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
mmload=$build/workloads/mmload
framesim=$build/tools/framesim
for p in "$mmload" "$framesim" "$build/tools/compare"; do
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

# One data block per policy of framesim's CSV $1, in the order of the
# policies that follow: frames, miss ratio.
curves() {
	local csv=$1 p
	shift
	for p in "$@"; do
		awk -F, -v p="$p" '$5 == p { print $6, $9 }' "$csv" | sort -n
		printf '\n\n'
	done
}
IFS=, read -r -a names <<<"$policies"
curves "$tmp/runs.csv" "${names[@]}" >"$tmp/curves.dat"

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

# framesim --plot: OPT's one-pass curve and four policies.  Run inside
# $tmp so that the title names the trace, not the scratch directory.
"$mmload" --create 16M --pattern scan-hot:1000,20000 --ops 300000 --seed 1 \
	--trace-out "$tmp/scan-hot.trace" "$tmp/data2" >/dev/null
fs=$(realpath "$framesim")
(cd "$tmp" && "$fs" --mrc opt --policy lru,clock,arc,s3fifo \
	--frames 100,200,400,700,1000,1200,1500,2000,3000,4096 \
	--plot "$here/framesim-scan-hot.png" scan-hot.trace >/dev/null)
echo "make-plots: wrote $here/framesim-scan-hot.png"

# compare: the same string on real mounts, five policies at four sizes,
# with refscan (so that the daemon sees re-use), beside OPT and the LRU
# curve of the true string.  Needs /dev/fuse and root's fusermount3;
# about 3 minutes.
compare=$build/tools/compare
"$compare" --workload "zipf:0.9 --pages 8000 --ops 100000" \
	-p fifo,lru,clock,arc,s3fifo -n 250,500,1000,2000 --refscan 0,20000 \
	--sim --scratch "$tmp" --out "$tmp/compare" >/dev/null
cp "$tmp/compare/w1-miss-frames.png" "$here/compare-zipf.png"
echo "make-plots: wrote $here/compare-zipf.png"

# The kernel's picture.  The string is recorded in a run of its own: a
# trace written inside the cgroup would be charged to it (doc/mmload.md).
if [ "$(id -u)" != 0 ] || ! grep -q ' - cgroup .*memory' /proc/self/mountinfo
then
	echo "make-plots: $here/kernel-zipf.png left as it is (needs root and" \
	     "a cgroup v1 memory controller)"
	exit 0
fi
ktmp=$(mktemp -d /var/tmp/make-plots.XXXXXX)
trap 'rm -rf "$tmp" "$ktmp"' EXIT
truncate -s 64M "$ktmp/data"
"$mmload" --pattern zipf:0.9 --ops 200000 --seed 1 --madvise random \
	--trace-out "$ktmp/k.trace" "$ktmp/data" >/dev/null
: >"$tmp/kernel.dat"
for n in 256 512 1024 2048 4096 8192; do
	"$mmload" --memcg "$n" --pattern zipf:0.9 --ops 200000 --seed 1 \
		"$ktmp/data" | awk '
		$1 == "majflt" { m = $2 }
		$1 == "memcg_cache_pages_full" { c = $2 }
		END { print c, m / 200000 }' >>"$tmp/kernel.dat"
done
kpolicies=linux:mapped=2,lru,clock,arc,opt,linux
"$framesim" -j "$(nproc)" --policy "$kpolicies" \
	--frames 200,300,400,600,800,1200,1600,2400,3200,4800,6400,9600 \
	--csv "$ktmp/k.trace" >"$tmp/kruns.csv"
IFS=, read -r -a knames <<<"$kpolicies"
curves "$tmp/kruns.csv" "${knames[@]}" >"$tmp/kcurves.dat"

gnuplot <<GNUPLOT
set terminal pngcairo size 800,480 font "DejaVu Sans,11"
set output "$here/kernel-zipf.png"
set termoption noenhanced
set title "The kernel (MADV_RANDOM, memory cgroup) and its model: Zipf(0.9), 200,000 touches"
set xlabel "page cache (pages, log scale; the kernel's: memcg_cache_pages_full)"
set ylabel "miss ratio"
set logscale x
set xrange [180:11000]
set yrange [0:1]
set grid
set key top right
plot for [i=0:${#knames[@]}-1] "$tmp/kcurves.dat" index i \
	using 1:2 with lines lw 2 \
	title (i == 0 ? "linux:mapped=2 (the model)" : i == ${#knames[@]}-1 ? "linux (read() references)" : word("${knames[*]}", i + 1)), \
	"$tmp/kernel.dat" using 1:2 with points pt 7 ps 1.5 lc rgb "black" \
	title "the kernel, mmload --memcg"
GNUPLOT
echo "make-plots: wrote $here/kernel-zipf.png"
