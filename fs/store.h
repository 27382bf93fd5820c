/* store.h - the backing store's data path: page reads and write-backs.
 *
 *   st = store_new(lat_kind, lat_usec);    once per mount (latency model)
 *   n = store_read(st, fd, buf, len, off)  bytes read (short at EOF) or -errno
 *   n = store_readv(st, fd, iov, n, off)   the same into several buffers
 *   rc = store_writev(st, fd, iov, n, off) 0 or -errno (all bytes or error)
 *   rc = store_fsync(st, fd, datasync)     0 or -errno
 *   rc = store_truncate(st, fd, size)      0 or -errno
 *   rc = store_fallocate(st, fd, mode, off, len)   0 or -errno
 *   store_free(st);
 *
 * The backing directory is the only store so far: objects are file
 * descriptors of files under it.  Every call goes through two optional
 * layers a user can study or a test can switch on at run time:
 *   - a latency model (store_latency=hdd|ssd|USEC) that sleeps as a disk
 *     would: hdd seeks (4 ms) unless the access continues the previous one,
 *     then transfers at 150 MB/s, one request at a time; ssd takes 80 us
 *     plus 1 GB/s, requests in parallel; USEC is a fixed delay;
 *   - fault injection (store_fault()): reads or writes fail with a chosen
 *     errno until switched off.
 * Thread-safe.  Counters (store_reads, store_writes, store_errors, bytes)
 * are read with store_stats().
 */
#ifndef FRAMEFS_STORE_H
#define FRAMEFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct store;

enum store_latency_kind {
	STORE_LAT_NONE = 0,
	STORE_LAT_HDD,
	STORE_LAT_SSD,
	STORE_LAT_FIXED,
};

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

/* Parses "hdd", "ssd" or a number of microseconds.  Returns 0 or -EINVAL. */
int store_latency_parse(const char *s, enum store_latency_kind *kind,
			uint32_t *usec);
const char *store_latency_name(enum store_latency_kind kind);

/* Returns NULL with errno set. */
struct store *store_new(enum store_latency_kind kind, uint32_t usec);
void store_free(struct store *st);

ssize_t store_read(struct store *st, int fd, void *buf, size_t len,
		   uint64_t off);
/* Reads into n buffers (n <= 64) from off on: bytes read, short at EOF, or
 * -errno.  One request for the latency model. */
ssize_t store_readv(struct store *st, int fd, const struct iovec *iov, int n,
		    uint64_t off);
int store_writev(struct store *st, int fd, const struct iovec *iov, int n,
		 uint64_t off);
int store_fsync(struct store *st, int fd, bool datasync);
int store_truncate(struct store *st, int fd, uint64_t size);
/* fallocate(2) of [off, off+len), mode as fallocate's: 0 or KEEP_SIZE
 * (allocate), PUNCH_HOLE | KEEP_SIZE, ZERO_RANGE with or without KEEP_SIZE.
 * Where the file system has no ZERO_RANGE (tmpfs) it is done by writing
 * zeros (store.c says how).  Subject to write fault injection.  Returns 0
 * or -errno (-EOPNOTSUPP if the file system cannot, e.g. punch a hole). */
int store_fallocate(struct store *st, int fd, int mode, uint64_t off,
		    uint64_t len);

/* Fault injection: err (a positive errno, e.g. EIO, ENOSPC) for every read
 * (write = false) or write/fsync/fallocate (write = true) from now on; 0
 * switches it off. */
void store_fault(struct store *st, bool write, int err);

void store_stats(struct store *st, struct store_stats *out);

#endif
