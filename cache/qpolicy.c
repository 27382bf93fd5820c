/* qpolicy.c - the ops of a one-queue policy (qpolicy.h). */
#include <stdio.h>
#include <stdlib.h>

#include "qpolicy.h"

#define QP(p) ((struct qpolicy *)(p))

struct policy *qpolicy_create(uint32_t nframes, const double *param)
{
	struct qpolicy *q = calloc(1, sizeof(*q));

	(void)param;
	if (!q)
		return NULL;
	if (qlinks_init(&q->lk, nframes) < 0) {
		qlinks_release(&q->lk);
		free(q);
		return NULL;
	}
	qlist_init(&q->q);
	return &q->base;
}

void qpolicy_destroy(struct policy *p)
{
	qlinks_release(&QP(p)->lk);
	free(p);
}

void qpolicy_insert(struct policy *p, uint32_t fno, uint64_t ino,
		    uint64_t pgno)
{
	(void)ino;
	(void)pgno;
	qlist_append(&QP(p)->lk, &QP(p)->q, fno);
}

void qpolicy_remove(struct policy *p, uint32_t fno, uint64_t ino,
		    uint64_t pgno, enum policy_remove why)
{
	(void)ino;
	(void)pgno;
	(void)why;
	qlist_del(&QP(p)->lk, &QP(p)->q, fno);
}

uint32_t qpolicy_victim(struct policy *p)
{
	return qlist_first_evictable(&QP(p)->lk, &QP(p)->q, p->cache);
}

int qpolicy_check(struct policy *p)
{
	unsigned char *seen = calloc(p->nframes, 1);
	int rc = -1;

	if (!seen)
		return -1;
	if (qlist_check(&QP(p)->lk, &QP(p)->q, p->cache, p->nframes, seen,
			p->ops->name) == 0) {
		rc = 0;
		if (QP(p)->q.len != cache_policy_nresident(p->cache)) {
			fprintf(stderr, "%s: %u queued, %u resident\n",
				p->ops->name, QP(p)->q.len,
				cache_policy_nresident(p->cache));
			rc = -1;
		}
	}
	free(seen);
	return rc;
}
