/* store.h - the backing store, as an ops table with opaque objects.
 *
 * framefs keeps file data in its frames and everything else in a store:
 * names, attributes, and the bytes a frame is read from and written back
 * to.  A store is a table of operations, in the manner of SQLite's
 * sqlite3_vfs and sqlite3_io_methods:
 *
 *   store_dir.c      a local directory (*at() calls on O_PATH handles);
 *                    the default
 *   store_http.c     a WebDAV collection or a plain HTTP server (webdav.c)
 *   store_latency.c  a wrapper in front of any store: a disk's latency
 *                    (store_latency=hdd|ssd|USEC), and the data-path
 *                    counters of .framefs/stats
 *   store_fault.c    a wrapper in front of any store: reads or writes fail
 *                    with a chosen errno until switched off
 *
 *   dir = store_dir_new(path, err, errlen)     a store
 *   st  = store_latency_new(dir, kind, usec)   wraps (and owns) dir
 *   st  = store_fault_new(st)                  wraps (and owns) st
 *   store_root(st, &obj, &stat)                the root directory's object
 *   store_lookup(st, dir, "name", &obj, &stat) a new handle of a child
 *   n = store_readv(st, obj, iov, n, off)      ... and so on, below
 *   store_release(st, obj)                     each handle once
 *   store_free(st)                             the whole chain
 *
 * Objects.  A struct store_obj is one file, directory, link or special
 * file, opaque to the caller, held by one inode.  Each lookup, create or
 * root call returns a new handle; the caller keeps one per (st_dev,
 * st_ino) and releases the others (hard links share an inode).  A handle
 * names the object, not its path: after a rename (by this mount) it still
 * reaches the object.  st_dev and st_ino of every stat a store returns are
 * its identity for the inode table; a store without inode numbers of its
 * own (HTTP) makes them stable for as long as the mount lives.
 *
 * Every call returns 0 (or a byte count) or a negative errno; a store
 * that cannot do an operation at all returns -EOPNOTSUPP (-EPERM for
 * link, symlink and mknod, as file systems without them do, and -EROFS
 * for any change on a read-only store).  Thread-safe: calls on one object
 * may run in parallel; the caller orders writes and truncates of a file
 * (inode->trunc_lock, flush_lock).
 */
#ifndef FRAMEFS_STORE_H
#define FRAMEFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>

struct store;
struct store_obj;			/* opaque: one object of a store */
struct store_dir;			/* opaque: an open directory */

#define STORE_IOV_MAX 1024		/* most buffers in a readv/writev: 4 MiB
				 * of pages, the largest fetch_ahead span
				 * of a file read in sequence (IOV_MAX) */

/* What a store can do (store_caps). */
enum {
	STORE_CAP_HARDLINK = 1u << 0,	/* link() */
	STORE_CAP_SYMLINK = 1u << 1,	/* symlink(), readlink() */
	STORE_CAP_SPECIAL = 1u << 2,	/* mknod() of fifos, devices */
	STORE_CAP_OWNER = 1u << 3,	/* chmod, chown keep what is set */
	STORE_CAP_EXCHANGE = 1u << 4,	/* rename with RENAME_EXCHANGE */
	STORE_CAP_REVALIDATE = 1u << 5,	/* others may change objects: an
					 * open revalidates (close-to-open) */
	STORE_CAP_READONLY = 1u << 6,	/* every change is -EROFS */
	STORE_CAP_PUNCH = 1u << 7,	/* fallocate PUNCH_HOLE, ZERO_RANGE */
};

/* The reader's ear for a readv whose bytes arrive over time (a GET):
 * fn(arg, k) says the first k bytes are in the buffers and final, k only
 * growing, and returns whether the reader used any (gave their buffers
 * away).  Once it has, the store never writes the buffers again, not on
 * a retry (it fails instead).  A readv that fails after telling still
 * returns its error: only the bytes told are good. */
struct store_progress {
	bool (*fn)(void *arg, uint64_t bytes);
	void *arg;
};

struct store_dirent {
	char name[256];
	ino_t ino;			/* as store_lookup's st_ino would be,
					 * or 0 if the store does not know
					 * without a lookup */
	mode_t type;			/* S_IFMT bits, or 0 if unknown */
	off_t next;			/* position of the entry after this */
};

enum store_latency_kind {
	STORE_LAT_NONE = 0,
	STORE_LAT_HDD,
	STORE_LAT_SSD,
	STORE_LAT_FIXED,
};

/* Data-path counters, kept by the latency wrapper (store_latency.c). */
struct store_stats {
	uint64_t store_reads;		/* read calls */
	uint64_t store_writes;		/* write calls (coalesced runs) */
	uint64_t store_fsyncs;
	uint64_t store_fallocates;	/* fallocate calls: allocate, punch,
					 * zero */
	uint64_t store_errors;		/* calls that failed, injected or not */
	uint64_t store_read_bytes;
	uint64_t store_write_bytes;
	uint64_t store_delay_us;	/* time slept by the latency model */
};

/* The operations.  A wrapper implements each by calling the store it
 * wraps; any member may be NULL, which the store_*() calls below turn into
 * -EOPNOTSUPP (or the errno given above). */
struct store_ops {
	const char *name;		/* "dir", "http", "latency", "fault" */

	/* namespace */
	int (*root)(struct store *s, struct store_obj **obj, struct stat *st);
	int (*lookup)(struct store *s, struct store_obj *dir, const char *name,
		      struct store_obj **obj, struct stat *st);
	int (*getattr)(struct store *s, struct store_obj *obj,
		       struct stat *st);
	int (*chmod)(struct store *s, struct store_obj *obj, mode_t mode);
	int (*chown)(struct store *s, struct store_obj *obj, uid_t uid,
		     gid_t gid);	/* (uid_t)-1, (gid_t)-1: unchanged */
	/* tv as utimensat(2)'s, UTIME_NOW and UTIME_OMIT included */
	int (*utimens)(struct store *s, struct store_obj *obj,
		       const struct timespec tv[2]);
	ssize_t (*readlink)(struct store *s, struct store_obj *obj, char *buf,
			    size_t len);
	int (*mknod)(struct store *s, struct store_obj *dir, const char *name,
		     mode_t mode, dev_t rdev);
	int (*mkdir)(struct store *s, struct store_obj *dir, const char *name,
		     mode_t mode);
	int (*symlink)(struct store *s, const char *target,
		       struct store_obj *dir, const char *name);
	int (*link)(struct store *s, struct store_obj *obj,
		    struct store_obj *newdir, const char *newname);
	int (*unlink)(struct store *s, struct store_obj *dir,
		      const char *name);
	int (*rmdir)(struct store *s, struct store_obj *dir, const char *name);
	/* flags: renameat2's RENAME_NOREPLACE, RENAME_EXCHANGE */
	int (*rename)(struct store *s, struct store_obj *dir, const char *name,
		      struct store_obj *newdir, const char *newname,
		      unsigned int flags);
	/* A regular file: flags are O_EXCL (or 0); never truncates (the
	 * pager does, frames first).  -EEXIST with O_EXCL if name exists. */
	int (*create)(struct store *s, struct store_obj *dir, const char *name,
		      mode_t mode, int flags);
	int (*statfs)(struct store *s, struct statvfs *sv);

	/* directories: entries in the store's order, "." and ".." included
	 * where the store has them; off is 0 or an entry's `next`. */
	int (*opendir)(struct store *s, struct store_obj *dir,
		       struct store_dir **d);
	/* 1: *ent filled; 0: no more entries; or -errno. */
	int (*readdir)(struct store *s, struct store_dir *d, off_t off,
		       struct store_dirent *ent);
	void (*closedir)(struct store *s, struct store_dir *d);

	/* data of a regular file */
	/* Before the first data call of an open that reads (write false) or
	 * may write: -EACCES, -EROFS, ... if it could not. */
	int (*open)(struct store *s, struct store_obj *obj, bool write);
	/* Bytes read from off on into n (<= STORE_IOV_MAX) buffers, short
	 * only at the end of the object, or -errno.  One request.  pr, if
	 * not NULL, may be told as the bytes arrive (struct
	 * store_progress); a store that does not tell it ignores it. */
	ssize_t (*readv)(struct store *s, struct store_obj *obj,
			 const struct iovec *iov, int n, uint64_t off,
			 const struct store_progress *pr);
	/* All bytes or -errno.  One request. */
	int (*writev)(struct store *s, struct store_obj *obj,
		      const struct iovec *iov, int n, uint64_t off);
	int (*fsync)(struct store *s, struct store_obj *obj, bool datasync);
	int (*truncate)(struct store *s, struct store_obj *obj, uint64_t size);
	/* fallocate(2) of [off, off+len), mode as fallocate's: 0 or
	 * KEEP_SIZE (allocate), PUNCH_HOLE | KEEP_SIZE, ZERO_RANGE with or
	 * without KEEP_SIZE. */
	int (*fallocate)(struct store *s, struct store_obj *obj, int mode,
			 uint64_t off, uint64_t len);
	/* Close-to-open: has the object changed in the store since this
	 * handle last read, wrote or revalidated it, by someone else?  *st
	 * is its attributes now; *changed true if its data may differ from
	 * what the handle saw.  Stores that only this mount changes leave
	 * it NULL (never changed). */
	int (*revalidate)(struct store *s, struct store_obj *obj,
			  struct stat *st, bool *changed);

	/* The object's path from the store's root ("/" for the root,
	 * "/a/b"), for .framefs/files and logs; -ENOENT if it has none
	 * (unlinked).  Returns the length or -errno. */
	int (*path)(struct store *s, struct store_obj *obj, char *buf,
		    size_t len);
	void (*release)(struct store *s, struct store_obj *obj);

	/* Extra `name value` lines for .framefs/stats (a wrapper adds its
	 * own to the wrapped store's); the length snprintf would have
	 * written. */
	int (*stats_format)(struct store *s, char *buf, size_t len);
	/* The store, for .framefs/stats' `store` and `store_path` lines:
	 * "dir" and the directory, "http" and the URL. */
	const char *(*kind)(struct store *s);
	const char *(*where)(struct store *s);
	/* At the unmount, after the last write-back: what the store still
	 * holds that is not on the backing (a spool whose PUT failed or was
	 * refused) is written back one last time, and what still cannot be
	 * is saved whole under dir (made if needed), each object at its
	 * path, and is then no longer the store's to write.  Returns the
	 * objects saved; *err the first error of one that could not be
	 * saved either (its data is lost: said in the log).  NULL: 0. */
	uint32_t (*save_unwritten)(struct store *s, const char *dir,
				   int *err);
	void (*destroy)(struct store *s);	/* the wrapped store too */
};

/* Every store starts with this. */
struct store {
	const struct store_ops *ops;
	unsigned int caps;		/* STORE_CAP_* */
	struct store *inner;		/* the store a wrapper wraps, or NULL */
};

/* ---- the stores ------------------------------------------------------ */

/* The directory path (made absolute).  NULL with errno set and a one-line
 * reason in err ("not a directory", ...). */
struct store *store_dir_new(const char *path, char *err, size_t errlen);

/* Parses "hdd", "ssd", "none" or a number of microseconds.  0 or
 * -EINVAL. */
int store_latency_parse(const char *s, enum store_latency_kind *kind,
			uint32_t *usec);
const char *store_latency_name(enum store_latency_kind kind);
/* In front of inner, which it owns from now on (also on failure: NULL
 * with errno set, inner freed).  The hdd model serialises requests and
 * seeks unless a request continues the previous one on the same object;
 * ssd takes 80 us plus 1 GB/s, requests in parallel; FIXED sleeps usec.
 * Keeps the data-path counters, whatever the kind (STORE_LAT_NONE too). */
struct store *store_latency_new(struct store *inner,
				enum store_latency_kind kind, uint32_t usec);
/* The counters of the first latency wrapper in the chain from s (zeros if
 * none). */
void store_stats(struct store *s, struct store_stats *out);
/* Adds d to those counters (nothing if there is no latency wrapper): for a
 * wrapper in front of it that answers a call itself, as store_fault.c
 * does for an injected failure, so that the call and its error count as
 * if it had reached the store. */
void store_stats_add(struct store *s, const struct store_stats *d);

/* In front of inner, which it owns (as store_latency_new). */
struct store *store_fault_new(struct store *inner);
/* err (a positive errno, e.g. EIO, ENOSPC) for every read (write =
 * false) or every write, fsync, truncate and fallocate (write = true)
 * from now on; 0 switches it off.  Acts on the first fault wrapper in the
 * chain from s; -ENOSYS if there is none. */
int store_fault(struct store *s, bool write, int err);

/* ---- calls (store.c): NULL ops become the errno documented above ------ */

int store_root(struct store *s, struct store_obj **obj, struct stat *st);
int store_lookup(struct store *s, struct store_obj *dir, const char *name,
		 struct store_obj **obj, struct stat *st);
int store_getattr(struct store *s, struct store_obj *obj, struct stat *st);
int store_chmod(struct store *s, struct store_obj *obj, mode_t mode);
int store_chown(struct store *s, struct store_obj *obj, uid_t uid, gid_t gid);
int store_utimens(struct store *s, struct store_obj *obj,
		  const struct timespec tv[2]);
ssize_t store_readlink(struct store *s, struct store_obj *obj, char *buf,
		       size_t len);
int store_mknod(struct store *s, struct store_obj *dir, const char *name,
		mode_t mode, dev_t rdev);
int store_mkdir(struct store *s, struct store_obj *dir, const char *name,
		mode_t mode);
int store_symlink(struct store *s, const char *target, struct store_obj *dir,
		  const char *name);
int store_link(struct store *s, struct store_obj *obj,
	       struct store_obj *newdir, const char *newname);
int store_unlink(struct store *s, struct store_obj *dir, const char *name);
int store_rmdir(struct store *s, struct store_obj *dir, const char *name);
int store_rename(struct store *s, struct store_obj *dir, const char *name,
		 struct store_obj *newdir, const char *newname,
		 unsigned int flags);
int store_create(struct store *s, struct store_obj *dir, const char *name,
		 mode_t mode, int flags);
int store_statfs(struct store *s, struct statvfs *sv);
int store_opendir(struct store *s, struct store_obj *dir,
		  struct store_dir **d);
int store_readdir(struct store *s, struct store_dir *d, off_t off,
		  struct store_dirent *ent);
void store_closedir(struct store *s, struct store_dir *d);
int store_open(struct store *s, struct store_obj *obj, bool write);
ssize_t store_read(struct store *s, struct store_obj *obj, void *buf,
		   size_t len, uint64_t off);
ssize_t store_readv(struct store *s, struct store_obj *obj,
		    const struct iovec *iov, int n, uint64_t off);
ssize_t store_readv_progress(struct store *s, struct store_obj *obj,
			     const struct iovec *iov, int n, uint64_t off,
			     const struct store_progress *pr);
int store_writev(struct store *s, struct store_obj *obj,
		 const struct iovec *iov, int n, uint64_t off);
int store_fsync(struct store *s, struct store_obj *obj, bool datasync);
int store_truncate(struct store *s, struct store_obj *obj, uint64_t size);
int store_fallocate(struct store *s, struct store_obj *obj, int mode,
		    uint64_t off, uint64_t len);
/* NULL op: 0, *changed false, *st from getattr. */
int store_revalidate(struct store *s, struct store_obj *obj, struct stat *st,
		     bool *changed);
int store_path(struct store *s, struct store_obj *obj, char *buf, size_t len);
void store_release(struct store *s, struct store_obj *obj);
int store_stats_format(struct store *s, char *buf, size_t len);
const char *store_kind(struct store *s);
const char *store_where(struct store *s);
unsigned int store_caps(struct store *s);
uint32_t store_save_unwritten(struct store *s, const char *dir, int *err);
void store_free(struct store *s);

#endif
