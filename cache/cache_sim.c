/* cache_sim.c - the simulator's direct path through the cache core
 * (cache_sim.h).
 *
 * framesim and sim_bench replay traces of millions of references through
 * the cache core (cache.c) on one thread, with no page data and nobody else
 * using the cache.  Through the concurrent protocol, one access cost a
 * lookup with a hazard pin (sequentially consistent stores), one to five
 * lock round trips (get, evict_begin, evict_end, get again, load_done),
 * condition-variable broadcasts and atomic counter adds: about 8M
 * requests/s where a bare hash map does 40M+.  So cache_sim_access()
 * takes a direct path instead: it finds the page with index_find, and on a
 * hit calls the policy's hit(); on a miss it calls pending() and victim()
 * when no frame is free, releases the victim (index, file list, policy
 * remove(POLICY_EVICTED), free list) and inserts the page (free list,
 * key, index, file list, policy insert()) straight in the CLEAN state,
 * since there is nothing to load.  These are the structures, helpers and
 * policy calls of the protocol path, in the same order, so the decisions
 * and the frame numbers are the same (tests/test_policy.c replays every
 * policy both ways and compares each step) and cache_check() holds after
 * every access.  What it skips is only what concurrency needs: the lock,
 * pins of either kind, the LOADING and EVICTING states in between, atomic
 * read-modify-writes (its counters are a slot of their own, c->sim, which
 * only the simulating thread writes, with relaxed stores; cache_stats adds
 * them in) and broadcasts.  Its contract is therefore the simulator's: one
 * thread uses the cache, and holds no pins when it calls.  A frame found
 * LOADING or EVICTING (the caller is between cache_evict_begin and _end on
 * that same thread) sends the access down the protocol path, which knows
 * what to do.  The daemon never calls it.
 *
 * What is left is memory latency: a lookup reads a bucket, then the frame
 * it names, two dependent loads that miss the CPU caches for all but the
 * hottest pages.  A simulator has its trace in hand, so
 * cache_sim_prefetch() lets it announce the reference CACHE_SIM_AHEAD
 * accesses ahead: the bucket is prefetched at once and the frame half way
 * (measured: 10-20% more requests/s on a Zipf trace).  It only prefetches;
 * a wrong or missing hint costs time, never correctness.
 *
 * cache_set_next_use() is here too: the foresight only a simulator has,
 * which Belady's OPT reads through cache_policy_next_use().
 */
#include "cache_int.h"

#include <errno.h>

/* A count of cache_sim_access, without an atomic read-modify-write: its
 * caller is the only thread using the cache.  Relaxed accesses keep a
 * concurrent cache_stats() reader well-defined. */
static inline void sim_count(struct cache *c, enum cnt k)
{
	STORE_RLX(&c->sim.v[k], LOAD_RLX(&c->sim.v[k]) + 1);
}

/* The simulating thread owns the cache for the length of an access.  In
 * lock-checking builds it says so in sim_owner (cache_int.h, "the lock"),
 * so that the "lock held" assertions of the helpers and policy queries it
 * calls hold; no other thread may be simulating (asserted).  A thread reading
 * cache_stats() meanwhile takes the real lock, apart.  Nothing in other
 * builds. */
static inline void sim_own(struct cache *c)
{
#ifdef CACHE_LOCK_CHECKS
	assert(LOAD_RLX(&c->sim_owner) == NULL);
	STORE_RLX(&c->sim_owner, CACHE_SELF);
#else
	(void)c;
#endif
}

static inline void sim_disown(struct cache *c)
{
#ifdef CACHE_LOCK_CHECKS
	STORE_RLX(&c->sim_owner, NULL);
#else
	(void)c;
#endif
}

/* The protocol path: what a daemon thread would do, pins and all.  Kept
 * for the state the direct path does not handle: a frame this thread has
 * between cache_evict_begin and _end (the test of the two paths makes
 * some).  Not for a frame LOADING: the simulator's one
 * thread finishes every load inside its call, and a LOADING frame here
 * would make cache_get wait for a load nobody else can end. */
static __attribute__((noinline)) int
sim_access_protocol(struct cache *c, uint64_t ino, uint64_t pgno,
		    struct cache_sim_result *r)
{
	struct frame *fr;
	int rc, evicted = 0;

	while ((rc = cache_get(c, ino, pgno, 0, &fr)) == -ENOBUFS) {
		struct frame *v;

		rc = cache_evict_begin(c, &v);
		if (rc < 0)
			return rc;
		r->victim_fno = fno_of(c, v);
		r->victim_ino = v->ino;
		r->victim_pgno = v->pgno;
		rc = cache_evict_end(c, v);
		if (rc < 0)
			return rc;
		evicted = 1;
	}
	if (rc < 0)
		return rc;
	if (rc == 1)
		cache_load_done(c, fr, 0);
	r->fno = fno_of(c, fr);
	cache_unpin(c, fr);
	return rc == 0 ? 0 : 1 + evicted;
}

/* Live and not being evicted: a hit the direct path can take. */
static inline bool sim_settled(uint32_t w)
{
	uint32_t s = fw_state(w);

	return !(w & FW_EVICTING) && (s == FRAME_CLEAN || s == FRAME_DIRTY ||
				      s == FRAME_WRITEBACK);
}

/* The direct path's miss: evict the policy's victim if no frame is free,
 * then insert.  Out of line, so that the hit path stays a short leaf. */
static __attribute__((noinline)) int
sim_miss(struct cache *c, uint64_t ino, uint64_t pgno,
	 struct cache_sim_result *r)
{
	const struct policy_ops *ops = c->policy->ops;
	struct frame *f;
	struct cfile *cf;
	uint32_t fno, w;
	int rc = 1;

	/* Step 1: no free frame: evict the policy's victim. */
	if (c->nfree == 0) {
		if (ops->pending)
			ops->pending(c->policy, ino, pgno);
		fno = ops->victim(c->policy);
		if (fno == FRAME_NONE)
			return c->ndirty ? -EAGAIN : -EBUSY;
		f = &c->frames[fno];
		w = LOAD_RLX(&f->word);
		assert(w == FRAME_CLEAN);	/* evictable: CLEAN, no pins */
		assert(!hazard_busy(&c->hz, fno));	/* no hazard pins:
							 * the contract */
		(void)w;
		r->victim_fno = fno;
		r->victim_ino = f->ino;
		r->victim_pgno = f->pgno;
		STORE_RLX(&f->word, FRAME_FREE);
		frame_release(c, fno, FRAME_CLEAN, POLICY_EVICTED);
		sim_count(c, CNT_EVICTIONS);
		rc = 2;
	}

	/* Step 2: the page into a free frame, CLEAN at once (there is no
	 * data to load). */
	cf = file_get(c, ino);
	if (!cf)
		return -ENOMEM;
	fno = c->free_head;
	f = &c->frames[fno];
	c->free_head = f->hnext;
	c->nfree--;
	STORE_RLX(&f->ino, ino);
	STORE_RLX(&f->pgno, pgno);
	STORE_REL(&f->word, FRAME_CLEAN);
	index_insert(c, fno);
	flist_add(c, cf, fno, false);
	ops->insert(c->policy, fno, ino, pgno);
	HOT_CHECK(c);
	sim_count(c, CNT_MISSES);
	sim_count(c, CNT_INSERTS);
	r->fno = fno;
	return rc;
}

/* The direct path (see the header comment): the same index, file lists,
 * frame states, counters and policy calls, in the order the protocol path
 * makes them, without the lock, pins or atomic read-modify-writes. */
int cache_sim_access(struct cache *c, uint64_t ino, uint64_t pgno,
		     struct cache_sim_result *r)
{
	uint32_t fno;
	int rc = 0;

	sim_own(c);
	fno = index_find(c, ino, pgno);
	if (fno == FRAME_NONE) {
		rc = sim_miss(c, ino, pgno, r);
	} else if (sim_settled(LOAD_RLX(&c->frames[fno].word))) {
		c->policy->ops->hit(c->policy, fno);
		sim_count(c, CNT_HITS);
		r->fno = fno;
	} else {
		sim_disown(c);
		return sim_access_protocol(c, ino, pgno, r);
	}
	sim_disown(c);
	return rc;
}

/* Two stages, so that neither prefetch waits for memory: the bucket now,
 * and the frame its chain starts with once that bucket, hinted SIM_STAGE
 * calls ago, is in the cache. */
void cache_sim_prefetch(struct cache *c, uint64_t ino, uint64_t pgno)
{
	uint32_t b = key_hash(ino, pgno) & c->bucket_mask;
	uint32_t old = c->sim_ahead[c->sim_ahead_pos];

	c->sim_ahead[c->sim_ahead_pos] = b;
	c->sim_ahead_pos = (c->sim_ahead_pos + 1) % SIM_STAGE;
	__builtin_prefetch(&c->buckets[b]);
	if (old != FRAME_NONE) {
		uint32_t fno = LOAD_RLX(&c->buckets[old]);

		if (fno != FRAME_NONE)
			__builtin_prefetch(&c->frames[fno]);
	}
}

/* ---- the future (Belady's OPT) ---------------------------------------- */

uint64_t cache_policy_next_use(struct cache *c)
{
	assert(cache_locked(c));
	return LOAD_RLX(&c->next_use);
}

void cache_set_next_use(struct cache *c, uint64_t when)
{
	STORE_RLX(&c->next_use, when);
}
