/* policy_fifo.c - first in, first out.
 *
 * Frames leave in the order they came in; a hit changes nothing, so hits
 * take no lock.  Busy frames (pinned, dirty, ...) are passed over in place:
 * they keep their age and go first once they become evictable.  FIFO is the
 * policy that shows Belady's anomaly: more frames can mean more faults.
 */
#include <stdio.h>

#include "policy.h"
#include "qpolicy.h"

static void fifo_hit(struct policy *p, uint32_t fno)
{
	(void)p;
	(void)fno;
}

static void fifo_show(struct policy *p, FILE *out)
{
	struct qpolicy *q = (struct qpolicy *)p;

	fprintf(out, "queue, oldest first:");
	qlist_show(&q->lk, &q->q, p->cache, out);
}

const struct policy_ops policy_fifo = {
	.name = "fifo",
	.summary = "first in, first out; a hit changes nothing",
	.flags = POLICY_HIT_LOCKLESS,
	.create = qpolicy_create,
	.destroy = qpolicy_destroy,
	.insert = qpolicy_insert,
	.hit = fifo_hit,
	.remove = qpolicy_remove,
	.victim = qpolicy_victim,
	.check = qpolicy_check,
	.bytes_per_frame = QPOLICY_BYTES_PER_FRAME,
	.show = fifo_show,
};
