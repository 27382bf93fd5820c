/* pager.c - file data through the frame cache, and the three threads that
 * keep the pool usable: the evictor, the flusher and the reference scanner.
 *
 * Read:  for each page, a frame hit copies out; a miss takes a LOADING
 *        frame, reads the page from the store (zeros past its end) and
 *        copies out.  No lock is held while copying or doing I/O.
 * Write: for each page, a frame (loaded first unless the write covers the
 *        whole page or the page lies past the old end of file), copy in,
 *        mark dirty.  inode->size moves forward; the store catches up at
 *        write-back.  The store's size never exceeds inode->size.
 *
 * A request that finds no free frame wakes the evictor and waits for
 * freed_cv.  It never invalidates a kernel page itself (it may be serving
 * the very page the invalidation would wait for), except with
 * reclaim=direct (direct_reclaim): then it evicts for itself, and a
 * request that cannot waits for freed_cv, which a direct eviction and the
 * end of a flusher round that cleaned frames broadcast.
 *
 * Requests in flight.  A READ of several pages (kernel readahead) reaches
 * the daemon with every one of its pages locked in the kernel until the
 * reply; a write() keeps locked the partial page it ends on, if that page
 * was not up to date; the kernel's write-back of a mapped range keeps its
 * pages under write-back.  The kernel sends such a request even before a
 * worker takes it.  Invalidating one of those pages waits for the reply;
 * if the request itself waits for a frame, the evictors that should free
 * one wait for the request: measured, with readahead=128 on 64 frames, all
 * four evictors slept on such page locks and reads failed after 30 s,
 * answered short, which the kernel takes for the end of file (zeros, and a
 * file that looks cut).  Four rules, and two more for exact fault counts:
 *   1. A request of several pages registers its range (struct inflight)
 *      from the moment a worker takes it to just before its reply.  An
 *      evictor whose victim lies in a registered range frees the frame
 *      without invalidating the kernel page and owes the invalidation: it
 *      is made once no registered range covers the page (struct
 *      owed_inval).
 *   2. A request that has waited for a frame for WAIT_STEAL_ROUNDS frees
 *      one itself the same way, owing the invalidation: a victim that
 *      needs no invalidation now cannot block, so a request never waits
 *      on the evictors for as long as the pool has a clean, unpinned
 *      frame, whatever page locks the evictors sleep on (requests the
 *      kernel sent but no worker took yet are not registered).
 *   3. A READ is answered short only at the end of the file: any other
 *      failure is an error, which makes the kernel retry the page alone
 *      (readahead) or return EIO, never zeros.
 *   4. A write-back of mapped pages (writepage) never fails for want of a
 *      frame: it waits, however long the store takes to let the flusher
 *      clean one.  A frame freed by rule 1 or 2 may leave behind a kernel
 *      page that a mapping dirties, whose write-back then needs a new
 *      frame; failing that WRITE would lose the data (the kernel marks the
 *      page clean), where waiting only holds up msync.
 *   5. A READ copies its pages out and unpins their frames before it
 *      replies.  The client runs on as soon as the reply is in; a frame
 *      still pinned then is passed over by the evictor, which evicts a
 *      page the policy would keep, and the client's next touch of that
 *      page hits the kernel's copy: a fault fewer than the policy's
 *      misses (tests/test_mmload.c, fifo_loop_exact).  The frames of
 *      fetch_ahead are the exception: they stay pinned, LOADING, past the
 *      reply until their bytes are in (take_ahead, span_arrived); they
 *      are the pool's newest pages (the victims of MRU only), and a mount
 *      with fetch_ahead does not promise exact counts.
 *   6. An evictor frees its frame only once the kernel copies of the
 *      victims chosen before its own are gone (inval_earlier): evictors
 *      run side by side, and one descheduled between choosing a victim
 *      and invalidating it left that page in the kernel while later
 *      victims' frames went to new pages.  Choosing a victim and
 *      recording it (victim_add) are one step (choose_lock), so the
 *      order recorded is the order chosen.
 * Inclusion bends only between a frame freed this way and its owed
 * invalidation; data never does: a frame is freed only clean, so the
 * kernel's copy holds the bytes the store has, or newer ones that rule 4
 * brings back through a frame.
 *
 * The evictor keeps between low_free and high_free frames free (none with
 * reclaim=direct, where the request that needs a frame evicts one itself
 * through the same evict_one(): direct_reclaim()), following the protocol
 * of DESIGN.md: cache_evict_begin marks the victim EVICTING,
 * the kernel's copy is invalidated with no lock held (a dirty mapped page
 * comes back as WRITE requests into the same frame, served by other
 * workers), and cache_evict_end frees the frame, or says it was used again
 * (-EBUSY: another victim) or dirtied (-EAGAIN: write it back, end again).
 *
 * The flusher writes back, coalescing contiguous dirty frames into one
 * store write, when dirty frames pass dirty_background % of the pool, when
 * the oldest dirty file is older than dirty_expire_ms, when the evictor
 * (or a request, with reclaim=direct) finds only dirty victims ("sync"
 * and fsync write back in the caller's thread).  Writers wait (bounded) while
 * dirty frames pass dirty_max %.  A failed write-back leaves the frames
 * dirty, is retried with backoff (100 ms doubling to 5 s, 500 ms at most
 * while requests wait for frames or writers are held back; kicks do not
 * cut it short), and is reported to the next fsync/close of the file
 * through cache_file_error().
 *
 * Write-back and write() hold inode->trunc_lock for reading, truncate holds
 * it for writing while it changes the size and the store, so a write-back
 * never extends a file that was just cut short.  inode->flush_lock makes one
 * write-back of a file at a time, so an fsync that gets the lock knows that
 * earlier write-backs have ended.
 */
#include "clock.h"
#include "framefs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WB_BATCH	64		/* frames per collect, <= STORE_IOV_MAX */
#define READ_BATCH	256		/* missing pages read in one go: a
				 * whole 1 MiB READ, one store request
				 * (one GET on a web server) */
#define STREAM_MAX	1024		/* pages of a fetch_ahead window at most
				 * (fetch_ahead=4096), and of a span of a
				 * file read in sequence: 4 MiB, one GET */
_Static_assert(READ_BATCH <= STORE_IOV_MAX && WB_BATCH <= STORE_IOV_MAX &&
	       STREAM_MAX <= STORE_IOV_MAX, "one store request per run");
#define WAIT_SLICE_MS	20
#define WAIT_STEAL_ROUNDS	2	/* then free a frame yourself (rule 2) */
#define FRAME_WAIT_ERR_MS	1000	/* then report the store error */
#define FLUSH_WAITED_MS		500	/* the flusher's longest backoff while
					 * requests wait: below the above */
#define FRAME_WAIT_MAX_MS	30000	/* then EIO (rule 4: say so again) */
#define THROTTLE_MAX_ROUNDS	100	/* 2 s */

/* Waits on cv under wait_lock for at most ms. */
static void timed_wait(struct fs *fs, pthread_cond_t *cv, uint32_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_cond_timedwait(cv, &fs->wait_lock, &ts);
}

void pager_trace(struct fs *fs, struct inode *in, uint64_t pgno, char op,
		 bool hit)
{
	struct trace_ref ref = {
		.file = in->id, .pgno = pgno, .write = op == 'w',
		.result = hit ? 'h' : 'm',
	};

	if (!fs->trace)
		return;
	pthread_mutex_lock(&fs->trace_lock);
	/* Timed under the lock, so the file is in time order. */
	ref.time_us = (now_ns(CLOCK_MONOTONIC) - fs->t0_ns) / 1000;
	trace_write(fs->trace, &ref);
	pthread_mutex_unlock(&fs->trace_lock);
}

/* ---- requests in flight and owed invalidations ------------------------ */

/* Registers a request covering pages [first, last] of in (rule 1).  Returns
 * the slot, or -1 when it covers one page (nothing to protect) or every
 * slot is taken (then rule 2 still guarantees progress). */
static int infl_begin(struct fs *fs, struct inode *in, uint64_t first,
		      uint64_t last)
{
	int slot = -1;

	if (last <= first || !fs->infl)
		return -1;
	pthread_mutex_lock(&fs->infl_lock);
	for (uint32_t i = 0; i < fs->ninfl; i++)
		if (!fs->infl[i].used) {
			fs->infl[i] = (struct inflight){ .used = true,
				.id = in->id, .first = first, .last = last };
			slot = (int)i;
			break;
		}
	pthread_mutex_unlock(&fs->infl_lock);
	return slot;
}

static bool infl_covers(struct fs *fs, uint64_t id, uint64_t pgno)
{
	for (uint32_t i = 0; i < fs->ninfl; i++) {
		const struct inflight *r = &fs->infl[i];

		if (r->used && r->id == id && pgno >= r->first &&
		    pgno <= r->last)
			return true;
	}
	return false;
}

static void kick_evictor(struct fs *fs);

/* Remembers that (id, pgno) was just READ.  The fault that asked for it
 * may not have mapped it yet (a fault that waited drops its locks and is
 * retried); refscan dropping the page in that window would make the one
 * fault read it twice, so refscan spares it for FS_RECENT_NS. */
static void recent_add(struct fs *fs, uint64_t id, uint64_t pgno)
{
	uint64_t t = now_ns(CLOCK_MONOTONIC);

	if (__atomic_load_n(&fs->refscan, __ATOMIC_RELAXED) == 0)
		return;
	pthread_mutex_lock(&fs->infl_lock);
	fs->recent[fs->recent_next % FS_RECENT].id = id;
	fs->recent[fs->recent_next % FS_RECENT].pgno = pgno;
	fs->recent[fs->recent_next % FS_RECENT].t_ns = t;
	fs->recent_next++;
	pthread_mutex_unlock(&fs->infl_lock);
}

/* Was (id, pgno) READ in the last FS_RECENT_NS?  Caller holds infl_lock. */
static bool recent_has(struct fs *fs, uint64_t id, uint64_t pgno,
		       uint64_t now)
{
	for (uint32_t i = 0; i < FS_RECENT; i++)
		if (fs->recent[i].t_ns && fs->recent[i].id == id &&
		    fs->recent[i].pgno == pgno &&
		    now - fs->recent[i].t_ns < FS_RECENT_NS)
			return true;
	return false;
}

/* Ends a registration; wakes an evictor if invalidations are owed. */
static void infl_end(struct fs *fs, int slot)
{
	bool owed;

	if (slot < 0)
		return;
	pthread_mutex_lock(&fs->infl_lock);
	fs->infl[slot].used = false;
	owed = fs->nowed != 0;
	pthread_mutex_unlock(&fs->infl_lock);
	if (owed)
		kick_evictor(fs);
}

/* Records the invalidation of (id, pgno) as owed.  Returns false if it
 * could not be recorded (no memory): then the caller invalidates now. */
static bool owe_inval_locked(struct fs *fs, uint64_t id, uint64_t pgno)
{
	if (fs->nowed == fs->owed_cap) {
		size_t cap = fs->owed_cap ? fs->owed_cap * 2 : 256;
		struct owed_inval *p = realloc(fs->owed, cap * sizeof(*p));

		if (!p)
			return false;
		fs->owed = p;
		fs->owed_cap = cap;
	}
	fs->owed[fs->nowed++] = (struct owed_inval){ id, pgno };
	FS_ADD(fs, inval_deferred, 1);
	return true;
}

/* Invalidates the kernel copy of pages [pgno, pgno+n) of inode id. */
static void inval_pages(struct fs *fs, uint64_t id, uint64_t pgno,
			uint64_t n);

/* Owes the invalidation of a page whose frame was just freed.  In the rare
 * case that it cannot be recorded, it is made now: in an evictor that may
 * wait, in a request it cannot (the page is a victim, not one it covers). */
static void owe_inval(struct fs *fs, uint64_t id, uint64_t pgno)
{
	bool owed;

	pthread_mutex_lock(&fs->infl_lock);
	owed = owe_inval_locked(fs, id, pgno);
	pthread_mutex_unlock(&fs->infl_lock);
	if (!owed)
		inval_pages(fs, id, pgno, 1);
}

/* Invalidates the kernel copy of pages [pgno, pgno+n) of inode id. */
static void inval_pages(struct fs *fs, uint64_t id, uint64_t pgno,
			uint64_t n)
{
	struct inode *in = inode_get_id(fs, id);

	if (!in)
		return;
	fuse_lowlevel_notify_inval_inode(fs->se, inode_nodeid(fs, in),
					 (off_t)(pgno * fs->page_size),
					 (off_t)(n * fs->page_size));
	FS_ADD(fs, inval_calls, 1);
	inode_put(fs, in);
}

/* Makes the owed invalidations that no registered request blocks any more
 * (evictor threads only: an invalidation may wait for a page lock).  Runs
 * of contiguous pages of one file go in one call. */
static void pay_owed(struct fs *fs)
{
	struct owed_inval *due = NULL;
	size_t ndue = 0, keep = 0;

	pthread_mutex_lock(&fs->infl_lock);
	if (fs->nowed)
		due = malloc(fs->nowed * sizeof(*due));
	for (size_t i = 0; due && i < fs->nowed; i++) {
		if (infl_covers(fs, fs->owed[i].id, fs->owed[i].pgno))
			fs->owed[keep++] = fs->owed[i];
		else
			due[ndue++] = fs->owed[i];
	}
	if (due)
		fs->nowed = keep;
	pthread_mutex_unlock(&fs->infl_lock);
	for (size_t i = 0, j; i < ndue; i = j) {
		for (j = i + 1; j < ndue && due[j].id == due[i].id &&
		     due[j].pgno == due[i].pgno + (j - i); j++)
			;
		inval_pages(fs, due[i].id, due[i].pgno, j - i);
	}
	free(due);
}

/* Frees one clean frame with its invalidation owed (rule 2).  Returns 0 if
 * a frame was freed, else the error of the attempt.  Its victim is not
 * ordered by rule 6 (a steal bends inclusion anyway, and is counted:
 * frame_steals). */
static int steal_frame(struct fs *fs)
{
	struct frame *fr;
	uint64_t id, pgno;
	int rc;

	rc = cache_evict_begin(fs->cache, &fr);
	if (rc < 0)
		return rc;
	cache_frame_key(fs->cache, fr, &id, &pgno);
	rc = cache_evict_end(fs->cache, fr);
	if (rc == -EAGAIN)	/* dirtied meanwhile: the flusher's job */
		cache_evict_cancel(fs->cache, fr);
	if (rc < 0)
		return rc;
	FS_ADD(fs, frame_steals, 1);
	owe_inval(fs, id, pgno);
	kick_evictor(fs);	/* which pays it (pay_owed) */
	return 0;
}

/* ---- getting a frame -------------------------------------------------- */

static void kick_evictor(struct fs *fs)
{
	pthread_mutex_lock(&fs->wait_lock);
	fs->evict_kicked = true;
	pthread_cond_broadcast(&fs->evict_cv);
	pthread_mutex_unlock(&fs->wait_lock);
}

/* Has the flusher clean frames now (the evictors, which would ask, may be
 * asleep on a page lock). */
static void flush_kick_clean(struct fs *fs)
{
	pthread_mutex_lock(&fs->wait_lock);
	fs->want_clean = true;
	fs->flush_kicked = true;
	pthread_cond_signal(&fs->flush_cv);
	pthread_mutex_unlock(&fs->wait_lock);
}

/* One round of waiting for the evictor.  Returns 0 to try again, or the
 * error to give the request when frames do not come back (every frame
 * dirty and the store failing); a patient request (rule 4) always gets 0.
 * *since_ms is when the request's first round began (0 before it),
 * *told_ms how long it had waited when rule 4's wait was last told.  The
 * limits are in time, not rounds: a round ends at any broadcast of
 * freed_cv, and a round can be short (with reclaim=direct the evictors,
 * which free nothing there, once broadcast it at once when a round woke
 * them: 1,500 rounds, taken for 30 s, passed in about 0.1 s, and a WRITE
 * that had dirtied every frame got EIO when the flusher took longer than
 * that to clean one; fsx on 16 frames, a loaded machine). */
static int frame_wait(struct fs *fs, uint64_t *since_ms, uint64_t *told_ms,
		      bool patient)
{
	uint64_t waited;
	int err;

	if (*since_ms == 0) {
		FS_ADD(fs, frame_waits, 1);
		*since_ms = now_ms(CLOCK_MONOTONIC);
	}
	pthread_mutex_lock(&fs->wait_lock);
	fs->frame_waiters++;
	/* With reclaim=direct the evictors have nothing to free for it:
	 * woken, they only woke it again at once, and the two took turns
	 * on the CPUs until the flusher cleaned a frame.  The flusher
	 * wakes it instead (flusher_main). */
	if (!fs->o.reclaim_direct)
		pthread_cond_broadcast(&fs->evict_cv);
	/* A flusher in its backoff looks again: a request waits, so it
	 * asks the store sooner (flusher_main).  (Its kick came before
	 * this request counted.) */
	if (__atomic_load_n(&fs->flush_err, __ATOMIC_RELAXED))
		pthread_cond_signal(&fs->flush_cv);
	timed_wait(fs, &fs->freed_cv, WAIT_SLICE_MS);
	fs->frame_waiters--;
	pthread_mutex_unlock(&fs->wait_lock);
	err = __atomic_load_n(&fs->flush_err, __ATOMIC_RELAXED);
	waited = now_ms(CLOCK_MONOTONIC) - *since_ms;
	if (patient) {		/* rule 4 */
		if (waited >= *told_ms + FRAME_WAIT_MAX_MS) {
			fprintf(stderr, "framefs: a write-back of mapped pages "
				"has waited %llu s for a frame%s\n",
				(unsigned long long)waited / 1000,
				err ? "; the store is failing" : "");
			*told_ms = waited;	/* again in 30 s */
		}
		return 0;
	}
	if (waited >= FRAME_WAIT_ERR_MS && err)
		return err;
	if (waited >= FRAME_WAIT_MAX_MS) {
		fprintf(stderr, "framefs: no frame freed in 30 s; "
			"failing the request with EIO\n");
		return -EIO;
	}
	return 0;
}

static int evict_one(struct fs *fs);

/* reclaim=direct: the request that needs a frame evicts the policy's
 * victim itself, through evict_one(), as an evictor would (invalidate,
 * then free: no owed invalidation, so fault counts stay exact).  The
 * protocols hold as for an evictor: the victim is never a page a
 * registered request covers (its invalidation is owed, rule 1), so never
 * the page this request serves; no lock is held across the notify call;
 * and at most half the workers (and FS_EVICTORS, one victim slot each,
 * rule 6) reclaim at once, so that others are free to serve the WRITEs a
 * dirty victim's invalidation brings.  The others wait as in background
 * mode, and steal a clean frame if it takes long (rule 2).  Returns true
 * if a frame was freed (or the victim was used again: try again). */
static bool direct_reclaim(struct fs *fs)
{
	uint32_t most = fs->o.max_threads / 2;
	bool ok = false;

	if (most > FS_EVICTORS)
		most = FS_EVICTORS;
	if (most == 0)
		most = 1;
	if (__atomic_add_fetch(&fs->direct_reclaimers, 1, __ATOMIC_ACQ_REL) <=
	    most) {
		int rc = evict_one(fs);

		ok = rc == 0;
		if (rc == -EAGAIN)	/* only dirty victims: clean some */
			flush_kick_clean(fs);
	}
	__atomic_sub_fetch(&fs->direct_reclaimers, 1, __ATOMIC_ACQ_REL);
	if (ok) {
		/* Its slot is free again, for a request that found them
		 * all taken and waits (nothing else would wake it). */
		pthread_mutex_lock(&fs->wait_lock);
		if (fs->frame_waiters)
			pthread_cond_broadcast(&fs->freed_cv);
		pthread_mutex_unlock(&fs->wait_lock);
	}
	return ok;
}

/* Returns 0 (hit) or 1 (miss: LOADING) with *out pinned, or -errno. */
static int page_get(struct fs *fs, struct inode *in, uint64_t pgno,
		    unsigned flags, struct frame **out)
{
	uint64_t since_ms = 0, told_ms = 0;
	uint32_t nfree, ndirty;
	int rc;

	for (unsigned round = 0;; round++) {
		rc = cache_get(fs->cache, in->id, pgno, flags, out);
		if (rc != -ENOBUFS)
			break;
		if (fs->o.reclaim_direct && direct_reclaim(fs))
			continue;
		if (round >= WAIT_STEAL_ROUNDS) {
			rc = steal_frame(fs);
			if (rc == 0)
				continue;
			if (rc == -EAGAIN)	/* only dirty frames left */
				flush_kick_clean(fs);
		}
		rc = frame_wait(fs, &since_ms, &told_ms, flags & CACHE_WRITE);
		if (rc < 0)
			return rc;
	}
	if (rc == 1) {
		cache_counts(fs->cache, &nfree, &ndirty);
		if (nfree < fs->low_free)
			kick_evictor(fs);
	}
	return rc;
}

/* Fills a LOADING frame: zeros, or the page from the store. */
static int page_load(struct fs *fs, struct inode *in, uint64_t pgno,
		     struct frame *fr, bool zero)
{
	char *data = cache_frame_data(fs->cache, fr);
	ssize_t n = 0;
	int rc;

	if (!zero) {
		rc = store_open(fs->store, in->obj, false);
		if (rc < 0)
			return rc;
		n = store_read(fs->store, in->obj, data, fs->page_size,
			       pgno * fs->page_size);
		if (n < 0)
			return (int)n;
	}
	memset(data + n, 0, fs->page_size - (size_t)n);
	return 0;
}

/* ---- read and write --------------------------------------------------- */

/* A span of frames being filled by one store read, fr[0..ready) done. */
struct span {
	struct fs *fs;
	struct frame **fr;
	int n, ready;
};

/* store_progress of a fetch_ahead window: a frame whose page is in is
 * ready, and unpinned, at once, so a READ waiting for it (a client's
 * fault in the window) goes on while the rest of the window arrives: a
 * 1 MiB GET takes a few ms, its first page a tenth of one. */
static bool span_arrived(void *arg, uint64_t bytes)
{
	struct span *sp = arg;
	uint64_t k = bytes / sp->fs->page_size;
	int upto = k < (uint64_t)sp->n ? (int)k : sp->n;

	for (; sp->ready < upto; sp->ready++) {
		struct frame *f = sp->fr[sp->ready];

		if (f) {
			cache_load_done(sp->fs->cache, f, 0);
			cache_unpin(sp->fs->cache, f);
		}
	}
	return sp->ready > 0;
}

/* Fills the LOADING frames fr[0..n) of pages pgno.. with one store read
 * (zeros past the store's end) and ends their loading.  A NULL fr[i] is a
 * page of the span not to be filled: its bytes go to scratch.  Frames
 * read ahead (ahead) are unpinned once loaded, each as soon as the store
 * says its bytes are in; a failed read frees the rest (cache_load_done),
 * and their readers load them again. */
static int load_span(struct fs *fs, struct inode *in, uint64_t pgno,
		     struct frame **fr, int n, char *scratch, bool ahead)
{
	struct iovec iov[STREAM_MAX];
	struct span sp = { .fs = fs, .fr = fr, .n = n };
	struct store_progress pr = { .fn = span_arrived, .arg = &sp };
	size_t ps = fs->page_size;
	ssize_t got;
	int orc, err = 0;

	orc = store_open(fs->store, in->obj, false);
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = fr[i] ? cache_frame_data(fs->cache, fr[i]) :
					  scratch;
		iov[i].iov_len = ps;
	}
	got = orc < 0 ? orc : store_readv_progress(fs->store, in->obj, iov,
						   n, pgno * ps,
						   ahead ? &pr : NULL);
	if (got < 0)
		err = (int)got;
	for (int i = sp.ready; i < n; i++) {
		size_t have = got <= (ssize_t)(i * ps) ? 0 :
			      (size_t)got - i * ps < ps ? (size_t)got - i * ps :
			      ps;

		if (!fr[i])
			continue;
		if (!err)
			memset((char *)iov[i].iov_base + have, 0, ps - have);
		cache_load_done(fs->cache, fr[i], err);
		if (!err && ahead)
			cache_unpin(fs->cache, fr[i]);
	}
	return err;
}

static int load_run(struct fs *fs, struct inode *in, uint64_t pgno,
		    struct frame **fr, int n)
{
	return load_span(fs, in, pgno, fr, n, NULL, false);
}

/* Frames taken for fetch_ahead: pages pgno..pgno+n-1, LOADING and pinned,
 * fr[i] NULL for a page of the span that was not taken (resident, loading
 * or read by this READ: one store read covers the span, its bytes for the
 * pages not taken go to a scratch page). */
struct ahead {
	uint64_t pgno;
	int n, taken;
	int nmore;		/* fetch_streams: its group's other windows, */
	uint64_t more[FS_FETCH_STREAMS_MAX - 1][2];	/* [start, end) */
	struct frame *fr[STREAM_MAX];
};

/* Takes a frame for page p into ah, whose window starts at page start:
 * 1 taken, 0 not (resident or loading), -1 the pool has no free frame
 * above the evictor's mark for it (cache_get_ahead never waits). */
static int take_page(struct fs *fs, struct inode *in, uint64_t start,
		     uint64_t p, struct ahead *ah)
{
	struct frame *f = NULL;
	int rc = cache_get_ahead(fs->cache, in->id, p, fs->low_free, &f);

	if (rc == -ENOBUFS || rc == -ENOMEM)
		return -1;
	if (rc != 1)
		return 0;
	ah->fr[p - start] = f;
	ah->taken++;
	return 1;
}

/* The frames taken, pages lo..hi of the window from start, moved down to
 * ah->fr[0]: one store read from lo to hi. */
static void ahead_pack(struct ahead *ah, uint64_t start, uint64_t lo,
		       uint64_t hi)
{
	if (!ah->taken)
		return;
	ah->pgno = lo;
	ah->n = (int)(hi - lo + 1);
	memmove(ah->fr, ah->fr + (lo - start),
		(size_t)ah->n * sizeof(ah->fr[0]));
}

/* The frames of the pages of [start, end) not resident or loading, into
 * ah, as take_ahead takes them (free frames above the evictor's mark,
 * never waiting); stops once the pool has none left for it. */
static void take_window(struct fs *fs, struct inode *in, uint64_t start,
			uint64_t end, struct ahead *ah)
{
	uint64_t lo = end, hi = start;
	int rc = 0;

	ah->n = ah->taken = 0;
	if (end <= start)
		return;
	memset(ah->fr, 0, (size_t)(end - start) * sizeof(ah->fr[0]));
	for (uint64_t p = start; p < end && rc >= 0; p++) {
		rc = take_page(fs, in, start, p, ah);
		if (rc == 1) {
			lo = p < lo ? p : lo;
			hi = p;
		}
	}
	ahead_pack(ah, start, lo, hi);
}

/* fetch_ahead: after a run of misses pgno..pgno+nmiss-1 that reached the
 * end of its READ, frames for the other pages of the window that holds
 * the run's last page: the file's fetch_ahead KB that start at a multiple
 * of fetch_ahead KB (the next window if the run is the whole window),
 * except the READ's own pages, first..: a page of it served from a frame
 * that an evictor freed since would be loaded again, and its owed
 * invalidation drop the kernel's copy just filled.  Taking stops at the
 * first page the pool has no free frame for: a frame freed while the
 * window is taken is for the requests that wait.
 * Aligned windows, as the chunks of s3fs and rclone and the read-around
 * of the kernel's mmap faults: random misses fetch each window once, whole,
 * where windows that start at the miss overlapped and broke into pieces
 * (a quarter of a 64 MiB file loaded at random: 190 GETs, about three per
 * window).  A page is taken only if it is not resident or loading and the
 * pool has more free frames than the evictor's mark (never a frame anyone
 * waits for, so never an eviction for a page nobody asked for), never
 * waiting, the pages after the READ first and then, if frames are left,
 * those before it (so that a pool with few free frames spends them where
 * the reader goes); the frames are left LOADING in ah, to be read after
 * the reply, in one store read from the lowest page taken to the
 * highest.
 *
 * The first page taken after the run is the window's mark, as the
 * kernel's PG_readahead marks the page whose access starts the next
 * asynchronous window: a READ that reaches the mark starts the next window
 * (nmiss 0), so a stream read sequentially finds its pages fetched, or
 * being fetched, when it gets there, and only its first READ waits for a
 * store read.  (The middle page, tried first, left the stream waiting on
 * each next window: 459 against 500 MB/s on Apache at readahead=128.)
 *
 * Each window a mark starts is twice the last, up to STREAM_MAX pages, as
 * the kernel's readahead window grows; a miss starts again at one window.
 * A stream is fetched in few long GETs: on Apache, 64 MiB in 1 MiB Range
 * GETs one after another takes 72 ms, in 4 MiB GETs 54, in one GET 49.
 *
 * fetch_streams=N: a miss also has the other windows of its group, the N
 * windows that start at a multiple of N windows (aligned, as windows
 * are), taken and read by the fetch threads, each in a store read of its
 * own, side by side with the others and with the miss's own window; a
 * stream's next window starts after the group.  Loads at random over a large file
 * otherwise start one window per miss, and a load that finds its page in
 * a window still arriving waits for it: with 4 MiB windows on a Ceph
 * gateway, 4,000 loads of a 64 MiB object took 0.33 s, and 0.26 with the
 * 16 windows read side by side after the first miss (medians of 5). */
static void take_ahead(struct fs *fs, struct inode *in, uint64_t first,
		       uint64_t pgno, int nmiss, uint64_t eof,
		       struct ahead *ah)
{
	uint64_t w = fs->o.fetch_ahead_kb * 1024u / fs->page_size, span;
	uint64_t run_end = pgno + (uint64_t)nmiss, start, mark = 0, p, end;
	uint64_t lo, hi;
	bool full = false;

	if (w > STREAM_MAX)
		w = STREAM_MAX;
	span = w;
	if (!nmiss) {
		span = 2 * (uint64_t)__atomic_load_n(&in->ahead_span,
						     __ATOMIC_RELAXED);
		if (span > STREAM_MAX)
			span = STREAM_MAX;
		span = span < w ? w : span / w * w;
	}
	start = (nmiss ? run_end - 1 : pgno) / w * w;
	if (nmiss && pgno <= start && run_end >= start + w)
		start += w;		/* the run is its whole window */
	end = start + span;
	if (end > eof + 1)
		end = eof + 1;
	ah->n = 0;
	ah->taken = 0;
	/* ah->fr[p - start] for page p while taking, then moved down */
	memset(ah->fr, 0, (size_t)(end - start) * sizeof(ah->fr[0]));
	lo = end;
	hi = start;
	for (int pass = 0; pass < 2 && !full; pass++) {
		/* The pages after the READ first, where its reader goes
		 * next; then, with frames left, the window's pages before
		 * it.  (Taken from the window's start, a miss deep in a
		 * window on a full pool filled the few free frames with
		 * pages behind its reader.) */
		uint64_t a = pass ? start : run_end > start ? run_end : start;
		uint64_t b = pass ? (first < end ? first : end) : end;

		for (p = a; p < b; p++) {
			int rc = take_page(fs, in, start, p, ah);

			if (rc < 0) {
				full = true;	/* frames freed now are */
				break;		/* for requests */
			}
			if (rc == 0)
				continue;
			lo = p < lo ? p : lo;
			hi = p > hi ? p : hi;
			if (!mark && p >= run_end)
				mark = p;
		}
	}
	ahead_pack(ah, start, lo, hi);
	/* fetch_streams=N: the other windows of its group (the N windows
	 * that start at a multiple of N windows), for the fetch threads to
	 * take and read side by side after the reply (fetch_main), those
	 * after the READ first, as above.  Taken here, a group of 16 windows
	 * of 4 MiB held the miss's reply for 1.3 to 1.9 ms.  A stream's
	 * next window starts after the group.  The windows before the
	 * READ's leave out its pages, as pass 1 above does.  (A READ that
	 * only reaches a mark, nmiss 0, leaves the group of its miss be.) */
	if (nmiss) {
		uint64_t g = (uint64_t)fs->o.fetch_streams * w;
		uint64_t gs = start / g * g, ws;

		ah->nmore = 0;
		for (ws = start + w; !full && fs->nfetchers && ws < gs + g &&
		     ws <= eof; ws += w) {
			ah->more[ah->nmore][0] = ws;
			ah->more[ah->nmore++][1] = ws + w < eof + 1 ? ws + w :
								      eof + 1;
			end = ah->more[ah->nmore - 1][1];
		}
		for (ws = gs; !full && fs->nfetchers && ws < start &&
		     ws < first; ws += w) {
			ah->more[ah->nmore][0] = ws;
			ah->more[ah->nmore++][1] = ws + w < first ? ws + w :
								    first;
		}
	}
	if (mark) {
		__atomic_store_n(&in->ahead_mark, mark, __ATOMIC_RELAXED);
		__atomic_store_n(&in->ahead_next, end, __ATOMIC_RELAXED);
	}
	if (mark || nmiss)	/* a miss starts again at one window */
		__atomic_store_n(&in->ahead_span, (uint32_t)span,
				 __ATOMIC_RELAXED);
}

/* Reads the frames of ah (after the reply) and unpins them; a failed
 * read frees them (cache_load_done), and their readers load them again. */
static void load_ahead(struct fs *fs, struct inode *in, struct ahead *ah)
{
	char *scratch = NULL;

	if (ah->taken < ah->n && !(scratch = malloc(fs->page_size))) {
		for (int i = 0; i < ah->n; i++)
			if (ah->fr[i])
				cache_load_done(fs->cache, ah->fr[i], -ENOMEM);
	} else {
		load_span(fs, in, ah->pgno, ah->fr, ah->n, scratch, true);
	}
	free(scratch);
}

/* A window for the fetch threads to take and read: pages [pgno, end) of
 * an inode held until then. */
struct fetch_job {
	struct fetch_job *next;
	struct inode *in;
	uint64_t pgno, end;
};

static void fetch_queue(struct fs *fs, struct inode *in, uint64_t pgno,
			uint64_t end)
{
	struct fetch_job *j = malloc(sizeof(*j));

	if (!j)
		return;		/* a window less */
	inode_hold(fs, in);
	j->next = NULL;
	j->in = in;
	j->pgno = pgno;
	j->end = end;
	pthread_mutex_lock(&fs->fetch_lock);
	*fs->fetch_tail = j;
	fs->fetch_tail = &j->next;
	pthread_cond_signal(&fs->fetch_cv);
	pthread_mutex_unlock(&fs->fetch_lock);
}

/* A fetch thread: takes the frames of the queued windows, one at a time,
 * oldest first, as take_ahead does, and reads them; nfetchers of them
 * side by side. */
static void *fetch_main(void *arg)
{
	struct fs *fs = arg;
	struct ahead *ah = malloc(sizeof(*ah));

	pthread_mutex_lock(&fs->fetch_lock);
	for (;;) {
		struct fetch_job *j = fs->fetch_head;

		if (fs->fetch_stop)
			break;		/* pager_stop gives up the rest */
		if (!j) {
			pthread_cond_wait(&fs->fetch_cv, &fs->fetch_lock);
			continue;
		}
		fs->fetch_head = j->next;
		if (!fs->fetch_head)
			fs->fetch_tail = &fs->fetch_head;
		pthread_mutex_unlock(&fs->fetch_lock);
		if (ah) {
			/* not past an end of file that moved back since */
			uint64_t npg = (inode_size(j->in) + fs->page_size -
					1) / fs->page_size;

			take_window(fs, j->in, j->pgno,
				    j->end < npg ? j->end : npg, ah);
			if (ah->taken)
				load_ahead(fs, j->in, ah);
		}
		inode_put(fs, j->in);
		free(j);
		pthread_mutex_lock(&fs->fetch_lock);
	}
	pthread_mutex_unlock(&fs->fetch_lock);
	free(ah);
	return NULL;
}

void pager_read_reply(struct fs *fs, fuse_req_t req, struct inode *in,
		      size_t len, uint64_t off)
{
	/* Rule 5: the pages are copied out and their frames unpinned before
	 * the reply.  Replying straight from a pinned frame saves a copy, but
	 * the client runs on as soon as the kernel has the bytes, while the
	 * worker may not have unpinned yet: the client's next fault then
	 * finds its victim pinned, the evictor takes another, and the pool no
	 * longer holds what the policy chose (measured: a FIFO loop over 80
	 * pages on 64 frames, one fault in 6,000 missing in 8 of 30 runs on a
	 * loaded machine). */
	char *buf = malloc(len ? len : 1);
	struct ahead *ah = NULL;
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (fs->o.fetch_ahead_kb > fs->page_size / 1024 &&
	    (ah = malloc(sizeof(*ah)))) {
		ah->n = ah->taken = ah->nmore = 0;
	}
	n = pager_read(fs, in, buf, len, off, ah);
	/* The pages read ahead are read after the reply, so the client does
	 * not wait for them; a READ that wants one meanwhile waits for its
	 * load (cache_get).  This thread holds nothing else then, and the
	 * inode a reference of its own (the file may be closed at once). */
	if (ah && (ah->n || ah->nmore))
		inode_hold(fs, in);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
	/* Its group's other windows go to the fetch threads, which read them
	 * side by side with this one. */
	for (int i = 0; ah && i < ah->nmore; i++)
		fetch_queue(fs, in, ah->more[i][0], ah->more[i][1]);
	if (ah && ah->n)
		load_ahead(fs, in, ah);
	if (ah && (ah->n || ah->nmore))
		inode_put(fs, in);
	free(ah);
}

ssize_t pager_read(struct fs *fs, struct inode *in, char *buf, size_t len,
		   uint64_t off, struct ahead *ah)
{
	uint64_t size = inode_size(in), ps = fs->page_size, pgno, last, eof;
	size_t done = 0;
	int slot, err = 0;

	FS_ADD(fs, reads, 1);
	IN_ADD(in, reads, 1);
	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	last = (off + len - 1) / ps;
	eof = (size - 1) / ps;
	slot = infl_begin(fs, in, off / ps, last);
	for (pgno = off / ps; pgno <= last;) {
		struct frame *fr[READ_BATCH];
		int n = 1, nmiss = 0, rc;

		/* Step 1: the first page, waiting for a frame if need be. */
		rc = page_get(fs, in, pgno, 0, &fr[0]);
		if (rc < 0) {
			err = rc;
			break;
		}
		/* Step 2: after a miss, the following missing pages too, so
		 * one store read fills them (never waiting: a request that
		 * holds frames must not wait for more).  Pages are taken in
		 * ascending order, so two requests never wait on each other's
		 * loads. */
		if (rc == 1) {
			nmiss = 1;
			while (n < READ_BATCH && pgno + (uint64_t)n <= last &&
			       n == nmiss) {
				rc = cache_get(fs->cache, in->id,
					       pgno + (uint64_t)n, 0, &fr[n]);
				if (rc < 0)
					break;
				nmiss += rc == 1;
				n++;
			}
			rc = load_run(fs, in, pgno, fr, nmiss);
			if (rc == 0 && ah && n == nmiss &&
			    pgno + (uint64_t)n > last)
				take_ahead(fs, in, off / ps, pgno, nmiss,
					   eof, ah);
			if (rc < 0) {
				for (int i = nmiss; i < n; i++)
					cache_unpin(fs->cache, fr[i]);
				err = rc;
				break;
			}
		}
		/* Step 3: copy out. */
		for (int i = 0; i < n; i++, pgno++) {
			uint64_t pos = off + done;
			size_t po = (size_t)(pos % ps), k = ps - po;

			if (k > len - done)
				k = len - done;
			memcpy(buf + done,
			       (char *)cache_frame_data(fs->cache, fr[i]) + po,
			       k);
			cache_unpin(fs->cache, fr[i]);
			if (i < nmiss) {
				FS_ADD(fs, frame_misses, 1);
				IN_ADD(in, frame_misses, 1);
			} else {
				FS_ADD(fs, frame_hits, 1);
				IN_ADD(in, frame_hits, 1);
			}
			pager_trace(fs, in, pgno, 'r', i >= nmiss);
			recent_add(fs, in->id, pgno);
			done += k;
		}
	}
	infl_end(fs, slot);
	/* Rule 3: a failure is an error, never a short count that the
	 * kernel would take for the end of the file. */
	if (err)
		return err;
	/* A READ that reached the mark of the last window read ahead starts
	 * the next one (take_ahead); it holds no frame now. */
	if (ah && !ah->n) {
		uint64_t mark = __atomic_load_n(&in->ahead_mark,
						__ATOMIC_RELAXED);
		uint64_t next = __atomic_load_n(&in->ahead_next,
						__ATOMIC_RELAXED);

		if (next && mark >= off / ps && mark <= last && next > last &&
		    next <= eof)
			take_ahead(fs, in, next, next, 0, eof, ah);
	}
	/* As in pager_read_reply: nothing past a truncate that ran
	 * meanwhile. */
	size = inode_size(in);
	if (off + done > size)
		done = off >= size ? 0 : (size_t)(size - off);
	FS_ADD(fs, read_bytes, done);
	return (ssize_t)done;
}

static void flush_kick(struct fs *fs)
{
	pthread_mutex_lock(&fs->wait_lock);
	fs->flush_kicked = true;
	pthread_cond_signal(&fs->flush_cv);
	pthread_mutex_unlock(&fs->wait_lock);
}

/* Before a write(): wakes the flusher above dirty_background %, and waits
 * (bounded) while dirty frames pass dirty_max % (back-pressure). */
static void throttle(struct fs *fs)
{
	uint32_t limit = (uint32_t)((uint64_t)fs->o.nframes *
				    fs->o.dirty_max_pct / 100);
	uint32_t nfree, ndirty;

	cache_counts(fs->cache, &nfree, &ndirty);
	if (ndirty > (uint64_t)fs->o.nframes * fs->o.dirty_background_pct /
	    100)
		flush_kick(fs);
	if (ndirty <= limit)
		return;
	FS_ADD(fs, write_throttles, 1);
	for (int i = 0; i < THROTTLE_MAX_ROUNDS && ndirty > limit; i++) {
		pthread_mutex_lock(&fs->wait_lock);
		fs->flush_waiters++;
		fs->flush_kicked = true;
		pthread_cond_signal(&fs->flush_cv);
		timed_wait(fs, &fs->flushed_cv, WAIT_SLICE_MS);
		fs->flush_waiters--;
		pthread_mutex_unlock(&fs->wait_lock);
		cache_counts(fs->cache, &nfree, &ndirty);
	}
}

/* Moves the size forward to end (never back). */
static void size_grow(struct inode *in, uint64_t end)
{
	uint64_t cur = inode_size(in);

	while (end > cur && !__atomic_compare_exchange_n(&in->size, &cur, end,
							 false, __ATOMIC_ACQ_REL,
							 __ATOMIC_ACQUIRE))
		;
}

ssize_t pager_write(struct fs *fs, struct inode *in, const char *buf,
		    size_t len, uint64_t off, bool writepage)
{
	uint64_t ps = fs->page_size, old;
	unsigned flags = writepage ? CACHE_WRITE : 0;
	size_t done = 0;
	int rc = 0, slot;

	FS_ADD(fs, writes, 1);
	if (writepage) {
		/* The kernel writing back a mapped page: it never extends
		 * the file, and it must not wait for trunc_lock (it may be
		 * what an eviction that a truncate waits for needs).  Bytes
		 * past the end are dropped. */
		FS_ADD(fs, writepages, 1);
		old = inode_size(in);
		if (off >= old)
			return (ssize_t)len;
		if (len > old - off)
			len = (size_t)(old - off);
	} else {
		throttle(fs);
		pthread_rwlock_rdlock(&in->trunc_lock);
		old = inode_size(in);
	}
	slot = len ? infl_begin(fs, in, off / ps, (off + len - 1) / ps) : -1;
	while (done < len) {
		uint64_t pos = off + done, pgno = pos / ps;
		size_t po = (size_t)(pos % ps), n = ps - po;
		struct frame *fr;

		if (n > len - done)
			n = len - done;
		rc = page_get(fs, in, pgno, flags, &fr);
		if (rc < 0)
			break;
		if (rc == 1) {
			/* A miss: the new bytes go in while the frame is still
			 * LOADING, so a concurrent read sees the old page or
			 * the new one, never zeros.  A whole page needs no
			 * load. */
			int err = n == ps ? 0 : page_load(fs, in, pgno, fr,
							  pgno * ps >= old);

			if (!err)
				memcpy((char *)cache_frame_data(fs->cache, fr) +
				       po, buf + done, n);
			cache_load_done(fs->cache, fr, err);
			if (err) {
				rc = err;
				break;
			}
			rc = 1;
		} else {
			PAGE_DATA_WRITE_BEGIN();
			memcpy((char *)cache_frame_data(fs->cache, fr) + po,
			       buf + done, n);
			PAGE_DATA_WRITE_END();
		}
		/* The size covers the bytes before the frame is dirty: a
		 * write-back clips at the size, and a frame it cleaned with
		 * the bytes cut off would lose them. */
		if (!writepage)
			size_grow(in, pos + n);
		cache_mark_dirty(fs->cache, fr);
		cache_unpin(fs->cache, fr);
		pager_trace(fs, in, pgno, 'w', rc == 0);
		done += n;
		rc = 0;
	}
	infl_end(fs, slot);
	if (!writepage)
		pthread_rwlock_unlock(&in->trunc_lock);
	FS_ADD(fs, write_bytes, done);
	return done ? (ssize_t)done : rc;
}

int pager_truncate(struct fs *fs, struct inode *in, uint64_t size)
{
	uint64_t ps = fs->page_size, old;
	struct frame *fr;
	int rc;

	rc = store_open(fs->store, in->obj, true);
	if (rc < 0)
		return rc;
	/* All three steps hold trunc_lock for writing, so no write() lands
	 * between cutting the size and dropping the frames (a CREATE with
	 * O_TRUNC that finds the file, or an OPEN with it from a kernel
	 * that sends one, reaches us without the kernel's inode lock), and
	 * no write-back runs.  Nothing here waits for an eviction:
	 * cache_drop_file dooms evicting frames instead. */
	pthread_rwlock_wrlock(&in->trunc_lock);
	/* Step 1: the size, then the store.  In that order: a read that
	 * loads from the cut store and then checks the size (pager_read)
	 * sees the new size. */
	old = inode_size(in);
	inode_set_size(in, size);
	rc = store_truncate(fs->store, in->obj, size);
	if (rc < 0)
		inode_set_size(in, old);
	if (rc < 0 || size >= old)
		goto out;
	/* Step 2: frames wholly past the end go, dirty or not. */
	cache_drop_file(fs->cache, in->id, (size + ps - 1) / ps);
	/* Step 3: the tail of the last page reads as zeros if the file grows
	 * again.  A clean frame matches the store, which is cut too. */
	if (size % ps) {
		fr = cache_lookup(fs->cache, in->id, size / ps, CACHE_WRITE);
		if (fr) {
			PAGE_DATA_WRITE_BEGIN();
			memset((char *)cache_frame_data(fs->cache, fr) +
			       size % ps, 0, ps - size % ps);
			PAGE_DATA_WRITE_END();
			cache_unpin(fs->cache, fr);
		}
	}
out:
	pthread_rwlock_unlock(&in->trunc_lock);
	return rc;
}

/* ---- holes and zeroed ranges ------------------------------------------ */

/*
 * fallocate's PUNCH_HOLE (always with KEEP_SIZE) and ZERO_RANGE (with or
 * without KEEP_SIZE), which the kernel forwards as they are.  Before the
 * request it writes its dirty pages from the start of the range to the end
 * of the file back to us (they are in frames now); after our reply it
 * drops its pages of the range and zeroes the range in the pages at its
 * edges (truncate_pagecache_range; both measured on Linux 6.18).  The
 * frames are made to agree with that and with the store:
 *
 * Step 1: the store.  If it fails, nothing else changes.
 * Step 2: ZERO_RANGE without KEEP_SIZE past the end moves the size there
 *         (the store, given the same mode, has moved its own).
 * Step 3: the pages wholly inside the range lose their frames, dirty or
 *         not: a dirty frame written back later would put the old bytes
 *         back into the hole.  A frame being evicted is doomed rather than
 *         waited for (cache_drop_range), and freed without a write-back.
 * Step 4: a resident page at an edge of the range, partly inside it, keeps
 *         its frame with the range zeroed in it: a dirty one stays dirty
 *         (its write-back stores the zeros too), a clean one matches the
 *         store after step 1.
 *
 * All four hold trunc_lock for writing, as pager_truncate does: no write()
 * and no write-back of this file runs meanwhile, so no frame of the range
 * is stored between steps 1 and 3, and none is under write-back when step
 * 3 looks.  A read that loaded a page of the range from the store before
 * step 1 has its frame dropped or zeroed after it (cache_drop_range and
 * cache_lookup wait for loads).  The kernel's write-back of a page mapped
 * and dirtied again meanwhile (writepage) takes no trunc_lock: it lands
 * before step 3, and goes with the hole as the kernel's page does, or after
 * it, as a write after the hole would on any file system.
 */

/* Zeroes bytes [from, to) of page pgno's frame, if resident. */
static void frame_zero(struct fs *fs, struct inode *in, uint64_t pgno,
		       size_t from, size_t to)
{
	struct frame *fr = cache_lookup(fs->cache, in->id, pgno, CACHE_WRITE);

	if (!fr)
		return;
	PAGE_DATA_WRITE_BEGIN();
	memset((char *)cache_frame_data(fs->cache, fr) + from, 0, to - from);
	PAGE_DATA_WRITE_END();
	cache_unpin(fs->cache, fr);
}

int pager_zero_range(struct fs *fs, struct inode *in, int mode, uint64_t off,
		     uint64_t len)
{
	uint64_t ps = fs->page_size, end = off + len;
	uint64_t head = off / ps, tail = end / ps;
	int rc;

	if ((mode & FALLOC_FL_PUNCH_HOLE) ?
	    mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) :
	    (mode & ~FALLOC_FL_KEEP_SIZE) != FALLOC_FL_ZERO_RANGE ||
	    !(store_caps(fs->store) & STORE_CAP_PUNCH))
		return -EOPNOTSUPP;
	if (len == 0 || end < off)
		return -EINVAL;
	rc = store_open(fs->store, in->obj, true);
	if (rc < 0)
		return rc;
	pthread_rwlock_wrlock(&in->trunc_lock);
	/* Step 1 */
	rc = store_fallocate(fs->store, in->obj, mode, off, len);
	if (rc < 0)
		goto out;
	/* Step 2 */
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > inode_size(in))
		inode_set_size(in, end);
	/* Step 3: pages [head, tail), head and tail rounded inwards. */
	if (head + (off % ps != 0) < tail)
		cache_drop_range(fs->cache, in->id, head + (off % ps != 0),
				 tail);
	/* Step 4: the first page if the range starts inside it, the last
	 * if the range ends inside it (the same page at most once). */
	if (off % ps)
		frame_zero(fs, in, head, (size_t)(off % ps),
			   tail == head ? (size_t)(end % ps) : (size_t)ps);
	if (end % ps && (tail != head || off % ps == 0))
		frame_zero(fs, in, tail, 0, (size_t)(end % ps));
out:
	pthread_rwlock_unlock(&in->trunc_lock);
	return rc;
}

/* ---- write-back ------------------------------------------------------- */

/* Writes frames fr[0..n) (contiguous pages) of in in one store call,
 * clipped at size, and ends their write-back; orc is store_open's answer
 * (an error fails the run without a store call).  *asked is set if the
 * store was asked (opened, and some frame lies before size). */
static int write_run(struct fs *fs, struct inode *in, int orc,
		     struct frame **fr, int n, uint64_t size, bool *asked)
{
	struct iovec iov[WB_BATCH];
	uint64_t ino, pgno, first, ps = fs->page_size;
	int cnt = 0, rc = 0;

	cache_frame_key(fs->cache, fr[0], &ino, &first);
	for (int i = 0; i < n; i++) {
		uint64_t start;

		cache_frame_key(fs->cache, fr[i], &ino, &pgno);
		start = pgno * ps;
		if (start >= size)
			break;
		iov[cnt].iov_base = cache_frame_data(fs->cache, fr[i]);
		iov[cnt].iov_len = (size_t)(size - start < ps ? size - start :
					    ps);
		cnt++;
	}
	if (cnt) {
		rc = orc < 0 ? orc : store_writev(fs->store, in->obj, iov, cnt,
						  first * ps);
		*asked = true;
	}
	for (int i = 0; i < n; i++)
		cache_writeback_done(fs->cache, fr[i], rc);
	return rc;
}

/* With try, returns -EBUSY instead of waiting for the file's locks. */
static int flush_file(struct fs *fs, struct inode *in, bool try)
{
	struct frame *fr[WB_BATCH];
	uint32_t batches;
	int err = 0, orc;
	bool tried = false;

	if (in->type != S_IFREG)
		return 0;
	if (!try) {
		pthread_mutex_lock(&in->flush_lock);
		pthread_rwlock_rdlock(&in->trunc_lock);
	} else if (pthread_mutex_trylock(&in->flush_lock)) {
		return -EBUSY;
	} else if (pthread_rwlock_tryrdlock(&in->trunc_lock)) {
		pthread_mutex_unlock(&in->flush_lock);
		return -EBUSY;
	}
	orc = store_open(fs->store, in->obj, true);
	/* Bounded: frames dirtied again while this runs wait for the next
	 * write-back, so a busy writer cannot keep an fsync here forever. */
	batches = cache_file_ndirty(fs->cache, in->id) / WB_BATCH + 2;
	while (batches-- > 0) {
		int n = cache_writeback_collect(fs->cache, in->id, fr,
						WB_BATCH);
		uint64_t size = inode_size(in);

		if (n == 0)
			break;
		for (int i = 0, j; i < n; i = j) {
			uint64_t ino, p0, p;
			int rc;

			cache_frame_key(fs->cache, fr[i], &ino, &p0);
			for (j = i + 1; j < n; j++) {
				cache_frame_key(fs->cache, fr[j], &ino, &p);
				if (p != p0 + (uint64_t)(j - i))
					break;
			}
			rc = write_run(fs, in, orc, fr + i, j - i, size,
				       &tried);
			if (rc && !err)
				err = rc;
		}
		if (err)
			break;
	}
	pthread_rwlock_unlock(&in->trunc_lock);
	pthread_mutex_unlock(&in->flush_lock);
	FS_ADD(fs, flushes, 1);
	if (err)
		FS_ADD(fs, flush_errors, 1);
	/* Only a write-back that asked the store (or failed to open it)
	 * says how the store is: a close of a clean file must not clear the
	 * error that requests waiting for frames are to report
	 * (frame_wait). */
	if (tried)
		__atomic_store_n(&fs->flush_err, err, __ATOMIC_RELAXED);
	return err;
}

int pager_flush_file(struct fs *fs, struct inode *in)
{
	return flush_file(fs, in, false);
}

struct idlist {
	uint64_t *ids;
	size_t n, cap;
};

static void collect_dirty(void *arg, struct inode *in)
{
	struct idlist *l = arg;

	(void)in;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint64_t *p = realloc(l->ids, cap * sizeof(*p));

		if (!p)
			return;
		l->ids = p;
		l->cap = cap;
	}
	l->ids[l->n++] = in->id;
}

/* Writes back every file with dirty frames; returns the first error and
 * counts in *left the frames still dirty. */
static int flush_all(struct fs *fs, uint32_t *left)
{
	struct idlist l = { 0 };
	uint32_t nfree, ndirty;
	int err = 0;

	inode_foreach(fs, collect_dirty, &l);
	for (size_t i = 0; i < l.n; i++) {
		struct inode *in;
		int rc;

		if (!cache_file_ndirty(fs->cache, l.ids[i]))
			continue;
		in = inode_get_id(fs, l.ids[i]);
		if (!in)
			continue;
		rc = pager_flush_file(fs, in);
		if (rc && !err)
			err = rc;
		inode_put(fs, in);
	}
	free(l.ids);
	cache_counts(fs->cache, &nfree, &ndirty);
	if (left)
		*left = ndirty;
	return err;
}

/* ---- the evictor ------------------------------------------------------ */

/* Rule 6: before an evictor frees its frame, the kernel copies of the
 * victims chosen before its own are gone.  Evictors run side by side; one
 * descheduled between choosing its victim and invalidating it let the
 * others free frames past it, and the client touched the page the policy
 * had evicted first as a kernel hit.  A victim a registered request covers
 * is skipped (its page is locked until the reply; rule 1 owes it). */
static void inval_earlier(struct fs *fs, int self)
{
	struct owed_inval due[FS_EVICTORS];
	int n = 0;

	pthread_mutex_lock(&fs->infl_lock);
	for (int i = 0; i < FS_EVICTORS; i++) {
		const struct victim *v = &fs->victims[i];

		if (i != self && v->used && !v->invalidated &&
		    v->seq < fs->victims[self].seq &&
		    !infl_covers(fs, v->id, v->pgno))
			due[n++] = (struct owed_inval){ v->id, v->pgno };
	}
	pthread_mutex_unlock(&fs->infl_lock);
	for (int i = 0; i < n; i++)
		inval_pages(fs, due[i].id, due[i].pgno, 1);
}

/* Records the victim of an evictor (rule 6): its slot, or -1 when every
 * slot is taken (an eviction outside the evictor threads). */
static int victim_add(struct fs *fs, uint64_t id, uint64_t pgno)
{
	int slot = -1;

	for (int i = 0; i < FS_EVICTORS; i++)
		if (!fs->victims[i].used) {
			fs->victims[i] = (struct victim){ .used = true,
				.seq = fs->victim_seq++, .id = id,
				.pgno = pgno };
			slot = i;
			break;
		}
	return slot;
}

/* Evicts one frame.  Returns 0 (freed, or the victim was used again and
 * stays), or the error of cache_evict_begin. */
static int evict_one(struct fs *fs)
{
	struct frame *fr;
	struct inode *in;
	uint64_t id, pgno;
	bool covered;
	int rc, tries = 0, slot;

	/* Rule 6 orders the victims as they were chosen, so choosing one and
	 * recording it (victim_add) are one step.  An evictor descheduled
	 * between the two left its victim unseen by the others'
	 * inval_earlier, and then recorded it after the victims chosen
	 * later, whose frames were freed meanwhile: the page stayed in the
	 * kernel, and the client's next touch of it did not fault (measured:
	 * fifo_loop_exact 2,999 of 3,000 in 7 runs of 264 under TSan, in all
	 * of 24 with a 3 ms pause put in that gap). */
	pthread_mutex_lock(&fs->choose_lock);
	rc = cache_evict_begin(fs->cache, &fr);
	if (rc < 0) {
		pthread_mutex_unlock(&fs->choose_lock);
		return rc;
	}
	cache_frame_key(fs->cache, fr, &id, &pgno);
	/* A page a registered request covers is locked in the kernel until
	 * that request's reply: owe its invalidation (rule 1). */
	pthread_mutex_lock(&fs->infl_lock);
	covered = infl_covers(fs, id, pgno);
	slot = victim_add(fs, id, pgno);
	pthread_mutex_unlock(&fs->infl_lock);
	pthread_mutex_unlock(&fs->choose_lock);
	in = inode_get_id(fs, id);
	if (in && !covered) {
		fuse_lowlevel_notify_inval_inode(fs->se, inode_nodeid(fs, in),
						 (off_t)(pgno * fs->page_size),
						 (off_t)fs->page_size);
		FS_ADD(fs, inval_calls, 1);
	}
	if (slot >= 0) {
		pthread_mutex_lock(&fs->infl_lock);
		fs->victims[slot].invalidated = true;
		pthread_mutex_unlock(&fs->infl_lock);
		inval_earlier(fs, slot);
	}
	for (;;) {
		rc = cache_evict_end(fs->cache, fr);
		if (rc != -EAGAIN)
			break;
		/* Dirtied by the kernel's write-back during invalidation.
		 * A truncate may hold the file (and wait for this frame):
		 * then give the eviction up rather than wait. */
		if (!in || tries++ > 2 || flush_file(fs, in, true) < 0) {
			cache_evict_cancel(fs->cache, fr);
			break;
		}
	}
	if (rc == 0 && covered && in)
		owe_inval(fs, id, pgno);
	if (slot >= 0) {
		pthread_mutex_lock(&fs->infl_lock);
		fs->victims[slot].used = false;
		pthread_mutex_unlock(&fs->infl_lock);
	}
	if (in)
		inode_put(fs, in);
	return rc == -EAGAIN ? -EAGAIN : 0;
}

/* Evicts until high_free frames are free and nobody waits (or, for drop,
 * until nothing clean is left). */
static void evict_round(struct fs *fs, bool drop)
{
	uint32_t nfree, ndirty, stuck = 0, freed = 0;

	for (;;) {
		uint32_t waiters;
		int rc;

		pthread_mutex_lock(&fs->wait_lock);
		waiters = fs->frame_waiters;
		if (fs->stopping) {
			pthread_mutex_unlock(&fs->wait_lock);
			return;
		}
		pthread_mutex_unlock(&fs->wait_lock);
		cache_counts(fs->cache, &nfree, &ndirty);
		/* Enough free: stop, even with waiters, who only have to
		 * wake up and take them.  Evicting on "while anyone waits"
		 * emptied the pool before a slow-to-run waiter got there. */
		if (!drop && nfree >= fs->high_free) {
			if (waiters) {
				pthread_mutex_lock(&fs->wait_lock);
				pthread_cond_broadcast(&fs->freed_cv);
				pthread_mutex_unlock(&fs->wait_lock);
			}
			return;
		}
		rc = evict_one(fs);
		if (rc == 0) {
			stuck = 0;
			if (++freed % 8 == 0) {
				pthread_mutex_lock(&fs->wait_lock);
				pthread_cond_broadcast(&fs->freed_cv);
				pthread_mutex_unlock(&fs->wait_lock);
			}
			continue;
		}
		if (rc == -ENOENT)
			return;
		if (drop) {
			/* Frames other evictors are evicting (or pinned for a
			 * moment): wait for them, so that a drop ends with
			 * every clean page out of the kernel too.  Returning
			 * at once let a client that ran next hit a page an
			 * evictor had not yet invalidated (two faults short in
			 * a FIFO loop under TSan). */
			if (rc == -EBUSY && ++stuck <= 1000) {
				usleep(1000);
				continue;
			}
			return;
		}
		if (++stuck > 3)
			return;
		if (rc == -EAGAIN) {
			/* Only dirty victims: have the flusher clean some. */
			pthread_mutex_lock(&fs->wait_lock);
			fs->want_clean = true;
			fs->flush_kicked = true;
			pthread_cond_signal(&fs->flush_cv);
			timed_wait(fs, &fs->flushed_cv, WAIT_SLICE_MS);
			pthread_mutex_unlock(&fs->wait_lock);
		} else {
			usleep(1000);	/* -EBUSY: all pinned or loading */
		}
	}
}

static void *evictor_main(void *arg)
{
	struct evictor_arg *ea = arg;
	struct fs *fs = ea->fs;

	pthread_mutex_lock(&fs->wait_lock);
	while (!fs->stopping) {
		uint64_t drop = fs->drop_req;
		bool want = ea->idx == 0 && drop != fs->drop_done;
		uint32_t nfree, ndirty;

		pthread_mutex_unlock(&fs->wait_lock);
		pay_owed(fs);
		cache_counts(fs->cache, &nfree, &ndirty);
		if (want || nfree < fs->low_free)
			evict_round(fs, false);
		if (want)
			evict_round(fs, true);
		cache_counts(fs->cache, &nfree, &ndirty);
		pthread_mutex_lock(&fs->wait_lock);
		if (fs->frame_waiters && !want && nfree < fs->high_free) {
			/* Waiters remain: run again right away. */
			pthread_mutex_unlock(&fs->wait_lock);
			evict_round(fs, false);
			cache_counts(fs->cache, &nfree, &ndirty);
			pthread_mutex_lock(&fs->wait_lock);
		}
		if (want)
			fs->drop_done = drop;
		pthread_cond_broadcast(&fs->freed_cv);
		if (!fs->stopping && !fs->evict_kicked &&
		    (!fs->frame_waiters || nfree >= fs->high_free) &&
		    (ea->idx != 0 || fs->drop_req == fs->drop_done))
			timed_wait(fs, &fs->evict_cv, 100);
		fs->evict_kicked = false;
	}
	pthread_cond_broadcast(&fs->freed_cv);
	pthread_mutex_unlock(&fs->wait_lock);
	return NULL;
}

/* ---- the flusher ------------------------------------------------------ */

/* One round of threshold / age / want_clean write-back.  Returns 0 or the
 * first error. */
static int flush_round(struct fs *fs, bool want_clean)
{
	uint32_t bg = (uint32_t)((uint64_t)fs->o.nframes *
				 fs->o.dirty_background_pct / 100);
	uint32_t nfree, ndirty, files = 0;
	int err = 0;

	for (;;) {
		uint64_t id, dirtied_ms;
		struct inode *in;

		if (cache_dirty_oldest(fs->cache, &id, &dirtied_ms) < 0)
			break;
		cache_counts(fs->cache, &nfree, &ndirty);
		if (!(want_clean && files == 0) && ndirty <= bg &&
		    now_ms(CLOCK_MONOTONIC) - dirtied_ms <
		    fs->o.dirty_expire_ms)
			break;
		in = inode_get_id(fs, id);
		if (!in)
			break;
		err = pager_flush_file(fs, in);
		inode_put(fs, in);
		files++;
		/* A file that cannot be written back (changed on the
		 * server, too large for the store) goes behind the others:
		 * kept at the head, it held back every other file's
		 * write-back until an fsync, a close or the unmount. */
		if (err)
			cache_dirty_later(fs->cache, id);
		if (err || files > 1024)
			break;
	}
	return err;
}

static void *flusher_main(void *arg)
{
	struct fs *fs = arg;
	uint32_t backoff_ms = 0, period;

	period = fs->o.dirty_expire_ms / 4;
	if (period > 100 || period == 0)
		period = 100;
	pthread_mutex_lock(&fs->wait_lock);
	while (!fs->stopping) {
		bool want_clean = fs->want_clean;
		int err;

		fs->want_clean = false;
		fs->flush_kicked = false;
		pthread_mutex_unlock(&fs->wait_lock);
		err = flush_round(fs, want_clean);
		pthread_mutex_lock(&fs->wait_lock);
		pthread_cond_broadcast(&fs->flushed_cv);
		/* Frames it cleaned can be evicted now: by the requests
		 * that wait, with reclaim=direct.  Not after a failed
		 * round: woken, they would kick it again at once, and a
		 * failing store would be asked without pause. */
		if (fs->frame_waiters && fs->o.reclaim_direct && !err)
			pthread_cond_broadcast(&fs->freed_cv);
		if (err)
			backoff_ms = backoff_ms ? backoff_ms * 2 : 100;
		else
			backoff_ms = 0;
		if (backoff_ms > 5000)
			backoff_ms = 5000;
		if (err) {
			/* A failing store: the backoff is waited out, kicked
			 * or not.  The evictors and the requests that wait
			 * for a frame kick again as soon as a round fails, and
			 * the store was asked without pause, the daemon at
			 * 100 % of a CPU (fsync and sync write back in their
			 * own thread, not here). */
			uint64_t from = now_ms(CLOCK_MONOTONIC), t, until;

			/* Twice a second while requests wait for a frame or
			 * writers are held back: they go on soon after the
			 * store is back, and a READ that waits is not failed
			 * (FRAME_WAIT_ERR_MS) on an error the store no longer
			 * has.  They signal flush_cv once counted, so this
			 * looks again. */
			while (!fs->stopping &&
			       (t = now_ms(CLOCK_MONOTONIC)) <
			       (until = from + ((fs->frame_waiters ||
						 fs->flush_waiters) &&
						backoff_ms > FLUSH_WAITED_MS ?
						FLUSH_WAITED_MS : backoff_ms)))
				timed_wait(fs, &fs->flush_cv,
					   (uint32_t)(until - t));
		} else if (!fs->stopping && !fs->want_clean &&
			   !fs->flush_kicked) {
			timed_wait(fs, &fs->flush_cv, period);
		}
	}
	pthread_cond_broadcast(&fs->flushed_cv);
	pthread_mutex_unlock(&fs->wait_lock);
	return NULL;
}

/* ---- the reference scanner -------------------------------------------- */

struct scan {
	uint32_t from, max, n, cap;
	uint64_t *ino, *pgno;
	uint32_t last;
};

static void scan_collect(void *arg, uint32_t fno, uint64_t ino, uint64_t pgno,
			 enum frame_state s)
{
	struct scan *sc = arg;

	(void)s;
	if (fno < sc->from || sc->n == sc->max)
		return;
	sc->ino[sc->n] = ino;
	sc->pgno[sc->n] = pgno;
	sc->last = fno;
	sc->n++;
}

/* Invalidates the kernel's copy of refscan pages per second, sweeping the
 * pool in frame order, so that re-used pages fault and the policy sees the
 * reference (DESIGN.md "References the OS cannot see"). */
static void *scanner_main(void *arg)
{
	struct fs *fs = arg;
	uint32_t cursor = 0, carry = 0;
	struct scan sc = { 0 };

	pthread_mutex_lock(&fs->wait_lock);
	while (!fs->stopping) {
		uint32_t rate = __atomic_load_n(&fs->refscan, __ATOMIC_RELAXED);
		/* Fast rates tick 100 times a second, so that even a short
		 * run is sampled; slow ones (and idle) 10 times.  Each tick
		 * walks the pool under the cache lock, so ticks stay rare
		 * unless they have pages to do. */
		uint32_t ticks = rate >= 1000 ? 100 : 10, budget;

		timed_wait(fs, &fs->scan_cv, 1000 / ticks);
		if (fs->stopping || rate == 0)
			continue;
		carry += rate;
		budget = carry / ticks;
		carry %= ticks;
		if (budget == 0)	/* nothing this tick: the cursor stays */
			continue;
		pthread_mutex_unlock(&fs->wait_lock);
		if (budget > 65536)
			budget = 65536;
		if (budget > sc.cap) {
			free(sc.ino);
			free(sc.pgno);
			sc.ino = malloc(budget * sizeof(*sc.ino));
			sc.pgno = malloc(budget * sizeof(*sc.pgno));
			sc.cap = sc.ino && sc.pgno ? budget : 0;
		}
		sc.n = 0;
		sc.from = cursor;
		sc.max = budget < sc.cap ? budget : sc.cap;
		cache_foreach_frame(fs->cache, scan_collect, &sc);
		cursor = sc.n < budget ? 0 : sc.last + 1;
		for (uint32_t i = 0; i < sc.n; i++) {
			struct inode *in;
			bool covered;

			/* A page a READ is bringing in, or brought in just
			 * now: dropping it before its fault has mapped it
			 * would make the fault read it again (one fault, two
			 * READs).  A later sweep samples it. */
			pthread_mutex_lock(&fs->infl_lock);
			covered = infl_covers(fs, sc.ino[i], sc.pgno[i]) ||
				  recent_has(fs, sc.ino[i], sc.pgno[i],
					     now_ns(CLOCK_MONOTONIC));
			pthread_mutex_unlock(&fs->infl_lock);
			if (covered)
				continue;
			in = inode_get_id(fs, sc.ino[i]);
			if (!in)
				continue;
			fuse_lowlevel_notify_inval_inode(fs->se,
				inode_nodeid(fs, in),
				(off_t)(sc.pgno[i] * fs->page_size),
				(off_t)fs->page_size);
			FS_ADD(fs, refscan_invalidations, 1);
			FS_ADD(fs, inval_calls, 1);
			inode_put(fs, in);
		}
		pthread_mutex_lock(&fs->wait_lock);
	}
	pthread_mutex_unlock(&fs->wait_lock);
	free(sc.ino);
	free(sc.pgno);
	return NULL;
}

/* ---- start, stop, requests from the control file ---------------------- */

/* Stops and joins the first n evictors and, if started, the others. */
static void stop_threads(struct fs *fs, int nev, bool flusher, bool scanner)
{
	pthread_mutex_lock(&fs->wait_lock);
	fs->stopping = true;
	pthread_cond_broadcast(&fs->evict_cv);
	pthread_cond_broadcast(&fs->flush_cv);
	pthread_cond_broadcast(&fs->scan_cv);
	pthread_mutex_unlock(&fs->wait_lock);
	if (scanner)
		pthread_join(fs->scanner, NULL);
	for (int i = 0; i < nev; i++)
		pthread_join(fs->evictor[i], NULL);
	if (flusher)
		pthread_join(fs->flusher, NULL);
}

int pager_start(struct fs *fs)
{
	int rc = 0, nev;

	fs->high_free = fs->o.nframes / 32 + 4;
	if (fs->high_free > 1024)
		fs->high_free = 1024;
	fs->low_free = fs->high_free / 2;
	if (fs->o.reclaim_direct)
		fs->high_free = fs->low_free = 0;	/* see page_get() */
	__atomic_store_n(&fs->refscan, fs->o.refscan, __ATOMIC_RELAXED);
	/* One slot per worker a request can be on, and some to spare. */
	pthread_mutex_init(&fs->infl_lock, NULL);
	pthread_mutex_init(&fs->choose_lock, NULL);
	fs->ninfl = fs->o.max_threads + 8;
	fs->infl = calloc(fs->ninfl, sizeof(*fs->infl));
	if (!fs->infl)
		return -ENOMEM;
	for (nev = 0; nev < FS_EVICTORS && !rc; nev++) {
		fs->evargs[nev].fs = fs;
		fs->evargs[nev].idx = nev;
		rc = pthread_create(&fs->evictor[nev], NULL, evictor_main,
				    &fs->evargs[nev]);
	}
	if (rc) {
		stop_threads(fs, nev - 1, false, false);
		return -rc;
	}
	rc = pthread_create(&fs->flusher, NULL, flusher_main, fs);
	if (rc) {
		stop_threads(fs, nev, false, false);
		return -rc;
	}
	rc = pthread_create(&fs->scanner, NULL, scanner_main, fs);
	if (rc) {
		stop_threads(fs, nev, true, false);
		return -rc;
	}
	/* fetch_streams: the miss's own window is read by its worker after
	 * the reply, the others by these threads. */
	pthread_mutex_init(&fs->fetch_lock, NULL);
	pthread_cond_init(&fs->fetch_cv, NULL);
	fs->fetch_head = NULL;
	fs->fetch_tail = &fs->fetch_head;
	fs->fetch_stop = false;
	fs->nfetchers = 0;
	fs->threads_started = true;
	if (fs->o.fetch_ahead_kb <= fs->page_size / 1024)
		return 0;
	while (fs->nfetchers + 1 < fs->o.fetch_streams &&
	       fs->nfetchers + 1 < FS_FETCH_STREAMS_MAX) {
		rc = pthread_create(&fs->fetcher[fs->nfetchers], NULL,
				    fetch_main, fs);
		if (rc) {
			pager_stop(fs);
			return -rc;
		}
		fs->nfetchers++;
	}
	return 0;
}

/* Stops the fetch threads; the windows still queued are given up. */
static void fetch_stop(struct fs *fs)
{
	struct fetch_job *j;

	pthread_mutex_lock(&fs->fetch_lock);
	fs->fetch_stop = true;
	pthread_cond_broadcast(&fs->fetch_cv);
	pthread_mutex_unlock(&fs->fetch_lock);
	for (uint32_t i = 0; i < fs->nfetchers; i++)
		pthread_join(fs->fetcher[i], NULL);
	fs->nfetchers = 0;
	while ((j = fs->fetch_head)) {
		fs->fetch_head = j->next;
		inode_put(fs, j->in);
		free(j);
	}
	fs->fetch_tail = &fs->fetch_head;
}

void pager_stop(struct fs *fs)
{
	if (fs->threads_started) {
		fetch_stop(fs);
		stop_threads(fs, FS_EVICTORS, true, true);
	}
	fs->threads_started = false;
	free(fs->infl);
	free(fs->owed);
	fs->infl = NULL;
	fs->owed = NULL;
	fs->ninfl = 0;
	fs->nowed = fs->owed_cap = 0;
}

int pager_drop_all(struct fs *fs)
{
	uint64_t req;

	pthread_mutex_lock(&fs->wait_lock);
	req = ++fs->drop_req;
	pthread_cond_broadcast(&fs->evict_cv);	/* evictor 0 serves it */
	while (fs->drop_done < req && !fs->stopping)
		timed_wait(fs, &fs->freed_cv, 100);
	pthread_mutex_unlock(&fs->wait_lock);
	return 0;
}

int pager_sync_all(struct fs *fs)
{
	uint32_t left;

	/* The caller's thread writes: an explicit sync should not queue
	 * behind the flusher's backoff. */
	return flush_all(fs, &left);
}

uint32_t pager_final_flush(struct fs *fs)
{
	uint32_t left = 0;

	for (int attempt = 0; attempt < 5; attempt++) {
		int err = flush_all(fs, &left);

		if (!err || !left)
			break;
		fprintf(stderr, "framefs: write-back: %s; %u dirty frames, "
			"retrying\n", strerror(-err), left);
		usleep(200000u * (unsigned)(attempt + 1));
	}
	return left;
}

/* ---- what the unmount could not write ----------------------------------- */

/* mkdir -p of the directories above path (path itself is a file). */
static int make_parents(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			int err = -errno;

			*p = '/';
			return err;
		}
		*p = '/';
	}
	return 0;
}

struct save_arg {
	struct fs *fs;
	const char *dir;
	uint32_t saved;
	int err;
};

/* Saves the dirty frames of one file (called under itab_lock, once the
 * session is over: no other thread runs). */
static void save_file(void *arg, struct inode *in)
{
	struct save_arg *a = arg;
	struct fs *fs = a->fs;
	uint64_t ps = fs->page_size, size = inode_size(in);
	char rel[PATH_MAX], path[PATH_MAX + 128];
	struct frame *fr[64];
	int fd, n, rc;

	if (!cache_file_ndirty(fs->cache, in->id))
		return;
	rc = store_path(fs->store, in->obj, rel, sizeof(rel));
	if (rc < 0)
		snprintf(rel, sizeof(rel), "/.unnamed-%llu",
			 (unsigned long long)in->id);
	snprintf(path, sizeof(path), "%s%s", a->dir, rel);
	rc = make_parents(path);
	fd = rc < 0 ? rc : open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (!a->err)
			a->err = rc < 0 ? rc : -errno;
		return;
	}
	if (ftruncate(fd, (off_t)size) < 0 && !a->err)
		a->err = -errno;
	/* Each collected frame is done: 0 when saved (it is no longer the
	 * daemon's to write), the error otherwise; a failed frame stops the
	 * file, so that collecting does not find it again. */
	while ((n = cache_writeback_collect(fs->cache, in->id, fr, 64)) > 0) {
		int err = 0;

		for (int i = 0; i < n; i++) {
			uint64_t ino, pgno, len;

			cache_frame_key(fs->cache, fr[i], &ino, &pgno);
			len = pgno * ps >= size ? 0 :
			      size - pgno * ps < ps ? size - pgno * ps : ps;
			if (!err && len &&
			    pwrite(fd, cache_frame_data(fs->cache, fr[i]), len,
				   (off_t)(pgno * ps)) != (ssize_t)len)
				err = errno ? -errno : -EIO;
			if (!err)
				a->saved++;
			cache_writeback_done(fs->cache, fr[i], err);
		}
		if (err) {
			if (!a->err)
				a->err = err;
			break;
		}
	}
	if (fsync(fd) < 0 && !a->err)
		a->err = -errno;
	close(fd);
}

uint32_t pager_save_unwritten(struct fs *fs, const char *dir, int *err)
{
	struct save_arg a = { .fs = fs, .dir = dir };

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		*err = -errno;
		return 0;
	}
	inode_foreach(fs, save_file, &a);
	*err = a.err;
	return a.saved;
}

/* ---- close-to-open ------------------------------------------------------ */

bool pager_revalidate(struct fs *fs, struct inode *in, uint64_t size)
{
	bool dropped = false;

	/* trunc_lock for writing: no write() or write-back of the file runs
	 * while its frames go and its size changes. */
	pthread_rwlock_wrlock(&in->trunc_lock);
	if (!cache_file_ndirty(fs->cache, in->id)) {
		cache_drop_file(fs->cache, in->id, 0);
		inode_set_size(in, size);
		dropped = true;
	}
	pthread_rwlock_unlock(&in->trunc_lock);
	return dropped;
}
