/* policy_arc.c - ARC, the adaptive replacement cache, after N. Megiddo and
 * D. S. Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", Proc.
 * 2nd USENIX Conference on File and Storage Technologies (FAST '03), San
 * Francisco, 2003, pp. 115-130 (Figure 4, "ARC(c)").
 *
 * The idea.  With c frames, ARC keeps a directory of up to 2c pages in four
 * LRU lists, each least recently used first:
 *
 *   T1  resident pages referenced once since they last came in (recency)
 *   T2  resident pages referenced at least twice (frequency)
 *   B1  keys of pages evicted from T1 (ghosts: cache/ghost.h)
 *   B2  keys of pages evicted from T2
 *
 * with |T1| + |T2| <= c, L1 = |T1| + |B1| <= c and |T1| + |T2| + |B1| + |B2|
 * <= 2c.  A target p, 0 <= p <= c, is the size T1 should have; the lists
 * teach it.  A miss on a page in B1 means T1 was too small: p grows by
 * max(|B2|/|B1|, 1) (at most to c); a miss on a page in B2 means T2 was too
 * small: p shrinks by max(|B1|/|B2|, 1) (at least to 0).  Either way the
 * page comes back into T2, as it has now been referenced twice.  A hit in
 * T1 or T2 moves the page to T2's most recent end.  A miss on a page in no
 * list goes to T1's most recent end, after trimming the directory (the
 * paper's Case IV): if L1 holds c pages, B1's oldest key is deleted (or,
 * with B1 empty and T1 full, T1's oldest page, with no ghost); else if the
 * directory holds 2c pages, B2's oldest key is.
 *
 * The frame for a missing page x comes from REPLACE(x, p): the LRU page of
 * T1 goes (its key to B1's MRU end) if |T1| >= 1 and either |T1| > p, or x
 * is in B2 and |T1| = p; otherwise the LRU page of T2 goes (its key to B2).
 * The tie rule keeps a B2 hit, which is about to shrink T1's share, from
 * taking a frame from T2.
 *
 * p is a double.  The paper's steps are ratios of list lengths (|B2| = 3,
 * |B1| = 2 adds 1.5), and this file keeps them exact; |T1| (an integer) is
 * compared with p as a real number, so the tie |T1| = p arises only when p
 * is whole.
 *
 * Fitting it to framefs.  The paper handles one request in one step; here a
 * miss with no free frame is pending(x), then victim() (a peek, maybe
 * repeated), then remove(POLICY_EVICTED), then insert(x), possibly on
 * another thread and with other calls in between.  The steps are placed so
 * that a lone miss does exactly what Figure 4 does:
 *   - pending(x) notes whether x is in B1 or B2 and the step of p that hit
 *     will make, computed from the lengths at that moment (the paper adapts
 *     p before REPLACE).  victim() runs REPLACE with that adapted p and that
 *     "x in B2"; insert(x) commits the step.  The note lasts until the next
 *     insert.  A ghost hit with a free frame (frames freed by truncate)
 *     computes its step at insert and needs no REPLACE.
 *   - victim() only chooses the list and returns its first evictable frame
 *     from the LRU end; busy frames (pinned, dirty, loading) are passed over
 *     in place, and when the chosen list has none, the other list is
 *     searched.  remove(POLICY_EVICTED) moves the key to the ghost list of
 *     the list the frame was on; POLICY_DROPPED (truncate, unlink, failed
 *     load) forgets the page with no ghost.
 *   - Case IV's trimming happens in insert(x), after the eviction instead
 *     of before it.  Moving a page from T1 to B1 or from T2 to B2 changes
 *     neither L1 nor the directory's size, and the key trimmed is the LRU
 *     end of a list that was not empty before REPLACE added to its MRU end,
 *     so the same keys go.  Case IV.A's "delete T1's LRU page, no ghost"
 *     (B1 empty, T1 holding all c frames) falls out of the same rule:
 *     REPLACE takes T1's LRU page (T2 is empty), its key lands in B1, and
 *     the trim at insert deletes it.
 *   - Between the eviction and the insert, B2 may hold c + 1 keys (a B2 hit
 *     while |B2| = c, its victim from T2), so B2 is sized c + 1 and B1 c
 *     (L1 never grows at an eviction).  Evictions with no insert after them
 *     (framefs's evictor keeping frames free) leave the directory's size
 *     as it was; B2's capacity then drops its oldest key, which only
 *     shrinks the directory.
 *
 * Costs.  Per frame: two links (T1 and T2 share them) and one byte saying
 * which list: 9 bytes.  B1 and B2: ghost.h's ~32 bytes per key, 2c + 1
 * keys.  Every operation is O(1) when the LRU ends are evictable.  A hit
 * moves the page, so hits take cache->lock (flags 0).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ghost.h"
#include "policy.h"
#include "qlist.h"

enum arc_where { IN_NONE, IN_B1, IN_B2 };

struct arc {
	struct policy base;
	struct qlinks lk;	/* per-frame links, T1 and T2 */
	struct qlist t1;	/* head: LRU page referenced once */
	struct qlist t2;	/* head: LRU page referenced twice or more */
	uint8_t *in_t2;		/* [nframes]; 1 when the frame is on T2 */
	struct ghost *b1;	/* keys evicted from T1, LRU first; c keys */
	struct ghost *b2;	/* keys evicted from T2, LRU first; c + 1 */
	double p;		/* target size of T1, 0 <= p <= c */
	uint32_t c;		/* frames */
	struct {
		uint64_t ino, pgno;
		bool valid;	/* a miss waits for a frame */
		uint8_t where;	/* enum arc_where of its key then */
		double step;	/* the change of p its ghost hit makes */
	} pend;			/* set by pending(), cleared by insert() */
};

#define ARC(p) ((struct arc *)(p))

static struct policy *arc_create(uint32_t nframes, const double *param)
{
	struct arc *a = calloc(1, sizeof(*a));

	(void)param;
	if (!a)
		return NULL;
	a->c = nframes;
	a->in_t2 = calloc(nframes, 1);
	a->b1 = ghost_new(nframes);
	a->b2 = ghost_new(nframes + 1);
	if (qlinks_init(&a->lk, nframes) < 0 || !a->in_t2 || !a->b1 ||
	    !a->b2) {
		qlinks_release(&a->lk);
		free(a->in_t2);
		ghost_free(a->b1);
		ghost_free(a->b2);
		free(a);
		return NULL;
	}
	qlist_init(&a->t1);
	qlist_init(&a->t2);
	return &a->base;
}

static void arc_destroy(struct policy *p)
{
	struct arc *a = ARC(p);

	qlinks_release(&a->lk);
	free(a->in_t2);
	ghost_free(a->b1);
	ghost_free(a->b2);
	free(a);
}

static enum arc_where arc_find(struct arc *a, uint64_t ino, uint64_t pgno)
{
	if (ghost_contains(a->b1, ino, pgno))
		return IN_B1;
	if (ghost_contains(a->b2, ino, pgno))
		return IN_B2;
	return IN_NONE;
}

/* The paper's adaptation for a hit in B1 (+delta1) or B2 (-delta2), given
 * the lengths of B1 and B2 with the key still in its list. */
static double arc_step(enum arc_where w, double b1, double b2)
{
	if (w == IN_B1)
		return b2 / b1 > 1 ? b2 / b1 : 1;
	if (w == IN_B2)
		return -(b1 / b2 > 1 ? b1 / b2 : 1);
	return 0;
}

/* p after a step: min(c, p + delta1) or max(0, p - delta2). */
static double arc_adapt(struct arc *a, double step)
{
	double p = a->p + step;

	return p < 0 ? 0 : p > a->c ? a->c : p;
}

static void arc_pending(struct policy *p, uint64_t ino, uint64_t pgno)
{
	struct arc *a = ARC(p);

	a->pend.ino = ino;
	a->pend.pgno = pgno;
	a->pend.valid = true;
	a->pend.where = arc_find(a, ino, pgno);
	a->pend.step = arc_step(a->pend.where, ghost_len(a->b1),
				ghost_len(a->b2));
}

/* Where the key was, taking it out of B1 or B2; *step is the change of p
 * its ghost hit makes, from the lengths before the removal. */
static enum arc_where arc_take(struct arc *a, uint64_t ino, uint64_t pgno,
			       double *step)
{
	double b1 = ghost_len(a->b1), b2 = ghost_len(a->b2);
	bool noted = a->pend.valid && a->pend.ino == ino &&
		     a->pend.pgno == pgno;

	/* Since pending() nothing was inserted (that would have ended the
	 * note), so the key cannot have joined a ghost list: when it was in
	 * none then, there is nothing to look up. */
	if (noted && a->pend.where == IN_NONE)
		return IN_NONE;
	if ((!noted || a->pend.where == IN_B1) &&
	    ghost_remove(a->b1, ino, pgno)) {
		*step = noted ? a->pend.step : arc_step(IN_B1, b1, b2);
		return IN_B1;
	}
	if ((!noted || a->pend.where == IN_B2) &&
	    ghost_remove(a->b2, ino, pgno)) {
		*step = noted ? a->pend.step : arc_step(IN_B2, b1, b2);
		return IN_B2;
	}
	return IN_NONE;
}

static void arc_insert(struct policy *p, uint32_t fno, uint64_t ino,
		       uint64_t pgno)
{
	struct arc *a = ARC(p);
	double step = 0;
	enum arc_where w = arc_take(a, ino, pgno, &step);

	a->pend.valid = false;
	if (w != IN_NONE) {
		/* Cases II and III: adapt p, fetch into T2. */
		a->p = arc_adapt(a, step);
		a->in_t2[fno] = 1;
		qlist_append(&a->lk, &a->t2, fno);
		return;
	}
	/* Case IV: make room in the directory, fetch into T1.  T1 has a free
	 * frame's worth of room (|T1| < c), so a full L1 has a key in B1. */
	if (a->t1.len + ghost_len(a->b1) >= a->c) {
		ghost_pop_oldest(a->b1);
	} else if (a->t1.len + a->t2.len + ghost_len(a->b1) +
		   ghost_len(a->b2) >= 2 * a->c) {
		if (!ghost_pop_oldest(a->b2))
			ghost_pop_oldest(a->b1);
	}
	a->in_t2[fno] = 0;
	qlist_append(&a->lk, &a->t1, fno);
}

static void arc_hit(struct policy *p, uint32_t fno)
{
	struct arc *a = ARC(p);

	if (a->in_t2[fno]) {
		if (a->t2.tail == fno)
			return;
		qlist_del(&a->lk, &a->t2, fno);
	} else {
		qlist_del(&a->lk, &a->t1, fno);
		a->in_t2[fno] = 1;
	}
	qlist_append(&a->lk, &a->t2, fno);
}

static void arc_remove(struct policy *p, uint32_t fno, uint64_t ino,
		       uint64_t pgno, enum policy_remove why)
{
	struct arc *a = ARC(p);
	bool t2 = a->in_t2[fno];

	qlist_del(&a->lk, t2 ? &a->t2 : &a->t1, fno);
	a->in_t2[fno] = 0;
	if (why == POLICY_EVICTED)
		ghost_push(t2 ? a->b2 : a->b1, ino, pgno);	/* it was
								 * resident */
}

/* REPLACE(x, p), with x the pending miss (if any). */
static uint32_t arc_victim(struct policy *p)
{
	struct arc *a = ARC(p);
	double target = a->p;
	bool x_in_b2 = false, from_t1;
	struct qlist *first, *other;
	uint32_t fno;

	if (a->pend.valid) {
		target = arc_adapt(a, a->pend.step);
		x_in_b2 = a->pend.where == IN_B2;
	}
	from_t1 = a->t1.len >= 1 &&
		  (a->t1.len > target || (x_in_b2 && a->t1.len == target));
	first = from_t1 ? &a->t1 : &a->t2;
	other = from_t1 ? &a->t2 : &a->t1;
	fno = qlist_first_evictable(&a->lk, first, p->cache);
	if (fno == FRAME_NONE)
		fno = qlist_first_evictable(&a->lk, other, p->cache);
	return fno;
}

static int check_flags(struct arc *a, struct qlist *l, uint8_t want)
{
	for (uint32_t x = l->head; x != FRAME_NONE; x = a->lk.next[x]) {
		if (a->in_t2[x] != want) {
			fprintf(stderr, "arc: frame %u on T%d marked T%d\n", x,
				want + 1, 2 - want);
			return -1;
		}
	}
	return 0;
}

static int arc_check(struct policy *p)
{
	struct arc *a = ARC(p);
	unsigned char *seen = calloc(p->nframes, 1);
	uint32_t nres = cache_policy_nresident(p->cache);
	uint64_t b1, b2, total;
	int rc = -1;

	if (!seen)
		return -1;
	if (qlist_check(&a->lk, &a->t1, p->cache, p->nframes, seen,
			"arc T1") < 0 || check_flags(a, &a->t1, 0) < 0 ||
	    qlist_check(&a->lk, &a->t2, p->cache, p->nframes, seen,
			"arc T2") < 0 || check_flags(a, &a->t2, 1) < 0)
		goto out;
	for (uint32_t x = 0; x < p->nframes; x++) {
		if (!seen[x] && a->in_t2[x]) {
			fprintf(stderr, "arc: unlisted frame %u marked T2\n",
				x);
			goto out;
		}
	}
	if (a->t1.len + a->t2.len != nres) {
		fprintf(stderr, "arc: %u on T1 + %u on T2, %u resident\n",
			a->t1.len, a->t2.len, nres);
		goto out;
	}
	if (ghost_check(a->b1) < 0 || ghost_check(a->b2) < 0)
		goto out;
	b1 = ghost_len(a->b1);
	b2 = ghost_len(a->b2);
	total = a->t1.len + a->t2.len + b1 + b2;
	if (a->t1.len + b1 > a->c || total > 2 * (uint64_t)a->c) {
		fprintf(stderr, "arc: |T1| %u + |B1| %llu > c or directory "
			"%llu > 2c (c = %u)\n", a->t1.len,
			(unsigned long long)b1, (unsigned long long)total,
			a->c);
		goto out;
	}
	if (!(a->p >= 0 && a->p <= a->c)) {	/* NaN fails too */
		fprintf(stderr, "arc: p = %g outside 0..%u\n", a->p, a->c);
		goto out;
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

static size_t arc_ghost_bytes(const struct policy *p)
{
	return ghost_bytes(ARC(p)->b1) + ghost_bytes(ARC(p)->b2);
}

static uint32_t arc_ghost_count(const struct policy *p)
{
	return ghost_len(ARC(p)->b1) + ghost_len(ARC(p)->b2);
}

/* "p=1.5 T1 [6] T2 [1 2 3] B1 [4 5] B2 []": each list LRU first. */
static void arc_show(struct policy *p, FILE *out)
{
	struct arc *a = ARC(p);

	fprintf(out, "p=%g ", a->p);
	qlist_show_named(&a->lk, &a->t1, p->cache, "T1", out);
	fputc(' ', out);
	qlist_show_named(&a->lk, &a->t2, p->cache, "T2", out);
	fputc(' ', out);
	ghost_show(a->b1, "B1", out);
	fputc(' ', out);
	ghost_show(a->b2, "B2", out);
}

const struct policy_ops policy_arc = {
	.name = "arc",
	.summary = "ARC: recency (T1) and frequency (T2) lists whose split "
		   "adapts to ghost hits",
	.flags = 0,
	.create = arc_create,
	.destroy = arc_destroy,
	.insert = arc_insert,
	.hit = arc_hit,
	.remove = arc_remove,
	.pending = arc_pending,
	.victim = arc_victim,
	.check = arc_check,
	.bytes_per_frame = 2 * sizeof(uint32_t) + sizeof(uint8_t),
	.ghost_bytes = arc_ghost_bytes,
	.ghost_count = arc_ghost_count,
	.show = arc_show,
};
