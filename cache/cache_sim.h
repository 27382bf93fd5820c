/* cache_sim.h - the simulator's access to the cache core: one thread, no
 * page data, no lock.  framesim, sim_bench and the policy tests use it;
 * the daemon never does (it uses cache.h's concurrent protocol).
 *
 *   c = cache_new(&(struct cache_config){ .nframes = N,
 *                 .policy = "lru", .metadata_only = true });
 *   for each reference i, of page (ino[i], pgno[i]):
 *           cache_sim_prefetch(c, ino[i + CACHE_SIM_AHEAD],
 *                              pgno[i + CACHE_SIM_AHEAD]);     optional
 *           cache_set_next_use(c, next[i]);                    OPT only
 *           rc = cache_sim_access(c, ino[i], pgno[i], &r);     0 hit, 1 or
 *                                                              2 miss
 *   cache_stats(c, &st); cache_check(c); cache_free(c);
 *
 * Contract: while a thread calls these, no other thread uses the cache, and
 * the caller holds no pins.  Everything else of cache.h still works on the
 * same cache between accesses (stats, foreach, policy_show, even the
 * protocol calls on that same thread: the tests mix both).
 */
#ifndef FRAMEFS_CACHE_SIM_H
#define FRAMEFS_CACHE_SIM_H

#include <stdint.h>

struct cache;

/* The simulator's access: a hit, or a miss that (when no frame is free)
 * evicts the policy's victim and inserts the page.  It takes no lock and no
 * pin (cache_sim.c): no other thread may use the cache meanwhile, and the
 * caller holds no pins.  Meant for metadata_only caches.
 * Returns 0 (hit), 1 (miss into a free frame), 2 (miss that evicted the
 * page victim_* from frame victim_fno), or a negative errno (-EAGAIN:
 * nothing evictable but dirty frames; -EBUSY: nothing evictable; -ENOMEM).
 * The same decisions as cache_get + cache_evict_begin/_end. */
struct cache_sim_result {
	uint32_t fno;			/* the frame now holding the page */
	uint32_t victim_fno;		/* 2: the frame evicted */
	uint64_t victim_ino, victim_pgno;	/* 2: its page */
};
int cache_sim_access(struct cache *c, uint64_t ino, uint64_t pgno,
		     struct cache_sim_result *r);

/* A hint for cache_sim_access: the caller will access (ino, pgno)
 * CACHE_SIM_AHEAD accesses from now (a simulator with its trace in memory
 * calls it once per access, for reference i + CACHE_SIM_AHEAD, before
 * accessing reference i).  Only prefetches; same contract as
 * cache_sim_access. */
#define CACHE_SIM_AHEAD 16
void cache_sim_prefetch(struct cache *c, uint64_t ino, uint64_t pgno);

/* The simulator's foresight, for Belady's OPT (POLICY_NEEDS_FUTURE): the
 * trace position of the next reference to the page the next access is for
 * (UINT64_MAX: never).  Set before each access (cache_sim_access or
 * cache_get), by the one thread that uses the cache; takes no lock. */
void cache_set_next_use(struct cache *c, uint64_t when);

#endif
