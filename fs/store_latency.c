/* store.c - the backing directory's data path, a latency model in front of
 * it, and fault injection.
 *
 * The model sleeps before the real system call, so the page cache above sees
 * a slow device and its hit ratio shows up as elapsed time.  The hdd model
 * serialises requests (one arm) and remembers where the last one ended: a
 * request that starts there pays no seek.  That is enough to make readahead
 * and write-back coalescing visible; it is not a disk simulator.
 *
 * Counters are relaxed atomics: each is exact, a snapshot of several is not.
 */
#include "clock.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HDD_SEEK_US	4000u
#define HDD_MB_PER_S	150u
#define SSD_OP_US	80u
#define SSD_MB_PER_S	1000u

struct store {
	enum store_latency_kind kind;
	uint32_t usec;			/* STORE_LAT_FIXED delay */
	pthread_mutex_t arm;		/* hdd: one request at a time */
	int last_fd;			/* hdd: where the arm is; under arm */
	uint64_t last_end;		/* hdd: under arm */
	int fault_read;			/* injected errno or 0; atomic */
	int fault_write;		/* atomic */
	struct store_stats st;		/* atomic counters */
};

#define ADD(f, n) __atomic_add_fetch(&st->st.f, (n), __ATOMIC_RELAXED)

int store_latency_parse(const char *s, enum store_latency_kind *kind,
			uint32_t *usec)
{
	char *end;
	unsigned long v;

	*usec = 0;
	if (!strcmp(s, "hdd"))
		*kind = STORE_LAT_HDD;
	else if (!strcmp(s, "ssd"))
		*kind = STORE_LAT_SSD;
	else if (!strcmp(s, "none") || !strcmp(s, "0"))
		*kind = STORE_LAT_NONE;
	else {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || end == s || *end || v > 10000000)
			return -EINVAL;
		*kind = STORE_LAT_FIXED;
		*usec = (uint32_t)v;
	}
	return 0;
}

const char *store_latency_name(enum store_latency_kind kind)
{
	static const char *const names[] = {
		[STORE_LAT_NONE] = "none", [STORE_LAT_HDD] = "hdd",
		[STORE_LAT_SSD] = "ssd", [STORE_LAT_FIXED] = "fixed",
	};
	return names[kind];
}

struct store *store_new(enum store_latency_kind kind, uint32_t usec)
{
	struct store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->kind = kind;
	st->usec = usec;
	st->last_fd = -1;
	pthread_mutex_init(&st->arm, NULL);
	return st;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	pthread_mutex_destroy(&st->arm);
	free(st);
}

static void sleep_us(struct store *st, uint64_t us)
{
	if (!us)
		return;
	sleep_ns(us * 1000);
	ADD(store_delay_us, us);
}

/* Sleeps as the model says, before a request of len bytes at off.  The hdd
 * model returns with st->arm held; model_done() releases it. */
static void model_begin(struct store *st, int fd, uint64_t off, size_t len)
{
	switch (st->kind) {
	case STORE_LAT_NONE:
		break;
	case STORE_LAT_FIXED:
		sleep_us(st, st->usec);
		break;
	case STORE_LAT_SSD:
		sleep_us(st, SSD_OP_US + len / SSD_MB_PER_S);
		break;
	case STORE_LAT_HDD:
		pthread_mutex_lock(&st->arm);
		sleep_us(st, (fd == st->last_fd && off == st->last_end ? 0 :
			      HDD_SEEK_US) + len / HDD_MB_PER_S);
		st->last_fd = fd;
		st->last_end = off + len;
		break;
	}
}

static void model_done(struct store *st)
{
	if (st->kind == STORE_LAT_HDD)
		pthread_mutex_unlock(&st->arm);
}

/* Copies n iovecs (n <= 64) to local; returns their total length. */
static size_t iov_copy(struct iovec *local, const struct iovec *iov, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		local[i] = iov[i];
		len += iov[i].iov_len;
	}
	return len;
}

/* Moves *v / *cnt past done bytes, after a short preadv/pwritev. */
static void iov_advance(struct iovec **v, int *cnt, size_t done)
{
	while (done > 0 && done >= (*v)->iov_len) {
		done -= (*v)->iov_len;
		(*v)++;
		(*cnt)--;
	}
	if (done > 0) {
		(*v)->iov_base = (char *)(*v)->iov_base + done;
		(*v)->iov_len -= done;
	}
}

ssize_t store_read(struct store *st, int fd, void *buf, size_t len,
		   uint64_t off)
{
	struct iovec iov = { buf, len };

	return store_readv(st, fd, &iov, 1, off);
}

ssize_t store_readv(struct store *st, int fd, const struct iovec *iov, int n,
		    uint64_t off)
{
	int fault = __atomic_load_n(&st->fault_read, __ATOMIC_RELAXED);
	struct iovec local[64], *v = local;
	size_t len = 0, done = 0;
	ssize_t r = 0;
	int cnt = n;

	if (n > 64)
		return -EINVAL;
	len = iov_copy(local, iov, n);
	ADD(store_reads, 1);
	model_begin(st, fd, off, len);
	if (fault) {
		r = -fault;
		goto out;
	}
	/* preadv may stop short of EOF (a signal): go on from there. */
	while (done < len && cnt > 0) {
		r = preadv(fd, v, cnt, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			goto out;
		}
		if (r == 0)
			break;
		done += (size_t)r;
		iov_advance(&v, &cnt, (size_t)r);
	}
	r = (ssize_t)done;
	ADD(store_read_bytes, done);
out:
	model_done(st);
	if (r < 0)
		ADD(store_errors, 1);
	return r;
}

int store_writev(struct store *st, int fd, const struct iovec *iov, int n,
		 uint64_t off)
{
	int fault = __atomic_load_n(&st->fault_write, __ATOMIC_RELAXED);
	struct iovec local[64];
	size_t len = 0;
	int rc = 0, cnt = n;

	if (n > 64)
		return -EINVAL;
	len = iov_copy(local, iov, n);
	ADD(store_writes, 1);
	model_begin(st, fd, off, len);
	if (fault) {
		rc = -fault;
		goto out;
	}
	/* pwritev may write less than asked (a signal, a full disk): go on
	 * from where it stopped until all is written or it fails. */
	for (struct iovec *v = local; len > 0;) {
		ssize_t w = pwritev(fd, v, cnt, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			goto out;
		}
		if (w == 0) {
			rc = -EIO;
			goto out;
		}
		ADD(store_write_bytes, (uint64_t)w);
		off += (uint64_t)w;
		len -= (size_t)w;
		iov_advance(&v, &cnt, (size_t)w);
	}
out:
	model_done(st);
	if (rc < 0)
		ADD(store_errors, 1);
	return rc;
}

int store_fsync(struct store *st, int fd, bool datasync)
{
	int fault = __atomic_load_n(&st->fault_write, __ATOMIC_RELAXED);
	int rc = 0;

	ADD(store_fsyncs, 1);
	if (fault)
		rc = -fault;
	else if ((datasync ? fdatasync(fd) : fsync(fd)) < 0)
		rc = -errno;
	if (rc < 0)
		ADD(store_errors, 1);
	return rc;
}

int store_truncate(struct store *st, int fd, uint64_t size)
{
	if (ftruncate(fd, (off_t)size) < 0) {
		ADD(store_errors, 1);
		return -errno;
	}
	return 0;
}

/* Writes zeros over [off, end) of fd.  Returns 0 or -errno. */
static int write_zeros(struct store *st, int fd, uint64_t off, uint64_t end)
{
	static const char zeros[64 * 1024];

	while (off < end) {
		size_t n = end - off < sizeof(zeros) ? (size_t)(end - off) :
						       sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		ADD(store_write_bytes, (uint64_t)w);
		off += (uint64_t)w;
	}
	return 0;
}

/* ZERO_RANGE on a file system that has none (tmpfs answers EOPNOTSUPP):
 * the bytes the file has in the range are overwritten with zeros (bytes
 * past its end read as zeros already), and without KEEP_SIZE the file is
 * extended to the range's end.  Writing costs what it costs, but it works
 * on any file system; punch-then-allocate would be cheaper where punching
 * works, and is two calls that can fail in between.  The range is
 * allocated first where fallocate can, so that a full file system fails
 * before any byte has changed. */
static int zero_by_writing(struct store *st, int fd, int mode, uint64_t off,
			   uint64_t len)
{
	uint64_t end = off + len, size;
	struct stat sb;
	int rc;

	if (fstat(fd, &sb) < 0)
		return -errno;
	size = (uint64_t)sb.st_size;
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0 &&
	    errno != EOPNOTSUPP)
		return -errno;
	rc = write_zeros(st, fd, off, end < size ? end : size);
	if (!rc && !(mode & FALLOC_FL_KEEP_SIZE) && end > size &&
	    ftruncate(fd, (off_t)end) < 0)
		rc = -errno;
	return rc;
}

int store_fallocate(struct store *st, int fd, int mode, uint64_t off,
		    uint64_t len)
{
	int fault = __atomic_load_n(&st->fault_write, __ATOMIC_RELAXED);
	int rc = 0;

	ADD(store_fallocates, 1);
	model_begin(st, fd, off, 0);
	if (fault) {
		rc = -fault;
		goto out;
	}
	while (fallocate(fd, mode, (off_t)off, (off_t)len) < 0) {
		if (errno == EINTR)
			continue;
		rc = -errno;
		if (rc == -EOPNOTSUPP && (mode & FALLOC_FL_ZERO_RANGE))
			rc = zero_by_writing(st, fd, mode, off, len);
		break;
	}
out:
	model_done(st);
	if (rc < 0)
		ADD(store_errors, 1);
	return rc;
}

void store_fault(struct store *st, bool write, int err)
{
	__atomic_store_n(write ? &st->fault_write : &st->fault_read, err,
			 __ATOMIC_RELAXED);
}

void store_stats(struct store *st, struct store_stats *out)
{
#define LD(f) out->f = __atomic_load_n(&st->st.f, __ATOMIC_RELAXED)
	LD(store_reads); LD(store_writes); LD(store_fsyncs); LD(store_errors);
	LD(store_fallocates); LD(store_read_bytes); LD(store_write_bytes);
	LD(store_delay_us);
#undef LD
}
