/* policy_lru.c - least recently used, exact.
 *
 * One queue from least to most recently used; a hit moves the frame to the
 * most recent end, so hits take cache->lock (that is LRU's price, and what
 * CLOCK approximates away).  The victim is the least recently used frame
 * that is evictable; busy frames are passed over in place.  With N frames,
 * a loop over N+1 pages misses on every access.
 */
#include <stdio.h>

#include "policy.h"
#include "qpolicy.h"

static void lru_hit(struct policy *p, uint32_t fno)
{
	struct qpolicy *q = (struct qpolicy *)p;

	if (q->q.tail == fno)
		return;
	qlist_del(&q->lk, &q->q, fno);
	qlist_append(&q->lk, &q->q, fno);
}

static void lru_show(struct policy *p, FILE *out)
{
	struct qpolicy *q = (struct qpolicy *)p;

	fprintf(out, "least recent first:");
	qlist_show(&q->lk, &q->q, p->cache, out);
}

const struct policy_ops policy_lru = {
	.name = "lru",
	.summary = "least recently used, exact (a hit takes the lock)",
	.flags = 0,
	.create = qpolicy_create,
	.destroy = qpolicy_destroy,
	.insert = qpolicy_insert,
	.hit = lru_hit,
	.remove = qpolicy_remove,
	.victim = qpolicy_victim,
	.check = qpolicy_check,
	.bytes_per_frame = QPOLICY_BYTES_PER_FRAME,
	.show = lru_show,
};
