/* hash.h - the (ino, pgno) hash of the frame index, shared with the
 * benchmark's baseline so both spread keys alike. */
#ifndef FRAMEFS_HASH_H
#define FRAMEFS_HASH_H

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
