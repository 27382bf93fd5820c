/* store_latency.c - a wrapper in front of any store: a disk's latency, and
 * the data-path counters of .framefs/stats.
 *
 * The model sleeps before the inner store's call, so the page cache above
 * sees a slow device and its hit ratio shows up as elapsed time.  The hdd
 * model serialises requests (one arm) and remembers where the last one
 * ended, as an object and an offset: a request on the same object that
 * starts there pays no seek.  That is enough to make readahead and
 * write-back coalescing visible; it is not a disk simulator.  Names,
 * attributes and directories pass through untimed and uncounted.
 *
 * Counters are relaxed atomics: each is exact, a snapshot of several is not.
 * A wrapper in front of this one that fails a call itself (store_fault.c)
 * counts it here with store_stats_add(), as if the call had got here.
 */
#include "clock.h"
#include "store.h"
#include "store_fwd.h"

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

struct lat_store {
	struct store s;			/* first: a struct store * is one */
	enum store_latency_kind kind;
	uint32_t usec;			/* STORE_LAT_FIXED delay */
	pthread_mutex_t arm;		/* hdd: one request at a time */
	const struct store_obj *last_obj;	/* hdd: where the arm is (an
						 * address, never followed);
						 * under arm */
	uint64_t last_end;		/* hdd: under arm */
	struct store_stats st;		/* atomic counters */
};

static const struct store_ops lat_ops;

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

static struct lat_store *lat_of(struct store *s)
{
	return (struct lat_store *)s;
}

static void sleep_us(struct lat_store *st, uint64_t us)
{
	if (!us)
		return;
	sleep_ns(us * 1000);
	ADD(store_delay_us, us);
}

/* Sleeps as the model says, before a request of len bytes at off of obj.
 * The hdd model returns with st->arm held; model_done() releases it. */
static void model_begin(struct lat_store *st, const struct store_obj *obj,
			uint64_t off, size_t len)
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
		sleep_us(st, (obj == st->last_obj && off == st->last_end ? 0 :
			      HDD_SEEK_US) + len / HDD_MB_PER_S);
		st->last_obj = obj;
		st->last_end = off + len;
		break;
	}
}

static void model_done(struct lat_store *st)
{
	if (st->kind == STORE_LAT_HDD)
		pthread_mutex_unlock(&st->arm);
}

static size_t iov_len(const struct iovec *iov, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

static ssize_t lat_readv(struct store *s, struct store_obj *obj,
			 const struct iovec *iov, int n, uint64_t off,
			 const struct store_progress *pr)
{
	struct lat_store *st = lat_of(s);
	ssize_t r;

	if (n < 0 || n > STORE_IOV_MAX)
		return -EINVAL;
	ADD(store_reads, 1);
	model_begin(st, obj, off, iov_len(iov, n));
	r = store_readv_progress(s->inner, obj, iov, n, off, pr);
	model_done(st);
	if (r < 0)
		ADD(store_errors, 1);
	else
		ADD(store_read_bytes, (uint64_t)r);
	return r;
}

static int lat_writev(struct store *s, struct store_obj *obj,
		      const struct iovec *iov, int n, uint64_t off)
{
	struct lat_store *st = lat_of(s);
	size_t len;
	int rc;

	if (n < 0 || n > STORE_IOV_MAX)
		return -EINVAL;
	len = iov_len(iov, n);
	ADD(store_writes, 1);
	model_begin(st, obj, off, len);
	rc = store_writev(s->inner, obj, iov, n, off);
	model_done(st);
	if (rc < 0)
		ADD(store_errors, 1);
	else
		ADD(store_write_bytes, (uint64_t)len);
	return rc;
}

static int lat_fsync(struct store *s, struct store_obj *obj, bool datasync)
{
	struct lat_store *st = lat_of(s);
	int rc;

	ADD(store_fsyncs, 1);
	rc = store_fsync(s->inner, obj, datasync);
	if (rc < 0)
		ADD(store_errors, 1);
	return rc;
}

static int lat_truncate(struct store *s, struct store_obj *obj, uint64_t size)
{
	struct lat_store *st = lat_of(s);
	int rc = store_truncate(s->inner, obj, size);

	if (rc < 0)
		ADD(store_errors, 1);
	return rc;
}

static int lat_fallocate(struct store *s, struct store_obj *obj, int mode,
			 uint64_t off, uint64_t len)
{
	struct lat_store *st = lat_of(s);
	int rc;

	ADD(store_fallocates, 1);
	model_begin(st, obj, off, 0);
	rc = store_fallocate(s->inner, obj, mode, off, len);
	model_done(st);
	if (rc < 0)
		ADD(store_errors, 1);
	return rc;
}

static void lat_destroy(struct store *s)
{
	struct lat_store *st = lat_of(s);

	store_free(s->inner);
	pthread_mutex_destroy(&st->arm);
	free(st);
}

static const struct store_ops lat_ops = {
	.name		= "latency",
	STORE_FWD_META,
	.readv		= lat_readv,
	.writev		= lat_writev,
	.fsync		= lat_fsync,
	.truncate	= lat_truncate,
	.fallocate	= lat_fallocate,
	.destroy	= lat_destroy,
};

struct store *store_latency_new(struct store *inner,
				enum store_latency_kind kind, uint32_t usec)
{
	struct lat_store *st = calloc(1, sizeof(*st));

	if (!st) {
		store_free(inner);
		errno = ENOMEM;
		return NULL;
	}
	st->s.ops = &lat_ops;
	st->s.caps = inner->caps;
	st->s.inner = inner;
	st->kind = kind;
	st->usec = usec;
	pthread_mutex_init(&st->arm, NULL);
	return &st->s;
}

/* The first latency wrapper in the chain from s, or NULL. */
static struct lat_store *find_lat(struct store *s)
{
	for (; s; s = s->inner)
		if (s->ops == &lat_ops)
			return lat_of(s);
	return NULL;
}

void store_stats(struct store *s, struct store_stats *out)
{
	struct lat_store *st = find_lat(s);

	memset(out, 0, sizeof(*out));
	if (!st)
		return;
#define LD(f) out->f = __atomic_load_n(&st->st.f, __ATOMIC_RELAXED)
	LD(store_reads); LD(store_writes); LD(store_fsyncs); LD(store_errors);
	LD(store_fallocates); LD(store_read_bytes); LD(store_write_bytes);
	LD(store_delay_us);
#undef LD
}

void store_stats_add(struct store *s, const struct store_stats *d)
{
	struct lat_store *st = find_lat(s);

	if (!st)
		return;
	ADD(store_reads, d->store_reads);
	ADD(store_writes, d->store_writes);
	ADD(store_fsyncs, d->store_fsyncs);
	ADD(store_fallocates, d->store_fallocates);
	ADD(store_errors, d->store_errors);
	ADD(store_read_bytes, d->store_read_bytes);
	ADD(store_write_bytes, d->store_write_bytes);
	ADD(store_delay_us, d->store_delay_us);
}
