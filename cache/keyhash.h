/* keyhash.h - key_hash(ino, pgno): the hash the frame index spreads its
 * (ino, pgno) keys with, for every table keyed the same way.
 *
 *   bucket = key_hash(ino, pgno) & mask;     mask = 2^k - 1, k <= 32
 *
 * Public on purpose, not private to the core: the core's tables (the frame
 * index, the file table, the ghosts, LIRS's and CLOCK-Pro's maps) use it,
 * and so do the tables outside that want the index's spread: the daemon's
 * inode table (fs/inode.c), framesim's page map while it loads a trace,
 * and the bare hash-map baselines of cache_bench and sim_bench, which must
 * hash as the index does for their ratios to mean anything.  One function,
 * so they cannot drift apart.  Header-only, no state: ino times 2^64/phi,
 * xor pgno, then half of murmur3's 64-bit finalizer; 32 bits out.
 */
#ifndef FRAMEFS_KEYHASH_H
#define FRAMEFS_KEYHASH_H

#include <stdint.h>

static inline uint32_t key_hash(uint64_t ino, uint64_t pgno)
{
	uint64_t x = ino * 0x9e3779b97f4a7c15ull ^ pgno;

	x ^= x >> 33;		/* murmur3's 64-bit finalizer, half of it */
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x;
}

#endif
