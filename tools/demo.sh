#!/usr/bin/env bash
# demo.sh - the guided tour `make demo` runs: page replacement on reference
# strings, frame by frame, through the same cache core the filesystem uses.
set -euo pipefail
build=${1:-build}
sim="$build/tools/framesim"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] || say() { printf '\n== %s\n' "$*"; }

say "1. Belady's anomaly: with FIFO, more frames can mean MORE page faults."
echo "   Reference string 1 2 3 4 1 2 5 1 2 3 4 5, first with 3 frames, then 4."
"$sim" --step --policy fifo --frames 3,4 --refs 1,2,3,4,1,2,5,1,2,3,4,5

say "2. LRU is a stack algorithm: the pages held with N frames are always held with N+1, so no anomaly."
"$sim" --policy fifo,lru --frames 3,4 --refs 1,2,3,4,1,2,5,1,2,3,4,5

refs="7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1"
say "3. FIFO, LRU and CLOCK on the textbook string ($refs), 3 frames."
echo "   FIFO evicts the oldest page; LRU the least recently used; CLOCK"
echo "   sweeps a hand over the frames, clearing reference bits (second chance)."
for p in fifo lru clock; do
	"$sim" --step --policy "$p" --frames 3 --refs "$refs" | sed '/^policy/,$d'
done
"$sim" --policy fifo,lru,clock --frames 3 --refs "$refs"

say "4. A loop one page larger than memory: LRU and FIFO fault on every access."
loop=$(for r in 1 2 3 4; do printf '0 1 2 3 4 '; done)
"$sim" --policy fifo,lru,clock --frames 4,5 --refs "$loop"
echo
echo "framesim --help shows more.  The filesystem is build/fs/framefs (README:"
echo "\"framefs, the filesystem\"); its guided tour arrives with mmload and mapview."
