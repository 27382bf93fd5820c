/* store_fault.c - a wrapper in front of any store: reads, or writes, fail
 * with a chosen errno until switched off (.framefs/control's "fault").
 *
 * A read is readv; a write is writev, fsync, truncate or fallocate.  Names,
 * attributes, directories and opens pass through: the faults are those of
 * a disk that still answers but cannot move data.  An injected failure
 * never reaches the store; it is counted in the data-path counters of the
 * latency wrapper behind this one (store_stats_add), as a call and an
 * error, so .framefs/stats shows it as the old in-line injection did.
 *
 * The two errnos are relaxed atomics: a switch takes effect for calls
 * that start after it.
 */
#include "store.h"
#include "store_fwd.h"

#include <errno.h>
#include <stdlib.h>

struct fault_store {
	struct store s;			/* first: a struct store * is one */
	int fault_read;			/* positive errno or 0; atomic */
	int fault_write;		/* atomic */
};

static const struct store_ops fault_ops;

static struct fault_store *fs_of(struct store *s)
{
	return (struct fault_store *)s;
}

static int fault_of(struct store *s, bool write)
{
	struct fault_store *f = fs_of(s);

	return __atomic_load_n(write ? &f->fault_write : &f->fault_read,
			       __ATOMIC_RELAXED);
}

/* Counts an injected failure behind us; returns -err. */
static int injected(struct store *s, struct store_stats d, int err)
{
	d.store_errors = 1;
	store_stats_add(s->inner, &d);
	return -err;
}

static ssize_t fault_readv(struct store *s, struct store_obj *obj,
			   const struct iovec *iov, int n, uint64_t off,
			   const struct store_progress *pr)
{
	int err = fault_of(s, false);

	if (err)
		return injected(s, (struct store_stats){ .store_reads = 1 },
				err);
	return store_readv_progress(s->inner, obj, iov, n, off, pr);
}

static int fault_writev(struct store *s, struct store_obj *obj,
			const struct iovec *iov, int n, uint64_t off)
{
	int err = fault_of(s, true);

	if (err)
		return injected(s, (struct store_stats){ .store_writes = 1 },
				err);
	return store_writev(s->inner, obj, iov, n, off);
}

static int fault_fsync(struct store *s, struct store_obj *obj, bool datasync)
{
	int err = fault_of(s, true);

	if (err)
		return injected(s, (struct store_stats){ .store_fsyncs = 1 },
				err);
	return store_fsync(s->inner, obj, datasync);
}

static int fault_truncate(struct store *s, struct store_obj *obj,
			  uint64_t size)
{
	int err = fault_of(s, true);

	if (err)
		return injected(s, (struct store_stats){ 0 }, err);
	return store_truncate(s->inner, obj, size);
}

static int fault_fallocate(struct store *s, struct store_obj *obj, int mode,
			   uint64_t off, uint64_t len)
{
	int err = fault_of(s, true);

	if (err)
		return injected(s,
				(struct store_stats){ .store_fallocates = 1 },
				err);
	return store_fallocate(s->inner, obj, mode, off, len);
}

static void fault_destroy(struct store *s)
{
	store_free(s->inner);
	free(fs_of(s));
}

static const struct store_ops fault_ops = {
	.name		= "fault",
	STORE_FWD_META,
	.readv		= fault_readv,
	.writev		= fault_writev,
	.fsync		= fault_fsync,
	.truncate	= fault_truncate,
	.fallocate	= fault_fallocate,
	.destroy	= fault_destroy,
};

struct store *store_fault_new(struct store *inner)
{
	struct fault_store *f = calloc(1, sizeof(*f));

	if (!f) {
		store_free(inner);
		errno = ENOMEM;
		return NULL;
	}
	f->s.ops = &fault_ops;
	f->s.caps = inner->caps;
	f->s.inner = inner;
	return &f->s;
}

int store_fault(struct store *s, bool write, int err)
{
	for (; s; s = s->inner)
		if (s->ops == &fault_ops) {
			struct fault_store *f = fs_of(s);

			__atomic_store_n(write ? &f->fault_write :
					 &f->fault_read, err,
					 __ATOMIC_RELAXED);
			return 0;
		}
	return -ENOSYS;
}
