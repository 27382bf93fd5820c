/* policy_2q.c - 2Q, after T. Johnson and D. Shasha, "2Q: A Low Overhead High
 * Performance Buffer Management Replacement Algorithm", Proc. 20th VLDB
 * Conference, Santiago, 1994, pp. 439-450: the full version, with A1in,
 * A1out and Am (not the simplified one, with a single A1 queue).
 *
 * The idea.  LRU lets a page referenced once (a scan, a page touched by a
 * burst of correlated references and then never again) push out a page that
 * is used over and over.  2Q keeps a page referenced once in a small FIFO,
 * and only a page that is referenced again after it has left that FIFO earns
 * a place in the main LRU queue.  Three queues:
 *
 *   A1in   resident pages seen once, FIFO, oldest first.  A hit here changes
 *          nothing: the references that come right after a first one are
 *          "correlated" (the same transaction, the same scan) and say
 *          nothing about the page's long-term worth.
 *   A1out  the keys of pages pushed out of A1in, FIFO (a ghost list:
 *          cache/ghost.h), at most Kout of them.
 *   Am     resident pages seen again after leaving A1in, LRU, least recent
 *          first; a hit moves the page to the most recent end.
 *
 * A miss on a page whose key is in A1out puts the page in Am (it was wanted
 * again after a while: a hot page); any other miss puts it at the tail of
 * A1in.  Reclaiming a frame (the paper's reclaimfor): if |A1in| > Kin, the
 * head of A1in leaves and its key goes to A1out (dropping A1out's oldest key
 * when there are more than Kout); otherwise the least recently used page of
 * Am leaves and is forgotten (no ghost: it has not been used for a while).
 * The paper's tuning: Kin = 25% of the frames, Kout = 50%; here the
 * parameters kin and kout, fractions of the frames, rounded to the nearest
 * whole number of frames (4 frames: Kin = 1, Kout = 2).
 *
 * Fitting it to framefs.
 *   - The decision "was this page in A1out?" belongs to the reference, as in
 *     the paper's pseudo-code, which tests it before calling reclaimfor.
 *     Here the frame is reclaimed (victim, remove) before the page is
 *     inserted, and that reclaim may push the very key out of a full A1out.
 *     So pending() notes, for the miss that asked for a frame, whether its
 *     key was in A1out; insert() honours that note, and then the ghost
 *     itself, which it removes (a resident page has no ghost).  The note
 *     lasts until the next insert.
 *   - victim() only chooses the list as reclaimfor does, then takes the
 *     first evictable frame from its head; busy frames (pinned, dirty,
 *     loading) are passed over in place, and when the chosen list has none,
 *     the other list is searched.  remove(POLICY_EVICTED) of an A1in page
 *     adds its key to A1out, whichever list the choice started from;
 *     POLICY_DROPPED (truncate, unlink, failed load) forgets the page.
 *
 * Costs.  Per frame: two links (shared by A1in and Am, a frame is on one)
 * and one byte saying which list: 9 bytes.  A1out: ghost.h's ~32 bytes per
 * key, Kout keys.  Every operation is O(1) when the heads are evictable.
 * Hits in Am move the page, so hits take cache->lock (flags 0).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ghost.h"
#include "policy.h"
#include "qlist.h"

struct twoq {
	struct policy base;
	struct qlinks lk;	/* per-frame links, A1in and Am */
	struct qlist a1in;	/* head: oldest, the next to go */
	struct qlist am;	/* head: least recently used */
	uint8_t *in_am;		/* [nframes]; 1 when the frame is on Am */
	struct ghost *a1out;	/* keys pushed out of A1in, oldest first */
	uint32_t kin;		/* A1in may exceed this before it yields */
	uint32_t kout;		/* A1out's bound; 0: keep no ghosts */
	struct {
		uint64_t ino, pgno;
		bool valid;	/* a miss waits for a frame */
		bool in_a1out;	/* its key was in A1out when it missed */
	} pend;			/* set by pending(), cleared by insert() */
};

#define TWOQ(p) ((struct twoq *)(p))

static const struct policy_param twoq_params[] = {
	{ "kin", 0.25, 0, 1, "A1in's share of the frames (Kin)", false },
	{ "kout", 0.5, 0, 2, "A1out's keys, as a multiple of the frames "
	  "(Kout)", false },
	{ .key = NULL },
};

static uint32_t frames_of(double share, uint32_t nframes)
{
	return (uint32_t)(share * nframes + 0.5);
}

static struct policy *twoq_create(uint32_t nframes, const double *param)
{
	struct twoq *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->kin = frames_of(param[0], nframes);
	q->kout = frames_of(param[1], nframes);
	q->in_am = calloc(nframes, 1);
	/* A ghost set holds at least one key; with kout = 0 it stays empty. */
	q->a1out = ghost_new(q->kout ? q->kout : 1);
	if (qlinks_init(&q->lk, nframes) < 0 || !q->in_am || !q->a1out) {
		qlinks_release(&q->lk);
		free(q->in_am);
		ghost_free(q->a1out);
		free(q);
		return NULL;
	}
	qlist_init(&q->a1in);
	qlist_init(&q->am);
	return &q->base;
}

static void twoq_destroy(struct policy *p)
{
	struct twoq *q = TWOQ(p);

	qlinks_release(&q->lk);
	free(q->in_am);
	ghost_free(q->a1out);
	free(q);
}

static void twoq_pending(struct policy *p, uint64_t ino, uint64_t pgno)
{
	struct twoq *q = TWOQ(p);

	q->pend.ino = ino;
	q->pend.pgno = pgno;
	q->pend.valid = true;
	q->pend.in_a1out = ghost_contains(q->a1out, ino, pgno);
}

static void twoq_insert(struct policy *p, uint32_t fno, uint64_t ino,
			uint64_t pgno)
{
	struct twoq *q = TWOQ(p);
	bool noted = q->pend.valid && q->pend.ino == ino &&
		     q->pend.pgno == pgno;
	bool again;

	/* With the note, the answer is known; the ghost, if still there
	 * (the reclaim may have pushed it out), goes.  Since pending()
	 * nothing was inserted, so a key noted absent is still absent. */
	if (noted) {
		again = q->pend.in_a1out;
		if (again)
			ghost_remove(q->a1out, ino, pgno);
	} else {
		again = ghost_remove(q->a1out, ino, pgno);
	}
	q->pend.valid = false;
	q->in_am[fno] = again;
	qlist_append(&q->lk, again ? &q->am : &q->a1in, fno);
}

static void twoq_hit(struct policy *p, uint32_t fno)
{
	struct twoq *q = TWOQ(p);

	if (!q->in_am[fno] || q->am.tail == fno)
		return;		/* A1in: correlated reference; MRU already */
	qlist_del(&q->lk, &q->am, fno);
	qlist_append(&q->lk, &q->am, fno);
}

static void twoq_remove(struct policy *p, uint32_t fno, uint64_t ino,
			uint64_t pgno, enum policy_remove why)
{
	struct twoq *q = TWOQ(p);

	if (q->in_am[fno]) {
		qlist_del(&q->lk, &q->am, fno);
		q->in_am[fno] = 0;
		return;
	}
	qlist_del(&q->lk, &q->a1in, fno);
	if (why == POLICY_EVICTED && q->kout)
		ghost_push(q->a1out, ino, pgno); /* resident until now, so
						  * absent; drops the oldest
						  * if full */
}

static uint32_t twoq_victim(struct policy *p)
{
	struct twoq *q = TWOQ(p);
	struct qlist *first = q->a1in.len > q->kin ? &q->a1in : &q->am;
	struct qlist *other = first == &q->a1in ? &q->am : &q->a1in;
	uint32_t fno = qlist_first_evictable(&q->lk, first, p->cache);

	if (fno == FRAME_NONE)
		fno = qlist_first_evictable(&q->lk, other, p->cache);
	return fno;
}

static int twoq_check(struct policy *p)
{
	struct twoq *q = TWOQ(p);
	unsigned char *seen = calloc(p->nframes, 1);
	uint32_t nres = cache_policy_nresident(p->cache);
	int rc = -1;

	if (!seen)
		return -1;
	if (qlist_check(&q->lk, &q->a1in, p->cache, p->nframes, seen,
			"2q A1in") < 0)
		goto out;
	for (uint32_t x = q->a1in.head; x != FRAME_NONE; x = q->lk.next[x]) {
		if (q->in_am[x]) {
			fprintf(stderr, "2q: frame %u on A1in marked Am\n", x);
			goto out;
		}
	}
	if (qlist_check(&q->lk, &q->am, p->cache, p->nframes, seen,
			"2q Am") < 0)
		goto out;
	for (uint32_t x = q->am.head; x != FRAME_NONE; x = q->lk.next[x]) {
		if (!q->in_am[x]) {
			fprintf(stderr, "2q: frame %u on Am marked A1in\n", x);
			goto out;
		}
	}
	for (uint32_t x = 0; x < p->nframes; x++) {
		if (!seen[x] && q->in_am[x]) {
			fprintf(stderr, "2q: unlisted frame %u marked Am\n", x);
			goto out;
		}
	}
	if (q->a1in.len + q->am.len != nres) {
		fprintf(stderr, "2q: %u on A1in + %u on Am, %u resident\n",
			q->a1in.len, q->am.len, nres);
		goto out;
	}
	if (ghost_check(q->a1out) < 0)
		goto out;
	if (ghost_len(q->a1out) > q->kout) {
		fprintf(stderr, "2q: %u keys on A1out, Kout is %u\n",
			ghost_len(q->a1out), q->kout);
		goto out;
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

static size_t twoq_ghost_bytes(const struct policy *p)
{
	return ghost_bytes(TWOQ(p)->a1out);
}

static uint32_t twoq_ghost_count(const struct policy *p)
{
	return ghost_len(TWOQ(p)->a1out);
}

/* "A1in [5 6] Am [3 1] A1out [4]": each list oldest (least recent) first. */
static void twoq_show(struct policy *p, FILE *out)
{
	struct twoq *q = TWOQ(p);

	qlist_show_named(&q->lk, &q->a1in, p->cache, "A1in", out);
	fputc(' ', out);
	qlist_show_named(&q->lk, &q->am, p->cache, "Am", out);
	fputc(' ', out);
	ghost_show(q->a1out, "A1out", out);
}

const struct policy_ops policy_2q = {
	.name = "2q",
	.summary = "2Q: a FIFO for pages seen once, an LRU for pages seen "
		   "again, a ghost FIFO between them",
	.flags = 0,
	.params = twoq_params,
	.create = twoq_create,
	.destroy = twoq_destroy,
	.insert = twoq_insert,
	.hit = twoq_hit,
	.remove = twoq_remove,
	.pending = twoq_pending,
	.victim = twoq_victim,
	.check = twoq_check,
	.bytes_per_frame = 2 * sizeof(uint32_t) + sizeof(uint8_t),
	.ghost_bytes = twoq_ghost_bytes,
	.ghost_count = twoq_ghost_count,
	.show = twoq_show,
};
