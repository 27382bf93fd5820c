/* policy_lirs.c - LIRS, the Low Inter-reference Recency Set policy.
 *
 * Source: S. Jiang and X. Zhang, "LIRS: An Efficient Low Inter-reference
 * Recency Set Replacement Policy to Improve Buffer Cache Performance",
 * ACM SIGMETRICS 2002.
 *
 * The idea.  A page's inter-reference recency (IRR) is the number of other
 * distinct pages referenced between its last two references; its recency,
 * the number since its last one.  LRU keeps the pages of low recency; LIRS
 * keeps those of low IRR, on the bet that a page's next IRR will be like its
 * last.  Most frames (Llirs of them) hold LIR pages, those with low IRR; the
 * rest (Lhirs, 1% of the frames by default, at least one) hold resident HIR
 * pages, the newcomers and the pages that lost LIR status, on probation.
 * Some non-resident HIR pages are remembered too, so that a page evicted on
 * probation and soon referenced again shows a low IRR and comes back as LIR.
 * Loops a little larger than the cache, and scans, only churn the few HIR
 * frames, where LRU would lose everything.
 *
 * The structures.
 *   stack S   the LIRS stack: an LRU stack of LIR pages, resident HIR pages
 *             and non-resident HIR pages, most recent on top.  Its bottom is
 *             always an LIR page (stack pruning, below), so S reaches back
 *             exactly to the least recently used LIR page: a HIR page in S
 *             has a recency lower than some LIR page, hence its new IRR if
 *             referenced now would be lower than that LIR page's recency.
 *   list Q    the resident HIR pages, in the order they became so; its
 *             front is the next victim.  Some of them are in S as well.
 * Stack pruning: while the bottom of S is a HIR page, take it out of S (a
 * resident one stays in Q; a non-resident one is forgotten).
 *
 * A reference to page X (the cases as the paper lists them):
 *   1. X is LIR (a hit): move X to the top of S; if X was at the bottom,
 *      prune.
 *   2. X is resident HIR and in S (a hit): its new IRR beats the recency of
 *      the bottom LIR page, so X becomes LIR: move it to the top of S, out
 *      of Q; the LIR page at the bottom of S becomes resident HIR and goes
 *      to the end of Q; prune.
 *   3. X is resident HIR and not in S (a hit): X stays HIR; push it on top
 *      of S and move it to the end of Q.
 *   4. X is not resident (a miss): the page at the front of Q is evicted
 *      (if it is in S it stays there, non-resident).  Then:
 *      4a. X is a non-resident HIR page in S: X becomes LIR, on top of S,
 *          and the bottom LIR page is demoted to the end of Q, as in 2;
 *      4b. otherwise X is resident HIR: on top of S and at the end of Q.
 * Until Llirs pages are LIR (a cold cache, or LIR pages truncated away),
 * every page referenced becomes LIR, as the paper says; the hit of case 3
 * then promotes as well.
 *
 * Choices the paper leaves open.
 *  - Victim.  The front of Q, passing over frames that are not evictable
 *    (pinned, dirty, ...), which keep their place.  If no frame of Q is
 *    evictable (Q empty or all busy), the LIR pages are tried from the
 *    bottom of S up: the least recently used LIR page goes.  An evicted
 *    page that was in S stays there as a non-resident HIR entry whatever
 *    its status, then S is pruned (a bottom LIR page evicted that way is
 *    thus forgotten at once).
 *  - The non-resident entries.  S is unbounded in the paper: a long scan
 *    leaves one entry per page.  The implementations that followed bound
 *    it, each its own way:
 *      Jiang's own simulator (lirs.c, lirs.h, 2002) caps S at MAX_S_LEN,
 *      mem_size * 2500 entries: unbounded in practice (its comment
 *      suggests 3 times the cache for a real bound);
 *      libCacheSim (LIRS.c, limitStack()) keeps all of S, resident
 *      entries included, within twice the cache size, dropping
 *      non-resident entries oldest first.  S holds every LIR page
 *      (Llirs) and some resident HIR ones, so that leaves between 1 and
 *      1 + hir non-resident entries per frame: about one;
 *      Caffeine's simulator (irr.Lirs) keeps non-resident-multiplier
 *      times the cache size of them, 2.0 in its reference.conf.
 *    This one keeps at most nonres * nframes non-resident entries and
 *    beyond that drops the oldest, i.e. that of the page that left the
 *    cache first.  The default, nonres=2, is Caffeine's bound, twice
 *    libCacheSim's; nonres=1 is libCacheSim's: S then never exceeds twice
 *    the cache (Llirs + Lhirs + nframes), and holds at most Lhirs fewer
 *    non-resident entries than libCacheSim would.
 *    Since victims leave Q in about the order they were referenced, that is
 *    about the lowest non-resident entry in S.  The bound is enforced when
 *    an access completes (end of insert()): the eviction made for page X
 *    may create one more entry, and must not push out X's own entry before
 *    X is inserted.  Evictions back to back, with no insert between them,
 *    drop the oldest entry once all the pool's nonres * nframes + 1 slots
 *    are taken.
 *  - Truncated pages (POLICY_DROPPED) leave S and Q with no trace.
 *
 * Representation.  Frames are the resident pages; a non-resident entry is a
 * slot of a fixed pool (nonres * nframes + 1 slots, allocated at create)
 * holding its (ino, pgno), found through an open-addressing table keyed by
 * key_hash (linear probing, backward-shift deletion).  S links node ids: ids
 * below nframes are frames, nframes + g is pool slot g, so an evicted page
 * turns into a non-resident entry in place, in O(1).  The pool's age list
 * (oldest first) and free list share another pair of link arrays.  Every
 * operation is O(1) except pruning, which removes each entry at most once
 * after it was pushed (O(1) amortized), and victim()'s passing over busy
 * frames (the walk up S happens only when Q has nothing evictable).
 * Memory: 17 bytes per frame (S and Q links, a status byte); 48 to 64 per
 * non-resident entry (key 16, S links 8, age links 8, and 2 to 4 table
 * entries of 8), counted in ghost_bytes().
 */
#include <stdio.h>
#include <stdlib.h>

#include "keyhash.h"
#include "policy.h"
#include "qlist.h"

#define ST_LIR	0x1u		/* an LIR page (else resident HIR, in Q) */
#define ST_INS	0x2u		/* in stack S */

struct lirs {
	struct policy base;
	struct qlinks slk;	/* [nframes + gcap]; links of S by node id */
	struct qlist s;		/* stack S; head: bottom, tail: top */
	struct qlinks qlk;	/* [nframes]; links of Q */
	struct qlist q;		/* list Q; head: front (next victim) */
	uint8_t *st;		/* [nframes]; ST_* if resident, else 0 */
	uint32_t nlir;		/* LIR pages: resident, all in S */
	uint32_t llirs;		/* frames for LIR pages: nframes - Lhirs */
	/* Non-resident HIR entries of S, node ids nframes + slot. */
	struct nr_key *gkey;	/* [gcap]; key of a used slot */
	struct qlinks glk;	/* [gcap]; age list; free slots through next */
	struct qlist g;		/* used slots, head: oldest */
	uint32_t gfree;		/* first free slot, FRAME_NONE if none */
	uint32_t gmax;		/* bound on g.len when no access is under way */
	uint32_t gcap;		/* gmax + 1 */
	struct nr_entry *table;	/* [tmask + 1]; (ino, pgno) -> slot */
	uint32_t tmask;
};

#define LIRS(p) ((struct lirs *)(p))

struct nr_key {
	uint64_t ino, pgno;	/* together: one cache line per probe */
};

struct nr_entry {
	uint32_t g;		/* slot, or FRAME_NONE: empty */
	uint32_t hash;		/* key_hash of its key: most probes and every
				 * deletion shift need not read the key */
};

static const struct policy_param lirs_params[] = {
	{ "hir", 0.01, 0.0, 1.0, "share of frames for resident HIR pages "
	  "(Lhirs, at least 1)", false },
	{ "nonres", 2.0, 0.0, 16.0, "non-resident entries kept in S, per "
	  "frame (2: Caffeine's bound; 1: libCacheSim's)", false },
	{ .key = NULL },
};

static bool is_lir(const struct lirs *l, uint32_t id)
{
	return id < l->base.nframes && (l->st[id] & ST_LIR);
}

/* ---- the non-resident entries ----------------------------------------- */

/* The table index holding key (whose key_hash is h), or the empty index
 * where it would go. */
static uint32_t nr_probe(const struct lirs *l, uint64_t ino, uint64_t pgno,
			 uint32_t h)
{
	uint32_t i = h & l->tmask;

	for (;;) {
		const struct nr_entry *e = &l->table[i];

		if (e->g == FRAME_NONE ||
		    (e->hash == h && l->gkey[e->g].ino == ino &&
		     l->gkey[e->g].pgno == pgno))
			return i;
		i = (i + 1) & l->tmask;
	}
}

static void nr_table_delete(struct lirs *l, uint32_t i)
{
	uint32_t j = i;

	/* Backward shift: pull later entries of the run into the hole when
	 * their home is not between the hole and their position. */
	for (;;) {
		uint32_t home;

		j = (j + 1) & l->tmask;
		if (l->table[j].g == FRAME_NONE)
			break;
		home = l->table[j].hash & l->tmask;
		if (((j - home) & l->tmask) >= ((j - i) & l->tmask)) {
			l->table[i] = l->table[j];
			i = j;
		}
	}
	l->table[i].g = FRAME_NONE;
}

/* The slot of (ino, pgno) if it is a non-resident entry, else FRAME_NONE. */
static uint32_t nr_find(const struct lirs *l, uint64_t ino, uint64_t pgno)
{
	return l->table[nr_probe(l, ino, pgno, key_hash(ino, pgno))].g;
}

/* Forgets non-resident entry g: out of S, the table and the age list. */
static void nr_forget(struct lirs *l, uint32_t g)
{
	const struct nr_key *k = &l->gkey[g];

	nr_table_delete(l, nr_probe(l, k->ino, k->pgno,
				    key_hash(k->ino, k->pgno)));
	qlist_del(&l->glk, &l->g, g);
	qlist_del(&l->slk, &l->s, l->base.nframes + g);
	l->glk.next[g] = l->gfree;
	l->gfree = g;
}

/* Node `at` of S (an evicted frame) becomes non-resident entry (ino, pgno),
 * in the same place. */
static void nr_replace(struct lirs *l, uint32_t at, uint64_t ino,
		       uint64_t pgno)
{
	uint32_t g, id, p, n, h = key_hash(ino, pgno);

	if (l->gfree == FRAME_NONE)
		nr_forget(l, l->g.head);
	g = l->gfree;
	l->gfree = l->glk.next[g];
	l->gkey[g].ino = ino;
	l->gkey[g].pgno = pgno;
	qlist_append(&l->glk, &l->g, g);
	l->table[nr_probe(l, ino, pgno, h)] = (struct nr_entry){ g, h };
	/* Splice node id in place of at. */
	id = l->base.nframes + g;
	p = l->slk.prev[at];
	n = l->slk.next[at];
	l->slk.prev[id] = p;
	l->slk.next[id] = n;
	if (p != FRAME_NONE)
		l->slk.next[p] = id;
	else
		l->s.head = id;
	if (n != FRAME_NONE)
		l->slk.prev[n] = id;
	else
		l->s.tail = id;
}

/* ---- S and Q ---------------------------------------------------------- */

/* Stack pruning: the bottom of S becomes an LIR page (or S empties). */
static void prune(struct lirs *l)
{
	uint32_t x;

	while ((x = l->s.head) != FRAME_NONE && !is_lir(l, x)) {
		if (x >= l->base.nframes) {
			nr_forget(l, x - l->base.nframes);
		} else {
			qlist_del(&l->slk, &l->s, x);
			l->st[x] &= ~ST_INS;
		}
	}
}

/* Frame f, on top of S, becomes LIR; while that makes too many, the LIR
 * page at the bottom of S becomes resident HIR at the end of Q. */
static void make_lir(struct lirs *l, uint32_t f)
{
	l->st[f] |= ST_LIR;
	l->nlir++;
	while (l->nlir > l->llirs) {
		uint32_t b = l->s.head;

		qlist_del(&l->slk, &l->s, b);
		l->st[b] = 0;
		qlist_append(&l->qlk, &l->q, b);
		l->nlir--;
		prune(l);
	}
}

/* ---- the policy ops --------------------------------------------------- */

static void lirs_destroy(struct policy *p)
{
	struct lirs *l = LIRS(p);

	if (!l)
		return;
	qlinks_release(&l->slk);
	qlinks_release(&l->qlk);
	qlinks_release(&l->glk);
	free(l->st);
	free(l->gkey);
	free(l->table);
	free(l);
}

static struct policy *lirs_create(uint32_t nframes, const double *param)
{
	struct lirs *l = calloc(1, sizeof(*l));
	uint64_t lhirs = (uint64_t)(param[0] * nframes);
	uint64_t gmax = (uint64_t)(param[1] * nframes), tsize = 2;

	if (!l)
		return NULL;
	/* Step 1: the split.  Lhirs >= 1, and Llirs >= 1 when there are two
	 * frames or more. */
	if (lhirs < 1)
		lhirs = 1;
	if (nframes >= 2 && lhirs > nframes - 1)
		lhirs = nframes - 1;
	if (lhirs > nframes)
		lhirs = nframes;
	l->llirs = nframes - (uint32_t)lhirs;
	/* Step 2: node ids nframes + gcap must stay below FRAME_NONE. */
	if ((uint64_t)nframes + gmax + 1 >= FRAME_NONE ||
	    gmax + 1 > (1u << 30))
		goto fail;
	l->gmax = (uint32_t)gmax;
	l->gcap = l->gmax + 1;
	while (tsize < 2 * (uint64_t)l->gcap)
		tsize <<= 1;
	l->tmask = (uint32_t)(tsize - 1);
	/* Step 3: allocate everything once. */
	l->st = calloc(nframes, 1);
	l->gkey = malloc((size_t)l->gcap * sizeof(*l->gkey));
	l->table = malloc((size_t)tsize * sizeof(*l->table));
	if (qlinks_init(&l->slk, nframes + l->gcap) < 0 ||
	    qlinks_init(&l->qlk, nframes) < 0 ||
	    qlinks_init(&l->glk, l->gcap) < 0 ||
	    !l->st || !l->gkey || !l->table)
		goto fail;
	for (uint64_t i = 0; i < tsize; i++)
		l->table[i].g = FRAME_NONE;
	for (uint32_t g = 0; g < l->gcap; g++)
		l->glk.next[g] = g + 1 < l->gcap ? g + 1 : FRAME_NONE;
	l->gfree = 0;
	qlist_init(&l->s);
	qlist_init(&l->q);
	qlist_init(&l->g);
	return &l->base;
fail:
	lirs_destroy(&l->base);
	return NULL;
}

static void lirs_insert(struct policy *p, uint32_t fno, uint64_t ino,
			uint64_t pgno)
{
	struct lirs *l = LIRS(p);
	uint32_t g = nr_find(l, ino, pgno);

	qlist_append(&l->slk, &l->s, fno);
	l->st[fno] = ST_INS;
	if (g != FRAME_NONE) {			/* 4a: non-resident in S */
		nr_forget(l, g);
		make_lir(l, fno);
	} else if (l->nlir < l->llirs) {	/* LIR set not full */
		make_lir(l, fno);
	} else {				/* 4b */
		qlist_append(&l->qlk, &l->q, fno);
	}
	prune(l);
	while (l->g.len > l->gmax)
		nr_forget(l, l->g.head);
}

static void lirs_hit(struct policy *p, uint32_t fno)
{
	struct lirs *l = LIRS(p);
	unsigned st = l->st[fno];

	if (st & ST_LIR) {			/* 1 */
		bool bottom = l->s.head == fno;

		if (l->s.tail != fno) {
			qlist_del(&l->slk, &l->s, fno);
			qlist_append(&l->slk, &l->s, fno);
		}
		if (bottom)
			prune(l);
		return;
	}
	if (st & ST_INS)
		qlist_del(&l->slk, &l->s, fno);
	qlist_append(&l->slk, &l->s, fno);
	l->st[fno] = ST_INS;
	qlist_del(&l->qlk, &l->q, fno);
	if ((st & ST_INS) || l->nlir < l->llirs)	/* 2 */
		make_lir(l, fno);
	else						/* 3 */
		qlist_append(&l->qlk, &l->q, fno);
	prune(l);
}

static void lirs_remove(struct policy *p, uint32_t fno, uint64_t ino,
			uint64_t pgno, enum policy_remove why)
{
	struct lirs *l = LIRS(p);
	unsigned st = l->st[fno];

	if (st & ST_LIR)
		l->nlir--;
	else
		qlist_del(&l->qlk, &l->q, fno);
	if (st & ST_INS) {
		if (why == POLICY_EVICTED)
			nr_replace(l, fno, ino, pgno);
		else
			qlist_del(&l->slk, &l->s, fno);
	}
	l->st[fno] = 0;
	prune(l);
}

static uint32_t lirs_victim(struct policy *p)
{
	struct lirs *l = LIRS(p);
	uint32_t v = qlist_first_evictable(&l->qlk, &l->q, p->cache);

	if (v != FRAME_NONE)
		return v;
	/* Q has nothing to give: the LIR pages, least recent first. */
	for (uint32_t x = l->s.head; x != FRAME_NONE; x = l->slk.next[x])
		if (is_lir(l, x) && cache_policy_evictable(p->cache, x))
			return x;
	return FRAME_NONE;
}

#define FAIL(...) do { fprintf(stderr, "lirs: " __VA_ARGS__); \
		       fputc('\n', stderr); goto out; } while (0)

static int lirs_check(struct policy *p)
{
	struct lirs *l = LIRS(p);
	uint32_t n = p->nframes, nids = n + l->gcap;
	uint32_t prev = FRAME_NONE, len = 0, nlir = 0, nnr = 0, intable = 0;
	unsigned char *seen = calloc(nids, 1), *inq = calloc(n, 1);
	int rc = -1;

	if (!seen || !inq)
		goto out;
	/* Step 1: S is a list of distinct nodes, an LIR page at the bottom. */
	for (uint32_t x = l->s.head; x != FRAME_NONE; x = l->slk.next[x]) {
		if (x >= nids || seen[x] || l->slk.prev[x] != prev)
			FAIL("S broken at node %u", x);
		seen[x] = 1;
		if (x < n) {
			if (!cache_policy_resident(p->cache, x) ||
			    !(l->st[x] & ST_INS))
				FAIL("frame %u in S but free or not marked", x);
			nlir += is_lir(l, x);
		} else {
			nnr++;
		}
		if (prev == FRAME_NONE && !is_lir(l, x))
			FAIL("bottom of S (node %u) is not an LIR page", x);
		prev = x;
		len++;
	}
	if (prev != l->s.tail || len != l->s.len)
		FAIL("S: tail or length (%u, counted %u) wrong", l->s.len, len);
	if (nlir != l->nlir || nlir > l->llirs)
		FAIL("%u LIR pages in S, counted %u, Llirs %u", nlir, l->nlir,
		     l->llirs);
	/* Step 2: Q holds the resident HIR pages. */
	if (qlist_check(&l->qlk, &l->q, p->cache, n, inq, "lirs Q") < 0)
		goto out;
	for (uint32_t f = 0; f < n; f++) {
		if (!cache_policy_resident(p->cache, f)) {
			if (l->st[f] || seen[f] || inq[f])
				FAIL("free frame %u still tracked", f);
			continue;
		}
		if (!!(l->st[f] & ST_INS) != seen[f])
			FAIL("frame %u: S mark and S disagree", f);
		if (!!(l->st[f] & ST_LIR) == inq[f])
			FAIL("frame %u: %s", f, inq[f] ? "LIR page in Q" :
			     "HIR page not in Q");
	}
	if (l->nlir + l->q.len != cache_policy_nresident(p->cache))
		FAIL("%u LIR + %u HIR pages, %u resident", l->nlir, l->q.len,
		     cache_policy_nresident(p->cache));
	/* Step 3: the non-resident entries: in S, in the table, bounded. */
	len = 0;
	prev = FRAME_NONE;
	for (uint32_t g = l->g.head; g != FRAME_NONE; g = l->glk.next[g]) {
		if (g >= l->gcap || l->glk.prev[g] != prev || ++len > l->gcap)
			FAIL("age list broken at slot %u", g);
		if (seen[n + g] != 1)
			FAIL("non-resident entry %u not in S", g);
		seen[n + g] = 2;
		if (nr_find(l, l->gkey[g].ino, l->gkey[g].pgno) != g)
			FAIL("non-resident entry %u not in the table", g);
		prev = g;
	}
	for (uint32_t i = 0; i <= l->tmask; i++)
		intable += l->table[i].g != FRAME_NONE;
	if (prev != l->g.tail || len != l->g.len || len != nnr ||
	    intable != len)
		FAIL("%u non-resident entries listed, %u in S, %u in the "
		     "table, length %u", len, nnr, intable, l->g.len);
	rc = 0;
out:
	free(seen);
	free(inq);
	return rc;
}

static size_t lirs_ghost_bytes(const struct policy *p)
{
	const struct lirs *l = LIRS(p);

	/* Per slot: key, S links, age links; and the table. */
	return (size_t)l->gcap * (2 * sizeof(uint64_t) +
				  4 * sizeof(uint32_t)) +
	       ((size_t)l->tmask + 1) * sizeof(struct nr_entry);
}

static uint32_t lirs_ghost_count(const struct policy *p)
{
	return LIRS(p)->g.len;
}

static void lirs_show(struct policy *p, FILE *out)
{
	struct lirs *l = LIRS(p);

	/* L: LIR, H: resident HIR, N: non-resident HIR. */
	fprintf(out, "S bottom..top:");
	for (uint32_t x = l->s.head; x != FRAME_NONE; x = l->slk.next[x]) {
		if (x >= p->nframes)
			fprintf(out, " %lluN", (unsigned long long)
				l->gkey[x - p->nframes].pgno);
		else
			fprintf(out, " %llu%c", (unsigned long long)
				cache_policy_pgno(p->cache, x),
				is_lir(l, x) ? 'L' : 'H');
	}
	fprintf(out, "; Q front..end:");
	qlist_show(&l->qlk, &l->q, p->cache, out);
}

const struct policy_ops policy_lirs = {
	.name = "lirs",
	.summary = "LIRS: keep pages of low inter-reference recency (Jiang, "
		   "Zhang 2002)",
	.flags = 0,
	.params = lirs_params,
	.create = lirs_create,
	.destroy = lirs_destroy,
	.insert = lirs_insert,
	.hit = lirs_hit,
	.remove = lirs_remove,
	.victim = lirs_victim,
	.check = lirs_check,
	.bytes_per_frame = 4 * sizeof(uint32_t) + sizeof(uint8_t),
	.ghost_bytes = lirs_ghost_bytes,
	.ghost_count = lirs_ghost_count,
	.show = lirs_show,
};
