/* mrc.h - miss-ratio curves: the misses of LRU and of OPT at many cache
 * sizes from one pass over a trace.
 *
 *   uint64_t sizes[] = { 1000, 2000, 4000 }, misses[3];
 *   rc = mrc_lru(ids, n, npages, 1.0, sizes, 3, misses);   exact
 *   rc = mrc_lru(ids, n, npages, 0.01, sizes, 3, misses);  SHARDS estimate
 *   rc = mrc_opt(ids, n, npages, sizes, 3, misses);        Belady's OPT
 *
 * The trace is an array of dense page ids 0 .. npages-1 (the caller maps
 * its (file, page) keys to them); the top bit of an id may carry a write
 * flag, which both functions ignore (MRC_ID_MASK).  misses_out[j] is the
 * number of references that miss in a cache of sizes[j] pages, cold misses
 * included; sizes[] may be in any order and may hold 0 (everything misses)
 * or sizes beyond npages (only the cold misses).  Both return 0, -EINVAL
 * (an id >= npages after masking, npages == 0 or above MRC_ID_MASK, a rate
 * outside (0, 1]) or -ENOMEM.  Pure functions of their inputs: no state,
 * safe from any thread.
 */
#ifndef FRAMEFS_MRC_H
#define FRAMEFS_MRC_H

#include <stddef.h>
#include <stdint.h>

#define MRC_ID_MASK 0x7fffffffu		/* the page id; the top bit: a write */

/* LRU misses at every size in sizes[], from Mattson's stack distances.
 * shards_rate 1: exact, O(n log npages) time, about 12.5 bytes per page
 * of memory.  shards_rate < 1: the SHARDS estimate from the pages whose hash
 * falls under the rate, about shards_rate times the work (mrc.c gives the
 * expected error). */
int mrc_lru(const uint32_t *ids, size_t n, uint32_t npages,
	    double shards_rate, const uint64_t *sizes, size_t nsizes,
	    uint64_t *misses_out);

/* OPT's misses (Belady: evict the page used farthest in the future) at
 * every size in sizes[], exact, from Mattson's OPT stack over the next
 * uses of future.h (so also -EINVAL beyond 2^32 - 2 references).  Time
 * O(n * min(distinct pages, largest size)): for teaching-size traces and
 * small caches, not for millions of references at a million pages. */
int mrc_opt(const uint32_t *ids, size_t n, uint32_t npages,
	    const uint64_t *sizes, size_t nsizes, uint64_t *misses_out);

#endif
