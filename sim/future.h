/* future.h - where each reference of a reference string is used next: the
 * foresight Belady's OPT needs (cache_set_next_use before each access).
 *
 *   rc = future_next_use(ids, n, npages, next);
 *   for (i = 0; i < n; i++) {
 *           cache_set_next_use(c, future_when(next[i]));
 *           ... access page ids[i] ...
 *   }
 *
 * The string is an array of dense page ids 0 .. npages-1, the form framesim
 * loads a trace into and mrc.h takes: the top bit of an id may carry a
 * write flag, which is ignored (FUTURE_ID_MASK, the same bits as
 * MRC_ID_MASK).  next[i] is the smallest j > i whose page is ids[i]'s, or
 * FUTURE_NEVER when that page is not referenced again.  Positions are 32
 * bits, so n is at most 2^32 - 2 (framesim's limit too).  framesim,
 * sim_bench, mrc_opt() and OPT's tests all take their next uses from here.
 * Thread-safe: no shared state.
 */
#ifndef FRAMEFS_FUTURE_H
#define FRAMEFS_FUTURE_H

#include <stddef.h>
#include <stdint.h>

#define FUTURE_ID_MASK	0x7fffffffu	/* the page id; the top bit: a write */
#define FUTURE_NEVER	UINT32_MAX	/* next[i]: not referenced again */

/* Fills next_out[0 .. n-1].  Returns 0, -EINVAL (an id >= npages after
 * masking, npages above FUTURE_ID_MASK + 1, or n above 2^32 - 2; next_out
 * is then partly written) or -ENOMEM. */
int future_next_use(const uint32_t *ids, size_t n, uint32_t npages,
		    uint32_t *next_out);

/* A next use as cache_set_next_use() takes it (UINT64_MAX: never). */
static inline uint64_t future_when(uint32_t next)
{
	return next == FUTURE_NEVER ? UINT64_MAX : next;
}

#endif
