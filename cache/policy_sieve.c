/* policy_sieve.c - SIEVE: a FIFO queue, a visited bit, and a hand that does
 * not go back.
 *
 * Y. Zhang, J. Yang, Y. Yue, Y. Vigfusson, K. V. Rashmi, "SIEVE is Simpler
 * than LRU: an Efficient Turn-Key Eviction Algorithm for Web Caches",
 * NSDI '24 (Algorithm 1).
 *
 * The resident frames sit in one queue in insertion order; a new page joins
 * at the newest end with its visited bit clear, and a hit only sets the bit
 * (one relaxed atomic store, tested first), so hits take no lock and never
 * reorder the queue.  The hand moves from the oldest end toward the newest:
 * a visited frame has its bit cleared and stays where it is, the first
 * unvisited one is the victim.  Unlike CLOCK's, which rotates survivors to
 * the back, and unlike FIFO's, which always starts at the oldest, SIEVE's
 * hand carries on after an eviction from the victim's newer neighbour, and
 * wraps to the oldest end only when it runs off the newest.  Survivors thus
 * stay among the old pages while new ones collect at the newest end, where
 * one-hit wonders are found quickly: the "sieve" (section 3 of the paper).
 *
 * Mapping onto framefs.  The queue is a qlist (head = oldest = the paper's
 * tail; tail = newest = the paper's head), so the paper's "prev" (toward
 * the head) is our next[].  victim() only peeks: it leaves the hand ON the
 * victim, and remove() of the frame under the hand moves it to the newer
 * neighbour (FRAME_NONE past the newest end: the next search starts at the
 * oldest).  That is the paper's "hand = obj.prev" after an eviction; a
 * refused victim keeps the hand, and its next search starts by looking at
 * it again.  Busy frames (pinned, dirty, ...) are passed over untouched,
 * bit included.  Two turns clear every bit, so after 2 * len + 1 steps
 * without a victim there is none.
 *
 * State: 8 bytes of links and a 1-byte bit per frame.  The bits are set by
 * lockless hits and cleared by the hand under cache->lock, both with
 * relaxed atomic stores: a hit that lands just before the hand clears the
 * bit is lost, and the page looks unvisited on that one turn, which only
 * makes the policy approximate, never inconsistent.  A frame is pinned
 * during its hit and cannot be freed meanwhile, so a free frame's bit stays
 * clear.
 */
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"
#include "qlist.h"

struct sieve {
	struct policy base;
	struct qlinks lk;	/* [nframes] queue links; lock */
	struct qlist q;		/* head: oldest, tail: newest; lock */
	uint8_t *visited;	/* [nframes]; atomic, cleared under lock */
	uint32_t hand;		/* next frame to look at, FRAME_NONE: start
				 * at the oldest; lock */
};

#define SIEVE(p) ((struct sieve *)(p))

static struct policy *sieve_create(uint32_t nframes, const double *param)
{
	struct sieve *s = calloc(1, sizeof(*s));

	(void)param;
	if (!s)
		return NULL;
	s->visited = calloc(nframes, 1);
	if (qlinks_init(&s->lk, nframes) < 0 || !s->visited) {
		qlinks_release(&s->lk);
		free(s->visited);
		free(s);
		return NULL;
	}
	qlist_init(&s->q);
	s->hand = FRAME_NONE;
	return &s->base;
}

static void sieve_destroy(struct policy *p)
{
	qlinks_release(&SIEVE(p)->lk);
	free(SIEVE(p)->visited);
	free(p);
}

static void sieve_insert(struct policy *p, uint32_t fno, uint64_t ino,
			 uint64_t pgno)
{
	(void)ino;
	(void)pgno;
	__atomic_store_n(&SIEVE(p)->visited[fno], 0, __ATOMIC_RELAXED);
	qlist_append(&SIEVE(p)->lk, &SIEVE(p)->q, fno);
}

static void sieve_hit(struct policy *p, uint32_t fno)
{
	uint8_t *v = &SIEVE(p)->visited[fno];

	if (!__atomic_load_n(v, __ATOMIC_RELAXED))
		__atomic_store_n(v, 1, __ATOMIC_RELAXED);
}

static void sieve_remove(struct policy *p, uint32_t fno, uint64_t ino,
			 uint64_t pgno, enum policy_remove why)
{
	struct sieve *s = SIEVE(p);

	(void)ino;
	(void)pgno;
	(void)why;
	if (s->hand == fno)
		s->hand = s->lk.next[fno];
	qlist_del(&s->lk, &s->q, fno);
	__atomic_store_n(&s->visited[fno], 0, __ATOMIC_RELAXED);
}

static uint32_t sieve_victim(struct policy *p)
{
	struct sieve *s = SIEVE(p);
	uint64_t steps = 2 * (uint64_t)s->q.len + 1;
	uint32_t f = s->hand != FRAME_NONE ? s->hand : s->q.head;

	if (f == FRAME_NONE)
		return FRAME_NONE;
	while (steps--) {
		uint8_t *v = &s->visited[f];

		if (cache_policy_evictable(p->cache, f)) {
			if (!__atomic_load_n(v, __ATOMIC_RELAXED)) {
				s->hand = f;
				return f;
			}
			__atomic_store_n(v, 0, __ATOMIC_RELAXED);
		}
		f = s->lk.next[f] != FRAME_NONE ? s->lk.next[f] : s->q.head;
	}
	s->hand = f;
	return FRAME_NONE;
}

static int sieve_check(struct policy *p)
{
	struct sieve *s = SIEVE(p);
	unsigned char *seen = calloc(p->nframes, 1);
	int rc = -1;

	if (!seen)
		return -1;
	if (qlist_check(&s->lk, &s->q, p->cache, p->nframes, seen, "sieve"))
		goto out;
	if (s->q.len != cache_policy_nresident(p->cache)) {
		fprintf(stderr, "sieve: %u queued, %u resident\n", s->q.len,
			cache_policy_nresident(p->cache));
		goto out;
	}
	if (s->hand != FRAME_NONE &&
	    (s->hand >= p->nframes || !seen[s->hand])) {
		fprintf(stderr, "sieve: hand at f%u, not queued\n", s->hand);
		goto out;
	}
	for (uint32_t f = 0; f < p->nframes; f++) {
		uint8_t v = __atomic_load_n(&s->visited[f], __ATOMIC_RELAXED);

		if (v > 1 || (v && !seen[f])) {
			fprintf(stderr, "sieve: frame %u: visited %u%s\n", f,
				v, seen[f] ? "" : " but not queued");
			goto out;
		}
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

/* "oldest first (^ hand, * visited): 3* ^5 7" */
static void sieve_show(struct policy *p, FILE *out)
{
	struct sieve *s = SIEVE(p);
	uint32_t hand = s->hand != FRAME_NONE ? s->hand : s->q.head;

	fprintf(out, "oldest first (^ hand, * visited):");
	for (uint32_t f = s->q.head; f != FRAME_NONE; f = s->lk.next[f])
		fprintf(out, " %s%llu%s", f == hand ? "^" : "",
			(unsigned long long)cache_policy_pgno(p->cache, f),
			__atomic_load_n(&s->visited[f], __ATOMIC_RELAXED) ?
			"*" : "");
}

const struct policy_ops policy_sieve = {
	.name = "sieve",
	.summary = "FIFO queue, visited bit, a hand that carries on (NSDI'24)",
	.flags = POLICY_HIT_LOCKLESS,
	.create = sieve_create,
	.destroy = sieve_destroy,
	.insert = sieve_insert,
	.hit = sieve_hit,
	.remove = sieve_remove,
	.victim = sieve_victim,
	.check = sieve_check,
	.bytes_per_frame = 2 * sizeof(uint32_t) + sizeof(uint8_t),
	.show = sieve_show,
};
