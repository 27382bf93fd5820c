/* qpolicy.h - a policy made of one queue of frames (FIFO, LRU, and any
 * policy whose order is one list): the ops they share.  Caller holds
 * cache->lock, as for every policy op.
 *
 *   const struct policy_ops policy_NAME = {
 *           .create = qpolicy_create, .destroy = qpolicy_destroy,
 *           .insert = qpolicy_insert, .remove = qpolicy_remove,
 *           .victim = qpolicy_victim, .check = qpolicy_check,
 *           .bytes_per_frame = QPOLICY_BYTES_PER_FRAME,
 *           .hit = NAME_hit, .show = NAME_show, ...
 *   };
 *
 * insert() appends at the tail; victim() is the first evictable frame from
 * the head, busy frames passed over in place; remove() unlinks.  A policy's
 * own file supplies hit() (nothing for FIFO, move to the tail for LRU) and
 * show(), reaching the queue as ((struct qpolicy *)p)->q.
 */
#ifndef FRAMEFS_QPOLICY_H
#define FRAMEFS_QPOLICY_H

#include <stdint.h>

#include "policy.h"
#include "qlist.h"

struct qpolicy {
	struct policy base;	/* first: the core's part */
	struct qlinks lk;	/* per-frame links, 8 bytes a frame */
	struct qlist q;		/* head: next to go */
};
#define QPOLICY_BYTES_PER_FRAME (2 * sizeof(uint32_t))	/* the links */

struct policy *qpolicy_create(uint32_t nframes, const double *param);
void qpolicy_destroy(struct policy *p);
void qpolicy_insert(struct policy *p, uint32_t fno, uint64_t ino,
		    uint64_t pgno);
void qpolicy_remove(struct policy *p, uint32_t fno, uint64_t ino,
		    uint64_t pgno, enum policy_remove why);
uint32_t qpolicy_victim(struct policy *p);
int qpolicy_check(struct policy *p);

#endif
