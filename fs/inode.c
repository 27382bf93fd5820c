/* inode.c - store objects as inodes.
 *
 * Each inode holds one handle of its object in the store (a struct
 * store_obj: for the dir store an O_PATH descriptor, so renames never leave
 * a stale path behind), and is found by the (st_dev, st_ino) the store's
 * stat gives, so hard links share one inode and one set of frames.  A
 * lookup of an object the table has already releases its new handle.
 * The FUSE nodeid is the inode's address (no table walk on the hot path);
 * the cache key is inode->id, a counter that is never reused, so frames of
 * a freed inode can never be mistaken for a new one's.
 *
 * Lifetime: an inode lives while the kernel has looked it up (nlookup), the
 * daemon uses it (refs: open files, the evictor and flusher), or it has
 * dirty frames.  The last put drops its clean frames (the kernel forgot the
 * inode, so it holds none of its pages) and frees it.  With dirty frames it
 * stays in the table; the flusher puts it again after writing them.  Dirty
 * frames of a file whose last link is gone are dropped: that is the one
 * place where the user's deletion, not a failure, discards data.
 */
#include "framefs.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyhash.h"

static uint32_t key_bucket(struct fs *fs, dev_t dev, ino_t ino)
{
	return (uint32_t)key_hash((uint64_t)dev, (uint64_t)ino) & fs->itab_mask;
}

static uint32_t id_bucket(struct fs *fs, uint64_t id)
{
	return (uint32_t)key_hash(id, 0x1d) & fs->itab_mask;
}

int itab_init(struct fs *fs)
{
	fs->itab_mask = 1023;
	fs->by_key = calloc(fs->itab_mask + 1, sizeof(*fs->by_key));
	fs->by_id = calloc(fs->itab_mask + 1, sizeof(*fs->by_id));
	if (!fs->by_key || !fs->by_id)
		return -ENOMEM;
	pthread_mutex_init(&fs->itab_lock, NULL);
	fs->next_id = 16;
	return 0;
}

static void inode_free(struct fs *fs, struct inode *in)
{
	store_release(fs->store, in->obj);
	pthread_rwlock_destroy(&in->trunc_lock);
	pthread_mutex_destroy(&in->flush_lock);
	free(in);
}

void itab_release(struct fs *fs)
{
	for (uint32_t b = 0; fs->by_key && b <= fs->itab_mask; b++) {
		struct inode *in = fs->by_key[b], *next;

		for (; in; in = next) {
			next = in->next_key;
			inode_free(fs, in);
		}
	}
	free(fs->by_key);
	free(fs->by_id);
	pthread_mutex_destroy(&fs->itab_lock);
}

/* Doubles both tables.  Caller holds itab_lock. */
static void itab_grow(struct fs *fs)
{
	uint32_t old = fs->itab_mask + 1, mask = old * 2 - 1;
	struct inode **bk = calloc(mask + 1, sizeof(*bk));
	struct inode **bi = calloc(mask + 1, sizeof(*bi));

	if (!bk || !bi) {
		free(bk);
		free(bi);
		return;		/* longer chains, still correct */
	}
	fs->itab_mask = mask;
	for (uint32_t b = 0; b < old; b++) {
		struct inode *in, *next;

		for (in = fs->by_key[b]; in; in = next) {
			uint32_t k = key_bucket(fs, in->dev, in->bino);

			next = in->next_key;
			in->next_key = bk[k];
			bk[k] = in;
		}
		for (in = fs->by_id[b]; in; in = next) {
			uint32_t k = id_bucket(fs, in->id);

			next = in->next_id;
			in->next_id = bi[k];
			bi[k] = in;
		}
	}
	free(fs->by_key);
	free(fs->by_id);
	fs->by_key = bk;
	fs->by_id = bi;
}

struct inode *inode_of(struct fs *fs, fuse_ino_t nodeid)
{
	if (nodeid == FUSE_ROOT_ID)
		return &fs->root;
	return (struct inode *)(uintptr_t)nodeid;
}

fuse_ino_t inode_nodeid(struct fs *fs, struct inode *in)
{
	return in == &fs->root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)in;
}

struct inode *inode_get_obj(struct fs *fs, struct store_obj *obj,
			    const struct stat *st, int *err)
{
	struct inode *in, *nin;
	uint32_t b;

	if (st->st_dev == fs->root.dev && st->st_ino == fs->root.bino) {
		store_release(fs->store, obj);
		pthread_mutex_lock(&fs->itab_lock);
		fs->root.nlookup++;
		pthread_mutex_unlock(&fs->itab_lock);
		return &fs->root;
	}
	/* Step 1: allocate outside the lock, in case the inode is new. */
	nin = calloc(1, sizeof(*nin));
	if (!nin) {
		store_release(fs->store, obj);
		*err = -ENOMEM;
		return NULL;
	}
	/* Step 2: an inode we know already keeps its own handle. */
	pthread_mutex_lock(&fs->itab_lock);
	b = key_bucket(fs, st->st_dev, st->st_ino);
	for (in = fs->by_key[b]; in; in = in->next_key)
		if (in->dev == st->st_dev && in->bino == st->st_ino)
			break;
	if (in) {
		/* A dying inode is revived: inode_maybe_free rechecks. */
		in->nlookup++;
		pthread_mutex_unlock(&fs->itab_lock);
		free(nin);
		store_release(fs->store, obj);
		return in;
	}
	/* Step 3: a new one. */
	nin->id = fs->next_id++;
	nin->obj = obj;
	nin->dev = st->st_dev;
	nin->bino = st->st_ino;
	nin->type = st->st_mode & S_IFMT;
	nin->nlookup = 1;
	nin->size = (uint64_t)st->st_size;
	pthread_rwlock_init(&nin->trunc_lock, NULL);
	pthread_mutex_init(&nin->flush_lock, NULL);
	if (++fs->ninodes > fs->itab_mask + 1)
		itab_grow(fs);
	b = key_bucket(fs, nin->dev, nin->bino);
	nin->next_key = fs->by_key[b];
	fs->by_key[b] = nin;
	b = id_bucket(fs, nin->id);
	nin->next_id = fs->by_id[b];
	fs->by_id[b] = nin;
	pthread_mutex_unlock(&fs->itab_lock);
	return nin;
}

struct inode *inode_get_id(struct fs *fs, uint64_t id)
{
	struct inode *in;

	pthread_mutex_lock(&fs->itab_lock);
	for (in = fs->by_id[id_bucket(fs, id)]; in; in = in->next_id)
		if (in->id == id)
			break;
	if (in && in->dying)
		in = NULL;	/* being freed: its frames go with it */
	if (in)
		in->refs++;
	pthread_mutex_unlock(&fs->itab_lock);
	return in;
}

void inode_hold(struct fs *fs, struct inode *in)
{
	pthread_mutex_lock(&fs->itab_lock);
	in->refs++;
	pthread_mutex_unlock(&fs->itab_lock);
}

/* Unlinks in from both tables.  Caller holds itab_lock. */
static void itab_remove(struct fs *fs, struct inode *in)
{
	struct inode **p;

	for (p = &fs->by_key[key_bucket(fs, in->dev, in->bino)]; *p != in;
	     p = &(*p)->next_key)
		;
	*p = in->next_key;
	for (p = &fs->by_id[id_bucket(fs, in->id)]; *p != in;
	     p = &(*p)->next_id)
		;
	*p = in->next_id;
	fs->ninodes--;
}

/* Frees in if nobody uses it and it has no dirty frames (or no links left).
 * Called without locks by the one thread that set in->dying; an inode that
 * is kept (revived by a lookup, or with dirty frames for the flusher) has
 * dying cleared again. */
static void inode_maybe_free(struct fs *fs, struct inode *in)
{
	struct stat st;
	bool unlinked;

	unlinked = store_getattr(fs->store, in->obj, &st) == 0 &&
		   st.st_nlink == 0;
	pthread_mutex_lock(&fs->itab_lock);
	assert(in->dying);
	if (in->nlookup || in->refs ||
	    (!unlinked && cache_file_ndirty(fs->cache, in->id))) {
		in->dying = false;
		pthread_mutex_unlock(&fs->itab_lock);
		return;
	}
	itab_remove(fs, in);
	pthread_mutex_unlock(&fs->itab_lock);
	/* Unreachable now: no request, evictor or flusher can find it. */
	cache_drop_file(fs->cache, in->id, 0);
	cache_file_forget(fs->cache, in->id);
	inode_free(fs, in);
}

/* Whether the caller, holding itab_lock, dropped the last reference and
 * so must call inode_maybe_free. */
static bool take_last(struct fs *fs, struct inode *in)
{
	if (in == &fs->root || in->nlookup || in->refs || in->dying)
		return false;
	in->dying = true;
	return true;
}

void inode_put(struct fs *fs, struct inode *in)
{
	bool last;

	pthread_mutex_lock(&fs->itab_lock);
	assert(in->refs > 0);
	in->refs--;
	last = take_last(fs, in);
	pthread_mutex_unlock(&fs->itab_lock);
	if (last)
		inode_maybe_free(fs, in);
}

void inode_forget(struct fs *fs, struct inode *in, uint64_t n)
{
	bool last;

	pthread_mutex_lock(&fs->itab_lock);
	in->nlookup -= n < in->nlookup ? n : in->nlookup;
	last = take_last(fs, in);
	pthread_mutex_unlock(&fs->itab_lock);
	if (last)
		inode_maybe_free(fs, in);
}

uint64_t inode_size(struct inode *in)
{
	return __atomic_load_n(&in->size, __ATOMIC_ACQUIRE);
}

void inode_set_size(struct inode *in, uint64_t size)
{
	__atomic_store_n(&in->size, size, __ATOMIC_RELEASE);
}

const char *inode_path(struct fs *fs, struct inode *in, char *buf,
		       size_t len)
{
	return store_path(fs->store, in->obj, buf, len) < 0 ? NULL : buf;
}

void inode_foreach(struct fs *fs, void (*fn)(void *arg, struct inode *in),
		   void *arg)
{
	pthread_mutex_lock(&fs->itab_lock);
	for (uint32_t b = 0; b <= fs->itab_mask; b++)
		for (struct inode *in = fs->by_id[b]; in; in = in->next_id)
			if (in->type == S_IFREG)
				fn(arg, in);
	pthread_mutex_unlock(&fs->itab_lock);
}
