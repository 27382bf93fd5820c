/* cache_check.c - the integrity checker of the cache core: every invariant
 * listed at the top of cache.c, verified by walking the structures.
 *
 * It exists to be asserted (SQLite's pcache1 habit): tests assert
 * cache_check() == 0 after every operation, sim_bench after each replay,
 * and a build with -Dcheck_invariants=true asserts cache_check_locked()
 * after every structural change (HOT_CHECK in cache_int.h).  It reads
 * every frame, bucket and file record, so it costs O(nframes + files) and
 * one allocation; it never changes anything.  Lock held for the walk
 * (cache_check takes it).
 */
#include "cache_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...) do { if (!(cond)) { \
	fprintf(stderr, "cache_check: " __VA_ARGS__); \
	fputc('\n', stderr); rc = -EUCLEAN; goto out; } } while (0)

int cache_check_locked(struct cache *c)
{
	unsigned char *seen = calloc(c->nframes, 1);	/* 1 free, 2 indexed,
							 * 4 on a file list */
	uint32_t nfree = 0, nindexed = 0, nlisted = 0, ndirty = 0, nfiles = 0;
	int rc = 0;

	assert(cache_locked(c));
	if (!seen)
		return -ENOMEM;

	/* Step 1: the free list. */
	for (uint32_t fno = c->free_head; fno != FRAME_NONE;
	     fno = c->frames[fno].hnext) {
		uint32_t w = LOAD_RLX(&c->frames[fno].word);

		CHECK(fno < c->nframes, "free list link %u out of range", fno);
		CHECK(!seen[fno], "frame %u twice on the free list", fno);
		seen[fno] = 1;
		CHECK(w == FRAME_FREE, "free frame %u has word %#x", fno, w);
		nfree++;
	}
	CHECK(nfree == c->nfree, "free list has %u, nfree says %u", nfree,
	      c->nfree);

	/* Step 2: the index. */
	for (uint32_t b = 0; b <= c->bucket_mask; b++) {
		for (uint32_t fno = c->buckets[b]; fno != FRAME_NONE;
		     fno = c->frames[fno].hnext) {
			struct frame *f = &c->frames[fno];

			CHECK(fno < c->nframes, "chain link %u out of range",
			      fno);
			CHECK(!seen[fno], "frame %u indexed twice or free",
			      fno);
			seen[fno] = 2;
			CHECK((key_hash(f->ino, f->pgno) & c->bucket_mask) == b,
			      "frame %u in the wrong bucket", fno);
			CHECK(fw_state(LOAD_RLX(&f->word)) != FRAME_FREE,
			      "indexed frame %u is free", fno);
			nindexed++;
		}
	}
	{
		uint32_t ndoomed = 0;

		for (uint32_t fno = 0; fno < c->nframes; fno++)
			if (fw_state(LOAD_RLX(&c->frames[fno].word)) ==
			    FW_DOOMED) {
				CHECK(!seen[fno], "doomed frame %u is indexed "
				      "or free", fno);
				ndoomed++;
			}
		CHECK(ndoomed == c->ndoomed, "%u doomed frames, ndoomed %u",
		      ndoomed, c->ndoomed);
	}
	CHECK(nindexed + nfree + c->ndoomed == c->nframes,
	      "%u indexed + %u free + %u doomed != %u frames", nindexed,
	      nfree, c->ndoomed, c->nframes);

	/* Step 3: file records and their lists. */
	for (uint32_t b = 0; b <= c->ftab_mask; b++) {
		for (struct cfile *cf = c->ftab[b]; cf; cf = cf->hnext) {
			uint32_t fno = cf->head, n = 0;

			nfiles++;
			CHECK(cf->nres || cf->err_seq,
			      "file %lu kept with nothing in it",
			      (unsigned long)cf->ino);
			for (; n < cf->nres; n++) {
				struct frame *f = &c->frames[fno];
				uint32_t s = fw_state(LOAD_RLX(&f->word));
				bool dirty = s == FRAME_DIRTY ||
					     s == FRAME_WRITEBACK;

				CHECK(seen[fno] == 2,
				      "frame %u listed but not indexed", fno);
				seen[fno] |= 4;
				CHECK(f->ino == cf->ino,
				      "frame %u on the list of another file",
				      fno);
				CHECK(dirty == (n < cf->ndirty),
				      "file %lu: frame %u (%s) out of the "
				      "dirty prefix of %u",
				      (unsigned long)cf->ino, fno,
				      frame_state_name(s), cf->ndirty);
				CHECK(c->frames[f->fnext].fprev == fno,
				      "frame %u: broken file list links", fno);
				fno = f->fnext;
			}
			CHECK(n == 0 ? cf->head == FRAME_NONE : fno == cf->head,
			      "file %lu: list length is not nres %u",
			      (unsigned long)cf->ino, cf->nres);
			nlisted += cf->nres;
			ndirty += cf->ndirty;
		}
	}
	CHECK(nfiles == c->nfiles, "file table has %u, nfiles %u", nfiles,
	      c->nfiles);
	CHECK(nlisted == nindexed, "%u frames on file lists, %u indexed",
	      nlisted, nindexed);
	CHECK(ndirty == c->ndirty, "files say %u dirty, cache %u", ndirty,
	      c->ndirty);

	/* Step 4: the dirty-file list. */
	{
		uint32_t n = 0;
		uint64_t last = 0;

		for (struct cfile *cf = c->dirty_head; cf; cf = cf->dnext) {
			CHECK(cf->ndirty > 0, "clean file %lu on dirty list",
			      (unsigned long)cf->ino);
			CHECK(cf->dirtied_ms >= last, "dirty list out of order");
			CHECK(cf->dnext || cf == c->dirty_tail,
			      "dirty list tail");
			last = cf->dirtied_ms;
			n++;
		}
		for (uint32_t b = 0; b <= c->ftab_mask; b++)
			for (struct cfile *cf = c->ftab[b]; cf; cf = cf->hnext)
				n -= cf->ndirty > 0;
		CHECK(n == 0, "dirty list and dirty files disagree");
	}

	/* Step 5: the policy. */
	CHECK(c->policy->ops->check(c->policy) == 0, "policy %s inconsistent",
	      c->policy->ops->name);
out:
	free(seen);
	return rc;
}

int cache_check(struct cache *c)
{
	int rc;

	cache_lock(c);
	rc = cache_check_locked(c);
	cache_unlock(c);
	return rc;
}
