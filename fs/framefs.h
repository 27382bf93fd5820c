/* framefs.h - the daemon's shared state: mount options, inodes, counters,
 * and the calls between its modules.
 *
 *   inode.c   store objects as inodes (identity, refcounts)
 *   pager.c   file data through cache/ frames; evictor, flusher, refscan
 *   ctl.c     MOUNT/.framefs/{stats,frames,files,control}
 *   ops.c     the FUSE low-level operations
 *   main.c    options, mount, the session loop, the final flush
 *
 * Lock order (outer first): fs->ctl_cmd_lock, inode->trunc_lock,
 * inode->flush_lock,
 * fs->itab_lock, fs->choose_lock, cache->lock (inside cache/), fs->wait_lock,
 * fs->trace_lock.
 * Two leaves, under which nothing else is taken: fs->infl_lock and
 * fs->ctl_lock.  The store's own locks (store_dir.c's io_lock, the hdd
 * model's arm) are taken only inside store calls, which take no lock of
 * the daemon: they are leaves too, below all of the above.
 * No lock is held across a fuse_lowlevel_notify_* call or a fuse_reply_*.
 */
#ifndef FRAMEFS_FS_H
#define FRAMEFS_FS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cache.h"
#include "store.h"
#include "trace.h"

/* Node ids of the control directory; inode nodeids are pointers, which are
 * never this small. */
enum {
	CTL_DIR = 2, CTL_STATS, CTL_FRAMES, CTL_FILES, CTL_CONTROL, CTL__END,
};
#define CTL_DIRNAME ".framefs"

/* Evictor threads.  An invalidation can wait for a kernel page lock held
 * by a request that itself waits for a free frame (a write() locks its
 * pages while the WRITE is served); with several evictors, one stuck that
 * way does not stop the others from freeing the frame that request needs. */
#define FS_EVICTORS 4
#define FS_RECENT 16		/* pages READ lately that refscan spares */
#define FS_RECENT_NS (20 * 1000000ull)	/* for this long */

/* A READ or WRITE in flight that covers more than one page (pager.c).  The
 * kernel holds those pages locked until the reply, so the kernel copy of
 * any of them cannot be invalidated before then (DESIGN.md, "Protocols"). */
struct inflight {
	bool used;			/* infl_lock */
	uint64_t id;			/* inode key */
	uint64_t first, last;		/* pages covered, inclusive */
};

/* A victim an evictor has chosen and not yet freed (pager.c, rule 6):
 * evictors free frames in the order they chose victims, as far as the
 * kernel's copies go. */
struct victim {
	bool used;			/* infl_lock */
	bool invalidated;		/* its kernel copy is gone */
	uint64_t seq;			/* order of choice */
	uint64_t id, pgno;
};

/* A page whose frame was freed while the kernel held the page locked: its
 * kernel copy is invalidated once no request in flight covers it. */
struct owed_inval {
	uint64_t id, pgno;
};

struct inode {
	uint64_t id;			/* cache key; never reused */
	struct store_obj *obj;		/* the store's handle; released with
					 * the inode */
	dev_t dev;			/* identity: st_dev, st_ino of the */
	ino_t bino;			/* store's stat */
	mode_t type;			/* S_IFMT bits */
	uint64_t nlookup;		/* kernel's references; itab_lock */
	uint64_t refs;			/* daemon's references; itab_lock */
	bool dying;			/* one thread is freeing it; itab_lock */
	uint64_t size;			/* authoritative size (frames may be
					 * ahead of the store); atomic */
	pthread_rwlock_t trunc_lock;	/* write: truncate; read: write-back,
					 * write() */
	pthread_mutex_t flush_lock;	/* one write-back of this file at a
					 * time, so fsync waits for all */
	uint64_t reads, frame_hits, frame_misses;	/* atomic */
	uint64_t ahead_mark, ahead_next;	/* fetch_ahead's last window:
						 * its mark and the page after
						 * it; atomic */
	uint32_t ahead_span;		/* its pages; atomic */
	struct inode *next_key;		/* itab chains; itab_lock */
	struct inode *next_id;
};

#define FS_FETCH_STREAMS_MAX	16	/* fetch_streams=N at most */

struct fs_opts {
	uint32_t nframes;
	const char *policy;
	uint32_t readahead_kb;
	uint32_t fetch_ahead_kb;	/* a miss's store read covers this much
					 * from it, into free frames (0: off) */
	uint32_t fetch_streams;		/* windows a miss fetches, side by
					 * side (1: its own) */
	uint32_t refscan;		/* pages per second, 0 = off */
	uint32_t dirty_background_pct;
	uint32_t dirty_max_pct;
	uint32_t dirty_expire_ms;
	enum store_latency_kind lat_kind;
	uint32_t lat_usec;
	const char *trace_path;
	uint32_t max_threads;
	bool clone_fd;			/* one /dev/fuse fd per worker */
	bool reclaim_direct;		/* reclaim=direct: a miss with no
					 * free frame evicts one itself */
	const char *netrc;		/* netrc=FILE: http credentials */
	const char *cacert;		/* cacert=FILE: CAs to trust, PEM */
	const char *credentials;	/* credentials=FILE: S3's (the AWS
					 * shared-credentials format) */
	const char *s3_endpoint;	/* s3_endpoint=URL, or NULL */
	const char *s3_region;		/* s3_region=NAME, or NULL */
	bool s3_virtual;		/* s3_addressing=virtual */
	uint32_t s3_part_mib;		/* s3_part_size=MIB, or 0: 8 */
	uint32_t http_retries;		/* tries after a failed first */
	bool readonly;			/* -o ro (the last of ro and rw): no
					 * request that writes, the probe's
					 * included */
};

/* fs counters, all atomic, monotonic; names are the .framefs/stats names */
struct fs_counters {
	uint64_t reads;			/* READ requests */
	uint64_t read_bytes;
	uint64_t frame_hits;		/* pages READ found in a frame */
	uint64_t frame_misses;		/* pages READ loaded from the store */
	uint64_t writes;		/* WRITE requests */
	uint64_t write_bytes;
	uint64_t writepages;		/* of those, kernel write-back (mmap) */
	uint64_t write_throttles;	/* writers that waited for dirty_max */
	uint64_t frame_waits;		/* requests that waited for a frame */
	uint64_t frame_steals;		/* frames a waiting request freed
					 * itself (invalidation deferred) */
	uint64_t inval_deferred;	/* evictions whose invalidation waited
					 * for the requests covering the page */
	uint64_t inval_calls;		/* notify_inval_inode calls */
	uint64_t refscan_invalidations;
	uint64_t flushes;		/* file write-backs run */
	uint64_t flush_errors;
	uint64_t fsyncs;
};

struct fs {
	struct fs_opts o;
	struct cache *cache;
	struct store *store;		/* the outermost of the chain:
					 * fault -> latency -> dir */
	struct fuse_session *se;
	uint32_t page_size;
	char *backing;			/* realpath of the backing dir, for
					 * messages and mount checks */
	struct inode root;

	pthread_mutex_t itab_lock;
	struct inode **by_key;		/* (dev, ino) -> inode */
	struct inode **by_id;		/* id -> inode */
	uint32_t itab_mask;
	uint32_t ninodes;
	uint64_t next_id;

	struct fs_counters n;
	struct fs_counters base;	/* "reset" subtracts this */

	/* Evictor / flusher / refscan threads. */
	pthread_mutex_t wait_lock;
	pthread_cond_t evict_cv;	/* wakes the evictor */
	pthread_cond_t freed_cv;	/* evictor freed frames / gave up */
	pthread_cond_t flush_cv;	/* wakes the flusher */
	pthread_cond_t flushed_cv;	/* flusher finished a round */
	pthread_cond_t scan_cv;		/* wakes the scanner (stop) */
	uint32_t frame_waiters;		/* under wait_lock */
	uint32_t flush_waiters;		/* under wait_lock: writers held
					 * back (throttle) */
	uint32_t low_free, high_free;	/* evictor watermarks (0 with
					 * reclaim=direct) */
	uint32_t direct_reclaimers;	/* requests evicting now; atomic */
	bool want_clean;		/* evictor found only dirty victims */
	bool evict_kicked, flush_kicked;	/* work since the thread last
						 * looked; under wait_lock */
	uint64_t drop_req, drop_done;	/* "drop" requests; under wait_lock */
	int flush_err;			/* last write-back error or 0; atomic */
	uint32_t refscan;		/* pages/s; atomic */
	bool stopping;			/* under wait_lock */
	pthread_t evictor[FS_EVICTORS], flusher, scanner;
	/* fetch_streams: threads that read the windows after a miss's own
	 * (pager.c, struct fetch_job), a queue under fetch_lock. */
	pthread_mutex_t fetch_lock;
	pthread_cond_t fetch_cv;
	struct fetch_job *fetch_head, **fetch_tail;
	bool fetch_stop;		/* under fetch_lock */
	uint32_t nfetchers;
	pthread_t fetcher[FS_FETCH_STREAMS_MAX - 1];
	struct evictor_arg {
		struct fs *fs;
		int idx;		/* 0 also serves "drop" */
	} evargs[FS_EVICTORS];
	bool threads_started;

	/* Requests in flight and invalidations owed (pager.c). */
	pthread_mutex_t choose_lock;	/* evict_one: a victim chosen and
					 * recorded (victim_add) as one step */
	pthread_mutex_t infl_lock;
	struct inflight *infl;		/* ninfl slots; infl_lock */
	uint32_t ninfl;
	struct owed_inval *owed;	/* nowed of owed_cap; infl_lock */
	size_t nowed, owed_cap;
	struct victim victims[FS_EVICTORS];	/* being evicted; infl_lock */
	uint64_t victim_seq;		/* infl_lock */
	struct {
		uint64_t id, pgno, t_ns;
	} recent[FS_RECENT];		/* pages READ lately, for refscan;
					 * infl_lock */
	uint32_t recent_next;		/* infl_lock */

	/* .framefs/control (ctl.c).  Commands run one at a time, so that
	 * policy_spec is the policy the last switch left; a reader of stats
	 * or control takes only the leaf, never waiting for a drop or
	 * sync. */
	pthread_mutex_t ctl_cmd_lock;	/* held across one command */
	pthread_mutex_t ctl_lock;	/* a leaf: guards the two below */
	char ctl_last[320];		/* "CMD: ok" or "CMD: why" of the last
					 * command; "" before the first */
	char policy_spec[160];		/* the policy running, with every
					 * parameter ("clock:bits=2") */
	char *trace_real;		/* realpath of trace=FILE, or NULL */

	struct trace_writer *trace;	/* trace=FILE, under trace_lock */
	pthread_mutex_t trace_lock;
	uint64_t t0_ns;
};

/* Page data is read while another thread writes it (a READ reply or a
 * write-back copying a page that a WRITE is changing), as in any page
 * cache: a torn copy is what concurrent read and write give, and a frame
 * written during write-back is written back again (REDIRTY).  ThreadSanitizer
 * is told to ignore the writers' stores to page data, and nothing else. */
#ifdef __SANITIZE_THREAD__
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define PAGE_DATA_WRITE_BEGIN() AnnotateIgnoreWritesBegin(__FILE__, __LINE__)
#define PAGE_DATA_WRITE_END() AnnotateIgnoreWritesEnd(__FILE__, __LINE__)
#else
#define PAGE_DATA_WRITE_BEGIN() ((void)0)
#define PAGE_DATA_WRITE_END() ((void)0)
#endif

#define FS_ADD(fs, f, v) __atomic_add_fetch(&(fs)->n.f, (v), __ATOMIC_RELAXED)
#define IN_ADD(in, f, v) __atomic_add_fetch(&(in)->f, (v), __ATOMIC_RELAXED)

/* inode.c */
int itab_init(struct fs *fs);
void itab_release(struct fs *fs);
/* The inode for nodeid (the root for FUSE_ROOT_ID); no reference taken:
 * the kernel holds one for as long as it sends requests for nodeid. */
struct inode *inode_of(struct fs *fs, fuse_ino_t nodeid);
fuse_ino_t inode_nodeid(struct fs *fs, struct inode *in);
/* Finds or creates the inode of the store handle obj (consumed: kept by a
 * new inode, released if the inode exists) with stat st, adds one kernel
 * reference.  Returns NULL with -errno in *err (obj released). */
struct inode *inode_get_obj(struct fs *fs, struct store_obj *obj,
			    const struct stat *st, int *err);
/* Daemon references, by cache key; inode_get_id returns NULL if gone. */
struct inode *inode_get_id(struct fs *fs, uint64_t id);
void inode_hold(struct fs *fs, struct inode *in);
void inode_put(struct fs *fs, struct inode *in);
void inode_forget(struct fs *fs, struct inode *in, uint64_t n);
uint64_t inode_size(struct inode *in);
void inode_set_size(struct inode *in, uint64_t size);
/* Path relative to the mount, from the store (store_path); buf on
 * success, NULL if it has none. */
const char *inode_path(struct fs *fs, struct inode *in, char *buf,
		       size_t len);
/* Calls fn for each inode of a regular file, under itab_lock. */
void inode_foreach(struct fs *fs, void (*fn)(void *arg, struct inode *in),
		   void *arg);

/* pager.c */
int pager_start(struct fs *fs);
void pager_stop(struct fs *fs);
/* Reads [off, off+len) clipped at the file size into buf; returns bytes or
 * -errno.  ah (NULL: none) receives the frames taken for fetch_ahead, still
 * LOADING (pager_read_reply loads them after its reply). */
struct ahead;
ssize_t pager_read(struct fs *fs, struct inode *in, char *buf, size_t len,
		   uint64_t off, struct ahead *ah);
/* Serves a READ: replies with the data or the error.  A READ within one
 * page is answered from the frame itself, with no copy. */
void pager_read_reply(struct fs *fs, fuse_req_t req, struct inode *in,
		      size_t len, uint64_t off);
/* writepage: the kernel writing back a mapped page (no throttling, and no
 * new reference for the policy). */
ssize_t pager_write(struct fs *fs, struct inode *in, const char *buf,
		    size_t len, uint64_t off, bool writepage);
int pager_truncate(struct fs *fs, struct inode *in, uint64_t size);
/* fallocate's PUNCH_HOLE | KEEP_SIZE, or ZERO_RANGE with or without
 * KEEP_SIZE (which may move the size forward to off+len), of
 * [off, off+len) in the store and the frames: the range reads as zeros,
 * and no frame written back later puts the old bytes there again.
 * Returns 0, -EOPNOTSUPP for any other mode (or when the store cannot
 * punch holes), or the store's error, in which case nothing changed. */
int pager_zero_range(struct fs *fs, struct inode *in, int mode, uint64_t off,
		     uint64_t len);
/* Writes back every dirty frame of in (waiting for write-backs already
 * running); returns 0 or the first error. */
int pager_flush_file(struct fs *fs, struct inode *in);
/* "drop": has evictor 0 evict every clean frame, and waits.  "sync":
 * writes back every dirty frame in the caller's thread.  Both return 0 or
 * an error. */
int pager_drop_all(struct fs *fs);
int pager_sync_all(struct fs *fs);
/* After the session ends: writes back everything, retrying; returns the
 * number of frames that could not be written. */
uint32_t pager_final_flush(struct fs *fs);
/* After pager_final_flush left frames dirty: writes each such file's dirty
 * pages into dir (made, mode 0700) at the file's store path, at their
 * offsets (a sparse file as long as the file), and counts them clean.
 * Returns the pages saved; the first error in *err. */
uint32_t pager_save_unwritten(struct fs *fs, const char *dir, int *err);
/* Close-to-open: the store says in changed under this mount (another
 * writer).  Unless this mount has dirty pages of it (its own writes,
 * which the store will refuse: they stay), its frames go and its size is
 * size.  Returns whether they went: the kernel's pages must go too. */
bool pager_revalidate(struct fs *fs, struct inode *in, uint64_t size);
void pager_trace(struct fs *fs, struct inode *in, uint64_t pgno, char op,
		 bool hit);

/* ctl.c */
/* Sets up the control state; spec is the mount's policy, already
 * checked. */
void ctl_init(struct fs *fs, const char *spec);
bool ctl_is(fuse_ino_t nodeid);
void ctl_lookup(struct fs *fs, fuse_req_t req, fuse_ino_t parent,
		const char *name);
void ctl_getattr(struct fs *fs, fuse_req_t req, fuse_ino_t nodeid);
void ctl_open(struct fs *fs, fuse_req_t req, fuse_ino_t nodeid,
	      struct fuse_file_info *fi);
void ctl_read(struct fs *fs, fuse_req_t req, size_t size, off_t off,
	      struct fuse_file_info *fi);
void ctl_write(struct fs *fs, fuse_req_t req, const char *buf, size_t size,
	       struct fuse_file_info *fi);
void ctl_release(struct fs *fs, fuse_req_t req, struct fuse_file_info *fi);
void ctl_readdir(struct fs *fs, fuse_req_t req, size_t size, off_t off,
		 bool plus);

extern const struct fuse_lowlevel_ops framefs_ops;	/* ops.c */

#endif
