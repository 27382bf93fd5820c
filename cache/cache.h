/* cache.h - framefs page cache: a fixed pool of frames indexed by (ino, pgno).
 *
 * Interface, in the order a client uses it (xv6 bio.c style):
 *
 *   c = cache_new(&cfg);                    allocate the pool once
 *   fr = cache_lookup(c, ino, pgno, 0);     hit path: a pinned frame, or NULL
 *   rc = cache_get(c, ino, pgno, 0, &fr);   full path: 0 = hit, 1 = miss (fr is
 *                                           LOADING: fill cache_frame_data(fr),
 *                                           then cache_load_done(c, fr, err)),
 *                                           -ENOBUFS = no free frame: evict first,
 *                                           -ENOMEM = no memory for the file's
 *                                           record (its first frame)
 *   cache_mark_dirty(c, fr);                after writing into a pinned frame
 *   cache_unpin(c, fr);                     do not touch fr after this
 *
 *   cache_evict_begin / cache_evict_end     eviction in two steps, so that the
 *                                           caller can invalidate the kernel's
 *                                           copy in between (DESIGN.md)
 *   cache_writeback_collect / _done         flushing dirty frames of one file
 *   cache_drop_file                         truncate / unlink
 *   cache_drop_range                        punching a hole, zeroing a range
 *
 * Every function may be called from any thread, but a pin taken by
 * cache_lookup or cache_get is dropped by the thread that took it (hit pins
 * live in per-thread slots).  No function does I/O or copies page data;
 * callers copy into and out of pinned frames without any cache lock held.
 * A thread holding pins must not call cache_drop_range/_file on the same
 * pages.
 * Errors are negative errnos; pointer returns are NULL.
 *
 * A simulator, one thread with the cache to itself, replays traces through
 * cache_sim.h instead: the same decisions without the lock or pins.
 */
#ifndef FRAMEFS_CACHE_H
#define FRAMEFS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cache;
struct frame;

/* Frame states.  EVICTING is a flag on top of CLEAN/DIRTY/WRITEBACK, but
 * cache_frame_state() reports it as a state of its own. */
enum frame_state {
	FRAME_FREE = 0,		/* on the free list, in no index */
	FRAME_LOADING,		/* indexed; the missing thread is filling it */
	FRAME_CLEAN,		/* same bytes as the store */
	FRAME_DIRTY,		/* newer than the store */
	FRAME_WRITEBACK,	/* being written to the store */
	FRAME_EVICTING,		/* between cache_evict_begin and _end */
};

struct cache_config {
	uint32_t nframes;	/* pool size, >= 1 */
	uint32_t page_size;	/* bytes, power of two >= 512; 0 = 4096 */
	const char *policy;	/* "name[:key=value,...]"; NULL = "lru" */
	bool metadata_only;	/* no page data (the simulator) */
};

/* Flags of cache_lookup() and cache_get(). */
#define CACHE_WRITE	0x1u	/* the access writes: it does not revive an
				 * evicting frame (kernel write-back during
				 * invalidation is not a new reference) */
#define CACHE_NOCREATE	0x2u	/* cache_get: -ENOENT instead of inserting */

/* A snapshot of the counters (monotonic) and gauges.  Field names are the
 * names cache_stats_print() and the .framefs/stats file use. */
struct cache_stats {
	uint64_t lookups;		/* hits + misses */
	uint64_t hits;
	uint64_t misses;		/* lookups that inserted or found nothing */
	uint64_t inserts;
	uint64_t inserts_ahead;		/* of those, cache_get_ahead()'s */
	uint64_t evictions;		/* frames freed by eviction */
	uint64_t evictions_dirty;	/* of those, dirtied while evicting */
	uint64_t evict_aborts;		/* evictions undone: page used again */
	uint64_t pins;
	uint64_t dirty_marks;		/* clean -> dirty transitions */
	uint64_t writebacks;		/* frames written back successfully */
	uint64_t writeback_errors;
	uint64_t load_errors;
	uint64_t drops;			/* frames dropped by truncate/unlink */
	uint32_t frames_total;
	uint32_t frames_free;
	uint32_t frames_resident;
	uint32_t frames_dirty;		/* dirty + under write-back */
	uint32_t files;			/* files with resident frames */
	uint32_t page_size;
};

/* cache_new: returns NULL with errno set (EINVAL: bad config or unknown
 * policy; ENOMEM). */
struct cache *cache_new(const struct cache_config *cfg);
void cache_free(struct cache *c);	/* frames must be unpinned */

const char *cache_policy_name(const struct cache *c);
uint32_t cache_page_size(const struct cache *c);
uint32_t cache_nframes(const struct cache *c);

/* Hit path: returns the resident frame for (ino, pgno) pinned, or NULL if
 * the page is not resident (waits while another thread loads it).  A hit
 * takes no lock for POLICY_HIT_LOCKLESS policies (FIFO, CLOCK, RANDOM,
 * SIEVE, S3-FIFO, CLOCK-Pro), whose hit only updates the frame's own bits
 * or small counter atomically; LRU, LFU, 2Q, ARC, LIRS and OPT take the
 * lock to reorder. */
struct frame *cache_lookup(struct cache *c, uint64_t ino, uint64_t pgno,
			   unsigned flags);

/* Full path; see the interface above.  Waits while another thread loads the
 * same page.  Returns 0 (hit, *out pinned), 1 (miss, *out pinned and
 * LOADING), -ENOENT (CACHE_NOCREATE and absent), -ENOBUFS (no free frame)
 * or -ENOMEM (a miss on a file with no frames yet, whose record could not
 * be allocated). */
int cache_get(struct cache *c, uint64_t ino, uint64_t pgno, unsigned flags,
	      struct frame **out);

/* A frame for a page nobody asked for yet (reading ahead): 1 and *out
 * pinned and LOADING as for a miss of cache_get, when the page is not
 * indexed and more than keep_free frames are free; else -EEXIST (resident
 * or loading: no pin, no reference, no wait) or -ENOBUFS (no eviction is
 * asked for), or -ENOMEM.  The policy sees an insert, as for a miss; the
 * lookups, hits and misses counters do not move. */
int cache_get_ahead(struct cache *c, uint64_t ino, uint64_t pgno,
		    uint32_t keep_free, struct frame **out);

/* Ends LOADING.  err == 0: the frame is CLEAN and stays pinned by the
 * caller.  err < 0: the frame is freed, the caller's pin is gone, and
 * threads waiting for the page retry (and load it themselves). */
void cache_load_done(struct cache *c, struct frame *fr, int err);

/* Another pin on a frame the caller has pinned.  It is a counted pin, so
 * it may be handed to and dropped by another thread. */
void cache_pin(struct cache *c, struct frame *fr);
void cache_unpin(struct cache *c, struct frame *fr);

/* The caller holds a pin and has written into the frame. */
void cache_mark_dirty(struct cache *c, struct frame *fr);

/* Eviction, in two steps (DESIGN.md "Eviction of frame F").
 * cache_evict_begin: asks the policy for a victim (never pinned, loading,
 * dirty or under write-back) and marks it EVICTING.  Returns 0 and *out;
 * -EAGAIN if none is evictable and some are dirty (run the flusher);
 * -EBUSY if none is evictable and none dirty (all pinned or loading);
 * -ENOENT if none is resident.
 * cache_evict_end: returns 0 when the frame was freed; -EBUSY when a read
 * used the page meanwhile (eviction aborted, the frame stays); -EAGAIN when
 * it is dirty or under write-back: write it back, then call again. */
int cache_evict_begin(struct cache *c, struct frame **out);
int cache_evict_end(struct cache *c, struct frame *fr);
/* Both steps at once, for callers with no kernel copy to invalidate.
 * Returns 0 or the error of cache_evict_begin. */
int cache_evict_one(struct cache *c);
/* Gives up an eviction: right after cache_evict_begin, or after
 * cache_evict_end answered -EAGAIN.  The frame stays, in its state. */
void cache_evict_cancel(struct cache *c, struct frame *fr);

/* Write-back.  cache_writeback_collect moves up to max DIRTY frames of ino to
 * WRITEBACK, pins them, stores them in out[] sorted by pgno (so contiguous
 * runs can be coalesced) and returns how many.  For each, the caller writes
 * the data and calls cache_writeback_done with 0 or a negative errno; on error
 * the frame stays dirty and the error is recorded for cache_file_error(). */
int cache_writeback_collect(struct cache *c, uint64_t ino,
			    struct frame **out, int max);
void cache_writeback_done(struct cache *c, struct frame *fr, int err);
/* The file whose dirty frames are oldest (Linux's b_dirty order): 0 and
 * *ino, *dirtied_ms (CLOCK_MONOTONIC ms), or -ENOENT if nothing is dirty. */
int cache_dirty_oldest(struct cache *c, uint64_t *ino, uint64_t *dirtied_ms);
/* After ino's write-back failed: it goes behind the other dirty files, so
 * that they are written back before it is tried again (its dirtied_ms
 * unchanged: as old as it was). */
void cache_dirty_later(struct cache *c, uint64_t ino);
uint32_t cache_file_ndirty(struct cache *c, uint64_t ino);
uint32_t cache_file_nresident(struct cache *c, uint64_t ino);

/* Write-back errors, errseq style (Linux's errseq_t): at open, sample
 * since = cache_file_error_seq(); at fsync/close, cache_file_error()
 * returns the newest error recorded after *since (or 0) and moves *since
 * forward, so each open file sees each error once. */
uint32_t cache_file_error_seq(struct cache *c, uint64_t ino);
int cache_file_error(struct cache *c, uint64_t ino, uint32_t *since);
/* Forget a file's error history (the inode is gone). */
void cache_file_forget(struct cache *c, uint64_t ino);

/* Drops the frames of ino with first_pgno <= pgno < end_pgno, dirty ones
 * included: their data is gone from the file (a hole punched, a range
 * zeroed, the file cut or deleted), so no write-back may ever store it.
 * Waits for frames that are pinned, loading or under write-back.  A frame
 * being evicted is not waited for (its eviction may be waiting, in the
 * kernel, for the caller): it leaves the index, its file and the policy at
 * once, and the evictor frees it at cache_evict_end/_cancel without writing
 * it back.  Returns how many were dropped.  A thread holding pins must not
 * drop those pages. */
uint32_t cache_drop_range(struct cache *c, uint64_t ino, uint64_t first_pgno,
			  uint64_t end_pgno);
/* cache_drop_range(c, ino, from_pgno, UINT64_MAX): truncate, unlink. */
uint32_t cache_drop_file(struct cache *c, uint64_t ino, uint64_t from_pgno);

/* Frame accessors; fr must be pinned (or EVICTING, for the evictor). */
void *cache_frame_data(struct cache *c, struct frame *fr);	/* NULL if
								 * metadata_only */
void cache_frame_key(struct cache *c, const struct frame *fr, uint64_t *ino,
		     uint64_t *pgno);
uint32_t cache_frame_no(struct cache *c, const struct frame *fr);
enum frame_state cache_frame_state(struct cache *c, const struct frame *fr);
const char *frame_state_name(enum frame_state s);

void cache_stats(struct cache *c, struct cache_stats *st);
/* The two gauges the daemon's threads poll (cheaper than cache_stats):
 * free frames and dirty frames (dirty + under write-back). */
void cache_counts(struct cache *c, uint32_t *nfree, uint32_t *ndirty);
void cache_stats_print(const struct cache_stats *st, FILE *out);
/* Bytes of metadata per frame: core frame + index + policy (no ghosts). */
size_t cache_meta_bytes_per_frame(struct cache *c);

/* All the metadata memory of a cache, and the pages it keeps track of.
 * Per tracked page: (core + policy + ghost bytes) / (resident + ghosts). */
struct cache_mem {
	size_t core_bytes;	/* struct cache, frames, index, file records */
	size_t policy_bytes;	/* the policy's per-frame state, all frames */
	size_t ghost_bytes;	/* the policy's ghost lists */
	uint32_t resident;	/* pages in frames */
	uint32_t ghosts;	/* ghost keys; UINT32_MAX: the policy has
				 * ghost bytes but does not count them */
};
void cache_mem(struct cache *c, struct cache_mem *m);

/* Calls fn for each resident frame in frame-number order, under the cache
 * lock: fn must not call back into the cache.  For listings (.framefs/frames,
 * the simulator's --step). */
void cache_foreach_frame(struct cache *c,
			 void (*fn)(void *arg, uint32_t fno, uint64_t ino,
				    uint64_t pgno, enum frame_state s),
			 void *arg);
/* Prints the policy's own view (queue order, hand, bits) on one line. */
void cache_policy_show(struct cache *c, FILE *out);

/* Replaces the policy of a live cache ("name[:key=value,...]").  The new
 * policy starts with every resident page, inserted in frame order; the old
 * one's order, bits and ghosts are dropped, and its memory is kept until
 * cache_free (a lockless hit may still be in it).  Returns 0, or -EINVAL
 * (unknown or needs the future) / -ENOMEM with one line in err. */
int cache_set_policy(struct cache *c, const char *spec, char *err,
		     size_t errlen);

/* Checks every invariant of the pool, index, file lists and policy.
 * Returns 0, or -EUCLEAN after printing the first violation to stderr. */
int cache_check(struct cache *c);

#endif
