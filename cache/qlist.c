/* qlist.c - the out-of-line parts of qlist.h: checking and printing. */
#include <stdio.h>

#include "qlist.h"

int qlist_check(struct qlinks *lk, struct qlist *l, struct cache *c,
		uint32_t nframes, unsigned char *seen, const char *who)
{
	uint32_t n = 0, prev = FRAME_NONE;

	for (uint32_t x = l->head; x != FRAME_NONE; x = lk->next[x]) {
		if (x >= nframes || seen[x] || n > nframes) {
			fprintf(stderr, "%s: frame %u out of range or listed "
				"twice\n", who, x);
			return -1;
		}
		seen[x] = 1;
		if (lk->prev[x] != prev) {
			fprintf(stderr, "%s: frame %u: bad prev link\n", who, x);
			return -1;
		}
		if (!cache_policy_resident(c, x)) {
			fprintf(stderr, "%s: frame %u listed but free\n", who,
				x);
			return -1;
		}
		prev = x;
		n++;
	}
	if (prev != l->tail || n != l->len) {
		fprintf(stderr, "%s: tail or length (%u, counted %u) wrong\n",
			who, l->len, n);
		return -1;
	}
	return 0;
}

void qlist_show(struct qlinks *lk, struct qlist *l, struct cache *c,
		FILE *out)
{
	for (uint32_t x = l->head; x != FRAME_NONE; x = lk->next[x])
		fprintf(out, " %llu",
			(unsigned long long)cache_policy_pgno(c, x));
}

void qlist_show_named(struct qlinks *lk, struct qlist *l, struct cache *c,
		      const char *name, FILE *out)
{
	fprintf(out, "%s [", name);
	for (uint32_t x = l->head; x != FRAME_NONE; x = lk->next[x])
		fprintf(out, "%s%llu", x == l->head ? "" : " ",
			(unsigned long long)cache_policy_pgno(c, x));
	fputc(']', out);
}

/* ---- one-queue policies ----------------------------------------------- */

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
