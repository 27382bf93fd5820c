/* policy_clockpro.c - CLOCK-Pro: hot and cold pages on one clock, three
 * hands, and a memory of recently evicted cold pages.
 *
 * Source: Song Jiang, Feng Chen, Xiaodong Zhang, "CLOCK-Pro: An Effective
 * Improvement of the CLOCK Replacement", USENIX ATC 2005.  Where the paper
 * is silent (warm-up, the bounds of m_c, a refused promotion) this makes
 * the choices of Caffeine's simulator (ClockProPolicy, which takes the
 * refusal from the authors' research code) and of its default settings.
 *
 * The idea is LIRS's, run by clock hands.  A page whose reuse distance (the
 * pages used between two of its uses) is small is *hot*, otherwise *cold*;
 * of the m frames, m_c hold resident cold pages and m - m_c hot ones, and
 * only cold pages are evicted.  Each access to a cold page starts a *test
 * period*, which lasts while the page is younger than the oldest hot page;
 * a cold page used again within it has proved a reuse distance smaller than
 * some hot page's, and turns hot.  A cold page evicted during its test
 * period stays on the clock as a *non-resident* page (its key only) until
 * the period ends, so that a fault on it can still be recognized as a
 * reuse within the period; there are at most m of them.
 *
 * The clock is one circular list of hot, resident cold and non-resident
 * pages in the order they were last put at its *head*, the newest end; the
 * hands move from the oldest end toward the head and wrap around.  Hits
 * only set a page's reference bit.  The transitions:
 *
 *   HAND_cold (finds victims; rests on a resident cold page, the oldest but
 *   for the busy pages it passed).  A page with its bit clear is the victim:
 *   if in its test period it becomes non-resident in place, else it leaves
 *   the clock.  A page with its bit set has it cleared and moves to the
 *   head: if in its test period it turns hot [cold -> hot: m_c += 1, then
 *   HAND_hot makes room]; if not, or if the promotion is refused (below), it
 *   starts a new test period (the paper: "no status change"; the access the
 *   bit records starts a period, as in the authors' code and Linux's port).
 *
 *   HAND_hot (rests on the oldest hot page; runs while m - m_c hot pages or
 *   more leave no room for a promotion).  A hot page with its bit set has it
 *   cleared and moves to the head, still hot; the first with the bit clear
 *   turns cold, out of test, and moves to the head [hot -> cold].  Every
 *   cold page the hand passes ends its test period, and a non-resident one
 *   leaves the clock [test period termination by HAND_hot]: younger hot
 *   pages are all that is left, so the period's bound has passed it.
 *   Refused promotion: if the hand reaches the page being promoted before
 *   it has turned a hot page cold (every older hot page was referenced),
 *   that page's test period has ended and it stays cold.
 *
 *   HAND_test (rests on the oldest page in its test period).  When an
 *   eviction would leave more than m non-resident pages, it ends the test
 *   period of the page under it (a non-resident one leaves the clock) and
 *   moves to the next page in its test period [test period termination by
 *   HAND_test].
 *
 *   A fault on a page found non-resident (a hash from key to node) is a
 *   reuse within its test period [cold -> hot: m_c += 1, HAND_hot makes
 *   room, the page comes in hot at the head, or cold in a new test period if
 *   refused].  Any other faulted page comes in cold at the head, in its test
 *   period.  Warm-up: while more than max(1, m/100) frames are free, faulted
 *   pages come in hot.
 *
 *   m_c adapts: +1 when a cold page (resident or not) is used within its
 *   test period, -1 when a test period ends without a use; it starts at, and
 *   stays within, 1% .. 99% of the frames (at least 1 page from either
 *   end: max(1, m/100) .. m - max(1, m/100)).  Each use counts
 *   once: if HAND_hot, making room, passes the very page being promoted,
 *   the end of that page's period changes m_c no further.  (The page is
 *   promoted all the same once room is made, as in the authors' code.)
 *
 * How framefs fits it:
 *
 *   - victim() only peeks.  HAND_cold does all its aging there (bits
 *     cleared, promotions with HAND_hot's demotions, new test periods) and
 *     stops on the victim; the victim becomes non-resident, or leaves the
 *     clock, in remove(POLICY_EVICTED), where HAND_test first makes room
 *     for one more non-resident page if m are already kept.  A refused
 *     victim is looked at again by the next victim() call.
 *   - Busy frames (pinned, dirty, loading) are passed over in place by
 *     HAND_cold; their bits are still processed.  If no resident cold page
 *     can be evicted (all busy, or none), the first evictable hot page from
 *     HAND_hot turns cold and is the victim.  FRAME_NONE means no resident
 *     page is evictable.  HAND_cold stops after a whole turn in which it
 *     changed nothing, and in any case after twice the clock plus the pages
 *     it can move, so a pass always ends.
 *   - remove(POLICY_DROPPED) forgets the page: no non-resident entry, no
 *     change to m_c.
 *
 * Nodes.  Nodes 0..m-1 are the frames (a resident page's node is its frame
 * number); nodes m..2m-1 are a pool for non-resident pages, with their keys
 * and a chained hash from key to node (cache/keyhash.h).  Evicting a cold page
 * in its test period hands its place on the clock to a pool node.  Per
 * frame: 9 bytes (two links and a status byte); per non-resident entry, in
 * ghost_bytes(): links, status, key, chain and a bucket, about 34 bytes.
 *
 * Hits take no lock.  The reference bit shares the status byte; a hit reads
 * it and, if clear, sets it with an atomic OR.  Changes under cache->lock
 * are atomic read-modify-writes of the byte too (the status bits by
 * compare-and-swap, the bit cleared by atomic AND, which returns whether it
 * was set), so no hit is lost and no status change is undone.
 *
 * Cost.  A hit is O(1).  HAND_hot's and HAND_test's steps are paid for by
 * the bits they clear, the pages they turn cold and the test periods they
 * end.  HAND_cold also walks over the hot and non-resident pages between
 * one resident cold page and the next, which nothing pays for: the price of
 * the single clock the paper describes.  Cold pages come in at the head and
 * hot pages move there only when HAND_hot runs, so cold and non-resident
 * pages gather near the head and the walk is short in practice (about 2.4
 * nodes a fault replaying Zipf(1.0) references to 1M pages through 100k
 * frames).  Averaged over a turn of the hand it is at most the clock
 * length over the resident cold pages, which m_c's floor of 1% of the
 * frames keeps below about 200.
 */
#include <stdio.h>
#include <stdlib.h>

#include "keyhash.h"
#include "policy.h"

#define NONE FRAME_NONE

#define CP_HOT	0x1u	/* hot; else cold */
#define CP_TEST	0x2u	/* cold, in its test period */
#define CP_REF	0x4u	/* reference bit (resident pages) */

struct cp_key {
	uint64_t ino, pgno;
};

/* Everything is protected by cache->lock, except that hits set CP_REF in
 * fl[] of frames without it. */
struct clockpro {
	struct policy base;
	uint32_t m;			/* frames; pool nodes are m .. 2m-1 */
	uint32_t *prev, *next;		/* [2m] the clock; next is newer */
	uint8_t *fl;			/* [2m] CP_* bits; atomic */
	struct cp_key *key;		/* [m] key of pool node m + i */
	uint32_t *hnext;		/* [m] hash chain of node m + i, or the
					 * free list */
	uint32_t *bucket;		/* [mask + 1] first node of a chain */
	uint32_t mask;
	uint32_t free;			/* free pool nodes, through hnext */
	uint32_t head;			/* newest node; NONE: clock empty */
	uint32_t hand_hot;		/* the oldest hot page */
	uint32_t hand_cold;		/* the next resident cold page to see */
	uint32_t hand_test;		/* the oldest page in its test period */
	uint32_t nhot;			/* resident hot pages */
	uint32_t ncold;			/* resident cold pages */
	uint32_t nnonres;		/* non-resident (all in test) */
	uint32_t ntest;			/* in test, resident or not */
	uint32_t cold_target;		/* m_c */
	uint32_t cold_min, cold_max;	/* its bounds */
	uint32_t promoting;		/* the page cp_can_promote() is for */
};

#define CP(p) ((struct clockpro *)(p))

/* ---- the status byte -------------------------------------------------- */

static inline uint8_t fl_get(const struct clockpro *cp, uint32_t k)
{
	return __atomic_load_n(&cp->fl[k], __ATOMIC_RELAXED);
}

/* For a node no hit can reach (a frame being inserted, a pool node). */
static inline void fl_store(struct clockpro *cp, uint32_t k, uint8_t v)
{
	__atomic_store_n(&cp->fl[k], v, __ATOMIC_RELAXED);
}

/* Sets the status bits (CP_HOT, CP_TEST) of k to st, keeping CP_REF. */
static void fl_status(struct clockpro *cp, uint32_t k, uint8_t st)
{
	uint8_t v = fl_get(cp, k);

	while (!__atomic_compare_exchange_n(&cp->fl[k], &v,
					    (uint8_t)((v & CP_REF) | st), true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Clears the reference bit; true if it was set. */
static bool fl_take_ref(struct clockpro *cp, uint32_t k)
{
	return __atomic_fetch_and(&cp->fl[k], (uint8_t)~CP_REF,
				  __ATOMIC_RELAXED) & CP_REF;
}

/* Counts node k, with status bits st, in or out of the totals. */
static void cp_count(struct clockpro *cp, uint32_t k, uint8_t st, bool in)
{
	uint32_t *n = k >= cp->m ? &cp->nnonres :
		      (st & CP_HOT) ? &cp->nhot : &cp->ncold;

	if (in) {
		(*n)++;
		cp->ntest += !!(st & CP_TEST);
	} else {
		(*n)--;
		cp->ntest -= !!(st & CP_TEST);
	}
}

static inline bool cp_res_cold(const struct clockpro *cp, uint32_t k)
{
	return k < cp->m && !(fl_get(cp, k) & CP_HOT);
}

/* ---- the clock -------------------------------------------------------- */

/* Takes x off the clock; a hand on x moves on to the next newer node. */
static void clk_unlink(struct clockpro *cp, uint32_t x)
{
	uint32_t nx = cp->next[x], px = cp->prev[x];

	if (nx == x) {
		cp->head = cp->hand_hot = cp->hand_cold = cp->hand_test = NONE;
		return;
	}
	if (cp->hand_hot == x)
		cp->hand_hot = nx;
	if (cp->hand_cold == x)
		cp->hand_cold = nx;
	if (cp->hand_test == x)
		cp->hand_test = nx;
	if (cp->head == x)
		cp->head = px;
	cp->next[px] = nx;
	cp->prev[nx] = px;
}

/* Puts x at the head: after every node, and last for every hand. */
static void clk_push_head(struct clockpro *cp, uint32_t x)
{
	if (cp->head == NONE) {
		cp->prev[x] = cp->next[x] = x;
	} else {
		uint32_t tail = cp->next[cp->head];

		cp->prev[x] = cp->head;
		cp->next[x] = tail;
		cp->prev[tail] = x;
		cp->next[cp->head] = x;
	}
	cp->head = x;
}

/* y takes x's place on the clock, hands and head included. */
static void clk_replace(struct clockpro *cp, uint32_t x, uint32_t y)
{
	if (cp->next[x] == x) {
		cp->prev[y] = cp->next[y] = y;
	} else {
		cp->prev[y] = cp->prev[x];
		cp->next[y] = cp->next[x];
		cp->next[cp->prev[y]] = y;
		cp->prev[cp->next[y]] = y;
	}
	if (cp->hand_hot == x)
		cp->hand_hot = y;
	if (cp->hand_cold == x)
		cp->hand_cold = y;
	if (cp->hand_test == x)
		cp->hand_test = y;
	if (cp->head == x)
		cp->head = y;
}

/* ---- non-resident pages: pool and hash -------------------------------- */

static uint32_t nr_find(const struct clockpro *cp, uint64_t ino,
			uint64_t pgno)
{
	uint32_t k = cp->bucket[key_hash(ino, pgno) & cp->mask];

	while (k != NONE && (cp->key[k - cp->m].ino != ino ||
			     cp->key[k - cp->m].pgno != pgno))
		k = cp->hnext[k - cp->m];
	return k;
}

/* A pool node for the key, hashed; the caller knows one is free. */
static uint32_t nr_new(struct clockpro *cp, uint64_t ino, uint64_t pgno)
{
	uint32_t k = cp->free, b = key_hash(ino, pgno) & cp->mask;

	cp->free = cp->hnext[k - cp->m];
	cp->key[k - cp->m] = (struct cp_key){ ino, pgno };
	cp->hnext[k - cp->m] = cp->bucket[b];
	cp->bucket[b] = k;
	return k;
}

/* Unhashes pool node k (already off the clock) and frees it. */
static void nr_free(struct clockpro *cp, uint32_t k)
{
	const struct cp_key *key = &cp->key[k - cp->m];
	uint32_t *pp = &cp->bucket[key_hash(key->ino, key->pgno) & cp->mask];

	while (*pp != k)
		pp = &cp->hnext[*pp - cp->m];
	*pp = cp->hnext[k - cp->m];
	cp->hnext[k - cp->m] = cp->free;
	cp->free = k;
	fl_store(cp, k, 0);
}

/* ---- the hands -------------------------------------------------------- */

static void cold_adjust(struct clockpro *cp, bool up)
{
	if (up && cp->cold_target < cp->cold_max)
		cp->cold_target++;
	else if (!up && cp->cold_target > cp->cold_min)
		cp->cold_target--;
}

/* The test period of k ends (HAND_hot or HAND_test passes it): m_c goes up
 * if the page was used during it, down if not, and stays put for the page
 * being promoted, whose use was counted already; a non-resident page leaves
 * the clock. */
static void cp_end_test(struct clockpro *cp, uint32_t k)
{
	uint8_t f = fl_get(cp, k);

	if (!(f & CP_TEST))
		return;
	if (k != cp->promoting)
		cold_adjust(cp, f & CP_REF);
	cp->ntest--;
	if (k < cp->m) {
		fl_status(cp, k, 0);
		return;
	}
	clk_unlink(cp, k);
	cp->nnonres--;
	nr_free(cp, k);
}

/* Each settle function moves its hand forward onto a node of its kind
 * (from the oldest node if it had none), or sets it to NONE if there is
 * none. */
static void hand_test_settle(struct clockpro *cp)
{
	if (!cp->ntest) {
		cp->hand_test = NONE;
		return;
	}
	if (cp->hand_test == NONE)
		cp->hand_test = cp->hand_hot != NONE ? cp->hand_hot :
				cp->next[cp->head];
	while (!(fl_get(cp, cp->hand_test) & CP_TEST))
		cp->hand_test = cp->next[cp->hand_test];
}

/* HAND_hot ends the test period of each cold page it passes; HAND_test,
 * which may have been on one of them, follows. */
static void hand_hot_settle(struct clockpro *cp)
{
	if (!cp->nhot) {
		cp->hand_hot = NONE;
	} else {
		if (cp->hand_hot == NONE)
			cp->hand_hot = cp->next[cp->head];
		while (!(fl_get(cp, cp->hand_hot) & CP_HOT)) {
			uint32_t k = cp->hand_hot;

			cp->hand_hot = cp->next[k];
			cp_end_test(cp, k);
		}
	}
	hand_test_settle(cp);
}

static void hand_cold_settle(struct clockpro *cp)
{
	if (!cp->ncold) {
		cp->hand_cold = NONE;
		return;
	}
	if (cp->hand_cold == NONE)
		cp->hand_cold = cp->next[cp->head];
	while (!cp_res_cold(cp, cp->hand_cold))
		cp->hand_cold = cp->next[cp->hand_cold];
}

/* Runs HAND_hot until it turns a hot page cold (true), or reaches stop, the
 * cold page in its test period being promoted (false: refused). */
static bool hand_hot_run(struct clockpro *cp, uint32_t stop)
{
	bool demoted = false;

	while (cp->hand_hot != stop) {
		uint32_t k = cp->hand_hot;

		if (!(fl_get(cp, k) & CP_HOT)) {
			cp->hand_hot = cp->next[k];
			cp_end_test(cp, k);
			continue;
		}
		clk_unlink(cp, k);		/* the hand moves on */
		clk_push_head(cp, k);
		if (!fl_take_ref(cp, k)) {
			cp_count(cp, k, CP_HOT, false);
			fl_status(cp, k, 0);
			cp_count(cp, k, 0, true);
			demoted = true;
			break;
		}
	}
	hand_hot_settle(cp);
	return demoted;
}

/* Cold page t (resident or not) was used within its test period: m_c goes
 * up and HAND_hot makes room for one more hot page.  False if the promotion
 * is refused: t's test period ended first, or nothing could turn cold. */
static bool cp_can_promote(struct clockpro *cp, uint32_t t)
{
	bool ok;

	cold_adjust(cp, true);
	cp->promoting = t;
	for (;;) {
		ok = cp->nhot + cp->cold_target < cp->m;
		if (ok || !cp->nhot || !(fl_get(cp, t) & CP_TEST) ||
		    !hand_hot_run(cp, t))
			break;
	}
	cp->promoting = NONE;
	return ok;
}

/* HAND_cold found resident cold page x with its bit set: the bit is
 * cleared; in its test period x turns hot if HAND_hot makes room; else (or
 * refused) it starts a new test period.  Either way it moves to the head. */
static void cp_cold_referenced(struct clockpro *cp, uint32_t x)
{
	uint8_t st = CP_TEST;

	fl_take_ref(cp, x);
	if ((fl_get(cp, x) & CP_TEST) && cp_can_promote(cp, x))
		st = CP_HOT;
	cp_count(cp, x, fl_get(cp, x), false);
	clk_unlink(cp, x);
	clk_push_head(cp, x);
	fl_status(cp, x, st);
	cp_count(cp, x, st, true);
	hand_hot_settle(cp);
}

/* Ends the test period under HAND_test and moves it to the next one. */
static void hand_test_run(struct clockpro *cp)
{
	cp_end_test(cp, cp->hand_test);
	hand_test_settle(cp);
}

/* ---- the policy ------------------------------------------------------- */

static void clockpro_destroy(struct policy *p)
{
	struct clockpro *cp = CP(p);

	free(cp->prev);
	free(cp->next);
	free(cp->fl);
	free(cp->key);
	free(cp->hnext);
	free(cp->bucket);
	free(cp);
}

static struct policy *clockpro_create(uint32_t nframes, const double *param)
{
	struct clockpro *cp = calloc(1, sizeof(*cp));
	uint32_t nb = 1;

	(void)param;
	if (!cp)
		return NULL;
	while (nb < nframes)
		nb <<= 1;
	cp->m = nframes;
	cp->mask = nb - 1;
	cp->prev = malloc(2 * (size_t)nframes * sizeof(uint32_t));
	cp->next = malloc(2 * (size_t)nframes * sizeof(uint32_t));
	cp->fl = calloc(2 * (size_t)nframes, 1);
	cp->key = malloc((size_t)nframes * sizeof(*cp->key));
	cp->hnext = malloc((size_t)nframes * sizeof(uint32_t));
	cp->bucket = malloc((size_t)nb * sizeof(uint32_t));
	if (!cp->prev || !cp->next || !cp->fl || !cp->key || !cp->hnext ||
	    !cp->bucket) {
		clockpro_destroy(&cp->base);
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		cp->bucket[i] = NONE;
	for (uint32_t i = 0; i < nframes; i++)
		cp->hnext[i] = i + 1 < nframes ? nframes + i + 1 : NONE;
	cp->free = nframes;
	cp->head = cp->hand_hot = cp->hand_cold = cp->hand_test = NONE;
	cp->promoting = NONE;
	cp->cold_min = nframes / 100 ? nframes / 100 : 1;
	cp->cold_max = nframes > 2 * cp->cold_min ? nframes - cp->cold_min :
		       cp->cold_min;
	cp->cold_target = cp->cold_min;
	return &cp->base;
}

static void clockpro_insert(struct policy *p, uint32_t fno, uint64_t ino,
			    uint64_t pgno)
{
	struct clockpro *cp = CP(p);
	uint32_t g = nr_find(cp, ino, pgno);
	uint8_t st = CP_TEST;

	if (cp->m - cp->nhot - cp->ncold > cp->cold_min)
		st = CP_HOT;			/* warm-up */
	else if (g != NONE && cp_can_promote(cp, g))
		st = CP_HOT;			/* used within its period */
	if (g != NONE && (fl_get(cp, g) & CP_TEST)) {
		/* Still on the clock: the resident page replaces it. */
		cp_count(cp, g, CP_TEST, false);
		clk_unlink(cp, g);
		nr_free(cp, g);
	}
	/* A LOADING frame: no hit can race with this store. */
	fl_store(cp, fno, st);
	clk_push_head(cp, fno);
	cp_count(cp, fno, st, true);
	hand_hot_settle(cp);
	hand_cold_settle(cp);
}

static void clockpro_hit(struct policy *p, uint32_t fno)
{
	struct clockpro *cp = CP(p);

	if (!(fl_get(cp, fno) & CP_REF))
		__atomic_fetch_or(&cp->fl[fno], (uint8_t)CP_REF,
				  __ATOMIC_RELAXED);
}

static void clockpro_remove(struct policy *p, uint32_t fno, uint64_t ino,
			    uint64_t pgno, enum policy_remove why)
{
	struct clockpro *cp = CP(p);
	bool keep = why == POLICY_EVICTED && (fl_get(cp, fno) & CP_TEST);
	uint8_t st;

	/* Step 1: an evicted page in its test period stays as a non-resident
	 * one; with m of those kept, HAND_test ends test periods until one
	 * leaves (or the page's own period ends). */
	while (keep && cp->nnonres >= cp->m) {
		hand_test_run(cp);
		keep = fl_get(cp, fno) & CP_TEST;
	}
	/* Step 2: the frame leaves the clock, or hands its place over. */
	st = fl_get(cp, fno) & (CP_HOT | CP_TEST);
	cp_count(cp, fno, st, false);
	if (keep) {
		uint32_t g = nr_new(cp, ino, pgno);

		fl_store(cp, g, CP_TEST);
		clk_replace(cp, fno, g);
		cp_count(cp, g, CP_TEST, true);
	} else {
		clk_unlink(cp, fno);
	}
	fl_store(cp, fno, 0);
	hand_hot_settle(cp);
	hand_cold_settle(cp);
}

/* No resident cold page can go: the first evictable hot page from HAND_hot
 * turns cold (out of test) and goes instead. */
static uint32_t cp_victim_hot(struct clockpro *cp)
{
	uint32_t k = cp->hand_hot;

	if (k == NONE)
		return NONE;
	do {
		if (k < cp->m && (fl_get(cp, k) & CP_HOT) &&
		    cache_policy_evictable(cp->base.cache, k)) {
			cp_count(cp, k, CP_HOT, false);
			fl_status(cp, k, 0);
			fl_take_ref(cp, k);
			cp_count(cp, k, 0, true);
			hand_hot_settle(cp);
			hand_cold_settle(cp);
			return k;
		}
		k = cp->next[k];
	} while (k != cp->hand_hot);
	return NONE;
}

static uint32_t clockpro_victim(struct policy *p)
{
	struct clockpro *cp = CP(p);
	/* The walk passes each node once, plus the nodes moved to the head
	 * meanwhile (referenced cold pages, HAND_hot's hot ones and the pages
	 * it turns cold: each at most once, but for new hits), plus one more
	 * turn for the nodes behind the hand's start. */
	uint64_t steps = 2 * ((uint64_t)cp->nhot + cp->ncold + cp->nnonres) +
			 4 * (uint64_t)cp->m + 4;
	uint64_t idle = 0;	/* nodes passed since the last change */

	while (cp->ncold && steps--) {
		uint32_t x = cp->hand_cold;
		uint8_t f;

		/* A whole turn with nothing to do: every cold page is busy. */
		if (idle > (uint64_t)cp->nhot + cp->ncold + cp->nnonres)
			break;
		if (x == NONE)
			x = cp->hand_cold = cp->next[cp->head];
		f = fl_get(cp, x);
		if (x < cp->m && !(f & CP_HOT) && (f & CP_REF)) {
			cp_cold_referenced(cp, x);
			idle = 0;
			continue;
		}
		if (x < cp->m && !(f & CP_HOT) &&
		    cache_policy_evictable(p->cache, x))
			return x;
		/* Not a resident cold page, or a busy one: passed over. */
		cp->hand_cold = cp->next[x];
		idle++;
	}
	hand_cold_settle(cp);
	return cp_victim_hot(cp);
}

#define FAIL(...) do { fprintf(stderr, "clockpro: " __VA_ARGS__); \
	fputc('\n', stderr); goto out; } while (0)

enum cp_kind { KIND_HOT, KIND_COLD, KIND_TEST };

/* The hand is on a node of its kind on the clock (seen[] == 1), or NONE
 * exactly when there is none. */
static int check_hand(struct clockpro *cp, const unsigned char *seen,
		      uint32_t hand, uint32_t count, enum cp_kind kind,
		      const char *name)
{
	bool ok;

	if (hand == NONE)
		ok = count == 0;
	else if (hand >= 2 * cp->m || seen[hand] != 1)
		ok = false;
	else if (kind == KIND_HOT)
		ok = hand < cp->m && (fl_get(cp, hand) & CP_HOT);
	else if (kind == KIND_COLD)
		ok = cp_res_cold(cp, hand);
	else
		ok = fl_get(cp, hand) & CP_TEST;
	if (!ok)
		fprintf(stderr, "clockpro: HAND_%s at %u, %u of its kind\n",
			name, hand, count);
	return ok ? 0 : -1;
}

/* No node in its test period from the oldest node up to hand (excluded). */
static int check_no_test_before(struct clockpro *cp, uint32_t hand,
				const char *name)
{
	if (hand == NONE)
		return 0;
	for (uint32_t k = cp->next[cp->head]; k != hand; k = cp->next[k]) {
		if (fl_get(cp, k) & CP_TEST) {
			fprintf(stderr, "clockpro: node %u in test is older "
				"than HAND_%s\n", k, name);
			return -1;
		}
	}
	return 0;
}

static int clockpro_check(struct policy *p)
{
	struct clockpro *cp = CP(p);
	uint32_t m = cp->m, n = 0, nhot = 0, ncold = 0, nnonres = 0;
	uint32_t ntest = 0, nfree = 0, nchained = 0;
	unsigned char *seen = calloc(2 * (size_t)m, 1);
	int rc = -1;

	if (!seen)
		return -1;
	/* Step 1: the clock, from the head round to it. */
	for (uint32_t k = cp->head; k != NONE;) {
		uint8_t f;

		if (k >= 2 * m || seen[k] || n++ >= 2 * m)
			FAIL("node %u out of range or listed twice", k);
		seen[k] = 1;
		if (cp->next[k] >= 2 * m || cp->prev[cp->next[k]] != k)
			FAIL("node %u: bad links", k);
		f = fl_get(cp, k);
		if (k < m) {
			if (!cache_policy_resident(p->cache, k))
				FAIL("frame %u on the clock but free", k);
			if ((f & CP_HOT) && (f & CP_TEST))
				FAIL("frame %u hot and in test", k);
			if (f & CP_HOT)
				nhot++;
			else
				ncold++;
		} else {
			if (f != CP_TEST)
				FAIL("non-resident node %u: bits %#x", k, f);
			if (nr_find(cp, cp->key[k - m].ino,
				    cp->key[k - m].pgno) != k)
				FAIL("non-resident node %u not hashed", k);
			nnonres++;
		}
		ntest += !!(f & CP_TEST);
		k = cp->next[k];
		if (k == cp->head)
			break;
	}
	if (nhot != cp->nhot || ncold != cp->ncold ||
	    nnonres != cp->nnonres || ntest != cp->ntest)
		FAIL("counted %u hot, %u cold, %u non-resident, %u in test; "
		     "kept %u, %u, %u, %u", nhot, ncold, nnonres, ntest,
		     cp->nhot, cp->ncold, cp->nnonres, cp->ntest);
	if (nhot + ncold != cache_policy_nresident(p->cache))
		FAIL("%u on the clock, %u resident", nhot + ncold,
		     cache_policy_nresident(p->cache));
	if (nnonres > m)
		FAIL("%u non-resident pages, more than %u", nnonres, m);
	/* Step 2: pool and hash. */
	for (uint32_t k = cp->free; k != NONE; k = cp->hnext[k - m]) {
		if (k < m || k >= 2 * m || seen[k] || ++nfree > m)
			FAIL("free pool node %u bad or in use", k);
		seen[k] = 2;
	}
	if (nfree + nnonres != m)
		FAIL("%u free pool nodes, %u in use, of %u", nfree, nnonres,
		     m);
	for (uint32_t b = 0; b <= cp->mask; b++)
		for (uint32_t k = cp->bucket[b]; k != NONE && nchained <= m;
		     k = cp->hnext[k - m])
			nchained++;
	if (nchained != nnonres)
		FAIL("%u hashed, %u non-resident", nchained, nnonres);
	/* Step 3: hands, m_c, and the order of the hands. */
	if (check_hand(cp, seen, cp->hand_hot, nhot, KIND_HOT, "hot") ||
	    check_hand(cp, seen, cp->hand_cold, ncold, KIND_COLD, "cold") ||
	    check_hand(cp, seen, cp->hand_test, ntest, KIND_TEST, "test"))
		goto out;
	if (cp->cold_target < cp->cold_min || cp->cold_target > cp->cold_max)
		FAIL("m_c %u outside %u..%u", cp->cold_target, cp->cold_min,
		     cp->cold_max);
	if (check_no_test_before(cp, cp->hand_hot, "hot") ||
	    check_no_test_before(cp, cp->hand_test, "test"))
		goto out;
	rc = 0;
out:
	free(seen);
	return rc;
}

static size_t clockpro_ghost_bytes(const struct policy *p)
{
	const struct clockpro *cp = CP(p);

	return (size_t)cp->m * (2 * sizeof(uint32_t) + sizeof(uint8_t) +
				sizeof(struct cp_key) + sizeof(uint32_t)) +
	       ((size_t)cp->mask + 1) * sizeof(uint32_t);
}

/* Oldest first: "7h" hot, "3c" cold, "3ct" cold in its test period, "9n"
 * non-resident, "*" the reference bit; "H>", "C>", "T>" mark the hands. */
static uint32_t clockpro_ghost_count(const struct policy *p)
{
	return CP(p)->nnonres;
}

static void clockpro_show(struct policy *p, FILE *out)
{
	struct clockpro *cp = CP(p);
	uint32_t tail, k;

	fprintf(out, "m_c %u, oldest first:", cp->cold_target);
	if (cp->head == NONE)
		return;
	k = tail = cp->next[cp->head];
	do {
		uint8_t f = fl_get(cp, k);

		fputc(' ', out);
		if (k == cp->hand_hot)
			fputs("H>", out);
		if (k == cp->hand_cold)
			fputs("C>", out);
		if (k == cp->hand_test)
			fputs("T>", out);
		if (k < cp->m)
			fprintf(out, "%llu%s%s", (unsigned long long)
				cache_policy_pgno(p->cache, k),
				(f & CP_HOT) ? "h" : (f & CP_TEST) ? "ct" :
				"c", (f & CP_REF) ? "*" : "");
		else
			fprintf(out, "%llun", (unsigned long long)
				cp->key[k - cp->m].pgno);
		k = cp->next[k];
	} while (k != tail);
}

const struct policy_ops policy_clockpro = {
	.name = "clockpro",
	.summary = "three hands over hot, cold and non-resident pages; a hit "
		   "sets a bit",
	.flags = POLICY_HIT_LOCKLESS,
	.create = clockpro_create,
	.destroy = clockpro_destroy,
	.insert = clockpro_insert,
	.hit = clockpro_hit,
	.remove = clockpro_remove,
	.victim = clockpro_victim,
	.check = clockpro_check,
	.bytes_per_frame = 2 * sizeof(uint32_t) + sizeof(uint8_t),
	.ghost_bytes = clockpro_ghost_bytes,
	.ghost_count = clockpro_ghost_count,
	.show = clockpro_show,
};
