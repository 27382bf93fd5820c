/* policy_linux.c - the file LRU of the Linux kernel's page reclaim, as in a
 * 6.x kernel built without MGLRU (CONFIG_LRU_GEN off, or lru_gen disabled):
 * two lists, the PG_referenced two-step, reclaim from the inactive tail,
 * deactivation from the active tail, and shadow entries with the refault
 * distance.  The kit's way of asking "what would the kernel have done with
 * these frames?" (DESIGN.md, "The kernel as a policy").
 *
 * Sources, followed function by function (read from a 6.x tree):
 *   mm/swap.c       folio_mark_accessed(), lru_activate()
 *   mm/vmscan.c     shrink_inactive_list(), shrink_folio_list(),
 *                   folio_check_references(), shrink_active_list(),
 *                   inactive_is_low(), prepare_scan_count(),
 *                   move_folios_to_lru()
 *   mm/workingset.c the essay at its top ("Double CLOCK lists", "Access
 *                   frequency and refault distance"),
 *                   workingset_eviction(), workingset_test_recent(),
 *                   workingset_refault(), workingset_activation(),
 *                   workingset_age_nonresident(), count_shadow_nodes()
 *   mm/filemap.c    filemap_read() (marks each folio it reads accessed)
 *
 * The lists.  Resident pages are on one of two lists.  Below, the kernel's
 * "head" is the newest end and its "tail" the oldest; show() prints each
 * list oldest first, so the kernel's tail comes first:
 *
 *   inactive  new pages, and pages deactivated from the active list.
 *             Reclaim takes its tail.
 *   active    pages seen used twice, and refaults judged recent.  Not
 *             reordered by use: shrink_active_list() deactivates file pages
 *             from its tail whether referenced or not (only VM_EXEC pages,
 *             which a data file never has, get another trip), so for file
 *             pages it is a FIFO.
 *
 * Each page has PG_referenced (show(): '*' after the page), and with
 * mapped=1 a young bit (show(): '^'), the accessed bit of the PTE mapping
 * it.  The parameter mapped says which of three ways the kernel learns of
 * a reference: read() (0), a mapping's young bits (1), or not at all after
 * the fault, for a mapping without recency (2).
 *
 * What a reference does, and what "referenced" means.  The kernel has two
 * ways to learn that a page cache page was used, and they differ:
 *
 *   read()/write() (mapped=0, the default): filemap_read() calls
 *   folio_mark_accessed() for each folio it copies from, on the spot:
 *     inactive, unreferenced  -> inactive, referenced
 *     inactive, referenced    -> active (newest), unreferenced; this is an
 *                                activation, which ages the non-resident
 *                                clock (workingset_activation())
 *     active, unreferenced    -> active, referenced (no move)
 *     active, referenced      -> nothing
 *   Reclaim then ignores PG_referenced on an unmapped page:
 *   folio_check_references() returns FOLIOREF_RECLAIM_CLEAN for a
 *   referenced unmapped file folio, and a clean one is reclaimed.  So the
 *   inactive list is a FIFO with promotion on the second use.
 *
 *   A mapping (mapped=1): a load or store through a PTE sets the PTE's
 *   accessed ("young") bit in hardware; the kernel hears nothing at the
 *   access.  The bit is harvested, and cleared, when reclaim looks at the
 *   page (folio_referenced() under rmap).  At the inactive tail,
 *   folio_check_references(): young and PG_referenced already set ->
 *   activate (an activation; PG_referenced stays set); young and not
 *   referenced -> set PG_referenced and rotate the page to the inactive
 *   head for another trip (FOLIOREF_KEEP: "all mapped folios start out with
 *   page table references from the instantiating fault, so we need to look
 *   twice"); not young -> reclaim.  A hit in this mode sets the young bit
 *   and nothing else.  Deactivation harvests (clears) the young bit too.
 *
 *   A mapping without recency (mapped=2): MADV_RANDOM or MADV_SEQUENTIAL
 *   (VM_RAND_READ, VM_SEQ_READ), or a file opened with POSIX_FADV_NOREUSE.
 *   vma_has_recency() is false for such a VMA, and
 *   invalid_folio_referenced_vma() (mm/rmap.c) makes folio_referenced()
 *   skip it: its young bits are neither read nor cleared, so
 *   folio_check_references() sees no PTE reference and reclaims the page
 *   (FOLIOREF_RECLAIM).  The fault path marks nothing either: filemap_fault()
 *   creates the folio with FGP_CREAT | FGP_FOR_MMAP, not FGP_ACCESSED, and
 *   zap_pte_range() skips folio_mark_accessed() for such a VMA.  So a hit
 *   does nothing, a page comes in unreferenced, and the inactive list is a
 *   FIFO.  The one way left to the active list is a refault whose distance
 *   fits in it (workingset_refault()), and with no other file pages in the
 *   memory cgroup the active list starts empty: a distance is at least 1,
 *   so nothing is ever activated and the whole policy is FIFO.  (Measured
 *   on 6.18, a Zipf workload in a memory cgroup: active_file stayed 0 and
 *   the major faults were FIFO's within 1%.  A few pages of another file
 *   used through read() in the same cgroup are enough to start the
 *   activations; linux:others=N puts N such pages in the model.)
 *
 * With mapped=0 and 1 the access that faulted a page in is its first
 * reference, as in the kernel: filemap_read() marks the new folio
 * accessed (mapped=0: it comes in referenced), and the faulting access,
 * retried once the PTE is installed, sets the young bit (mapped=1: it
 * comes in young).  So in either mode a page used twice while on the
 * inactive list is activated, at the second use (mapped=0) or when
 * reclaim reaches it (mapped=1).  With mapped=2 no use is ever seen.
 *
 * Where the references come from in the kit.  In framesim the policy sees
 * every reference, which is what the kernel sees through read().  On a
 * framefs mount a kernel page cache hit is invisible: the daemon hears of
 * a re-use only when refscan has invalidated the kernel's copy and the
 * client faults again (DESIGN.md); that hit is then one reference, a
 * sample of the page's use, much as the young bit is a sample harvested at
 * scan time.  With kernel readahead on, pages read ahead arrive as loads
 * the client never asked for, and count as a first reference all the same.
 *
 * Reclaim (victim()).  Step 1, balance: while inactive_is_low(), that is
 * inactive * inactive_ratio < active, the oldest active page moves to the
 * inactive head, with PG_workingset set (shrink_active_list()), its young
 * bit harvested, PG_referenced kept (so one more use re-activates it:
 * "recently deactivated but used folios are quickly recovered").
 * inactive_ratio is the kernel's: 1 under 1 GB of pages (262,144 frames),
 * else int_sqrt(10 * GB), from the resident pages; linux:ratio=R fixes it.
 * Step 2, scan the inactive list from its tail: the first evictable page
 * is the victim (mapped=1: after folio_check_references() as above, which
 * may rotate or activate pages first; mapped=0 and 2: the tail itself).
 * Busy frames (pinned, dirty, under write-back) are passed over in place.
 * Step 3, only when every inactive page is busy: the oldest evictable
 * active page (the kernel would deactivate more and scan again).
 *
 * Shadow entries (mm/workingset.c).  The non-resident age is a counter
 * that advances by one at every eviction and every activation (the
 * second use of an inactive page, an activation by reclaim, a refault
 * activated).  An evicted page (POLICY_EVICTED) leaves a shadow entry:
 * its key, the age at its eviction, and whether it was PG_workingset
 * (had been active); then the age advances (workingset_eviction()).  A
 * miss on a page with a shadow is a refault: the refault distance is the
 * age now minus the age in the shadow, and the page is activated when
 *
 *     refault distance <= workingset size = the active list's length
 *
 * (workingset_test_recent(): for a file page the workingset is
 * NR_ACTIVE_FILE, plus the anon lists only when the cgroup can swap; the
 * inactive file list is added for anon refaults only.  No anon here, so
 * the active file list alone.)  That list is the whole memory cgroup's
 * (its lruvec), other files' pages too: others=N adds N active pages of
 * files the trace does not show to the workingset size, and to nothing
 * else (they take no frame and are never deactivated).  With mapped=2 it
 * is what decides whether refaults are activated at all.  An activated
 * refault advances the age (workingset_refault()); one whose shadow was
 * PG_workingset counts as a restore.  A page dropped by truncate or unlink (POLICY_DROPPED) leaves
 * no shadow, as truncation deletes the shadows too; the shadows of the
 * file's pages evicted earlier stay, though (the core does not pass
 * truncation on to a policy's ghosts: doc/policies.md, "Known limits").
 * The shadow of a page that misses with no frame free is read in
 * pending(), before the reclaim for it could push it out of a full FIFO
 * (in the kernel it sits in the page's own slot of the page cache tree,
 * where that reclaim leaves it); the distance is taken in insert(), after
 * that reclaim has aged the clock, as workingset_refault() does.
 *
 * The shadow bound.  The kernel keeps shadows in the page cache tree and
 * lets a shrinker reclaim tree nodes holding only shadows once they pass
 * about pages/8 nodes of 64 slots (count_shadow_nodes()): between one and
 * eight shadows per page of memory, by how densely they sit.  Here the
 * shadows are a FIFO of shadows x frames entries (default 2), the oldest
 * dropped first.  Nothing actionable is lost at 1 or more: a shadow with
 * nframes evictions after it has a distance above nframes, more than the
 * active list can ever hold; the default 2 also keeps the older refaults
 * counted.  shadows=0 keeps none (a kernel before 3.15).
 *
 * Not modelled: anon pages and swap, and so swappiness and the anon/file
 * scan balance (get_scan_count(), lru_note_cost()); per-CPU LRU batches
 * (folio_batch, lru_add_drain(): the kernel moves pages between lists in
 * batches of up to 15, a little late; here at once); reclaim's batch of
 * SWAP_CLUSTER_MAX pages and the scan priorities (here one page at a
 * time, when a frame is needed); the deactivation prepare_scan_count()
 * also allows while refaults are being observed (here only to keep the
 * ratio); zones, nodes and memory cgroups (one lruvec); MGLRU; dirty and
 * writeback pages in reclaim (PG_reclaim, pageout(), activating pages
 * under write-back: here busy frames are passed over in place); mlock,
 * VM_EXEC, shared mappings with more than one PTE (referenced_ptes > 1);
 * large folios (every page is one 4 KiB folio); the bucket_order
 * granularity of eviction stamps (here exact 64-bit ages).
 *
 * Costs.  Per frame: two links (shared by both lists) and one byte of
 * flags: 9 bytes.  Shadows: ghost.h's ~32 bytes a key plus an 8-byte age
 * stamp, shadows x frames keys.  Hits move pages (mapped=0), so hits take
 * cache->lock (flags 0).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ghost.h"
#include "policy.h"
#include "qlist.h"

enum {
	LX_ACTIVE = 0x1,	/* on the active list */
	LX_REFERENCED = 0x2,	/* PG_referenced */
	LX_YOUNG = 0x4,		/* the PTE's accessed bit (LX_PTE) */
	LX_WORKINGSET = 0x8,	/* PG_workingset: was deactivated */
};

/* How references reach the kernel: the parameter mapped. */
enum linux_refs {
	LX_READ = 0,		/* read(): folio_mark_accessed() at once */
	LX_PTE = 1,		/* young bits, harvested by reclaim */
	LX_NORECENCY = 2,	/* a mapping without recency: never */
};

struct linux_lru {
	struct policy base;
	struct qlinks lk;	/* per-frame links, both lists */
	struct qlist inactive;	/* head: oldest, the kernel's tail */
	struct qlist active;	/* head: oldest, deactivated first */
	uint8_t *flags;		/* [nframes] LX_*; 0 for a free frame */
	struct ghost *shadow;	/* evicted keys, oldest first */
	uint64_t *stamp;	/* [shadow capacity], by ghost slot: age at
				 * eviction << 1 | PG_workingset */
	uint32_t nshadow;	/* the bound; 0: keep none */
	uint32_t ratio;		/* inactive_ratio; 0: the kernel's formula */
	enum linux_refs refs;	/* the parameter mapped */
	uint32_t others;	/* active pages of other files, counted in
				 * a refault's workingset size */
	uint64_t age;		/* nonresident_age */
	uint64_t refaults;	/* misses that found a shadow */
	uint64_t activations;	/* refaults activated (WORKINGSET_ACTIVATE) */
	uint64_t restores;	/* of those, PG_workingset (..._RESTORE) */
	struct {
		uint64_t ino, pgno;
		uint64_t stamp;	/* its shadow's, when found */
		bool valid;	/* a miss waits for a frame */
		bool found;	/* it had a shadow then */
	} pend;			/* set by pending(), cleared by insert() */
};

#define LX(p) ((struct linux_lru *)(p))

static const struct policy_param linux_params[] = {
	{ "ratio", 0, 0, 1000, "inactive_ratio, active:inactive target "
	  "(0: the kernel's, 1 below 1 GB)", true },
	{ "shadows", 2, 0, 8, "shadow entries kept, as a multiple of the "
	  "frames", false },
	{ "mapped", 0, 0, 2, "references are read() marks (0), PTE young "
	  "bits harvested by reclaim (1), or unseen: a mapping without "
	  "recency, MADV_RANDOM (2)", true },
	{ "others", 0, 0, 1000000, "active pages of other files in the same "
	  "cgroup, counted in a refault's workingset size", true },
	{ .key = NULL },
};

static struct policy *linux_create(uint32_t nframes, const double *param)
{
	struct linux_lru *l = calloc(1, sizeof(*l));
	uint32_t cap;

	if (!l)
		return NULL;
	l->ratio = (uint32_t)param[0];
	l->nshadow = (uint32_t)(param[1] * nframes + 0.5);
	l->refs = (enum linux_refs)param[2];
	l->others = (uint32_t)param[3];
	/* A ghost set holds at least one key; with no shadows it stays
	 * empty. */
	cap = l->nshadow ? l->nshadow : 1;
	l->flags = calloc(nframes, 1);
	l->shadow = ghost_new(cap);
	l->stamp = calloc(cap, sizeof(*l->stamp));
	if (qlinks_init(&l->lk, nframes) < 0 || !l->flags || !l->shadow ||
	    !l->stamp) {
		qlinks_release(&l->lk);
		free(l->flags);
		ghost_free(l->shadow);
		free(l->stamp);
		free(l);
		return NULL;
	}
	qlist_init(&l->inactive);
	qlist_init(&l->active);
	return &l->base;
}

static void linux_destroy(struct policy *p)
{
	struct linux_lru *l = LX(p);

	qlinks_release(&l->lk);
	free(l->flags);
	ghost_free(l->shadow);
	free(l->stamp);
	free(l);
}

/* int_sqrt() of lib/math/int_sqrt.c: the largest r with r * r <= x. */
static uint64_t int_sqrt(uint64_t x)
{
	uint64_t r = 0;

	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/* inactive_is_low() for the file lists, with 4 KiB pages. */
static bool inactive_is_low(const struct linux_lru *l)
{
	uint64_t inactive = l->inactive.len, active = l->active.len;
	uint64_t ratio = l->ratio, gb;

	if (!ratio) {
		gb = (inactive + active) >> (30 - 12);
		ratio = gb ? int_sqrt(10 * gb) : 1;
	}
	return inactive * ratio < active;
}

/* To the active list's newest end: lru_activate(), or reclaim's
 * activate_locked.  Either way an activation, which ages the non-resident
 * clock (workingset_activation(), move_folios_to_lru()). */
static void activate(struct linux_lru *l, uint32_t fno)
{
	qlist_del(&l->lk, &l->inactive, fno);
	qlist_append(&l->lk, &l->active, fno);
	l->flags[fno] |= LX_ACTIVE;
	l->age++;
}

/* shrink_active_list() for the oldest active page: to the inactive
 * list's newest end, PG_workingset set, the young bit harvested and
 * ignored (a data page is not VM_EXEC), PG_referenced left as it is. */
static void deactivate_oldest(struct linux_lru *l)
{
	uint32_t fno = l->active.head;

	qlist_del(&l->lk, &l->active, fno);
	qlist_append(&l->lk, &l->inactive, fno);
	l->flags[fno] = (uint8_t)((l->flags[fno] & ~(LX_ACTIVE | LX_YOUNG)) |
				  LX_WORKINGSET);
}

/* One reference: folio_mark_accessed() (mapped=0), the MMU setting the
 * young bit (mapped=1), or nothing the kernel will look at (mapped=2). */
static void reference(struct linux_lru *l, uint32_t fno)
{
	uint8_t f = l->flags[fno];

	if (l->refs == LX_NORECENCY)
		return;
	if (l->refs == LX_PTE) {
		l->flags[fno] = f | LX_YOUNG;
		return;
	}
	if (!(f & LX_REFERENCED)) {
		l->flags[fno] = f | LX_REFERENCED;
	} else if (!(f & LX_ACTIVE)) {
		activate(l, fno);
		l->flags[fno] &= (uint8_t)~LX_REFERENCED;
	}
}

/* A miss that waits for a frame: its shadow is read now, before the
 * reclaim that makes room for it, which could push it out of a full
 * shadow FIFO.  (In the kernel the shadow sits in the page's own slot of
 * the page cache tree; the reclaim done to allocate the new folio leaves
 * it there, and __filemap_add_folio() finds it.)  The distance is still
 * taken at insert(), after that reclaim has aged the clock, as
 * workingset_refault() does. */
static void linux_pending(struct policy *p, uint64_t ino, uint64_t pgno)
{
	struct linux_lru *l = LX(p);
	uint32_t s = ghost_slot(l->shadow, ino, pgno);

	l->pend.ino = ino;
	l->pend.pgno = pgno;
	l->pend.valid = true;
	l->pend.found = s != GHOST_NONE;
	l->pend.stamp = l->pend.found ? l->stamp[s] : 0;
}

/* A miss: folio_add_lru() onto the inactive list, or onto the active one
 * when workingset_refault() finds the page's shadow recent; then the
 * faulting access itself, the page's first reference. */
static void linux_insert(struct policy *p, uint32_t fno, uint64_t ino,
			 uint64_t pgno)
{
	struct linux_lru *l = LX(p);
	uint32_t s = ghost_slot(l->shadow, ino, pgno);
	bool noted = l->pend.valid && l->pend.ino == ino &&
		     l->pend.pgno == pgno;
	bool found = noted ? l->pend.found : s != GHOST_NONE;
	uint64_t stamp = noted ? l->pend.stamp : found ? l->stamp[s] : 0;
	bool activate_it = false, workingset = false;

	l->pend.valid = false;
	if (s != GHOST_NONE)	/* a resident page has no shadow */
		ghost_remove(l->shadow, ino, pgno);
	if (found) {
		uint64_t eviction = stamp >> 1;

		workingset = stamp & 1;
		l->refaults++;
		/* workingset_test_recent(): the distance against the active
		 * file list (no anon, no swap), other files' pages included. */
		activate_it = l->age - eviction <= l->active.len + l->others;
	}
	if (activate_it) {
		qlist_append(&l->lk, &l->active, fno);
		l->flags[fno] = LX_ACTIVE;
		l->age++;
		l->activations++;
		if (workingset) {
			l->flags[fno] |= LX_WORKINGSET;
			l->restores++;
		}
	} else {
		qlist_append(&l->lk, &l->inactive, fno);
		l->flags[fno] = 0;
	}
	reference(l, fno);
}

static void linux_hit(struct policy *p, uint32_t fno)
{
	reference(LX(p), fno);
}

static void linux_remove(struct policy *p, uint32_t fno, uint64_t ino,
			 uint64_t pgno, enum policy_remove why)
{
	struct linux_lru *l = LX(p);
	uint8_t f = l->flags[fno];

	qlist_del(&l->lk, f & LX_ACTIVE ? &l->active : &l->inactive, fno);
	l->flags[fno] = 0;
	if (why != POLICY_EVICTED)
		return;
	/* workingset_eviction(): the shadow holds the age before this
	 * eviction, which then ages the clock.  A page taken from the
	 * active list (every inactive page busy) was as good as
	 * deactivated. */
	if (l->nshadow) {
		uint32_t s = ghost_push(l->shadow, ino, pgno); /* resident
							* until now, so absent;
							* drops the oldest */
		bool ws = (f & (LX_WORKINGSET | LX_ACTIVE)) != 0;

		l->stamp[s] = l->age << 1 | ws;
	}
	l->age++;
}

/* shrink_inactive_list() for one page: the first evictable page from the
 * inactive tail.  With mapped=1, folio_check_references() first: a young
 * page is rotated to the head once (PG_referenced set) and activated
 * when it is young again with PG_referenced set.  Each evictable page is
 * rotated at most once per call (its young bit is then clear), so the
 * walk ends. */
static uint32_t scan_inactive(struct linux_lru *l)
{
	uint32_t x = l->inactive.head;

	while (x != FRAME_NONE) {
		uint32_t next = l->lk.next[x];
		uint8_t f = l->flags[x];

		if (!cache_policy_evictable(l->base.cache, x)) {
			x = next;
			continue;
		}
		if (l->refs != LX_PTE || !(f & LX_YOUNG))
			return x;
		l->flags[x] = (uint8_t)((f & ~LX_YOUNG) | LX_REFERENCED);
		if (f & LX_REFERENCED) {
			activate(l, x);
		} else {
			qlist_del(&l->lk, &l->inactive, x);
			qlist_append(&l->lk, &l->inactive, x);
			if (next == FRAME_NONE)
				next = x;	/* it was the only one left */
		}
		x = next;
	}
	return FRAME_NONE;
}

static uint32_t linux_victim(struct policy *p)
{
	struct linux_lru *l = LX(p);
	uint32_t fno;

	/* Step 1: refill the inactive list from the active tail. */
	while (l->active.len && inactive_is_low(l))
		deactivate_oldest(l);
	/* Step 2: reclaim from the inactive tail. */
	fno = scan_inactive(l);
	/* Step 3: every inactive page busy: the oldest evictable active
	 * one. */
	if (fno == FRAME_NONE)
		fno = qlist_first_evictable(&l->lk, &l->active, p->cache);
	return fno;
}

static int linux_check(struct policy *p)
{
	struct linux_lru *l = LX(p);
	unsigned char *seen = calloc(p->nframes, 1);
	uint32_t nres = cache_policy_nresident(p->cache);
	int rc = -1;

	if (!seen)
		return -1;
	if (qlist_check(&l->lk, &l->inactive, p->cache, p->nframes, seen,
			"linux inactive") < 0)
		goto out;
	for (uint32_t x = l->inactive.head; x != FRAME_NONE;
	     x = l->lk.next[x]) {
		if (l->flags[x] & LX_ACTIVE) {
			fprintf(stderr, "linux: frame %u on inactive marked "
				"active\n", x);
			goto out;
		}
	}
	if (qlist_check(&l->lk, &l->active, p->cache, p->nframes, seen,
			"linux active") < 0)
		goto out;
	for (uint32_t x = l->active.head; x != FRAME_NONE; x = l->lk.next[x]) {
		if (!(l->flags[x] & LX_ACTIVE)) {
			fprintf(stderr, "linux: frame %u on active not marked "
				"active\n", x);
			goto out;
		}
	}
	for (uint32_t x = 0; x < p->nframes; x++) {
		if (!seen[x] && l->flags[x]) {
			fprintf(stderr, "linux: unlisted frame %u has flags "
				"%#x\n", x, l->flags[x]);
			goto out;
		}
		if (l->refs != LX_PTE && (l->flags[x] & LX_YOUNG)) {
			fprintf(stderr, "linux: frame %u young, not mapped\n",
				x);
			goto out;
		}
	}
	if (l->inactive.len + l->active.len != nres) {
		fprintf(stderr, "linux: %u inactive + %u active, %u "
			"resident\n", l->inactive.len, l->active.len, nres);
		goto out;
	}
	if (ghost_check(l->shadow) < 0)
		goto out;
	if (ghost_len(l->shadow) > l->nshadow) {
		fprintf(stderr, "linux: %u shadows, the bound is %u\n",
			ghost_len(l->shadow), l->nshadow);
		goto out;
	}
	if (l->activations > l->refaults || l->restores > l->activations) {
		fprintf(stderr, "linux: %llu refaults, %llu activated, %llu "
			"restored\n", (unsigned long long)l->refaults,
			(unsigned long long)l->activations,
			(unsigned long long)l->restores);
		goto out;
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

static size_t linux_ghost_bytes(const struct policy *p)
{
	const struct linux_lru *l = LX(p);

	return ghost_bytes(l->shadow) +
	       (size_t)ghost_capacity(l->shadow) * sizeof(*l->stamp);
}

static uint32_t linux_ghost_count(const struct policy *p)
{
	return ghost_len(LX(p)->shadow);
}

static void show_list(struct linux_lru *l, struct qlist *q,
		      const char *name, FILE *out)
{
	fprintf(out, "%s [", name);
	for (uint32_t x = q->head; x != FRAME_NONE; x = l->lk.next[x])
		fprintf(out, "%s%llu%s%s", x == q->head ? "" : " ",
			(unsigned long long)cache_policy_pgno(l->base.cache, x),
			l->flags[x] & LX_REFERENCED ? "*" : "",
			l->flags[x] & LX_YOUNG ? "^" : "");
	fputc(']', out);
}

struct show_shadow {
	struct linux_lru *l;
	FILE *out;
	bool first;		/* no shadow printed yet */
};

static void show_one_shadow(void *arg, uint64_t ino, uint64_t pgno)
{
	struct show_shadow *s = arg;
	uint64_t st = s->l->stamp[ghost_slot(s->l->shadow, ino, pgno)];

	fprintf(s->out, "%s%llu@%llu", s->first ? "" : " ",
		(unsigned long long)pgno, (unsigned long long)(st >> 1));
	s->first = false;
}

/* "inactive [5 6*] active [3 1*] shadows [4@2 2@5] age 7 refaults 1
 * activated 1": each list oldest first (the kernel's tail first), '*'
 * PG_referenced, '^' young; each shadow with the age at its eviction,
 * oldest first; the non-resident age; refaults and refaults activated. */
static void linux_show(struct policy *p, FILE *out)
{
	struct linux_lru *l = LX(p);
	struct show_shadow s = { l, out, true };

	show_list(l, &l->inactive, "inactive", out);
	fputc(' ', out);
	show_list(l, &l->active, "active", out);
	fprintf(out, " shadows [");
	ghost_foreach(l->shadow, show_one_shadow, &s);
	fprintf(out, "] age %llu refaults %llu activated %llu",
		(unsigned long long)l->age, (unsigned long long)l->refaults,
		(unsigned long long)l->activations);
}

const struct policy_ops policy_linux = {
	.name = "linux",
	.summary = "the Linux kernel's file LRU: inactive and active lists, "
		   "shadow entries, refault distance",
	.flags = 0,
	.params = linux_params,
	.create = linux_create,
	.destroy = linux_destroy,
	.insert = linux_insert,
	.hit = linux_hit,
	.remove = linux_remove,
	.pending = linux_pending,
	.victim = linux_victim,
	.check = linux_check,
	.bytes_per_frame = 2 * sizeof(uint32_t) + sizeof(uint8_t),
	.ghost_bytes = linux_ghost_bytes,
	.ghost_count = linux_ghost_count,
	.show = linux_show,
};
