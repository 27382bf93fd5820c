/* policy_mru.c - most recently used: the page used last goes first.
 *
 * The mirror image of LRU, kept as a counterexample.  MRU is right exactly
 * when the page just used is the one needed furthest ahead: a loop over
 * more pages than there are frames, where LRU misses on every access (each
 * page is evicted just before its turn comes back) and MRU misses once
 * every nframes accesses, as Belady's OPT does.  Nearly everywhere else it
 * is wrong: the page just hit is the next victim, so a hot page is thrown
 * out the moment it shows it is hot (on sim_bench's Zipf trace it misses
 * more than twice as often as LRU).  On a loop:
 *
 *   framesim -p lru,mru,opt -n 4 --refs 0,1,2,3,4,0,1,2,3,4,0,1,2,3,4
 *
 * One queue, least recently used at the head (qpolicy.h, as LRU); a hit
 * moves the frame to the tail, so hits take cache->lock; the victim is the
 * first evictable frame from the tail.  Busy frames are passed over in
 * place.  Memory: the queue's two links, 8 bytes a frame.
 */
#include <stdio.h>

#include "policy.h"
#include "qpolicy.h"

static void mru_hit(struct policy *p, uint32_t fno)
{
	struct qpolicy *q = (struct qpolicy *)p;

	if (q->q.tail == fno)
		return;
	qlist_del(&q->lk, &q->q, fno);
	qlist_append(&q->lk, &q->q, fno);
}

/* The most recent evictable frame: one pass from the tail. */
static uint32_t mru_victim(struct policy *p)
{
	struct qpolicy *q = (struct qpolicy *)p;

	for (uint32_t x = q->q.tail; x != FRAME_NONE; x = q->lk.prev[x])
		if (cache_policy_evictable(p->cache, x))
			return x;
	return FRAME_NONE;
}

static void mru_show(struct policy *p, FILE *out)
{
	struct qpolicy *q = (struct qpolicy *)p;

	fprintf(out, "least recent first, victim from the end:");
	qlist_show(&q->lk, &q->q, p->cache, out);
}

const struct policy_ops policy_mru = {
	.name = "mru",
	.summary = "most recently used goes first (a loop's best, else worst)",
	.flags = 0,
	.bytes_per_frame = QPOLICY_BYTES_PER_FRAME,
	.create = qpolicy_create,
	.destroy = qpolicy_destroy,
	.insert = qpolicy_insert,
	.hit = mru_hit,
	.remove = qpolicy_remove,
	.victim = mru_victim,
	.check = qpolicy_check,
	.show = mru_show,
};
